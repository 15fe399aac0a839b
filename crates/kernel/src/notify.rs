//! Telling people things: the contract between the domains that have
//! something to say and messaging, which says it.
//!
//! A domain never sends an email, a text or a push itself. It records a
//! [`REQUESTED`] event through [`request`] on the transaction of its change,
//! carrying a [`NotificationRequest`]: who to tell ([`Recipient`]) and a
//! typed [`Notice`] (one variant per [`NotificationKind`], with that kind's
//! parameters). Messaging consumes the event: it picks the channels the
//! kind allows and the recipient accepts, renders each from its templates in
//! the recipient's locale and time zone, and delivers them durably.
//!
//! The parameters are facts (a time in UTC, an amount in minor units), never
//! words: formatting for a locale and a zone is messaging's job.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Enum;
use sea_orm::{ConnectionTrait, DbErr, EnumIter};
use serde::{Deserialize, Serialize};

use crate::{
    clock::SharedClock,
    contact::{Email, Phone},
    id::{EventId, UserId},
    outbox::{self, NewEvent},
    types::Currency,
};

/// The outbox event kind of every notification request.
pub const REQUESTED: &str = "notification.requested";

/// What the product tells people about, one per template set.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Enum, EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A new account.
    Welcome,
    /// The link that proves an email address.
    EmailVerification,
    /// The link that sets a new password.
    PasswordReset,
    /// A one-time sign-in code.
    OtpCode,
    /// An appointment is booked and confirmed.
    BookingConfirmed,
    /// An appointment is booked and waits for the professional's confirmation.
    BookingPending,
    /// An appointment was cancelled.
    BookingCancelled,
    /// An appointment moved.
    BookingRescheduled,
    /// An appointment is in about a day.
    #[serde(rename = "reminder_24h")]
    #[oai(rename = "reminder_24h")]
    Reminder24h,
    /// How was it? (after a completed appointment)
    ReviewRequest,
    /// A chat message arrived while the member was away.
    NewMessage,
    /// A subscription payment went through.
    PaymentSucceeded,
    /// A subscription payment failed.
    PaymentFailed,
    /// A subscription began.
    SubscriptionStarted,
    /// A subscription was cancelled.
    SubscriptionCancelled,
    /// An invoice was sent to a client.
    InvoiceSent,
    /// An invoice is past its due date.
    InvoiceOverdue,
    /// A stored credential is due for rotation.
    CredentialRotationDue,
    /// Staff: yesterday's failed deliveries, summarised.
    DeliveryFailuresAlert,
}

impl NotificationKind {
    /// The stored and wire name (`reminder_24h`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
            Self::OtpCode => "otp_code",
            Self::BookingConfirmed => "booking_confirmed",
            Self::BookingPending => "booking_pending",
            Self::BookingCancelled => "booking_cancelled",
            Self::BookingRescheduled => "booking_rescheduled",
            Self::Reminder24h => "reminder_24h",
            Self::ReviewRequest => "review_request",
            Self::NewMessage => "new_message",
            Self::PaymentSucceeded => "payment_succeeded",
            Self::PaymentFailed => "payment_failed",
            Self::SubscriptionStarted => "subscription_started",
            Self::SubscriptionCancelled => "subscription_cancelled",
            Self::InvoiceSent => "invoice_sent",
            Self::InvoiceOverdue => "invoice_overdue",
            Self::CredentialRotationDue => "credential_rotation_due",
            Self::DeliveryFailuresAlert => "delivery_failures_alert",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        use sea_orm::Iterable;
        Self::iter().find(|k| k.as_str() == name)
    }
}

/// How a notification reaches someone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Enum, EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Email (SMTP through lettre).
    Email,
    /// WhatsApp Cloud API template messages.
    Whatsapp,
    /// Text messages.
    Sms,
    /// Mobile push (FCM).
    Push,
}

impl ChannelKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Whatsapp => "whatsapp",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }

    /// The channel named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        use sea_orm::Iterable;
        Self::iter().find(|k| k.as_str() == name)
    }
}

