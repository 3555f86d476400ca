//! The `bsa-lms-sandbox` executable: its one machine-readable line and its ways to stop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::common::{EMAIL, PASSWORD};

/// The started binary, its URL and its admin token (the two lines it prints, token first).
pub fn spawn(args: &[&str]) -> (Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bsa-lms-sandbox"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = |prefix: &str| {
        let line = lines.next().expect("a line").unwrap();
        line.trim()
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix}, got {line:?}"))
            .to_owned()
    };
    let admin_token = next("BSA_LMS_SANDBOX_ADMIN_TOKEN=");
    let url = next("BSA_LMS_SANDBOX_URL=");
    (child, url, admin_token)
}

pub fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "sandbox did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn prints_its_url_serves_and_exits_when_stdin_closes() {
    let (mut child, url, admin_token) = spawn(&[
        "--port",
        "0",
        "--today",
        "2026-05-25",
        "--token-lifetime",
        "120",
        "--exit-with-stdin",
    ]);
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with('/'),
        "{url}"
    );
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .get(format!("{url}/v1/auth/token"))
        .basic_auth(EMAIL, Some(PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let payload = token["token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120
    );
    let clock: serde_json::Value = http
        .get(format!("{url}/_sandbox/clock"))
        .header(bsa_lms_sandbox::ADMIN_TOKEN_HEADER, admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["today"], "2026-05-25");
    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
    let mut banner = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut banner).unwrap();
    assert!(banner.contains(&url) && banner.contains(EMAIL), "{banner}");
}

#[test]
fn stops_cleanly_on_sigterm() {
    let (mut child, _url, _) = spawn(&[]);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(wait_exit(&mut child).success());
}

#[test]
fn rejects_unknown_arguments() {
    let output = Command::new(env!("CARGO_BIN_EXE_bsa-lms-sandbox"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage"));
}
