//! `lapor-budget`: holds every function to its cold-start and size budget.
//!
//! Each function binary (release build for the host) runs as Lambda runs it: a fresh process with
//! Lambda's environment, talking to a Runtime API (our emulator, `runtime_api`) that hands it real
//! event payloads. DynamoDB and SQS are an in-process endpoint that answers at once (`fake_aws`),
//! so the latency measured is our own code's. Per function it reports the stripped binary size, the
//! init time (spawn to the first `next` request), the first invocation's latency, the warm
//! latency (p50 over many invocations) and the peak RSS, beside the same figures for a hello-world
//! `lambda_runtime` function built with the same profile (the floor), and checks the targets:
//! init within 2x the floor, every binary under 12 MB, warm intake/status under 2 ms.

mod fake_aws;
mod runtime_api;

use base64::Engine;
use bytes::Bytes;
use clap::Parser;
use fake_aws::FakeAws;
use rand::RngCore;
use runtime_api::{Emulator, Outcome};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const POST_REPORT: &str = include_str!("../fixtures/apigw-post-report.json");
const GET_REPORT: &str = include_str!("../fixtures/apigw-get-report.json");
const SQS_BATCH: &str = include_str!("../fixtures/sqs-intake-batch.json");

/// 12 MB in the strict (decimal) sense: the stricter reading of the target.
const SIZE_LIMIT_BYTES: u64 = 12_000_000;
const INIT_FACTOR_LIMIT: f64 = 2.0;
const WARM_LIMIT: Duration = Duration::from_millis(2);

const REGION: &str = "ap-southeast-3";
const ACCOUNT: &str = "123456789012";
const REPORTS_TABLE: &str = "lapor-budget-ReportsTable";
const IDEMPOTENCY_TABLE: &str = "lapor-budget-IdempotencyTable";
const INTAKE_QUEUE: &str = "lapor-budget-IntakeQueue";

