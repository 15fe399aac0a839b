//! The CSV columns each import reads, and the export of time entries writes.
//!
//! Files are UTF-8 (a leading byte-order mark is ignored), comma-separated,
//! quoted the RFC 4180 way (`"a ""quoted"", multi-line value"`), with a
//! header row naming the columns. Columns may come in any order; names are
//! matched without regard to case or surrounding spaces; a column with an
//! empty name is ignored; an unknown or repeated name refuses the file
//! before any row is read. Values are trimmed, and an empty value is an
//! absent one.
//!
//! **Formulas.** A spreadsheet takes a cell starting with `=`, `+`, `-`,
//! `@`, a tab or a carriage return for a formula, so the export writes such
//! a value with a leading `'` ([`guard`]), and the import removes that one
//! `'` again ([`unguard`]): a value that itself starts with quotes before
//! one of those characters gets one more, so every value survives the
//! round trip exactly (`=1+1` is written `'=1+1`, `'=1+1` is written
//! `''=1+1`, `'quoted'` as it is).
//!
//! | kind | columns (required in bold) |
//! | --- | --- |
//! | clients | **name**, email, phone, address, **currency**, hourly_rate_minor |
//! | projects | client_id or client_name (one of them), **name**, code, billable, hourly_rate_minor, budget_hours, color |
//! | time entries | user_id, user_email, project_id or project_code (one of them), task_id, task_title, description, **start_at**, **end_at**, billable |
//!
//! - Booleans are `true`/`false` (also `yes`/`no`, `1`/`0`).
//! - Money is whole minor units (`9500` is 95.00 in a two-decimal currency).
//! - Instants are RFC 3339 with an offset (`2026-11-20T09:00:00Z`).
//! - When both an id and a name or code are given, the id is used: to load
//!   a file into another organization, empty the id columns.
//! - References are resolved in the importing organization only: another
//!   organization's ids, names and codes are unknown.
//!
//! The export writes [`TIME_ENTRY_HEADER`]'s columns in that order, so an
//! export imports as it is.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use csv_async::ByteRecord;
use trellis_kernel::FieldError;

use crate::model::ImportKind;

/// One column of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvColumn {
    /// Its name in the header.
    pub name: &'static str,
    /// A row without a value here is refused. (Where one of two columns is
    /// needed, neither is marked required and the description says so.)
    pub required: bool,
    /// What it holds, for people writing files.
    pub description: &'static str,
}

const fn col(name: &'static str, required: bool, description: &'static str) -> CsvColumn {
    CsvColumn {
        name,
        required,
        description,
    }
}

/// The columns of a clients file.
pub const CLIENT_COLUMNS: &[CsvColumn] = &[
    col("name", true, "The client's name, 1 to 200 characters."),
    col("email", false, "Contact email."),
    col(
        "phone",
        false,
        "Contact phone in international form (+351…).",
    ),
    col("address", false, "Postal address, at most 1000 characters."),
    col(
        "currency",
        true,
        "ISO 4217 code its work is billed in (EUR).",
    ),
    col(
        "hourly_rate_minor",
        false,
        "Default hourly rate in minor units (9500 is 95.00).",
    ),
];

/// The columns of a projects file.
pub const PROJECT_COLUMNS: &[CsvColumn] = &[
    col(
        "client_id",
        false,
        "The client's id; this or client_name is needed (the id wins).",
    ),
    col(
        "client_name",
        false,
        "The client's exact name, when no client_id is given; must name exactly one client.",
    ),
    col("name", true, "The project's name, 1 to 200 characters."),
    col(
        "code",
        false,
        "Short code, unique in the organization, at most 32 characters.",
    ),
    col(
        "billable",
        false,
        "Whether its time is billable by default: true or false (default true).",
    ),
    col(
        "hourly_rate_minor",
        false,
        "Hourly rate in minor units; the client's applies when empty.",
    ),
    col("budget_hours", false, "Budget in whole hours."),
    col("color", false, "Colour as #rrggbb."),
];

