//! Auto-paging over the list endpoints: `page` is 1-based, and there is no
//! cursor, so iteration stops on an empty page or once `page × rowsPerPage`
//! reaches `total`. A server that breaks those rules (repeats a page, answers
//! another page than asked, sends more records than its `total`) stops the
//! iteration with an error instead of looping. Python and Node apply the same
//! rule through [`next_page`].

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
    /// The page number the server echoed, when it sent it.
    fn page_number(&self) -> Option<i64> {
        None
    }
}

/// A fetched page, as the paging rule sees it.
#[derive(Clone, Copy, Debug)]
pub struct PageInfo<'a> {
    /// The page number asked for (1-based).
    pub requested: u64,
    /// The page number the server echoed (`page`), if any.
    pub echoed: Option<i64>,
    /// Records on this page.
    pub count: usize,
    /// Page size the server applied (`rowsPerPage`), else the one asked for.
    pub rows_per_page: Option<i64>,
    /// Records matching the filter across all pages (`total`), if sent.
    pub total: Option<i64>,
    /// Records on the pages before this one in this iteration.
    pub records_before: u64,
    /// Identifies this page's records (e.g. their ids in order).
    pub fingerprint: &'a str,
    /// The previous page's fingerprint, if this is not the first page.
    pub previous_fingerprint: Option<&'a str>,
}

/// The page to fetch after `page`, `None` when it was the last, or an error
/// when the server's pages cannot be trusted to end.
pub fn next_page(page: &PageInfo<'_>) -> Result<Option<u64>, Error> {
    let broken = |why: String| Err(Error::decode(None, format!("paging stopped: {why}"), b""));
    if let Some(echoed) = page.echoed
        && u64::try_from(echoed).ok() != Some(page.requested)
    {
        return broken(format!(
            "asked for page {}, the server answered page {echoed}",
            page.requested
        ));
    }
    if page.count > 0 && page.previous_fingerprint == Some(page.fingerprint) {
        return broken(format!(
            "page {} holds the same records as the page before",
            page.requested
        ));
    }
    let seen = page.records_before.saturating_add(page.count as u64);
    if let Some(total) = page.total.and_then(|t| u64::try_from(t).ok())
        && seen > total
    {
        return broken(format!(
            "{seen} records arrived, more than the total of {total}"
        ));
    }
    Ok(
        has_next(page.requested, page.count, page.rows_per_page, page.total)
            .then(|| page.requested.saturating_add(1)),
    )
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
    P::Item: serde::Serialize,
    F: FnMut(u64) -> Fut,
    Fut: Future<
        Output = Result<
            progenitor_client::ResponseValue<P>,
            progenitor_client::Error<types::Error>,
        >,
    >,
{
    // (next page, records so far, previous page's fingerprint)
    stream::unfold(Some((1u64, 0u64, None::<String>)), move |state| {
        let fetched = state.as_ref().map(|(page, _, _)| fetch(*page));
        async move {
            let (page_no, before, previous) = state?;
            let page = match fetched?.await {
                Ok(page) => page.into_inner(),
                Err(err) => return Some((stream::iter(vec![Err(Error::from(err))]), None)),
            };
            let (total, rows, echoed) = (page.total(), page.rows_per_page(), page.page_number());
            let items = page.into_items();
            let fingerprint = serde_json::to_string(&items).unwrap_or_default();
            let info = PageInfo {
                requested: page_no,
                echoed,
                count: items.len(),
                rows_per_page: rows,
                total,
                records_before: before,
                fingerprint: &fingerprint,
                previous_fingerprint: previous.as_deref(),
            };
            let seen = before.saturating_add(items.len() as u64);
            match next_page(&info) {
                Ok(next) => {
                    let state = next.map(|n| (n, seen, Some(fingerprint)));
                    Some((
                        stream::iter(items.into_iter().map(Ok).collect::<Vec<_>>()),
                        state,
                    ))
                }
                Err(err) => Some((stream::iter(vec![Err(err)]), None)),
            }
        }
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::{PageInfo, has_next, next_page};

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

    fn info<'a>(requested: u64, fingerprint: &'a str, previous: Option<&'a str>) -> PageInfo<'a> {
        PageInfo {
            requested,
            echoed: Some(requested as i64),
            count: 10,
            rows_per_page: Some(10),
            total: Some(100),
            records_before: (requested - 1) * 10,
            fingerprint,
            previous_fingerprint: previous,
        }
    }

    #[test]
    fn runaway_servers_stop_the_iteration() {
        assert_eq!(next_page(&info(2, "b", Some("a"))).unwrap(), Some(3));
        assert_eq!(next_page(&info(10, "j", Some("i"))).unwrap(), None);
        // The same records again: the server ignores `page`.
        assert!(next_page(&info(2, "a", Some("a"))).is_err());
        // The echoed page number does not advance.
        let stuck = PageInfo {
            echoed: Some(1),
            ..info(2, "b", Some("a"))
        };
        assert!(next_page(&stuck).is_err());
        // More records than the total allows.
        let over = PageInfo {
            total: Some(15),
            rows_per_page: None,
            ..info(2, "b", Some("a"))
        };
        assert!(next_page(&over).is_err());
        // An empty page ends the iteration even if it repeats an empty one.
        let empty = PageInfo {
            count: 0,
            ..info(3, "", Some(""))
        };
        assert_eq!(next_page(&empty).unwrap(), None);
    }
}
