//! Operators' commands on the directory and the routing model: `seed`, `triage assign`,
//! `retrain`. Each works on the same system `serve` runs (embedded or AWS). And `mint-token`,
//! the local stand-in for the staff identity provider.

use crate::backend::{self, anyhow_like::Result, System};
use crate::StoreArgs;
use indicatif::{ProgressBar, ProgressStyle};
use lapor::auth::{LocalSigner, StaffClaims, StaffRole};
use lapor::directory::{builtin_agencies, Directory};
use lapor::domain::TrackingId;
use lapor::ports::AgencyStore;
use lapor::routing::model::{read_examples_dir, seed_dir};
use lapor::service::agencies::{load_directory, seed as seed_agencies, DirectoryApi};
use lapor::service::learning::assign_report;
use lapor::service::models::{self, LiveEngine, RECHECK_EVERY};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub async fn open(args: &StoreArgs) -> Result<System> {
    backend::build(args.backend, &args.data_dir, args.provision.as_deref()).await
}

/// Writes the compiled-in directory with a progress bar; returns how many agencies.
pub async fn seed_with_progress(store: &dyn AgencyStore) -> Result<usize> {
    let agencies = builtin_agencies();
    let bar = ProgressBar::new(agencies.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("seeding agencies {bar:40} {pos}/{len} ({elapsed})")
            .expect("valid progress template"),
    );
    let written = seed_agencies(store, &agencies, |n| bar.inc(n as u64)).await;
    bar.finish();
    Ok(written?)
}

pub async fn seed(args: StoreArgs) -> Result<()> {
    let system = open(&args).await?;
    let written = seed_with_progress(&*system.agencies).await?;
    let stored = system.agencies.agencies().await?.len();
    println!("seeded {written} agencies; the directory now holds {stored}");
    Ok(())
}

/// The directory API on the stored directory and the router's model store.
pub async fn directory_api(system: &System) -> Result<DirectoryApi> {
    let directory = load_directory(&*system.agencies).await?;
    let (engine, _) = LiveEngine::start(directory, system.models.clone(), RECHECK_EVERY).await;
    Ok(DirectoryApi {
        directory,
        engine: Arc::new(engine),
    })
}

