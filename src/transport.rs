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
use crate::dispatch::{Recovery, ReplayFacts};
use crate::error::Error;
use crate::retry::{self, Outcome, RetryPolicy, Safety};
use crate::route_guard;

/// Error bodies are read up to this size; the rest is discarded.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// Largest success body the client accepts (64 MiB; a page of 100 loans is well under 1 MiB).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// Key under which a normalised error body carries the original text.
const RAW_BODY_KEY: &str = "x-bsa-raw-body";
/// Key under which a normalised error body says that the call may have been applied.
const APPLIED_KEY: &str = "x-bsa-maybe-applied";
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

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
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

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
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
        if shared.core.is_closed() {
            return Err(custom(closed()));
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

/// Sends `request` with retries, the 401 re-mint, and the create recovery.
async fn send(client: &Client, mut request: Request, operation: &str) -> reqwest::Result<Response> {
    let shared = client.inner();
    let policy = shared.retry_policy().clone();
    let facts = crate::generated::replay::facts(operation);
    let safety = safety(&request, facts);
    let write = request.method() != Method::GET;
    let (mut retries, mut internal_retries) = (0, 0);
    let mut reauthenticated = false;
    // Set once an attempt may have committed a write without us seeing it succeed.
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
                Err(err) => {
                    let err = err.applied_if(ambiguous);
                    return Ok(synthetic_error(StatusCode::UNAUTHORIZED, &err));
                }
            }
        }

        let succeeded = matches!(outcome, Outcome::Status(s) if s < 400);
        if !succeeded && retry::should_retry(&policy, safety, outcome, retries, internal_retries) {
            let after = sent.as_ref().ok().and_then(retry_after);
            if let Some(wait) = retry::delay(&policy, retries, after, fastrand::f64()) {
                tracing::debug!(operation, ?outcome, retry = retries + 1, ?wait, "retrying");
                ambiguous |= retry::maybe_applied(write, outcome);
                retries += 1;
                internal_retries += u32::from(outcome == Outcome::Status(500));
                tokio::time::sleep(wait).await;
                continue;
            }
        }

        ambiguous |= retry::maybe_applied(write, outcome);
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) => {
                let err = Error::from_transport(&e).applied_if(ambiguous);
                return Ok(synthetic_error(StatusCode::BAD_GATEWAY, &err));
            }
        };
        if resp.status().is_redirection() {
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let err = Error::redirect(resp.status().as_u16(), location.as_deref());
            return Ok(synthetic_error(
                StatusCode::BAD_GATEWAY,
                &err.applied_if(ambiguous),
            ));
        }
        if resp.status() == StatusCode::CONFLICT
            && ambiguous
            && safety == Safety::Recoverable
            && let Some(recovery) = facts.and_then(|f| f.recovery.as_ref())
            && let Some(found) = recover_create(client, &request, recovery).await
        {
            tracing::debug!(
                operation,
                "replayed create answered 409; returning the resource the first attempt created"
            );
            return Ok(found);
        }
        return if resp.status().is_client_error() || resp.status().is_server_error() {
            normalize_error(resp, ambiguous).await
        } else {
            bounded(resp, write).await
        };
    }
}

/// Classifies how safe it is to replay `request`, from the operation's
/// `x-bsa-replay` facts; a POST without facts is never replayed once sent.
fn safety(request: &Request, facts: Option<&ReplayFacts>) -> Safety {
    if request.method() != Method::POST {
        return Safety::Idempotent;
    }
    let Some(facts) = facts else {
        return Safety::Unsafe;
    };
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
    match (facts.idempotency_key, facts.recovery) {
        (Some(key), _) if non_empty(key.field) && key.documented => Safety::Keyed,
        (Some(key), _) if non_empty(key.field) => Safety::InferredKey,
        (_, Some(recovery)) if non_empty(recovery.key) => Safety::Recoverable,
        _ => Safety::Unsafe,
    }
}

