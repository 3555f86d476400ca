//! Native layer of the Python binding (`bsa_lms._native`).
//!
//! One class, `NativeClient`, around the Rust core client. Everything per
//! operation is generated Python (`bsa_lms/_generated.py`) that ends in
//! `call(operation, args)`: synchronous calls run on the calling thread with
//! the GIL released, asynchronous ones return an asyncio awaitable. Results
//! cross once, from the server's JSON text straight to Python objects; errors
//! become the classes of `bsa_lms.errors`; panics are caught and never reach
//! Python as such.

mod convert;
mod errors;
mod logging;
mod runtime;
mod sandbox;

use std::cell::RefCell;
use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{Either, select};
use progenitor_client::ClientInfo;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::value::RawValue;
use thread_local::ThreadLocal;

use crate::runtime::runtime;

/// How often a waiting synchronous call lets Python handle signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// A core client and the process id it was built in.
type PidClient = (u32, Arc<bsa_lms::Client>);

/// The core client of one Python `Client`/`AsyncClient` (and its `with_options` copies).
#[pyclass(frozen, module = "bsa_lms._native")]
struct NativeClient {
    /// Kept to rebuild the core in a child process after `os.fork()`.
    builder: bsa_lms::ClientBuilder,
    /// The core client and the pid it was built in.
    state: RwLock<PidClient>,
    /// Per calling thread: a copy of the core client with its own connection
    /// pool, for synchronous calls (see `runtime::block_on_here`), and its pid.
    per_thread: ThreadLocal<RefCell<Option<PidClient>>>,
    closed: AtomicBool,
    /// Resolved main API URL (safe to show).
    #[pyo3(get)]
    base_url: String,
    /// `"credentials"` or `"token"` (safe to show).
    #[pyo3(get)]
    auth_mode: &'static str,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (*, base_url=None, auth_url=None, email=None, password=None, token=None,
        timeout=None, connect_timeout=None, max_retries=None, headers=None, refresh_threshold=None,
        rotation_interval=None, token_cache=None, allow_insecure_http=false,
        replay_inferred_idempotency_keys=false, user_agent_suffix=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        base_url: Option<String>,
        auth_url: Option<String>,
        email: Option<String>,
        password: Option<String>,
        token: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        max_retries: Option<i64>,
        headers: Option<&Bound<'_, PyDict>>,
        refresh_threshold: Option<f64>,
        rotation_interval: Option<f64>,
        token_cache: Option<std::path::PathBuf>,
        allow_insecure_http: bool,
        replay_inferred_idempotency_keys: bool,
        user_agent_suffix: Option<String>,
    ) -> PyResult<Self> {
        logging::refresh(py);
        let settings = || -> Result<(bsa_lms::ClientBuilder, bool), bsa_lms::Error> {
            let mut b = bsa_lms::Client::builder()
                .allow_insecure_http(allow_insecure_http)
                .replay_inferred_idempotency_keys(replay_inferred_idempotency_keys);
            if let Some(url) = base_url {
                b = b.base_url(url);
            }
            if let Some(url) = auth_url {
                b = b.auth_url(url);
            }
            let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
            let email = email.or_else(|| env("BSA_LMS_EMAIL"));
            let has_email = email.is_some();
            match (email, password.or_else(|| env("BSA_LMS_PASSWORD"))) {
                (Some(email), Some(password)) => b = b.credentials(email, password),
                (Some(_), None) => return Err(missing("password", "an email")),
                (None, Some(_)) => return Err(missing("email", "a password")),
                (None, None) => {}
            }
            if let Some(token) = token {
                b = b.token(token);
            }
            if let Some(t) = seconds("timeout", timeout, false)? {
                b = b.timeout(t);
            }
            if let Some(t) = seconds("connect_timeout", connect_timeout, false)? {
                b = b.connect_timeout(t);
            }
            if let Some(t) = seconds("refresh_threshold", refresh_threshold, true)? {
                b = b.refresh_threshold(t);
            }
            if let Some(t) = seconds("rotation_interval", rotation_interval, false)? {
                b = b.rotation_interval(t);
            }
            if let Some(path) = token_cache {
                b = b.token_cache(path);
            }
            if let Some(max_retries) = retries(max_retries)? {
                b = b.retry(bsa_lms::RetryPolicy {
                    max_retries,
                    ..Default::default()
                });
            }
            for (name, value) in header_pairs("headers", headers)? {
                b = b.header(name, value);
            }
            if let Some(suffix) = user_agent_suffix {
                b = b.user_agent_suffix(suffix);
            }
            Ok((b, has_email))
        };
        let (builder, has_email) = settings().map_err(|e| errors::to_pyerr(py, &e))?;
        let client = build(&builder).map_err(|e| errors::to_pyerr(py, &e))?;
        Ok(Self {
            base_url: client.baseurl().to_owned(),
            // The core prefers credentials whenever an email resolved (build checked the rest).
            auth_mode: if has_email { "credentials" } else { "token" },
            builder,
            state: RwLock::new((std::process::id(), Arc::new(client))),
            per_thread: ThreadLocal::new(),
            closed: AtomicBool::new(false),
        })
    }

    /// Calls `operation` (snake_case operationId) with `args` (path and query
    /// parameters by snake_case name, the body as `body`), blocking without the GIL.
    #[pyo3(signature = (operation, args, timeout=None, max_retries=None, headers=None))]
    fn call(
        &self,
        py: Python<'_>,
        operation: String,
        args: &Bound<'_, PyDict>,
        timeout: Option<f64>,
        max_retries: Option<i64>,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        logging::refresh(py);
        let prepared = convert::args_from_py(args).and_then(|args| {
            let client = self.with_options(self.core_here()?, timeout, max_retries, headers)?;
            Ok((args, client))
        });
        let (args, client) = prepared.map_err(|e| errors::to_pyerr(py, &e))?;
        run_sync(py, async move { client.call_raw(&operation, args).await })
    }

    /// Like `call`, on the shared runtime: the result is queued in `completions`
    /// under `key` (see `Completions`); the returned `Pending` cancels the call.
    #[pyo3(signature = (operation, args, completions, key, timeout=None, max_retries=None, headers=None))]
    #[allow(clippy::too_many_arguments)]
    fn call_async(
        &self,
        py: Python<'_>,
        operation: String,
        args: &Bound<'_, PyDict>,
        completions: &Completions,
        key: u64,
        timeout: Option<f64>,
        max_retries: Option<i64>,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        logging::refresh(py);
        let prepared = convert::args_from_py(args).and_then(|args| {
            let client = self.with_options(self.core(), timeout, max_retries, headers)?;
            Ok((args, client))
        });
        let (args, client) = prepared.map_err(|e| errors::to_pyerr(py, &e))?;
        Ok(completions.spawn(key, async move { client.call_raw(&operation, args).await }))
    }

    /// A bearer token, minted or refreshed as needed.
    fn access_token(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        logging::refresh(py);
        let client = self.core();
        run_sync(py, async move { json_text(client.access_token().await) })
    }

    /// Like `access_token`, through `completions` (see `call_async`).
    fn access_token_async(&self, py: Python<'_>, completions: &Completions, key: u64) -> Pending {
        logging::refresh(py);
        let client = self.core();
        completions.spawn(key, async move { json_text(client.access_token().await) })
    }

    /// Tokens minted by this client in this process so far.
    fn token_mints(&self) -> u64 {
        self.core().token_mints()
    }

    /// Stops background token rotation; later calls raise `InvalidRequestError`.
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.core().close();
    }

    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl NativeClient {
    /// The core client of this process: rebuilt from the builder after a fork,
    /// because the parent's connection pool and token task belong to the
    /// parent's runtime.
    fn core(&self) -> Arc<bsa_lms::Client> {
        let pid = std::process::id();
        {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            if state.0 == pid {
                return state.1.clone();
            }
        }
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if state.0 != pid {
            // The settings were valid in the parent, so building cannot fail
            // unless the environment changed; keep the parent's client then.
            if let Ok(fresh) = build(&self.builder) {
                if self.closed.load(Ordering::Acquire) {
                    fresh.close();
                }
                // Leaked, not dropped: its pool belongs to the parent's runtime.
                std::mem::forget(std::mem::replace(&mut state.1, Arc::new(fresh)));
            }
            state.0 = pid;
        }
        state.1.clone()
    }

    /// The core client for a synchronous call on this thread: a copy with a
    /// pool of its own, since its connections belong to this thread's runtime.
    fn core_here(&self) -> Result<Arc<bsa_lms::Client>, bsa_lms::Error> {
        let core = self.core();
        let pid = std::process::id();
        let mut slot = self.per_thread.get_or_default().borrow_mut();
        match &*slot {
            Some((owner, client)) if *owner == pid => Ok(client.clone()),
            _ => {
                let client = Arc::new(core.with_own_pool()?);
                // After a fork the parent's copy is leaked, like its runtime.
                if let Some(stale) = slot.replace((pid, client.clone())) {
                    std::mem::forget(stale);
                }
                Ok(client)
            }
        }
    }

    /// `core` with this call's options applied.
    fn with_options(
        &self,
        core: Arc<bsa_lms::Client>,
        timeout: Option<f64>,
        max_retries: Option<i64>,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> Result<Arc<bsa_lms::Client>, bsa_lms::Error> {
        if timeout.is_none() && max_retries.is_none() && headers.is_none() {
            return Ok(core);
        }
        let mut parsed = Vec::new();
        for (name, value) in header_pairs("extra_headers", headers)? {
            let name = http::HeaderName::try_from(name.as_str()).map_err(|_| {
                bsa_lms::Error::invalid_request(
                    Some("extra_headers"),
                    format!("{name:?} is not a valid header name"),
                )
            })?;
            let value = http::HeaderValue::try_from(value.as_str()).map_err(|_| {
                bsa_lms::Error::invalid_request(
                    Some("extra_headers"),
                    format!("the value of {name} is not a valid header value"),
                )
            })?;
            parsed.push((name, value));
        }
        Ok(Arc::new(core.with_options(bsa_lms::CallOptions {
            timeout: seconds("timeout", timeout, false)?,
            // The client's own switches (keyed and inferred-key replays) carry over.
            retry: retries(max_retries)?.map(|max_retries| bsa_lms::RetryPolicy {
                max_retries,
                ..core.retry_policy().clone()
            }),
            headers: parsed,
        })))
    }
}

/// Builds the core client; background token rotation runs on the shared runtime.
fn build(builder: &bsa_lms::ClientBuilder) -> Result<bsa_lms::Client, bsa_lms::Error> {
    builder
        .clone()
        .background_runtime(runtime().handle().clone())
        .build()
}

/// Runs a core future to completion on the calling thread with the GIL
/// released, letting Python handle signals (Ctrl-C) while it waits.
fn run_sync<F>(py: Python<'_>, future: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = Result<Box<RawValue>, bsa_lms::Error>> + Send,
{
    let outcome = py.detach(move || {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            runtime::block_on_here(async move {
                let call = std::pin::pin!(future);
                let interrupted = std::pin::pin!(signal_raised());
                match select(call, interrupted).await {
                    Either::Left((result, _)) => Ok(result),
                    Either::Right((err, _)) => Err(err),
                }
            })
        }))
    });
    match outcome {
        Ok(Ok(result)) => Outcome::from(result).into_py(py).map(Bound::unbind),
        Ok(Err(signal)) => Err(signal),
        Err(panic) => Err(errors::panic_to_pyerr(py, &errors::panic_message(&*panic))),
    }
}

