//! The locales templates exist in.

use serde::{Deserialize, Serialize};

/// A locale the product speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Locale {
    /// English: the fallback.
    #[serde(rename = "en")]
    En,
    /// Brazilian Portuguese: the product's home market.
    #[serde(rename = "pt-BR")]
    PtBr,
}

impl Locale {
    /// Every locale, fallback first.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::PtBr];

    /// The best locale for a profile's BCP 47 tag: `pt-BR`, `pt_br` and
    /// plain `pt` are Portuguese; anything else (or nothing) is English.
    pub fn for_tag(tag: Option<&str>) -> Self {
        let Some(tag) = tag else { return Self::En };
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("pt") {
            Self::PtBr
        } else {
            Self::En
        }
    }

    /// The BCP 47 tag (the template directory's name).
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::PtBr => "pt-BR",
        }
    }

    /// The language code WhatsApp templates are registered under.
    pub fn whatsapp_code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::PtBr => "pt_BR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_fall_back_to_english() {
        assert_eq!(Locale::for_tag(Some("pt-BR")), Locale::PtBr);
        assert_eq!(Locale::for_tag(Some("pt_br")), Locale::PtBr);
        assert_eq!(Locale::for_tag(Some("pt")), Locale::PtBr);
        assert_eq!(Locale::for_tag(Some("fr-FR")), Locale::En);
        assert_eq!(Locale::for_tag(Some("")), Locale::En);
        assert_eq!(Locale::for_tag(None), Locale::En);
    }
}
