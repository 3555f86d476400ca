//! One error type for every failure, keyed on the API's `code` first and the
//! HTTP status second, so that Rust, Python and Node classify
//! failures identically.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Error bodies are kept up to this size; larger ones are cut (lossily decoded).
const BODY_LIMIT: usize = 64 * 1024;

/// What went wrong, for matching. The API's codes map one-to-one onto the first
/// variants; the rest are raised by the SDK itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `invalid_argument`: the request was malformed; see [`Error::field_errors`].
    InvalidArgument,
    /// `unauthenticated`: token missing, expired, foreign or lacking the admin role.
    Unauthenticated,
    /// `permission_denied`: forbidden, also used for date and some state rules.
    PermissionDenied,
    /// `not_found`.
    NotFound,
    /// `aborted`: state conflict or duplicate externalId (HTTP 409).
    Aborted,
    /// `failed_precondition`: the resource is not in the required state.
    FailedPrecondition,
    /// `internal`: unexpected upstream failure.
    Internal,
    /// `unavailable`: temporary; retried automatically where safe.
    Unavailable,
    /// HTTP 429 or `resource_exhausted`.
    RateLimited,
    /// Any other API error (unknown code and an unclassified status).
    Api,
    /// The token host refused the credentials or could not be used; see [`AuthReason`].
    Authentication,
    /// The connection failed or was dropped.
    Connection,
    /// The request did not complete in time.
    Timeout,
    /// A response arrived but its body could not be decoded.
    Decode,
    /// The SDK rejected the request before sending it (bad argument or configuration).
    InvalidRequest,
}

impl ErrorKind {
    /// Classifies an API error: the envelope `code` wins, the status decides otherwise.
    pub fn from_api(code: Option<&str>, status: u16) -> Self {
        match code {
            Some("invalid_argument") => Self::InvalidArgument,
            Some("unauthenticated") => Self::Unauthenticated,
            Some("permission_denied") => Self::PermissionDenied,
            Some("not_found") => Self::NotFound,
            Some("aborted" | "already_exists") => Self::Aborted,
            Some("failed_precondition") => Self::FailedPrecondition,
            Some("internal") => Self::Internal,
            Some("unavailable") => Self::Unavailable,
            Some("resource_exhausted" | "rate_limited") => Self::RateLimited,
            _ => match status {
                400 => Self::InvalidArgument,
                401 => Self::Unauthenticated,
                403 => Self::PermissionDenied,
                404 => Self::NotFound,
                409 => Self::Aborted,
                429 => Self::RateLimited,
                502..=504 => Self::Unavailable,
                500..=599 => Self::Internal,
                _ => Self::Api,
            },
        }
    }

    /// Stable snake_case name, used by the bindings to pick an exception class.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid_argument",
            Self::Unauthenticated => "unauthenticated",
            Self::PermissionDenied => "permission_denied",
            Self::NotFound => "not_found",
            Self::Aborted => "aborted",
            Self::FailedPrecondition => "failed_precondition",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::RateLimited => "rate_limited",
            Self::Api => "api",
            Self::Authentication => "authentication",
            Self::Connection => "connection",
            Self::Timeout => "timeout",
            Self::Decode => "decode",
            Self::InvalidRequest => "invalid_request",
        }
    }
}

/// Why minting a token failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AuthReason {
    /// The token host answered 401/403: wrong email or password, or a locked account.
    BadCredentials,
    /// The token host could not be reached or did not answer in time.
    Unreachable,
    /// The token host answered with another error status.
    ServerError,
    /// The token host answered 2xx without a usable `token`.
    InvalidResponse,
    /// A static token was rejected and the client has no credentials to mint another.
    NoCredentials,
}

impl AuthReason {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadCredentials => "bad_credentials",
            Self::Unreachable => "unreachable",
            Self::ServerError => "server_error",
            Self::InvalidResponse => "invalid_response",
            Self::NoCredentials => "no_credentials",
        }
    }
}

/// One entry of an `invalid_argument` message: `{"field": …, "error": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Name of the offending field, as the API spells it.
    pub field: String,
    /// What is wrong with it.
    pub error: String,
}

