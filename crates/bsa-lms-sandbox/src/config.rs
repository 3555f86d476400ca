//! Startup configuration of a sandbox instance.

use chrono::NaiveDate;

/// Token lifetime of the real service: 365 days (REFERENCE §2.3).
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 31_536_000;

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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".to_owned(),
            port: 0,
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME_SECS,
            today: None,
        }
    }
}
