//! Client construction: arguments first, then `BSA_LMS_*` environment
//! variables, then the documented staging hosts.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::Client;
use crate::auth::{Auth, TokenManager};
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::token_cache::TokenCache;
use crate::transport::{CallOptions, Core, Shared};

/// Main API host used when neither an argument nor `BSA_LMS_BASE_URL` names one.
pub const DEFAULT_BASE_URL: &str = "https://api-staging.bsa.ai";
/// Token host used when neither an argument nor `BSA_LMS_AUTH_URL` names one.
pub const DEFAULT_AUTH_URL: &str = "https://auth-api.bsa.ai";
/// Refresh a token once it has less than this left (the documented 7 days).
pub const DEFAULT_REFRESH_THRESHOLD: Duration = Duration::from_secs(7 * 24 * 3600);
/// Default total time for one attempt of a request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest accepted retry count (every language refuses more).
pub const MAX_RETRIES: u32 = 100;
/// Shortest accepted background rotation interval: each rotation mints a
/// token, and a tighter loop would only load the token host.
pub const MIN_ROTATION_INTERVAL: Duration = Duration::from_secs(60);
/// Default time to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A string that never shows in `Debug` output, logs or errors, and whose
/// memory is overwritten with zeros when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(zeroize::Zeroizing::new(value.into()))
    }
    /// The secret itself; use only to put it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Builds a [`Client`]. Unset values come from the environment, then defaults.
#[derive(Clone, Debug, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    auth_url: Option<String>,
    email: Option<String>,
    password: Option<Secret>,
    token: Option<Secret>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    replay_inferred_idempotency_keys: Option<bool>,
    headers: Vec<(String, String)>,
    refresh_threshold: Option<Duration>,
    rotation: Option<Duration>,
    allow_insecure_http: bool,
    user_agent_suffix: Option<String>,
    ignore_env: bool,
    background: Option<tokio::runtime::Handle>,
    token_cache: Option<PathBuf>,
}

