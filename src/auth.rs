//! The token manager: mints JWTs with HTTP Basic on the token host, caches
//! them, refreshes them before they expire, re-mints once after a 401, and can
//! rotate them in the background.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderValue;
use tokio::runtime::Handle;
use tokio::sync::{Mutex, Notify};

use crate::config::Secret;
use crate::error::{AuthReason, Error};
use crate::jwt;
use crate::retry::{self, Outcome, RetryPolicy, Safety};
use crate::token_cache::TokenCache;
use crate::transport::read_prefix;

/// Largest token-host answer read (a token is a few hundred bytes).
const TOKEN_BODY_LIMIT: usize = 64 * 1024;
/// An `exp` further ahead than this (ten years) is implausible.
const MAX_TOKEN_LIFETIME: i64 = 10 * 366 * 24 * 3600;

/// A bearer token with its ready-made `Authorization` value.
#[derive(Clone)]
pub(crate) struct Token {
    value: Secret,
    header: HeaderValue,
    expires_at: Option<i64>,
    /// Refresh once fewer than this many seconds remain.
    refresh_within: i64,
}

impl Token {
    fn new(value: String, threshold: Duration) -> Result<Self, Error> {
        let mut header = HeaderValue::try_from(format!("Bearer {value}")).map_err(|_| {
            Error::authentication(
                AuthReason::InvalidResponse,
                "the token contains characters not allowed in a header",
            )
        })?;
        header.set_sensitive(true);
        let now = now();
        // Server data: an `exp` beyond any real token's life is treated as
        // already expired rather than trusted for centuries; all arithmetic on
        // it saturates.
        let expires_at = jwt::expiry(&value).map(|exp| {
            if exp > now.saturating_add(MAX_TOKEN_LIFETIME) {
                tracing::warn!(
                    exp,
                    "the token's expiry is implausibly far away; treating it as expired"
                );
                i64::MIN
            } else {
                exp
            }
        });
        // A token that lives shorter than the threshold would be re-minted on
        // every call; refresh such tokens at half their remaining life instead.
        let lifetime = expires_at.map_or(i64::MAX, |exp| exp.saturating_sub(now));
        let threshold = i64::try_from(threshold.as_secs()).unwrap_or(i64::MAX);
        let refresh_within = threshold.min(lifetime / 2).max(0);
        Ok(Self {
            value: Secret::new(value),
            header,
            expires_at,
            refresh_within,
        })
    }

    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }

    pub(crate) fn secret(&self) -> &str {
        self.value.expose()
    }

    fn is_fresh(&self, now: i64) -> bool {
        self.expires_at
            .is_none_or(|exp| exp.saturating_sub(now) > self.refresh_within)
    }

    fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|exp| exp <= now)
    }
}

/// How the client authenticates.
pub(crate) enum Auth {
    /// Email and password: tokens are minted on the token host.
    Credentials {
        email: String,
        password: Secret,
        auth_url: String,
        /// Shares tokens with other processes (`ClientBuilder::token_cache`).
        cache: Option<TokenCache>,
    },
    /// A token used as given; a 401 is final.
    Static,
}

