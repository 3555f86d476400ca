//! A sandbox on a thread and tokio runtime of its own, for hosts without a runtime of their own
//! at hand: synchronous Rust tests, and the Python and Node testing kits.

use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::config::Config;
use crate::server::Sandbox;

/// A sandbox serving from a dedicated thread (one current-thread tokio runtime), so it keeps
/// answering while the caller blocks, and needs no runtime from the caller.
///
/// ```
/// let sandbox = bsa_lms_sandbox::SandboxThread::start(bsa_lms_sandbox::Config::default())?;
/// assert!(sandbox.url().starts_with("http://127.0.0.1:"));
/// sandbox.stop(); // dropping it also stops it
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SandboxThread {
    url: String,
    admin_token: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SandboxThread {
    /// Starts the server and returns once it accepts connections (or failed to bind).
    pub fn start(config: Config) -> io::Result<SandboxThread> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bsa-lms-sandbox".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let sandbox = match Sandbox::start(config).await {
                        Ok(sandbox) => sandbox,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok((sandbox.url(), sandbox.admin_token().to_owned())));
                    // Also resolves when the handle is dropped without `stop()`.
                    let _ = stop_rx.await;
                    sandbox.shutdown().await;
                });
            })?;
        match ready_rx.recv() {
            Ok(Ok((url, admin_token))) => Ok(SandboxThread {
                url,
                admin_token,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(io::Error::other("the sandbox thread ended before serving")),
        }
    }

    /// Base URL of both the auth host and the API host, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The secret every `/_sandbox` request must send in the
    /// [`ADMIN_TOKEN_HEADER`](crate::ADMIN_TOKEN_HEADER) header.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Stops the server (in-flight requests get a bounded grace period) and joins its thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SandboxThread {
    fn drop(&mut self) {
        self.halt();
    }
}
