//! Learning from people: every human decision that sets or changes a report's institution is
//! stored as a labelled example, and the retrain job (`service::models::retrain`) learns from it.
//!
//! [`record_routing_decision`] is what every such decision calls (the verifiers' and officers'
//! API of the lifecycle will); [`assign_report`] is the verifier's assignment that uses it today
//! (`lapor-local triage assign`).

use crate::directory::Directory;
use crate::domain::{Actor, Report, Status, TimelineEvent, TrackingId};
use crate::ports::{
    Clock, ReportStore, RoutingExample, RoutingExampleStore, StoreError, UpdateError,
};
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum LearningError {
    #[error("only verifiers and officers make routing decisions")]
    NotAHumanDecision,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores the decision "`report` belongs to `agency_id`", made by `actor`, as a labelled
/// example. `report` is the report as stored right after the decision: its version keys the
/// example (recording the same decision again overwrites it) and its `routing` record (the
/// router's earlier decision) is kept for audit. The reporter's identity is never copied.
pub async fn record_routing_decision(
    store: &dyn RoutingExampleStore,
    report: &Report,
    agency_id: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> Result<RoutingExample, LearningError> {
    if !matches!(actor, Actor::Verifier { .. } | Actor::Officer { .. }) {
        return Err(LearningError::NotAHumanDecision);
    }
    let example = RoutingExample {
        tracking_id: report.tracking_id.clone(),
        decided_version: report.version,
        kind: report.kind,
        title: report.title.clone(),
        body: report.body.clone(),
        region_code: report.location.region_code.clone(),
        location_text: report.location.text.clone(),
        expected_agency: agency_id.to_string(),
        router_decision: report.routing.clone(),
        actor: actor.clone(),
        recorded_at: at,
    };
    store.put_example(&example).await?;
    tracing::info!(tracking_id = %report.tracking_id, agency_id, "routing decision recorded for learning");
    Ok(example)
}

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("no report with this tracking id")]
    NotFound,
    #[error("{0} is not an institution of the directory")]
    UnknownAgency(String),
    #[error("a report in status {0} cannot be assigned (only needs_triage or routed)")]
    NotAssignable(&'static str),
    #[error("the report changed since it was read; look again and retry")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<LearningError> for AssignError {
    fn from(e: LearningError) -> AssignError {
        match e {
            LearningError::Store(e) => AssignError::Store(e),
            LearningError::NotAHumanDecision => AssignError::Store(StoreError::Corrupt(
                "assignment without a human actor".into(),
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Assigned {
    pub report: Report,
    /// False when the report was already routed to this institution (a confirmation: the
    /// report is unchanged, the decision is still recorded as an example).
    pub changed: bool,
    pub example: RoutingExample,
}

/// A verifier assigns a `needs_triage` (or `routed`) report to an institution: status `routed`,
/// a timeline event with the verifier as actor, a write conditional on the version read, and the
/// decision recorded as a labelled example. Safe to re-run: the same assignment again changes
/// nothing and records the same example.
pub async fn assign_report(
    reports: &dyn ReportStore,
    examples: &dyn RoutingExampleStore,
    directory: &Directory,
    clock: &dyn Clock,
    tracking_id: &TrackingId,
    agency_id: &str,
    officer_id: Option<String>,
) -> Result<Assigned, AssignError> {
    let agency = directory
        .get(agency_id)
        .ok_or_else(|| AssignError::UnknownAgency(agency_id.to_string()))?;
    let mut report = reports
        .get(tracking_id)
        .await?
        .ok_or(AssignError::NotFound)?;
    let actor = Actor::Verifier { officer_id };
    let now = clock.now();
    let changed = match report.status {
        Status::Dispositioned if report.agency_id.as_deref() == Some(agency.id.as_str()) => false,
        Status::Dispositioned | Status::NeedsTriage => {
            let action = if report.status == Status::Dispositioned {
                "reassigned"
            } else {
                "assigned"
            };
            report.status = Status::Dispositioned;
            report.agency_id = Some(agency.id.clone());
            report.due_at = None;
            report.version += 1;
            report.record(TimelineEvent {
                at: now,
                actor: actor.clone(),
                action: action.into(),
                agency_id: Some(agency.id.clone()),
                status: Some(Status::Dispositioned),
                note: None,
                action_id: None,
            });
            match reports.update(&report).await {
                Ok(()) => {}
                Err(UpdateError::Conflict) => return Err(AssignError::Conflict),
                Err(UpdateError::Store(e)) => return Err(e.into()),
            }
            tracing::info!(tracking_id = %report.tracking_id, agency_id = %agency.id, action, "report assigned by a verifier");
            true
        }
        other => return Err(AssignError::NotAssignable(other.as_str())),
    };
    let example = record_routing_decision(examples, &report, &agency.id, &actor, now).await?;
    Ok(Assigned {
        report,
        changed,
        example,
    })
}
