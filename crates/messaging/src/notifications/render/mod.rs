//! Rendering a notice for one channel, in the reader's locale and zone.
//!
//! Templates are files under the crate's `templates/`, embedded at build
//! time (`build.rs`), one directory per locale and kind:
//! `templates/<locale>/<kind>/` holds `email_subject.txt`, `email.txt` and
//! `email.html` (email), `whatsapp.txt` (one body parameter per non-empty
//! line), `sms.txt`, and `push_title.txt` with `push_body.txt`, for the
//! channels the kind's [`KindSpec`](super::catalogue::KindSpec) lists.
//! `templates/<locale>/layout.{txt,html}` frame every email and
//! `templates/ui.html` holds the HTML macros.
//!
//! Every template sees `name` (the recipient's), `params` (the notice's
//! parameters), `unsubscribe_link` (marketing kinds only, else none),
//! `locale` and `time_zone`; emails also see their rendered `subject`.
//! Undefined is strict: a template naming a parameter its notice lacks
//! fails to render (and the test rendering every kind in every locale
//! fails). `.html` templates escape what they print; the others do not.

pub mod format;
pub mod gsm;

mod filters;

use std::str::FromStr;

use chrono_tz::Tz;
use minijinja::{
    AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior, Value, context,
    syntax::SyntaxConfig, value::Serde,
};
use trellis_kernel::notify::{ChannelKind, Notice, NotificationKind};

use super::{
    Locale, Rendered,
    catalogue::spec,
    message::{EmailMessage, PushMessage, WhatsappMessage},
};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// Every embedded template: its name (the path under `templates/`) and
/// source. Public for tests that check the set is complete.
pub fn templates() -> &'static [(&'static str, &'static str)] {
    embedded::TEMPLATES
}

/// The file names a channel's templates have in a kind's directory.
pub fn template_files(channel: ChannelKind) -> &'static [&'static str] {
    match channel {
        ChannelKind::Email => &["email_subject.txt", "email.txt", "email.html"],
        ChannelKind::Whatsapp => &["whatsapp.txt"],
        ChannelKind::Sms => &["sms.txt"],
        ChannelKind::Push => &["push_title.txt", "push_body.txt"],
    }
}

/// What a notice is rendered for besides its parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderContext<'a> {
    /// The recipient's display name (greetings).
    pub recipient_name: &'a str,
    /// The link that unsubscribes the recipient from this kind of email;
    /// shown only for marketing kinds.
    pub unsubscribe_link: Option<&'a str>,
}

/// Why a notice could not be rendered. Each is a defect in the templates
/// or the caller, never in the recipient's data: worth an alert, not a retry.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The kind is not sent on that channel.
    #[error("{} is not sent by {}", kind.as_str(), channel.as_str())]
    ChannelNotInSpec {
        /// The notice's kind.
        kind: NotificationKind,
        /// The channel asked for.
        channel: ChannelKind,
    },
    /// No template by that name is embedded.
    #[error("template {0} is missing")]
    MissingTemplate(String),
    /// The template names something the context does not have.
    #[error("template {template} uses an undefined value: {source}")]
    Undefined {
        /// The template's name.
        template: String,
        /// minijinja's account, with the line.
        #[source]
        source: minijinja::Error,
    },
    /// Any other template failure (syntax, a filter given a bad value).
    #[error("template {template} failed: {source}")]
    Template {
        /// The template's name.
        template: String,
        /// minijinja's account, with the line.
        #[source]
        source: minijinja::Error,
    },
}

impl RenderError {
    fn from_minijinja(template: &str, source: minijinja::Error) -> Self {
        let template = template.to_owned();
        match source.kind() {
            ErrorKind::TemplateNotFound => Self::MissingTemplate(
                source
                    .name()
                    .map(str::to_owned)
                    .filter(|name| name != &template)
                    .unwrap_or(template),
            ),
            ErrorKind::UndefinedError => Self::Undefined { template, source },
            _ => Self::Template { template, source },
        }
    }
}

/// Renders notices from the embedded templates. Build one and share it:
/// templates compile on first use and are kept.
pub struct Renderer {
    env: Environment<'static>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("templates", &embedded::TEMPLATES.len())
            .finish()
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// A renderer over the embedded templates.
    pub fn new() -> Self {
        Self { env: environment() }
    }

