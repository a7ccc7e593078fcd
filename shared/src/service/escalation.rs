//! The escalation pass: every report whose `due_at` passed, read through the sparse due index
//! (never a scan: a pass reads the due reports, not the table), gets what its missed deadline
//! calls for:
//!
//! | missed | action |
//! |---|---|
//! | routing grace, still `received` | queued for the router again (heals a failed queue send) |
//! | verification (`received`, `needs_triage`) | escalated to the national verifiers |
//! | follow-up (`dispositioned`, `in_progress`) | the holder keeps it; the next supervisor is added: the institution over its work unit -> the parent institution -> the national verifiers (then it leaves the due index: `deadlines::due_at`) |
//! | auto-close (`responded`) | closed |
//! | the reporter's answer (`deferred`) | archived, reason `no_answer` |
//!
//! Each change is a lifecycle action written conditionally on the version read, so two passes at
//! once, or a retried one, act once per deadline: the loser's write is refused and counted as a
//! conflict. A handled report leaves the due window (its next deadline is later), so a pass that
//! stops at its bound leaves the rest for the next one, which starts where this one ended.

use super::sweep::requeue;
use super::App;
use crate::deadlines::Step;
use crate::directory::Directory;
use crate::domain::{Actor, Report, Status};
use crate::lifecycle::{self, Action, Context};
use crate::ports::{StoreError, UpdateError};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;

/// How much one pass does.
#[derive(Debug, Clone, Copy)]
pub struct PassLimits {
    /// Reports read per index page.
    pub batch: usize,
    /// Reports handled before the pass stops (a Lambda invocation's share; the next pass goes on).
    pub max_reports: usize,
}

impl Default for PassLimits {
    fn default() -> PassLimits {
        PassLimits {
            batch: 100,
            max_reports: 2_000,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct PassStats {
    /// Items the due index returned: the cost of the pass.
    pub items_read: u64,
    /// Reports found due.
    pub due: u64,
    pub requeued: u64,
    pub escalated: u64,
    pub auto_closed: u64,
    pub archived: u64,
    /// `due_at` moved to the deadline without acting (it was stale).
    pub rescheduled: u64,
    /// Someone else changed the report first (another pass, an officer): nothing done here.
    pub conflicts: u64,
    /// The pass stopped at `max_reports` with reports still due.
    pub more: bool,
}

/// What a pass does (or, in a dry run, would do) to one report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planned {
    pub tracking_id: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missed: Option<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// `requeue`, `reschedule`, or a lifecycle action name (`escalate`, `auto_close`...).
    pub action: &'static str,
}

enum Plan {
    Requeue,
    Reschedule,
    Act(Action),
}

fn plan(report: &Report, as_of: DateTime<Utc>) -> Plan {
    let missed = report.deadline.filter(|d| d.at <= as_of);
    match (missed.map(|d| d.step), report.status) {
        (Some(Step::Verification), Status::Received | Status::NeedsTriage)
        | (Some(Step::FollowUp), Status::Dispositioned | Status::InProgress) => {
            Plan::Act(Action::Escalate {})
        }
        (Some(Step::AutoClose), Status::Responded) => Plan::Act(Action::AutoClose {}),
        (Some(Step::DeferredAnswer), Status::Deferred) => Plan::Act(Action::ArchiveUnanswered {}),
        (None, Status::Received) => Plan::Requeue,
        _ => Plan::Reschedule,
    }
}

fn describe(report: &Report, plan: &Plan) -> Planned {
    Planned {
        tracking_id: report.tracking_id.to_string(),
        status: report.status,
        missed: report.deadline.map(|d| d.step),
        deadline: report.deadline.map(|d| d.at),
        action: match plan {
            Plan::Requeue => "requeue",
            Plan::Reschedule => "reschedule",
            Plan::Act(action) => action.name(),
        },
    }
}

/// What a dry run would do as of `as_of`, for the first `limit` due reports. Writes nothing.
pub async fn dry_run(
    app: &App,
    as_of: DateTime<Utc>,
    limit: usize,
) -> Result<(Vec<Planned>, u64), StoreError> {
    let page = app.store.due(as_of, limit).await?;
    let plans = page
        .reports
        .iter()
        .map(|r| describe(r, &plan(r, as_of)))
        .collect();
    Ok((plans, page.items_read))
}

/// One pass as of `as_of` (normally now; the event times and new deadlines count from it).
pub async fn run_pass(
    app: &App,
    as_of: DateTime<Utc>,
    limits: PassLimits,
) -> Result<PassStats, StoreError> {
    let mut stats = PassStats::default();
    let actor = Actor::System {
        component: "escalation".into(),
    };
    // One directory for the whole pass: escalation follows its hierarchy.
    let directory = app.directory.current().await;
    let directory = &*directory;
    let mut handled = 0usize;
    loop {
        if handled >= limits.max_reports {
            stats.more = true;
            break;
        }
        let page = app
            .store
            .due(as_of, limits.batch.min(limits.max_reports - handled))
            .await?;
        stats.items_read += page.items_read;
        if page.reports.is_empty() {
            break;
        }
        let mut progressed = false;
        handled += page.reports.len();
        stats.due += page.reports.len() as u64;
        // The reports of a page are independent: handled concurrently, their writes share the
        // stores' commits (and DynamoDB's round trips overlap).
        let outcomes: Vec<Result<Outcome, StoreError>> =
            futures::stream::iter(page.reports.into_iter().map(|report| {
                let actor = &actor;
                async move { handle(app, directory, actor, report, as_of).await }
            }))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for outcome in outcomes {
            let outcome = outcome?;
            stats.add(outcome);
            if outcome != Outcome::Lost {
                progressed = true;
            }
        }
        // A page where nothing could change would come back the same: leave it to the next pass.
        if !progressed {
            stats.more = true;
            break;
        }
    }
    if stats.due > 0 {
        tracing::info!(
            due = stats.due,
            items_read = stats.items_read,
            escalated = stats.escalated,
            auto_closed = stats.auto_closed,
            archived = stats.archived,
            requeued = stats.requeued,
            conflicts = stats.conflicts,
            more = stats.more,
            "escalation pass"
        );
    }
    Ok(stats)
}

/// Reports of one page handled at once.
const CONCURRENCY: usize = 16;

/// What happened to one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Requeued,
    Rescheduled,
    Escalated,
    AutoClosed,
    Archived,
    /// Someone else changed the report first.
    Lost,
}

impl PassStats {
    fn add(&mut self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Requeued => &mut self.requeued,
            Outcome::Rescheduled => &mut self.rescheduled,
            Outcome::Escalated => &mut self.escalated,
            Outcome::AutoClosed => &mut self.auto_closed,
            Outcome::Archived => &mut self.archived,
            Outcome::Lost => &mut self.conflicts,
        };
        *counter += 1;
    }
}