/// The columns of a time-entries file (and of the export, in this order).
pub const TIME_ENTRY_COLUMNS: &[CsvColumn] = &[
    col(
        "user_id",
        false,
        "Whose time: a member's id (wins over user_email); both empty is the importer's.",
    ),
    col(
        "user_email",
        false,
        "Whose time, by the member's email, when no user_id is given.",
    ),
    col(
        "project_id",
        false,
        "The project's id; this or project_code is needed (the id wins).",
    ),
    col(
        "project_code",
        false,
        "The project's code, when no project_id is given.",
    ),
    col(
        "task_id",
        false,
        "A task of the project, by id (wins over task_title).",
    ),
    col(
        "task_title",
        false,
        "A task of the project, by its exact title (must name exactly one).",
    ),
    col(
        "description",
        false,
        "What was done, at most 2000 characters.",
    ),
    col(
        "start_at",
        true,
        "Start, RFC 3339 (2026-11-20T09:00:00Z); rounded as the organization rounds.",
    ),
    col(
        "end_at",
        true,
        "End, RFC 3339; at most 7 days after the start.",
    ),
    col(
        "billable",
        false,
        "true or false; the project's default when empty.",
    ),
];

/// The header of a clients file with every column.
pub const CLIENT_HEADER: &str = "name,email,phone,address,currency,hourly_rate_minor";
/// The header of a projects file with every column.
pub const PROJECT_HEADER: &str =
    "client_id,client_name,name,code,billable,hourly_rate_minor,budget_hours,color";
/// The header of a time-entries file with every column: what the export writes.
pub const TIME_ENTRY_HEADER: &str = "user_id,user_email,project_id,project_code,task_id,task_title,description,start_at,end_at,billable";

impl ImportKind {
    /// The columns a file of this kind may have.
    pub fn columns(self) -> &'static [CsvColumn] {
        match self {
            Self::Clients => CLIENT_COLUMNS,
            Self::Projects => PROJECT_COLUMNS,
            Self::TimeEntries => TIME_ENTRY_COLUMNS,
        }
    }

    /// The header naming every column, in the documented order.
    pub fn header(self) -> &'static str {
        match self {
            Self::Clients => CLIENT_HEADER,
            Self::Projects => PROJECT_HEADER,
            Self::TimeEntries => TIME_ENTRY_HEADER,
        }
    }

    /// Pairs of columns of which a file needs at least one.
    fn one_of(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Clients => &[],
            Self::Projects => &[("client_id", "client_name")],
            Self::TimeEntries => &[("project_id", "project_code")],
        }
    }
}

/// What is wrong with a row: a field, or (`field: None`) the row itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn row(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }
}

impl From<FieldError> for Problem {
    fn from(e: FieldError) -> Self {
        Self {
            field: Some(e.field),
            message: e.message,
        }
    }
}

/// A file's header, mapped onto its kind's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    kind: ImportKind,
    /// For each of the kind's columns, its position in the file.
    index: Vec<Option<usize>>,
    /// How many fields every row has.
    width: usize,
}

