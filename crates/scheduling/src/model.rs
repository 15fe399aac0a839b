//! Commands and views of the scheduling API.
//!
//! An optional field of a view is omitted when it has no value, never sent
//! as `null`: every view is marked `#[oai(skip_serializing_if_is_none)]`
//! (the rule of every domain; see `trellis_identity::model`).

use chrono::{DateTime, Utc};
use poem_openapi::{Object, types::MaybeUndefined};
use trellis_kernel::Timestamp;
use trellis_kernel::id::OrgId;
use validator::Validate;

mod professional;

pub use professional::Professional;

use crate::{
    ids::{AppointmentId, ClientId, NoteId, ProfessionalId, ServiceId, TimeOffId},
    status::AppointmentStatus,
};

/// Create the caller's professional profile.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateProfessional {
    /// Public handle: 3 to 64 of a-z, 0-9 and `-`; some words are reserved.
    pub slug: String,
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// IANA time zone of the working hours, such as `Europe/Lisbon`.
    pub time_zone: String,
    /// About.
    #[validate(length(max = 5000))]
    pub bio: Option<String>,
    /// The organization it belongs to; omitted, a personal one is created.
    pub org_id: Option<OrgId>,
}

/// Change the caller's profile; absent fields stay.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateProfessional {
    /// Display name.
    pub name: Option<String>,
    /// About (`null` clears).
    pub bio: MaybeUndefined<String>,
    /// IANA time zone.
    pub time_zone: Option<String>,
}

/// A professional, as its owner sees it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProfessionalView {
    /// The id.
    pub id: ProfessionalId,
    /// Public handle.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// About.
    pub bio: Option<String>,
    /// IANA time zone.
    pub time_zone: String,
    /// The organization.
    pub org_id: OrgId,
    /// Created.
    pub created_at: Timestamp,
}

/// A professional, as anyone sees it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PublicProfessional {
    /// Public handle.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// About.
    pub bio: Option<String>,
    /// IANA time zone.
    pub time_zone: String,
    /// Services open for booking.
    pub services: Vec<ServiceView>,
    /// Average review rating (1 to 5), absent without reviews.
    pub rating_average: Option<f64>,
    /// Number of reviews.
    pub rating_count: u64,
    /// Number of followers.
    pub follower_count: u64,
}

/// Offer a service.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateService {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// Length, 5 minutes to 24 hours.
    #[validate(range(min = 5, max = 1440))]
    pub duration_minutes: i32,
    /// Price in minor units (cents).
    #[validate(range(min = 0))]
    pub price_minor: i64,
    /// ISO 4217 code, such as `EUR`.
    pub currency: String,
    /// Kept free before each appointment (default 0).
    #[validate(range(min = 0, max = 240))]
    pub buffer_before_minutes: Option<i32>,
    /// Kept free after each appointment (default 0).
    #[validate(range(min = 0, max = 240))]
    pub buffer_after_minutes: Option<i32>,
    /// Earliest booking, from now (default 60).
    #[validate(range(min = 0, max = 43200))]
    pub min_notice_minutes: Option<i32>,
    /// Latest booking, from now (default 60 days).
    #[validate(range(min = 1, max = 730))]
    pub max_advance_days: Option<i32>,
    /// Step between offered start times (default: the duration).
    #[validate(range(min = 5, max = 1440))]
    pub slot_increment_minutes: Option<i32>,
    /// Bookings wait for confirmation (default false).
    pub requires_confirmation: Option<bool>,
    /// Clients may cancel until this long before (default 24 h).
    #[validate(range(min = 0, max = 43200))]
    pub cancellation_notice_minutes: Option<i32>,
}

/// Change a service; absent fields stay.
#[derive(Debug, Clone, Default, Object, Validate)]
pub struct UpdateService {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// Length.
    #[validate(range(min = 5, max = 1440))]
    pub duration_minutes: Option<i32>,
    /// Price in minor units.
    #[validate(range(min = 0))]
    pub price_minor: Option<i64>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// Buffer before.
    #[validate(range(min = 0, max = 240))]
    pub buffer_before_minutes: Option<i32>,
    /// Buffer after.
    #[validate(range(min = 0, max = 240))]
    pub buffer_after_minutes: Option<i32>,
    /// Minimum notice.
    #[validate(range(min = 0, max = 43200))]
    pub min_notice_minutes: Option<i32>,
    /// Maximum advance.
    #[validate(range(min = 1, max = 730))]
    pub max_advance_days: Option<i32>,
    /// Slot increment.
    #[validate(range(min = 5, max = 1440))]
    pub slot_increment_minutes: Option<i32>,
    /// Needs confirmation.
    pub requires_confirmation: Option<bool>,
    /// Cancellation notice.
    #[validate(range(min = 0, max = 43200))]
    pub cancellation_notice_minutes: Option<i32>,
    /// Open for booking.
    pub active: Option<bool>,
}