pub(crate) struct TokenManager {
    auth: Auth,
    http: reqwest::Client,
    threshold: Duration,
    retry: RetryPolicy,
    cached: RwLock<Option<Arc<Token>>>,
    /// Held while minting, so concurrent callers wait for one mint (single-flight).
    minting: Mutex<()>,
    mints: AtomicU64,
    /// Rotation interval, and the runtime to rotate on (default: the first call's).
    rotation: Option<(Duration, Option<Handle>)>,
    rotation_started: AtomicBool,
    stop: Arc<Notify>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match &self.auth {
            Auth::Credentials {
                email, auth_url, ..
            } => format!("credentials({email} @ {auth_url})"),
            Auth::Static => "static token".to_owned(),
        };
        f.debug_struct("TokenManager")
            .field("mode", &mode)
            .field("refresh_threshold", &self.threshold)
            .field("mints", &self.mints.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    pub(crate) fn new(
        auth: Auth,
        initial: Option<String>,
        http: reqwest::Client,
        threshold: Duration,
        retry: RetryPolicy,
        rotation: Option<(Duration, Option<Handle>)>,
    ) -> Result<Self, Error> {
        let cached = initial
            .map(|t| Token::new(t, threshold).map(Arc::new))
            .transpose()?;
        Ok(Self {
            auth,
            http,
            threshold,
            retry,
            cached: RwLock::new(cached),
            minting: Mutex::new(()),
            mints: AtomicU64::new(0),
            rotation,
            rotation_started: AtomicBool::new(false),
            stop: Arc::new(Notify::new()),
        })
    }

    fn has_credentials(&self) -> bool {
        matches!(self.auth, Auth::Credentials { .. })
    }

    fn cached(&self) -> Option<Arc<Token>> {
        self.cached
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn store(&self, token: Arc<Token>) {
        *self.cached.write().unwrap_or_else(|p| p.into_inner()) = Some(token);
    }

    /// Number of tokens minted so far by this client.
    pub(crate) fn mints(&self) -> u64 {
        self.mints.load(Ordering::Relaxed)
    }

    /// A token for the next request: the cached one while fresh, else a new one.
    pub(crate) async fn current(self: &Arc<Self>) -> Result<Arc<Token>, Error> {
        self.start_rotation();
        if let Some(token) = self
            .cached()
            .filter(|t| t.is_fresh(now()) || !self.has_credentials())
        {
            return Ok(token);
        }
        let Auth::Credentials { .. } = self.auth else {
            return Err(Error::authentication(
                AuthReason::NoCredentials,
                "no token and no credentials: set a token or an email and password",
            ));
        };
        let _guard = self.minting.lock().await;
        let stale = match self.cached() {
            Some(t) if t.is_fresh(now()) => return Ok(t),
            other => other,
        };
        match self.renew(None).await {
            Ok(token) => Ok(token),
            // A token inside the refresh window still works: keep serving
            // requests with it and try again on the next call.
            Err(err) => match stale.filter(|t| !t.is_expired(now())) {
                Some(t) => {
                    tracing::warn!(error = %err, "proactive token refresh failed; using the current token");
                    Ok(t)
                }
                None => Err(err),
            },
        }
    }

    /// After a 401 on a request sent with the `Authorization` value `rejected`:
    /// a replacement token, or `None` when the client cannot mint (static token).
    pub(crate) async fn after_unauthorized_header(
        &self,
        rejected: Option<&HeaderValue>,
    ) -> Result<Option<Arc<Token>>, Error> {
        if !self.has_credentials() {
            return Ok(None);
        }
        let _guard = self.minting.lock().await;
        // Another caller may already have replaced the rejected token.
        if let Some(current) = self.cached().filter(|t| Some(&t.header) != rejected) {
            return Ok(Some(current));
        }
        self.renew(rejected).await.map(Some)
    }

    /// A new token: the one another process shared, if it is fresh and not the
    /// `rejected` one, else a minted one (then shared). Callers hold `minting`.
    async fn renew(&self, rejected: Option<&HeaderValue>) -> Result<Arc<Token>, Error> {
        let Auth::Credentials {
            cache: Some(cache), ..
        } = &self.auth
        else {
            return self.mint().await;
        };
        let Some(_lock) = cache.lock().await else {
            return self.mint().await;
        };
        let shared = cache
            .read()
            .and_then(|value| Token::new(value, self.threshold).ok())
            .filter(|t| t.is_fresh(now()) && Some(&t.header) != rejected);
        if let Some(token) = shared {
            tracing::debug!(expires_at = ?token.expires_at, "using the token another process shared");
            let token = Arc::new(token);
            self.store(token.clone());
            return Ok(token);
        }
        let token = self.mint().await?;
        cache.write(token.secret());
        Ok(token)
    }

    /// Mints and caches a token. Callers hold `minting`.
    async fn mint(&self) -> Result<Arc<Token>, Error> {
        let Auth::Credentials {
            email,
            password,
            auth_url,
            ..
        } = &self.auth
        else {
            unreachable!("mint is only called with credentials");
        };
        let url = format!("{auth_url}/v1/auth/token");
        let mut retries = 0;
        let mut internal = 0;
        loop {
            let sent = self
                .http
                .get(&url)
                .basic_auth(email, Some(password.expose()))
                .send()
                .await;
            let outcome = match &sent {
                Ok(resp) => Outcome::Status(resp.status().as_u16()),
                Err(e) if e.is_connect() => Outcome::NotSent,
                Err(_) => Outcome::Unknown,
            };
            let done = match &sent {
                Ok(resp) => resp.status().is_success(),
                Err(_) => false,
            };
            if !done
                && retry::should_retry(&self.retry, Safety::Idempotent, outcome, retries, internal)
            {
                let after = sent.as_ref().ok().and_then(crate::transport::retry_after);
                if let Some(wait) = retry::delay(&self.retry, retries, after, fastrand::f64()) {
                    tracing::debug!(?outcome, retry = retries + 1, ?wait, "retrying token mint");
                    tokio::time::sleep(wait).await;
                    retries += 1;
                    internal += u32::from(outcome == Outcome::Status(500));
                    continue;
                }
            }
            let resp = sent.map_err(|e| {
                Error::authentication(
                    AuthReason::Unreachable,
                    format!(
                        "cannot reach the token host {auth_url}: {}",
                        Error::from_transport(&e).message()
                    ),
                )
            })?;
            let mut resp = resp;
            let status = resp.status().as_u16();
            if resp.status().is_redirection() {
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                let redirect = Error::redirect(status, location.as_deref());
                return Err(Error::authentication(
                    AuthReason::ServerError,
                    format!("token host {auth_url}: {}", redirect.message()),
                ));
            }
            let (body, complete) = read_prefix(&mut resp, TOKEN_BODY_LIMIT)
                .await
                .map_err(|e| {
                    Error::authentication(
                        AuthReason::Unreachable,
                        format!(
                            "the token host dropped the answer: {}",
                            Error::from_transport(&e).message()
                        ),
                    )
                })?;
            if !(200..300).contains(&status) {
                return Err(Error::authentication_response(status, &body));
            }
            if !complete {
                return Err(Error::authentication(
                    AuthReason::InvalidResponse,
                    format!("the token host's answer exceeds {TOKEN_BODY_LIMIT} bytes"),
                ));
            }
            let value = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("token")?.as_str().map(str::to_owned))
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    Error::authentication(
                        AuthReason::InvalidResponse,
                        format!("the token host answered HTTP {status} without a string `token`"),
                    )
                })?;
            let token = Arc::new(Token::new(value, self.threshold)?);
            self.mints.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(expires_at = ?token.expires_at, "minted a token");
            self.store(token.clone());
            return Ok(token);
        }
    }

    /// Starts scheduled rotation once, on the configured runtime or the first call's.
    fn start_rotation(self: &Arc<Self>) {
        let Some((_, runtime)) = &self.rotation else {
            return;
        };
        if !self.has_credentials() || self.rotation_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let task = rotate(Arc::downgrade(self), self.stop.clone());
        match runtime {
            Some(handle) => drop(handle.spawn(task)),
            None => drop(tokio::spawn(task)),
        }
    }

    /// Stops background rotation.
    pub(crate) fn close(&self) {
        self.stop.notify_one();
    }
}

