//! `lapor-local escalate`: one escalation pass as of a given time (operators' dry runs, tests),
//! and `lapor-local bench-escalation`: what one pass costs when few of many reports are due.

use crate::backend::{self, Backend};
use crate::StoreArgs;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration as Span, Utc};
use lapor::deadlines::Step;
use lapor::domain::submission::NewReport;
use lapor::domain::{Channel, Deadline, Location, Report, ReportKind, Status};
use lapor::service::escalation::{dry_run, run_pass, PassLimits};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct EscalateArgs {
    /// The moment the pass runs as of (RFC 3339, e.g. 2026-01-19T17:00:00+07:00); default now.
    #[arg(long)]
    now: Option<String>,
    /// Print what the pass would do, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Reports read per index page.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Reports handled before the pass stops (the next pass goes on).
    #[arg(long, default_value_t = 2_000)]
    max: usize,
    #[command(flatten)]
    store: StoreArgs,
}

fn parse_time(text: Option<&str>) -> Result<DateTime<Utc>> {
    match text {
        None => Ok(Utc::now()),
        Some(t) => Ok(DateTime::parse_from_rfc3339(t)
            .with_context(|| format!("--now {t:?} is not an RFC 3339 time"))?
            .with_timezone(&Utc)),
    }
}

pub async fn escalate(args: EscalateArgs) -> Result<()> {
    let as_of = parse_time(args.now.as_deref())?;
    if args.batch == 0 || args.max == 0 {
        bail!("--batch and --max must be at least 1");
    }
    let system = crate::commands::open(&args.store).await?;
    if args.dry_run {
        let (plans, items_read) = dry_run(&system.app, as_of, args.max).await?;
        println!(
            "{}",
            serde_json::json!({"as_of": as_of, "dry_run": true, "items_read": items_read, "would": plans})
        );
        return Ok(());
    }
    let limits = PassLimits {
        batch: args.batch,
        max_reports: args.max,
    };
    let stats = run_pass(&system.app, as_of, limits).await?;
    println!("{}", serde_json::json!({"as_of": as_of, "pass": stats}));
    Ok(())
}

#[derive(clap::Args)]
pub struct BenchEscalationArgs {
    /// Reports in the store.
    #[arg(long, default_value_t = 100_000)]
    reports: usize,
    /// Of which due now.
    #[arg(long, default_value_t = 100)]
    due: usize,
    /// Writers seeding the store.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Which storage family (aws: needs --provision and the AWS_ENDPOINT_URL_* servers).
    #[arg(long, value_enum, default_value_t = Backend::Embedded)]
    backend: Backend,
    #[arg(long, value_name = "PREFIX")]
    provision: Option<String>,
}

/// A report as the lifecycle leaves it in `status`, with its deadline at `deadline`.
fn seeded(i: usize, status: Status, deadline: Deadline, now: DateTime<Utc>) -> Report {
    let mut report = Report::received(
        NewReport {
            kind: ReportKind::Complaint,
            title: format!("Jalan berlubang nomor {i}"),
            body: format!(
                "Jalan di gang {i} berlubang besar sejak bulan lalu dan membahayakan pengendara motor."
            ),
            category: None,
            location: Location {
                region_code: Some("32.73".into()),
                ..Default::default()
            },
            incident_date: None,
            target_agency: None,
            channel: Channel::Web,
            reporter: Default::default(),
            anonymous: false,
            confidential: false,
        },
        None,
        "0".repeat(64),
        now - Span::days(30),
    );
    report.status = status;
    report.agency_id = (status != Status::NeedsTriage).then(|| "pemda-32.73".to_string());
    report.deferred_from = (status == Status::Deferred).then_some(Status::InProgress);
    report.updated_at = now - Span::days(20);
    report.deadline = Some(deadline);
    report.due_at = Some(deadline.at);
    report.version = 3;
    report
}

pub async fn bench(args: BenchEscalationArgs) -> Result<()> {
    if args.due > args.reports {
        bail!("--due cannot exceed --reports");
    }
    let dir = std::env::temp_dir().join(format!("lapor-bench-escalation-{}", std::process::id()));
    let system = backend::build(args.backend, &dir, args.provision.as_deref()).await?;
    let app = system.app.clone();
    let now = Utc::now();
    // Due ones spread over the four kinds of missed deadline; the rest due in the future.
    let kinds = [
        (Status::NeedsTriage, Step::Verification),
        (Status::Dispositioned, Step::FollowUp),
        (Status::Responded, Step::AutoClose),
        (Status::Deferred, Step::DeferredAnswer),
    ];
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut writers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (app, next) = (app.clone(), next.clone());
        let (total, due) = (args.reports, args.due);
        writers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), lapor::ports::InsertError>(());
                }
                let report = if i < due {
                    let (status, step) = kinds[i % kinds.len()];
                    let at = now - Span::hours(1) - Span::minutes(i as i64);
                    seeded(i, status, Deadline { step, at }, now)
                } else {
                    let at = now + Span::days(1 + (i % 20) as i64);
                    let deadline = Deadline {
                        step: Step::FollowUp,
                        at,
                    };
                    seeded(i, Status::InProgress, deadline, now)
                };
                app.store.insert(&report, None).await?;
            }
        }));
    }
    for w in writers {
        w.await??;
    }
    let seeding = started.elapsed();
    eprintln!(
        "seeded {} reports ({} due) in {:.1} s",
        args.reports,
        args.due,
        seeding.as_secs_f64()
    );

    let pass_started = Instant::now();
    let stats = run_pass(&app, now, PassLimits::default()).await?;
    let took = pass_started.elapsed();
    let per_due = stats.items_read as f64 / stats.due.max(1) as f64;
    println!("reports in store      {}", args.reports);
    println!("due                   {}", stats.due);
    println!("items read            {}", stats.items_read);
    println!("reads per due report  {per_due:.3}  (target < 1.2)");
    println!(
        "acted                 {} escalated, {} closed, {} archived",
        stats.escalated, stats.auto_closed, stats.archived
    );
    println!("pass duration         {:.1} ms", took.as_secs_f64() * 1e3);
    let again = run_pass(&app, now, PassLimits::default()).await?;
    println!(
        "second pass           {} due, {} items read (a handled report leaves the index)",
        again.due, again.items_read
    );
    if args.backend == Backend::Embedded {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