/// A service.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ServiceView {
    /// The id.
    pub id: ServiceId,
    /// Name.
    pub name: String,
    /// Length.
    pub duration_minutes: i32,
    /// Price in minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Buffer before.
    pub buffer_before_minutes: i32,
    /// Buffer after.
    pub buffer_after_minutes: i32,
    /// Minimum notice.
    pub min_notice_minutes: i32,
    /// Maximum advance.
    pub max_advance_days: i32,
    /// Slot increment.
    pub slot_increment_minutes: i32,
    /// Needs confirmation.
    pub requires_confirmation: bool,
    /// Cancellation notice.
    pub cancellation_notice_minutes: i32,
    /// Open for booking.
    pub active: bool,
}

/// One weekly working interval, in the professional's zone.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AvailabilityRule {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end, `HH:MM` (`24:00` for midnight).
    pub end: String,
}

/// The weekly working hours, replaced as a whole.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Availability {
    /// The intervals; several per weekday allowed, none overlapping.
    pub rules: Vec<AvailabilityRule>,
    /// The zone they are in (the professional's; read-only).
    #[oai(read_only)]
    pub time_zone: Option<String>,
}

/// Block a period.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateTimeOff {
    /// Starts.
    pub start_at: DateTime<Utc>,
    /// Ends (after the start, at most a year later).
    pub end_at: DateTime<Utc>,
    /// Why.
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

/// A period off.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TimeOffView {
    /// The id.
    pub id: TimeOffId,
    /// Starts.
    pub start_at: Timestamp,
    /// Ends.
    pub end_at: Timestamp,
    /// Why.
    pub reason: Option<String>,
}

/// A free start time.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SlotView {
    /// Starts (UTC).
    pub start_at: Timestamp,
    /// Ends (UTC).
    pub end_at: Timestamp,
    /// Start in the requested zone, `YYYY-MM-DDTHH:MM±HH:MM`.
    pub local_start: String,
}

/// Free start times.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Slots {
    /// The zone of `local_start` and of the `from`/`to` dates.
    pub time_zone: String,
    /// In order.
    pub slots: Vec<SlotView>,
}

/// Who is booking.
#[derive(Debug, Clone, Object, Validate)]
pub struct BookingClient {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// International phone; phone or email is required.
    pub phone: Option<String>,
    /// Email; phone or email is required.
    pub email: Option<String>,
}

/// A public booking.
#[derive(Debug, Clone, Object, Validate)]
pub struct BookingCommand {
    /// The service.
    pub service_id: ServiceId,
    /// A start time from the slots list.
    pub start_at: DateTime<Utc>,
    /// The client.
    #[validate(nested)]
    pub client: BookingClient,
    /// Notes for the professional.
    #[validate(length(max = 2000))]
    pub notes: Option<String>,
}

/// An appointment the professional creates.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateAppointment {
    /// The service.
    pub service_id: ServiceId,
    /// One of the professional's clients.
    pub client_id: ClientId,
    /// Starts.
    pub start_at: DateTime<Utc>,
    /// Notes.
    #[validate(length(max = 2000))]
    pub notes: Option<String>,
}

/// Change an appointment's status.
#[derive(Debug, Clone, Object, Validate)]
pub struct StatusCommand {
    /// `confirmed`, `completed`, `cancelled` or `no_show`.
    pub status: AppointmentStatus,
    /// Why (for cancellations).
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

/// Move an appointment.
#[derive(Debug, Clone, Object)]
pub struct RescheduleCommand {
    /// The new start.
    pub start_at: DateTime<Utc>,
}

/// Cancel one's own appointment.
#[derive(Debug, Clone, Default, Object, Validate)]
pub struct CancelCommand {
    /// Why.
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

/// An appointment.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AppointmentView {
    /// The id.
    pub id: AppointmentId,
    /// Where it stands.
    pub status: AppointmentStatus,
    /// Starts.
    pub start_at: Timestamp,
    /// Ends.
    pub end_at: Timestamp,
    /// The service.
    pub service_id: ServiceId,
    /// The client.
    pub client_id: ClientId,
    /// Price when booked, in minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Client's notes.
    pub notes: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// The appointment this one replaced.
    pub rescheduled_from: Option<AppointmentId>,
    /// Booked.
    pub created_at: Timestamp,
}

/// Add a client.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateClient {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// International phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
}

