//! Auto-paging over the list endpoints: `page` is 1-based,
//! and there is no cursor, so iteration stops on an empty page or once
//! `page × rowsPerPage` reaches `total`.

use std::future::Future;

use futures_util::Stream;
use futures_util::stream::{self, StreamExt};

use crate::error::Error;
use crate::types;

/// A page of a paginated list (implemented for the generated page types).
pub trait Page {
    /// The record type.
    type Item;
    /// The records of this page.
    fn into_items(self) -> Vec<Self::Item>;
    /// Records matching the filter across all pages, when the server sent it.
    fn total(&self) -> Option<i64>;
    /// Page size the server applied, when it sent it.
    fn rows_per_page(&self) -> Option<i64>;
}

/// Whether another page follows page `page` (1-based) that held `count` records.
pub fn has_next(page: u64, count: usize, rows_per_page: Option<i64>, total: Option<i64>) -> bool {
    if count == 0 {
        return false;
    }
    let rows = rows_per_page
        .and_then(|r| u64::try_from(r).ok())
        .filter(|r| *r > 0)
        .unwrap_or(count as u64);
    match total.and_then(|t| u64::try_from(t).ok()) {
        Some(total) => page.saturating_mul(rows) < total,
        // Without a total, a short page is the last one.
        None => count as u64 >= rows,
    }
}

/// Streams every record of a list, fetching pages on demand.
///
/// ```no_run
/// # async fn demo(client: bsa_lms::Client) -> Result<(), bsa_lms::Error> {
/// use futures_util::TryStreamExt;
/// let loans: Vec<_> = bsa_lms::paginate(|page| client.list_loans().rows(100).page(page).send())
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
pub fn paginate<P, F, Fut>(mut fetch: F) -> impl Stream<Item = Result<P::Item, Error>>
where
    P: Page,
    F: FnMut(u64) -> Fut,
    Fut: Future<
        Output = Result<
            progenitor_client::ResponseValue<P>,
            progenitor_client::Error<types::Error>,
        >,
    >,
{
    stream::unfold(Some(1u64), move |next| {
        let fetched = next.map(&mut fetch);
        async move {
            let page_no = next?;
            match fetched?.await {
                Ok(page) => {
                    let page = page.into_inner();
                    let (total, rows) = (page.total(), page.rows_per_page());
                    let items = page.into_items();
                    let more = has_next(page_no, items.len(), rows, total).then_some(page_no + 1);
                    Some((stream::iter(items.into_iter().map(Ok)).left_stream(), more))
                }
                Err(err) => Some((stream::iter([Err(Error::from(err))]).right_stream(), None)),
            }
        }
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::has_next;

    #[test]
    fn stops_on_total_empty_or_short_page() {
        assert!(has_next(1, 10, Some(10), Some(25)));
        assert!(has_next(2, 10, Some(10), Some(25)));
        assert!(!has_next(3, 5, Some(10), Some(25)));
        assert!(!has_next(1, 10, Some(10), Some(10)));
        assert!(!has_next(4, 0, Some(10), Some(1000)));
        assert!(has_next(1, 10, None, None));
        assert!(!has_next(1, 7, Some(10), None));
    }
}
