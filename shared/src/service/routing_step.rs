//! The router's work for one queued message: decide, assign, record, and tell the reporter.
//! Idempotent: a report that is no longer `received` is left alone (but for its notice, queued
//! again if the router's decision is still its last event), and the write is conditional on the
//! version read.

use super::publish::notice;
use super::RouteRequest;
use crate::deadlines::Deadlines;
use crate::directory::Directory;
use crate::directory::LiveDirectory;
use crate::domain::{Actor, Report, Status};
use crate::lifecycle::{self, Action, Context};
use crate::ports::{Clock, MessageQueue, QueueError, ReportStore, StoreError, UpdateError};
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
    /// The state machine refused the router's change: a bug, logged; the message comes back
    /// and ends in the dead-letter queue.
    #[error("the lifecycle refused the routing: {0}")]
    Refused(#[from] lifecycle::LifecycleError),
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
                queue.send(message.queue, &message.body).await?;
            }
            return Ok(RouteOutcome::NothingToDo);
        }
        let (mut updated, outcome) = apply_decision(
            report,
            &*router.clock,
            engine,
            &router.deadlines,
            &directory,
        )?;
        if let RouteOutcome::Routed { agency_id } = &outcome {
            updated.possible_duplicates =
                super::duplicates::for_placed(store, agency_id, &updated).await;
        }
        let message = notice(&updated, updated.timeline.len() - 1, &directory);
        match store
            .update_and_publish(&updated, std::slice::from_ref(&message))
            .await
        {
            Ok(()) => {
                tracing::info!(tracking_id = %updated.tracking_id, status = updated.status.as_str(),
                    agency_id = updated.agency_id.as_deref().unwrap_or(""), "report routed");
                return Ok(outcome);
            }
            Err(UpdateError::Conflict) => continue,
            Err(UpdateError::Store(e)) => return Err(e.into()),
        }
    }
    Ok(RouteOutcome::NothingToDo)
}

/// The pure part: the report after the engine's decision, through the state machine like every
/// other change (the router is the system's `route` or `send_to_triage`).
pub fn apply_decision(
    report: Report,
    clock: &dyn Clock,
    engine: &RoutingEngine,
    deadlines: &Deadlines,
    directory: &Directory,
) -> Result<(Report, RouteOutcome), lifecycle::LifecycleError> {
    let decision = engine.route(&RouteQuery {
        kind: report.kind,
        title: &report.title,
        body: &report.body,
        category: report.category.as_deref(),
        region_code: report.location.region_code.as_deref(),
        location_text: report.location.text.as_deref(),
        target_agency: report.target_agency.as_deref(),
    });
    let routing = decision.to_record();
    let (action, outcome) = match (&decision.decision, &decision.agency_id) {
        (Decision::Auto, Some(agency)) if directory.get(agency).is_some() => (
            Action::Route { routing },
            RouteOutcome::Routed {
                agency_id: agency.clone(),
            },
        ),
        _ => (Action::SendToTriage { routing }, RouteOutcome::SentToTriage),
    };
    let ctx = Context {
        now: clock.now(),
        directory,
        deadlines,
    };
    let actor = Actor::System {
        component: "router".into(),
    };
    let next = lifecycle::apply(&report, &actor, &action, None, &ctx)?;
    Ok((next, outcome))
}
