//! `POST /v1/reports`: validate, store (`received`), queue for routing.

use super::App;
use crate::api::{json_object, limits, typed, ServiceError};
use crate::crypto::{sha256_hex, Sealer};
use crate::directory::Directory;
use crate::domain::submission::{NewReport, Submission};
use crate::domain::{AccessToken, Report, Status, TrackingId};
use crate::ports::{IdempotencyOrigin, IdempotencyRecord, InsertError};
use serde::{Deserialize, Serialize};

/// How long after submission an unrouted report counts as stuck: the sweep then queues it again.
/// This heals an intake whose queue send failed after the report was stored.
pub const ROUTING_GRACE: chrono::Duration = chrono::Duration::minutes(2);

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL: chrono::Duration = chrono::Duration::hours(24);

/// How long a retry with the same `Idempotency-Key` gets the access token back: long enough for
/// a client's retries after a lost answer, short enough that a key seen later (in a log, a
/// proxy) is worth only the tracking id, which is public anyway.
pub const TOKEN_REPLAY_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Submitted {
    pub tracking_id: TrackingId,
    /// Shown once (and to a retry within [`TOKEN_REPLAY_WINDOW`]): only its hash is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    pub status: Status,
}

/// Takes the raw body and the raw `Idempotency-Key` header (bytes: a value that is not ASCII is
/// present and invalid, never absent) so that every way a request can be wrong is answered here,
/// the same for every entry point (Lambda, local runner, tests).
pub async fn submit(
    app: &App,
    body: &[u8],
    idempotency_key: Option<&[u8]>,
) -> Result<Submitted, ServiceError> {
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(ServiceError::TooLarge {
            limit: limits::MAX_BODY_BYTES,
        });
    }
    let idempotency_key = idempotency_key.map(check_idempotency_key).transpose()?;
    let value = json_object(body)?;
    // serde_json's map is ordered by key, so this hash ignores key order and whitespace.
    let request_hash = sha256_hex(value.to_string().as_bytes());
    let submission: Submission = typed(value)?;

    let now = app.clock.now();
    let key_hash = idempotency_key.map(|k| web_key_hash(&app.pii, k));
    if let (Some(key), Some(key_hash)) = (idempotency_key, &key_hash) {
        if let Some(record) = app.store.get_idempotency(key_hash, now).await? {
            return replay(&record, key, &request_hash, now);
        }
    }

    let directory = app.directory.current().await;
    let new = submission
        .validate(now, &directory)
        .map_err(ServiceError::Invalid)?;
    let token = AccessToken::generate();
    let mut report = new_report(app, &directory, new, token.hash(), now);

    let submitted_as = |report: &Report| Submitted {
        tracking_id: report.tracking_id.clone(),
        access_token: Some(token.secret().to_string()),
        status: Status::Received,
    };
    let record_for = |report: &Report| match (idempotency_key, &key_hash) {
        (Some(key), Some(key_hash)) => Some(IdempotencyRecord {
            key_hash: key_hash.clone(),
            origin: IdempotencyOrigin::Web,
            request_hash: request_hash.clone(),
            tracking_id: report.tracking_id.clone(),
            sealed_response: idempotency_sealer(key)
                .seal(&serde_json::to_vec(&submitted_as(report)).expect("response serialises")),
            created_at: now,
            expires_at: (now + IDEMPOTENCY_TTL).timestamp(),
        }),
        _ => None,
    };
    match insert_new(app, &directory, &mut report, record_for).await {
        Ok(()) => {}
        Err(InsertError::TrackingIdTaken) => {
            return Err(ServiceError::unavailable(
                "no free tracking id in four tries",
            ))
        }
        Err(InsertError::IdempotencyKeyTaken) => {
            // A concurrent retry with the same key won the race: answer as it did.
            let (key, key_hash) = (idempotency_key.unwrap(), key_hash.as_deref().unwrap());
            let record = app
                .store
                .get_idempotency(key_hash, now)
                .await?
                .ok_or_else(|| {
                    ServiceError::unavailable("the concurrent retry's record is not readable yet")
                })?;
            return replay(&record, key, &request_hash, now);
        }
        Err(InsertError::Store(e)) => return Err(e.into()),
    }
    let submitted = submitted_as(&report);
    tracing::info!(tracking_id = %submitted.tracking_id, kind = report.kind.as_str(),
        channel = ?report.channel, "report received");
    Ok(submitted)
}

