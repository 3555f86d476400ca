//! Benchmarks of the bsa-lms Rust SDK on the sandbox (see bench/README.md).
//!
//! ```text
//! bsa-lms-bench run   --url URL --out FILE [--seq-calls N] [--conc-calls N] [--rounds R]
//! bsa-lms-bench mem   --url URL [--calls 100000] [--concurrency 16]
//! bsa-lms-bench canned --body FILE
//! bsa-lms-bench decode --url URL [--iterations N]
//! bsa-lms-bench loop  --url URL [--base URL] --who sdk|raw [--call get_loan] [--calls N] [--concurrency C]
//! ```
//!
//! `run` measures the SDK's typed builders against a raw reqwest floor (the same requests with
//! the same headers, the response decoded into the same generated `bsa_lms::types` structs)
//! for three calls, sequentially and with many in flight, plus the token-overhead scenario; it
//! writes the elapsed time of every round as JSON for `bench/report.py`. `mem` prints the
//! process's resident set after 1,000 calls and after `--calls` calls. `loop` runs one
//! contender alone (for a profiler): it seeds through the sandbox at `--url` and sends its calls
//! to `--base` (default: the sandbox; e.g. a `canned` server's URL).

mod canned;
mod sandbox;

use std::collections::BTreeMap;
use std::future::Future;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bsa_lms::types::{
    Loan, LoanPage, Transaction, TransactionCreateRequest, TransactionCreateRequestIdempotencyKey,
};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::sandbox::{Admin, EMAIL, Failure, PASSWORD, Seed};

/// The `api-version` header every generated operation sends; the floor sends it too.
const API_VERSION: &str = "1.0.0";
/// A repayment batch spreads its POSTs over this many per loan at most (see `reset_and_seed`).
const REPAYMENTS_PER_LOAN: usize = 100;

fn main() {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let opts = match Opts::parse(args) {
        Ok(o) => o,
        Err(e) => fail(e),
    };
    let result = match command.as_str() {
        "run" => runtime().block_on(run(&opts)),
        "mem" => runtime().block_on(mem(&opts)),
        "canned" => canned::serve(&opts.string("body", "")),
        "loop" => runtime().block_on(single(&opts)),
        "decode" => runtime().block_on(decode_costs(&opts)),
        _ => Err("usage: bsa-lms-bench run|mem|canned [--flag value ...]".into()),
    };
    if let Err(e) = result {
        fail(e);
    }
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("bsa-lms-bench: {e}");
    std::process::exit(1)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// `--flag value` pairs.
struct Opts(BTreeMap<String, String>);

impl Opts {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        while let Some(flag) = args.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --flag, got {flag}"))?;
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            map.insert(name.to_owned(), value);
        }
        Ok(Self(map))
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.0
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    fn number(&self, name: &str, default: usize) -> Result<usize, Failure> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|e| format!("--{name} {v}: {e}").into()),
        }
    }
}

/// Runs `calls` calls of `op` from `concurrency` tasks that each take the next call number
/// until none is left; returns the wall time. The same driver serves every contender.
async fn drive<F, Fut>(calls: usize, concurrency: usize, op: F) -> Duration
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(calls) {
        let (op, next) = (op.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls {
                    break;
                }
                op(i).await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a benchmark task panicked");
    }
    started.elapsed()
}

/// One of the three calls every language measures.
#[derive(Clone, Copy, Debug)]
enum Call {
    GetLoan,
    ListLoans,
    Repay,
}

impl Call {
    const ALL: [Call; 3] = [Call::GetLoan, Call::ListLoans, Call::Repay];

    fn id(self) -> &'static str {
        match self {
            Call::GetLoan => "get_loan",
            Call::ListLoans => "list_loans",
            Call::Repay => "create_repayment",
        }
    }
}

/// The floor: a bare `reqwest::Client` (defaults, one per contender) sending the request the
/// SDK sends (`Accept`, `api-version`, the bearer token, a JSON body) and decoding the answer
/// into the same generated type. No retries, no token manager, no hooks.
#[derive(Clone)]
struct Raw {
    http: reqwest::Client,
    base: Arc<str>,
    /// `None` leaves the `Authorization` header out (token-overhead scenario).
    bearer: Option<HeaderValue>,
}

