//! Support ("me too"): a citizen whose problem is already reported adds their support to that
//! report instead of waiting on their own. Counted once per person, told the institution's
//! answers on their own channel (`lifecycle::supporter_notifications`).
//!
//! Who a person is: their phone, e-mail or channel account, as a keyed reference
//! (`Sealer::reference`, the one channel senders are known by), so one person counts once on
//! the web and on every channel. On the web they prove it with a report of their own
//! (`POST /v1/reports/{id}/support {"from_report": ...}` with its access token) that an
//! institution holds and whose contact they confirmed: a report typed in a minute with anyone's
//! number does not count. On a channel the provider signed who they are (`DUKUNG <id>` by SMS,
//! X, WhatsApp, Messenger). A merge (`mark_duplicate`) makes the duplicate's reporter and
//! supporters the kept report's supporters.

use super::actions::load;
use super::App;
use crate::api::{json_object, typed, ServiceError};
use crate::crypto::Sealer;
use crate::domain::report::{Supporter, MAX_SUPPORTERS};
use crate::domain::{AccessToken, Channel, Report};
use crate::ports::UpdateError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /v1/reports/{tracking_id}/support`, with `Authorization: Bearer <access token of
/// from_report>`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SupportBody {
    /// Your own report: the access token is its token. Its contact hears the supported
    /// report's answers.
    pub from_report: String,
}

/// What a support answers.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supported {
    pub tracking_id: crate::domain::TrackingId,
    /// Its supporters now.
    pub supporters: usize,
    /// False when this person supported it already (nothing changed).
    pub counted: bool,
}

fn conflict(code: &'static str, message: &str) -> ServiceError {
    ServiceError::Conflict {
        code,
        message: message.into(),
    }
}

/// Adds `supporter` to the report `tracking_id`, once per key: a public, open report only
/// (a citizen may support what the public may read).
pub async fn add(
    app: &App,
    tracking_id: &str,
    supporter: Supporter,
) -> Result<Supported, ServiceError> {
    for _ in 0..3 {
        let mut report = load(app, tracking_id).await?;
        if !report.is_public() {
            // Unverified, confidential or archived: the public cannot read it, so it cannot be
            // supported, and whether it exists is not told.
            return Err(ServiceError::NotFound(
                "no public report with this tracking id".into(),
            ));
        }
        if report.status.is_final() {
            return Err(conflict(
                "not_open",
                "this report is closed: it can no longer be supported",
            ));
        }
        if report.supporters.iter().any(|s| s.key == supporter.key) {
            return Ok(Supported {
                supporters: report.supporters.len(),
                tracking_id: report.tracking_id,
                counted: false,
            });
        }
        if report.supporters.len() >= MAX_SUPPORTERS {
            return Err(conflict(
                "too_many_supporters",
                "this report has as many supporters as it can keep",
            ));
        }
        report.supporters.push(supporter.clone());
        report.version += 1;
        match app.store.update(&report).await {
            Ok(()) => {
                tracing::info!(tracking_id = %report.tracking_id,
                    supporters = report.supporters.len(), "support counted");
                return Ok(Supported {
                    supporters: report.supporters.len(),
                    tracking_id: report.tracking_id,
                    counted: true,
                });
            }
            Err(UpdateError::Conflict) => continue,
            Err(UpdateError::Store(e)) => return Err(e.into()),
        }
    }
    Err(conflict(
        "conflict",
        "the report kept changing; please try again",
    ))
}

