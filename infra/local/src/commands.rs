//! Operators' commands on the directory and the routing model: `seed`, `triage assign`,
//! `retrain`. Each works on the same system `serve` runs (embedded or AWS). And `mint-token`,
//! the local stand-in for the staff identity provider.

use crate::backend::{self, System};
use crate::tokens::LocalSigner;
use crate::StoreArgs;
use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use lapor::auth::{StaffClaims, StaffRole};
use lapor::directory::{read_additions_csv, Directory};
use lapor::domain::TrackingId;
use lapor::routing::model::{read_examples_dir, seed_dir};
use lapor::service::agencies::{publish_directory, DirectoryApi};
use lapor::service::learning::assign_report;
use lapor::service::models;
use std::path::{Path, PathBuf};

pub async fn open(args: &StoreArgs) -> Result<System> {
    backend::build(args.backend, &args.data_dir, args.provision.as_deref()).await
}

#[derive(clap::Args)]
pub struct SeedArgs {
    /// Institutions and work units to publish beside the compiled-in directory: a CSV with the
    /// header id,name,acronym,kind,parent_id,region_code,scope,aliases (aliases separated by ;).
    #[arg(long, value_name = "FILE.csv")]
    extra: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
}

/// `lapor-local stats-backfill`: counts the reports stored before the statistics.
pub async fn stats_backfill(args: StoreArgs) -> Result<()> {
    let system = open(&args).await?;
    let done = system.app.store.backfill_statistics().await?;
    println!(
        "{} reports read, {} counted now, {} skipped{}",
        done.read,
        done.counted,
        done.skipped,
        if done.skipped > 0 {
            " (they changed meanwhile or do not decode: run again)"
        } else {
            ""
        }
    );
    Ok(())
}

/// `lapor-local seed [--extra FILE]`: publishes the directory (the compiled-in one, with the
/// file's additions) with a progress bar. Idempotent; running functions pick it up at their next
/// check.
pub async fn seed(args: SeedArgs) -> Result<()> {
    let additions = match &args.extra {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            read_additions_csv(&text)
                .map_err(anyhow::Error::msg)
                .with_context(|| path.display().to_string())?
        }
        None => Vec::new(),
    };
    let system = open(&args.store).await?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("seeding agencies {bar:40} {pos} ({elapsed})")
            .expect("valid progress template"),
    );
    let published = publish_directory(&*system.agencies, &additions, |n| bar.inc(n as u64)).await?;
    bar.finish();
    println!(
        "published {} agencies ({} added to the compiled-in directory) as version {}",
        published.agencies,
        additions.len(),
        published.version
    );
    Ok(())
}

/// The directory API on the system's directory and the router's model.
pub fn directory_api(system: &System) -> DirectoryApi {
    DirectoryApi {
        directory: system.app.directory.clone(),
        engine: system.router.engine.clone(),
        reports: Some(system.app.store.clone()),
    }
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
        .with_context(|| format!("{tracking_id:?} is not a tracking id"))?;
    let system = open(&store).await?;
    let directory = system.app.directory.current().await;
    let assigned = assign_report(&system.app, &id, &agency_id, officer).await?;
    let name = directory
        .get(&agency_id)
        .map(|a| a.name.as_str())
        .unwrap_or_default();
    // The status by its current name and LAPOR's bucket, as the API shows them.
    let status = assigned.report.status;
    let status = format!("{} ({})", status.as_str(), status.label().id);
    if assigned.changed {
        println!(
            "{id} assigned to {agency_id} ({name}); status {status}, version {}",
            assigned.report.version
        );
    } else {
        println!("{id} was already with {agency_id} ({name}); status {status}; decision recorded");
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
    let seed = read_examples_dir(&args.seed_dir)?;
    let directory = system.app.directory.current().await;
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
    let load = models::publish(&*system.models, &retrained.model).await?;
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
    LocalSigner::load_or_create(&path).with_context(|| format!("signing key {}", path.display()))
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
        // The compiled-in directory: minting opens no store (an institution added to the table
        // is not checked here; the functions check the claims against their directory).
        #[allow(clippy::disallowed_methods)]
        let directory = Directory::builtin();
        if directory.get(agency).is_none() {
            bail!("{agency:?} is not an agency of the directory (see GET /v1/agencies?q=...)");
        }
    }
    let claims = StaffClaims::new(args.sub.clone(), args.role, args.agency.clone()).map_err(
        |e| match e {
            lapor::auth::AuthError::OfficerWithoutAgency => {
                anyhow!("an officer needs --agency <agency id>")
            }
            lapor::auth::AuthError::VerifierWithAgency => {
                anyhow!("verifiers are national: drop --agency")
            }
            other => anyhow!("--sub: {other}"),
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

#[derive(clap::Args)]
pub struct RestTemplateArgs {
    /// The template to derive from: template.yaml, or what `sam build` wrote from it (default:
    /// the template this binary was built with).
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// Where to write the variant (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `rest-template`: the template with its HTTP API replaced by a REST API
/// (`lapor::rest_variant`), for LocalStack's community edition.
pub fn rest_template(args: &RestTemplateArgs) -> Result<()> {
    let source = match &args.template {
        Some(path) => std::fs::read_to_string(path).with_context(|| path.display().to_string())?,
        None => lapor::template::TEMPLATE_YAML.to_string(),
    };
    let variant = lapor::rest_variant::rest_variant(&source)?;
    match &args.out {
        Some(path) => std::fs::write(path, variant).with_context(|| path.display().to_string()),
        None => {
            print!("{variant}");
            Ok(())
        }
    }
}

#[derive(clap::Args)]
pub struct IssueApiKeyArgs {
    /// The system the key is for, e.g. "SP4N Dinas PU Kota Bandung" (kept with the key's hash).
    #[arg(long)]
    name: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// `lapor-local issue-api-key --name NAME`: prints a new Open311 API key once; only its hash is
/// stored.
pub async fn issue_api_key(args: IssueApiKeyArgs) -> Result<()> {
    let system = open(&args.store).await?;
    let now = system.app.clock.now();
    let key = lapor::open311::keys::issue(&*system.api_keys, &args.name, now).await?;
    eprintln!(
        "Open311 API key for {:?} (shown once; only its SHA-256 is stored; it may submit \
         requests and nothing else):",
        args.name.trim()
    );
    println!("{key}");
    Ok(())
}
