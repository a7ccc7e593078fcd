//! Acting on a report: the officers', verifiers' and reporter's actions of the lifecycle, stored
//! with a write conditional on the version read, each with its notification for the reporter.
//!
//! Retries are safe under the client's action id: an action id already on the timeline is
//! answered from there (its notification queued again, which the notifier deduplicates) instead
//! of acting twice.

use super::learning::record_routing_decision;
use super::{publish, App};
use crate::api::{FieldError, ServiceError};
use crate::domain::{AccessToken, Actor, Report, TrackingId};
use crate::lifecycle::{self, Action, Context};
use crate::ports::{QueueName, UpdateError};

/// Longest client-supplied action id.
pub const ACTION_ID_CHARS: std::ops::RangeInclusive<usize> = 8..=128;

#[derive(Debug, Clone)]
pub struct Acted {
    pub report: Report,
    /// True when the action id was seen before: nothing new happened.
    pub replayed: bool,
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("no report with this tracking id".into())
}

/// Reads the report by its public id: malformed and unknown ids answer the same 404.
pub async fn load(app: &App, tracking_id: &str) -> Result<Report, ServiceError> {
    let id = TrackingId::parse(tracking_id).ok_or_else(not_found)?;
    app.store.get(&id).await?.ok_or_else(not_found)
}

/// Checks a client's action id: visible ASCII (no spaces) of a sane length (a UUID fits).
pub fn check_action_id(action_id: &str) -> Result<(), ServiceError> {
    let ok = ACTION_ID_CHARS.contains(&action_id.len())
        && action_id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Invalid(vec![FieldError::new(
            "action_id",
            format!(
                "must be {} to {} visible ASCII characters, no spaces (a UUID will do)",
                ACTION_ID_CHARS.start(),
                ACTION_ID_CHARS.end()
            ),
        )]))
    }
}

/// `actor` does `action` on the report `tracking_id`.
pub async fn act(
    app: &App,
    actor: &Actor,
    tracking_id: &str,
    action_id: Option<&str>,
    action: &Action,
) -> Result<Acted, ServiceError> {
    if let Some(id) = action_id {
        check_action_id(id)?;
    }
    let report = load(app, tracking_id).await?;
    act_on(app, actor, report, action_id, action).await
}

/// [`act`] on a report already read (the reporter's endpoints read it to check the token).
pub async fn act_on(
    app: &App,
    actor: &Actor,
    report: Report,
    action_id: Option<&str>,
    action: &Action,
) -> Result<Acted, ServiceError> {
    // A retry of the caller's own action is answered before the access check: their forward
    // took the report away from them, and the retry must still hear that it was done.
    let earlier = action_id.and_then(|id| {
        report
            .timeline
            .iter()
            .position(|e| e.action_id.as_deref() == Some(id))
    });
    let own_retry = earlier.is_some_and(|i| &report.timeline[i].actor == actor);
    if !own_retry && !lifecycle::may_access(actor, &report) {
        return Err(ServiceError::Forbidden(
            "this report is not held by your institution".into(),
        ));
    }
    let directory = app.directory.current().await;
    if let Some(index) = earlier {
        let event = &report.timeline[index];
        if event.action != lifecycle::event_name(action) || &event.actor != actor {
            return Err(ServiceError::Conflict {
                code: "action_id_reused",
                message: "this action id was used for a different action".into(),
            });
        }
        // The first attempt's notices may be the ones lost: publish them again (the notifier
        // sends each notice once).
        for notice in publish::notices(&report, index, &directory) {
            send_notification(app, &notice.body).await?;
        }
        return Ok(Acted {
            report,
            replayed: true,
        });
    }
    if let Action::MarkDuplicate { duplicate_of } = action {
        check_original(app, &report, duplicate_of).await?;
    }
    let ctx = Context {
        now: app.clock.now(),
        directory: &directory,
        deadlines: &app.deadlines,
    };
    let next = lifecycle::apply(&report, actor, action, action_id, &ctx)?;
    let notices = publish::notices(&next, next.timeline.len() - 1, &directory);
    match app.store.update_and_publish(&next, &notices).await {
        Ok(()) => {}
        Err(UpdateError::Conflict) => {
            return Err(ServiceError::Conflict {
                code: "conflict",
                message: "someone else acted on this report first; reload it and decide again"
                    .into(),
            })
        }
        Err(UpdateError::Store(e)) => return Err(e.into()),
    }
    tracing::info!(tracking_id = %next.tracking_id, action = action.name(),
        status = next.status.as_str(), version = next.version, "report action stored");
    if let (Action::MarkDuplicate { .. }, Some(original)) = (action, &next.duplicate_of) {
        link_duplicate(app, original, &next).await;
    }
    if let (Some(examples), Some(agency)) = (&app.examples, learned_agency(action, &next)) {
        // Learning is a side benefit: a failure here must not undo or fail the action.
        if let Err(e) = record_routing_decision(&**examples, &next, &agency, actor, ctx.now).await {
            tracing::warn!(tracking_id = %next.tracking_id, error = %e,
                "routing decision not recorded for learning");
        }
    }
    Ok(Acted {
        report: next,
        replayed: false,
    })
}

