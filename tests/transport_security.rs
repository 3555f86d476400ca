//! Transport security: the token never follows a redirect to another host,
//! and plain http is refused for non-loopback hosts.

use bsa_lms::{Client, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one request with `response`, returning the request head it received.
async fn serve_once(listener: TcpListener, response: String) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    socket.write_all(response.as_bytes()).await.unwrap();
    socket.shutdown().await.ok();
    String::from_utf8_lossy(&head).to_lowercase()
}

/// Whether `listener` gets a connection within a short grace period.
async fn contacted(listener: &TcpListener) -> bool {
    tokio::time::timeout(std::time::Duration::from_millis(300), listener.accept())
        .await
        .is_ok()
}

#[tokio::test]
async fn redirects_are_reported_and_never_followed() {
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!(
        "http://localhost:{}/v1/loans/2/repayments",
        second.local_addr().unwrap().port()
    );
    let base = format!("http://127.0.0.1:{}", first.local_addr().unwrap().port());
    let redirect = tokio::spawn(serve_once(
        first,
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ),
    ));
    let client = Client::builder()
        .ignore_env()
        .base_url(&base)
        .token("secret-token-value")
        .build()
        .unwrap();
    let mut args = serde_json::Map::new();
    args.insert("loan_id".into(), "1".into());
    args.insert("body".into(), serde_json::json!({"transactionAmount": 450}));
    let err = client.call("create_repayment", args).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api, "{err}");
    assert_eq!(err.status(), Some(307), "{err}");
    assert!(err.message().contains(&target), "{err}");
    assert!(
        redirect
            .await
            .unwrap()
            .contains("authorization: bearer secret-token-value")
    );
    assert!(!contacted(&second).await, "the redirect was followed");
}

#[tokio::test]
async fn token_host_redirects_are_not_followed() {
    let auth = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!(
        "http://127.0.0.1:{}/steal",
        elsewhere.local_addr().unwrap().port()
    );
    let auth_url = format!("http://127.0.0.1:{}", auth.local_addr().unwrap().port());
    let serving = tokio::spawn(serve_once(
        auth,
        format!(
            "HTTP/1.1 302 Found\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ),
    ));
    let client = Client::builder()
        .ignore_env()
        .base_url("http://127.0.0.1:9")
        .auth_url(&auth_url)
        .credentials("ada@example.com", "hunter2-secret")
        .build()
        .unwrap();
    let err = client.access_token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    assert!(
        err.message().contains("302") && err.message().contains(&target),
        "{err}"
    );
    assert!(serving.await.unwrap().contains("authorization: basic"));
    assert!(
        !contacted(&elsewhere).await,
        "the password followed the redirect"
    );
}

#[test]
fn base_urls_with_credentials_or_fragments_are_refused() {
    for (url, field) in [
        ("https://user:pw@api.example.com", "base_url"),
        ("https://user@api.example.com", "base_url"),
        ("https://api.example.com/#x", "base_url"),
    ] {
        let err = Client::builder()
            .ignore_env()
            .base_url(url)
            .token("t")
            .build()
            .unwrap_err();
        assert_eq!(err.field_errors()[0].field, field, "{url}");
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
    let err = Client::builder()
        .ignore_env()
        .auth_url("https://a:b@auth.example.com")
        .credentials("a@b.c", "p")
        .build()
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "auth_url");
}

#[test]
fn custom_header_values_never_show_in_debug_output() {
    let client = Client::builder()
        .ignore_env()
        .base_url("http://127.0.0.1:9")
        .token("t")
        .header("x-api-key", "key-value-secret")
        .build()
        .unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains("key-value-secret"), "{text}");
    let options = bsa_lms::CallOptions {
        headers: vec![(
            "x-api-key".parse().unwrap(),
            "per-call-secret".parse().unwrap(),
        )],
        ..Default::default()
    };
    let text = format!("{options:?} {:?}", client.with_options(options.clone()));
    assert!(!text.contains("per-call-secret"), "{text}");
}

#[test]
fn plain_http_is_refused_for_remote_hosts() {
    let err = Client::builder()
        .ignore_env()
        .base_url("http://api.example.com")
        .token("t")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(err.field_errors()[0].field, "base_url");
    let err = Client::builder()
        .ignore_env()
        .auth_url("http://auth.example.com")
        .credentials("a@b.c", "p")
        .build()
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "auth_url");
    assert!(
        Client::builder()
            .ignore_env()
            .base_url("http://api.example.com")
            .allow_insecure_http(true)
            .token("t")
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_without_buffering_them() {
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", server.local_addr().unwrap().port());
    let serving = tokio::spawn(serve_once(
        server,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000\r\n\r\n{\"items\":[".to_owned(),
    ));
    let client = Client::builder()
        .ignore_env()
        .base_url(&base)
        .token("t")
        .build()
        .unwrap();
    let err = client
        .call("list_loan_products", serde_json::Map::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.status(), Some(200));
    assert!(err.message().contains("exceeds"), "{err}");
    serving.await.unwrap();
}

#[tokio::test]
async fn chunked_bodies_within_the_limit_decode() {
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", server.local_addr().unwrap().port());
    let body = r#"{"items":[{"id":"1","name":"Halotel 30-Day"}]}"#;
    let serving = tokio::spawn(serve_once(
        server,
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
            body.len()
        ),
    ));
    let client = Client::builder()
        .ignore_env()
        .base_url(&base)
        .token("t")
        .build()
        .unwrap();
    let products = client
        .call("list_loan_products", serde_json::Map::new())
        .await
        .unwrap();
    assert_eq!(products["items"][0]["name"], "Halotel 30-Day");
    serving.await.unwrap();
}
