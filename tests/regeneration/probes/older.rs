//! Uses what the older revision has and the current one lacks.
use bsa_lms::types::{ActivateCustomerRequest, ApproveLoanRequest, CreditScorecard};

#[allow(dead_code)]
async fn probe(client: bsa_lms::Client) -> Result<(), bsa_lms::Error> {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 5, 22).expect("date");
    client.activate_customer().customer_id("42").body(ActivateCustomerRequest::builder().activation_date(date)).send().await?;
    client.approve_loan().loan_id("501").body(ApproveLoanRequest::builder().approved_on_date(date)).send().await?;
    let score: CreditScorecard = client.get_credit_scorecard().mobile_number("255762260621").send().await?.into_inner();
    let _: Option<i64> = score.mobile_number;
    Ok(())
}

fn main() {
    for gone in ["get_loan_by_external_id", "rollback_loan", "adjust_loan_disbursement_date", "list_repayments"] {
        assert!(!bsa_lms::operations().contains(&gone), "{gone}");
    }
}
