use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use crate::common::{reply, start};

#[tokio::test]
async fn clock_drives_today() {
    let env = start().await;
    let clock = env
        .send(Method::GET, "/_sandbox/clock", None, false)
        .await
        .ok();
    assert_eq!(clock, json!({"today": "2026-05-25"}));
    env.set_today("2026-06-30").await;
    assert_eq!(env.customer("c").await["activationDate"], "2026-06-30");
    let loan = env
        .post(
            "/v1/loans",
            json!({"customerId": 1, "productId": 1, "principal": 10000}),
        )
        .await
        .ok();
    assert_eq!(loan["nextDueDate"], "2026-07-30");
    let errors = env
        .send(
            Method::POST,
            "/_sandbox/clock",
            Some(json!({"today": "tomorrow"})),
            false,
        )
        .await
        .field_errors();
    assert_eq!(errors[0].0, "today");
    // Reset restores the startup date.
    env.admin("/reset", json!({})).await;
    assert_eq!(
        env.send(Method::GET, "/_sandbox/clock", None, false)
            .await
            .ok()["today"],
        "2026-05-25"
    );
}

#[tokio::test]
async fn reset_restores_the_seed_and_restarts_ids() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    env.repay(&loan, 10.0).await;
    env.admin("/unauthorized", json!({"count": 5})).await;
    env.admin("/transaction-shape", json!({"shape": "alt"}))
        .await;
    env.admin("/reset", json!({})).await;
    let stats = env.stats().await;
    assert_eq!(
        stats,
        json!({"tokenMints": 0, "requests": {}, "customers": 0, "loans": 0, "transactions": 0, "repayments": 0})
    );
    assert_eq!(env.customer("again").await["id"], "1");
    let loan = env.loan(1, 10000.0, "L").await;
    assert_eq!(loan["id"], "1");
    assert_eq!(env.repay(&loan, 1.0).await["reversed"], false);
    assert_eq!(
        env.get("/v1/loan-products").await.ok()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn stats_count_requests_by_route_template() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L").await;
    env.get(&format!("/v1/loans/{}", loan["id"].as_str().unwrap()))
        .await
        .ok();
    env.get("/v1/loans/external/L").await.ok();
    env.get("/v1/loans/external/L").await.ok();
    env.get("/v1/loans/404").await.error(404, "not_found");
    let stats = env.stats().await;
    let requests = &stats["requests"];
    assert_eq!(requests["GET /v1/loans/{loan_id}"], 2);
    assert_eq!(requests["GET /v1/loans/external/{loan_external_id}"], 2);
    assert_eq!(requests["POST /v1/loans"], 1);
    assert_eq!(requests["POST /v1/customers"], 1);
    assert_eq!(requests["GET /v1/auth/token"], 1);
    assert_eq!(
        (
            stats["tokenMints"].clone(),
            stats["customers"].clone(),
            stats["loans"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
}

#[tokio::test]
async fn unknown_routes_methods_bodies_and_headers() {
    let env = start().await;
    let r = env.get("/v1/nothing-here").await;
    assert!(r.error(404, "not_found").starts_with("lms: status=404: "));
    let r = env.send(Method::PATCH, "/v1/customers", None, true).await;
    r.error(405, "method_not_allowed");
    assert_eq!(r.headers["allow"], "GET,HEAD,POST");
    // No update on the external form of a loan.
    env.put("/v1/loans/external/x", json!({}))
        .await
        .error(405, "method_not_allowed");

    let url = format!("{}/v1/customers", env.url);
    let raw = |body: &'static str, content_type: Option<&'static str>| {
        let mut request = env
            .http
            .post(&url)
            .bearer_auth(&env.token)
            .header("api-version", "1.0.0")
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        async move { reply(request.send().await.unwrap()).await }
    };
    let errors = raw("{\"externalId\": ", Some("application/json"))
        .await
        .field_errors();
    assert_eq!(errors[0].0, "body");
    assert!(errors[0].1.starts_with("malformed JSON"), "{errors:?}");
    assert_eq!(
        raw("[1]", Some("application/json")).await.field_errors()[0].0,
        "body"
    );
    assert_eq!(
        raw("externalId=x", Some("application/x-www-form-urlencoded"))
            .await
            .field_errors()[0]
            .0,
        "Content-Type"
    );
    assert_eq!(
        raw("", None).await.field_errors(),
        [("externalId".to_owned(), "required".to_owned())]
    );
    assert_eq!(raw("{\"externalId\":\"h\"}", None).await.status, 200);
    assert_eq!(
        raw(
            "{\"externalId\":\"j\"}",
            Some("application/json; charset=utf-8")
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn hundreds_of_concurrent_requests() {
    let env = Arc::new(start().await);
    let loan = env.loan(2, 50000.0, "L").await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let env = env.clone();
        let loan_id = loan["id"].as_str().unwrap().to_owned();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                env.customer(&format!("c{i}")).await["id"].as_str().unwrap().to_owned()
            } else {
                let tx = env
                    .post(&format!("/v1/loans/{loan_id}/repayments"), json!({"transactionAmount": 1, "idempotencyKey": format!("k{}", (i / 2) % 10)}))
                    .await
                    .ok();
                tx["id"].as_str().unwrap().to_owned()
            }
        }));
    }
    let mut customer_ids = std::collections::HashSet::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let id = task.await.unwrap();
        if i % 2 == 0 {
            assert!(customer_ids.insert(id), "duplicate customer id");
        }
    }
    let stats = env.stats().await;
    assert_eq!(stats["customers"], 101);
    // 100 keyed posts over 10 distinct keys: exactly 10 repayments.
    assert_eq!(stats["repayments"], 10);
}
