//! A professional's desk: what an assistant may read and do for the
//! professional who is asking, and nothing more.
//!
//! The assistant crate calls these as its tools; scheduling answers them
//! (the gateway wires the adapter). Every method takes the signed-in
//! caller, never a professional id: the professional is the caller's own,
//! so no argument a language model chooses can reach another
//! professional's data. Answers are JSON because that is what the model
//! reads; each method's doc names its shape.

use chrono::NaiveDate;
use serde_json::Value;
use uuid::Uuid;

use crate::{contact::Phone, id::UserId};

/// Why a desk call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// The domain refused (no such appointment, a transition the state
    /// machine forbids, a bad period): the model is told the code and
    /// message and may try again or explain.
    #[error("{code}: {message}")]
    Refused {
        /// The problem code the REST route would answer (`appointment.not_found`).
        code: String,
        /// Words for the model.
        message: String,
    },
    /// The database could not be reached; the cause is logged, not shown.
    #[error("temporarily unavailable")]
    Unavailable,
}

/// The four things an assistant may do at a professional's desk.
#[async_trait::async_trait]
pub trait ProfessionalDesk: Send + Sync {
    /// Today's appointments in the professional's time zone, by start:
    /// `{date, time_zone, appointments: [{id, start_at, end_at, status,
    /// service, client, client_phone?, price_minor, currency}]}`.
    async fn appointments_today(&self, caller: UserId) -> Result<Value, DeskError>;

    /// The professional's client with this phone:
    /// `{found: false}` or `{found: true, client: {id, name, phone, email?}}`.
    async fn client_by_phone(&self, caller: UserId, phone: &Phone) -> Result<Value, DeskError>;

    /// Revenue of the professional's completed appointments between two
    /// local dates, inclusive, as scheduling's revenue report (by month).
    async fn revenue(
        &self,
        caller: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Value, DeskError>;

    /// Moves one of the professional's appointments to `status` through
    /// the same state machine and rules as the REST route; answers the
    /// appointment as it now is.
    async fn set_appointment_status(
        &self,
        caller: UserId,
        appointment: Uuid,
        status: &str,
        reason: Option<&str>,
    ) -> Result<Value, DeskError>;
}
