//! Chat turns against a fake OpenAI-compatible server (wiremock) that
//! scripts the model's answers, with a desk that records what the tools
//! asked for: read tools, confirmation before a change, the round limit,
//! provider failures, conversations and usage. SQLite by default,
//! PostgreSQL when `TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};
use trellis_assistant::{
    Assistant, AssistantDeps, Error,
    model::{ChatRequest, ToolOutcome, ToolRun, TurnEvent},
    provider::{Provider, ProviderConfig},
    service::Progress,
};
use trellis_kernel::{
    PageRequest,
    clock::ManualClock,
    contact::Phone,
    id::UserId,
    ports::{DeskError, ProfessionalDesk},
    testing::{TestDatabase, fresh_connection},
};
use uuid::Uuid;
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{body_string_contains, header, method, path},
};

const APPOINTMENT: &str = "0193a7c6-0000-7000-8000-0000000000aa";

/// A desk that answers from a script and records who asked what.
#[derive(Default)]
struct Desk {
    asked: Mutex<Vec<(UserId, String)>>,
}

impl Desk {
    fn asked(&self) -> Vec<(UserId, String)> {
        self.asked.lock().unwrap().clone()
    }
    fn note(&self, caller: UserId, what: String) {
        self.asked.lock().unwrap().push((caller, what));
    }
}

#[async_trait::async_trait]
impl ProfessionalDesk for Desk {
    async fn appointments_today(&self, caller: UserId) -> Result<Value, DeskError> {
        self.note(caller, "today".into());
        Ok(
            json!({"date": "2026-11-23", "appointments": [{"client": "Lia", "start_at": "2026-11-23T10:00:00Z"}]}),
        )
    }
    async fn client_by_phone(&self, caller: UserId, phone: &Phone) -> Result<Value, DeskError> {
        self.note(caller, format!("phone {}", phone.as_str()));
        Ok(json!({"found": false}))
    }
    async fn revenue(
        &self,
        caller: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Value, DeskError> {
        self.note(caller, format!("revenue {from} {to}"));
        Err(DeskError::Refused {
            code: "request.validation_failed".into(),
            message: "to: must not be before from".into(),
        })
    }
    async fn set_appointment_status(
        &self,
        caller: UserId,
        appointment: Uuid,
        status: &str,
        reason: Option<&str>,
    ) -> Result<Value, DeskError> {
        self.note(caller, format!("status {appointment} {status} {reason:?}"));
        Ok(json!({"id": appointment, "status": status}))
    }
}

struct World {
    db: DatabaseConnection,
    _guard: TestDatabase,
    server: MockServer,
    desk: Arc<Desk>,
    assistant: Assistant,
    user: UserId,
}

async fn insert_user(db: &DatabaseConnection) -> UserId {
    let id = Uuid::now_v7();
    let backend = db.get_database_backend();
    let now = Utc::now();
    let (sql, values): (&str, Vec<sea_orm::Value>) = if backend == sea_orm::DbBackend::Postgres {
        (
            "INSERT INTO users (id, roles, is_anonymous, created_at, updated_at) VALUES ($1, '[]', false, $2, $2)",
            vec![id.into(), now.into()],
        )
    } else {
        (
            "INSERT INTO users (id, roles, is_anonymous, created_at, updated_at) VALUES (?, '[]', false, ?, ?)",
            vec![id.into(), now.into(), now.into()],
        )
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
    UserId(id)
}

async fn world_with(timeout: Duration, configured: bool) -> World {
    let (db, guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let server = MockServer::start().await;
    let desk = Arc::new(Desk::default());
    let provider = configured.then(|| {
        Provider::new(ProviderConfig {
            base_url: format!("{}/v1", server.uri()),
            api_key: Some("sk-test-key".to_owned().into()),
            model: "test-model".into(),
            timeout,
        })
        .unwrap()
    });
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
    let assistant = Assistant::new(AssistantDeps {
        clock: Arc::new(clock),
        desk: desk.clone(),
        provider,
    });
    let user = insert_user(&db).await;
    World {
        db,
        _guard: guard,
        server,
        desk,
        assistant,
        user,
    }
}

async fn world() -> World {
    world_with(Duration::from_secs(5), true).await
}

/// A chat-completions answer in words.
fn words(text: &str, prompt: u32, completion: u32) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_790_000_000, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    }))
}

