//! Loans (REFERENCE §6): origination, reads, the pre-disbursal edits and the reversals of the
//! lifecycle (undo-disbursal, undo-approval, adjust-disbursement-date, write-off, rollback).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::model::customer::CustomerStatus;
use crate::model::loan::{Loan, LoanOut, LoanStatus, Phase};
use crate::pagination::{Page, PageRequest};
use crate::request::{Fields, JsonBody, Key, LoanKey, QueryParams, checked, numeric_id};
use crate::state::{App, RollbackStep, Store};

const ORDER_BY: &[&str] = &["id", "principal", "expectedDisbursementDate"];

/// Sanity limits for loan updates: far beyond any product, small enough to keep schedules cheap.
const MAX_INSTALLMENTS: i64 = 600;
const MAX_RATE: f64 = 1000.0;

/// Resolves a path key to a loan id, answering 404 for unknown ones.
pub fn resolve(store: &Store, key: &Key) -> ApiResult<u64> {
    match key {
        // Only customer ids are documented to answer 400 when not numeric; any other value
        // simply names no loan.
        Key::Id(raw) => numeric_id(raw)
            .filter(|id| store.loans.contains_key(id))
            .ok_or_else(|| ApiError::not_found(format!("Loan with id {raw} does not exist"))),
        Key::External(ext) => store.loan_ids_by_external.get(ext).copied().ok_or_else(|| {
            ApiError::not_found(format!("Loan with externalId {ext} does not exist"))
        }),
    }
}

/// The full single-loan response, `repaymentHistory` included.
pub fn render(store: &Store, id: u64) -> LoanOut {
    let loan = &store.loans[&id];
    loan.render(&store.render_context(loan, true))
}

fn status_of(store: &Store, id: u64) -> LoanStatus {
    let loan = &store.loans[&id];
    loan.status(&loan.ledger(store.today()))
}

fn loan_mut(store: &mut Store, id: u64) -> &mut Loan {
    store
        .loans
        .get_mut(&id)
        .expect("loan ids come from resolve()")
}

/// Finds the customer a create request names (§6.4, §10 #11): a JSON integer is an LMS id; a
/// string is an externalId first and, when none matches and it is all digits, an LMS id.
fn resolve_customer(store: &Store, value: &Value) -> ApiResult<u64> {
    let by_id = |id: u64| {
        store
            .customers
            .contains_key(&id)
            .then_some(id)
            .ok_or_else(|| ApiError::not_found(format!("Customer with id {id} does not exist")))
    };
    match value {
        Value::Number(n) => by_id(n.as_u64().unwrap_or(0)),
        Value::String(s) => match store.customer_ids_by_external.get(s) {
            Some(id) => Ok(*id),
            None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                by_id(s.parse().unwrap_or(0))
            }
            None => Err(ApiError::not_found(format!(
                "Customer with externalId {s} does not exist"
            ))),
        },
        _ => Err(ApiError::invalid_field(
            "customerId",
            "must be an integer or a string",
        )),
    }
}

fn check_principal(store: &Store, product_id: u64, principal: i64) -> ApiResult<()> {
    let product = store.product(product_id).ok_or_else(|| {
        ApiError::not_found(format!("Loan product with id {product_id} does not exist"))
    })?;
    if principal < product.min_principal || principal > product.max_principal {
        return Err(ApiError::invalid_field(
            "principal",
            format!(
                "must be between {} and {} for product {}",
                crate::money::to_units(product.min_principal),
                crate::money::to_units(product.max_principal),
                product.id
            ),
        ));
    }
    Ok(())
}

fn duplicate_external(ext: &str) -> ApiError {
    ApiError::aborted(format!("Loan with externalId {ext} already exists"))
}

