//! The notification channels against fakes of their providers: each HTTP
//! channel against a local wiremock server (the exact request, then how
//! each kind of failure reads), email against a real SMTP server (Python's
//! aiosmtpd, the one the black-box tests use) and lettre's file transport,
//! and the development SMS outbox's file format.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mail_parser::{MessageParser, MimeHeaders};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPublicKey, pkcs8::DecodePrivateKey};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt},
    net::TcpListener,
};
use trellis_kernel::notify::ChannelKind;
use trellis_messaging::notifications::{
    Channel, Outgoing, Rendered, SendError, Sent,
    channels::{
        Channels, EmailChannel, EmailConfig, FcmChannel, FcmConfig, FileSmsChannel, HttpConfig,
        TwilioConfig, TwilioSender, TwilioSmsChannel, WhatsappChannel, WhatsappConfig,
        push::oauth::SCOPE,
    },
    message::{EmailMessage, PushMessage, SmsEncoding, SmsMessage, WhatsappMessage},
};
use wiremock::{
    Match, Mock, MockServer, Request, ResponseTemplate,
    matchers::{basic_auth, bearer_token, body_json, header, method, path},
};

// ---------------------------------------------------------------- helpers

/// Timeouts short enough for a test to outwait.
fn fast_http() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(500),
    }
}

fn outgoing<'a>(to: &'a str, message: &'a Rendered) -> Outgoing<'a> {
    Outgoing {
        key: "0190f0aa-7c4e-7b1e-9a51-4ad0c0ffee01",
        to,
        name: "Ana Souza",
        message,
    }
}

fn ok<T, E: std::fmt::Debug>(result: Result<T, E>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

fn sms(text: &str) -> Rendered {
    Rendered::Sms(SmsMessage {
        text: text.into(),
        encoding: SmsEncoding::Gsm7,
        segments: 1,
    })
}

fn whatsapp() -> Rendered {
    Rendered::Whatsapp(WhatsappMessage {
        template: "booking_confirmed".into(),
        language: "pt_BR".into(),
        params: vec!["Ana".into(), "Corte".into(), "12/05 às 14:00".into()],
    })
}

fn push() -> Rendered {
    Rendered::Push(PushMessage {
        title: "Booking confirmed".into(),
        body: "Haircut, Tue 14:00".into(),
    })
}

fn email() -> Rendered {
    Rendered::Email(EmailMessage {
        subject: "Your booking is confirmed".into(),
        text: "Hello Ana,\n\nsee you on Tuesday at 14:00.\n".into(),
        html: "<p>Hello Ana,</p><p>see you on <b>Tuesday</b> at 14:00.</p>".into(),
        list_unsubscribe: None,
    })
}

/// Matches a form-encoded body holding exactly `fields` (any order).
struct Form(Vec<(String, String)>);

fn form(fields: &[(&str, &str)]) -> Form {
    Form(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
    )
}

/// A form body's fields, decoded (a URL's query is the same encoding).
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(&format!(
        "http://form.invalid/?{}",
        String::from_utf8_lossy(body)
    ))
    .unwrap_or_else(|e| panic!("form body: {e}"));
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Match for Form {
    fn matches(&self, request: &Request) -> bool {
        let mut got = form_fields(&request.body);
        let mut want = self.0.clone();
        got.sort();
        want.sort();
        got == want
    }
}

/// Runs the failure modes every HTTP channel shares, against `route` on
/// `server`: a 4xx is a refusal, 429 a retry after its `Retry-After`, 503
/// a retry, and an answer slower than the timeout a retry.
async fn assert_failure_modes(
    server: &MockServer,
    route: &str,
    channel: &dyn Channel,
    message: Outgoing<'_>,
    bad_request: Value,
) {
    let once = |response: ResponseTemplate| {
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(response)
            .up_to_n_times(1)
            .expect(1)
    };

    once(ResponseTemplate::new(400).set_body_json(&bad_request))
        .mount(server)
        .await;
    match channel.send(message).await {
        Err(SendError::Rejected(reason)) => assert!(reason.contains("400"), "{reason}"),
        other => panic!("a 400 must be a refusal: {other:?}"),
    }

    once(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .mount(server)
        .await;
    match channel.send(message).await {
        Err(SendError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_secs(7))),
        other => panic!("a 429 must be retried: {other:?}"),
    }

    once(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .mount(server)
        .await;
    match channel.send(message).await {
        Err(SendError::Retry { reason, after }) => {
            assert!(reason.contains("503"), "{reason}");
            assert_eq!(after, None);
        }
        other => panic!("a 503 must be retried: {other:?}"),
    }

    once(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(server)
        .await;
    match channel.send(message).await {
        Err(SendError::Retry { reason, after }) => {
            assert!(reason.contains("timed out"), "{reason}");
            assert_eq!(after, None);
        }
        other => panic!("a slow answer must be retried: {other:?}"),
    }
}

// ---------------------------------------------------------------- WhatsApp

fn whatsapp_channel(server: &MockServer) -> WhatsappChannel {
    let mut config = WhatsappConfig::new("1234567890", SecretString::from("wa-secret-token"));
    config.base_url = format!("{}/", server.uri());
    config.http = fast_http();
    ok(WhatsappChannel::new(config), "whatsapp channel")
}

#[tokio::test]
async fn whatsapp_sends_a_template_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/1234567890/messages"))
        .and(bearer_token("wa-secret-token"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "to": "5511987654321",
            "type": "template",
            "template": {
                "name": "booking_confirmed",
                "language": {"code": "pt_BR"},
                "components": [{
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ana"},
                        {"type": "text", "text": "Corte"},
                        {"type": "text", "text": "12/05 às 14:00"},
                    ],
                }],
            },
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "5511987654321", "wa_id": "5511987654321"}],
            "messages": [{"id": "wamid.HBgLNTUxMTk4NzY1NDMyMRUCABEYEjQ"}],
        })))
        .expect(1)
        .mount(&server)
        .await;

    let channel = whatsapp_channel(&server);
    assert_eq!(channel.kind(), ChannelKind::Whatsapp);
    let message = whatsapp();
    let sent = channel.send(outgoing("+55 11 98765-4321", &message)).await;
    assert_eq!(
        sent,
        Ok(Sent {
            provider_id: "wamid.HBgLNTUxMTk4NzY1NDMyMRUCABEYEjQ".into()
        })
    );
}

