//! Secrets (password, token) never appear in logs at any level, in errors or
//! in `Debug` output, whatever happens to the calls.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use support::{EMAIL, Env, PASSWORD, obj};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_stay_out_of_logs_errors_and_debug_output() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let env = Env::start().await;
    let client = env.client();
    let mut seen = Vec::new();
    client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap();
    let token = client.access_token().await.unwrap();
    env.admin("unauthorized", json!({ "count": 2 })).await;
    seen.push(
        client
            .call("list_loan_products", obj(json!({})))
            .await
            .unwrap_err()
            .to_string(),
    );
    env.fault(
        "GET",
        "/v1/loan-products",
        json!({ "kind": "html", "status": 502, "count": 3 }),
    )
    .await;
    let err = client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap_err();
    seen.push(format!("{err} {err:?}"));
    let wrong = env
        .builder()
        .credentials(EMAIL, "not-the-password-1234")
        .build()
        .unwrap();
    let err = wrong
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap_err();
    seen.push(format!("{err} {err:?} {wrong:?}"));
    let fixed = env.builder().token(token.clone()).build().unwrap();
    seen.push(format!("{fixed:?} {client:?}"));

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("bsa-lms request"),
        "debug events were captured"
    );
    let haystack = format!("{logs}\n{}", seen.join("\n"));
    for secret in [
        PASSWORD,
        "not-the-password-1234",
        token.as_str(),
        &token[token.len() - 40..],
    ] {
        assert!(!haystack.contains(secret), "a secret leaked: {secret:.12}…");
    }
}
