//! The command line.

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Cold-start, latency, memory and size budget of the Lambda functions")]
pub struct Args {
    /// Where the release binaries are (the template's `Binary` names and lambda-hello).
    /// Default: $CARGO_TARGET_DIR/release, else target/release.
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Fresh processes per function: each gives one init and one first-invocation sample.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    cold_runs: u16,
    /// Warm invocations measured per function (after the first, in one process).
    #[arg(long, default_value_t = 200)]
    pub warm: usize,
    /// Runs the whole sequence this many times (a fresh endpoint each time) and pools each
    /// subject's samples: on a shared machine, load that comes and goes then weighs on every
    /// subject alike instead of on whichever ran at that moment.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    rounds: u16,
    /// Also write every figure as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Where the functions' stdout/stderr go (one file per process). Default: a temporary folder.
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
    /// Extra environment for every function process, KEY=VALUE (repeatable): for experiments
    /// such as SSL_CERT_DIR, which changes what the TLS stack loads at start.
    #[arg(long = "env", value_parser = parse_env)]
    pub extra_env: Vec<(String, String)>,
    /// Write the exact (first) event each subject was measured with to DIR/<subject>.json (the
    /// later subjects get the tracking ids, tokens and messages this run's intake produced).
    #[arg(long)]
    pub save_events: Option<PathBuf>,
    /// Leave the agencies table empty (the functions then serve the compiled-in directory, as
    /// before `lapor-local seed`), instead of holding the seeded directory.
    #[arg(long)]
    pub empty_agencies: bool,
}

impl Args {
    pub fn bin_dir(&self) -> PathBuf {
        self.bin_dir.clone().unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target"))
                .join("release")
        })
    }

    /// At least one.
    pub fn cold_runs(&self) -> usize {
        self.cold_runs.into()
    }

    /// At least one.
    pub fn rounds(&self) -> usize {
        self.rounds.into()
    }
}

fn parse_env(s: &str) -> anyhow::Result<(String, String)> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("{s:?} is not KEY=VALUE"))?;
    Ok((key.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_at_least_one_and_env_is_key_value() {
        let args = Args::parse_from(["lapor-budget", "--env", "A=b=c", "--rounds", "3"]);
        assert_eq!(args.extra_env, [("A".to_string(), "b=c".to_string())]);
        assert_eq!((args.rounds(), args.cold_runs(), args.warm), (3, 10, 200));
        assert!(Args::try_parse_from(["lapor-budget", "--cold-runs", "0"]).is_err());
        assert!(Args::try_parse_from(["lapor-budget", "--env", "A"]).is_err());
    }
}
