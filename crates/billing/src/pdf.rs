//! An invoice as a one-or-more-page A4 PDF. Pure: no I/O.
//!
//! Written with `pdf-writer` (typst's low-level PDF writer: a small, well
//! kept crate without system libraries). Text is set in the standard
//! Helvetica faces, which every PDF reader has, so no font is embedded;
//! their WinAnsi encoding covers Latin-1 (Portuguese and most Western
//! European text), and a character outside it prints as `?`. Content
//! streams are left uncompressed: the invoice's text is searchable in the
//! file as written.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::{
    invoice_math::{format_money, format_quantity},
    model::InvoiceView,
};

/// What the document shows.
#[derive(Debug, Clone, Copy)]
pub struct InvoiceDocument<'a> {
    /// Who issues it (the organization's name).
    pub issuer: &'a str,
    /// The invoice.
    pub invoice: &'a InvoiceView,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const ROWS_FIRST_PAGE: usize = 24;
const ROWS_PER_PAGE: usize = 38;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Text in WinAnsi bytes: Latin-1 as is, a few common typographic marks
/// mapped, anything else `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u8,
            '€' => 0x80,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '\t' | '\n' | '\r' => b' ',
            _ => b'?',
        })
        .collect()
}

/// Helvetica advance widths (thousandths of an em) for the characters
/// right-aligned columns hold; others are taken at an average.
fn width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            '0'..='9' => 556,
            '.' | ',' | ' ' => 278,
            '-' => 333,
            'A'..='Z' => 667,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

struct Writer {
    content: Content,
}

