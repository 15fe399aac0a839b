//! The assistant's services: a chat turn, stored conversations, usage.

mod chat;
mod conversations;
mod usage;

use std::sync::Arc;

use trellis_kernel::{SharedClock, ports::ProfessionalDesk};

pub use chat::{ChatService, DEFAULT_MAX_TOOL_ROUNDS, OpenTurn, Progress};
pub use conversations::ConversationService;
pub use usage::UsageService;

use crate::provider::Provider;

/// What every assistant service needs.
#[derive(Clone)]
pub struct AssistantDeps {
    /// Now.
    pub clock: SharedClock,
    /// The tools' way into the professional's data.
    pub desk: Arc<dyn ProfessionalDesk>,
    /// The language model; `None` when none is configured (503).
    pub provider: Option<Provider>,
}

impl AssistantDeps {
    /// The language model, or 503 `assistant.not_configured`.
    pub(crate) fn ready(&self) -> crate::Result<&Provider> {
        self.provider.as_ref().ok_or(crate::Error::NotConfigured)
    }
}

impl std::fmt::Debug for AssistantDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssistantDeps")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// The assistant's services.
#[derive(Debug, Clone)]
pub struct Assistant {
    /// Chat turns.
    pub chat: ChatService,
    /// Stored conversations.
    pub conversations: ConversationService,
    /// Tokens used.
    pub usage: UsageService,
}

impl Assistant {
    /// The services over `deps`.
    pub fn new(deps: AssistantDeps) -> Self {
        let deps = Arc::new(deps);
        Self {
            chat: ChatService::new(deps.clone()),
            conversations: ConversationService::new(deps.clone()),
            usage: UsageService::new(deps.clone()),
        }
    }

    /// Whether a language model is configured.
    pub fn is_configured(&self) -> bool {
        self.chat.is_configured()
    }
}
