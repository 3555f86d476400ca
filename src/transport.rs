//! What happens around every generated operation (progenitor `ClientHooks`):
//! `pre` attaches the bearer token, `exec` sends with the retry policy and the
//! single re-mint-and-retry on 401, and error answers are normalised so that
//! their status and raw body survive decoding whatever the server sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Request, Response, StatusCode};

use crate::Client;
use crate::auth::TokenManager;
use crate::config::HttpSettings;
use crate::error::Error;
use crate::retry::{self, Outcome, RetryPolicy, Safety};
use crate::route_guard;

/// Error bodies are read up to this size; the rest is discarded.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// Largest success body the client accepts (64 MiB; a page of 100 loans is well under 1 MiB).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// Key under which a normalised error body carries the original text.
const RAW_BODY_KEY: &str = "x-bsa-raw-body";
/// Prefix of a typed SDK error smuggled through progenitor's `Error::Custom`.
const CUSTOM_PREFIX: &str = "bsa-lms-error:";

/// Options for the calls made through one [`Client`] value; see [`Client::with_options`].
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Total time for one attempt (overrides the client's timeout).
    pub timeout: Option<Duration>,
    /// Retry policy (overrides the client's).
    pub retry: Option<RetryPolicy>,
    /// Extra headers for each request.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values often carry keys: only their names are shown.
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("headers", &names)
            .finish()
    }
}

/// State shared by every clone of a client.
pub(crate) struct Core {
    pub(crate) tokens: Arc<TokenManager>,
    retry: RetryPolicy,
    pub(crate) http: HttpSettings,
    closed: AtomicBool,
}

impl Core {
    pub(crate) fn new(tokens: Arc<TokenManager>, retry: RetryPolicy, http: HttpSettings) -> Self {
        Self {
            tokens,
            retry,
            http,
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.tokens.close();
    }
}

/// The generated client's inner value: shared state plus per-call options.
#[derive(Clone)]
pub struct Shared {
    pub(crate) core: Arc<Core>,
    pub(crate) options: Arc<CallOptions>,
}

impl Shared {
    pub(crate) fn new(core: Arc<Core>, options: CallOptions) -> Self {
        Self {
            core,
            options: Arc::new(options),
        }
    }

    fn retry_policy(&self) -> &RetryPolicy {
        self.options.retry.as_ref().unwrap_or(&self.core.retry)
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("tokens", &self.core.tokens)
            .field("retry", self.retry_policy())
            .field("timeout", &self.options.timeout)
            .finish_non_exhaustive()
    }
}

impl ClientHooks<Shared> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let shared = self.inner();
        if shared.core.closed.load(Ordering::Acquire) {
            return Err(custom(Error::invalid_request(None, "the client is closed")));
        }
        if let Some(template) = crate::generated::dispatch::route(info.operation_id) {
            route_guard::check_route(request.url(), template).map_err(custom)?;
        }
        let token = shared.core.tokens.current().await.map_err(custom)?;
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, token.header().clone());
        for (name, value) in &shared.options.headers {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(timeout) = shared.options.timeout {
            *request.timeout_mut() = Some(timeout);
        }
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        send(self, request, info.operation_id).await
    }
}

