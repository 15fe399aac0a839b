//! `POST /api/v1/billing/webhooks/stripe`: Stripe's events, proven by their
//! signature over the raw body.

use poem::{FromRequest, Request, RequestBody, web::Data};
use poem_openapi::{
    ApiRequest, OpenApi,
    param::Header,
    payload::{ParsePayload, Payload},
    registry::{MetaSchema, MetaSchemaRef},
};
use trellis_billing::model::{WebhookOutcome, WebhookReceipt};

use crate::api::{ApiTags, json::JsonResponse};
use crate::{
    error::{Problems, status::*},
    state::AppState,
};

/// A Stripe event, kept as the exact bytes received: the signature covers
/// them, so they must not be parsed and written back before it is checked.
pub struct StripeEventBody(Vec<u8>);

impl Payload for StripeEventBody {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some("A Stripe event object (`id`, `type`, `created`, `data.object`)."),
            ..MetaSchema::new("object")
        }))
    }
}

impl ParsePayload for StripeEventBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(Vec::<u8>::from_request(request, body).await?))
    }
}

/// What Stripe posts.
#[derive(ApiRequest)]
pub enum StripeEvent {
    /// The event as JSON.
    Json(StripeEventBody),
}

/// Stripe's webhooks.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhooksApi;

#[OpenApi(prefix_path = "/api/v1/billing/webhooks", tag = "ApiTags::Billing")]
impl WebhooksApi {
    /// Stripe's events: `checkout.session.completed` activates the plan,
    /// `customer.subscription.updated` and `.deleted` follow the
    /// subscription, `invoice.payment_failed` marks it past due and
    /// `invoice.payment_succeeded` current (owners are told of each); other
    /// types are acknowledged and ignored. The body must carry a valid
    /// `Stripe-Signature` (HMAC-SHA256 with the endpoint secret, within 5
    /// minutes), else 400 `billing.webhook_signature_invalid` and nothing
    /// changes. Each event id is processed once (`outcome: duplicate` after
    /// that), and an event older than the one that last changed the
    /// subscription changes nothing (`outcome: stale`). 503
    /// `billing.not_configured` without `STRIPE_WEBHOOK_SECRET`.
    #[oai(
        path = "/stripe",
        method = "post",
        operation_id = "receive_stripe_webhook"
    )]
    async fn stripe(
        &self,
        state: Data<&AppState>,
        /// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, one or more `v1`.
        #[oai(name = "Stripe-Signature")]
        signature: Header<Option<String>>,
        body: StripeEvent,
    ) -> Result<JsonResponse<WebhookReceipt>, Problems<{ RATE_LIMITED | JSON_BODY | DATABASE }>>
    {
        let StripeEvent::Json(body) = body;
        let receipt = state
            .billing
            .webhooks
            .receive(&state.db, &body.0, signature.0.as_deref())
            .await?;
        if receipt.outcome == WebhookOutcome::Applied {
            // This instance forgot the organization's plan; the others
            // forget theirs now rather than within the cache's 30 s.
            crate::shared_caches::changed(&state.notices, crate::shared_caches::PLANS).await;
        }
        Ok(JsonResponse(receipt))
    }
}
