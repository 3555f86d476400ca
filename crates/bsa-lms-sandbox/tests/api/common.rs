//! Test harness: one sandbox per test, driven over HTTP like any SDK would.

use bsa_lms_sandbox::{ADMIN_TOKEN_HEADER, Config, Sandbox};
use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const EMAIL: &str = "ada@example.com";
pub const PASSWORD: &str = "correct-horse-battery-staple";

pub struct Env {
    /// Kept for its lifetime: dropping it stops the server.
    _sandbox: Sandbox,
    pub url: String,
    pub http: reqwest::Client,
    pub token: String,
    pub admin_token: String,
}

/// A response reduced to what the assertions need.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} {}", self.status, self.text))
    }

    /// Asserts the error envelope and returns its message.
    pub fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        let body = self.json();
        assert_eq!(body["code"], code, "body: {}", self.text);
        body["message"]
            .as_str()
            .expect("message is a string")
            .to_owned()
    }

    /// Asserts `400 invalid_argument` and returns the decoded `{field, error}` list.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        let message = self.error(400, "invalid_argument");
        let list: Vec<Value> = serde_json::from_str(&message).expect("message is a JSON array");
        list.iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["error"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    pub fn ok(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.text);
        self.json()
    }
}

/// A sandbox on a free port whose business date is the examples' 2026-05-25.
pub async fn start() -> Env {
    start_with(Config {
        today: NaiveDate::from_ymd_opt(2026, 5, 25),
        ..Config::default()
    })
    .await
}

pub async fn start_with(config: Config) -> Env {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let url = sandbox.url();
    let admin_token = sandbox.admin_token().to_owned();
    let http = reqwest::Client::new();
    let mut env = Env {
        _sandbox: sandbox,
        url,
        http,
        token: String::new(),
        admin_token,
    };
    env.token = env.mint(EMAIL, PASSWORD).await;
    env
}

impl Env {
    pub async fn mint(&self, email: &str, password: &str) -> String {
        let reply = self.mint_reply(email, password).await;
        reply.ok()["token"].as_str().expect("token").to_owned()
    }

    pub async fn mint_reply(&self, email: &str, password: &str) -> Reply {
        let response = self
            .http
            .get(format!("{}/v1/auth/token", self.url))
            .basic_auth(email, Some(password))
            .send()
            .await
            .expect("request");
        reply(response).await
    }

    /// Sends a request with the env's token (when `auth`) and an optional JSON body; a
    /// `/_sandbox` request carries the admin token.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>, auth: bool) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if auth {
            request = request.bearer_auth(&self.token);
        }
        if path.starts_with("/_sandbox") {
            request = request.header(ADMIN_TOKEN_HEADER, &self.admin_token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, true).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body), true).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body), true).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, true).await
    }

    /// A `/_sandbox` call that must succeed.
    pub async fn admin(&self, path: &str, body: Value) -> Value {
        self.send(Method::POST, &format!("/_sandbox{path}"), Some(body), false)
            .await
            .ok()
    }

    pub async fn stats(&self) -> Value {
        self.send(Method::GET, "/_sandbox/stats", None, false)
            .await
            .ok()
    }

    pub async fn set_today(&self, date: &str) {
        self.admin("/clock", json!({ "today": date })).await;
    }

    pub async fn customer(&self, external_id: &str) -> Value {
        self.post("/v1/customers", json!({ "externalId": external_id }))
            .await
            .ok()
    }

    /// A customer plus an Active loan; returns the loan.
    pub async fn loan(&self, product: u64, principal: f64, external_id: &str) -> Value {
        let customer = self.customer(&format!("cust-{external_id}")).await;
        self.post(
            "/v1/loans",
            json!({ "customerId": customer["id"], "productId": product, "principal": principal, "externalId": external_id }),
        )
        .await
        .ok()
    }

    pub async fn repay(&self, loan: &Value, amount: f64) -> Value {
        self.post(
            &format!("/v1/loans/{}/repayments", loan["id"].as_str().unwrap()),
            json!({ "transactionAmount": amount }),
        )
        .await
        .ok()
    }
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    Reply {
        status,
        headers,
        text,
    }
}

/// `loan["id"]` as a str.
pub fn id(value: &Value) -> &str {
    value["id"].as_str().expect("string id")
}
