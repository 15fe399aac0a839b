//! The contract check: every response the black-box suite receives must be
//! one the committed OpenAPI spec documents.
//!
//! [`send`](crate::send) and [`Reply::from`](crate::Reply::from) pass every
//! reply through [`assert_conforms`], so each test checks every response it
//! provokes without saying so, and a test fails on the first response that
//! breaks the spec (method, path, status, the schema errors and the body in
//! the message).
//!
//! # The rule
//!
//! 1. **The listener picks the spec.** A request to a [`TestApp`]'s public
//!    listener is checked against `openapi/openapi.json`, one to its internal
//!    listener against `openapi/internal.json` (`TestApp` registers its two
//!    addresses with [`register_listener`]). A response from any other
//!    address fails: nothing would check it.
//! 2. **Method and path pick the operation**, as the router does: the path
//!    (without its query) is matched against the spec's path templates
//!    segment by segment, a `{param}` matching any one non-empty segment;
//!    when several templates match, the one with a literal segment where the
//!    others have a parameter wins (`/professionals/me` over
//!    `/professionals/{slug}`), and then the method is looked up on it.
//! 3. **No operation, no check.** A path no template matches, or a method its
//!    template does not document, is not part of the API: `/docs`,
//!    `/openapi.json`, `/metrics`, CORS preflights, unknown routes (404
//!    `route.not_found`) and wrong methods (405). These responses are not
//!    checked, and they are the only ones.
//! 4. **An operation's response must be documented.** Its status must be one
//!    the operation lists; its `Content-Type` (parameters such as `charset`
//!    aside) one listed for that status; its body must validate against that
//!    schema. A status documented without content must come with an empty
//!    body, and one documented with content must come with a body.
//! 5. **No exceptions.** An undocumented status is fixed where it is
//!    declared: the operation's `Problems<...>` status set in
//!    `crates/gateway/src/api`. The rules the spec keeps on its own (a body
//!    documents 413 and 415, a public operation no 403, a rate-limited
//!    route 429...) are checked by `tests/tests/api/system/spec.rs` over
//!    [`Spec::document`].
//!
//! # From OpenAPI 3.0 to JSON Schema
//!
//! poem-openapi writes OpenAPI 3.0, whose schema dialect is not quite JSON
//! Schema. Before compiling the schemas for a JSON Schema 2020-12 validator,
//! [`to_json_schema`] translates them, for responses:
//!
//! - `nullable: true` admits `null` (3.0 has no `null` type);
//! - boolean `exclusiveMinimum`/`exclusiveMaximum` become numeric ones;
//! - a `writeOnly` property must not appear (it is never sent back);
//! - integer formats (`int32`, `uint8`...) bound the value;
//! - an object with `properties` and no `additionalProperties` admits no
//!   other property (`unevaluatedProperties: false`): a field the spec does
//!   not list is drift, and a generated client would not see it;
//! - `#/components/schemas/X` becomes `#/$defs/X`, and each validator
//!   embeds every component under `$defs`.
//!
//! Formats are asserted: `date-time`, `uuid` and the rest of JSON Schema's,
//! plus poem's `naive-date` (`YYYY-MM-DD`).
//!
//! [`TestApp`]: crate::TestApp

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    net::SocketAddr,
    panic::Location,
    path::PathBuf,
    sync::{Arc, LazyLock, Mutex},
};

use jsonschema::Validator;
use reqwest::{Method, Url};
use serde_json::{Map, Value, json};

/// Which listener of a [`TestApp`](crate::TestApp) a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Listener {
    /// The public API, documented by `openapi/openapi.json`.
    Public,
    /// The internal API, documented by `openapi/internal.json`.
    Internal,
}

impl Listener {
    /// The spec file that documents this listener.
    pub fn spec_file(self) -> &'static str {
        match self {
            Self::Public => "openapi.json",
            Self::Internal => "internal.json",
        }
    }
}

/// Which listener answers at each address (a port freed by one test and
/// reused by another is registered again, so the latest entry is right).
static LISTENERS: LazyLock<Mutex<HashMap<SocketAddr, Listener>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Records that `addr` is a `listener`: responses from it are checked
/// against that listener's spec.
///
/// The spec is loaded and compiled here, as the gateway starts, rather than
/// on the first response checked: compiling it takes a noticeable part of a
/// second in a debug build, and a test timing its first requests (a rate
/// limit's window) must not have that pause between them.
pub fn register_listener(addr: SocketAddr, listener: Listener) {
    spec(listener);
    LISTENERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(addr, listener);
}

