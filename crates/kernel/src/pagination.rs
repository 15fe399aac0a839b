//! Cursor pagination: `?limit=&cursor=` in, `{items, next_cursor}` out
//! (`next_cursor` omitted on the last page).
//!
//! Cursors are opaque to clients (URL-safe base64 of a small JSON key), so a
//! domain can change what it sorts by without breaking anyone, and keyset
//! pagination stays stable while rows are inserted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use poem_openapi::{
    Object,
    types::{ParseFromJSON, ToJSON},
};
use serde::{Serialize, de::DeserializeOwned};

/// The page size when the client does not ask for one.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest page a client may ask for.
pub const MAX_LIMIT: u64 = 200;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Between 1 and [`MAX_LIMIT`].
    pub limit: u64,
    /// Where the previous page ended, if any.
    pub cursor: Option<Cursor>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

/// What is wrong with a page request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// The limit is zero or above [`MAX_LIMIT`].
    #[error("limit must be between 1 and {MAX_LIMIT}")]
    Limit,
    /// The cursor was not issued by us or has been altered.
    #[error("cursor is not valid")]
    Cursor,
}

impl crate::DomainError for PageError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Unprocessable
    }
    fn code(&self) -> &'static str {
        "request.validation_failed"
    }
    fn field_errors(&self) -> Vec<crate::FieldError> {
        let field = match self {
            Self::Limit => "limit",
            Self::Cursor => "cursor",
        };
        vec![crate::FieldError::new(field, self.to_string())]
    }
}

impl PageRequest {
    /// Checks raw query values: `limit` defaults to [`DEFAULT_LIMIT`].
    pub fn parse(limit: Option<u64>, cursor: Option<String>) -> Result<Self, PageError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(PageError::Limit);
        }
        let cursor = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => Some(Cursor::from_client(c)?),
            None => None,
        };
        Ok(Self { limit, cursor })
    }

    /// How many rows to fetch: one more than the page, to learn whether
    /// there is a next page without a count query.
    pub fn fetch_limit(&self) -> u64 {
        self.limit + 1
    }

    /// Decodes the cursor's key.
    pub fn key<K: DeserializeOwned>(&self) -> Result<Option<K>, PageError> {
        self.cursor.as_ref().map(Cursor::decode).transpose()
    }
}

/// An opaque position in a sorted list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// Encodes a sort key.
    pub fn encode<K: Serialize>(key: &K) -> Self {
        // Serializing plain keys (timestamps, ids, strings) cannot fail.
        let json = serde_json::to_vec(key).unwrap_or_default();
        Self(URL_SAFE_NO_PAD.encode(json))
    }

    /// Accepts a cursor from a client, checking only its alphabet; the key is
    /// checked when decoded.
    pub fn from_client(raw: String) -> Result<Self, PageError> {
        if raw.len() > 512 || URL_SAFE_NO_PAD.decode(&raw).is_err() {
            return Err(PageError::Cursor);
        }
        Ok(Self(raw))
    }

    /// Decodes the sort key.
    pub fn decode<K: DeserializeOwned>(&self) -> Result<K, PageError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| PageError::Cursor)?;
        serde_json::from_slice(&bytes).map_err(|_| PageError::Cursor)
    }

    /// The text a client sends back.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a list.
// (Not a doc comment: those become the schema's description.) `Serialize`
// mirrors the `Object` derive, so the gateway writes a page straight to bytes.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Page<T: ParseFromJSON + ToJSON> {
    /// The items of this page, in list order.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T: ParseFromJSON + ToJSON> Page<T> {
    /// Builds a page from rows fetched with [`PageRequest::fetch_limit`]:
    /// the extra row, if present, is dropped and proves a next page exists.
    pub fn from_rows<R, K: Serialize>(
        mut rows: Vec<R>,
        request: &PageRequest,
        key_of: impl Fn(&R) -> K,
        into_item: impl Fn(R) -> T,
    ) -> Self {
        let has_more = rows.len() as u64 > request.limit;
        rows.truncate(request.limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|r| Cursor::encode(&key_of(r)).0)
        } else {
            None
        };
        Self {
            items: rows.into_iter().map(into_item).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(PageRequest::parse(None, None), Ok(PageRequest::default()));
        assert_eq!(PageRequest::parse(Some(0), None), Err(PageError::Limit));
        assert_eq!(PageRequest::parse(Some(201), None), Err(PageError::Limit));
        assert_eq!(
            PageRequest::parse(Some(200), None).map(|p| p.limit),
            Ok(200)
        );
    }

    #[test]
    fn cursor_round_trips_and_rejects_tampering() {
        let key = ("2026-11-22T10:00:00Z".to_string(), 42_u32);
        let cursor = Cursor::encode(&key);
        let req = PageRequest::parse(Some(10), Some(cursor.as_str().to_string()));
        let decoded: Option<(String, u32)> = req.and_then(|r| r.key()).unwrap_or(None);
        assert_eq!(decoded, Some(key));

        assert_eq!(
            PageRequest::parse(None, Some("***".into())),
            Err(PageError::Cursor)
        );
        let garbage = PageRequest::parse(None, Some("bm90IGpzb24".into()));
        assert_eq!(
            garbage.and_then(|r| r.key::<(String, u32)>()),
            Err(PageError::Cursor)
        );
    }

    #[test]
    fn page_from_rows_detects_next_page() {
        let req = PageRequest::parse(Some(2), None).unwrap_or_default();
        let page = Page::from_rows(vec![1_i32, 2, 3], &req, |r| *r, |r| r);
        assert_eq!(page.items, vec![1, 2]);
        let next = page.next_cursor.map(|c| Cursor(c).decode::<i32>());
        assert_eq!(next, Some(Ok(2)));

        let last = Page::from_rows(vec![1_i32, 2], &req, |r| *r, |r| r);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn serde_writes_a_page_as_to_json_does() {
        use crate::testing::assert_same_json;

        let last = assert_same_json(&Page {
            items: vec![1_i32, 2],
            next_cursor: None,
        });
        assert_eq!(last, serde_json::json!({ "items": [1, 2] }));
        assert_same_json(&Page {
            items: Vec::<String>::new(),
            next_cursor: Some("abc".into()),
        });
    }
}
