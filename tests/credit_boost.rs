//! The credit boost (multipart) against the sandbox: parts, checks before
//! sending, typed errors, and never a second request (it sends an SMS upstream).

mod support;

use bsa_lms::{ErrorKind, FilePart};
use serde_json::json;
use support::{Env, obj};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n";

#[tokio::test]
async fn boosts_from_bytes_a_path_and_a_reader() {
    let env = Env::start().await;
    let client = env.client();
    let result = client
        .create_credit_boost()
        .full_name("JOHN DEO MWAMBA")
        .mobile_number("255762260621")
        .pdf_file(PDF.to_vec())
        .send()
        .await
        .expect("boost");
    assert_eq!(result.boost_status.as_deref(), Some("YES"));
    assert_eq!(result.mobile_number, Some(255_762_260_621));
    assert_eq!(result.final_credit_limit, Some(45000.0));

    let dir = std::env::temp_dir().join(format!("bsa-lms-boost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("statement.pdf");
    std::fs::write(&path, PDF).unwrap();
    // Same number, same day: the cooldown answers NO with the same shape.
    let again = client
        .create_credit_boost()
        .full_name("JOHN DEO MWAMBA")
        .mobile_number("255762260621")
        .pdf_file(FilePart::from_path(&path).unwrap())
        .send()
        .await
        .expect("boost from a path");
    assert_eq!(again.boost_status.as_deref(), Some("NO"));
    let file = std::fs::File::open(&path).unwrap();
    let third = client
        .create_credit_boost()
        .full_name("ADA LOVELACE")
        .mobile_number("255700000001")
        .pdf_file(FilePart::from_reader(file, "statement.pdf").unwrap())
        .send()
        .await
        .expect("boost from a reader");
    assert_eq!(third.boost_status.as_deref(), Some("YES"));
    std::fs::remove_dir_all(&dir).unwrap();

    // Through `call`, as the bindings send it.
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(PDF);
    let value = client
        .call(
            "create_credit_boost",
            obj(json!({
                "full_name": "ADA LOVELACE",
                "mobile_number": "255700000002",
                "pdf_file": {"base64": data, "filename": "s.pdf"},
            })),
        )
        .await
        .expect("call");
    assert_eq!(value["boostStatus"], "YES");
}

#[tokio::test]
async fn inputs_are_checked_before_sending() {
    let env = Env::start().await;
    let client = env.client();
    let boost = || {
        client
            .create_credit_boost()
            .full_name("JOHN DEO MWAMBA")
            .pdf_file(PDF.to_vec())
    };
    for bad in [
        "25576226062",
        "2557622606211",
        "25576226062a",
        "+25576226062",
    ] {
        let err = boost().mobile_number(bad).send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{bad}");
        assert!(err.to_string().contains("MobileNumber"), "{err}");
        assert_eq!(err.status(), None, "{bad}: nothing was sent");
    }
    let err = boost()
        .mobile_number("255762260621")
        .pdf_file(b"\x89PNG\r\n".to_vec())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.to_string().contains("not a PDF"), "{err}");
    let err = client
        .create_credit_boost()
        .mobile_number("255762260621")
        .pdf_file(PDF.to_vec())
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("FullName"), "{err}");
    let err = FilePart::from_path("/nonexistent/statement.pdf").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn never_replayed() {
    let env = Env::start().await;
    let client = env.client();
    let boost = || {
        client
            .create_credit_boost()
            .full_name("JOHN DEO MWAMBA")
            .mobile_number("255762260621")
            .pdf_file(PDF.to_vec())
            .send()
    };
    // Each fault applies to one request: a retry would succeed, so an error
    // proves that the request went out once.
    for fault in [
        json!({"kind": "status", "status": 503, "count": 1}),
        json!({"kind": "status", "status": 500, "count": 1}),
        json!({"kind": "drop_after", "count": 1}),
    ] {
        env.fault("POST", "/v1/credit-boost", fault.clone()).await;
        let err = boost().await.unwrap_err();
        assert_ne!(err.kind(), ErrorKind::InvalidRequest, "{fault}: {err}");
    }
    // The upstream error maps like any other.
    env.fault(
        "POST",
        "/v1/credit-boost",
        json!({"kind": "status", "status": 500, "count": 1}),
    )
    .await;
    let err = boost().await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    // The drop_after fault ran the handler once: the limit rose then, so now
    // the cooldown answers NO.
    let ok = boost().await.unwrap();
    assert_eq!(ok.boost_status.as_deref(), Some("NO"));
}