/// An error from the SDK or the API. Secrets never appear in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Error {
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<String>,
    message: String,
    field_errors: Vec<FieldError>,
    body: Option<String>,
    auth_reason: Option<AuthReason>,
    #[serde(default)]
    maybe_applied: bool,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
            field_errors: Vec::new(),
            body: None,
            auth_reason: None,
            maybe_applied: false,
        }
    }

    /// An API error from a non-2xx answer. Envelope bodies give `code` and
    /// `message`; anything else (HTML, empty, JSON without `code`) is kept as
    /// the raw body and classified by status.
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        let raw = excerpt(body);
        let envelope = serde_json::from_slice::<serde_json::Value>(body).ok();
        let text = |key: &str| {
            envelope
                .as_ref()
                .and_then(|v| v.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let code = text("code");
        let message = text("message").unwrap_or_else(|| {
            if raw.trim().is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                format!("HTTP {status}: {}", first_line(&raw))
            }
        });
        let kind = ErrorKind::from_api(code.as_deref(), status);
        let field_errors = if kind == ErrorKind::InvalidArgument {
            parse_field_errors(&message)
        } else {
            Vec::new()
        };
        Self {
            status: Some(status),
            code,
            field_errors,
            body: Some(raw),
            ..Self::new(kind, message)
        }
    }

    /// The token host could not issue a token.
    pub fn authentication(reason: AuthReason, message: impl Into<String>) -> Self {
        Self {
            auth_reason: Some(reason),
            ..Self::new(ErrorKind::Authentication, message)
        }
    }

    /// The token host answered with an error status. Only the envelope's
    /// `code` and the first 200 characters of its `message` are kept: the raw
    /// body is dropped, since a misbehaving proxy may echo the request's
    /// `Authorization` header (the password) in it.
    pub fn authentication_response(status: u16, body: &[u8]) -> Self {
        let envelope = serde_json::from_slice::<serde_json::Value>(body).ok();
        let field = |key: &str| {
            envelope
                .as_ref()
                .and_then(|v| v.get(key))
                .and_then(|v| v.as_str())
        };
        let code = field("code").map(|c| c.chars().take(64).collect::<String>());
        let detail = field("message").map_or_else(
            || format!("no error envelope ({} bytes)", body.len()),
            first_line,
        );
        let reason = if matches!(status, 401 | 403) {
            AuthReason::BadCredentials
        } else {
            AuthReason::ServerError
        };
        let message = match reason {
            AuthReason::BadCredentials => {
                format!("the token host rejected the credentials (HTTP {status}): {detail}")
            }
            _ => format!("the token host failed (HTTP {status}): {detail}"),
        };
        Self {
            status: Some(status),
            code,
            auth_reason: Some(reason),
            ..Self::new(ErrorKind::Authentication, message)
        }
    }

    /// The server answered with a redirect. The API never redirects, so the
    /// SDK does not follow it (a token or payment would go where it was not sent).
    pub fn redirect(status: u16, location: Option<&str>) -> Self {
        let target = location.map_or_else(
            || "without a Location".to_owned(),
            |l| format!("to {}", first_line(l)),
        );
        Self {
            status: Some(status),
            ..Self::new(
                ErrorKind::Api,
                format!(
                    "the server answered HTTP {status}, a redirect {target}; redirects are not followed (check the base URL)"
                ),
            )
        }
    }

    /// The connection failed or was dropped.
    pub fn connection(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Connection, message)
    }

    /// The request timed out.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }

    /// A body could not be decoded; `body` is kept (bounded) for diagnosis.
    pub fn decode(status: Option<u16>, message: impl Into<String>, body: &[u8]) -> Self {
        Self {
            status,
            body: Some(excerpt(body)),
            ..Self::new(ErrorKind::Decode, message)
        }
    }

    /// Rejected before sending: names the offending field.
    pub fn invalid_request(field: Option<&str>, message: impl Into<String>) -> Self {
        let message = message.into();
        let field_errors = field
            .map(|f| {
                vec![FieldError {
                    field: f.to_owned(),
                    error: message.clone(),
                }]
            })
            .unwrap_or_default();
        let message = match field {
            Some(f) => format!("{f}: {message}"),
            None => message,
        };
        Self {
            field_errors,
            ..Self::new(ErrorKind::InvalidRequest, message)
        }
    }

    /// Classifies a transport failure from reqwest.
    pub fn from_transport(err: &reqwest::Error) -> Self {
        // reqwest's Display never includes headers, so no token can leak here.
        let detail = std::error::Error::source(err)
            .map(|s| format!("{err}: {s}"))
            .unwrap_or_else(|| err.to_string());
        if err.is_timeout() {
            Self::timeout(format!("request timed out: {detail}"))
        } else if err.is_decode() {
            Self::decode(None, detail, b"")
        } else {
            Self::connection(format!("connection failed: {detail}"))
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    /// The API's error code (open string), when the body was an envelope.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    /// Human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Field errors of an `invalid_argument` answer (or of a rejected argument).
    pub fn field_errors(&self) -> &[FieldError] {
        &self.field_errors
    }
    /// Raw response body (lossily decoded, at most 64 KiB).
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }
    /// Why minting a token failed, for [`ErrorKind::Authentication`].
    pub fn auth_reason(&self) -> Option<AuthReason> {
        self.auth_reason
    }
    /// `true` when the request may have reached the server and a write may
    /// have been committed although the call failed: a timeout or dropped
    /// connection after sending, a 500/502/503/504 answer, or an unreadable
    /// success answer, on any method but GET (also when an earlier attempt
    /// of the same call ended so). `false` when it certainly was not applied:
    /// rejected before sending, never sent, or refused by the API with a
    /// 4xx answer. Reconcile a `true` by repeating the call with the same
    /// `idempotencyKey` or `externalId`, or by looking the record up.
    pub fn maybe_applied(&self) -> bool {
        self.maybe_applied
    }

    /// This error, marked as possibly applied (see [`Error::maybe_applied`]).
    pub(crate) fn applied_if(mut self, maybe_applied: bool) -> Self {
        self.maybe_applied |= maybe_applied;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.code.as_deref().unwrap_or(self.kind.as_str());
        match self.status {
            Some(status) => write!(f, "{name} (HTTP {status}): {}", self.message),
            None => write!(f, "{name}: {}", self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Parses the JSON-array form of an `invalid_argument` message; any other text
/// yields no field errors (the message stays available as is).
pub fn parse_field_errors(message: &str) -> Vec<FieldError> {
    serde_json::from_str::<Vec<FieldError>>(message.trim()).unwrap_or_default()
}

fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(BODY_LIMIT)];
    String::from_utf8_lossy(cut).into_owned()
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_wins_over_status() {
        let e = Error::from_response(400, br#"{"code":"failed_precondition","message":"x"}"#);
        assert_eq!(e.kind(), ErrorKind::FailedPrecondition);
        assert_eq!(e.code(), Some("failed_precondition"));
        let e = Error::from_response(500, br#"{"code":"not_found","message":"gone"}"#);
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn unknown_code_falls_back_to_status() {
        let e = Error::from_response(409, br#"{"code":"brand_new","message":"m"}"#);
        assert_eq!(e.kind(), ErrorKind::Aborted);
        assert_eq!(e.code(), Some("brand_new"));
        assert_eq!(Error::from_response(418, b"{}").kind(), ErrorKind::Api);
        assert_eq!(
            Error::from_response(429, b"").kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            Error::from_response(504, b"").kind(),
            ErrorKind::Unavailable
        );
        assert_eq!(Error::from_response(501, b"").kind(), ErrorKind::Internal);
    }

    #[test]
    fn field_errors_are_parsed_from_the_message() {
        let body = br#"{"code":"invalid_argument","message":"[{\"field\":\"externalId\",\"error\":\"required\"}]"}"#;
        let e = Error::from_response(400, body);
        assert_eq!(
            e.field_errors(),
            [FieldError {
                field: "externalId".into(),
                error: "required".into()
            }]
        );
        assert_eq!(e.body(), Some(std::str::from_utf8(body).unwrap()));
    }

    #[test]
    fn plain_text_invalid_argument_keeps_raw_message() {
        let e = Error::from_response(400, br#"{"code":"invalid_argument","message":"lms: status=400 code=\"validation\": Validation errors exist. [a: b]"}"#);
        assert!(e.field_errors().is_empty());
        assert!(e.message().starts_with("lms: status=400"));
    }

    #[test]
    fn html_and_empty_bodies_still_map_by_status() {
        let e = Error::from_response(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>");
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(e.status(), Some(502));
        assert_eq!(e.code(), None);
        assert!(e.body().unwrap().contains("Bad Gateway"));
        let e = Error::from_response(503, b"");
        assert_eq!(e.message(), "HTTP 503 with an empty body");
    }

    #[test]
    fn invalid_utf8_and_huge_bodies_are_bounded() {
        let mut body = vec![0xff, 0xfe];
        body.extend(std::iter::repeat_n(b'a', 200_000));
        let e = Error::from_response(500, &body);
        assert!(e.body().unwrap().len() <= BODY_LIMIT + 8);
        assert!(e.message().len() < 300);
    }

    #[test]
    fn auth_errors_say_what_went_wrong() {
        let e = Error::authentication_response(
            401,
            br#"{"code":"unauthenticated","message":"invalid credentials"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Authentication);
        assert_eq!(e.auth_reason(), Some(AuthReason::BadCredentials));
        assert!(e.to_string().contains("rejected the credentials"));
        let e = Error::authentication_response(503, b"down");
        assert_eq!(e.auth_reason(), Some(AuthReason::ServerError));
    }

    #[test]
    fn auth_errors_never_keep_the_raw_body() {
        let echoed = b"<html>Authorization: Basic YWRhOmh1bnRlcjI=</html>";
        let e = Error::authentication_response(502, echoed);
        assert_eq!(e.body(), None);
        assert!(!e.to_string().contains("YWRhOmh1bnRlcjI"), "{e}");
        let long = format!(
            r#"{{"code":"unauthenticated","message":"{}"}}"#,
            "x".repeat(5000)
        );
        let e = Error::authentication_response(401, long.as_bytes());
        assert_eq!(e.code(), Some("unauthenticated"));
        assert!(e.message().len() < 300, "{}", e.message().len());
        assert_eq!(e.body(), None);
    }

    #[test]
    fn redirects_name_status_and_location() {
        let e = Error::redirect(307, Some("https://elsewhere.example/v1/loans"));
        assert_eq!(e.status(), Some(307));
        assert!(
            e.message().contains("https://elsewhere.example/v1/loans"),
            "{e}"
        );
        assert!(
            Error::redirect(301, None)
                .message()
                .contains("without a Location")
        );
    }

    #[test]
    fn invalid_request_names_the_field() {
        let e = Error::invalid_request(Some("transactionAmount"), "must be greater than 0");
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        assert_eq!(e.field_errors()[0].field, "transactionAmount");
        assert_eq!(
            e.to_string(),
            "invalid_request: transactionAmount: must be greater than 0"
        );
    }
}
