//! `lapor-budget`: holds every function to its cold-start and size budget.
//!
//! Each function binary (release build for the host) runs as Lambda runs it: a fresh process with
//! Lambda's environment, talking to a Runtime API (our emulator, `runtime_api`) that hands it real
//! event payloads. DynamoDB, SQS and the SMS gateway the notifier sends through are an in-process
//! endpoint that answers at once (`fake_aws`), so the latency measured is our own code's. Per function it reports the stripped binary size, the
//! init time (spawn to the first `next` request), the first invocation's latency, the warm
//! latency (p50 over many invocations) and the peak RSS, beside the same figures for a hello-world
//! `lambda_runtime` function built with the same profile (the floor), and checks the targets:
//! init within 2x the floor, every binary under 12 MB, warm intake/status under 2 ms.
//!
//! Which functions exist, their binaries, memory, timeouts and environment variables come from
//! `template.yaml` (compiled in through `lapor::template`); a function the template declares and
//! the budget does not measure fails the run.

mod ddb_json;
mod fake_aws;
mod runtime_api;

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use clap::Parser;
use fake_aws::{FakeAws, Tables};
use lapor::template::Template;
use rand::RngCore;
use runtime_api::{Emulator, Outcome};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const POST_REPORT: &str = include_str!("../fixtures/apigw-post-report.json");
const GET_REPORT: &str = include_str!("../fixtures/apigw-get-report.json");
const SQS_BATCH: &str = include_str!("../fixtures/sqs-intake-batch.json");
const PUBLIC_FEED: &str = include_str!("../fixtures/apigw-public-feed.json");
const SEARCH_AGENCIES: &str = include_str!("../fixtures/apigw-search-agencies.json");
const AGENCY_INBOX: &str = include_str!("../fixtures/apigw-agency-inbox.json");
const AGENCY_ACTION: &str = include_str!("../fixtures/apigw-agency-action.json");
const REPORTER_REPLY: &str = include_str!("../fixtures/apigw-reporter-reply.json");
const SCHEDULED_EVENT: &str = include_str!("../fixtures/eventbridge-scheduled.json");
const CHANNELS_SMS: &str = include_str!("../fixtures/apigw-channels-sms.json");
const NOTIFICATION_BATCH: &str = include_str!("../fixtures/sqs-notification-batch.json");

/// 12 MB in the strict (decimal) sense: the stricter reading of the target.
const SIZE_LIMIT_BYTES: u64 = 12_000_000;
const INIT_FACTOR_LIMIT: f64 = 2.0;
const WARM_LIMIT: Duration = Duration::from_millis(2);
/// The binaries the warm target applies to.
const WARM_TARGET_BINARIES: [&str; 2] = ["intake", "status"];

/// Every function of template.yaml, in the order measured (later ones read what earlier ones
/// wrote).
const MEASURED: [&str; 9] = [
    "IntakeFunction",
    "StatusFunction",
    "RouterFunction",
    "DirectoryFunction",
    "AgencyFunction",
    "ReporterFunction",
    "EscalationFunction",
    "ChannelsFunction",
    "NotifierFunction",
];

/// Reports the escalation subject finds due on each pass.
const DUE_REPORTS: usize = 3;

/// Notices in each SQS batch the notifier gets (the template allows up to 10 per batch).
const NOTIFIER_BATCH: usize = 3;

/// The SMS gateway's webhook secret (`SMS_WEBHOOK_SECRET`): the budget signs the channels
/// subject's posts with it, as the gateway does.
const SMS_WEBHOOK_SECRET: &str = "lapor-budget-sms-webhook-secret";

/// The notifier's `NOTIFY_RATES`: every provider limited (the limiter's bookkeeping is on the
/// measured path) at a rate no run comes near, so no send waits for its slot. The template's
/// rates (`sms=20`, a burst of 1) would make every warm invocation wait up to 50 ms per send:
/// that sleep is the throttle working, not a cost.
const NOTIFY_RATES: &str =
    "sms=100000:1000,x=100000:1000,messenger=100000:1000,whatsapp=100000:1000,email=100000:1000";

const REGION: &str = "ap-southeast-3";
const ACCOUNT: &str = "123456789012";
const PREFIX: &str = "lapor-budget";

