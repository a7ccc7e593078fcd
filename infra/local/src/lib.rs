//! `lapor-local`: the whole LAPOR system in one process, and the operators' commands. The binary
//! (`src/main.rs`) only calls [`main`]; the modules are a library so that tests can use them
//! (the staff tokens of [`tokens`], the API Gateway stand-in of [`gateway`]).

pub mod backend;
mod bench;
mod bench_attachments;
mod bench_bare;
mod blobs;
mod commands;
mod escalate;
pub mod gateway;
mod outbox;
mod server;
mod signin;
pub mod tokens;

use backend::Backend;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "lapor-local",
    version,
    about = "Runs LAPOR locally: the public API, the router and the sweep in one process",
    // `serve`'s options stand alone (`lapor-local --addr ...`) or after a command. Before a
    // command they would otherwise be parsed into `serve`'s and silently ignored: refused.
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to serve the HTTP API on.
    #[arg(long, default_value = "127.0.0.1:3000", env = "LAPOR_ADDR")]
    addr: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// Seconds a client may take to send a request's headers: a connection that trickles them
    /// is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = server::HEADER_READ_TIMEOUT.as_secs())]
    header_read_timeout: u64,
    /// Seconds a client may take to send a request's body (408 after).
    #[arg(long, value_name = "SECONDS", default_value_t = server::BODY_READ_TIMEOUT.as_secs())]
    body_read_timeout: u64,
}

/// Which system a command works on (the same options as `serve`).
#[derive(clap::Args, Clone)]
pub struct StoreArgs {
    /// Where the embedded store keeps its files (and the local PII key).
    #[arg(long, default_value = "./.lapor", env = "LAPOR_DATA_DIR")]
    data_dir: PathBuf,
    /// Which storage family to run on.
    #[arg(long, value_enum, default_value_t = Backend::Embedded)]
    backend: Backend,
    /// With --backend aws: create the template's tables and queues, each named PREFIX<LogicalId>
    /// (for DynamoDB Local, an SQS server or LocalStack). Without it, names come from the
    /// environment as the SAM stack sets them (REPORTS_TABLE, INTAKE_QUEUE_URL, ...).
    #[arg(long, value_name = "PREFIX")]
    provision: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default when no command is given).
    Serve(ServeArgs),
    /// Load a running system over HTTP and report throughput, latency and losses.
    Bench(bench::BenchArgs),
    /// Measure routing on a labelled CSV (id,kind,title,body,region_code,expected,alternates).
    EvalRouting {
        /// The labelled reports.
        file: PathBuf,
    },
    /// Measure the duplicate detector on its labelled pairs (shared/data/duplicates/): precision
    /// and recall at its threshold and around it, and its speed.
    EvalDuplicates,
    /// Measure what checking one uploaded photo costs (decode, re-encode without metadata,
    /// preview): the attachments function's time and memory per upload.
    BenchAttachments {
        /// The photo's size in megapixels (1-40).
        #[arg(long, default_value_t = 12)]
        megapixels: u32,
        #[arg(long, default_value_t = 3)]
        rounds: u32,
    },
    /// Publish the national agency directory (central institutions and the 552 regional
    /// governments, with aliases; plus --extra institutions and work units) to the store.
    /// Idempotent: safe to re-run.
    Seed(commands::SeedArgs),
    /// Count the reports stored before the statistics (after upgrading a DynamoDB deployment;
    /// the embedded store counts them when it opens). Safe to re-run, and while it serves.
    StatsBackfill(StoreArgs),
    /// Verifiers' actions on reports.
    #[command(subcommand)]
    Triage(commands::TriageCommand),
    /// Train the routing model on the seed examples plus every stored human decision, and
    /// publish it: running routers pick it up without a deploy.
    Retrain(commands::RetrainArgs),
    /// One escalation pass as of a time (default now): escalates, closes, archives and
    /// re-queues what is overdue; `--dry-run` only prints what it would do.
    Escalate(escalate::EscalateArgs),
    /// Seed a store with many reports of which few are due and measure one escalation pass.
    BenchEscalation(escalate::BenchEscalationArgs),
    /// Print a staff token (JWT) that `serve` accepts on the /v1/agency/ routes, signed with the
    /// data dir's local key. In AWS the identity provider issues these instead.
    MintToken(commands::MintTokenArgs),
    /// Print what the local notifier "sent" (SMS, X, WhatsApp, Messenger, e-mail): locally
    /// nothing goes to a provider, every message is recorded here instead.
    Outbox(outbox::OutboxArgs),
    /// Post an SMS to the running runner as the SMS gateway would (signed), e.g.
    /// `lapor-local send-sms --from 081234567890 "LAPOR Jalan berlubang di Jl. Merdeka, Kota Bandung"`.
    SendSms(outbox::SendSmsArgs),
    /// Print the secrets the local webhooks check (to sign your own test requests).
    ChannelSecrets(outbox::ChannelSecretsArgs),
    /// Write the template's REST API variant, for LocalStack's community edition (which does
    /// not serve HTTP APIs): the same routes on a REST API (`infra/localstack/deploy.sh`).
    RestTemplate(commands::RestTemplateArgs),
    /// Issue an Open311 API key to an institution's system (`--name`): printed once, stored
    /// only as its SHA-256. The key may submit service requests (POST /open311/v2/requests)
    /// and nothing else.
    IssueApiKey(commands::IssueApiKeyArgs),
}

