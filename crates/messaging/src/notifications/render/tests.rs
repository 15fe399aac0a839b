use minijinja::context;
use trellis_kernel::notify::{ChannelKind, NotificationKind};

use super::*;
use crate::notifications::catalogue::sample;

#[test]
fn one_line_outputs_lose_their_line_breaks_and_blocks_end_in_one_newline() {
    assert_eq!(one_line("\n  Hello,\n  world  \n"), "Hello, world");
    assert_eq!(block("\n\nHi\n\nthere\n\n\n"), "Hi\n\nthere\n");
}

#[test]
fn html_escapes_markup_but_not_slashes_and_text_escapes_nothing() {
    let renderer = Renderer::new();
    let ctx = context! { x => "<b>Tom & \"Jerry's\"</b> https://a.example/b" };
    let html = renderer.render_str("t.html", "{{ x }}", ctx.clone());
    assert_eq!(
        html.ok().as_deref(),
        Some("&lt;b&gt;Tom &amp; &quot;Jerry&#x27;s&quot;&lt;/b&gt; https://a.example/b")
    );
    let text = renderer.render_str("t.txt", "{{ x }}", ctx.clone());
    assert_eq!(
        text.ok().as_deref(),
        Some("<b>Tom & \"Jerry's\"</b> https://a.example/b")
    );
    // What a template marks safe, and numbers, pass as they are.
    let safe = renderer.render_str("t.html", "{{ '<br>' | safe }}{{ 3 }}", ctx);
    assert_eq!(safe.ok().as_deref(), Some("<br>3"));
}

#[test]
fn an_undefined_parameter_is_an_error() {
    let renderer = Renderer::new();
    let ctx = context! { params => context! { code => "1" } };
    for source in [
        "{{ params.missing }}",
        "{{ params.missing | datetime }}",
        "{% if params.missing %}x{% endif %}",
        "{{ nobody }}",
    ] {
        let result = renderer.render_str("t.txt", source, ctx.clone());
        assert!(
            matches!(result, Err(RenderError::Undefined { .. })),
            "{source}: {result:?}"
        );
    }
    assert!(
        renderer
            .render_str("t.txt", "{{ params.code }}", ctx)
            .is_ok()
    );
}

#[test]
fn filters_need_the_readers_locale_and_zone() {
    let renderer = Renderer::new();
    let at = "2026-11-23T17:30:00Z";
    let reader = context! { locale => "pt-BR", time_zone => "America/Sao_Paulo", at };
    let rendered = renderer.render_str(
        "t.txt",
        "{{ at | datetime }} | {{ at | date('short') }} | {{ at | time }} | {{ '2026-12-01' | date }}",
        reader.clone(),
    );
    assert_eq!(
        rendered.ok().as_deref(),
        Some(
            "segunda-feira, 23 de novembro de 2026 às 14:30 (UTC-03) | 23/11/2026 | 14:30 | 1 de dezembro de 2026"
        )
    );
    let money = context! { amount => context! { amount_minor => 123_456, currency => "BRL" }, ..reader.clone() };
    assert_eq!(
        renderer
            .render_str("t.txt", "{{ amount | money }}", money)
            .ok()
            .as_deref(),
        Some("R$ 1.234,56")
    );
    for (source, ctx) in [
        ("{{ at | datetime }}", context! { at }),
        ("{{ at | datetime('tiny') }}", reader.clone()),
        ("{{ 'soon' | datetime }}", reader.clone()),
        ("{{ 'x' | money }}", reader),
    ] {
        let result = renderer.render_str("t.txt", source, ctx);
        assert!(result.is_err(), "{source}: {result:?}");
    }
}

#[test]
fn a_channel_outside_the_spec_is_refused() {
    let result = Renderer::new().render(
        &sample(NotificationKind::OtpCode),
        ChannelKind::Email,
        Locale::En,
        Tz::UTC,
        &RenderContext::default(),
    );
    assert!(matches!(
        result,
        Err(RenderError::ChannelNotInSpec {
            kind: NotificationKind::OtpCode,
            channel: ChannelKind::Email
        })
    ));
}

#[test]
fn a_missing_template_is_named() {
    let err = RenderError::from_minijinja(
        "en/x/email.txt",
        minijinja::Error::new(ErrorKind::TemplateNotFound, "gone"),
    );
    assert!(matches!(err, RenderError::MissingTemplate(name) if name == "en/x/email.txt"));
}

#[test]
fn profile_zones_fall_back_to_utc() {
    assert_eq!(
        time_zone_for(Some("America/Sao_Paulo")),
        chrono_tz::America::Sao_Paulo
    );
    assert_eq!(time_zone_for(Some("Mars/Olympus")), Tz::UTC);
    assert_eq!(time_zone_for(None), Tz::UTC);
}

#[test]
fn every_embedded_template_compiles() {
    let env = environment();
    for (name, _) in templates() {
        if let Err(e) = env.get_template(name) {
            panic!("{name}: {e:?}");
        }
    }
}

#[test]
fn raw_templates_can_use_the_shared_macros() {
    let rendered = Renderer::new().render_str(
        "t.html",
        "{% import 'ui.html' as ui %}{{ ui.link('https://a.example/?a=1&b=2') }}",
        context! {},
    );
    assert_eq!(
        rendered.ok().as_deref(),
        Some(
            "<a href=\"https://a.example/?a=1&amp;b=2\" style=\"color:#2f6f4f;word-break:break-all;\">https://a.example/?a=1&amp;b=2</a>"
        )
    );
}