/// Who to tell, and how to word it for them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Recipient {
    /// The account, when the recipient has one: preferences and push devices
    /// are per account. A booking's client usually has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Display name.
    pub name: String,
    /// Email, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// Phone (E.164), if known: SMS and WhatsApp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    /// Preferred locale (BCP 47, `pt-BR`); messaging falls back to `en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// IANA time zone for the times in the message; UTC when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// An amount of money: integer minor units and a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: Currency,
}

/// A signed one-time link (verification, reset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkParams {
    /// The link; a secret until used.
    pub link: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelcomeParams {
    /// Where to sign in.
    pub sign_in_link: String,
}

/// A one-time code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpParams {
    /// The code; a secret.
    pub code: String,
    /// How long it is valid.
    pub valid_minutes: u32,
}

/// An appointment, as its client hears about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentParams {
    /// The professional's display name.
    pub professional_name: String,
    /// The service booked.
    pub service_name: String,
    /// When it starts.
    pub start_at: DateTime<Utc>,
    /// How long it lasts.
    pub duration_minutes: u32,
    /// The earlier start, for a move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_start_at: Option<DateTime<Utc>>,
}

/// Asking a client for a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequestParams {
    /// The professional's display name.
    pub professional_name: String,
    /// The service received.
    pub service_name: String,
    /// Where to leave the review.
    pub review_link: String,
}

/// A chat message for someone who was away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessageParams {
    /// Who wrote it.
    pub sender_name: String,
    /// The room's name (a direct room: the sender's name).
    pub room_name: String,
    /// The start of the text.
    pub preview: String,
    /// Where to read it.
    pub link: String,
}

/// A subscription payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentParams {
    /// The plan.
    pub plan_name: String,
    /// The amount charged or attempted.
    pub amount: Money,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Where to see or fix billing.
    pub billing_link: String,
}

/// A subscription's start or end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionParams {
    /// The plan.
    pub plan_name: String,
    /// The recurring price.
    pub amount: Money,
    /// The next renewal (started) or the end of access (cancelled).
    pub until: DateTime<Utc>,
    /// Where to manage billing.
    pub billing_link: String,
}

/// An invoice to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceParams {
    /// Who issued it.
    pub issuer_name: String,
    /// The invoice number.
    pub number: String,
    /// The amount due.
    pub amount: Money,
    /// When it is due.
    pub due_on: NaiveDate,
    /// Where to see and pay it.
    pub link: String,
}

/// A credential due for rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRotationParams {
    /// The credential's label.
    pub credential_name: String,
    /// Whose it is.
    pub client_name: String,
    /// When rotation is due.
    pub due_on: NaiveDate,
    /// Where to rotate it.
    pub link: String,
    /// How many other credentials of the organization are due too.
    #[serde(default)]
    pub more: u32,
}

/// One line of a failure summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureCount {
    /// The channel.
    pub channel: ChannelKind,
    /// The error, shortened.
    pub error: String,
    /// How many deliveries failed with it.
    pub count: u64,
}

/// Staff: deliveries that failed in the last day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailuresParams {
    /// The day summarised.
    pub day: NaiveDate,
    /// Deliveries re-queued for another try.
    pub requeued: u64,
    /// Deliveries given up on.
    pub dead: u64,
    /// Counts by channel and error, largest first.
    pub failures: Vec<FailureCount>,
}

