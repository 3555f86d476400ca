//! Hand-written conveniences on the generated [`Client`].

use std::sync::Arc;

use progenitor_client::ClientInfo;

use crate::Client;
use crate::config::ClientBuilder;
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::transport::{CallOptions, Shared};

impl Client {
    /// Starts building a client; unset values come from `BSA_LMS_*` variables.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `BSA_LMS_*` environment variables alone.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::default().build()
    }

    /// A cheap copy of this client whose calls use `options` (timeout, retries,
    /// headers). It shares the token cache and connection pool.
    pub fn with_options(&self, options: CallOptions) -> Self {
        let shared = Shared {
            core: self.inner().core.clone(),
            options: Arc::new(options),
        };
        Self::new_with_client(self.baseurl(), self.client().clone(), shared)
    }

    /// A copy of this client with a connection pool of its own; it shares the
    /// token cache and options. A pooled connection is driven by the runtime
    /// that opened it, so code that calls from several runtimes (say, one
    /// current-thread runtime per OS thread) gives each runtime its own copy.
    pub fn with_own_pool(&self) -> Result<Self, Error> {
        let http = self.inner().core.http.client(true, self.baseurl())?;
        Ok(Self::new_with_client(
            self.baseurl(),
            http,
            self.inner().clone(),
        ))
    }

    /// The retry policy this client's calls use (its call options', else the client's).
    /// A per-call policy is best built from it, so the client's switches carry over.
    pub fn retry_policy(&self) -> &RetryPolicy {
        self.inner().retry_policy()
    }

    /// A bearer token, minted or refreshed as needed (e.g. to hand to another tool).
    /// Fails on a closed client, like any call.
    pub async fn access_token(&self) -> Result<String, Error> {
        if self.inner().core.is_closed() {
            return Err(crate::transport::closed());
        }
        Ok(self
            .inner()
            .core
            .tokens
            .current()
            .await?
            .secret()
            .to_owned())
    }

    /// Tokens minted by this client (and its copies) so far.
    pub fn token_mints(&self) -> u64 {
        self.inner().core.tokens.mints()
    }

    /// Stops background token rotation; later calls fail with a clear error.
    /// Dropping the last copy of a client has the same effect.
    pub fn close(&self) {
        self.inner().core.close();
    }
}