impl Raw {
    fn new(base: &str, bearer: Option<HeaderValue>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.into(),
            bearer,
        }
    }

    fn request(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let builder = builder
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(
                HeaderName::from_static("api-version"),
                HeaderValue::from_static(API_VERSION),
            );
        match &self.bearer {
            Some(b) => builder.header(AUTHORIZATION, b.clone()),
            None => builder,
        }
    }

    async fn decode<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> T {
        let status = resp.status();
        let bytes = resp.bytes().await.expect("response body");
        assert!(
            status.is_success(),
            "raw call answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(&bytes).expect("response decodes")
    }

    async fn get_loan(&self, loan_id: &str) -> Loan {
        let url = format!("{}/v1/loans/{loan_id}", self.base);
        let resp = self.request(self.http.get(url)).send().await.expect("send");
        Self::decode(resp).await
    }

    async fn list_loans(&self) -> LoanPage {
        let url = format!("{}/v1/loans", self.base);
        let builder = self.http.get(url).query(&[("page", 1), ("rows", 10)]);
        let resp = self.request(builder).send().await.expect("send");
        Self::decode(resp).await
    }

    async fn repay(&self, loan_id: &str, key: &str) -> Transaction {
        let url = format!("{}/v1/loans/{loan_id}/repayments", self.base);
        let body = json!({ "transactionAmount": 1.0, "idempotencyKey": key });
        let builder = self.http.post(url).json(&body);
        let resp = self.request(builder).send().await.expect("send");
        Self::decode(resp).await
    }

    async fn call(&self, call: Call, loan_id: &str, key: &str) {
        match call {
            Call::GetLoan => {
                black_box(self.get_loan(loan_id).await);
            }
            Call::ListLoans => {
                black_box(self.list_loans().await);
            }
            Call::Repay => {
                black_box(self.repay(loan_id, key).await);
            }
        }
    }
}

/// The SDK's typed builders.
async fn sdk_call(client: &bsa_lms::Client, call: Call, loan_id: &str, key: &str) {
    match call {
        Call::GetLoan => {
            let loan = client.get_loan().loan_id(loan_id).send().await;
            black_box(loan.expect("SDK get_loan").into_inner());
        }
        Call::ListLoans => {
            let page = client.list_loans().rows(10).page(1).send().await;
            black_box(page.expect("SDK list_loans").into_inner());
        }
        Call::Repay => {
            let key: TransactionCreateRequestIdempotencyKey =
                key.parse().expect("valid idempotency key");
            let body = TransactionCreateRequest::builder()
                .transaction_amount(1.0)
                .idempotency_key(Some(key));
            let tx = client
                .create_repayment()
                .loan_id(loan_id)
                .body(body)
                .send()
                .await;
            black_box(tx.expect("SDK create_repayment").into_inner());
        }
    }
}

fn sdk_client(base: &str, auth: &str) -> Result<bsa_lms::Client, Failure> {
    Ok(bsa_lms::Client::builder()
        .ignore_env()
        .base_url(base)
        .auth_url(auth)
        .credentials(EMAIL, PASSWORD)
        .build()?)
}

/// A contender: a name and a way to make call number `i` of a batch (`tag` keeps the
/// idempotency keys of different batches apart).
#[derive(Clone)]
enum Contender {
    Raw(Raw),
    Sdk(Arc<bsa_lms::Client>),
}

impl Contender {
    /// Runs one batch; returns (wall seconds, this process's CPU seconds).
    async fn batch(
        &self,
        call: Call,
        seed: Arc<Seed>,
        tag: &str,
        calls: usize,
        conc: usize,
    ) -> (f64, f64) {
        let tag: Arc<str> = tag.into();
        let cpu = cpu_seconds();
        let elapsed = match self.clone() {
            Contender::Raw(raw) => {
                drive(calls, conc, move |i| {
                    let (raw, seed, tag) = (raw.clone(), seed.clone(), tag.clone());
                    async move {
                        raw.call(call, seed.loan_for(call, i), &format!("{tag}-{i}"))
                            .await
                    }
                })
                .await
            }
            Contender::Sdk(client) => {
                drive(calls, conc, move |i| {
                    let (client, seed, tag) = (client.clone(), seed.clone(), tag.clone());
                    async move {
                        sdk_call(&client, call, seed.loan_for(call, i), &format!("{tag}-{i}")).await
                    }
                })
                .await
            }
        };
        (elapsed.as_secs_f64(), cpu_seconds() - cpu)
    }
}