#[tokio::test]
async fn whatsapp_failures() {
    let server = MockServer::start().await;
    let channel = whatsapp_channel(&server);
    let message = whatsapp();
    let bad = json!({"error": {
        "message": "(#132001) Template name does not exist in the translation",
        "type": "OAuthException", "code": 132001, "fbtrace_id": "A1",
    }});
    assert_failure_modes(
        &server,
        "/v21.0/1234567890/messages",
        &channel,
        outgoing("+5511987654321", &message),
        bad,
    )
    .await;

    // Meta's rate limits arrive as 400s with their own codes.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#130429) Rate limit hit", "code": 130429,
        }})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    match channel.send(outgoing("+5511987654321", &message)).await {
        Err(SendError::Retry { reason, after }) => {
            assert!(reason.contains("Rate limit hit"), "{reason}");
            assert!(after.is_some());
        }
        other => panic!("a rate limit must be retried: {other:?}"),
    }

    // Not a phone number, or not a WhatsApp message: refused before any request.
    let before = server.received_requests().await.map_or(0, |r| r.len());
    assert!(matches!(
        channel.send(outgoing("not a phone", &message)).await,
        Err(SendError::Rejected(_))
    ));
    assert!(matches!(
        channel.send(outgoing("+5511987654321", &sms("hi"))).await,
        Err(SendError::Rejected(_))
    ));
    let after = server.received_requests().await.map_or(0, |r| r.len());
    assert_eq!(before, after);
}

