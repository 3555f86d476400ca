//! `bsa-lms-sandbox`: a faithful, in-memory, offline simulator of the BSA LMS partner API.
//!
//! One origin serves both the token host (`GET /v1/auth/token`) and the main API (`/v1/...`),
//! plus a test surface under `/_sandbox` (see the crate README for its contract).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = bsa_lms_sandbox::Sandbox::start(bsa_lms_sandbox::Config::default()).await?;
//! println!("serving on {}", sandbox.url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

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
pub use config::{Config, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_TOKEN_LIFETIME_SECS};
pub use server::{AdminError, Sandbox};
pub use thread::SandboxThread;
