//! The repayment / loan-transaction family (REFERENCE §7, Appendix A.3–A.9), under both
//! `/v1/loans/{loan_id}/repayments` and `/v1/loans/external/{loan_external_id}/repayments`.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;

use crate::error::{ApiError, ApiResult};
use crate::ledger::{Conflict, Ledger};
use crate::model::loan::{ChargeKind, Loan, LoanStatus};
use crate::model::transaction::{Allocation, Transaction, TxKind, TxOut};
use crate::money::Cents;
use crate::pagination::{Page, PageRequest};
use crate::request::{
    Fields, JsonBody, LoanKey, QueryParams, TransactionId, at_least_a_cent, checked, numeric_id,
};
use crate::routes::loans;
use crate::state::{App, Store};

const MAX_IDEMPOTENCY_KEY: usize = 100;

/// The shared body of the create-type operations (§7.4).
struct CreateRequest {
    amount: Cents,
    date: Option<NaiveDate>,
    idempotency_key: Option<String>,
}

fn parse_create(body: &serde_json::Map<String, serde_json::Value>) -> ApiResult<CreateRequest> {
    let mut f = Fields::new(body);
    let amount = f.amount("transactionAmount", true, true);
    let date = f.date("transactionDate", false);
    let idempotency_key = f.string("idempotencyKey", false);
    if idempotency_key
        .as_ref()
        .is_some_and(|k| k.chars().count() > MAX_IDEMPOTENCY_KEY)
    {
        f.error(
            "idempotencyKey",
            format!("must be at most {MAX_IDEMPOTENCY_KEY} characters"),
        );
    }
    f.ignored_string("note");
    f.ignored_string("receiptNumber");
    let _payment_type = f.integer("paymentTypeId", false, i64::MIN..=i64::MAX);
    f.finish()?;
    let amount = at_least_a_cent("transactionAmount", checked(amount)?)?;
    Ok(CreateRequest {
        amount,
        date,
        idempotency_key,
    })
}

fn render(store: &Store, tx: &Transaction) -> TxOut {
    tx.render(store.tx_shape)
}

fn loan_mut(store: &mut Store, id: u64) -> &mut Loan {
    store
        .loans
        .get_mut(&id)
        .expect("loan ids come from resolve()")
}

/// Transaction dates may be neither before the disbursement nor in the future (A.11).
fn check_date_window(loan: &Loan, date: NaiveDate, today: NaiveDate) -> ApiResult<()> {
    if loan.disbursed_on.is_some_and(|d| date < d) {
        return Err(ApiError::permission_denied(format!(
            "transactionDate {date} is before the loan's disbursement date"
        )));
    }
    if date > today {
        return Err(ApiError::permission_denied(format!(
            "transactionDate {date} is in the future"
        )));
    }
    Ok(())
}

fn not_before(date: NaiveDate, limit: Option<NaiveDate>, what: &str) -> ApiResult<()> {
    match limit {
        Some(limit) if date < limit => Err(ApiError::permission_denied(format!(
            "transactionDate {date} is before the {what} ({limit})"
        ))),
        _ => Ok(()),
    }
}

fn conflict_message(conflict: Conflict) -> String {
    format!(
        "the change conflicts with {} transaction {}; reverse or adjust that one first",
        conflict.kind.label(),
        conflict.tx_id
    )
}

/// Posts a create-type transaction: validation, the state and date rules of its kind, then a
/// replay of the loan (A.4).
async fn post(app: App, key: LoanKey, body: JsonBody, kind: TxKind) -> ApiResult<Json<TxOut>> {
    let mut store = app.store();
    let loan_id = loans::resolve(&store, &key.0)?;
    let req = parse_create(&body.0)?;
    let today = store.today();
    let loan = &store.loans[&loan_id];

    // A known key answers the original transaction, whatever happened to the loan since (§7.4).
    if let Some(tx) = req
        .idempotency_key
        .as_ref()
        .filter(|_| !store.ignore_idempotency_keys)
        .and_then(|k| loan.idempotency.get(k))
        .and_then(|id| loan.transaction(*id))
    {
        return Ok(Json(render(&store, tx)));
    }

    let date = req.date.unwrap_or(today);
    let ledger = loan.ledger(today);
    let (amount, recorded) = admit(kind, loan, &ledger, date, today, req.amount)?;

    let tx_id = store.next_transaction_id();
    let loan = loan_mut(&mut store, loan_id);
    let before = loan.clone();
    if kind == TxKind::Repayment {
        cancel_premature_penalties(loan, &ledger.periods, date);
    }
    loan.transactions.push(Transaction {
        id: tx_id,
        loan_id,
        kind,
        date,
        amount,
        reversed: false,
        allocation: recorded,
    });
    if let Err(conflict) = loan.recompute(today) {
        *loan = before;
        // A backdated post that no longer fits is a date-rule refusal (§7.4, A.11).
        return Err(ApiError::permission_denied(format!(
            "transactionDate {date} is refused: {}",
            conflict_message(conflict)
        )));
    }
    if let Some(k) = req.idempotency_key {
        loan.idempotency.insert(k, tx_id);
    }
    let tx = loan.transaction(tx_id).cloned().expect("just pushed");
    Ok(Json(render(&store, &tx)))
}

