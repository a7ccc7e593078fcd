//! The router's work for one queued message: decide, assign, record, and tell the reporter.
//! Idempotent: a report that is no longer `received` is left alone (but for its notice, queued
//! again if the router's decision is still its last event), and the write is conditional on the
//! version read.

use super::RouteRequest;
use crate::deadlines::Deadlines;
use crate::directory::Directory;
use crate::directory::LiveDirectory;
use crate::domain::{Actor, Report, Status, TimelineEvent};
use crate::lifecycle::notification;
use crate::ports::{
    Clock, MessageQueue, QueueError, QueueName, ReportStore, StoreError, UpdateError,
};
use crate::routing::{Decision, RouteQuery, RoutingEngine};
use crate::service::models::LiveEngine;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteOutcome {
    Routed {
        agency_id: String,
    },
    SentToTriage,
    /// Already handled by an earlier delivery, or the report does not exist.
    NothingToDo,
}

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// Not a message this queue should carry: retrying will not help (it ends in the DLQ).
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The decision is stored but its notice is not queued: the message comes back, and the
    /// retry queues the notice.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// What the router works with: the services' [`super::App`] but for the PII key, which the
/// router never needs (a notice carries the contact sealed as stored), so it is not given one.
#[derive(Clone)]
pub struct Router {
    pub store: Arc<dyn ReportStore>,
    /// Where the reporter's notices go.
    pub queue: Arc<dyn MessageQueue>,
    pub clock: Arc<dyn Clock>,
    pub deadlines: Arc<Deadlines>,
    pub directory: Arc<LiveDirectory>,
    /// The published model (re-checked every few minutes), or the compiled-in one.
    pub engine: Arc<LiveEngine>,
}

pub async fn route_message(
    router: &Router,
    engine: &RoutingEngine,
    body: &str,
) -> Result<RouteOutcome, RouteError> {
    let (store, queue) = (&*router.store, &*router.queue);
    let directory = engine.directory().clone();
    let request: RouteRequest =
        serde_json::from_str(body).map_err(|e| RouteError::Malformed(e.to_string()))?;
    // Two tries: a conflict means someone changed the report in between; re-read and look again.
    for _ in 0..2 {
        let Some(report) = store.get(&request.tracking_id).await? else {
            tracing::warn!(tracking_id = %request.tracking_id, "queued report does not exist");
            return Ok(RouteOutcome::NothingToDo);
        };
        if report.status != Status::Received {
            // A redelivery after the notice failed to queue: queue it again (the notifier
            // drops repeats by notification id).
            let last = report.timeline.len().saturating_sub(1);
            let routers_last = report.timeline.last().is_some_and(
                |e| matches!(&e.actor, Actor::System { component } if component == "router"),
            );
            if routers_last {
                let message = notice(&report, last, &directory);
                queue.send(QueueName::Notifications, &message).await?;
            }
            return Ok(RouteOutcome::NothingToDo);
        }
        let (updated, outcome) = apply_decision(
            report,
            &*router.clock,
            engine,
            &router.deadlines,
            &directory,
        );
        let message = notice(&updated, updated.timeline.len() - 1, &directory);
        match store
            .update_and_queue(&updated, (QueueName::Notifications, &message))
            .await
        {
            Ok(queued) => {
                tracing::info!(tracking_id = %updated.tracking_id, status = updated.status.as_str(),
                    agency_id = updated.agency_id.as_deref().unwrap_or(""), "report routed");
                if !queued {
                    queue.send(QueueName::Notifications, &message).await?;
                }
                return Ok(outcome);
            }
            Err(UpdateError::Conflict) => continue,
            Err(UpdateError::Store(e)) => return Err(e.into()),
        }
    }
    Ok(RouteOutcome::NothingToDo)
}

fn notice(report: &Report, index: usize, directory: &Directory) -> String {
    serde_json::to_string(&notification(report, index, directory))
        .expect("a notification serialises")
}

/// The pure part: the report after the engine's decision.
pub fn apply_decision(
    mut report: Report,
    clock: &dyn Clock,
    engine: &RoutingEngine,
    deadlines: &Deadlines,
    directory: &Directory,
) -> (Report, RouteOutcome) {
    let before = report.clone();
    let decision = engine.route(&RouteQuery {
        kind: report.kind,
        title: &report.title,
        body: &report.body,
        category: report.category.as_deref(),
        region_code: report.location.region_code.as_deref(),
        location_text: report.location.text.as_deref(),
        target_agency: report.target_agency.as_deref(),
    });
    let now = clock.now();
    let (status, action, outcome) = match (&decision.decision, &decision.agency_id) {
        (Decision::Auto, Some(agency)) => (
            Status::Dispositioned,
            "routed",
            RouteOutcome::Routed {
                agency_id: agency.clone(),
            },
        ),
        _ => (
            Status::NeedsTriage,
            "sent_to_triage",
            RouteOutcome::SentToTriage,
        ),
    };
    report.status = status;
    report.agency_id = match status {
        Status::Dispositioned => decision.agency_id.clone(),
        _ => None,
    };
    report.routing = Some(decision.to_record());
    // Dispositioned: the institution's follow-up clock starts; triage: the verification clock
    // keeps running from receipt.
    report.deadline = deadlines.next(directory, &before, &report, now, false);
    report.due_at = crate::deadlines::due_at(&report, None);
    report.version += 1;
    report.record(TimelineEvent {
        at: now,
        actor: Actor::System {
            component: "router".into(),
        },
        action: action.into(),
        agency_id: report.agency_id.clone(),
        status: Some(status),
        note: Some(decision.reason.clone()),
        action_id: None,
    });
    (report, outcome)
}