impl ClientBuilder {
    /// Main API base URL (no path; a trailing `/` is ignored).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// Token host base URL.
    pub fn auth_url(mut self, url: impl Into<String>) -> Self {
        self.auth_url = Some(url.into());
        self
    }
    /// Partner account: tokens are minted, cached and refreshed automatically.
    pub fn credentials(mut self, email: impl Into<String>, password: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self.password = Some(Secret::new(password));
        self
    }
    /// The account's email alone; the password comes from [`ClientBuilder::password`]
    /// or `BSA_LMS_PASSWORD`.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
    /// The account's password alone; the email comes from [`ClientBuilder::email`]
    /// or `BSA_LMS_EMAIL`.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Secret::new(password));
        self
    }
    /// A ready token. Without credentials it is used as given and a 401 is final.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }
    /// Total time for one attempt of a request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Time to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// Retry policy for transient failures.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
    /// Replay a POST after an ambiguous failure also when the API is only
    /// inferred, not documented, to deduplicate its `idempotencyKey` (default
    /// false); sets [`RetryPolicy::replay_inferred_idempotency_keys`].
    pub fn replay_inferred_idempotency_keys(mut self, replay: bool) -> Self {
        self.replay_inferred_idempotency_keys = Some(replay);
        self
    }
    /// A header sent with every API request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Refresh tokens with less than this left (default 7 days).
    pub fn refresh_threshold(mut self, threshold: Duration) -> Self {
        self.refresh_threshold = Some(threshold);
        self
    }
    /// Mint a fresh token in the background at least this often (off by default;
    /// at least [`MIN_ROTATION_INTERVAL`]). A token nearing its refresh
    /// threshold is renewed sooner. Rotation shares tokens through the token
    /// file like any refresh.
    pub fn rotation_interval(mut self, interval: Duration) -> Self {
        self.rotation = Some(interval);
        self
    }
    /// Allow plain `http://` to hosts other than loopback (never do this in production).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }
    /// Appended to the user agent, e.g. `python/3.11` (used by the bindings).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }
    /// Do not read `BSA_LMS_*` environment variables.
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    fn env(&self, name: &str) -> Option<String> {
        if self.ignore_env {
            return None;
        }
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }

    /// A file through which the processes of one machine share tokens
    /// (`BSA_LMS_TOKEN_CACHE`): before minting, a client uses a fresh token
    /// another process stored there, and it stores what it mints. Created
    /// readable by the owner only; used with credentials, ignored otherwise.
    pub fn token_cache(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_cache = Some(path.into());
        self
    }

    /// Runtime that runs background work (scheduled token rotation). Default:
    /// the runtime of the first call, which suits a program with one runtime.
    pub fn background_runtime(mut self, handle: tokio::runtime::Handle) -> Self {
        self.background = Some(handle);
        self
    }

    /// Validates the settings and builds the client. Needs no async runtime.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self
            .base_url
            .clone()
            .or_else(|| self.env("BSA_LMS_BASE_URL"));
        let base_url = normalize_url(
            "base_url",
            base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_insecure_http,
        )?;
        let auth_url = self
            .auth_url
            .clone()
            .or_else(|| self.env("BSA_LMS_AUTH_URL"));
        let auth_url = normalize_url(
            "auth_url",
            auth_url.as_deref().unwrap_or(DEFAULT_AUTH_URL),
            self.allow_insecure_http,
        )?;
        let email = self.email.clone().or_else(|| self.env("BSA_LMS_EMAIL"));
        let password = self
            .password
            .clone()
            .or_else(|| self.env("BSA_LMS_PASSWORD").map(Secret::new));
        let token = self
            .token
            .clone()
            .or_else(|| self.env("BSA_LMS_TOKEN").map(Secret::new));
        let auth = match (email, password) {
            (Some(email), Some(password)) => {
                if email.trim().is_empty() {
                    return Err(Error::invalid_request(Some("email"), "must not be empty"));
                }
                let cache = self
                    .token_cache
                    .clone()
                    .or_else(|| self.env("BSA_LMS_TOKEN_CACHE").map(PathBuf::from))
                    .map(|path| TokenCache::new(path, &email, &auth_url));
                Auth::Credentials {
                    email,
                    password,
                    auth_url: auth_url.clone(),
                    cache,
                }
            }
            (Some(_), None) => {
                return Err(Error::invalid_request(
                    Some("password"),
                    "an email was given without a password (BSA_LMS_PASSWORD)",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid_request(
                    Some("email"),
                    "a password was given without an email (BSA_LMS_EMAIL)",
                ));
            }
            (None, None) if token.is_some() => Auth::Static,
            (None, None) => {
                return Err(Error::invalid_request(
                    None,
                    "no credentials: pass an email and password (or BSA_LMS_EMAIL and BSA_LMS_PASSWORD), or a token (BSA_LMS_TOKEN)",
                ));
            }
        };

        let mut user_agent = format!("bsa-lms/{} rust", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = &self.user_agent_suffix {
            user_agent = format!("{user_agent} {suffix}");
        }
        let mut default_headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::try_from(name.as_str()).map_err(|_| {
                Error::invalid_request(
                    Some("headers"),
                    format!("{name:?} is not a valid header name"),
                )
            })?;
            let mut value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                Error::invalid_request(
                    Some("headers"),
                    format!("the value of {name} is not a valid header value"),
                )
            })?;
            // Custom headers often carry keys: never show them in Debug output.
            value.set_sensitive(true);
            default_headers.insert(name, value);
        }
        if let Some(interval) = self.rotation
            && interval < MIN_ROTATION_INTERVAL
        {
            return Err(Error::invalid_request(
                Some("rotation_interval"),
                format!(
                    "must be at least {} seconds, got {:?}",
                    MIN_ROTATION_INTERVAL.as_secs(),
                    interval
                ),
            ));
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::invalid_request(
                Some("timeout"),
                "must be greater than zero",
            ));
        }
        let http_settings = HttpSettings {
            user_agent,
            default_headers,
            timeout,
            connect_timeout,
        };
        let http = http_settings.client(true, &base_url)?;
        let mut retry = self.retry.clone().unwrap_or_default();
        if retry.max_retries > MAX_RETRIES {
            return Err(Error::invalid_request(
                Some("max_retries"),
                format!("must be from 0 to {MAX_RETRIES}, got {}", retry.max_retries),
            ));
        }
        if let Some(replay) = self.replay_inferred_idempotency_keys {
            retry.replay_inferred_idempotency_keys = replay;
        }
        let tokens = TokenManager::new(
            auth,
            token.map(|t| t.expose().to_owned()),
            // Mints may run on any runtime a caller uses: an idle pooled connection
            // would belong to (and stall without) the runtime that opened it.
            http_settings.client(false, &auth_url)?,
            self.refresh_threshold.unwrap_or(DEFAULT_REFRESH_THRESHOLD),
            retry.clone(),
            self.rotation
                .map(|interval| (interval, self.background.clone())),
        )?;
        let core = Core::new(Arc::new(tokens), retry, http_settings);
        Ok(Client::new_with_client(
            &base_url,
            http,
            Shared::new(Arc::new(core), CallOptions::default()),
        ))
    }
}

/// What every HTTP client of one [`Client`] is built from.
#[derive(Debug)]
pub(crate) struct HttpSettings {
    user_agent: String,
    default_headers: HeaderMap,
    timeout: Duration,
    connect_timeout: Duration,
}

