//! Every response shape the API's decoding rules allow decodes: `null` as
//! absent, `null` list items as an empty page, integral floats in integer
//! fields, rollback answers of any JSON shape or none, loan DELETE answered
//! 200 with or without a body. Served by a canned loopback server.

use std::collections::HashMap;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `status body` per request path, forever, on a loopback port.
async fn canned(routes: HashMap<&'static str, (u16, &'static str)>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut buf = vec![0; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let path = path.split('?').next().unwrap().to_owned();
                let (status, body) = routes.get(path.as_str()).copied().unwrap_or((404, ""));
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

fn client(url: &str) -> bsa_lms::Client {
    bsa_lms::Client::builder()
        .ignore_env()
        .base_url(url)
        .auth_url(url)
        .token("static-token")
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_allowed_shape_decodes() {
    let url = canned(HashMap::from([
        (
            "/v1/loans/1",
            (
                200,
                r#"{"id":"1","externalId":null,"status":null,"termFrequency":12.0,"numberOfRepayments":null,"repaymentHistory":null,"nextDueDate":null}"#,
            ),
        ),
        ("/v1/loans", (200, r#"{"items":null,"total":0.0}"#)),
        ("/v1/loans/2/rollback", (200, r#"["undo-approval","delete"]"#)),
        ("/v1/loans/3/rollback", (200, "")),
        ("/v1/loans/4/rollback", (200, r#"{"steps":null}"#)),
        ("/v1/loans/5", (200, r#"{"deleted":true}"#)),
        ("/v1/loans/6", (200, "")),
        (
            "/v1/credit-scorecard/x",
            (200, r#"{"externalId":"x","creditScore":520.0,"halopesaGrade":null}"#),
        ),
    ]))
    .await;
    let client = client(&url);

    let loan = client.get_loan().loan_id("1").send().await.unwrap();
    assert_eq!(loan.external_id, None);
    assert_eq!(loan.term_frequency, Some(12));
    assert_eq!(loan.number_of_repayments, None);
    let page = client.list_loans().send().await.unwrap().into_inner();
    assert_eq!(bsa_lms::Page::into_items(page), vec![]);

    let rollback = |id: &'static str| client.rollback_loan().loan_id(id).send();
    assert_eq!(
        rollback("2").await.unwrap().0,
        json!(["undo-approval", "delete"])
    );
    assert_eq!(rollback("3").await.unwrap().0, Value::Null);
    assert_eq!(rollback("4").await.unwrap().0, json!({"steps": null}));
    // The bindings' path returns the server's text (or null for an empty body).
    let raw = client
        .call(
            "rollback_loan",
            serde_json::Map::from_iter([("loan_id".into(), json!("3"))]),
        )
        .await
        .unwrap();
    assert_eq!(raw, Value::Null);

    client.delete_loan().loan_id("5").send().await.unwrap();
    client.delete_loan().loan_id("6").send().await.unwrap();

    let card = client
        .get_credit_scorecard()
        .external_id("x")
        .send()
        .await
        .unwrap();
    assert_eq!(card.halopesa_grade, None);
}
