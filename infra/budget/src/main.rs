//! `lapor-budget`: holds every function to its cold-start and size budget.
//!
//! Each function binary (release build for the host) runs as Lambda runs it: a fresh process with
//! Lambda's environment ([`launch`]), talking to a Runtime API (our emulator, [`runtime_api`])
//! that hands it real event payloads ([`scenario`]). DynamoDB, SQS and the SMS gateway the
//! notifier sends through are an in-process endpoint that answers at once ([`fake_aws`]), so the
//! latency measured ([`measure`]) is our own code's. Per function it reports ([`report`]) the
//! stripped binary size, the init time (spawn to the first `next` request), the first
//! invocation's latency, the warm latency (p50 over many invocations) and the peak RSS, beside the
//! same figures for a hello-world `lambda_runtime` function built with the same profile (the
//! floor), and checks the targets: init within 2x the floor, every binary under 12 MB, warm
//! intake/status under 2 ms.
//!
//! Which functions exist, their binaries, memory, timeouts and environment variables come from
//! `template.yaml` (compiled in through `lapor::template`, read in [`settings`]); a function the
//! template declares and the budget does not measure fails the run.

mod cli;
mod fake_aws;
mod http;
mod launch;
mod measure;
mod report;
mod runtime_api;
mod scenario;
mod settings;
mod subject;

use anyhow::{Context, Result};
use clap::Parser;
use cli::Args;
use measure::Figures;
use std::process::ExitCode;

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
            eprintln!("lapor-budget: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Every round, the tables of the pooled figures; whether every target was met.
async fn run(args: Args) -> Result<bool> {
    let bin_dir = args.bin_dir();
    settings::check_coverage(&lapor::template::Template::builtin())?;
    let log_dir = match &args.log_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("lapor-budget-{}", std::process::id())),
    };
    std::fs::create_dir_all(&log_dir).with_context(|| log_dir.display().to_string())?;
    let mut all: Vec<Figures> = Vec::new();
    for round in 0..args.rounds() {
        let figures = scenario::measure_round(&args, &bin_dir, &log_dir, round).await?;
        if all.is_empty() {
            all = figures;
        } else {
            for (pooled, more) in all.iter_mut().zip(figures) {
                pooled.pool(more);
            }
        }
    }
    let ok = report::print_tables(&all);
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&all)?;
        std::fs::write(path, json).with_context(|| path.display().to_string())?;
    }
    if args.log_dir.is_none() {
        let _ = std::fs::remove_dir_all(&log_dir);
    }
    Ok(ok)
}