impl Header {
    /// Reads the header row; refuses unknown, repeated or missing columns
    /// (422, field `header`).
    pub fn parse(kind: ImportKind, header: &ByteRecord) -> Result<Self, Vec<FieldError>> {
        let columns = kind.columns();
        let mut index = vec![None; columns.len()];
        let mut errors = Vec::new();
        for (position, raw) in header.iter().enumerate() {
            let Ok(name) = std::str::from_utf8(raw) else {
                errors.push(FieldError::new(
                    "header",
                    format!("column {} is not UTF-8 text", position + 1),
                ));
                continue;
            };
            let name = name
                .trim_start_matches('\u{feff}')
                .trim()
                .to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            match columns.iter().position(|c| c.name == name) {
                Some(i) if index[i].is_some() => {
                    errors.push(FieldError::new(
                        "header",
                        format!("column `{name}` appears twice"),
                    ));
                }
                Some(i) => index[i] = Some(position),
                None => errors.push(FieldError::new(
                    "header",
                    format!(
                        "unknown column `{name}`; a {} file has: {}",
                        kind_name(kind),
                        kind.header().replace(',', ", ")
                    ),
                )),
            }
        }
        for (column, found) in columns.iter().zip(&index) {
            if column.required && found.is_none() {
                errors.push(FieldError::new(
                    "header",
                    format!("the column `{}` is required", column.name),
                ));
            }
        }
        for (a, b) in kind.one_of() {
            let has = |name: &str| {
                columns
                    .iter()
                    .zip(&index)
                    .any(|(c, found)| c.name == name && found.is_some())
            };
            if !has(a) && !has(b) {
                errors.push(FieldError::new(
                    "header",
                    format!("the column `{a}` or `{b}` is required"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            kind,
            index,
            width: header.len(),
        })
    }

    /// A row's values, or what makes the row unreadable (a wrong number
    /// of fields, text that is not UTF-8).
    pub fn fields<'r>(&self, record: &'r ByteRecord) -> Result<Fields<'r>, Vec<Problem>> {
        if record.len() != self.width {
            return Err(vec![Problem::row(format!(
                "has {} fields; the header has {}",
                record.len(),
                self.width
            ))]);
        }
        let columns = self.kind.columns();
        let mut values = Vec::with_capacity(columns.len());
        let mut problems = Vec::new();
        for (column, position) in columns.iter().zip(&self.index) {
            let raw = position.and_then(|p| record.get(p)).unwrap_or_default();
            match std::str::from_utf8(raw) {
                Ok(text) => values.push(Some(unguard(text.trim())).filter(|t| !t.is_empty())),
                Err(_) => {
                    problems.push(Problem::field(column.name, "is not UTF-8 text"));
                    values.push(None);
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Fields { columns, values })
    }
}

fn kind_name(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Clients => "clients",
        ImportKind::Projects => "projects",
        ImportKind::TimeEntries => "time entries",
    }
}

/// One row's values by column name: trimmed, empty ones absent.
#[derive(Debug)]
pub(crate) struct Fields<'r> {
    columns: &'static [CsvColumn],
    values: Vec<Option<&'r str>>,
}

impl<'r> Fields<'r> {
    /// The value of a column, if the row has one.
    pub fn get(&self, name: &str) -> Option<&'r str> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .and_then(|i| self.values.get(i).copied().flatten())
    }

    /// The value of a required column.
    pub fn required(&self, name: &str) -> Result<&'r str, Problem> {
        self.get(name)
            .ok_or_else(|| Problem::field(name, "is required"))
    }

    /// An optional value parsed with `parse`.
    pub fn parse<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str, &str) -> Result<T, Problem>,
    ) -> Result<Option<T>, Problem> {
        self.get(name).map(|raw| parse(name, raw)).transpose()
    }
}

/// The characters a spreadsheet may take for the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Quotes, then a formula's first character.
fn needs_guard(value: &str) -> bool {
    let rest = value.trim_start_matches('\'');
    rest.starts_with(FORMULA_STARTS)
}

/// A value as the export writes it: with a leading `'` when a spreadsheet
/// could take it for a formula (see the [module](self) docs).
pub fn guard(value: &str) -> std::borrow::Cow<'_, str> {
    if needs_guard(value) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// A value as the export meant it: without the `'` [`guard`] added.
pub fn unguard(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => value,
    }
}

/// `true`/`false`, `yes`/`no`, `1`/`0`, any case.
pub(crate) fn boolean(field: &str, raw: &str) -> Result<bool, Problem> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        _ => Err(Problem::field(field, "must be true or false")),
    }
}

/// A whole number.
pub(crate) fn number<T: FromStr>(field: &str, raw: &str) -> Result<T, Problem> {
    raw.parse()
        .map_err(|_| Problem::field(field, "must be a whole number"))
}

/// An id.
pub(crate) fn id<T: FromStr>(field: &str, raw: &str) -> Result<T, Problem> {
    raw.parse()
        .map_err(|_| Problem::field(field, "must be a UUID"))
}

