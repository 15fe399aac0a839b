//! A body field that a domain type refuses becomes a 422 naming the field.
//!
//! Commands carry kernel value types (`Email`, `Slug`, `LocalTime`, ...)
//! that parse themselves while poem-openapi reads the body. When one refuses
//! its value, poem-openapi answers `ParseRequestPayloadError` (a 400) with a
//! message that names the type but not the field, and stops at the first.
//! This middleware keeps the body's bytes, and when that happens walks the
//! JSON against the operation's request schema from the spec: every string
//! whose `format` is a kernel type's is checked, and the refused ones become
//! `request.validation_failed` with `errors: [{field, message}]`, fields named
//! as the domains name theirs (`client.email`, `rules[0].start`).
//!
//! Malformed JSON and wrong JSON types (a number for a string, a missing
//! required field) stay 400 `request.invalid_body`: only a refusal by a
//! kernel type's own parse is turned into a 422.

use std::{collections::HashMap, sync::Arc};

use poem::{Body, Endpoint, Middleware, Request, Result, http::header};
use poem_openapi::{OperationId, error::ParseRequestPayloadError};
use serde_json::{Map, Value};
use trellis_kernel::{FieldError, types};

use crate::error::ApiError;

/// The request body schema of every operation that has one, by operation id.
#[derive(Debug, Default)]
pub struct BodySchemas {
    bodies: HashMap<String, Value>,
    components: Map<String, Value>,
}

impl BodySchemas {
    /// Indexes an OpenAPI document (as `OpenApiService::spec` writes it).
    pub fn from_spec(spec: &str) -> Self {
        let Ok(mut spec) = serde_json::from_str::<Value>(spec) else {
            return Self::default();
        };
        let components = match spec.pointer_mut("/components/schemas").map(Value::take) {
            Some(Value::Object(schemas)) => schemas,
            _ => Map::new(),
        };
        let mut bodies = HashMap::new();
        let paths = spec.get("paths").and_then(Value::as_object);
        for operation in paths.into_iter().flat_map(|p| p.values()) {
            for op in operation.as_object().into_iter().flat_map(|o| o.values()) {
                let id = op.get("operationId").and_then(Value::as_str);
                // poem-openapi writes `application/json; charset=utf-8`.
                let schema = op
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object)
                    .and_then(|content| {
                        content
                            .iter()
                            .find(|(mime, _)| mime.starts_with("application/json"))
                    })
                    .and_then(|(_, media)| media.get("schema"));
                if let (Some(id), Some(schema)) = (id, schema) {
                    bodies.insert(id.to_string(), walked_part(schema));
                }
            }
        }
        let components = reachable(&bodies, &components)
            .into_iter()
            .filter_map(|name| {
                let schema = walked_part(components.get(&name)?);
                Some((name, schema))
            })
            .collect();
        Self { bodies, components }
    }

    /// Every string of `body` that the kernel type of its schema's format refuses.
    pub fn refused_fields(&self, operation: &str, body: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(schema) = self.bodies.get(operation) {
            self.walk(schema, body, "", &mut errors);
        }
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        errors.dedup();
        errors
    }

    fn walk(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<FieldError>) {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            let name = target.rsplit('/').next().unwrap_or_default();
            if let Some(schema) = self.components.get(name) {
                self.walk(schema, value, path, errors);
            }
            return;
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.walk(part, value, path, errors);
        }
        match value {
            Value::Object(fields) => {
                let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                    return;
                };
                for (name, value) in fields {
                    if let Some(schema) = properties.get(name) {
                        let path = if path.is_empty() {
                            name.clone()
                        } else {
                            format!("{path}.{name}")
                        };
                        self.walk(schema, value, &path, errors);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(schema, item, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            Value::String(text) => {
                let format = schema.get("format").and_then(Value::as_str);
                if let Some(Err(message)) = format.and_then(|f| types::check_format(f, text)) {
                    errors.push(FieldError::new(path, message));
                }
            }
            _ => {}
        }
    }
}

/// The part of a schema that [`BodySchemas::walk`] reads: `$ref`, `allOf`,
/// `properties`, `items` and `format`. The index lives as long as the
/// process, and descriptions, examples and response schemas are most of a
/// spec, so only this much is kept.
fn walked_part(schema: &Value) -> Value {
    let Some(schema) = schema.as_object() else {
        return Value::Null;
    };
    let mut part = Map::new();
    for (key, value) in schema {
        let value = match (key.as_str(), value) {
            ("properties", Value::Object(properties)) => Value::Object(
                properties
                    .iter()
                    .map(|(name, schema)| (name.clone(), walked_part(schema)))
                    .collect(),
            ),
            ("allOf", Value::Array(parts)) => Value::Array(parts.iter().map(walked_part).collect()),
            ("items", schema) => walked_part(schema),
            ("$ref" | "format", value) => value.clone(),
            _ => continue,
        };
        part.insert(key.clone(), value);
    }
    Value::Object(part)
}

/// The component names that request bodies refer to, directly or through
/// other components.
fn reachable(bodies: &HashMap<String, Value>, components: &Map<String, Value>) -> Vec<String> {
    fn refs<'a>(schema: &'a Value, found: &mut Vec<&'a str>) {
        match schema {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("$ref", Value::String(target)) => {
                            found.push(target.rsplit('/').next().unwrap_or_default());
                        }
                        _ => refs(value, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    bodies.values().for_each(|body| refs(body, &mut pending));
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if seen.insert(name)
            && let Some(schema) = components.get(name)
        {
            refs(schema, &mut pending);
        }
    }
    seen.into_iter().map(String::from).collect()
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct FieldErrors {
    schemas: Arc<BodySchemas>,
}

impl FieldErrors {
    /// Names refused fields using the request schemas of `spec`.
    pub fn new(spec: &str) -> Self {
        Self {
            schemas: Arc::new(BodySchemas::from_spec(spec)),
        }
    }
}

impl<E: Endpoint> Middleware<E> for FieldErrors {
    type Output = FieldErrorsEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        FieldErrorsEndpoint {
            inner: ep,
            schemas: self.schemas.clone(),
        }
    }
}

/// See [`FieldErrors`].
pub struct FieldErrorsEndpoint<E> {
    inner: E,
    schemas: Arc<BodySchemas>,
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
        })
}

