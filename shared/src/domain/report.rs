//! The report: what a citizen sends, what the system keeps, and its append-only timeline.

use super::ids::TrackingId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// Statuses. The lifecycle grows from here: a new status is a new variant plus its transitions;
/// stored documents carry the snake_case name, so old items stay readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stored and queued for routing.
    Received,
    /// The router was not sure (or it is not about a public service): a verifier decides.
    NeedsTriage,
    /// Assigned to an institution.
    Routed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::NeedsTriage => "needs_triage",
            Status::Routed => "routed",
        }
    }

    /// LAPOR's published bucket, in Indonesian and English, for the views.
    pub fn label(self) -> StatusLabel {
        let (id, en) = match self {
            Status::Received => ("Belum Terverifikasi", "Not yet verified"),
            Status::NeedsTriage => ("Belum Terverifikasi", "Awaiting verification"),
            Status::Routed => (
                "Terdisposisi Belum Ditindaklanjuti",
                "Forwarded, no follow-up yet",
            ),
        };
        StatusLabel { id, en }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatusLabel {
    pub id: &'static str,
    pub en: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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
pub struct ReporterContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E.164 (`+62...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl ReporterContact {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.email.is_none()
    }
}

impl std::fmt::Debug for ReporterContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReporterContact(<personal data>)")
    }
}

/// Who did something on the timeline. Never carries a reporter's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// The router's last decision, kept for verifiers and for learning from their corrections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct RoutingCandidate {
    pub agency_id: String,
    pub name: String,
    pub score: f32,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingRecord>,
    pub access_token_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The next moment the system must look at this report (routing overdue, a deadline...).
    /// Indexed sparsely: absent when nothing is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// Bumped by every change; updates are conditional on it.
    pub version: u64,
    pub timeline: Vec<TimelineEvent>,
}

impl Report {
    /// Appends an event and moves `updated_at`; the caller bumps the version through the store.
    pub fn record(&mut self, event: TimelineEvent) {
        self.updated_at = event.at;
        self.timeline.push(event);
    }
}
