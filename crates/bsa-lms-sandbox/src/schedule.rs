//! Repayment schedule generation (REFERENCE Appendix A.2).
//!
//! Produces the contractual instalments (due dates, principal and interest) of a loan; what has
//! been paid, waived or written off is layered on top by the ledger. The products are monthly
//! with a rate per month, so the periodic rate is `rate/100 × months per period`.

use chrono::NaiveDate;

use crate::dates;
use crate::model::product::{InterestType, Terms};
use crate::money::{self, Cents};

/// One contractual instalment.
#[derive(Clone, Debug, PartialEq)]
pub struct Installment {
    pub period: u32,
    pub from: NaiveDate,
    pub due: NaiveDate,
    pub principal: Cents,
    pub interest: Cents,
    /// Principal still owed once this instalment is paid as scheduled.
    pub balance_after: Cents,
}

impl Installment {
    pub fn days(&self) -> i64 {
        dates::days_between(self.from, self.due)
    }
}

/// Builds the instalments of a loan of `principal` disbursed on `start`.
///
/// Flat: interest `P × r` every period, principal `P / n`. Declining balance: the level
/// instalment `E = P·r / (1 − (1 + r)^−n)`, interest `balance × r`, principal `E − interest`.
/// Every amount is rounded half-even to cents, and the last instalment takes the remaining
/// balance so principal sums to `P` exactly.
pub fn generate(principal: Cents, start: NaiveDate, terms: &Terms) -> Vec<Installment> {
    let n = terms.installments.max(1);
    let step = terms.every_months.max(1);
    let r = terms.rate / 100.0 * f64::from(step);
    let level = match terms.interest_type {
        InterestType::Flat => money::round_cents(principal as f64 / f64::from(n)),
        InterestType::DecliningBalance => annuity(principal, r, n),
    };

    let mut balance = principal;
    let mut out = Vec::with_capacity(n as usize);
    for k in 1..=n {
        let interest = match terms.interest_type {
            InterestType::Flat => money::mul_rate(principal, r),
            InterestType::DecliningBalance => money::mul_rate(balance, r),
        };
        let principal_part = match terms.interest_type {
            _ if k == n => balance,
            InterestType::Flat => level.min(balance),
            InterestType::DecliningBalance => (level - interest).clamp(0, balance),
        };
        balance -= principal_part;
        out.push(Installment {
            period: k,
            from: dates::add_months(start, (k - 1) * step),
            due: dates::add_months(start, k * step),
            principal: principal_part,
            interest,
            balance_after: balance,
        });
    }
    out
}

/// The level instalment `E = P·r / (1 − (1 + r)^−n)`, or `P / n` without interest.
fn annuity(principal: Cents, r: f64, n: u32) -> Cents {
    let p = principal as f64;
    if r <= 0.0 {
        return money::round_cents(p / f64::from(n));
    }
    money::round_cents(p * r / (1.0 - (1.0 + r).powi(-(n as i32))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::product;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn product_one_is_a_single_flat_instalment() {
        let terms = &product::seed()[0].terms;
        let s = generate(1_000_000, date(2026, 5, 25), terms);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].from, s[0].due),
            (date(2026, 5, 25), date(2026, 6, 25))
        );
        assert_eq!(s[0].days(), 31);
        assert_eq!(s[0].principal, 1_000_000);
        assert_eq!(s[0].interest, 110_000);
        assert_eq!(s[0].balance_after, 0);
    }

    #[test]
    fn product_two_matches_the_worked_example() {
        let terms = &product::seed()[1].terms;
        let s = generate(1_000_000, date(2026, 5, 25), terms);
        assert_eq!(s.len(), 12);
        let row = |k: usize| (s[k].due, s[k].principal, s[k].interest, s[k].balance_after);
        assert_eq!(row(0), (date(2026, 6, 25), 76_680, 15_000, 923_320));
        assert_eq!(row(1), (date(2026, 7, 25), 77_830, 13_850, 845_490));
        assert_eq!(row(2), (date(2026, 8, 25), 78_998, 12_682, 766_492));
        assert_eq!(row(10), (date(2027, 4, 25), 88_990, 2_690, 90_326));
        assert_eq!(row(11), (date(2027, 5, 25), 90_326, 1_355, 0));
        assert!(s[..11].iter().all(|i| i.principal + i.interest == 91_680));
        assert_eq!(s.iter().map(|i| i.interest).sum::<Cents>(), 100_161);
        assert_eq!(s.iter().map(|i| i.principal).sum::<Cents>(), 1_000_000);
    }

    #[test]
    fn flat_spreads_principal_and_zero_rate_has_no_interest() {
        let mut terms = product::seed()[0].terms.clone();
        terms.installments = 3;
        let s = generate(1_000_000, date(2026, 1, 31), &terms);
        assert_eq!(
            s.iter().map(|i| i.principal).collect::<Vec<_>>(),
            [333_333, 333_333, 333_334]
        );
        assert!(s.iter().all(|i| i.interest == 110_000));
        assert_eq!(s[0].due, date(2026, 2, 28));
        assert_eq!(s[1].due, date(2026, 3, 31));
        let mut terms = product::seed()[1].terms.clone();
        terms.rate = 0.0;
        let s = generate(1_000_000, date(2026, 1, 1), &terms);
        assert!(s.iter().all(|i| i.interest == 0));
        assert_eq!(s.iter().map(|i| i.principal).sum::<Cents>(), 1_000_000);
    }
}