/// A validated submission as a stored report: `received`, the verification deadline running,
/// due for the sweep once the routing grace passes.
pub(crate) fn new_report(
    app: &App,
    directory: &Directory,
    new: NewReport,
    access_token_hash: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Report {
    let reporter_sealed = (!new.reporter.is_empty()).then(|| {
        app.pii
            .seal(&serde_json::to_vec(&new.reporter).expect("contact serialises"))
    });
    let contact_check =
        super::contact::needs_check(new.channel, &new.reporter).then(super::contact::new_check);
    let mut report = Report::received(new, reporter_sealed, access_token_hash, now);
    report.contact_check = contact_check;

    // The verification clock runs from receipt; the sweep looks first after the routing grace.
    report.deadline = Some(app.deadlines.deadline(
        directory,
        &report,
        crate::deadlines::Step::Verification,
        now,
    ));
    report.due_at = crate::deadlines::due_at(&report, Some(now + ROUTING_GRACE));

    report
}

/// Stores a new report with its idempotency record (`record_for` makes it for the report's
/// tracking id) and publishes what it announces: the router's request and the reporter's
/// receipt (`publish::announcements`). A collision of 45 random bits is rare; a fresh id
/// settles it.
pub(crate) async fn insert_new(
    app: &App,
    directory: &Directory,
    report: &mut Report,
    record_for: impl Fn(&Report) -> Option<IdempotencyRecord>,
) -> Result<(), InsertError> {
    let mut attempts = 0;
    loop {
        let record = record_for(report);
        let messages = super::publish::announcements(&app.pii, directory, report);
        match app
            .store
            .insert_and_publish(report, record.as_ref(), &messages)
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

/// An `Idempotency-Key` is a secret of the client's (a retry within [`TOKEN_REPLAY_WINDOW`] gets
/// the access token with it), so it must be unguessable: a UUID, or at least 22 characters of
/// base64url (128 bits), at most 128. Anything else, a value that is not ASCII included, is a
/// 400.
pub fn check_idempotency_key(key: &[u8]) -> Result<&str, ServiceError> {
    let is_uuid = key.len() == 36
        && key.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    let is_base64url = limits::IDEMPOTENCY_KEY_CHARS.contains(&key.len())
        && key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    match std::str::from_utf8(key) {
        Ok(key) if is_uuid || is_base64url => Ok(key),
        _ => Err(ServiceError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be a UUID or 22 to 128 characters of A-Z a-z 0-9 - _ \
             (128 random bits or more)",
        )),
    }
}

/// Where a web key's record is stored: a keyed hash with the web's own purpose, so no key a
/// client sends can name a record the channels made (or find out whether one exists).
fn web_key_hash(pii: &Sealer, key: &str) -> String {
    pii.reference("idempotency:web", key)
}

fn idempotency_sealer(key: &str) -> Sealer {
    Sealer::derived_from(key, "idempotent-response")
}

/// The first answer again, for a retry with the same key and body; the access token only within
/// [`TOKEN_REPLAY_WINDOW`] of the first request. A record the channels made is never a retry.
fn replay(
    record: &IdempotencyRecord,
    key: &str,
    request_hash: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Submitted, ServiceError> {
    if record.origin != IdempotencyOrigin::Web || record.request_hash != request_hash {
        return Err(ServiceError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used with a different request body".into(),
        });
    }
    let bytes = idempotency_sealer(key)
        .open(&record.sealed_response)
        .map_err(|_| ServiceError::internal("an idempotent response does not open with its key"))?;
    let mut submitted: Submitted = serde_json::from_slice(&bytes)
        .map_err(|e| ServiceError::internal(format!("an idempotent response: {e}")))?;
    if now - record.created_at > TOKEN_REPLAY_WINDOW {
        submitted.access_token = None;
    }
    Ok(submitted)
}