/// `POST /v1/loans`: submit, approve and disburse in one call, dated today (§6.4).
pub async fn create(State(app): State<App>, JsonBody(body): JsonBody) -> ApiResult<Json<LoanOut>> {
    let mut f = Fields::new(&body);
    let customer = f.raw("customerId", true);
    match customer {
        Some(Value::Number(n)) if n.as_u64().is_none() => {
            f.error("customerId", "must be a non-negative integer or a string")
        }
        Some(Value::String(s)) if s.is_empty() => f.error("customerId", "required"),
        Some(Value::Number(_) | Value::String(_)) | None => {}
        Some(_) => f.error("customerId", "must be an integer or a string"),
    }
    let product_id = f.integer("productId", true, i64::MIN..=i64::MAX);
    let principal = f.amount("principal", true, true);
    let external_id = f.external_id("externalId", false);
    f.finish()?;
    let (customer, product_id, principal) = (
        checked(customer)?,
        checked(product_id)?,
        checked(principal)?,
    );

    let mut store = app.store();
    // The alternate revision looks the customer up before submitting anything.
    let customer_id = resolve_customer(&store, customer)?;
    let product_id = u64::try_from(product_id).unwrap_or(0);
    check_principal(&store, product_id, principal)?;
    if store.customers[&customer_id].status != CustomerStatus::Active {
        return Err(ApiError::aborted(format!(
            "Customer {customer_id} is not active; new loans are not allowed"
        )));
    }
    if let Some(ext) = &external_id
        && store.loan_ids_by_external.contains_key(ext)
    {
        return Err(duplicate_external(ext));
    }
    let today = store.today();
    let terms = store
        .product(product_id)
        .map(|p| p.terms.clone())
        .ok_or_else(|| {
            ApiError::not_found(format!("Loan product with id {product_id} does not exist"))
        })?;
    let id = store.next_loan_id();
    if let Some(ext) = &external_id {
        store.loan_ids_by_external.insert(ext.clone(), id);
    }
    store.loans.insert(
        id,
        Loan {
            id,
            external_id,
            customer_id,
            product_id,
            principal,
            terms,
            phase: Phase::Disbursed,
            approved_on: Some(today),
            disbursed_on: Some(today),
            written_off_on: None,
            charges: Vec::new(),
            transactions: Vec::new(),
            idempotency: HashMap::new(),
        },
    );
    Ok(Json(render(&store, id)))
}

pub async fn list(State(app): State<App>, query: QueryParams) -> ApiResult<Json<Page<LoanOut>>> {
    let page = PageRequest::parse(&query, Some(ORDER_BY))?;
    let customer_id = query.get("customerId");
    let customer_external = query.get("customerExternalId");
    if customer_id.is_some() && customer_external.is_some() {
        return Err(ApiError::invalid_field(
            "customerExternalId",
            "customerId and customerExternalId are mutually exclusive",
        ));
    }

    let status = query.get("status").map(str::to_lowercase);

    let store = app.store();
    let today = store.today();
    // An id or externalId that names no customer matches no loan: an empty page (§10 #12, #13).
    let customer = match (customer_id, customer_external) {
        (Some(raw), _) => Some(numeric_id(raw)),
        (None, Some(ext)) => Some(store.customer_ids_by_external.get(ext).copied()),
        (None, None) => None,
    };
    let mut rows: Vec<&Loan> = store
        .loans
        .values()
        .filter(|l| customer.is_none_or(|c| c == Some(l.customer_id)))
        .filter(|l| {
            status
                .as_ref()
                .is_none_or(|s| l.status(&l.ledger(today)).label().to_lowercase() == *s)
        })
        .collect();
    match page.order_by.as_deref() {
        Some("principal") => rows.sort_by_key(|l| l.principal),
        Some("expectedDisbursementDate") => rows.sort_by_key(|l| l.disbursed_on.unwrap_or(today)),
        _ => {}
    }
    if page.descending {
        rows.reverse();
    }
    let items = rows
        .into_iter()
        .map(|l| l.render(&store.render_context(l, false)))
        .collect();
    Ok(Json(page.slice(items)))
}

pub async fn get(State(app): State<App>, LoanKey(key): LoanKey) -> ApiResult<Json<LoanOut>> {
    let store = app.store();
    let id = resolve(&store, &key)?;
    Ok(Json(render(&store, id)))
}