    /// Renders `notice` for `channel` in `locale`, its times in `zone`.
    pub fn render(
        &self,
        notice: &Notice,
        channel: ChannelKind,
        locale: Locale,
        zone: Tz,
        cx: &RenderContext<'_>,
    ) -> Result<Rendered, RenderError> {
        let kind = notice.kind();
        let spec = spec(kind);
        if !spec.channels.contains(&channel) {
            return Err(RenderError::ChannelNotInSpec { kind, channel });
        }
        let unsubscribe_link = if spec.marketing {
            cx.unsubscribe_link
        } else {
            None
        };
        let ctx = context! {
            name => cx.recipient_name,
            params => Value::from(Serde(notice.params())),
            unsubscribe_link,
            locale => locale.tag(),
            time_zone => zone.name(),
        };
        let dir = format!("{}/{}", locale.tag(), kind.as_str());
        let render = |file: &str, ctx: &Value| self.render_file(&format!("{dir}/{file}"), ctx);
        Ok(match channel {
            ChannelKind::Email => {
                let subject = one_line(&render("email_subject.txt", &ctx)?);
                let ctx = context! { subject => &subject, ..ctx };
                Rendered::Email(EmailMessage {
                    text: block(&render("email.txt", &ctx)?),
                    html: block(&render("email.html", &ctx)?),
                    subject,
                    // The consumer adds it: it is about delivery, not words.
                    list_unsubscribe: None,
                })
            }
            ChannelKind::Whatsapp => Rendered::Whatsapp(WhatsappMessage {
                template: format!("trellis_{}", kind.as_str()),
                language: locale.whatsapp_code().to_owned(),
                params: render("whatsapp.txt", &ctx)?
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }),
            ChannelKind::Sms => Rendered::Sms(gsm::sms(one_line(&render("sms.txt", &ctx)?))),
            ChannelKind::Push => Rendered::Push(PushMessage {
                title: one_line(&render("push_title.txt", &ctx)?),
                body: one_line(&render("push_body.txt", &ctx)?),
            }),
        })
    }

    /// Renders a template given as a string with the same settings,
    /// filters and embedded templates (`name` decides escaping: `.html`
    /// escapes). For tests of the settings themselves.
    pub fn render_str(&self, name: &str, source: &str, ctx: Value) -> Result<String, RenderError> {
        let mut env = environment();
        env.add_template_owned(name.to_owned(), source.to_owned())
            .map_err(|e| RenderError::from_minijinja(name, e))?;
        env.get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| RenderError::from_minijinja(name, e))
    }

    fn render_file(&self, name: &str, ctx: &Value) -> Result<String, RenderError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| RenderError::from_minijinja(name, e))
    }
}

/// The environment: strict, trimmed, escaping `.html`, with our filters
/// and the embedded templates. Shared by [`Renderer::new`] and
/// [`Renderer::render_str`].
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Block tags take their line with them, so text templates read as text.
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_formatter(escape);
    filters::register(&mut env);
    // Compiled on first use, then kept by the environment.
    env.set_loader(|name| {
        Ok(embedded::TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, source)| (*source).to_owned()))
    });
    env
}

/// minijinja's formatter, except that HTML escaping leaves `/` alone:
/// escaping it (`&#x2f;`) guards nothing in text or quoted attributes and
/// makes every link in an email's source unreadable.
fn escape(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(text)) if !value.is_safe() => {
            let mut escaped = String::with_capacity(text.len());
            for c in text.chars() {
                match c {
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '&' => escaped.push_str("&amp;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#x27;"),
                    c => escaped.push(c),
                }
            }
            out.write_str(&escaped).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// One line: surrounding whitespace trimmed, inner runs (a template's line
/// breaks) made single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A multi-line body: surrounding blank lines trimmed, one final newline.
fn block(text: &str) -> String {
    let mut out = text.trim().to_owned();
    out.push('\n');
    out
}

/// The zone named by a recipient's profile (IANA, `America/Sao_Paulo`);
/// UTC when it names none we know.
pub fn time_zone_for(name: Option<&str>) -> Tz {
    name.and_then(|n| Tz::from_str(n.trim()).ok())
        .unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests;
