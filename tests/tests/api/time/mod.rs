//! Time tracking over HTTP: an agency's clients, projects, tasks and
//! comments, time entries, timers, reports and settings, as a frontend
//! sees them (every response is checked against the spec).

mod bulk;
mod catalog;
mod entries;
mod import;
mod reports;
mod timer;

use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::{PASSWORD, Reply, TestApp, send, unique_email};

/// A signed-in person.
pub struct Person {
    pub token: String,
    pub id: String,
    pub email: String,
}

/// An organization with an owner (who administers it), two plain members,
/// and a second organization with a member of its own.
pub struct Agency {
    pub org: String,
    pub owner: Person,
    pub member: Person,
    pub colleague: Person,
    pub other_org: String,
    pub outsider: Person,
}

impl Agency {
    /// `/api/v1/orgs/{org}{path}`.
    pub fn at(&self, path: &str) -> String {
        format!("/api/v1/orgs/{}{path}", self.org)
    }

    /// `/api/v1/orgs/{other_org}{path}`.
    pub fn other(&self, path: &str) -> String {
        format!("/api/v1/orgs/{}{path}", self.other_org)
    }
}

/// A gateway without rate limits (these tests make many calls per person).
pub async fn spawn() -> TestApp {
    TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await
}

pub async fn person(app: &TestApp, name: &str) -> Person {
    let email = unique_email(name);
    let body = app.register(&email, PASSWORD).await;
    Person {
        token: body["access_token"].as_str().unwrap().to_owned(),
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        email,
    }
}

async fn org(app: &TestApp, owner: &Person, name: &str) -> String {
    let created = call(
        app,
        owner,
        Method::POST,
        "/api/v1/orgs",
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body["id"].as_str().unwrap().to_owned()
}

async fn join(app: &TestApp, owner: &Person, org: &str, who: &Person, role: &str) {
    let added = call(
        app,
        owner,
        Method::POST,
        &format!("/api/v1/orgs/{org}/members"),
        Some(json!({"email": who.email, "role": role})),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
}

/// An agency and a second organization, each with its people.
pub async fn agency(app: &TestApp) -> Agency {
    let (owner, member, colleague, outsider) = (
        person(app, "owner").await,
        person(app, "member").await,
        person(app, "colleague").await,
        person(app, "outsider").await,
    );
    let agency = org(app, &owner, "Agency").await;
    join(app, &owner, &agency, &member, "member").await;
    join(app, &owner, &agency, &colleague, "member").await;
    let other_org = org(app, &outsider, "Rival").await;
    Agency {
        org: agency,
        owner,
        member,
        colleague,
        other_org,
        outsider,
    }
}

/// A request as `who`, with an optional JSON body.
pub async fn call(
    app: &TestApp,
    who: &Person,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let request = app.authed(method, path, &who.token);
    send(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

/// POSTs `body` as `who`, expects 201 and returns the created resource.
#[track_caller]
pub fn create<'a>(
    app: &'a TestApp,
    who: &'a Person,
    path: &'a str,
    body: Value,
) -> impl Future<Output = Value> + use<'a> {
    let caller = std::panic::Location::caller();
    async move {
        let created = call(app, who, Method::POST, path, Some(body)).await;
        assert_eq!(created.status, 201, "{caller}: {}", created.text);
        created.body
    }
}

/// The `id` of a resource.
pub fn id(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_owned()
}

/// The field names of a 422's `errors`.
pub fn fields(reply: &Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str().map(str::to_owned))
        .collect()
}

/// Every item of a list, following `next_cursor` (`path` has a query).
pub async fn all_items(app: &TestApp, who: &Person, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&limit=200&cursor={c}"),
            None => format!("{path}&limit=200"),
        };
        let page = call(app, who, Method::GET, &url, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        items.extend(page.body["items"].as_array().cloned().unwrap_or_default());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// A client (EUR, 60.00/h by default) and a project for it (billable, no
/// rate of its own); returns (client id, project id).
pub async fn client_and_project(app: &TestApp, a: &Agency, who: &Person) -> (String, String) {
    let client = create(
        app,
        who,
        &a.at("/clients"),
        json!({"name": "Acme", "currency": "EUR", "hourly_rate_minor": 6000}),
    )
    .await;
    let project = create(
        app,
        who,
        &a.at("/projects"),
        json!({"client_id": id(&client), "name": "Website"}),
    )
    .await;
    (id(&client), id(&project))
}
