//! The fault matrix: every fault kind the sandbox injects against every kind
//! of operation, asserting the outcome (retried and succeeded, or a typed
//! error) and the server state afterwards (nothing duplicated, nothing lost).

mod support;

use std::time::Duration;

use bsa_lms::{CallOptions, Client, ErrorKind};
use serde_json::{Value, json};
use support::{Env, obj};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Read,
    IdempotentWrite,
    KeyedPayment,
    UnkeyedPayment,
}

/// What a fault does to a call of each kind.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Succeeds,
    Fails(ErrorKind),
}

struct Fault {
    name: &'static str,
    spec: Value,
    /// Outcome for reads and idempotent or keyed writes, then for unkeyed payments.
    safe: Expect,
    unkeyed: Expect,
    /// Whether an unkeyed payment was applied although the call failed.
    unkeyed_applied: Option<bool>,
    /// `maybe_applied` of a failed write: the SDK cannot tell it was not applied.
    maybe: bool,
}

fn faults() -> Vec<Fault> {
    use ErrorKind as K;
    use Expect::*;
    let status = |status: u16, kind: ErrorKind| Fault {
        name: "status",
        spec: json!({ "kind": "status", "status": status }),
        safe: Succeeds,
        unkeyed: Fails(kind),
        unkeyed_applied: Some(false),
        maybe: status != 429,
    };
    // A gateway that lost the answer of a committed write.
    let status_after = |code: u16, kind: ErrorKind| Fault {
        name: "status_after",
        spec: json!({ "kind": "status_after", "status": code }),
        unkeyed_applied: Some(true),
        ..status(code, kind)
    };
    vec![
        status_after(500, K::Internal),
        status_after(502, K::Unavailable),
        status_after(503, K::Unavailable),
        status_after(504, K::Unavailable),
        status(500, K::Internal),
        status(502, K::Unavailable),
        status(503, K::Unavailable),
        status(504, K::Unavailable),
        status(429, K::RateLimited),
        Fault {
            spec: json!({ "kind": "status", "status": 429, "retryAfter": 1 }),
            ..status(429, K::RateLimited)
        },
        Fault {
            spec: json!({ "kind": "status", "status": 503, "retryAfter": 1 }),
            ..status(503, K::Unavailable)
        },
        Fault {
            name: "html",
            spec: json!({ "kind": "html", "status": 502 }),
            ..status(502, K::Unavailable)
        },
        Fault {
            name: "empty",
            spec: json!({ "kind": "empty", "status": 500 }),
            ..status(500, K::Internal)
        },
        Fault {
            name: "drop_before",
            spec: json!({ "kind": "drop_before" }),
            safe: Succeeds,
            unkeyed: Fails(K::Connection),
            unkeyed_applied: Some(false),
            // The request was sent when the connection closed: only the server knows.
            maybe: true,
        },
        Fault {
            name: "drop_after",
            spec: json!({ "kind": "drop_after" }),
            safe: Succeeds,
            unkeyed: Fails(K::Connection),
            unkeyed_applied: Some(true),
            maybe: true,
        },
        Fault {
            name: "delay past the timeout",
            spec: json!({ "kind": "delay", "delayMs": 1500 }),
            safe: Succeeds,
            unkeyed: Fails(K::Timeout),
            // The server may or may not finish the abandoned request.
            unkeyed_applied: None,
            maybe: true,
        },
        Fault {
            name: "malformed",
            spec: json!({ "kind": "malformed" }),
            safe: Fails(K::Decode),
            unkeyed: Fails(K::Decode),
            unkeyed_applied: Some(true),
            maybe: true,
        },
        Fault {
            name: "truncated",
            spec: json!({ "kind": "truncated" }),
            safe: Fails(K::Decode),
            unkeyed: Fails(K::Decode),
            unkeyed_applied: Some(true),
            maybe: true,
        },
    ]
}

async fn call(client: &Client, op: Op, n: usize) -> Result<Value, bsa_lms::Error> {
    let args = match op {
        Op::Read => (
            "get_loan_by_external_id",
            json!({ "loan_external_id": "loan-matrix" }),
        ),
        Op::IdempotentWrite => (
            "update_customer_by_external_id",
            json!({ "customer_external_id": "cust-matrix", "body": { "externalId": "cust-matrix" } }),
        ),
        Op::KeyedPayment => (
            "create_repayment_by_external_id",
            json!({ "loan_external_id": "loan-matrix", "body": { "transactionAmount": 1, "idempotencyKey": format!("key-{n}") } }),
        ),
        Op::UnkeyedPayment => (
            "create_repayment_by_external_id",
            json!({ "loan_external_id": "loan-matrix", "body": { "transactionAmount": 1 } }),
        ),
    };
    client.call(args.0, obj(args.1)).await
}

