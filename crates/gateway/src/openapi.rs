//! The committed OpenAPI documents, and the check that they are current.

use std::path::Path;

use crate::api;

/// Every document `trellis openapi` writes: `(file name, contents)`.
pub fn documents() -> Vec<(&'static str, String)> {
    let public = api::public_service();
    let internal = api::internal_service();
    vec![
        ("openapi.json", with_newline(public.spec())),
        ("openapi.yaml", with_newline(public.spec_yaml())),
        ("internal.json", with_newline(internal.spec())),
        ("internal.yaml", with_newline(internal.spec_yaml())),
        (
            "realtime.json",
            with_newline(crate::realtime::protocol::schemas_document()),
        ),
    ]
}

fn with_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Writes every document into `dir`.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, contents) in documents() {
        let path = dir.join(name);
        std::fs::write(&path, contents)?;
        written.push(path.display().to_string());
    }
    Ok(written)
}
