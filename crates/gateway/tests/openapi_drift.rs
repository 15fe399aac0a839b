//! The committed OpenAPI documents match what the code generates.
//! When this fails, run `just openapi` (or `cargo run -- openapi`) and commit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::path::Path;

#[test]
fn committed_spec_matches_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi");
    let mut stale = Vec::new();
    for (name, generated) in trellis_gateway::openapi::documents() {
        let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        if committed != generated {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "openapi/{stale:?} is out of date: run `just openapi` (cargo run -- openapi) and commit the result"
    );
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(
        trellis_gateway::openapi::documents(),
        trellis_gateway::openapi::documents()
    );
}
