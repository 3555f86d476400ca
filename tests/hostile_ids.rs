//! Path parameters never change the route: hostile ids and external ids are
//! refused, naming the parameter, before anything is sent.

mod support;

use bsa_lms::ErrorKind;
use serde_json::json;
use support::{Env, obj};

/// The victim's id and external ids an attacker would try to reach it with.
fn hostile(victim_id: &str) -> Vec<String> {
    vec![
        format!("..\\{victim_id}"),
        "..".into(),
        ".".into(),
        String::new(),
        format!("x\\..\\..\\{victim_id}"),
        format!("ok\u{0}{victim_id}"),
        "line\nbreak".into(),
    ]
}

#[tokio::test]
async fn hostile_external_ids_move_no_money_and_read_nothing() {
    let env = Env::start().await;
    let client = env.client();
    let (_, attacker_loan) = env.customer_and_loan(&client, "attacker").await;
    let (_, victim_loan) = env.customer_and_loan(&client, "victim").await;
    assert_ne!(attacker_loan, victim_loan);
    let before = env.stats().await;

    for id in hostile(&victim_loan) {
        let err = client
            .call(
                "create_repayment_by_external_id",
                obj(json!({ "loan_external_id": id, "body": { "transactionAmount": 450 } })),
            )
            .await
            .expect_err(&format!("{id:?} was sent"));
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{id:?}: {err}");
        assert_eq!(err.field_errors()[0].field, "loan_external_id", "{id:?}");

        let err = client
            .call(
                "get_customer_by_external_id",
                obj(json!({ "customer_external_id": id })),
            )
            .await
            .expect_err(&format!("{id:?} was read"));
        assert_eq!(
            err.field_errors()[0].field,
            "customer_external_id",
            "{id:?}"
        );

        // The typed builders apply the same rule.
        let err = client
            .get_loan_by_external_id()
            .loan_external_id(id.as_str())
            .send()
            .await
            .map_err(bsa_lms::Error::from)
            .expect_err(&format!("{id:?} was read"));
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{id:?}: {err}");
        assert_eq!(err.field_errors()[0].field, "loan_external_id", "{id:?}");
    }

    let after = env.stats().await;
    assert_eq!(after["repayments"], before["repayments"], "money moved");
    assert_eq!(
        after["requests"], before["requests"],
        "a hostile call was sent"
    );
    let victim = client
        .call("list_repayments", obj(json!({ "loan_id": victim_loan })))
        .await
        .unwrap();
    assert_eq!(victim["items"], json!([]), "the victim loan was repaid");
}

#[tokio::test]
async fn ordinary_ids_with_dots_and_reserved_characters_still_work() {
    let env = Env::start().await;
    let client = env.client();
    for external_id in ["v1.2", "...", ".hidden", "a/b", "50%?#"] {
        client
            .call(
                "create_customer",
                obj(json!({ "body": { "externalId": external_id } })),
            )
            .await
            .unwrap_or_else(|e| panic!("{external_id:?}: {e}"));
        let found = client
            .call(
                "get_customer_by_external_id",
                obj(json!({ "customer_external_id": external_id })),
            )
            .await
            .unwrap_or_else(|e| panic!("{external_id:?}: {e}"));
        assert_eq!(found["externalId"], external_id);
    }
}