/// The state, date and amount rules of one create-type kind (A.3–A.7). Returns the amount to
/// book and, for a charge-off, the allocation recorded with it.
fn admit(
    kind: TxKind,
    loan: &Loan,
    ledger: &Ledger,
    date: NaiveDate,
    today: NaiveDate,
    amount: Cents,
) -> ApiResult<(Cents, Allocation)> {
    let loan_id = loan.id;
    let status = loan.status(ledger);
    match kind {
        TxKind::Repayment => {
            if status != LoanStatus::Active {
                return Err(ApiError::failed_precondition(format!(
                    "Loan {loan_id} is {}; repayments need an Active loan",
                    status.label()
                )));
            }
            check_date_window(loan, date, today)?;
        }
        TxKind::WaiveInterest => {
            if status != LoanStatus::Active {
                return Err(ApiError::aborted(format!(
                    "Loan {loan_id} is {}; interest can be waived on Active loans only",
                    status.label()
                )));
            }
            check_date_window(loan, date, today)?;
            let due = ledger.totals().interest_outstanding;
            if amount > due {
                return Err(ApiError::aborted(format!(
                    "transactionAmount {} exceeds the interest outstanding ({})",
                    crate::money::to_units(amount),
                    crate::money::to_units(due)
                )));
            }
        }
        TxKind::ChargeOff => {
            if status != LoanStatus::Active || ledger.charged_off {
                let why = if ledger.charged_off {
                    "already charged off".to_owned()
                } else {
                    status.label().to_owned()
                };
                return Err(ApiError::aborted(format!(
                    "Loan {loan_id} is not chargeable: {why}"
                )));
            }
            check_date_window(loan, date, today)?;
            not_before(
                date,
                loan.latest_transaction_date(None),
                "latest transaction",
            )?;
            // The request amount is validated, the booked amount is the outstanding balance (A.7).
            let t = ledger.totals();
            let recorded = Allocation {
                principal: t.principal_outstanding,
                interest: t.interest_outstanding,
                fees: t.fee_outstanding,
                penalties: t.penalty_outstanding,
                overpayment: 0,
            };
            return Ok((t.total_outstanding(), recorded));
        }
        TxKind::Recovery => {
            if status != LoanStatus::ClosedWrittenOff {
                return Err(ApiError::aborted(format!(
                    "Loan {loan_id} is {}; recoveries need a written-off loan",
                    status.label()
                )));
            }
            check_date_window(loan, date, today)?;
            not_before(date, loan.written_off_on, "write-off date")?;
            let recoverable = ledger.written_off_total - ledger.recovered;
            if amount > recoverable {
                return Err(ApiError::aborted(format!(
                    "transactionAmount {} exceeds the written-off amount not yet recovered ({})",
                    crate::money::to_units(amount),
                    crate::money::to_units(recoverable)
                )));
            }
        }
        TxKind::Refund | TxKind::CreditBalanceRefund => {
            if status != LoanStatus::Overpaid || amount > ledger.overpaid {
                return Err(ApiError::aborted(format!(
                    "transactionAmount {} exceeds the overpaid balance ({}) of loan {loan_id} ({})",
                    crate::money::to_units(amount),
                    crate::money::to_units(ledger.overpaid),
                    status.label()
                )));
            }
            check_date_window(loan, date, today)?;
            not_before(
                date,
                loan.latest_transaction_date(Some(TxKind::Repayment)),
                "latest repayment",
            )?;
        }
    }
    Ok((amount, Allocation::default()))
}

/// The delayed-settlement rule (§7.4): a payment dated on or before an instalment's due date
/// was on time, so an unpaid penalty raised on that instalment meanwhile is cancelled.
fn cancel_premature_penalties(loan: &mut Loan, periods: &[crate::ledger::Period], date: NaiveDate) {
    for charge in loan
        .charges
        .iter_mut()
        .filter(|c| c.kind == ChargeKind::Penalty && !c.cancelled)
    {
        let Some(period) = periods.get(charge.period as usize - 1) else {
            continue;
        };
        let untouched = period.paid.penalties == 0;
        if date <= period.installment.due && untouched {
            charge.cancelled = true;
        }
    }
}

macro_rules! create_handler {
    ($name:ident, $kind:expr) => {
        pub async fn $name(
            State(app): State<App>,
            key: LoanKey,
            body: JsonBody,
        ) -> ApiResult<Json<TxOut>> {
            post(app, key, body, $kind).await
        }
    };
}

create_handler!(repay, TxKind::Repayment);
create_handler!(waive_interest, TxKind::WaiveInterest);
create_handler!(recover, TxKind::Recovery);
create_handler!(refund, TxKind::Refund);
create_handler!(credit_balance_refund, TxKind::CreditBalanceRefund);
create_handler!(charge_off, TxKind::ChargeOff);

