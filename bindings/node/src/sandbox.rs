//! `NativeSandbox`: the in-process sandbox behind `bsa-lms/testing`. It serves from a thread
//! and runtime of its own (not napi's), and that thread never keeps the event loop alive.

use std::sync::{Mutex, PoisonError};

use bsa_lms_sandbox::{Config, SandboxThread};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Startup settings of a testing sandbox.
#[napi(object)]
pub struct NativeSandboxOptions {
    /// TCP port on 127.0.0.1; 0 (the default) picks a free one.
    pub port: Option<u32>,
    /// Lifetime of minted tokens in seconds (default 365 days).
    pub token_lifetime_seconds: Option<f64>,
    /// The business date, `YYYY-MM-DD` (default: the current UTC date).
    pub today: Option<String>,
}

/// A sandbox serving on loopback from this process.
#[napi]
pub struct NativeSandbox {
    url: String,
    admin_token: String,
    running: Mutex<Option<SandboxThread>>,
}

#[napi]
impl NativeSandbox {
    #[napi(factory)]
    pub fn start(options: Option<NativeSandboxOptions>) -> Result<Self> {
        let mut config = Config::default();
        if let Some(o) = options {
            if let Some(port) = o.port {
                config.port = u16::try_from(port).map_err(|_| {
                    Error::new(Status::InvalidArg, format!("port {port} is out of range"))
                })?;
            }
            if let Some(seconds) = o.token_lifetime_seconds {
                if !(seconds.is_finite() && seconds >= 0.0) {
                    return Err(Error::new(
                        Status::InvalidArg,
                        format!("tokenLifetimeSeconds {seconds} must be a non-negative number"),
                    ));
                }
                config.token_lifetime_secs = seconds as u64;
            }
            if let Some(text) = o.today {
                let date = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|e| Error::new(Status::InvalidArg, format!("today {text:?}: {e}")))?;
                config.today = Some(date);
            }
        }
        let sandbox = SandboxThread::start(config).map_err(|e| {
            Error::new(
                Status::GenericFailure,
                format!("the sandbox cannot start: {e}"),
            )
        })?;
        Ok(NativeSandbox {
            url: sandbox.url().to_owned(),
            admin_token: sandbox.admin_token().to_owned(),
            running: Mutex::new(Some(sandbox)),
        })
    }

    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    #[napi(getter)]
    pub fn admin_token(&self) -> String {
        self.admin_token.clone()
    }

    /// Stops serving and joins the sandbox thread (a no-op the second time).
    #[napi]
    pub fn stop(&self) {
        let sandbox = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(sandbox) = sandbox {
            sandbox.stop();
        }
    }
}
