//! `POST /api/v1/assistant/chat`: one turn of a conversation, answered as
//! JSON or, for a client that accepts `text/event-stream`, streamed.

use std::time::Duration;

use futures_util::{StreamExt, stream};
use poem::{
    IntoResponse, Request, Response,
    http::{HeaderMap, header},
    web::{Data, sse::Event},
};
use poem_openapi::{
    ApiResponse, Object, OpenApi, Union,
    payload::{EventStream, Json, Payload},
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::{ToJSON, Type},
};
use tokio::sync::mpsc;
use trellis_assistant::{
    model::{ChatReply, ChatRequest, ToolRun, TurnEvent},
    service::Progress,
    settings::MAX_TOOL_ROUNDS,
};

use crate::api::{ApiTags, json::JsonResponse};
use crate::{
    auth::ProfessionalCaller,
    error::{ApiError, Problem, Problems, status::*},
    state::AppState,
};

/// How often an idle stream sends a comment, so that proxies keep it open
/// while the model thinks or a tool runs.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Chatting with the assistant.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatApi;

#[OpenApi(prefix_path = "/api/v1/assistant", tag = "ApiTags::Assistant")]
impl ChatApi {
    /// One turn: send a `message` (a new conversation without
    /// `conversation_id`), or decide on the change the assistant proposed
    /// (`confirm`). The assistant may look up today's appointments, a
    /// client by phone and revenue at once; changing an appointment's
    /// status comes back as `pending_action` and happens only when the next
    /// turn confirms it. 409 `assistant.nothing_to_confirm` for a decision
    /// with nothing pending, `assistant.conversation_changed` when another
    /// turn of the same conversation finished first; 503
    /// `assistant.not_configured` without a language model,
    /// `assistant.unavailable` (with `Retry-After`) when it fails or times
    /// out.
    ///
    /// With `Accept: text/event-stream` the answer is streamed as
    /// Server-Sent Events, each named by its `event` field: `text` (a piece
    /// of the assistant's words, as written), `tool` (a tool call ran, was
    /// refused or declined, or awaits confirmation), then exactly one of
    /// `done` (the whole answer, as the JSON response would be; the turn is
    /// stored) or `error` (a problem document: the model failed, or another
    /// turn of the conversation finished first; nothing is stored). A bad
    /// request is still refused with a plain problem response before any
    /// event.
    #[oai(path = "/chat", method = "post", operation_id = "assistant_chat")]
    async fn chat(
        &self,
        request: &Request,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<ChatRequest>,
    ) -> Result<
        ChatAnswer,
        Problems<
            {
                RATE_LIMITED
                    | PROFESSIONAL
                    | JSON_BODY
                    | UNPROCESSABLE
                    | NOT_FOUND
                    | CONFLICT
                    | UNAVAILABLE
            },
        >,
    > {
        let rounds = state.settings.get(&MAX_TOOL_ROUNDS).await;
        let chat = &state.assistant.chat;
        let open = chat.begin(&state.db, pro.caller.user_id, body.0).await?;
        if !wants_event_stream(request.headers()) {
            let reply = chat
                .finish(&state.db, open, rounds, Progress::default())
                .await?;
            return Ok(ChatAnswer::Json(reply));
        }
        // The turn runs on its own task: a client that hangs up stops
        // reading, not the turn, which finishes and is stored (its usage
        // counted, the conversation whole). Nothing here must survive a
        // crash: a lost turn is one the client never saw completed.
        let (listener, events) = mpsc::unbounded_channel();
        let (chat, db) = (chat.clone(), state.db.clone());
        let turn =
            tokio::spawn(
                async move { chat.finish(&db, open, rounds, Progress::to(listener)).await },
            );
        let progress = stream::unfold(events, |mut events| async move {
            events
                .recv()
                .await
                .map(|event| (ChatStreamEvent::from(event), events))
        });
        let outcome = stream::once(async move {
            match turn.await {
                Ok(Ok(reply)) => ChatStreamEvent::Done(reply),
                Ok(Err(err)) => ChatStreamEvent::Error(ApiError::from(err).to_problem()),
                Err(join) => ChatStreamEvent::Error(ApiError::internal(join).to_problem()),
            }
        });
        Ok(ChatAnswer::Stream(progress.chain(outcome).boxed()))
    }
}

