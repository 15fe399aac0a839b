//! Subscriptions through Stripe: checkout and portal against a fake Stripe
//! (wiremock) that records what the real client sends, and signed webhooks.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use trellis_billing::plans::PlanCode;
use trellis_billing::stripe::signature::sign;
use trellis_kernel::Role;
use trellis_tests::{Reply, TestApp, TestRedis, eventually, send, unique_email, unique_phone};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::{
    scheduling::booking::{book, professional},
    time::{agency, call, person},
};

const WEBHOOK_SECRET: &str = "whsec_trellis_test_0123456789";
const STRIPE_KEY: &str = "sk_test_trellis_0123456789";
/// Event times: Stripe's `created`, in order.
const T0: i64 = 1_790_000_000;

fn stripe_env(api_base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("TRELLIS_RATE_LIMITS", "off".into()),
        ("STRIPE_SECRET_KEY", STRIPE_KEY.into()),
        ("STRIPE_API_BASE", api_base.into()),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
        ("STRIPE_PRICE_BASIC", "price_basic".into()),
        ("STRIPE_PRICE_PRO", "price_pro".into()),
    ]
}

async fn spawn_with_stripe(api_base: &str) -> TestApp {
    let env = stripe_env(api_base);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestApp::spawn_with(&env).await
}

/// A valid `Stripe-Signature` of `event` made at `at` (unix seconds).
fn signed_at(event: &Value, at: i64) -> String {
    sign(event.to_string().as_bytes(), WEBHOOK_SECRET.as_bytes(), at)
}

/// Posts `event` to the webhook with a valid signature (and, if given,
/// a different `Stripe-Signature`).
async fn deliver(app: &TestApp, event: &Value, signature: Option<String>) -> Reply {
    let body = event.to_string();
    let signature = signature.unwrap_or_else(|| signed_at(event, Utc::now().timestamp()));
    send(
        app.request(Method::POST, "/api/v1/billing/webhooks/stripe")
            .header("content-type", "application/json; charset=utf-8")
            .header("stripe-signature", signature)
            .body(body),
    )
    .await
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "type": kind, "created": created,
        "api_version": "2025-09-30.clover", "livemode": false, "pending_webhooks": 1,
        "data": {"object": object}
    })
}

fn checkout_completed(id: &str, org: &str, plan: &str, created: i64) -> Value {
    event(
        id,
        "checkout.session.completed",
        created,
        json!({
            "id": "cs_test_1", "object": "checkout.session", "mode": "subscription",
            "customer": "cus_test_1", "subscription": "sub_test_1",
            "client_reference_id": org, "metadata": {"org_id": org, "plan": plan},
            "payment_status": "paid", "status": "complete"
        }),
    )
}

fn subscription_event(id: &str, kind: &str, price: &str, status: &str, created: i64) -> Value {
    event(
        id,
        kind,
        created,
        json!({
            "id": "sub_test_1", "object": "subscription", "customer": "cus_test_1",
            "status": status, "cancel_at_period_end": false,
            "items": {"object": "list", "data": [{
                "id": "si_1", "price": {"id": price, "object": "price"},
                "current_period_end": created + 30 * 86_400
            }]},
            "metadata": {}
        }),
    )
}

fn invoice_event(id: &str, kind: &str, created: i64) -> Value {
    event(
        id,
        kind,
        created,
        json!({
            "id": "in_test_1", "object": "invoice", "customer": "cus_test_1",
            "amount_due": 3900, "amount_paid": if kind.ends_with("succeeded") { 3900 } else { 0 },
            "currency": "brl", "status": "open"
        }),
    )
}

async fn subscription(app: &TestApp, token: &str, org: &str) -> Value {
    let reply = send(app.authed(
        Method::GET,
        &format!("/api/v1/billing/subscription?org_id={org}"),
        token,
    ))
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body
}

