//! The notification templates: every kind renders in every locale on every
//! channel of its spec, the template set is complete, and a few renderings
//! are pinned as golden files (`tests/golden/`; `UPDATE_GOLDEN=1` rewrites
//! them after a deliberate change to the copy).

use std::{collections::BTreeSet, path::PathBuf};

use chrono_tz::Tz;
use sea_orm::Iterable;
use trellis_kernel::notify::{ChannelKind, Notice, NotificationKind};
use trellis_messaging::notifications::{
    Locale, Rendered,
    catalogue::{CATALOGUE, sample, spec},
    message::SmsEncoding,
    render::{RenderContext, RenderError, Renderer, template_files, templates, time_zone_for},
};

const SAO_PAULO: Tz = chrono_tz::America::Sao_Paulo;
const UNSUBSCRIBE: &str = "https://app.trellis.example/unsubscribe?t=Zm9v";

fn cx() -> RenderContext<'static> {
    RenderContext {
        recipient_name: "Ana Souza",
        unsubscribe_link: Some(UNSUBSCRIBE),
    }
}

fn render(notice: &Notice, channel: ChannelKind, locale: Locale) -> Rendered {
    Renderer::new()
        .render(notice, channel, locale, SAO_PAULO, &cx())
        .unwrap_or_else(|e| panic!("{:?} {channel:?} {locale:?}: {e}\n{e:?}", notice.kind()))
}

#[test]
fn every_kind_renders_in_every_locale_on_each_of_its_channels() {
    let renderer = Renderer::new();
    for spec in CATALOGUE {
        let notice = sample(spec.kind);
        for locale in Locale::ALL {
            for &channel in spec.channels {
                let what = format!("{} {channel:?} {}", spec.kind.as_str(), locale.tag());
                let rendered = renderer
                    .render(&notice, channel, locale, SAO_PAULO, &cx())
                    .unwrap_or_else(|e| panic!("{what}: {e}\n{e:?}"));
                assert_eq!(rendered.channel(), channel, "{what}");
                check_rendering(&what, spec.kind, locale, &rendered);
            }
        }
    }
}

/// What every rendering must look like, whatever its words.
fn check_rendering(what: &str, kind: NotificationKind, locale: Locale, rendered: &Rendered) {
    let leftovers = |text: &str| text.contains("{{") || text.contains("{%") || text.contains("}}");
    match rendered {
        Rendered::Email(email) => {
            assert!(
                !email.subject.is_empty() && !email.subject.contains('\n'),
                "{what}"
            );
            assert!(email.text.contains("Ana Souza"), "{what}");
            assert!(email.html.starts_with("<!DOCTYPE html>"), "{what}");
            assert!(
                email
                    .html
                    .contains(&format!("<html lang=\"{}\">", locale.tag())),
                "{what}"
            );
            assert!(email.html.trim_end().ends_with("</html>"), "{what}");
            assert!(
                !email.html.contains("http://"),
                "{what}: no external assets"
            );
            for text in [&email.subject, &email.text, &email.html] {
                assert!(!leftovers(text), "{what}: {text}");
            }
            // Only marketing kinds offer to unsubscribe.
            let marketing = spec(kind).marketing;
            assert_eq!(email.text.contains(UNSUBSCRIBE), marketing, "{what}");
            assert_eq!(email.html.contains(UNSUBSCRIBE), marketing, "{what}");
        }
        Rendered::Whatsapp(message) => {
            assert_eq!(
                message.template,
                format!("trellis_{}", kind.as_str()),
                "{what}"
            );
            assert_eq!(message.language, locale.whatsapp_code(), "{what}");
            assert!(!message.params.is_empty(), "{what}");
            for param in &message.params {
                assert!(!param.is_empty() && !param.contains(['\n', '\t']), "{what}");
                assert!(!leftovers(param), "{what}: {param}");
            }
        }
        Rendered::Sms(sms) => {
            assert!(!sms.text.is_empty() && !sms.text.contains('\n'), "{what}");
            assert!(!leftovers(&sms.text), "{what}");
            assert!((1..=3).contains(&sms.segments), "{what}: {}", sms.segments);
        }
        Rendered::Push(push) => {
            assert!(!push.title.is_empty() && !push.body.is_empty(), "{what}");
            assert!(!leftovers(&push.title) && !leftovers(&push.body), "{what}");
        }
    }
}

#[test]
fn the_template_set_is_exactly_what_the_catalogue_needs() {
    let names: BTreeSet<&str> = templates().iter().map(|(name, _)| *name).collect();
    let mut expected = BTreeSet::from(["ui.html".to_owned()]);
    for locale in Locale::ALL {
        expected.insert(format!("{}/layout.html", locale.tag()));
        expected.insert(format!("{}/layout.txt", locale.tag()));
        for spec in CATALOGUE {
            for &channel in spec.channels {
                for file in template_files(channel) {
                    expected.insert(format!("{}/{}/{file}", locale.tag(), spec.kind.as_str()));
                }
            }
        }
    }
    let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    let missing: Vec<_> = expected.difference(&names).collect();
    let stray: Vec<_> = names.difference(&expected).collect();
    assert!(missing.is_empty(), "missing templates: {missing:?}");
    assert!(stray.is_empty(), "templates no channel uses: {stray:?}");
}

#[test]
fn a_kind_without_a_channel_is_refused_not_guessed() {
    for kind in NotificationKind::iter() {
        for channel in ChannelKind::iter().filter(|c| !spec(kind).channels.contains(c)) {
            let result = Renderer::new().render(&sample(kind), channel, Locale::En, Tz::UTC, &cx());
            assert!(
                matches!(result, Err(RenderError::ChannelNotInSpec { .. })),
                "{kind:?} {channel:?}"
            );
        }
    }
}

