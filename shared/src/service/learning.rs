//! Learning from people: every human decision that sets or changes a report's institution is
//! stored as a labelled example, and the retrain job (`service::models::retrain`) learns from it.
//!
//! [`record_routing_decision`] is what every such decision calls (a verifier's `verify`, an
//! officer's `forward`); [`assign_report`] is the verifier's assignment from the operators'
//! command line (`lapor-local triage assign`), a `verify` like any other.

use crate::api::ServiceError;
use crate::domain::{Actor, Report, Status, TrackingId};
use crate::lifecycle::Action;
use crate::ports::{RoutingExample, RoutingExampleStore, StoreError};
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

#[derive(Debug, Clone)]
pub struct Assigned {
    pub report: Report,
    /// False when the report was already routed to this institution (a confirmation: the
    /// report is unchanged, the decision is still recorded as an example).
    pub changed: bool,
}

/// A verifier assigns a report (waiting for triage, or routed elsewhere) to an institution: the
/// lifecycle's `verify` with that institution, stored like any action (conditional on the
/// version read, a timeline event, the reporter's notice), and the decision kept as a labelled
/// example. Assigning it again to the institution that holds it changes nothing and records the
/// decision again (`lapor-local triage assign`).
pub async fn assign_report(
    app: &super::App,
    tracking_id: &TrackingId,
    agency_id: &str,
    officer_id: Option<String>,
) -> Result<Assigned, ServiceError> {
    let examples = app
        .examples
        .clone()
        .ok_or_else(|| ServiceError::internal("assigning without a store of routing examples"))?;
    let actor = Actor::Verifier { officer_id };
    let report = super::actions::load(app, tracking_id.as_str()).await?;
    if report.status == Status::Dispositioned && report.agency_id.as_deref() == Some(agency_id) {
        record_routing_decision(&*examples, &report, agency_id, &actor, app.clock.now())
            .await
            .map_err(|e| match e {
                LearningError::Store(e) => ServiceError::from(e),
                LearningError::NotAHumanDecision => {
                    ServiceError::internal("a verifier's decision taken for no human's")
                }
            })?;
        return Ok(Assigned {
            report,
            changed: false,
        });
    }
    let verify = Action::Verify {
        agency_id: Some(agency_id.to_string()),
        note: None,
    };
    // Recorded as an example by the action itself, like every verifier's decision.
    let acted = super::actions::act_on(app, &actor, report, None, &verify).await?;
    Ok(Assigned {
        report: acted.report,
        changed: true,
    })
}
