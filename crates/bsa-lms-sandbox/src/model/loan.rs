//! Loans (REFERENCE §6.1, §6.2) and their JSON rendering.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::dates;
use crate::ledger::{self, Conflict, Ledger, Period};
use crate::model::customer::account_no;
use crate::model::product::{Product, Terms};
use crate::model::transaction::{Transaction, TxKind, TxOut, TxShape};
use crate::money::{self, Cents};

/// How far origination has got. Settlement states (Active, Closed, Overpaid) are derived from
/// the ledger, so they can never disagree with the balances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Submitted,
    Approved,
    Disbursed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanStatus {
    Submitted,
    Approved,
    Active,
    ClosedObligationsMet,
    Overpaid,
    ClosedWrittenOff,
}

impl LoanStatus {
    pub fn label(self) -> &'static str {
        match self {
            LoanStatus::Submitted => "Submitted and pending approval",
            LoanStatus::Approved => "Approved",
            LoanStatus::Active => "Active",
            LoanStatus::ClosedObligationsMet => "Closed (obligations met)",
            LoanStatus::Overpaid => "Overpaid",
            LoanStatus::ClosedWrittenOff => "Closed (written off)",
        }
    }

    /// Statuses that keep a customer from being closed (REFERENCE §10 #19).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            LoanStatus::Submitted
                | LoanStatus::Approved
                | LoanStatus::Active
                | LoanStatus::Overpaid
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeKind {
    Fee,
    Penalty,
}

/// A fee or penalty seeded through the admin surface, due with instalment `period`.
#[derive(Clone, Debug)]
pub struct Charge {
    pub kind: ChargeKind,
    pub amount: Cents,
    pub period: u32,
    /// Set by the delayed-settlement rule (§7.4), which cancels a penalty for a timely payment.
    pub cancelled: bool,
}

#[derive(Clone, Debug)]
pub struct Loan {
    pub id: u64,
    pub external_id: Option<String>,
    pub customer_id: u64,
    pub product_id: u64,
    pub principal: Cents,
    pub terms: Terms,
    pub phase: Phase,
    pub approved_on: Option<NaiveDate>,
    pub disbursed_on: Option<NaiveDate>,
    pub written_off_on: Option<NaiveDate>,
    pub charges: Vec<Charge>,
    pub transactions: Vec<Transaction>,
    /// `idempotencyKey` → transaction id, scoped to this loan (§7.4).
    pub idempotency: HashMap<String, u64>,
}

impl Loan {
    pub fn ledger(&self, today: NaiveDate) -> Ledger {
        ledger::replay(self, today)
    }

    pub fn status(&self, ledger: &Ledger) -> LoanStatus {
        match self.phase {
            Phase::Submitted => LoanStatus::Submitted,
            Phase::Approved => LoanStatus::Approved,
            Phase::Disbursed if self.written_off_on.is_some() => LoanStatus::ClosedWrittenOff,
            Phase::Disbursed if ledger.overpaid > 0 => LoanStatus::Overpaid,
            Phase::Disbursed if ledger.total_outstanding() == 0 => LoanStatus::ClosedObligationsMet,
            Phase::Disbursed => LoanStatus::Active,
        }
    }

    /// Replays the loan and stores the resulting allocations on its live transactions. On a
    /// conflict nothing is written and the caller undoes its change.
    pub fn recompute(&mut self, today: NaiveDate) -> Result<Ledger, Conflict> {
        let ledger = self.ledger(today);
        if let Some(conflict) = ledger.conflicts.first() {
            return Err(*conflict);
        }
        for tx in self.transactions.iter_mut().filter(|t| !t.reversed) {
            if let Some(a) = ledger.allocations.get(&tx.id) {
                tx.allocation = *a;
            }
        }
        Ok(ledger)
    }

    pub fn transaction(&self, id: u64) -> Option<&Transaction> {
        self.transactions.iter().find(|t| t.id == id)
    }

    pub fn has_live_transactions(&self) -> bool {
        self.transactions.iter().any(|t| !t.reversed)
    }

