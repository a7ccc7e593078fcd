//! `GET /v1/reports/{tracking_id}`: the public view, and the reporter's full view with the token.
//!
//! The public view never carries the reporter's identity; for a confidential report it carries
//! only the status. The reporter's view opens the sealed contact.
//!
//! Citizens read the institution's words, not the system's: the reporter's timeline carries the
//! texts meant for them ([`reporter_note`]), never a router's reason or a supervisor's reminder;
//! the public sees the follow-ups and the closing message ([`public_note`]) and the rating. Times
//! are in the holding institution's zone (WIB, WITA or WIT: [`citizen_zone`]), as RFC 3339 with
//! that offset, never UTC.

use super::attachments::Audience;
use crate::api::ServiceError;
use crate::crypto::Sealer;
use crate::deadlines::TimeZone;
use crate::directory::Directory;
use crate::domain::report::StatusLabel;
use crate::domain::{AccessToken, Actor, Report, ReporterContact, Status, TrackingId};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgencyRef {
    pub id: String,
    pub name: String,
}

/// A timeline event as the public and the reporter see it: who acted is a role and an
/// institution, never a person (no officer id) and never a client's action id.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicEvent {
    /// In the holding institution's zone (`+07:00`, `+08:00` or `+09:00`).
    pub at: DateTime<FixedOffset>,
    pub action: String,
    /// `reporter`, `system`, `officer` or `verifier`: a role, never a person.
    pub actor: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The event's text meant for who reads it: the reporter ([`reporter_note`]) or the
    /// public ([`public_note`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The events whose text the reporter reads: the institution's and the verifiers' words to
/// them, their own, and the system's Indonesian notices. Not a router's reason (internal, in
/// English), a verifier's note, a supervisor's reminder to the holder, a take-over's reason.
const REPORTER_NOTES: &[&str] = &[
    "deferred",
    "info_requested",
    "followed_up",
    "closed",
    "reporter_replied",
    "withdrawn",
    "forwarded",
    "marked_duplicate",
    "escalated",
    "deadline_extended",
];

/// The events whose text the public reads: the institution's follow-ups and closing message.
/// Never the reporter's replies (they may name people), nor questions to them.
const PUBLIC_NOTES: &[&str] = &["followed_up", "closed"];

/// The text of `event` the reporter reads, if any.
pub fn reporter_note(event: &crate::domain::TimelineEvent) -> Option<&str> {
    event
        .note
        .as_deref()
        .filter(|_| REPORTER_NOTES.contains(&event.action.as_str()))
}

/// The text of `event` anyone reads on a public report, if any.
pub fn public_note(event: &crate::domain::TimelineEvent) -> Option<&str> {
    event
        .note
        .as_deref()
        .filter(|_| PUBLIC_NOTES.contains(&event.action.as_str()))
}

/// The zone citizens read a report's times in: the holding institution's, else the report's
/// region's, else WIB.
pub fn citizen_zone(report: &Report, directory: &Directory) -> TimeZone {
    let agency_region = report
        .agency_id
        .as_deref()
        .and_then(|id| directory.get(id))
        .map(|a| a.region_code.clone());
    match agency_region {
        Some(region) => crate::deadlines::zone_for_institution(region.as_deref()),
        None => report
            .location
            .region_code
            .as_deref()
            .and_then(crate::deadlines::zone_for_region),
    }
    .unwrap_or(TimeZone::CENTRAL)
}

/// Who reads an event.
#[derive(Clone, Copy)]
enum Reader {
    Public,
    Reporter,
}

impl PublicEvent {
    fn of(event: &crate::domain::TimelineEvent, reader: Reader, zone: TimeZone) -> PublicEvent {
        PublicEvent {
            at: zone.local(event.at),
            action: event.action.clone(),
            actor: match event.actor {
                Actor::Reporter => "reporter",
                Actor::System { .. } => "system",
                Actor::Officer { .. } => "officer",
                Actor::Verifier { .. } => "verifier",
            },
            agency_id: event.agency_id.clone(),
            status: event.status,
            note: match reader {
                Reader::Public => public_note(event),
                Reader::Reporter => reporter_note(event),
            }
            .map(str::to_string),
        }
    }
}

