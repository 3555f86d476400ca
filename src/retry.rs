//! When to retry, and how long to wait.
//!
//! Pure functions, so the decisions are unit-tested without a server. The
//! transport applies them; nothing here sends a request.

use std::time::Duration;

/// Retry settings of a client (and, through call options, of one call).
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt for transient failures (default 2; 0 disables).
    pub max_retries: u32,
    /// First backoff step; doubles with each retry (default 250 ms).
    pub base_delay: Duration,
    /// Longest backoff step (default 4 s).
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for; the error is returned instead (default 30 s).
    pub max_retry_after: Duration,
    /// Retry money-moving POSTs that carry an `idempotencyKey` (default true). Switch off
    /// for a deployment that ignores the key, where a retry could post twice.
    pub retry_keyed_posts: bool,
    /// Also replay POSTs whose `idempotencyKey` the API is only inferred, not
    /// documented, to honour (default false: such a call is not replayed, and an
    /// ambiguous failure is reported with `maybe_applied`). Turn on only for a
    /// deployment known to deduplicate those keys.
    pub replay_inferred_idempotency_keys: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(30),
            retry_keyed_posts: true,
            replay_inferred_idempotency_keys: false,
        }
    }
}

/// How safe it is to send a request again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Safety {
    /// GET, PUT, DELETE: a replay has the same effect.
    Idempotent,
    /// A POST carrying a key the API documents deduplicating.
    Keyed,
    /// A POST carrying a key the API is only inferred to deduplicate.
    InferredKey,
    /// A create with an `externalId`: a replay answers 409, and the SDK finds
    /// what the first attempt created by that externalId.
    Recoverable,
    /// Any other POST: a replay could move money twice.
    Unsafe,
}

/// What the last attempt produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// The connection could not be opened: the request never left.
    NotSent,
    /// The request was sent and no answer arrived (reset, drop, timeout): it may have been applied.
    Unknown,
}

/// Whether to send again after `retries_done` retries, `internal_retries` of them after a 500.
pub fn should_retry(
    policy: &RetryPolicy,
    safety: Safety,
    outcome: Outcome,
    retries_done: u32,
    internal_retries: u32,
) -> bool {
    if retries_done >= policy.max_retries {
        return false;
    }
    let replay_safe = match safety {
        Safety::Idempotent | Safety::Recoverable => true,
        Safety::Keyed => policy.retry_keyed_posts,
        Safety::InferredKey => policy.retry_keyed_posts && policy.replay_inferred_idempotency_keys,
        Safety::Unsafe => false,
    };
    match outcome {
        // Nothing reached the server, so even an unsafe POST can go again.
        Outcome::NotSent => true,
        Outcome::Unknown => replay_safe,
        Outcome::Status(429 | 502 | 503 | 504) => replay_safe,
        // `internal` may be transient: retried once, then surfaced.
        Outcome::Status(500) => replay_safe && internal_retries == 0,
        Outcome::Status(_) => false,
    }
}

/// Whether an attempt that ended in `outcome` may have committed a write
/// (`write`: any method but GET). A status outside 500/502/503/504 is an answer
/// of the API itself, which rejected the request without applying it.
pub fn maybe_applied(write: bool, outcome: Outcome) -> bool {
    write
        && match outcome {
            Outcome::NotSent => false,
            Outcome::Unknown => true,
            Outcome::Status(status) => matches!(status, 500 | 502 | 503 | 504),
        }
}

/// How long to wait before retry number `retry` (0-based), or `None` when the
/// server asked for a longer pause than the policy accepts.
pub fn delay(
    policy: &RetryPolicy,
    retry: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Option<Duration> {
    if let Some(wait) = retry_after {
        return (wait <= policy.max_retry_after).then_some(wait);
    }
    let step = policy
        .base_delay
        .saturating_mul(1 << retry.min(16))
        .min(policy.max_delay);
    // "Equal jitter": at least half the step, so retries never bunch at zero.
    Some(step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0)))
}

