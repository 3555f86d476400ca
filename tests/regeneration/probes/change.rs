//! Uses what the changed spec adds: a response field, an optional request field, an operation.
use bsa_lms::types::{CreateCustomerRequest, Loan, LoanStatement};

#[allow(dead_code)]
async fn probe(client: bsa_lms::Client) -> Result<(), bsa_lms::Error> {
    let statement: LoanStatement = client.get_loan_statement().loan_id("1").send().await?.into_inner();
    let _: &String = &statement.loan_id;
    let loan: Loan = client.get_loan().loan_id("1").send().await?.into_inner();
    let _: Option<String> = loan.risk_band;
    let _ = CreateCustomerRequest::builder().external_id("x").mobile_no(Some("255700000000".to_owned()));
    Ok(())
}

fn main() {
    assert!(bsa_lms::operations().contains(&"get_loan_statement"));
    assert!(!bsa_lms::operations().contains(&"get_credit_scorecard"));
}