    /// Date of the latest live transaction, optionally only of one kind.
    pub fn latest_transaction_date(&self, kind: Option<TxKind>) -> Option<NaiveDate> {
        self.transactions
            .iter()
            .filter(|t| !t.reversed && kind.is_none_or(|k| t.kind == k))
            .map(|t| t.date)
            .max()
    }

    /// Customer repayments, newest first (§7.7): the repayment list and `repaymentHistory`.
    pub fn repayment_history(&self) -> Vec<&Transaction> {
        let mut list: Vec<_> = self
            .transactions
            .iter()
            .filter(|t| t.kind == TxKind::Repayment)
            .collect();
        list.sort_by_key(|t| std::cmp::Reverse((t.date, t.id)));
        list
    }
}

/// What rendering needs besides the loan itself.
pub struct RenderContext<'a> {
    pub customer_name: String,
    pub product: &'a Product,
    pub shape: TxShape,
    pub today: NaiveDate,
    /// `repaymentHistory` is on single-loan responses only, never on list rows.
    pub with_history: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoanOut {
    id: String,
    account_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    customer_id: String,
    customer_name: String,
    loan_product_id: String,
    loan_product_name: &'static str,
    status: &'static str,
    principal: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    approved_principal: Option<f64>,
    currency_code: &'static str,
    term_frequency: u32,
    number_of_repayments: u32,
    interest_rate_per_period: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    actual_disbursement_date: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    charged_off: bool,
    principal_disbursed: f64,
    principal_paid: f64,
    principal_outstanding: f64,
    interest_charged: f64,
    interest_paid: f64,
    interest_outstanding: f64,
    fee_charges_charged: f64,
    fee_charges_paid: f64,
    fee_charges_outstanding: f64,
    penalty_charges_charged: f64,
    penalty_charges_paid: f64,
    penalty_charges_outstanding: f64,
    total_repayment: f64,
    total_outstanding: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_due_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_due_amount: Option<f64>,
    repayment_schedule: ScheduleOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    repayment_history: Option<Vec<TxOut>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleOut {
    loan_term_in_days: i64,
    total_principal_disbursed: f64,
    total_principal_expected: f64,
    total_principal_paid: f64,
    total_interest_charged: f64,
    total_fee_charges_charged: f64,
    total_penalty_charges_charged: f64,
    total_repayment_expected: f64,
    total_outstanding: f64,
    periods: Vec<PeriodOut>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum PeriodOut {
    Disbursement(DisbursementRow),
    Installment(Box<InstallmentRow>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DisbursementRow {
    due_date: String,
    principal_disbursed: f64,
    principal_loan_balance_outstanding: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstallmentRow {
    period: u32,
    from_date: String,
    due_date: String,
    days_in_period: i64,
    complete: bool,
    principal_due: f64,
    principal_paid: f64,
    principal_written_off: f64,
    principal_outstanding: f64,
    interest_due: f64,
    interest_paid: f64,
    interest_waived: f64,
    interest_written_off: f64,
    interest_outstanding: f64,
    fee_charges_due: f64,
    fee_charges_paid: f64,
    fee_charges_written_off: f64,
    fee_charges_outstanding: f64,
    penalty_charges_due: f64,
    penalty_charges_paid: f64,
    penalty_charges_written_off: f64,
    penalty_charges_outstanding: f64,
    total_due_for_period: f64,
    total_paid_for_period: f64,
    total_outstanding_for_period: f64,
    principal_loan_balance_outstanding: f64,
}

fn units(cents: Cents) -> f64 {
    money::to_units(cents)
}

fn render_period(p: &Period) -> InstallmentRow {
    let i = &p.installment;
    InstallmentRow {
        period: i.period,
        from_date: dates::format(i.from),
        due_date: dates::format(i.due),
        days_in_period: i.days(),
        complete: p.total_outstanding() == 0,
        principal_due: units(i.principal),
        principal_paid: units(p.paid.principal),
        principal_written_off: units(p.written_off.principal),
        principal_outstanding: units(p.principal_outstanding()),
        interest_due: units(i.interest),
        interest_paid: units(p.paid.interest),
        interest_waived: units(p.interest_waived),
        interest_written_off: units(p.written_off.interest),
        interest_outstanding: units(p.interest_outstanding()),
        fee_charges_due: units(p.fee_due),
        fee_charges_paid: units(p.paid.fees),
        fee_charges_written_off: units(p.written_off.fees),
        fee_charges_outstanding: units(p.fee_outstanding()),
        penalty_charges_due: units(p.penalty_due),
        penalty_charges_paid: units(p.paid.penalties),
        penalty_charges_written_off: units(p.written_off.penalties),
        penalty_charges_outstanding: units(p.penalty_outstanding()),
        total_due_for_period: units(p.total_due()),
        total_paid_for_period: units(p.total_paid()),
        total_outstanding_for_period: units(p.total_outstanding()),
        principal_loan_balance_outstanding: units(i.balance_after),
    }
}

fn render_schedule(ledger: &Ledger) -> ScheduleOut {
    let t = ledger.totals();
    let end = ledger
        .periods
        .last()
        .map_or(ledger.start, |p| p.installment.due);
    let mut periods = vec![PeriodOut::Disbursement(DisbursementRow {
        due_date: dates::format(ledger.start),
        principal_disbursed: units(ledger.principal),
        principal_loan_balance_outstanding: units(ledger.principal),
    })];
    periods.extend(
        ledger
            .periods
            .iter()
            .map(|p| PeriodOut::Installment(Box::new(render_period(p)))),
    );
    ScheduleOut {
        loan_term_in_days: dates::days_between(ledger.start, end),
        total_principal_disbursed: units(ledger.principal),
        total_principal_expected: units(t.principal_due),
        total_principal_paid: units(t.paid.principal),
        total_interest_charged: units(t.interest_due),
        total_fee_charges_charged: units(t.fee_due),
        total_penalty_charges_charged: units(t.penalty_due),
        total_repayment_expected: units(
            t.principal_due + t.interest_due + t.fee_due + t.penalty_due,
        ),
        total_outstanding: units(t.total_outstanding()),
        periods,
    }
}

impl Loan {
    pub fn render(&self, ctx: &RenderContext<'_>) -> LoanOut {
        let ledger = self.ledger(ctx.today);
        let status = self.status(&ledger);
        let t = ledger.totals();
        // A.2 rule 7: before disbursal the schedule is a projection and the roll-up is all zeros.
        let live = |cents: Cents| if ledger.disbursed { units(cents) } else { 0.0 };
        let next = ledger.next_due().filter(|_| ledger.disbursed);
        LoanOut {
            id: self.id.to_string(),
            account_no: account_no(self.id),
            external_id: self.external_id.clone(),
            customer_id: self.customer_id.to_string(),
            customer_name: ctx.customer_name.clone(),
            loan_product_id: self.product_id.to_string(),
            loan_product_name: ctx.product.name,
            status: status.label(),
            principal: units(self.principal),
            approved_principal: (self.phase != Phase::Submitted).then(|| units(self.principal)),
            currency_code: ctx.product.currency_code,
            term_frequency: self.terms.installments * self.terms.every_months,
            number_of_repayments: self.terms.installments,
            interest_rate_per_period: self.terms.rate,
            actual_disbursement_date: self.disbursed_on.map(dates::format),
            charged_off: ledger.charged_off,
            principal_disbursed: live(ledger.principal),
            principal_paid: live(t.paid.principal),
            principal_outstanding: live(t.principal_outstanding),
            interest_charged: live(t.interest_due),
            interest_paid: live(t.paid.interest),
            interest_outstanding: live(t.interest_outstanding),
            fee_charges_charged: live(t.fee_due),
            fee_charges_paid: live(t.paid.fees),
            fee_charges_outstanding: live(t.fee_outstanding),
            penalty_charges_charged: live(t.penalty_due),
            penalty_charges_paid: live(t.paid.penalties),
            penalty_charges_outstanding: live(t.penalty_outstanding),
            total_repayment: live(t.total_paid()),
            total_outstanding: live(t.total_outstanding()),
            next_due_date: next.map(|p| dates::format(p.installment.due)),
            next_due_amount: next.map(|p| units(p.total_outstanding())),
            repayment_schedule: render_schedule(&ledger),
            repayment_history: ctx.with_history.then(|| {
                self.repayment_history()
                    .into_iter()
                    .map(|t| t.render(ctx.shape))
                    .collect()
            }),
        }
    }
}
