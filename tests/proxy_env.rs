//! A proxy named by the environment never sees loopback traffic. Alone in its
//! test binary: it sets process-wide environment variables.

mod support;

use std::time::Duration;

use support::Env;
use tokio::net::TcpListener;

#[tokio::test]
async fn loopback_calls_bypass_environment_proxies() {
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://127.0.0.1:{}", proxy.local_addr().unwrap().port());
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        // SAFETY: the only test of this binary sets these before any client reads them.
        unsafe { std::env::set_var(name, &proxy_url) };
    }
    for name in ["NO_PROXY", "no_proxy"] {
        // SAFETY: as above.
        unsafe { std::env::remove_var(name) };
    }
    let env = Env::start().await;
    let client = env
        .builder()
        .credentials(support::EMAIL, support::PASSWORD)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    client
        .call("list_loan_products", serde_json::Map::new())
        .await
        .expect("the call went through the proxy");
    let contacted = tokio::time::timeout(Duration::from_millis(300), proxy.accept()).await;
    assert!(contacted.is_err(), "the proxy saw a loopback request");
}
