//! Messaging, its notification half: every message the product sends to a
//! person, rendered from templates and delivered durably.
//!
//! - [`catalogue`]: the notification kinds as data (channels, security,
//!   marketing) — what kernel's [`Notice`](trellis_kernel::notify::Notice)
//!   variants may become.
//! - [`render`]: templates (files under `templates/`, embedded at build
//!   time) rendered with minijinja per kind, channel and locale.
//! - [`channels`]: email, WhatsApp, SMS and push behind one [`Channel`] trait.
//! - [`message`]: what a rendered message is, per channel.

pub mod catalogue;
pub mod channels;
pub mod locale;
pub mod message;
pub mod render;

pub use channels::{Channel, Outgoing, SendError, Sent};
pub use locale::Locale;
pub use message::Rendered;
