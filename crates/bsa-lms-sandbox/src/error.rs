//! The error envelope `{code, message}` (REFERENCE §3.7) and its constructors.
//!
//! `invalid_argument` messages are JSON-encoded arrays of `{field, error}`; every other error
//! carries the LMS-style prefix `lms: status=<n>: `.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One entry of an `invalid_argument` message.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub error: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, error: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            error: error.into(),
        }
    }
}

/// A non-2xx answer of the API, rendered as the JSON envelope.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct Envelope<'a> {
    code: &'a str,
    message: &'a str,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error whose message gets the `lms: status=<n>: ` prefix.
    pub fn lms(status: StatusCode, code: &'static str, text: impl AsRef<str>) -> Self {
        ApiError {
            status,
            code,
            message: format!("lms: status={}: {}", status.as_u16(), text.as_ref()),
        }
    }

    /// `400 invalid_argument` listing every offending field.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let message = serde_json::to_string(&errors).unwrap_or_else(|_| "[]".to_owned());
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_argument",
            message,
        }
    }

    pub fn invalid_field(field: impl Into<String>, error: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, error)])
    }

    pub fn unauthenticated(text: impl AsRef<str>) -> Self {
        Self::lms(StatusCode::UNAUTHORIZED, "unauthenticated", text)
    }

    pub fn permission_denied(text: impl AsRef<str>) -> Self {
        Self::lms(StatusCode::FORBIDDEN, "permission_denied", text)
    }

    pub fn not_found(text: impl AsRef<str>) -> Self {
        Self::lms(StatusCode::NOT_FOUND, "not_found", text)
    }

    pub fn aborted(text: impl AsRef<str>) -> Self {
        Self::lms(StatusCode::CONFLICT, "aborted", text)
    }

    /// REFERENCE §10 #5: the status of `failed_precondition` is undocumented; 400 is assumed.
    pub fn failed_precondition(text: impl AsRef<str>) -> Self {
        Self::lms(StatusCode::BAD_REQUEST, "failed_precondition", text)
    }

    pub fn internal(text: impl AsRef<str>) -> Self {
        Self::lms(StatusCode::INTERNAL_SERVER_ERROR, "internal", text)
    }

    /// The envelope code a bare HTTP status maps to (used by injected faults and fallbacks).
    pub fn code_for_status(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "invalid_argument",
            401 => "unauthenticated",
            403 => "permission_denied",
            404 => "not_found",
            405 => "method_not_allowed",
            408 => "deadline_exceeded",
            409 => "aborted",
            412 => "failed_precondition",
            429 => "resource_exhausted",
            500 => "internal",
            501 => "unimplemented",
            502..=504 => "unavailable",
            _ if status.is_client_error() => "failed_precondition",
            _ => "unknown",
        }
    }

    /// An error of any status with the envelope code that status maps to.
    pub fn for_status(status: StatusCode, text: impl AsRef<str>) -> Self {
        let code = Self::code_for_status(status);
        if code == "invalid_argument" {
            // Keep the documented field-error form even for synthetic 400s.
            let mut err = Self::invalid_field("request", text.as_ref());
            err.status = status;
            return err;
        }
        Self::lms(status, code, text)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            code: self.code,
            message: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_message_is_a_json_array() {
        let err = ApiError::invalid_field("page", "page value too small, must be larger than 0");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err.message,
            r#"[{"field":"page","error":"page value too small, must be larger than 0"}]"#
        );
    }

    #[test]
    fn other_errors_carry_the_lms_prefix() {
        let err = ApiError::not_found("Customer with id 9999 does not exist");
        assert_eq!(
            err.message,
            "lms: status=404: Customer with id 9999 does not exist"
        );
        assert_eq!(
            ApiError::for_status(StatusCode::SERVICE_UNAVAILABLE, "x").code,
            "unavailable"
        );
        assert_eq!(
            ApiError::for_status(StatusCode::TOO_MANY_REQUESTS, "x").code,
            "resource_exhausted"
        );
    }
}
