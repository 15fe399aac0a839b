//! The four tools the model may call, and how each call runs.
//!
//! Each runs as the calling professional through kernel's
//! [`ProfessionalDesk`]: the caller is the signed-in account, never an
//! argument, so the model cannot reach another professional's data. Three
//! only read and run at once; `update_appointment_status` changes
//! something and becomes a [`PendingCall`] the professional must confirm.
//! A refusal or a bad argument goes back to the model as a structured
//! error it can explain, never as a failed request.

use async_openai::types::chat::{ChatCompletionTool, ChatCompletionTools, FunctionObject};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trellis_kernel::{
    contact::Phone,
    id::UserId,
    ports::{DeskError, ProfessionalDesk},
};
use uuid::Uuid;

use crate::model::{PendingAction, ToolOutcome};

/// Today's appointments.
pub const APPOINTMENTS_TODAY: &str = "get_appointments_today";
/// A client by phone number.
pub const CUSTOMER_BY_PHONE: &str = "get_customer_by_phone";
/// Revenue for a period.
pub const REVENUE_SUMMARY: &str = "get_revenue_summary";
/// Change an appointment's status (needs confirmation).
pub const UPDATE_APPOINTMENT_STATUS: &str = "update_appointment_status";

/// The statuses the model may ask for.
const STATUSES: &[&str] = &["confirmed", "completed", "cancelled", "no_show"];

/// The tools, as the model is offered them.
pub fn definitions() -> Vec<ChatCompletionTools> {
    let tool = |name: &str, description: &str, parameters: Value| {
        ChatCompletionTools::Function(ChatCompletionTool {
            function: FunctionObject {
                name: name.to_owned(),
                description: Some(description.to_owned()),
                parameters: Some(parameters),
                strict: None,
            },
        })
    };
    vec![
        tool(
            APPOINTMENTS_TODAY,
            "The professional's appointments today, in their time zone: times, status, service and client.",
            json!({"type": "object", "properties": {}, "additionalProperties": false}),
        ),
        tool(
            CUSTOMER_BY_PHONE,
            "Find one of the professional's clients by phone number (international format, e.g. +5511987654321).",
            json!({
                "type": "object",
                "properties": {"phone": {"type": "string", "description": "The phone number"}},
                "required": ["phone"],
                "additionalProperties": false
            }),
        ),
        tool(
            REVENUE_SUMMARY,
            "Revenue of the professional's completed appointments between two dates (inclusive), by month and currency, amounts in minor units.",
            json!({
                "type": "object",
                "properties": {
                    "from": {"type": "string", "format": "date", "description": "First day, YYYY-MM-DD"},
                    "to": {"type": "string", "format": "date", "description": "Last day, YYYY-MM-DD"}
                },
                "required": ["from", "to"],
                "additionalProperties": false
            }),
        ),
        tool(
            UPDATE_APPOINTMENT_STATUS,
            "Change one of the professional's appointments to confirmed, completed, cancelled or no_show. The professional is asked to confirm before it happens.",
            json!({
                "type": "object",
                "properties": {
                    "appointment_id": {"type": "string", "format": "uuid"},
                    "status": {"type": "string", "enum": STATUSES},
                    "reason": {"type": "string", "description": "Why, for a cancellation"}
                },
                "required": ["appointment_id", "status"],
                "additionalProperties": false
            }),
        ),
    ]
}

/// A state-changing call waiting for the professional's confirmation:
/// stored on the conversation between the turn that proposed it and the
/// turn that decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCall {
    /// The model's id for the call, answered when it is decided.
    pub tool_call_id: String,
    /// What it would do.
    pub action: PendingAction,
}

/// What the model asked for, once its arguments are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Read-only: run it now.
    Read(ReadCall),
    /// Changes something: ask first.
    Change(PendingAction),
}

/// A read-only tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadCall {
    /// `get_appointments_today`.
    AppointmentsToday,
    /// `get_customer_by_phone`.
    ClientByPhone(Phone),
    /// `get_revenue_summary`.
    Revenue {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
}

#[derive(Deserialize)]
struct PhoneArgs {
    phone: String,
}

#[derive(Deserialize)]
struct RevenueArgs {
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Deserialize)]
struct StatusArgs {
    appointment_id: Uuid,
    status: String,
    reason: Option<String>,
}