/// Who a report's reporter is, as supporters are keyed: their channel account, or the phone
/// (else the e-mail) they confirmed; none for an unconfirmed contact or none at all.
fn person_key(pii: &Sealer, report: &Report) -> Result<Option<String>, ServiceError> {
    if let Some(reference) = &report.reporter_ref {
        return Ok(Some(format!("sender:{reference}")));
    }
    let (Some(sealed), None) = (&report.reporter_sealed, &report.contact_check) else {
        return Ok(None);
    };
    let contact = super::inbox::open_contact(pii, report, sealed)?;
    let address = match (contact.phone, contact.email) {
        (Some(phone), _) => format!("phone:{phone}"),
        (None, Some(email)) => format!("email:{}", email.to_lowercase()),
        (None, None) => return Ok(None),
    };
    Ok(Some(format!(
        "sender:{}",
        pii.reference("sender", &address)
    )))
}

/// The supporter a report's reporter is, told on the report's channel (their contact is
/// confirmed, or a channel's sender); none when they cannot be known as a person.
fn reporter_as_supporter(
    pii: &Sealer,
    report: &Report,
    now: DateTime<Utc>,
) -> Result<Option<Supporter>, ServiceError> {
    Ok(person_key(pii, report)?.map(|key| Supporter {
        key,
        recipient_sealed: report.reporter_sealed.clone(),
        channel: report.channel,
        since: now,
    }))
}

/// A channel's sender as a supporter: keyed by the reference of their address.
pub fn sender_as_supporter(
    reference: String,
    recipient_sealed: String,
    channel: Channel,
    now: DateTime<Utc>,
) -> Supporter {
    Supporter {
        key: format!("sender:{reference}"),
        recipient_sealed: Some(recipient_sealed),
        channel,
        since: now,
    }
}

/// `POST /v1/reports/{tracking_id}/support`: the reporter of `from_report` (its access token in
/// `Authorization`) supports `tracking_id`.
pub async fn support(
    app: &App,
    tracking_id: &str,
    token: Option<&str>,
    body: &[u8],
) -> Result<Supported, ServiceError> {
    let token = token.ok_or(ServiceError::Unauthorized)?;
    let body: SupportBody = typed(json_object(body)?)?;
    let own = load(app, &body.from_report).await?;
    if !AccessToken::from_presented(token).matches(&own.access_token_hash) {
        return Err(ServiceError::Unauthorized);
    }
    if crate::domain::TrackingId::parse(tracking_id).as_ref() == Some(&own.tracking_id) {
        return Err(conflict(
            "own_report",
            "this is your own report: it counts already",
        ));
    }
    if own.agency_id.is_none() || own.status == crate::domain::Status::Archived {
        return Err(conflict(
            "from_report_not_held",
            "your own report must be held by an institution (verified, not archived) to \
             support another",
        ));
    }
    let Some(supporter) = reporter_as_supporter(&app.pii, &own, app.clock.now())? else {
        return Err(conflict(
            "contact_unconfirmed",
            "confirm the phone or e-mail of your own report first (the code its receipt \
             brought): a person is counted by it",
        ));
    };
    add(app, tracking_id, supporter).await
}

/// A merge: the duplicate's reporter and its supporters support `original` from now on (each
/// once, up to [`MAX_SUPPORTERS`]). A reporter who cannot be known as a person (no confirmed
/// contact) still counts, once, by their report, and is told nothing.
pub fn merge_supporters(
    pii: &Sealer,
    original: &mut Report,
    duplicate: &Report,
    now: DateTime<Utc>,
) {
    let reporter = match reporter_as_supporter(pii, duplicate, now) {
        Ok(Some(known)) => known,
        Ok(None) | Err(_) => Supporter {
            key: format!("report:{}", duplicate.tracking_id),
            recipient_sealed: None,
            channel: duplicate.channel,
            since: now,
        },
    };
    let incoming = std::iter::once(reporter).chain(duplicate.supporters.clone());
    for supporter in incoming {
        if original.supporters.len() >= MAX_SUPPORTERS {
            tracing::warn!(tracking_id = %original.tracking_id,
                "supporters of a merged duplicate not all kept: the report has as many as it can keep");
            return;
        }
        if !original.supporters.iter().any(|s| s.key == supporter.key) {
            original.supporters.push(supporter);
        }
    }
}
