//! Checks of `openapi.json` against `REFERENCE.md` and against the rules that keep
//! progenitor 0.15.1 (build.rs) on its happy path (TOOLCHAIN.md §2.3–§2.5).
//!
//! The operation inventory below is written out from the reference, not read from
//! the spec, so that a missing, renamed or re-tagged operation fails here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// `METHOD path operationId`, and the operation's provenance tag (REFERENCE §0.2,
/// §2.2, §4.3, §5.2, §6.3, §7.2, §8): every operation of the reference, in both
/// path forms wherever it lists both.
#[rustfmt::skip]
const INVENTORY: &[(&str, &str, &str, Option<&str>)] = &[
    // §2.2
    ("GET",    "/v1/auth/token",                                                            "mintToken",                              None),
    // §4.3
    ("POST",   "/v1/customers",                                                             "createCustomer",                         None),
    ("GET",    "/v1/customers",                                                             "listCustomers",                          None),
    ("GET",    "/v1/customers/{customer_id}",                                               "getCustomer",                            None),
    ("GET",    "/v1/customers/external/{customer_external_id}",                             "getCustomerByExternalId",                None),
    ("PUT",    "/v1/customers/{customer_id}",                                               "updateCustomer",                         None),
    ("PUT",    "/v1/customers/external/{customer_external_id}",                             "updateCustomerByExternalId",             None),
    ("DELETE", "/v1/customers/{customer_id}",                                               "deleteCustomer",                         None),
    ("DELETE", "/v1/customers/external/{customer_external_id}",                             "deleteCustomerByExternalId",             None),
    ("POST",   "/v1/customers/{customer_id}/close",                                         "closeCustomer",                          None),
    ("POST",   "/v1/customers/external/{customer_external_id}/close",                       "closeCustomerByExternalId",              None),
    // §5.2 (the endpoint is current; its response shape is tagged old)
    ("GET",    "/v1/loan-products",                                                         "listLoanProducts",                       None),
    // §6.3
    ("POST",   "/v1/loans",                                                                 "createLoan",                             None),
    ("GET",    "/v1/loans",                                                                 "listLoans",                              None),
    ("GET",    "/v1/loans/{loan_id}",                                                       "getLoan",                                None),
    ("GET",    "/v1/loans/external/{loan_external_id}",                                     "getLoanByExternalId",                    None),
    ("PUT",    "/v1/loans/{loan_id}",                                                       "updateLoan",                             None),
    ("DELETE", "/v1/loans/{loan_id}",                                                       "deleteLoan",                             None),
    ("DELETE", "/v1/loans/external/{loan_external_id}",                                     "deleteLoanByExternalId",                 None),
    ("POST",   "/v1/loans/{loan_id}/undo-disbursal",                                        "undoLoanDisbursal",                      None),
    ("POST",   "/v1/loans/external/{loan_external_id}/undo-disbursal",                      "undoLoanDisbursalByExternalId",          None),
    ("POST",   "/v1/loans/{loan_id}/undo-approval",                                         "undoLoanApproval",                       None),
    ("POST",   "/v1/loans/external/{loan_external_id}/undo-approval",                       "undoLoanApprovalByExternalId",           None),
    ("POST",   "/v1/loans/{loan_id}/adjust-disbursement-date",                              "adjustLoanDisbursementDate",             None),
    ("POST",   "/v1/loans/external/{loan_external_id}/adjust-disbursement-date",            "adjustLoanDisbursementDateByExternalId", None),
    ("POST",   "/v1/loans/{loan_id}/writeoff",                                              "writeOffLoan",                           Some("alt")),
    ("POST",   "/v1/loans/{loan_id}/rollback",                                              "rollbackLoan",                           Some("alt")),
    ("POST",   "/v1/loans/external/{loan_external_id}/rollback",                            "rollbackLoanByExternalId",               Some("alt")),
    // §7.2
    ("POST",   "/v1/loans/{loan_id}/repayments",                                            "createRepayment",                        None),
    ("POST",   "/v1/loans/external/{loan_external_id}/repayments",                          "createRepaymentByExternalId",            None),
    ("GET",    "/v1/loans/{loan_id}/repayments",                                            "listRepayments",                         Some("inferred")),
    ("GET",    "/v1/loans/external/{loan_external_id}/repayments",                          "listRepaymentsByExternalId",             Some("alt")),
    ("GET",    "/v1/loans/{loan_id}/repayments/{transaction_id}",                           "getRepayment",                           None),
    ("GET",    "/v1/loans/external/{loan_external_id}/repayments/{transaction_id}",         "getRepaymentByExternalId",               None),
    ("POST",   "/v1/loans/{loan_id}/repayments/waive-interest",                             "waiveInterest",                          None),
    ("POST",   "/v1/loans/external/{loan_external_id}/repayments/waive-interest",           "waiveInterestByExternalId",              None),
    ("POST",   "/v1/loans/{loan_id}/repayments/recover",                                    "createRecoveryPayment",                  None),
    ("POST",   "/v1/loans/external/{loan_external_id}/repayments/recover",                  "createRecoveryPaymentByExternalId",      None),
    ("POST",   "/v1/loans/{loan_id}/repayments/refund",                                     "createRefund",                           None),
    ("POST",   "/v1/loans/external/{loan_external_id}/repayments/refund",                   "createRefundByExternalId",               None),
    ("POST",   "/v1/loans/{loan_id}/repayments/credit-balance-refund",                      "createCreditBalanceRefund",              None),
    ("POST",   "/v1/loans/external/{loan_external_id}/repayments/credit-balance-refund",    "createCreditBalanceRefundByExternalId",  None),
    ("POST",   "/v1/loans/{loan_id}/repayments/charge-off",                                 "chargeOffLoan",                          None),
    ("POST",   "/v1/loans/external/{loan_external_id}/repayments/charge-off",               "chargeOffLoanByExternalId",              None),
    ("POST",   "/v1/loans/{loan_id}/repayments/{transaction_id}/adjust",                    "adjustTransaction",                      None),
    ("POST",   "/v1/loans/external/{loan_external_id}/repayments/{transaction_id}/adjust",  "adjustTransactionByExternalId",          None),
    ("POST",   "/v1/loans/{loan_id}/repayments/{transaction_id}/reverse",                   "reverseTransaction",                     None),
    ("POST",   "/v1/loans/external/{loan_external_id}/repayments/{transaction_id}/reverse", "reverseTransactionByExternalId",         None),
    // §8
    ("GET",    "/v1/credit-scorecard/{external_id}",                                        "getCreditScorecard",                     None),
    ("POST",   "/v1/credit-boost",                                                          "createCreditBoost",                      Some("old")),
];