/// The listener registered at `url`'s address, if any.
pub fn listener_of(url: &Url) -> Option<Listener> {
    let addr = url.socket_addrs(|| None).ok()?.into_iter().next()?;
    LISTENERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&addr)
        .copied()
}

/// The committed spec of `listener`, loaded and compiled once.
#[allow(clippy::panic)]
pub fn spec(listener: Listener) -> &'static Spec {
    static PUBLIC: LazyLock<Result<Spec, String>> = LazyLock::new(|| load(Listener::Public));
    static INTERNAL: LazyLock<Result<Spec, String>> = LazyLock::new(|| load(Listener::Internal));
    let loaded = match listener {
        Listener::Public => &*PUBLIC,
        Listener::Internal => &*INTERNAL,
    };
    loaded
        .as_ref()
        .unwrap_or_else(|e| panic!("the contract check cannot start: {e}"))
}

fn load(listener: Listener) -> Result<Spec, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi")
        .join(listener.spec_file());
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let document: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    Spec::from_document(listener.spec_file(), &document)
}

/// Checks a response against the spec of the listener it came from, and
/// panics with the whole story when it breaks the contract.
#[track_caller]
pub fn assert_conforms(
    method: &Method,
    url: &Url,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) {
    let caller = Location::caller();
    check_response(method, url, status, content_type, body, caller);
}

/// [`assert_conforms`] for a request sent from `caller`.
#[allow(clippy::panic)]
pub(crate) fn check_response(
    method: &Method,
    url: &Url,
    status: u16,
    content_type: Option<&str>,
    body: &str,
    caller: &Location<'_>,
) {
    let Some(listener) = listener_of(url) else {
        panic!(
            "contract: {method} {url} (sent at {caller}) answered {status} from an address that \
             is no TestApp listener, so no spec can check it (see trellis_tests::contract)"
        );
    };
    if let Err(violation) = spec(listener).check(method, url.path(), status, content_type, body) {
        panic!("{violation}\n  sent at: {caller}");
    }
}

/// What [`Spec::check`] concluded about a response that keeps the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The request names no operation (rule 3): nothing to check.
    NotAnOperation,
    /// Documented, and valid against its schema.
    Conforms {
        /// The operation that answered.
        operation_id: String,
    },
}

/// A response that breaks the contract.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The spec file it was checked against.
    pub spec: String,
    /// The request's method.
    pub method: Method,
    /// The request's path.
    pub path: String,
    /// The operation the request named.
    pub operation_id: String,
    /// The response's status.
    pub status: u16,
    /// What is wrong, one line each.
    pub errors: Vec<String>,
    /// The response body.
    pub body: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "contract: {} {} (operation `{}` in openapi/{}) answered {}, which breaks the spec:",
            self.method, self.path, self.operation_id, self.spec, self.status
        )?;
        for error in &self.errors {
            writeln!(f, "  - {error}")?;
        }
        write!(f, "  body: {}", self.body)
    }
}

/// One OpenAPI document, compiled for checking responses.
#[derive(Debug)]
pub struct Spec {
    name: String,
    operations: Vec<Operation>,
    document: Value,
}

