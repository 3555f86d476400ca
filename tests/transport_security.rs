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

#[tokio::test]
async fn authorization_is_dropped_on_a_redirect_to_another_host() {
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!(
        "http://localhost:{}/v1/loan-products",
        second.local_addr().unwrap().port()
    );
    let base = format!("http://127.0.0.1:{}", first.local_addr().unwrap().port());
    let redirect = tokio::spawn(serve_once(
        first,
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ),
    ));
    let body = r#"{"items":[]}"#;
    let landing = tokio::spawn(serve_once(
        second,
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
    ));
    let client = Client::builder()
        .ignore_env()
        .base_url(&base)
        .token("secret-token-value")
        .build()
        .unwrap();
    client
        .call("list_loan_products", serde_json::Map::new())
        .await
        .expect("redirect followed");
    let first_head = redirect.await.unwrap();
    let second_head = landing.await.unwrap();
    assert!(
        first_head.contains("authorization: bearer secret-token-value"),
        "sent to the configured host"
    );
    assert!(
        !second_head.contains("authorization"),
        "not forwarded to another host: {second_head}"
    );
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
