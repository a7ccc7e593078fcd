//! The report: what a citizen sends, what the system keeps, and its append-only timeline.

use super::ids::TrackingId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Pengaduan.
    Complaint,
    /// Aspirasi.
    Aspiration,
    /// Permintaan informasi.
    InformationRequest,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Complaint => "complaint",
            ReportKind::Aspiration => "aspiration",
            ReportKind::InformationRequest => "information_request",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        match s {
            "complaint" => Some(ReportKind::Complaint),
            "aspiration" => Some(ReportKind::Aspiration),
            "information_request" => Some(ReportKind::InformationRequest),
            _ => None,
        }
    }
}

/// Where a report came in. The web/app API sets `web` or `mobile`; the channel webhooks set theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Mobile,
    Sms,
    X,
    Whatsapp,
    Messenger,
    Email,
}

/// The lifecycle's states (see `crate::lifecycle` for the transitions). Stored documents carry
/// the snake_case name, so old items stay readable (`routed` was the first name of
/// `dispositioned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stored and queued for routing.
    Received,
    /// The router was not sure (or it is not about a public service): a verifier decides.
    NeedsTriage,
    /// Forwarded to an institution, which has not acted yet.
    #[serde(alias = "routed")]
    Dispositioned,
    /// The institution accepted it and is working on it.
    InProgress,
    /// The institution posted a follow-up (tindak lanjut); the reporter may reply.
    Responded,
    /// Done.
    Closed,
    /// Waiting for the reporter's answer to a question.
    Deferred,
    /// Set aside with a reason (unintelligible, not a public service, duplicate, withdrawn).
    Archived,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Received,
        Status::NeedsTriage,
        Status::Dispositioned,
        Status::InProgress,
        Status::Responded,
        Status::Closed,
        Status::Deferred,
        Status::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::NeedsTriage => "needs_triage",
            Status::Dispositioned => "dispositioned",
            Status::InProgress => "in_progress",
            Status::Responded => "responded",
            Status::Closed => "closed",
            Status::Deferred => "deferred",
            Status::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Nothing more happens to a closed or archived report (except the reporter's rating).
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Archived)
    }

    /// LAPOR's published bucket, in Indonesian and English, for the views.
    pub fn label(self) -> StatusLabel {
        let (id, en) = match self {
            Status::Received => ("Belum Terverifikasi", "Not yet verified"),
            Status::NeedsTriage => ("Belum Terverifikasi", "Awaiting verification"),
            Status::Dispositioned => (
                "Terdisposisi Belum Ditindaklanjuti",
                "Forwarded, no follow-up yet",
            ),
            Status::InProgress => ("Terdisposisi Sedang Diproses", "Being processed"),
            Status::Responded => ("Sudah Ditindaklanjuti", "Follow-up posted"),
            Status::Closed => ("Terdisposisi Selesai", "Done"),
            Status::Deferred => ("Tertunda", "Waiting for the reporter"),
            Status::Archived => ("Arsip", "Archived"),
        };
        StatusLabel { id, en }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusLabel {
    pub id: &'static str,
    pub en: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    /// Kemendagri province, kabupaten/kota or kecamatan code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

/// How to reach the reporter. Personal data: stored only sealed (see `crypto::Sealer`), never
/// logged, never in a public view.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReporterContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E.164 (`+62...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// National identity number (NIK, 16 digits), when the reporter gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// X (Twitter) user id, for a report sent on X: replies go back as direct messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_user_id: Option<String>,
    /// Facebook Messenger page-scoped id, for a report sent on Messenger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messenger_id: Option<String>,
}

impl ReporterContact {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.id_number.is_none()
            && self.x_user_id.is_none()
            && self.messenger_id.is_none()
    }
}

impl std::fmt::Debug for ReporterContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReporterContact(<personal data>)")
    }
}

/// Who did something on the timeline. Never carries a reporter's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    Reporter,
    System {
        component: String,
    },
    Officer {
        agency_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        officer_id: Option<String>,
    },
    Verifier {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        officer_id: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// What happened: `submitted`, `routed`, `sent_to_triage`, ...
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Free text for the reporter and the institution (e.g. a routing reason); shown only where
    /// the report's content may be shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The client-supplied id of the action that made this event: a retried action is
    /// recognised and answered without acting twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
}

/// The router's last decision, kept for verifiers and for learning from their corrections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingRecord {
    pub decision: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    pub confidence: f32,
    pub candidates: Vec<RoutingCandidate>,
    pub reason: String,
    #[serde(default)]
    pub model_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingCandidate {
    pub agency_id: String,
    pub name: String,
    pub score: f32,
}

/// Why a report was archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArchiveReason {
    /// Cannot be understood or acted on.
    Unintelligible,
    /// Too general to act on.
    TooGeneral,
    /// Not about a public service.
    NotPublicService,
    /// Repeats another report (`duplicate_of`).
    Duplicate,
    /// The reporter withdrew it.
    Withdrawn,
    /// The reporter never answered a deferral.
    NoAnswer,
}

