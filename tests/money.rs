//! Money movement: what is replayed (documented keys only, unless the client
//! opts in), how a create that committed behind a gateway error is recovered,
//! and `maybe_applied` on every failure, checked against the sandbox's state.

mod support;

use std::time::Duration;

use bsa_lms::{CallOptions, ErrorKind, RetryPolicy};
use serde_json::{Value, json};
use support::{EMAIL, Env, PASSWORD, obj};

async fn transactions(env: &Env) -> u64 {
    env.stats().await["transactions"].as_u64().unwrap()
}

async fn requests(env: &Env, route: &str) -> u64 {
    env.stats().await["requests"][route].as_u64().unwrap_or(0)
}

fn waive(loan: &str, key: &str) -> serde_json::Map<String, Value> {
    obj(json!({ "loan_id": loan, "body": { "transactionAmount": 1, "idempotencyKey": key } }))
}

const WAIVE_ROUTE: &str = "POST /v1/loans/{loan_id}/repayments/waive-interest";

#[tokio::test]
async fn inferred_keys_are_not_replayed_by_default() {
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "inferred").await;
    let before = transactions(&env).await;
    env.fault(
        "POST",
        &format!("/v1/loans/{loan}/repayments/waive-interest"),
        json!({ "kind": "status_after", "status": 502 }),
    )
    .await;
    let err = client
        .call("waive_interest", waive(&loan, "w-1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.maybe_applied(), "the waiver was committed: {err}");
    assert_eq!(transactions(&env).await - before, 1);
    assert_eq!(requests(&env, WAIVE_ROUTE).await, 1, "not replayed");
}

#[tokio::test]
async fn inferred_keys_are_replayed_when_the_client_opts_in() {
    let env = Env::start().await;
    let client = env
        .builder()
        .credentials(EMAIL, PASSWORD)
        .replay_inferred_idempotency_keys(true)
        .build()
        .unwrap();
    assert!(client.retry_policy().replay_inferred_idempotency_keys);
    let (_, loan) = env.customer_and_loan(&client, "opt-in").await;
    let before = transactions(&env).await;
    env.fault(
        "POST",
        &format!("/v1/loans/{loan}/repayments/waive-interest"),
        json!({ "kind": "status_after", "status": 502 }),
    )
    .await;
    client
        .call("waive_interest", waive(&loan, "w-2"))
        .await
        .expect("the replay returns the original waiver");
    assert_eq!(transactions(&env).await - before, 1, "deduplicated by key");
    assert_eq!(requests(&env, WAIVE_ROUTE).await, 2, "replayed once");
}

#[tokio::test]
async fn a_server_that_ignores_keys_never_gets_a_duplicate_by_default() {
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "ignored").await;
    env.admin("idempotency", json!({ "ignoreKeys": true }))
        .await;
    let before = transactions(&env).await;
    for fault in ["drop_after", "status_after"] {
        env.fault(
            "POST",
            &format!("/v1/loans/{loan}/repayments/waive-interest"),
            json!({ "kind": fault }),
        )
        .await;
        let err = client
            .call("waive_interest", waive(&loan, &format!("i-{fault}")))
            .await
            .unwrap_err();
        assert!(err.maybe_applied(), "{fault}: {err}");
    }
    // Documented keys are replayed unless the client says the server ignores them.
    let strict = client.with_options(CallOptions {
        retry: Some(RetryPolicy {
            retry_keyed_posts: false,
            ..client.retry_policy().clone()
        }),
        ..Default::default()
    });
    env.fault(
        "POST",
        &format!("/v1/loans/{loan}/repayments"),
        json!({ "kind": "status_after", "status": 504 }),
    )
    .await;
    let err = strict
        .call(
            "create_repayment",
            obj(json!({ "loan_id": loan, "body": { "transactionAmount": 10, "idempotencyKey": "r-1" } })),
        )
        .await
        .unwrap_err();
    assert!(err.maybe_applied(), "{err}");
    assert_eq!(
        transactions(&env).await - before,
        3,
        "each call applied once, none twice"
    );
}

#[tokio::test]
async fn creates_committed_behind_gateway_errors_return_the_record() {
    let env = Env::start().await;
    let client = env.client();
    let faults = [
        json!({ "kind": "status_after", "status": 500 }),
        json!({ "kind": "status_after", "status": 502 }),
        json!({ "kind": "status_after", "status": 504 }),
        json!({ "kind": "drop_after" }),
    ];
    for (n, fault) in faults.iter().enumerate() {
        env.fault("POST", "/v1/customers", fault.clone()).await;
        let external = format!("gw-cust-{n}");
        let customer = client
            .call(
                "create_customer",
                obj(json!({ "body": { "externalId": external } })),
            )
            .await
            .unwrap_or_else(|e| panic!("{fault}: {e}"));
        assert_eq!(customer["externalId"], external.as_str(), "{fault}");

        env.fault("POST", "/v1/loans", fault.clone()).await;
        let external = format!("gw-loan-{n}");
        let loan = client
            .call(
                "create_loan",
                obj(json!({ "body": {
                    "customerId": customer["id"], "productId": 1, "principal": 2500,
                    "externalId": external
                } })),
            )
            .await
            .unwrap_or_else(|e| panic!("{fault}: {e}"));
        assert_eq!(loan["externalId"], external.as_str(), "{fault}");
        assert_eq!(loan["principal"], 2500.0, "{fault}");
    }
    let stats = env.stats().await;
    assert_eq!(
        (stats["customers"].as_u64(), stats["loans"].as_u64()),
        (Some(4), Some(4))
    );
}

