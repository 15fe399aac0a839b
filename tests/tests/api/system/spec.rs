//! The committed spec keeps the rules that follow from an operation's shape:
//! what its body, its security, its parameters and its route imply. (Whether
//! the gateway's answers match the spec is the contract check's job; this
//! checks the spec alone, including statuses no test provokes.)

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;
use trellis_gateway::middleware::rate_limit::classify;
use trellis_tests::contract::{Listener, spec};

/// Operations that take no credentials but check some in their body, so
/// their 401 and 403 are answers about those credentials (wrong password or
/// code, a refresh token that is not valid; a deactivated account).
const CREDENTIAL_EXCHANGES: &[&str] = &["login", "refresh_tokens", "verify_otp", "staff_login"];

/// Operations without security that check a signed link's token (in the
/// query or the body), so their 403 is the answer about that token.
const SIGNED_LINKS: &[&str] = &["unsubscribe"];

/// Operations with a body that nothing checks beyond parsing, so they
/// cannot answer 422: every other operation with a body documents it.
const UNCHECKED_BODIES: &[&str] = &[
    // Stripe's events: a bad one is 400 (signature, shape), never 422.
    "receive_stripe_webhook",
    // A failed check is the same 401 as a wrong password.
    "login",
    "staff_login",
    // Always 202, so the answer does not tell whether an email is registered.
    "request_password_reset",
    // A role (an enum) and flags: parsing is the whole check.
    "change_org_member_role",
    "change_room_member_role",
    "update_user",
    // A timestamp; the professional may place an appointment anywhere free.
    "reschedule_appointment",
];

struct Op<'a> {
    listener: Listener,
    method: &'a str,
    path: &'a str,
    id: &'a str,
    operation: &'a Value,
    statuses: BTreeSet<&'a str>,
}

impl Op<'_> {
    fn documents(&self, status: &str) -> bool {
        self.statuses.contains(status)
    }

    fn has_body(&self) -> bool {
        self.operation.get("requestBody").is_some()
    }

    fn has_parameters(&self) -> bool {
        self.operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|p| !p.is_empty())
    }

    /// `None` without security; `Some(optional)` with it, optional when one
    /// requirement is empty (`{}`).
    fn security(&self) -> Option<bool> {
        let requirements = self.operation.get("security")?.as_array()?;
        if requirements.is_empty() {
            return None;
        }
        Some(
            requirements
                .iter()
                .any(|r| r.as_object().is_some_and(|r| r.is_empty())),
        )
    }
}

fn operations(listener: Listener) -> Vec<Op<'static>> {
    let document = spec(listener).document();
    let mut ops = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let statuses = operation["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, _)| status.as_str())
                .collect();
            ops.push(Op {
                listener,
                method,
                path,
                id: operation["operationId"].as_str().unwrap_or(path),
                operation,
                statuses,
            });
        }
    }
    ops
}

fn all_operations() -> Vec<Op<'static>> {
    let mut ops = operations(Listener::Public);
    ops.extend(operations(Listener::Internal));
    ops
}

#[test]
fn every_operation_documents_what_its_shape_implies() {
    let mut broken = Vec::new();
    let ops = all_operations();
    assert!(
        ops.len() > 60,
        "both specs are read ({} operations)",
        ops.len()
    );
    for op in &ops {
        let mut fail = |rule: &str| {
            broken.push(format!(
                "{} {} `{}` ({}): {rule}; documents {:?}",
                op.method.to_uppercase(),
                op.path,
                op.id,
                op.listener.spec_file(),
                op.statuses
            ))
        };
        if !op.documents("500") {
            fail("every operation documents 500");
        }

        // A JSON body: malformed (400), too large (413), not JSON (415),
        // and 422 when something checks it.
        if op.has_body() {
            for status in ["400", "413", "415"] {
                if !op.documents(status) {
                    fail(&format!("an operation with a body documents {status}"));
                }
            }
            if !op.documents("422") && !UNCHECKED_BODIES.contains(&op.id) {
                fail("an operation with a body documents 422 (or is in UNCHECKED_BODIES)");
            }
        } else {
            for status in ["413", "415"] {
                if op.documents(status) {
                    fail(&format!(
                        "an operation without a body does not document {status}"
                    ));
                }
            }
        }
        if UNCHECKED_BODIES.contains(&op.id) && op.documents("422") {
            fail("an operation in UNCHECKED_BODIES does not document 422");
        }

        // Nothing to parse, nothing malformed.
        if !op.has_body() && !op.has_parameters() && op.documents("400") {
            fail("an operation without parameters or body does not document 400");
        }

        // Security: required → 401; optional (`{}`) → 401 for a bad token;
        // none → neither 401 nor 403, but for credential exchanges.
        match op.security() {
            Some(_) => {
                if !op.documents("401") {
                    fail("an operation with security documents 401");
                }
            }
            None if CREDENTIAL_EXCHANGES.contains(&op.id) => {
                if !op.documents("401") {
                    fail("a credential exchange documents 401");
                }
            }
            None => {
                for status in ["401", "403"] {
                    if status == "403" && SIGNED_LINKS.contains(&op.id) {
                        continue;
                    }
                    if op.documents(status) {
                        fail(&format!(
                            "an operation without security does not document {status}"
                        ));
                    }
                }
            }
        }

        // The rate limiter answers 429 on the routes it classifies, and only there.
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        let limited = classify(&method, op.path).is_some();
        if limited != op.documents("429") {
            fail(&format!(
                "429 is documented exactly where the rate limiter classifies the route (classified: {limited})"
            ));
        }

        // Every error is a problem document.
        for (status, response) in op.operation["responses"].as_object().into_iter().flatten() {
            if status.starts_with('4') || status.starts_with('5') {
                let content = response["content"].as_object();
                let only_problems = content.is_some_and(|c| {
                    !c.is_empty() && c.keys().all(|k| k == "application/problem+json")
                });
                if !only_problems {
                    fail(&format!("{status} is an application/problem+json document"));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "the spec breaks its rules:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_exception_lists_name_real_operations() {
    let ops = all_operations();
    for id in CREDENTIAL_EXCHANGES
        .iter()
        .chain(UNCHECKED_BODIES)
        .chain(SIGNED_LINKS)
    {
        let op = ops.iter().find(|op| op.id == *id);
        assert!(op.is_some(), "`{id}` is no operation");
    }
    for id in UNCHECKED_BODIES {
        let has_body = ops.iter().any(|op| op.id == *id && op.has_body());
        assert!(has_body, "`{id}` in UNCHECKED_BODIES takes no body");
    }
    for id in CREDENTIAL_EXCHANGES {
        let public = ops.iter().any(|op| op.id == *id && op.security().is_none());
        assert!(public, "`{id}` in CREDENTIAL_EXCHANGES has security");
    }
    for id in SIGNED_LINKS {
        let public = ops.iter().any(|op| op.id == *id && op.security().is_none());
        assert!(public, "`{id}` in SIGNED_LINKS has security");
    }
}

#[test]
fn public_reads_document_no_401_or_403() {
    // The rule above, spelled out for the operations the issue named.
    for id in [
        "get_professional",
        "list_slots",
        "list_reviews",
        "health",
        "ready",
    ] {
        let ops = all_operations();
        let op = ops.iter().find(|op| op.id == id).unwrap();
        assert!(
            !op.documents("401") && !op.documents("403"),
            "`{id}` documents {:?}",
            op.statuses
        );
    }
}