#[derive(Debug)]
struct Operation {
    id: String,
    method: Method,
    template: String,
    segments: Vec<Segment>,
    /// Status (`"200"`, or `"default"`) to the media types it may carry.
    responses: BTreeMap<String, Vec<Content>>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

#[derive(Debug)]
struct Content {
    /// Lowercase, without parameters.
    media_type: String,
    /// `None` when the spec gives no schema: any body of this type.
    schema: Option<Arc<Validator>>,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Spec {
    /// Compiles an OpenAPI 3.0 document (`name` appears in messages).
    pub fn from_document(name: &str, document: &Value) -> Result<Self, String> {
        let defs = match document.pointer("/components/schemas") {
            Some(Value::Object(schemas)) => schemas
                .iter()
                .flat_map(|(k, v)| {
                    [
                        (k.clone(), to_json_schema(v)),
                        (format!("{k}{OPEN}"), translate(v, Closure::Open)),
                    ]
                })
                .collect(),
            _ => Map::new(),
        };
        let mut compiler = Compiler {
            defs: Value::Object(defs),
            cache: HashMap::new(),
        };
        let paths = document
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{name} has no paths"))?;
        let mut operations = Vec::new();
        for (template, item) in paths {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let id = operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or(template)
                    .to_string();
                let mut responses = BTreeMap::new();
                for (status, response) in operation
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let mut contents = Vec::new();
                    for (media_type, content) in response
                        .get("content")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        let schema = match content.get("schema") {
                            // Bytes, not JSON: nothing to validate.
                            Some(schema) if is_binary(schema) => None,
                            Some(schema) => Some(compiler.compile(schema).map_err(|e| {
                                format!("{name}: {method} {template} {status}: {e}")
                            })?),
                            None => None,
                        };
                        contents.push(Content {
                            media_type: essence(media_type),
                            schema,
                        });
                    }
                    responses.insert(status.clone(), contents);
                }
                operations.push(Operation {
                    id,
                    method: Method::from_bytes(method.to_uppercase().as_bytes())
                        .map_err(|e| e.to_string())?,
                    template: template.clone(),
                    segments: segments_of(template),
                    responses,
                });
            }
        }
        Ok(Self {
            name: name.to_string(),
            operations,
            document: document.clone(),
        })
    }

    /// The document itself, for checks on the spec alone.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The operation `method` on `path` names (rule 2), with its id.
    pub fn operation_id(&self, method: &Method, path: &str) -> Option<&str> {
        self.operation(method, path).map(|op| op.id.as_str())
    }

    /// The path template `path` routes to, whatever the method.
    pub fn template(&self, path: &str) -> Option<&str> {
        self.route(path)
    }

    /// The best template for `path`: among those that match, the one with a
    /// literal where the others have a parameter, at the first such segment.
    fn route(&self, path: &str) -> Option<&str> {
        let parts: Vec<&str> = path.split('/').collect();
        self.operations
            .iter()
            .filter(|op| matches(&op.segments, &parts))
            .max_by(|a, b| specificity(&a.segments).cmp(&specificity(&b.segments)))
            .map(|op| op.template.as_str())
    }

    fn operation(&self, method: &Method, path: &str) -> Option<&Operation> {
        let template = self.route(path)?;
        self.operations
            .iter()
            .find(|op| op.template == template && op.method == *method)
    }

    /// Whether a response keeps the contract (see the module doc for the rule).
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: &str,
    ) -> Result<Verdict, Box<Violation>> {
        let Some(operation) = self.operation(method, path) else {
            return Ok(Verdict::NotAnOperation);
        };
        let violation = |errors: Vec<String>| {
            Box::new(Violation {
                spec: self.name.clone(),
                method: method.clone(),
                path: path.to_string(),
                operation_id: operation.id.clone(),
                status,
                errors,
                body: body.to_string(),
            })
        };
        let media_type = content_type.map(essence);
        let documented = operation
            .responses
            .get(&status.to_string())
            .or_else(|| operation.responses.get("default"));
        let Some(contents) = documented else {
            let listed: Vec<&str> = operation.responses.keys().map(String::as_str).collect();
            return Err(violation(vec![format!(
                "status {status} is not documented (documented: {})",
                listed.join(", ")
            )]));
        };
        let errors = if contents.is_empty() {
            if body.is_empty() {
                Vec::new()
            } else {
                vec![format!(
                    "status {status} is documented without a body, but one came ({:?})",
                    content_type.unwrap_or("no content type")
                )]
            }
        } else {
            let found = media_type
                .as_deref()
                .and_then(|m| matching_content(contents, m));
            match found {
                None => {
                    let listed: Vec<&str> =
                        contents.iter().map(|c| c.media_type.as_str()).collect();
                    vec![format!(
                        "content type {:?} is not documented for status {status} (documented: {})",
                        content_type.unwrap_or("none"),
                        listed.join(", ")
                    )]
                }
                Some(Content { schema: None, .. }) => Vec::new(),
                Some(Content {
                    schema: Some(schema),
                    media_type,
                }) if media_type == EVENT_STREAM => validate_events(schema, body),
                Some(Content {
                    schema: Some(schema),
                    ..
                }) => validate(schema, body),
            }
        };
        if errors.is_empty() {
            Ok(Verdict::Conforms {
                operation_id: operation.id.clone(),
            })
        } else {
            Err(violation(errors))
        }
    }

    /// Every (operation id, status) the spec documents.
    pub fn documented(&self) -> impl Iterator<Item = (&str, &str)> {
        self.operations.iter().flat_map(|op| {
            op.responses
                .keys()
                .map(move |status| (op.id.as_str(), status.as_str()))
        })
    }
}

