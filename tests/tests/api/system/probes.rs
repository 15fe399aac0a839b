//! Probes, the spec, Swagger UI and the listener split.

use reqwest::Method;
use trellis_tests::{TestApp, TestRedis, send};

#[tokio::test]
async fn health_and_readiness_answer_on_a_migrated_database() {
    let app = TestApp::spawn().await;
    let health = send(app.get("/healthz")).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");

    let ready = send(app.get("/readyz")).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body["migrations"], "ok");
    assert!(ready.body.get("redis").is_none(), "no Redis configured");
}

#[tokio::test]
async fn readiness_reports_redis_without_failing_on_it() {
    // An unreachable Redis is reported, but the instance stays ready: rate
    // limits fail open and revocations fall back to the database.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(1);
    let url = format!("redis://127.0.0.1:{port}");
    let down = TestApp::spawn_with(&[("REDIS_URL", &url)]).await;
    let ready = send(down.get("/readyz")).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body["redis"], "unreachable");

    let Some(redis) = TestRedis::for_test("readiness_reports_redis_without_failing_on_it") else {
        return;
    };
    let up = TestApp::spawn_with(&redis.overrides()).await;
    let ready = send(up.get("/readyz")).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body["redis"], "ok");
}

#[tokio::test]
async fn readiness_is_503_while_migrations_are_pending() {
    let app = TestApp::spawn_with(&[("TRELLIS_AUTO_MIGRATE", "false")]).await;
    let ready = send(app.get("/readyz")).await;
    ready.assert_problem(503, "system.migrations_pending");
    // Liveness does not depend on the database.
    assert_eq!(send(app.get("/healthz")).await.status, 200);
}

#[tokio::test]
async fn the_spec_is_served_and_is_openapi_3() {
    let app = TestApp::spawn().await;
    let spec = send(app.get("/openapi.json")).await;
    assert_eq!(spec.status, 200);
    assert!(
        spec.body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    assert!(spec.body["paths"]["/healthz"]["get"]["operationId"].is_string());
    // Internal operations are not in the public spec.
    assert!(spec.body["paths"].get("/internal/config").is_none());
    // Every operation has an id and a tag.
    for (path, item) in spec.body["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            assert!(
                op["operationId"].is_string(),
                "{method} {path} has no operationId"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
        }
    }

    let docs = send(app.get("/docs/")).await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "Swagger UI page");
}

#[tokio::test]
async fn internal_routes_exist_only_on_the_internal_listener() {
    let app = TestApp::spawn().await;
    for path in ["/internal/config", "/metrics"] {
        let public = send(app.get(path)).await;
        public.assert_problem(404, "route.not_found");
    }
    let metrics = send(app.internal(Method::GET, "/metrics")).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.text.contains("trellis_http_requests_total"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("trellis_db_pool_connections"),
        "{}",
        metrics.text
    );

    let internal_spec = send(app.internal(Method::GET, "/openapi.json")).await;
    assert!(internal_spec.body["paths"]["/internal/config"].is_object());
    assert_eq!(send(app.internal(Method::GET, "/docs/")).await.status, 200);
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_status() {
    let app = TestApp::spawn().await;
    send(app.get("/healthz")).await;
    send(app.get("/no-such-route")).await;
    let metrics = send(app.internal(Method::GET, "/metrics")).await;
    assert!(
        metrics.text.contains(
            r#"trellis_http_requests_total{operation="health",method="GET",status="200"} 1"#
        ),
        "{}",
        metrics.text
    );
    assert!(
        metrics
            .text
            .contains(r#"operation="unmatched",method="GET",status="404""#)
    );
    assert!(
        metrics
            .text
            .contains("trellis_http_request_duration_seconds_bucket")
    );
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let echoed = send(app.get("/healthz").header("x-request-id", "abc-123")).await;
    assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
    let generated = send(
        app.get("/healthz")
            .header("x-request-id", "bad id with spaces"),
    )
    .await;
    let id = generated.header("x-request-id").unwrap_or_default();
    assert_eq!(id.len(), 36, "a fresh UUID replaces an unacceptable id");
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = TestApp::spawn_with(&[("TRELLIS_HSTS_MAX_AGE", "1y")]).await;
    for reply in [
        send(app.get("/healthz")).await,
        send(app.get("/nowhere")).await,
    ] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert!(
            reply
                .header("strict-transport-security")
                .is_some_and(|v| v.starts_with("max-age=31557600"))
        );
    }
    let plain = TestApp::spawn().await;
    assert!(
        send(plain.get("/healthz"))
            .await
            .header("strict-transport-security")
            .is_none()
    );
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(&[("TRELLIS_CORS_ORIGINS", "https://app.example.com")]).await;
    let preflight = |origin: &str| {
        app.request(Method::OPTIONS, "/healthz")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
    };
    let allowed = send(preflight("https://app.example.com")).await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let denied = send(preflight("https://evil.example.net")).await;
    assert!(denied.header("access-control-allow-origin").is_none());

    let simple = send(
        app.get("/healthz")
            .header("origin", "https://app.example.com"),
    )
    .await;
    assert_eq!(
        simple.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let app = TestApp::spawn().await;
    let token = app.token_for(&[trellis_kernel::Role::Staff]);
    // A request whose body is still arriving when shutdown begins. With a
    // one-slot channel, the second chunk is accepted only once the client has
    // pulled the first onto the wire: then the request is surely in flight.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let request = app
        .internal(Method::PATCH, "/internal/config")
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send();
    let in_flight = tokio::spawn(request);
    tx.send(Ok(br#"{"rate_limit.general": "#.to_vec()))
        .await
        .ok();
    tx.send(Ok(br#"{"limit": 7, "#.to_vec())).await.ok();

    app.shutdown();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    tx.send(Ok(br#""window_secs": 60}}"#.to_vec())).await.ok();
    drop(tx);

    let answered = in_flight.await.expect("join").expect("answered");
    let reply = trellis_tests::Reply::from(&Method::PATCH, answered).await;
    assert_eq!(
        reply.status, 200,
        "the in-flight request completed: {}",
        reply.text
    );
}

#[tokio::test]
async fn graceful_shutdown_stops_accepting() {
    let app = TestApp::spawn().await;
    assert_eq!(send(app.get("/healthz")).await.status, 200);
    app.shutdown();
    let mut refused = false;
    for _ in 0..50 {
        if app.get("/healthz").send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(refused, "the listener closes after shutdown");
}