/// What to say: one variant per [`NotificationKind`], with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "params", rename_all = "snake_case")]
pub enum Notice {
    /// See [`NotificationKind::Welcome`].
    Welcome(WelcomeParams),
    /// See [`NotificationKind::EmailVerification`].
    EmailVerification(LinkParams),
    /// See [`NotificationKind::PasswordReset`].
    PasswordReset(LinkParams),
    /// See [`NotificationKind::OtpCode`].
    OtpCode(OtpParams),
    /// See [`NotificationKind::BookingConfirmed`].
    BookingConfirmed(AppointmentParams),
    /// See [`NotificationKind::BookingPending`].
    BookingPending(AppointmentParams),
    /// See [`NotificationKind::BookingCancelled`].
    BookingCancelled(AppointmentParams),
    /// See [`NotificationKind::BookingRescheduled`].
    BookingRescheduled(AppointmentParams),
    /// See [`NotificationKind::Reminder24h`].
    #[serde(rename = "reminder_24h")]
    Reminder24h(AppointmentParams),
    /// See [`NotificationKind::ReviewRequest`].
    ReviewRequest(ReviewRequestParams),
    /// See [`NotificationKind::NewMessage`].
    NewMessage(NewMessageParams),
    /// See [`NotificationKind::PaymentSucceeded`].
    PaymentSucceeded(PaymentParams),
    /// See [`NotificationKind::PaymentFailed`].
    PaymentFailed(PaymentParams),
    /// See [`NotificationKind::SubscriptionStarted`].
    SubscriptionStarted(SubscriptionParams),
    /// See [`NotificationKind::SubscriptionCancelled`].
    SubscriptionCancelled(SubscriptionParams),
    /// See [`NotificationKind::InvoiceSent`].
    InvoiceSent(InvoiceParams),
    /// See [`NotificationKind::InvoiceOverdue`].
    InvoiceOverdue(InvoiceParams),
    /// See [`NotificationKind::CredentialRotationDue`].
    CredentialRotationDue(CredentialRotationParams),
    /// See [`NotificationKind::DeliveryFailuresAlert`].
    DeliveryFailuresAlert(DeliveryFailuresParams),
}

impl Notice {
    /// Its kind.
    pub fn kind(&self) -> NotificationKind {
        use NotificationKind as K;
        match self {
            Self::Welcome(_) => K::Welcome,
            Self::EmailVerification(_) => K::EmailVerification,
            Self::PasswordReset(_) => K::PasswordReset,
            Self::OtpCode(_) => K::OtpCode,
            Self::BookingConfirmed(_) => K::BookingConfirmed,
            Self::BookingPending(_) => K::BookingPending,
            Self::BookingCancelled(_) => K::BookingCancelled,
            Self::BookingRescheduled(_) => K::BookingRescheduled,
            Self::Reminder24h(_) => K::Reminder24h,
            Self::ReviewRequest(_) => K::ReviewRequest,
            Self::NewMessage(_) => K::NewMessage,
            Self::PaymentSucceeded(_) => K::PaymentSucceeded,
            Self::PaymentFailed(_) => K::PaymentFailed,
            Self::SubscriptionStarted(_) => K::SubscriptionStarted,
            Self::SubscriptionCancelled(_) => K::SubscriptionCancelled,
            Self::InvoiceSent(_) => K::InvoiceSent,
            Self::InvoiceOverdue(_) => K::InvoiceOverdue,
            Self::CredentialRotationDue(_) => K::CredentialRotationDue,
            Self::DeliveryFailuresAlert(_) => K::DeliveryFailuresAlert,
        }
    }

    /// True if it carries a secret (a one-time link or code): the request
    /// and the rendered messages are erased once delivered.
    pub fn is_secret(&self) -> bool {
        matches!(
            self,
            Self::EmailVerification(_) | Self::PasswordReset(_) | Self::OtpCode(_)
        )
    }

    /// The parameters as JSON, for templates.
    pub fn params(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut tagged)) => {
                tagged.remove("params").unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }
}

/// A notification to deliver: the payload of a [`REQUESTED`] event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRequest {
    /// Who to tell.
    pub recipient: Recipient,
    /// What to tell them.
    #[serde(flatten)]
    pub notice: Notice,
    /// Channels not to use even where the kind and the recipient allow
    /// them: the sender's decision, such as a plan that does not include
    /// WhatsApp reminders. Absent in older events: none.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub withheld: BTreeSet<ChannelKind>,
}