/// After an ambiguous create whose replay answered 409: looks the record up
/// by the request's key field and returns it if it is what was asked for.
async fn recover_create(
    client: &Client,
    request: &Request,
    recovery: &Recovery,
) -> Option<Response> {
    let body: serde_json::Value = serde_json::from_slice(request.body()?.as_bytes()?).ok()?;
    let value = body.get(recovery.key)?.as_str()?;
    let mut url = request.url().clone();
    url.set_query(None);
    {
        let mut segments = url.path_segments_mut().ok()?;
        segments.clear();
        for segment in recovery.route.split('/').skip(1) {
            segments.push(if segment.starts_with('{') {
                value
            } else {
                segment
            });
        }
    }
    // A key such as `..` must not turn the lookup into another route.
    route_guard::check_route(&url, recovery.route).ok()?;
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
    if !same_request(recovery.matches, &body, &found) {
        return None;
    }
    crate::dispatch::keep_body(&bytes);
    let mut rebuilt = http::Response::new(bytes);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    Some(Response::from(rebuilt))
}

/// Whether a found record holds, in each matched field, what the create asked for.
fn same_request(
    matches: &[(&str, &str)],
    request: &serde_json::Value,
    found: &serde_json::Value,
) -> bool {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    matches
        .iter()
        .all(|(asked, got)| match request.get(*asked) {
            None | Some(serde_json::Value::Null) => true,
            Some(want) => {
                found
                    .get(*got)
                    .is_some_and(|have| match (want.as_f64(), have.as_f64()) {
                        (Some(a), Some(b)) => a == b,
                        _ => text(want).is_some() && text(want) == text(have),
                    })
            }
        })
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
async fn normalize_error(mut resp: Response, maybe_applied: bool) -> reqwest::Result<Response> {
    let status = resp.status();
    let headers = resp.headers().clone();
    let raw = match read_prefix(&mut resp, ERROR_BODY_LIMIT).await {
        Ok((raw, _)) => raw,
        Err(e) => {
            let err = Error::from_transport(&e).applied_if(maybe_applied);
            return Ok(synthetic_error(status, &err));
        }
    };
    let text = String::from_utf8_lossy(&raw);
    let mut body = serde_json::json!({ RAW_BODY_KEY: text, APPLIED_KEY: maybe_applied });
    // Callers who match progenitor's `ErrorResponse` directly still see the
    // envelope's code and message (`bsa_lms::Error` reads the raw body).
    if let Ok(serde_json::Value::Object(envelope)) = serde_json::from_slice(&raw) {
        for key in ["code", "message"] {
            if let Some(value) = envelope.get(key).filter(|v| v.is_string()) {
                body[key] = value.clone();
            }
        }
    }
    let body = body.to_string();
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
/// announced length, one that [`Client::call_raw`] hands on, or the answer to
/// a write is read here: a write that answered 2xx was applied, so an
/// unreadable or non-JSON body must fail with `maybe_applied` set.
async fn bounded(mut resp: Response, write: bool) -> reqwest::Result<Response> {
    let status = resp.status();
    let failed = |err: Error| {
        Ok(synthetic_error(
            StatusCode::BAD_GATEWAY,
            &err.applied_if(write),
        ))
    };
    let too_large = || {
        failed(Error::decode(
            Some(status.as_u16()),
            format!("the response body exceeds the {MAX_BODY}-byte limit"),
            b"",
        ))
    };
    match resp.content_length() {
        Some(len) if len > MAX_BODY as u64 => return too_large(),
        // The announced length bounds what hyper delivers.
        Some(_) if !write && !crate::dispatch::keeping_body() => return Ok(resp),
        _ => {}
    }
    let headers = std::mem::take(resp.headers_mut());
    let body = match read_prefix(&mut resp, MAX_BODY).await {
        Ok((body, true)) => Bytes::from(body),
        Ok((_, false)) => return too_large(),
        Err(e) => return failed(Error::from_transport(&e)),
    };
    if write && !body.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err()
    {
        return failed(Error::decode(
            None,
            "the response body is not JSON; the request was applied",
            &body,
        ));
    }
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

/// What a call on a closed client fails with.
pub(crate) fn closed() -> Error {
    Error::invalid_request(None, "the client is closed")
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
                let applied = envelope.get(APPLIED_KEY) == Some(&serde_json::Value::Bool(true));
                match envelope.get(RAW_BODY_KEY).and_then(|v| v.as_str()) {
                    Some(raw) => Error::from_response(status, raw.as_bytes()),
                    None => Error::from_response(status, envelope.to_string().as_bytes()),
                }
                .applied_if(applied)
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

    fn facts(operation: &str) -> Option<&'static ReplayFacts> {
        crate::generated::replay::facts(operation)
    }

    #[test]
    fn replay_safety_comes_from_the_spec() {
        let repay = facts("create_repayment");
        assert_eq!(
            safety(&post(r#"{"transactionAmount":5}"#), repay),
            Safety::Unsafe
        );
        assert_eq!(
            safety(
                &post(r#"{"transactionAmount":5,"idempotencyKey":""}"#),
                repay
            ),
            Safety::Unsafe
        );
        assert_eq!(
            safety(
                &post(r#"{"transactionAmount":5,"idempotencyKey":"k1"}"#),
                repay
            ),
            Safety::Keyed
        );
        // The rest of the family shares the body, but the key is only inferred there.
        for op in [
            "waive_interest",
            "create_refund",
            "create_recovery_payment",
            "create_credit_balance_refund",
            "charge_off_loan_by_external_id",
        ] {
            assert_eq!(
                safety(
                    &post(r#"{"transactionAmount":5,"idempotencyKey":"k1"}"#),
                    facts(op)
                ),
                Safety::InferredKey,
                "{op}"
            );
        }
        let loan = facts("create_loan");
        assert_eq!(
            safety(
                &post(r#"{"customerId":1,"productId":1,"principal":5}"#),
                loan
            ),
            Safety::Unsafe
        );
        assert_eq!(
            safety(
                &post(r#"{"customerId":1,"productId":1,"principal":5,"externalId":"x"}"#),
                loan
            ),
            Safety::Recoverable
        );
        assert_eq!(
            safety(&post(r#"{"externalId":"x"}"#), facts("create_customer")),
            Safety::Recoverable
        );
        // An externalId on other POSTs proves nothing about what was applied.
        assert_eq!(
            safety(&post(r#"{"externalId":"x"}"#), facts("close_customer")),
            Safety::Unsafe
        );
        assert_eq!(safety(&post(r#"{"externalId":"x"}"#), None), Safety::Unsafe);
        let get = Request::new(Method::GET, "http://127.0.0.1/v1/loans".parse().unwrap());
        assert_eq!(safety(&get, facts("list_loans")), Safety::Idempotent);
    }

    #[test]
    fn recovered_loans_must_match_the_request() {
        let matches = facts("create_loan").unwrap().recovery.unwrap().matches;
        let req = serde_json::json!({"customerId": 1, "productId": 2, "principal": 1000, "externalId": "x"});
        let found = serde_json::json!({"id": "9", "loanProductId": "2", "principal": 1000.0, "externalId": "x"});
        assert!(same_request(matches, &req, &found));
        let other = serde_json::json!({"id": "9", "loanProductId": "2", "principal": 5.0, "externalId": "x"});
        assert!(!same_request(matches, &req, &other));
        let product = serde_json::json!({"id": "9", "loanProductId": "3", "principal": 1000, "externalId": "x"});
        assert!(!same_request(matches, &req, &product));
        let customer = facts("create_customer").unwrap().recovery.unwrap().matches;
        assert!(same_request(
            customer,
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