#[derive(Parser)]
#[command(about = "Cold-start, latency, memory and size budget of the Lambda functions")]
struct Args {
    /// Where the release binaries are (the template's `Binary` names and lambda-hello).
    /// Default: $CARGO_TARGET_DIR/release, else target/release.
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Fresh processes per function: each gives one init and one first-invocation sample.
    #[arg(long, default_value_t = 10)]
    cold_runs: usize,
    /// Warm invocations measured per function (after the first, in one process).
    #[arg(long, default_value_t = 200)]
    warm: usize,
    /// Runs the whole sequence this many times (a fresh endpoint each time) and pools each
    /// subject's samples: on a shared machine, load that comes and goes then weighs on every
    /// subject alike instead of on whichever ran at that moment.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
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
    /// Write the exact (first) event each subject was measured with to DIR/<subject>.json (the
    /// later subjects get the tracking ids, tokens and messages this run's intake produced).
    #[arg(long)]
    save_events: Option<PathBuf>,
    /// Leave the agencies table empty (the functions then serve the compiled-in directory, as
    /// before `lapor-local seed`), instead of holding the seeded directory.
    #[arg(long)]
    empty_agencies: bool,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

type Expect = Box<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

/// What each invocation of a subject is handed.
enum Events {
    /// Invocation `i` (counted over the cold runs and the warm invocations) gets
    /// `events[i % events.len()]`.
    Cycle(Vec<Bytes>),
    /// Invocation `i` gets `make(i)`, built just before it is handed out (outside the measured
    /// time): for events that must differ on every invocation or carry the time they were
    /// signed.
    Each(Box<dyn Fn(usize) -> Bytes + Send + Sync>),
}

impl Events {
    fn get(&self, invocation: usize) -> Option<Bytes> {
        match self {
            Events::Cycle(events) if events.is_empty() => None,
            Events::Cycle(events) => Some(events[invocation % events.len()].clone()),
            Events::Each(make) => Some(make(invocation)),
        }
    }
}

/// One measured subject: a function binary with its Lambda settings and the events it gets.
struct Subject {
    name: String,
    binary: String,
    memory_mb: u32,
    timeout: Duration,
    /// The function's own environment, as template.yaml sets it.
    env: Vec<(String, String)>,
    events: Events,
    /// Every invocation starts from the reports as they were before the subject (its writes are
    /// undone before each invocation and after the last): each one acts on the same report.
    isolated: bool,
    /// Whether an answer is the success the event should produce (not an error path, which
    /// would measure something else).
    expect: Expect,
}

#[derive(Debug, Default, Serialize)]
struct Figures {
    name: String,
    binary: String,
    size_bytes: u64,
    init_ms: Vec<f64>,
    first_ms: Vec<f64>,
    warm_ms: Vec<f64>,
    /// Per warm invocation, the time the fake endpoint spent answering the function's calls:
    /// inside `warm_ms`, and not the function's own time.
    endpoint_ms: Vec<f64>,
    /// Per cold start, the fake endpoint's time answering the calls made during init.
    init_endpoint_ms: Vec<f64>,
    peak_rss_kb: u64,
    /// DynamoDB/SQS calls per cold start, before the first `next` (measured on the fake endpoint).
    init_calls: BTreeMap<String, f64>,
    /// DynamoDB/SQS calls per invocation.
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

fn expect_status(answer: &Value, want: u64) -> Result<(), String> {
    match answer["statusCode"].as_u64() {
        Some(code) if code == want => Ok(()),
        Some(_) => Err(format!("expected HTTP {want}, got {answer}")),
        None => Err(format!("not an HTTP API answer: {answer}")),
    }
}

/// The JSON body of an HTTP API answer with status `want`.
fn http_body(answer: &Value, want: u64) -> Result<Value, String> {
    expect_status(answer, want)?;
    serde_json::from_str(answer["body"].as_str().unwrap_or_default())
        .map_err(|e| format!("the body is not JSON ({e}): {answer}"))
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// What Lambda sets for a `provided.al2023` function (see "Defined runtime environment
/// variables" in the Lambda developer guide), then the subject's own, then `--env`.
fn process_env(
    subject: &Subject,
    runtime_api: &str,
    aws: &FakeAws,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let fixed = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        (
            "AWS_LAMBDA_FUNCTION_NAME",
            format!("{PREFIX}-{}", subject.binary),
        ),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            subject.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{PREFIX}-{}", subject.binary),
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
    ];
    fixed
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(subject.env.iter().cloned())
        .chain(extra.iter().cloned())
        .collect()
}

/// A function's Lambda settings, from template.yaml.
struct FunctionSettings {
    binary: String,
    memory_mb: u32,
    timeout: Duration,
    env: Vec<(String, String)>,
}

/// What the budget knows of template.yaml: its functions and what their variables are set to.
struct Setup {
    template: Template,
    yaml: serde_yaml::Value,
    /// Variable -> the value the budget gives it.
    values: HashMap<String, String>,
}

impl Setup {
    fn function(&self, logical_id: &str) -> Result<FunctionSettings, String> {
        let spec = self
            .template
            .function(logical_id)
            .ok_or_else(|| format!("template.yaml has no {logical_id}"))?;
        let memory = self.yaml["Resources"][logical_id]["Properties"]["MemorySize"]
            .as_u64()
            .or(self.yaml["Globals"]["Function"]["MemorySize"].as_u64())
            .unwrap_or(128);
        let variables =
            &self.yaml["Resources"][logical_id]["Properties"]["Environment"]["Variables"];
        let env = spec
            .environment
            .iter()
            .map(|name| {
                // A value the template states (`NOTIFICATION_MAX_ATTEMPTS: "5"`) is used as it
                // is; references (`!Ref`, `!Sub`) get the budget's value.
                let literal = match &variables[name.as_str()] {
                    serde_yaml::Value::String(s) => Some(s.clone()),
                    serde_yaml::Value::Number(n) => Some(n.to_string()),
                    serde_yaml::Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                };
                literal
                    .or_else(|| self.values.get(name).cloned())
                    .map(|v| (name.clone(), v))
                    .ok_or_else(|| {
                        format!("template.yaml gives {logical_id} the variable {name}, which lapor-budget has no value for (add it to `variable_values`)")
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(FunctionSettings {
            binary: spec
                .binary
                .clone()
                .ok_or_else(|| format!("{logical_id} names no Binary"))?,
            memory_mb: memory as u32,
            timeout: Duration::from_secs(spec.timeout_seconds.into()),
            env,
        })
    }

    /// The Globals variables alone (for the hello-world floor, which reads none of them).
    fn global_env(&self) -> Vec<(String, String)> {
        self.yaml["Globals"]["Function"]["Environment"]["Variables"]
            .as_mapping()
            .map(|vars| {
                vars.keys()
                    .filter_map(|k| k.as_str())
                    .filter_map(|k| self.values.get(k).map(|v| (k.to_string(), v.clone())))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn subject(
        &self,
        logical_id: &str,
        name: &str,
        events: Vec<Bytes>,
        expect: Expect,
    ) -> Result<Subject, String> {
        let settings = self.function(logical_id)?;
        Ok(Subject {
            name: name.to_string(),
            binary: settings.binary,
            memory_mb: settings.memory_mb,
            timeout: settings.timeout,
            env: settings.env,
            events: Events::Cycle(events),
            isolated: false,
            expect,
        })
    }
}

fn table_name(logical_id: &str) -> String {
    format!("{PREFIX}-{logical_id}")
}

fn queue_url(aws: &FakeAws, logical_id: &str) -> String {
    format!("{}/{ACCOUNT}/{PREFIX}-{logical_id}", aws.url())
}

/// The value of every variable template.yaml sets: tables and queues by their logical id,
/// Globals as the template's defaults (Stage `dev`, no deadline policy or extra holidays). The
/// channels: the SMS gateway is the one configured (its webhook secret, and the notifier's
/// gateway on the fake endpoint); the others are set to `-`, what a deployment's channel secret
/// holds for a channel it does not use, or left empty as the template's parameters default
/// (`WHATSAPP_PHONE_NUMBER_ID`, `WHATSAPP_TEMPLATE`, `SES_FROM_ADDRESS`: no e-mail).
fn variable_values(aws: &FakeAws, pii_key: &str) -> HashMap<String, String> {
    use lapor::config::env;
    use lapor::notify::env as notify;
    let unused = || "-".to_string();
    HashMap::from(
        [
            (env::REPORTS_TABLE, table_name("ReportsTable")),
            (env::IDEMPOTENCY_TABLE, table_name("IdempotencyTable")),
            (env::AGENCIES_TABLE, table_name("AgenciesTable")),
            (
                env::ROUTING_EXAMPLES_TABLE,
                table_name("RoutingExamplesTable"),
            ),
            // No published model there (GetItem answers no item): the compiled-in one is used.
            (env::ROUTING_MODELS_TABLE, table_name("RoutingModelsTable")),
            (env::INTAKE_QUEUE_URL, queue_url(aws, "IntakeQueue")),
            (
                env::NOTIFICATION_QUEUE_URL,
                queue_url(aws, "NotificationQueue"),
            ),
            (
                env::NOTIFICATION_DEAD_LETTER_QUEUE_URL,
                queue_url(aws, "NotificationDeadLetterQueue"),
            ),
            (env::CHANNEL_STATE_TABLE, table_name("ChannelStateTable")),
            (env::PII_KEY, pii_key.to_string()),
            (env::SMS_WEBHOOK_SECRET, SMS_WEBHOOK_SECRET.to_string()),
            (env::X_CONSUMER_SECRET, unused()),
            (env::META_APP_SECRET, unused()),
            (env::META_VERIFY_TOKEN, unused()),
            (notify::NOTIFY_RATES, NOTIFY_RATES.to_string()),
            (notify::SMS_API_URL, aws.sms_api_url()),
            (notify::SMS_API_KEY, fake_aws::SMS_API_KEY.to_string()),
            (notify::X_ACCESS_TOKEN, unused()),
            (notify::MESSENGER_PAGE_TOKEN, unused()),
            (notify::WHATSAPP_PHONE_NUMBER_ID, String::new()),
            (notify::WHATSAPP_TOKEN, unused()),
            (notify::WHATSAPP_TEMPLATE, String::new()),
            (notify::SES_FROM_ADDRESS, String::new()),
            ("LAPOR_STAGE", "dev".to_string()),
            ("RUST_LOG", "info".to_string()),
            ("LAPOR_DEADLINE_POLICY", String::new()),
            ("LAPOR_EXTRA_HOLIDAYS", String::new()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    )
}

/// The reports, agencies and channel state tables' keys and indexes, from template.yaml.
fn tables(template: &Template) -> Result<Tables, String> {
    let reports = template
        .table("ReportsTable")
        .ok_or("template.yaml has no ReportsTable")?;
    let agencies = template
        .table("AgenciesTable")
        .ok_or("template.yaml has no AgenciesTable")?;
    let channel_state = template
        .table("ChannelStateTable")
        .ok_or("template.yaml has no ChannelStateTable")?;
    Ok(Tables {
        reports: table_name("ReportsTable"),
        reports_key: reports.hash.name.clone(),
        reports_indexes: reports
            .global_indexes
            .iter()
            .map(|i| {
                (
                    i.name.clone(),
                    (
                        i.hash.name.clone(),
                        i.range.as_ref().map(|r| r.name.clone()),
                    ),
                )
            })
            .collect(),
        agencies: table_name("AgenciesTable"),
        agencies_key: agencies.hash.name.clone(),
        channel_state: table_name("ChannelStateTable"),
        channel_state_key: channel_state.hash.name.clone(),
    })
}

/// The seeded directory (`lapor-local seed` writes `builtin_agencies()`), as the DynamoDB
/// adapter stores it: the agency's document plus its key attribute.
fn agency_items(key: &str) -> Vec<Value> {
    lapor::directory::builtin_agencies()
        .iter()
        .map(|agency| {
            let mut doc = serde_json::to_value(agency).expect("an agency serialises");
            doc[key] = agency.id.clone().into();
            ddb_json::to_item(doc.as_object().expect("an agency is an object"))
        })
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
        "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-{}",
        subject.binary
    );
    let mut emulator = Emulator::start(arn, subject.timeout)
        .await
        .map_err(|e| format!("runtime API emulator: {e}"))?;
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(process_env(
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
            (subject.expect)(&answer).map_err(|e| {
                format!(
                    "{}: {e}; last lines of {}:\n{}",
                    subject.name,
                    run.log.display(),
                    tail(&run.log, 10)
                )
            })?;
            Ok((completed.latency, answer))
        }
        Outcome::Error(body) => Err(format!(
            "{}: invocation error: {}",
            subject.name,
            String::from_utf8_lossy(&body)
        )),
    }
}

fn call_delta(
    after: &BTreeMap<String, u64>,
    before: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .filter_map(|(op, n)| {
            let delta = n - before.get(op).copied().unwrap_or_default();
            (delta > 0).then(|| (op.clone(), delta))
        })
        .collect()
}

fn add_calls(total: &mut BTreeMap<String, u64>, delta: BTreeMap<String, u64>) {
    for (op, n) in delta {
        *total.entry(op).or_default() += n;
    }
}

fn per(calls: BTreeMap<String, u64>, n: usize) -> BTreeMap<String, f64> {
    calls
        .into_iter()
        .map(|(op, c)| (op, c as f64 / n.max(1) as f64))
        .collect()
}

/// Cold runs (init + first invocation each), then the warm invocations in the last process.
/// Returns the figures and every answer, in invocation order.
async fn measure(
    subject: &Subject,
    bin_dir: &Path,
    aws: &FakeAws,
    args: &Args,
    log_dir: &Path,
) -> Result<(Figures, Vec<Value>), String> {
    let result = measure_inner(subject, bin_dir, aws, args, log_dir).await;
    if subject.isolated {
        aws.restore();
    }
    result.map_err(|e| {
        let problems = aws.problems();
        if problems.is_empty() {
            e
        } else {
            format!("{e}\nthe fake AWS endpoint could not answer: {problems:#?}")
        }
    })
}

async fn measure_inner(
    subject: &Subject,
    bin_dir: &Path,
    aws: &FakeAws,
    args: &Args,
    log_dir: &Path,
) -> Result<(Figures, Vec<Value>), String> {
    let Some(first_event) = subject.events.get(0) else {
        return Err(format!("{}: no event to invoke it with", subject.name));
    };
    if let Some(dir) = &args.save_events {
        let path = dir.join(format!("{}.json", subject.name));
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, &first_event))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let binary = bin_dir.join(&subject.binary);
    let size_bytes = std::fs::metadata(&binary)
        .map_err(|e| {
            format!(
                "{}: {e} (build it first, see infra/budget/README.md)",
                binary.display()
            )
        })?
        .len();
    let mut figures = Figures {
        name: subject.name.clone(),
        binary: subject.binary.clone(),
        size_bytes,
        ..Figures::default()
    };
    if subject.isolated {
        aws.snapshot();
    }
    let mut answers = Vec::new();
    let mut init_calls = BTreeMap::new();
    let mut invocation_calls = BTreeMap::new();
    let mut invocation = 0usize;
    let mut next_event = || {
        let event = subject
            .events
            .get(invocation)
            .expect("a subject with events has one for every invocation");
        invocation += 1;
        if subject.isolated {
            // Before the event is handed out: not part of the measured time.
            aws.restore();
        }
        event
    };
    let cold_runs = args.cold_runs.max(1);
    for i in 0..cold_runs {
        let log = log_dir.join(format!("{}-{i}.log", subject.name));
        let before = aws.calls();
        let busy = aws.busy();
        let (mut run, init) = cold_start(subject, &binary, aws, &args.extra_env, log).await?;
        figures.init_endpoint_ms.push(ms(aws.busy() - busy));
        let ready = aws.calls();
        add_calls(&mut init_calls, call_delta(&ready, &before));
        figures.init_ms.push(ms(init));
        let (first, answer) = invoke(subject, &mut run, next_event()).await?;
        figures.first_ms.push(ms(first));
        answers.push(answer);
        if i + 1 == cold_runs {
            for _ in 0..args.warm {
                let event = next_event();
                let busy = aws.busy();
                let (latency, answer) = invoke(subject, &mut run, event).await?;
                figures.endpoint_ms.push(ms(aws.busy() - busy));
                figures.warm_ms.push(ms(latency));
                answers.push(answer);
            }
        }
        figures.peak_rss_kb = figures
            .peak_rss_kb
            .max(run.child.id().and_then(peak_rss_kb).unwrap_or_default());
        run.stop().await;
        add_calls(&mut invocation_calls, call_delta(&aws.calls(), &ready));
    }
    figures.init_calls = per(init_calls, cold_runs);
    figures.aws_calls = per(invocation_calls, cold_runs + args.warm);
    Ok((figures, answers))
}

fn pii_key() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

fn event_bytes(doc: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(doc).expect("an event serialises"))
}

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("a fixture parses")
}

/// Sets the path of an HTTP API event (`rawPath` and `requestContext.http.path`, with the stage).
fn set_path(doc: &mut Value, path: &str) {
    let path = format!("/dev{path}");
    doc["rawPath"] = path.clone().into();
    doc["requestContext"]["http"]["path"] = path.into();
}

/// The GET fixture, asking for `tracking_id` with the reporter's `token`.
fn get_event(tracking_id: &str, token: &str) -> Bytes {
    let mut doc = fixture(GET_REPORT);
    set_path(&mut doc, &format!("/v1/reports/{tracking_id}"));
    doc["pathParameters"]["tracking_id"] = tracking_id.into();
    doc["headers"]["authorization"] = format!("Bearer {token}").into();
    event_bytes(&doc)
}

/// The SQS fixture carrying `body` as its one message.
fn sqs_event(body: &str) -> Bytes {
    sqs_batch(SQS_BATCH, &[body])
}

/// An SQS event from `fixture` (its first record is the pattern) with one message per body, each
/// with its own message id and MD5.
fn sqs_batch(fixture_text: &str, bodies: &[&str]) -> Bytes {
    use md5::{Digest, Md5};
    let mut doc = fixture(fixture_text);
    let pattern = doc["Records"][0].clone();
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut record = pattern.clone();
            if i > 0 {
                // Ids of one batch differ: a failure names its message by id.
                let id = record["messageId"].as_str().unwrap_or_default();
                record["messageId"] = format!("{}{i:02}", &id[..id.len().saturating_sub(2)]).into();
            }
            record["body"] = (*body).into();
            record["md5OfBody"] = hex::encode(Md5::digest(body.as_bytes())).into();
            record
        })
        .collect();
    doc["Records"] = records.into();
    event_bytes(&doc)
}

/// `POST /v1/channels/sms` as the SMS gateway sends it: the fixture's message with
/// `message_id`, signed at `at` with `secret` (`X-Lapor-Timestamp`, `X-Lapor-Signature`).
fn sms_event(secret: &[u8], message_id: &str, at: DateTime<Utc>) -> Bytes {
    let mut doc = fixture(CHANNELS_SMS);
    let mut message: Value =
        serde_json::from_str(doc["body"].as_str().unwrap_or_default()).expect("an SMS body");
    message["message_id"] = message_id.into();
    let body = message.to_string();
    let timestamp = at.timestamp();
    let headers = &mut doc["headers"];
    headers[lapor::channels::sms::TIMESTAMP_HEADER] = timestamp.to_string().into();
    headers[lapor::channels::sms::SIGNATURE_HEADER] =
        lapor::channels::sms::sign(secret, timestamp, body.as_bytes()).into();
    headers["content-length"] = body.len().to_string().into();
    doc["requestContext"]["timeEpoch"] = at.timestamp_millis().into();
    doc["requestContext"]["time"] = at.format("%d/%b/%Y:%H:%M:%S +0000").to_string().into();
    doc["body"] = body.into();
    event_bytes(&doc)
}

/// Who the staff events act as: the claims API Gateway's JWT authorizer passes on.
#[derive(Clone)]
struct Staff {
    role: &'static str,
    agency_id: Option<String>,
}

fn set_claims(doc: &mut Value, staff: &Staff) {
    let claims = &mut doc["requestContext"]["authorizer"]["jwt"]["claims"];
    claims[lapor::auth::claim::ROLE] = staff.role.into();
    match &staff.agency_id {
        Some(agency) => claims[lapor::auth::claim::AGENCY_ID] = agency.clone().into(),
        None => {
            if let Some(map) = claims.as_object_mut() {
                map.remove(lapor::auth::claim::AGENCY_ID);
            }
        }
    }
}

/// `GET /v1/agency/reports` as `staff`.
fn inbox_event(staff: &Staff) -> Bytes {
    let mut doc = fixture(AGENCY_INBOX);
    set_claims(&mut doc, staff);
    event_bytes(&doc)
}

/// `POST /v1/agency/reports/{tracking_id}/actions` with `action` as `staff`.
fn action_event(staff: &Staff, tracking_id: &str, action: &Value) -> Bytes {
    let mut doc = fixture(AGENCY_ACTION);
    set_claims(&mut doc, staff);
    set_path(
        &mut doc,
        &format!("/v1/agency/reports/{tracking_id}/actions"),
    );
    doc["pathParameters"]["tracking_id"] = tracking_id.into();
    let body = action.to_string();
    doc["headers"]["content-length"] = body.len().to_string().into();
    doc["body"] = body.into();
    event_bytes(&doc)
}

/// `POST /v1/reports/{tracking_id}/replies` with the reporter's `token`.
fn reply_event(tracking_id: &str, token: &str) -> Bytes {
    let mut doc = fixture(REPORTER_REPLY);
    set_path(&mut doc, &format!("/v1/reports/{tracking_id}/replies"));
    doc["pathParameters"]["tracking_id"] = tracking_id.into();
    doc["headers"]["authorization"] = format!("Bearer {token}").into();
    event_bytes(&doc)
}

/// The sender of the SMS fixture, as the channels normalise it (E.164).
fn sms_sender(event: &Value) -> Result<String, String> {
    let message: Value = serde_json::from_str(event["body"].as_str().unwrap_or_default())
        .map_err(|e| format!("the SMS fixture's body: {e}"))?;
    let from = message["from"].as_str().unwrap_or_default();
    lapor::domain::submission::normalise_phone(from)
        .ok_or_else(|| format!("the SMS fixture's sender {from:?} is not a phone number"))
}

/// The notices the notifier is given are receipts by SMS to `phone`, sealed with the run's key
/// `pii` (so the notifier takes the sending path, not "no contact" or a dead letter).
fn check_receipts(receipts: &[String], pii: &str, phone: &str) -> Result<(), String> {
    if receipts.len() < NOTIFIER_BATCH {
        return Err(format!(
            "the channels subject queued {} notices; the notifier needs {NOTIFIER_BATCH}",
            receipts.len()
        ));
    }
    let sealer = lapor::crypto::Sealer::from_base64_key(pii).map_err(|e| e.to_string())?;
    for receipt in receipts {
        let notice: lapor::lifecycle::Notification = serde_json::from_str(receipt)
            .map_err(|e| format!("a queued notice is not a Notification ({e}): {receipt}"))?;
        let contact: Option<lapor::domain::ReporterContact> = notice
            .recipient_sealed
            .as_deref()
            .and_then(|sealed| sealer.open(sealed).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let to = contact.and_then(|c| c.phone);
        if notice.channel != lapor::domain::Channel::Sms || to.as_deref() != Some(phone) {
            return Err(format!(
                "expected a notice by SMS to {phone} (sealed with the run's key), got {receipt}"
            ));
        }
    }
    Ok(())
}

/// A stored report (DynamoDB item) whose deadline passed an hour ago: the same document with
/// `deadline.at` and `due_at` moved, and the due index key with them.
fn overdue(item: &Value, now: DateTime<Utc>) -> Result<Value, String> {
    let doc = ddb_json::from_item(item)?;
    let mut report: lapor::domain::Report =
        serde_json::from_value(doc).map_err(|e| format!("a stored report: {e}"))?;
    let at = now - chrono::Duration::hours(1);
    let deadline = report
        .deadline
        .as_mut()
        .ok_or_else(|| format!("report {} has no deadline", report.tracking_id))?;
    deadline.at = at;
    report.due_at = Some(at);
    let doc = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    let mut out = ddb_json::to_item(doc.as_object().expect("a report is an object"));
    // The index keys the adapter adds beside the document.
    for (attribute, value) in item.as_object().into_iter().flatten() {
        if out.get(attribute).is_none() {
            out[attribute] = value.clone();
        }
    }
    let due_ms = lapor::config::attributes::DUE_MS;
    if out.get(due_ms).is_none() {
        return Err(format!(
            "report {} is not in the due index",
            report.tracking_id
        ));
    }
    out[due_ms] = json!({ "N": at.timestamp_millis().to_string() });
    Ok(out)
}

fn format_mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn format_calls(calls: &BTreeMap<String, f64>) -> String {
    if calls.is_empty() {
        return "-".to_string();
    }
    calls
        .iter()
        .map(|(op, n)| {
            let op = op.rsplit('.').next().unwrap_or(op);
            if (n - n.round()).abs() < 0.005 {
                format!("{op} {n:.0}")
            } else {
                format!("{op} {n:.2}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_tables(all: &[Figures], floor: &Figures) -> bool {
    println!();
    println!("| function | size (stripped) | init p50 (min-max) | 1st invocation p50 | warm p50 / p90 / p99 | of which endpoint, p50 | peak RSS | calls at init | calls per invocation |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    for f in all {
        let label = if f.name == floor.name {
            format!("{} (floor)", f.name)
        } else {
            f.name.clone()
        };
        println!(
            "| {} | {} | {:.1} ms ({:.1}-{:.1}) | {:.2} ms | {:.3} / {:.3} / {:.3} ms | {:.3} ms | {:.1} MB | {} | {} |",
            label,
            format_mb(f.size_bytes),
            percentile(&f.init_ms, 50.0),
            percentile(&f.init_ms, 0.0),
            percentile(&f.init_ms, 100.0),
            percentile(&f.first_ms, 50.0),
            percentile(&f.warm_ms, 50.0),
            percentile(&f.warm_ms, 90.0),
            percentile(&f.warm_ms, 99.0),
            percentile(&f.endpoint_ms, 50.0),
            f.peak_rss_kb as f64 / 1024.0,
            format_calls(&f.init_calls),
            format_calls(&f.aws_calls),
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
    // Once per binary (a binary measured with several events is one file).
    let mut seen = std::collections::HashSet::new();
    for f in all.iter().filter(|f| seen.insert(f.binary.clone())) {
        check(
            "size < 12 MB",
            &f.binary,
            format_mb(f.size_bytes),
            format_mb(SIZE_LIMIT_BYTES),
            f.size_bytes < SIZE_LIMIT_BYTES,
        );
    }
    for f in all
        .iter()
        .filter(|f| WARM_TARGET_BINARIES.contains(&f.binary.as_str()))
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

/// Every function template.yaml declares must be measured.
fn check_coverage(template: &Template) -> Result<(), String> {
    let missing: Vec<&str> = template
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .filter(|id| !MEASURED.contains(id))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "template.yaml declares {missing:?}, which lapor-budget does not measure: give it a subject in main.rs"
        ))
    }
}

/// Measures a subject and adds its figures to `all`; returns its answers.
async fn step(
    subject: &Subject,
    all: &mut Vec<Figures>,
    bin_dir: &Path,
    aws: &FakeAws,
    args: &Args,
    log_dir: &Path,
) -> Result<Vec<Value>, String> {
    let (figures, answers) = measure(subject, bin_dir, aws, args, log_dir).await?;
    eprintln!(
        "  {}: init p50 {:.1} ms, warm p50 {:.3} ms",
        figures.name,
        percentile(&figures.init_ms, 50.0),
        percentile(&figures.warm_ms, 50.0)
    );
    all.push(figures);
    Ok(answers)
}

fn string_attribute(item: &Value, name: &str) -> Option<String> {
    item[name]["S"].as_str().map(str::to_string)
}

async fn run(args: Args) -> Result<bool, String> {
    let bin_dir = args.bin_dir.clone().unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target"))
            .join("release")
    });
    let template = Template::builtin();
    check_coverage(&template)?;
    let temp_logs;
    let log_dir = match &args.log_dir {
        Some(dir) => dir.clone(),
        None => {
            temp_logs = std::env::temp_dir().join(format!("lapor-budget-{}", std::process::id()));
            temp_logs
        }
    };
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let mut all: Vec<Figures> = Vec::new();
    for round in 0..args.rounds.max(1) {
        let figures = measure_round(&args, &bin_dir, &log_dir, round).await?;
        if all.is_empty() {
            all = figures;
            continue;
        }
        for (pooled, more) in all.iter_mut().zip(figures) {
            pooled.init_ms.extend(more.init_ms);
            pooled.first_ms.extend(more.first_ms);
            pooled.warm_ms.extend(more.warm_ms);
            pooled.endpoint_ms.extend(more.endpoint_ms);
            pooled.init_endpoint_ms.extend(more.init_endpoint_ms);
            pooled.peak_rss_kb = pooled.peak_rss_kb.max(more.peak_rss_kb);
            // Calls are the same every round (the same sequence on a fresh endpoint).
        }
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

/// One pass over every subject, on a fresh endpoint; the figures in measuring order.
async fn measure_round(
    args: &Args,
    bin_dir: &Path,
    log_dir: &Path,
    round: usize,
) -> Result<Vec<Figures>, String> {
    let template = Template::builtin();
    let log_dir = &if args.rounds > 1 {
        let dir = log_dir.join(format!("round-{}", round + 1));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        dir
    } else {
        log_dir.to_path_buf()
    };
    let tables = tables(&template)?;
    let agencies = if args.empty_agencies {
        Vec::new()
    } else {
        agency_items(&tables.agencies_key)
    };
    let agency_count = agencies.len();
    let reports_key = tables.reports_key.clone();
    let aws = FakeAws::start(tables, agencies)
        .await
        .map_err(|e| format!("fake AWS endpoint: {e}"))?;
    let pii = pii_key();
    let setup = Setup {
        yaml: serde_yaml::from_str(lapor::template::TEMPLATE_YAML)
            .map_err(|e| format!("template.yaml: {e}"))?,
        template,
        values: variable_values(&aws, &pii),
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "lapor-budget: round {}/{}: binaries in {}, {} cold runs + {} warm invocations each, {} agencies in the agencies table, logs in {}, load average {}",
        round + 1,
        args.rounds.max(1),
        bin_dir.display(),
        args.cold_runs,
        args.warm,
        agency_count,
        log_dir.display(),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    let mut all = Vec::new();
    macro_rules! measure {
        ($subject:expr) => {
            step(&$subject, &mut all, bin_dir, &aws, args, log_dir).await?
        };
    }

    let post = Bytes::from_static(POST_REPORT.as_bytes());
    let hello = Subject {
        name: "lambda-hello".into(),
        binary: "lambda-hello".into(),
        memory_mb: 256,
        timeout: Duration::from_secs(10),
        env: setup.global_env(),
        events: Events::Cycle(vec![post.clone()]),
        isolated: false,
        expect: Box::new(|answer| {
            check(answer["message"] == "hello", || {
                format!("unexpected answer {answer}")
            })
        }),
    };
    measure!(hello);

    // intake stores a report per invocation (kept by the endpoint) and queues it for routing.
    let intake = setup.subject(
        "IntakeFunction",
        "intake",
        vec![post],
        Box::new(|answer| http_body(answer, 201).map(|_| ())),
    )?;
    let submitted = measure!(intake);
    let submitted = http_body(&submitted[0], 201)?;
    let tracking_id = submitted["tracking_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let token = submitted["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if aws.report(&tracking_id).is_none() {
        return Err(format!(
            "intake answered {tracking_id} but stored no report on the fake endpoint"
        ));
    }

    // status: the reporter's view of the first report (opens the sealed contact).
    let expected_id = tracking_id.clone();
    let status = setup.subject(
        "StatusFunction",
        "status",
        vec![get_event(&tracking_id, &token)],
        Box::new(move |answer| {
            let body = http_body(answer, 200)?;
            check(body["tracking_id"] == expected_id.as_str(), || {
                format!("expected the view of {expected_id}, got {body}")
            })
        }),
    )?;
    measure!(status);

    // router: each invocation routes another of the reports intake stored, with the message
    // intake sent for it.
    let messages = aws.messages(&setup.values[lapor::config::env::INTAKE_QUEUE_URL]);
    if messages.is_empty() {
        return Err("intake sent no message to the intake queue".into());
    }
    let router = setup.subject(
        "RouterFunction",
        "router",
        messages.iter().map(|m| sqs_event(m)).collect(),
        Box::new(|answer| match answer["batchItemFailures"].as_array() {
            Some(failures) if failures.is_empty() => Ok(()),
            _ => Err(format!("expected no batch item failures, got {answer}")),
        }),
    )?;
    measure!(router);
    let first = aws.report(&tracking_id).ok_or("the first report is gone")?;
    let status_of = |item: &Value| string_attribute(item, "status").unwrap_or_default();
    if status_of(&first) == "received" {
        return Err(format!(
            "the router answered success but {tracking_id} is still `received`"
        ));
    }
    let reports = aws.reports();

    // status, the public feed: one page of the reports the router made public.
    let public = reports
        .iter()
        .filter(|r| r.get(lapor::config::attributes::PUBLIC_FEED).is_some())
        .count();
    let page = public.min(lapor::service::inbox::DEFAULT_PAGE);
    let feed = setup.subject(
        "StatusFunction",
        "status-feed",
        vec![event_bytes(&fixture(PUBLIC_FEED))],
        Box::new(move |answer| {
            let body = http_body(answer, 200)?;
            let listed = body["reports"].as_array().map_or(0, Vec::len);
            check(listed == page, || {
                format!("expected {page} reports in the feed, got {body}")
            })
        }),
    )?;
    measure!(feed);

    // directory: a search from the report form.
    let directory = setup.subject(
        "DirectoryFunction",
        "directory",
        vec![event_bytes(&fixture(SEARCH_AGENCIES))],
        Box::new(|answer| {
            let body = http_body(answer, 200)?;
            check(
                body["agencies"].as_array().is_some_and(|a| !a.is_empty()),
                || format!("expected agencies found, got {body}"),
            )
        }),
    )?;
    measure!(directory);

    // agency: the officers of the institution the first report was routed to (or, if the router
    // sent it to triage, the national verifiers).
    let holder = string_attribute(&first, lapor::config::attributes::AGENCY_ID);
    let staff = match &holder {
        Some(agency) => Staff {
            role: "officer",
            agency_id: Some(agency.clone()),
        },
        None => Staff {
            role: "verifier",
            agency_id: None,
        },
    };
    let in_inbox = reports
        .iter()
        .filter(|r| match &holder {
            Some(agency) => {
                string_attribute(r, lapor::config::attributes::AGENCY_ID).as_ref() == Some(agency)
            }
            None => r.get(lapor::config::attributes::TRIAGE_QUEUE).is_some(),
        })
        .count();
    let page = in_inbox.min(lapor::service::inbox::DEFAULT_PAGE);
    let inbox = setup.subject(
        "AgencyFunction",
        "agency-inbox",
        vec![inbox_event(&staff)],
        Box::new(move |answer| {
            let body = http_body(answer, 200)?;
            let listed = body["reports"].as_array().map_or(0, Vec::len);
            check(listed == page, || {
                format!("expected {page} reports in the inbox, got {body}")
            })
        }),
    )?;
    measure!(inbox);

    // An officer accepts the report (a verifier verifies it): every invocation acts on the same
    // version (isolated), as a fresh action.
    let (action, after) = match &holder {
        Some(_) => (json!({"action": "accept"}), "in_progress"),
        None => (json!({"action": "verify"}), "dispositioned"),
    };
    let mut action = action;
    action["action_id"] = "6f1d1e0a-6b7c-4d8e-9f00-1a2b3c4d5e6f".into();
    let mut act = setup.subject(
        "AgencyFunction",
        "agency-action",
        vec![action_event(&staff, &tracking_id, &action)],
        Box::new(move |answer| {
            let body = http_body(answer, 200)?;
            check(
                body["replayed"] == false && body["report"]["status"] == after,
                || format!("expected a new action leaving the report {after}, got {body}"),
            )
        }),
    )?;
    act.isolated = true;
    measure!(act);

    // reporter: a reply with the token intake answered (isolated, like the action).
    let expected_id = tracking_id.clone();
    let mut reply = setup.subject(
        "ReporterFunction",
        "reporter",
        vec![reply_event(&tracking_id, &token)],
        Box::new(move |answer| {
            let body = http_body(answer, 200)?;
            check(
                body["replayed"] == false && body["tracking_id"] == expected_id.as_str(),
                || format!("expected a new reply on {expected_id}, got {body}"),
            )
        }),
    )?;
    reply.isolated = true;
    measure!(reply);

    // escalation: a scheduled pass that finds a few reports past their deadline (other than the
    // first one) and escalates them; isolated, so every pass finds the same ones due.
    let now = Utc::now();
    let mut made_due = 0;
    for item in &reports {
        if made_due == DUE_REPORTS {
            break;
        }
        if string_attribute(item, &reports_key).as_deref() == Some(tracking_id.as_str())
            || item.get(lapor::config::attributes::DUE_MS).is_none()
        {
            continue;
        }
        aws.put_report(&reports_key, overdue(item, now)?);
        made_due += 1;
    }
    let escalation = setup.subject(
        "EscalationFunction",
        "escalation",
        vec![Bytes::from_static(SCHEDULED_EVENT.as_bytes())],
        Box::new(move |answer| {
            check(
                answer["due"] == made_due
                    && answer["escalated"] == made_due
                    && answer["conflicts"] == 0
                    && answer["more"] == false,
                || format!("expected {made_due} reports due and escalated, got {answer}"),
            )
        }),
    )?;
    let mut escalation = escalation;
    escalation.isolated = true;
    measure!(escalation);

    // channels: a new report by SMS, signed by the gateway. Isolated (the reports and the
    // channel state are put back before each invocation), and every invocation's message has
    // its own id and is signed at the moment it is handed out: each one is a first delivery
    // making a new report, from a sender with no report yet.
    let nonce = rand::random::<u32>();
    let mut channels = setup.subject(
        "ChannelsFunction",
        "channels",
        Vec::new(),
        Box::new(|answer| {
            let body = http_body(answer, 200)?;
            check(body["result"] == "report_created", || {
                format!("expected a report created, got {body}")
            })
        }),
    )?;
    channels.events = Events::Each(Box::new(move |i| {
        sms_event(
            SMS_WEBHOOK_SECRET.as_bytes(),
            &format!("gw-{nonce:08x}-{i:06}"),
            Utc::now(),
        )
    }));
    channels.isolated = true;
    let notices_before = aws
        .messages(&setup.values[lapor::config::env::NOTIFICATION_QUEUE_URL])
        .len();
    measure!(channels);

    // notifier: a batch of the receipts the channels subject queued (the tracking id back to
    // the sender, by SMS), sent through the SMS gateway on the fake endpoint. Isolated: every
    // invocation claims, sends and marks the same notices afresh.
    let receipts: Vec<String> = aws
        .messages(&setup.values[lapor::config::env::NOTIFICATION_QUEUE_URL])
        .into_iter()
        .skip(notices_before)
        .take(NOTIFIER_BATCH)
        .collect();
    let phone = sms_sender(&fixture(CHANNELS_SMS))?;
    check_receipts(&receipts, &pii, &phone)?;
    let sent_before = aws.sms_sent().len();
    let batch: Vec<&str> = receipts.iter().map(String::as_str).collect();
    let mut notifier = setup.subject(
        "NotifierFunction",
        "notifier",
        vec![sqs_batch(NOTIFICATION_BATCH, &batch)],
        Box::new(|answer| match answer["batchItemFailures"].as_array() {
            Some(failures) if failures.is_empty() => Ok(()),
            _ => Err(format!("expected no batch item failures, got {answer}")),
        }),
    )?;
    notifier.isolated = true;
    measure!(notifier);
    // Every notice of every invocation reached the gateway, as the notice said.
    let notices: HashMap<String, String> = receipts
        .iter()
        .filter_map(|r| serde_json::from_str::<lapor::lifecycle::Notification>(r).ok())
        .map(|n| (n.notification_id, n.text))
        .collect();
    let sent = aws.sms_sent();
    let sent = &sent[sent_before..];
    let expected = (args.cold_runs.max(1) + args.warm) * NOTIFIER_BATCH;
    let faithful = sent
        .iter()
        .all(|s| s.to == phone && notices.get(&s.reference) == Some(&s.text));
    if sent.len() != expected || !faithful {
        return Err(format!(
            "the notifier answered success, but the SMS gateway got {} sends (expected {expected}, all to {phone}, with the notices' ids and texts): {:?}",
            sent.len(),
            sent.first()
        ));
    }
    let dead = aws.messages(&setup.values[lapor::config::env::NOTIFICATION_DEAD_LETTER_QUEUE_URL]);
    if !dead.is_empty() {
        return Err(format!(
            "the notifier dead-lettered {} notices, e.g. {}",
            dead.len(),
            dead[0]
        ));
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
    let problems = aws.problems();
    if !problems.is_empty() {
        return Err(format!(
            "the fake AWS endpoint could not answer: {problems:#?}"
        ));
    }
    Ok(all)
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
    fn every_template_function_is_measured_with_every_variable_set() {
        let template = Template::builtin();
        check_coverage(&template).unwrap();
        let ids: Vec<&str> = template
            .functions
            .iter()
            .map(|f| f.logical_id.as_str())
            .collect();
        for id in MEASURED {
            assert!(ids.contains(&id), "{id} is not in template.yaml");
        }
        // Values for every variable: `Setup::function` fails on one it has none for.
        let values: HashMap<String, String> = {
            let mut v = HashMap::new();
            for name in template.functions.iter().flat_map(|f| f.environment.iter()) {
                v.insert(name.clone(), String::new());
            }
            v
        };
        let known = [
            "REPORTS_TABLE",
            "IDEMPOTENCY_TABLE",
            "AGENCIES_TABLE",
            "ROUTING_EXAMPLES_TABLE",
            "ROUTING_MODELS_TABLE",
            "INTAKE_QUEUE_URL",
            "NOTIFICATION_QUEUE_URL",
            "NOTIFICATION_DEAD_LETTER_QUEUE_URL",
            "CHANNEL_STATE_TABLE",
            "LAPOR_PII_KEY",
            "SMS_WEBHOOK_SECRET",
            "X_CONSUMER_SECRET",
            "META_APP_SECRET",
            "META_VERIFY_TOKEN",
            "NOTIFY_RATES",
            "SMS_API_URL",
            "SMS_API_KEY",
            "X_ACCESS_TOKEN",
            "MESSENGER_PAGE_TOKEN",
            "WHATSAPP_PHONE_NUMBER_ID",
            "WHATSAPP_TOKEN",
            "WHATSAPP_TEMPLATE",
            "SES_FROM_ADDRESS",
            "LAPOR_STAGE",
            "RUST_LOG",
            "LAPOR_DEADLINE_POLICY",
            "LAPOR_EXTRA_HOLIDAYS",
        ];
        // Values the template states itself (no reference) are used as they are.
        let literal = ["NOTIFICATION_MAX_ATTEMPTS"];
        for name in values.keys() {
            assert!(
                known.contains(&name.as_str()) || literal.contains(&name.as_str()),
                "template.yaml sets {name}: give it a value in variable_values"
            );
        }
        let setup = Setup {
            yaml: serde_yaml::from_str(lapor::template::TEMPLATE_YAML).unwrap(),
            template,
            values: known
                .iter()
                .map(|k| (k.to_string(), "x".to_string()))
                .collect(),
        };
        let agency = setup.function("AgencyFunction").unwrap();
        assert_eq!(agency.binary, "agency");
        let names: Vec<&str> = agency.env.iter().map(|(k, _)| k.as_str()).collect();
        for need in lapor::config::needs::AGENCY {
            assert!(names.contains(need), "{need}");
        }
        let router = setup.function("RouterFunction").unwrap();
        assert_eq!((router.memory_mb, router.timeout.as_secs()), (512, 30));
        let escalation = setup.function("EscalationFunction").unwrap();
        assert_eq!(escalation.timeout.as_secs(), 120);
        let channels = setup.function("ChannelsFunction").unwrap();
        assert_eq!(channels.binary, "channels");
        let names: Vec<&str> = channels.env.iter().map(|(k, _)| k.as_str()).collect();
        for need in lapor::config::needs::CHANNELS
            .iter()
            .chain(&[lapor::config::env::SMS_WEBHOOK_SECRET])
        {
            assert!(names.contains(need), "{need}");
        }
        let notifier = setup.function("NotifierFunction").unwrap();
        assert_eq!(notifier.binary, "notifier");
        let env: HashMap<&str, &str> = notifier
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for need in lapor::config::needs::NOTIFIER.iter().chain(&[
            lapor::notify::env::SMS_API_URL,
            lapor::notify::env::SMS_API_KEY,
            lapor::notify::env::NOTIFY_RATES,
        ]) {
            assert_eq!(env.get(need), Some(&"x"), "{need}");
        }
        // The template's own value, not the budget's.
        assert_eq!(env.get("NOTIFICATION_MAX_ATTEMPTS"), Some(&"5"));
        assert!(setup
            .global_env()
            .iter()
            .any(|(k, _)| k == "LAPOR_DEADLINE_POLICY"));
    }

    #[test]
    fn fixtures_are_api_gateway_v2_eventbridge_and_sqs_events() {
        let post = fixture(POST_REPORT);
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

        assert_eq!(fixture(PUBLIC_FEED)["routeKey"], "GET /v1/reports");
        let search = fixture(SEARCH_AGENCIES);
        assert_eq!(search["routeKey"], "GET /v1/agencies");
        assert_eq!(search["rawQueryString"], "q=jakarta");
        assert_eq!(search["queryStringParameters"]["q"], "jakarta");

        let officer = Staff {
            role: "officer",
            agency_id: Some("pemda-31.71".into()),
        };
        let verifier = Staff {
            role: "verifier",
            agency_id: None,
        };
        let inbox: Value = serde_json::from_slice(&inbox_event(&officer)).unwrap();
        assert_eq!(inbox["routeKey"], "GET /v1/agency/reports");
        let claims = &inbox["requestContext"]["authorizer"]["jwt"]["claims"];
        assert_eq!(claims["custom:role"], "officer");
        assert_eq!(claims["custom:agency_id"], "pemda-31.71");
        assert!(claims["sub"].is_string());
        let inbox: Value = serde_json::from_slice(&inbox_event(&verifier)).unwrap();
        let claims = &inbox["requestContext"]["authorizer"]["jwt"]["claims"];
        assert_eq!(claims["custom:role"], "verifier");
        assert!(claims.get("custom:agency_id").is_none());
        // Every claim is a string, as API Gateway passes them.
        assert!(claims.as_object().unwrap().values().all(Value::is_string));

        let act: Value = serde_json::from_slice(&action_event(
            &officer,
            "ABCDE-FGHJK",
            &json!({"action": "accept", "action_id": "a-1b2c3d4e"}),
        ))
        .unwrap();
        assert_eq!(
            act["routeKey"],
            "POST /v1/agency/reports/{tracking_id}/actions"
        );
        assert_eq!(act["rawPath"], "/dev/v1/agency/reports/ABCDE-FGHJK/actions");
        let body: Value = serde_json::from_str(act["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["action"], "accept");

        let reply: Value = serde_json::from_slice(&reply_event("ABCDE-FGHJK", "t0ken")).unwrap();
        assert_eq!(reply["routeKey"], "POST /v1/reports/{tracking_id}/replies");
        assert_eq!(reply["headers"]["authorization"], "Bearer t0ken");
        assert!(reply["headers"]["idempotency-key"].is_string());
        let body: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
        assert!(body["message"].is_string());

        // The placeholder ids are real tracking ids (check symbol included).
        for doc in [
            fixture(GET_REPORT),
            fixture(AGENCY_ACTION),
            fixture(REPORTER_REPLY),
        ] {
            let id = doc["pathParameters"]["tracking_id"].as_str().unwrap();
            assert!(lapor::domain::TrackingId::parse(id).is_some(), "{id}");
        }

        let tick = fixture(SCHEDULED_EVENT);
        assert_eq!(tick["detail-type"], "Scheduled Event");
        assert_eq!(tick["source"], "aws.events");
    }

    #[test]
    fn the_sms_fixture_is_a_signed_gateway_post() {
        use lapor::channels::sms;
        let plain = fixture(CHANNELS_SMS);
        assert_eq!(plain["routeKey"], "POST /v1/channels/{channel}");
        assert_eq!(plain["pathParameters"]["channel"], "sms");
        assert!(plain["requestContext"].get("authorizer").is_none());
        assert_eq!(sms_sender(&plain).unwrap(), "+6281234567890");
        let secret = SMS_WEBHOOK_SECRET.as_bytes();
        // The file's own signature is one the budget's secret made.
        let headers = &plain["headers"];
        let body = plain["body"].as_str().unwrap();
        let signed_at: DateTime<Utc> = "2026-01-12T03:17:22Z".parse().unwrap();
        assert_eq!(
            headers[sms::TIMESTAMP_HEADER],
            signed_at.timestamp().to_string()
        );
        sms::verify(
            secret,
            headers[sms::TIMESTAMP_HEADER].as_str(),
            headers[sms::SIGNATURE_HEADER].as_str(),
            body.as_bytes(),
            signed_at,
        )
        .unwrap();

        let now = Utc::now();
        let event: Value = serde_json::from_slice(&sms_event(secret, "gw-7", now)).unwrap();
        let headers = &event["headers"];
        let body = event["body"].as_str().unwrap();
        assert_eq!(headers["content-length"], body.len().to_string());
        sms::verify(
            secret,
            headers[sms::TIMESTAMP_HEADER].as_str(),
            headers[sms::SIGNATURE_HEADER].as_str(),
            body.as_bytes(),
            now,
        )
        .unwrap();
        let message = sms::parse(headers["content-type"].as_str(), body.as_bytes(), now).unwrap();
        assert_eq!(message.provider_message_id, "gw-7");
        assert!(message.text.starts_with("LAPOR "), "{}", message.text);
        assert_eq!(event["requestContext"]["timeEpoch"], now.timestamp_millis());
    }

    #[test]
    fn notification_batches_carry_one_record_per_notice() {
        let plain = fixture(NOTIFICATION_BATCH);
        let record = &plain["Records"][0];
        assert!(record["eventSourceARN"]
            .as_str()
            .unwrap()
            .contains("NotificationQueue"));
        let notice: lapor::lifecycle::Notification =
            serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        assert_eq!(notice.channel, lapor::domain::Channel::Sms);
        assert!(notice.recipient_sealed.unwrap().starts_with("v1."));

        let batch: Value =
            serde_json::from_slice(&sqs_batch(NOTIFICATION_BATCH, &["a", "b", "c"])).unwrap();
        let records = batch["Records"].as_array().unwrap();
        assert_eq!(records.len(), 3);
        let ids: std::collections::HashSet<&str> = records
            .iter()
            .map(|r| r["messageId"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 3);
        assert_eq!(records[1]["body"], "b");
        // md5sum of "c".
        assert_eq!(records[2]["md5OfBody"], "4a8a08f09d37b73795649038408b5f33");
        assert_eq!(records[2]["attributes"]["ApproximateReceiveCount"], "1");
    }

    #[test]
    fn receipts_must_reach_the_sender_by_sms() {
        let key = pii_key();
        let sealer = lapor::crypto::Sealer::from_base64_key(&key).unwrap();
        let notice = |phone: &str, channel: &str| {
            let sealed = sealer.seal(format!(r#"{{"phone":"{phone}"}}"#).as_bytes());
            let mut doc: Value = serde_json::from_str(
                fixture(NOTIFICATION_BATCH)["Records"][0]["body"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            doc["recipient_sealed"] = sealed.into();
            doc["channel"] = channel.into();
            doc.to_string()
        };
        let good = vec![notice("+6281234567890", "sms"); NOTIFIER_BATCH];
        check_receipts(&good, &key, "+6281234567890").unwrap();
        assert!(check_receipts(&good[..1], &key, "+6281234567890").is_err());
        assert!(check_receipts(&good, &pii_key(), "+6281234567890").is_err());
        let mut web = good.clone();
        web[2] = notice("+6281234567890", "web");
        assert!(check_receipts(&web, &key, "+6281234567890").is_err());
        // The placeholder in the fixture opens with no key.
        let placeholder = vec![
            fixture(NOTIFICATION_BATCH)["Records"][0]["body"]
                .as_str()
                .unwrap()
                .to_string();
            NOTIFIER_BATCH
        ];
        assert!(check_receipts(&placeholder, &key, "+6281234567890").is_err());
    }

    #[test]
    fn an_overdue_copy_moves_the_deadline_and_the_due_key_only() {
        let report = json!({
            "tracking_id": lapor::domain::TrackingId::generate().to_string(),
            "kind": "complaint",
            "title": "Jalan berlubang",
            "body": "Jalan di depan sekolah berlubang besar.",
            "channel": "web",
            "anonymous": false,
            "confidential": false,
            "status": "dispositioned",
            "agency_id": "pemda-31.71",
            "access_token_hash": "0".repeat(64),
            "created_at": "2026-01-12T03:15:43.456Z",
            "updated_at": "2026-01-12T03:15:44Z",
            "deadline": {"step": "follow_up", "at": "2026-02-12T03:15:44Z"},
            "due_at": "2026-02-12T03:15:44Z",
            "version": 2,
            "timeline": []
        });
        let mut item = ddb_json::to_item(report.as_object().unwrap());
        item["created_ms"] = json!({"N": "1768187743456"});
        item["public_feed"] = json!({"S": "public"});
        item["due_shard"] = json!({"S": "due"});
        item["due_ms"] = json!({"N": "1770866144000"});
        let now: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
        let due = overdue(&item, now).unwrap();
        assert_eq!(due["due_ms"], json!({"N": "1772319600000"}));
        assert_eq!(due["created_ms"], item["created_ms"]);
        assert_eq!(due["public_feed"], item["public_feed"]);
        assert_eq!(due["due_shard"], item["due_shard"]);
        let doc = ddb_json::from_item(&due).unwrap();
        assert_eq!(doc["deadline"]["at"], "2026-02-28T23:00:00Z");
        assert_eq!(doc["deadline"]["step"], "follow_up");
        assert_eq!(doc["title"], "Jalan berlubang");
        assert_eq!(doc["version"], 2);
    }
}
