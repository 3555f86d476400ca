//! Loan products (REFERENCE §5) and the loan terms they carry.
//!
//! Partners cannot create products, so only the shapes of the two seed products exist: monthly
//! instalments, a rate per month applied per repayment period, level instalments, and either
//! flat or declining-balance interest.

use serde::Serialize;

use crate::money::{self, Cents};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterestType {
    DecliningBalance,
    Flat,
}

impl InterestType {
    pub fn label(self) -> &'static str {
        match self {
            InterestType::DecliningBalance => "Declining Balance",
            InterestType::Flat => "Flat",
        }
    }
}

/// What the schedule generator needs besides principal and start date (Appendix A.2). A loan
/// copies these from its product; a loan update may override `installments` and `rate`.
#[derive(Clone, Debug, PartialEq)]
pub struct Terms {
    pub installments: u32,
    /// Months between instalments (`repaymentEvery`).
    pub every_months: u32,
    /// Percent per month, e.g. `1.5`.
    pub rate: f64,
    pub interest_type: InterestType,
}

#[derive(Clone, Debug)]
pub struct Product {
    pub id: u64,
    pub name: &'static str,
    pub short_name: &'static str,
    pub description: &'static str,
    pub currency_code: &'static str,
    pub principal: Cents,
    pub min_principal: Cents,
    pub max_principal: Cents,
    pub terms: Terms,
}

/// The two seed products of REFERENCE §5.2, exactly as documented.
pub fn seed() -> Vec<Product> {
    vec![
        Product {
            id: 1,
            name: "Halotel 30-Day",
            short_name: "H30D",
            description: "Single-instalment loan repaid after one month, 11% flat interest",
            currency_code: "TZS",
            principal: 1_000_000,
            min_principal: 100_000,
            max_principal: 5_000_000,
            terms: Terms {
                installments: 1,
                every_months: 1,
                rate: 11.0,
                interest_type: InterestType::Flat,
            },
        },
        Product {
            id: 2,
            name: "Standard 12-Month",
            short_name: "STD12",
            description: "Standard individual loan, 12 months, monthly repayments",
            currency_code: "TZS",
            principal: 500_000,
            min_principal: 100_000,
            max_principal: 5_000_000,
            terms: Terms {
                installments: 12,
                every_months: 1,
                rate: 1.5,
                interest_type: InterestType::DecliningBalance,
            },
        },
    ]
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductOut {
    id: String,
    name: &'static str,
    short_name: &'static str,
    description: &'static str,
    currency_code: &'static str,
    principal: f64,
    min_principal: f64,
    max_principal: f64,
    number_of_repayments: u32,
    repayment_every: u32,
    repayment_frequency_type: &'static str,
    interest_rate_per_period: f64,
    interest_rate_frequency_type: &'static str,
    amortization_type: &'static str,
    interest_type: &'static str,
    interest_calculation_period_type: &'static str,
    status: &'static str,
}

impl Product {
    pub fn render(&self) -> ProductOut {
        let t = &self.terms;
        ProductOut {
            id: self.id.to_string(),
            name: self.name,
            short_name: self.short_name,
            description: self.description,
            currency_code: self.currency_code,
            principal: money::to_units(self.principal),
            min_principal: money::to_units(self.min_principal),
            max_principal: money::to_units(self.max_principal),
            number_of_repayments: t.installments,
            repayment_every: t.every_months,
            repayment_frequency_type: "Months",
            interest_rate_per_period: t.rate,
            interest_rate_frequency_type: "Per month",
            amortization_type: "Equal installments",
            interest_type: t.interest_type.label(),
            interest_calculation_period_type: "Same as repayment period",
            status: "active",
        }
    }
}
