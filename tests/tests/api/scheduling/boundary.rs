//! Parse at the boundary: a slug, zone, currency, wall time or contact that
//! its type refuses is a 422 naming the field, and nothing is written.
//! Malformed JSON and wrong JSON types stay 400.

use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::{Reply, TestApp, send, unique_email};

/// The fields named by a 422, in order.
fn fields(reply: &Reply) -> Vec<Value> {
    reply.assert_problem(422, "request.validation_failed");
    reply.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["field"].clone())
        .collect()
}

fn slug() -> String {
    format!("pro-{}", uuid::Uuid::now_v7().simple())
}

#[tokio::test]
async fn a_refused_slug_or_zone_names_its_field_and_creates_nothing() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let token = app.access_token(&unique_email("boundary")).await;
    let create = |body: Value| {
        send(
            app.authed(Method::POST, "/api/v1/professionals", &token)
                .json(&body),
        )
    };

    let bad_slug = create(json!({"slug": "Ana Lima", "name": "N", "time_zone": "UTC"})).await;
    assert_eq!(fields(&bad_slug), [json!("slug")]);
    let bad_zone = create(json!({"slug": slug(), "name": "N", "time_zone": "Mars/Base"})).await;
    assert_eq!(fields(&bad_zone), [json!("time_zone")]);
    // Every refused field is named, not only the first.
    let both = create(json!({"slug": "-x", "name": "N", "time_zone": "Nowhere"})).await;
    assert_eq!(fields(&both), [json!("slug"), json!("time_zone")]);
    // The right shape but a word scheduling reserves: still the slug's 422.
    let reserved = create(json!({"slug": "booking", "name": "N", "time_zone": "UTC"})).await;
    assert_eq!(fields(&reserved), [json!("slug")]);

    // Nothing was written: no profile, and no personal organization for one.
    send(app.authed(Method::GET, "/api/v1/professionals/me", &token))
        .await
        .assert_problem(404, "professional.not_found");
    let orgs = send(app.authed(Method::GET, "/api/v1/orgs", &token)).await;
    assert_eq!(
        orgs.body["items"].as_array().map(Vec::len),
        Some(0),
        "{}",
        orgs.text
    );

    // A wrong JSON type is a malformed body, as before.
    create(json!({"slug": 42, "name": "N", "time_zone": "UTC"}))
        .await
        .assert_problem(400, "request.invalid_body");
    send(
        app.authed(Method::POST, "/api/v1/professionals", &token)
            .header("content-type", "application/json")
            .body("{\"slug\": "),
    )
    .await
    .assert_problem(400, "request.invalid_body");
}

#[tokio::test]
async fn refused_currencies_times_zones_and_contacts_name_their_fields() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let token = app.access_token(&unique_email("boundary")).await;
    let slug = slug();
    let created = send(
        app.authed(Method::POST, "/api/v1/professionals", &token)
            .json(&json!({"slug": slug, "name": "Ana", "time_zone": "Europe/Lisbon"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let service = |currency: &str| {
        app.authed(Method::POST, "/api/v1/professionals/me/services", &token)
            .json(&json!({"name": "Cut", "duration_minutes": 60, "price_minor": 3500, "currency": currency}))
    };

    // Currency: refused before anything is stored; accepted ones are upper-cased.
    assert_eq!(fields(&send(service("EURO")).await), [json!("currency")]);
    let listed = send(app.authed(Method::GET, "/api/v1/professionals/me/services", &token)).await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(0),
        "{}",
        listed.text
    );
    let cut = send(service("brl")).await;
    assert_eq!(cut.status, 201, "{}", cut.text);
    assert_eq!(cut.body["currency"], "BRL");
    let service_id = cut.body["id"].as_str().unwrap_or_default().to_string();
    let patch = send(
        app.authed(
            Method::PATCH,
            &format!("/api/v1/professionals/me/services/{service_id}"),
            &token,
        )
        .json(&json!({"currency": "12"})),
    )
    .await;
    assert_eq!(fields(&patch), [json!("currency")]);

    // Wall times: named by their place in the list; the hours stay as they were.
    let hours = |rules: Value| {
        send(
            app.authed(Method::PUT, "/api/v1/professionals/me/availability", &token)
                .json(&json!({ "rules": rules })),
        )
    };
    let ok = hours(json!([{"weekday": 1, "start": "09:00", "end": "24:00"}])).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let bad = hours(json!([
        {"weekday": 2, "start": "09:00", "end": "12:00"},
        {"weekday": 3, "start": "9:00", "end": "24:30"}
    ]))
    .await;
    assert_eq!(
        fields(&bad),
        [json!("rules[1].end"), json!("rules[1].start")]
    );
    let kept = send(app.authed(Method::GET, "/api/v1/professionals/me/availability", &token)).await;
    assert_eq!(
        kept.body["rules"],
        json!([{"weekday": 1, "start": "09:00", "end": "24:00"}])
    );
    // 24:00 is an end, never a start (the availability rule, after parsing).
    let late = hours(json!([{"weekday": 1, "start": "24:00", "end": "24:00"}])).await;
    assert_eq!(fields(&late), [json!("rules[0].start")]);

    // A zone in the query: 422 naming the parameter.
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    let slots = |tz: &str| {
        send(app.get(&format!(
            "/api/v1/booking/{slug}/slots?service_id={service_id}&from={day}&to={day}&tz={tz}"
        )))
    };
    assert_eq!(slots("Asia/Tokyo").await.status, 200);
    assert_eq!(fields(&slots("Mars/Base").await), [json!("tz")]);

    // A booking's contact: named inside `client`; no client is created.
    let booking = send(app.post_json(
        &format!("/api/v1/booking/{slug}"),
        &json!({
            "service_id": service_id,
            "start_at": format!("{day}T10:00:00Z"),
            "client": {"name": "Joao", "email": "joao-at-example.com", "phone": "+351 912 345 678"}
        }),
    ))
    .await;
    assert_eq!(fields(&booking), [json!("client.email")]);
    let clients = send(app.authed(Method::GET, "/api/v1/professionals/me/clients", &token)).await;
    assert_eq!(
        clients.body["items"].as_array().map(Vec::len),
        Some(0),
        "{}",
        clients.text
    );
    let add = send(
        app.authed(Method::POST, "/api/v1/professionals/me/clients", &token)
            .json(&json!({"name": "Bad", "phone": "12", "email": "nope"})),
    )
    .await;
    assert_eq!(fields(&add), [json!("email"), json!("phone")]);
}
