//! Retries and error mapping under injected faults: what is retried, what is
//! never replayed, and the typed error every failure becomes.

mod support;

use std::time::{Duration, Instant};

use bsa_lms::{CallOptions, ErrorKind, RetryPolicy};
use serde_json::json;
use support::{Env, obj};

#[tokio::test]
async fn transient_statuses_on_reads_are_retried() {
    let env = Env::start().await;
    let client = env.client();
    for status in [429, 502, 503, 504] {
        env.fault(
            "GET",
            "/v1/loan-products",
            json!({ "kind": "status", "status": status, "count": 2 }),
        )
        .await;
        client
            .call("list_loan_products", obj(json!({})))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
    }
    let requests = &env.stats().await["requests"];
    assert_eq!(
        requests["GET /v1/loan-products"], 12,
        "each status: two faults then the success"
    );
}

#[tokio::test]
async fn internal_is_retried_once_then_surfaced() {
    let env = Env::start().await;
    let client = env.client();
    env.fault(
        "GET",
        "/v1/loan-products",
        json!({ "kind": "status", "status": 500, "count": 1 }),
    )
    .await;
    client
        .call("list_loan_products", obj(json!({})))
        .await
        .expect("one retry after 500");
    env.fault(
        "GET",
        "/v1/loan-products",
        json!({ "kind": "status", "status": 500, "count": 2 }),
    )
    .await;
    let err = client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.code(), Some("internal"));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let env = Env::start().await;
    let client = env.client();
    client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap();
    env.fault(
        "GET",
        "/v1/loan-products",
        json!({ "kind": "status", "status": 503, "retryAfter": 1 }),
    )
    .await;
    let started = Instant::now();
    client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn repayment_without_key_is_never_replayed() {
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "nokey").await;
    let path = format!("/v1/loans/{loan}/repayments");
    for fault in [
        json!({ "kind": "drop_after" }),
        json!({ "kind": "status", "status": 503 }),
    ] {
        env.fault("POST", &path, fault.clone()).await;
        let err = client
            .call(
                "create_repayment",
                obj(json!({ "loan_id": loan, "body": { "transactionAmount": 100 } })),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Connection | ErrorKind::Unavailable),
            "{fault}: {err}"
        );
    }
    let stats = env.stats().await;
    assert_eq!(
        stats["repayments"], 1,
        "the dropped-after-commit post was applied once, the 503 never"
    );
    assert_eq!(
        stats["requests"]["POST /v1/loans/{loan_id}/repayments"], 2,
        "no replays"
    );
}

#[tokio::test]
async fn keyed_repayment_is_retried_and_applied_once() {
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "keyed").await;
    env.fault(
        "POST",
        &format!("/v1/loans/{loan}/repayments"),
        json!({ "kind": "drop_after" }),
    )
    .await;
    let tx = client
        .call(
            "create_repayment",
            obj(json!({ "loan_id": loan, "body": { "transactionAmount": 100, "idempotencyKey": "wallet-1" } })),
        )
        .await
        .expect("the keyed retry returns the original transaction");
    assert_eq!(tx["amount"], 100.0);
    assert_eq!(env.stats().await["repayments"], 1);
}

#[tokio::test]
async fn keyed_retries_can_be_switched_off() {
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "off").await;
    let strict = client.with_options(CallOptions {
        retry: Some(RetryPolicy {
            retry_keyed_posts: false,
            ..Default::default()
        }),
        ..Default::default()
    });
    env.fault(
        "POST",
        &format!("/v1/loans/{loan}/repayments"),
        json!({ "kind": "drop_after" }),
    )
    .await;
    let body =
        json!({ "loan_id": loan, "body": { "transactionAmount": 100, "idempotencyKey": "k" } });
    assert!(strict.call("create_repayment", obj(body)).await.is_err());
    assert_eq!(env.stats().await["repayments"], 1);
}

#[tokio::test]
async fn create_with_external_id_recovers_after_a_drop() {
    let env = Env::start().await;
    let client = env.client();
    env.fault("POST", "/v1/customers", json!({ "kind": "drop_after" }))
        .await;
    let customer = client
        .call(
            "create_customer",
            obj(json!({ "body": { "externalId": "recover-me" } })),
        )
        .await
        .expect("the replay's 409 is resolved by looking the customer up");
    assert_eq!(customer["externalId"], "recover-me");
    assert_eq!(env.stats().await["customers"], 1);

    // A genuine duplicate (no ambiguous first attempt) stays a conflict.
    let err = client
        .call(
            "create_customer",
            obj(json!({ "body": { "externalId": "recover-me" } })),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted);
    assert_eq!(err.status(), Some(409));
}

#[tokio::test]
async fn loan_create_recovery_checks_the_loan_matches() {
    let env = Env::start().await;
    let client = env.client();
    let customer = client
        .call(
            "create_customer",
            obj(json!({ "body": { "externalId": "c-loan" } })),
        )
        .await
        .unwrap();
    env.fault("POST", "/v1/loans", json!({ "kind": "drop_after" }))
        .await;
    let body = json!({ "body": { "customerId": customer["id"], "productId": 1, "principal": 5000, "externalId": "l-1" } });
    let loan = client
        .call("create_loan", obj(body))
        .await
        .expect("recovered");
    assert_eq!(loan["externalId"], "l-1");
    assert_eq!(loan["principal"], 5000.0);
    assert_eq!(env.stats().await["loans"], 1);
}

#[tokio::test]
async fn non_json_error_bodies_keep_status_and_body() {
    let env = Env::start().await;
    let client = env.client().with_options(CallOptions {
        retry: Some(RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }),
        ..Default::default()
    });
    env.fault(
        "GET",
        "/v1/loan-products",
        json!({ "kind": "html", "status": 502 }),
    )
    .await;
    let err = client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.status(), err.code()),
        (ErrorKind::Unavailable, Some(502), None)
    );
    assert!(err.body().unwrap().contains("<html"), "{:?}", err.body());

    env.fault(
        "GET",
        "/v1/loan-products",
        json!({ "kind": "empty", "status": 500 }),
    )
    .await;
    let err = client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Internal, Some(500)));
    assert_eq!(err.body(), Some(""));
}

#[tokio::test]
async fn malformed_and_truncated_success_bodies_are_decode_errors() {
    let env = Env::start().await;
    let client = env.client();
    for kind in ["malformed", "truncated"] {
        env.fault("GET", "/v1/loan-products", json!({ "kind": kind }))
            .await;
        let err = client
            .call("list_loan_products", obj(json!({})))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{kind}: {err}");
        assert!(
            !err.body().unwrap_or_default().is_empty(),
            "{kind}: raw body kept"
        );
    }
}

#[tokio::test]
async fn slow_answers_time_out_per_call() {
    let env = Env::start().await;
    let client = env.client();
    client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap();
    let hurried = client.with_options(CallOptions {
        timeout: Some(Duration::from_millis(200)),
        retry: Some(RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }),
        ..Default::default()
    });
    env.fault(
        "GET",
        "/v1/loan-products",
        json!({ "kind": "delay", "delayMs": 1500 }),
    )
    .await;
    let err = hurried
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

#[tokio::test]
async fn drops_before_the_write_are_retried_even_for_reads() {
    let env = Env::start().await;
    let client = env.client();
    env.fault(
        "GET",
        "/v1/loan-products",
        json!({ "kind": "drop_before", "count": 2 }),
    )
    .await;
    client
        .call("list_loan_products", obj(json!({})))
        .await
        .expect("retried past two drops");
}
