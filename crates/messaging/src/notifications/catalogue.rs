//! The notification kinds as data: which channels each may use, whether the
//! recipient may opt out of it, and whether its emails are marketing.
//!
//! A kind's parameters are its [`Notice`] variant (typed in the kernel, the
//! contract with the domains); [`sample`] gives realistic ones for every
//! kind, so tests here and elsewhere can render or send any of them.

use chrono::{DateTime, NaiveDate, Utc};
use trellis_kernel::{
    notify::{
        AppointmentParams, ChannelKind, CredentialRotationParams, DeliveryFailuresParams,
        FailureCount, InvoiceParams, LinkParams, Money, NewMessageParams, Notice, NotificationKind,
        OtpParams, PaymentParams, ReviewRequestParams, SubscriptionParams, WelcomeParams,
    },
    types::Currency,
};

/// What the product does with one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    /// The kind.
    pub kind: NotificationKind,
    /// The channels it may be sent on, each with templates; the recipient's
    /// preferences and contact details narrow them further.
    pub channels: &'static [ChannelKind],
    /// A security message (a link or code proving who someone is, an alert
    /// to staff): always sent, whatever the recipient's preferences.
    pub security: bool,
    /// Its emails carry an unsubscribe link (and the `List-Unsubscribe`
    /// header), being the kinds a recipient may reasonably not want.
    pub marketing: bool,
}

use ChannelKind::{Email, Push, Sms, Whatsapp};
use NotificationKind as K;

const EMAIL: &[ChannelKind] = &[Email];
const APPOINTMENT: &[ChannelKind] = &[Email, Whatsapp, Push];

/// An ordinary kind: neither security nor marketing.
const fn plain(kind: NotificationKind, channels: &'static [ChannelKind]) -> KindSpec {
    KindSpec {
        kind,
        channels,
        security: false,
        marketing: false,
    }
}

/// A kind nobody may opt out of.
const fn security(kind: NotificationKind, channels: &'static [ChannelKind]) -> KindSpec {
    KindSpec {
        security: true,
        ..plain(kind, channels)
    }
}

/// A kind whose emails offer to unsubscribe.
const fn marketing(kind: NotificationKind, channels: &'static [ChannelKind]) -> KindSpec {
    KindSpec {
        marketing: true,
        ..plain(kind, channels)
    }
}

/// Every kind, in [`NotificationKind`]'s order.
pub static CATALOGUE: &[KindSpec] = &[
    plain(K::Welcome, EMAIL),
    security(K::EmailVerification, EMAIL),
    security(K::PasswordReset, EMAIL),
    security(K::OtpCode, &[Sms]),
    plain(K::BookingConfirmed, APPOINTMENT),
    plain(K::BookingPending, APPOINTMENT),
    plain(K::BookingCancelled, APPOINTMENT),
    plain(K::BookingRescheduled, APPOINTMENT),
    plain(K::Reminder24h, &[Email, Whatsapp, Sms, Push]),
    marketing(K::ReviewRequest, EMAIL),
    marketing(K::NewMessage, &[Email, Push]),
    plain(K::PaymentSucceeded, EMAIL),
    plain(K::PaymentFailed, &[Email, Push]),
    plain(K::SubscriptionStarted, EMAIL),
    plain(K::SubscriptionCancelled, EMAIL),
    plain(K::InvoiceSent, &[Email, Whatsapp]),
    plain(K::InvoiceOverdue, &[Email, Whatsapp]),
    plain(K::CredentialRotationDue, &[Email, Push]),
    security(K::DeliveryFailuresAlert, EMAIL),
];

/// The spec of `kind`.
pub fn spec(kind: NotificationKind) -> &'static KindSpec {
    // CATALOGUE lists every kind in the enum's order (a test holds it so).
    &CATALOGUE[kind as usize]
}