#[tokio::test]
async fn checkout_and_portal_send_stripe_what_it_needs() {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .and(header(
            "authorization",
            format!("Bearer {STRIPE_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "cus_test_1", "object": "customer", "created": T0, "livemode": false
        })))
        .expect(1)
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "cs_test_1", "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_1"
        })))
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/billing_portal/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "bps_1", "object": "billing_portal.session",
            "url": "https://billing.stripe.com/p/session/bps_1"
        })))
        .mount(&stripe)
        .await;
    let app = spawn_with_stripe(&stripe.uri()).await;
    let a = agency(&app).await;
    let checkout = |org: &str| format!("/api/v1/billing/checkout?org_id={org}");
    let portal = format!("/api/v1/billing/portal?org_id={}", a.org);

    // Who may: admins of the organization named.
    let by_member = call(
        &app,
        &a.member,
        Method::POST,
        &checkout(&a.org),
        Some(json!({"plan": "pro"})),
    )
    .await;
    by_member.assert_problem(403, "org.role_required");
    let foreign = call(
        &app,
        &a.outsider,
        Method::POST,
        &checkout(&a.org),
        Some(json!({"plan": "pro"})),
    )
    .await;
    foreign.assert_problem(404, "org.not_found");
    let unnamed = call(
        &app,
        &a.owner,
        Method::POST,
        "/api/v1/billing/checkout",
        Some(json!({"plan": "pro"})),
    )
    .await;
    assert_eq!(unnamed.status, 400, "{}", unnamed.text);
    // What may be bought: a paid plan with a Stripe price.
    for plan in ["free", "premium"] {
        let refused = call(
            &app,
            &a.owner,
            Method::POST,
            &checkout(&a.org),
            Some(json!({"plan": plan})),
        )
        .await;
        refused.assert_problem(422, "request.validation_failed");
    }
    let no_customer = call(&app, &a.owner, Method::POST, &portal, None).await;
    no_customer.assert_problem(409, "billing.no_customer");

    let first = call(
        &app,
        &a.owner,
        Method::POST,
        &checkout(&a.org),
        Some(json!({"plan": "pro"})),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        first.body["url"],
        "https://checkout.stripe.com/c/pay/cs_test_1"
    );
    // A second checkout (abandoned the first) reuses the customer.
    let again = call(
        &app,
        &a.owner,
        Method::POST,
        &checkout(&a.org),
        Some(json!({"plan": "basic"})),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text);
    let opened = call(&app, &a.owner, Method::POST, &portal, None).await;
    assert_eq!(opened.status, 200, "{}", opened.text);
    assert_eq!(
        opened.body["url"],
        "https://billing.stripe.com/p/session/bps_1"
    );
    let view = subscription(&app, &a.member.token, &a.org).await;
    assert_eq!(
        (view["plan"].as_str(), view["status"].as_str()),
        (Some("free"), Some("none"))
    );
    assert_eq!(view["portal_available"], true);

    let requests = stripe.received_requests().await.unwrap_or_default();
    let customer = requests
        .iter()
        .find(|r| r.url.path() == "/v1/customers")
        .unwrap();
    assert_eq!(
        customer
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok()),
        Some(format!("trellis-customer-{}", a.org).as_str())
    );
    let form = |r: &wiremock::Request| -> Vec<(String, String)> {
        url::form_urlencoded::parse(&r.body).into_owned().collect()
    };
    let sessions: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/v1/checkout/sessions")
        .map(form)
        .collect();
    assert_eq!(sessions.len(), 2);
    let has = |fields: &[(String, String)], key: &str, value: &str| {
        fields.iter().any(|(k, v)| k == key && v == value)
    };
    let first = &sessions[0];
    for (key, value) in [
        ("mode", "subscription"),
        ("customer", "cus_test_1"),
        ("line_items[0][price]", "price_pro"),
        ("line_items[0][quantity]", "1"),
        ("client_reference_id", a.org.as_str()),
        ("metadata[org_id]", a.org.as_str()),
        ("metadata[plan]", "pro"),
        ("subscription_data[metadata][org_id]", a.org.as_str()),
    ] {
        assert!(has(first, key, value), "{key}={value} not in {first:?}");
    }
    assert!(
        first
            .iter()
            .any(|(k, v)| k == "success_url" && v.contains("{CHECKOUT_SESSION_ID}"))
    );
    assert!(has(&sessions[1], "line_items[0][price]", "price_basic"));
    let portal_form = requests
        .iter()
        .find(|r| r.url.path() == "/v1/billing_portal/sessions")
        .map(form)
        .unwrap();
    assert!(
        has(&portal_form, "customer", "cus_test_1"),
        "{portal_form:?}"
    );
    assert!(
        portal_form
            .iter()
            .any(|(k, v)| k == "return_url" && v.ends_with("/billing"))
    );

    // Once subscribed, plan changes go through the portal.
    let completed = deliver(&app, &checkout_completed("evt_c1", &a.org, "pro", T0), None).await;
    assert_eq!(completed.status, 200, "{}", completed.text);
    let third = call(
        &app,
        &a.owner,
        Method::POST,
        &checkout(&a.org),
        Some(json!({"plan": "basic"})),
    )
    .await;
    third.assert_problem(409, "billing.already_subscribed");
}