impl Drop for TokenManager {
    fn drop(&mut self) {
        self.stop.notify_one();
    }
}

/// Background rotation: mints at the configured interval, or when the cached
/// token enters its refresh window. Failures back off and never block calls.
async fn rotate(manager: Weak<TokenManager>, stop: Arc<Notify>) {
    let mut failures = 0u32;
    loop {
        let wait = {
            let Some(m) = manager.upgrade() else { return };
            if failures > 0 {
                Duration::from_secs(1 << failures.min(6))
            } else {
                let interval = m
                    .rotation
                    .as_ref()
                    .map_or(Duration::from_secs(3600), |r| r.0);
                match m.cached() {
                    // The first token is still being minted: look again shortly.
                    None => interval.min(Duration::from_secs(1)),
                    Some(t) => t.expires_at.map_or(interval, |exp| {
                        let due = exp.saturating_sub(t.refresh_within).saturating_sub(now());
                        interval.min(Duration::from_secs(due.max(1).unsigned_abs()))
                    }),
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.notified() => return,
        }
        let Some(m) = manager.upgrade() else { return };
        let _guard = m.minting.lock().await;
        // The refresh path, so that the shared token file gets the new token
        // (or a fresher one another process stored there is adopted).
        let current = m.cached().map(|t| t.header.clone());
        match m.renew(current.as_ref()).await {
            Ok(_) => failures = 0,
            Err(err) => {
                failures += 1;
                tracing::warn!(error = %err, "scheduled token rotation failed");
            }
        }
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn token_with(exp: &str) -> String {
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
        format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln")
    }

    #[test]
    fn no_expiry_the_server_sends_can_overflow() {
        let now = now();
        for exp in [
            "-9223372036854775808",
            "9223372036854775807",
            "0",
            "-1",
            "1e300",
            "-1e300",
            "18446744073709551615",
            "\"soon\"",
            "null",
        ] {
            for threshold in [
                Duration::ZERO,
                DEFAULT_THRESHOLD,
                Duration::from_secs(u64::MAX),
            ] {
                let t = Token::new(token_with(exp), threshold).unwrap();
                let _ = (t.is_fresh(now), t.is_expired(now));
                let _ = (t.is_fresh(i64::MIN), t.is_fresh(i64::MAX));
            }
        }
    }

    #[test]
    fn an_absurd_expiry_counts_as_expired() {
        let now = now();
        for exp in [
            "9223372036854775807",
            "1e300",
            &(now + 20 * 366 * 24 * 3600).to_string(),
        ] {
            let t = Token::new(token_with(exp), DEFAULT_THRESHOLD).unwrap();
            assert!(t.is_expired(now) && !t.is_fresh(now), "exp {exp}");
        }
        let t = Token::new(token_with(&(now + 3600).to_string()), DEFAULT_THRESHOLD).unwrap();
        assert!(t.is_fresh(now) && !t.is_expired(now));
        // An unreadable expiry is unknown, not expired: the 401 path refreshes it.
        let t = Token::new(token_with("\"soon\""), DEFAULT_THRESHOLD).unwrap();
        assert!(t.is_fresh(now) && !t.is_expired(now));
    }

    const DEFAULT_THRESHOLD: Duration = crate::DEFAULT_REFRESH_THRESHOLD;
}
