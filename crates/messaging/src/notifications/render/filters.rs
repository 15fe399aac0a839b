//! The template filters that word facts for the reader: `datetime`, `date`,
//! `time` and `money`. A notice's parameters reach templates as JSON
//! (instants as RFC 3339 strings, days as `YYYY-MM-DD`, money as
//! `{amount_minor, currency}`); the reader's locale and zone are the
//! context's `locale` and `time_zone`, which the renderer always sets.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::format::{self, Style};
use crate::notifications::Locale;

/// Registers the filters on `env`.
pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("datetime", datetime);
    env.add_filter("date", date);
    env.add_filter("time", time);
    env.add_filter("money", money);
}

/// `{{ params.start_at | datetime }}`, or `datetime("short")`.
fn datetime(state: &State, value: &Value, style: Option<&str>) -> Result<String, Error> {
    let at = instant(text(value)?)?;
    let (locale, zone) = reader(state)?;
    Ok(format::datetime(at, zone, locale, style_of(style)?))
}

/// `{{ params.due_on | date }}`, or `date("short")`. An instant is taken
/// on the day it falls in the reader's zone.
fn date(state: &State, value: &Value, style: Option<&str>) -> Result<String, Error> {
    let value = text(value)?;
    let (locale, zone) = reader(state)?;
    let day = match NaiveDate::from_str(value) {
        Ok(day) => day,
        Err(_) => format::local_date(instant(value)?, zone),
    };
    Ok(format::date(day, locale, style_of(style)?))
}

/// `{{ params.start_at | time }}`: the wall-clock time in the reader's zone.
fn time(state: &State, value: &Value) -> Result<String, Error> {
    let at = instant(text(value)?)?;
    let (_, zone) = reader(state)?;
    Ok(format::time(at, zone))
}

/// `{{ params.amount | money }}`.
fn money(state: &State, value: &Value) -> Result<String, Error> {
    defined(value)?;
    let (locale, _) = reader(state)?;
    let amount = value.get_attr("amount_minor")?.as_i64();
    let currency = value.get_attr("currency")?;
    match (amount, currency.as_str()) {
        (Some(amount), Some(currency)) => Ok(format::money(amount, currency, locale)),
        _ => Err(invalid(format!(
            "money needs {{amount_minor, currency}}, got {value}"
        ))),
    }
}

/// The reader's locale and zone, from the render context.
fn reader(state: &State) -> Result<(Locale, Tz), Error> {
    let locale = state.lookup("locale");
    let locale = match locale.as_ref().and_then(Value::as_str) {
        Some("en") => Locale::En,
        Some("pt-BR") => Locale::PtBr,
        _ => return Err(invalid("the context has no known `locale`".into())),
    };
    let zone = state
        .lookup("time_zone")
        .and_then(|z| z.as_str().and_then(|z| Tz::from_str(z).ok()))
        .ok_or_else(|| invalid("the context has no known `time_zone`".into()))?;
    Ok((locale, zone))
}

/// An undefined value is the template's mistake (a parameter the notice
/// lacks), reported as such rather than as a type error.
fn defined(value: &Value) -> Result<(), Error> {
    if value.is_undefined() {
        Err(Error::new(
            ErrorKind::UndefinedError,
            "a filter was given an undefined value",
        ))
    } else {
        Ok(())
    }
}

fn text(value: &Value) -> Result<&str, Error> {
    defined(value)?;
    value
        .as_str()
        .ok_or_else(|| invalid(format!("{value} is not a string")))
}

fn instant(value: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| invalid(format!("{value:?} is not an RFC 3339 instant: {e}")))
}

fn style_of(name: Option<&str>) -> Result<Style, Error> {
    match name {
        None => Ok(Style::default()),
        Some(name) => Style::parse(name).ok_or_else(|| invalid(format!("unknown style {name:?}"))),
    }
}

fn invalid(detail: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, detail)
}
