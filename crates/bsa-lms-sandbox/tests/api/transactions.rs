use serde_json::{Value, json};

use crate::common::{id, start};

fn money(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn repay_allocates_interest_first_and_closes_the_loan() {
    let env = start().await;
    env.loan(1, 10000.0, "halotel-tx-12345").await;
    let base = "/v1/loans/external/halotel-tx-12345/repayments";
    let partial = env.post(base, json!({"transactionAmount": 450})).await.ok();
    assert_eq!(
        partial,
        json!({"id": "1", "type": "Repayment", "date": "2026-05-25", "amount": 450.0, "interest": 450.0, "reversed": false})
    );
    let rest = env
        .post(
            "/v1/loans/1/repayments",
            json!({"transactionAmount": 10650}),
        )
        .await
        .ok();
    assert_eq!(
        (money(&rest["principal"]), money(&rest["interest"])),
        (10000.0, 650.0)
    );
    assert!(rest.get("overpaymentPortion").is_none());
    let loan = env.get("/v1/loans/1").await.ok();
    assert_eq!(loan["status"], "Closed (obligations met)");
    assert_eq!(
        (
            money(&loan["totalRepayment"]),
            money(&loan["totalOutstanding"])
        ),
        (11100.0, 0.0)
    );
    assert!(loan.get("nextDueDate").is_none() && loan.get("nextDueAmount").is_none());
    assert_eq!(loan["repaymentSchedule"]["periods"][1]["complete"], true);
    let history: Vec<_> = loan["repaymentHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(history, [json!("2"), json!("1")]);
    let message = env
        .post(base, json!({"transactionAmount": 1}))
        .await
        .error(400, "failed_precondition");
    assert!(message.starts_with("lms: status=400: "), "{message}");
}

#[tokio::test]
async fn repay_validation_and_date_rules() {
    let env = start().await;
    env.loan(1, 10000.0, "L").await;
    let base = "/v1/loans/external/L/repayments";
    for body in [
        json!({}),
        json!({"transactionAmount": 0}),
        json!({"transactionAmount": -1}),
        json!({"transactionAmount": "5"}),
    ] {
        assert_eq!(
            env.post(base, body).await.field_errors()[0].0,
            "transactionAmount"
        );
    }
    let errors = env
        .post(
            base,
            json!({"transactionAmount": 5, "transactionDate": "2026-13-01"}),
        )
        .await
        .field_errors();
    assert_eq!(errors[0].0, "transactionDate");
    let errors = env
        .post(
            base,
            json!({"transactionAmount": 5, "idempotencyKey": "k".repeat(101)}),
        )
        .await
        .field_errors();
    assert_eq!(errors[0].0, "idempotencyKey");
    env.post(
        base,
        json!({"transactionAmount": 5, "transactionDate": "2026-05-26"}),
    )
    .await
    .error(403, "permission_denied");
    env.post(
        base,
        json!({"transactionAmount": 5, "transactionDate": "2026-05-24"}),
    )
    .await
    .error(403, "permission_denied");
    env.post(
        "/v1/loans/external/nope/repayments",
        json!({"transactionAmount": 5}),
    )
    .await
    .error(404, "not_found");
    env.post("/v1/loans/42/repayments", json!({"transactionAmount": 5}))
        .await
        .error(404, "not_found");
    // Old-revision extras are accepted.
    env.post(base, json!({"transactionAmount": 5, "paymentTypeId": 3, "receiptNumber": "RCP-99847", "note": "n"}))
        .await
        .ok();
}

#[tokio::test]
async fn overpayment_then_refunds_close_the_loan() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let base = "/v1/loans/external/L/repayments";
    env.post(&format!("{base}/refund"), json!({"transactionAmount": 1}))
        .await
        .error(409, "aborted");
    let over = env.repay(&loan, 11200.0).await;
    assert_eq!(money(&over["overpaymentPortion"]), 100.0);
    assert_eq!(
        env.get("/v1/loans/external/L").await.ok()["status"],
        "Overpaid"
    );
    env.post(base, json!({"transactionAmount": 1}))
        .await
        .error(400, "failed_precondition");
    env.post(
        &format!("{base}/waive-interest"),
        json!({"transactionAmount": 1}),
    )
    .await
    .error(409, "aborted");
    env.post(
        &format!("{base}/refund"),
        json!({"transactionAmount": 100.01}),
    )
    .await
    .error(409, "aborted");
    let refund = env
        .post(
            &format!("{base}/refund"),
            json!({"transactionAmount": 60, "note": "dup"}),
        )
        .await
        .ok();
    assert_eq!(
        refund,
        json!({"id": "2", "type": "Refund", "date": "2026-05-25", "amount": 60.0, "reversed": false})
    );
    assert_eq!(
        env.get("/v1/loans/external/L").await.ok()["status"],
        "Overpaid"
    );
    env.post(
        &format!("{base}/credit-balance-refund"),
        json!({"transactionAmount": 41}),
    )
    .await
    .error(409, "aborted");
    let cbr = env
        .post(
            &format!("{base}/credit-balance-refund"),
            json!({"transactionAmount": 40}),
        )
        .await
        .ok();
    assert_eq!(cbr["type"], "Credit Balance Refund");
    assert_eq!(
        env.get("/v1/loans/external/L").await.ok()["status"],
        "Closed (obligations met)"
    );
    env.post(
        &format!("{base}/credit-balance-refund"),
        json!({"transactionAmount": 1}),
    )
    .await
    .error(409, "aborted");
    // Refunds are not customer repayments.
    assert_eq!(env.get(base).await.ok()["total"], 1);
    // Reversing the overpaying repayment while its refunds stand would un-fund them.
    let reverse = format!("{base}/{}/reverse", id(&over));
    env.post(&reverse, json!({"transactionDate": "2026-05-25"}))
        .await
        .error(409, "aborted");
}

#[tokio::test]
async fn idempotency_keys_are_scoped_per_loan() {
    let env = start().await;
    let a = env.loan(1, 10000.0, "A").await;
    env.loan(1, 10000.0, "B").await;
    let body = json!({"transactionAmount": 450, "idempotencyKey": "halopesa-wallet-98765"});
    let first = env
        .post("/v1/loans/external/A/repayments", body.clone())
        .await
        .ok();
    let again = env
        .post(&format!("/v1/loans/{}/repayments", id(&a)), body.clone())
        .await
        .ok();
    assert_eq!(first, again);
    let other = env
        .post("/v1/loans/external/B/repayments", body.clone())
        .await
        .ok();
    assert_ne!(other["id"], first["id"]);
    let stats = env.stats().await;
    assert_eq!(
        (stats["transactions"].clone(), stats["repayments"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(
        money(&env.get("/v1/loans/external/A").await.ok()["totalRepayment"]),
        450.0
    );
    // Replay after the loan settled still answers the original, not failed_precondition.
    env.repay(&a, 10650.0).await;
    assert_eq!(
        env.post("/v1/loans/external/A/repayments", body).await.ok(),
        first
    );
}

#[tokio::test]
async fn list_and_get_in_both_forms() {
    let env = start().await;
    let loan = env.loan(2, 10000.0, "L").await;
    env.set_today("2026-07-01").await;
    let t1 = env
        .post(
            "/v1/loans/external/L/repayments",
            json!({"transactionAmount": 100, "transactionDate": "2026-06-01"}),
        )
        .await
        .ok();
    let t2 = env
        .post(
            "/v1/loans/external/L/repayments",
            json!({"transactionAmount": 200, "transactionDate": "2026-05-30"}),
        )
        .await
        .ok();
    let t3 = env.repay(&loan, 300.0).await;
    env.post(
        "/v1/loans/external/L/repayments/waive-interest",
        json!({"transactionAmount": 1}),
    )
    .await
    .ok();
    let page = env.get("/v1/loans/external/L/repayments?rows=2").await.ok();
    let ids: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, [t3["id"].clone(), t1["id"].clone()]);
    assert_eq!(
        (page["total"].clone(), page["rowsPerPage"].clone()),
        (json!(3), json!(2))
    );
    let page2 = env
        .get(&format!("/v1/loans/{}/repayments?page=2&rows=2", id(&loan)))
        .await
        .ok();
    assert_eq!(page2["items"][0]["id"], t2["id"]);
    env.get("/v1/loans/external/L/repayments?page=0")
        .await
        .field_errors();
    assert_eq!(
        env.get(&format!("/v1/loans/external/L/repayments/{}", id(&t1)))
            .await
            .ok(),
        env.get(&format!("/v1/loans/{}/repayments/{}", id(&loan), id(&t1)))
            .await
            .ok()
    );
    let other = env.loan(1, 5000.0, "O").await;
    env.get(&format!("/v1/loans/{}/repayments/{}", id(&other), id(&t1)))
        .await
        .error(404, "not_found");
    env.get("/v1/loans/external/L/repayments/999")
        .await
        .error(404, "not_found");
    env.get("/v1/loans/external/nope/repayments")
        .await
        .error(404, "not_found");
}

#[tokio::test]
async fn waive_interest_rules() {
    let env = start().await;
    env.loan(1, 10000.0, "L").await;
    let base = "/v1/loans/external/L/repayments";
    env.post(
        &format!("{base}/waive-interest"),
        json!({"transactionAmount": 1100.01}),
    )
    .await
    .error(409, "aborted");
    let waiver = env
        .post(
            &format!("{base}/waive-interest"),
            json!({"transactionAmount": 75.00, "note": "hardship"}),
        )
        .await
        .ok();
    assert_eq!(
        waiver,
        json!({"id": "1", "type": "Waive Interest", "date": "2026-05-25", "amount": 75.0, "interest": 75.0, "reversed": false})
    );
    let loan = env.get("/v1/loans/external/L").await.ok();
    assert_eq!(money(&loan["interestOutstanding"]), 1025.0);
    assert_eq!(money(&loan["totalOutstanding"]), 11025.0);
    assert_eq!(
        money(&loan["repaymentSchedule"]["periods"][1]["interestWaived"]),
        75.0
    );
    assert_eq!(loan["repaymentHistory"], json!([]));
    // Waiving all remaining interest plus paying principal settles the loan.
    env.post(
        &format!("{base}/waive-interest"),
        json!({"transactionAmount": 1025}),
    )
    .await
    .ok();
    env.post(base, json!({"transactionAmount": 10000}))
        .await
        .ok();
    assert_eq!(
        env.get("/v1/loans/external/L").await.ok()["status"],
        "Closed (obligations met)"
    );
}

#[tokio::test]
async fn charge_off_books_the_outstanding_balance_and_reverses_only_while_latest() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let base = "/v1/loans/external/L/repayments";
    env.repay(&loan, 600.0).await;
    let co = env
        .post(
            &format!("{base}/charge-off"),
            json!({"transactionAmount": 1, "note": "180 dpd"}),
        )
        .await
        .ok();
    assert_eq!(co["type"], "Charge-off");
    assert_eq!(
        (
            money(&co["amount"]),
            money(&co["principal"]),
            money(&co["interest"])
        ),
        (10500.0, 10000.0, 500.0)
    );
    let l = env.get("/v1/loans/external/L").await.ok();
    assert_eq!(
        (l["status"].clone(), l["chargedOff"].clone()),
        (json!("Active"), json!(true))
    );
    assert_eq!(money(&l["totalOutstanding"]), 10500.0);
    env.post(
        &format!("{base}/charge-off"),
        json!({"transactionAmount": 1}),
    )
    .await
    .error(409, "aborted");
    let co_path = format!("{base}/{}", id(&co));
    env.post(
        &format!("{co_path}/adjust"),
        json!({"transactionDate": "2026-05-25", "transactionAmount": 5}),
    )
    .await
    .error(409, "aborted");
    // Collections continue; the charge-off is readable but not a repayment.
    let later = env.repay(&loan, 100.0).await;
    assert_eq!(env.get(&co_path).await.ok()["id"], co["id"]);
    assert_eq!(env.get(base).await.ok()["total"], 2);
    env.post(
        &format!("{co_path}/reverse"),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .error(409, "aborted");
    env.post(
        &format!("{base}/{}/reverse", id(&later)),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .ok();
    let reversed = env
        .post(
            &format!("{co_path}/reverse"),
            json!({"transactionDate": "2026-05-25"}),
        )
        .await
        .ok();
    assert_eq!(reversed["reversed"], true);
    assert!(
        env.get("/v1/loans/external/L")
            .await
            .ok()
            .get("chargedOff")
            .is_none()
    );
    env.post(
        &format!("{co_path}/reverse"),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .error(409, "aborted");
}

#[tokio::test]
async fn recovery_after_write_off() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let base = "/v1/loans/external/L/repayments";
    env.post(&format!("{base}/recover"), json!({"transactionAmount": 10}))
        .await
        .error(409, "aborted");
    let paid = env.repay(&loan, 1100.0).await;
    env.post(
        &format!("/v1/loans/{}/writeoff", id(&loan)),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .ok();
    env.post(
        &format!("{base}/recover"),
        json!({"transactionAmount": 10000.01}),
    )
    .await
    .error(409, "aborted");
    let rec = env
        .post(
            &format!("{base}/recover"),
            json!({"transactionAmount": 9000}),
        )
        .await
        .ok();
    assert_eq!(
        rec,
        json!({"id": "2", "type": "Recovery Repayment", "date": "2026-05-25", "amount": 9000.0, "reversed": false})
    );
    env.post(
        &format!("{base}/recover"),
        json!({"transactionAmount": 1000.01}),
    )
    .await
    .error(409, "aborted");
    let l = env.get("/v1/loans/external/L").await.ok();
    assert_eq!(
        (
            l["status"].clone(),
            money(&l["totalOutstanding"]),
            money(&l["totalRepayment"])
        ),
        (json!("Closed (written off)"), 0.0, 1100.0)
    );
    // Edits after write-off are refused, except reversing a recovery.
    env.post(
        &format!("{base}/{}/adjust", id(&paid)),
        json!({"transactionDate": "2026-05-25", "transactionAmount": 1}),
    )
    .await
    .error(409, "aborted");
    env.post(
        &format!("{base}/{}/reverse", id(&paid)),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .error(409, "aborted");
    env.post(
        &format!("{base}/{}/reverse", id(&rec)),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .ok();
    env.post(
        &format!("{base}/recover"),
        json!({"transactionAmount": 10000}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn adjust_replaces_the_transaction_and_replays() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let base = "/v1/loans/external/L/repayments";
    let keyed = env
        .post(
            base,
            json!({"transactionAmount": 11100, "idempotencyKey": "k1"}),
        )
        .await
        .ok();
    assert_eq!(
        env.get("/v1/loans/external/L").await.ok()["status"],
        "Closed (obligations met)"
    );
    let path = format!("{base}/{}/adjust", id(&keyed));
    for body in [
        json!({"transactionAmount": 5}),
        json!({"transactionDate": "2026-05-25"}),
        json!({"transactionDate": "2026-05-25", "transactionAmount": -1}),
    ] {
        env.post(&path, body).await.field_errors();
    }
    env.post(
        &path,
        json!({"transactionDate": "2026-05-26", "transactionAmount": 5}),
    )
    .await
    .error(403, "permission_denied");
    let new = env
        .post(
            &path,
            json!({"transactionDate": "2026-05-25", "transactionAmount": 425, "note": "fix"}),
        )
        .await
        .ok();
    assert_ne!(new["id"], keyed["id"]);
    assert_eq!(
        (
            new["type"].clone(),
            money(&new["amount"]),
            money(&new["interest"])
        ),
        (json!("Repayment"), 425.0, 425.0)
    );
    let original = env.get(&format!("{base}/{}", id(&keyed))).await.ok();
    assert_eq!(original["reversed"], true);
    assert_eq!(
        money(&original["principal"]),
        10000.0,
        "a reversed entry keeps its portions"
    );
    let l = env.get("/v1/loans/external/L").await.ok();
    assert_eq!(
        (l["status"].clone(), money(&l["totalRepayment"])),
        (json!("Active"), 425.0)
    );
    env.post(
        &path,
        json!({"transactionDate": "2026-05-25", "transactionAmount": 1}),
    )
    .await
    .error(409, "aborted");
    // The key stays bound to the original, now reversed.
    assert_eq!(
        env.post(
            base,
            json!({"transactionAmount": 1, "idempotencyKey": "k1"})
        )
        .await
        .ok(),
        original
    );
    // Amount 0: the original is reversed and returned, nothing replaces it.
    let zero = env
        .post(
            &format!("{base}/{}/adjust", id(&new)),
            json!({"transactionDate": "2026-05-25", "transactionAmount": 0}),
        )
        .await
        .ok();
    assert_eq!(
        (zero["id"].clone(), zero["reversed"].clone()),
        (new["id"].clone(), json!(true))
    );
    assert_eq!(
        money(&env.get(&format!("/v1/loans/{}", id(&loan))).await.ok()["totalRepayment"]),
        0.0
    );
    let stats = env.stats().await;
    assert_eq!(
        (stats["transactions"].clone(), stats["repayments"].clone()),
        (json!(2), json!(2))
    );
    // Refunds cannot be adjusted.
    env.repay(&loan, 11200.0).await;
    let refund = env
        .post(&format!("{base}/refund"), json!({"transactionAmount": 100}))
        .await
        .ok();
    env.post(
        &format!("{base}/{}/adjust", id(&refund)),
        json!({"transactionDate": "2026-05-25", "transactionAmount": 50}),
    )
    .await
    .error(409, "aborted");
}

#[tokio::test]
async fn reverse_replays_later_transactions() {
    let env = start().await;
    let loan = env.loan(2, 10000.0, "L").await;
    let base = "/v1/loans/external/L/repayments";
    let first = env.repay(&loan, 916.80).await;
    let second = env.repay(&loan, 916.80).await;
    assert_eq!(
        (money(&second["principal"]), money(&second["interest"])),
        (778.30, 138.50)
    );
    env.post(&format!("{base}/{}/reverse", id(&first)), json!({}))
        .await
        .field_errors();
    let reversed = env
        .post(
            &format!("{base}/{}/reverse", id(&first)),
            json!({"transactionDate": "2026-05-25", "note": "wrong loan"}),
        )
        .await
        .ok();
    assert_eq!(
        (reversed["reversed"].clone(), money(&reversed["principal"])),
        (json!(true), 766.80)
    );
    // The second payment now settles the first instalment.
    let replayed = env.get(&format!("{base}/{}", id(&second))).await.ok();
    assert_eq!(
        (money(&replayed["principal"]), money(&replayed["interest"])),
        (766.80, 150.00)
    );
    let l = env.get("/v1/loans/external/L").await.ok();
    assert_eq!(l["nextDueDate"], "2026-07-25");
    assert_eq!(money(&l["totalRepayment"]), 916.80);
    let history = l["repaymentHistory"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history.iter().filter(|t| t["reversed"] == true).count(), 1);
    env.post(
        &format!("{base}/{}/reverse", id(&first)),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .error(409, "aborted");
    env.post(
        &format!("{base}/999/reverse"),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .error(404, "not_found");
}

#[tokio::test]
async fn backdated_repayment_is_allocated_before_later_ones() {
    let env = start().await;
    let loan = env.loan(2, 10000.0, "L").await;
    env.set_today("2026-06-10").await;
    let late = env.repay(&loan, 916.80).await;
    assert_eq!(money(&late["interest"]), 150.0);
    let early = env
        .post(
            "/v1/loans/external/L/repayments",
            json!({"transactionAmount": 916.80, "transactionDate": "2026-06-01"}),
        )
        .await
        .ok();
    assert_eq!(money(&early["interest"]), 150.0);
    let late = env
        .get(&format!("/v1/loans/external/L/repayments/{}", id(&late)))
        .await
        .ok();
    assert_eq!(money(&late["interest"]), 138.50);
}

#[tokio::test]
async fn seeded_charges_are_paid_penalty_fee_interest_principal() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let charges = format!("/_sandbox/loans/{}/charges", id(&loan));
    let reply = env
        .send(
            reqwest::Method::POST,
            &charges,
            Some(json!({"kind": "fee", "amount": 20})),
            false,
        )
        .await;
    assert_eq!(money(&reply.ok()["feeChargesOutstanding"]), 20.0);
    let l = env
        .admin(
            &format!("/loans/{}/charges", id(&loan)),
            json!({"kind": "penalty", "amount": 30}),
        )
        .await;
    assert_eq!(money(&l["totalOutstanding"]), 11150.0);
    assert_eq!(money(&l["nextDueAmount"]), 11150.0);
    // Paid late (after the due date), the penalty stands and is paid first.
    env.set_today("2026-07-01").await;
    let tx = env.repay(&loan, 60.0).await;
    assert_eq!(
        (
            money(&tx["penalty"]),
            money(&tx["fees"]),
            money(&tx["interest"])
        ),
        (30.0, 20.0, 10.0)
    );
    env.admin("/transaction-shape", json!({"shape": "old"}))
        .await;
    let old = env
        .get(&format!("/v1/loans/external/L/repayments/{}", id(&tx)))
        .await
        .ok();
    assert_eq!(money(&old["penalties"]), 30.0);
    assert_eq!(money(&old["principal"]), 0.0);
}

#[tokio::test]
async fn a_timely_payment_cancels_a_penalty_raised_meanwhile() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    env.admin(
        &format!("/loans/{}/charges", id(&loan)),
        json!({"kind": "penalty", "amount": 30}),
    )
    .await;
    env.set_today("2026-07-01").await;
    let tx = env
        .post(
            "/v1/loans/external/L/repayments",
            json!({"transactionAmount": 100, "transactionDate": "2026-06-25"}),
        )
        .await
        .ok();
    assert!(tx.get("penalty").is_none());
    assert_eq!(money(&tx["interest"]), 100.0);
    let l = env.get("/v1/loans/external/L").await.ok();
    assert_eq!(
        (
            money(&l["penaltyChargesCharged"]),
            money(&l["totalOutstanding"])
        ),
        (0.0, 11000.0)
    );
}

#[tokio::test]
async fn transaction_shapes() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let tx = env.repay(&loan, 11200.0).await;
    assert_eq!(money(&tx["overpaymentPortion"]), 100.0);
    let path = format!("/v1/loans/external/L/repayments/{}", id(&tx));
    env.admin("/transaction-shape", json!({"shape": "alt"}))
        .await;
    let alt = env.get(&path).await.ok();
    assert_eq!(
        (alt["status"].clone(), money(&alt["overpayment"])),
        (json!("posted"), 100.0)
    );
    assert!(alt.get("reversed").is_none() && alt.get("overpaymentPortion").is_none());
    env.admin("/transaction-shape", json!({"shape": "old"}))
        .await;
    let old = env.get(&path).await.ok();
    assert_eq!(old["loanId"], loan["id"]);
    for field in [
        "principal",
        "interest",
        "fees",
        "penalties",
        "overpaymentPortion",
        "reversed",
    ] {
        assert!(old.get(field).is_some(), "{field} in {old}");
    }
    assert_eq!(money(&old["fees"]), 0.0);
    env.send(
        reqwest::Method::POST,
        "/_sandbox/transaction-shape",
        Some(json!({"shape": "new"})),
        false,
    )
    .await
    .field_errors();
    env.admin("/reset", json!({})).await;
    let loan = env.loan(1, 10000.0, "L").await;
    let tx = env.repay(&loan, 1.0).await;
    assert_eq!(tx["reversed"], false);
}

#[tokio::test]
async fn amounts_below_a_cent_and_unknown_loans() {
    let env = start().await;
    env.loan(1, 10000.0, "L").await;
    // Half a cent rounds half-even to 0.00, which is no payment.
    let errors = env
        .post(
            "/v1/loans/external/L/repayments",
            json!({"transactionAmount": 0.005}),
        )
        .await
        .field_errors();
    assert_eq!(
        errors,
        [(
            "transactionAmount".to_owned(),
            "must be at least 0.01".to_owned()
        )]
    );
    let tx = env
        .post(
            "/v1/loans/external/L/repayments",
            json!({"transactionAmount": 0.015}),
        )
        .await
        .ok();
    assert_eq!(money(&tx["amount"]), 0.02, "1.5 cents round half-even to 2");
    // The loan is looked up before the body is read.
    env.post("/v1/loans/9/repayments", json!({}))
        .await
        .error(404, "not_found");
    env.post(
        "/v1/loans/not-a-number/repayments/waive-interest",
        json!({"transactionAmount": 1}),
    )
    .await
    .error(404, "not_found");
}