/// The loan's customer repayments, newest first (§7.7).
pub async fn list(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    query: QueryParams,
) -> ApiResult<Json<Page<TxOut>>> {
    let store = app.store();
    let loan_id = loans::resolve(&store, &key)?;
    let page = PageRequest::parse(&query, None)?;
    let items = store.loans[&loan_id]
        .repayment_history()
        .into_iter()
        .map(|t| render(&store, t))
        .collect();
    Ok(Json(page.slice(items)))
}

fn find_transaction<'a>(store: &'a Store, loan_id: u64, tx_id: &str) -> ApiResult<&'a Transaction> {
    numeric_id(tx_id)
        .and_then(|id| store.loans[&loan_id].transaction(id))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Transaction with id {tx_id} does not exist on loan {loan_id}"
            ))
        })
}

pub async fn get(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    TransactionId(tx_id): TransactionId,
) -> ApiResult<Json<TxOut>> {
    let store = app.store();
    let loan_id = loans::resolve(&store, &key)?;
    Ok(Json(render(
        &store,
        find_transaction(&store, loan_id, &tx_id)?,
    )))
}

/// Adjust = reverse the original + post a replacement with a new id (A.8).
pub async fn adjust(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    TransactionId(tx_id): TransactionId,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<TxOut>> {
    let mut store = app.store();
    let loan_id = loans::resolve(&store, &key)?;
    let original = find_transaction(&store, loan_id, &tx_id)?.clone();
    let tx_id = original.id;
    let mut f = Fields::new(&body);
    let date = f.date("transactionDate", true);
    let amount = f.amount("transactionAmount", true, false);
    f.ignored_string("note");
    f.finish()?;
    let (date, amount) = (checked(date)?, checked(amount)?);
    let today = store.today();
    let loan = &store.loans[&loan_id];
    if !original.kind.adjustable() {
        return Err(ApiError::aborted(format!(
            "{} transactions cannot be adjusted",
            original.kind.label()
        )));
    }
    if original.reversed {
        return Err(ApiError::aborted(format!(
            "Transaction {tx_id} is already reversed"
        )));
    }
    if loan.written_off_on.is_some() {
        return Err(ApiError::aborted(format!(
            "Loan {loan_id} is written off; its transactions cannot be adjusted"
        )));
    }
    check_date_window(loan, date, today)?;

    let new_id = (amount > 0).then(|| store.next_transaction_id());
    let loan = loan_mut(&mut store, loan_id);
    let before = loan.clone();
    if let Some(t) = loan.transactions.iter_mut().find(|t| t.id == tx_id) {
        t.reversed = true;
    }
    if let Some(new_id) = new_id {
        loan.transactions.push(Transaction {
            id: new_id,
            loan_id,
            kind: original.kind,
            date,
            amount,
            reversed: false,
            allocation: Allocation::default(),
        });
    }
    if let Err(conflict) = loan.recompute(today) {
        *loan = before;
        return Err(ApiError::aborted(conflict_message(conflict)));
    }
    let answer = loan
        .transaction(new_id.unwrap_or(tx_id))
        .cloned()
        .expect("present");
    Ok(Json(render(&store, &answer)))
}

/// Flags a transaction reversed and replays the loan without it (A.9).
pub async fn reverse(
    State(app): State<App>,
    LoanKey(key): LoanKey,
    TransactionId(tx_id): TransactionId,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<TxOut>> {
    let mut store = app.store();
    let loan_id = loans::resolve(&store, &key)?;
    let original = find_transaction(&store, loan_id, &tx_id)?.clone();
    let tx_id = original.id;
    let mut f = Fields::new(&body);
    let date = f.date("transactionDate", true);
    f.ignored_string("note");
    f.finish()?;
    checked(date)?;
    let today = store.today();
    let loan = &store.loans[&loan_id];
    if original.reversed {
        return Err(ApiError::aborted(format!(
            "Transaction {tx_id} is already reversed"
        )));
    }
    // Write-off has no undo, so only recoveries may change afterwards (A.6).
    if loan.written_off_on.is_some() && original.kind != TxKind::Recovery {
        return Err(ApiError::aborted(format!(
            "Loan {loan_id} is written off; only recovery payments can be reversed"
        )));
    }
    if original.kind == TxKind::ChargeOff {
        let latest = loan
            .transactions
            .iter()
            .filter(|t| !t.reversed)
            .max_by_key(|t| (t.date, t.id));
        if latest.is_some_and(|t| t.id != tx_id) {
            return Err(ApiError::aborted(
                "a charge-off can only be reversed while it is the latest transaction",
            ));
        }
    }
    let loan = loan_mut(&mut store, loan_id);
    let before = loan.clone();
    if let Some(t) = loan.transactions.iter_mut().find(|t| t.id == tx_id) {
        t.reversed = true;
    }
    if let Err(conflict) = loan.recompute(today) {
        *loan = before;
        return Err(ApiError::aborted(conflict_message(conflict)));
    }
    let answer = loan.transaction(tx_id).cloned().expect("present");
    Ok(Json(render(&store, &answer)))
}