/// Sends `request` with retries, the 401 re-mint, and the externalId recovery.
async fn send(client: &Client, mut request: Request, operation: &str) -> reqwest::Result<Response> {
    let shared = client.inner();
    let policy = shared.retry_policy().clone();
    let safety = safety(&request, operation);
    let (mut retries, mut internal_retries) = (0, 0);
    let mut reauthenticated = false;
    // Set once an attempt may have been applied without us seeing the answer.
    let mut ambiguous = false;
    loop {
        // JSON bodies are buffered, so a request can always be cloned for a resend.
        let Some(attempt) = request.try_clone() else {
            return client.client().execute(request).await;
        };
        let started = std::time::Instant::now();
        let sent = client.client().execute(attempt).await;
        // Method, path and status only: never headers or bodies, which carry tokens and PII.
        tracing::debug!(
            operation,
            method = %request.method(),
            path = request.url().path(),
            status = sent.as_ref().ok().map(|r| r.status().as_u16()),
            error = sent.as_ref().err().map(|e| Error::from_transport(e).to_string()),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "bsa-lms request"
        );
        let outcome = match &sent {
            Ok(resp) => Outcome::Status(resp.status().as_u16()),
            Err(e) if e.is_connect() => Outcome::NotSent,
            Err(_) => Outcome::Unknown,
        };

        if outcome == Outcome::Status(401) && !reauthenticated {
            reauthenticated = true;
            let used = request.headers().get(AUTHORIZATION).cloned();
            match shared
                .core
                .tokens
                .after_unauthorized_header(used.as_ref())
                .await
            {
                Ok(Some(token)) => {
                    tracing::debug!(operation, "401: retrying once with a new token");
                    request
                        .headers_mut()
                        .insert(AUTHORIZATION, token.header().clone());
                    continue;
                }
                Ok(None) => {}
                Err(err) => return Ok(synthetic_error(StatusCode::UNAUTHORIZED, &err)),
            }
        }

        let succeeded = matches!(outcome, Outcome::Status(s) if s < 400);
        if !succeeded && retry::should_retry(&policy, safety, outcome, retries, internal_retries) {
            let after = sent.as_ref().ok().and_then(retry_after);
            if let Some(wait) = retry::delay(&policy, retries, after, fastrand::f64()) {
                tracing::debug!(operation, ?outcome, retry = retries + 1, ?wait, "retrying");
                ambiguous |= outcome == Outcome::Unknown || outcome == Outcome::Status(500);
                retries += 1;
                internal_retries += u32::from(outcome == Outcome::Status(500));
                tokio::time::sleep(wait).await;
                continue;
            }
        }

        let resp = sent?;
        if resp.status().is_redirection() {
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let err = Error::redirect(resp.status().as_u16(), location.as_deref());
            return Ok(synthetic_error(StatusCode::BAD_GATEWAY, &err));
        }
        if resp.status() == StatusCode::CONFLICT
            && ambiguous
            && safety == Safety::Recoverable
            && let Some(found) = recover_create(client, &request).await
        {
            tracing::debug!(
                operation,
                "replayed create answered 409; returning the resource the first attempt created"
            );
            return Ok(found);
        }
        return if resp.status().is_client_error() || resp.status().is_server_error() {
            normalize_error(resp).await
        } else {
            bounded(resp).await
        };
    }
}

/// Classifies how safe it is to replay `request` (REFERENCE §3.8).
fn safety(request: &Request, operation: &str) -> Safety {
    if request.method() != Method::POST {
        return Safety::Idempotent;
    }
    let body = request
        .body()
        .and_then(|b| b.as_bytes())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
    let non_empty = |key: &str| {
        body.as_ref()
            .and_then(|b| b.get(key))
            .and_then(|v| v.as_str())
            .is_some_and(|s| !s.is_empty())
    };
    if non_empty("idempotencyKey") {
        Safety::Keyed
    } else if matches!(operation, "create_customer" | "create_loan") && non_empty("externalId") {
        Safety::Recoverable
    } else {
        Safety::Unsafe
    }
}

/// After an ambiguous create whose replay answered 409: fetches the resource
/// by the request's externalId and returns it if it is what was asked for.
async fn recover_create(client: &Client, request: &Request) -> Option<Response> {
    let body: serde_json::Value = serde_json::from_slice(request.body()?.as_bytes()?).ok()?;
    let external_id = body.get("externalId")?.as_str()?;
    let mut url = request.url().clone();
    // `POST /v1/customers` ↔ `GET /v1/customers/external/{x}`, and likewise for loans.
    url.path_segments_mut()
        .ok()?
        .push("external")
        .push(external_id);
    let mut lookup = Request::new(Method::GET, url);
    *lookup.headers_mut() = request.headers().clone();
    lookup.headers_mut().remove(reqwest::header::CONTENT_TYPE);
    let resp = client.client().execute(lookup).await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let status = resp.status();
    let headers = resp.headers().clone();
    let mut resp = resp;
    let (bytes, complete) = read_prefix(&mut resp, MAX_BODY).await.ok()?;
    if !complete {
        return None;
    }
    let bytes = Bytes::from(bytes);
    let found: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    if !same_request(&body, &found) {
        return None;
    }
    crate::dispatch::keep_body(&bytes);
    let mut rebuilt = http::Response::new(bytes);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    Some(Response::from(rebuilt))
}

