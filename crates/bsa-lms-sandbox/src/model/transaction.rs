//! Loan transactions (REFERENCE §7.3) and the three response shapes of Appendix A.1.

use chrono::NaiveDate;
use serde::Serialize;

use crate::dates;
use crate::money::{self, Cents};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxKind {
    Repayment,
    WaiveInterest,
    Recovery,
    Refund,
    CreditBalanceRefund,
    ChargeOff,
}

impl TxKind {
    pub fn label(self) -> &'static str {
        match self {
            TxKind::Repayment => "Repayment",
            TxKind::WaiveInterest => "Waive Interest",
            TxKind::Recovery => "Recovery Repayment",
            TxKind::Refund => "Refund",
            TxKind::CreditBalanceRefund => "Credit Balance Refund",
            TxKind::ChargeOff => "Charge-off",
        }
    }

    /// Fineract's editable kinds (Appendix A.8).
    pub fn adjustable(self) -> bool {
        matches!(
            self,
            TxKind::Repayment | TxKind::WaiveInterest | TxKind::CreditBalanceRefund
        )
    }
}

/// How a transaction's amount was applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    pub principal: Cents,
    pub interest: Cents,
    pub fees: Cents,
    pub penalties: Cents,
    pub overpayment: Cents,
}

#[derive(Clone, Debug)]
pub struct Transaction {
    pub id: u64,
    pub loan_id: u64,
    pub kind: TxKind,
    pub date: NaiveDate,
    pub amount: Cents,
    pub reversed: bool,
    /// Kept up to date by every replay while the transaction is live; frozen once reversed, so
    /// a reversed entry still shows what it had been applied to.
    pub allocation: Allocation,
}

/// Field naming of transaction responses (Appendix A.1, `POST /_sandbox/transaction-shape`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TxShape {
    #[default]
    Current,
    Alt,
    Old,
}

impl TxShape {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "current" => Some(TxShape::Current),
            "alt" => Some(TxShape::Alt),
            "old" => Some(TxShape::Old),
            _ => None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TxOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    loan_id: Option<String>,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    date: String,
    amount: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interest: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fees: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    penalties: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    overpayment_portion: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    overpayment: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reversed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
}

/// A portion as the current and alternate shapes send it: omitted when zero.
fn nonzero(cents: Cents) -> Option<f64> {
    (cents != 0).then(|| money::to_units(cents))
}

impl Transaction {
    pub fn render(&self, shape: TxShape) -> TxOut {
        let a = &self.allocation;
        let mut out = TxOut {
            loan_id: None,
            id: self.id.to_string(),
            kind: self.kind.label(),
            date: dates::format(self.date),
            amount: money::to_units(self.amount),
            principal: nonzero(a.principal),
            interest: nonzero(a.interest),
            fees: None,
            penalty: None,
            penalties: None,
            overpayment_portion: None,
            overpayment: None,
            reversed: None,
            status: None,
        };
        match shape {
            TxShape::Current => {
                // The current revision knows only principal/interest/overpayment; fee and
                // penalty portions exist only when a test seeded charges.
                out.fees = nonzero(a.fees);
                out.penalty = nonzero(a.penalties);
                out.overpayment_portion = nonzero(a.overpayment);
                out.reversed = Some(self.reversed);
            }
            TxShape::Alt => {
                out.fees = nonzero(a.fees);
                out.penalty = nonzero(a.penalties);
                out.overpayment = nonzero(a.overpayment);
                out.status = Some(if self.reversed { "reversed" } else { "posted" });
            }
            TxShape::Old => {
                out.loan_id = Some(self.loan_id.to_string());
                out.principal = Some(money::to_units(a.principal));
                out.interest = Some(money::to_units(a.interest));
                out.fees = Some(money::to_units(a.fees));
                out.penalties = Some(money::to_units(a.penalties));
                out.overpayment_portion = Some(money::to_units(a.overpayment));
                out.reversed = Some(self.reversed);
            }
        }
        out
    }
}
