//! `bsa-lms-sandbox [--host H [--allow-remote]] [--port P] [--token-lifetime SECS]
//! [--today YYYY-MM-DD] [--admin-token TOKEN] [--exit-with-stdin]`
//!
//! Prints two machine-readable lines on stdout, `BSA_LMS_SANDBOX_ADMIN_TOKEN=<token>` then
//! `BSA_LMS_SANDBOX_URL=http://127.0.0.1:<port>` (a harness that reads up to the URL line has
//! seen both), a human banner on stderr, and serves until SIGINT/SIGTERM (or stdin EOF when
//! asked).

use std::io::{ErrorKind, Read, Write};
use std::net::IpAddr;
use std::process::ExitCode;

use bsa_lms_sandbox::{Config, Sandbox};
use chrono::NaiveDate;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::oneshot;

const USAGE: &str = "usage: bsa-lms-sandbox [--host 127.0.0.1 [--allow-remote]] [--port 0] \
[--token-lifetime SECS] [--today YYYY-MM-DD] [--admin-token TOKEN] [--exit-with-stdin]";

struct Args {
    config: Config,
    exit_with_stdin: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut config = Config::default();
    let mut exit_with_stdin = false;
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--host" => config.host = value()?,
            "--port" => config.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--token-lifetime" => {
                config.token_lifetime_secs = value()?
                    .parse()
                    .map_err(|e| format!("--token-lifetime: {e}"))?
            }
            "--today" => {
                let text = value()?;
                let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|e| format!("--today {text}: {e}"))?;
                config.today = Some(date);
            }
            "--allow-remote" => config.allow_remote = true,
            "--admin-token" => {
                let token = value()?;
                if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err("--admin-token must be non-empty printable ASCII".to_owned());
                }
                config.admin_token = Some(token);
            }
            "--exit-with-stdin" => exit_with_stdin = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Some(Args {
        config,
        exit_with_stdin,
    }))
}

/// Resolves when stdin reaches EOF. A plain thread does the blocking read: a tokio stdin read
/// would hold up runtime shutdown until more input arrived.
fn stdin_closed() -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let mut sink = [0u8; 1024];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    rx
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("bsa-lms-sandbox: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Handlers go in before the URL is announced: a harness may signal as soon as it reads it.
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("bsa-lms-sandbox: cannot install signal handlers");
        return ExitCode::FAILURE;
    };
    let remote = args.config.allow_remote
        && !args
            .config
            .host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let sandbox = match Sandbox::start(args.config).await {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            eprintln!("bsa-lms-sandbox: cannot start: {e}: pass --allow-remote");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("bsa-lms-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if remote {
        let _ = writeln!(
            std::io::stderr(),
            "bsa-lms-sandbox: WARNING: serving beyond loopback (--allow-remote): anyone who can \
             reach this port can mint tokens with the public seed credentials; keep the admin \
             token secret"
        );
    }
    let url = sandbox.url();
    // The banner goes first, and write errors are ignored: a harness may close
    // its end of the pipes as soon as it has read the URL line.
    let _ = writeln!(
        std::io::stderr(),
        "bsa-lms-sandbox: BSA LMS partner API simulator (in memory, offline)\n\
         \x20 auth base URL (BSA_LMS_AUTH_URL): {url}\n\
         \x20 API base URL  (BSA_LMS_BASE_URL): {url}\n\
         \x20 seed account: ada@example.com / correct-horse-battery-staple (ADMIN)\n\
         \x20 test surface: {url}/_sandbox/... (header x-sandbox-admin-token, printed on stdout)\n\
         \x20 stop with Ctrl-C"
    );
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "BSA_LMS_SANDBOX_ADMIN_TOKEN={}",
        sandbox.admin_token()
    );
    let _ = writeln!(stdout, "BSA_LMS_SANDBOX_URL={url}");
    let _ = stdout.flush();
    drop(stdout);

    let stdin_eof = async {
        if args.exit_with_stdin {
            let _ = stdin_closed().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
        _ = stdin_eof => {}
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