#[test]
fn parameters_are_escaped_in_html_and_not_in_text() {
    let Rendered::Email(email) = render(
        &sample(NotificationKind::NewMessage),
        ChannelKind::Email,
        Locale::En,
    ) else {
        panic!("an email")
    };
    assert!(
        email.html.contains("&lt;I&#x27;m running late&gt;"),
        "{}",
        email.html
    );
    assert!(!email.html.contains("<I'm"), "{}", email.html);
    assert!(email.text.contains("<I'm running late>"), "{}", email.text);
    let Rendered::Email(email) = render(
        &sample(NotificationKind::BookingConfirmed),
        ChannelKind::Email,
        Locale::En,
    ) else {
        panic!("an email")
    };
    assert!(email.html.contains("Haircut &amp; blow-dry"));
    assert!(email.subject.contains("Haircut & blow-dry"));
}

#[test]
fn portuguese_dates_and_money() {
    let Rendered::Email(email) = render(
        &sample(NotificationKind::InvoiceOverdue),
        ChannelKind::Email,
        Locale::PtBr,
    ) else {
        panic!("an email")
    };
    assert!(email.text.contains("R$ 1.234,56"), "{}", email.text);
    assert!(
        email.text.contains("1 de dezembro de 2026"),
        "{}",
        email.text
    );
    let Rendered::Email(email) = render(
        &sample(NotificationKind::BookingConfirmed),
        ChannelKind::Email,
        Locale::PtBr,
    ) else {
        panic!("an email")
    };
    assert!(
        email
            .text
            .contains("segunda-feira, 23 de novembro de 2026 às 14:30"),
        "{}",
        email.text
    );
}

#[test]
fn an_unknown_profile_locale_reads_english_and_an_unknown_zone_utc() {
    let locale = Locale::for_tag(Some("fr-FR"));
    let zone = time_zone_for(Some("Not/AZone"));
    let rendered = Renderer::new()
        .render(
            &sample(NotificationKind::Reminder24h),
            ChannelKind::Push,
            locale,
            zone,
            &cx(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let Rendered::Push(push) = rendered else {
        panic!("a push")
    };
    assert_eq!(push.title, "Tomorrow: Haircut & blow-dry");
    assert_eq!(push.body, "With Marina Costa at 17:30. See you there!");
}

#[test]
fn texts_report_their_encoding() {
    let Rendered::Sms(otp) = render(
        &sample(NotificationKind::OtpCode),
        ChannelKind::Sms,
        Locale::En,
    ) else {
        panic!("an sms")
    };
    assert_eq!(
        (otp.encoding, otp.segments),
        (SmsEncoding::Gsm7, 1),
        "{}",
        otp.text
    );
    let Rendered::Sms(reminder) = render(
        &sample(NotificationKind::Reminder24h),
        ChannelKind::Sms,
        Locale::PtBr,
    ) else {
        panic!("an sms")
    };
    // "Não" is outside the GSM alphabet.
    assert_eq!(reminder.encoding, SmsEncoding::Ucs2, "{}", reminder.text);
}

#[test]
fn a_rescheduled_booking_without_its_old_time_still_renders() {
    let Notice::BookingRescheduled(mut params) = sample(NotificationKind::BookingRescheduled)
    else {
        panic!("a rescheduled booking")
    };
    params.previous_start_at = None;
    let Rendered::Email(email) = render(
        &Notice::BookingRescheduled(params),
        ChannelKind::Email,
        Locale::PtBr,
    ) else {
        panic!("an email")
    };
    assert!(!email.text.contains("Antes, era"), "{}", email.text);
}

// Golden files: whole renderings, compared byte for byte.

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap_or_else(|| panic!("a parent")))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

fn golden_email(stem: &str, kind: NotificationKind, locale: Locale) {
    let Rendered::Email(email) = render(&sample(kind), ChannelKind::Email, locale) else {
        panic!("an email")
    };
    golden(
        &format!("{stem}.subject.txt"),
        &format!("{}\n", email.subject),
    );
    golden(&format!("{stem}.txt"), &email.text);
    golden(&format!("{stem}.html"), &email.html);
}

fn golden_json(name: &str, rendered: &Rendered) {
    let json = serde_json::to_string_pretty(rendered).unwrap_or_else(|e| panic!("{e}"));
    golden(name, &format!("{json}\n"));
}

#[test]
fn golden_booking_confirmed_email_en() {
    golden_email(
        "booking_confirmed.en.email",
        NotificationKind::BookingConfirmed,
        Locale::En,
    );
}

#[test]
fn golden_new_message_email_en_with_unsubscribe_link() {
    golden_email(
        "new_message.en.email",
        NotificationKind::NewMessage,
        Locale::En,
    );
}

#[test]
fn golden_reminder_sms_pt_br() {
    let kind = NotificationKind::Reminder24h;
    golden_json(
        "reminder_24h.pt-BR.sms.json",
        &render(&sample(kind), ChannelKind::Sms, Locale::PtBr),
    );
}

#[test]
fn golden_invoice_overdue_whatsapp_pt_br() {
    let kind = NotificationKind::InvoiceOverdue;
    golden_json(
        "invoice_overdue.pt-BR.whatsapp.json",
        &render(&sample(kind), ChannelKind::Whatsapp, Locale::PtBr),
    );
}

#[test]
fn golden_delivery_failures_email_pt_br() {
    golden_email(
        "delivery_failures_alert.pt-BR.email",
        NotificationKind::DeliveryFailuresAlert,
        Locale::PtBr,
    );
}
