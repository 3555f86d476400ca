//! Startup configuration of a sandbox instance.

use std::time::Duration;

use chrono::NaiveDate;

/// Token lifetime of the real service: 365 days.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 31_536_000;

/// How long a client may take to send a request's headers (or, on a kept-alive connection, to
/// start the next request) before its connection is closed.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How a sandbox starts. Build it with struct-update syntax over [`Config::default`]:
///
/// ```
/// let config = bsa_lms_sandbox::Config {
///     today: chrono::NaiveDate::from_ymd_opt(2026, 5, 25),
///     ..Default::default()
/// };
/// assert_eq!(config.host, "127.0.0.1");
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// Interface to bind, `127.0.0.1` by default.
    pub host: String,
    /// TCP port; `0` picks a free one.
    pub port: u16,
    /// Lifetime of minted tokens (`exp - iat`).
    pub token_lifetime_secs: u64,
    /// The business date; `None` follows the current UTC date.
    pub today: Option<NaiveDate>,
    /// Binding an address that is not loopback is refused unless this is set: the admin surface
    /// can rewrite any state, and the seed credentials are public.
    pub allow_remote: bool,
    /// The secret every `/_sandbox` request must carry in [`ADMIN_TOKEN_HEADER`]; `None` draws
    /// a random one for this instance (read it back with `Sandbox::admin_token`).
    ///
    /// [`ADMIN_TOKEN_HEADER`]: crate::ADMIN_TOKEN_HEADER
    pub admin_token: Option<String>,
    /// See [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".to_owned(),
            port: 0,
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME_SECS,
            today: None,
            allow_remote: false,
            admin_token: None,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        }
    }
}