/// Resolves with the exception raised by a Python signal handler, if any.
/// Once the interpreter is finalizing (a call on a daemon thread at exit) it
/// stops checking, rather than attach to an interpreter that is going away.
async fn signal_raised() -> PyErr {
    loop {
        tokio::time::sleep(SIGNAL_CHECK).await;
        match Python::try_attach(|py| py.check_signals()) {
            Some(Err(err)) => return err,
            Some(Ok(())) => {}
            None => std::future::pending::<()>().await,
        }
    }
}

/// A token (or other text) as a JSON string, so that every result crosses the same way.
fn json_text(result: Result<String, bsa_lms::Error>) -> Result<Box<RawValue>, bsa_lms::Error> {
    result.and_then(|text| {
        serde_json::value::to_raw_value(&text)
            .map_err(|e| bsa_lms::Error::decode(None, e.to_string(), b""))
    })
}

/// What a call produced; converted (or raised) once the GIL is held.
enum Outcome {
    Value(Box<RawValue>),
    Error(bsa_lms::Error),
    Panic(String),
}

impl From<Result<Box<RawValue>, bsa_lms::Error>> for Outcome {
    fn from(result: Result<Box<RawValue>, bsa_lms::Error>) -> Self {
        match result {
            Ok(value) => Self::Value(value),
            Err(err) => Self::Error(err),
        }
    }
}

