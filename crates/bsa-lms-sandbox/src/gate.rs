//! The middleware in front of every `/v1` route: request counting, fault injection, then the
//! bearer-token check (for everything but the token endpoint itself).

use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth;
use crate::error::ApiError;
use crate::faults::{self, FaultKind};
use crate::server::ConnectionKill;
use crate::state::App;

/// Route template of the token endpoint, which authenticates with Basic credentials instead.
pub const TOKEN_ROUTE: &str = "/v1/auth/token";

pub async fn gate(
    State(app): State<App>,
    matched: MatchedPath,
    req: Request,
    next: Next,
) -> Response {
    let route = matched.as_str().to_owned();
    let fault = {
        let mut store = app.store();
        *store
            .stats
            .requests
            .entry(format!("{} {route}", req.method()))
            .or_default() += 1;
        store.faults.take(req.method(), req.uri().path())
    };
    let Some(fault) = fault else {
        return guarded(&app, &route, req, next).await;
    };
    let kill = req.extensions().get::<ConnectionKill>().cloned();
    match fault.kind {
        FaultKind::Status => faults::status_response(&fault),
        FaultKind::StatusAfter => {
            let _committed = guarded(&app, &route, req, next).await;
            faults::status_response(&fault)
        }
        FaultKind::Html => faults::html_response(&fault),
        FaultKind::Empty => faults::empty_response(&fault),
        FaultKind::Delay => {
            // Its own task, so that a client giving up (closing the connection)
            // does not cancel the handler: like a real server, the write still lands.
            let late = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
                guarded(&app, &route, req, next).await
            });
            late.await.unwrap_or_else(|_| {
                ApiError::internal("the delayed handler failed").into_response()
            })
        }
        FaultKind::Malformed => {
            let _committed = guarded(&app, &route, req, next).await;
            faults::malformed_response()
        }
        FaultKind::Truncated => faults::truncate(guarded(&app, &route, req, next).await).await,
        FaultKind::DropBefore => drop_connection(kill).await,
        FaultKind::DropAfter => {
            let _committed = guarded(&app, &route, req, next).await;
            drop_connection(kill).await
        }
    }
}

/// Runs the handler behind the token check.
async fn guarded(app: &App, route: &str, req: Request, next: Next) -> Response {
    if route != TOKEN_ROUTE
        && let Err(e) = auth::authorize(app, req.headers())
    {
        return e.into_response();
    }
    next.run(req).await
}

/// Asks the connection task to drop the socket, then never answers: the response future is
/// dropped together with the connection, so not a byte of a response goes out.
async fn drop_connection(kill: Option<ConnectionKill>) -> Response {
    match kill {
        Some(kill) => {
            kill.fire();
            std::future::pending().await
        }
        None => ApiError::internal("connection drop requested outside the sandbox server")
            .into_response(),
    }
}
