//! The assistant over HTTP, with its language model a fake OpenAI-compatible
//! server (wiremock) that scripts each answer, and the tools running against
//! real scheduling data: today's appointments, isolation from another
//! professional, confirmation before a change, conversations and usage,
//! streaming as Server-Sent Events, and the 503s.

use chrono::{TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::{TestApp, send, unique_email, unique_phone};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::scheduling::booking::{Pro, book, professional};

const CHAT: &str = "/api/v1/assistant/chat";

/// A chat-completions answer in words.
fn words(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-w", "object": "chat.completion", "created": 1_790_000_000, "model": "fake",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    }))
}

/// A chat-completions answer calling one tool.
fn calls(id: &str, name: &str, arguments: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-t", "object": "chat.completion", "created": 1_790_000_000, "model": "fake",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": id, "type": "function",
                            "function": {"name": name, "arguments": arguments.to_string()}}]}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60}
    }))
}

/// A streamed chat-completions answer: one chunk per delta, then the usage
/// chunk and `[DONE]`, as OpenAI streams them.
fn streamed(deltas: &[Value]) -> ResponseTemplate {
    let chunk = |choices: Value, usage: Value| {
        json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1_790_000_000,
               "model": "fake", "choices": choices, "usage": usage})
    };
    let mut body = String::new();
    for delta in deltas {
        let frame = chunk(
            json!([{"index": 0, "delta": delta, "finish_reason": null}]),
            Value::Null,
        );
        body.push_str(&format!("data: {frame}\n\n"));
    }
    let usage = json!({"prompt_tokens": 70, "completion_tokens": 5, "total_tokens": 75});
    body.push_str(&format!("data: {}\n\n", chunk(json!([]), usage)));
    body.push_str("data: [DONE]\n\n");
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_string(body)
}

/// The model's next answers, in order: each answers one request.
async fn script(server: &MockServer, answers: Vec<ResponseTemplate>) {
    server.reset().await;
    for (n, answer) in answers.into_iter().enumerate() {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", "Bearer sk-fake"))
            .respond_with(answer)
            .up_to_n_times(1)
            .with_priority(u8::try_from(n + 1).unwrap())
            .mount(server)
            .await;
    }
}

/// The tool results the model was sent in its last request.
async fn last_tool_result(server: &MockServer) -> Value {
    let requests = server.received_requests().await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&requests.last().unwrap().body).unwrap();
    let tool = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .unwrap()
        .clone();
    serde_json::from_str(tool["content"].as_str().unwrap()).unwrap()
}

async fn spawn_with_model(server: &MockServer) -> TestApp {
    let base = format!("{}/v1", server.uri());
    let clock = trellis_kernel::clock::ManualClock::at(
        Utc.with_ymd_and_hms(2026, 11, 23, 7, 0, 0).unwrap(),
    );
    TestApp::spawn_with_clock(
        &[
            ("TRELLIS_RATE_LIMITS", "off"),
            ("TRELLIS_AI_BASE_URL", &base),
            ("TRELLIS_AI_MODEL", "fake-model"),
            ("TRELLIS_AI_API_KEY", "sk-fake"),
            ("TRELLIS_AI_TIMEOUT", "2s"),
        ],
        std::sync::Arc::new(clock),
    )
    .await
}

async fn chat(app: &TestApp, pro: &Pro, body: Value) -> trellis_tests::Reply {
    send(app.authed(Method::POST, CHAT, &pro.token).json(&body)).await
}

