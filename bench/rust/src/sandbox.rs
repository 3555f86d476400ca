//! The sandbox's admin surface and the seed every measurement starts from: one customer and
//! one loan of product 2 (12 monthly instalments, so the loan JSON with its schedule is a few KB).

use base64::Engine;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::{Value, json};

pub const EMAIL: &str = "ada@example.com";
pub const PASSWORD: &str = "correct-horse-battery-staple";

/// A plain reqwest client for set-up calls (never part of a measurement).
pub struct Admin {
    pub url: String,
    http: reqwest::Client,
    /// `Bearer <jwt>`, minted once; the sandbox keeps its signing keys across resets.
    pub bearer: HeaderValue,
}

/// What a batch works on after a reset.
pub struct Seed {
    /// The loan that GET fetches (and the list page shows).
    pub loan: String,
    /// The loans that repayments go to, in turn.
    pub repay: Vec<String>,
}

pub type Failure = Box<dyn std::error::Error + Send + Sync>;

impl Admin {
    pub async fn connect(url: &str) -> Result<Self, Failure> {
        let http = reqwest::Client::new();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}:{PASSWORD}"));
        let resp = http
            .get(format!("{url}/v1/auth/token"))
            .header(AUTHORIZATION, format!("Basic {basic}"))
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .or_else(|| body.get("accessToken"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("token endpoint answered {status}: {body}"))?;
        Ok(Self {
            url: url.to_owned(),
            http,
            bearer: HeaderValue::try_from(format!("Bearer {token}"))?,
        })
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, Failure> {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .header(AUTHORIZATION, self.bearer.clone())
            // bench/run.py passes on the sandbox's admin token for the /_sandbox calls.
            .header(
                "x-sandbox-admin-token",
                std::env::var("BSA_LMS_SANDBOX_ADMIN_TOKEN").unwrap_or_default(),
            )
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let value: Value = resp.json().await?;
        if !status.is_success() {
            return Err(format!("POST {path} answered {status}: {value}").into());
        }
        Ok(value)
    }

    /// Resets the sandbox and seeds the customer and its loan (the target of the GET and the
    /// one row of the list page), plus `repay_loans` more loans of the same customer that the
    /// repayment batches spread their POSTs over: the sandbox replays a loan's whole history on
    /// every repayment, so piling thousands of them onto one loan would measure that replay.
    pub async fn reset_and_seed(&self, repay_loans: usize) -> Result<Seed, Failure> {
        self.post("/_sandbox/reset", json!({})).await?;
        let customer = self
            .post("/v1/customers", json!({ "externalId": "bench-customer-1" }))
            .await?;
        let mut loans = Vec::new();
        for i in 0..=repay_loans {
            let loan = self
                .post(
                    "/v1/loans",
                    json!({
                        "customerId": customer["id"], "productId": 2, "principal": 50000,
                        "externalId": format!("bench-loan-{}", i + 1)
                    }),
                )
                .await?;
            let id = loan["id"].as_str().ok_or("the created loan has no id")?;
            loans.push(id.to_owned());
        }
        let loan = loans.remove(0);
        Ok(Seed { loan, repay: loans })
    }

    /// The loan's JSON exactly as the sandbox sends it.
    pub async fn loan_bytes(&self, loan_id: &str) -> Result<bytes::Bytes, Failure> {
        let resp = self
            .http
            .get(format!("{}/v1/loans/{loan_id}", self.url))
            .header(AUTHORIZATION, self.bearer.clone())
            .send()
            .await?
            .error_for_status()?;
        Ok(resp.bytes().await?)
    }
}