/// Parses `Retry-After`: delta seconds or an HTTP date (relative to `now`, Unix seconds).
pub fn parse_retry_after(value: &str, now: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(Duration::from_secs(
        u64::try_from(date.timestamp() - now).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;
    use Safety::*;

    fn retry(safety: Safety, outcome: Outcome) -> bool {
        should_retry(&RetryPolicy::default(), safety, outcome, 0, 0)
    }

    #[test]
    fn transient_statuses_are_retried_for_safe_requests() {
        for status in [429, 502, 503, 504, 500] {
            assert!(retry(Idempotent, Status(status)), "{status}");
            assert!(retry(Keyed, Status(status)), "{status}");
            assert!(retry(Recoverable, Status(status)), "{status}");
        }
    }

    #[test]
    fn unsafe_posts_are_never_replayed_once_sent() {
        for outcome in [Status(500), Status(503), Status(429), Unknown] {
            assert!(!retry(Unsafe, outcome), "{outcome:?}");
        }
        assert!(retry(Unsafe, NotSent));
    }

    #[test]
    fn client_errors_are_not_retried() {
        for status in [400, 401, 403, 404, 409, 501] {
            assert!(!retry(Idempotent, Status(status)), "{status}");
        }
    }

    #[test]
    fn internal_is_retried_once_and_budget_is_bounded() {
        let p = RetryPolicy::default();
        assert!(!should_retry(&p, Idempotent, Status(500), 1, 1));
        assert!(should_retry(&p, Idempotent, Status(503), 1, 1));
        assert!(!should_retry(&p, Idempotent, Status(503), 2, 0));
        let off = RetryPolicy {
            max_retries: 0,
            ..p.clone()
        };
        assert!(!should_retry(&off, Idempotent, NotSent, 0, 0));
    }

    #[test]
    fn keyed_posts_follow_the_switch() {
        let p = RetryPolicy {
            retry_keyed_posts: false,
            ..RetryPolicy::default()
        };
        assert!(!should_retry(&p, Keyed, Status(503), 0, 0));
        assert!(!should_retry(&p, Keyed, Unknown, 0, 0));
    }

    #[test]
    fn inferred_keys_are_replayed_only_on_request() {
        let p = RetryPolicy::default();
        for outcome in [Status(502), Status(500), Unknown] {
            assert!(!should_retry(&p, InferredKey, outcome, 0, 0), "{outcome:?}");
            assert!(should_retry(&p, Keyed, outcome, 0, 0), "{outcome:?}");
        }
        assert!(should_retry(&p, InferredKey, NotSent, 0, 0));
        let opt_in = RetryPolicy {
            replay_inferred_idempotency_keys: true,
            ..p.clone()
        };
        assert!(should_retry(&opt_in, InferredKey, Unknown, 0, 0));
        let no_keys = RetryPolicy {
            retry_keyed_posts: false,
            ..opt_in
        };
        assert!(!should_retry(&no_keys, InferredKey, Unknown, 0, 0));
    }

    #[test]
    fn maybe_applied_only_when_a_write_may_have_run() {
        for outcome in [Unknown, Status(500), Status(502), Status(503), Status(504)] {
            assert!(maybe_applied(true, outcome), "{outcome:?}");
            assert!(!maybe_applied(false, outcome), "GET {outcome:?}");
        }
        for outcome in [
            NotSent,
            Status(400),
            Status(401),
            Status(404),
            Status(409),
            Status(429),
            Status(501),
        ] {
            assert!(!maybe_applied(true, outcome), "{outcome:?}");
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        assert_eq!(delay(&p, 0, None, 1.0), Some(Duration::from_millis(250)));
        assert_eq!(delay(&p, 0, None, 0.0), Some(Duration::from_millis(125)));
        assert_eq!(delay(&p, 2, None, 1.0), Some(Duration::from_secs(1)));
        assert_eq!(delay(&p, 30, None, 1.0), Some(Duration::from_secs(4)));
    }

    #[test]
    fn retry_after_is_honoured_within_limit() {
        let p = RetryPolicy::default();
        assert_eq!(
            delay(&p, 0, Some(Duration::from_secs(3)), 0.5),
            Some(Duration::from_secs(3))
        );
        assert_eq!(delay(&p, 0, Some(Duration::from_secs(31)), 0.5), None);
    }

    #[test]
    fn retry_after_formats() {
        assert_eq!(parse_retry_after(" 7 ", 0), Some(Duration::from_secs(7)));
        let now = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
