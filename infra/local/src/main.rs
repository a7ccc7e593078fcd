//! `lapor-local`: the whole LAPOR system in one process, and the operators' commands.

mod backend;
mod bench;
mod bench_bare;
mod gateway;
mod server;

use backend::Backend;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "lapor-local",
    version,
    about = "Runs LAPOR locally: the public API, the router and the sweep in one process"
)]
struct Cli {
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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
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
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lapor-local: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> backend::anyhow_like::Result<()> {
    let system = backend::build(args.backend, &args.data_dir, args.provision.as_deref()).await?;
    server::serve(system, args.addr).await
}

fn eval_routing(file: &std::path::Path) -> backend::anyhow_like::Result<()> {
    use lapor::routing::{eval, RoutingEngine};
    let rows = eval::read_csv(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let engine = RoutingEngine::builtin();
    println!(
        "routing model {} on {} ({} reports)",
        engine.model_version(),
        file.display(),
        rows.len()
    );
    print!("{}", eval::evaluate(engine, &rows));
    Ok(())
}