#[tokio::test]
async fn whatsapp_refuses_a_connection_that_never_happens_as_retry() {
    // A port nothing listens on (bound, then released).
    let port = {
        let listener = ok(std::net::TcpListener::bind("127.0.0.1:0"), "bind");
        ok(listener.local_addr(), "addr").port()
    };
    let mut config = WhatsappConfig::new("1234567890", SecretString::from("wa-secret-token"));
    config.base_url = format!("http://127.0.0.1:{port}");
    config.http = fast_http();
    let channel = ok(WhatsappChannel::new(config), "whatsapp channel");
    let message = whatsapp();
    match channel.send(outgoing("+5511987654321", &message)).await {
        Err(SendError::Retry {
            reason,
            after: None,
        }) => {
            assert!(!reason.contains("wa-secret-token"), "{reason}");
            assert!(!reason.contains("127.0.0.1"), "no URL in reasons: {reason}");
        }
        other => panic!("a refused connection must be retried: {other:?}"),
    }
}

// ---------------------------------------------------------------- SMS (Twilio)

fn twilio_channel(server: &MockServer, sender: TwilioSender) -> TwilioSmsChannel {
    let mut config = TwilioConfig::new("ACtest123", SecretString::from("tw-auth-secret"), sender);
    config.base_url = server.uri();
    config.http = fast_http();
    ok(TwilioSmsChannel::new(config), "twilio channel")
}

#[tokio::test]
async fn twilio_posts_a_form_with_basic_auth() {
    let server = MockServer::start().await;
    let route = "/2010-04-01/Accounts/ACtest123/Messages.json";
    Mock::given(method("POST"))
        .and(path(route))
        .and(basic_auth("ACtest123", "tw-auth-secret"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(form(&[
            ("To", "+15550001111"),
            ("From", "+15550009999"),
            ("Body", "Your code is 123456 & valid 10 min"),
        ]))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "SM0123456789abcdef0123456789abcdef", "status": "queued",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(route))
        .and(basic_auth("ACtest123", "tw-auth-secret"))
        .and(form(&[
            ("To", "+15550001111"),
            ("MessagingServiceSid", "MG0001"),
            ("Body", "hello"),
        ]))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM2"})))
        .expect(1)
        .mount(&server)
        .await;

    let from = twilio_channel(&server, TwilioSender::From("+15550009999".into()));
    assert_eq!(from.kind(), ChannelKind::Sms);
    let text = sms("Your code is 123456 & valid 10 min");
    let sent = from.send(outgoing("+15550001111", &text)).await;
    assert_eq!(
        sent.map(|s| s.provider_id),
        Ok("SM0123456789abcdef0123456789abcdef".to_string())
    );

    let service = twilio_channel(&server, TwilioSender::MessagingService("MG0001".into()));
    let hello = sms("hello");
    let sent = service.send(outgoing("+15550001111", &hello)).await;
    assert_eq!(sent.map(|s| s.provider_id), Ok("SM2".to_string()));
}

#[tokio::test]
async fn twilio_failures() {
    let server = MockServer::start().await;
    let channel = twilio_channel(&server, TwilioSender::From("+15550009999".into()));
    let text = sms("hi");
    let bad = json!({
        "code": 21211, "message": "The 'To' number +15550001111 is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400,
    });
    assert_failure_modes(
        &server,
        "/2010-04-01/Accounts/ACtest123/Messages.json",
        &channel,
        outgoing("+15550001111", &text),
        bad,
    )
    .await;
}

// ---------------------------------------------------------------- SMS (files)

#[tokio::test]
async fn the_sms_outbox_writes_one_file_per_text() {
    let tmp = ok(tempfile::tempdir(), "tempdir");
    let dir = tmp.path().join("sms");
    let channel = FileSmsChannel::new(&dir);
    let text = sms("123456 is your Trellis code");
    let sent = ok(
        channel.send(outgoing("+15550001111", &text)).await,
        "file sms",
    );

    let names: Vec<String> = ok(std::fs::read_dir(&dir), "read dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, std::slice::from_ref(&sent.provider_id));
    let name = &sent.provider_id;
    // <%Y%m%dT%H%M%S%.6f>-<digits>.txt
    let (time, rest) = name.split_once('-').unwrap_or_else(|| panic!("{name}"));
    assert_eq!(rest, "15550001111.txt");
    assert_eq!(time.len(), "20240101T120000.123456".len(), "{time}");
    assert_eq!(&time[8..9], "T");
    assert_eq!(&time[15..16], ".");
    assert!(
        time.chars()
            .enumerate()
            .all(|(i, c)| i == 8 || i == 15 || c.is_ascii_digit())
    );
    let content = ok(std::fs::read_to_string(dir.join(name)), "read sms");
    assert_eq!(content, "To: +15550001111\n\n123456 is your Trellis code\n");
}

// ---------------------------------------------------------------- push (FCM)

/// The throwaway test key, without the file's explanatory preamble.
fn test_key_pem() -> &'static str {
    let file = include_str!("support/throwaway_rsa_key.pem");
    let start = file.find("-----BEGIN").unwrap_or(0);
    &file[start..]
}

fn service_account() -> SecretString {
    SecretString::from(
        json!({
            "type": "service_account",
            "project_id": "trellis-test",
            "private_key_id": "kid-0001",
            "private_key": test_key_pem(),
            "client_email": "push@trellis-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": "https://oauth2.googleapis.com/token",
        })
        .to_string(),
    )
}

fn fcm_channel(server: &MockServer) -> FcmChannel {
    let mut config = FcmConfig::new(service_account(), "bookings");
    config.base_url = server.uri();
    config.token_uri = Some(format!("{}/token", server.uri()));
    config.http = fast_http();
    ok(FcmChannel::new(config), "fcm channel")
}

const FCM_ROUTE: &str = "/v1/projects/trellis-test/messages:send";
const DEVICE: &str = "dXNlci1kZXZpY2UtdG9rZW4:APA91bH";

fn token_response(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token, "expires_in": expires_in, "token_type": "Bearer",
    }))
}

