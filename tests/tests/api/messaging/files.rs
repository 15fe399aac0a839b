//! Files end to end: uploads and their limits, downloads by the owner and
//! by the rooms a file was posted in, signed links, attachments.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use reqwest::{Method, header};
use serde_json::{Value, json};
use trellis_kernel::clock::ManualClock;
use trellis_tests::{Reply, TestApp, contract, send, unique_email};

/// The smallest PNG there is (1×1), padded to `len` bytes with a trailing chunk.
fn png(len: usize) -> Vec<u8> {
    let mut bytes =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    bytes.resize(len.max(bytes.len()), 0);
    bytes
}

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

const BOUNDARY: &str = "trellis-test-boundary-7c1f";

/// A multipart body with one `file` part.
fn multipart(name: &str, content_type: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
    )
    .into_bytes();
    if let Some(ct) = content_type {
        body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Reply {
    send(
        app.authed(Method::POST, "/api/v1/files", token)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(name, content_type, bytes)),
    )
    .await
}

async fn uploaded(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> String {
    let reply = upload(app, token, name, Some("image/png"), bytes).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_string()
}

/// A download as bytes (the reply is still checked against the spec).
struct Bytes {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Bytes {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn fetch(request: reqwest::RequestBuilder) -> Bytes {
    let resp = request
        .send()
        .await
        .expect("the request reaches the server");
    let url = resp.url().clone();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap().to_vec();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    contract::assert_conforms(
        &Method::GET,
        &url,
        status,
        content_type,
        &String::from_utf8_lossy(&body),
    );
    Bytes {
        status,
        headers,
        body,
    }
}

async fn download(app: &TestApp, token: &str, id: &str) -> Bytes {
    fetch(app.authed(Method::GET, &format!("/api/v1/files/{id}"), token)).await
}

/// A registered user: token and id.
async fn user(app: &TestApp, name: &str) -> (String, String) {
    let body = app
        .register(&unique_email(name), trellis_tests::PASSWORD)
        .await;
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["user"]["id"].as_str().unwrap().to_string(),
    )
}

async fn group(app: &TestApp, token: &str, members: &[&str]) -> String {
    let reply = send(
        app.authed(Method::POST, "/api/v1/rooms", token)
            .json(&json!({"name": "Project", "members": members})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_string()
}

async fn post(app: &TestApp, token: &str, room: &str, body: Value) -> Reply {
    send(
        app.authed(
            Method::POST,
            &format!("/api/v1/rooms/{room}/messages"),
            token,
        )
        .json(&body),
    )
    .await
}

#[tokio::test]
async fn the_owner_uploads_and_downloads_a_file() {
    let app = TestApp::spawn().await;
    let (token, _) = user(&app, "owner").await;
    let bytes = png(300);
    let reply = upload(
        &app,
        &token,
        "../../holiday photo.png",
        Some("image/png"),
        &bytes,
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["name"], "holiday photo.png");
    assert_eq!(reply.body["content_type"], "image/png");
    assert_eq!(reply.body["size_bytes"], 300);
    assert_eq!(reply.body["sha256"].as_str().map(str::len), Some(64));
    let id = reply.body["id"].as_str().unwrap();

    let got = download(&app, &token, id).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, bytes);
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(got.header("content-length"), Some("300"));
    assert_eq!(
        got.header("content-disposition"),
        Some("attachment; filename=\"holiday photo.png\"; filename*=UTF-8''holiday%20photo.png")
    );
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));

    // Plain text has no signature; UTF-8 text is text/plain. A part
    // without a declared type is judged by its bytes alone.
    let text = upload(&app, &token, "notes.txt", None, "héllo\n".as_bytes()).await;
    assert_eq!(text.status, 201, "{}", text.text);
    assert_eq!(text.body["content_type"], "text/plain");
}

#[tokio::test]
async fn uploads_over_the_upload_limit_are_413_and_other_routes_keep_the_body_limit() {
    let app = TestApp::spawn_with(&[
        ("TRELLIS_BODY_LIMIT", "2048"),
        ("TRELLIS_UPLOAD_LIMIT", "8192"),
    ])
    .await;
    let (token, _) = user(&app, "big").await;
    // Larger than the global limit, within the upload limit.
    let ok = upload(&app, &token, "a.png", Some("image/png"), &png(6000)).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let over = upload(&app, &token, "b.png", Some("image/png"), &png(9000)).await;
    over.assert_problem(413, "request.body_too_large");
    // Everywhere else, the global limit.
    let big_json = send(
        app.authed(Method::POST, "/api/v1/rooms", &token)
            .json(&json!({"name": "x".repeat(3000)})),
    )
    .await;
    big_json.assert_problem(413, "request.body_too_large");
}

#[tokio::test]
async fn types_must_be_allowed_and_match_what_was_declared() {
    let app = TestApp::spawn().await;
    let (token, _) = user(&app, "types").await;
    // A zip is not allowed, whatever it claims to be.
    let zip = upload(&app, &token, "photo.png", Some("image/png"), ZIP).await;
    zip.assert_problem(422, "file.type_not_allowed");
    let zip = upload(&app, &token, "archive.zip", Some("application/zip"), ZIP).await;
    zip.assert_problem(422, "file.type_not_allowed");
    // HTML is not plain text.
    let html = upload(
        &app,
        &token,
        "a.txt",
        Some("text/plain"),
        b"<html><script>x()</script></html>",
    )
    .await;
    html.assert_problem(422, "file.type_not_allowed");
    // Allowed bytes under another allowed type's name.
    let mismatch = upload(&app, &token, "doc.pdf", Some("application/pdf"), &png(100)).await;
    mismatch.assert_problem(422, "file.type_mismatch");
    // The real thing passes.
    let pdf = upload(&app, &token, "doc.pdf", Some("application/pdf"), PDF).await;
    assert_eq!(pdf.status, 201, "{}", pdf.text);
    assert_eq!(pdf.body["content_type"], "application/pdf");
    // Empty files are refused.
    let empty = upload(&app, &token, "empty.png", Some("image/png"), b"").await;
    empty.assert_problem(422, "file.empty");
    // Not multipart at all.
    let json = send(
        app.authed(Method::POST, "/api/v1/files", &token)
            .json(&json!({"file": "aGVsbG8="})),
    )
    .await;
    json.assert_problem(415, "request.unsupported_media_type");
    // No token.
    let anonymous = send(
        app.request(Method::POST, "/api/v1/files")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart("a.png", Some("image/png"), &png(100))),
    )
    .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn a_configured_allow_list_replaces_the_default() {
    let app = TestApp::spawn_with(&[("TRELLIS_UPLOAD_TYPES", "application/pdf")]).await;
    let (token, _) = user(&app, "pdf-only").await;
    let png = upload(&app, &token, "a.png", Some("image/png"), &png(100)).await;
    png.assert_problem(422, "file.type_not_allowed");
    let pdf = upload(&app, &token, "a.pdf", None, PDF).await;
    assert_eq!(pdf.status, 201, "{}", pdf.text);
}

#[tokio::test]
async fn strangers_get_404_and_room_members_download_what_was_posted() {
    let app = TestApp::spawn().await;
    let (owner, _) = user(&app, "owner").await;
    let (member, member_id) = user(&app, "member").await;
    let (stranger, _) = user(&app, "stranger").await;
    let bytes = png(500);
    let file = uploaded(&app, &owner, "plan.png", &bytes).await;

    // Nobody but the owner, before it is posted.
    for token in [&member, &stranger] {
        let got = download(&app, token, &file).await;
        assert_eq!(got.status, 404);
        assert_eq!(got.json()["code"], "file.not_found");
        let link = download(&app, token, &format!("{file}?signed=true")).await;
        assert_eq!(link.status, 404);
    }
    let missing = download(&app, &owner, &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(missing.status, 404);
    let anonymous = fetch(app.get(&format!("/api/v1/files/{file}"))).await;
    assert_eq!(anonymous.status, 401);

    let room = group(&app, &owner, &[&member_id]).await;
    let sent = post(
        &app,
        &owner,
        &room,
        json!({"text": "the plan", "attachments": [file]}),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(
        sent.body["attachments"],
        json!([{"id": file, "name": "plan.png", "content_type": "image/png", "size_bytes": 500}])
    );

    // The member sees the attachment in the history and downloads it.
    let history = send(app.authed(
        Method::GET,
        &format!("/api/v1/rooms/{room}/messages"),
        &member,
    ))
    .await;
    assert_eq!(history.status, 200, "{}", history.text);
    assert_eq!(history.body["items"][0]["attachments"][0]["id"], file);
    let got = download(&app, &member, &file).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, bytes);
    // The room list's newest message carries it too.
    let rooms = send(app.authed(Method::GET, "/api/v1/rooms", &member)).await;
    assert_eq!(
        rooms.body["items"][0]["last_message"]["attachments"][0]["id"],
        file
    );

    // A stranger still cannot.
    assert_eq!(download(&app, &stranger, &file).await.status, 404);
}

#[tokio::test]
async fn only_your_own_files_can_be_attached() {
    let app = TestApp::spawn().await;
    let (owner, _) = user(&app, "owner").await;
    let (other, other_id) = user(&app, "other").await;
    let mine = uploaded(&app, &owner, "mine.png", &png(100)).await;
    let theirs = uploaded(&app, &other, "theirs.png", &png(100)).await;
    let room = group(&app, &owner, &[&other_id]).await;

    let refused = post(
        &app,
        &owner,
        &room,
        json!({"text": "look", "attachments": [mine, theirs, uuid::Uuid::now_v7()]}),
    )
    .await;
    refused.assert_problem(422, "request.validation_failed");
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["attachments[1]", "attachments[2]"]);
    let twice = post(
        &app,
        &owner,
        &room,
        json!({"text": "x", "attachments": [mine, mine]}),
    )
    .await;
    twice.assert_problem(422, "request.validation_failed");
    assert_eq!(twice.body["errors"][0]["field"], "attachments[1]");

    // Nothing was sent: the other member still cannot see the file.
    let history = send(app.authed(
        Method::GET,
        &format!("/api/v1/rooms/{room}/messages"),
        &other,
    ))
    .await;
    assert_eq!(history.body["items"], json!([]));
    assert_eq!(download(&app, &other, &mine).await.status, 404);
}

#[tokio::test]
async fn deleting_a_message_keeps_a_file_another_message_still_carries() {
    let app = TestApp::spawn().await;
    let (owner, _) = user(&app, "owner").await;
    let (member, member_id) = user(&app, "member").await;
    let file = uploaded(&app, &owner, "shared.png", &png(200)).await;
    let room = group(&app, &owner, &[&member_id]).await;
    let first = post(
        &app,
        &owner,
        &room,
        json!({"text": "one", "attachments": [file]}),
    )
    .await;
    let second = post(
        &app,
        &owner,
        &room,
        json!({"text": "two", "attachments": [file]}),
    )
    .await;
    assert_eq!((first.status, second.status), (201, 201));
    let delete = |message: &Value| {
        send(app.authed(
            Method::DELETE,
            &format!(
                "/api/v1/rooms/{room}/messages/{}",
                message["id"].as_str().unwrap()
            ),
            &owner,
        ))
    };

    assert_eq!(delete(&first.body).await.status, 204);
    // The tombstone carries no attachments; the other message still does.
    let history = send(app.authed(
        Method::GET,
        &format!("/api/v1/rooms/{room}/messages"),
        &member,
    ))
    .await;
    assert_eq!(history.body["items"][0]["attachments"][0]["id"], file);
    assert_eq!(history.body["items"][1]["deleted"], true);
    assert_eq!(history.body["items"][1]["attachments"], json!([]));
    assert_eq!(download(&app, &member, &file).await.status, 200);

    // With the last message carrying it gone, the room loses it; the owner keeps it.
    assert_eq!(delete(&second.body).await.status, 204);
    assert_eq!(download(&app, &member, &file).await.status, 404);
    let got = download(&app, &owner, &file).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, png(200));
}