async fn handle(
    app: &App,
    directory: &Directory,
    actor: &Actor,
    report: Report,
    as_of: DateTime<Utc>,
) -> Result<Outcome, StoreError> {
    let (next, outcome) = match plan(&report, as_of) {
        Plan::Requeue => {
            let outcome = match requeue(app, report, as_of).await? {
                true => Outcome::Requeued,
                false => Outcome::Lost,
            };
            return Ok(outcome);
        }
        Plan::Reschedule => {
            let mut next = report;
            next.due_at = crate::deadlines::due_at(&next, None);
            next.version += 1;
            // A report made due by a lost send (the AWS family marks it so) gets its latest
            // notice published again; one from a while ago is not re-sent (the notifier's
            // memory of sent notices is finite).
            let recent = next
                .timeline
                .last()
                .is_some_and(|e| as_of - e.at < crate::ports::DELIVERY_MEMORY / 2);
            let messages = if recent {
                super::publish::announcements(&app.pii, directory, &next)
            } else {
                Vec::new()
            };
            return match app.store.update_and_publish(&next, &messages).await {
                Ok(()) => Ok(Outcome::Rescheduled),
                Err(UpdateError::Conflict) => Ok(Outcome::Lost),
                Err(UpdateError::Store(e)) => Err(e),
            };
        }
        Plan::Act(action) => {
            let ctx = Context {
                now: as_of,
                directory,
                deadlines: &app.deadlines,
            };
            let outcome = match action {
                Action::Escalate {} => Outcome::Escalated,
                Action::AutoClose {} => Outcome::AutoClosed,
                _ => Outcome::Archived,
            };
            match lifecycle::apply(&report, actor, &action, None, &ctx) {
                Ok(next) => (next, outcome),
                Err(e) => {
                    // The plan only picks what the state machine allows: a bug; log it and
                    // take the report out of the due window so it does not block the pass.
                    tracing::error!(tracking_id = %report.tracking_id, error = %e,
                        "escalation action refused");
                    let mut next = report;
                    next.due_at = None;
                    next.version += 1;
                    return Ok(match app.store.update(&next).await {
                        Ok(()) => Outcome::Rescheduled,
                        Err(UpdateError::Conflict) => Outcome::Lost,
                        Err(UpdateError::Store(e)) => return Err(e),
                    });
                }
            }
        }
    };
    let notices = super::publish::notices(&next, next.timeline.len() - 1, directory);
    match app.store.update_and_publish(&next, &notices).await {
        Ok(()) => Ok(outcome),
        // Another pass or a person acted on it first: nothing to do here.
        Err(UpdateError::Conflict) => Ok(Outcome::Lost),
        Err(UpdateError::Store(e)) => Err(e),
    }
}
