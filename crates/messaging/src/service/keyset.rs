//! Keyset comparisons on `(instant, id)` pairs: history pages, the room
//! list, read markers and unread counts all order by one.
//!
//! Written as row values (`(a, b) < (x, y)`), not `a < x OR (a = x AND b <
//! y)`: both databases turn a row value into a range of a matching index, so
//! a deep page starts where it should instead of filtering from the end.

use chrono::{DateTime, Utc};
use sea_orm::{
    ExprTrait, Value,
    sea_query::{Expr, IntoColumnRef},
};

/// `(at_col, id_col) < (at, id)`: strictly before the key.
pub fn before(
    at_col: impl IntoColumnRef,
    id_col: impl IntoColumnRef,
    (at, id): (DateTime<Utc>, impl Into<Value>),
) -> Expr {
    pair(at_col, id_col).lt(key(at, id))
}

/// `(at_col, id_col) > (at, id)`: strictly after the key.
pub fn after(
    at_col: impl IntoColumnRef,
    id_col: impl IntoColumnRef,
    (at, id): (DateTime<Utc>, impl Into<Value>),
) -> Expr {
    pair(at_col, id_col).gt(key(at, id))
}

fn pair(at_col: impl IntoColumnRef, id_col: impl IntoColumnRef) -> Expr {
    Expr::tuple([Expr::col(at_col), Expr::col(id_col)])
}

fn key(at: DateTime<Utc>, id: impl Into<Value>) -> Expr {
    Expr::tuple([Expr::value(at), Expr::value(id.into())])
}