fn token_mock() -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
}

fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "name": "projects/trellis-test/messages/0:1700000000000000%abc"
    }))
}

#[tokio::test]
async fn fcm_sends_with_one_cached_token() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(token_response("ya29.first", 3599))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(FCM_ROUTE))
        .and(bearer_token("ya29.first"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"message": {
            "token": DEVICE,
            "notification": {"title": "Booking confirmed", "body": "Haircut, Tue 14:00"},
            "android": {"notification": {"channel_id": "bookings"}},
        }})))
        .respond_with(accepted())
        .expect(2)
        .mount(&server)
        .await;

    let channel = fcm_channel(&server);
    assert_eq!(channel.kind(), ChannelKind::Push);
    let message = push();
    for _ in 0..2 {
        let sent = channel.send(outgoing(DEVICE, &message)).await;
        assert_eq!(
            sent.map(|s| s.provider_id),
            Ok("projects/trellis-test/messages/0:1700000000000000%abc".to_string())
        );
    }

    // The grant: a JWT-bearer assertion signed with the account's key.
    let requests = server.received_requests().await.unwrap_or_default();
    let grant = requests
        .iter()
        .find(|r| r.url.path() == "/token")
        .unwrap_or_else(|| panic!("no token request"));
    let fields = form_fields(&grant.body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {fields:?}"))
    };
    assert_eq!(
        field("grant_type"),
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let public = ok(RsaPrivateKey::from_pkcs8_pem(test_key_pem()), "test key").to_public_key();
    let public = ok(public.to_pkcs1_der(), "public key");
    let token_uri = format!("{}/token", server.uri());
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&token_uri]);
    validation.set_issuer(&["push@trellis-test.iam.gserviceaccount.com"]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    let decoded = ok(
        jsonwebtoken::decode::<Value>(
            field("assertion"),
            &DecodingKey::from_rsa_der(public.as_bytes()),
            &validation,
        ),
        "assertion",
    );
    assert_eq!(decoded.header.kid.as_deref(), Some("kid-0001"));
    assert_eq!(decoded.claims["scope"], SCOPE);
    assert_eq!(SCOPE, "https://www.googleapis.com/auth/firebase.messaging");
    let iat = decoded.claims["iat"].as_i64().unwrap_or_default();
    let exp = decoded.claims["exp"].as_i64().unwrap_or_default();
    assert_eq!(exp - iat, 3600);
    assert!((iat - chrono::Utc::now().timestamp()).abs() < 60);
}

