//! `bsa-lms-sandbox`: a faithful, in-memory, offline simulator of the BSA LMS partner API.
//!
//! One origin serves both the token host (`GET /v1/auth/token`) and the main API (`/v1/...`),
//! plus a test surface under `/_sandbox` (see the crate README for every route and fault kind).
//!
//! # Testing your integration
//!
//! Add the crate as a dev-dependency and start one sandbox per test (it binds a free loopback
//! port; dropping it stops it). Aim the SDK at [`Sandbox::url`] with the seed account
//! [`SEED_EMAIL`] / [`SEED_PASSWORD`], and drive the admin surface with [`Sandbox::reset`],
//! [`Sandbox::fault`], [`Sandbox::stats`] or any route through [`Sandbox::admin`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use bsa_lms_sandbox::{Config, Sandbox, SEED_EMAIL, SEED_PASSWORD};
//! use serde_json::json;
//!
//! let sandbox = Sandbox::start(Config::default()).await?;
//! // The SDK client of the code under test:
//! //   bsa_lms::Client::builder().base_url(sandbox.url()).auth_url(sandbox.url())
//! //       .credentials(SEED_EMAIL, SEED_PASSWORD).build()?
//! # let _ = (SEED_EMAIL, SEED_PASSWORD);
//! sandbox
//!     .fault(json!({"path": "/v1/loans/external/*/repayments", "kind": "status", "status": 503}))
//!     .await?;
//! // ... exercise the code under test with `client`, then:
//! assert_eq!(sandbox.stats().await?["repayments"], 0);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Synchronous tests (or hosts without a tokio runtime) use [`SandboxThread`], which serves
//! from a thread of its own. Over HTTP, every `/_sandbox` request carries
//! [`Sandbox::admin_token`] in the [`ADMIN_TOKEN_HEADER`] header; the server binds loopback
//! unless [`Config::allow_remote`] is set.

mod admin;
mod auth;
mod config;
mod credit;
mod dates;
mod error;
mod faults;
mod gate;
mod ledger;
mod model;
mod money;
mod multipart;
mod pagination;
mod request;
mod routes;
mod schedule;
mod server;
mod state;
mod thread;

pub use admin::ADMIN_TOKEN_HEADER;
pub use auth::{SEED_EMAIL, SEED_PASSWORD};
pub use config::{Config, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_TOKEN_LIFETIME_SECS};
pub use server::{AdminError, Sandbox};
pub use thread::SandboxThread;
