//! The summary report: its totals are the sums of the entries the list
//! shows for the same range, in every grouping.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::Method;
use serde_json::{Value, json};

use super::{agency, all_items, call, create, fields, id, spawn};

/// Seconds, billable seconds and billable amounts per currency.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Sums {
    seconds: i64,
    billable_seconds: i64,
    amounts: BTreeMap<String, i64>,
}

impl Sums {
    fn add(&mut self, entry: &Value) {
        let seconds = entry["duration_seconds"].as_i64().unwrap();
        self.seconds += seconds;
        if entry["billable"] == true {
            self.billable_seconds += seconds;
            let amount = entry["rate_minor"]
                .as_i64()
                .map_or(0, |rate| (rate * seconds + 1800) / 3600);
            let currency = entry["currency"].as_str().unwrap().to_owned();
            *self.amounts.entry(currency).or_default() += amount;
        }
    }

    fn of(total: &Value) -> Self {
        Self {
            seconds: total["seconds"].as_i64().unwrap(),
            billable_seconds: total["billable_seconds"].as_i64().unwrap(),
            amounts: total["amounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["currency"].as_str().unwrap().to_owned(),
                        a["amount_minor"].as_i64().unwrap(),
                    )
                })
                .collect(),
        }
    }
}

/// The group an entry falls in, as the report keys it.
fn key(group_by: &str, entry: &Value, client_of: &BTreeMap<String, String>) -> String {
    let text = |field: &str| entry[field].as_str().map(str::to_owned);
    let day: NaiveDate = entry["start_at"].as_str().unwrap()[..10].parse().unwrap();
    match group_by {
        "client" => client_of[&text("project_id").unwrap()].clone(),
        "project" => text("project_id").unwrap(),
        "user" => text("user_id").unwrap(),
        "task" => text("task_id").unwrap_or_else(|| "none".into()),
        "day" => day.to_string(),
        "week" => {
            (day - Duration::days(i64::from(day.weekday().num_days_from_monday()))).to_string()
        }
        other => panic!("no grouping {other}"),
    }
}