impl HttpSettings {
    /// An HTTP client for the host of `url`; `pooled` keeps idle connections for reuse.
    pub(crate) fn client(&self, pooled: bool, url: &str) -> Result<reqwest::Client, Error> {
        // The API never redirects: a 3xx is reported, never followed, so no
        // request (token, body) is ever sent anywhere but the configured host.
        let mut builder = reqwest::Client::builder()
            .user_agent(self.user_agent.as_str())
            .default_headers(self.default_headers.clone())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60));
        if !pooled {
            builder = builder.pool_max_idle_per_host(0);
        }
        // A proxy from the environment (HTTP_PROXY, ALL_PROXY) must not see
        // loopback traffic: the local sandbox, or a local gateway holding the token.
        if reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(is_loopback))
            .unwrap_or(false)
        {
            builder = builder.no_proxy();
        }
        builder
            .build()
            .map_err(|e| Error::invalid_request(None, format!("cannot build the HTTP client: {e}")))
    }
}

/// Checks scheme and host, and strips the trailing `/`.
fn normalize_url(field: &str, raw: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| Error::invalid_request(Some(field), format!("{raw:?} is not a URL: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::invalid_request(Some(field), format!("{raw:?} has no host")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(host) => {}
        "http" => {
            return Err(Error::invalid_request(
                Some(field),
                format!(
                    "plain http is only allowed to loopback hosts, not {host:?} (use https, or allow_insecure_http)"
                ),
            ));
        }
        other => {
            return Err(Error::invalid_request(
                Some(field),
                format!("unsupported scheme {other:?}"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_request(
            Some(field),
            "must not carry a user name or password (credentials go in email and password)",
        ));
    }
    if url.fragment().is_some() {
        return Err(Error::invalid_request(
            Some(field),
            "must not carry a #fragment",
        ));
    }
    if url.path() != "/" || url.query().is_some() {
        return Err(Error::invalid_request(
            Some(field),
            format!("{raw:?} must not carry a path or query (paths start with /v1/)"),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn urls_are_normalized_and_checked() {
        assert_eq!(
            normalize_url("base_url", "https://api.example.com/", false).unwrap(),
            "https://api.example.com"
        );
        assert_eq!(
            normalize_url("base_url", "http://127.0.0.1:8080", false).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize_url("base_url", "http://[::1]:80/", false).unwrap(),
            "http://[::1]"
        );
        assert!(normalize_url("base_url", "http://localhost:1", false).is_ok());
        let err = normalize_url("base_url", "http://api.example.com", false).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "base_url");
        assert!(normalize_url("base_url", "http://api.example.com", true).is_ok());
        assert!(normalize_url("auth_url", "https://h/v1", false).is_err());
        assert!(normalize_url("auth_url", "ftp://h", false).is_err());
        assert!(normalize_url("auth_url", "not a url", false).is_err());
    }

    #[test]
    fn missing_credentials_name_the_field() {
        let err = Client::builder().ignore_env().build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        let err = Client::builder()
            .ignore_env()
            .credentials("a@b.c", "")
            .base_url("https://x")
            .build();
        assert!(err.is_ok(), "an empty password is the server's to reject");
        let builder = ClientBuilder {
            email: Some("a@b.c".into()),
            ignore_env: true,
            ..Default::default()
        };
        assert_eq!(
            builder.build().unwrap_err().field_errors()[0].field,
            "password"
        );
    }

    #[test]
    fn retry_counts_are_bounded_and_a_zero_refresh_threshold_is_valid() {
        let base = || {
            Client::builder()
                .ignore_env()
                .token("t")
                .base_url("https://api.example.com")
        };
        let retries = |max_retries| RetryPolicy {
            max_retries,
            ..Default::default()
        };
        let err = base().retry(retries(MAX_RETRIES + 1)).build().unwrap_err();
        assert_eq!(err.field_errors()[0].field, "max_retries");
        assert!(base().retry(retries(MAX_RETRIES)).build().is_ok());
        assert!(base().refresh_threshold(Duration::ZERO).build().is_ok());
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let builder = Client::builder()
            .ignore_env()
            .credentials("ada@example.com", "hunter2-secret")
            .token("tok-secret-value");
        let text = format!("{builder:?}");
        assert!(
            !text.contains("hunter2-secret") && !text.contains("tok-secret-value"),
            "{text}"
        );
        let client = builder.base_url("http://127.0.0.1:9").build().unwrap();
        let text = format!("{client:?}");
        assert!(
            !text.contains("hunter2-secret") && !text.contains("tok-secret-value"),
            "{text}"
        );
    }
}
