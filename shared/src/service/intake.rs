//! `POST /v1/reports`: validate, store (`received`), queue for routing.

use super::{App, RouteRequest};
use crate::api::{json_object, limits, typed, ApiError};
use crate::crypto::{sha256_hex, Sealer};
use crate::domain::submission::{NewReport, Submission};
use crate::domain::{AccessToken, Actor, Report, Status, TimelineEvent, TrackingId};
use crate::ports::{IdempotencyRecord, InsertError, QueueName};
use serde::{Deserialize, Serialize};

/// How long after submission an unrouted report counts as stuck: the sweep then queues it again.
/// This heals an intake whose queue send failed after the report was stored.
pub const ROUTING_GRACE: chrono::Duration = chrono::Duration::minutes(2);

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL: chrono::Duration = chrono::Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    pub tracking_id: TrackingId,
    /// Shown once: only its hash is stored.
    pub access_token: String,
    pub status: Status,
}

/// Takes the raw body so that every way a body can be wrong is answered here, the same for every
/// entry point (Lambda, local runner, tests).
pub async fn submit(
    app: &App,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Result<Submitted, ApiError> {
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: limits::MAX_BODY_BYTES,
        });
    }
    let idempotency_key = idempotency_key.map(check_idempotency_key).transpose()?;
    let value = json_object(body)?;
    // serde_json's map is ordered by key, so this hash ignores key order and whitespace.
    let request_hash = sha256_hex(value.to_string().as_bytes());
    let submission: Submission = typed(value)?;

    let now = app.clock.now();
    let key_hash = idempotency_key.map(|k| sha256_hex(format!("idempotency:{k}").as_bytes()));
    if let (Some(key), Some(key_hash)) = (idempotency_key, &key_hash) {
        if let Some(record) = app.store.get_idempotency(key_hash, now).await? {
            return replay(&record, key, &request_hash);
        }
    }

    let new = submission.validate(now).map_err(ApiError::Validation)?;
    let token = AccessToken::generate();
    let mut report = new_report(app, new, token.hash(), now);

    let submitted_as = |report: &Report| Submitted {
        tracking_id: report.tracking_id.clone(),
        access_token: token.secret().to_string(),
        status: Status::Received,
    };
    let record_for = |report: &Report| match (idempotency_key, &key_hash) {
        (Some(key), Some(key_hash)) => Some(IdempotencyRecord {
            key_hash: key_hash.clone(),
            request_hash: request_hash.clone(),
            tracking_id: report.tracking_id.clone(),
            sealed_response: idempotency_sealer(key)
                .seal(&serde_json::to_vec(&submitted_as(report)).expect("response serialises")),
            created_at: now,
            expires_at: (now + IDEMPOTENCY_TTL).timestamp(),
        }),
        _ => None,
    };
    let queued = match insert_new(app, &mut report, record_for).await {
        Ok(queued) => queued,
        Err(InsertError::TrackingIdTaken) => return Err(ApiError::Unavailable),
        Err(InsertError::IdempotencyKeyTaken) => {
            // A concurrent retry with the same key won the race: answer as it did.
            let (key, key_hash) = (idempotency_key.unwrap(), key_hash.as_deref().unwrap());
            let record = app
                .store
                .get_idempotency(key_hash, now)
                .await?
                .ok_or(ApiError::Unavailable)?;
            return replay(&record, key, &request_hash);
        }
        Err(InsertError::Store(e)) => return Err(e.into()),
    };
    let submitted = submitted_as(&report);
    tracing::info!(tracking_id = %submitted.tracking_id, kind = report.kind.as_str(),
        channel = ?report.channel, "report received");
    if !queued {
        queue_for_routing(app, &submitted.tracking_id).await;
    }
    Ok(submitted)
}

