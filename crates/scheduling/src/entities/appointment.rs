//! `appointments`.

use sea_orm::entity::prelude::*;

use crate::{
    ids::{AppointmentId, ClientId, ProfessionalId, ServiceId},
    status::AppointmentStatus,
};

/// An appointment.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appointments")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AppointmentId,
    /// With whom.
    pub professional_id: ProfessionalId,
    /// What.
    pub service_id: ServiceId,
    /// For whom.
    pub client_id: ClientId,
    /// Starts.
    pub start_at: DateTimeUtc,
    /// Ends.
    pub end_at: DateTimeUtc,
    /// Start of the time held, buffer before included.
    pub block_start: DateTimeUtc,
    /// End of the time held, buffer after included.
    pub block_end: DateTimeUtc,
    /// Where it stands.
    pub status: AppointmentStatus,
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
    /// The recurring schedule that created it.
    pub recurring_schedule_id: Option<crate::ids::RecurringId>,
    /// When the reminder went out.
    pub reminder_sent_at: Option<DateTimeUtc>,
    /// The start's date in the professional's zone when booked (revenue by day).
    pub local_date: Option<Date>,
    /// Booked.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The columns in the order `Entity::find()` selects them (declaration
/// order), which [`ByPosition`] decodes by.
#[cfg(test)]
const POSITIONS: [&str; 19] = [
    "id",
    "professional_id",
    "service_id",
    "client_id",
    "start_at",
    "end_at",
    "block_start",
    "block_end",
    "status",
    "price_minor",
    "currency",
    "notes",
    "cancel_reason",
    "rescheduled_from",
    "recurring_schedule_id",
    "reminder_sent_at",
    "local_date",
    "created_at",
    "updated_at",
];

/// A row decoded by column position rather than name, for the hot list
/// (`GET /appointments`): `Entity::find()` selects every column in
/// declaration order, so position `i` is the `i`th field. Decoding by name
/// costs the driver a hash lookup per column and row, which the load
/// profile put at about a sixth of that request's CPU.
#[derive(Debug)]
pub(crate) struct ByPosition(pub(crate) Model);

impl sea_orm::FromQueryResult for ByPosition {
    fn from_query_result(res: &sea_orm::QueryResult, _pre: &str) -> Result<Self, DbErr> {
        Ok(Self(Model {
            id: res.try_get_by_index(0)?,
            professional_id: res.try_get_by_index(1)?,
            service_id: res.try_get_by_index(2)?,
            client_id: res.try_get_by_index(3)?,
            start_at: res.try_get_by_index(4)?,
            end_at: res.try_get_by_index(5)?,
            block_start: res.try_get_by_index(6)?,
            block_end: res.try_get_by_index(7)?,
            status: res.try_get_by_index(8)?,
            price_minor: res.try_get_by_index(9)?,
            currency: res.try_get_by_index(10)?,
            notes: res.try_get_by_index(11)?,
            cancel_reason: res.try_get_by_index(12)?,
            rescheduled_from: res.try_get_by_index(13)?,
            recurring_schedule_id: res.try_get_by_index(14)?,
            reminder_sent_at: res.try_get_by_index(15)?,
            local_date: res.try_get_by_index(16)?,
            created_at: res.try_get_by_index(17)?,
            updated_at: res.try_get_by_index(18)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn positions_follow_the_selected_columns() {
        let selected: Vec<String> = Column::iter().map(|c| c.as_str().to_string()).collect();
        assert_eq!(selected, POSITIONS, "ByPosition decodes by this order");
    }
}
