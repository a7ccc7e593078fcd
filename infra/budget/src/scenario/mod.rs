//! One round: every subject in order on a fresh endpoint, later ones acting on what earlier ones
//! wrote (intake's reports, the router's decisions, channels' receipts).
//!
//! - [`reports`]: the floor, then the public's and the reporter's side (intake, status, router,
//!   the public feed, the web's tracking page, Open311, the directory search);
//! - [`staff`]: the institutions' side (the officers' inbox and action, the reporter's reply,
//!   the escalation pass);
//! - [`channels`]: a report by SMS and the notices that answer it.

mod channels;
pub mod events;
mod reports;
mod staff;

use crate::cli::Args;
use crate::fake_aws::FakeAws;
use crate::measure::{percentile, Figures, Measure};
use crate::settings::{self, Setup};
use crate::subject::{http_body, Events, Expect, Subject};
use anyhow::{ensure, Context, Result};
use events::Staff;
use lapor::template::Template;
use serde_dynamo::{AttributeValue, Item};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One pass over every subject, on a fresh endpoint; the figures in measuring order.
pub async fn measure_round(
    args: &Args,
    bin_dir: &Path,
    log_dir: &Path,
    round: usize,
) -> Result<Vec<Figures>> {
    let mut round = Round::start(args, bin_dir, log_dir, round).await?;
    round.hello().await?;
    let first = round.intake().await?;
    round.status(&first).await?;
    let holder = round.router(&first).await?;
    round.feed().await?;
    round.web(&first).await?;
    round.open311(&first).await?;
    round.directory().await?;
    let staff = Staff::of_holder(holder);
    round.agency_inbox(&staff).await?;
    round.agency_action(&staff, &first).await?;
    round.reporter(&first).await?;
    round.escalation(&first).await?;
    let receipts = round.channels().await?;
    round.notifier(&receipts).await?;
    round.finish()
}

/// The report intake answered first: the one the later subjects act on.
pub struct FirstReport {
    pub tracking_id: String,
    /// The reporter's access token.
    pub token: String,
}

struct Round<'a> {
    args: &'a Args,
    bin_dir: &'a Path,
    log_dir: PathBuf,
    aws: FakeAws,
    setup: Setup,
    /// This round's PII key (the secret `PII_KEY_SECRET_ID` names).
    pii: String,
    figures: Vec<Figures>,
}

impl<'a> Round<'a> {
    async fn start(
        args: &'a Args,
        bin_dir: &'a Path,
        log_dir: &Path,
        round: usize,
    ) -> Result<Round<'a>> {
        let log_dir = match args.rounds() {
            1 => log_dir.to_path_buf(),
            _ => log_dir.join(format!("round-{}", round + 1)),
        };
        std::fs::create_dir_all(&log_dir).with_context(|| log_dir.display().to_string())?;
        let tables = settings::tables(&Template::builtin())?;
        let agencies = match args.empty_agencies {
            true => Vec::new(),
            false => agency_items(&tables.agencies.key)?,
        };
        let agency_count = agencies.len();
        let pii = settings::pii_key();
        let aws = FakeAws::start(tables, agencies, settings::secrets(&pii))
            .await
            .context("fake AWS endpoint")?;
        let setup = Setup::new(settings::variable_values(&aws))?;
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let load = load
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        eprintln!(
            "lapor-budget: round {}/{}: binaries in {}, {} cold runs + {} warm invocations each, \
             {agency_count} agencies in the agencies table, logs in {}, load average {load}",
            round + 1,
            args.rounds(),
            bin_dir.display(),
            args.cold_runs(),
            args.warm,
            log_dir.display(),
        );
        Ok(Round {
            args,
            bin_dir,
            log_dir,
            aws,
            setup,
            pii,
            figures: Vec::new(),
        })
    }

    /// The subject `name` of the template's function `logical_id`.
    fn subject(
        &self,
        logical_id: &str,
        name: &str,
        events: Events,
        expect: Expect,
    ) -> Result<Subject> {
        Ok(Subject::new(
            name,
            self.setup.function(logical_id)?,
            events,
            expect,
        ))
    }

    /// Measures a subject and adds its figures to the round's; returns its answers.
    async fn measure(&mut self, subject: Subject) -> Result<Vec<Value>> {
        let (figures, answers) =
            Measure::run(&subject, &self.aws, self.args, self.bin_dir, &self.log_dir).await?;
        eprintln!(
            "  {}: init p50 {:.1} ms, warm p50 {:.3} ms",
            figures.name,
            percentile(&figures.init_ms, 50.0),
            percentile(&figures.warm_ms, 50.0)
        );
        self.figures.push(figures);
        Ok(answers)
    }

    /// The bodies sent so far to the queue whose URL the variable `variable` holds.
    fn queue(&self, variable: &str) -> Vec<String> {
        self.aws.messages(&self.setup.values[variable])
    }

    /// The round's figures, once the endpoint has answered everything it was asked.
    fn finish(self) -> Result<Vec<Figures>> {
        let problems = self.aws.problems();
        ensure!(
            problems.is_empty(),
            "the fake AWS endpoint could not answer: {problems:#?}"
        );
        Ok(self.figures)
    }
}

/// A listing answer (`reports`) with exactly `page` reports.
fn listing(page: usize, what: &'static str) -> Expect {
    Box::new(move |answer| {
        let body = http_body(answer, 200)?;
        let listed = body["reports"].as_array().map_or(0, Vec::len);
        ensure!(
            listed == page,
            "expected {page} reports in the {what}, got {body}"
        );
        Ok(())
    })
}

/// The string attribute `name` of an item.
fn string<'i>(item: &'i Item, name: &str) -> Option<&'i str> {
    crate::fake_aws::dynamodb::string(item, name)
}

/// The seeded directory (`lapor-local seed` writes `builtin_agencies()`), as the DynamoDB
/// adapter stores it: the agency's document plus its key attribute.
fn agency_items(key: &str) -> Result<Vec<Item>> {
    let agencies = lapor::directory::builtin_agencies();
    let each = agencies.iter().map(|agency| {
        let mut item: Item = serde_dynamo::to_item(agency)?;
        item.insert(key.to_string(), AttributeValue::S(agency.id.clone()));
        Ok(item)
    });
    each.collect()
}