/// An RFC 3339 instant.
pub(crate) fn instant(field: &str, raw: &str) -> Result<DateTime<Utc>, Problem> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Problem::field(
                field,
                "must be an RFC 3339 instant with an offset, like 2026-11-20T09:00:00Z",
            )
        })
}

/// A value one of the kernel's types parses (`Email`, `Phone`, `Currency`).
pub(crate) fn typed<T>(
    parse: impl FnOnce(&str) -> Result<T, &'static str>,
) -> impl FnOnce(&str, &str) -> Result<T, Problem> {
    move |field, raw| parse(raw).map_err(|message| Problem::field(field, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> ByteRecord {
        let mut r = ByteRecord::new();
        for f in fields {
            r.push_field(f.as_bytes());
        }
        r
    }

    #[test]
    fn headers_name_every_column_in_order() {
        for kind in [
            ImportKind::Clients,
            ImportKind::Projects,
            ImportKind::TimeEntries,
        ] {
            let names: Vec<_> = kind.columns().iter().map(|c| c.name).collect();
            assert_eq!(kind.header(), names.join(","));
            let header = record(&kind.header().split(',').collect::<Vec<_>>());
            assert!(Header::parse(kind, &header).is_ok(), "{kind:?}");
        }
    }

    #[test]
    fn headers_are_matched_loosely_and_checked_strictly() {
        let header = record(&["\u{feff} Name ", "CURRENCY", ""]);
        let parsed = Header::parse(ImportKind::Clients, &header).unwrap_or_else(|e| {
            panic!("{e:?}");
        });
        let row = record(&[" Acme ", "eur", "ignored"]);
        let fields = parsed.fields(&row).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(fields.get("name"), Some("Acme"));
        assert_eq!(fields.get("currency"), Some("eur"));
        assert_eq!(fields.get("email"), None);
        assert!(
            parsed.fields(&record(&["a", "b"])).is_err(),
            "too few fields"
        );

        let errors = Header::parse(ImportKind::Clients, &record(&["name", "name", "colour"]))
            .err()
            .unwrap_or_default();
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("appears twice")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unknown column `colour`"))
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`currency` is required"))
        );

        let errors = Header::parse(ImportKind::TimeEntries, &record(&["start_at", "end_at"]))
            .err()
            .unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("`project_id` or `project_code`"));
    }

    #[test]
    fn formulas_are_guarded_and_every_value_comes_back() {
        assert_eq!(guard("=1+1"), "'=1+1");
        assert_eq!(guard("+351"), "'+351");
        assert_eq!(guard("-5"), "'-5");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("\tx"), "'\tx");
        assert_eq!(guard("\rx"), "'\rx");
        assert_eq!(guard("'=x"), "''=x");
        assert_eq!(guard("'quoted'"), "'quoted'");
        assert_eq!(guard("plain = text"), "plain = text");
        assert_eq!(guard(""), "");
        for value in [
            "=1+1", "'=1+1", "''=1+1", "'", "''", "'x", "x'", "-", "- done", "@", "a=b", "", "\t=",
            "'\r",
        ] {
            assert_eq!(unguard(&guard(value)), value, "{value:?}");
        }
        // What no export writes reads as it is.
        assert_eq!(unguard("'hello"), "'hello");
        assert_eq!(unguard("-5"), "-5");
    }

    #[test]
    fn values_parse() {
        assert_eq!(boolean("b", "Yes"), Ok(true));
        assert_eq!(boolean("b", "0"), Ok(false));
        assert!(boolean("b", "maybe").is_err());
        assert_eq!(number::<i64>("n", "9500"), Ok(9_500));
        assert!(number::<i64>("n", "95.00").is_err());
        assert!(id::<uuid::Uuid>("id", "nope").is_err());
        assert_eq!(
            instant("t", "2026-11-20T10:00:00+01:00").map(|t| t.to_rfc3339()),
            Ok("2026-11-20T09:00:00+00:00".to_string())
        );
        assert!(instant("t", "2026-11-20 09:00").is_err());
    }
}
