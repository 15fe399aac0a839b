//! The assistant, under `/api/v1/assistant`: a professional asks about
//! their day in words (`chat`), and reads or deletes their stored
//! conversations and monthly token usage.
//!
//! `ProfessionalCaller` resolves the caller's profile before any handler
//! runs; the assistant's tools then act only as that professional, so these
//! handlers hold no access checks. Every route answers 503
//! `assistant.not_configured` while no language model is configured.

pub mod chat;
pub mod conversations;

/// Assistant operations on the public listener.
pub type Public = (chat::ChatApi, conversations::ConversationsApi);

/// The assistant has nothing on the internal listener.
pub type Internal = ();