/// The errors of `body` against `schema`, one line each (empty when valid).
fn validate(schema: &Validator, body: &str) -> Vec<String> {
    if body.is_empty() {
        return vec!["the body is empty, but the spec documents one".to_string()];
    }
    let instance: Value = match serde_json::from_str(body) {
        Ok(instance) => instance,
        Err(e) => return vec![format!("the body is not JSON: {e}")],
    };
    schema
        .iter_errors(&instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect()
}

/// Server-Sent Events, documented (as poem-openapi writes it) as an array
/// of the events' `data`.
const EVENT_STREAM: &str = "text/event-stream";

/// The errors of an event stream against its schema: each event's `data`
/// must be JSON, and the list of them must validate as the array the spec
/// documents. Comments (keep-alives) are not events.
fn validate_events(schema: &Validator, body: &str) -> Vec<String> {
    let events = match crate::sse::events(body) {
        Ok(events) => events,
        Err(e) => return vec![format!("the body is not an event stream: {e}")],
    };
    let mut data = Vec::with_capacity(events.len());
    for (n, event) in events.iter().enumerate() {
        match serde_json::from_str::<Value>(&event.data) {
            Ok(value) => data.push(value),
            Err(e) => return vec![format!("event {n}'s data is not JSON: {e}")],
        }
    }
    validate(schema, &Value::Array(data).to_string())
}

/// Compiles response schemas, each once.
struct Compiler {
    defs: Value,
    cache: HashMap<String, Arc<Validator>>,
}

impl Compiler {
    fn compile(&mut self, schema: &Value) -> Result<Arc<Validator>, String> {
        let key = schema.to_string();
        if let Some(compiled) = self.cache.get(&key) {
            return Ok(compiled.clone());
        }
        let root = match to_json_schema(schema) {
            Value::Object(mut root) => {
                root.insert("$defs".into(), self.defs.clone());
                Value::Object(root)
            }
            // A boolean schema needs no definitions.
            other => other,
        };
        let compiled = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .with_format("naive-date", |s| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
            })
            .build(&root)
            .map(Arc::new)
            .map_err(|e| format!("the schema does not compile: {e}"))?;
        self.cache.insert(key, compiled.clone());
        Ok(compiled)
    }
}

/// Translates an OpenAPI 3.0 schema into JSON Schema 2020-12, for checking
/// responses (see the module doc).
pub fn to_json_schema(schema: &Value) -> Value {
    translate(schema, Closure::Closed)
}

/// The suffix of a component's open twin in `$defs` (see [`Closure`]).
const OPEN: &str = ".open";

/// Whether a translated object admits properties it does not list.
///
/// Objects are closed (`unevaluatedProperties: false`), except as members
/// of an `allOf`: there each member must admit the others' properties, so
/// the members stay open, a `$ref` member points at its component's open
/// twin, and the `allOf` itself is closed, over everything its members
/// evaluated. poem-openapi writes a discriminated union's variants this
/// way (the discriminator property beside a `$ref` to the variant's type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closure {
    Closed,
    Open,
}