/// A chat-completions answer calling one tool.
fn calls(id: &str, name: &str, arguments: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-2", "object": "chat.completion", "created": 1_790_000_000, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls",
                     "message": {"role": "assistant", "content": null, "tool_calls": [
                         {"id": id, "type": "function",
                          "function": {"name": name, "arguments": arguments.to_string()}}]}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    }))
}

/// A streamed chat-completions answer: each delta one chunk, then a usage
/// chunk (no choices) and `[DONE]`, as OpenAI sends them.
fn streamed(deltas: &[Value], prompt: u32, completion: u32) -> ResponseTemplate {
    let chunk = |choices: Value, usage: Value| {
        json!({"id": "chatcmpl-3", "object": "chat.completion.chunk", "created": 1_790_000_000,
               "model": "test-model", "choices": choices, "usage": usage})
    };
    let mut body = String::new();
    for delta in deltas {
        let frame = chunk(
            json!([{"index": 0, "delta": delta, "finish_reason": null}]),
            Value::Null,
        );
        body.push_str(&format!("data: {frame}\n\n"));
    }
    let usage = json!({"prompt_tokens": prompt, "completion_tokens": completion,
                       "total_tokens": prompt + completion});
    body.push_str(&format!("data: {}\n\n", chunk(json!([]), usage)));
    body.push_str("data: [DONE]\n\n");
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_string(body)
}

fn say(conversation: Option<trellis_assistant::ids::ConversationId>, text: &str) -> ChatRequest {
    ChatRequest {
        conversation_id: conversation,
        message: Some(text.into()),
        confirm: None,
    }
}

fn decide(conversation: trellis_assistant::ids::ConversationId, confirm: bool) -> ChatRequest {
    ChatRequest {
        conversation_id: Some(conversation),
        message: None,
        confirm: Some(confirm),
    }
}

/// The JSON bodies the fake model received, in order.
async fn requests(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r: &Request| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_read_tool_runs_as_the_caller_and_its_result_goes_back_to_the_model() {
    let w = world().await;
    // Once the tool's result is in the conversation, the model answers.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("\"role\":\"tool\""))
        .respond_with(words("You see Lia at 10:00.", 40, 8))
        .with_priority(1)
        .mount(&w.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test-key"))
        .respond_with(calls("call_1", "get_appointments_today", json!({})))
        .with_priority(2)
        .mount(&w.server)
        .await;

    let reply = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Who is coming today?"), 4)
        .await
        .unwrap();
    assert_eq!(reply.reply.as_deref(), Some("You see Lia at 10:00."));
    assert_eq!(reply.pending_action, None);
    assert_eq!(reply.tools.len(), 1);
    assert_eq!(
        (reply.tools[0].tool.as_str(), reply.tools[0].outcome),
        ("get_appointments_today", ToolOutcome::Ok)
    );
    assert_eq!(
        (
            reply.usage.prompt_tokens,
            reply.usage.completion_tokens,
            reply.usage.total_tokens
        ),
        (50, 13, 63)
    );
    assert_eq!(w.desk.asked(), [(w.user, "today".to_owned())]);

    let sent = requests(&w.server).await;
    assert_eq!(sent.len(), 2);
    let first = &sent[0];
    assert_eq!(first["model"], "test-model");
    assert_eq!(first["tools"].as_array().unwrap().len(), 4);
    assert_eq!(first["tool_choice"], "auto");
    // The instructions are a message of their own, before the user's words.
    assert_eq!(first["messages"][0]["role"], "system");
    assert_eq!(first["messages"][1]["role"], "user");
    assert_eq!(first["messages"][1]["content"], "Who is coming today?");
    assert!(
        !first["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Who is coming")
    );
    let second = &sent[1]["messages"];
    let tool = second
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap();
    assert_eq!(tool["tool_call_id"], "call_1");
    let result: Value = serde_json::from_str(tool["content"].as_str().unwrap()).unwrap();
    assert_eq!(result["appointments"][0]["client"], "Lia");

    // Stored: people read the question and the answer, not the tool traffic.
    let detail = w
        .assistant
        .conversations
        .get(&w.db, w.user, reply.conversation_id)
        .await
        .unwrap();
    assert_eq!(detail.conversation.title, "Who is coming today?");
    let said: Vec<_> = detail.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(said, ["Who is coming today?", "You see Lia at 10:00."]);

    // The next turn carries the whole conversation, tool traffic included.
    w.assistant
        .chat
        .turn(&w.db, w.user, say(Some(reply.conversation_id), "Thanks"), 4)
        .await
        .unwrap();
    let sent = requests(&w.server).await;
    let roles: Vec<_> = sent[2]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "user"]
    );
}

