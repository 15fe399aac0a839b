//! What a file is: sniffed from its bytes, never taken on the client's word.

/// The types allowed when none are configured: common images, PDF and
/// plain text. Not SVG or HTML: a browser runs their scripts.
pub const DEFAULT_ALLOWED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
];

/// What is stored when nothing is recognised.
const UNKNOWN: &str = "application/octet-stream";

/// The type of `bytes` by their content: a known signature (`infer`), else
/// `text/plain` for UTF-8 text without control characters, else
/// `application/octet-stream`.
pub fn sniff(bytes: &[u8]) -> &'static str {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type();
    }
    if is_text(bytes) {
        "text/plain"
    } else {
        UNKNOWN
    }
}

fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
        && !bytes
            .iter()
            .any(|b| matches!(b, 0x00..=0x08 | 0x0e..=0x1f | 0x7f))
}

/// A media type's essence: lowercase, without parameters, with common
/// aliases folded (`image/jpg` is `image/jpeg`).
pub fn essence(media_type: &str) -> String {
    let bare = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match bare.as_str() {
        "image/jpg" | "image/pjpeg" => "image/jpeg".into(),
        "image/x-png" => "image/png".into(),
        "application/x-pdf" => "application/pdf".into(),
        _ => bare,
    }
}

/// Why a file's type is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeCheck {
    /// Allowed: the type to store.
    Allowed(String),
    /// The bytes are of a type the allow-list does not have.
    NotAllowed(String),
    /// The type the client declared is not what the bytes are.
    Mismatch {
        /// What the client said.
        declared: String,
        /// What the bytes are.
        sniffed: String,
    },
}

/// Decides a file's type from its bytes' sniffed type and the type the
/// client declared for the part (if any):
///
/// - text without a signature is `text/plain`, or the declared type when
///   that is another `text/*` type (`text/csv`, `text/markdown`): the bytes
///   cannot tell those apart, and the allow-list still decides;
/// - the type must be on the allow-list;
/// - a declared type other than `application/octet-stream` (what clients
///   send when they do not know) must be the sniffed one.
pub fn check_type(sniffed: &str, declared: Option<&str>, allowed: &[String]) -> TypeCheck {
    let declared = declared
        .map(essence)
        .filter(|d| !d.is_empty() && d != UNKNOWN);
    let effective = match &declared {
        Some(d) if sniffed == "text/plain" && d.starts_with("text/") => d.clone(),
        _ => sniffed.to_owned(),
    };
    if !allowed.iter().any(|a| essence(a) == effective) {
        return TypeCheck::NotAllowed(effective);
    }
    match declared {
        Some(declared) if declared != effective => TypeCheck::Mismatch {
            declared,
            sniffed: effective,
        },
        _ => TypeCheck::Allowed(effective),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
    const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\x08\0";
    const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0";

    fn defaults() -> Vec<String> {
        DEFAULT_ALLOWED_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(PNG), "image/png");
        assert_eq!(sniff(PDF), "application/pdf");
        assert_eq!(sniff(ZIP), "application/zip");
        let mut elf = ELF.to_vec();
        elf.resize(64, 0);
        assert_eq!(sniff(&elf), "application/x-executable");
        assert_eq!(sniff("héllo\r\n\tworld".as_bytes()), "text/plain");
        assert_eq!(sniff(b"a\0b"), UNKNOWN);
        assert_eq!(sniff(b"\xff\xfe\xfd"), UNKNOWN);
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), "text/html");
    }

    #[test]
    fn the_allow_list_decides_on_the_sniffed_type() {
        let allowed = defaults();
        assert_eq!(
            check_type("image/png", Some("image/png"), &allowed),
            TypeCheck::Allowed("image/png".into())
        );
        // No declared type, or the don't-know type: the bytes decide alone.
        assert_eq!(
            check_type("image/png", None, &allowed),
            TypeCheck::Allowed("image/png".into())
        );
        assert_eq!(
            check_type(
                "application/pdf",
                Some("application/octet-stream"),
                &allowed
            ),
            TypeCheck::Allowed("application/pdf".into())
        );
        // A zip is a zip, whatever it claims.
        assert_eq!(
            check_type("application/zip", Some("image/png"), &allowed),
            TypeCheck::NotAllowed("application/zip".into())
        );
        assert_eq!(
            check_type("text/html", Some("text/plain"), &allowed),
            TypeCheck::NotAllowed("text/html".into())
        );
    }

    #[test]
    fn a_declared_type_must_match_the_bytes() {
        let allowed = defaults();
        assert_eq!(
            check_type("image/png", Some("application/pdf"), &allowed),
            TypeCheck::Mismatch {
                declared: "application/pdf".into(),
                sniffed: "image/png".into()
            }
        );
        // Aliases and parameters are not mismatches.
        assert_eq!(
            check_type("image/jpeg", Some("Image/JPG"), &allowed),
            TypeCheck::Allowed("image/jpeg".into())
        );
        assert_eq!(
            check_type("text/plain", Some("text/plain; charset=utf-8"), &allowed),
            TypeCheck::Allowed("text/plain".into())
        );
    }

    #[test]
    fn text_takes_its_declared_text_type_if_allowed() {
        let mut allowed = defaults();
        assert_eq!(
            check_type("text/plain", Some("text/csv"), &allowed),
            TypeCheck::NotAllowed("text/csv".into())
        );
        allowed.push("text/csv".into());
        assert_eq!(
            check_type("text/plain", Some("text/csv"), &allowed),
            TypeCheck::Allowed("text/csv".into())
        );
        // Text bytes are not an image, whatever the part says.
        assert_eq!(
            check_type("text/plain", Some("image/png"), &allowed),
            TypeCheck::Mismatch {
                declared: "image/png".into(),
                sniffed: "text/plain".into()
            }
        );
    }
}
