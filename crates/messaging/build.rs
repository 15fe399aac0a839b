//! Embeds the notification templates (`templates/`) in the crate: the
//! binary never reads a template file at run time, so a deployment cannot
//! ship code and copy out of step.
//!
//! Writes `$OUT_DIR/templates.rs`: one `(name, include_str!(path))` per
//! file, named by its `/`-separated path under `templates/`. `include_str!`
//! makes the compiler track each file; the directory itself is watched so
//! an added or removed file reruns this script.

use std::{
    env,
    error::Error,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("templates");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files)?;
    files.sort();

    let mut out = String::from("pub(crate) static TEMPLATES: &[(&str, &str)] = &[\n");
    for path in &files {
        let name = path
            .strip_prefix(&root)?
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )?;
    }
    out.push_str("];\n");
    fs::write(
        PathBuf::from(env::var("OUT_DIR")?).join("templates.rs"),
        out,
    )?;
    Ok(())
}

/// Every file under `dir`, skipping hidden ones (editor swap files).
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Box<dyn Error>> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
