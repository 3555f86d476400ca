//! The test surface under `/_sandbox` (JSON in and out, never part of `/v1`), open only to the
//! holder of the instance's admin token. The contract is documented in the crate README.

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::auth::{self, Account};
use crate::credit::Scorecard;
use crate::dates;
use crate::error::{ApiError, ApiResult};
use crate::faults::{Fault, FaultKind};
use crate::model::customer::CustomerStatus;
use crate::model::loan::{Charge, ChargeKind, LoanStatus};
use crate::model::transaction::{TxKind, TxShape};
use crate::request::{Fields, JsonBody, LoanKey, at_least_a_cent, checked};
use crate::routes::{customers, loans};
use crate::state::{App, RollbackStep};

/// Default sleep of a `delay` fault that names no `delayMs`.
const DEFAULT_DELAY_MS: i64 = 1000;

/// The request header that carries the admin token on every `/_sandbox` call.
pub const ADMIN_TOKEN_HEADER: &str = "x-sandbox-admin-token";

pub fn router(app: &App) -> Router<App> {
    Router::new()
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/clock", get(get_clock).post(set_clock))
        .route(
            "/_sandbox/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_sandbox/auth", post(set_auth))
        .route("/_sandbox/tokens/expire", post(expire_tokens))
        .route("/_sandbox/unauthorized", post(force_unauthorized))
        .route("/_sandbox/accounts", post(add_account))
        .route("/_sandbox/customers/pending", post(add_pending_customer))
        .route("/_sandbox/scorecards", post(add_scorecard))
        .route("/_sandbox/loans/{loan_id}/charges", post(add_charge))
        .route("/_sandbox/rollback-stop", post(set_rollback_stop))
        .route("/_sandbox/transaction-shape", post(set_transaction_shape))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/idempotency", post(set_idempotency))
        .route_layer(from_fn_with_state(app.clone(), require_admin_token))
}

/// Without the token, any web page the developer visits could reset or fault the sandbox with
/// a cross-site request, and any local user could steer another user's test run.
async fn require_admin_token(State(app): State<App>, req: Request, next: Next) -> Response {
    let expected = app.shared().admin_token.as_bytes();
    let given = req
        .headers()
        .get(ADMIN_TOKEN_HEADER)
        .map_or(&b""[..], |v| v.as_bytes());
    if !same_secret(given, expected) {
        return ApiError::unauthenticated(format!(
            "/_sandbox routes need the {ADMIN_TOKEN_HEADER} header (the sandbox prints \
             BSA_LMS_SANDBOX_ADMIN_TOKEN at startup)"
        ))
        .into_response();
    }
    next.run(req).await
}

/// Compares in time independent of where the inputs differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn ok() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn reset(State(app): State<App>) -> Json<Value> {
    app.reset();
    ok()
}

async fn get_clock(State(app): State<App>) -> Json<Value> {
    Json(json!({ "today": dates::format(app.store().today()) }))
}

/// `{"today": "YYYY-MM-DD"}` sets the business date; `{"today": null}` follows the UTC date again.
async fn set_clock(State(app): State<App>, JsonBody(body): JsonBody) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let date = match body.get("today") {
        Some(Value::Null) => None,
        _ => Some(f.date("today", true)),
    };
    f.finish()?;
    let mut store = app.store();
    store.today_override = date.flatten();
    Ok(Json(json!({ "today": dates::format(store.today()) })))
}

async fn list_faults(State(app): State<App>) -> Json<Value> {
    Json(json!({ "faults": app.store().faults.pending() }))
}

