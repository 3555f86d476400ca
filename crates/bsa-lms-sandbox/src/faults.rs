//! Fault injection (`POST /_sandbox/faults`): the queue of pending faults and how each kind
//! turns into a response, or into no response at all.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer `status` with the error envelope; the handler does not run.
    Status,
    /// Close the connection without a response; the handler does not run.
    DropBefore,
    /// Run the handler (its write is committed), then close without a response.
    DropAfter,
    /// Sleep `delayMs`, then handle normally.
    Delay,
    /// Run the handler, then answer 200 with a body that is not valid JSON.
    Malformed,
    /// Run the handler, then send only the first half of its body.
    Truncated,
    /// Answer `status` (default 502) with an HTML proxy page; the handler does not run.
    Html,
    /// Answer `status` (default 500) with an empty body; the handler does not run.
    Empty,
    /// Run the handler (its write is committed), then answer `status` (default 502)
    /// with the error envelope: a gateway that lost the upstream's answer.
    StatusAfter,
}

impl FaultKind {
    pub const NAMES: &'static str =
        "status, status_after, drop_before, drop_after, delay, malformed, truncated, html, empty";

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "status" => FaultKind::Status,
            "status_after" => FaultKind::StatusAfter,
            "drop_before" => FaultKind::DropBefore,
            "drop_after" => FaultKind::DropAfter,
            "delay" => FaultKind::Delay,
            "malformed" => FaultKind::Malformed,
            "truncated" => FaultKind::Truncated,
            "html" => FaultKind::Html,
            "empty" => FaultKind::Empty,
            _ => return None,
        })
    }

    /// The status answered when the fault names none.
    pub fn default_status(self) -> StatusCode {
        match self {
            FaultKind::Html | FaultKind::StatusAfter => StatusCode::BAD_GATEWAY,
            FaultKind::Empty => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub id: String,
    #[serde(serialize_with = "serialize_method")]
    pub method: Option<Method>,
    pub path: String,
    /// Requests this fault still applies to.
    pub count: u32,
    pub kind: FaultKind,
    #[serde(serialize_with = "serialize_status")]
    pub status: StatusCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    pub delay_ms: u64,
}

fn serialize_method<S: serde::Serializer>(m: &Option<Method>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.serialize_str(m.as_str()),
        None => s.serialize_none(),
    }
}

fn serialize_status<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

/// Pending faults in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    queue: Vec<Fault>,
}

impl Faults {
    /// Queues a fault and returns its id.
    pub fn add(&mut self, mut fault: Fault) -> String {
        self.next_id += 1;
        fault.id = self.next_id.to_string();
        let id = fault.id.clone();
        self.queue.push(fault);
        id
    }

    pub fn clear(&mut self) -> usize {
        std::mem::take(&mut self.queue).len()
    }

    pub fn pending(&self) -> &[Fault] {
        &self.queue
    }

    /// Consumes one application of the oldest fault matching this request, if any.
    pub fn take(&mut self, method: &Method, path: &str) -> Option<Fault> {
        let index = self.queue.iter().position(|f| {
            f.method.as_ref().is_none_or(|m| m == method) && glob_matches(&f.path, path)
        })?;
        let fault = &mut self.queue[index];
        fault.count -= 1;
        let taken = fault.clone();
        if fault.count == 0 {
            self.queue.remove(index);
        }
        Some(taken)
    }
}

/// Path globs: `*` matches exactly one segment, `**` any number (including none); every other
/// segment must match literally.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    segments_match(&pattern, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments_match(rest, &path[skip..])),
        Some((&segment, rest)) => match path.split_first() {
            Some((first, tail)) => {
                (segment == "*" || segment == *first) && segments_match(rest, tail)
            }
            None => false,
        },
    }
}

/// Adds the `Retry-After` header the fault asks for.
fn with_retry_after(mut response: Response, fault: &Fault) -> Response {
    if let Some(secs) = fault.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// The answer of a `status` fault: the error envelope with the code the status maps to.
pub fn status_response(fault: &Fault) -> Response {
    let err = ApiError::for_status(fault.status, format!("injected fault {}", fault.id));
    with_retry_after(err.into_response(), fault)
}

/// The answer of an `html` fault: what a reverse proxy sends when the upstream is down.
pub fn html_response(fault: &Fault) -> Response {
    let code = fault.status.as_u16();
    let reason = fault.status.canonical_reason().unwrap_or("Error");
    let page = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    );
    let response = (
        fault.status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        page,
    )
        .into_response();
    with_retry_after(response, fault)
}

/// The answer of an `empty` fault.
pub fn empty_response(fault: &Fault) -> Response {
    let response = (fault.status, Body::empty()).into_response();
    with_retry_after(response, fault)
}

/// The answer of a `malformed` fault: claims JSON, is not.
pub fn malformed_response() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        "{\"id\": \"1\", \"status\": \"Act",
    )
        .into_response()
}

/// The answer of a `truncated` fault: the real status and headers, half the real body.
pub async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    // The length hyper derives from the new body replaces the real one.
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(half))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches(
            "/v1/loans/*/repayments",
            "/v1/loans/12/repayments"
        ));
        assert!(!glob_matches(
            "/v1/loans/*/repayments",
            "/v1/loans/external/x/repayments"
        ));
        assert!(glob_matches(
            "/v1/loans/**/repayments",
            "/v1/loans/external/x/repayments"
        ));
        assert!(glob_matches("/v1/loans/**", "/v1/loans"));
        assert!(glob_matches("/v1/**", "/v1/customers/1/close"));
        assert!(glob_matches("/v1/auth/token", "/v1/auth/token"));
        assert!(!glob_matches("/v1/auth/token", "/v1/auth/token/x"));
        assert!(!glob_matches("/v1/loans/*", "/v1/loans"));
    }

    fn fault(method: Option<Method>, path: &str, count: u32) -> Fault {
        Fault {
            id: String::new(),
            method,
            path: path.to_owned(),
            count,
            kind: FaultKind::Status,
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: None,
            delay_ms: 0,
        }
    }

    #[test]
    fn faults_are_consumed_in_order() {
        let mut faults = Faults::default();
        let a = faults.add(fault(Some(Method::POST), "/v1/customers", 2));
        let b = faults.add(fault(None, "/v1/**", 1));
        assert_eq!(faults.take(&Method::GET, "/v1/customers").unwrap().id, b);
        assert_eq!(faults.take(&Method::POST, "/v1/customers").unwrap().id, a);
        assert_eq!(faults.take(&Method::POST, "/v1/customers").unwrap().id, a);
        assert!(faults.take(&Method::POST, "/v1/customers").is_none());
        assert!(faults.pending().is_empty());
    }
}
