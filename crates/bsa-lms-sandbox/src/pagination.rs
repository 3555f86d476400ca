//! Pagination (REFERENCE §3.6): `page`, `rows`, `orderBy`, `sortOrder` and the page envelope.

use serde::Serialize;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::request::QueryParams;

pub const DEFAULT_ROWS: u64 = 10;
/// The documented maximum; accepted although the error text says "less than 100".
pub const MAX_ROWS: u64 = 100;

#[derive(Clone, Debug)]
pub struct PageRequest {
    pub page: u64,
    pub rows: u64,
    pub order_by: Option<String>,
    pub descending: bool,
}

/// The envelope of every paginated list.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub rows_per_page: u64,
}

impl PageRequest {
    /// Parses the pagination parameters. `order_by` lists the columns this list can sort by;
    /// `None` means the list takes no ordering parameters at all.
    pub fn parse(query: &QueryParams, order_by: Option<&[&str]>) -> ApiResult<Self> {
        let mut errors = Vec::new();
        // Every pagination error is reported under field `page`, as documented, even for `rows`.
        let mut number = |name: &str, default: u64| -> Option<i128> {
            match query.get(name) {
                None => Some(i128::from(default)),
                Some(text) => match text.parse::<i128>() {
                    Ok(n) => Some(n),
                    Err(e) => {
                        errors.push(FieldError::new("page", format!("page conversion: {e}")));
                        None
                    }
                },
            }
        };
        let page = number("page", 1);
        let rows = number("rows", DEFAULT_ROWS);
        if let Some(rows) = rows {
            if rows > i128::from(MAX_ROWS) {
                errors.push(FieldError::new(
                    "page",
                    "rows value too large, must be less than 100",
                ));
            } else if rows < 1 {
                errors.push(FieldError::new(
                    "page",
                    "rows value too small, must be larger than 0",
                ));
            }
        }
        if page.is_some_and(|p| p < 1) {
            errors.push(FieldError::new(
                "page",
                "page value too small, must be larger than 0",
            ));
        }
        let mut order = None;
        let mut descending = false;
        if let Some(allowed) = order_by {
            if let Some(column) = query.get("orderBy") {
                if allowed.contains(&column) {
                    order = Some(column.to_owned());
                } else {
                    errors.push(FieldError::new(
                        "orderBy",
                        format!(
                            "unknown orderBy {column:?}; allowed: {}",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            match query.get("sortOrder") {
                None | Some("ASC") => {}
                Some("DESC") => descending = true,
                Some(other) => errors.push(FieldError::new(
                    "sortOrder",
                    format!("{other:?} is not ASC or DESC"),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors));
        }
        let clamp = |n: Option<i128>| n.map_or(1, |n| u64::try_from(n).unwrap_or(u64::MAX));
        Ok(PageRequest {
            page: clamp(page),
            rows: clamp(rows),
            order_by: order,
            descending,
        })
    }

    /// Cuts one page out of the full, already ordered result.
    pub fn slice<T>(&self, all: Vec<T>) -> Page<T> {
        let total = all.len() as u64;
        let skip = (self.page - 1).saturating_mul(self.rows);
        let items = all
            .into_iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(self.rows as usize)
            .collect();
        Page {
            items,
            total,
            page: self.page,
            rows_per_page: self.rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> QueryParams {
        QueryParams(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn message(pairs: &[(&str, &str)]) -> String {
        PageRequest::parse(&query(pairs), Some(&["id"]))
            .unwrap_err()
            .message
    }

    #[test]
    fn documented_validation_texts() {
        assert_eq!(
            message(&[("rows", "101")]),
            r#"[{"field":"page","error":"rows value too large, must be less than 100"}]"#
        );
        assert_eq!(
            message(&[("page", "0")]),
            r#"[{"field":"page","error":"page value too small, must be larger than 0"}]"#
        );
        assert_eq!(
            message(&[("page", "abc")]),
            r#"[{"field":"page","error":"page conversion: invalid digit found in string"}]"#
        );
        assert!(message(&[("rows", "x")]).contains("page conversion: "));
        assert!(message(&[("orderBy", "nope")]).contains(r#""field":"orderBy""#));
    }

    #[test]
    fn defaults_and_slicing() {
        let p = PageRequest::parse(&query(&[("rows", "100")]), None).unwrap();
        assert_eq!((p.page, p.rows), (1, 100));
        let p = PageRequest::parse(&query(&[("page", "2"), ("rows", "2")]), None).unwrap();
        let page = p.slice(vec![1, 2, 3, 4, 5]);
        assert_eq!(
            (page.items, page.total, page.page, page.rows_per_page),
            (vec![3, 4], 5, 2, 2)
        );
        let p = PageRequest::parse(&query(&[("page", "99999999999999999")]), None).unwrap();
        assert!(p.slice(vec![1]).items.is_empty());
    }
}
