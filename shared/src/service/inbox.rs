//! Lists and the staff's view of a report: officers' and verifiers' inboxes
//! (`GET /v1/agency/reports`), one report as staff see it, and the public feed
//! (`GET /v1/reports`).
//!
//! Identity rules: staff see a reporter's contact only when the report is not anonymous; the
//! public feed and every list carry no personal data and no confidential content.

use super::App;
use crate::api::ServiceError;
use crate::crypto::Sealer;
use crate::domain::report::NATIONAL_SUPERVISION;
use crate::domain::{Actor, Report, ReporterContact, Status};
use crate::lifecycle;
use crate::ports::{ListCursor, ListQuery, ReportList};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

pub const DEFAULT_PAGE: usize = 20;
pub const MAX_PAGE: usize = 100;

/// A line of a list: enough to pick a report, nothing personal.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListItem {
    pub tracking_id: String,
    pub status: Status,
    pub status_label: crate::domain::report::StatusLabel,
    pub kind: crate::domain::ReportKind,
    /// Absent in public lists when the report is confidential (never listed there anyway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_unit: Option<String>,
    pub confidential: bool,
    /// When the current step is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<DateTime<Utc>>,
    /// The institution's latest answer the public may read (a follow-up or the closing
    /// message, [`crate::service::views::public_note`]); absent for a confidential report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_answer: Option<String>,
    /// The reporter's rating (stars) of the follow-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// How many citizens support it ("me too").
    pub supporters: usize,
    /// Staff lists only: who supervises it overdue, in the order added (agency ids; `national`
    /// for the national verifiers). Absent while it is on time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supervisors: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ListItem {
    fn of(report: &Report) -> ListItem {
        ListItem {
            tracking_id: report.tracking_id.to_string(),
            status: report.status,
            status_label: report.status.label(),
            kind: report.kind,
            title: (!report.confidential).then(|| report.title.clone()),
            region_code: report.location.region_code.clone(),
            agency_id: report.agency_id.clone(),
            work_unit: report.work_unit.clone(),
            confidential: report.confidential,
            expected_datetime: report.deadline.map(|d| d.at),
            latest_answer: (!report.confidential)
                .then(|| {
                    report
                        .timeline
                        .iter()
                        .rev()
                        .find_map(super::views::public_note)
                        .map(str::to_string)
                })
                .flatten(),
            rating: report.rating.as_ref().map(|r| r.stars),
            supporters: report.supporters.len(),
            supervisors: Vec::new(),
            created_at: report.created_at,
            updated_at: report.updated_at,
        }
    }

    /// Staff who hold a confidential report may see its title in their inbox.
    fn for_staff(report: &Report) -> ListItem {
        ListItem {
            title: Some(report.title.clone()),
            supervisors: report
                .supervisors
                .iter()
                .map(|s| {
                    s.agency_id
                        .clone()
                        .unwrap_or_else(|| NATIONAL_SUPERVISION.to_string())
                })
                .collect(),
            ..ListItem::of(report)
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListResponse {
    pub reports: Vec<ListItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub(super) fn bad_query(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("invalid_query", message)
}

/// `400 invalid_query` naming a query parameter that is not one of `known`.
pub(super) fn refuse_unknown(
    params: &HashMap<String, String>,
    known: &[&str],
) -> Result<(), ServiceError> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(bad_query(format!(
            "unknown query parameter `{unknown}` (known: {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The query parameters every list takes: `status`, `cursor`, `limit`.
fn common(
    params: &HashMap<String, String>,
    allowed: &[&str],
) -> Result<(Option<Status>, Option<ListCursor>, usize), ServiceError> {
    refuse_unknown(params, allowed)?;
    let status = params
        .get("status")
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                bad_query(format!(
                    "unknown status `{s}` (one of: {})",
                    Status::ALL.map(Status::as_str).join(", ")
                ))
            })
        })
        .transpose()?;
    let cursor = params
        .get("cursor")
        .map(|c| ListCursor::decode(c).ok_or_else(|| bad_query("`cursor` is not one we gave out")))
        .transpose()?;
    let limit = match params.get("limit") {
        None => DEFAULT_PAGE,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_PAGE).contains(l))
            .ok_or_else(|| bad_query(format!("`limit` must be 1 to {MAX_PAGE}")))?,
    };
    Ok((status, cursor, limit))
}

