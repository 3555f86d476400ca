use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::common::{Env, Reply, reply, start};

fn money(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn scorecard_of_the_seeded_entry_and_of_unscored_customers() {
    let env = start().await;
    let card = env
        .get("/v1/credit-scorecard/partner-key-1779709585")
        .await
        .ok();
    assert_eq!(
        card,
        json!({"externalId": "partner-key-1779709585", "halopesaGrade": "C", "finalCreditScore": 500,
               "finalCreditLimit": 5000.0, "totalOutstanding": 0.0, "totalPaid": 0.0,
               "availableCreditLimit": 5000.0, "executionPeriod": "0.01 seconds"})
    );
    let loan = env.loan(1, 10000.0, "L").await;
    env.repay(&loan, 100.0).await;
    let card = env.get("/v1/credit-scorecard/cust-L").await.ok();
    assert_eq!(
        (
            card["halopesaGrade"].clone(),
            card["finalCreditScore"].clone()
        ),
        (json!("XX"), json!(100))
    );
    assert_eq!(
        (
            money(&card["finalCreditLimit"]),
            money(&card["totalOutstanding"]),
            money(&card["totalPaid"])
        ),
        (0.0, 11000.0, 100.0)
    );
    assert_eq!(card["externalId"], "cust-L");
    let seeded = env
        .admin("/scorecards", json!({"externalId": "cust-L", "halopesaGrade": "A", "finalCreditScore": 700, "finalCreditLimit": 20000}))
        .await;
    assert_eq!(seeded["halopesaGrade"], "A");
    let card = env.get("/v1/credit-scorecard/cust-L").await.ok();
    assert_eq!(
        (
            money(&card["finalCreditLimit"]),
            money(&card["availableCreditLimit"])
        ),
        (20000.0, 0.0)
    );
    env.repay(&loan, 11000.0).await;
    let card = env.get("/v1/credit-scorecard/cust-L").await.ok();
    assert_eq!(
        (
            money(&card["availableCreditLimit"]),
            money(&card["totalPaid"])
        ),
        (20000.0, 11100.0)
    );
    env.get(&format!("/v1/credit-scorecard/{}", "x".repeat(129)))
        .await
        .field_errors();
}

async fn boost(env: &Env, form: Form) -> Reply {
    let r = env
        .http
        .post(format!("{}/v1/credit-boost", env.url))
        .bearer_auth(&env.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    reply(r).await
}

fn statement() -> Part {
    Part::bytes(b"%PDF-1.4 statement".to_vec())
        .file_name("statement.pdf")
        .mime_str("application/pdf")
        .unwrap()
}

#[tokio::test]
async fn boost_raises_the_limit_once_and_is_deterministic() {
    let env = start().await;
    env.admin("/scorecards", json!({"externalId": "255762260621", "halopesaGrade": "B", "finalCreditScore": 500, "finalCreditLimit": 30000})).await;
    let form = || {
        Form::new()
            .text("FullName", "JOHN DEO MWAMBA")
            .text("MobileNumber", "255762260621")
            .part("pdf_file", statement())
    };
    let result = boost(&env, form()).await.ok();
    assert_eq!(
        result,
        json!({"mobileNumber": 255762260621_u64, "finalCreditScore": 520, "originalCreditLimit": 30000.0,
               "mankaCreditLimit": 45000.0, "finalCreditLimit": 45000.0, "boostStatus": "YES",
               "executionPeriod": "0.01 seconds"})
    );
    assert_eq!(
        money(&env.get("/v1/credit-scorecard/255762260621").await.ok()["finalCreditLimit"]),
        45000.0
    );
    // Cooldown: a second attempt the same day changes nothing.
    let again = boost(&env, form()).await.ok();
    assert_eq!(
        (
            again["boostStatus"].clone(),
            money(&again["finalCreditLimit"])
        ),
        (json!("NO"), 45000.0)
    );
    // A single name part does not match the statement.
    let mismatch = Form::new()
        .text("FullName", "JOHN")
        .text("MobileNumber", "255700000001")
        .part("pdf_file", statement());
    let r = boost(&env, mismatch).await.ok();
    assert_eq!(
        (r["boostStatus"].clone(), money(&r["finalCreditLimit"])),
        (json!("NO"), 0.0)
    );
}

#[tokio::test]
async fn boost_validation() {
    let env = start().await;
    let missing = Form::new()
        .text("FullName", "A B")
        .part("pdf_file", statement());
    assert_eq!(
        boost(&env, missing).await.field_errors(),
        [("MobileNumber".to_owned(), "required".to_owned())]
    );
    let short = Form::new()
        .text("FullName", "A B")
        .text("MobileNumber", "2557")
        .part("pdf_file", statement());
    assert_eq!(boost(&env, short).await.field_errors()[0].0, "MobileNumber");
    let text = Part::bytes(b"hello".to_vec())
        .file_name("s.txt")
        .mime_str("text/plain")
        .unwrap();
    let not_pdf = Form::new()
        .text("FullName", "A B")
        .text("MobileNumber", "255700000001")
        .part("pdf_file", text);
    assert_eq!(boost(&env, not_pdf).await.field_errors()[0].0, "pdf_file");
    let json_body = env
        .post("/v1/credit-boost", json!({"FullName": "A B"}))
        .await;
    assert_eq!(json_body.field_errors()[0].0, "Content-Type");
}