/// A booking today at `hour`:00 UTC for a client with `phone`: its id.
async fn booked(app: &TestApp, pro: &Pro, hour: u32, name: &str, phone: &str) -> String {
    let body = json!({"service_id": pro.service, "start_at": format!("2026-11-23T{hour:02}:00:00Z"),
                      "client": {"name": name, "phone": phone}});
    let reply = book(app, pro, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["appointment_id"]
        .as_str()
        .or_else(|| reply.body["id"].as_str())
        .unwrap()
        .to_owned()
}

async fn appointment_status(app: &TestApp, pro: &Pro, id: &str) -> String {
    let reply = send(app.authed(
        Method::GET,
        &format!("/api/v1/appointments/{id}"),
        &pro.token,
    ))
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_assistant_reads_today_and_changes_a_status_only_once_confirmed() {
    let model = MockServer::start().await;
    let app = spawn_with_model(&model).await;
    let ana = professional(&app, "UTC").await;
    let other = professional(&app, "UTC").await;
    let lia_phone = unique_phone();
    let lia = booked(&app, &ana, 10, "Lia", &lia_phone).await;
    let stranger_phone = unique_phone();
    let theirs = booked(&app, &other, 11, "Rui", &stranger_phone).await;

    // Today's appointments: the real ones, the caller's only.
    script(
        &model,
        vec![
            calls("c1", "get_appointments_today", json!({})),
            words("Lia comes at 10:00."),
        ],
    )
    .await;
    let first = chat(&app, &ana, json!({"message": "Who is coming today?"})).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["reply"], "Lia comes at 10:00.");
    assert_eq!(first.body["tools"][0]["tool"], "get_appointments_today");
    assert_eq!(first.body["tools"][0]["outcome"], "ok");
    assert_eq!(first.body["usage"]["total_tokens"], 180);
    let today = last_tool_result(&model).await;
    assert_eq!(today["date"], "2026-11-23");
    let listed = today["appointments"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{today}");
    assert_eq!(listed[0]["id"], lia.as_str());
    assert_eq!(listed[0]["client"], "Lia");
    assert_eq!(listed[0]["service"], "Cut");
    let conversation = first.body["conversation_id"].as_str().unwrap().to_owned();

    // Another professional's client is nobody to this one.
    script(
        &model,
        vec![
            calls(
                "c2",
                "get_customer_by_phone",
                json!({"phone": stranger_phone}),
            ),
            words("No such client."),
        ],
    )
    .await;
    let lookup = chat(
        &app,
        &ana,
        json!({"conversation_id": conversation, "message": "Who has this number?"}),
    )
    .await;
    assert_eq!(lookup.status, 200, "{}", lookup.text);
    assert_eq!(last_tool_result(&model).await, json!({"found": false}));
    script(
        &model,
        vec![
            calls("c3", "get_customer_by_phone", json!({"phone": lia_phone})),
            words("That is Lia."),
        ],
    )
    .await;
    chat(
        &app,
        &ana,
        json!({"conversation_id": conversation, "message": "And this one?"}),
    )
    .await;
    let found = last_tool_result(&model).await;
    assert_eq!(found["found"], true);
    assert_eq!(found["client"]["name"], "Lia");

    // A cancellation is proposed, and nothing happens until it is confirmed.
    script(
        &model,
        vec![
            calls(
                "c4",
                "update_appointment_status",
                json!({"appointment_id": lia, "status": "cancelled", "reason": "Lia is ill"}),
            ),
            words("Cancelled."),
        ],
    )
    .await;
    let proposed = chat(
        &app,
        &ana,
        json!({"conversation_id": conversation, "message": "Cancel Lia, she is ill"}),
    )
    .await;
    assert_eq!(proposed.status, 200, "{}", proposed.text);
    assert_eq!(
        proposed.body["pending_action"]["tool"],
        "update_appointment_status"
    );
    assert_eq!(
        proposed.body["pending_action"]["appointment_id"],
        lia.as_str()
    );
    assert_eq!(proposed.body["tools"][0]["outcome"], "needs_confirmation");
    assert_ne!(appointment_status(&app, &ana, &lia).await, "cancelled");
    let shown = send(app.authed(
        Method::GET,
        &format!("/api/v1/assistant/conversations/{conversation}"),
        &ana.token,
    ))
    .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["pending_action"]["status"], "cancelled");

    let confirmed = chat(
        &app,
        &ana,
        json!({"conversation_id": conversation, "confirm": true}),
    )
    .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.body["reply"], "Cancelled.");
    assert_eq!(confirmed.body["tools"][0]["outcome"], "ok");
    assert_eq!(appointment_status(&app, &ana, &lia).await, "cancelled");
    assert_eq!(last_tool_result(&model).await["status"], "cancelled");
    chat(
        &app,
        &ana,
        json!({"conversation_id": conversation, "confirm": true}),
    )
    .await
    .assert_problem(409, "assistant.nothing_to_confirm");

    // Another professional's appointment cannot be changed, confirmed or not.
    script(
        &model,
        vec![
            calls(
                "c5",
                "update_appointment_status",
                json!({"appointment_id": theirs, "status": "cancelled"}),
            ),
            words("I could not find it."),
        ],
    )
    .await;
    let foreign = chat(&app, &ana, json!({"message": "Cancel Rui"})).await;
    let foreign_conversation = foreign.body["conversation_id"].as_str().unwrap().to_owned();
    let tried = chat(
        &app,
        &ana,
        json!({"conversation_id": foreign_conversation, "confirm": true}),
    )
    .await;
    assert_eq!(tried.status, 200, "{}", tried.text);
    assert_eq!(tried.body["tools"][0]["outcome"], "refused");
    assert_eq!(
        last_tool_result(&model).await["error"]["code"],
        "appointment.not_found"
    );
    assert_ne!(appointment_status(&app, &other, &theirs).await, "cancelled");

    // Conversations: the caller's own, newest first; usage by month.
    let listed = send(app.authed(Method::GET, "/api/v1/assistant/conversations", &ana.token)).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let ids: Vec<_> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [foreign_conversation.clone(), conversation.clone()]);
    let messages = shown.body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["content"], "Who is coming today?");
    send(app.authed(
        Method::GET,
        &format!("/api/v1/assistant/conversations/{conversation}"),
        &other.token,
    ))
    .await
    .assert_problem(404, "assistant.conversation_not_found");
    let usage = send(app.authed(Method::GET, "/api/v1/assistant/usage", &ana.token)).await;
    assert_eq!(usage.status, 200, "{}", usage.text);
    assert_eq!(usage.body["months"][0]["month"], "2026-11");
    assert_eq!(usage.body["months"][0]["responses"], 7);
    let deleted = send(app.authed(
        Method::DELETE,
        &format!("/api/v1/assistant/conversations/{conversation}"),
        &ana.token,
    ))
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let usage = send(app.authed(Method::GET, "/api/v1/assistant/usage", &ana.token)).await;
    assert_eq!(usage.body["months"][0]["responses"], 7, "usage outlives it");
}