impl ArchiveReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveReason::Unintelligible => "unintelligible",
            ArchiveReason::TooGeneral => "too_general",
            ArchiveReason::NotPublicService => "not_public_service",
            ArchiveReason::Duplicate => "duplicate",
            ArchiveReason::Withdrawn => "withdrawn",
            ArchiveReason::NoAnswer => "no_answer",
        }
    }
}

/// The current step's time limit: when it passes, the escalation schedule acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub step: crate::deadlines::Step,
    pub at: DateTime<Utc>,
}

/// A typed contact waiting for its confirmation code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCheck {
    /// Random; the code is a keyed derivation of the tracking id and this salt
    /// (`service::contact`), so the stored report alone does not give it.
    pub salt: String,
    /// Wrong codes entered so far; at `service::contact::MAX_ATTEMPTS` the code stops working.
    #[serde(default)]
    pub failed_attempts: u8,
}

/// The reporter's rating of the follow-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    /// 1 to 5.
    pub stars: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub tracking_id: TrackingId,
    pub kind: ReportKind,
    pub title: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default)]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_date: Option<NaiveDate>,
    /// The institution the reporter chose, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_agency: Option<String>,
    pub channel: Channel,
    /// The reporter's contact, sealed (`crypto::Sealer`); none when no contact was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_sealed: Option<String>,
    pub anonymous: bool,
    pub confidential: bool,
    pub status: Status,
    /// The institution handling the report (the inbox it is in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    /// The institution's work unit it is assigned to, if any (that unit's inbox too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_unit: Option<String>,
    /// The status a deferred report returns to when the reporter answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_from: Option<Status>,
    /// Why an archived report was archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_reason: Option<ArchiveReason>,
    /// The report this one repeats, when archived as a duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<TrackingId>,
    /// The reporter's rating of the follow-up (once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingRecord>,
    pub access_token_hash: String,
    /// For a report sent on a messaging channel: a keyed hash of the sender's address on it
    /// (`Sealer::reference`), never the address. Indexed (`by-reporter`), so the sender's
    /// next message finds the report waiting for their answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_ref: Option<String>,
    /// The channel's own message as it arrived (sealed like the contact): verifiers read it
    /// where they may read the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_sealed: Option<String>,
    /// Set while a contact the reporter typed on the web or in an app is unconfirmed: until
    /// they enter the code the receipt carried, no other notice is sent to it (anyone can type
    /// anyone's number). Absent when confirmed, or when there is nothing to confirm (no phone or
    /// e-mail, or a channel's sender, whose address is theirs by construction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_check: Option<ContactCheck>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The current step's deadline (shown to everyone as `expected_datetime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Deadline>,
    /// The next moment the system must look at this report (routing overdue, a deadline...).
    /// Indexed sparsely: absent when nothing is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// Who supervises the report since it missed its follow-up deadline, one level more per
    /// missed deadline, in the order added (see [`Report::next_supervisor`]). The holder keeps
    /// the report; a supervisor sees it in its `overdue` box and may remind, forward or take it
    /// over. Cleared when another institution takes the report (a forward, a take-over).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supervisors: Vec<Supervisor>,
    /// The reports marked as duplicates of this one (each carries `duplicate_of` back).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<TrackingId>,
    /// Whether the holder extended the follow-up deadline already (`extend`: once, as UU
    /// 14/2008 allows an information request).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extended: bool,
    /// Citizens who support the report ("me too"), in the order they came: each counted once,
    /// told the institution's answers. Never shown: views carry their number only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supporters: Vec<Supporter>,
    /// Open reports of the same institution and place that say the same thing, found when the
    /// router placed this one (`service::duplicates`): for its officers to merge
    /// (`mark_duplicate`). Best first, at most a few.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub possible_duplicates: Vec<PossibleDuplicate>,
    /// Photos and documents attached by the reporter or the holding institution
    /// (`crate::attachments`), in the order requested; the bytes are in the blob store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::attachments::Attachment>,
    /// The institution's first follow-up, kept for the statistics (time to first response,
    /// answered within the deadline). Absent until the first `follow_up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response: Option<FirstResponse>,
    /// Bumped by every change; updates are conditional on it.
    pub version: u64,
    pub timeline: Vec<TimelineEvent>,
}

/// At most this many supporters are kept on a report (each about 250 bytes: the report stays
/// well inside a DynamoDB item's 400 KB).
pub const MAX_SUPPORTERS: usize = 500;

