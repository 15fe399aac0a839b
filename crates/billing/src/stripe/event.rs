//! The parts of Stripe's webhook events billing acts on, read loosely:
//! unknown fields are ignored and only what an effect needs is required, so
//! a newer Stripe API version does not turn authentic events into errors.

use std::collections::HashMap;

use serde::Deserialize;

/// An event's envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    /// `evt_...`.
    pub id: String,
    /// Its type, such as `customer.subscription.updated`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When Stripe created it (unix seconds): orders state changes.
    pub created: i64,
    /// The object it is about.
    pub data: Data,
}

/// An event's payload.
#[derive(Debug, Clone, Deserialize)]
pub struct Data {
    /// The object as it is after the event.
    pub object: serde_json::Value,
}

/// An id, or the object it names when Stripe expanded it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Ref {
    /// `cus_...`.
    Id(String),
    /// `{ "id": "cus_...", ... }`.
    Object {
        /// Its id.
        id: String,
    },
}

impl Ref {
    /// The id either way.
    pub fn id(&self) -> &str {
        match self {
            Ref::Id(id) | Ref::Object { id } => id,
        }
    }
}

/// `checkout.session.completed`'s object.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    /// The customer it was for.
    #[serde(default)]
    pub customer: Option<Ref>,
    /// The subscription it created.
    #[serde(default)]
    pub subscription: Option<Ref>,
    /// The organization, as the checkout set it.
    #[serde(default)]
    pub client_reference_id: Option<String>,
    /// `org_id` and `plan`, as the checkout set them.
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// `customer.subscription.*`'s object.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    /// `sub_...`.
    pub id: String,
    /// Whose.
    pub customer: Ref,
    /// `active`, `past_due`, `canceled`...
    pub status: String,
    /// Whether it ends at the end of the period.
    #[serde(default)]
    pub cancel_at_period_end: bool,
    /// The end of the period (API versions before 2025-03 put it here).
    #[serde(default)]
    pub current_period_end: Option<i64>,
    /// What it sells.
    #[serde(default)]
    pub items: Items,
    /// `org_id`, as the checkout set it.
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

impl Subscription {
    /// The price of its first item.
    pub fn price_id(&self) -> Option<&str> {
        self.items.data.first().map(|item| item.price.id.as_str())
    }

    /// The end of the period, wherever this API version puts it.
    pub fn period_end(&self) -> Option<i64> {
        self.current_period_end
            .or_else(|| self.items.data.first()?.current_period_end)
    }
}

/// A subscription's items.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Items {
    /// The items.
    #[serde(default)]
    pub data: Vec<Item>,
}

/// One subscription item.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    /// Its price.
    pub price: Price,
    /// The end of its period (API versions from 2025-03).
    #[serde(default)]
    pub current_period_end: Option<i64>,
}

/// A price.
#[derive(Debug, Clone, Deserialize)]
pub struct Price {
    /// `price_...`.
    pub id: String,
}

/// `invoice.payment_*`'s object.
#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    /// Whose.
    pub customer: Ref,
    /// What was due, in minor units.
    #[serde(default)]
    pub amount_due: i64,
    /// What was paid, in minor units.
    #[serde(default)]
    pub amount_paid: i64,
    /// Lower-case ISO code.
    pub currency: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn subscriptions_read_the_period_end_from_either_api_version() {
        let old: Subscription = serde_json::from_value(json!({
            "id": "sub_1", "customer": "cus_1", "status": "active",
            "current_period_end": 100,
            "items": {"data": [{"price": {"id": "price_pro", "unit_amount": 7900}}]},
            "some_future_field": {"x": 1}
        }))
        .unwrap();
        assert_eq!(
            (old.price_id(), old.period_end()),
            (Some("price_pro"), Some(100))
        );
        let new: Subscription = serde_json::from_value(json!({
            "id": "sub_1", "customer": {"id": "cus_1", "object": "customer"}, "status": "past_due",
            "items": {"data": [{"price": {"id": "price_basic"}, "current_period_end": 200}]}
        }))
        .unwrap();
        assert_eq!(new.customer.id(), "cus_1");
        assert_eq!(
            (new.price_id(), new.period_end()),
            (Some("price_basic"), Some(200))
        );
    }
}