async fn add_fault(State(app): State<App>, JsonBody(body): JsonBody) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let method = f.string("method", false);
    let method = method.and_then(
        |m| match Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
            Ok(m) => Some(m),
            Err(_) => {
                f.error("method", "not an HTTP method");
                None
            }
        },
    );
    let path = f.string("path", true);
    if path.as_ref().is_some_and(|p| !p.starts_with('/')) {
        f.error("path", "must start with /");
    }
    let count = f.integer("count", false, 1..=i64::from(u32::MAX));
    let kind = f.string("kind", true).and_then(|k| {
        let kind = FaultKind::parse(&k);
        if kind.is_none() {
            f.error("kind", format!("must be one of {}", FaultKind::NAMES));
        }
        kind
    });
    let status = f.integer("status", false, 100..=599);
    let retry_after = f.integer("retryAfter", false, 0..=i64::MAX);
    let delay_ms = f.integer("delayMs", false, 0..=600_000);
    f.finish()?;
    let kind = checked(kind)?;
    let status = match status {
        Some(code) => StatusCode::from_u16(u16::try_from(code).unwrap_or(500))
            .map_err(|_| ApiError::invalid_field("status", "not an HTTP status"))?,
        None => kind.default_status(),
    };
    let fault = Fault {
        id: String::new(),
        method,
        path: checked(path)?,
        count: count.map_or(1, |c| u32::try_from(c).unwrap_or(u32::MAX)),
        kind,
        status,
        retry_after: retry_after.map(|s| s.unsigned_abs()),
        delay_ms: delay_ms.unwrap_or(DEFAULT_DELAY_MS).unsigned_abs(),
    };
    let id = app.store().faults.add(fault);
    Ok(Json(json!({ "id": id })))
}

async fn clear_faults(State(app): State<App>) -> Json<Value> {
    Json(json!({ "cleared": app.store().faults.clear() }))
}

async fn set_auth(State(app): State<App>, JsonBody(body): JsonBody) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let lifetime = f.integer("tokenLifetimeSeconds", true, 0..=i64::MAX);
    f.finish()?;
    let lifetime = checked(lifetime)?.unsigned_abs();
    app.store().token_lifetime_secs = lifetime;
    Ok(Json(json!({ "tokenLifetimeSeconds": lifetime })))
}

async fn expire_tokens(State(app): State<App>) -> Json<Value> {
    auth::revoke_all(&app);
    ok()
}

async fn force_unauthorized(
    State(app): State<App>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let count = f.integer("count", true, 0..=i64::MAX);
    f.finish()?;
    let count = checked(count)?.unsigned_abs();
    app.store().unauthorized_remaining = count;
    Ok(Json(json!({ "remaining": count })))
}

/// Adds an account, or replaces the one with the same email.
async fn add_account(State(app): State<App>, JsonBody(body): JsonBody) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let email = f.string("email", true);
    let password = f.string("password", true);
    let roles = match body.get("roles") {
        None => Some(vec![auth::ADMIN_ROLE.to_owned()]),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
            items
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect(),
        ),
        Some(_) => {
            f.error("roles", "must be an array of strings");
            None
        }
    };
    f.finish()?;
    let (email, password, roles) = (checked(email)?, checked(password)?, checked(roles)?);
    let mut store = app.store();
    store.accounts.retain(|a| a.email != email);
    let account = Account {
        sub: auth::account_sub(store.accounts.len() + 1),
        email,
        password,
        roles,
    };
    let rendered = account.render();
    store.accounts.push(account);
    Ok(Json(rendered))
}

async fn add_pending_customer(
    State(app): State<App>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let external_id = f.external_id("externalId", true);
    f.finish()?;
    let external_id = checked(external_id)?;
    let mut store = app.store();
    if store.customer_ids_by_external.contains_key(&external_id) {
        return Err(customers::duplicate(&external_id));
    }
    let customer = customers::insert(&mut store, external_id, CustomerStatus::Pending);
    Ok(Json(json!(customer.render())))
}

async fn add_scorecard(State(app): State<App>, JsonBody(body): JsonBody) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let external_id = f.external_id("externalId", true);
    let grade = f.string("halopesaGrade", false);
    let score = f.integer("finalCreditScore", false, i64::MIN..=i64::MAX);
    let limit = f.amount("finalCreditLimit", false, false);
    f.finish()?;
    let entry = Scorecard {
        external_id: checked(external_id)?,
        grade: grade.unwrap_or_else(|| "C".to_owned()),
        score: score.unwrap_or(500),
        limit: limit.unwrap_or(0),
    };
    let rendered = entry.render_seed();
    app.store()
        .scorecards
        .insert(entry.external_id.clone(), entry);
    Ok(Json(rendered))
}