impl Outcome {
    /// The Python objects are built straight from the response's JSON text.
    fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        match self {
            Self::Value(value) => convert::json_to_py(py, value.get()),
            Self::Error(err) => Err(errors::to_pyerr(py, &err)),
            Self::Panic(message) => Err(errors::panic_to_pyerr(py, &message)),
        }
    }
}

/// The finished asynchronous calls of one asyncio event loop.
///
/// Worker threads queue each result and, when the queue was empty, write one
/// byte to a socket the loop watches (`loop.add_reader(fileno, ...)`); the
/// loop's callback then `take`s every queued result at once. So no worker
/// thread ever waits for the GIL, and a burst of completions costs the loop
/// one wake-up. (`pyo3_async_runtimes`, used before, took the GIL on a blocking
/// thread for every result: about twice the CPU per call at 256 in flight.)
#[pyclass(frozen, module = "bsa_lms._native")]
struct Completions {
    shared: Arc<Queue>,
}

struct Queue {
    done: Mutex<Vec<(u64, Outcome)>>,
    wake: UnixStream,
    watched: UnixStream,
}

impl Queue {
    fn push(&self, key: u64, outcome: Outcome) {
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        done.push((key, outcome));
        if done.len() == 1 {
            // A full socket already holds an unread wake-up, which is all that counts.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

impl Completions {
    /// Runs `future` on the shared runtime; its outcome is queued under `key`.
    fn spawn<F>(&self, key: u64, future: F) -> Pending
    where
        F: Future<Output = Result<Box<RawValue>, bsa_lms::Error>> + Send + 'static,
    {
        let queue = self.shared.clone();
        let task = runtime().spawn(async move {
            let outcome = match AssertUnwindSafe(future).catch_unwind().await {
                Ok(result) => Outcome::from(result),
                Err(panic) => Outcome::Panic(errors::panic_message(&*panic)),
            };
            queue.push(key, outcome);
        });
        Pending(task.abort_handle())
    }
}

#[pymethods]
impl Completions {
    #[new]
    fn new() -> PyResult<Self> {
        let (wake, watched) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        watched.set_nonblocking(true)?;
        Ok(Self {
            shared: Arc::new(Queue {
                done: Mutex::new(Vec::new()),
                wake,
                watched,
            }),
        })
    }

    /// The descriptor the event loop watches for readability.
    fn fileno(&self) -> i32 {
        self.shared.watched.as_raw_fd()
    }

    /// Every result queued so far, as `(key, ok, value or exception)`.
    fn take<'py>(&self, py: Python<'py>) -> Vec<(u64, bool, Bound<'py, PyAny>)> {
        // Wake-ups first: one written after this point comes with a result taken later.
        let mut buf = [0u8; 256];
        while matches!((&self.shared.watched).read(&mut buf), Ok(n) if n > 0) {}
        let done = std::mem::take(
            &mut *self
                .shared
                .done
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        done.into_iter()
            .map(|(key, outcome)| match outcome.into_py(py) {
                Ok(value) => (key, true, value),
                Err(err) => (key, false, err.into_value(py).into_bound(py).into_any()),
            })
            .collect()
    }
}

/// An asynchronous call in progress; `abort()` drops it (on task cancellation).
#[pyclass(frozen, module = "bsa_lms._native")]
struct Pending(tokio::task::AbortHandle);

#[pymethods]
impl Pending {
    fn abort(&self) {
        self.0.abort();
    }
}

/// A retry count from Python: out of 0..=100 is a bad argument, not an overflow.
fn retries(value: Option<i64>) -> Result<Option<u32>, bsa_lms::Error> {
    value
        .map(|n| {
            u32::try_from(n)
                .ok()
                .filter(|n| *n <= bsa_lms::MAX_RETRIES)
                .ok_or_else(|| {
                    bsa_lms::Error::invalid_request(
                        Some("max_retries"),
                        format!("must be from 0 to {}, got {n}", bsa_lms::MAX_RETRIES),
                    )
                })
        })
        .transpose()
}

/// Seconds as a duration; must be finite and positive (or zero where allowed).
fn seconds(
    field: &str,
    value: Option<f64>,
    zero_ok: bool,
) -> Result<Option<Duration>, bsa_lms::Error> {
    let Some(secs) = value else {
        return Ok(None);
    };
    let ok = secs.is_finite() && (secs > 0.0 || (zero_ok && secs == 0.0));
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if ok => Ok(Some(d)),
        _ => Err(bsa_lms::Error::invalid_request(
            Some(field),
            format!("must be a positive number of seconds, got {secs}"),
        )),
    }
}

fn header_pairs(
    field: &str,
    headers: Option<&Bound<'_, PyDict>>,
) -> Result<Vec<(String, String)>, bsa_lms::Error> {
    let Some(headers) = headers else {
        return Ok(Vec::new());
    };
    headers
        .iter()
        .map(|(k, v)| {
            k.extract::<String>()
                .and_then(|k| Ok((k, v.extract::<String>()?)))
                .map_err(|_| {
                    bsa_lms::Error::invalid_request(Some(field), "names and values must be str")
                })
        })
        .collect()
}

fn missing(field: &str, given: &str) -> bsa_lms::Error {
    bsa_lms::Error::invalid_request(
        Some(field),
        format!(
            "{given} was given without the {field} (argument or BSA_LMS_{})",
            field.to_uppercase()
        ),
    )
}

/// Raises a panic inside the sync call path, or the async one when given
/// `completions` (tests check that it surfaces as `LmsError`).
#[pyfunction]
#[pyo3(signature = (completions=None, key=0))]
fn _panic_probe(
    py: Python<'_>,
    completions: Option<&Completions>,
    key: u64,
) -> PyResult<Py<PyAny>> {
    let future = async {
        let fail = true;
        if fail {
            panic!("probe");
        }
        json_text(Ok(String::new()))
    };
    match completions {
        Some(completions) => Ok(completions
            .spawn(key, future)
            .into_pyobject(py)?
            .into_any()
            .unbind()),
        None => run_sync(py, future),
    }
}

/// Registered with `atexit`: lets background threads leave the interpreter
/// before it finalizes.
#[pyfunction]
fn _at_exit(py: Python<'_>) {
    py.detach(runtime::wait_for_background);
}

/// The core's paging rule: the page after `requested`, `None` after the last,
/// or the error of a server whose pages would never end.
#[pyfunction]
#[pyo3(signature = (requested, echoed, count, rows_per_page, total, records_before, fingerprint, previous_fingerprint))]
#[allow(clippy::too_many_arguments)]
fn next_page(
    py: Python<'_>,
    requested: u64,
    echoed: Option<i64>,
    count: usize,
    rows_per_page: Option<i64>,
    total: Option<i64>,
    records_before: u64,
    fingerprint: &str,
    previous_fingerprint: Option<&str>,
) -> PyResult<Option<u64>> {
    bsa_lms::next_page(&bsa_lms::PageInfo {
        requested,
        echoed,
        count,
        rows_per_page,
        total,
        records_before,
        fingerprint,
        previous_fingerprint,
    })
    .map_err(|e| errors::to_pyerr(py, &e))
}

/// Snake_case ids of every operation `call` accepts.
#[pyfunction]
fn operations() -> Vec<&'static str> {
    bsa_lms::operations().to_vec()
}

#[pymodule]
mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::{
        _at_exit, _panic_probe, Completions, NativeClient, Pending, next_page, operations,
    };
    #[pymodule_export]
    use crate::sandbox::NativeSandbox;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        super::logging::install(m.py())
    }
}
