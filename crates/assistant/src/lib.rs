//! The assistant: a professional asks about their day in words.
//!
//! - [`provider`]: any OpenAI-compatible chat-completions API with tool
//!   calling (OpenAI, Groq, a local llama.cpp or Ollama server), through
//!   `async-openai` with a configurable base URL.
//! - [`tools`]: the four tools the model may call, their JSON schemas, and
//!   how a call runs: as the calling professional, through kernel's
//!   [`ProfessionalDesk`](trellis_kernel::ports::ProfessionalDesk) port, so
//!   no argument the model picks reaches another professional's data. The
//!   one that changes something (an appointment's status) waits for the
//!   professional's confirmation.
//! - [`service`]: a chat turn (rounds of model calls and tool runs, at most
//!   a set number), stored conversations, and token usage per month.
//!
//! The system prompt and tool results travel as their own messages, never
//! mixed into the professional's text, and prompts and answers are not
//! logged above debug level.

pub(crate) mod entities;
pub mod error;
pub mod ids;
pub mod model;
pub mod provider;
pub mod service;
pub mod settings;
pub mod tools;

pub use error::{Error, Result};
pub use service::{Assistant, AssistantDeps};
