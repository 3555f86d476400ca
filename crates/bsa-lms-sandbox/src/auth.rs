//! The token service (`GET /v1/auth/token`, REFERENCE §2) and bearer-token checks.
//!
//! Tokens are real RS256 JWTs signed with a key committed in `keys/` (a sandbox-only key, never
//! a secret). Validity is checked against the wall clock, not the business date, because token
//! expiry is about real time passing in a test run.

use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::App;

const PRIVATE_KEY_PEM: &str = include_str!("../keys/sandbox-only-insecure-rsa-private.pem");
const PUBLIC_KEY_PEM: &str = include_str!("../keys/sandbox-only-insecure-rsa-public.pem");

/// `kid` of the sandbox key, so a JWKS-minded caller sees a key id as with the real service.
pub const KEY_ID: &str = "bsa-lms-sandbox-2026";
pub const ISSUER: &str = "service-project";
pub const ADMIN_ROLE: &str = "ADMIN";

#[derive(Clone, Debug)]
pub struct Account {
    pub email: String,
    pub password: String,
    pub roles: Vec<String>,
    /// The JWT `sub`: a UUID-shaped id fixed per account.
    pub sub: String,
}

impl Account {
    pub fn render(&self) -> Value {
        json!({ "email": self.email, "roles": self.roles, "sub": self.sub })
    }
}

/// Email of the seed partner account (role `ADMIN`), present after every reset.
pub const SEED_EMAIL: &str = "ada@example.com";
/// Password of [`SEED_EMAIL`]: public, like the sandbox's signing key.
pub const SEED_PASSWORD: &str = "correct-horse-battery-staple";

/// The seed partner account plus a non-admin one whose tokens the API must refuse.
pub fn seed_accounts() -> Vec<Account> {
    vec![
        Account {
            email: SEED_EMAIL.to_owned(),
            password: SEED_PASSWORD.to_owned(),
            roles: vec![ADMIN_ROLE.to_owned()],
            // The subject of the documentation's example token.
            sub: "5cf37266-3473-4006-984f-9325122678b7".to_owned(),
        },
        Account {
            email: "viewer@example.com".to_owned(),
            password: "viewer-password".to_owned(),
            roles: vec!["VIEWER".to_owned()],
            sub: account_sub(2),
        },
    ]
}

/// A stable UUID-shaped subject for the `n`-th account.
pub fn account_sub(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub iat: u64,
    pub exp: u64,
    pub roles: Vec<String>,
    /// Unique per mint. Without it two tokens minted for one account in the same second would
    /// be identical, and revoking one would revoke a fresh one too.
    pub jti: String,
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    pub fn sandbox() -> Self {
        Keys {
            encoding: EncodingKey::from_rsa_pem(PRIVATE_KEY_PEM.as_bytes())
                .expect("the committed sandbox private key parses"),
            decoding: DecodingKey::from_rsa_pem(PUBLIC_KEY_PEM.as_bytes())
                .expect("the committed sandbox public key parses"),
        }
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `GET /v1/auth/token`: Basic credentials in, `{"token"}` out.
pub async fn mint_token(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let rejected = || ApiError {
        status: axum::http::StatusCode::UNAUTHORIZED,
        code: "unauthenticated",
        message: "invalid credentials".to_owned(),
    };
    let (email, password) = basic_credentials(&headers).ok_or_else(rejected)?;
    let (account, lifetime) = {
        let store = app.store();
        let account = store
            .accounts
            .iter()
            .find(|a| a.email == email && a.password == password)
            .cloned()
            .ok_or_else(rejected)?;
        (account, store.token_lifetime_secs)
    };
    let shared = app.shared();
    let seq = shared.token_seq.fetch_add(1, Ordering::Relaxed);
    let iat = now_secs();
    let claims = Claims {
        iss: ISSUER.to_owned(),
        sub: account.sub,
        iat,
        exp: iat.saturating_add(lifetime),
        roles: account.roles,
        jti: seq.to_string(),
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KEY_ID.to_owned());
    // Signing (about a millisecond of RSA) happens outside the store lock.
    let token = jsonwebtoken::encode(&header, &claims, &shared.keys.encoding)
        .map_err(|e| ApiError::internal(format!("signing failed: {e}")))?;
    app.store().stats.token_mints += 1;
    Ok(Json(json!({ "token": token })))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (email, password) = decoded.split_once(':')?;
    Some((email.to_owned(), password.to_owned()))
}

/// Checks the bearer token of a main-API request (REFERENCE §2.5, §2.6).
pub fn authorize(app: &App, headers: &HeaderMap) -> ApiResult<()> {
    {
        let mut store = app.store();
        if store.unauthorized_remaining > 0 {
            store.unauthorized_remaining -= 1;
            return Err(ApiError::unauthenticated(
                "token rejected (forced by /_sandbox/unauthorized)",
            ));
        }
    }
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("missing bearer token"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| ApiError::unauthenticated("authorization header is not a bearer token"))?;

    let mut validation = Validation::new(Algorithm::RS256);
    // Expiry is checked below without leeway; no other claim is required to be present.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(token, &app.shared().keys.decoding, &validation)
        .map_err(|e| ApiError::unauthenticated(format!("invalid token: {e}")))?
        .claims;
    if now_secs() >= claims.exp {
        return Err(ApiError::unauthenticated("token expired"));
    }
    let seq: u64 = claims.jti.parse().unwrap_or(0);
    if seq < app.store().revoked_below {
        return Err(ApiError::unauthenticated(
            "token expired (revoked by /_sandbox/tokens/expire)",
        ));
    }
    if !claims.roles.iter().any(|r| r == ADMIN_ROLE) {
        return Err(ApiError::unauthenticated(
            "the token's subject lacks the ADMIN role",
        ));
    }
    Ok(())
}

/// `POST /_sandbox/tokens/expire`: every token minted so far stops working.
pub fn revoke_all(app: &App) {
    let next = app.shared().token_seq.load(Ordering::Relaxed);
    app.store().revoked_below = next;
}
