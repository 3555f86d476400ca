//! `NativeSandbox`: the in-process sandbox behind `bsa_lms.testing.Sandbox`. It serves from a
//! thread and runtime of its own (not the SDK's), so a test that blocks on a synchronous call
//! can never starve it.

use std::sync::{Mutex, PoisonError};

use bsa_lms_sandbox::{Config, SandboxThread};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

#[pyclass(frozen, module = "bsa_lms._native")]
pub struct NativeSandbox {
    #[pyo3(get)]
    url: String,
    #[pyo3(get)]
    admin_token: String,
    running: Mutex<Option<SandboxThread>>,
}

#[pymethods]
impl NativeSandbox {
    /// Starts a sandbox on loopback (`port` 0 picks a free one).
    #[new]
    #[pyo3(signature = (*, port=0, token_lifetime=None, today=None))]
    fn new(
        py: Python<'_>,
        port: u16,
        token_lifetime: Option<u64>,
        today: Option<String>,
    ) -> PyResult<Self> {
        let mut config = Config {
            port,
            ..Config::default()
        };
        if let Some(seconds) = token_lifetime {
            config.token_lifetime_secs = seconds;
        }
        if let Some(text) = today {
            let date = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|e| PyValueError::new_err(format!("today {text:?}: {e}")))?;
            config.today = Some(date);
        }
        let sandbox = py
            .detach(|| SandboxThread::start(config))
            .map_err(|e| PyOSError::new_err(format!("the sandbox cannot start: {e}")))?;
        Ok(NativeSandbox {
            url: sandbox.url().to_owned(),
            admin_token: sandbox.admin_token().to_owned(),
            running: Mutex::new(Some(sandbox)),
        })
    }

    /// Stops serving and joins the sandbox thread (a no-op the second time).
    fn stop(&self, py: Python<'_>) {
        let sandbox = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(sandbox) = sandbox {
            py.detach(|| sandbox.stop());
        }
    }
}
