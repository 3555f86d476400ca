//! Path parameters can never change which resource a call reaches.
//!
//! An id or external id may come from an end user (a wallet reference typed
//! into a menu). URL parsing turns `\` into `/` and resolves `.` and `..`
//! segments, so `..\2` as a loan's external id would otherwise address loan 2.
//! Two layers stop that: every string path parameter has a one-segment
//! pattern in the generated types (checked when it is set, before sending),
//! and the final URL must still have the shape of the operation's template.

use crate::error::Error;

/// What the generated argument types accept for a path parameter.
pub(crate) const SEGMENT_RULE: &str = "must be one non-empty path segment: not `.` or `..`, \
     and without `\\` or control characters";

/// The error for a path parameter that failed its one-segment pattern, or
/// `None` when `name` is not a path parameter.
pub(crate) fn rejected_parameter(name: &str) -> Option<Error> {
    crate::generated::dispatch::PATH_PARAMETERS
        .contains(&name)
        .then(|| Error::invalid_request(Some(name), SEGMENT_RULE))
}

/// Refuses a request whose path no longer matches `template` segment for
/// segment: same count, literal segments equal, parameters non-empty.
pub(crate) fn check_route(url: &reqwest::Url, template: &str) -> Result<(), Error> {
    let actual: Vec<&str> = url.path().split('/').skip(1).collect();
    let expected: Vec<&str> = template.split('/').skip(1).collect();
    let same_shape = actual.len() == expected.len()
        && actual.iter().zip(&expected).all(|(a, e)| {
            if e.starts_with('{') {
                !a.is_empty()
            } else {
                a == e
            }
        });
    if same_shape {
        Ok(())
    } else {
        Err(Error::invalid_request(
            None,
            format!(
                "refusing to send: the request path {} does not have the route {template}",
                url.path()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(path: &str) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://127.0.0.1:1{path}")).unwrap()
    }

    #[test]
    fn the_route_must_keep_its_shape() {
        let t = "/v1/loans/external/{loan_external_id}/repayments";
        assert!(check_route(&url("/v1/loans/external/ab.c/repayments"), t).is_ok());
        assert!(check_route(&url("/v1/loans/external/a%2Fb/repayments"), t).is_ok());
        for hostile in [
            "/v1/loans/external/..\\2/repayments",
            "/v1/loans/external/x\\..\\..\\2/repayments",
            "/v1/loans/external/../repayments",
            "/v1/loans/external/./repayments",
            "/v1/loans/external//repayments",
            "/v1/loans/external/a\\b/repayments",
        ] {
            let err = check_route(&url(hostile), t).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidRequest, "{hostile}");
        }
    }

    #[test]
    fn only_path_parameters_get_the_segment_rule() {
        let err = rejected_parameter("loan_external_id").unwrap();
        assert_eq!(err.field_errors()[0].field, "loan_external_id");
        assert!(rejected_parameter("transaction_amount").is_none());
    }
}
