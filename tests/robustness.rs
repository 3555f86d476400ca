//! Hostile inputs never panic: arbitrary error bodies, JWTs and response
//! documents (bounded proptest runs; the CI budget stays small).

use bsa_lms::types::{Customer, Loan, Transaction};
use bsa_lms::{Error, ErrorKind, jwt};
use proptest::prelude::*;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("status".to_owned()),
                    Just("amount".to_owned()),
                    "[a-zA-Z]{1,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn error_mapping_never_panics(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let err = Error::from_response(status, &body);
        prop_assert_eq!(err.status(), Some(status));
        prop_assert!(err.body().unwrap().len() <= 3 * body.len() + 1);
        prop_assert!(!err.message().is_empty());
    }

    #[test]
    fn envelope_codes_classify(code in "[a-z_]{1,20}", message in ".{0,40}") {
        let body = serde_json::json!({ "code": code, "message": message }).to_string();
        let err = Error::from_response(418, body.as_bytes());
        prop_assert_eq!(err.code(), Some(code.as_str()));
        prop_assert_eq!(err.message(), message.as_str());
    }

    #[test]
    fn jwt_expiry_never_panics(token in ".{0,300}") {
        let _ = jwt::expiry(&token);
    }

    #[test]
    fn jwt_expiry_reads_any_integer_exp(exp in any::<i64>(), extra in ".{0,20}") {
        use base64::Engine as _;
        let payload = serde_json::json!({ "exp": exp, "x": extra }).to_string();
        let token = format!("e30.{}.sig", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload));
        prop_assert_eq!(jwt::expiry(&token), Some(exp));
    }

    #[test]
    fn response_decoding_never_panics(value in json_value()) {
        let _ = serde_json::from_value::<Loan>(value.clone());
        let _ = serde_json::from_value::<Customer>(value.clone());
        let _ = serde_json::from_value::<Transaction>(value);
    }
}

#[test]
fn deeply_nested_responses_fail_cleanly() {
    let depth = 100_000;
    let body = format!(
        r#"{{"id":"1","repaymentSchedule":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let result = serde_json::from_str::<Loan>(&body);
    assert!(
        result.is_err(),
        "serde_json's recursion limit stops the parse"
    );
    let err = Error::from_response(500, body.as_bytes());
    assert_eq!(err.kind(), ErrorKind::Internal);
}