fn route(op: Op) -> (&'static str, &'static str) {
    match op {
        Op::Read => ("GET", "/v1/loans/external/loan-matrix"),
        Op::IdempotentWrite => ("PUT", "/v1/customers/external/cust-matrix"),
        Op::KeyedPayment | Op::UnkeyedPayment => {
            ("POST", "/v1/loans/external/loan-matrix/repayments")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_against_every_kind_of_operation() {
    let env = Env::start().await;
    let client = env.client().with_options(CallOptions {
        timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    });
    env.customer_and_loan(&client, "matrix").await;
    let mut n = 0;
    let mut injected = 0;
    let (mut failures, mut reported_maybe, mut duplicates) = (0, 0, 0);
    for fault in faults() {
        for op in [
            Op::Read,
            Op::IdempotentWrite,
            Op::KeyedPayment,
            Op::UnkeyedPayment,
        ] {
            n += 1;
            let before = env.stats().await["repayments"].as_u64().unwrap();
            let (method, path) = route(op);
            env.fault(method, path, fault.spec.clone()).await;
            injected += 1;
            let result = call(&client, op, n).await;
            let expected = if op == Op::UnkeyedPayment {
                fault.unkeyed
            } else {
                fault.safe
            };
            let context = format!("{} {} × {op:?}", fault.name, fault.spec);
            match (expected, &result) {
                (Expect::Succeeds, Ok(_)) => {}
                (Expect::Fails(kind), Err(e)) => {
                    assert_eq!(e.kind(), kind, "{context}: {e}");
                    let maybe = fault.maybe && op != Op::Read;
                    assert_eq!(e.maybe_applied(), maybe, "{context}: {e}");
                    failures += 1;
                    reported_maybe += u32::from(e.maybe_applied());
                }
                (_, other) => panic!("{context}: expected {expected:?}, got {other:?}"),
            }
            let after = env.stats().await["repayments"].as_u64().unwrap();
            let applied = after - before;
            duplicates += applied.saturating_sub(1);
            match op {
                Op::KeyedPayment => {
                    let expected = u64::from(result.is_ok() || fault.unkeyed_applied == Some(true));
                    assert_eq!(
                        applied, expected,
                        "{context}: keyed payment applied exactly once"
                    );
                }
                Op::UnkeyedPayment => match (result.is_ok(), fault.unkeyed_applied) {
                    (true, _) => assert_eq!(applied, 1, "{context}"),
                    (false, Some(was)) => {
                        assert_eq!(applied, u64::from(was), "{context}: never duplicated")
                    }
                    (false, None) => assert!(applied <= 1, "{context}: never duplicated"),
                },
                _ => assert_eq!(applied, 0, "{context}"),
            }
            // A delayed request the client gave up on may still be running; let it finish.
            tokio::time::sleep(Duration::from_millis(if fault.name.starts_with("delay") {
                1200
            } else {
                0
            }))
            .await;
        }
    }
    assert_eq!(injected, 72);
    assert_eq!(duplicates, 0);
    // The closing figures of the money-movement review.
    println!(
        "fault matrix: {} faults × 4 operation kinds = {injected} runs, {failures} failures, \
         {reported_maybe} reported maybe_applied, {duplicates} duplicates",
        injected / 4
    );
}

#[tokio::test]
async fn token_expiry_mid_run_is_invisible_to_every_kind_of_operation() {
    let env = Env::start().await;
    let client = env.client();
    env.customer_and_loan(&client, "matrix").await;
    for (n, op) in [
        Op::Read,
        Op::IdempotentWrite,
        Op::KeyedPayment,
        Op::UnkeyedPayment,
    ]
    .into_iter()
    .enumerate()
    {
        env.admin("tokens/expire", json!({})).await;
        call(&client, op, n)
            .await
            .unwrap_or_else(|e| panic!("{op:?}: {e}"));
    }
    assert_eq!(client.token_mints(), 5);
    assert_eq!(env.stats().await["repayments"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_money_moving_calls_with_drops_after_commit_apply_exactly_once() {
    let env = Env::start().await;
    let client = env.client();
    let (_, loan) = env.customer_and_loan(&client, "once").await;
    let repay_path = format!("/v1/loans/{loan}/repayments");
    let mut rng = fastrand::Rng::with_seed(7);
    let mut drops = 0;
    for i in 0..1000 {
        let create = i % 2 == 0;
        if rng.f64() < 0.2 {
            drops += 1;
            let (method, path) = if create {
                ("POST", "/v1/customers")
            } else {
                ("POST", repay_path.as_str())
            };
            env.fault(method, path, json!({ "kind": "drop_after" }))
                .await;
        }
        let result = if create {
            client
                .call(
                    "create_customer",
                    obj(json!({ "body": { "externalId": format!("once-{i}") } })),
                )
                .await
        } else {
            client
                .call(
                    "create_repayment",
                    obj(json!({ "loan_id": loan, "body": { "transactionAmount": 1, "idempotencyKey": format!("pay-{i}") } })),
                )
                .await
        };
        result.unwrap_or_else(|e| panic!("call {i}: {e}"));
    }
    let stats = env.stats().await;
    assert!(drops > 150, "{drops} drops injected");
    assert_eq!(
        stats["customers"], 501,
        "500 creates + the set-up customer, no duplicate"
    );
    assert_eq!(
        stats["repayments"], 500,
        "500 keyed repayments, none lost or doubled"
    );
    println!("exactly-once: 1000 calls, {drops} drops after commit, 0 duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_concurrent_calls_on_an_expired_token_mint_once() {
    let env = Env::start().await;
    let client = env.client();
    client
        .call("list_loan_products", obj(json!({})))
        .await
        .unwrap();
    env.admin("tokens/expire", json!({})).await;
    let calls = (0..1000).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.call("list_loan_products", obj(json!({}))).await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().expect("call succeeds after the re-mint");
    }
    assert_eq!(
        client.token_mints(),
        2,
        "one mint at start, one after expiry"
    );
    assert_eq!(env.stats().await["tokenMints"], 2);
}