#[derive(Parser)]
#[command(about = "Cold-start, latency, memory and size budget of the Lambda functions")]
struct Args {
    /// Where the release binaries are: intake, status, router, lambda-hello.
    /// Default: $CARGO_TARGET_DIR/release, else target/release.
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Fresh processes per function: each gives one init and one first-invocation sample.
    #[arg(long, default_value_t = 10)]
    cold_runs: usize,
    /// Warm invocations measured per function (after the first, in one process).
    #[arg(long, default_value_t = 200)]
    warm: usize,
    /// Also write every figure as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Where the functions' stdout/stderr go (one file per process). Default: a temporary folder.
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// Extra environment for every function process, KEY=VALUE (repeatable): for experiments
    /// such as SSL_CERT_DIR, which changes what the TLS stack loads at start.
    #[arg(long = "env", value_parser = parse_env)]
    extra_env: Vec<(String, String)>,
    /// Write the exact event each function was measured with to DIR/<function>.json (status and
    /// router get the tracking id, token and message this run's intake produced).
    #[arg(long)]
    save_events: Option<PathBuf>,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

/// One function to measure: its binary, Lambda settings as in template.yaml, and its events.
struct Subject {
    name: &'static str,
    binary: &'static str,
    memory_mb: u32,
    timeout: Duration,
    /// Function-specific environment, as the template sets it.
    env: Vec<(&'static str, String)>,
    event: Bytes,
    /// Whether an answer is the success the event should produce (not an error path, which
    /// would measure something else).
    expect: fn(&Value) -> Result<(), String>,
}

#[derive(Debug, Default, Serialize)]
struct Figures {
    name: String,
    size_bytes: u64,
    init_ms: Vec<f64>,
    first_ms: Vec<f64>,
    warm_ms: Vec<f64>,
    peak_rss_kb: u64,
    /// DynamoDB/SQS calls per invocation (measured on the fake endpoint).
    aws_calls: BTreeMap<String, f64>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn status_code(answer: &Value) -> Result<(), String> {
    answer["statusCode"]
        .as_u64()
        .map(|_| ())
        .ok_or_else(|| format!("not an HTTP API answer: {answer}"))
}

fn expect_status(answer: &Value, want: u64) -> Result<(), String> {
    status_code(answer)?;
    if answer["statusCode"] == want {
        Ok(())
    } else {
        Err(format!("expected HTTP {want}, got {answer}"))
    }
}

fn base_env(
    subject: &Subject,
    runtime_api: &str,
    aws: &FakeAws,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let fixed = [
        // What Lambda sets for a provided.al2023 function (see "Defined runtime environment
        // variables" in the Lambda developer guide).
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        (
            "AWS_LAMBDA_FUNCTION_NAME",
            format!("lapor-budget-{}", subject.name),
        ),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            subject.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/lapor-budget-{}", subject.name),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/12/[$LATEST]00000000000000000000000000000000".to_string(),
        ),
        // template.yaml: LoggingConfig LogFormat JSON, ApplicationLogLevel INFO.
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_string()),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO".to_string()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string()),
        (
            "AWS_EXECUTION_ENV",
            "AWS_Lambda_provided.al2023".to_string(),
        ),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_DEFAULT_REGION", REGION.to_string()),
        // Lambda hands credentials in the environment; these are never sent anywhere but the
        // loopback endpoint below.
        ("AWS_ACCESS_KEY_ID", "budget".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "budget".to_string()),
        ("AWS_SESSION_TOKEN", "budget".to_string()),
        ("AWS_ENDPOINT_URL_DYNAMODB", aws.url()),
        ("AWS_ENDPOINT_URL_SQS", aws.url()),
        ("_HANDLER", "bootstrap".to_string()),
        ("LAMBDA_TASK_ROOT", "/var/task".to_string()),
        ("TZ", ":UTC".to_string()),
        ("LANG", "en_US.UTF-8".to_string()),
        // template.yaml Globals.
        ("LAPOR_STAGE", "dev".to_string()),
        ("RUST_LOG", "info".to_string()),
    ];
    fixed
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(subject.env.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .chain(extra.iter().cloned())
        .collect()
}

/// VmHWM (peak resident set) of a live process, in kB.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

struct Run {
    child: Child,
    emulator: Emulator,
    log: PathBuf,
}

impl Run {
    async fn stop(mut self) {
        // Lambda freezes and later kills an environment; nothing graceful to wait for.
        let _ = self.child.kill().await;
    }
}

/// Spawns the function and waits for its first `next`; returns the process and its init time.
async fn cold_start(
    subject: &Subject,
    binary: &Path,
    aws: &FakeAws,
    extra_env: &[(String, String)],
    log: PathBuf,
) -> Result<(Run, Duration), String> {
    let arn = format!(
        "arn:aws:lambda:{REGION}:{ACCOUNT}:function:lapor-budget-{}",
        subject.name
    );
    let mut emulator = Emulator::start(arn, subject.timeout)
        .await
        .map_err(|e| format!("runtime API emulator: {e}"))?;
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(base_env(
            subject,
            &emulator.addr.to_string(),
            aws,
            extra_env,
        ))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let ready = tokio::select! {
        ready = emulator.ready() => ready,
        status = child.wait() => Err(format!("exited during init ({})", status.map(|s| s.to_string()).unwrap_or_default())),
        _ = tokio::time::sleep(Duration::from_secs(30)) => Err("no `next` request within 30 s".into()),
    };
    match ready {
        Ok(at) => Ok((
            Run {
                child,
                emulator,
                log,
            },
            at - started,
        )),
        Err(e) => {
            let _ = child.kill().await;
            Err(format!(
                "{}: {e}; last lines of {}:\n{}",
                subject.name,
                log.display(),
                tail(&log, 20)
            ))
        }
    }
}

/// One invocation; checks the answer is the expected success.
async fn invoke(
    subject: &Subject,
    run: &mut Run,
    event: Bytes,
) -> Result<(Duration, Value), String> {
    let completed = tokio::select! {
        completed = run.emulator.invoke(event) => completed?,
        status = run.child.wait() => return Err(format!("{}: exited during an invocation ({}); last lines of {}:\n{}",
            subject.name, status.map(|s| s.to_string()).unwrap_or_default(), run.log.display(), tail(&run.log, 20))),
        _ = tokio::time::sleep(subject.timeout) => return Err(format!("{}: no answer within its timeout", subject.name)),
    };
    match completed.outcome {
        Outcome::Response(body) => {
            let answer: Value = serde_json::from_slice(&body)
                .map_err(|e| format!("{}: answer is not JSON: {e}", subject.name))?;
            (subject.expect)(&answer).map_err(|e| format!("{}: {e}", subject.name))?;
            Ok((completed.latency, answer))
        }
        Outcome::Error(body) => Err(format!(
            "{}: invocation error: {}",
            subject.name,
            String::from_utf8_lossy(&body)
        )),
    }
}

/// Cold runs (init + first invocation each), then the warm invocations in the last process.
async fn measure(
    subject: &Subject,
    bin_dir: &Path,
    aws: &FakeAws,
    args: &Args,
    log_dir: &Path,
) -> Result<(Figures, Value), String> {
    if let Some(dir) = &args.save_events {
        let path = dir.join(format!("{}.json", subject.name));
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, &subject.event))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let binary = bin_dir.join(subject.binary);
    let size_bytes = std::fs::metadata(&binary)
        .map_err(|e| {
            format!(
                "{}: {e} (build it first, see infra/budget/README.md)",
                binary.display()
            )
        })?
        .len();
    let mut figures = Figures {
        name: subject.name.to_string(),
        size_bytes,
        ..Figures::default()
    };
    let calls_before = aws.calls();
    let mut first_answer = Value::Null;
    let cold_runs = args.cold_runs.max(1);
    for i in 0..cold_runs {
        let log = log_dir.join(format!("{}-{i}.log", subject.name));
        let (mut run, init) = cold_start(subject, &binary, aws, &args.extra_env, log).await?;
        figures.init_ms.push(ms(init));
        let (first, answer) = invoke(subject, &mut run, subject.event.clone()).await?;
        figures.first_ms.push(ms(first));
        if i == 0 {
            first_answer = answer;
        }
        if i + 1 == cold_runs {
            for _ in 0..args.warm {
                let (latency, _) = invoke(subject, &mut run, subject.event.clone()).await?;
                figures.warm_ms.push(ms(latency));
            }
        }
        figures.peak_rss_kb = figures
            .peak_rss_kb
            .max(run.child.id().and_then(peak_rss_kb).unwrap_or_default());
        run.stop().await;
    }
    let invocations = (cold_runs + args.warm) as f64;
    for (op, n) in aws.calls() {
        let delta = n - calls_before.get(&op).copied().unwrap_or_default();
        if delta > 0 {
            figures.aws_calls.insert(op, delta as f64 / invocations);
        }
    }
    Ok((figures, first_answer))
}

fn pii_key() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

fn event_bytes(doc: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(doc).expect("an event serialises"))
}

