//! Rust SDK for the BSA LMS partner API: customers, loan products, loans,
//! repayments and the loan-transaction family, the credit scorecard and the
//! credit-limit boost.
//!
//! The operations are generated from `openapi.json` at build time (by
//! progenitor, and the multipart credit boost by this crate's build script,
//! with a [`FilePart`] for the statement); this crate adds what a generator cannot: token handling (mint, cache,
//! proactive refresh, one re-mint and retry on 401, optional rotation), retries
//! that never duplicate money movements, typed errors and pagination.
//!
//! ```no_run
//! # async fn demo() -> Result<(), bsa_lms::Error> {
//! let client = bsa_lms::Client::builder()
//!     .credentials("ada@example.com", "correct-horse-battery-staple")
//!     .build()?;
//! let loan = client.get_loan_by_external_id().loan_external_id("halotel-tx-12345").send().await?;
//! println!("{} owes {:?}", loan.id, loan.total_outstanding);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod auth;
mod client;
mod config;
mod dispatch;
mod error;
pub mod jwt;
mod lenient;
mod multipart;
mod pagination;
pub mod retry;
mod route_guard;
mod token_cache;
mod transport;

#[allow(
    unreachable_patterns,
    unused_imports,
    clippy::all,
    clippy::pedantic,
    missing_docs,
    rustdoc::all
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
}

pub use config::{
    ClientBuilder, DEFAULT_AUTH_URL, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_REFRESH_THRESHOLD, DEFAULT_TIMEOUT, MAX_RETRIES, MIN_ROTATION_INTERVAL, Secret,
};
pub use dispatch::{IdempotencyKey, Recovery, ReplayFacts, may_write, operations, replay_facts};
pub use error::{AuthReason, Error, ErrorKind, FieldError};
pub use generated::{Client, builder, types};
pub use multipart::FilePart;
pub use pagination::{Page, PageInfo, has_next, next_page, paginate};
pub use progenitor_client::ResponseValue;
pub use retry::RetryPolicy;
pub use transport::{CallOptions, Shared};
