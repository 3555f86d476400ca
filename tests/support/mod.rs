//! Shared set-up of the end-to-end tests: an in-process sandbox per test and
//! helpers for its admin surface (`/_sandbox/...`).
#![allow(dead_code)]

use bsa_lms::{Client, ClientBuilder};
use bsa_lms_sandbox::{ADMIN_TOKEN_HEADER, Config, Sandbox};
use serde_json::{Value, json};

pub const EMAIL: &str = "ada@example.com";
pub const PASSWORD: &str = "correct-horse-battery-staple";

pub struct Env {
    pub sandbox: Sandbox,
    pub url: String,
    http: reqwest::Client,
}

impl Env {
    pub async fn start() -> Self {
        let sandbox = Sandbox::start(Config::default())
            .await
            .expect("sandbox starts");
        let url = sandbox.url();
        Self {
            sandbox,
            url,
            http: reqwest::Client::new(),
        }
    }

    /// A client builder aimed at the sandbox, with fast retries and no environment.
    pub fn builder(&self) -> ClientBuilder {
        Client::builder()
            .ignore_env()
            .base_url(&self.url)
            .auth_url(&self.url)
            .retry(bsa_lms::RetryPolicy {
                base_delay: std::time::Duration::from_millis(10),
                max_delay: std::time::Duration::from_millis(50),
                ..Default::default()
            })
    }

    pub fn client(&self) -> Client {
        self.builder()
            .credentials(EMAIL, PASSWORD)
            .build()
            .expect("client builds")
    }

    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/_sandbox/{path}", self.url))
            .header(ADMIN_TOKEN_HEADER, self.sandbox.admin_token())
            .json(&body)
            .send()
            .await
            .expect("admin call");
        assert!(
            resp.status().is_success(),
            "admin {path}: {}",
            resp.status()
        );
        resp.json().await.unwrap_or(Value::Null)
    }

    pub async fn fault(&self, method: &str, path: &str, fault: Value) {
        let mut body = json!({ "method": method, "path": path });
        body.as_object_mut()
            .unwrap()
            .extend(fault.as_object().unwrap().clone());
        self.admin("faults", body).await;
    }

    pub async fn stats(&self) -> Value {
        self.http
            .get(format!("{}/_sandbox/stats", self.url))
            .header(ADMIN_TOKEN_HEADER, self.sandbox.admin_token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Creates a customer and an Active loan (product 1, principal 10000) with the given externalIds.
    pub async fn customer_and_loan(&self, client: &Client, tag: &str) -> (String, String) {
        let customer = client
            .call(
                "create_customer",
                obj(json!({ "body": { "externalId": format!("cust-{tag}") } })),
            )
            .await
            .expect("create customer");
        let loan = client
            .call(
                "create_loan",
                obj(json!({ "body": {
                    "customerId": customer["id"], "productId": 1, "principal": 10000,
                    "externalId": format!("loan-{tag}")
                } })),
            )
            .await
            .expect("create loan");
        (
            customer["id"].as_str().unwrap().to_owned(),
            loan["id"].as_str().unwrap().to_owned(),
        )
    }
}

pub fn obj(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().expect("arguments are an object")
}
