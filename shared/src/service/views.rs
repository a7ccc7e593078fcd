//! `GET /v1/reports/{tracking_id}`: the public view, and the reporter's full view with the token.
//!
//! The public view never carries the reporter's identity; for a confidential report it carries
//! only the status. The reporter's view opens the sealed contact.

use crate::api::ServiceError;
use crate::crypto::Sealer;
use crate::directory::Directory;
use crate::domain::report::StatusLabel;
use crate::domain::{AccessToken, Actor, Report, ReporterContact, Status, TrackingId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AgencyRef {
    pub id: String,
    pub name: String,
}

/// A timeline event as the public and the reporter see it: who acted is a role and an
/// institution, never a person (no officer id) and never a client's action id.
#[derive(Debug, Serialize)]
pub struct PublicEvent {
    pub at: DateTime<Utc>,
    pub action: String,
    /// `reporter`, `system`, `officer` or `verifier`: a role, never a person.
    pub actor: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The event's text (a follow-up, a question, a reply): in the reporter's view only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PublicEvent {
    fn of(event: &crate::domain::TimelineEvent, with_note: bool) -> PublicEvent {
        PublicEvent {
            at: event.at,
            action: event.action.clone(),
            actor: match event.actor {
                Actor::Reporter => "reporter",
                Actor::System { .. } => "system",
                Actor::Officer { .. } => "officer",
                Actor::Verifier { .. } => "verifier",
            },
            agency_id: event.agency_id.clone(),
            status: event.status,
            note: event.note.clone().filter(|_| with_note),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PublicView {
    pub tracking_id: TrackingId,
    pub status: Status,
    pub status_label: StatusLabel,
    /// When the current step is due (Open311's name): verification, the institution's
    /// follow-up, the reporter's answer, or the automatic close.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_step: Option<crate::deadlines::Step>,
    pub confidential: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub content: Option<PublicContent>,
}

/// What the public may see of a report that is not confidential.
#[derive(Debug, Serialize)]
pub struct PublicContent {
    pub kind: crate::domain::ReportKind,
    pub title: String,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_text: Option<String>,
    pub agency: Option<AgencyRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub timeline: Vec<PublicEvent>,
}

#[derive(Debug, Serialize)]
pub struct ReporterView<'a> {
    pub tracking_id: &'a TrackingId,
    pub status: Status,
    pub status_label: StatusLabel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_step: Option<crate::deadlines::Step>,
    pub kind: crate::domain::ReportKind,
    pub title: &'a str,
    pub body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'a str>,
    pub location: &'a crate::domain::Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_agency: Option<&'a str>,
    pub channel: crate::domain::Channel,
    pub anonymous: bool,
    pub confidential: bool,
    pub reporter: ReporterContact,
    pub agency: Option<AgencyRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub timeline: Vec<PublicEvent>,
    /// True while the contact given waits for the code its receipt carried
    /// (`POST .../contact/confirm`): until then it hears nothing more.
    pub contact_unconfirmed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_reason: Option<crate::domain::ArchiveReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<&'a TrackingId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<&'a crate::domain::Rating>,
    /// What the reporter can do now: `reply`, `rate`, `withdraw`.
    pub possible_actions: Vec<&'static str>,
}

pub enum View {
    Public(Box<PublicView>),
    Reporter(serde_json::Value),
}

impl View {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            View::Public(v) => serde_json::to_value(v).expect("view serialises"),
            View::Reporter(v) => v.clone(),
        }
    }
}

/// Unknown and malformed ids answer the same 404, so the answer says nothing about which ids exist.
pub async fn get_report(
    app: &super::App,
    tracking_id: &str,
    bearer_token: Option<&str>,
) -> Result<View, ServiceError> {
    let not_found = || ServiceError::NotFound("no report with this tracking id".into());
    let id = TrackingId::parse(tracking_id).ok_or_else(not_found)?;
    let report = app.store.get(&id).await?.ok_or_else(not_found)?;
    let directory = app.directory.current().await;
    match bearer_token {
        None => Ok(View::Public(Box::new(public_view(&report, &directory)))),
        Some(token) => {
            if !AccessToken::from_presented(token).matches(&report.access_token_hash) {
                return Err(ServiceError::Unauthorized);
            }
            reporter_view(&report, &app.pii, &directory).map(View::Reporter)
        }
    }
}

/// The reporter's own view (after their token was checked): their contact opened, the whole
/// timeline, and what they can do now.
pub fn reporter_view(
    report: &Report,
    pii: &Sealer,
    directory: &Directory,
) -> Result<serde_json::Value, ServiceError> {
    let reporter = match &report.reporter_sealed {
        None => ReporterContact::default(),
        Some(sealed) => super::inbox::open_contact(pii, report, sealed)?,
    };
    let view = ReporterView {
        tracking_id: &report.tracking_id,
        status: report.status,
        status_label: report.status.label(),
        expected_datetime: report.deadline.map(|d| d.at),
        deadline_step: report.deadline.map(|d| d.step),
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
        reporter,
        agency: agency_ref(directory, report.agency_id.as_deref()),
        created_at: report.created_at,
        updated_at: report.updated_at,
        timeline: report
            .timeline
            .iter()
            .map(|e| PublicEvent::of(e, true))
            .collect(),
        contact_unconfirmed: report.contact_check.is_some(),
        work_unit: report.work_unit.as_deref(),
        archive_reason: report.archive_reason,
        duplicate_of: report.duplicate_of.as_ref(),
        rating: report.rating.as_ref(),
        possible_actions: crate::lifecycle::possible_actions(report, &Actor::Reporter),
    };
    Ok(serde_json::to_value(&view).expect("view serialises"))
}

/// What anyone may see: the status always; the content only while the public feed may list the
/// report ([`Report::is_public`]: verified, not confidential, not archived), so an unverified
/// report's text is not published before a verifier or the router has looked at it, and a
/// withdrawn one's disappears at once.
pub fn public_view(report: &Report, directory: &Directory) -> PublicView {
    let content = report.is_public().then(|| PublicContent {
        kind: report.kind,
        title: report.title.clone(),
        body: report.body.clone(),
        category: report.category.clone(),
        region_code: report.location.region_code.clone(),
        location_text: report.location.text.clone(),
        agency: agency_ref(directory, report.agency_id.as_deref()),
        created_at: report.created_at,
        updated_at: report.updated_at,
        timeline: report
            .timeline
            .iter()
            .map(|e| PublicEvent::of(e, false))
            .collect(),
    });
    PublicView {
        tracking_id: report.tracking_id.clone(),
        status: report.status,
        status_label: report.status.label(),
        expected_datetime: report.deadline.map(|d| d.at),
        deadline_step: report.deadline.map(|d| d.step),
        confidential: report.confidential,
        content,
    }
}

fn agency_ref(directory: &Directory, id: Option<&str>) -> Option<AgencyRef> {
    let id = id?;
    Some(AgencyRef {
        id: id.to_string(),
        name: directory
            .get(id)
            .map(|a| a.name.clone())
            .unwrap_or_default(),
    })
}
