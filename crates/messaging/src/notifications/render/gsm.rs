//! How long a text message is, as a carrier bills it (GSM 03.38).
//!
//! A text goes out in the 7-bit GSM alphabet when every character is in it
//! (the extension table's `{ } [ ] ~ \ ^ | €` and form feed take an escape
//! and count twice), otherwise as UCS-2, counted in UTF-16 code units (an
//! emoji is two). A single segment holds 160 septets or 70 units; longer
//! texts are split into parts of 153 or 67, the rest being the header that
//! joins them. No kept crate does exactly this count, so it lives here.

use crate::notifications::message::{SmsEncoding, SmsMessage};

/// The GSM 03.38 default alphabet, one septet each (LF and CR included).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: an escape septet plus the character.
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// The text's encoding and the segments it is billed as (at least one).
pub fn measure(text: &str) -> (SmsEncoding, u32) {
    let septets = text.chars().try_fold(0usize, |n, c| {
        if BASIC.contains(c) {
            Some(n + 1)
        } else if EXTENSION.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    });
    let (encoding, length, single, part) = match septets {
        Some(septets) => (SmsEncoding::Gsm7, septets, 160, 153),
        None => (SmsEncoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let segments = if length <= single {
        1
    } else {
        length.div_ceil(part)
    };
    (encoding, u32::try_from(segments).unwrap_or(u32::MAX))
}

/// A text message with its encoding and segments worked out.
pub fn sms(text: String) -> SmsMessage {
    let (encoding, segments) = measure(&text);
    SmsMessage {
        text,
        encoding,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_tables_have_their_sizes() {
        assert_eq!(BASIC.chars().count(), 127); // 128 less the escape
        assert_eq!(EXTENSION.chars().count(), 10);
    }

    #[test]
    fn gsm7_boundaries() {
        assert_eq!(measure(""), (SmsEncoding::Gsm7, 1));
        assert_eq!(measure(&"a".repeat(160)), (SmsEncoding::Gsm7, 1));
        assert_eq!(measure(&"a".repeat(161)), (SmsEncoding::Gsm7, 2));
        assert_eq!(measure(&"a".repeat(306)), (SmsEncoding::Gsm7, 2));
        assert_eq!(measure(&"a".repeat(307)), (SmsEncoding::Gsm7, 3));
        assert_eq!(
            measure("Olá? Não: à tarde é às 14h"),
            (SmsEncoding::Ucs2, 1)
        );
        assert_eq!(
            measure("Até à tarde, Çà é ü £5 @ 14:30"),
            (SmsEncoding::Gsm7, 1)
        );
    }

    #[test]
    fn extension_characters_count_twice() {
        assert_eq!(measure(&"€".repeat(80)), (SmsEncoding::Gsm7, 1));
        assert_eq!(measure(&"€".repeat(81)), (SmsEncoding::Gsm7, 2));
        let text = format!("{}{{}}", "a".repeat(157)); // 157 + 2 × 2
        assert_eq!(measure(&text), (SmsEncoding::Gsm7, 2));
        assert_eq!(
            measure(&format!("{}[", "a".repeat(158))),
            (SmsEncoding::Gsm7, 1)
        );
    }

    #[test]
    fn ucs2_boundaries_in_utf16_units() {
        let accented = |n: usize| format!("ã{}", "a".repeat(n - 1));
        assert_eq!(measure(&accented(70)), (SmsEncoding::Ucs2, 1));
        assert_eq!(measure(&accented(71)), (SmsEncoding::Ucs2, 2));
        assert_eq!(measure(&accented(134)), (SmsEncoding::Ucs2, 2));
        assert_eq!(measure(&accented(135)), (SmsEncoding::Ucs2, 3));
        // An emoji is a surrogate pair: two units.
        assert_eq!(
            measure(&format!("{}👋", "a".repeat(68))),
            (SmsEncoding::Ucs2, 1)
        );
        assert_eq!(
            measure(&format!("{}👋", "a".repeat(69))),
            (SmsEncoding::Ucs2, 2)
        );
    }

    #[test]
    fn sms_carries_its_measure() {
        let message = sms("Your code is 123456".into());
        assert_eq!(message.encoding, SmsEncoding::Gsm7);
        assert_eq!(message.segments, 1);
    }
}
