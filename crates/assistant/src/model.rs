//! What callers send the assistant and what it answers.

use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use trellis_kernel::Timestamp;
use uuid::Uuid;
use validator::Validate;

use crate::ids::ConversationId;

/// The longest message a professional may send, in characters.
pub const MAX_MESSAGE_CHARS: u64 = 4000;

/// One turn: something the professional says, or their decision on the
/// change the assistant proposed.
#[derive(Debug, Clone, PartialEq, Eq, Object, Deserialize, Validate)]
pub struct ChatRequest {
    /// The conversation to continue; without one a new conversation starts.
    pub conversation_id: Option<ConversationId>,
    /// What the professional says (up to 4,000 characters). Sent while a
    /// change awaits confirmation, it declines that change.
    #[validate(length(min = 1, max = "MAX_MESSAGE_CHARS"))]
    pub message: Option<String>,
    /// `true` makes the change the assistant proposed (`pending_action`),
    /// `false` declines it. Give either this or `message`.
    pub confirm: Option<bool>,
}

/// The assistant's answer to one turn.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ChatReply {
    /// The conversation (new or continued).
    pub conversation_id: ConversationId,
    /// The assistant's words; absent when it only proposes a change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// A change the assistant wants to make: nothing happens until the next
    /// turn confirms it (`confirm: true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_action: Option<PendingAction>,
    /// The tools run for this answer, in order.
    pub tools: Vec<ToolRun>,
    /// Tokens this answer used.
    pub usage: TokenUsage,
}

/// A change awaiting the professional's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct PendingAction {
    /// The tool (`update_appointment_status`).
    pub tool: String,
    /// The appointment to change.
    pub appointment_id: Uuid,
    /// Its new status.
    pub status: String,
    /// Why (for a cancellation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ToolOutcome {
    /// It ran and answered.
    Ok,
    /// It ran and the domain refused (the model was told why).
    Refused,
    /// It changes something: it waits for confirmation.
    NeedsConfirmation,
    /// The professional declined it.
    Declined,
}

/// One tool call of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct ToolRun {
    /// The tool's name.
    pub tool: String,
    /// How it ended.
    pub outcome: ToolOutcome,
}

/// What a streamed turn reports while it runs; its [`ChatReply`] comes
/// last, once the turn is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnEvent {
    /// A piece of the assistant's words, as the model writes them.
    Text(String),
    /// A tool call has run, been refused or declined, or awaits
    /// confirmation.
    Tool(ToolRun),
}

/// Tokens used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Object, Serialize)]
pub struct TokenUsage {
    /// Read by the model (the conversation, the tools, their results).
    pub prompt_tokens: u64,
    /// Written by the model.
    pub completion_tokens: u64,
    /// Both.
    pub total_tokens: u64,
}

impl std::ops::AddAssign for TokenUsage {
    fn add_assign(&mut self, other: Self) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.total_tokens += other.total_tokens;
    }
}

/// A conversation in a list.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct ConversationView {
    /// The id.
    pub id: ConversationId,
    /// The start of its first message.
    pub title: String,
    /// Started.
    pub created_at: Timestamp,
    /// Last turn.
    pub updated_at: Timestamp,
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The professional.
    User,
    /// The assistant.
    Assistant,
}

/// One message people read (tool calls and results are not shown).
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct AssistantMessageView {
    /// Who said it.
    pub role: Speaker,
    /// What was said.
    pub content: String,
    /// When.
    pub created_at: Timestamp,
}

/// A conversation with its messages.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ConversationDetail {
    /// The conversation.
    #[oai(flatten)]
    #[serde(flatten)]
    pub conversation: ConversationView,
    /// Its messages, oldest first.
    pub messages: Vec<AssistantMessageView>,
    /// A change still awaiting confirmation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_action: Option<PendingAction>,
}

/// Tokens used in one UTC month.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct MonthUsage {
    /// `YYYY-MM`.
    pub month: String,
    /// Answers given.
    pub responses: u64,
    /// Tokens read.
    pub prompt_tokens: u64,
    /// Tokens written.
    pub completion_tokens: u64,
    /// Both.
    pub total_tokens: u64,
}

/// Tokens used, by month, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct UsageView {
    /// One entry per month with any use.
    pub months: Vec<MonthUsage>,
}