#[tokio::test]
async fn totals_are_the_sums_of_the_listed_entries_in_every_grouping() {
    let app = spawn().await;
    let a = agency(&app).await;
    let (m, c) = (&a.member, &a.colleague);
    let euro = id(&create(
        &app,
        m,
        &a.at("/clients"),
        json!({"name": "Acme", "currency": "EUR", "hourly_rate_minor": 6000}),
    )
    .await);
    let dollar = id(&create(
        &app,
        m,
        &a.at("/clients"),
        json!({"name": "Globex", "currency": "USD", "hourly_rate_minor": 10000}),
    )
    .await);
    let project = |client: &str, name: &str, extra: Value| {
        let mut body = json!({"client_id": client, "name": name});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let path = a.at("/projects");
        let app = &app;
        async move { id(&create(app, m, &path, body).await) }
    };
    let site = project(&euro, "Site", json!({})).await;
    let shop = project(&euro, "Shop", json!({"hourly_rate_minor": 7500})).await;
    let audit = project(&dollar, "Audit", json!({"billable": false})).await;
    let client_of: BTreeMap<String, String> = [
        (site.clone(), euro.clone()),
        (shop.clone(), euro.clone()),
        (audit.clone(), dollar.clone()),
    ]
    .into();
    let task = id(&create(
        &app,
        m,
        &a.at("/tasks"),
        json!({"project_id": site, "title": "Build"}),
    )
    .await);

    for (who, project, start, end, extra) in [
        (
            m,
            &site,
            "2026-11-02T09:00:00Z",
            "2026-11-02T10:20:00Z",
            json!({"task_id": task}),
        ),
        (
            m,
            &shop,
            "2026-11-02T10:30:00Z",
            "2026-11-02T11:05:00Z",
            json!({}),
        ),
        (
            c,
            &site,
            "2026-11-03T14:00:00Z",
            "2026-11-03T15:13:17Z",
            json!({}),
        ),
        (
            c,
            &audit,
            "2026-11-09T09:00:00Z",
            "2026-11-09T09:50:00Z",
            json!({}),
        ),
        (
            m,
            &audit,
            "2026-11-10T09:00:00Z",
            "2026-11-10T10:01:00Z",
            json!({"billable": true}),
        ),
        (
            m,
            &site,
            "2026-11-16T23:30:00Z",
            "2026-11-17T00:30:00Z",
            json!({"task_id": task}),
        ),
        (
            c,
            &shop,
            "2026-11-30T22:00:00Z",
            "2026-11-30T23:59:59Z",
            json!({"billable": false}),
        ),
        // Outside the range.
        (
            m,
            &site,
            "2026-10-31T09:00:00Z",
            "2026-10-31T10:00:00Z",
            json!({}),
        ),
        (
            c,
            &shop,
            "2026-12-01T00:00:00Z",
            "2026-12-01T01:00:00Z",
            json!({}),
        ),
    ] {
        let mut body = json!({"project_id": project, "start_at": start, "end_at": end});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        create(&app, who, &a.at("/time-entries"), body).await;
    }

    let range = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";
    let listed = all_items(&app, m, &a.at(&format!("/time-entries?{range}"))).await;
    assert_eq!(listed.len(), 7);
    for billable in [None, Some(true), Some(false)] {
        let entries: Vec<&Value> = listed
            .iter()
            .filter(|e| billable.is_none_or(|b| e["billable"] == b))
            .collect();
        let mut expected_total = Sums::default();
        for entry in &entries {
            expected_total.add(entry);
        }
        for group_by in ["client", "project", "user", "task", "day", "week"] {
            let mut query =
                format!("/reports/summary?from=2026-11-01&to=2026-11-30&group_by={group_by}");
            if let Some(b) = billable {
                query.push_str(&format!("&billable={b}"));
            }
            let report = call(&app, m, Method::GET, &a.at(&query), None).await;
            assert_eq!(report.status, 200, "{}", report.text);
            assert_eq!(report.body["group_by"], group_by);
            assert_eq!(report.body["time_zone"], "UTC");
            assert_eq!(Sums::of(&report.body["total"]), expected_total, "{query}");

            let mut expected: BTreeMap<String, Sums> = BTreeMap::new();
            for entry in &entries {
                expected
                    .entry(key(group_by, entry, &client_of))
                    .or_default()
                    .add(entry);
            }
            let groups: BTreeMap<String, Sums> = report.body["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| (g["key"].as_str().unwrap().to_owned(), Sums::of(g)))
                .collect();
            assert_eq!(groups, expected, "{query}: {}", report.text);
        }
    }

    // Labels name what is grouped; days are ordered.
    let by_project = call(
        &app,
        m,
        Method::GET,
        &a.at("/reports/summary?from=2026-11-01&to=2026-11-30"),
        None,
    )
    .await;
    assert_eq!(
        by_project.body["group_by"], "project",
        "the default grouping"
    );
    let labels: Vec<&str> = by_project.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Audit", "Shop", "Site"]);
    let by_day = call(
        &app,
        m,
        Method::GET,
        &a.at("/reports/summary?from=2026-11-01&to=2026-11-30&group_by=day"),
        None,
    )
    .await;
    let days: Vec<&str> = by_day.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        days,
        [
            "2026-11-02",
            "2026-11-03",
            "2026-11-09",
            "2026-11-10",
            "2026-11-16",
            "2026-11-30"
        ]
    );

    // People are labelled by name (else by email), ordered by label.
    for (who, name) in [(m, "Zoe Member"), (c, "Ada Colleague")] {
        let named = call(
            &app,
            who,
            Method::PATCH,
            "/api/v1/users/me",
            Some(json!({"name": name})),
        )
        .await;
        assert_eq!(named.status, 200, "{}", named.text);
    }
    let by_user = call(
        &app,
        c,
        Method::GET,
        &a.at("/reports/summary?from=2026-11-01&to=2026-11-30&group_by=user"),
        None,
    )
    .await;
    let people: Vec<(&str, &str, &str)> = by_user.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap(),
                g["label"].as_str().unwrap(),
                g["email"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            (c.id.as_str(), "Ada Colleague", c.email.as_str()),
            (m.id.as_str(), "Zoe Member", m.email.as_str()),
        ],
        "{}",
        by_user.text
    );

    // A range that is too long is refused, naming `to`.
    let long = call(
        &app,
        m,
        Method::GET,
        &a.at("/reports/summary?from=2020-01-01&to=2026-01-01"),
        None,
    )
    .await;
    long.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&long), ["to"]);
}
