//! `/api/v1/billing/subscription`, `/checkout`, `/portal`: an organization's
//! plan through Stripe. The organization is the `org_id` query parameter,
//! checked by the same extractor as `/orgs/{org_id}` routes.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};
use trellis_billing::model::{RedirectView, StartCheckout, SubscriptionView};
use trellis_kernel::id::OrgId;

use crate::api::{ApiTags, json::JsonResponse};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// Subscribing and managing the subscription.
#[derive(Debug, Clone, Copy, Default)]
pub struct SubscriptionApi;

#[OpenApi(prefix_path = "/api/v1/billing", tag = "ApiTags::Billing")]
impl SubscriptionApi {
    /// The organization's plan in force, the subscription's status and
    /// period end, and the limits in force (members).
    #[oai(
        path = "/subscription",
        method = "get",
        operation_id = "get_subscription"
    )]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Query<OrgId>,
    ) -> Result<JsonResponse<SubscriptionView>, Problems<{ RATE_LIMITED | ORG_MEMBER }>> {
        Ok(JsonResponse(
            state.billing.subscriptions.view(&state.db, &member).await?,
        ))
    }

    /// A Stripe Checkout URL subscribing the organization to a paid plan
    /// (admins). The organization's Stripe customer is made on the first
    /// checkout. 409 `billing.already_subscribed` while a subscription is
    /// in force (change plans in the portal); 503 `billing.not_configured`
    /// without Stripe, `billing.provider_unavailable` when Stripe fails.
    #[oai(path = "/checkout", method = "post", operation_id = "start_checkout")]
    async fn checkout(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Query<OrgId>,
        body: Json<StartCheckout>,
    ) -> Result<
        JsonResponse<RedirectView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        Ok(JsonResponse(
            state
                .billing
                .subscriptions
                .checkout(&state.db, &member, body.0)
                .await?,
        ))
    }

    /// A Stripe customer-portal URL (admins): change the card or the plan,
    /// or cancel. 409 `billing.no_customer` before a first checkout.
    #[oai(
        path = "/portal",
        method = "post",
        operation_id = "open_billing_portal"
    )]
    async fn portal(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Query<OrgId>,
    ) -> Result<JsonResponse<RedirectView>, Problems<{ RATE_LIMITED | ORG_ADMIN | CONFLICT }>> {
        Ok(JsonResponse(
            state
                .billing
                .subscriptions
                .portal(&state.db, &member)
                .await?,
        ))
    }
}
