//! The three Stripe calls billing makes, through async-stripe's client and
//! request builders. Responses are read for the two fields used (`id`,
//! `url`) rather than as the SDK's full objects, for the reason given in
//! [`signature`](super::signature): fields Stripe adds must not fail a
//! checkout.

use std::{collections::HashMap, time::Duration};

use ::stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use secrecy::{ExposeSecret, SecretString};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_core::customer::CreateCustomer;
use trellis_kernel::id::OrgId;

use crate::plans::PlanCode;

/// How long one Stripe request may take before checkout answers 503.
const TIMEOUT: Duration = Duration::from_secs(15);

/// A Stripe call failed: Stripe is down, refused the request (a wrong
/// price id or key) or answered something unreadable. The text is for logs.
#[derive(Debug, thiserror::Error)]
#[error("Stripe request failed: {0}")]
pub struct StripeFailed(pub String);

/// What Stripe answers that billing reads.
#[derive(Debug, miniserde::Deserialize)]
struct Created {
    id: String,
    url: Option<String>,
}

/// A Stripe account's API, as billing uses it.
#[derive(Clone)]
pub struct StripeApi {
    client: ::stripe::Client,
}

impl std::fmt::Debug for StripeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeApi").finish_non_exhaustive()
    }
}

/// Where Stripe sends the person after a checkout or from the portal.
#[derive(Debug, Clone)]
pub struct ReturnUrls {
    /// After a completed checkout (`{CHECKOUT_SESSION_ID}` is filled in).
    pub success: String,
    /// After an abandoned checkout.
    pub cancel: String,
    /// Back from the portal.
    pub portal: String,
}

impl StripeApi {
    /// A client for the account of `secret_key`, talking to `api_base`
    /// (Stripe itself when `None`).
    pub fn new(secret_key: &SecretString, api_base: Option<&str>) -> Result<Self, StripeFailed> {
        let mut builder = ::stripe::ClientBuilder::new(secret_key.expose_secret())
            .timeout(TIMEOUT)
            .request_strategy(RequestStrategy::ExponentialBackoff(3));
        if let Some(base) = api_base {
            builder = builder.url(base);
        }
        let client = builder.build().map_err(|e| StripeFailed(e.to_string()))?;
        Ok(Self { client })
    }

    /// Creates the organization's customer. The idempotency key is the
    /// organization's, so two racing checkouts (or a retry after a lost
    /// answer) get the same customer rather than two.
    pub async fn create_customer(&self, org: OrgId) -> Result<String, StripeFailed> {
        let request = CreateCustomer::new()
            .description(format!("Trellis organization {org}"))
            .metadata(HashMap::from([("org_id".to_owned(), org.to_string())]));
        let key = IdempotencyKey::new(format!("trellis-customer-{org}"))
            .map_err(|e| StripeFailed(e.to_string()))?;
        let created: Created = request
            .build()
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(|e| StripeFailed(e.to_string()))?;
        Ok(created.id)
    }

    /// A subscription-mode Checkout Session selling `price` to `customer`;
    /// its URL. The organization and plan ride along as metadata on the
    /// session and on the subscription it creates, so webhooks find them.
    pub async fn create_checkout(
        &self,
        customer: &str,
        org: OrgId,
        plan: PlanCode,
        price: &str,
        urls: &ReturnUrls,
    ) -> Result<String, StripeFailed> {
        let metadata = HashMap::from([
            ("org_id".to_owned(), org.to_string()),
            ("plan".to_owned(), plan.as_str().to_owned()),
        ]);
        let line = CreateCheckoutSessionLineItems {
            price: Some(price.to_owned()),
            quantity: Some(1),
            ..CreateCheckoutSessionLineItems::new()
        };
        let subscription = CreateCheckoutSessionSubscriptionData {
            metadata: Some(metadata.clone()),
            ..CreateCheckoutSessionSubscriptionData::new()
        };
        let request = CreateCheckoutSession::new()
            .mode(stripe_checkout::CheckoutSessionMode::Subscription)
            .customer(customer)
            .client_reference_id(org.to_string())
            .line_items(vec![line])
            .subscription_data(subscription)
            .metadata(metadata)
            .success_url(urls.success.clone())
            .cancel_url(urls.cancel.clone());
        self.url_of(&request).await
    }

    /// A customer-portal session for `customer`; its URL.
    pub async fn create_portal(
        &self,
        customer: &str,
        urls: &ReturnUrls,
    ) -> Result<String, StripeFailed> {
        let request = CreateBillingPortalSession::new()
            .customer(customer)
            .return_url(urls.portal.clone());
        self.url_of(&request).await
    }

    async fn url_of(&self, request: &impl StripeRequest) -> Result<String, StripeFailed> {
        let created: Created = request
            .build()
            .customize()
            .send(&self.client)
            .await
            .map_err(|e| StripeFailed(e.to_string()))?;
        created
            .url
            .ok_or_else(|| StripeFailed(format!("{} came back without a url", created.id)))
    }
}