/// `PUT /v1/loans/{loan_id}`: partial update of a loan awaiting approval (§6.7).
pub async fn update(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LoanOut>> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    let mut f = Fields::new(&body);
    let principal = f.amount("principal", false, true);
    let installments = f.integer("numberOfRepayments", false, 1..=i64::MAX);
    let rate = f.number("interestRatePerPeriod", false, 0.0..=f64::MAX);
    let external_id = f.external_id("externalId", false);
    f.finish()?;
    if status_of(&store, id) != LoanStatus::Submitted {
        return Err(ApiError::aborted(format!(
            "Loan {id} is not in Submitted and pending approval state; undo disbursal and approval first"
        )));
    }
    let mut limits = Fields::new(&body);
    if installments.is_some_and(|n| n > MAX_INSTALLMENTS) {
        limits.error(
            "numberOfRepayments",
            format!("must be at most {MAX_INSTALLMENTS}"),
        );
    }
    if rate.is_some_and(|r| r > MAX_RATE) {
        limits.error(
            "interestRatePerPeriod",
            format!("must be at most {MAX_RATE}"),
        );
    }
    limits.finish()?;
    if let Some(p) = principal {
        check_principal(&store, store.loans[&id].product_id, p)?;
    }
    let current_external = store.loans[&id].external_id.clone();
    if let Some(ext) = &external_id
        && current_external.as_ref() != Some(ext)
        && store.loan_ids_by_external.contains_key(ext)
    {
        return Err(duplicate_external(ext));
    }
    if let Some(ext) = external_id {
        if let Some(old) = &current_external {
            store.loan_ids_by_external.remove(old);
        }
        store.loan_ids_by_external.insert(ext.clone(), id);
        loan_mut(&mut store, id).external_id = Some(ext);
    }
    let loan = loan_mut(&mut store, id);
    if let Some(p) = principal {
        loan.principal = p;
    }
    if let Some(n) = installments {
        loan.terms.installments = u32::try_from(n).unwrap_or(1);
    }
    if let Some(r) = rate {
        loan.terms.rate = r;
    }
    Ok(Json(render(&store, id)))
}

fn remove_loan(store: &mut Store, id: u64) {
    // The externalId becomes free again (A.10).
    if let Some(loan) = store.loans.remove(&id)
        && let Some(ext) = loan.external_id
    {
        store.loan_ids_by_external.remove(&ext);
    }
}