#[derive(Debug, Serialize)]
// Its schema is written in `crate::openapi` (the flattened content is there or not at all).
pub struct PublicView {
    pub tracking_id: TrackingId,
    pub status: Status,
    pub status_label: StatusLabel,
    /// When the current step is due (Open311's name): verification, the institution's
    /// follow-up, the reporter's answer, or the automatic close. In the institution's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<DateTime<FixedOffset>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_step: Option<crate::deadlines::Step>,
    pub confidential: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub content: Option<PublicContent>,
}

/// What the public may see of a report that is not confidential.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub timeline: Vec<PublicEvent>,
    /// The reporter's rating of the follow-up (stars and comment; never who rated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::domain::Rating>,
    /// The reports marked as repeating this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<TrackingId>,
    /// How many citizens support it ("me too"); never who.
    pub supporters: usize,
    /// Its checked images (`GET /v1/reports/{id}` fills them in; URLs last minutes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<super::attachments::AttachmentView>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReporterView<'a> {
    pub tracking_id: &'a TrackingId,
    pub status: Status,
    pub status_label: StatusLabel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<DateTime<FixedOffset>>,
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
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
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
    /// How many citizens support it ("me too"); never who.
    pub supporters: usize,
    /// What the reporter can do now: `reply`, `rate`, `withdraw`.
    pub possible_actions: Vec<&'static str>,
    /// Every attachment with its state (`GET /v1/reports/{id}` fills them in; URLs last
    /// minutes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<super::attachments::AttachmentView>,
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
        None => {
            let mut view = public_view(&report, &directory);
            if let Some(content) = &mut view.content {
                content.attachments =
                    super::attachments::listing(app, &report, Audience::Public).await?;
            }
            Ok(View::Public(Box::new(view)))
        }
        Some(token) => {
            if !AccessToken::from_presented(token).matches(&report.access_token_hash) {
                return Err(ServiceError::Unauthorized);
            }
            let mut view = reporter_view(&report, &app.pii, &directory)?;
            super::attachments::add_to_view(app, &report, Audience::Involved, &mut view).await?;
            Ok(View::Reporter(view))
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
    let zone = citizen_zone(report, directory);
    let view = ReporterView {
        tracking_id: &report.tracking_id,
        status: report.status,
        status_label: report.status.label(),
        expected_datetime: report.deadline.map(|d| zone.local(d.at)),
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
        created_at: zone.local(report.created_at),
        updated_at: zone.local(report.updated_at),
        timeline: report
            .timeline
            .iter()
            .map(|e| PublicEvent::of(e, Reader::Reporter, zone))
            .collect(),
        contact_unconfirmed: report.contact_check.is_some(),
        work_unit: report.work_unit.as_deref(),
        archive_reason: report.archive_reason,
        duplicate_of: report.duplicate_of.as_ref(),
        rating: report.rating.as_ref(),
        supporters: report.supporters.len(),
        possible_actions: crate::lifecycle::possible_actions(report, &Actor::Reporter),
        attachments: Vec::new(),
    };
    Ok(serde_json::to_value(&view).expect("view serialises"))
}

/// What anyone may see: the status always; the content only while the public feed may list the
/// report ([`Report::is_public`]: verified, not confidential, not archived), so an unverified
/// report's text is not published before a verifier or the router has looked at it, and a
/// withdrawn one's disappears at once.
pub fn public_view(report: &Report, directory: &Directory) -> PublicView {
    let zone = citizen_zone(report, directory);
    let content = report.is_public().then(|| PublicContent {
        kind: report.kind,
        title: report.title.clone(),
        body: report.body.clone(),
        category: report.category.clone(),
        region_code: report.location.region_code.clone(),
        location_text: report.location.text.clone(),
        agency: agency_ref(directory, report.agency_id.as_deref()),
        created_at: zone.local(report.created_at),
        updated_at: zone.local(report.updated_at),
        timeline: report
            .timeline
            .iter()
            .map(|e| PublicEvent::of(e, Reader::Public, zone))
            .collect(),
        rating: report.rating.clone(),
        duplicates: report.duplicates.clone(),
        supporters: report.supporters.len(),
        attachments: Vec::new(),
    });
    PublicView {
        tracking_id: report.tracking_id.clone(),
        status: report.status,
        status_label: report.status.label(),
        expected_datetime: report.deadline.map(|d| zone.local(d.at)),
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