impl Writer {
    fn text(&mut self, font: Name, size: f32, x: f32, y: f32, text: &str) {
        let bytes = win_ansi(text);
        self.content
            .begin_text()
            .set_font(font, size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    fn right(&mut self, font: Name, size: f32, right_x: f32, y: f32, text: &str) {
        self.text(font, size, right_x - width(text, size), y, text);
    }

    fn rule(&mut self, y: f32) {
        self.content
            .set_line_width(0.5)
            .move_to(MARGIN, y)
            .line_to(PAGE_W - MARGIN, y)
            .stroke();
    }
}

/// The columns' right edges.
const QTY_RIGHT: f32 = 360.0;
const PRICE_RIGHT: f32 = 455.0;
const AMOUNT_RIGHT: f32 = PAGE_W - MARGIN;

/// Renders the invoice.
pub fn render(doc: &InvoiceDocument<'_>) -> Vec<u8> {
    let invoice = doc.invoice;
    let digits = invoice.currency.minor_digits();
    let code = invoice.currency.as_str().to_owned();
    let money = |minor: i64| format_money(minor, digits, &code);

    let items = &invoice.items;
    let mut pages: Vec<&[crate::model::InvoiceItemView]> = Vec::new();
    let (first, mut rest) = items.split_at(items.len().min(ROWS_FIRST_PAGE));
    pages.push(first);
    while !rest.is_empty() {
        let (page, tail) = rest.split_at(rest.len().min(ROWS_PER_PAGE));
        pages.push(page);
        rest = tail;
    }
    let page_count = pages.len();

    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let page_ids: Vec<Ref> = (0..page_count)
        .map(|i| Ref::new(6 + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_count as i32);
    pdf.type1_font(regular_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_id)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = format!("Invoice {}", invoice.number);
    pdf.document_info(info_id)
        .title(TextStr(&title))
        .author(TextStr(doc.issuer))
        .producer(TextStr("Trellis"));

    for (index, rows) in pages.iter().enumerate() {
        let page_id = page_ids[index];
        let content_id = Ref::new(page_id.get() + 1);
        let mut w = Writer {
            content: Content::new(),
        };
        let mut y = PAGE_H - MARGIN - 10.0;
        if index == 0 {
            w.text(BOLD, 22.0, MARGIN, y, "INVOICE");
            w.right(BOLD, 12.0, AMOUNT_RIGHT, y + 6.0, &invoice.number);
            w.right(
                REGULAR,
                9.0,
                AMOUNT_RIGHT,
                y - 8.0,
                &invoice.status.as_str().to_uppercase(),
            );
            y -= 30.0;
            w.text(BOLD, 11.0, MARGIN, y, &clip(doc.issuer, 60));
            y -= 30.0;
            w.text(BOLD, 9.0, MARGIN, y, "BILL TO");
            w.text(BOLD, 9.0, 330.0, y, "ISSUED");
            w.text(REGULAR, 9.0, 420.0, y, &invoice.issue_date.to_string());
            y -= 14.0;
            w.text(REGULAR, 10.0, MARGIN, y, &clip(&invoice.bill_to.name, 50));
            w.text(BOLD, 9.0, 330.0, y, "DUE");
            w.text(REGULAR, 9.0, 420.0, y, &invoice.due_date.to_string());
            let mut left_y = y;
            if let Some(email) = &invoice.bill_to.email {
                left_y -= 13.0;
                w.text(REGULAR, 9.0, MARGIN, left_y, &clip(email, 60));
            }
            if let Some(address) = &invoice.bill_to.address {
                for line in address.lines().take(4) {
                    left_y -= 13.0;
                    w.text(REGULAR, 9.0, MARGIN, left_y, &clip(line, 60));
                }
            }
            if let (Some(from), Some(to)) = (invoice.period_from, invoice.period_to) {
                y -= 14.0;
                w.text(BOLD, 9.0, 330.0, y, "PERIOD");
                w.text(REGULAR, 9.0, 420.0, y, &format!("{from} to {to}"));
            }
            y = left_y.min(y) - 30.0;
        }
        w.text(BOLD, 9.0, MARGIN, y, "DESCRIPTION");
        w.right(BOLD, 9.0, QTY_RIGHT, y, "QTY");
        w.right(BOLD, 9.0, PRICE_RIGHT, y, "UNIT PRICE");
        w.right(BOLD, 9.0, AMOUNT_RIGHT, y, "AMOUNT");
        y -= 6.0;
        w.rule(y);
        y -= 14.0;
        for item in rows.iter() {
            w.text(REGULAR, 9.0, MARGIN, y, &clip(&item.description, 48));
            w.right(
                REGULAR,
                9.0,
                QTY_RIGHT,
                y,
                &format_quantity(item.quantity_milli),
            );
            w.right(REGULAR, 9.0, PRICE_RIGHT, y, &money(item.unit_price_minor));
            w.right(REGULAR, 9.0, AMOUNT_RIGHT, y, &money(item.amount_minor));
            y -= 16.0;
        }
        if index + 1 == page_count {
            w.rule(y + 8.0);
            y -= 8.0;
            let tax_label = format!("Tax ({})", format_percent(invoice.tax_bp));
            for (label, value, font) in [
                ("Subtotal", invoice.subtotal_minor, REGULAR),
                (tax_label.as_str(), invoice.tax_minor, REGULAR),
                ("Total", invoice.total_minor, BOLD),
            ] {
                w.right(font, 10.0, PRICE_RIGHT, y, label);
                w.right(font, 10.0, AMOUNT_RIGHT, y, &money(value));
                y -= 16.0;
            }
            if let Some(notes) = &invoice.notes {
                y -= 20.0;
                w.text(BOLD, 9.0, MARGIN, y, "NOTES");
                for line in notes.lines().take(8) {
                    y -= 13.0;
                    w.text(REGULAR, 9.0, MARGIN, y, &clip(line, 95));
                }
            }
        }
        w.right(
            REGULAR,
            8.0,
            AMOUNT_RIGHT,
            MARGIN / 2.0,
            &format!("{} - page {} of {}", invoice.number, index + 1, page_count),
        );
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree_id)
            .contents(content_id);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(REGULAR, regular_id)
            .pair(BOLD, bold_id);
        drop(resources);
        drop(page);
        pdf.stream(content_id, &w.content.finish());
    }
    pdf.finish()
}

/// Basis points as a percentage (`15%`, `12.5%`).
fn format_percent(bp: i32) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    if frac == 0 {
        format!("{whole}%")
    } else {
        format!("{whole}.{}%", format!("{frac:02}").trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_win_ansi() {
        assert_eq!(win_ansi("Ação €5"), b"A\xe7\xe3o \x805".to_vec());
        assert_eq!(win_ansi("日本"), b"??".to_vec());
    }

    #[test]
    fn percentages_and_clipping() {
        assert_eq!(format_percent(1_500), "15%");
        assert_eq!(format_percent(1_250), "12.5%");
        assert_eq!(format_percent(5), "0.05%");
        assert_eq!(clip("abcdef", 5), "ab...");
        assert_eq!(clip("abc", 5), "abc");
    }
}
