use serde_json::json;

use crate::common::{id, start};

#[tokio::test]
async fn create_returns_an_active_customer_named_after_its_external_id() {
    let env = start().await;
    let c = env.customer("ext-ada-001").await;
    assert_eq!(
        c,
        json!({"id": "1", "accountNo": "000000001", "externalId": "ext-ada-001", "status": "Active",
               "active": true, "officeId": "1", "officeName": "Head Office", "firstname": "ext-ada-001",
               "lastname": "Customer", "displayName": "ext-ada-001 Customer",
               "activationDate": "2026-05-25", "submittedDate": "2026-05-25"})
    );
    assert_eq!(id(&env.customer("second").await), "2");
}

#[tokio::test]
async fn create_validates_the_external_id() {
    let env = start().await;
    let cases = [
        (json!({}), "required"),
        (json!({"externalId": ""}), "required"),
        (json!({"externalId": 42}), "must be a string"),
        (json!({"externalId": null}), "must be a string"),
        (
            json!({"externalId": "x".repeat(129)}),
            "must be at most 128 characters",
        ),
    ];
    for (body, error) in cases {
        let errors = env.post("/v1/customers", body).await.field_errors();
        assert_eq!(errors, [("externalId".to_owned(), error.to_owned())]);
    }
    env.customer(&"y".repeat(128)).await;
    env.customer("dup").await;
    let message = env
        .post("/v1/customers", json!({"externalId": "dup"}))
        .await
        .error(409, "aborted");
    assert!(message.starts_with("lms: status=409: "));
    // Unknown fields are ignored.
    env.post(
        "/v1/customers",
        json!({"externalId": "extra", "mobileNo": "+255"}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn get_by_id_and_by_external_id() {
    let env = start().await;
    let c = env.customer("ext/with space").await;
    assert_eq!(env.get("/v1/customers/1").await.ok(), c);
    assert_eq!(
        env.get("/v1/customers/external/ext%2Fwith%20space")
            .await
            .ok(),
        c
    );
    assert_eq!(
        env.get("/v1/customers/9999").await.error(404, "not_found"),
        "lms: status=404: Customer with id 9999 does not exist"
    );
    env.get("/v1/customers/external/nope")
        .await
        .error(404, "not_found");
    let errors = env.get("/v1/customers/abc").await.field_errors();
    assert_eq!(errors[0].0, "customer_id");
}

#[tokio::test]
async fn list_paginates_sorts_and_looks_up_by_external_id() {
    let env = start().await;
    for name in ["b", "c", "a"] {
        env.customer(name).await;
    }
    let page = env.get("/v1/customers").await.ok();
    assert_eq!(
        (
            page["total"].clone(),
            page["page"].clone(),
            page["rowsPerPage"].clone()
        ),
        (json!(3), json!(1), json!(10))
    );
    let page = env.get("/v1/customers?page=2&rows=2").await.ok();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            page["page"].clone(),
            page["rowsPerPage"].clone(),
            page["total"].clone()
        ),
        (json!(2), json!(2), json!(3))
    );
    let page = env
        .get("/v1/customers?orderBy=displayName&sortOrder=DESC")
        .await
        .ok();
    let names: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["externalId"].clone())
        .collect();
    assert_eq!(names, [json!("c"), json!("b"), json!("a")]);
    let page = env.get("/v1/customers?externalId=c").await.ok();
    assert_eq!(
        (
            page["total"].clone(),
            page["items"][0]["externalId"].clone()
        ),
        (json!(1), json!("c"))
    );
    let page = env.get("/v1/customers?externalId=unknown-ext").await.ok();
    assert_eq!(
        page,
        json!({"items": [], "total": 0, "page": 1, "rowsPerPage": 10})
    );
    assert_eq!(
        env.get("/v1/customers?rows=100").await.ok()["rowsPerPage"],
        100
    );
}

#[tokio::test]
async fn pagination_errors_use_the_documented_texts() {
    let env = start().await;
    let expect = |errors: Vec<(String, String)>, text: &str| {
        assert_eq!(errors, [("page".to_owned(), text.to_owned())]);
    };
    expect(
        env.get("/v1/customers?rows=101").await.field_errors(),
        "rows value too large, must be less than 100",
    );
    expect(
        env.get("/v1/customers?page=0").await.field_errors(),
        "page value too small, must be larger than 0",
    );
    expect(
        env.get("/v1/customers?page=-3").await.field_errors(),
        "page value too small, must be larger than 0",
    );
    expect(
        env.get("/v1/customers?rows=0").await.field_errors(),
        "rows value too small, must be larger than 0",
    );
    let errors = env.get("/v1/customers?page=abc").await.field_errors();
    assert_eq!(errors[0].0, "page");
    assert!(errors[0].1.starts_with("page conversion: "), "{errors:?}");
    let errors = env.get("/v1/customers?rows=ten").await.field_errors();
    assert!(errors[0].1.starts_with("page conversion: "), "{errors:?}");
    assert_eq!(
        env.get("/v1/customers?orderBy=shoeSize")
            .await
            .field_errors()[0]
            .0,
        "orderBy"
    );
    assert_eq!(
        env.get("/v1/customers?sortOrder=UP").await.field_errors()[0].0,
        "sortOrder"
    );
}