fn translate(schema: &Value, closure: Closure) -> Value {
    let Value::Object(source) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in source {
        let translated = match key.as_str() {
            "properties" => match value {
                Value::Object(properties) => Value::Object(
                    properties
                        .iter()
                        .map(|(name, property)| {
                            let write_only =
                                property.get("writeOnly").and_then(Value::as_bool) == Some(true);
                            let schema = if write_only {
                                Value::Bool(false)
                            } else {
                                to_json_schema(property)
                            };
                            (name.clone(), schema)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" => match value {
                Value::Array(schemas) => Value::Array(
                    schemas
                        .iter()
                        .map(|member| translate(member, Closure::Open))
                        .collect(),
                ),
                other => other.clone(),
            },
            "anyOf" | "oneOf" => match value {
                Value::Array(schemas) => Value::Array(schemas.iter().map(to_json_schema).collect()),
                other => other.clone(),
            },
            "$ref" => match value.as_str() {
                Some(target) => Value::String(
                    target
                        .strip_prefix("#/components/schemas/")
                        .map(|name| match closure {
                            Closure::Closed => format!("#/$defs/{name}"),
                            Closure::Open => format!("#/$defs/{name}{OPEN}"),
                        })
                        .unwrap_or_else(|| target.to_string()),
                ),
                None => value.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), translated);
    }

    // A write-only property is not required of a response (it must be absent).
    if let (Some(Value::Array(required)), Some(Value::Object(properties))) =
        (out.get("required"), source.get("properties"))
    {
        let kept: Vec<Value> = required
            .iter()
            .filter(|name| {
                name.as_str()
                    .and_then(|n| properties.get(n))
                    .and_then(|p| p.get("writeOnly"))
                    .and_then(Value::as_bool)
                    != Some(true)
            })
            .cloned()
            .collect();
        out.insert("required".into(), Value::Array(kept));
    }

    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(is_exclusive)) = out.get(exclusive).cloned() {
            out.remove(exclusive);
            if is_exclusive && let Some(limit) = out.remove(bound) {
                out.insert(exclusive.into(), limit);
            }
        }
    }

    if out.get("type").and_then(Value::as_str) == Some("integer")
        && let Some((min, max)) = out
            .get("format")
            .and_then(Value::as_str)
            .and_then(integer_bounds)
    {
        out.entry("minimum").or_insert(min);
        out.entry("maximum").or_insert(max);
    }

    if closure == Closure::Closed
        && (out.contains_key("properties") || out.contains_key("allOf"))
        && !out.contains_key("additionalProperties")
    {
        out.insert("unevaluatedProperties".into(), Value::Bool(false));
    }

    if out.remove("nullable").and_then(|n| n.as_bool()) == Some(true) {
        if let Some(Value::Array(values)) = out.get_mut("enum") {
            values.push(Value::Null);
        }
        match out.get("type").cloned() {
            Some(Value::String(ty)) => {
                out.insert("type".into(), json!([ty, "null"]));
            }
            Some(Value::Array(mut types)) => {
                types.push(json!("null"));
                out.insert("type".into(), Value::Array(types));
            }
            _ => return json!({"anyOf": [{"type": "null"}, Value::Object(out)]}),
        }
    }
    Value::Object(out)
}

/// The range of an integer `format`, as JSON Schema bounds.
fn integer_bounds(format: &str) -> Option<(Value, Value)> {
    Some(match format {
        "int8" => (json!(i8::MIN), json!(i8::MAX)),
        "int16" => (json!(i16::MIN), json!(i16::MAX)),
        "int32" => (json!(i32::MIN), json!(i32::MAX)),
        "int64" => (json!(i64::MIN), json!(i64::MAX)),
        "uint8" => (json!(0), json!(u8::MAX)),
        "uint16" => (json!(0), json!(u16::MAX)),
        "uint32" => (json!(0), json!(u32::MAX)),
        "uint64" => (json!(0), json!(u64::MAX)),
        _ => return None,
    })
}

/// A media type without its parameters, lowercase.
/// A schema for bytes (`type: string, format: binary`).
fn is_binary(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("format").and_then(Value::as_str) == Some("binary")
}

/// The documented content a response's media type falls under: the exact
/// type, else its range (`image/*`), else `*/*`.
fn matching_content<'a>(contents: &'a [Content], media_type: &str) -> Option<&'a Content> {
    let range = media_type
        .split_once('/')
        .map(|(kind, _)| format!("{kind}/*"))
        .unwrap_or_default();
    [media_type, range.as_str(), "*/*"]
        .into_iter()
        .find_map(|wanted| contents.iter().find(|c| c.media_type == wanted))
}

fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn segments_of(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .map(|s| {
            if s.len() > 2 && s.starts_with('{') && s.ends_with('}') {
                Segment::Param
            } else {
                Segment::Literal(s.to_string())
            }
        })
        .collect()
}

fn matches(template: &[Segment], path: &[&str]) -> bool {
    template.len() == path.len()
        && template
            .iter()
            .zip(path)
            .all(|(segment, part)| match segment {
                Segment::Literal(literal) => literal == part,
                Segment::Param => !part.is_empty(),
            })
}

