//! Lists come a page at a time. A cursor (opaque to clients) says where the next page starts, and the
//! total is counted in SQL over the whole filtered list, so no figure stops at a page's end.

use serde::{Deserialize, Serialize};

/// Rows per page unless `limit` asks otherwise.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most rows one page may hold.
pub const MAX_LIMIT: i64 = 200;

/// One page of a list: its items, how many the whole list holds, and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// From up to `limit + 1` rows fetched in order: the extra row only says that there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, total: i64, cursor: impl Fn(&T) -> String) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let next = if more { rows.last().map(&cursor) } else { None };
        Page { items: rows, total, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), total: self.total, next: self.next }
    }
}

/// A `limit` as typed: 1 to `MAX_LIMIT`, `DEFAULT_LIMIT` when absent.
pub fn limit(input: Option<&str>) -> Result<i64, String> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| format!("{s:?} is not a page size: use a number from 1 to {MAX_LIMIT}")),
    }
}

/// Splits a cursor into its `_`-separated parts, `n` of them, for the list that made it.
pub fn cursor_parts(cursor: &str, n: usize) -> Result<Vec<&str>, String> {
    let parts: Vec<&str> = cursor.trim().split('_').collect();
    if parts.len() == n && parts.iter().all(|p| !p.is_empty() && p.len() <= 32) {
        Ok(parts)
    } else {
        Err("That page link is not valid (it may be from another list): start from the first page".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_know_whether_there_is_more() {
        let p = Page::from_rows(vec![1, 2, 3], 2, 10, |n| n.to_string());
        assert_eq!((p.items, p.total, p.next), (vec![1, 2], 10, Some("2".to_string())));
        let last = Page::from_rows(vec![1, 2], 2, 2, |n| n.to_string());
        assert_eq!(last.next, None);
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(limit(Some(" 10 ")), Ok(10));
        assert!(limit(Some("0")).is_err() && limit(Some("201")).is_err() && limit(Some("ten")).is_err());
    }

    #[test]
    fn cursors_have_their_shape() {
        assert_eq!(cursor_parts("0_17_4", 3).unwrap(), ["0", "17", "4"]);
        assert!(cursor_parts("0_17", 3).is_err() && cursor_parts("0__4", 3).is_err());
    }
}