/// `lapor-local` with the process's arguments.
pub fn main() -> std::process::ExitCode {
    run(Cli::parse())
}

/// `lapor-local` with parsed arguments: the command's exit code, its error printed to stderr.
pub fn run(cli: Cli) -> std::process::ExitCode {
    // Before logging starts: the token alone goes to stdout, for `TOKEN=$(lapor-local mint-token ...)`.
    if let Some(Command::MintToken(args)) = &cli.command {
        return exit_code(commands::mint_token(args));
    }
    if let Some(Command::ChannelSecrets(args)) = &cli.command {
        return exit_code(outbox::print_channel_secrets(args));
    }
    if let Some(Command::RestTemplate(args)) = &cli.command {
        return exit_code(commands::rest_template(args));
    }
    lapor::lambda::init_tracing("lapor-local");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            None => serve(cli.serve).await,
            Some(Command::Serve(args)) => serve(args).await,
            Some(Command::Bench(args)) => bench::run(args).await,
            Some(Command::EvalRouting { file }) => eval_routing(&file),
            Some(Command::EvalDuplicates) => {
                eval_duplicates();
                Ok(())
            }
            Some(Command::BenchAttachments { megapixels, rounds }) => {
                bench_attachments::run(megapixels, rounds)
            }
            Some(Command::Seed(args)) => commands::seed(args).await,
            Some(Command::StatsBackfill(args)) => commands::stats_backfill(args).await,
            Some(Command::Triage(command)) => commands::triage(command).await,
            Some(Command::Retrain(args)) => commands::retrain(args).await,
            Some(Command::Escalate(args)) => escalate::escalate(args).await,
            Some(Command::BenchEscalation(args)) => escalate::bench(args).await,
            Some(Command::Outbox(args)) => outbox::print_outbox(args).await,
            Some(Command::SendSms(args)) => outbox::send_sms(args).await,
            Some(Command::IssueApiKey(args)) => commands::issue_api_key(args).await,
            Some(Command::MintToken(_) | Command::ChannelSecrets(_) | Command::RestTemplate(_)) => {
                unreachable!("handled before the runtime starts")
            }
        }
    });
    exit_code(result)
}

