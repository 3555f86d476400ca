use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::common::{EMAIL, PASSWORD, start};

#[tokio::test]
async fn status_fault_answers_the_envelope_without_running_the_handler() {
    let env = start().await;
    let fault = env
        .admin("/faults", json!({"method": "POST", "path": "/v1/customers", "count": 2, "kind": "status", "status": 503, "retryAfter": 1}))
        .await;
    assert_eq!(fault["id"], "1");
    for _ in 0..2 {
        let r = env.post("/v1/customers", json!({"externalId": "a"})).await;
        assert_eq!(r.error(503, "unavailable").split(": ").next(), Some("lms"));
        assert_eq!(r.headers["retry-after"], "1");
    }
    assert_eq!(env.stats().await["customers"], 0);
    // GET is not matched by a POST fault, and the fault is used up after two requests.
    assert_eq!(env.get("/v1/customers").await.status, 200);
    env.customer("a").await;
    let stats = env.stats().await;
    assert_eq!(stats["requests"]["POST /v1/customers"], 3);
}

#[tokio::test]
async fn status_codes_map_to_envelope_codes() {
    let env = start().await;
    for (status, code) in [
        (500, "internal"),
        (502, "unavailable"),
        (504, "unavailable"),
        (429, "resource_exhausted"),
        (409, "aborted"),
    ] {
        env.admin(
            "/faults",
            json!({"path": "/v1/loan-products", "kind": "status", "status": status}),
        )
        .await;
        env.get("/v1/loan-products").await.error(status, code);
    }
}

#[tokio::test]
async fn drop_before_closes_the_connection_and_commits_nothing() {
    let env = start().await;
    env.admin(
        "/faults",
        json!({"method": "POST", "path": "/v1/customers", "kind": "drop_before"}),
    )
    .await;
    let r = env
        .http
        .post(format!("{}/v1/customers", env.url))
        .bearer_auth(&env.token)
        .json(&json!({"externalId": "a"}))
        .send()
        .await;
    assert!(r.is_err(), "expected a connection error, got {r:?}");
    assert_eq!(env.stats().await["customers"], 0);
}

#[tokio::test]
async fn drop_after_commits_the_write_but_sends_nothing() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    env.admin(
        "/faults",
        json!({"method": "POST", "path": "/v1/loans/*/repayments", "kind": "drop_after"}),
    )
    .await;
    let r = env
        .http
        .post(format!(
            "{}/v1/loans/{}/repayments",
            env.url,
            loan["id"].as_str().unwrap()
        ))
        .bearer_auth(&env.token)
        .json(&json!({"transactionAmount": 100, "idempotencyKey": "w-1"}))
        .send()
        .await;
    assert!(r.is_err(), "expected a connection error, got {r:?}");
    assert_eq!(env.stats().await["repayments"], 1);
    // A keyed retry finds the committed repayment instead of posting twice.
    let retried = env
        .post(
            "/v1/loans/external/L/repayments",
            json!({"transactionAmount": 100, "idempotencyKey": "w-1"}),
        )
        .await
        .ok();
    assert_eq!(retried["id"], "1");
    assert_eq!(env.stats().await["repayments"], 1);
}

