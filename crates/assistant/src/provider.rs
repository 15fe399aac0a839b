//! The language model: any OpenAI-compatible chat-completions API with tool
//! calling, through `async-openai` pointed at a configurable base URL
//! (OpenAI, Groq, a local llama.cpp or Ollama server; a wiremock server in
//! tests).

use std::time::Duration;

use async_openai::{
    Client,
    config::OpenAIConfig,
    error::OpenAIError,
    types::chat::{
        ChatCompletionRequestMessage, ChatCompletionResponseMessage,
        ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionRequest,
        ToolChoiceOptions,
    },
};
use secrecy::{ExposeSecret, SecretString};

use crate::{error::Error, model::TokenUsage};

/// Where the model is and which one to use.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The API base, up to and including `/v1`
    /// (`https://api.groq.com/openai/v1`, `http://localhost:11434/v1`).
    pub base_url: String,
    /// The bearer key; local servers often need none.
    pub api_key: Option<SecretString>,
    /// The model id (`gpt-4o-mini`, `llama-3.3-70b-versatile`).
    pub model: String,
    /// How long one model call may take before it counts as unavailable.
    pub timeout: Duration,
}

/// A configured chat-completions client.
#[derive(Clone)]
pub struct Provider {
    client: Client<OpenAIConfig>,
    model: String,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// One model answer: its message and what it cost.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The assistant's message: text, tool calls, or both.
    pub message: ChatCompletionResponseMessage,
    /// Tokens used (zero when the server does not say).
    pub usage: TokenUsage,
}

/// Whether the model may call tools in this round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolUse {
    /// It chooses.
    Allowed,
    /// It must answer in words (the last round).
    Forbidden,
}

impl Provider {
    /// A client for `config`. Fails only if the HTTP client cannot be built.
    pub fn new(config: ProviderConfig) -> Result<Self, reqwest::Error> {
        // HTTPS runs on rustls with ring, the one provider every TLS user in
        // the process shares; a provider installed already is the goal too.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // No redirects: one would carry the key elsewhere.
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        // An explicit key, even empty: never the process's OPENAI_API_KEY.
        let key = config
            .api_key
            .as_ref()
            .map(|k| k.expose_secret().to_owned())
            .unwrap_or_default();
        let openai = OpenAIConfig::new()
            .with_api_base(config.base_url.trim_end_matches('/'))
            .with_api_key(key);
        Ok(Self {
            client: Client::with_config(openai).with_http_client(http),
            model: config.model,
        })
    }

    /// The model id answers are asked of.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Asks the model to continue `messages`, offering `tools`.
    pub async fn complete(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
        tools: Vec<ChatCompletionTools>,
        tool_use: ToolUse,
    ) -> Result<Completion, Error> {
        let choice = match tool_use {
            ToolUse::Allowed => ToolChoiceOptions::Auto,
            ToolUse::Forbidden => ToolChoiceOptions::None,
        };
        let request = CreateChatCompletionRequest {
            model: self.model.clone(),
            messages,
            tools: Some(tools),
            tool_choice: Some(ChatCompletionToolChoiceOption::Mode(choice)),
            parallel_tool_calls: Some(false),
            ..CreateChatCompletionRequest::default()
        };
        let response = self
            .client
            .chat()
            .create(request)
            .await
            .map_err(unavailable)?;
        let usage = response
            .usage
            .map(|u| TokenUsage {
                prompt_tokens: u64::from(u.prompt_tokens),
                completion_tokens: u64::from(u.completion_tokens),
                total_tokens: u64::from(u.total_tokens),
            })
            .unwrap_or_default();
        let message = response
            .choices
            .into_iter()
            .next()
            .map(|choice| choice.message)
            .ok_or_else(|| {
                tracing::warn!(model = %self.model, "the model answered no choice");
                Error::ProviderUnavailable
            })?;
        Ok(Completion { message, usage })
    }
}

/// Logs why the provider failed (never the conversation) and answers 503.
fn unavailable(err: OpenAIError) -> Error {
    match &err {
        OpenAIError::ApiError(api) => tracing::warn!(
            status = api.status_code.as_u16(),
            code = api.api_error.code.as_deref().unwrap_or(""),
            "the model provider refused the request"
        ),
        OpenAIError::Reqwest(e) if e.is_timeout() => {
            tracing::warn!("the model provider timed out")
        }
        // The body may hold the model's words: only the parse error.
        OpenAIError::JSONDeserialize(e, _) => {
            tracing::warn!(error = %e, "the model provider's answer was unreadable")
        }
        other => tracing::warn!(error = %other, "the model provider failed"),
    }
    Error::ProviderUnavailable
}