/// Adds a fee or penalty due with the loan's next unpaid instalment (A.3, A.4).
async fn add_charge(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let kind = f.string("kind", true).and_then(|k| match k.as_str() {
        "fee" => Some(ChargeKind::Fee),
        "penalty" => Some(ChargeKind::Penalty),
        _ => {
            f.error("kind", "must be fee or penalty");
            None
        }
    });
    let amount = f.amount("amount", true, true);
    f.finish()?;
    let (kind, amount) = (checked(kind)?, at_least_a_cent("amount", checked(amount)?)?);
    let mut store = app.store();
    let id = loans::resolve(&store, &key)?;
    let today = store.today();
    let loan = &store.loans[&id];
    let ledger = loan.ledger(today);
    let status = loan.status(&ledger);
    if status != LoanStatus::Active {
        return Err(ApiError::aborted(format!(
            "Loan {id} is {}; charges need an Active loan",
            status.label()
        )));
    }
    let period = ledger.next_due().map_or(1, |p| p.installment.period);
    let loan = store.loans.get_mut(&id).expect("resolved above");
    loan.charges.push(Charge {
        kind,
        amount,
        period,
        cancelled: false,
    });
    // Existing repayments may now pay the charge first; replaying cannot conflict here
    // because charges only add to what is owed.
    let _ = loan.recompute(today);
    Ok(Json(json!(loans::render(&store, id))))
}

async fn set_rollback_stop(
    State(app): State<App>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let step = match body.get("afterStep") {
        Some(Value::Null) => None,
        _ => f.string("afterStep", true).and_then(|s| match s.as_str() {
            "undo-disbursal" => Some(RollbackStep::UndoDisbursal),
            "undo-approval" => Some(RollbackStep::UndoApproval),
            _ => {
                f.error("afterStep", "must be undo-disbursal or undo-approval");
                None
            }
        }),
    };
    f.finish()?;
    app.store().rollback_stop = step;
    Ok(Json(json!({ "afterStep": step.map(RollbackStep::label) })))
}

async fn set_transaction_shape(
    State(app): State<App>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let shape = f.string("shape", true).and_then(|s| {
        let shape = TxShape::parse(&s);
        if shape.is_none() {
            f.error("shape", "must be current, alt or old");
        }
        shape
    });
    f.finish()?;
    let shape = checked(shape)?;
    app.store().tx_shape = shape;
    Ok(Json(json!({ "shape": shape })))
}

/// `{"ignoreKeys": true}` makes every `idempotencyKey` a no-op, as a deployment
/// that does not implement it would; `false` (and a reset) restores deduplication.
async fn set_idempotency(
    State(app): State<App>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::new(&body);
    let ignore = f.raw("ignoreKeys", true).and_then(Value::as_bool);
    f.finish()?;
    let ignore =
        ignore.ok_or_else(|| ApiError::invalid_field("ignoreKeys", "must be a boolean"))?;
    app.store().ignore_idempotency_keys = ignore;
    Ok(Json(json!({ "ignoreKeys": ignore })))
}

async fn stats(State(app): State<App>) -> Json<Value> {
    let store = app.store();
    let transactions = store
        .loans
        .values()
        .map(|l| l.transactions.len())
        .sum::<usize>();
    let repayments = store
        .loans
        .values()
        .flat_map(|l| &l.transactions)
        .filter(|t| t.kind == TxKind::Repayment)
        .count();
    Json(json!({
        "tokenMints": store.stats.token_mints,
        "requests": store.stats.requests,
        "customers": store.customers.len(),
        "loans": store.loans.len(),
        "transactions": transactions,
        "repayments": repayments,
    }))
}
