//! The sandbox is safe to leave running in a developer's machine or a CI job: its admin surface
//! needs the instance's token, it binds beyond loopback only when told to, and a client that
//! never finishes its headers is cut off.

use std::time::Duration;

use bsa_lms_sandbox::{ADMIN_TOKEN_HEADER, Config, Sandbox, SandboxThread};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::binary::{spawn, wait_exit};
use crate::common::{reply, start};

#[tokio::test]
async fn admin_routes_refuse_requests_without_the_instance_token() {
    let env = start().await;
    env.customer("kept").await;
    let http = reqwest::Client::new();
    // What a web page could send cross-site (no preflight): a text/plain POST.
    let forged = [
        http.post(format!("{}/_sandbox/reset", env.url))
            .header("content-type", "text/plain")
            .body("{}"),
        http.post(format!("{}/_sandbox/faults", env.url))
            .header(ADMIN_TOKEN_HEADER, "not-the-token")
            .json(&json!({"path": "/v1/**", "kind": "drop_before", "count": 100})),
        http.get(format!("{}/_sandbox/stats", env.url)),
    ];
    for request in forged {
        let answer = reply(request.send().await.unwrap()).await;
        let message = answer.error(401, "unauthenticated");
        assert!(message.contains(ADMIN_TOKEN_HEADER), "{message}");
    }
    // Nothing was reset and no fault was queued.
    assert_eq!(env.stats().await["customers"], 1);
    env.get("/v1/loan-products").await.ok();
    // Tokens are per instance.
    let other = start().await;
    assert_ne!(other.admin_token, env.admin_token);
    let cross = http
        .get(format!("{}/_sandbox/stats", env.url))
        .header(ADMIN_TOKEN_HEADER, &other.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 401);
    // The API itself still answers without it.
    let products = env.send(Method::GET, "/v1/loan-products", None, true).await;
    assert_eq!(products.status, 200);
}

#[tokio::test]
async fn a_configured_admin_token_is_the_one_required() {
    let sandbox = Sandbox::start(Config {
        admin_token: Some("fixed-for-compose".to_owned()),
        ..Config::default()
    })
    .await
    .unwrap();
    assert_eq!(sandbox.admin_token(), "fixed-for-compose");
    let ok = reqwest::Client::new()
        .post(format!("{}/_sandbox/reset", sandbox.url()))
        .header(ADMIN_TOKEN_HEADER, "fixed-for-compose")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn binding_beyond_loopback_needs_allow_remote() {
    let refused = Sandbox::start(Config {
        host: "0.0.0.0".to_owned(),
        ..Config::default()
    })
    .await
    .err()
    .expect("a wildcard bind is refused");
    assert_eq!(refused.kind(), std::io::ErrorKind::PermissionDenied);
    let allowed = Sandbox::start(Config {
        host: "0.0.0.0".to_owned(),
        allow_remote: true,
        ..Config::default()
    })
    .await
    .expect("allowed explicitly");
    allowed.shutdown().await;
}

#[test]
fn the_binary_refuses_a_remote_host_without_the_flag_and_warns_with_it() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bsa-lms-sandbox"))
        .args(["--host", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    assert!(output.stdout.is_empty(), "no URL is announced");

    let (mut child, url, token) = spawn(&["--host", "0.0.0.0", "--allow-remote"]);
    assert!(
        url.starts_with("http://127.0.0.1:") && token.len() == 32,
        "{url} {token}"
    );
    drop(child.stdin.take());
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(wait_exit(&mut child).success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("WARNING") && stderr.contains("--allow-remote"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let sandbox = Sandbox::start(Config {
        header_read_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await
    .unwrap();
    let address = sandbox.url().trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /v1/loan-products HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf))
        .await
        .expect("the sandbox closes the connection instead of waiting for ever");
    // Closed (EOF or reset), possibly after a 408: never a served request.
    if let Ok(n) = read {
        assert!(
            n == 0 || String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    // Other clients are still served.
    let products = reqwest::get(format!("{}/v1/loan-products", sandbox.url()))
        .await
        .unwrap();
    assert_eq!(products.status(), 401, "unauthenticated but answered");
}

#[test]
fn a_sandbox_thread_serves_without_a_runtime_of_the_caller() {
    let sandbox = SandboxThread::start(Config::default()).unwrap();
    let url = sandbox.url().to_owned();
    let token = sandbox.admin_token().to_owned();
    // A blocking client on this thread while the sandbox runs on its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/_sandbox/stats"))
            .header(ADMIN_TOKEN_HEADER, &token)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    sandbox.stop();
    let gone = runtime.block_on(async { reqwest::get(format!("{url}/_sandbox/stats")).await });
    assert!(gone.is_err(), "stopped: nothing listens any more");
}

#[tokio::test]
async fn in_process_admin_helpers_need_no_socket_or_token_handling() {
    let sandbox = Sandbox::start(Config::default()).await.unwrap();
    let id = sandbox
        .fault(json!({"path": "/v1/loan-products", "kind": "status", "status": 503}))
        .await
        .unwrap();
    assert!(!id.is_empty());
    let answer = reqwest::get(format!("{}/v1/loan-products", sandbox.url()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    let stats = sandbox.stats().await.unwrap();
    assert_eq!(stats["requests"]["GET /v1/loan-products"], 1);
    sandbox.reset().await.unwrap();
    assert_eq!(sandbox.stats().await.unwrap()["requests"], json!({}));
    let refused = sandbox
        .admin(Method::POST, "faults", Some(json!({"kind": "nope"})))
        .await
        .unwrap_err();
    assert_eq!(refused.status, 400, "{refused}");
}