#[tokio::test]
async fn fcm_refreshes_an_expired_token() {
    let server = MockServer::start().await;
    // One second of life: refreshed after half of it.
    token_mock()
        .respond_with(token_response("ya29.short", 1))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(FCM_ROUTE))
        .and(bearer_token("ya29.short"))
        .respond_with(accepted())
        .expect(2)
        .mount(&server)
        .await;
    let channel = fcm_channel(&server);
    let message = push();
    ok(channel.send(outgoing(DEVICE, &message)).await, "first");
    tokio::time::sleep(Duration::from_millis(700)).await;
    ok(channel.send(outgoing(DEVICE, &message)).await, "second");
}

#[tokio::test]
async fn fcm_drops_a_token_refused_with_401() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(token_response("ya29.revoked", 3600))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token_mock()
        .respond_with(token_response("ya29.fresh", 3600))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(FCM_ROUTE))
        .and(bearer_token("ya29.revoked"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": 401, "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED",
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(FCM_ROUTE))
        .and(bearer_token("ya29.fresh"))
        .respond_with(accepted())
        .expect(2)
        .mount(&server)
        .await;

    let channel = fcm_channel(&server);
    let message = push();
    match channel.send(outgoing(DEVICE, &message)).await {
        Err(SendError::Retry {
            reason,
            after: None,
        }) => {
            assert!(reason.contains("401"), "{reason}");
            assert!(!reason.contains("ya29"), "{reason}");
        }
        other => panic!("a 401 must be retried: {other:?}"),
    }
    ok(channel.send(outgoing(DEVICE, &message)).await, "after 401");
    ok(
        channel.send(outgoing(DEVICE, &message)).await,
        "cached again",
    );
}

#[tokio::test]
async fn fcm_reports_unregistered_tokens() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(token_response("ya29.t", 3600))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(FCM_ROUTE))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "code": 404,
            "message": "Requested entity was not found.",
            "status": "NOT_FOUND",
            "details": [{
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": "UNREGISTERED",
            }],
        }})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(FCM_ROUTE))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "code": 400,
            "message": "The registration token is not a valid FCM registration token",
            "status": "INVALID_ARGUMENT",
            "details": [{
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": "UNREGISTERED",
            }],
        }})))
        .up_to_n_times(1)
        .mount(&server)
        .await;

    let channel = fcm_channel(&server);
    let message = push();
    for status in ["404", "400"] {
        match channel.send(outgoing(DEVICE, &message)).await {
            Err(SendError::Unregistered(reason)) => {
                assert!(reason.contains(status), "{reason}");
                assert!(!reason.contains(DEVICE), "{reason}");
            }
            other => panic!("UNREGISTERED must forget the device: {other:?}"),
        }
    }
}

#[tokio::test]
async fn fcm_failures() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(token_response("ya29.t", 3600))
        .expect(1)
        .mount(&server)
        .await;
    let channel = fcm_channel(&server);
    let message = push();
    let bad = json!({"error": {
        "code": 400, "message": "Invalid JSON payload received.", "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                     "errorCode": "INVALID_ARGUMENT"}],
    }});
    assert_failure_modes(
        &server,
        FCM_ROUTE,
        &channel,
        outgoing(DEVICE, &message),
        bad,
    )
    .await;
}

