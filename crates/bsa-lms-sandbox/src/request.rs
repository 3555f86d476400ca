//! Request parsing with the API's own error answers.
//!
//! axum's stock extractors reject with plain-text bodies; these extractors answer
//! `400 invalid_argument` with the `{field, error}` array instead, naming the offending field.

use std::ops::RangeInclusive;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::header;
use axum::http::request::Parts;
use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::dates;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::money::{self, Cents};

/// Upper bound for request bodies (the credit boost carries a PDF).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Longest accepted externalId (REFERENCE §3.2, inferred from the scorecard rule).
pub const MAX_EXTERNAL_ID: usize = 128;

/// Largest amount accepted anywhere (in currency units). Far above any real loan, and low
/// enough that sums of amounts in cents can never overflow.
pub const MAX_AMOUNT: f64 = 1e12;

/// A JSON object body. An empty body (with or without `Content-Type`) reads as `{}`, which is
/// what operations with optional bodies need; required fields are then reported by name.
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> ApiResult<Self> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let bytes = read_body(req.into_body()).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Map::new()));
        }
        if let Some(ct) = content_type
            && !is_json_media_type(&ct)
        {
            return Err(ApiError::invalid_field(
                "Content-Type",
                format!("unsupported media type {ct:?}; send application/json"),
            ));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonBody(map)),
            Ok(_) => Err(ApiError::invalid_field("body", "must be a JSON object")),
            Err(e) => Err(ApiError::invalid_field(
                "body",
                format!("malformed JSON: {e}"),
            )),
        }
    }
}

pub async fn read_body(body: Body) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|e| ApiError::invalid_field("body", format!("unreadable body: {e}")))
}

fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads typed fields out of a JSON object, collecting every problem before answering.
///
/// Types are strict (a number sent as a string, or `null`, is an error): the schema says what is
/// accepted, and conformance testing checks that anything else is refused.
pub struct Fields<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a Map<String, Value>) -> Self {
        Fields {
            body,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, field: &str, error: impl Into<String>) {
        self.errors.push(FieldError::new(field, error));
    }

    /// Answers `400 invalid_argument` if any field was bad.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }

    fn present(&mut self, name: &str, required: bool) -> Option<&'a Value> {
        match self.body.get(name) {
            Some(v) => Some(v),
            None => {
                if required {
                    self.error(name, "required");
                }
                None
            }
        }
    }

    pub fn string(&mut self, name: &str, required: bool) -> Option<String> {
        match self.present(name, required)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.error(name, "must be a string");
                None
            }
        }
    }

    /// An externalId: a string of 1–128 characters.
    pub fn external_id(&mut self, name: &str, required: bool) -> Option<String> {
        let value = self.string(name, required)?;
        match check_external_id(&value) {
            Ok(()) => Some(value),
            Err(e) => {
                self.error(name, e);
                None
            }
        }
    }

    pub fn date(&mut self, name: &str, required: bool) -> Option<NaiveDate> {
        let text = self.string(name, required)?;
        let date = dates::parse(&text);
        if date.is_none() {
            self.error(name, "must be a date in YYYY-MM-DD form");
        }
        date
    }

    /// A money amount in cents; `positive` demands `> 0` (as the schema states it, on the raw
    /// number), otherwise `>= 0` is enough. An amount below half a cent rounds to 0; callers
    /// that need at least a cent check that once the addressed resource is known.
    pub fn amount(&mut self, name: &str, required: bool, positive: bool) -> Option<Cents> {
        let number = match self.present(name, required)? {
            Value::Number(n) => n.as_f64(),
            _ => None,
        };
        let Some(units) = number.filter(|u| u.is_finite()) else {
            self.error(name, "must be a number");
            return None;
        };
        if units > MAX_AMOUNT {
            self.error(name, format!("must be at most {MAX_AMOUNT}"));
            return None;
        }
        let cents = money::from_units(units);
        if positive && units <= 0.0 {
            self.error(name, "must be greater than 0");
            return None;
        }
        if units < 0.0 {
            self.error(name, "must not be negative");
            return None;
        }
        Some(cents)
    }

    /// A JSON integer within `range`.
    pub fn integer(
        &mut self,
        name: &str,
        required: bool,
        range: RangeInclusive<i64>,
    ) -> Option<i64> {
        let value = self.present(name, required)?;
        let Some(n) = value.as_i64() else {
            self.error(name, "must be an integer");
            return None;
        };
        if !range.contains(&n) {
            self.error(name, out_of_range(&range));
            return None;
        }
        Some(n)
    }

    /// A JSON number within `range`.
    pub fn number(
        &mut self,
        name: &str,
        required: bool,
        range: RangeInclusive<f64>,
    ) -> Option<f64> {
        let value = self.present(name, required)?;
        let Some(n) = value.as_f64().filter(|n| n.is_finite()) else {
            self.error(name, "must be a number");
            return None;
        };
        if !range.contains(&n) {
            self.error(name, out_of_range(&range));
            return None;
        }
        Some(n)
    }

    /// A free-text field the simulator accepts and ignores (notes, receipt numbers, …); only its
    /// type is checked.
    pub fn ignored_string(&mut self, name: &str) {
        let _ = self.string(name, false);
    }

    /// The raw value, for fields that accept several types.
    pub fn raw(&mut self, name: &str, required: bool) -> Option<&'a Value> {
        self.present(name, required)
    }
}