/// A citizen who supports a report: who (a keyed reference, never an address), where to tell
/// them, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supporter {
    /// `report:<tracking id>`: the reporter of that report (they proved it with its access
    /// token, or it was merged into this one); `sender:<reference>`: a channel's sender
    /// (`Sealer::reference` of their address).
    pub key: String,
    /// Their contact, sealed like a reporter's; none when they cannot be told (an unconfirmed
    /// contact, none given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_sealed: Option<String>,
    /// Where they are told.
    pub channel: Channel,
    pub since: DateTime<Utc>,
}

/// An open report that likely repeats this one, and how alike their texts are
/// (`crate::duplicates::similarity`, 0 to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PossibleDuplicate {
    pub tracking_id: TrackingId,
    pub score: f64,
}

/// When the institution first followed a report up, and whether that met the follow-up
/// deadline in force at that moment (an extension counts: it moved the deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstResponse {
    pub at: DateTime<Utc>,
    pub within_deadline: bool,
}

/// A level that supervises an overdue report: an institution above the holder, or the national
/// verifiers (no institution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supervisor {
    /// The supervising institution; absent for the national verifiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    /// When the missed deadline added it.
    pub since: DateTime<Utc>,
}

/// The value the `overdue` box is keyed on for the national verifiers (an agency id otherwise).
pub const NATIONAL_SUPERVISION: &str = "national";

impl Report {
    /// A new report as received: `new`'s content, the reporter's contact sealed elsewhere
    /// (`reporter_sealed`) and the hash of their access token; status `received`, version 1,
    /// one `submitted` event, nothing decided yet (no deadline, no institution).
    pub fn received(
        new: crate::domain::submission::NewReport,
        reporter_sealed: Option<String>,
        access_token_hash: String,
        now: DateTime<Utc>,
    ) -> Report {
        Report {
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
            contact_check: None,
            created_at: now,
            updated_at: now,
            deadline: None,
            due_at: None,
            supervisors: Vec::new(),
            duplicates: Vec::new(),
            extended: false,
            supporters: Vec::new(),
            possible_duplicates: Vec::new(),
            attachments: Vec::new(),
            first_response: None,
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
        }
    }

    /// For tests: a `received` web complaint without a contact, made at `created_at` (tests
    /// change what their subject needs).
    #[cfg(any(test, feature = "testing"))]
    pub fn sample(created_at: DateTime<Utc>) -> Report {
        Report::received(
            crate::domain::submission::NewReport {
                kind: ReportKind::Complaint,
                title: "Jalan berlubang".into(),
                body: "Jalan di depan sekolah berlubang besar dan membahayakan pengendara.".into(),
                category: None,
                location: Location::default(),
                incident_date: None,
                target_agency: None,
                channel: Channel::Web,
                reporter: ReporterContact::default(),
                anonymous: false,
                confidential: false,
            },
            None,
            "0".repeat(64),
            created_at,
        )
    }

    /// Whether the public feed lists it: not confidential, held by an institution (verified),
    /// and not archived.
    pub fn is_public(&self) -> bool {
        !self.confidential && self.agency_id.is_some() && self.status != Status::Archived
    }

    /// Whether it waits for the national verifiers: no institution holds it and it is not final.
    pub fn is_in_triage(&self) -> bool {
        self.agency_id.is_none() && !self.status.is_final()
    }

    /// The key of the `overdue` box that lists the report: its latest supervisor (an agency id,
    /// or [`NATIONAL_SUPERVISION`]), while it is open. Earlier supervisors keep their access.
    pub fn supervision_key(&self) -> Option<String> {
        if self.status.is_final() {
            return None;
        }
        self.supervisors.last().map(|s| {
            s.agency_id
                .clone()
                .unwrap_or_else(|| NATIONAL_SUPERVISION.to_string())
        })
    }

    /// Whether `agency_id` supervises the report (`None`: the national verifiers).
    pub fn is_supervised_by(&self, agency_id: Option<&str>) -> bool {
        self.supervisors
            .iter()
            .any(|s| s.agency_id.as_deref() == agency_id)
    }

    /// The level a missed follow-up deadline adds, above the holder: the institution over its
    /// work unit, the institution's parent (a city's province, a directorate's ministry), then
    /// the national verifiers (`Some(None)`); `None` once every level supervises.
    pub fn next_supervisor(
        &self,
        directory: &crate::directory::Directory,
    ) -> Option<Option<String>> {
        let mut levels: Vec<Option<String>> = Vec::new();
        if let Some(agency) = &self.agency_id {
            if self.work_unit.is_some() {
                levels.push(Some(agency.clone()));
            }
            if let Some(parent) = directory.get(agency).and_then(|a| a.parent_id.clone()) {
                levels.push(Some(parent));
            }
        }
        levels.push(None);
        levels
            .into_iter()
            .find(|level| !self.is_supervised_by(level.as_deref()))
    }

    /// Appends an event and moves `updated_at`; the caller bumps the version through the store.
    pub fn record(&mut self, event: TimelineEvent) {
        self.updated_at = event.at;
        self.timeline.push(event);
    }
}