/// The report a `mark_duplicate` names must exist; once this one is dispatched, it must be open
/// and held by the same institution (an institution marks repeats of its own work).
async fn check_original(
    app: &App,
    report: &Report,
    duplicate_of: &str,
) -> Result<(), ServiceError> {
    let Some(id) = TrackingId::parse(duplicate_of) else {
        // `apply` names the malformed field.
        return Ok(());
    };
    let invalid = |message: &str| {
        Err(ServiceError::Invalid(vec![FieldError::new(
            "duplicate_of",
            message,
        )]))
    };
    let Some(original) = app.store.get(&id).await? else {
        return invalid("no report with this tracking id");
    };
    if report.agency_id.is_some() && id != report.tracking_id {
        if original.status.is_final() {
            return invalid("that report is closed or archived: mark a duplicate of an open one");
        }
        if original.agency_id != report.agency_id {
            return invalid("that report is not held by the institution that holds this one");
        }
    }
    Ok(())
}

/// Records `duplicate` on `original`'s list of duplicates (the link back), and makes the
/// duplicate's reporter and supporters the original's supporters: they follow the kept report
/// from now on (`super::support::merge_supporters`). Best effort after the duplicate itself was
/// stored: retried on a concurrent change, logged if it cannot be made.
async fn link_duplicate(app: &App, original: &TrackingId, duplicate_report: &Report) {
    let duplicate = &duplicate_report.tracking_id;
    for _ in 0..3 {
        let mut report = match app.store.get(original).await {
            Ok(Some(report)) => report,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(tracking_id = %original, error = %e, "duplicate link not stored");
                return;
            }
        };
        if report.duplicates.contains(duplicate) {
            return;
        }
        report.duplicates.push(duplicate.clone());
        super::support::merge_supporters(&app.pii, &mut report, duplicate_report, app.clock.now());
        report.version += 1;
        match app.store.update(&report).await {
            Ok(()) => return,
            Err(UpdateError::Conflict) => continue,
            Err(UpdateError::Store(e)) => {
                tracing::warn!(tracking_id = %original, error = %e, "duplicate link not stored");
                return;
            }
        }
    }
    tracing::warn!(tracking_id = %original, "duplicate link not stored: the report kept changing");
}

/// The institution a human decided on, for the routing examples.
fn learned_agency(action: &Action, report: &Report) -> Option<String> {
    match action {
        Action::Verify { .. } | Action::Forward { .. } => report.agency_id.clone(),
        _ => None,
    }
}

/// Queues a replayed action's notice again. Its failure fails the request (503): the client's
/// next retry with the same action id queues it.
async fn send_notification(app: &App, message: &str) -> Result<(), ServiceError> {
    app.queue
        .send(QueueName::Notifications, message)
        .await
        .map_err(|e| {
            ServiceError::unavailable(format!(
                "notification not queued ({e}); a retry with the same action id queues it"
            ))
        })
}

/// The reporter's endpoints: `POST /v1/reports/{id}/replies`, `/rating`, `/withdraw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReporterAction {
    Reply,
    Rate,
    Withdraw,
}

#[derive(serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    message: String,
}

#[derive(serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    #[serde(deserialize_with = "crate::lifecycle::whole_stars")]
    stars: u8,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    #[serde(default)]
    reason: Option<String>,
}

/// A reporter's action with their access token. `idempotency_key` (the `Idempotency-Key`
/// header) makes a retry safe. An unknown id and a wrong token answer 404 and 401 before the
/// body is looked at, so nothing is learnt about other reports.
pub async fn reporter_act(
    app: &App,
    what: ReporterAction,
    tracking_id: &str,
    bearer_token: Option<&str>,
    idempotency_key: Option<&[u8]>,
    body: &[u8],
) -> Result<Acted, ServiceError> {
    let report = load(app, tracking_id).await?;
    let token = bearer_token.ok_or(ServiceError::Unauthorized)?;
    if !AccessToken::from_presented(token).matches(&report.access_token_hash) {
        return Err(ServiceError::Unauthorized);
    }
    // The same rule as intake's: a header present but unreadable is a 400, never "no key".
    let idempotency_key = idempotency_key
        .map(super::intake::check_idempotency_key)
        .transpose()?;
    // A withdrawal's body is optional: none, or `null` (absent, as for any optional field).
    let no_body = body.trim_ascii().is_empty() || body.trim_ascii() == b"null";
    let object = if no_body && what == ReporterAction::Withdraw {
        serde_json::json!({})
    } else {
        crate::api::json_object(body)?
    };
    let action = match what {
        ReporterAction::Reply => {
            let b: ReplyBody = crate::api::typed(object)?;
            Action::Reply { message: b.message }
        }
        ReporterAction::Rate => {
            let b: RateBody = crate::api::typed(object)?;
            Action::Rate {
                stars: b.stars,
                comment: b.comment,
            }
        }
        ReporterAction::Withdraw => {
            let b: WithdrawBody = crate::api::typed(object)?;
            Action::Withdraw { reason: b.reason }
        }
    };
    act_on(app, &Actor::Reporter, report, idempotency_key, &action).await
}