/// Change a client; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateClient {
    /// Name.
    pub name: Option<String>,
    /// International phone.
    pub phone: MaybeUndefined<String>,
    /// Email.
    pub email: MaybeUndefined<String>,
}

/// A client.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClientView {
    /// The id.
    pub id: ClientId,
    /// Name.
    pub name: String,
    /// E.164 phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Added.
    pub created_at: Timestamp,
}

/// Write a note.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateNote {
    /// Text.
    #[validate(length(min = 1, max = 10000))]
    pub body: String,
}

/// A note.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NoteView {
    /// The id.
    pub id: NoteId,
    /// Text.
    pub body: String,
    /// Written.
    pub created_at: Timestamp,
}

/// A professional the caller follows.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FollowView {
    /// Public handle.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Since.
    pub followed_at: Timestamp,
}

/// Review a completed appointment.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateReview {
    /// The completed appointment being reviewed (one review each).
    pub appointment_id: AppointmentId,
    /// 1 to 5.
    #[validate(range(min = 1, max = 5))]
    pub rating: i16,
    /// Words.
    #[validate(length(max = 5000))]
    pub text: Option<String>,
}

/// A review.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewView {
    /// The id.
    pub id: uuid::Uuid,
    /// 1 to 5.
    pub rating: i16,
    /// Words.
    pub text: Option<String>,
    /// Written.
    pub created_at: Timestamp,
}

/// How revenue is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum RevenueGroup {
    /// By local day.
    Day,
    /// By ISO week (Monday first).
    Week,
    /// By calendar month.
    Month,
}

/// Revenue of one period in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RevenuePeriod {
    /// The period's first local day, `YYYY-MM-DD`.
    pub period: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Completed appointments.
    pub appointments: i64,
    /// Their prices summed, in minor units.
    pub total_minor: i64,
}

/// Revenue from completed appointments.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RevenueReport {
    /// The zone whose days are counted.
    pub time_zone: String,
    /// The grouping.
    pub group: RevenueGroup,
    /// Periods with revenue, in order.
    pub periods: Vec<RevenuePeriod>,
}

/// Repeat an appointment weekly or every N weeks.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateRecurringSchedule {
    /// One of the professional's clients.
    pub client_id: ClientId,
    /// The service.
    pub service_id: ServiceId,
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    #[validate(range(min = 1, max = 7))]
    pub weekday: u8,
    /// Local start, `HH:MM`, in the professional's zone.
    pub time: String,
    /// 1 = weekly (default), 2 = every other week, up to 12.
    #[validate(range(min = 1, max = 12))]
    pub interval_weeks: Option<u32>,
    /// First possible date.
    pub starts_on: chrono::NaiveDate,
    /// Last possible date (or use `count`).
    pub until: Option<chrono::NaiveDate>,
    /// How many occurrences in all, up to 520.
    #[validate(range(min = 1, max = 520))]
    pub count: Option<u32>,
}

/// A recurring schedule.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringView {
    /// The id.
    pub id: crate::ids::RecurringId,
    /// The client.
    pub client_id: ClientId,
    /// The service.
    pub service_id: ServiceId,
    /// ISO weekday.
    pub weekday: u8,
    /// Local start, `HH:MM`.
    pub time: String,
    /// Weeks between occurrences.
    pub interval_weeks: u32,
    /// First possible date.
    pub starts_on: chrono::NaiveDate,
    /// Last possible date.
    pub until: Option<chrono::NaiveDate>,
    /// Occurrences in all.
    pub count: Option<u32>,
    /// Created.
    pub created_at: Timestamp,
}

/// An occurrence that could not be booked.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringConflict {
    /// When it would have started.
    pub start_at: Timestamp,
    /// The stable code of the reason (`appointment.slot_taken`).
    pub code: String,
}

/// What materializing created and skipped.
#[derive(Debug, Clone, Default, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Materialized {
    /// Appointments created.
    pub created: Vec<AppointmentView>,
    /// Occurrences skipped, with why.
    pub conflicts: Vec<RecurringConflict>,
}

/// A new recurring schedule and its first appointments.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringCreated {
    /// The schedule.
    pub schedule: RecurringView,
    /// Appointments created up to the horizon, and conflicts skipped.
    pub materialized: Materialized,
}