/// Literal segments rank above parameters, earlier segments first.
fn specificity(template: &[Segment]) -> Vec<bool> {
    template
        .iter()
        .map(|s| matches!(s, Segment::Literal(_)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A small spec in poem-openapi's shape.
    fn sample() -> Spec {
        let problem = json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}});
        let thing = json!({"application/json; charset=utf-8": {"schema": {"$ref": "#/components/schemas/Thing"}}});
        let document = json!({
            "openapi": "3.0.0",
            "paths": {
                "/things/{id}": {
                    "get": {"operationId": "get_thing", "responses": {"200": {"content": thing}, "404": {"content": problem}}},
                    "delete": {"operationId": "delete_thing", "responses": {"204": {"description": ""}}}
                },
                "/things/mine": {
                    "get": {"operationId": "my_things", "responses": {"200": {"content": thing}}}
                },
                "/things/{id}/parts/{part}": {
                    "get": {"operationId": "get_part", "responses": {"200": {"content": thing}}}
                },
                "/things/mine/parts/{part}": {
                    "put": {"operationId": "put_my_part", "responses": {"200": {"content": thing}}}
                }
            },
            "components": {"schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "code"],
                    "properties": {
                        "type": {"type": "string"}, "title": {"type": "string"},
                        "status": {"type": "integer", "format": "uint16"}, "code": {"type": "string"}
                    }
                },
                "Thing": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "name": {"type": "string"},
                        "note": {"type": "string"},
                        "size": {"type": "integer", "format": "uint8"},
                        "when": {"type": "string", "format": "date-time"},
                        "day": {"type": "string", "format": "naive-date"},
                        "color": {"allOf": [{"$ref": "#/components/schemas/Color"}, {"description": "Its color."}]},
                        "secret": {"type": "string", "writeOnly": true},
                        "maybe": {"type": "string", "nullable": true}
                    }
                },
                "Color": {"type": "string", "enum": ["red", "blue"]}
            }}
        });
        Spec::from_document("sample.json", &document).expect("the sample compiles")
    }

    const ID: &str = "0199a3c4-7e5f-7000-8000-000000000001";
    const JSON: Option<&str> = Some("application/json; charset=utf-8");
    const PROBLEM: Option<&str> = Some("application/problem+json");

    fn thing(extra: Value) -> String {
        let mut thing = json!({"id": ID, "name": "a thing"});
        thing
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        thing.to_string()
    }

    fn check(
        spec: &Spec,
        status: u16,
        content_type: Option<&str>,
        body: &str,
    ) -> Result<Verdict, Box<Violation>> {
        spec.check(
            &Method::GET,
            &format!("/things/{ID}"),
            status,
            content_type,
            body,
        )
    }

    #[test]
    fn responses_are_checked_by_the_listener_they_came_from() {
        let public: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let internal: SocketAddr = "127.0.0.1:10".parse().unwrap();
        register_listener(public, Listener::Public);
        register_listener(internal, Listener::Internal);
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            listener_of(&url("http://127.0.0.1:9/healthz")),
            Some(Listener::Public)
        );
        assert_eq!(
            listener_of(&url("http://127.0.0.1:10/x?y=1")),
            Some(Listener::Internal)
        );
        assert_eq!(listener_of(&url("http://127.0.0.1:11/healthz")), None);
        // A reused port belongs to whoever registered it last.
        register_listener(public, Listener::Internal);
        assert_eq!(
            listener_of(&url("http://127.0.0.1:9/")),
            Some(Listener::Internal)
        );
    }

    #[test]
    #[should_panic(expected = "status 418 is not documented")]
    fn assert_conforms_fails_the_test() {
        let addr: SocketAddr = "127.0.0.1:12".parse().unwrap();
        register_listener(addr, Listener::Public);
        let url = Url::parse("http://127.0.0.1:12/healthz").unwrap();
        assert_conforms(&Method::GET, &url, 418, None, "");
    }

    #[test]
    fn templates_match_by_segment_and_literals_win() {
        let spec = sample();
        assert_eq!(
            spec.operation_id(&Method::GET, "/things/42"),
            Some("get_thing")
        );
        assert_eq!(
            spec.operation_id(&Method::GET, "/things/mine"),
            Some("my_things")
        );
        assert_eq!(
            spec.operation_id(&Method::DELETE, "/things/42"),
            Some("delete_thing")
        );
        assert_eq!(
            spec.operation_id(&Method::GET, "/things/42/parts/7"),
            Some("get_part")
        );
        assert_eq!(
            spec.operation_id(&Method::PUT, "/things/mine/parts/7"),
            Some("put_my_part")
        );
        // The literal route wins the path; its method decides, as in the router.
        assert_eq!(spec.template("/things/mine"), Some("/things/mine"));
        assert_eq!(spec.operation_id(&Method::DELETE, "/things/mine"), None);
        assert_eq!(
            spec.operation_id(&Method::GET, "/things/mine/parts/7"),
            None
        );
        // No match: too short, too long, an empty parameter, a trailing slash.
        assert_eq!(spec.operation_id(&Method::GET, "/things"), None);
        assert_eq!(spec.operation_id(&Method::GET, "/things/42/x"), None);
        assert_eq!(spec.operation_id(&Method::GET, "/things/"), None);
        assert_eq!(spec.operation_id(&Method::GET, "/things/42/"), None);
        assert_eq!(spec.operation_id(&Method::POST, "/things/42"), None);
    }

    #[test]
    fn unknown_routes_and_methods_are_not_checked() {
        let spec = sample();
        let verdict = spec.check(&Method::GET, "/docs", 200, Some("text/html"), "<html>");
        assert_eq!(verdict.unwrap(), Verdict::NotAnOperation);
        let verdict = spec.check(&Method::PATCH, "/things/1", 405, PROBLEM, "{}");
        assert_eq!(verdict.unwrap(), Verdict::NotAnOperation);
    }

    #[test]
    fn a_documented_response_conforms() {
        let spec = sample();
        let body = thing(json!({
            "note": "n", "size": 255, "when": "2030-01-02T03:04:05Z", "day": "2030-01-02",
            "color": "red", "maybe": null
        }));
        assert_eq!(
            check(&spec, 200, JSON, &body).unwrap(),
            Verdict::Conforms {
                operation_id: "get_thing".into()
            }
        );
        let problem =
            r#"{"type":"urn:x","title":"Not Found","status":404,"code":"thing.not_found"}"#;
        assert!(check(&spec, 404, PROBLEM, problem).is_ok());
        let deleted = spec.check(&Method::DELETE, "/things/1", 204, None, "");
        assert!(deleted.is_ok());
    }

    #[test]
    fn an_undocumented_status_fails() {
        let spec = sample();
        let problem =
            r#"{"type":"urn:x","title":"Too Large","status":413,"code":"request.body_too_large"}"#;
        let violation = check(&spec, 413, PROBLEM, problem).unwrap_err();
        assert_eq!(violation.operation_id, "get_thing");
        let message = violation.to_string();
        assert!(
            message.contains("status 413 is not documented (documented: 200, 404)"),
            "{message}"
        );
        assert!(message.contains(&format!("GET /things/{ID}")), "{message}");
        assert!(message.contains("request.body_too_large"), "{message}");
    }

    #[test]
    fn a_wrong_body_fails() {
        let spec = sample();
        let fails = |body: &str, expected: &str| {
            let violation = check(&spec, 200, JSON, body).unwrap_err();
            let message = violation.to_string();
            assert!(
                message.contains(expected),
                "expected {expected:?} in {message}"
            );
        };
        fails(
            &thing(json!({"note": null})),
            "/note: null is not of type \"string\"",
        );
        fails(
            r#"{"id": "0199a3c4-7e5f-7000-8000-000000000001"}"#,
            "\"name\" is a required property",
        );
        fails(
            &thing(json!({"size": 256})),
            "/size: 256 is greater than the maximum of 255",
        );
        fails(
            &thing(json!({"when": "tomorrow"})),
            "/when: \"tomorrow\" is not a \"date-time\"",
        );
        fails(
            &thing(json!({"day": "2030-13-01"})),
            "/day: \"2030-13-01\" is not a \"naive-date\"",
        );
        fails(&thing(json!({"color": "green"})), "/color");
        fails(&thing(json!({"secret": "hunter2"})), "secret");
        fails(&thing(json!({"surprise": 1})), "surprise");
        fails(r#"{"id": "not-a-uuid", "name": "x"}"#, "is not a \"uuid\"");
        fails("not json", "the body is not JSON");
        fails("", "the body is empty");
        // The right body with the wrong media type.
        let violation = check(&spec, 200, PROBLEM, &thing(json!({}))).unwrap_err();
        assert!(
            violation
                .to_string()
                .contains("content type \"application/problem+json\" is not documented")
        );
        // A body where none is documented.
        let violation = spec
            .check(&Method::DELETE, "/things/1", 204, JSON, "{}")
            .unwrap_err();
        assert!(violation.to_string().contains("documented without a body"));
    }

    #[test]
    fn media_ranges_match_and_bytes_are_not_parsed() {
        let spec = Spec::from_document(
            "files.json",
            &json!({
                "openapi": "3.0.0",
                "paths": {"/files/{id}": {"get": {"operationId": "download", "responses": {"200": {"content": {
                    "application/json; charset=utf-8": {"schema": {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}},
                    "text/*": {"schema": {"type": "string", "format": "binary"}},
                    "*/*": {"schema": {"type": "string", "format": "binary"}}
                }}}}}}
            }),
        )
        .unwrap();
        let check = |content_type: &str, body: &str| {
            spec.check(&Method::GET, "/files/1", 200, Some(content_type), body)
        };
        assert!(check("image/png", "\u{89}PNG not json").is_ok());
        assert!(check("text/plain; charset=utf-8", "plain text").is_ok());
        assert!(check("application/json", r#"{"url": "/files/1"}"#).is_ok());
        // JSON is still checked against its own schema.
        assert!(check("application/json", r#"{"link": 1}"#).is_err());
    }

    #[test]
    fn openapi_3_0_is_translated() {
        let translated = to_json_schema(&json!({
            "type": "object",
            "required": ["a", "pw"],
            "properties": {
                "a": {"type": "integer", "format": "int32", "minimum": 1, "exclusiveMinimum": true, "nullable": true},
                "b": {"allOf": [{"$ref": "#/components/schemas/B"}], "nullable": true},
                "e": {"type": "string", "enum": ["x"], "nullable": true},
                "pw": {"type": "string", "writeOnly": true}
            }
        }));
        assert_eq!(
            translated,
            json!({
                "type": "object",
                "required": ["a"],
                "unevaluatedProperties": false,
                "properties": {
                    "a": {"type": ["integer", "null"], "format": "int32", "exclusiveMinimum": 1, "minimum": i32::MIN, "maximum": i32::MAX},
                    "b": {"anyOf": [{"type": "null"}, {"allOf": [{"$ref": "#/$defs/B.open"}], "unevaluatedProperties": false}]},
                    "e": {"type": ["string", "null"], "enum": ["x", null]},
                    "pw": false
                }
            })
        );
    }

    #[test]
    fn event_streams_are_checked_event_by_event_against_a_discriminated_union() {
        let variant = |tag: &str, target: &str| {
            json!({"allOf": [
                {"type": "object", "required": ["event"], "properties": {"event": {"type": "string", "enum": [tag]}}},
                {"$ref": format!("#/components/schemas/{target}")}
            ]})
        };
        let document = json!({
            "openapi": "3.0.0",
            "paths": {"/chat": {"post": {"operationId": "chat", "responses": {"200": {"content": {
                "text/event-stream": {"schema": {"type": "array", "format": "event-stream",
                                                 "items": {"$ref": "#/components/schemas/Event"}}}
            }}}}}},
            "components": {"schemas": {
                "Event": {"type": "object", "oneOf": [
                    {"$ref": "#/components/schemas/Event_Text"}, {"$ref": "#/components/schemas/Event_Done"}
                ], "discriminator": {"propertyName": "event"}},
                "Event_Text": variant("text", "Text"),
                "Event_Done": variant("done", "Done"),
                "Text": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
                "Done": {"type": "object", "required": ["reply"], "properties": {"reply": {"type": "string"}}}
            }}
        });
        let spec = Spec::from_document("events", &document).unwrap();
        let check =
            |body: &str| spec.check(&Method::POST, "/chat", 200, Some("text/event-stream"), body);
        let good = ": keep-alive\n\nevent: text\ndata: {\"event\":\"text\",\"text\":\"Hi\"}\n\n\
                    event: done\ndata: {\"event\":\"done\",\"reply\":\"Hi\"}\n\n";
        assert!(check(good).is_ok(), "{:?}", check(good).err());
        // A property neither the tag nor the variant lists.
        assert!(check("data: {\"event\":\"text\",\"text\":\"Hi\",\"x\":1}\n\n").is_err());
        // The tag of one variant with the body of another.
        assert!(check("data: {\"event\":\"done\",\"text\":\"Hi\"}\n\n").is_err());
        assert!(check("data: not json\n\n").is_err());
    }

    #[test]
    fn the_committed_specs_compile() {
        let public = spec(Listener::Public);
        let internal = spec(Listener::Internal);
        assert_eq!(
            public.operation_id(&Method::GET, "/api/v1/users/me"),
            Some("get_my_profile")
        );
        assert_eq!(
            public.operation_id(&Method::GET, "/api/v1/professionals/me"),
            Some("get_my_professional")
        );
        assert_eq!(
            public.operation_id(&Method::GET, "/api/v1/professionals/some-slug"),
            Some("get_professional")
        );
        assert_eq!(
            internal.operation_id(&Method::PATCH, "/internal/config"),
            Some("update_settings")
        );
        assert_eq!(
            public.operation_id(&Method::PATCH, "/internal/config"),
            None
        );
    }
}
