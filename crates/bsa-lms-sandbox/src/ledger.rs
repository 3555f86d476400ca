//! Replays a loan's transactions over its schedule (REFERENCE Appendix A.3–A.7).
//!
//! Loan balances are never stored: they are derived by replaying the non-reversed transactions
//! in `(date, id)` order over a fresh schedule, so a reversal, an adjustment or a backdated post
//! re-allocates everything after it.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::model::loan::{ChargeKind, Loan, Phase};
use crate::model::transaction::{Allocation, TxKind};
use crate::money::Cents;
use crate::schedule::{self, Installment};

/// One instalment with what has happened to it.
#[derive(Clone, Debug)]
pub struct Period {
    pub installment: Installment,
    pub fee_due: Cents,
    pub penalty_due: Cents,
    pub paid: Allocation,
    pub interest_waived: Cents,
    pub written_off: Allocation,
}

impl Period {
    pub fn principal_outstanding(&self) -> Cents {
        self.installment.principal - self.paid.principal - self.written_off.principal
    }

    pub fn interest_outstanding(&self) -> Cents {
        self.installment.interest
            - self.paid.interest
            - self.interest_waived
            - self.written_off.interest
    }

    pub fn fee_outstanding(&self) -> Cents {
        self.fee_due - self.paid.fees - self.written_off.fees
    }

    pub fn penalty_outstanding(&self) -> Cents {
        self.penalty_due - self.paid.penalties - self.written_off.penalties
    }

    pub fn total_due(&self) -> Cents {
        self.installment.principal + self.installment.interest + self.fee_due + self.penalty_due
    }

    pub fn total_paid(&self) -> Cents {
        self.paid.principal + self.paid.interest + self.paid.fees + self.paid.penalties
    }

    pub fn total_outstanding(&self) -> Cents {
        self.principal_outstanding()
            + self.interest_outstanding()
            + self.fee_outstanding()
            + self.penalty_outstanding()
    }
}

/// A transaction that no longer fits once the loan is replayed (e.g. a refund larger than the
/// overpaid balance after the overpaying repayment was reversed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub tx_id: u64,
    pub kind: TxKind,
}

/// The replayed state of a loan.
#[derive(Clone, Debug)]
pub struct Ledger {
    /// False for loans not disbursed yet: their schedule is a projection and the roll-up is 0.
    pub disbursed: bool,
    pub start: NaiveDate,
    pub principal: Cents,
    pub periods: Vec<Period>,
    pub overpaid: Cents,
    pub written_off_total: Cents,
    pub recovered: Cents,
    pub charged_off: bool,
    pub allocations: HashMap<u64, Allocation>,
    pub conflicts: Vec<Conflict>,
}

/// Per-component sums over all periods.
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    pub principal_due: Cents,
    pub interest_due: Cents,
    pub fee_due: Cents,
    pub penalty_due: Cents,
    pub paid: Allocation,
    pub interest_waived: Cents,
    pub principal_outstanding: Cents,
    pub interest_outstanding: Cents,
    pub fee_outstanding: Cents,
    pub penalty_outstanding: Cents,
}

impl Totals {
    pub fn total_paid(&self) -> Cents {
        self.paid.principal + self.paid.interest + self.paid.fees + self.paid.penalties
    }

    pub fn total_outstanding(&self) -> Cents {
        self.principal_outstanding
            + self.interest_outstanding
            + self.fee_outstanding
            + self.penalty_outstanding
    }
}

impl Ledger {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for p in &self.periods {
            t.principal_due += p.installment.principal;
            t.interest_due += p.installment.interest;
            t.fee_due += p.fee_due;
            t.penalty_due += p.penalty_due;
            t.paid.principal += p.paid.principal;
            t.paid.interest += p.paid.interest;
            t.paid.fees += p.paid.fees;
            t.paid.penalties += p.paid.penalties;
            t.interest_waived += p.interest_waived;
            t.principal_outstanding += p.principal_outstanding();
            t.interest_outstanding += p.interest_outstanding();
            t.fee_outstanding += p.fee_outstanding();
            t.penalty_outstanding += p.penalty_outstanding();
        }
        t
    }

    pub fn total_outstanding(&self) -> Cents {
        self.periods.iter().map(Period::total_outstanding).sum()
    }

    /// The earliest instalment still owing something (A.4 next-due rule).
    pub fn next_due(&self) -> Option<&Period> {
        self.periods.iter().find(|p| p.total_outstanding() > 0)
    }
}