/// A validated submission as a stored report: `received`, the verification deadline running,
/// due for the sweep once the routing grace passes.
pub(crate) fn new_report(
    app: &App,
    new: NewReport,
    access_token_hash: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Report {
    let reporter_sealed = (!new.reporter.is_empty()).then(|| {
        app.pii
            .seal(&serde_json::to_vec(&new.reporter).expect("contact serialises"))
    });
    let mut report = Report {
        tracking_id: TrackingId::generate(),
        kind: new.kind,
        title: new.title,
        body: new.body,
        category: new.category,
        location: new.location,
        incident_date: new.incident_date,
        target_agency: new.target_agency,
        channel: new.channel,
        reporter_sealed,
        anonymous: new.anonymous,
        confidential: new.confidential,
        status: Status::Received,
        agency_id: None,
        work_unit: None,
        deferred_from: None,
        archive_reason: None,
        duplicate_of: None,
        rating: None,
        routing: None,
        access_token_hash,
        reporter_ref: None,
        inbound_sealed: None,
        created_at: now,
        updated_at: now,
        deadline: None,
        due_at: None,
        version: 1,
        timeline: vec![TimelineEvent {
            at: now,
            actor: Actor::Reporter,
            action: "submitted".into(),
            agency_id: None,
            status: Some(Status::Received),
            note: None,
            action_id: None,
        }],
    };

    // The verification clock runs from receipt; the sweep looks first after the routing grace.
    report.deadline = Some(app.deadlines.deadline(
        crate::directory::Directory::builtin(),
        &report,
        crate::deadlines::Step::Verification,
        now,
    ));
    report.due_at = crate::deadlines::due_at(&report, Some(now + ROUTING_GRACE));

    report
}

/// Stores a new report with its idempotency record (`record_for` makes it for the report's
/// tracking id) and queues it for routing where the store can do both at once. A collision of
/// 45 random bits is rare; a fresh id settles it. Returns whether the routing message was queued.
pub(crate) async fn insert_new(
    app: &App,
    report: &mut Report,
    record_for: impl Fn(&Report) -> Option<IdempotencyRecord>,
) -> Result<bool, InsertError> {
    let mut attempts = 0;
    loop {
        let record = record_for(report);
        let message = route_message(&report.tracking_id);
        match app
            .store
            .insert_and_queue(report, record.as_ref(), (QueueName::Intake, &message))
            .await
        {
            Err(InsertError::TrackingIdTaken) if attempts < 3 => {
                attempts += 1;
                report.tracking_id = TrackingId::generate();
            }
            outcome => return outcome,
        }
    }
}

/// Sends the report to the router. A failure is logged, not returned: the report is already
/// stored, and the sweep sends it again once `due_at` passes.
pub async fn queue_for_routing(app: &App, tracking_id: &TrackingId) {
    let message = route_message(tracking_id);
    if let Err(e) = app.queue.send(QueueName::Intake, &message).await {
        tracing::warn!(tracking_id = %tracking_id, error = %e,
            "queue send failed; the sweep will queue the report again");
    }
}

fn route_message(tracking_id: &TrackingId) -> String {
    serde_json::to_string(&RouteRequest {
        tracking_id: tracking_id.clone(),
    })
    .expect("route request serialises")
}

fn check_idempotency_key(key: &str) -> Result<&str, ApiError> {
    let ok = limits::IDEMPOTENCY_KEY_CHARS.contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(key)
    } else {
        Err(ApiError::bad_request(
            "invalid_idempotency_key",
            format!(
                "Idempotency-Key must be {} to {} visible ASCII characters (a UUID fits)",
                limits::IDEMPOTENCY_KEY_CHARS.start(),
                limits::IDEMPOTENCY_KEY_CHARS.end()
            ),
        ))
    }
}

fn idempotency_sealer(key: &str) -> Sealer {
    Sealer::derived_from(key, "idempotent-response")
}

fn replay(
    record: &IdempotencyRecord,
    key: &str,
    request_hash: &str,
) -> Result<Submitted, ApiError> {
    if record.request_hash != request_hash {
        return Err(ApiError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used with a different request body".into(),
        });
    }
    let bytes = idempotency_sealer(key)
        .open(&record.sealed_response)
        .map_err(|_| ApiError::Internal)?;
    serde_json::from_slice(&bytes).map_err(|_| ApiError::Internal)
}