/// Schema names of REFERENCE §3.12, plus the multipart form of the boost.
const SCHEMAS: &[&str] = &[
    "TokenResponse",
    "Error",
    "FieldError",
    "Customer",
    "CustomerPage",
    "CreateCustomerRequest",
    "UpdateCustomerRequest",
    "CloseCustomerRequest",
    "LoanProduct",
    "LoanProductList",
    "Loan",
    "LoanPage",
    "CreateLoanRequest",
    "UpdateLoanRequest",
    "NoteRequest",
    "AdjustDisbursementDateRequest",
    "WriteOffRequest",
    "RollbackResult",
    "Transaction",
    "TransactionPage",
    "TransactionCreateRequest",
    "TransactionAdjustRequest",
    "TransactionReverseRequest",
    "CreditScorecard",
    "CreditBoostResult",
    "CreditBoostRequest",
];

const ERROR_REF: &str = "#/components/responses/Error";

fn spec_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn spec() -> Value {
    serde_json::from_str(&spec_text()).expect("openapi.json is valid JSON")
}

/// Every operation as (METHOD, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths object") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                ops.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    ops
}

fn op_id(op: &Value) -> &str {
    op["operationId"].as_str().unwrap_or("<no operationId>")
}

fn find_op<'a>(doc: &'a Value, id: &str) -> &'a Value {
    operations(doc)
        .into_iter()
        .find(|(_, _, op)| op_id(op) == id)
        .map(|(_, _, op)| op)
        .unwrap_or_else(|| panic!("operation {id} missing"))
}

/// Follows a local `$ref` (any depth).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("non-local $ref {r}"));
            resolve(
                doc,
                doc.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling $ref {r}")),
            )
        }
        None => value,
    }
}

fn is_multipart(op: &Value) -> bool {
    op["requestBody"]["content"]
        .get("multipart/form-data")
        .is_some()
}

fn is_main_api(op: &Value) -> bool {
    op_id(op) != "mintToken"
}

// ------------------------------------------------------------------------------------
// 1. OpenAPI 3.0.3

#[test]
fn parses_as_openapi_3_0_3() {
    let text = spec_text();
    let api: openapiv3::OpenAPI =
        serde_json::from_str(&text).expect("openapi.json is an OpenAPI 3.0 document");
    assert_eq!(api.openapi, "3.0.3");
    assert_eq!(api.info.title, "BSA LMS partner API");
    assert_eq!(api.info.version, "1.0.0");
    assert!(
        api.info
            .description
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty())
    );
    assert_eq!(api.servers.len(), 1);
    assert_eq!(api.servers[0].url, "https://api-staging.bsa.ai");
    assert!(
        api.servers[0]
            .description
            .as_deref()
            .unwrap_or("")
            .contains("BSA_LMS_BASE_URL")
    );
    // the typed view sees every operation
    assert_eq!(api.operations().count(), INVENTORY.len());
    // operation-level server of the token endpoint
    let (_, _, mint) = api
        .operations()
        .find(|(_, _, op)| op.operation_id.as_deref() == Some("mintToken"))
        .expect("mintToken");
    assert_eq!(mint.servers.len(), 1);
    assert_eq!(mint.servers[0].url, "https://auth-api.bsa.ai");
    assert!(
        mint.servers[0]
            .description
            .as_deref()
            .unwrap_or("")
            .contains("BSA_LMS_AUTH_URL")
    );
}

#[test]
fn pretty_printed_with_two_space_indentation() {
    let text = spec_text();
    assert!(text.ends_with("}\n"), "ends with one newline");
    assert!(!text.contains('\t'), "no tabs");
    assert!(!text.contains('\r'), "LF line ends");
    let mut depth: usize = 0;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let closes = trimmed.starts_with('}') || trimmed.starts_with(']');
        let expected = 2 * if closes { depth - 1 } else { depth };
        assert_eq!(
            indent,
            expected,
            "line {}: indentation {indent}, expected {expected}",
            n + 1
        );
        let mut in_string = false;
        let mut escaped = false;
        for c in trimmed.chars() {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (true, false, '"') => in_string = false,
                (true, false, _) => {}
                (false, _, '"') => in_string = true,
                (false, _, '{' | '[') => depth += 1,
                (false, _, '}' | ']') => depth -= 1,
                _ => {}
            }
        }
        assert!(!in_string, "line {}: string spans lines", n + 1);
    }
    assert_eq!(depth, 0);
}

// ------------------------------------------------------------------------------------
// 2. operationIds

#[test]
fn operation_ids_present_and_unique() {
    let doc = spec();
    let mut seen = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(!id.is_empty(), "{method} {path}: empty operationId");
        assert!(seen.insert(id.to_owned()), "duplicate operationId {id}");
    }
    let expected: BTreeSet<String> = INVENTORY
        .iter()
        .map(|(_, _, id, _)| (*id).to_owned())
        .collect();
    assert_eq!(seen, expected);
}

// ------------------------------------------------------------------------------------
// 3. inventory

#[test]
fn operation_inventory_matches_reference() {
    let doc = spec();
    let actual: BTreeSet<(String, String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, op)| (m, p, op_id(op).to_owned()))
        .collect();
    let expected: BTreeSet<(String, String, String)> = INVENTORY
        .iter()
        .map(|(m, p, id, _)| ((*m).to_owned(), (*p).to_owned(), (*id).to_owned()))
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
    assert_eq!(INVENTORY.len(), 50);
}