/// Reads a call of `name` with `arguments` (the model's JSON text). An
/// unknown tool or bad arguments is the structured error to answer with.
pub fn parse(name: &str, arguments: &str) -> Result<Call, Value> {
    let args = |text: &str| -> Result<Value, Value> {
        let text = if text.trim().is_empty() { "{}" } else { text };
        serde_json::from_str(text).map_err(|e| refusal("invalid_arguments", &e.to_string()))
    };
    match name {
        APPOINTMENTS_TODAY => Ok(Call::Read(ReadCall::AppointmentsToday)),
        CUSTOMER_BY_PHONE => {
            let a: PhoneArgs = serde_json::from_value(args(arguments)?)
                .map_err(|e| refusal("invalid_arguments", &e.to_string()))?;
            let phone = Phone::parse(&a.phone)
                .map_err(|e| refusal("invalid_arguments", &format!("phone: {e}")))?;
            Ok(Call::Read(ReadCall::ClientByPhone(phone)))
        }
        REVENUE_SUMMARY => {
            let a: RevenueArgs = serde_json::from_value(args(arguments)?)
                .map_err(|e| refusal("invalid_arguments", &e.to_string()))?;
            Ok(Call::Read(ReadCall::Revenue {
                from: a.from,
                to: a.to,
            }))
        }
        UPDATE_APPOINTMENT_STATUS => {
            let a: StatusArgs = serde_json::from_value(args(arguments)?)
                .map_err(|e| refusal("invalid_arguments", &e.to_string()))?;
            if !STATUSES.contains(&a.status.as_str()) {
                return Err(refusal(
                    "invalid_arguments",
                    &format!("status must be one of {}", STATUSES.join(", ")),
                ));
            }
            Ok(Call::Change(PendingAction {
                tool: UPDATE_APPOINTMENT_STATUS.to_owned(),
                appointment_id: a.appointment_id,
                status: a.status,
                reason: a.reason.filter(|r| !r.trim().is_empty()),
            }))
        }
        other => Err(refusal(
            "unknown_tool",
            &format!("there is no tool {other}"),
        )),
    }
}

/// Runs a read-only call as `caller`: the result for the model, and how it
/// ended.
pub async fn run_read(
    desk: &dyn ProfessionalDesk,
    caller: UserId,
    call: &ReadCall,
) -> (Value, ToolOutcome) {
    let answer = match call {
        ReadCall::AppointmentsToday => desk.appointments_today(caller).await,
        ReadCall::ClientByPhone(phone) => desk.client_by_phone(caller, phone).await,
        ReadCall::Revenue { from, to } => desk.revenue(caller, *from, *to).await,
    };
    settle(answer)
}

/// Makes a confirmed change as `caller`.
pub async fn run_change(
    desk: &dyn ProfessionalDesk,
    caller: UserId,
    action: &PendingAction,
) -> (Value, ToolOutcome) {
    let answer = desk
        .set_appointment_status(
            caller,
            action.appointment_id,
            &action.status,
            action.reason.as_deref(),
        )
        .await;
    settle(answer)
}

/// The model's answer for a change the professional declined.
pub fn declined() -> Value {
    refusal(
        "declined",
        "The professional did not confirm this change; nothing was changed.",
    )
}

/// The model's answer for a second change proposed in the same turn.
pub fn one_change_at_a_time() -> Value {
    refusal(
        "one_change_at_a_time",
        "Only one change can await confirmation; propose this one after it is decided.",
    )
}

fn settle(answer: Result<Value, DeskError>) -> (Value, ToolOutcome) {
    match answer {
        Ok(value) => (value, ToolOutcome::Ok),
        Err(DeskError::Refused { code, message }) => {
            (refusal(&code, &message), ToolOutcome::Refused)
        }
        Err(DeskError::Unavailable) => (
            refusal(
                "unavailable",
                "The data is temporarily unavailable; try again later.",
            ),
            ToolOutcome::Refused,
        ),
    }
}

/// A structured error for the model.
fn refusal(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_tools_none_of_which_takes_a_professional() {
        let defs = definitions();
        assert_eq!(defs.len(), 4);
        for def in &defs {
            let ChatCompletionTools::Function(tool) = def else {
                panic!("a function tool")
            };
            let params = tool.function.parameters.clone().unwrap_or_default();
            let text = params.to_string();
            assert!(!text.contains("professional_id"), "{text}");
            assert_eq!(params["additionalProperties"], false);
        }
    }

    #[test]
    fn arguments_are_read_or_refused_with_a_reason() {
        assert_eq!(
            parse(APPOINTMENTS_TODAY, ""),
            Ok(Call::Read(ReadCall::AppointmentsToday))
        );
        assert!(matches!(
            parse(CUSTOMER_BY_PHONE, r#"{"phone": "+55 11 98765-4321"}"#),
            Ok(Call::Read(ReadCall::ClientByPhone(_)))
        ));
        let bad_phone = parse(CUSTOMER_BY_PHONE, r#"{"phone": "call me"}"#);
        assert_eq!(
            bad_phone.err().map(|e| e["error"]["code"].clone()),
            Some(json!("invalid_arguments"))
        );
        let change = parse(
            UPDATE_APPOINTMENT_STATUS,
            r#"{"appointment_id": "0193a7c6-0000-7000-8000-000000000001", "status": "cancelled", "reason": "ill"}"#,
        );
        assert!(matches!(change, Ok(Call::Change(ref a)) if a.status == "cancelled"));
        let wrong_status = parse(
            UPDATE_APPOINTMENT_STATUS,
            r#"{"appointment_id": "0193a7c6-0000-7000-8000-000000000001", "status": "deleted"}"#,
        );
        assert!(wrong_status.is_err());
        assert_eq!(
            parse("drop_tables", "{}")
                .err()
                .map(|e| e["error"]["code"].clone()),
            Some(json!("unknown_tool"))
        );
        assert!(parse(REVENUE_SUMMARY, "{not json").is_err());
    }
}