/// `DELETE`: only `Submitted and pending approval` loans; `204` (§6.8).
pub async fn delete(State(app): State<App>, LoanKey(key): LoanKey) -> ApiResult<Response> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    let status = status_of(&store, id);
    if status != LoanStatus::Submitted {
        return Err(ApiError::permission_denied(format!(
            "Loan {id} is {} and cannot be deleted; only Submitted and pending approval loans can",
            status.label()
        )));
    }
    remove_loan(&mut store, id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn undo_disbursal_step(store: &mut Store, id: u64) -> ApiResult<()> {
    let status = status_of(store, id);
    if status != LoanStatus::Active {
        return Err(ApiError::aborted(format!(
            "Loan {id} is {}; only Active loans can have their disbursal undone",
            status.label()
        )));
    }
    if store.loans[&id].has_live_transactions() {
        return Err(ApiError::aborted(format!(
            "Loan {id} has recorded transactions; reverse them before undoing the disbursal"
        )));
    }
    let loan = loan_mut(store, id);
    loan.phase = Phase::Approved;
    loan.disbursed_on = None;
    // Charges belong to the disbursed schedule; the projected one starts clean.
    loan.charges.clear();
    Ok(())
}

fn undo_approval_step(store: &mut Store, id: u64) -> ApiResult<()> {
    let status = status_of(store, id);
    if status != LoanStatus::Approved {
        return Err(ApiError::aborted(format!(
            "Loan {id} is {}; only Approved (not disbursed) loans can have their approval undone",
            status.label()
        )));
    }
    let loan = loan_mut(store, id);
    loan.phase = Phase::Submitted;
    loan.approved_on = None;
    Ok(())
}

/// Body of the actions whose body is optional: only a `note`, type-checked and ignored.
fn note_only(body: &serde_json::Map<String, Value>) -> ApiResult<()> {
    let mut f = Fields::new(body);
    f.ignored_string("note");
    f.finish()
}

pub async fn undo_disbursal(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LoanOut>> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    note_only(&body)?;
    undo_disbursal_step(&mut store, id)?;
    Ok(Json(render(&store, id)))
}

pub async fn undo_approval(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LoanOut>> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    note_only(&body)?;
    undo_approval_step(&mut store, id)?;
    Ok(Json(render(&store, id)))
}

/// Re-disburses an untouched Active loan at a later wallet-settlement date (§6.11).
pub async fn adjust_disbursement_date(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LoanOut>> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    let mut f = Fields::new(&body);
    let date = f.date("actualDisbursementDate", true);
    f.ignored_string("note");
    f.finish()?;
    let date = checked(date)?;
    let status = status_of(&store, id);
    // The current revision answers invalid_argument when the loan cannot be re-disbursed (A.11).
    if status != LoanStatus::Active {
        return Err(ApiError::invalid_field(
            "actualDisbursementDate",
            format!("loan {id} is {} and cannot be re-disbursed", status.label()),
        ));
    }
    if store.loans[&id].has_live_transactions() {
        return Err(ApiError::invalid_field(
            "actualDisbursementDate",
            format!("loan {id} has recorded transactions; reverse them before re-disbursing"),
        ));
    }
    if date > store.today() {
        return Err(ApiError::permission_denied(
            "actualDisbursementDate cannot be in the future",
        ));
    }
    if store.loans[&id]
        .approved_on
        .is_some_and(|approved| date < approved)
    {
        return Err(ApiError::permission_denied(
            "actualDisbursementDate cannot be before the loan's approval date",
        ));
    }
    loan_mut(&mut store, id).disbursed_on = Some(date);
    Ok(Json(render(&store, id)))
}

/// `POST /v1/loans/{loan_id}/writeoff` (§6.12, A.6).
pub async fn write_off(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LoanOut>> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    let mut f = Fields::new(&body);
    let date = f.date("transactionDate", true);
    f.ignored_string("note");
    f.finish()?;
    let date = checked(date)?;
    let today = store.today();
    let status = status_of(&store, id);
    if status != LoanStatus::Active {
        return Err(ApiError::aborted(format!(
            "Loan {id} is {} and has no outstanding balance to write off",
            status.label()
        )));
    }
    let loan = &store.loans[&id];
    if loan.disbursed_on.is_some_and(|d| date < d) {
        return Err(ApiError::permission_denied(
            "transactionDate cannot be before the disbursement date",
        ));
    }
    if loan
        .latest_transaction_date(None)
        .is_some_and(|latest| date < latest)
    {
        return Err(ApiError::permission_denied(
            "transactionDate cannot be before the latest transaction",
        ));
    }
    if date > today {
        return Err(ApiError::permission_denied(
            "transactionDate cannot be in the future",
        ));
    }
    // The ledger writes off whatever is outstanding from this date on (A.6).
    loan_mut(&mut store, id).written_off_on = Some(date);
    Ok(Json(render(&store, id)))
}

/// Tears a loan down in one call, resuming from whatever state it is in (§6.13).
pub async fn rollback(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    note_only(&body)?;
    let status = status_of(&store, id);
    let plan: &[&str] = match status {
        LoanStatus::Active => &["undo-disbursal", "undo-approval", "delete"],
        LoanStatus::Approved => &["undo-approval", "delete"],
        LoanStatus::Submitted => &["delete"],
        settled => {
            return Err(ApiError::aborted(format!(
                "Loan {id} is {}; settled loans cannot be rolled back",
                settled.label()
            )));
        }
    };
    if store.loans[&id].has_live_transactions() {
        return Err(ApiError::aborted(format!(
            "Loan {id} has recorded transactions; reverse them before rolling back"
        )));
    }
    let mut steps = Vec::new();
    for step in plan {
        let stop_here = match *step {
            "undo-disbursal" => {
                undo_disbursal_step(&mut store, id)?;
                Some(RollbackStep::UndoDisbursal)
            }
            "undo-approval" => {
                undo_approval_step(&mut store, id)?;
                Some(RollbackStep::UndoApproval)
            }
            _ => {
                remove_loan(&mut store, id);
                None
            }
        };
        steps.push(*step);
        if stop_here.is_some() && store.rollback_stop == stop_here {
            store.rollback_stop = None;
            let status = status_of(&store, id);
            return Err(ApiError::internal(format!(
                "rollback of loan {id} interrupted after {}; the loan is now {}; call rollback again to resume",
                step,
                status.label()
            )));
        }
    }
    Ok(Json(json!({ "steps": steps })))
}