/// The GET fixture, asking for `tracking_id` with the reporter's `token`.
fn get_event(tracking_id: &str, token: &str) -> Bytes {
    let mut doc: Value = serde_json::from_str(GET_REPORT).expect("GET fixture parses");
    let path = format!("/dev/v1/reports/{tracking_id}");
    doc["rawPath"] = path.clone().into();
    doc["requestContext"]["http"]["path"] = path.into();
    doc["pathParameters"]["tracking_id"] = tracking_id.into();
    doc["headers"]["authorization"] = format!("Bearer {token}").into();
    event_bytes(&doc)
}

/// The SQS fixture carrying `body` as its one message.
fn sqs_event(body: &str) -> Bytes {
    use md5::{Digest, Md5};
    let mut doc: Value = serde_json::from_str(SQS_BATCH).expect("SQS fixture parses");
    doc["Records"][0]["body"] = body.into();
    doc["Records"][0]["md5OfBody"] = hex::encode(Md5::digest(body.as_bytes())).into();
    event_bytes(&doc)
}

fn format_mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn print_tables(all: &[Figures], floor: &Figures) -> bool {
    println!();
    println!("| function | size (stripped) | init p50 (min-max) | 1st invocation p50 | warm p50 / p90 / p99 | peak RSS | DynamoDB+SQS calls per invocation |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for f in all {
        let calls = if f.aws_calls.is_empty() {
            "-".to_string()
        } else {
            f.aws_calls
                .iter()
                .map(|(op, n)| format!("{} {n:.0}", op.rsplit('.').next().unwrap_or(op)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let label = if f.name == floor.name {
            format!("{} (floor)", f.name)
        } else {
            f.name.clone()
        };
        println!(
            "| {} | {} | {:.1} ms ({:.1}-{:.1}) | {:.2} ms | {:.3} / {:.3} / {:.3} ms | {:.1} MB | {} |",
            label,
            format_mb(f.size_bytes),
            percentile(&f.init_ms, 50.0),
            percentile(&f.init_ms, 0.0),
            percentile(&f.init_ms, 100.0),
            percentile(&f.first_ms, 50.0),
            percentile(&f.warm_ms, 50.0),
            percentile(&f.warm_ms, 90.0),
            percentile(&f.warm_ms, 99.0),
            f.peak_rss_kb as f64 / 1024.0,
            calls
        );
    }
    println!();
    println!("| target | function | measured | limit | |");
    println!("| --- | --- | ---: | ---: | --- |");
    let mut ok = true;
    let mut check = |target: &str, name: &str, measured: String, limit: String, pass: bool| {
        ok &= pass;
        println!(
            "| {target} | {name} | {measured} | {limit} | {} |",
            if pass { "ok" } else { "MISSED" }
        );
    };
    let floor_init = percentile(&floor.init_ms, 50.0);
    for f in all.iter().filter(|f| f.name != floor.name) {
        let init = percentile(&f.init_ms, 50.0);
        check(
            "init p50 <= 2x floor",
            &f.name,
            format!(
                "{init:.1} ms ({:.2}x, +{:.1} ms)",
                init / floor_init,
                init - floor_init
            ),
            format!("{:.1} ms", floor_init * INIT_FACTOR_LIMIT),
            init <= floor_init * INIT_FACTOR_LIMIT,
        );
    }
    for f in all {
        check(
            "size < 12 MB",
            &f.name,
            format_mb(f.size_bytes),
            format_mb(SIZE_LIMIT_BYTES),
            f.size_bytes < SIZE_LIMIT_BYTES,
        );
    }
    for f in all
        .iter()
        .filter(|f| f.name == "intake" || f.name == "status")
    {
        let warm = percentile(&f.warm_ms, 50.0);
        check(
            "warm p50 < 2 ms",
            &f.name,
            format!("{warm:.3} ms"),
            format!("{:.0} ms", ms(WARM_LIMIT)),
            warm < ms(WARM_LIMIT),
        );
    }
    ok
}

async fn run(args: Args) -> Result<bool, String> {
    let bin_dir = args.bin_dir.clone().unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target"))
            .join("release")
    });
    let temp_logs;
    let log_dir = match &args.log_dir {
        Some(dir) => dir.clone(),
        None => {
            temp_logs = std::env::temp_dir().join(format!("lapor-budget-{}", std::process::id()));
            temp_logs
        }
    };
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let aws = FakeAws::start(REPORTS_TABLE.to_string())
        .await
        .map_err(|e| format!("fake AWS endpoint: {e}"))?;
    let queue_url = format!("{}/{ACCOUNT}/{INTAKE_QUEUE}", aws.url());
    let pii = pii_key();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "lapor-budget: binaries in {}, {} cold runs + {} warm invocations each, logs in {}, load average {}",
        bin_dir.display(),
        args.cold_runs,
        args.warm,
        log_dir.display(),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );

    let post = Bytes::from_static(POST_REPORT.as_bytes());
    let hello = Subject {
        name: "lambda-hello",
        binary: "lambda-hello",
        memory_mb: 256,
        timeout: Duration::from_secs(10),
        env: vec![],
        event: post.clone(),
        expect: |answer| {
            (answer["message"] == "hello")
                .then_some(())
                .ok_or_else(|| format!("unexpected answer {answer}"))
        },
    };
    // Memory, timeout and environment as template.yaml gives each function.
    let intake = Subject {
        name: "intake",
        binary: "intake",
        memory_mb: 256,
        timeout: Duration::from_secs(10),
        env: vec![
            ("REPORTS_TABLE", REPORTS_TABLE.to_string()),
            ("IDEMPOTENCY_TABLE", IDEMPOTENCY_TABLE.to_string()),
            ("INTAKE_QUEUE_URL", queue_url.clone()),
            ("LAPOR_PII_KEY", pii.clone()),
        ],
        event: post,
        expect: |answer| expect_status(answer, 201),
    };

    let mut all = Vec::new();
    let step = |f: &Figures| {
        eprintln!(
            "  {}: init p50 {:.1} ms, warm p50 {:.3} ms",
            f.name,
            percentile(&f.init_ms, 50.0),
            percentile(&f.warm_ms, 50.0)
        )
    };
    let (floor, _) = measure(&hello, &bin_dir, &aws, &args, &log_dir).await?;
    step(&floor);
    all.push(floor);
    let (intake_figures, submitted) = measure(&intake, &bin_dir, &aws, &args, &log_dir).await?;
    step(&intake_figures);
    all.push(intake_figures);

    // status and router read what intake really wrote and sent.
    let submitted: Value = serde_json::from_str(submitted["body"].as_str().unwrap_or_default())
        .map_err(|e| format!("intake's 201 body: {e}"))?;
    let tracking_id = submitted["tracking_id"].as_str().unwrap_or_default();
    let token = submitted["access_token"].as_str().unwrap_or_default();
    if aws.report(tracking_id).is_none() {
        return Err(format!(
            "intake answered {tracking_id} but stored no report on the fake endpoint"
        ));
    }
    let message = aws
        .first_message()
        .ok_or("intake sent no message to the queue")?;
    let status = Subject {
        name: "status",
        binary: "status",
        memory_mb: 256,
        timeout: Duration::from_secs(10),
        env: vec![
            ("REPORTS_TABLE", REPORTS_TABLE.to_string()),
            ("IDEMPOTENCY_TABLE", IDEMPOTENCY_TABLE.to_string()),
            ("LAPOR_PII_KEY", pii.clone()),
        ],
        event: get_event(tracking_id, token),
        expect: |answer| expect_status(answer, 200),
    };
    let router = Subject {
        name: "router",
        binary: "router",
        memory_mb: 512,
        timeout: Duration::from_secs(30),
        env: vec![
            ("REPORTS_TABLE", REPORTS_TABLE.to_string()),
            ("IDEMPOTENCY_TABLE", IDEMPOTENCY_TABLE.to_string()),
            // No published model there (GetItem answers no item): the compiled-in one is used.
            (
                "ROUTING_MODELS_TABLE",
                "lapor-budget-RoutingModelsTable".to_string(),
            ),
        ],
        event: sqs_event(&message),
        expect: |answer| match answer["batchItemFailures"].as_array() {
            Some(failures) if failures.is_empty() => Ok(()),
            _ => Err(format!("expected no batch item failures, got {answer}")),
        },
    };
    for subject in [&status, &router] {
        let (figures, _) = measure(subject, &bin_dir, &aws, &args, &log_dir).await?;
        step(&figures);
        all.push(figures);
    }

    let unknown: Vec<_> = aws
        .calls()
        .into_keys()
        .filter(|op| !fake_aws::KNOWN_OPERATIONS.contains(&op.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "the functions called operations the fake endpoint does not answer: {unknown:?}; teach fake_aws.rs them"
        ));
    }

    let ok = print_tables(&all, &all[0]);
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&all).expect("figures serialise");
        std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if args.log_dir.is_none() {
        let _ = std::fs::remove_dir_all(&log_dir);
    }
    Ok(ok)
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Two workers: the emulator and the fake endpoint must answer at once even while a
    // function process is busy on the other core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("lapor-budget: a target was missed (see the table)");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("lapor-budget: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50.0), 100.0);
        assert_eq!(percentile(&samples, 99.0), 198.0);
        assert_eq!(percentile(&samples, 0.0), 1.0);
        assert_eq!(percentile(&samples, 100.0), 200.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn fixtures_are_api_gateway_v2_and_sqs_events() {
        let post: Value = serde_json::from_str(POST_REPORT).unwrap();
        assert_eq!(post["version"], "2.0");
        assert_eq!(post["routeKey"], "POST /v1/reports");
        let body: Value = serde_json::from_str(post["body"].as_str().unwrap()).unwrap();
        let plain: Value =
            serde_json::from_str(include_str!("../fixtures/report-body.json")).unwrap();
        assert_eq!(body, plain, "report-body.json is the POST fixture's body");

        let get: Value = serde_json::from_slice(&get_event("ABCDE-FGHJK", "t0ken")).unwrap();
        assert_eq!(get["routeKey"], "GET /v1/reports/{tracking_id}");
        assert_eq!(get["pathParameters"]["tracking_id"], "ABCDE-FGHJK");
        assert_eq!(get["rawPath"], "/dev/v1/reports/ABCDE-FGHJK");
        assert_eq!(get["headers"]["authorization"], "Bearer t0ken");

        let sqs: Value = serde_json::from_slice(&sqs_event("{\"x\":1}")).unwrap();
        assert_eq!(sqs["Records"][0]["body"], "{\"x\":1}");
        // md5sum of the body, as SQS computes it.
        assert_eq!(
            sqs["Records"][0]["md5OfBody"],
            "ac3ef48caa08fa3ed5e025da69edc645"
        );
    }
}