impl<E: Endpoint> FieldErrorsEndpoint<E> {
    /// The 422 for a body a kernel type refused, or the error unchanged.
    fn explain(&self, err: poem::Error, body: &[u8]) -> poem::Error {
        let refused_by_type = err
            .downcast_ref::<ParseRequestPayloadError>()
            .is_some_and(|e| types::parse_failure(&e.reason).is_some());
        let operation = err.data::<OperationId>().copied();
        let (true, Some(operation)) = (refused_by_type, operation) else {
            return err;
        };
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return err;
        };
        let errors = self.schemas.refused_fields(operation.0, &body);
        if errors.is_empty() {
            return err;
        }
        let mut err = poem::Error::from(ApiError::validation(errors));
        err.set_data(operation);
        err
    }
}

impl<E: Endpoint> Endpoint for FieldErrorsEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if !is_json(&req) {
            return self.inner.call(req).await;
        }
        // The body limit (outside this middleware) has already bounded it.
        let body = req.take_body().into_bytes().await?;
        req.set_body(Body::from_bytes(body.clone()));
        match self.inner.call(req).await {
            Err(err) => Err(self.explain(err, &body)),
            ok => ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schemas() -> BodySchemas {
        let spec = json!({
            "paths": {"/x": {"post": {
                "operationId": "book",
                "requestBody": {"content": {"application/json; charset=utf-8": {"schema": {"$ref": "#/components/schemas/Book"}}}}
            }}},
            "components": {"schemas": {
                "Book": {"type": "object", "properties": {
                    "name": {"type": "string"},
                    "client": {"allOf": [{"$ref": "#/components/schemas/Client"}]},
                    "rules": {"type": "array", "items": {"$ref": "#/components/schemas/Rule"}}
                }},
                "Client": {"type": "object", "properties": {
                    "email": {"type": "string", "format": "email"},
                    "phone": {"type": "string", "format": "phone"}
                }},
                "Rule": {"type": "object", "properties": {
                    "start": {"type": "string", "format": "local-time"}
                }}
            }}
        });
        BodySchemas::from_spec(&spec.to_string())
    }

    #[test]
    fn refused_fields_are_named_by_their_path() {
        let body = json!({
            "name": "not checked: no format",
            "client": {"email": "nope", "phone": "+351912345678"},
            "rules": [{"start": "09:00"}, {"start": "25:00"}]
        });
        let fields: Vec<_> = schemas()
            .refused_fields("book", &body)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["client.email", "rules[1].start"]);
    }

    #[test]
    fn the_index_keeps_only_what_request_bodies_reach() {
        let mut spec = json!({
            "paths": {"/x": {"post": {
                "operationId": "book",
                "requestBody": {"content": {"application/json; charset=utf-8": {"schema": {"$ref": "#/components/schemas/Book"}}}},
                "responses": {"200": {"content": {"application/json; charset=utf-8": {"schema": {"$ref": "#/components/schemas/Receipt"}}}}}
            }}},
            "components": {"schemas": {
                "Book": {"type": "object", "description": "a booking", "properties": {
                    "client": {"$ref": "#/components/schemas/Client"}
                }},
                "Client": {"type": "object", "properties": {
                    "email": {"type": "string", "format": "email", "example": "a@b.co"}
                }},
                "Receipt": {"type": "object", "properties": {"id": {"type": "string"}}}
            }}
        });
        let index = BodySchemas::from_spec(&spec.to_string());
        let mut names: Vec<_> = index.components.keys().cloned().collect();
        names.sort();
        assert_eq!(names, ["Book", "Client"]);
        assert_eq!(
            index.components["Client"],
            json!({"properties": {"email": {"format": "email"}}})
        );
        let body = json!({"client": {"email": "nope"}});
        assert_eq!(index.refused_fields("book", &body).len(), 1);
        spec["components"]["schemas"]["Client"]["properties"]["email"]["format"] = json!("date");
        assert!(
            BodySchemas::from_spec(&spec.to_string())
                .refused_fields("book", &json!({"client": {"email": "2026-01-01"}}))
                .is_empty()
        );
    }

    #[test]
    fn unknown_operations_and_valid_bodies_name_nothing() {
        let body = json!({"client": {"email": "a@b.co"}, "rules": [], "extra": 1});
        assert!(schemas().refused_fields("book", &body).is_empty());
        assert!(
            schemas()
                .refused_fields("other", &json!({"client": {"email": "nope"}}))
                .is_empty()
        );
    }
}
