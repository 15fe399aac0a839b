//! The catalog: services a professional offers.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::types::Currency;
use validator::Validate;

use crate::ids::ServiceId;

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
    pub currency: Currency,
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
    pub currency: Option<Currency>,
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
#[derive(Debug, Clone, Object, Serialize)]
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