/// `GET /v1/agency/reports`. Officers: their institution's inbox, or with `box=work_unit` the
/// reports assigned to their unit, or with `box=overdue` the overdue reports their institution
/// supervises (latest supervisor). Verifiers: the triage queue, or with `agency=` any
/// institution's inbox (national administrators supervise them all), or with `box=overdue`
/// the overdue reports the national verifiers supervise.
pub async fn staff_list(
    app: &App,
    actor: &Actor,
    params: &HashMap<String, String>,
) -> Result<ListResponse, ServiceError> {
    let (list, allowed): (ReportList, &[&str]) = match actor {
        Actor::Officer { agency_id, .. } => {
            let list = match params.get("box").map(String::as_str) {
                None | Some("institution") => ReportList::Agency(agency_id.clone()),
                Some("work_unit") => ReportList::WorkUnit(agency_id.clone()),
                Some("overdue") => ReportList::Supervised(agency_id.clone()),
                Some(other) => {
                    return Err(bad_query(format!(
                        "unknown box `{other}` (institution, work_unit or overdue)"
                    )))
                }
            };
            (list, &["status", "cursor", "limit", "box"])
        }
        Actor::Verifier { .. } => {
            let list =
                match (params.get("box").map(String::as_str), params.get("agency")) {
                    (Some("overdue"), None) => ReportList::Supervised(NATIONAL_SUPERVISION.into()),
                    (Some("overdue"), Some(_)) => return Err(bad_query(
                        "`box=overdue` lists the national verifiers' own box: leave out `agency`",
                    )),
                    (Some(other), _) if other != "triage" => {
                        return Err(bad_query(format!(
                            "unknown box `{other}` (triage or overdue)"
                        )))
                    }
                    (_, Some(agency)) => ReportList::Agency(agency.clone()),
                    (_, None) => ReportList::Triage,
                };
            (list, &["status", "cursor", "limit", "agency", "box"])
        }
        Actor::Reporter | Actor::System { .. } => {
            return Err(ServiceError::Forbidden("only staff have inboxes".into()))
        }
    };
    let (status, cursor, limit) = common(params, allowed)?;
    let page = app
        .store
        .list(&ListQuery {
            list,
            status,
            public_only: false,
            cursor,
            limit,
        })
        .await?;
    Ok(ListResponse {
        reports: page.reports.iter().map(ListItem::for_staff).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    })
}

/// `GET /v1/reports`: the public feed, optionally of one institution (`agency=`).
pub async fn public_feed(
    app: &App,
    params: &HashMap<String, String>,
) -> Result<ListResponse, ServiceError> {
    let (status, cursor, limit) = common(params, &["status", "cursor", "limit", "agency"])?;
    let (list, public_only) = match params.get("agency") {
        Some(agency) => (ReportList::Agency(agency.clone()), true),
        None => (ReportList::Public, false),
    };
    let page = app
        .store
        .list(&ListQuery {
            list,
            status,
            public_only,
            cursor,
            limit,
        })
        .await?;
    Ok(ListResponse {
        // The store filters; this keeps a store bug from ever publishing a confidential report.
        reports: page
            .reports
            .iter()
            .filter(|r| r.is_public())
            .map(ListItem::of)
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    })
}

/// A report as staff who may access it see it: the whole content and timeline, the routing
/// record, and the reporter's contact only when the report is not anonymous.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffView<'a> {
    #[serde(flatten)]
    pub report: StaffReport<'a>,
    pub status_label: crate::domain::report::StatusLabel,
    /// Absent for anonymous reports (and when no contact was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterContact>,
    /// The channel's own message as it arrived (SMS, X, Messenger, WhatsApp): for verifiers
    /// only, and, since it names the sender, only where the contact may be seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbound: Option<serde_json::Value>,
}

