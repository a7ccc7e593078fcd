//! Support ("me too"): a citizen whose problem is already reported adds their support to that
//! report instead of waiting on their own. Counted once per person, told the institution's
//! answers on their own channel (`lifecycle::supporter_notifications`).
//!
//! Who a person is: the reporter of a report, proved with its access token
//! (`POST /v1/reports/{id}/support {"from_report": ...}`), or a channel's sender (`DUKUNG <id>`
//! by SMS, X, WhatsApp, Messenger: the provider signed who they are). A merge (`mark_duplicate`)
//! makes the duplicate's reporter and supporters the kept report's supporters.

use super::actions::load;
use super::App;
use crate::api::{json_object, typed, ServiceError};
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

/// The supporter a report's reporter is: told on the report's channel when its contact may be
/// told (confirmed, or a channel's sender).
pub fn reporter_as_supporter(report: &Report, now: DateTime<Utc>) -> Supporter {
    Supporter {
        key: format!("report:{}", report.tracking_id),
        recipient_sealed: report
            .reporter_sealed
            .clone()
            .filter(|_| report.contact_check.is_none()),
        channel: report.channel,
        since: now,
    }
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
    add(
        app,
        tracking_id,
        reporter_as_supporter(&own, app.clock.now()),
    )
    .await
}

/// A merge: the duplicate's reporter and its supporters support `original` from now on (each
/// once, up to [`MAX_SUPPORTERS`]).
pub fn merge_supporters(original: &mut Report, duplicate: &Report, now: DateTime<Utc>) {
    let incoming =
        std::iter::once(reporter_as_supporter(duplicate, now)).chain(duplicate.supporters.clone());
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
