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
        ChatCompletionMessageToolCall, ChatCompletionMessageToolCallChunk,
        ChatCompletionMessageToolCalls, ChatCompletionRequestMessage,
        ChatCompletionResponseMessage, ChatCompletionStreamOptions, ChatCompletionToolChoiceOption,
        ChatCompletionTools, CompletionUsage, CreateChatCompletionRequest, FunctionCall,
        ToolChoiceOptions,
    },
};
use futures_util::StreamExt;
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

    /// Asks the model to continue `messages`, offering `tools`, and waits
    /// for the whole answer.
    pub async fn complete(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
        tools: Vec<ChatCompletionTools>,
        tool_use: ToolUse,
    ) -> Result<Completion, Error> {
        let request = self.request(messages, tools, tool_use);
        let response = self
            .client
            .chat()
            .create(request)
            .await
            .map_err(unavailable)?;
        let usage = response.usage.map(token_usage).unwrap_or_default();
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

    /// As [`complete`](Self::complete), but the answer arrives as it is
    /// written: each piece of text goes to `on_text` at once, and tool calls
    /// (sent in fragments) are put together. Usage is asked for in the
    /// stream's last chunk; a server that does not send it counts zero.
    pub async fn stream(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
        tools: Vec<ChatCompletionTools>,
        tool_use: ToolUse,
        mut on_text: impl FnMut(&str) + Send,
    ) -> Result<Completion, Error> {
        let mut request = self.request(messages, tools, tool_use);
        request.stream_options = Some(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        });
        let mut chunks = self
            .client
            .chat()
            .create_stream(request)
            .await
            .map_err(unavailable)?;
        let mut answer = StreamedAnswer::default();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(unavailable)?;
            if let Some(usage) = chunk.usage {
                answer.usage = token_usage(usage);
            }
            // One choice is asked for (`n` unset); others are ignored.
            let Some(choice) = chunk.choices.into_iter().find(|c| c.index == 0) else {
                continue;
            };
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                on_text(&text);
                answer.content.push_str(&text);
            }
            for fragment in choice.delta.tool_calls.unwrap_or_default() {
                answer.add(fragment);
            }
        }
        Ok(answer.finish())
    }

    /// The request both ways of asking share.
    fn request(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
        tools: Vec<ChatCompletionTools>,
        tool_use: ToolUse,
    ) -> CreateChatCompletionRequest {
        let choice = match tool_use {
            ToolUse::Allowed => ToolChoiceOptions::Auto,
            ToolUse::Forbidden => ToolChoiceOptions::None,
        };
        CreateChatCompletionRequest {
            model: self.model.clone(),
            messages,
            tools: Some(tools),
            tool_choice: Some(ChatCompletionToolChoiceOption::Mode(choice)),
            parallel_tool_calls: Some(false),
            ..CreateChatCompletionRequest::default()
        }
    }
}

/// A streamed answer being put back together.
#[derive(Default)]
struct StreamedAnswer {
    content: String,
    /// Tool calls by their index in the answer: the first fragment of each
    /// carries its id and name, the rest append to its arguments.
    calls: Vec<(u32, ChatCompletionMessageToolCall)>,
    usage: TokenUsage,
}

impl StreamedAnswer {
    fn add(&mut self, fragment: ChatCompletionMessageToolCallChunk) {
        let position = match self.calls.iter().position(|(i, _)| *i == fragment.index) {
            Some(position) => position,
            None => {
                self.calls.push((
                    fragment.index,
                    ChatCompletionMessageToolCall {
                        id: String::new(),
                        function: FunctionCall {
                            name: String::new(),
                            arguments: String::new(),
                        },
                    },
                ));
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[position].1;
        if let Some(id) = fragment.id.filter(|id| !id.is_empty()) {
            call.id = id;
        }
        if let Some(function) = fragment.function {
            if let Some(name) = function.name.filter(|n| !n.is_empty()) {
                call.function.name = name;
            }
            if let Some(arguments) = function.arguments {
                call.function.arguments.push_str(&arguments);
            }
        }
    }

    fn finish(mut self) -> Completion {
        self.calls.sort_by_key(|(index, _)| *index);
        let tool_calls: Vec<_> = self
            .calls
            .into_iter()
            .map(|(_, call)| ChatCompletionMessageToolCalls::Function(call))
            .collect();
        Completion {
            message: ChatCompletionResponseMessage {
                content: Some(self.content).filter(|c| !c.is_empty()),
                tool_calls: Some(tool_calls).filter(|calls| !calls.is_empty()),
                ..ChatCompletionResponseMessage::default()
            },
            usage: self.usage,
        }
    }
}

fn token_usage(usage: CompletionUsage) -> TokenUsage {
    TokenUsage {
        prompt_tokens: u64::from(usage.prompt_tokens),
        completion_tokens: u64::from(usage.completion_tokens),
        total_tokens: u64::from(usage.total_tokens),
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