#[tokio::test]
async fn refusals_before_the_model_is_asked() {
    let model = MockServer::start().await;
    let app = spawn_with_model(&model).await;
    let ana = professional(&app, "UTC").await;
    chat(&app, &ana, json!({"message": "Hi", "confirm": true}))
        .await
        .assert_problem(422, "request.validation_failed");
    chat(&app, &ana, json!({"message": "x".repeat(4001)}))
        .await
        .assert_problem(422, "request.validation_failed");
    chat(
        &app,
        &ana,
        json!({"conversation_id": uuid::Uuid::now_v7(), "message": "Hi"}),
    )
    .await
    .assert_problem(404, "assistant.conversation_not_found");
    send(
        app.request(Method::POST, CHAT)
            .json(&json!({"message": "Hi"})),
    )
    .await
    .assert_problem(401, "auth.missing_token");
    // Signed in without a professional profile.
    let token = app.access_token(&unique_email("nobody")).await;
    send(
        app.authed(Method::POST, CHAT, &token)
            .json(&json!({"message": "Hi"})),
    )
    .await
    .assert_problem(404, "professional.not_found");
    assert!(
        model
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "the model was never asked"
    );
}

#[tokio::test]
async fn a_failing_or_missing_model_is_503() {
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&model)
        .await;
    let app = spawn_with_model(&model).await;
    let ana = professional(&app, "UTC").await;
    let failed = chat(&app, &ana, json!({"message": "Hi"})).await;
    failed.assert_problem(503, "assistant.unavailable");
    assert!(failed.header("retry-after").is_some(), "retry advice");
    model.reset().await;
    Mock::given(method("POST"))
        .respond_with(words("late").set_delay(std::time::Duration::from_secs(4)))
        .mount(&model)
        .await;
    chat(&app, &ana, json!({"message": "Hi"}))
        .await
        .assert_problem(503, "assistant.unavailable");
    let none = send(app.authed(Method::GET, "/api/v1/assistant/conversations", &ana.token)).await;
    assert_eq!(none.body["items"], json!([]), "{}", none.text);

    let bare = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let bob = professional(&bare, "UTC").await;
    chat(&bare, &bob, json!({"message": "Hi"}))
        .await
        .assert_problem(503, "assistant.not_configured");
    for path in ["/api/v1/assistant/conversations", "/api/v1/assistant/usage"] {
        send(bare.authed(Method::GET, path, &bob.token))
            .await
            .assert_problem(503, "assistant.not_configured");
    }
}

