//! Serving connections: one hyper HTTP/1 connection per accepted socket, each raced against a
//! kill signal (for the connection-drop faults) and the server's shutdown signal.

use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower_service::Service;

use crate::config::Config;
use crate::routes;
use crate::state::App;

/// How long shutdown waits for in-flight requests before cutting connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Handed to each request so middleware can close the connection it arrived on.
#[derive(Clone)]
pub struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    pub fn fire(&self) {
        // `notify_one` keeps a permit when nobody is waiting yet, so the signal is never lost.
        self.0.notify_one();
    }
}

/// A running sandbox server, serving on the current tokio runtime.
///
/// For a server on a thread and runtime of its own (from synchronous code), see
/// [`SandboxThread`](crate::SandboxThread).
pub struct Sandbox {
    addr: SocketAddr,
    admin_token: String,
    /// The same routes the server serves, for admin calls without a socket.
    router: Router,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `config.host:config.port` and starts serving in the background.
    ///
    /// Fails with [`io::ErrorKind::PermissionDenied`] when the address is not loopback and
    /// `config.allow_remote` is not set.
    pub async fn start(config: Config) -> io::Result<Sandbox> {
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() && !config.allow_remote {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is not a loopback address: binding it exposes the admin surface and \
                     the seed credentials to the network (allow it explicitly to proceed)",
                    addr.ip()
                ),
            ));
        }
        let header_read_timeout = config.header_read_timeout;
        let app = App::new(config)?;
        let admin_token = app.shared().admin_token.clone();
        let router = routes::router(app);
        let (shutdown, signal) = watch::channel(false);
        let task = tokio::spawn(accept_loop(
            listener,
            router.clone(),
            signal,
            header_read_timeout,
        ));
        Ok(Sandbox {
            addr,
            admin_token,
            router,
            shutdown,
            task: Some(task),
        })
    }

    /// The secret every `/_sandbox` request must send in the
    /// [`ADMIN_TOKEN_HEADER`](crate::ADMIN_TOKEN_HEADER) header.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Base URL of both the auth host and the API host, without a trailing slash.
    pub fn url(&self) -> String {
        // A wildcard bind is reachable on loopback; that is the address to hand out.
        let ip = match self.addr.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// Calls an admin route in-process (no socket): `route` is relative to `/_sandbox/`
    /// (`"reset"`, `"faults"`, `"loans/1/charges"`, ...), `body` its JSON. Returns the JSON
    /// answer, or the status and text of a refusal. The routes and fault kinds are those of the
    /// crate README; [`reset`](Self::reset), [`fault`](Self::fault) and [`stats`](Self::stats)
    /// are shorthands.
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use bsa_lms_sandbox::{Config, Sandbox};
    /// use serde_json::json;
    ///
    /// let sandbox = Sandbox::start(Config::default()).await?;
    /// sandbox
    ///     .fault(json!({"path": "/v1/loans/*/repayments", "kind": "status", "status": 503}))
    ///     .await?;
    /// sandbox.admin(http::Method::POST, "unauthorized", Some(json!({"count": 1}))).await?;
    /// assert_eq!(sandbox.stats().await?["repayments"], 0);
    /// # Ok(()) }
    /// ```
    pub async fn admin(
        &self,
        method: http::Method,
        route: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, AdminError> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("/_sandbox/{route}"))
            .header(crate::ADMIN_TOKEN_HEADER, &self.admin_token);
        let body = match body {
            Some(json) => {
                request = request.header(http::header::CONTENT_TYPE, "application/json");
                axum::body::Body::from(json.to_string())
            }
            None => axum::body::Body::empty(),
        };
        let request = request.body(body).map_err(|e| AdminError {
            status: 0,
            text: e.to_string(),
        })?;
        let response = match self.router.clone().call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| AdminError {
                status: status.as_u16(),
                text: e.to_string(),
            })?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if !status.is_success() {
            return Err(AdminError {
                status: status.as_u16(),
                text,
            });
        }
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// Back to the seed state (`POST /_sandbox/reset`).
    pub async fn reset(&self) -> Result<(), AdminError> {
        self.admin(http::Method::POST, "reset", None)
            .await
            .map(drop)
    }

    /// Queues a fault (`POST /_sandbox/faults`): `{"path", "kind", "method"?, "count"?,
    /// "status"?, "retryAfter"?, "delayMs"?}`; returns its id.
    pub async fn fault(&self, spec: serde_json::Value) -> Result<String, AdminError> {
        let answer = self.admin(http::Method::POST, "faults", Some(spec)).await?;
        Ok(answer["id"].as_str().unwrap_or_default().to_owned())
    }

    /// The counters of `GET /_sandbox/stats` (`tokenMints`, `requests`, `customers`, `loans`,
    /// `transactions`, `repayments`).
    pub async fn stats(&self) -> Result<serde_json::Value, AdminError> {
        self.admin(http::Method::GET, "stats", None).await
    }

    /// Stops accepting, lets in-flight requests finish (bounded), and closes every connection.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// An admin call the sandbox refused: its HTTP status and body (the error envelope).
#[derive(Debug, Clone)]
pub struct AdminError {
    pub status: u16,
    pub text: String,
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sandbox admin call failed with {}: {}",
            self.status, self.text
        )
    }
}

impl std::error::Error for AdminError {}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Dropped without `shutdown()`: still stop the background server.
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    header_read_timeout: Duration,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(
                        stream,
                        router.clone(),
                        shutdown.clone(),
                        header_read_timeout,
                    ));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        connections.abort_all();
    }
}

async fn serve_connection(
    stream: TcpStream,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    header_read_timeout: Duration,
) {
    let _ = stream.set_nodelay(true);
    let kill = ConnectionKill(Arc::new(Notify::new()));
    let service_kill = kill.clone();
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(service_kill.clone());
        let mut router = router.clone();
        async move { Ok::<_, Infallible>(router.call(req).await.unwrap_or_else(|e| match e {})) }
    });
    // Without a timer hyper enforces no header deadline, and a client that never finishes
    // its headers would hold a connection (and a task) for ever.
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut draining = *shutdown.borrow();
    if draining {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            // Checked first: once a fault fires, the connection must die before the pending
            // response could ever be written.
            biased;
            _ = kill.0.notified() => return,
            _ = connection.as_mut() => return,
            _ = shutdown.changed(), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