/// Whether the client asked for Server-Sent Events. Any `Accept` that
/// names `text/event-stream` does (with a `q` above zero); everything else,
/// no `Accept` at all included, gets JSON.
fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let is_sse = parts
                .next()
                .is_some_and(|media| media.eq_ignore_ascii_case("text/event-stream"));
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            is_sse && !refused
        })
}

/// A piece of the assistant's words.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct ChatText {
    /// The next characters of the answer; join them in order.
    pub text: String,
}

/// One Server-Sent Event of a streamed turn; its `event` field is also the
/// SSE event name.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "event", one_of)]
pub enum ChatStreamEvent {
    /// A piece of the assistant's words.
    #[oai(mapping = "text")]
    Text(ChatText),
    /// A tool call's outcome.
    #[oai(mapping = "tool")]
    Tool(ToolRun),
    /// The whole answer, the turn stored: the last event.
    #[oai(mapping = "done")]
    Done(ChatReply),
    /// The turn failed and nothing was stored: the last event.
    #[oai(mapping = "error")]
    Error(Problem),
}

impl ChatStreamEvent {
    /// The SSE event name: the same as the `event` field.
    fn name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Tool(_) => "tool",
            Self::Done(_) => "done",
            Self::Error(_) => "error",
        }
    }
}

impl From<TurnEvent> for ChatStreamEvent {
    fn from(event: TurnEvent) -> Self {
        match event {
            TurnEvent::Text(text) => Self::Text(ChatText { text }),
            TurnEvent::Tool(run) => Self::Tool(run),
        }
    }
}

type ChatEvents = futures_util::stream::BoxStream<'static, ChatStreamEvent>;

/// The answer to a turn: one 200 response documented with both media types,
/// so generated clients see the JSON reply and the event stream alike.
pub enum ChatAnswer {
    /// `application/json`: the whole answer at once.
    Json(ChatReply),
    /// `text/event-stream`: the answer as it happens.
    Stream(ChatEvents),
}

impl IntoResponse for ChatAnswer {
    fn into_response(self) -> Response {
        match self {
            Self::Json(reply) => JsonResponse(reply).into_response(),
            Self::Stream(events) => EventStream::new(events)
                .keep_alive(KEEP_ALIVE)
                .to_event(|event| Event::message(event.to_json_string()).event_type(event.name()))
                .into_response(),
        }
    }
}

impl ApiResponse for ChatAnswer {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The assistant's answer, whole (JSON) or streamed \
                              (`Accept: text/event-stream`).",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: JsonResponse::<ChatReply>::CONTENT_TYPE,
                        schema: ChatReply::schema_ref(),
                    },
                    MetaMediaType {
                        content_type: EventStream::<ChatEvents>::CONTENT_TYPE,
                        schema: EventStream::<ChatEvents>::schema_ref(),
                    },
                ],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        ChatReply::register(registry);
        ChatStreamEvent::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::HeaderValue;

    fn accepting(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn only_a_client_that_names_event_streams_gets_one() {
        assert!(wants_event_stream(&accepting("text/event-stream")));
        assert!(wants_event_stream(&accepting(
            "application/json;q=0.5, Text/Event-Stream"
        )));
        assert!(!wants_event_stream(&accepting("text/event-stream;q=0")));
        assert!(!wants_event_stream(&accepting("application/json")));
        assert!(!wants_event_stream(&accepting("*/*")));
        assert!(!wants_event_stream(&HeaderMap::new()));
    }
}