#[tokio::test]
async fn update_renames_the_external_id_in_both_forms() {
    let env = start().await;
    env.customer("ext-ada-001").await;
    env.customer("taken").await;
    let c = env
        .put(
            "/v1/customers/external/ext-ada-001",
            json!({"externalId": "ext-ada-002"}),
        )
        .await
        .ok();
    assert_eq!(
        (
            c["externalId"].clone(),
            c["firstname"].clone(),
            c["displayName"].clone()
        ),
        (
            json!("ext-ada-002"),
            json!("ext-ada-002"),
            json!("ext-ada-002 Customer")
        )
    );
    env.get("/v1/customers/external/ext-ada-001")
        .await
        .error(404, "not_found");
    // The old externalId is free again.
    env.customer("ext-ada-001").await;
    let c = env
        .put("/v1/customers/1", json!({"externalId": "ext-ada-003"}))
        .await
        .ok();
    assert_eq!(c["externalId"], "ext-ada-003");
    assert_eq!(
        env.put("/v1/customers/1", json!({"externalId": "ext-ada-003"}))
            .await
            .ok(),
        c
    );
    env.put("/v1/customers/1", json!({"externalId": "taken"}))
        .await
        .error(409, "aborted");
    assert_eq!(
        env.put("/v1/customers/1", json!({})).await.field_errors()[0].0,
        "externalId"
    );
    env.put("/v1/customers/77", json!({"externalId": "z"}))
        .await
        .error(404, "not_found");
}

#[tokio::test]
async fn only_pending_customers_can_be_deleted() {
    let env = start().await;
    env.customer("ext-ada-001").await;
    let message = env
        .delete("/v1/customers/external/ext-ada-001")
        .await
        .error(409, "aborted");
    assert!(message.contains("Customer 1 is not pending"), "{message}");
    let pending = env
        .admin("/customers/pending", json!({"externalId": "pend"}))
        .await;
    assert_eq!(
        (pending["status"].clone(), pending["active"].clone()),
        (json!("Pending"), json!(false))
    );
    assert!(pending.get("activationDate").is_none());
    let reply = env.delete("/v1/customers/external/pend").await;
    assert_eq!((reply.status.as_u16(), reply.text.as_str()), (200, ""));
    env.get(&format!("/v1/customers/{}", id(&pending)))
        .await
        .error(404, "not_found");
    env.admin("/customers/pending", json!({"externalId": "pend2"}))
        .await;
    assert_eq!(env.delete("/v1/customers/3").await.status, 200);
    env.delete("/v1/customers/3").await.error(404, "not_found");
}

#[tokio::test]
async fn close_checks_body_loans_and_dates() {
    let env = start().await;
    let loan = env.loan(1, 10000.0, "L1").await;
    let path = format!(
        "/v1/customers/{}/close",
        loan["customerId"].as_str().unwrap()
    );
    let errors = env.post(&path, json!({})).await.field_errors();
    let fields: Vec<_> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(fields, ["closureDate", "closureReasonId"]);
    env.post(
        &path,
        json!({"closureDate": "2026-05-25", "closureReasonId": 17}),
    )
    .await
    .error(409, "aborted");
    env.repay(&loan, 11100.0).await;
    env.post(
        &path,
        json!({"closureDate": "2026-05-26", "closureReasonId": 17}),
    )
    .await
    .error(403, "permission_denied");
    env.post(
        &path,
        json!({"closureDate": "2026-05-24", "closureReasonId": 17}),
    )
    .await
    .error(403, "permission_denied");
    let closed = env
        .post(
            "/v1/customers/external/cust-L1/close",
            json!({"closureDate": "2026-05-25", "closureReasonId": 17}),
        )
        .await
        .ok();
    assert_eq!(
        (closed["status"].clone(), closed["active"].clone()),
        (json!("Closed"), json!(false))
    );
    env.post(
        &path,
        json!({"closureDate": "2026-05-25", "closureReasonId": 17}),
    )
    .await
    .error(409, "aborted");
    // A closed customer keeps its externalId and cannot borrow.
    env.post("/v1/customers", json!({"externalId": "cust-L1"}))
        .await
        .error(409, "aborted");
    env.post(
        "/v1/loans",
        json!({"customerId": "cust-L1", "productId": 1, "principal": 5000}),
    )
    .await
    .error(409, "aborted");
    assert_eq!(
        env.get(&path.replace("/close", "")).await.ok()["status"],
        "Closed"
    );
}
