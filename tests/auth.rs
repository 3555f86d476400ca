//! Token handling against the sandbox: single-flight minting, proactive
//! refresh, the single re-mint after a 401, static tokens, auth failures.

mod support;

use std::time::Duration;

use bsa_lms::{AuthReason, ErrorKind};
use serde_json::json;
use support::{EMAIL, Env, PASSWORD, obj};

async fn list_products(client: &bsa_lms::Client) -> Result<serde_json::Value, bsa_lms::Error> {
    client.call("list_loan_products", obj(json!({}))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_first_calls_mint_one_token() {
    let env = Env::start().await;
    let client = env.client();
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { list_products(&c).await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().expect("call succeeds");
    }
    assert_eq!(client.token_mints(), 1);
    assert_eq!(env.stats().await["tokenMints"], 1);
}

#[tokio::test]
async fn cached_token_is_reused_and_refreshed_inside_the_window() {
    let env = Env::start().await;
    // 4 s tokens: the client refreshes once less than half the lifetime remains.
    env.admin("auth", json!({ "tokenLifetimeSeconds": 4 }))
        .await;
    let client = env.client();
    list_products(&client).await.unwrap();
    list_products(&client).await.unwrap();
    assert_eq!(client.token_mints(), 1, "a fresh token is reused");
    tokio::time::sleep(Duration::from_millis(2300)).await;
    list_products(&client).await.unwrap();
    assert_eq!(
        client.token_mints(),
        2,
        "a token inside the refresh window is replaced before use"
    );
}

#[tokio::test]
async fn one_remint_and_retry_after_a_401() {
    let env = Env::start().await;
    let client = env.client();
    list_products(&client).await.unwrap();
    env.admin("unauthorized", json!({ "count": 1 })).await;
    list_products(&client)
        .await
        .expect("the retry with a new token succeeds");
    assert_eq!(client.token_mints(), 2);

    env.admin("unauthorized", json!({ "count": 2 })).await;
    let err = list_products(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        client.token_mints(),
        3,
        "exactly one re-mint per call, never a loop"
    );
    list_products(&client)
        .await
        .expect("later calls work again");
}

#[tokio::test]
async fn expired_tokens_mid_run_are_replaced_transparently() {
    let env = Env::start().await;
    let client = env.client();
    list_products(&client).await.unwrap();
    env.admin("tokens/expire", json!({})).await;
    list_products(&client)
        .await
        .expect("re-minted after the 401");
    assert_eq!(client.token_mints(), 2);
}

#[tokio::test]
async fn static_token_is_used_as_given_and_401_is_final() {
    let env = Env::start().await;
    let token = env.client().access_token().await.unwrap();
    let client = env.builder().token(token).build().unwrap();
    list_products(&client).await.expect("static token works");
    env.admin("tokens/expire", json!({})).await;
    let err = list_products(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(client.token_mints(), 0);
    assert_eq!(
        env.stats().await["tokenMints"],
        1,
        "only the mint that produced the static token"
    );
}

#[tokio::test]
async fn bad_credentials_and_unreachable_auth_host_say_what_went_wrong() {
    let env = Env::start().await;
    let client = env
        .builder()
        .credentials(EMAIL, "wrong-password-value")
        .build()
        .unwrap();
    let err = list_products(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(err.auth_reason(), Some(AuthReason::BadCredentials));
    assert_eq!(err.status(), Some(401));
    assert!(!format!("{err} {err:?}").contains("wrong-password-value"));

    // A port nothing listens on: bind, note it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = env
        .builder()
        .auth_url(format!("http://127.0.0.1:{port}"))
        .credentials(EMAIL, PASSWORD)
        .build()
        .unwrap();
    let err = list_products(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(err.auth_reason(), Some(AuthReason::Unreachable));
    assert!(
        err.message().contains("cannot reach the token host"),
        "{err}"
    );
}

#[tokio::test]
async fn auth_host_outage_recovers_when_it_returns() {
    let env = Env::start().await;
    let client = env.client();
    env.fault(
        "GET",
        "/v1/auth/token",
        json!({ "kind": "status", "status": 503, "count": 10 }),
    )
    .await;
    let err = list_products(&client).await.unwrap_err();
    assert_eq!(err.auth_reason(), Some(AuthReason::ServerError));
    reqwest::Client::new()
        .delete(format!("{}/_sandbox/faults", env.url))
        .header(
            bsa_lms_sandbox::ADMIN_TOKEN_HEADER,
            env.sandbox.admin_token(),
        )
        .send()
        .await
        .unwrap();
    list_products(&client)
        .await
        .expect("works once the token host is back");
}

#[tokio::test]
async fn non_admin_accounts_are_rejected_by_the_api() {
    let env = Env::start().await;
    let client = env
        .builder()
        .credentials("viewer@example.com", "viewer-password")
        .build()
        .unwrap();
    let err = list_products(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(
        client.token_mints(),
        2,
        "one re-mint is attempted, then the 401 surfaces"
    );
}

/// Rotation at the minimum interval, with tokens that live two seconds: the
/// rotation task renews each token as it enters its refresh window.
fn rotating(env: &Env) -> bsa_lms::ClientBuilder {
    env.builder()
        .credentials(EMAIL, PASSWORD)
        .rotation_interval(bsa_lms::MIN_ROTATION_INTERVAL)
}

#[tokio::test]
async fn scheduled_rotation_mints_in_the_background_and_stops_on_close() {
    let env = Env::start().await;
    env.admin("auth", json!({ "tokenLifetimeSeconds": 2 }))
        .await;
    let client = rotating(&env).build().unwrap();
    list_products(&client).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let rotated = client.token_mints();
    assert!(
        rotated >= 2,
        "rotation minted in the background ({rotated})"
    );
    client.close();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        client.token_mints() <= rotated + 1,
        "rotation stops after close"
    );
    let err = list_products(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    let err = client.access_token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest, "like any call");
}

#[test]
fn rotation_intervals_below_the_minimum_are_refused() {
    let err = bsa_lms::Client::builder()
        .ignore_env()
        .credentials(EMAIL, PASSWORD)
        .rotation_interval(Duration::from_secs(59))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(err.field_errors()[0].field, "rotation_interval");
}

#[tokio::test]
async fn rotation_shares_its_token_through_the_token_file() {
    let env = Env::start().await;
    env.admin("auth", json!({ "tokenLifetimeSeconds": 2 }))
        .await;
    let cache = CachePath::new("rotation");
    let client = rotating(&env).token_cache(&cache.0).build().unwrap();
    list_products(&client).await.unwrap();
    let first = client.access_token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(client.token_mints() >= 2, "rotated with no call in between");
    let text = std::fs::read_to_string(&cache.0).unwrap();
    let current = client.access_token().await.unwrap();
    assert_ne!(current, first, "rotated");
    assert!(
        text.contains(&current),
        "the rotated token is in the shared file"
    );
}

/// The Python binding's synchronous path: a current-thread runtime per OS
/// thread, each driving its own pool copy. The copies share one token, and
/// rotation runs on the runtime named at build time even though the first
/// call (which starts it) comes from a thread runtime that is gone afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_pool_copies_on_thread_runtimes_share_tokens_and_rotation_keeps_its_runtime() {
    let env = Env::start().await;
    // Rotation renews a four-second token two seconds after it was minted.
    env.admin("auth", json!({ "tokenLifetimeSeconds": 4 }))
        .await;
    let client = env
        .builder()
        .credentials(EMAIL, PASSWORD)
        .rotation_interval(bsa_lms::MIN_ROTATION_INTERVAL)
        .background_runtime(tokio::runtime::Handle::current())
        .build()
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let copy = client.with_own_pool().unwrap();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                for _ in 0..3 {
                    rt.block_on(list_products(&copy)).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        tokio::task::spawn_blocking(move || thread.join().unwrap())
            .await
            .unwrap();
    }
    assert_eq!(client.token_mints(), 1, "every copy uses the one token");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(
        client.token_mints() >= 2,
        "rotation kept running after the thread runtimes ended"
    );
    client.close();
}

/// A fresh path for a token cache file (removed with its sidecars at the end).
struct CachePath(std::path::PathBuf);

impl CachePath {
    fn new(name: &str) -> Self {
        let unique = format!(
            "bsa-lms-{name}-{}-{}.json",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        Self(std::env::temp_dir().join(unique))
    }
}

impl Drop for CachePath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("json.lock"));
    }
}

fn cached_client(env: &Env, cache: &CachePath) -> bsa_lms::Client {
    env.builder()
        .credentials(EMAIL, PASSWORD)
        .token_cache(&cache.0)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_a_token_cache_mint_once_even_when_they_start_together() {
    let env = Env::start().await;
    let cache = CachePath::new("together");
    // Each client stands for a process: its own memory, the one file.
    let clients: Vec<_> = (0..4).map(|_| cached_client(&env, &cache)).collect();
    let calls = clients.iter().map(|c| {
        let c = c.clone();
        tokio::spawn(async move { list_products(&c).await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().expect("call succeeds");
    }
    assert_eq!(env.stats().await["tokenMints"], 1);
    let minted: u64 = clients.iter().map(|c| c.token_mints()).sum();
    assert_eq!(minted, 1, "one client minted, the others read the file");
    let text = std::fs::read_to_string(&cache.0).unwrap();
    assert!(text.contains(&clients[0].access_token().await.unwrap()));
    assert!(!text.contains(PASSWORD), "the password is never stored");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache.0).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may read the token");
    }
}

#[tokio::test]
async fn after_a_401_a_client_takes_the_token_another_process_just_minted() {
    let env = Env::start().await;
    let cache = CachePath::new("after-401");
    let (a, b) = (cached_client(&env, &cache), cached_client(&env, &cache));
    list_products(&a).await.unwrap();
    list_products(&b).await.unwrap();
    // The server revokes the shared token: A gets a 401, finds the same token in the
    // file, so mints a new one and shares it.
    env.admin("tokens/expire", json!({})).await;
    list_products(&a).await.unwrap();
    assert_eq!(a.token_mints(), 2);
    // B's copy of the old token is refused: B retries with A's new token instead of minting.
    list_products(&b).await.unwrap();
    assert_eq!(b.token_mints(), 0);
    assert_eq!(
        b.access_token().await.unwrap(),
        a.access_token().await.unwrap()
    );
    assert_eq!(env.stats().await["tokenMints"], 2);
}

#[tokio::test]
async fn an_unreadable_token_cache_is_replaced_and_never_fails_a_call() {
    let env = Env::start().await;
    let cache = CachePath::new("corrupt");
    std::fs::write(&cache.0, "not json").unwrap();
    let client = cached_client(&env, &cache);
    list_products(&client)
        .await
        .expect("the call succeeds despite the cache");
    assert_eq!(client.token_mints(), 1);
    let text = std::fs::read_to_string(&cache.0).unwrap();
    assert!(text.contains(&client.access_token().await.unwrap()));
}