#[tokio::test]
async fn a_signed_link_works_without_a_token_until_it_expires() {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap());
    let app = TestApp::spawn_with_clock(
        &[("TRELLIS_FILES_LINK_TTL", "10m")],
        Arc::new(clock.clone()),
    )
    .await;
    let (owner, _) = user(&app, "owner").await;
    let bytes = png(400);
    let file = uploaded(&app, &owner, "signed.png", &bytes).await;

    let link = download(&app, &owner, &format!("{file}?signed=true")).await;
    assert_eq!(link.status, 200);
    let link = link.json();
    assert_eq!(link["expires_at"], "2026-11-22T09:10:00Z");
    let url = link["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("/api/v1/files/{file}?expires=")),
        "{url}"
    );

    // No token needed.
    let got = fetch(app.get(&url)).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, bytes);
    assert_eq!(got.header("content-type"), Some("image/png"));

    // A changed expiry or signature, or half a link, is refused.
    let later = url.replace("expires=", "expires=9");
    let forged = fetch(app.get(&later)).await;
    assert_eq!(forged.status, 403);
    assert_eq!(forged.json()["code"], "file.link_invalid");
    let half = fetch(app.get(url.split('&').next().unwrap())).await;
    assert_eq!(half.status, 403);
    // The signature is for this file only.
    let other = uploaded(&app, &owner, "other.png", &png(100)).await;
    let elsewhere = fetch(app.get(&url.replace(&file, &other))).await;
    assert_eq!(elsewhere.json()["code"], "file.link_invalid");

    // Still good a second before expiry, refused from the expiry on.
    clock.advance(Duration::seconds(599));
    assert_eq!(fetch(app.get(&url)).await.status, 200);
    clock.advance(Duration::seconds(1));
    let expired = fetch(app.get(&url)).await;
    assert_eq!(expired.status, 403);
    assert_eq!(expired.json()["code"], "file.link_expired");
}