fn out_of_range<T: std::fmt::Display>(range: &RangeInclusive<T>) -> String {
    format!("must be between {} and {}", range.start(), range.end())
}

pub fn check_external_id(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if len == 0 {
        Err("required".to_owned())
    } else if len > MAX_EXTERNAL_ID {
        Err(format!("must be at most {MAX_EXTERNAL_ID} characters"))
    } else {
        Ok(())
    }
}

/// An LMS id as this deployment issues them (decimal), if `raw` can be one.
pub fn numeric_id(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// Parses an LMS id where a non-numeric value is a client error (customer paths, §4.6).
pub fn parse_id(field: &str, raw: &str) -> ApiResult<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_field(
            field,
            format!("{raw:?} is not a valid numeric identifier"),
        ));
    }
    raw.parse()
        .map_err(|_| ApiError::invalid_field(field, format!("{raw:?} is out of range")))
}

/// How a path names a customer or a loan: by LMS id or by the partner's externalId, both
/// as sent. Resolution decides what an unusable value means (400 for customer ids, 404 else).
#[derive(Clone, Debug)]
pub enum Key {
    Id(String),
    External(String),
}

/// The `{customer_id}` / `{customer_external_id}` path parameter, whichever the route has.
pub struct CustomerKey(pub Key);

/// The `{loan_id}` / `{loan_external_id}` path parameter, whichever the route has.
pub struct LoanKey(pub Key);

/// The `{transaction_id}` path parameter, as sent.
pub struct TransactionId(pub String);

/// The `{external_id}` path parameter of the scorecard.
pub struct ExternalIdPath(pub String);

async fn path_params(parts: &mut Parts) -> ApiResult<Vec<(String, String)>> {
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|e| ApiError::invalid_field("path", e.body_text()))?;
    Ok(params
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

fn key_from(params: &[(String, String)], id_name: &str, external_name: &str) -> ApiResult<Key> {
    for (name, value) in params {
        if name == id_name {
            return Ok(Key::Id(value.clone()));
        }
        if name == external_name {
            return Ok(Key::External(value.clone()));
        }
    }
    Err(ApiError::internal(format!("route lacks {{{id_name}}}")))
}

impl<S: Send + Sync> FromRequestParts<S> for CustomerKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let params = path_params(parts).await?;
        key_from(&params, "customer_id", "customer_external_id").map(CustomerKey)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LoanKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let params = path_params(parts).await?;
        key_from(&params, "loan_id", "loan_external_id").map(LoanKey)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TransactionId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let params = path_params(parts).await?;
        params
            .into_iter()
            .find(|(k, _)| k == "transaction_id")
            .map(|(_, v)| TransactionId(v))
            .ok_or_else(|| ApiError::internal("route lacks {transaction_id}"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ExternalIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let params = path_params(parts).await?;
        let value = params
            .into_iter()
            .find(|(k, _)| k == "external_id")
            .map(|(_, v)| v)
            .ok_or_else(|| ApiError::internal("route lacks {external_id}"))?;
        check_external_id(&value).map_err(|e| ApiError::invalid_field("external_id", e))?;
        Ok(ExternalIdPath(value))
    }
}

/// Decoded query parameters in order of appearance.
pub struct QueryParams(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let query = parts.uri.query().unwrap_or("");
        Ok(QueryParams(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        ))
    }
}

impl QueryParams {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A required field after [`Fields::finish`] succeeded: present by construction, since a
/// missing one is always reported. Kept fallible so a slip is a 500, not a panic.
pub fn checked<T>(value: Option<T>) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::internal("a validated field went missing"))
}

/// `400 invalid_argument` for a positive amount that rounds to zero cents.
pub fn at_least_a_cent(field: &str, cents: Cents) -> ApiResult<Cents> {
    if cents > 0 {
        Ok(cents)
    } else {
        Err(ApiError::invalid_field(field, "must be at least 0.01"))
    }
}