#[tokio::test]
async fn stripe_failures_and_a_missing_configuration_are_503() {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"type": "invalid_request_error", "message": "No such price"}
        })))
        .mount(&stripe)
        .await;
    let app = spawn_with_stripe(&stripe.uri()).await;
    let a = agency(&app).await;
    let failed = call(
        &app,
        &a.owner,
        Method::POST,
        &format!("/api/v1/billing/checkout?org_id={}", a.org),
        Some(json!({"plan": "pro"})),
    )
    .await;
    failed.assert_problem(503, "billing.provider_unavailable");
    assert!(!failed.text.contains("No such price"), "{}", failed.text);

    let bare = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let b = agency(&bare).await;
    let checkout = call(
        &bare,
        &b.owner,
        Method::POST,
        &format!("/api/v1/billing/checkout?org_id={}", b.org),
        Some(json!({"plan": "pro"})),
    )
    .await;
    checkout.assert_problem(503, "billing.not_configured");
    let webhook = deliver(&bare, &checkout_completed("evt_x", &b.org, "pro", T0), None).await;
    webhook.assert_problem(503, "billing.not_configured");
}

#[tokio::test]
async fn webhooks_are_verified_applied_once_and_in_order() {
    let app = spawn_with_stripe("http://127.0.0.1:9").await;
    let a = agency(&app).await;
    let status = |view: &Value| {
        (
            view["plan"].as_str().unwrap_or_default().to_owned(),
            view["status"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let started = checkout_completed("evt_1", &a.org, "pro", T0);
    let body = started.to_string();
    let now = Utc::now().timestamp();

    // Anything not proven to come from Stripe is 400 and changes nothing.
    let valid = sign(body.as_bytes(), WEBHOOK_SECRET.as_bytes(), now);
    let tampered = body.replace("\"pro\"", "\"premium\"");
    let refusals = [
        (
            body.clone(),
            Some(sign(body.as_bytes(), b"whsec_someone_else_000000", now)),
        ),
        (
            body.clone(),
            Some(sign(body.as_bytes(), WEBHOOK_SECRET.as_bytes(), now - 301)),
        ),
        (tampered, Some(valid.clone())),
        (body.clone(), Some("t=1,v1=zz".to_owned())),
        (body.clone(), None),
    ];
    for (payload, signature) in refusals {
        let mut request = app
            .request(Method::POST, "/api/v1/billing/webhooks/stripe")
            .header("content-type", "application/json")
            .body(payload);
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        send(request)
            .await
            .assert_problem(400, "billing.webhook_signature_invalid");
    }
    assert_eq!(
        status(&subscription(&app, &a.owner.token, &a.org).await),
        ("free".into(), "none".into())
    );
    let not_json = send(
        app.request(Method::POST, "/api/v1/billing/webhooks/stripe")
            .header("content-type", "text/plain")
            .header("stripe-signature", valid.clone())
            .body(body.clone()),
    )
    .await;
    assert_eq!(not_json.status, 415, "{}", not_json.text);

    // On free, a fourth member is over the plan's limit.
    let fourth = person(&app, "fourth").await;
    let members = a.at("/members");
    let add_fourth = || {
        call(
            &app,
            &a.owner,
            Method::POST,
            &members,
            Some(json!({"email": fourth.email, "role": "member"})),
        )
    };
    let refused = add_fourth().await;
    refused.assert_problem(403, "plan.limit_reached");
    assert!(refused.text.contains("org_members"), "{}", refused.text);

    // Signed (one of two v1 values matching): applied, once.
    let v1 = valid
        .split_once(",v1=")
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    let rolled = format!("t={now},v1={},v1={v1}", "0".repeat(64));
    let applied = deliver(&app, &started, Some(rolled)).await;
    assert_eq!(applied.status, 200, "{}", applied.text);
    assert_eq!(
        applied.body,
        json!({"event_id": "evt_1", "outcome": "applied"})
    );
    let replayed = deliver(&app, &started, None).await;
    assert_eq!(replayed.body["outcome"], "duplicate");
    let view = subscription(&app, &a.owner.token, &a.org).await;
    assert_eq!(status(&view), ("pro".into(), "active".into()));
    assert_eq!(view["limits"]["org_members"], 10);
    app.mail(&a.owner.email, "Your Pro subscription is active")
        .await;

    // The portal moved them to basic; an older update arriving late is stale.
    let newer = subscription_event(
        "evt_3",
        "customer.subscription.updated",
        "price_basic",
        "active",
        T0 + 20,
    );
    assert_eq!(deliver(&app, &newer, None).await.body["outcome"], "applied");
    let older = subscription_event(
        "evt_2",
        "customer.subscription.updated",
        "price_pro",
        "active",
        T0 + 10,
    );
    assert_eq!(deliver(&app, &older, None).await.body["outcome"], "stale");
    let view = subscription(&app, &a.owner.token, &a.org).await;
    assert_eq!(status(&view), ("basic".into(), "active".into()));
    assert!(view["current_period_end"].is_string(), "{view}");

    // A failed renewal keeps the plan while Stripe retries, and owners hear of it.
    let failed = invoice_event("evt_4", "invoice.payment_failed", T0 + 30);
    assert_eq!(
        deliver(&app, &failed, None).await.body["outcome"],
        "applied"
    );
    assert_eq!(
        status(&subscription(&app, &a.owner.token, &a.org).await),
        ("basic".into(), "past_due".into())
    );
    app.mail(&a.owner.email, "Payment failed for your Basic plan")
        .await;
    let paid = invoice_event("evt_5", "invoice.payment_succeeded", T0 + 40);
    assert_eq!(deliver(&app, &paid, None).await.body["outcome"], "applied");
    assert_eq!(
        status(&subscription(&app, &a.owner.token, &a.org).await),
        ("basic".into(), "active".into())
    );

    // Unknown types and unknown customers are acknowledged and ignored.
    let unknown = event("evt_6", "charge.refunded", T0 + 45, json!({"id": "ch_1"}));
    assert_eq!(
        deliver(&app, &unknown, None).await.body["outcome"],
        "ignored"
    );
    let stranger = event(
        "evt_7",
        "invoice.payment_failed",
        T0 + 46,
        json!({
            "customer": "cus_nobody", "amount_due": 100, "currency": "brl"
        }),
    );
    assert_eq!(
        deliver(&app, &stranger, None).await.body["outcome"],
        "ignored"
    );
    // Signed but not a Stripe event.
    let garbage = json!({"hello": "world"});
    deliver(&app, &garbage, None)
        .await
        .assert_problem(400, "billing.webhook_malformed");

    // Cancelled: back on free.
    let deleted = subscription_event(
        "evt_8",
        "customer.subscription.deleted",
        "price_basic",
        "canceled",
        T0 + 50,
    );
    assert_eq!(
        deliver(&app, &deleted, None).await.body["outcome"],
        "applied"
    );
    let view = subscription(&app, &a.owner.token, &a.org).await;
    assert_eq!(status(&view), ("free".into(), "canceled".into()));
    assert_eq!(view["limits"]["org_members"], 3);
    app.mail(&a.owner.email, "cancel").await;
}

#[tokio::test]
async fn the_plan_in_force_sets_scheduling_limits() {
    let app = spawn_with_stripe("http://127.0.0.1:9").await;
    let email = unique_email("pro");
    let token = app.access_token(&email).await;
    let slug = format!("pro-{}", uuid::Uuid::now_v7().simple());
    let created = send(
        app.authed(Method::POST, "/api/v1/professionals", &token)
            .json(&json!({"slug": slug, "name": "Ana Lima", "time_zone": "UTC"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let org = created.body["org_id"].as_str().unwrap().to_owned();
    let add = |n: usize| {
        app.authed(Method::POST, "/api/v1/professionals/me/clients", &token)
            .json(&json!({"name": format!("Client {n}"), "email": format!("c{n}@example.com")}))
    };
    let free_max = subscription(&app, &token, &org).await["limits"]["clients"]
        .as_u64()
        .unwrap() as usize;
    for n in 0..free_max {
        let added = send(add(n)).await;
        assert_eq!(added.status, 201, "{}", added.text);
    }
    let refused = send(add(free_max)).await;
    refused.assert_problem(403, "plan.limit_reached");
    let detail = refused.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("free") && detail.contains("clients") && detail.contains("basic"),
        "{detail}"
    );

    let upgraded = deliver(&app, &checkout_completed("evt_up", &org, "basic", T0), None).await;
    assert_eq!(upgraded.body["outcome"], "applied", "{}", upgraded.text);
    let added = send(add(free_max)).await;
    assert_eq!(added.status, 201, "{}", added.text);
}

/// Reminders go by WhatsApp only on plans with WhatsApp reminders: on free
/// the client is reminded by email alone (a booking's confirmation still
/// goes by WhatsApp); after an upgrade, reminders go by WhatsApp too.
#[tokio::test]
async fn reminders_go_by_whatsapp_only_on_plans_that_include_them() {
    use chrono::TimeZone;
    use trellis_kernel::clock::Clock;
    const CRON_SECRET: &str = "0123456789abcdef-cron-secret";
    let whatsapp = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/1055/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "messages": [{"id": "wamid.trellis"}],
        })))
        .mount(&whatsapp)
        .await;
    let clock = trellis_kernel::clock::ManualClock::at(
        Utc.with_ymd_and_hms(2026, 11, 22, 7, 0, 0).unwrap(),
    );
    let mut env = stripe_env("http://127.0.0.1:9");
    env.extend([
        ("CRON_SECRET", CRON_SECRET.to_owned()),
        ("WHATSAPP_PHONE_NUMBER_ID", "1055".to_owned()),
        ("WHATSAPP_ACCESS_TOKEN", "wa-token".to_owned()),
        ("WHATSAPP_API_BASE", whatsapp.uri()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestApp::spawn_with_clock(&env, std::sync::Arc::new(clock.clone())).await;
    let pro = professional(&app, "UTC").await;
    let (email, phone) = (unique_email("remind"), unique_phone());
    let wa_number = phone.trim_start_matches('+').to_owned();
    for start in ["2026-11-23T10:00:00Z", "2026-11-24T10:00:00Z"] {
        let body = json!({"service_id": pro.service, "start_at": start,
                          "client": {"name": "Lia", "email": email, "phone": phone}});
        let booked = book(&app, &pro, &body).await;
        assert_eq!(booked.status, 201, "{}", booked.text);
    }
    let remind = || {
        send(
            app.internal(Method::POST, "/internal/cron/reminders")
                .header("x-cron-secret", CRON_SECRET),
        )
    };
    // The WhatsApp templates sent to the client so far, by name.
    let templates = || async {
        whatsapp
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .filter(|b| b["to"] == wa_number.as_str())
            .map(|b| {
                b["template"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    let reminders_by_whatsapp = || async {
        let reply = send(
            app.internal(
                Method::GET,
                "/internal/notifications?kind=reminder_24h&channel=whatsapp",
            )
            // Minted now: the clock moves a day during the test.
            .bearer_auth(app.token_for(&[Role::Staff])),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body["items"].as_array().cloned().unwrap_or_default()
    };

    // Free: tomorrow's reminder is emailed, and no WhatsApp reminder is
    // queued (deliveries are queued together, so none can come later).
    let plan = subscription(&app, &pro.token, &pro.org).await;
    assert_eq!(plan["plan"], "free", "{plan}");
    assert_eq!(plan["limits"]["whatsapp_reminders"], false, "{plan}");
    assert_eq!(remind().await.body["report"]["queued"], 1);
    app.mail(&email, "Reminder:").await;
    assert_eq!(reminders_by_whatsapp().await, Vec::<Value>::new());
    let confirmed = eventually("the WhatsApp confirmations", || async {
        let sent = templates().await;
        (sent.len() >= 2).then_some(sent)
    })
    .await;
    assert!(
        confirmed.iter().all(|t| t == "trellis_booking_confirmed"),
        "{confirmed:?}"
    );

    // Upgraded to basic: the next day's reminder goes by WhatsApp as well.
    let upgrade = checkout_completed("evt_whatsapp", &pro.org, "basic", T0);
    let signature = signed_at(&upgrade, clock.now().timestamp());
    let upgraded = deliver(&app, &upgrade, Some(signature)).await;
    assert_eq!(upgraded.body["outcome"], "applied", "{}", upgraded.text);
    let plan = subscription(&app, &pro.token, &pro.org).await;
    assert_eq!(plan["limits"]["whatsapp_reminders"], true, "{plan}");
    clock.advance(chrono::Duration::days(1));
    assert_eq!(remind().await.body["report"]["queued"], 1);
    let sent = eventually("the WhatsApp reminder", || async {
        let sent = templates().await;
        sent.iter()
            .any(|t| t == "trellis_reminder_24h")
            .then_some(sent)
    })
    .await;
    assert_eq!(
        sent.iter().filter(|t| *t == "trellis_reminder_24h").count(),
        1,
        "{sent:?}"
    );
    assert_eq!(reminders_by_whatsapp().await.len(), 1);
}

#[tokio::test]
async fn racing_deliveries_of_one_event_apply_it_once() {
    let app = spawn_with_stripe("http://127.0.0.1:9").await;
    let a = agency(&app).await;
    let started = checkout_completed("evt_race", &a.org, "pro", T0);
    let replies =
        futures_util::future::join_all((0..6).map(|_| deliver(&app, &started, None))).await;
    let mut outcomes: Vec<_> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["outcome"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            "applied",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate"
        ]
    );
    let view = subscription(&app, &a.owner.token, &a.org).await;
    assert_eq!(view["plan"], "pro");
}

#[tokio::test]
async fn a_plan_changed_by_a_webhook_on_one_gateway_applies_on_another_at_once() {
    let Some(redis) = TestRedis::for_test(
        "a_plan_changed_by_a_webhook_on_one_gateway_applies_on_another_at_once",
    ) else {
        return;
    };
    let mut env = stripe_env("http://127.0.0.1:9");
    env.extend(redis.overrides().iter().map(|(k, v)| (*k, (*v).to_owned())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = TestApp::spawn_with(&env).await;
    let b = a.sibling().await;
    eventually("both gateways to hear notices", || async {
        (a.state.notices.is_listening() && b.state.notices.is_listening()).then_some(())
    })
    .await;
    let org = agency(&a).await.org;
    let org_id: trellis_kernel::id::OrgId = org.parse().unwrap();
    // What B enforces, through its plan cache (30 s).
    let plan_on_b = || async {
        b.state
            .billing
            .subscriptions
            .plan_in_force(&b.state.db, org_id)
            .await
            .unwrap()
    };
    assert_eq!(
        plan_on_b().await,
        PlanCode::Free,
        "B has cached the free plan"
    );

    let reply = deliver(&a, &checkout_completed("evt_x1", &org, "pro", T0), None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["outcome"], "applied");
    let applied = std::time::Instant::now();
    while plan_on_b().await != PlanCode::Pro {
        assert!(
            applied.elapsed() < std::time::Duration::from_millis(100),
            "B still enforces the old plan {:?} after A applied the webhook",
            applied.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}
