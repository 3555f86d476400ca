//! The documented quickstart: token → customer → loan → repayment → balance.
//!
//! With `BSA_LMS_EMAIL`/`BSA_LMS_PASSWORD` (or `BSA_LMS_TOKEN`) set it runs
//! against the configured hosts; otherwise it starts the embedded sandbox.
//!
//! `cargo run --example quickstart`

use bsa_lms::Client;
use bsa_lms::types::{
    CreateCustomerRequest, CreateLoanRequest, CreateLoanRequestCustomerId, TransactionCreateRequest,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let configured = ["BSA_LMS_EMAIL", "BSA_LMS_TOKEN"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let (client, _sandbox) = if configured {
        (Client::from_env()?, None)
    } else {
        let sandbox = bsa_lms_sandbox::Sandbox::start(bsa_lms_sandbox::Config::default()).await?;
        println!(
            "no BSA_LMS_* credentials set: using the embedded sandbox at {}",
            sandbox.url()
        );
        let client = Client::builder()
            .base_url(sandbox.url())
            .auth_url(sandbox.url())
            .credentials("ada@example.com", "correct-horse-battery-staple")
            .build()?;
        (client, Some(sandbox))
    };
    run(&client).await?;
    Ok(())
}

async fn run(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    let suffix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let token = client.access_token().await?;
    println!("1. minted a token ({} characters)", token.len());

    let customer = client
        .create_customer()
        .body(CreateCustomerRequest::builder().external_id(format!("quickstart-{suffix}")))
        .send()
        .await?;
    println!(
        "2. customer {} ({}) is {}",
        customer.id,
        customer.display_name.as_deref().unwrap_or("?"),
        customer.status.as_deref().unwrap_or("?")
    );

    let loan_ref = format!("quickstart-loan-{suffix}");
    // Ids are opaque strings; loan create documents the customer's LMS id as an integer.
    let customer_id = match customer.id.parse::<i64>() {
        Ok(n) => CreateLoanRequestCustomerId::Integer(n),
        Err(_) => CreateLoanRequestCustomerId::String(customer.id.clone()),
    };
    let loan = client
        .create_loan()
        .body(
            CreateLoanRequest::builder()
                .customer_id(customer_id)
                .product_id(1)
                .principal(10000.0)
                .external_id(Some(loan_ref.parse()?)),
        )
        .send()
        .await?;
    println!(
        "3. loan {} is {}, {} due",
        loan.id,
        loan.status.as_deref().unwrap_or("?"),
        loan.total_outstanding.unwrap_or_default()
    );

    let repayment = client
        .create_repayment_by_external_id()
        .loan_external_id(&loan_ref)
        .body(
            TransactionCreateRequest::builder()
                .transaction_amount(450.0)
                .idempotency_key(Some(format!("quickstart-payment-{suffix}").parse()?)),
        )
        .send()
        .await?;
    println!(
        "4. repayment {} of {} applied to interest {}",
        repayment.id,
        repayment.amount.unwrap_or_default(),
        repayment.interest.unwrap_or_default()
    );

    let loan = client
        .get_loan_by_external_id()
        .loan_external_id(&loan_ref)
        .send()
        .await?;
    println!(
        "5. {} owes {}, next due {}",
        customer.display_name.as_deref().unwrap_or(&customer.id),
        loan.total_outstanding.unwrap_or_default(),
        loan.next_due_date.as_deref().unwrap_or("nothing")
    );
    Ok(())
}