/// Replays `loan`; `today` is the projected disbursement date of a loan not disbursed yet.
pub fn replay(loan: &Loan, today: NaiveDate) -> Ledger {
    let (disbursed, start) = match (loan.phase, loan.disbursed_on) {
        (Phase::Disbursed, Some(date)) => (true, date),
        _ => (false, today),
    };
    let mut periods: Vec<Period> = schedule::generate(loan.principal, start, &loan.terms)
        .into_iter()
        .map(|installment| Period {
            installment,
            fee_due: 0,
            penalty_due: 0,
            paid: Allocation::default(),
            interest_waived: 0,
            written_off: Allocation::default(),
        })
        .collect();
    let mut ledger = Ledger {
        disbursed,
        start,
        principal: loan.principal,
        periods: Vec::new(),
        overpaid: 0,
        written_off_total: 0,
        recovered: 0,
        charged_off: false,
        allocations: HashMap::new(),
        conflicts: Vec::new(),
    };
    if !disbursed {
        ledger.periods = periods;
        return ledger;
    }

    for charge in loan.charges.iter().filter(|c| !c.cancelled) {
        let index = (charge.period as usize)
            .saturating_sub(1)
            .min(periods.len() - 1);
        match charge.kind {
            ChargeKind::Fee => periods[index].fee_due += charge.amount,
            ChargeKind::Penalty => periods[index].penalty_due += charge.amount,
        }
    }

    let mut live: Vec<_> = loan.transactions.iter().filter(|t| !t.reversed).collect();
    live.sort_by_key(|t| (t.date, t.id));
    for tx in live {
        let conflict = Conflict {
            tx_id: tx.id,
            kind: tx.kind,
        };
        let allocation = match tx.kind {
            TxKind::Repayment => {
                let a = allocate(&mut periods, tx.amount);
                ledger.overpaid += a.overpayment;
                a
            }
            TxKind::WaiveInterest => {
                let waived = waive_interest(&mut periods, tx.amount);
                if waived < tx.amount {
                    ledger.conflicts.push(conflict);
                }
                Allocation {
                    interest: waived,
                    ..Allocation::default()
                }
            }
            TxKind::Refund | TxKind::CreditBalanceRefund => {
                if tx.amount > ledger.overpaid {
                    ledger.conflicts.push(conflict);
                }
                ledger.overpaid = (ledger.overpaid - tx.amount).max(0);
                Allocation::default()
            }
            TxKind::Recovery => {
                ledger.recovered += tx.amount;
                Allocation::default()
            }
            TxKind::ChargeOff => {
                // A charge-off books the outstanding balance at its own moment; that record is
                // an accounting fact and is not re-derived.
                ledger.charged_off = true;
                tx.allocation
            }
        };
        ledger.allocations.insert(tx.id, allocation);
    }

    if loan.written_off_on.is_some() {
        for p in &mut periods {
            let w = Allocation {
                principal: p.principal_outstanding(),
                interest: p.interest_outstanding(),
                fees: p.fee_outstanding(),
                penalties: p.penalty_outstanding(),
                overpayment: 0,
            };
            ledger.written_off_total += w.principal + w.interest + w.fees + w.penalties;
            p.written_off = w;
        }
        if ledger.recovered > ledger.written_off_total {
            let last_recovery = loan
                .transactions
                .iter()
                .filter(|t| !t.reversed && t.kind == TxKind::Recovery)
                .max_by_key(|t| (t.date, t.id));
            if let Some(tx) = last_recovery {
                ledger.conflicts.push(Conflict {
                    tx_id: tx.id,
                    kind: tx.kind,
                });
            }
        }
    }
    ledger.periods = periods;
    ledger
}

/// Fineract's standard strategy: oldest instalment first; within one, penalties, fees, interest,
/// then principal. Whatever is left once everything is settled is overpayment.
fn allocate(periods: &mut [Period], amount: Cents) -> Allocation {
    let mut left = amount;
    let mut a = Allocation::default();
    for p in periods.iter_mut() {
        if left == 0 {
            break;
        }
        let pay = left.min(p.penalty_outstanding());
        p.paid.penalties += pay;
        a.penalties += pay;
        left -= pay;
        let pay = left.min(p.fee_outstanding());
        p.paid.fees += pay;
        a.fees += pay;
        left -= pay;
        let pay = left.min(p.interest_outstanding());
        p.paid.interest += pay;
        a.interest += pay;
        left -= pay;
        let pay = left.min(p.principal_outstanding());
        p.paid.principal += pay;
        a.principal += pay;
        left -= pay;
    }
    a.overpayment = left;
    a
}

/// Waives up to `amount` of outstanding interest, oldest instalment first; returns what it could.
fn waive_interest(periods: &mut [Period], amount: Cents) -> Cents {
    let mut left = amount;
    for p in periods.iter_mut() {
        let w = left.min(p.interest_outstanding());
        p.interest_waived += w;
        left -= w;
    }
    amount - left
}