impl Seed {
    /// The loan call number `i` addresses: repayments take the repayment loans in turn.
    fn loan_for(&self, call: Call, i: usize) -> &str {
        match call {
            Call::Repay if !self.repay.is_empty() => &self.repay[i % self.repay.len()],
            _ => &self.loan,
        }
    }
}

/// CPU time of this whole process (every thread), in seconds.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// One table of the report: every contender's elapsed seconds per counted round.
struct Scenario {
    id: String,
    call: &'static str,
    concurrency: usize,
    calls: usize,
    baseline: &'static str,
    seconds: BTreeMap<&'static str, Vec<f64>>,
    cpu_seconds: BTreeMap<&'static str, Vec<f64>>,
}

impl Scenario {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id, "call": self.call, "concurrency": self.concurrency,
            "calls": self.calls, "baseline": self.baseline, "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
        })
    }
}

/// What one table measures.
struct Plan {
    id: String,
    call: Call,
    concurrency: usize,
    calls: usize,
    rounds: usize,
}

/// Where a batch's loans come from.
enum Setup<'a> {
    /// Reset and re-seed the sandbox before each batch, so every batch starts from one state.
    Reset(&'a Admin),
    /// A fixed seed (the canned server has no state).
    Fixed(Arc<Seed>),
}

/// Runs every contender for one warm-up batch and then `rounds` counted batches, taking turns
/// (the order alternates each round).
async fn compare(
    plan: Plan,
    setup: &Setup<'_>,
    contenders: &[(&'static str, Contender)],
) -> Result<Scenario, Failure> {
    let mut seconds: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut cpu_seconds: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for round in 0..=plan.rounds {
        let mut order: Vec<_> = contenders.iter().collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for (name, contender) in order {
            // Warm-up batches are shorter: they open the connections and fill caches.
            let n = if round == 0 {
                plan.calls.div_ceil(4).max(plan.concurrency)
            } else {
                plan.calls
            };
            let seed = match setup {
                Setup::Reset(admin) => {
                    let repay_loans = match plan.call {
                        Call::Repay => n.div_ceil(REPAYMENTS_PER_LOAN),
                        _ => 0,
                    };
                    Arc::new(admin.reset_and_seed(repay_loans).await?)
                }
                Setup::Fixed(seed) => seed.clone(),
            };
            let tag = format!("{}-{name}-{round}", plan.id).replace(['/', ' ', ','], "_");
            let (wall, cpu) = contender
                .batch(plan.call, seed, &tag, n, plan.concurrency)
                .await;
            if round > 0 {
                seconds.entry(name).or_default().push(wall);
                cpu_seconds.entry(name).or_default().push(cpu);
            }
        }
    }
    let summary: Vec<String> = seconds
        .iter()
        .map(|(name, s)| format!("{name} {:.0}/s", plan.calls as f64 / median(s)))
        .collect();
    eprintln!("  {}: {}", plan.id, summary.join(", "));
    Ok(Scenario {
        id: plan.id,
        call: plan.call.id(),
        concurrency: plan.concurrency,
        calls: plan.calls,
        baseline: contenders[0].0,
        seconds,
        cpu_seconds,
    })
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

async fn run(opts: &Opts) -> Result<(), Failure> {
    let url = opts.string("url", "");
    let out = opts.string("out", "");
    if url.is_empty() || out.is_empty() {
        return Err("run needs --url and --out".into());
    }
    let seq_calls = opts.number("seq-calls", 1000)?;
    let conc_calls = opts.number("conc-calls", 4000)?;
    let rounds = opts.number("rounds", 7)?;
    let wide = opts.number("concurrency", 256)?;

    let admin = Admin::connect(&url).await?;
    let raw = Contender::Raw(Raw::new(&url, Some(admin.bearer.clone())));
    let client = Arc::new(sdk_client(&url, &url)?);
    let contenders = [
        ("raw reqwest", raw),
        ("bsa-lms SDK", Contender::Sdk(client.clone())),
    ];
    let mut scenarios = Vec::new();
    for (concurrency, calls) in [(1, seq_calls), (wide, conc_calls)] {
        for call in Call::ALL {
            let plan = Plan {
                id: format!("rust/{}/c{concurrency}", call.id()),
                call,
                concurrency,
                calls,
                rounds,
            };
            let s = compare(plan, &Setup::Reset(&admin), &contenders).await?;
            scenarios.push(s.to_json());
        }
    }
    let mints = client.token_mints();
    eprintln!("  the SDK minted {mints} token(s) over the whole run");

    // Token overhead: against the canned server, where the token costs the server nothing.
    let seed = Arc::new(admin.reset_and_seed(0).await?);
    let canned = Canned::start(&admin.loan_bytes(&seed.loan).await?)?;
    let cached = sdk_client(&canned.url, &url)?;
    // Mint before measuring: the scenario is about calls with a cached token.
    cached.access_token().await?;
    let contenders = [
        (
            "raw reqwest, no auth",
            Contender::Raw(Raw::new(&canned.url, None)),
        ),
        (
            "raw reqwest, bearer header",
            Contender::Raw(Raw::new(&canned.url, Some(admin.bearer.clone()))),
        ),
        (
            "bsa-lms SDK, cached token",
            Contender::Sdk(Arc::new(cached)),
        ),
    ];
    for (concurrency, calls) in [(1, seq_calls * 2), (wide, conc_calls * 2)] {
        let plan = Plan {
            id: format!("rust/token/c{concurrency}"),
            call: Call::GetLoan,
            concurrency,
            calls,
            rounds,
        };
        let s = compare(plan, &Setup::Fixed(seed.clone()), &contenders).await?;
        scenarios.push(s.to_json());
    }
    drop(canned);

    let report = json!({ "language": "rust", "token_mints": mints, "scenarios": scenarios });
    std::fs::write(&out, serde_json::to_vec_pretty(&report)?)?;
    Ok(())
}

/// The canned server as a child process of this binary; ends when dropped (stdin closes).
struct Canned {
    url: String,
    child: std::process::Child,
}

impl Canned {
    fn start(body: &[u8]) -> Result<Self, Failure> {
        let path = std::env::temp_dir().join(format!("bsa-lms-bench-{}.json", std::process::id()));
        std::fs::write(&path, body)?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("canned")
            .arg("--body")
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let _ = std::fs::remove_file(&path);
        let url = line
            .trim()
            .strip_prefix("CANNED_URL=")
            .ok_or_else(|| format!("canned server said {line:?}"))?
            .to_owned();
        Ok(Self { url, child })
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// What decoding the loan's JSON costs in each form the core and the bindings use: into the
/// generated `types::Loan` (the typed builders, and the bindings' check against the schema),
/// into `RawValue` (how `call_raw` hands the text on), into `serde_json::Value` (`call`), and the
/// two steps the bindings used to add (re-encoding the typed value as `Value`, then as text).
/// Prints µs per operation as JSON.
async fn decode_costs(opts: &Opts) -> Result<(), Failure> {
    let url = opts.string("url", "");
    let iterations = opts.number("iterations", 5_000)?;
    let admin = Admin::connect(&url).await?;
    let seed = admin.reset_and_seed(0).await?;
    let bytes = admin.loan_bytes(&seed.loan).await?;
    let typed: Loan = serde_json::from_slice(&bytes)?;
    let value: Value = serde_json::from_slice(&bytes)?;
    fn time(iterations: usize, mut f: impl FnMut()) -> f64 {
        for _ in 0..iterations / 10 {
            f();
        }
        let started = Instant::now();
        for _ in 0..iterations {
            f();
        }
        started.elapsed().as_secs_f64() * 1e6 / iterations as f64
    }
    let report = json!({
        "body_bytes": bytes.len(),
        "bytes_to_value_us": time(iterations, || {
            black_box(serde_json::from_slice::<Value>(black_box(&bytes)).unwrap());
        }),
        "bytes_to_typed_loan_us": time(iterations, || {
            black_box(serde_json::from_slice::<Loan>(black_box(&bytes)).unwrap());
        }),
        "typed_loan_to_value_us": time(iterations, || {
            black_box(serde_json::to_value(black_box(&typed)).unwrap());
        }),
        "value_to_text_us": time(iterations, || {
            black_box(black_box(&value).to_string());
        }),
        "bytes_to_raw_value_us": time(iterations, || {
            black_box(
                serde_json::from_slice::<Box<serde_json::value::RawValue>>(black_box(&bytes))
                    .unwrap(),
            );
        }),
    });
    println!("{report}");
    Ok(())
}

/// One contender alone, for profiling.
async fn single(opts: &Opts) -> Result<(), Failure> {
    let url = opts.string("url", "");
    let base = opts.string("base", &url);
    let calls = opts.number("calls", 20_000)?;
    let concurrency = opts.number("concurrency", 1)?;
    let call = match opts.string("call", "get_loan").as_str() {
        "get_loan" => Call::GetLoan,
        "list_loans" => Call::ListLoans,
        "create_repayment" => Call::Repay,
        other => return Err(format!("unknown --call {other}").into()),
    };
    let admin = Admin::connect(&url).await?;
    let seed = Arc::new(
        admin
            .reset_and_seed(calls.div_ceil(REPAYMENTS_PER_LOAN))
            .await?,
    );
    let contender = match opts.string("who", "sdk").as_str() {
        "sdk" => {
            let client = sdk_client(&base, &url)?;
            client.access_token().await?;
            Contender::Sdk(Arc::new(client))
        }
        "raw" => Contender::Raw(Raw::new(&base, Some(admin.bearer.clone()))),
        // The floor with the settings the SDK gives its reqwest client (timeouts, user agent,
        // pool idle timeout): separates what those cost from what the SDK's own code costs.
        "raw-sdk-settings" => {
            let http = reqwest::Client::builder()
                .user_agent("bsa-lms/0.1.0 rust")
                .timeout(bsa_lms::DEFAULT_TIMEOUT)
                .connect_timeout(bsa_lms::DEFAULT_CONNECT_TIMEOUT)
                .tcp_nodelay(true)
                .pool_idle_timeout(Duration::from_secs(60))
                .build()?;
            Contender::Raw(Raw {
                http,
                base: base.as_str().into(),
                bearer: Some(admin.bearer.clone()),
            })
        }
        other => return Err(format!("unknown --who {other}").into()),
    };
    let (wall, cpu) = contender
        .batch(call, seed, "loop", calls, concurrency)
        .await;
    eprintln!(
        "{calls} calls in {wall:.3} s: {:.0}/s, {:.1} µs CPU per call",
        calls as f64 / wall,
        cpu * 1e6 / calls as f64
    );
    Ok(())
}

/// Resident set size of this process in KiB (`VmRSS` of /proc/self/status).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// RSS after 1,000 SDK calls and after `--calls` calls (GET of the loan), as one JSON line.
async fn mem(opts: &Opts) -> Result<(), Failure> {
    let url = opts.string("url", "");
    let total = opts.number("calls", 100_000)?;
    let concurrency = opts.number("concurrency", 16)?;
    let admin = Admin::connect(&url).await?;
    let loan_id: Arc<str> = admin.reset_and_seed(0).await?.loan.into();
    let client = Arc::new(sdk_client(&url, &url)?);
    let mut checkpoints = vec![1_000, 10_000, total / 2, total];
    checkpoints.retain(|&c| c <= total);
    checkpoints.dedup();
    let mut done = 0;
    let mut rss = BTreeMap::new();
    let started = Instant::now();
    for checkpoint in checkpoints {
        let (client, loan_id) = (client.clone(), loan_id.clone());
        drive(checkpoint - done, concurrency, move |_| {
            let (client, loan_id) = (client.clone(), loan_id.clone());
            async move { sdk_call(&client, Call::GetLoan, &loan_id, "").await }
        })
        .await;
        done = checkpoint;
        rss.insert(checkpoint.to_string(), rss_kib());
    }
    let line = json!({
        "rss_kib": rss, "calls": total, "concurrency": concurrency,
        "seconds": started.elapsed().as_secs_f64(),
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    Ok(())
}
