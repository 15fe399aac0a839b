//! `/internal/config`: runtime settings, for staff.

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json};
use serde::Serialize;
use trellis_kernel::Timestamp;
use trellis_kernel::{
    FieldError, Page,
    id::UserId,
    settings::{SettingValue, SettingsError},
};

use crate::{
    api::{ApiTags, json::JsonResponse},
    auth::StaffCaller,
    error::{ApiError, Problems, status::*},
    state::AppState,
};

/// A runtime setting.
#[derive(Debug, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct SettingView {
    /// Dotted key.
    pub key: String,
    /// What it controls.
    pub description: String,
    /// The value in force.
    pub value: serde_json::Value,
    /// The declared default.
    pub default: serde_json::Value,
    /// When it was last changed; absent while the default is in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Who changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<UserId>,
}

impl From<SettingValue> for SettingView {
    fn from(v: SettingValue) -> Self {
        Self {
            key: v.key.to_string(),
            description: v.description.to_string(),
            value: v.value,
            default: v.default,
            updated_at: v.updated_at.map(Into::into),
            updated_by: v.updated_by,
        }
    }
}

fn page(values: Vec<SettingValue>) -> Page<SettingView> {
    Page {
        items: values.into_iter().map(SettingView::from).collect(),
        next_cursor: None,
    }
}

fn map_error(err: SettingsError) -> ApiError {
    match err {
        SettingsError::UnknownKey(key) => {
            ApiError::validation(vec![FieldError::new(key, "is not a known setting")])
        }
        SettingsError::Invalid { key, reason } => {
            ApiError::validation(vec![FieldError::new(key, reason)])
        }
        SettingsError::Database(db) => ApiError::internal(db),
    }
}

/// Runtime settings kept in the database.
#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsApi;

#[OpenApi(prefix_path = "/internal/config", tag = "ApiTags::System")]
impl SettingsApi {
    /// Every runtime setting with the value in force and its default.
    #[oai(path = "/", method = "get", operation_id = "list_settings")]
    async fn list(
        &self,
        _staff: StaffCaller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<Page<SettingView>>, Problems<{ STAFF }>> {
        let values = state.settings.list().await.map_err(ApiError::internal)?;
        Ok(JsonResponse(page(values)))
    }

    /// Changes settings: a JSON object of `key: value`. All are validated
    /// first and stored together, or none is.
    #[oai(path = "/", method = "patch", operation_id = "update_settings")]
    async fn update(
        &self,
        caller: StaffCaller,
        state: Data<&AppState>,
        body: Json<BTreeMap<String, serde_json::Value>>,
    ) -> Result<JsonResponse<Page<SettingView>>, Problems<{ STAFF | JSON_BODY | UNPROCESSABLE }>>
    {
        let values = state
            .settings
            .update(body.0, Some(caller.0.user_id))
            .await
            .map_err(map_error)?;
        // This instance dropped its cache; the others drop theirs now
        // rather than when it expires.
        crate::shared_caches::changed(&state.notices, crate::shared_caches::SETTINGS).await;
        Ok(JsonResponse(page(values)))
    }
}

#[cfg(test)]
mod tests {
    use trellis_kernel::testing::assert_same_json;

    use super::*;

    #[test]
    fn serde_writes_settings_as_to_json_does() {
        let changed = SettingView {
            key: "booking.max_per_day".into(),
            description: "Bookings a client may make per day.".into(),
            value: serde_json::json!(5),
            default: serde_json::Value::Null,
            updated_at: chrono::DateTime::from_timestamp(1_790_000_000, 0).map(Into::into),
            updated_by: Some(UserId::new()),
        };
        assert!(changed.updated_at.is_some());
        let untouched = SettingView {
            key: "mail.from".into(),
            description: "Sender.".into(),
            value: serde_json::json!({ "name": "Trellis", "list": [true, null] }),
            default: serde_json::json!("x"),
            updated_at: None,
            updated_by: None,
        };
        assert_same_json(&Page {
            items: vec![changed, untouched],
            next_cursor: None,
        });
    }
}