impl NotificationRequest {
    /// Tell `recipient` about `notice`, by any channel the kind uses.
    pub fn new(recipient: Recipient, notice: Notice) -> Self {
        Self {
            recipient,
            notice,
            withheld: BTreeSet::new(),
        }
    }

    /// The same request, never by `channel`.
    #[must_use]
    pub fn withholding(mut self, channel: ChannelKind) -> Self {
        self.withheld.insert(channel);
        self
    }

    /// Records this request on `db`: pass the transaction of the change it
    /// tells about, so both commit or neither does. `about` is the
    /// aggregate (an appointment id, a user id) operators can find it by.
    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        clock: &SharedClock,
        about: impl std::fmt::Display,
    ) -> Result<EventId, DbErr> {
        let mut event = NewEvent::new(REQUESTED, about, self)?;
        if self.notice.is_secret() {
            event = event.sensitive();
        }
        outbox::record(db, clock, event).await
    }
}

/// Records a request to tell `recipient` about `notice`, by any channel
/// (see [`NotificationRequest::record`]).
pub async fn request(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    about: impl std::fmt::Display,
    recipient: Recipient,
    notice: Notice,
) -> Result<EventId, DbErr> {
    NotificationRequest::new(recipient, notice)
        .record(db, clock, about)
        .await
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn kinds_and_channels_round_trip_by_name() {
        assert_eq!(NotificationKind::iter().count(), 19);
        for kind in NotificationKind::iter() {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::from(kind.as_str()))
            );
        }
        for channel in ChannelKind::iter() {
            assert_eq!(ChannelKind::parse(channel.as_str()), Some(channel));
        }
        crate::testing::assert_same_json(&NotificationKind::iter().collect::<Vec<_>>());
        crate::testing::assert_same_json(&ChannelKind::iter().collect::<Vec<_>>());
    }

    #[test]
    fn a_request_carries_its_kind_beside_the_recipient() {
        let request = NotificationRequest::new(
            Recipient {
                name: "Ana".into(),
                ..Recipient::default()
            },
            Notice::OtpCode(OtpParams {
                code: "123456".into(),
                valid_minutes: 10,
            }),
        );
        let json = serde_json::to_value(&request).unwrap_or_default();
        assert_eq!(json["kind"], "otp_code");
        assert!(
            json.get("withheld").is_none(),
            "nothing withheld, nothing said"
        );
        assert_eq!(json["params"]["code"], "123456");
        assert_eq!(json["recipient"]["name"], "Ana");
        let back: NotificationRequest =
            serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, request);
        assert_eq!(back.notice.kind(), NotificationKind::OtpCode);
        assert!(back.notice.is_secret());
        assert_eq!(back.notice.params()["valid_minutes"], 10);
        let reminder = serde_json::to_value(Notice::Reminder24h(AppointmentParams {
            professional_name: "P".into(),
            service_name: "S".into(),
            start_at: DateTime::<Utc>::UNIX_EPOCH,
            duration_minutes: 30,
            previous_start_at: None,
        }))
        .unwrap_or_default();
        assert_eq!(reminder["kind"], NotificationKind::Reminder24h.as_str());
    }

    #[test]
    fn withheld_channels_travel_with_the_request_and_default_to_none() {
        let request = NotificationRequest::new(
            Recipient::default(),
            Notice::OtpCode(OtpParams {
                code: "1".into(),
                valid_minutes: 1,
            }),
        )
        .withholding(ChannelKind::Whatsapp)
        .withholding(ChannelKind::Whatsapp);
        let json = serde_json::to_value(&request).unwrap_or_default();
        assert_eq!(json["withheld"], serde_json::json!(["whatsapp"]));
        let back: NotificationRequest =
            serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, request);
        // An event recorded before the field existed still reads.
        let mut older = json;
        older.as_object_mut().map(|o| o.remove("withheld"));
        let older: NotificationRequest =
            serde_json::from_value(older).unwrap_or_else(|e| panic!("{e}"));
        assert!(older.withheld.is_empty());
    }
}
