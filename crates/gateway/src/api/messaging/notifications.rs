//! What a person hears from us: `/api/v1/users/me/notification-preferences`
//! (per kind and channel), `/api/v1/users/me/devices` (where pushes go), and
//! `/api/v1/notifications/unsubscribe`, which follows the link in an email
//! without signing in.

use poem::{Request, RequestBody, web::Data};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
    error::ContentTypeError,
    param::{Path, Query},
    payload::{Form, Json, ParsePayload, Payload},
    registry::{MetaMediaType, MetaRequest, Registry},
    types::Type,
};
use serde::{Deserialize, Serialize};
use trellis_kernel::FieldError;
use trellis_messaging::{
    ids::DeviceId,
    notifications::model::{
        DeviceView, PreferencesView, RegisterDevice, UnsubscribeRequest, UnsubscribedView,
        UpdatePreferences,
    },
};

use crate::api::{ApiTags, common::NoContent, json::JsonResponse};
use crate::{
    auth::Caller,
    error::{ApiError, Problems, status::*},
    state::AppState,
};

/// Notification preferences, push devices and unsubscribe links.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotificationsApi;

/// A push device registered.
#[derive(ApiResponse)]
pub enum DeviceRegistered {
    /// The token is new: registered to the caller.
    #[oai(status = 201)]
    Created(JsonResponse<DeviceView>),
    /// The token was registered already (the app registering again, or the
    /// device changing hands): the same device, now the caller's, with its
    /// platform and `last_seen_at` refreshed.
    #[oai(status = 200)]
    Existing(JsonResponse<DeviceView>),
}

/// The caller's push devices.
#[derive(Debug, Clone, Object, Serialize)]
pub struct DeviceList {
    /// Newest first.
    pub devices: Vec<DeviceView>,
}

/// The form a mail client posts to an unsubscribe link (RFC 8058 one-click:
/// `List-Unsubscribe=One-Click`); the token is the link's `?token=`.
#[derive(Debug, Clone, Default, Object, Deserialize)]
pub struct OneClickUnsubscribe {
    /// `One-Click`. Not checked: the token alone says what to turn off.
    #[oai(rename = "List-Unsubscribe")]
    #[serde(rename = "List-Unsubscribe")]
    pub list_unsubscribe: Option<String>,
    /// The token, for a form that carries it in the body rather than in
    /// the link.
    pub token: Option<String>,
}

/// What an unsubscribe request carries in its body: the token as JSON, the
/// form a mail client posts (URL-encoded or multipart), or nothing.
#[derive(Debug)]
pub enum UnsubscribeBody {
    /// `{"token": "…"}`.
    Json(UnsubscribeRequest),
    /// A form (one-click or a web page's).
    Form(OneClickUnsubscribe),
    /// No body (or an empty one): the token is in the query.
    Empty,
}

impl UnsubscribeBody {
    /// The token the request names: in the query or in the body; both is
    /// fine when they agree.
    fn token(self, query: Option<String>) -> Result<String, ApiError> {
        let body = match self {
            Self::Json(request) => Some(request.token),
            Self::Form(form) => form.token,
            Self::Empty => None,
        };
        let given = |t: Option<String>| t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        match (given(query), given(body)) {
            (Some(query), Some(body)) if query != body => {
                Err(ApiError::validation(vec![FieldError::new(
                    "token",
                    "the query and the body carry different tokens",
                )]))
            }
            (Some(token), _) | (None, Some(token)) => Ok(token),
            (None, None) => Err(ApiError::validation(vec![FieldError::new(
                "token",
                "required: the unsubscribe link's token, as `?token=` or in the body",
            )])),
        }
    }
}

const MULTIPART: &str = "multipart/form-data";

fn is_multipart(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(MULTIPART))
}

/// The fields of a multipart one-click form (anything else is skipped).
async fn multipart_form(
    req: &Request,
    body: &mut RequestBody,
) -> poem::Result<OneClickUnsubscribe> {
    use poem::{FromRequest, web::Multipart};
    let mut multipart = <Multipart as FromRequest>::from_request(req, body).await?;
    let mut form = OneClickUnsubscribe::default();
    while let Some(field) = multipart.next_field().await? {
        let name = field.name().map(str::to_owned);
        let text = field.text().await.map_err(|e| {
            poem::Error::from(poem_openapi::error::ParseRequestPayloadError {
                reason: e.to_string(),
            })
        })?;
        match name.as_deref() {
            Some("token") => form.token = Some(text),
            Some("List-Unsubscribe") => form.list_unsubscribe = Some(text),
            _ => {}
        }
    }
    Ok(form)
}

impl<'a> ApiExtractor<'a> for UnsubscribeBody {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        UnsubscribeRequest::register(registry);
        OneClickUnsubscribe::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some(
                "The link's token as JSON; or, from a mail client's one-click unsubscribe \
                 (RFC 8058), the form `List-Unsubscribe=One-Click` with the token in the \
                 query; or no body at all, the token in the query.",
            ),
            content: vec![
                MetaMediaType {
                    content_type: Json::<UnsubscribeRequest>::CONTENT_TYPE,
                    schema: UnsubscribeRequest::schema_ref(),
                },
                MetaMediaType {
                    content_type: Form::<OneClickUnsubscribe>::CONTENT_TYPE,
                    schema: OneClickUnsubscribe::schema_ref(),
                },
                MetaMediaType {
                    content_type: MULTIPART,
                    schema: OneClickUnsubscribe::schema_ref(),
                },
            ],
            required: false,
        })
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match req.content_type() {
            None => {
                let bytes = body.take()?.into_bytes().await?;
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    Ok(Self::Empty)
                } else {
                    Err(ContentTypeError::ExpectContentType.into())
                }
            }
            Some(ct) if Json::<UnsubscribeRequest>::check_content_type(ct) => {
                let json =
                    <Json<UnsubscribeRequest> as ParsePayload>::from_request(req, body).await?;
                Ok(Self::Json(json.0))
            }
            Some(ct) if Form::<OneClickUnsubscribe>::check_content_type(ct) => {
                let form =
                    <Form<OneClickUnsubscribe> as ParsePayload>::from_request(req, body).await?;
                Ok(Self::Form(form.0))
            }
            Some(ct) if is_multipart(ct) => Ok(Self::Form(multipart_form(req, body).await?)),
            Some(ct) => Err(ContentTypeError::NotSupported {
                content_type: ct.to_string(),
            }
            .into()),
        }
    }
}