#[test]
fn operations_are_documented_and_tagged() {
    let doc = spec();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .expect("top-level tags")
        .iter()
        .map(|t| t["name"].as_str().expect("tag name"))
        .collect();
    assert_eq!(
        tags,
        BTreeSet::from([
            "auth",
            "customers",
            "loanProducts",
            "loans",
            "repayments",
            "credit"
        ])
    );
    for (_, path, op) in operations(&doc) {
        let id = op_id(op);
        let op_tags = op["tags"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: no tags"));
        assert_eq!(op_tags.len(), 1, "{id}: one tag");
        let tag = op_tags[0].as_str().unwrap();
        assert!(tags.contains(tag), "{id}: unknown tag {tag}");
        let expected_tag = match path.as_str() {
            "/v1/auth/token" => "auth",
            p if p.starts_with("/v1/customers") => "customers",
            "/v1/loan-products" => "loanProducts",
            p if p.contains("/repayments") => "repayments",
            p if p.starts_with("/v1/loans") => "loans",
            _ => "credit",
        };
        assert_eq!(tag, expected_tag, "{id}: tag");
        for (key, min) in [("summary", 5), ("description", 80)] {
            assert!(
                op[key].as_str().is_some_and(|s| s.trim().len() >= min),
                "{id}: needs a {key}"
            );
        }
    }
}

// ------------------------------------------------------------------------------------
// 4. examples

/// Converts an OpenAPI 3.0 schema to JSON Schema draft 4: `nullable` becomes a
/// union with null; OpenAPI-only keywords and extensions are dropped. Local
/// `$ref`s are kept and resolve against the converted components (see `validator`).
fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = serde_json::Map::new();
    let mut nullable = false;
    for (key, value) in map {
        match key.as_str() {
            "nullable" => nullable = value == &Value::Bool(true),
            "example" | "examples" | "discriminator" | "xml" | "externalDocs" | "deprecated"
            | "readOnly" | "writeOnly" => {}
            k if k.starts_with("x-") => {}
            "properties" => {
                let props = value
                    .as_object()
                    .expect("properties is an object")
                    .iter()
                    .map(|(name, s)| (name.clone(), to_json_schema(s)))
                    .collect();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "not" => {
                out.insert(key.clone(), to_json_schema(value));
            }
            "additionalProperties" => {
                out.insert(
                    key.clone(),
                    if value.is_object() {
                        to_json_schema(value)
                    } else {
                        value.clone()
                    },
                );
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .expect("schema list")
                    .iter()
                    .map(to_json_schema)
                    .collect();
                out.insert(key.clone(), Value::Array(list));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if nullable {
        json!({"anyOf": [{"type": "null"}, Value::Object(out)]})
    } else {
        Value::Object(out)
    }
}

/// A draft-4 validator for one OpenAPI schema. The converted component schemas
/// travel along under `components/schemas`, so `#/components/schemas/X` resolves.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let components: serde_json::Map<String, Value> = doc["components"]["schemas"]
        .as_object()
        .expect("components.schemas")
        .iter()
        .map(|(name, s)| (name.clone(), to_json_schema(s)))
        .collect();
    let root = json!({
        "allOf": [to_json_schema(schema)],
        "components": {"schemas": components},
    });
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema}"))
}

fn check(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: example does not match its schema:\n{}",
        errors.join("\n")
    );
}

/// Examples of one media type or parameter: `example` and `examples.*.value`.
fn examples_of(holder: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(e) = holder.get("example") {
        out.push(("example".to_owned(), e.clone()));
    }
    if let Some(map) = holder.get("examples").and_then(Value::as_object) {
        for (name, e) in map {
            assert!(
                e.get("externalValue").is_none(),
                "{name}: externalValue is not checked"
            );
            out.push((name.clone(), e["value"].clone()));
        }
    }
    out
}

#[test]
fn every_example_matches_its_schema() {
    let doc = spec();
    let mut checked = 0;
    let mut check_media = |what: &str, media: &Value| {
        for (name, value) in examples_of(media) {
            check(&doc, &media["schema"], &value, &format!("{what} / {name}"));
            checked += 1;
        }
    };
    for (_, _, op) in operations(&doc) {
        let id = op_id(op);
        if let Some(body) = op.get("requestBody") {
            let body = resolve(&doc, body);
            for (mt, media) in body["content"].as_object().expect("content") {
                check_media(&format!("{id} request {mt}"), media);
            }
        }
        for (status, response) in op["responses"].as_object().expect("responses") {
            let response = resolve(&doc, response);
            for (mt, media) in response["content"].as_object().into_iter().flatten() {
                check_media(&format!("{id} {status} {mt}"), media);
            }
        }
    }
    for (name, response) in doc["components"]["responses"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for (mt, media) in response["content"].as_object().into_iter().flatten() {
            check_media(&format!("components.responses.{name} {mt}"), media);
        }
    }
    // parameters, inline or shared
    let mut params: Vec<(String, &Value)> = Vec::new();
    for (_, _, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            params.push((format!("{} parameter", op_id(op)), resolve(&doc, p)));
        }
    }
    for (name, p) in doc["components"]["parameters"]
        .as_object()
        .into_iter()
        .flatten()
    {
        params.push((format!("components.parameters.{name}"), p));
    }
    for (what, p) in params {
        for (name, value) in examples_of(p) {
            check(
                &doc,
                &p["schema"],
                &value,
                &format!("{what} {} / {name}", p["name"]),
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} examples checked");
}

#[test]
fn every_operation_has_examples() {
    let doc = spec();
    for (_, _, op) in operations(&doc) {
        let id = op_id(op);
        if let Some(body) = op.get("requestBody") {
            for (mt, media) in resolve(&doc, body)["content"].as_object().unwrap() {
                assert!(
                    !examples_of(media).is_empty(),
                    "{id}: request {mt} has no example"
                );
            }
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            let response = resolve(&doc, response);
            if status.starts_with('2') {
                for (mt, media) in response["content"].as_object().into_iter().flatten() {
                    assert!(
                        !examples_of(media).is_empty(),
                        "{id}: {status} {mt} has no example"
                    );
                }
            }
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = resolve(&doc, p);
            assert!(
                !examples_of(p).is_empty(),
                "{id}: parameter {} has no example",
                p["name"]
            );
        }
    }
    // The reference's error examples live in the shared error response.
    let errors = &doc["components"]["responses"]["Error"]["content"]["application/json"];
    let codes: BTreeSet<String> = examples_of(errors)
        .into_iter()
        .map(|(_, v)| v["code"].as_str().unwrap().to_owned())
        .collect();
    for code in ["invalid_argument", "not_found", "aborted"] {
        assert!(codes.contains(code), "no {code} error example");
    }
    let mint = find_op(&doc, "mintToken");
    assert!(!examples_of(&mint["responses"]["4XX"]["content"]["application/json"]).is_empty());
}

/// The validator set-up itself: wrong values must fail, so that the example test
/// cannot pass vacuously.
#[test]
fn example_validation_rejects_bad_values() {
    let doc = spec();
    let s = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let valid = |name: &str, v: Value| validator(&doc, &s(name)).is_valid(&v);
    assert!(valid("Customer", json!({"id": "42", "surprise": [1, 2]})));
    assert!(
        !valid("Customer", json!({"accountNo": "000000042"})),
        "id is required"
    );
    assert!(!valid("Customer", json!({"id": 42})), "ids are strings");
    assert!(valid(
        "Loan",
        json!({"id": "1", "repaymentHistory": null, "repaymentSchedule": [1, {"a": 2}]})
    ));
    assert!(!valid(
        "Loan",
        json!({"id": "1", "repaymentHistory": [{"type": "Repayment"}]})
    ));
    assert!(valid("RollbackResult", json!({"steps": null})));
    assert!(valid(
        "CreateLoanRequest",
        json!({"customerId": 42, "productId": 1, "principal": 1})
    ));
    assert!(valid(
        "CreateLoanRequest",
        json!({"customerId": "ext-ada-001", "productId": 1, "principal": 1})
    ));
    assert!(!valid(
        "CreateLoanRequest",
        json!({"customerId": 4.5, "productId": 1, "principal": 1})
    ));
    assert!(
        !valid(
            "CreateLoanRequest",
            json!({"customerId": 42, "productId": 1, "principal": 0})
        ),
        "> 0"
    );
    assert!(!valid(
        "CreateLoanRequest",
        json!({"customerId": 42, "productId": 1})
    ));
    assert!(valid(
        "TransactionAdjustRequest",
        json!({"transactionDate": "2026-07-01", "transactionAmount": 0})
    ));
    assert!(!valid(
        "TransactionAdjustRequest",
        json!({"transactionDate": "2026-07-01", "transactionAmount": -1})
    ));
    assert!(
        !valid(
            "TransactionReverseRequest",
            json!({"transactionDate": "2026-13-01"})
        ),
        "format: date"
    );
    assert!(!valid(
        "TransactionCreateRequest",
        json!({"transactionAmount": 1, "idempotencyKey": "k".repeat(101)})
    ));
    assert!(valid(
        "TransactionCreateRequest",
        json!({"transactionAmount": 1, "idempotencyKey": "k".repeat(100)})
    ));
    // externalId length limits are not documented: the spec sets none
    assert!(valid(
        "CreateCustomerRequest",
        json!({"externalId": "x".repeat(129)})
    ));
    assert!(valid("Error", json!({})));
    assert!(valid(
        "Error",
        json!({"code": "brand_new_code", "message": "x", "requestId": "r"})
    ));
}

// ------------------------------------------------------------------------------------
// 5. references

fn collect_refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push((at.clone(), v.as_str().expect("$ref is a string")));
                } else {
                    collect_refs(v, format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(list) => {
            for (i, v) in list.iter().enumerate() {
                collect_refs(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_ref_resolves() {
    let doc = spec();
    let mut refs = Vec::new();
    collect_refs(&doc, String::new(), &mut refs);
    assert!(refs.len() > 100);
    for (at, r) in &refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: non-local $ref {r}"));
        assert!(
            pointer.starts_with("/components/"),
            "{at}: $ref {r} must point into components"
        );
        assert!(doc.pointer(pointer).is_some(), "{at}: dangling $ref {r}");
    }
    // a $ref object carries nothing else (siblings are ignored by OpenAPI 3.0)
    fn no_siblings(value: &Value, at: &str) {
        match value {
            Value::Object(map) => {
                if map.contains_key("$ref") {
                    assert_eq!(map.len(), 1, "{at}: $ref with siblings");
                }
                for (k, v) in map {
                    no_siblings(v, &format!("{at}/{k}"));
                }
            }
            Value::Array(list) => list
                .iter()
                .enumerate()
                .for_each(|(i, v)| no_siblings(v, &format!("{at}/{i}"))),
            _ => {}
        }
    }
    no_siblings(&doc, "");
    // every schema of the reference exists, and nothing else
    let names: BTreeSet<&str> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, SCHEMAS.iter().copied().collect::<BTreeSet<_>>());
}

// ------------------------------------------------------------------------------------
// 6. progenitor's happy path and the leniency rules

#[test]
fn responses_follow_the_generator_rules() {
    let doc = spec();
    for (_, _, op) in operations(&doc) {
        let id = op_id(op);
        let responses = op["responses"].as_object().unwrap();
        assert!(
            !responses.contains_key("default"),
            "{id}: no default response"
        );
        let success: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
        assert_eq!(
            success.len(),
            1,
            "{id}: exactly one success response, found {success:?}"
        );
        let keys: BTreeSet<&str> = responses.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from([success[0].as_str(), "4XX", "5XX"]),
            "{id}: response keys"
        );

        // success: 200 + one JSON schema, except the deletes
        let ok = resolve(&doc, &responses[success[0].as_str()]);
        match id {
            // 204 (current) or 200 with or without a body (older revision): any 2xx
            "deleteLoan" | "deleteLoanByExternalId" => {
                assert_eq!(success[0], "2XX", "{id}");
                assert!(ok.get("content").is_none(), "{id}: no content is read");
            }
            "deleteCustomer" | "deleteCustomerByExternalId" => {
                assert_eq!(success[0], "200", "{id}");
                assert!(ok.get("content").is_none(), "{id}: empty 200");
            }
            _ => {
                assert_eq!(success[0], "200", "{id}");
                let content = ok["content"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{id}: 200 needs content"));
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/json"],
                    "{id}"
                );
                let schema = &content["application/json"]["schema"];
                assert!(
                    schema["$ref"].as_str().is_some(),
                    "{id}: success schema is a named component"
                );
            }
        }

        // errors: one shared envelope
        for range in ["4XX", "5XX"] {
            let r = &responses[range];
            if is_main_api(op) {
                assert_eq!(
                    r,
                    &json!({"$ref": ERROR_REF}),
                    "{id} {range}: shared Error response"
                );
            } else {
                let content = r["content"].as_object().expect("mintToken error content");
                assert_eq!(content.keys().collect::<Vec<_>>(), ["application/json"]);
                assert_eq!(
                    content["application/json"]["schema"],
                    json!({"$ref": "#/components/schemas/Error"})
                );
            }
        }
    }
    let shared = &doc["components"]["responses"]["Error"]["content"];
    assert_eq!(
        shared.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["application/json"]
    );
    assert_eq!(
        shared["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Error"})
    );
}

#[test]
fn request_bodies_follow_the_generator_rules() {
    let doc = spec();
    let handwritten: Vec<&str> = operations(&doc)
        .into_iter()
        .filter(|(_, _, op)| op.get("x-bsa-handwritten").is_some())
        .map(|(_, _, op)| op_id(op))
        .collect();
    assert!(
        handwritten.is_empty(),
        "{handwritten:?}: every operation is generated"
    );
    let optional_body = [
        "undoLoanDisbursal",
        "undoLoanDisbursalByExternalId",
        "undoLoanApproval",
        "undoLoanApprovalByExternalId",
        "rollbackLoan",
        "rollbackLoanByExternalId",
    ];
    for (method, _, op) in operations(&doc) {
        let id = op_id(op);
        let Some(body) = op.get("requestBody") else {
            assert!(
                method == "GET" || method == "DELETE",
                "{id}: {method} without a request body"
            );
            continue;
        };
        assert!(
            method == "POST" || method == "PUT",
            "{id}: body on {method}"
        );
        let body = resolve(&doc, body);
        let content = body["content"].as_object().unwrap();
        let types: Vec<&String> = content.keys().collect();
        if is_multipart(op) {
            assert_eq!(id, "createCreditBoost", "the only multipart operation");
            assert_eq!(types, ["multipart/form-data"], "{id}");
        } else {
            assert_eq!(
                types,
                ["application/json"],
                "{id}: JSON request bodies only"
            );
        }
        let schema = &content[types[0].as_str()]["schema"];
        assert!(
            schema["$ref"].as_str().is_some(),
            "{id}: body schema is a named component"
        );
        let required = body["required"].as_bool().unwrap_or(false);
        assert_eq!(
            required,
            !optional_body.contains(&id),
            "{id}: requestBody.required"
        );
    }
}

/// Schemas reachable from the success responses of the operations.
fn response_schemas(doc: &Value) -> BTreeSet<String> {
    let mut stack: Vec<String> = Vec::new();
    for (_, _, op) in operations(doc) {
        for response in op["responses"].as_object().unwrap().values() {
            let response = resolve(doc, response);
            for media in response["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, m)| m)
            {
                let mut refs = Vec::new();
                collect_refs(&media["schema"], String::new(), &mut refs);
                stack.extend(
                    refs.iter()
                        .map(|(_, r)| r.rsplit('/').next().unwrap().to_owned()),
                );
            }
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            let mut refs = Vec::new();
            collect_refs(
                &doc["components"]["schemas"][&name],
                String::new(),
                &mut refs,
            );
            stack.extend(
                refs.iter()
                    .map(|(_, r)| r.rsplit('/').next().unwrap().to_owned()),
            );
        }
    }
    seen
}

/// Walks every subschema (not into `properties` maps' names, nor into examples).
fn walk_schema<'a>(
    schema: &'a Value,
    at: &str,
    f: &mut dyn FnMut(&str, &'a serde_json::Map<String, Value>),
) {
    let Value::Object(map) = schema else { return };
    f(at, map);
    for (k, v) in map {
        match k.as_str() {
            "properties" => {
                for (name, s) in v.as_object().unwrap() {
                    walk_schema(s, &format!("{at}.{name}"), f);
                }
            }
            "items" | "not" => walk_schema(v, &format!("{at}[]"), f),
            "additionalProperties" => walk_schema(v, &format!("{at}{{*}}"), f),
            "allOf" | "anyOf" | "oneOf" => {
                for (i, s) in v.as_array().unwrap().iter().enumerate() {
                    walk_schema(s, &format!("{at}/{k}/{i}"), f);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn response_models_are_lenient() {
    let doc = spec();
    let reachable = response_schemas(&doc);
    for name in [
        "TokenResponse",
        "Error",
        "Customer",
        "CustomerPage",
        "LoanProduct",
        "LoanProductList",
        "Loan",
        "LoanPage",
        "RollbackResult",
        "Transaction",
        "TransactionPage",
        "CreditScorecard",
        "CreditBoostResult",
    ] {
        assert!(reachable.contains(name), "{name} is used by a response");
    }
    let mut lenient: Vec<&str> = reachable.iter().map(String::as_str).collect();
    lenient.push("FieldError"); // decoded from error messages
    for name in lenient {
        let schema = &doc["components"]["schemas"][name];
        walk_schema(schema, name, &mut |at, s| {
            assert!(s.get("enum").is_none(), "{at}: no enum in response models");
            assert!(
                s.get("oneOf").is_none() && s.get("anyOf").is_none(),
                "{at}: no unions in responses"
            );
            assert!(
                s.get("pattern").is_none(),
                "{at}: no pattern in response models"
            );
            assert!(s.get("default").is_none(), "{at}: no default");
            if let Some(format) = s.get("format").and_then(Value::as_str) {
                assert_eq!(
                    format, "double",
                    "{at}: only format double in response models"
                );
                assert_eq!(s["type"], "number", "{at}");
            }
            for key in [
                "minimum",
                "maximum",
                "minLength",
                "maxLength",
                "exclusiveMinimum",
            ] {
                assert!(s.get(key).is_none(), "{at}: no {key} in response models");
            }
            let is_object = s.get("type").and_then(Value::as_str) == Some("object")
                || s.contains_key("properties");
            if is_object {
                assert_eq!(
                    s.get("additionalProperties"),
                    Some(&json!({})),
                    "{at}: additionalProperties: {{}}"
                );
            }
        });
    }
    // only the ids are required
    let required = |name: &str| doc["components"]["schemas"][name]["required"].clone();
    for name in ["Customer", "Loan", "LoanProduct", "Transaction"] {
        assert_eq!(required(name), json!(["id"]), "{name}");
    }
    assert_eq!(required("TokenResponse"), json!(["token"]));
    for name in [
        "CustomerPage",
        "LoanPage",
        "TransactionPage",
        "LoanProductList",
    ] {
        assert_eq!(required(name), json!(["items"]), "{name}");
    }
    for name in [
        "Error",
        "RollbackResult",
        "CreditScorecard",
        "CreditBoostResult",
    ] {
        assert_eq!(required(name), Value::Null, "{name}: nothing required");
    }
    // loosely typed shapes
    let loan = &doc["components"]["schemas"]["Loan"]["properties"];
    let schedule = loan["repaymentSchedule"].as_object().unwrap();
    assert_eq!(
        schedule.keys().collect::<Vec<_>>(),
        ["description"],
        "repaymentSchedule is any JSON"
    );
    assert_eq!(
        loan["repaymentHistory"]["items"],
        json!({"$ref": "#/components/schemas/Transaction"})
    );
    // rollback: any JSON (object, array), and an empty body is success
    let rollback = doc["components"]["schemas"]["RollbackResult"]
        .as_object()
        .unwrap();
    assert!(
        rollback
            .keys()
            .all(|k| k == "description" || k == "x-bsa-source"),
        "RollbackResult is any JSON: {rollback:?}"
    );
    for id in ["rollbackLoan", "rollbackLoanByExternalId"] {
        assert_eq!(
            find_op(&doc, id)["responses"]["200"]["x-bsa-empty-body"],
            true,
            "{id}: an empty 200 is success"
        );
    }
    // `null` reads as absent: every optional response field, and list items
    for name in &reachable {
        let schema = &doc["components"]["schemas"][name.as_str()];
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        for (field, prop) in schema["properties"].as_object().into_iter().flatten() {
            let optional = !required.contains(&json!(field));
            if prop.get("type").is_some() && (optional || field == "items") {
                assert_eq!(prop["nullable"], true, "{name}.{field}: nullable");
            }
        }
    }
    let error = &doc["components"]["schemas"]["Error"]["properties"];
    assert_eq!(error["code"]["type"], "string");
    assert_eq!(error["message"]["type"], "string");
    // response dates are plain strings
    for (schema, field) in [
        ("Customer", "activationDate"),
        ("Loan", "nextDueDate"),
        ("Transaction", "date"),
    ] {
        let p = &doc["components"]["schemas"][schema]["properties"][field];
        assert_eq!(p["type"], "string", "{schema}.{field}");
        assert!(p.get("format").is_none(), "{schema}.{field}: no format");
    }
}

#[test]
fn request_models_follow_the_reference() {
    let doc = spec();
    let schemas = &doc["components"]["schemas"];
    // no schema anywhere closes itself against unknown fields, and nothing needs `regress`
    for (name, schema) in schemas.as_object().unwrap() {
        walk_schema(schema, name, &mut |at, s| {
            assert_ne!(
                s.get("additionalProperties"),
                Some(&json!(false)),
                "{at}: additionalProperties false"
            );
            // build.rs turns digits-only patterns of multipart parts into checks
            if let Some(pattern) = s.get("pattern") {
                assert_eq!(pattern, "^[0-9]+$", "{at}: only a digits-only pattern");
                assert!(at.starts_with("CreditBoostRequest."), "{at}: pattern");
            }
            assert!(s.get("default").is_none(), "{at}: default");
        });
    }
    let req = |name: &str| -> BTreeSet<String> {
        schemas[name]["required"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let props = |name: &str| -> BTreeSet<String> {
        schemas[name]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let set =
        |items: &[&str]| -> BTreeSet<String> { items.iter().map(|s| (*s).to_owned()).collect() };
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("CreateCustomerRequest", &["externalId"], &["externalId"]),
        ("UpdateCustomerRequest", &["externalId"], &["externalId"]),
        (
            "CloseCustomerRequest",
            &["closureDate", "closureReasonId"],
            &["closureDate", "closureReasonId"],
        ),
        (
            "CreateLoanRequest",
            &["customerId", "productId", "principal", "externalId"],
            &["customerId", "productId", "principal"],
        ),
        (
            "UpdateLoanRequest",
            &[
                "principal",
                "numberOfRepayments",
                "interestRatePerPeriod",
                "externalId",
            ],
            &[],
        ),
        ("NoteRequest", &["note"], &[]),
        (
            "AdjustDisbursementDateRequest",
            &["actualDisbursementDate", "note"],
            &["actualDisbursementDate"],
        ),
        (
            "WriteOffRequest",
            &["transactionDate", "note"],
            &["transactionDate"],
        ),
        (
            "TransactionCreateRequest",
            &[
                "transactionAmount",
                "transactionDate",
                "idempotencyKey",
                "note",
                "paymentTypeId",
                "receiptNumber",
            ],
            &["transactionAmount"],
        ),
        (
            "TransactionAdjustRequest",
            &["transactionDate", "transactionAmount", "note"],
            &["transactionDate", "transactionAmount"],
        ),
        (
            "TransactionReverseRequest",
            &["transactionDate", "note"],
            &["transactionDate"],
        ),
        (
            "CreditBoostRequest",
            &["FullName", "MobileNumber", "pdf_file"],
            &["FullName", "MobileNumber", "pdf_file"],
        ),
    ];
    for (name, all, required) in cases {
        assert_eq!(props(name), set(all), "{name}: properties");
        assert_eq!(req(name), set(required), "{name}: required");
    }
    // dates in requests are format: date
    for (name, field) in [
        ("CloseCustomerRequest", "closureDate"),
        ("AdjustDisbursementDateRequest", "actualDisbursementDate"),
        ("WriteOffRequest", "transactionDate"),
        ("TransactionCreateRequest", "transactionDate"),
        ("TransactionAdjustRequest", "transactionDate"),
        ("TransactionReverseRequest", "transactionDate"),
    ] {
        let p = &schemas[name]["properties"][field];
        assert_eq!(
            (p["type"].as_str(), p["format"].as_str()),
            (Some("string"), Some("date")),
            "{name}.{field}"
        );
    }
    let p = |name: &str, field: &str| schemas[name]["properties"][field].clone();
    assert_eq!(
        p("TransactionCreateRequest", "idempotencyKey")["maxLength"],
        100
    );
    assert_eq!(
        p("CreateLoanRequest", "customerId")["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["integer", "string"]
    );
    for (name, field) in [
        ("CreateLoanRequest", "principal"),
        ("UpdateLoanRequest", "principal"),
        ("TransactionCreateRequest", "transactionAmount"),
    ] {
        let s = p(name, field);
        assert_eq!(
            (s["type"].as_str(), &s["minimum"], &s["exclusiveMinimum"]),
            (Some("number"), &json!(0), &json!(true)),
            "{name}.{field}: > 0"
        );
    }
    assert_eq!(
        p("TransactionAdjustRequest", "transactionAmount")["minimum"],
        0
    );
    assert!(
        p("TransactionAdjustRequest", "transactionAmount")
            .get("exclusiveMinimum")
            .is_none()
    );
    for (name, field) in [
        ("CreateLoanRequest", "productId"),
        ("CloseCustomerRequest", "closureReasonId"),
    ] {
        assert_eq!(p(name, field)["type"], "integer", "{name}.{field}");
    }
}

#[test]
fn parameters_follow_the_reference() {
    let doc = spec();
    let params = &doc["components"]["parameters"];
    let expect = |key: &str, name: &str, schema: Value| {
        let p = &params[key];
        assert_eq!(p["name"], name, "{key}");
        assert_eq!(p["in"], "query", "{key}");
        assert_ne!(p["required"], true, "{key}");
        assert_eq!(p["schema"], schema, "{key}");
    };
    expect("Page", "page", json!({"type": "integer", "minimum": 1}));
    expect(
        "Rows",
        "rows",
        json!({"type": "integer", "minimum": 1, "maximum": 100}),
    );
    expect("OrderBy", "orderBy", json!({"type": "string"}));
    expect(
        "SortOrder",
        "sortOrder",
        json!({"type": "string", "enum": ["ASC", "DESC"]}),
    );

    let param_list = |id: &str| -> Vec<(String, String)> {
        find_op(&doc, id)["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let p = resolve(&doc, p);
                (
                    p["in"].as_str().unwrap().to_owned(),
                    p["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let q = |names: &[&str]| -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| ("query".to_owned(), (*n).to_owned()))
            .collect()
    };
    assert_eq!(
        param_list("listCustomers"),
        q(&["page", "rows", "orderBy", "sortOrder", "externalId"])
    );
    assert_eq!(
        param_list("listLoans"),
        q(&[
            "page",
            "rows",
            "orderBy",
            "sortOrder",
            "customerId",
            "customerExternalId",
            "status"
        ])
    );
    let list_loans = find_op(&doc, "listLoans");
    for p in list_loans["parameters"].as_array().unwrap() {
        if p["name"] == "customerId" {
            assert_eq!(
                p["schema"],
                json!({"type": "string"}),
                "listLoans customerId is a string (§6.5)"
            );
        }
    }
    for id in ["listRepayments", "listRepaymentsByExternalId"] {
        let list = param_list(id);
        assert_eq!(
            list[1..].to_vec(),
            q(&["page", "rows"]),
            "{id}: page and rows only"
        );
    }
    assert!(param_list("listLoanProducts").is_empty());
    assert!(param_list("mintToken").is_empty());

    // every path parameter: declared, required, a plain string
    let path_params: BTreeMap<&str, Value> = BTreeMap::from([
        ("customer_id", json!({"type": "string"})),
        ("customer_external_id", json!({"type": "string"})),
        ("loan_id", json!({"type": "string"})),
        ("loan_external_id", json!({"type": "string"})),
        ("transaction_id", json!({"type": "string"})),
        (
            "external_id",
            json!({"type": "string", "minLength": 1, "maxLength": 128}),
        ),
    ]);
    for (_, path, op) in operations(&doc) {
        let id = op_id(op);
        let declared: Vec<&Value> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(&doc, p))
            .filter(|p| p["in"] == "path")
            .collect();
        let in_path: Vec<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let names: Vec<&str> = declared
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, in_path, "{id}: path parameters in path order");
        for p in declared {
            let name = p["name"].as_str().unwrap();
            assert_eq!(p["required"], true, "{id} {name}");
            assert_eq!(Some(&p["schema"]), path_params.get(name), "{id} {name}");
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = resolve(&doc, p);
            assert!(
                p["schema"].get("default").is_none(),
                "{id} {}: no default",
                p["name"]
            );
            assert!(
                matches!(p["in"].as_str(), Some("path" | "query")),
                "{id}: path and query only"
            );
        }
    }
}

#[test]
fn security_and_servers() {
    let doc = spec();
    assert_eq!(doc["security"], json!([{"bearerAuth": []}]));
    let basic = &doc["components"]["securitySchemes"]["basicAuth"];
    assert_eq!(
        (&basic["type"], &basic["scheme"]),
        (&json!("http"), &json!("basic"))
    );
    let bearer = &doc["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"], &bearer["bearerFormat"]),
        (&json!("http"), &json!("bearer"), &json!("JWT"))
    );
    for (_, _, op) in operations(&doc) {
        let id = op_id(op);
        if id == "mintToken" {
            assert_eq!(op["security"], json!([{"basicAuth": []}]));
            assert_eq!(op["servers"][0]["url"], "https://auth-api.bsa.ai");
        } else {
            assert!(op.get("security").is_none(), "{id}: inherits bearerAuth");
            assert!(op.get("servers").is_none(), "{id}: main API host");
        }
    }
}

// ------------------------------------------------------------------------------------
// 7. provenance

fn collect_sources<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "x-bsa-source" {
                    out.push((at.clone(), v));
                } else {
                    collect_sources(v, format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(list) => list
            .iter()
            .enumerate()
            .for_each(|(i, v)| collect_sources(v, format!("{at}/{i}"), out)),
        _ => {}
    }
}

#[test]
fn provenance_tags() {
    let doc = spec();
    let mut tags = Vec::new();
    collect_sources(&doc, String::new(), &mut tags);
    assert!(tags.len() > 40, "only {} tags", tags.len());
    for (at, v) in &tags {
        assert!(
            matches!(v.as_str(), Some("alt" | "old" | "inferred")),
            "{at}: x-bsa-source must be alt, old or inferred, not {v}"
        );
    }

    // operation-level tags, exactly as the inventory says
    for (_, _, id, source) in INVENTORY {
        let op = find_op(&doc, id);
        assert_eq!(op["x-bsa-source"].as_str(), *source, "{id}: x-bsa-source");
    }
    assert_eq!(
        find_op(&doc, "createCreditBoost")["x-bsa-replay"]["resend"],
        "never"
    );

    // responses
    let response_source =
        |id: &str, status: &str| find_op(&doc, id)["responses"][status]["x-bsa-source"].clone();
    assert_eq!(
        response_source("mintToken", "200"),
        "inferred",
        "§2.2: the 200 status is inferred"
    );
    assert_eq!(response_source("listLoanProducts", "200"), "old", "§5.2");
    assert_eq!(
        response_source("createCreditBalanceRefund", "200"),
        "inferred",
        "§7.12"
    );
    assert_eq!(response_source("createRepayment", "200"), Value::Null);
    // The repayment family (§7.2): the operations and both path forms are
    // current (the current quickstart names each); the tag of the revision that
    // documents the bodies sits on the request body and the 200 response only.
    let family: &[(&str, &str, &str)] = &[
        ("waiveInterest", "old", "alt"),
        ("createRecoveryPayment", "old", "alt"),
        ("createRefund", "old", "alt"),
        ("createCreditBalanceRefund", "inferred", "inferred"),
        ("chargeOffLoan", "old", "alt"),
        ("adjustTransaction", "old", "alt"),
        ("reverseTransaction", "old", "alt"),
    ];
    for (id, by_id, by_external) in family {
        for (id, source) in [
            (id.to_string(), by_id),
            (format!("{id}ByExternalId"), by_external),
        ] {
            let op = find_op(&doc, &id);
            assert_eq!(
                op["x-bsa-source"],
                Value::Null,
                "{id}: the operation is current"
            );
            assert_eq!(op["requestBody"]["x-bsa-source"], **source, "{id}: body");
            assert_eq!(
                op["responses"]["200"]["x-bsa-source"], **source,
                "{id}: 200"
            );
            let description = op["description"].as_str().unwrap();
            assert!(
                !description.contains("only by the alternate"),
                "{id}: the quickstart names it, so not only the alternate revision"
            );
        }
    }
    // Constraints no revision documents are not in the spec: the closure reason
    // and the customer/loan externalId lengths are left to the server.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["CloseCustomerRequest"]["properties"]["closureReasonId"]["minimum"],
        Value::Null
    );
    for name in [
        "CreateCustomerRequest",
        "UpdateCustomerRequest",
        "CreateLoanRequest",
        "UpdateLoanRequest",
    ] {
        let p = &schemas[name]["properties"]["externalId"];
        assert_eq!(p["minLength"], Value::Null, "{name}.externalId");
        assert_eq!(p["maxLength"], Value::Null, "{name}.externalId");
    }

    // schema properties
    let prop = |schema: &str, field: &str| {
        doc["components"]["schemas"][schema]["properties"][field]["x-bsa-source"].clone()
    };
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("TransactionCreateRequest", "idempotencyKey", Some("alt")),
        ("TransactionCreateRequest", "transactionDate", Some("alt")),
        ("TransactionCreateRequest", "note", Some("old")),
        ("TransactionCreateRequest", "paymentTypeId", Some("old")),
        ("TransactionCreateRequest", "receiptNumber", Some("old")),
        ("TransactionCreateRequest", "transactionAmount", None),
        ("Transaction", "id", None),
        ("Transaction", "reversed", None),
        ("Transaction", "overpaymentPortion", None),
        ("Transaction", "loanId", Some("old")),
        ("Transaction", "fees", Some("alt")),
        ("Transaction", "penalty", Some("alt")),
        ("Transaction", "penalties", Some("old")),
        ("Transaction", "overpayment", Some("alt")),
        ("Transaction", "status", Some("alt")),
        ("Transaction", "externalId", Some("old")),
        ("Loan", "principalDisbursed", None),
        ("Loan", "interestCharged", None),
        ("Loan", "interestPaid", Some("inferred")),
        ("Loan", "totalRepayment", Some("inferred")),
        ("Loan", "totalOutstanding", None),
        ("Loan", "nextDueDate", None),
        ("Loan", "repaymentSchedule", None),
        ("Loan", "repaymentHistory", Some("alt")),
        ("CustomerPage", "page", Some("alt")),
        ("CustomerPage", "rowsPerPage", Some("alt")),
        ("CustomerPage", "total", None),
        ("LoanPage", "rowsPerPage", Some("alt")),
        ("TransactionPage", "page", Some("alt")),
        ("LoanProduct", "id", Some("old")),
        ("LoanProduct", "minPrincipal", Some("old")),
        ("Customer", "externalId", None),
        ("CreditScorecard", "availableCreditLimit", None),
    ];
    for (schema, field, source) in cases {
        assert!(
            doc["components"]["schemas"][schema]["properties"]
                .get(*field)
                .is_some(),
            "{schema}.{field} exists"
        );
        assert_eq!(
            prop(schema, field).as_str(),
            *source,
            "{schema}.{field}: x-bsa-source"
        );
    }
    let fineract_names = [
        "interestPaid",
        "interestOutstanding",
        "feeChargesCharged",
        "feeChargesPaid",
        "feeChargesOutstanding",
        "penaltyChargesCharged",
        "penaltyChargesPaid",
        "penaltyChargesOutstanding",
        "totalRepayment",
    ];
    for field in fineract_names {
        assert_eq!(
            prop("Loan", field),
            "inferred",
            "Loan.{field}: roll-up fields 5–13 are inferred (§6.1)"
        );
    }
    for field in doc["components"]["schemas"]["LoanProduct"]["properties"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert_eq!(
            prop("LoanProduct", field),
            "old",
            "LoanProduct.{field} (§5.1)"
        );
    }
}

// ------------------------------------------------------------------------------------
// 8. user-facing text stands on its own

/// Docstrings, `.d.ts` comments, READMEs and the spec's descriptions (which the
/// generators copy into every language) state facts; they never send the reader
/// to the project's internal documents.
#[test]
fn user_facing_text_cites_no_internal_document() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        "openapi.json",
        "README.md",
        "bindings/CONTRACT.md",
        "bindings/python/README.md",
        "bindings/node/README.md",
        "bindings/python/python/bsa_lms/models.py",
        "bindings/python/python/bsa_lms/_generated.py",
        "bindings/python/python/bsa_lms/_client.py",
        "bindings/python/python/bsa_lms/errors.py",
        "bindings/python/python/bsa_lms/_native.pyi",
        "bindings/node/index.d.ts",
        "bindings/node/index.js",
        "bindings/node/lib/runtime.d.ts",
        // rustdoc of the public Rust surface
        "src/lib.rs",
        "src/client.rs",
        "src/dispatch.rs",
        "src/error.rs",
        "src/lenient.rs",
        "src/multipart.rs",
        "src/pagination.rs",
        "src/retry.rs",
        "src/jwt.rs",
        "src/auth.rs",
        "src/config.rs",
        "src/route_guard.rs",
        "src/token_cache.rs",
        "src/transport.rs",
        // the testing kit ships the sandbox to users
        "crates/bsa-lms-sandbox/README.md",
        "crates/bsa-lms-sandbox/src/lib.rs",
        "crates/bsa-lms-sandbox/src/config.rs",
        "crates/bsa-lms-sandbox/src/server.rs",
        "crates/bsa-lms-sandbox/src/thread.rs",
    ];
    let citations = [
        "REFERENCE",
        "DESIGN.md",
        "DESIGN,",
        "TOOLCHAIN",
        "§",
        "/work/shared",
    ];
    let mut found = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (n, line) in text.lines().enumerate() {
            if let Some(c) = citations.iter().find(|c| line.contains(*c)) {
                found.push(format!("{file}:{}: cites {c}", n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "internal citations:\n{}",
        found.join("\n")
    );
}

// ------------------------------------------------------------------------------------
// Replay facts (`x-bsa-replay`): what the SDK may send again after an ambiguous failure.

/// The operations that move money (§6, §7): loan create (disbursement), the
/// transaction family, and the loan actions that post or undo transactions.
const MONEY: &[&str] = &[
    "createLoan",
    "writeOffLoan",
    "rollbackLoan",
    "undoLoanDisbursal",
    "createRepayment",
    "waiveInterest",
    "createRecoveryPayment",
    "createRefund",
    "createCreditBalanceRefund",
    "chargeOffLoan",
    "adjustTransaction",
    "reverseTransaction",
];

#[test]
fn every_post_states_its_replay_facts() {
    let doc = spec();
    for (method, _, op) in operations(&doc) {
        let id = op_id(op);
        let facts = &op["x-bsa-replay"];
        if method != "POST" {
            assert!(facts.is_null(), "{id}: x-bsa-replay is for generated POSTs");
            continue;
        }
        let base = id.strip_suffix("ByExternalId").unwrap_or(id);
        assert_eq!(
            facts["movesMoney"].as_bool(),
            Some(MONEY.contains(&base)),
            "{id}: movesMoney"
        );
        let body = resolve(
            &doc,
            &op["requestBody"]["content"]["application/json"]["schema"],
        );
        let has_key = body["properties"].get("idempotencyKey").is_some();
        let key = &facts["idempotencyKey"];
        assert_eq!(
            !key.is_null(),
            has_key,
            "{id}: idempotencyKey facts iff the body has one"
        );
        if has_key {
            // §3.11, §3.12: documented (source: alt) for repay only, inferred elsewhere.
            let (honoured, source) = if base == "createRepayment" {
                ("documented", "alt")
            } else {
                ("inferred", "inferred")
            };
            assert_eq!(key["honoured"], honoured, "{id}");
            assert_eq!(key["source"], source, "{id}");
            assert_eq!(key["field"], "idempotencyKey", "{id}");
        }
        // §3.11: creates deduplicate through externalId uniqueness.
        let recovery = &facts["recovery"];
        match id {
            "createCustomer" | "createLoan" => {
                assert_eq!(recovery["key"], "externalId", "{id}");
                let lookup = recovery["lookup"].as_str().unwrap();
                assert_eq!(lookup, format!("get{}ByExternalId", &id[6..]), "{id}");
                assert!(recovery["source"].is_string(), "{id}: provenance");
            }
            _ => assert!(recovery.is_null(), "{id}: no recovery"),
        }
    }
    let loan = &find_op(&doc, "createLoan")["x-bsa-replay"]["recovery"]["match"];
    assert_eq!(
        loan,
        &json!({ "principal": "principal", "productId": "loanProductId" }),
        "a recovered loan must be the one asked for"
    );
}
