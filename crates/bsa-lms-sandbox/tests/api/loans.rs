use serde_json::{Value, json};

use crate::common::{id, start};

fn money(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn products_are_the_two_seeds() {
    let env = start().await;
    let list = env.get("/v1/loan-products").await.ok();
    let items = list["items"].as_array().unwrap();
    assert_eq!(list.as_object().unwrap().len(), 1, "unpaginated: {list}");
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["id"].clone(), items[0]["name"].clone()),
        (json!("1"), json!("Halotel 30-Day"))
    );
    assert_eq!(items[0]["interestType"], "Flat");
    assert_eq!(money(&items[0]["interestRatePerPeriod"]), 11.0);
    assert_eq!(items[1]["shortName"], "STD12");
    assert_eq!(items[1]["numberOfRepayments"], 12);
    assert_eq!(items[1]["interestType"], "Declining Balance");
    assert_eq!(items[1]["status"], "active");
    assert_eq!(
        (
            money(&items[1]["minPrincipal"]),
            money(&items[1]["maxPrincipal"])
        ),
        (1000.0, 50000.0)
    );
}

#[tokio::test]
async fn create_originates_an_active_loan_matching_the_reference_example() {
    let env = start().await;
    env.customer("ext-ada-001").await;
    let loan = env
        .post("/v1/loans", json!({"customerId": 1, "productId": 1, "principal": 10000, "externalId": "halotel-tx-12345"}))
        .await
        .ok();
    for (field, value) in [
        ("id", json!("1")),
        ("accountNo", json!("000000001")),
        ("externalId", json!("halotel-tx-12345")),
        ("customerId", json!("1")),
        ("customerName", json!("ext-ada-001 Customer")),
        ("loanProductId", json!("1")),
        ("loanProductName", json!("Halotel 30-Day")),
        ("status", json!("Active")),
        ("currencyCode", json!("TZS")),
        ("termFrequency", json!(1)),
        ("numberOfRepayments", json!(1)),
        ("nextDueDate", json!("2026-06-25")),
        ("repaymentHistory", json!([])),
    ] {
        assert_eq!(loan[field], value, "{field}");
    }
    for (field, value) in [
        ("principal", 10000.0),
        ("approvedPrincipal", 10000.0),
        ("interestRatePerPeriod", 11.0),
        ("principalDisbursed", 10000.0),
        ("principalPaid", 0.0),
        ("principalOutstanding", 10000.0),
        ("interestCharged", 1100.0),
        ("interestPaid", 0.0),
        ("interestOutstanding", 1100.0),
        ("feeChargesCharged", 0.0),
        ("penaltyChargesOutstanding", 0.0),
        ("totalRepayment", 0.0),
        ("totalOutstanding", 11100.0),
        ("nextDueAmount", 11100.0),
    ] {
        assert_eq!(money(&loan[field]), value, "{field}");
    }
    let schedule = &loan["repaymentSchedule"];
    assert_eq!(schedule["loanTermInDays"], 31);
    assert_eq!(money(&schedule["totalRepaymentExpected"]), 11100.0);
    let periods = schedule["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0]["dueDate"], "2026-05-25");
    assert!(periods[0].get("period").is_none());
    assert_eq!(money(&periods[0]["principalDisbursed"]), 10000.0);
    let p1 = &periods[1];
    assert_eq!(
        (
            p1["period"].clone(),
            p1["fromDate"].clone(),
            p1["dueDate"].clone()
        ),
        (json!(1), json!("2026-05-25"), json!("2026-06-25"))
    );
    assert_eq!(
        (p1["daysInPeriod"].clone(), p1["complete"].clone()),
        (json!(31), json!(false))
    );
    assert_eq!(money(&p1["totalDueForPeriod"]), 11100.0);
    assert_eq!(money(&p1["principalLoanBalanceOutstanding"]), 0.0);
    assert_eq!(
        env.get("/v1/loans/external/halotel-tx-12345").await.ok(),
        loan
    );
    assert_eq!(env.get("/v1/loans/1").await.ok(), loan);
}

#[tokio::test]
async fn declining_balance_schedule_matches_the_worked_example() {
    let env = start().await;
    let loan = env.loan(2, 10000.0, "std").await;
    let periods = loan["repaymentSchedule"]["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 13);
    let row = |k: usize| {
        let p = &periods[k];
        (
            p["dueDate"].as_str().unwrap().to_owned(),
            money(&p["principalDue"]),
            money(&p["interestDue"]),
            money(&p["totalDueForPeriod"]),
            money(&p["principalLoanBalanceOutstanding"]),
        )
    };
    assert_eq!(
        row(1),
        ("2026-06-25".to_owned(), 766.80, 150.00, 916.80, 9233.20)
    );
    assert_eq!(
        row(2),
        ("2026-07-25".to_owned(), 778.30, 138.50, 916.80, 8454.90)
    );
    assert_eq!(
        row(3),
        ("2026-08-25".to_owned(), 789.98, 126.82, 916.80, 7664.92)
    );
    assert_eq!(
        row(11),
        ("2027-04-25".to_owned(), 889.90, 26.90, 916.80, 903.26)
    );
    assert_eq!(
        row(12),
        ("2027-05-25".to_owned(), 903.26, 13.55, 916.81, 0.0)
    );
    assert_eq!(money(&loan["interestCharged"]), 1001.61);
    assert_eq!(money(&loan["totalOutstanding"]), 11001.61);
    assert_eq!(money(&loan["nextDueAmount"]), 916.80);
    assert_eq!(loan["repaymentSchedule"]["loanTermInDays"], 365);
}

#[tokio::test]
async fn create_errors() {
    let env = start().await;
    env.customer("c1").await;
    env.admin("/customers/pending", json!({"externalId": "pend"}))
        .await;
    let errors = env.post("/v1/loans", json!({})).await.field_errors();
    let fields: Vec<_> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(fields, ["customerId", "productId", "principal"]);
    for principal in [json!(0), json!(-5), json!("100")] {
        let errors = env
            .post(
                "/v1/loans",
                json!({"customerId": 1, "productId": 1, "principal": principal}),
            )
            .await
            .field_errors();
        assert_eq!(errors[0].0, "principal");
    }
    let errors = env
        .post(
            "/v1/loans",
            json!({"customerId": 1, "productId": "1", "principal": 5000}),
        )
        .await
        .field_errors();
    assert_eq!(errors[0].0, "productId");
    env.post(
        "/v1/loans",
        json!({"customerId": 99, "productId": 1, "principal": 5000}),
    )
    .await
    .error(404, "not_found");
    env.post(
        "/v1/loans",
        json!({"customerId": "nobody", "productId": 1, "principal": 5000}),
    )
    .await
    .error(404, "not_found");
    env.post(
        "/v1/loans",
        json!({"customerId": 1, "productId": 9, "principal": 5000}),
    )
    .await
    .error(404, "not_found");
    let errors = env
        .post(
            "/v1/loans",
            json!({"customerId": 1, "productId": 1, "principal": 50000.01}),
        )
        .await
        .field_errors();
    assert_eq!(errors[0].0, "principal");
    env.post(
        "/v1/loans",
        json!({"customerId": 1, "productId": 1, "principal": 999}),
    )
    .await
    .field_errors();
    env.post(
        "/v1/loans",
        json!({"customerId": "pend", "productId": 1, "principal": 5000}),
    )
    .await
    .error(409, "aborted");
    env.post(
        "/v1/loans",
        json!({"customerId": 1, "productId": 1, "principal": 5000, "externalId": "L"}),
    )
    .await
    .ok();
    env.post(
        "/v1/loans",
        json!({"customerId": 1, "productId": 1, "principal": 5000, "externalId": "L"}),
    )
    .await
    .error(409, "aborted");
    // The same string may be a customer's and a loan's externalId (two namespaces).
    env.post(
        "/v1/loans",
        json!({"customerId": 1, "productId": 1, "principal": 5000, "externalId": "c1"}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn customer_id_may_be_an_external_id_or_an_id_string() {
    let env = start().await;
    env.customer("first").await;
    env.customer("ext-ada-001").await;
    let loan = env
        .post(
            "/v1/loans",
            json!({"customerId": "ext-ada-001", "productId": 1, "principal": 10000}),
        )
        .await
        .ok();
    assert_eq!(loan["customerId"], "2");
    assert!(loan.get("externalId").is_none());
    let loan = env
        .post(
            "/v1/loans",
            json!({"customerId": "1", "productId": 1, "principal": 10000}),
        )
        .await
        .ok();
    assert_eq!(loan["customerId"], "1");
}

#[tokio::test]
async fn list_filters_by_customer_and_status() {
    let env = start().await;
    let a = env.loan(1, 10000.0, "a").await;
    env.loan(1, 20000.0, "b").await;
    let c = env
        .post(
            "/v1/loans",
            json!({"customerId": a["customerId"], "productId": 2, "principal": 3000}),
        )
        .await
        .ok();
    env.repay(&c, 100000.0).await; // Overpaid
    let page = env.get("/v1/loans").await.ok();
    assert_eq!(page["total"], 3);
    let row = &page["items"][0];
    assert!(row.get("repaymentHistory").is_none());
    assert!(row["repaymentSchedule"]["periods"].is_array());
    let page = env
        .get(&format!(
            "/v1/loans?customerId={}",
            a["customerId"].as_str().unwrap()
        ))
        .await
        .ok();
    assert_eq!(page["total"], 2);
    let page = env.get("/v1/loans?customerExternalId=cust-b").await.ok();
    assert_eq!(
        (
            page["total"].clone(),
            page["items"][0]["externalId"].clone()
        ),
        (json!(1), json!("b"))
    );
    let page = env
        .get("/v1/loans?customerExternalId=cust-a&status=active")
        .await
        .ok();
    assert_eq!(
        (page["total"].clone(), page["items"][0]["id"].clone()),
        (json!(1), a["id"].clone())
    );
    let page = env.get("/v1/loans?status=OVERPAID").await.ok();
    assert_eq!(page["items"][0]["id"], c["id"]);
    assert_eq!(
        env.get("/v1/loans?customerExternalId=unknown").await.ok()["total"],
        0
    );
    assert_eq!(
        env.get("/v1/loans?customerId=1&customerExternalId=cust-a")
            .await
            .field_errors()[0]
            .0,
        "customerExternalId"
    );
    assert_eq!(env.get("/v1/loans?customerId=abc").await.ok()["total"], 0);
    let page = env
        .get("/v1/loans?orderBy=principal&sortOrder=DESC&rows=1")
        .await
        .ok();
    assert_eq!(
        (
            page["items"][0]["externalId"].clone(),
            page["total"].clone()
        ),
        (json!("b"), json!(3))
    );
    env.get("/v1/loans?rows=101").await.field_errors();
}

#[tokio::test]
async fn undo_steps_update_and_delete() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let path = format!("/v1/loans/{}", id(&loan));
    env.put(&path, json!({"principal": 6000}))
        .await
        .error(409, "aborted");
    env.delete(&path).await.error(403, "permission_denied");
    env.post(&format!("{path}/undo-approval"), json!({}))
        .await
        .error(409, "aborted");

    // No body and no Content-Type at all.
    let r = env
        .send(
            reqwest::Method::POST,
            "/v1/loans/external/L/undo-disbursal",
            None,
            true,
        )
        .await;
    let approved = r.ok();
    assert_eq!(approved["status"], "Approved");
    assert_eq!(money(&approved["approvedPrincipal"]), 10000.0);
    assert_eq!(money(&approved["principalDisbursed"]), 0.0);
    assert_eq!(money(&approved["totalOutstanding"]), 0.0);
    assert!(approved.get("nextDueDate").is_none());
    assert!(approved.get("actualDisbursementDate").is_none());
    env.post(&format!("{path}/undo-disbursal"), json!({}))
        .await
        .error(409, "aborted");
    env.delete(&path).await.error(403, "permission_denied");

    let submitted = env
        .post(&format!("{path}/undo-approval"), json!({"note": "fix"}))
        .await
        .ok();
    assert_eq!(submitted["status"], "Submitted and pending approval");
    assert!(submitted.get("approvedPrincipal").is_none());
    let updated = env
        .put(
            &path,
            json!({"principal": 6000, "numberOfRepayments": 18, "interestRatePerPeriod": 2}),
        )
        .await
        .ok();
    assert_eq!(
        (
            updated["termFrequency"].clone(),
            updated["numberOfRepayments"].clone()
        ),
        (json!(18), json!(18))
    );
    assert_eq!(
        (
            money(&updated["principal"]),
            money(&updated["interestRatePerPeriod"])
        ),
        (6000.0, 2.0)
    );
    assert_eq!(
        updated["repaymentSchedule"]["periods"]
            .as_array()
            .unwrap()
            .len(),
        19
    );
    env.put(&path, json!({"principal": 60}))
        .await
        .field_errors();
    env.put(&path, json!({"numberOfRepayments": 0}))
        .await
        .field_errors();
    env.put(&path, json!({"interestRatePerPeriod": -1}))
        .await
        .field_errors();
    env.loan(1, 5000.0, "other").await;
    env.put(&path, json!({"externalId": "other"}))
        .await
        .error(409, "aborted");
    env.put(&path, json!({"externalId": "renamed"})).await.ok();
    env.put("/v1/loans/999", json!({}))
        .await
        .error(404, "not_found");

    let r = env.delete("/v1/loans/external/renamed").await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (204, ""));
    env.get(&path).await.error(404, "not_found");
    // The deleted loan's externalId is free again.
    env.post("/v1/loans", json!({"customerId": loan["customerId"], "productId": 1, "principal": 5000, "externalId": "renamed"}))
        .await
        .ok();
}

#[tokio::test]
async fn undo_disbursal_needs_no_live_transactions() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let tx = env.repay(&loan, 100.0).await;
    let message = env
        .post("/v1/loans/external/L/undo-disbursal", json!({}))
        .await
        .error(409, "aborted");
    assert!(message.starts_with("lms: status=409: "));
    env.post(
        &format!("/v1/loans/external/L/repayments/{}/reverse", id(&tx)),
        json!({"transactionDate": "2026-05-25"}),
    )
    .await
    .ok();
    assert_eq!(
        env.post("/v1/loans/external/L/undo-disbursal", json!({}))
            .await
            .ok()["status"],
        "Approved"
    );
}

#[tokio::test]
async fn adjust_disbursement_date_moves_the_schedule() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let path = "/v1/loans/external/L/adjust-disbursement-date";
    env.post(path, json!({"actualDisbursementDate": "2026-05-27"}))
        .await
        .error(403, "permission_denied");
    env.set_today("2026-05-28").await;
    let moved = env
        .post(
            path,
            json!({"actualDisbursementDate": "2026-05-27", "note": "late wallet"}),
        )
        .await
        .ok();
    assert_eq!(moved["status"], "Active");
    assert_eq!(moved["nextDueDate"], "2026-06-27");
    assert_eq!(moved["actualDisbursementDate"], "2026-05-27");
    let p1 = &moved["repaymentSchedule"]["periods"][1];
    assert_eq!(
        (p1["fromDate"].clone(), p1["dueDate"].clone()),
        (json!("2026-05-27"), json!("2026-06-27"))
    );
    env.post(path, json!({"actualDisbursementDate": "2026-05-24"}))
        .await
        .error(403, "permission_denied");
    assert_eq!(
        env.post(path, json!({})).await.field_errors()[0].0,
        "actualDisbursementDate"
    );
    assert_eq!(
        env.post(path, json!({"actualDisbursementDate": "27/05/2026"}))
            .await
            .field_errors()[0]
            .0,
        "actualDisbursementDate"
    );
    env.repay(&loan, 50.0).await;
    assert_eq!(
        env.post(path, json!({"actualDisbursementDate": "2026-05-26"}))
            .await
            .field_errors()[0]
            .0,
        "actualDisbursementDate"
    );
    env.post(
        "/v1/loans/external/nope/adjust-disbursement-date",
        json!({"actualDisbursementDate": "2026-05-26"}),
    )
    .await
    .error(404, "not_found");
}

#[tokio::test]
async fn write_off_closes_the_loan_and_has_no_external_form() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let path = format!("/v1/loans/{}/writeoff", id(&loan));
    assert_eq!(
        env.post(&path, json!({})).await.field_errors()[0].0,
        "transactionDate"
    );
    env.post(&path, json!({"transactionDate": "2026-05-24"}))
        .await
        .error(403, "permission_denied");
    env.post(&path, json!({"transactionDate": "2026-05-26"}))
        .await
        .error(403, "permission_denied");
    env.set_today("2026-07-01").await;
    env.post(
        &format!("/v1/loans/{}/repayments", id(&loan)),
        json!({"transactionAmount": 100, "transactionDate": "2026-06-01"}),
    )
    .await
    .ok();
    env.post(&path, json!({"transactionDate": "2026-05-30"}))
        .await
        .error(403, "permission_denied");
    let off = env
        .post(
            &path,
            json!({"transactionDate": "2026-06-15", "note": "gone"}),
        )
        .await
        .ok();
    assert_eq!(off["status"], "Closed (written off)");
    assert_eq!(money(&off["totalOutstanding"]), 0.0);
    assert_eq!(money(&off["interestOutstanding"]), 0.0);
    assert_eq!(money(&off["interestCharged"]), 1100.0);
    assert_eq!(money(&off["totalRepayment"]), 100.0);
    assert!(off.get("nextDueDate").is_none());
    assert_eq!(
        money(&off["repaymentSchedule"]["periods"][1]["principalWrittenOff"]),
        10000.0
    );
    env.post(&path, json!({"transactionDate": "2026-06-20"}))
        .await
        .error(409, "aborted");
    env.post(
        "/v1/loans/external/L/writeoff",
        json!({"transactionDate": "2026-06-20"}),
    )
    .await
    .error(404, "not_found");
    // Write-off entries are internal: the repayment list shows the repayment only.
    assert_eq!(
        env.get("/v1/loans/external/L/repayments").await.ok()["total"],
        1
    );
}