/// Whether a found loan matches the create request (customers match by externalId alone).
fn same_request(request: &serde_json::Value, found: &serde_json::Value) -> bool {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let number = |v: &serde_json::Value| v.as_f64();
    let product_ok = match request.get("productId") {
        None => true,
        Some(p) => text(p) == found.get("loanProductId").and_then(text),
    };
    let principal_ok = match request.get("principal") {
        None => true,
        Some(p) => number(p) == found.get("principal").and_then(number),
    };
    product_ok && principal_ok
}

/// Reads `Retry-After` from a response.
pub(crate) fn retry_after(resp: &Response) -> Option<Duration> {
    let value = resp.headers().get(RETRY_AFTER)?.to_str().ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    retry::parse_retry_after(value, now)
}

/// Rewrites an error answer so that progenitor decodes it as the `Error`
/// schema whatever the body was, keeping the original text for the SDK error.
async fn normalize_error(mut resp: Response) -> reqwest::Result<Response> {
    let status = resp.status();
    let headers = resp.headers().clone();
    let (raw, _) = read_prefix(&mut resp, ERROR_BODY_LIMIT).await?;
    let text = String::from_utf8_lossy(&raw);
    let body = serde_json::json!({ RAW_BODY_KEY: text }).to_string();
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    rebuilt.headers_mut().insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    rebuilt
        .headers_mut()
        .remove(reqwest::header::CONTENT_LENGTH);
    Ok(Response::from(rebuilt))
}

/// Refuses success bodies larger than [`MAX_BODY`], so that a hostile or broken
/// server cannot make the client buffer without limit. A body without an
/// announced length, or one that [`Client::call_raw`] hands on, is read here.
async fn bounded(mut resp: Response) -> reqwest::Result<Response> {
    let status = resp.status();
    let too_large = || {
        let err = Error::decode(
            Some(status.as_u16()),
            format!("the response body exceeds the {MAX_BODY}-byte limit"),
            b"",
        );
        Ok(synthetic_error(StatusCode::BAD_GATEWAY, &err))
    };
    let (headers, body) = match resp.content_length() {
        Some(len) if len > MAX_BODY as u64 => return too_large(),
        // The announced length bounds what hyper delivers.
        Some(_) if crate::dispatch::keeping_body() => {
            let headers = std::mem::take(resp.headers_mut());
            (headers, resp.bytes().await?)
        }
        Some(_) => return Ok(resp),
        None => {
            let headers = std::mem::take(resp.headers_mut());
            match read_prefix(&mut resp, MAX_BODY).await? {
                (body, true) => (headers, Bytes::from(body)),
                (_, false) => return too_large(),
            }
        }
    };
    crate::dispatch::keep_body(&body);
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    Ok(Response::from(rebuilt))
}

/// Reads `resp`'s body up to `limit` bytes; `false` when more followed (the
/// rest is left unread). Every body the SDK reads itself goes through here.
pub(crate) async fn read_prefix(
    resp: &mut Response,
    limit: usize,
) -> reqwest::Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = limit.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

/// An error answer built by the SDK (e.g. a failed re-mint after a 401).
fn synthetic_error(status: StatusCode, err: &Error) -> Response {
    let body = serde_json::json!({ RAW_BODY_KEY: "", "x-bsa-error": err }).to_string();
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    Response::from(rebuilt)
}

fn custom<E>(err: Error) -> progenitor_client::Error<E> {
    let json = serde_json::to_string(&err).unwrap_or_default();
    progenitor_client::Error::Custom(format!("{CUSTOM_PREFIX}{json}"))
}