#[tokio::test]
async fn a_change_waits_for_confirmation_and_runs_only_when_confirmed() {
    let w = world().await;
    Mock::given(method("POST"))
        .and(body_string_contains("\"role\":\"tool\""))
        .respond_with(words("Done.", 5, 1))
        .with_priority(1)
        .mount(&w.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(calls(
            "call_change",
            "update_appointment_status",
            json!({"appointment_id": APPOINTMENT, "status": "cancelled", "reason": "ill"}),
        ))
        .with_priority(2)
        .mount(&w.server)
        .await;

    let asked = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Cancel Lia's 10:00"), 4)
        .await
        .unwrap();
    let pending = asked.pending_action.clone().unwrap();
    assert_eq!(pending.tool, "update_appointment_status");
    assert_eq!(pending.appointment_id.to_string(), APPOINTMENT);
    assert_eq!(pending.status, "cancelled");
    assert_eq!(pending.reason.as_deref(), Some("ill"));
    assert_eq!(asked.tools[0].outcome, ToolOutcome::NeedsConfirmation);
    assert!(
        w.desk.asked().is_empty(),
        "nothing changes before confirmation"
    );
    let stored = w
        .assistant
        .conversations
        .get(&w.db, w.user, asked.conversation_id)
        .await
        .unwrap();
    assert_eq!(stored.pending_action, Some(pending));

    let confirmed = w
        .assistant
        .chat
        .turn(&w.db, w.user, decide(asked.conversation_id, true), 4)
        .await
        .unwrap();
    assert_eq!(confirmed.reply.as_deref(), Some("Done."));
    assert_eq!(confirmed.tools[0].outcome, ToolOutcome::Ok);
    assert_eq!(
        w.desk.asked(),
        [(
            w.user,
            format!("status {APPOINTMENT} cancelled Some(\"ill\")")
        )]
    );
    // Nothing is waiting any more.
    assert!(matches!(
        w.assistant
            .chat
            .turn(&w.db, w.user, decide(asked.conversation_id, true), 4)
            .await,
        Err(Error::NothingToConfirm)
    ));

    // Declining tells the model and changes nothing.
    let again = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Cancel it"), 4)
        .await
        .unwrap();
    assert!(again.pending_action.is_some());
    let declined = w
        .assistant
        .chat
        .turn(&w.db, w.user, decide(again.conversation_id, false), 4)
        .await
        .unwrap();
    assert_eq!(declined.tools[0].outcome, ToolOutcome::Declined);
    assert_eq!(w.desk.asked().len(), 1, "the declined change did not run");
    let last = requests(&w.server).await.pop().unwrap();
    let tool = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .unwrap()
        .clone();
    assert!(
        tool["content"].as_str().unwrap().contains("declined"),
        "{tool}"
    );
}

#[tokio::test]
async fn after_the_allowed_rounds_the_model_must_answer_in_words() {
    let w = world().await;
    Mock::given(method("POST"))
        .and(body_string_contains("\"tool_choice\":\"none\""))
        .respond_with(words("Here is what I found.", 1, 1))
        .with_priority(1)
        .mount(&w.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(calls(
            "call_loop",
            "get_customer_by_phone",
            json!({"phone": "+5511987654321"}),
        ))
        .with_priority(2)
        .mount(&w.server)
        .await;

    let reply = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Find everyone"), 2)
        .await
        .unwrap();
    assert_eq!(reply.reply.as_deref(), Some("Here is what I found."));
    let sent = requests(&w.server).await;
    assert_eq!(sent.len(), 3, "two tool rounds, then words");
    assert_eq!(sent[2]["tool_choice"], "none");
    assert_eq!(reply.tools.len(), 2);
    assert_eq!(w.desk.asked().len(), 2);
    assert_eq!(w.desk.asked()[0].1, "phone +5511987654321");
}

#[tokio::test]
async fn refusals_and_bad_arguments_go_back_to_the_model_as_structured_errors() {
    let w = world().await;
    Mock::given(method("POST"))
        .and(body_string_contains("\"role\":\"tool\""))
        .respond_with(words("That period is backwards.", 1, 1))
        .with_priority(1)
        .mount(&w.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(calls(
            "call_rev",
            "get_revenue_summary",
            json!({"from": "2026-11-30", "to": "2026-11-01"}),
        ))
        .with_priority(2)
        .mount(&w.server)
        .await;
    let reply = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Revenue?"), 4)
        .await
        .unwrap();
    assert_eq!(reply.tools[0].outcome, ToolOutcome::Refused);
    let sent = requests(&w.server).await;
    let tool = sent[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()
        .clone();
    let result: Value = serde_json::from_str(tool["content"].as_str().unwrap()).unwrap();
    assert_eq!(result["error"]["code"], "request.validation_failed");

    // A tool that does not exist, or arguments that are not JSON.
    w.server.reset().await;
    Mock::given(method("POST"))
        .and(body_string_contains("unknown_tool"))
        .respond_with(words("Sorry.", 1, 1))
        .with_priority(1)
        .mount(&w.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(calls("call_x", "delete_everything", json!({})))
        .with_priority(2)
        .mount(&w.server)
        .await;
    let reply = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Delete all"), 4)
        .await
        .unwrap();
    assert_eq!(reply.reply.as_deref(), Some("Sorry."));
    assert_eq!(reply.tools[0].outcome, ToolOutcome::Refused);
}

#[tokio::test]
async fn provider_failures_are_unavailable_and_store_nothing() {
    let w = world_with(Duration::from_millis(300), true).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"error": {"message": "boom", "type": "server_error", "param": null, "code": null}}),
        ))
        .mount(&w.server)
        .await;
    let failed = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Hello"), 4)
        .await;
    assert!(
        matches!(failed, Err(Error::ProviderUnavailable)),
        "{failed:?}"
    );

    w.server.reset().await;
    Mock::given(method("POST"))
        .respond_with(words("late", 1, 1).set_delay(Duration::from_secs(2)))
        .mount(&w.server)
        .await;
    let slow = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Hello"), 4)
        .await;
    assert!(matches!(slow, Err(Error::ProviderUnavailable)), "{slow:?}");

    let page = PageRequest::parse(Some(10), None).unwrap();
    let listed = w
        .assistant
        .conversations
        .list(&w.db, w.user, &page)
        .await
        .unwrap();
    assert!(
        listed.items.is_empty(),
        "a failed turn leaves no conversation"
    );
    assert!(
        w.assistant
            .usage
            .by_month(&w.db, w.user)
            .await
            .unwrap()
            .months
            .is_empty()
    );

    let unconfigured = world_with(Duration::from_secs(1), false).await;
    assert!(!unconfigured.assistant.is_configured());
    assert!(matches!(
        unconfigured
            .assistant
            .chat
            .turn(&unconfigured.db, unconfigured.user, say(None, "Hi"), 4)
            .await,
        Err(Error::NotConfigured)
    ));
}

#[tokio::test]
async fn conversations_are_the_callers_own_and_usage_sums_by_month() {
    let w = world().await;
    Mock::given(method("POST"))
        .respond_with(words("Hi!", 7, 3))
        .mount(&w.server)
        .await;
    let first = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Hello"), 4)
        .await
        .unwrap();
    w.assistant
        .chat
        .turn(&w.db, w.user, say(Some(first.conversation_id), "Again"), 4)
        .await
        .unwrap();
    let second = w
        .assistant
        .chat
        .turn(&w.db, w.user, say(None, "Another topic"), 4)
        .await
        .unwrap();

    let usage = w.assistant.usage.by_month(&w.db, w.user).await.unwrap();
    assert_eq!(usage.months.len(), 1);
    let month = &usage.months[0];
    assert_eq!(month.month, "2026-11");
    assert_eq!(
        (
            month.responses,
            month.prompt_tokens,
            month.completion_tokens,
            month.total_tokens
        ),
        (3, 21, 9, 30)
    );

    let page = PageRequest::parse(Some(1), None).unwrap();
    let listed = w
        .assistant
        .conversations
        .list(&w.db, w.user, &page)
        .await
        .unwrap();
    assert_eq!(listed.items[0].id, second.conversation_id, "newest first");
    assert!(listed.next_cursor.is_some());

    // Someone else sees none of it, and cannot continue or delete it.
    let stranger = insert_user(&w.db).await;
    assert!(matches!(
        w.assistant
            .conversations
            .get(&w.db, stranger, first.conversation_id)
            .await,
        Err(Error::ConversationNotFound)
    ));
    assert!(matches!(
        w.assistant
            .chat
            .turn(&w.db, stranger, say(Some(first.conversation_id), "Hi"), 4)
            .await,
        Err(Error::ConversationNotFound)
    ));
    assert!(matches!(
        w.assistant
            .conversations
            .delete(&w.db, stranger, first.conversation_id)
            .await,
        Err(Error::ConversationNotFound)
    ));

    // Deleting keeps the month's usage.
    w.assistant
        .conversations
        .delete(&w.db, w.user, first.conversation_id)
        .await
        .unwrap();
    assert!(matches!(
        w.assistant
            .conversations
            .get(&w.db, w.user, first.conversation_id)
            .await,
        Err(Error::ConversationNotFound)
    ));
    let usage = w.assistant.usage.by_month(&w.db, w.user).await.unwrap();
    assert_eq!(usage.months[0].responses, 3);
}

#[tokio::test]
async fn a_turn_says_one_thing() {
    let w = world().await;
    let both = ChatRequest {
        conversation_id: None,
        message: Some("Hi".into()),
        confirm: Some(true),
    };
    assert!(matches!(
        w.assistant.chat.turn(&w.db, w.user, both, 4).await,
        Err(Error::Validation(_))
    ));
    let nothing = ChatRequest {
        conversation_id: None,
        message: Some("   ".into()),
        confirm: None,
    };
    assert!(matches!(
        w.assistant.chat.turn(&w.db, w.user, nothing, 4).await,
        Err(Error::Validation(_))
    ));
    let too_long = say(None, &"x".repeat(4001));
    assert!(matches!(
        w.assistant.chat.turn(&w.db, w.user, too_long, 4).await,
        Err(Error::Validation(_))
    ));
    assert!(
        requests(&w.server).await.is_empty(),
        "the model was never asked"
    );
}

#[tokio::test]
async fn a_streamed_turn_reports_words_as_written_and_puts_tool_calls_together() {
    let w = world().await;
    // The tool call arrives in fragments: id and name first, then the
    // arguments in two pieces.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("\"role\":\"tool\""))
        .respond_with(streamed(
            &[
                json!({"role": "assistant", "content": ""}),
                json!({"content": "No client "}),
                json!({"content": "with that "}),
                json!({"content": "number."}),
            ],
            30,
            6,
        ))
        .with_priority(1)
        .mount(&w.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(streamed(
            &[
                json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_9", "type": "function",
                        "function": {"name": "get_customer_by_phone", "arguments": ""}}]}),
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"phone\": "}}]}),
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"+55 11 98765-4321\"}"}}]}),
            ],
            20,
            4,
        ))
        .with_priority(2)
        .mount(&w.server)
        .await;

    let (listener, mut events) = tokio::sync::mpsc::unbounded_channel();
    let open = w
        .assistant
        .chat
        .begin(&w.db, w.user, say(None, "Who is +55 11 98765-4321?"))
        .await
        .unwrap();
    let reply = w
        .assistant
        .chat
        .finish(&w.db, open, 4, Progress::to(listener))
        .await
        .unwrap();

    let mut heard = Vec::new();
    while let Ok(event) = events.try_recv() {
        heard.push(event);
    }
    assert_eq!(
        heard,
        [
            TurnEvent::Tool(ToolRun {
                tool: "get_customer_by_phone".into(),
                outcome: ToolOutcome::Ok
            }),
            TurnEvent::Text("No client ".into()),
            TurnEvent::Text("with that ".into()),
            TurnEvent::Text("number.".into()),
        ]
    );
    assert_eq!(reply.reply.as_deref(), Some("No client with that number."));
    assert_eq!(
        (reply.usage.prompt_tokens, reply.usage.total_tokens),
        (50, 60),
        "the usage chunk of each round is counted"
    );
    assert_eq!(
        w.desk.asked(),
        [(w.user, "phone +5511987654321".to_owned())]
    );

    let sent = requests(&w.server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["stream"], true);
    assert_eq!(sent[0]["stream_options"]["include_usage"], true);
    // The call put together goes back with its result, under its id.
    let history = sent[1]["messages"].as_array().unwrap();
    let call = &history[history.len() - 2]["tool_calls"][0];
    assert_eq!(call["id"], "call_9");
    assert_eq!(call["function"]["name"], "get_customer_by_phone");
    assert_eq!(
        call["function"]["arguments"],
        "{\"phone\": \"+55 11 98765-4321\"}"
    );
    assert_eq!(history[history.len() - 1]["tool_call_id"], "call_9");

    // The streamed turn is stored like any other.
    let stored = w
        .assistant
        .conversations
        .get(&w.db, w.user, reply.conversation_id)
        .await
        .unwrap();
    assert_eq!(
        stored.messages.last().map(|m| m.content.as_str()),
        Some("No client with that number.")
    );
}