#[tokio::test]
async fn rollback_tears_down_and_resumes() {
    let env = start().await;
    env.loan(1, 10000.0, "L").await;
    let steps = env
        .send(
            reqwest::Method::POST,
            "/v1/loans/external/L/rollback",
            None,
            true,
        )
        .await
        .ok();
    assert_eq!(
        steps,
        json!({"steps": ["undo-disbursal", "undo-approval", "delete"]})
    );
    env.get("/v1/loans/external/L")
        .await
        .error(404, "not_found");
    env.post("/v1/loans/external/L/rollback", json!({}))
        .await
        .error(404, "not_found");
    assert_eq!(env.get("/v1/loans").await.ok()["total"], 0);

    let loan = env.loan(1, 10000.0, "M").await;
    env.admin("/rollback-stop", json!({"afterStep": "undo-disbursal"}))
        .await;
    let message = env
        .post(
            "/v1/loans/external/M/rollback",
            json!({"note": "wallet failed"}),
        )
        .await
        .error(500, "internal");
    assert!(message.contains("undo-disbursal"), "{message}");
    assert_eq!(
        env.get("/v1/loans/external/M").await.ok()["status"],
        "Approved"
    );
    env.admin("/rollback-stop", json!({"afterStep": "undo-approval"}))
        .await;
    env.post(&format!("/v1/loans/{}/rollback", id(&loan)), json!({}))
        .await
        .error(500, "internal");
    assert_eq!(
        env.get("/v1/loans/external/M").await.ok()["status"],
        "Submitted and pending approval"
    );
    let steps = env
        .post("/v1/loans/external/M/rollback", json!({}))
        .await
        .ok();
    assert_eq!(steps, json!({"steps": ["delete"]}));
    env.get("/v1/loans/external/M")
        .await
        .error(404, "not_found");
}

#[tokio::test]
async fn rollback_refuses_settled_loans_and_loans_with_repayments() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    let tx = env.repay(&loan, 50.0).await;
    env.post("/v1/loans/external/L/rollback", json!({}))
        .await
        .error(409, "aborted");
    env.repay(&loan, 11050.0).await;
    assert_eq!(
        env.get("/v1/loans/external/L").await.ok()["status"],
        "Closed (obligations met)"
    );
    env.post("/v1/loans/external/L/rollback", json!({}))
        .await
        .error(409, "aborted");
    // A loan id that is not a number names no loan (only customer ids answer 400).
    env.get(&format!("/v1/loans/L/repayments/{}", id(&tx)))
        .await
        .error(404, "not_found");
    env.get("/v1/loans/external/L/repayments/x1")
        .await
        .error(404, "not_found");
}
