//! File names: made safe once, at upload, and quoted safely on the way out.

use std::fmt::Write;

/// The name when nothing of the client's is left.
const FALLBACK: &str = "file";

/// A client's file name made safe to store and to offer back: only its last
/// path segment; no control, bidirectional or invisible formatting
/// characters (which can make `exe.pdf` read as `fdp.exe`); nothing a
/// Windows or Unix file system refuses (`sanitize-filename`); at most 255
/// bytes; `file` when nothing is left.
pub fn sanitize_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or_default();
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let visible: String = last.chars().filter(|c| !is_invisible(*c)).collect();
    let safe = sanitize_filename::sanitize_with_options(
        visible.trim(),
        sanitize_filename::Options {
            windows: true,
            truncate: true,
            replacement: "_",
        },
    );
    let safe = safe.trim();
    if safe.is_empty() || safe.chars().all(|c| c == '_' || c == '.') {
        FALLBACK.to_owned()
    } else {
        safe.to_owned()
    }
}

/// Control characters, bidirectional overrides and zero-width characters.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
        )
}

/// `Content-Disposition: attachment` naming the file: an ASCII `filename`
/// for old clients and the exact UTF-8 name as `filename*` (RFC 6266, RFC
/// 8187). The name is one [`sanitize_name`] made, but this quotes anything.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_dangerous_characters() {
        assert_eq!(sanitize_name(Some("report.pdf")), "report.pdf");
        assert_eq!(sanitize_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(sanitize_name(Some("C:\\Users\\me\\photo.png")), "photo.png");
        assert_eq!(
            sanitize_name(Some("a<b>c:d\"e|f?g*h.txt")),
            "a_b_c_d_e_f_g_h.txt"
        );
        assert_eq!(sanitize_name(Some("tab\there\n.txt")), "tabhere.txt");
        // Right-to-left override: "invoice\u{202e}fdp.exe" would read "invoiceexe.pdf".
        assert_eq!(
            sanitize_name(Some("invoice\u{202e}fdp.exe")),
            "invoicefdp.exe"
        );
        assert_eq!(
            sanitize_name(Some("  résumé café.pdf  ")),
            "résumé café.pdf"
        );
        assert_eq!(sanitize_name(Some("CON")), "file");
        assert_eq!(sanitize_name(Some("..")), "file");
        assert_eq!(sanitize_name(Some("")), "file");
        assert_eq!(sanitize_name(None), "file");
        assert_eq!(sanitize_name(Some("dir/")), "file");
        let long = "é".repeat(300);
        assert!(sanitize_name(Some(&long)).len() <= 255);
    }

    #[test]
    fn dispositions_quote_any_name() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("résumé \"v2\".pdf"),
            "attachment; filename=\"r_sum_ _v2_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.pdf"
        );
    }
}