#[OpenApi(tag = "ApiTags::Messaging")]
impl NotificationsApi {
    /// Every notification kind on every channel it can be sent on, as the
    /// caller has them: `enabled` (on unless turned off) and `security`
    /// (one-time links and codes, which are always on).
    #[oai(
        path = "/api/v1/users/me/notification-preferences",
        method = "get",
        operation_id = "get_notification_preferences"
    )]
    async fn preferences(
        &self,
        caller: Caller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<PreferencesView>, Problems<{ RATE_LIMITED | SIGNED_IN | DATABASE }>>
    {
        let prefs = state
            .notifications
            .preferences
            .get(&state.db, caller.user_id)
            .await?;
        Ok(JsonResponse(prefs))
    }

    /// Turn kinds on or off per channel; kinds and channels not named keep
    /// their setting. All or nothing: turning a security kind off is 422
    /// `notification.security_kind` (its `errors` name the kinds), and a
    /// channel the kind is never sent on is 422 `request.validation_failed`
    /// naming `preferences[i].channel`. Answers every preference, as `GET`.
    #[oai(
        path = "/api/v1/users/me/notification-preferences",
        method = "put",
        operation_id = "update_notification_preferences"
    )]
    async fn update_preferences(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        body: Json<UpdatePreferences>,
    ) -> Result<
        JsonResponse<PreferencesView>,
        Problems<{ RATE_LIMITED | SIGNED_IN | JSON_BODY | UNPROCESSABLE | DATABASE }>,
    > {
        let prefs = state
            .notifications
            .preferences
            .update(&state.db, caller.user_id, body.0)
            .await?;
        Ok(JsonResponse(prefs))
    }

    /// Register the FCM token of the caller's phone or browser, so pushes
    /// reach it: 201 when the token is new, 200 when it was registered
    /// already (it is one device: it moves to the caller, refreshed).
    /// Apps should register at every start and whenever FCM rotates the
    /// token.
    #[oai(
        path = "/api/v1/users/me/devices",
        method = "post",
        operation_id = "register_device"
    )]
    async fn register_device(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        body: Json<RegisterDevice>,
    ) -> Result<
        DeviceRegistered,
        Problems<{ RATE_LIMITED | SIGNED_IN | JSON_BODY | UNPROCESSABLE | NOT_FOUND | DATABASE }>,
    > {
        let (device, created) = state
            .notifications
            .devices
            .register(&state.db, caller.user_id, body.0)
            .await?;
        Ok(if created {
            DeviceRegistered::Created(JsonResponse(device))
        } else {
            DeviceRegistered::Existing(JsonResponse(device))
        })
    }

    /// The caller's push devices, newest first.
    #[oai(
        path = "/api/v1/users/me/devices",
        method = "get",
        operation_id = "list_devices"
    )]
    async fn devices(
        &self,
        caller: Caller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<DeviceList>, Problems<{ RATE_LIMITED | SIGNED_IN | DATABASE }>> {
        let devices = state
            .notifications
            .devices
            .list(&state.db, caller.user_id)
            .await?;
        Ok(JsonResponse(DeviceList { devices }))
    }

    /// Forget one of the caller's devices (on sign-out of that device): it
    /// gets no more pushes. 404 `device.not_found` for an id that is not
    /// one of the caller's.
    #[oai(
        path = "/api/v1/users/me/devices/:id",
        method = "delete",
        operation_id = "remove_device"
    )]
    async fn remove_device(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<DeviceId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | SIGNED_IN | PARAMS | NOT_FOUND | DATABASE }>>
    {
        state
            .notifications
            .devices
            .remove(&state.db, caller.user_id, id.0)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Follow an unsubscribe link, without signing in: turns the link's
    /// kind off on its channel for the person it was sent to, at once;
    /// following it again changes nothing. Answers what was turned off.
    ///
    /// The token is the link's `token`: send it as JSON (`{"token": …}`),
    /// or leave it in the query (`?token=`) with no body or with the form a
    /// mail client posts for a one-click unsubscribe (RFC 8058,
    /// `List-Unsubscribe=One-Click`, URL-encoded or multipart). 403
    /// `notification.unsubscribe_invalid` for a token that is not ours;
    /// 422 when there is no token, or two different ones.
    #[oai(
        path = "/api/v1/notifications/unsubscribe",
        method = "post",
        operation_id = "unsubscribe"
    )]
    async fn unsubscribe(
        &self,
        state: Data<&AppState>,
        /// The link's token, when it is not in the body.
        token: Query<Option<String>>,
        body: UnsubscribeBody,
    ) -> Result<
        JsonResponse<UnsubscribedView>,
        Problems<{ RATE_LIMITED | JSON_BODY | UNPROCESSABLE | FORBIDDEN | DATABASE }>,
    > {
        let token = body.token(token.0)?;
        let done = state
            .notifications
            .preferences
            .unsubscribe(&state.db, &token)
            .await?;
        Ok(JsonResponse(done))
    }
}