fn exit_code(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lapor-local: {}", error_text(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// What was done, then why it failed: the error and its causes after colons, as anyhow's `{:#}`
/// writes them, less a cause that the error wrapping it already ends with (an error whose
/// message includes its source, as `#[error("reading {path}: {source}")]` does).
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if text.ends_with(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    text
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // A fresh data dir gets the compiled-in directory published as it opens.
    let system = commands::open(&args.store).await?;
    let load = &system.model_load;
    println!(
        "routing model {} ({}, decoded in {:.1} ms)",
        load.version,
        if load.published {
            "published"
        } else {
            "compiled in"
        },
        load.decode.as_secs_f64() * 1e3
    );
    let directory = commands::directory_api(&system);
    let signer = commands::local_signer(&args.store.data_dir)?;
    let signin = signin::LocalSignIn::new(commands::local_signer(&args.store.data_dir)?);
    let secrets = outbox::LocalChannelSecrets::load_or_create(&args.store.data_dir)?;
    server::serve(
        system,
        directory,
        signer,
        signin,
        secrets.settings()?,
        args.addr,
        server::ReadTimeouts {
            headers: std::time::Duration::from_secs(args.header_read_timeout.max(1)),
            body: std::time::Duration::from_secs(args.body_read_timeout.max(1)),
        },
    )
    .await
}

fn eval_duplicates() {
    use lapor::duplicates::{builtin_pairs, evaluate, Text, THRESHOLD};
    let pairs = builtin_pairs();
    println!("duplicate detector on shared/data/duplicates/pairs.csv");
    println!("threshold  pairs  duplicates  flagged  precision  recall  f1");
    for threshold in [THRESHOLD - 0.04, THRESHOLD, THRESHOLD + 0.04] {
        let e = evaluate(&pairs, threshold);
        println!(
            "{:>9.2}  {:>5}  {:>10}  {:>7}  {:>9.3}  {:>6.3}  {:.3}{}",
            threshold,
            e.pairs,
            e.positives,
            e.true_positives + e.false_positives,
            e.precision,
            e.recall,
            e.f1(),
            if threshold == THRESHOLD {
                "  <- THRESHOLD"
            } else {
                ""
            }
        );
    }
    // Speed: every pair scored, many times over (as a request compares a draft with up to
    // 300 open reports).
    let rounds = 50;
    let started = std::time::Instant::now();
    let mut sum = 0.0f32;
    for _ in 0..rounds {
        for p in &pairs {
            let a = Text {
                title: &p.a_title,
                body: &p.a_body,
            };
            let b = Text {
                title: &p.b_title,
                body: &p.b_body,
            };
            sum += lapor::duplicates::similarity(&a, &b);
        }
    }
    let per_pair = started.elapsed() / (rounds * pairs.len() as u32);
    println!("{per_pair:.1?} per pair on average (checksum {sum:.1})");
}

fn eval_routing(file: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    use lapor::routing::{eval, RoutingEngine};
    let rows = eval::read_csv(file).with_context(|| file.display().to_string())?;
    let engine = RoutingEngine::builtin();
    // Build the lazily made tables (gazetteer, model) first, so latency is per report.
    let _ = eval::evaluate(engine, &rows[..rows.len().min(1)]);
    println!(
        "routing model {} on {} ({} reports)",
        engine.model_version(),
        file.display(),
        rows.len()
    );
    print!("{}", eval::evaluate(engine, &rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[derive(Debug, thiserror::Error)]
    #[error("reading seed.csv: {source}")]
    struct SaysItsSource {
        source: std::io::Error,
    }

    #[test]
    fn an_error_reads_as_what_was_done_then_why_once() {
        let gone = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let wrapped = Err::<(), _>(gone())
            .context("cannot read ./data/pii.key")
            .unwrap_err();
        assert_eq!(
            error_text(&wrapped),
            "cannot read ./data/pii.key: no such file"
        );
        let said = Err::<(), _>(SaysItsSource { source: gone() })
            .context("retrain")
            .unwrap_err();
        assert_eq!(error_text(&said), "retrain: reading seed.csv: no such file");
        assert_eq!(
            error_text(&anyhow::anyhow!("--due cannot exceed --reports")),
            "--due cannot exceed --reports"
        );
    }
}