#[tokio::test]
async fn delay_postpones_a_normal_answer() {
    let env = start().await;
    env.admin(
        "/faults",
        json!({"path": "/v1/loan-products", "kind": "delay", "delayMs": 300}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(env.get("/v1/loan-products").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    env.get("/v1/loan-products").await.ok();
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn malformed_truncated_html_and_empty_bodies() {
    let env = start().await;
    env.admin(
        "/faults",
        json!({"method": "POST", "path": "/v1/customers", "kind": "malformed"}),
    )
    .await;
    let r = env.post("/v1/customers", json!({"externalId": "m"})).await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.headers["content-type"].to_str().unwrap()
        ),
        (200, "application/json")
    );
    assert!(serde_json::from_str::<serde_json::Value>(&r.text).is_err());
    assert_eq!(env.stats().await["customers"], 1, "the handler ran");

    let full = env.get("/v1/customers/1").await.text;
    env.admin(
        "/faults",
        json!({"path": "/v1/customers/*", "kind": "truncated"}),
    )
    .await;
    let r = env.get("/v1/customers/1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, full[..full.len() / 2]);
    assert_eq!(
        r.headers["content-length"].to_str().unwrap(),
        (full.len() / 2).to_string()
    );

    env.admin(
        "/faults",
        json!({"path": "/v1/**", "kind": "html", "retryAfter": 2}),
    )
    .await;
    let r = env.get("/v1/loans").await;
    assert_eq!(r.status, 502);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text.contains("502 Bad Gateway"));
    assert_eq!(r.headers["retry-after"], "2");

    env.admin("/faults", json!({"path": "/v1/**", "kind": "empty"}))
        .await;
    let r = env.get("/v1/loans").await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (500, ""));
    env.admin(
        "/faults",
        json!({"path": "/v1/**", "kind": "empty", "status": 503}),
    )
    .await;
    assert_eq!(env.get("/v1/loans").await.status, 503);
}

#[tokio::test]
async fn faults_apply_in_order_to_the_token_endpoint_too_and_can_be_cleared() {
    let env = start().await;
    env.admin(
        "/faults",
        json!({"path": "/v1/auth/token", "kind": "status", "status": 500}),
    )
    .await;
    env.admin(
        "/faults",
        json!({"path": "/v1/auth/**", "kind": "status", "status": 502}),
    )
    .await;
    env.mint_reply(EMAIL, PASSWORD).await.error(500, "internal");
    env.mint_reply(EMAIL, PASSWORD)
        .await
        .error(502, "unavailable");
    assert_eq!(env.mint_reply(EMAIL, PASSWORD).await.status, 200);
    assert_eq!(env.stats().await["requests"]["GET /v1/auth/token"], 4);

    env.admin(
        "/faults",
        json!({"path": "/v1/**", "kind": "status", "count": 5}),
    )
    .await;
    let listed = env
        .send(Method::GET, "/_sandbox/faults", None, false)
        .await
        .ok();
    assert_eq!(listed["faults"][0]["count"], 5);
    let cleared = env
        .send(Method::DELETE, "/_sandbox/faults", None, false)
        .await
        .ok();
    assert_eq!(cleared["cleared"], 1);
    assert_eq!(env.get("/v1/loans").await.status, 200);
    // The admin surface itself is never faulted.
    env.admin("/faults", json!({"path": "/**", "kind": "drop_before"}))
        .await;
    env.stats().await;
    env.admin("/reset", json!({})).await;
    assert_eq!(env.get("/v1/loans").await.status, 200);
}

#[tokio::test]
async fn fault_specs_are_validated() {
    let env = start().await;
    let bad = [
        json!({"kind": "status"}),
        json!({"path": "/v1/**", "kind": "teapot"}),
        json!({"path": "/v1/**", "kind": "status", "status": 99}),
        json!({"path": "/v1/**", "kind": "status", "count": 0}),
        json!({"path": "v1", "kind": "status"}),
    ];
    for body in bad {
        env.send(Method::POST, "/_sandbox/faults", Some(body), false)
            .await
            .field_errors();
    }
}

#[tokio::test]
async fn html_and_empty_faults_do_not_run_the_handler() {
    let env = start().await;
    env.admin(
        "/faults",
        json!({"method": "POST", "path": "/v1/customers", "kind": "html", "status": 503}),
    )
    .await;
    env.admin(
        "/faults",
        json!({"method": "POST", "path": "/v1/customers", "kind": "empty"}),
    )
    .await;
    assert_eq!(
        env.post("/v1/customers", json!({"externalId": "a"}))
            .await
            .status,
        503
    );
    assert_eq!(
        env.post("/v1/customers", json!({"externalId": "a"}))
            .await
            .status,
        500
    );
    assert_eq!(env.stats().await["customers"], 0);
    assert_eq!(env.customer("a").await["id"], "1");
}
