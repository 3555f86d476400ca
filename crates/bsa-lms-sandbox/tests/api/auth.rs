use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bsa_lms_sandbox::Config;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{EMAIL, PASSWORD, reply, start, start_with};

fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
}

#[tokio::test]
async fn token_is_an_rs256_jwt_with_the_documented_claims() {
    let env = start().await;
    let header = decode_part(&env.token, 0);
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].as_str().is_some_and(|k| !k.is_empty()));
    let claims = decode_part(&env.token, 1);
    assert_eq!(claims["iss"], "service-project");
    assert_eq!(claims["sub"], "5cf37266-3473-4006-984f-9325122678b7");
    assert_eq!(claims["roles"], json!(["ADMIN"]));
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 31_536_000);
    assert!(claims.get("aud").is_none());
    assert_eq!(env.get("/v1/loan-products").await.status, 200);
}

#[tokio::test]
async fn bad_or_missing_credentials_are_401_invalid_credentials() {
    let env = start().await;
    for reply in [
        env.mint_reply(EMAIL, "wrong").await,
        env.mint_reply("nobody@example.com", PASSWORD).await,
        reply(
            env.http
                .get(format!("{}/v1/auth/token", env.url))
                .send()
                .await
                .unwrap(),
        )
        .await,
    ] {
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.json(),
            json!({"code": "unauthenticated", "message": "invalid credentials"})
        );
    }
    assert_eq!(env.stats().await["tokenMints"], 1);
}

#[tokio::test]
async fn api_rejects_missing_malformed_foreign_and_non_admin_tokens() {
    let env = start().await;
    let customers = format!("{}/v1/customers", env.url);
    let unauthenticated = |r: crate::common::Reply| {
        r.error(401, "unauthenticated");
    };
    unauthenticated(env.send(Method::GET, "/v1/customers", None, false).await);
    for header in ["Bearer not-a-jwt", "Basic YWRhOng=", "Bearer "] {
        let r = env
            .http
            .get(&customers)
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        unauthenticated(reply(r).await);
    }
    // Same header and claims, signature of another key: flip the signature's first character.
    let mut parts: Vec<String> = env.token.split('.').map(str::to_owned).collect();
    let first = if parts[2].starts_with('A') { "B" } else { "A" };
    parts[2].replace_range(0..1, first);
    let forged = parts.join(".");
    unauthenticated(
        reply(
            env.http
                .get(&customers)
                .bearer_auth(forged)
                .send()
                .await
                .unwrap(),
        )
        .await,
    );
    // The viewer account mints fine but lacks ADMIN.
    let viewer = env.mint("viewer@example.com", "viewer-password").await;
    assert_eq!(decode_part(&viewer, 1)["roles"], json!(["VIEWER"]));
    unauthenticated(
        reply(
            env.http
                .get(&customers)
                .bearer_auth(viewer)
                .send()
                .await
                .unwrap(),
        )
        .await,
    );
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_rejected_and_fresh_ones_work() {
    let mut env = start().await;
    let good = env.token.clone();
    env.admin("/auth", json!({"tokenLifetimeSeconds": 0})).await;
    env.token = env.mint(EMAIL, PASSWORD).await;
    let claims = decode_part(&env.token, 1);
    assert_eq!(claims["exp"], claims["iat"]);
    let message = env.get("/v1/customers").await.error(401, "unauthenticated");
    assert!(message.starts_with("lms: status=401: "), "{message}");

    env.token = good;
    assert_eq!(env.get("/v1/customers").await.status, 200);
    env.admin("/tokens/expire", json!({})).await;
    env.get("/v1/customers").await.error(401, "unauthenticated");
    env.admin("/auth", json!({"tokenLifetimeSeconds": 3600}))
        .await;
    env.token = env.mint(EMAIL, PASSWORD).await;
    let claims = decode_part(&env.token, 1);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(env.get("/v1/customers").await.status, 200);
    assert_eq!(env.stats().await["tokenMints"], 3);
}

#[tokio::test]
async fn forced_unauthorized_answers_hit_the_next_n_api_requests_only() {
    let env = start().await;
    env.admin("/unauthorized", json!({"count": 2})).await;
    // The token endpoint is not part of the main API and is not affected.
    env.mint(EMAIL, PASSWORD).await;
    env.get("/v1/customers").await.error(401, "unauthenticated");
    env.get("/v1/loan-products")
        .await
        .error(401, "unauthenticated");
    assert_eq!(env.get("/v1/customers").await.status, 200);
}

#[tokio::test]
async fn lifetime_comes_from_config_and_reset_restores_it() {
    let env = start_with(Config {
        token_lifetime_secs: 60,
        ..Config::default()
    })
    .await;
    let claims = decode_part(&env.token, 1);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        60
    );
    env.admin("/auth", json!({"tokenLifetimeSeconds": 5})).await;
    env.admin("/reset", json!({})).await;
    let token = env.mint(EMAIL, PASSWORD).await;
    let claims = decode_part(&token, 1);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        60
    );
}

#[tokio::test]
async fn added_accounts_can_mint_and_reset_removes_them() {
    let env = start().await;
    let account = env
        .admin(
            "/accounts",
            json!({"email": "bob@example.com", "password": "pw", "roles": ["ADMIN"]}),
        )
        .await;
    assert_eq!(account["email"], "bob@example.com");
    let token = env.mint("bob@example.com", "pw").await;
    let r = env
        .http
        .get(format!("{}/v1/customers", env.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    env.admin("/reset", json!({})).await;
    assert_eq!(env.mint_reply("bob@example.com", "pw").await.status, 401);
}