#[tokio::test]
async fn fcm_retries_when_no_token_can_be_had() {
    let server = MockServer::start().await;
    token_mock()
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant", "error_description": "Invalid JWT Signature.",
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    token_mock()
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let channel = fcm_channel(&server);
    let message = push();
    match channel.send(outgoing(DEVICE, &message)).await {
        Err(SendError::Retry { reason, .. }) => {
            assert!(reason.contains("Invalid JWT Signature"), "{reason}");
            assert!(!reason.contains("BEGIN"), "{reason}");
        }
        other => panic!("a failed grant must be retried: {other:?}"),
    }
    match channel.send(outgoing(DEVICE, &message)).await {
        Err(SendError::Retry { reason, .. }) => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("a slow grant must be retried: {other:?}"),
    }
    let sends = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == FCM_ROUTE)
        .count();
    assert_eq!(sends, 0);
}

#[test]
fn bad_channel_configuration_is_refused_without_quoting_secrets() {
    let with_account = |account: &str| {
        let mut config = FcmConfig::new(SecretString::from(account.to_string()), "bookings");
        config.http = fast_http();
        FcmChannel::new(config)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let not_json = with_account("{\"private_key\": \"-----BEGIN PRIVATE KEY-----\nAAAA");
    assert!(
        not_json.as_ref().is_err_and(|e| !e.contains("BEGIN")),
        "{not_json:?}"
    );
    let bad_pem = with_account(
        &json!({"client_email": "a@b.c", "project_id": "p", "private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"})
            .to_string(),
    );
    assert!(
        bad_pem
            .as_ref()
            .is_err_and(|e| e.contains("private_key") && !e.contains("not a key")),
        "{bad_pem:?}"
    );
    let no_email =
        with_account(&json!({"project_id": "p", "private_key": test_key_pem()}).to_string());
    assert!(
        no_email.as_ref().is_err_and(|e| e.contains("client_email")),
        "{no_email:?}"
    );
    let no_project =
        with_account(&json!({"client_email": "a@b.c", "private_key": test_key_pem()}).to_string());
    assert!(
        no_project.as_ref().is_err_and(|e| e.contains("project")),
        "{no_project:?}"
    );
    // An escaped key (pasted into an environment variable) still reads.
    let escaped = with_account(
        &json!({"client_email": "a@b.c", "project_id": "p",
                "private_key": test_key_pem().replace('\n', "\\n")})
        .to_string(),
    );
    assert_eq!(escaped, Ok(()));

    let bad_from = EmailChannel::new(EmailConfig::files(std::env::temp_dir(), "not a mailbox"));
    assert!(bad_from.is_err());
    let bad_url = EmailChannel::new(EmailConfig::smtp(
        SecretString::from("smtp://user:smtp-password@"),
        "Trellis <no-reply@trellis.test>",
    ));
    assert!(
        bad_url
            .as_ref()
            .is_err_and(|e| !e.to_string().contains("smtp-password")),
        "{bad_url:?}"
    );
    assert!(WhatsappChannel::new(WhatsappConfig::new("+1555", SecretString::from("t"))).is_err());
    assert!(
        TwilioSmsChannel::new(TwilioConfig::new(
            "ACx",
            SecretString::from(""),
            TwilioSender::From("+15550009999".into()),
        ))
        .is_err()
    );
}

#[test]
fn configuration_debug_hides_secrets() {
    let configs = [
        format!(
            "{:?}",
            WhatsappConfig::new("1", SecretString::from("wa-secret-token"))
        ),
        format!(
            "{:?}",
            TwilioConfig::new(
                "AC1",
                SecretString::from("tw-auth-secret"),
                TwilioSender::From("+15550009999".into())
            )
        ),
        format!("{:?}", FcmConfig::new(service_account(), "bookings")),
        format!(
            "{:?}",
            EmailConfig::smtp(SecretString::from("smtp://u:smtp-password@h"), "a@b.c")
        ),
    ];
    for debug in configs {
        for secret in [
            "wa-secret-token",
            "tw-auth-secret",
            "PRIVATE KEY",
            "smtp-password",
        ] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
    let mut config = FcmConfig::new(service_account(), "bookings");
    config.http = fast_http();
    let channel = ok(FcmChannel::new(config), "fcm");
    assert!(!format!("{channel:?}").contains("PRIVATE KEY"));
}

// ---------------------------------------------------------------- email

const FROM: &str = "Trellis <no-reply@trellis.test>";

/// Checks a raw message is the multipart/alternative email of [`email()`]
/// with the `Message-ID` `id`.
fn assert_email(raw: &[u8], id: &str) {
    let message = MessageParser::default()
        .parse(raw)
        .unwrap_or_else(|| panic!("not a message"));
    let content_type = message
        .content_type()
        .unwrap_or_else(|| panic!("no content type"));
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("multipart", Some("alternative"))
    );
    let parts: Vec<String> = message
        .parts
        .iter()
        .filter_map(|p| p.content_type())
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
        .collect();
    assert!(parts.contains(&"text/plain".to_string()), "{parts:?}");
    assert!(parts.contains(&"text/html".to_string()), "{parts:?}");
    assert_eq!(
        message.message_id().map(|m| format!("<{m}>")).as_deref(),
        Some(id)
    );
    assert_eq!(message.subject(), Some("Your booking is confirmed"));
    let to = message
        .to()
        .and_then(|to| to.first())
        .and_then(|a| a.address())
        .unwrap_or_default();
    assert_eq!(to, "ana@example.com");
    let text = message.body_text(0).unwrap_or_default();
    assert!(text.contains("see you on Tuesday at 14:00."), "{text}");
    let html = message.body_html(0).unwrap_or_default();
    assert!(html.contains("<b>Tuesday</b>"), "{html}");
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn email_in_development_is_written_as_eml() {
    let tmp = ok(tempfile::tempdir(), "tempdir");
    let dir = tmp.path().join("mail");
    let channel = ok(EmailChannel::new(EmailConfig::files(&dir, FROM)), "email");
    assert_eq!(channel.kind(), ChannelKind::Email);
    let message = email();
    let sent = ok(
        channel.send(outgoing("ana@example.com", &message)).await,
        "send",
    );
    assert_eq!(
        sent.provider_id,
        "<0190f0aa-7c4e-7b1e-9a51-4ad0c0ffee01@trellis.test>"
    );
    let files = eml_files(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_email(&ok(std::fs::read(&files[0]), "eml"), &sent.provider_id);

    assert!(matches!(
        channel.send(outgoing("not an address", &message)).await,
        Err(SendError::Rejected(_))
    ));
    assert!(matches!(
        channel.send(outgoing("ana@example.com", &push())).await,
        Err(SendError::Rejected(_))
    ));
}

#[tokio::test]
async fn marketing_email_offers_one_click_unsubscribe() {
    let tmp = ok(tempfile::tempdir(), "tempdir");
    let channel = ok(
        EmailChannel::new(EmailConfig::files(tmp.path(), FROM)),
        "email",
    );
    let Rendered::Email(mut message) = email() else {
        panic!("an email")
    };
    let url = "https://api.trellis.test/api/v1/notifications/unsubscribe?token=abc.def";
    message.list_unsubscribe = Some(url.into());
    let message = Rendered::Email(message);
    ok(
        channel.send(outgoing("ana@example.com", &message)).await,
        "send",
    );
    let raw = ok(std::fs::read(&eml_files(tmp.path())[0]), "eml");
    let parsed = mail_parser::MessageParser::default()
        .parse(&raw)
        .unwrap_or_else(|| panic!("parse"));
    let header = |name: &str| {
        parsed
            .header_raw(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(header("List-Unsubscribe"), format!("<{url}>"));
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
}

/// A running aiosmtpd (the black-box tests' `tests/support/smtp_sink.py`):
/// its port and inbox; stopped when dropped (its stdin closes).
struct SmtpSink {
    port: u16,
    inbox: PathBuf,
    child: Child,
    _tmp: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Starts the sink; `None` (with a note) without aiosmtpd, unless `CI=true`.
fn smtp_sink() -> Option<SmtpSink> {
    let started = start_sink();
    match started {
        Ok(sink) => Some(sink),
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true needs a real SMTP server: {reason} (pip install aiosmtpd)")
        }
        Err(reason) => {
            eprintln!("skipping the SMTP test: {reason} (pip install aiosmtpd)");
            None
        }
    }
}

fn start_sink() -> Result<SmtpSink, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/smtp_sink.py");
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let inbox = tmp.path().join("inbox");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(&inbox)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let port = line.trim().parse().map_err(|_| {
        let _ = child.kill();
        let _ = child.wait();
        "aiosmtpd did not start".to_string()
    })?;
    Ok(SmtpSink {
        port,
        inbox,
        child,
        _tmp: tmp,
    })
}

#[tokio::test]
async fn email_goes_through_smtp() {
    let Some(sink) = smtp_sink() else { return };
    let channel = ok(
        EmailChannel::new(EmailConfig::smtp(
            SecretString::from(format!("smtp://127.0.0.1:{}", sink.port)),
            FROM,
        )),
        "email",
    );
    let message = email();
    let sent = ok(
        channel.send(outgoing("ana@example.com", &message)).await,
        "smtp send",
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let file = loop {
        if let Some(file) = eml_files(&sink.inbox).pop() {
            break file;
        }
        assert!(std::time::Instant::now() < deadline, "no mail arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_email(&ok(std::fs::read(&file), "eml"), &sent.provider_id);
}

/// A minimal SMTP server answering `RCPT TO` with `rcpt_reply` (`550 …`,
/// `451 …`); everything else is accepted.
async fn scripted_smtp(rcpt_reply: &'static str) -> u16 {
    let listener = ok(TcpListener::bind("127.0.0.1:0").await, "bind");
    let port = ok(listener.local_addr(), "addr").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = tokio::io::BufReader::new(read).lines();
                let _ = write.write_all(b"220 scripted ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply = if command.starts_with("EHLO") || command.starts_with("HELO") {
                        "250 scripted".to_string()
                    } else if command.starts_with("RCPT") {
                        rcpt_reply.to_string()
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        "250 ok".to_string()
                    };
                    if write
                        .write_all(format!("{reply}\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn smtp_refusals_are_permanent_or_temporary_by_their_code() {
    let message = email();
    let channel_at = |port: u16| {
        ok(
            EmailChannel::new(EmailConfig::smtp(
                SecretString::from(format!("smtp://127.0.0.1:{port}")),
                FROM,
            )),
            "email",
        )
    };

    let permanent = channel_at(scripted_smtp("550 5.1.1 no such user").await);
    match permanent.send(outgoing("ana@example.com", &message)).await {
        Err(SendError::Rejected(reason)) => assert!(reason.contains("550"), "{reason}"),
        other => panic!("a 550 must be a refusal: {other:?}"),
    }

    let temporary = channel_at(scripted_smtp("451 4.3.0 try again later").await);
    match temporary.send(outgoing("ana@example.com", &message)).await {
        Err(SendError::Retry { reason, .. }) => assert!(reason.contains("451"), "{reason}"),
        other => panic!("a 451 must be retried: {other:?}"),
    }

    let closed = {
        let listener = ok(std::net::TcpListener::bind("127.0.0.1:0"), "bind");
        ok(listener.local_addr(), "addr").port()
    };
    match channel_at(closed)
        .send(outgoing("ana@example.com", &message))
        .await
    {
        Err(SendError::Retry { .. }) => {}
        other => panic!("a refused connection must be retried: {other:?}"),
    }
}

// ---------------------------------------------------------------- registry

#[test]
fn the_registry_holds_what_is_configured() {
    let tmp = ok(tempfile::tempdir(), "tempdir");
    let email = ok(
        EmailChannel::new(EmailConfig::files(tmp.path(), FROM)),
        "email",
    );
    let channels = Channels::new()
        .with(Arc::new(email))
        .with(Arc::new(FileSmsChannel::new(tmp.path().join("sms"))));
    assert_eq!(channels.kinds(), [ChannelKind::Email, ChannelKind::Sms]);
    assert!(channels.get(ChannelKind::Push).is_none());
    assert!(channels.get(ChannelKind::Whatsapp).is_none());
}