#[tokio::test]
async fn a_recovered_create_that_does_not_match_stays_an_ambiguous_conflict() {
    let env = Env::start().await;
    let client = env.client();
    let (customer, _) = env.customer_and_loan(&client, "taken").await;
    env.fault(
        "POST",
        "/v1/loans",
        json!({ "kind": "status", "status": 502 }),
    )
    .await;
    // The externalId is already used by a loan of another principal: the
    // lookup finds it, it does not match, and the caller is told to reconcile.
    let err = client
        .call(
            "create_loan",
            obj(json!({ "body": {
                "customerId": customer, "productId": 1, "principal": 2000,
                "externalId": "loan-taken"
            } })),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted, "{err}");
    assert!(err.maybe_applied(), "{err}");
    assert_eq!(env.stats().await["loans"], 1);
}

#[tokio::test]
async fn failures_that_certainly_applied_nothing_say_so() {
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "clean").await;
    let repay =
        |amount: f64| obj(json!({ "loan_id": loan, "body": { "transactionAmount": amount } }));
    // Rejected before sending.
    let err = client
        .call("create_repayment", repay(-1.0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(!err.maybe_applied());
    // Refused by the API with an envelope.
    let err = client
        .call("get_loan", obj(json!({ "loan_id": "999999" })))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!err.maybe_applied());
    env.fault(
        "POST",
        &format!("/v1/loans/{loan}/repayments"),
        json!({ "kind": "status", "status": 429 }),
    )
    .await;
    let err = client
        .call("create_repayment", repay(5.0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert!(!err.maybe_applied(), "{err}");
    // A read never applies anything, whatever happened to it.
    let once = client.with_options(CallOptions {
        retry: Some(RetryPolicy {
            max_retries: 0,
            ..client.retry_policy().clone()
        }),
        ..Default::default()
    });
    env.fault("GET", "/v1/loans/*", json!({ "kind": "drop_after" }))
        .await;
    let err = once
        .call("get_loan", obj(json!({ "loan_id": loan })))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(!err.maybe_applied());
    // Nothing listens: nothing was sent.
    let nowhere = bsa_lms::Client::builder()
        .ignore_env()
        .base_url("http://127.0.0.1:9")
        .token("t")
        .build()
        .unwrap();
    let err = nowhere
        .call("create_repayment", repay(5.0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(!err.maybe_applied());
    assert_eq!(env.stats().await["repayments"], 0);
}

#[tokio::test]
async fn progenitor_error_responses_carry_the_envelope() {
    let env = Env::start().await;
    let client = env.client();
    match client.get_loan().loan_id("999999").send().await {
        Err(progenitor_client::Error::ErrorResponse(rv)) => {
            assert_eq!(rv.status().as_u16(), 404);
            assert_eq!(rv.code.as_deref(), Some("not_found"));
            assert!(rv.message.as_deref().is_some_and(|m| !m.is_empty()));
        }
        other => panic!("expected an ErrorResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn a_timed_out_write_is_reported_as_maybe_applied_and_was_applied() {
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "slow").await;
    let hurried = client.with_options(CallOptions {
        timeout: Some(Duration::from_millis(200)),
        ..Default::default()
    });
    env.fault(
        "POST",
        &format!("/v1/loans/{loan}/repayments"),
        json!({ "kind": "delay", "delayMs": 600 }),
    )
    .await;
    let err = hurried
        .call(
            "create_repayment",
            obj(json!({ "loan_id": loan, "body": { "transactionAmount": 7 } })),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.maybe_applied(), "{err}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(env.stats().await["repayments"], 1, "the server finished it");
}

#[tokio::test]
async fn a_dropped_rust_future_reports_nothing_and_the_server_may_still_apply() {
    // Dropping the future (tokio::time::timeout, select!, task abort) is Rust's
    // cancellation: the caller sees its own timeout, not an SDK error, and must
    // treat a money-moving call as maybe applied.
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "dropped").await;
    env.fault(
        "POST",
        &format!("/v1/loans/{loan}/repayments"),
        json!({ "kind": "delay", "delayMs": 500 }),
    )
    .await;
    let call = client.call(
        "create_repayment",
        obj(json!({ "loan_id": loan, "body": { "transactionAmount": 3 } })),
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(150), call)
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(env.stats().await["repayments"], 1);
}
