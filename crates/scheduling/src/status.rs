//! The appointment state machine.
//!
//! ```text
//! pending ──► confirmed ──► completed
//!    │            │ └─────► no_show
//!    └──► cancelled ◄┘
//! pending | confirmed ──(reschedule)──► rescheduled
//! ```
//! Anything else is a conflict (409).

use poem_openapi::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

/// Where an appointment stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AppointmentStatus {
    /// Booked, waiting for the professional to confirm.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Will happen.
    #[sea_orm(string_value = "confirmed")]
    Confirmed,
    /// Happened.
    #[sea_orm(string_value = "completed")]
    Completed,
    /// Called off (with a reason).
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// The client did not come.
    #[sea_orm(string_value = "no_show")]
    NoShow,
    /// Moved: a new appointment replaces it.
    #[sea_orm(string_value = "rescheduled")]
    Rescheduled,
}

impl AppointmentStatus {
    /// Statuses that hold their time slot.
    pub const ACTIVE: [AppointmentStatus; 2] = [Self::Pending, Self::Confirmed];

    /// True while the appointment holds its slot.
    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// Whether a professional may move an appointment from `self` to `to`.
    pub fn can_become(self, to: AppointmentStatus) -> bool {
        use AppointmentStatus::*;
        matches!(
            (self, to),
            (Pending, Confirmed)
                | (Confirmed, Completed)
                | (Confirmed, NoShow)
                | (Pending | Confirmed, Cancelled)
        )
    }

    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
            Self::Rescheduled => "rescheduled",
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::AppointmentStatus::{self, *};

    #[test]
    fn only_the_drawn_transitions_are_allowed() {
        let allowed: Vec<(AppointmentStatus, AppointmentStatus)> = AppointmentStatus::iter()
            .flat_map(|from| AppointmentStatus::iter().map(move |to| (from, to)))
            .filter(|(from, to)| from.can_become(*to))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Pending, Confirmed),
                (Pending, Cancelled),
                (Confirmed, Completed),
                (Confirmed, Cancelled),
                (Confirmed, NoShow)
            ]
        );
    }

    #[test]
    fn only_pending_and_confirmed_hold_a_slot() {
        let active: Vec<_> = AppointmentStatus::iter()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(active, vec![Pending, Confirmed]);
    }
}