#[derive(clap::Subcommand)]
pub enum TriageCommand {
    /// Assign a report (needs_triage, or routed elsewhere) to an institution as a verifier; the
    /// decision is recorded as a training example for `retrain`.
    Assign {
        /// The report's tracking id.
        tracking_id: String,
        /// The institution's id in the directory (see GET /v1/agencies?q=...).
        agency_id: String,
        /// The verifier's staff id, kept on the timeline's actor.
        #[arg(long)]
        officer: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn triage(command: TriageCommand) -> Result<()> {
    let TriageCommand::Assign {
        tracking_id,
        agency_id,
        officer,
        store,
    } = command;
    let id = TrackingId::parse(&tracking_id)
        .ok_or_else(|| format!("{tracking_id:?} is not a tracking id"))?;
    let system = open(&store).await?;
    let directory = load_directory(&*system.agencies).await?;
    let assigned = assign_report(
        &*system.app.store,
        &*system.examples,
        directory,
        &*system.app.clock,
        &id,
        &agency_id,
        officer,
    )
    .await
    .map_err(|e| e.to_string())?;
    let name = directory
        .get(&agency_id)
        .map(|a| a.name.as_str())
        .unwrap_or_default();
    if assigned.changed {
        println!(
            "{id} assigned to {agency_id} ({name}); status routed, version {}",
            assigned.report.version
        );
    } else {
        println!("{id} was already routed to {agency_id} ({name}); decision recorded");
    }
    println!("recorded as a routing example (run `lapor-local retrain` to learn from it)");
    Ok(())
}

#[derive(clap::Args)]
pub struct RetrainArgs {
    /// Folder of the labelled seed CSVs.
    #[arg(long, default_value_os_t = seed_dir())]
    seed_dir: PathBuf,
    /// Train and report, but do not publish.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn retrain(args: RetrainArgs) -> Result<()> {
    let system = open(&args.store).await?;
    let seed = read_examples_dir(&args.seed_dir).map_err(|e| e.to_string())?;
    let directory = load_directory(&*system.agencies).await?;
    println!(
        "training on {} seed examples and the stored human decisions...",
        seed.len()
    );
    let retrained = models::retrain(&*system.examples, directory, seed).await?;
    let bytes = retrained.model.to_bytes().len();
    println!(
        "trained {} on {} seed + {} human examples in {:.1} s: {} bytes, threshold {:.2}",
        retrained.model.version(),
        retrained.seed_examples,
        retrained.human_examples,
        retrained.training.as_secs_f64(),
        bytes,
        retrained.model.threshold()
    );
    if args.dry_run {
        println!("dry run: not published");
        return Ok(());
    }
    let previous = system.models.current_version().await?;
    let load = models::publish(&*system.models, &retrained.model)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "published {} ({} bytes; was {}); loading it as a function does: fetch {:.1} ms, decode {:.1} ms",
        load.version,
        load.bytes,
        previous.as_deref().unwrap_or("the compiled-in model"),
        load.fetch.as_secs_f64() * 1e3,
        load.decode.as_secs_f64() * 1e3
    );
    println!(
        "routers pick it up at their next check (every 5 minutes in Lambda, every minute locally)"
    );
    Ok(())
}

/// The key `serve` checks staff tokens with and `mint-token` signs them with.
pub fn local_signer(data_dir: &Path) -> Result<LocalSigner> {
    let path = LocalSigner::key_path(data_dir);
    LocalSigner::load_or_create(&path)
        .map_err(|e| format!("signing key {}: {e}", path.display()).into())
}

#[derive(clap::Args)]
pub struct MintTokenArgs {
    /// `officer` (works one agency's reports; needs --agency) or `verifier` (national triage).
    #[arg(long, value_parser = parse_role)]
    role: StaffRole,
    /// The officer's institution id in the directory (see GET /v1/agencies?q=...).
    #[arg(long)]
    agency: Option<String>,
    /// The staff member's id, the token's `sub`.
    #[arg(long)]
    sub: String,
    /// How long the token is valid.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=720))]
    hours: u32,
    /// The data dir `serve` runs on: its signing key signs the token (created if missing).
    #[arg(long, default_value = "./.lapor", env = "LAPOR_DATA_DIR")]
    data_dir: PathBuf,
}

fn parse_role(value: &str) -> std::result::Result<StaffRole, String> {
    StaffRole::parse(value).ok_or_else(|| format!("{value:?} is not officer or verifier"))
}

/// Prints the token alone on stdout; what it says goes to stderr.
pub fn mint_token(args: &MintTokenArgs) -> Result<()> {
    if let Some(agency) = &args.agency {
        if Directory::builtin().get(agency).is_none() {
            return Err(format!(
                "{agency:?} is not an agency of the directory (see GET /v1/agencies?q=...)"
            )
            .into());
        }
    }
    let claims = StaffClaims::new(args.sub.clone(), args.role, args.agency.clone()).map_err(
        |e| match e {
            lapor::auth::AuthError::OfficerWithoutAgency => {
                "an officer needs --agency <agency id>".to_string()
            }
            lapor::auth::AuthError::VerifierWithAgency => {
                "verifiers are national: drop --agency".to_string()
            }
            other => format!("--sub: {other}"),
        },
    )?;
    let signer = local_signer(&args.data_dir)?;
    let now = chrono::Utc::now();
    let valid_for = std::time::Duration::from_secs(u64::from(args.hours) * 3600);
    println!("{}", signer.mint(&claims, now, valid_for));
    eprintln!(
        "{} token for {}{}, valid {} h; send it as `Authorization: Bearer <token>`",
        claims.role,
        claims.sub,
        claims
            .agency_id
            .as_deref()
            .map(|a| format!(" of {a}"))
            .unwrap_or_default(),
        args.hours
    );
    Ok(())
}
