//! The outbox tables: `outbox_events` and `outbox_deliveries`.

/// `outbox_events`: one row per recorded domain event.
pub mod event {
    use sea_orm::entity::prelude::*;

    use crate::id::EventId;

    /// An event and its delivery state.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_events")]
    pub struct Model {
        /// The id (time-ordered).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: EventId,
        /// What happened, such as `appointment.booked`.
        pub kind: String,
        /// The thing it happened to (an appointment id, a user id...).
        pub aggregate_id: String,
        /// The event's data, JSON text.
        pub payload: String,
        /// Payload holds a secret (a sign-in link): erased once settled.
        pub sensitive: bool,
        /// `pending`, `processing`, `delivered` or `dead`.
        pub status: String,
        /// Claims so far (each claim is one delivery attempt).
        pub attempts: i32,
        /// When it happened.
        pub occurred_at: DateTimeUtc,
        /// Not to be delivered before (backoff after a failure).
        pub available_at: DateTimeUtc,
        /// The dispatcher holding the claim.
        pub claimed_by: Option<String>,
        /// When an unfinished claim expires (a crashed dispatcher's events return).
        pub claimed_until: Option<DateTimeUtc>,
        /// The last failure, for operators.
        pub last_error: Option<String>,
        /// When every subscriber had it.
        pub delivered_at: Option<DateTimeUtc>,
    }

    /// No navigable relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `outbox_deliveries`: which subscriber already handled which event, so a
/// retry after a partial failure never repeats a delivery that succeeded.
pub mod delivery {
    use sea_orm::entity::prelude::*;

    use crate::id::EventId;

    /// One subscriber's successful handling of one event.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_deliveries")]
    pub struct Model {
        /// The event.
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: EventId,
        /// The subscriber's stable name.
        #[sea_orm(primary_key, auto_increment = false)]
        pub subscriber: String,
        /// When it succeeded.
        pub delivered_at: DateTimeUtc,
    }

    /// No navigable relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