/// Realistic parameters for `kind`: a Brazilian salon's client, amounts in
/// reais, times on Monday 23 November 2026 (14:30 in São Paulo).
pub fn sample(kind: NotificationKind) -> Notice {
    let appointment = |previous: Option<DateTime<Utc>>| AppointmentParams {
        professional_name: "Marina Costa".into(),
        service_name: "Haircut & blow-dry".into(),
        start_at: at(2026, 11, 23, 17, 30),
        duration_minutes: 45,
        previous_start_at: previous,
    };
    let link = |path: &str| LinkParams {
        link: format!("https://app.trellis.example/{path}?token=q8Xz3LmN2v"),
        expires_at: at(2026, 11, 23, 18, 30),
    };
    let payment = || PaymentParams {
        plan_name: "Studio".into(),
        amount: brl(14_900),
        at: at(2026, 11, 23, 12, 5),
        billing_link: "https://app.trellis.example/settings/billing".into(),
    };
    let subscription = || SubscriptionParams {
        plan_name: "Studio".into(),
        amount: brl(14_900),
        until: at(2026, 12, 23, 12, 5),
        billing_link: "https://app.trellis.example/settings/billing".into(),
    };
    let invoice = || InvoiceParams {
        issuer_name: "Clínica Sorriso".into(),
        number: "2026-0142".into(),
        amount: brl(123_456),
        due_on: day(2026, 12, 1),
        link: "https://app.trellis.example/invoices/2026-0142".into(),
    };
    match kind {
        K::Welcome => Notice::Welcome(WelcomeParams {
            sign_in_link: "https://app.trellis.example/sign-in".into(),
        }),
        K::EmailVerification => Notice::EmailVerification(link("verify-email")),
        K::PasswordReset => Notice::PasswordReset(link("reset-password")),
        K::OtpCode => Notice::OtpCode(OtpParams {
            code: "482913".into(),
            valid_minutes: 10,
        }),
        K::BookingConfirmed => Notice::BookingConfirmed(appointment(None)),
        K::BookingPending => Notice::BookingPending(appointment(None)),
        K::BookingCancelled => Notice::BookingCancelled(appointment(None)),
        K::BookingRescheduled => {
            Notice::BookingRescheduled(appointment(Some(at(2026, 11, 20, 13, 0))))
        }
        K::Reminder24h => Notice::Reminder24h(appointment(None)),
        K::ReviewRequest => Notice::ReviewRequest(ReviewRequestParams {
            professional_name: "Marina Costa".into(),
            service_name: "Haircut & blow-dry".into(),
            review_link: "https://app.trellis.example/reviews/new?booking=7f3a".into(),
        }),
        K::NewMessage => Notice::NewMessage(NewMessageParams {
            sender_name: "Lucas Pereira".into(),
            room_name: "Front desk".into(),
            preview: "Could we move Thursday's session to 3 pm? <I'm running late>".into(),
            link: "https://app.trellis.example/chat/rooms/5d1c".into(),
        }),
        K::PaymentSucceeded => Notice::PaymentSucceeded(payment()),
        K::PaymentFailed => Notice::PaymentFailed(payment()),
        K::SubscriptionStarted => Notice::SubscriptionStarted(subscription()),
        K::SubscriptionCancelled => Notice::SubscriptionCancelled(subscription()),
        K::InvoiceSent => Notice::InvoiceSent(invoice()),
        K::InvoiceOverdue => Notice::InvoiceOverdue(invoice()),
        K::CredentialRotationDue => Notice::CredentialRotationDue(CredentialRotationParams {
            credential_name: "Google Ads API key".into(),
            client_name: "Padaria Estrela".into(),
            due_on: day(2026, 12, 15),
            link: "https://app.trellis.example/vault/credentials/91be".into(),
            more: 2,
        }),
        K::DeliveryFailuresAlert => Notice::DeliveryFailuresAlert(DeliveryFailuresParams {
            day: day(2026, 11, 22),
            requeued: 12,
            dead: 3,
            failures: vec![
                FailureCount {
                    channel: Email,
                    error: "550 mailbox unavailable".into(),
                    count: 2,
                },
                FailureCount {
                    channel: Sms,
                    error: "invalid destination number".into(),
                    count: 1,
                },
            ],
        }),
    }
}

/// An amount in Brazilian reais.
fn brl(amount_minor: i64) -> Money {
    Money {
        amount_minor,
        currency: Currency::parse("BRL").unwrap_or_else(|_| unreachable!("BRL is a code")),
    }
}

/// A UTC instant; the samples' dates are all valid.
fn at(year: i32, month: u32, d: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    day(year, month, d)
        .and_hms_opt(hour, minute, 0)
        .unwrap_or_default()
        .and_utc()
}

/// A calendar date; the samples' dates are all valid.
fn day(year: i32, month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, d).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn the_catalogue_lists_every_kind_once_in_order() {
        let listed: Vec<_> = CATALOGUE.iter().map(|s| s.kind).collect();
        let all: Vec<_> = NotificationKind::iter().collect();
        assert_eq!(listed, all);
        for kind in NotificationKind::iter() {
            assert_eq!(spec(kind).kind, kind);
        }
    }

    #[test]
    fn every_kind_has_a_channel_and_a_sample_of_its_kind() {
        for spec in CATALOGUE {
            assert!(!spec.channels.is_empty(), "{:?}", spec.kind);
            assert!(!(spec.security && spec.marketing), "{:?}", spec.kind);
            let mut channels = spec.channels.to_vec();
            channels.dedup();
            assert_eq!(channels.len(), spec.channels.len(), "{:?}", spec.kind);
            assert_eq!(sample(spec.kind).kind(), spec.kind);
        }
    }

    #[test]
    fn security_and_marketing_kinds_are_the_agreed_ones() {
        let security: Vec<_> = CATALOGUE
            .iter()
            .filter(|s| s.security)
            .map(|s| s.kind)
            .collect();
        assert_eq!(
            security,
            [
                K::EmailVerification,
                K::PasswordReset,
                K::OtpCode,
                K::DeliveryFailuresAlert
            ]
        );
        let marketing: Vec<_> = CATALOGUE
            .iter()
            .filter(|s| s.marketing)
            .map(|s| s.kind)
            .collect();
        assert_eq!(marketing, [K::ReviewRequest, K::NewMessage]);
    }
}