impl From<progenitor_client::Error<crate::types::Error>> for Error {
    fn from(err: progenitor_client::Error<crate::types::Error>) -> Self {
        use progenitor_client::Error as E;
        match err {
            E::InvalidRequest(message) => {
                rejected_argument(&message).unwrap_or_else(|| Error::invalid_request(None, message))
            }
            E::CommunicationError(e) | E::InvalidUpgrade(e) | E::ResponseBodyError(e) => {
                Error::from_transport(&e)
            }
            E::ErrorResponse(rv) => {
                let status = rv.status().as_u16();
                let envelope = serde_json::to_value(rv.into_inner()).unwrap_or_default();
                if let Some(err) = envelope
                    .get("x-bsa-error")
                    .and_then(|e| serde_json::from_value(e.clone()).ok())
                {
                    return err;
                }
                match envelope.get(RAW_BODY_KEY).and_then(|v| v.as_str()) {
                    Some(raw) => Error::from_response(status, raw.as_bytes()),
                    None => Error::from_response(status, envelope.to_string().as_bytes()),
                }
            }
            E::InvalidResponsePayload(body, e) => Error::decode(
                None,
                format!("the response body does not match the schema: {e}"),
                &body,
            ),
            E::UnexpectedResponse(resp) => {
                let status = resp.status().as_u16();
                Error::decode(
                    Some(status),
                    format!("unexpected HTTP status {status}"),
                    b"",
                )
            }
            E::Custom(text) => match text
                .strip_prefix(CUSTOM_PREFIX)
                .and_then(|j| serde_json::from_str(j).ok())
            {
                Some(err) => err,
                None => Error::invalid_request(None, text),
            },
        }
    }
}

/// The builders report a value their parameter's type refused as
/// "conversion to `T` for NAME failed"; for a path parameter that is the
/// one-segment rule, stated with the parameter's name.
fn rejected_argument(message: &str) -> Option<Error> {
    let (_, name) = message.strip_suffix(" failed")?.rsplit_once(" for ")?;
    route_guard::rejected_parameter(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: &str) -> Request {
        let mut r = Request::new(
            Method::POST,
            "http://127.0.0.1/v1/loans/1/repayments".parse().unwrap(),
        );
        *r.body_mut() = Some(body.to_owned().into());
        r
    }

    #[test]
    fn money_moving_posts_are_unsafe_without_a_key() {
        assert_eq!(
            safety(&post(r#"{"transactionAmount":5}"#), "create_repayment"),
            Safety::Unsafe
        );
        assert_eq!(
            safety(
                &post(r#"{"transactionAmount":5,"idempotencyKey":""}"#),
                "create_repayment"
            ),
            Safety::Unsafe
        );
        assert_eq!(
            safety(
                &post(r#"{"transactionAmount":5,"idempotencyKey":"k1"}"#),
                "create_repayment"
            ),
            Safety::Keyed
        );
        assert_eq!(
            safety(
                &post(r#"{"customerId":1,"productId":1,"principal":5}"#),
                "create_loan"
            ),
            Safety::Unsafe
        );
        assert_eq!(
            safety(
                &post(r#"{"customerId":1,"productId":1,"principal":5,"externalId":"x"}"#),
                "create_loan"
            ),
            Safety::Recoverable
        );
        assert_eq!(
            safety(&post(r#"{"externalId":"x"}"#), "create_customer"),
            Safety::Recoverable
        );
        // An externalId on other POSTs proves nothing about what was applied.
        assert_eq!(
            safety(&post(r#"{"externalId":"x"}"#), "update_customer"),
            Safety::Unsafe
        );
        let get = Request::new(Method::GET, "http://127.0.0.1/v1/loans".parse().unwrap());
        assert_eq!(safety(&get, "list_loans"), Safety::Idempotent);
    }

    #[test]
    fn recovered_loans_must_match_the_request() {
        let req = serde_json::json!({"customerId": 1, "productId": 2, "principal": 1000, "externalId": "x"});
        let found = serde_json::json!({"id": "9", "loanProductId": "2", "principal": 1000.0, "externalId": "x"});
        assert!(same_request(&req, &found));
        let other = serde_json::json!({"id": "9", "loanProductId": "2", "principal": 5.0, "externalId": "x"});
        assert!(!same_request(&req, &other));
        assert!(same_request(
            &serde_json::json!({"externalId": "c"}),
            &serde_json::json!({"id": "1"})
        ));
    }

    #[test]
    fn custom_errors_round_trip() {
        let err = Error::invalid_request(Some("x"), "bad");
        let back: Error = custom::<crate::types::Error>(err.clone()).into();
        assert_eq!(back, err);
    }
}
