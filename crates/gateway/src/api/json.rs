//! [`JsonResponse`]: the JSON body of every successful response.
//!
//! poem-openapi's `Json<T>` writes a response by building a
//! `serde_json::Value` tree first (`ToJSON`: a map insert and an allocation
//! per field, every id and timestamp turned into a `String` inside it) and
//! only then serializing that tree; under load that was 8-10% of the CPU of
//! a list endpoint. [`JsonResponse`] keeps poem-openapi's schema (the spec is
//! unchanged) but writes `T` with serde straight to bytes; every view
//! therefore derives `Serialize` with attributes mirroring its `#[oai]` ones
//! (`trellis_kernel::testing::assert_same_json` checks each one). The one
//! visible difference: keys come in field order, not sorted.
//!
//! Request bodies keep poem-openapi's `Json`: its parser is what turns a
//! refused field into a 422 naming it.

use poem::{IntoResponse, Response, error::ResponseError, http::StatusCode};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};
use serde::Serialize;

use crate::error::ApiError;

/// A JSON response body written by serde, documented by `T`'s poem-openapi
/// schema. Use it wherever poem-openapi's `Json` would be the response (a
/// handler's `Ok` type, a variant of an `ApiResponse` enum); requests keep
/// poem-openapi's `Json`.
///
/// Debug builds also compare every body with what `ToJSON` writes and panic
/// (a 500) when they differ, so the black-box suite catches a view whose
/// serde attributes no longer match its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonResponse<T>(pub T);

impl<T: Type> Payload for JsonResponse<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ToJSON + Serialize> IntoResponse for JsonResponse<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => {
                debug_assert_eq!(
                    serde_json::from_slice::<serde_json::Value>(&body).ok(),
                    self.0.to_json(),
                    "serde (left) and ToJSON (right) write {} differently: \
                     its serde attributes must mirror its #[oai] ones",
                    std::any::type_name::<T>()
                );
                Response::builder()
                    .status(StatusCode::OK)
                    .content_type(Self::CONTENT_TYPE)
                    .body(body)
            }
            // Only a `Serialize` that can fail gets here (a map with
            // non-string keys); none of our views has one. Inside a derived
            // `ApiResponse` enum the variant's status and content type
            // overwrite this 500's, as they do for poem-openapi's `Json`.
            Err(err) => ApiError::internal(err).as_response(),
        }
    }
}

/// As poem-openapi's `Json<T>`: one 200 response with `T`'s schema.
impl<T: ToJSON + Serialize> ApiResponse for JsonResponse<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use poem::http::header;
    use poem_openapi::{Object, payload::Json};
    use trellis_kernel::Page;

    use super::*;

    #[derive(Debug, Clone, Object, Serialize)]
    #[oai(skip_serializing_if_is_none)]
    struct Item {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    #[test]
    fn documented_exactly_as_poem_openapis_json() {
        type Body = Page<Item>;
        assert_eq!(
            JsonResponse::<Body>::meta(),
            <Json<Body> as ApiResponse>::meta()
        );
        assert_eq!(
            <JsonResponse<Body> as Payload>::CONTENT_TYPE,
            <Json<Body> as Payload>::CONTENT_TYPE
        );
        let mut ours = Registry::new();
        let mut theirs = Registry::new();
        <JsonResponse<Body> as ApiResponse>::register(&mut ours);
        <Json<Body> as ApiResponse>::register(&mut theirs);
        assert!(!ours.schemas.is_empty());
        assert_eq!(ours.schemas, theirs.schemas);
    }

    #[tokio::test]
    async fn writes_the_same_json_as_poem_openapi() {
        let page = Page {
            items: vec![
                Item {
                    name: "a \"quoted\" name".into(),
                    note: None,
                },
                Item {
                    name: "b".into(),
                    note: Some("ü".into()),
                },
            ],
            next_cursor: None,
        };
        let ours = JsonResponse(page.clone()).into_response();
        let theirs = Json(page).into_response();
        assert_eq!(ours.status(), StatusCode::OK);
        assert_eq!(
            ours.headers().get(header::CONTENT_TYPE),
            theirs.headers().get(header::CONTENT_TYPE)
        );
        let ours: serde_json::Value =
            serde_json::from_slice(&ours.into_body().into_vec().await.unwrap_or_default())
                .unwrap_or_default();
        let theirs: serde_json::Value =
            serde_json::from_slice(&theirs.into_body().into_vec().await.unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(ours, theirs);
        assert_eq!(
            ours,
            serde_json::json!({ "items": [{ "name": "a \"quoted\" name" }, { "name": "b", "note": "ü" }] })
        );
    }

    #[tokio::test]
    async fn a_failed_serialization_is_a_500_problem_without_the_cause() {
        // Not one of our views: a `Serialize` that fails.
        #[derive(Debug, Clone)]
        struct Unwritable;
        impl Serialize for Unwritable {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("secret internals"))
            }
        }
        impl Type for Unwritable {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;
            fn name() -> std::borrow::Cow<'static, str> {
                "Unwritable".into()
            }
            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new(poem_openapi::registry::MetaSchema::ANY))
            }
            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }
            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(std::iter::once(self))
            }
        }
        impl ToJSON for Unwritable {
            fn to_json(&self) -> Option<serde_json::Value> {
                None
            }
        }
        let resp = JsonResponse(Unwritable).into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(crate::error::PROBLEM_JSON.as_bytes())
        );
        let body = resp.into_body().into_string().await.unwrap_or_default();
        assert!(body.contains("\"error_id\""), "{body}");
        assert!(!body.contains("secret"), "{body}");
    }
}