/// A chat turn asked for as Server-Sent Events.
async fn chat_streamed(app: &TestApp, pro: &Pro, body: Value) -> trellis_tests::Reply {
    send(
        app.authed(Method::POST, CHAT, &pro.token)
            .header("accept", "text/event-stream")
            .json(&body),
    )
    .await
}

/// The events of a streamed reply, each as (SSE event name, data as JSON);
/// every event's name is also its data's `event` field.
fn events_of(reply: &trellis_tests::Reply) -> Vec<(String, Value)> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    trellis_tests::sse::events(&reply.text)
        .unwrap()
        .into_iter()
        .map(|event| {
            let data: Value = serde_json::from_str(&event.data).unwrap();
            assert_eq!(data["event"], event.event.as_str(), "{}", reply.text);
            (event.event, data)
        })
        .collect()
}

#[tokio::test]
async fn answers_stream_as_server_sent_events_when_asked() {
    let model = MockServer::start().await;
    let app = spawn_with_model(&model).await;
    let ana = professional(&app, "UTC").await;
    let lia_phone = unique_phone();
    booked(&app, &ana, 10, "Lia", &lia_phone).await;

    // A tool call streamed in fragments, then the words in pieces.
    script(
        &model,
        vec![
            streamed(&[
                json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "s1", "type": "function",
                        "function": {"name": "get_appointments_today", "arguments": ""}}]}),
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
            ]),
            streamed(&[
                json!({"role": "assistant", "content": "Lia "}),
                json!({"content": "comes "}),
                json!({"content": "at 10:00."}),
            ]),
        ],
    )
    .await;
    let reply = chat_streamed(&app, &ana, json!({"message": "Who is coming today?"})).await;
    let events = events_of(&reply);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["tool", "text", "text", "text", "done"],
        "{}",
        reply.text
    );
    assert_eq!(events[0].1["tool"], "get_appointments_today");
    assert_eq!(events[0].1["outcome"], "ok");
    let written: String = events[1..4]
        .iter()
        .map(|(_, data)| data["text"].as_str().unwrap())
        .collect();
    assert_eq!(written, "Lia comes at 10:00.");
    let done = &events[4].1;
    assert_eq!(done["reply"], "Lia comes at 10:00.");
    assert_eq!(done["usage"]["total_tokens"], 150);
    let today = last_tool_result(&model).await;
    assert_eq!(today["appointments"][0]["client"], "Lia");

    // The streamed turn is stored: it continues like any other.
    let conversation = done["conversation_id"].as_str().unwrap().to_owned();
    let shown = send(app.authed(
        Method::GET,
        &format!("/api/v1/assistant/conversations/{conversation}"),
        &ana.token,
    ))
    .await;
    assert_eq!(shown.body["messages"][1]["content"], "Lia comes at 10:00.");

    // A proposed change streams as a tool event awaiting confirmation.
    let lia = booked(&app, &ana, 12, "Lia", &lia_phone).await;
    script(
        &model,
        vec![streamed(&[json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "s2", "type": "function",
            "function": {"name": "update_appointment_status",
                         "arguments": json!({"appointment_id": lia, "status": "no_show"}).to_string()}}]})])],
    )
    .await;
    let proposed = chat_streamed(
        &app,
        &ana,
        json!({"conversation_id": conversation, "message": "Lia did not come at noon"}),
    )
    .await;
    let events = events_of(&proposed);
    assert_eq!(events.len(), 2, "{}", proposed.text);
    assert_eq!(events[0].1["outcome"], "needs_confirmation");
    assert_eq!(events[1].0, "done");
    assert_eq!(events[1].1["pending_action"]["status"], "no_show");

    // A bad request is refused before any event, as a plain problem.
    chat_streamed(&app, &ana, json!({"confirm": true}))
        .await
        .assert_problem(422, "request.validation_failed");

    // The model failing mid-turn ends the stream with an error event, and
    // nothing of the turn is stored.
    script(&model, vec![ResponseTemplate::new(502)]).await;
    let failed = chat_streamed(&app, &ana, json!({"message": "And tomorrow?"})).await;
    let events = events_of(&failed);
    assert_eq!(events.len(), 1, "{}", failed.text);
    let (name, problem) = &events[0];
    assert_eq!(name, "error");
    assert_eq!(problem["status"], 503);
    assert_eq!(problem["code"], "assistant.unavailable");
    let listed = send(app.authed(Method::GET, "/api/v1/assistant/conversations", &ana.token)).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        listed.text
    );
}
