//! The price list.

use reqwest::Method;
use serde_json::json;
use trellis_tests::{TestApp, send};

#[tokio::test]
async fn anyone_reads_the_four_plans_in_the_configured_currency() {
    let app = TestApp::spawn_with(&[
        ("TRELLIS_BILLING_CURRENCY", "eur"),
        ("STRIPE_PRICE_PRO", "price_pro_monthly"),
    ])
    .await;
    let plans = send(app.request(Method::GET, "/api/v1/plans")).await;
    assert_eq!(plans.status, 200, "{}", plans.text);
    let codes: Vec<_> = plans
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].clone())
        .collect();
    assert_eq!(
        codes,
        [
            json!("free"),
            json!("basic"),
            json!("pro"),
            json!("premium")
        ]
    );
    let prices: Vec<_> = plans
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["monthly_price"].as_i64().unwrap())
        .collect();
    assert_eq!(prices, [0, 3_900, 7_900, 14_900]);
    assert!(
        plans
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["currency"] == "EUR")
    );
    let purchasable: Vec<_> = plans
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purchasable"].as_bool().unwrap())
        .collect();
    assert_eq!(purchasable, [false, false, true, false]);
    assert_eq!(plans.body[3]["limits"], json!({"whatsapp_reminders": true}));
    assert_eq!(plans.body[0]["limits"]["whatsapp_reminders"], false);
}