/// The stored report minus what staff never see: the sealed contact and the token hash.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffReport<'a> {
    pub tracking_id: &'a crate::domain::TrackingId,
    pub kind: crate::domain::ReportKind,
    pub title: &'a str,
    pub body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'a str>,
    pub location: &'a crate::domain::Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_date: Option<chrono::NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_agency: Option<&'a str>,
    pub channel: crate::domain::Channel,
    pub anonymous: bool,
    pub confidential: bool,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred_from: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_reason: Option<crate::domain::ArchiveReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<&'a crate::domain::TrackingId>,
    /// The reports marked as repeating this one.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub duplicates: &'a [crate::domain::TrackingId],
    /// How many citizens support it ("me too"); who they are is never shown.
    pub supporters: usize,
    /// Open reports of the same institution and place that likely say the same thing (found
    /// when the router placed it), best first: candidates for `mark_duplicate`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub possible_duplicates: &'a [crate::domain::report::PossibleDuplicate],
    /// Who supervises it overdue, in the order the missed deadlines added them.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub supervisors: &'a [crate::domain::report::Supervisor],
    /// Whether the holder extended the deadline already (`extend`, once).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub extended: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<&'a crate::domain::Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<&'a crate::domain::RoutingRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_step: Option<crate::deadlines::Step>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
    pub timeline: &'a [crate::domain::TimelineEvent],
    /// The actions the lifecycle allows now (for the officer's buttons).
    pub possible_actions: Vec<&'static str>,
}

/// `GET /v1/agency/reports/{id}`.
pub async fn staff_report(
    app: &App,
    actor: &Actor,
    tracking_id: &str,
) -> Result<serde_json::Value, ServiceError> {
    let report = super::actions::load(app, tracking_id).await?;
    if !matches!(actor, Actor::Officer { .. } | Actor::Verifier { .. }) {
        return Err(ServiceError::Forbidden("only staff use this view".into()));
    }
    if !lifecycle::may_access(actor, &report) {
        return Err(ServiceError::Forbidden(
            "this report is not held by your institution".into(),
        ));
    }
    let mut view = staff_view(&report, actor, &app.pii)?;
    super::attachments::add_to_view(
        app,
        &report,
        super::attachments::Audience::Involved,
        &mut view,
    )
    .await?;
    Ok(view)
}

pub fn staff_view(
    report: &Report,
    actor: &Actor,
    pii: &Sealer,
) -> Result<serde_json::Value, ServiceError> {
    let reporter = match (&report.reporter_sealed, report.anonymous) {
        (Some(sealed), false) => Some(open_contact(pii, report, sealed)?),
        _ => None,
    };
    let view = StaffView {
        report: StaffReport {
            tracking_id: &report.tracking_id,
            kind: report.kind,
            title: &report.title,
            body: &report.body,
            category: report.category.as_deref(),
            location: &report.location,
            incident_date: report.incident_date,
            target_agency: report.target_agency.as_deref(),
            channel: report.channel,
            anonymous: report.anonymous,
            confidential: report.confidential,
            status: report.status,
            agency_id: report.agency_id.as_deref(),
            work_unit: report.work_unit.as_deref(),
            deferred_from: report.deferred_from,
            archive_reason: report.archive_reason,
            duplicate_of: report.duplicate_of.as_ref(),
            duplicates: &report.duplicates,
            supporters: report.supporters.len(),
            possible_duplicates: &report.possible_duplicates,
            supervisors: &report.supervisors,
            extended: report.extended,
            rating: report.rating.as_ref(),
            routing: report.routing.as_ref(),
            expected_datetime: report.deadline.map(|d| d.at),
            deadline_step: report.deadline.map(|d| d.step),
            created_at: report.created_at,
            updated_at: report.updated_at,
            version: report.version,
            timeline: &report.timeline,
            possible_actions: lifecycle::possible_actions(report, actor),
        },
        status_label: report.status.label(),
        inbound: match (&report.inbound_sealed, &reporter, actor) {
            (Some(sealed), Some(_), Actor::Verifier { .. }) => Some(
                pii.open(sealed)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                    .ok_or_else(|| {
                        ServiceError::internal(format!(
                            "{}: the inbound message does not open with the configured key",
                            report.tracking_id
                        ))
                    })?,
            ),
            _ => None,
        },
        reporter,
    };
    Ok(serde_json::to_value(&view).expect("view serialises"))
}

/// Opens a sealed contact; a contact that does not open is a key problem, never shown.
pub fn open_contact(
    pii: &Sealer,
    report: &Report,
    sealed: &str,
) -> Result<ReporterContact, ServiceError> {
    let bytes = pii.open(sealed).map_err(|_| {
        ServiceError::internal(format!(
            "{}: the reporter's contact does not open with the configured key",
            report.tracking_id
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ServiceError::internal(format!(
            "{}: the reporter's contact: {e}",
            report.tracking_id
        ))
    })
}
