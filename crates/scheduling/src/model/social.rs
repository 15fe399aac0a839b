//! Follows and reviews.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::Timestamp;
use validator::Validate;

use crate::ids::AppointmentId;

/// A professional the caller follows.
#[derive(Debug, Clone, Object, Serialize)]
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
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewView {
    /// The id.
    pub id: uuid::Uuid,
    /// 1 to 5.
    pub rating: i16,
    /// Words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Written.
    pub created_at: Timestamp,
}
