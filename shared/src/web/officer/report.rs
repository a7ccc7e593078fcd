//! `GET /petugas/laporan/<id>`: a report as staff see it (content, badges, timeline, routing
//! record, the reporter's contact where the rules allow it) with a form for exactly each action
//! `possible_actions` allows; `POST` to the same path does one.
//!
//! What the page shows comes from the JSON API's staff view (`service::inbox::staff_report`):
//! who may see the report, and whether the contact shows, is decided in that one place. Each
//! form carries an action id made when the page was rendered, so a double click (or a resent
//! post) acts once: the services answer a repeated id as a replay. A conflict (someone acted
//! first, or the status moved on) is a 409 page that says so and offers the current state.
//!
//! The report's attachments are listed from the same view; an officer of the institution holding
//! the report (or of its work unit: the service's rule) also gets a form to attach a photo or a
//! document, posted to `/petugas/laporan/<id>/lampiran` ([`attach_from_form`]).

use super::super::attachments::{self as shown_attachments, Listed, Shown, UploadForm};
use super::super::page::{redirect, Layout, Page, PageError};
use super::super::{request, Web};
use super::words;
use super::Console;
use crate::api::{FieldError, ServiceError};
use crate::auth::StaffClaims;
use crate::domain::{
    Actor, ArchiveReason, Channel, Location, ReportKind, ReporterContact, RoutingRecord, Status,
    TimelineEvent,
};
use crate::lifecycle::{self, Action};
use crate::service::actions::act;
use crate::service::inbox::staff_report;
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// The staff view as the JSON API serialises it: the page reads the same document.
#[derive(Deserialize)]
struct StaffView {
    tracking_id: String,
    kind: ReportKind,
    title: String,
    body: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    location: Location,
    #[serde(default)]
    incident_date: Option<NaiveDate>,
    #[serde(default)]
    target_agency: Option<String>,
    channel: Channel,
    anonymous: bool,
    confidential: bool,
    status: Status,
    #[serde(default)]
    agency_id: Option<String>,
    #[serde(default)]
    work_unit: Option<String>,
    #[serde(default)]
    archive_reason: Option<ArchiveReason>,
    #[serde(default)]
    duplicate_of: Option<String>,
    #[serde(default)]
    possible_duplicates: Vec<crate::domain::report::PossibleDuplicate>,
    #[serde(default)]
    routing: Option<RoutingRecord>,
    #[serde(default)]
    expected_datetime: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    timeline: Vec<TimelineEvent>,
    possible_actions: Vec<String>,
    /// Absent for an anonymous report (and when no contact was given).
    #[serde(default)]
    reporter: Option<ReporterContact>,
    /// Absent where attachments are not configured.
    #[serde(default)]
    attachments: Vec<Listed>,
}

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct EventView {
    pub at: String,
    pub who: String,
    pub what: &'static str,
    pub note: Option<String>,
}

pub struct RoutingView {
    pub decision: &'static str,
    pub confidence: u32,
    pub reason: String,
    pub candidates: Vec<Choice>,
    pub model_version: String,
}

/// An institution to pick (a radio button).
pub struct Choice {
    pub id: String,
    pub name: String,
    /// Percent, for the router's candidates.
    pub score: Option<u32>,
}

/// One action's form.
pub struct ActionForm {
    pub name: &'static str,
    pub label: &'static str,
    pub action_id: String,
    /// What was typed, when the form comes back with something to fix.
    pub text: String,
}

#[derive(Template)]
#[template(path = "officer/report.html")]
struct ReportPage {
    layout: Layout,
    console: Console,
    csrf: String,
    id: String,
    title: String,
    body: String,
    status_label: &'static str,
    anonymous: bool,
    confidential: bool,
    deadline: Option<String>,
    overdue: bool,
    facts: Vec<Fact>,
    reporter: Vec<Fact>,
    routing: Option<RoutingView>,
    timeline: Vec<EventView>,
    forms: Vec<ActionForm>,
    done: Option<&'static str>,
    problems: Vec<FieldError>,
    search: String,
    matches: Vec<Choice>,
    work_units: Vec<Choice>,
    archive_reasons: Vec<(&'static str, &'static str)>,
    /// Likely duplicates (tracking id, grouped for reading, how alike in percent).
    similar: Vec<(String, String, u32)>,
    attachments: Vec<Shown>,
    /// The form to attach a file: the holding institution's officers', while the report is
    /// open.
    upload: Option<UploadForm>,
}

/// What a re-rendered page adds: the problems of a refused post and what was typed.
#[derive(Default)]
struct Returned {
    problems: Vec<FieldError>,
    action: String,
    text: String,
    /// What to fix in the upload form.
    upload_problem: Option<String>,
}

pub async fn page(
    web: &Web,
    req: &Request,
    staff: &StaffClaims,
    id: &str,
) -> Result<Response<Body>, PageError> {
    render(web, req, staff, id, Returned::default(), 200).await
}

async fn render(
    web: &Web,
    req: &Request,
    staff: &StaffClaims,
    id: &str,
    returned: Returned,
    status: u16,
) -> Result<Response<Body>, PageError> {
    let actor = staff.actor();
    let view = staff_report(&web.app, &actor, id).await?;
    let view: StaffView = serde_json::from_value(view)
        .map_err(|e| ServiceError::internal(format!("staff view unreadable: {e}")))?;
    let directory = web.app.directory.current().await;
    let now = web.app.clock.now();
    let zone = words::zone_of(&directory, view.agency_id.as_deref());
    let query = request::query(req);

    let mut facts = vec![
        Fact {
            label: "Jenis",
            value: words::kind(view.kind).into(),
        },
        Fact {
            label: "Diterima",
            value: words::datetime(view.created_at, zone),
        },
        Fact {
            label: "Saluran",
            value: words::channel(view.channel).into(),
        },
    ];
    let mut push = |label, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            facts.push(Fact { label, value });
        }
    };
    push(
        "Instansi",
        view.agency_id
            .as_deref()
            .map(|a| words::agency_name(&directory, a)),
    );
    push(
        "Unit kerja",
        view.work_unit
            .as_deref()
            .map(|a| words::agency_name(&directory, a)),
    );
    push(
        "Instansi tujuan pelapor",
        view.target_agency
            .as_deref()
            .map(|a| words::agency_name(&directory, a)),
    );
    push(
        "Wilayah",
        words::place(view.location.region_code.as_deref()),
    );
    push("Lokasi", view.location.text.clone());
    push(
        "Tanggal kejadian",
        view.incident_date
            .map(|d| words::date(d.and_hms_opt(12, 0, 0).expect("noon").and_utc(), zone)),
    );
    push("Kategori", view.category.clone());
    push(
        "Alasan arsip",
        view.archive_reason.map(|r| archive_reason(r).to_string()),
    );
    push("Laporan asli", view.duplicate_of.clone());

    let reporter = match &view.reporter {
        Some(contact) => [
            ("Nama", contact.name.clone()),
            ("Telepon", contact.phone.clone()),
            ("Surel", contact.email.clone()),
            ("NIK", contact.id_number.clone()),
        ]
        .into_iter()
        .filter_map(|(label, value)| value.map(|value| Fact { label, value }))
        .collect(),
        None => Vec::new(),
    };

    let routing = view.routing.as_ref().map(|r| RoutingView {
        decision: if r.decision == "auto" {
            "Diteruskan otomatis"
        } else {
            "Perlu verifikasi"
        },
        confidence: percent(r.confidence),
        reason: r.reason.clone(),
        candidates: r
            .candidates
            .iter()
            .take(3)
            .map(|c| Choice {
                id: c.agency_id.clone(),
                name: words::agency_name(&directory, &c.agency_id),
                score: Some(percent(c.score)),
            })
            .collect(),
        model_version: r.model_version.clone(),
    });

    let timeline = view
        .timeline
        .iter()
        .map(|e| EventView {
            at: words::datetime(e.at, zone),
            who: match &e.actor {
                Actor::Officer { agency_id, .. } => format!(
                    "{} ({})",
                    words::actor_role(&e.actor),
                    words::agency_name(&directory, agency_id)
                ),
                other => words::actor_role(other).to_string(),
            },
            what: words::event(&e.action),
            note: e.note.clone(),
        })
        .collect();

    let forms = view
        .possible_actions
        .iter()
        .filter_map(|name| FORM_ACTIONS.iter().find(|a| **a == name.as_str()).copied())
        .map(|name| ActionForm {
            name,
            label: words::action_label(name),
            action_id: new_action_id(),
            text: if returned.action == name {
                returned.text.clone()
            } else {
                String::new()
            },
        })
        .collect::<Vec<_>>();

    let holder = view.agency_id.clone().unwrap_or_default();
    let search = query.get("cari").cloned().unwrap_or_default();
    let picking = forms.iter().any(|f| matches!(f.name, "forward" | "verify"));
    let matches = if picking && !search.trim().is_empty() {
        directory
            .search(search.trim(), 10, 0)
            .0
            .into_iter()
            .filter(|a| a.id != holder && !lifecycle::is_unit_of(&directory, &a.id, &holder))
            .map(|a| Choice {
                id: a.id.clone(),
                name: a.name.clone(),
                score: None,
            })
            .collect()
    } else {
        Vec::new()
    };
    let work_units = if forms.iter().any(|f| f.name == "assign") {
        directory
            .all()
            .iter()
            .filter(|a| lifecycle::is_work_unit_of(&directory, &a.id, &holder))
            .map(|a| Choice {
                id: a.id.clone(),
                name: a.name.clone(),
                score: None,
            })
            .collect()
    } else {
        Vec::new()
    };
    let token = web.csrf.token(req, &web.cookies);
    let attachments = shown_attachments::shown(&view.attachments, |at| words::datetime(at, zone));
    let holds = match &actor {
        Actor::Officer { agency_id, .. } => {
            view.agency_id.as_deref() == Some(agency_id.as_str())
                || view.work_unit.as_deref() == Some(agency_id.as_str())
        }
        _ => false,
    };
    let upload = (holds && web.app.attachments.is_some() && !view.status.is_final()).then(|| {
        let held = view
            .attachments
            .iter()
            .filter(|a| a.state != crate::attachments::AttachmentState::Rejected)
            .count();
        UploadForm::new(
            web,
            format!("/petugas/laporan/{}/lampiran", view.tracking_id),
            &token.value,
            view.anonymous,
            crate::attachments::MAX_PER_REPORT.saturating_sub(held),
            returned.upload_problem.clone(),
        )
    });
    let page = ReportPage {
        layout: Layout::new(req, format!("Laporan {}", view.tracking_id), "petugas"),
        console: Console::new(staff, &directory, &token.value),
        csrf: token.value.clone(),
        id: view.tracking_id.clone(),
        title: view.title.clone(),
        body: view.body.clone(),
        status_label: view.status.label().id,
        anonymous: view.anonymous,
        confidential: view.confidential,
        deadline: view.expected_datetime.map(|d| words::datetime(d, zone)),
        overdue: view.expected_datetime.is_some_and(|d| d < now),
        facts,
        reporter,
        routing,
        timeline,
        forms,
        done: query.get("selesai").and_then(|a| words::action_done(a)),
        problems: returned.problems,
        search,
        matches,
        work_units,
        similar: view
            .possible_duplicates
            .iter()
            .map(|d| {
                (
                    d.tracking_id.to_string(),
                    d.tracking_id.display_grouped(),
                    (d.score * 100.0).round() as u32,
                )
            })
            .collect(),
        archive_reasons: vec![
            (
                "unintelligible",
                archive_reason(ArchiveReason::Unintelligible),
            ),
            ("too_general", archive_reason(ArchiveReason::TooGeneral)),
            (
                "not_public_service",
                archive_reason(ArchiveReason::NotPublicService),
            ),
        ],
        attachments,
        upload,
    };
    Ok(Page::render(&page)?
        .status(status)
        .personal()
        .images_from(shown_attachments::blob_origin(web))
        .cookie(token.set_cookie)
        .into_response())
}

/// The actions the console has forms for (the staff's; the order of the page).
const FORM_ACTIONS: [&str; 13] = [
    "verify",
    "accept",
    "follow_up",
    "request_info",
    "assign",
    "extend",
    "forward",
    "close",
    "remind",
    "take_over",
    "defer",
    "mark_duplicate",
    "archive",
];

fn percent(score: f32) -> u32 {
    (score.clamp(0.0, 1.0) * 100.0).round() as u32
}

fn archive_reason(reason: ArchiveReason) -> &'static str {
    match reason {
        ArchiveReason::Unintelligible => "Tidak dapat dipahami",
        ArchiveReason::TooGeneral => "Terlalu umum untuk ditindaklanjuti",
        ArchiveReason::NotPublicService => "Bukan tentang pelayanan publik",
        ArchiveReason::Duplicate => "Laporan ganda",
        ArchiveReason::Withdrawn => "Dicabut pelapor",
        ArchiveReason::NoAnswer => "Pelapor tidak menjawab",
    }
}

/// A fresh action id for a form: 128 random bits, so two forms never share one.
fn new_action_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("web-{}", hex::encode(bytes))
}

/// `POST /petugas/laporan/<id>/lampiran`: an officer of the institution holding the report
/// attaches a file (`multipart/form-data`: `berkas` and `csrf`), e.g. with a follow-up. The
/// service decides who may (`Requester::Staff`): anyone else gets the 403 page and nothing is
/// stored. A body or file over the web's limit is a 413 page; a refused file, a report with no
/// room or closed come back as the page with what to fix (400, 409); else back to the page
/// (303) with a notice.
pub async fn attach_from_form(
    web: &Web,
    req: &Request,
    staff: &StaffClaims,
    id: &str,
) -> Result<Response<Body>, PageError> {
    let back = crate::domain::TrackingId::parse(id).map_or_else(
        || "/petugas".to_string(),
        |t| format!("/petugas/laporan/{}", t.as_str()),
    );
    let upload = shown_attachments::read_upload(web, req, &back)?;
    let actor = staff.actor();
    let report = crate::service::actions::load(&web.app, id).await?;
    if !lifecycle::may_access(&actor, &report) {
        return Err(
            ServiceError::Forbidden("this report is not held by your institution".into()).into(),
        );
    }
    let tracking_id = report.tracking_id.to_string();
    let requester = crate::service::attachments::Requester::Staff(&actor);
    let outcome = shown_attachments::attach(web, upload, &back, &report, requester).await?;
    match outcome {
        Ok(()) => Ok(redirect(
            req,
            &format!("/petugas/laporan/{tracking_id}?selesai=lampiran"),
            Vec::new(),
        )),
        Err((status, words)) => {
            let returned = Returned {
                problems: vec![FieldError::new("berkas", words.clone())],
                action: "lampiran".into(),
                text: String::new(),
                upload_problem: Some(words),
            };
            render(web, req, staff, &tracking_id, returned, status).await
        }
    }
}

/// `POST /petugas/laporan/<id>`: one action from its form.
pub async fn act_from_form(
    web: &Web,
    req: &Request,
    staff: &StaffClaims,
    id: &str,
) -> Result<Response<Body>, PageError> {
    let form = request::form(req)?;
    web.csrf.check(req, &form)?;
    let name = form.get("action").map(String::as_str).unwrap_or("");
    let action_id = form.get("action_id").map(String::as_str).unwrap_or("");
    let (action, text) = action_from_form(name, &form)?;
    let actor = staff.actor();
    match act(&web.app, &actor, id, Some(action_id), &action).await {
        Ok(acted) => {
            let tracking_id = acted.report.tracking_id.to_string();
            if lifecycle::may_access(&actor, &acted.report) {
                let query = serde_urlencoded::to_string([("selesai", action.name())])
                    .expect("strings encode");
                Ok(redirect(
                    req,
                    &format!("/petugas/laporan/{tracking_id}?{query}"),
                    Vec::new(),
                ))
            } else {
                // Forwarded away: the report is no longer theirs to see.
                Ok(redirect(
                    req,
                    &format!("/petugas?diteruskan={tracking_id}"),
                    Vec::new(),
                ))
            }
        }
        Err(ServiceError::Conflict { code, .. }) => conflict_page(web, req, staff, id, code),
        Err(ServiceError::Invalid(problems)) => {
            let returned = Returned {
                problems,
                action: name.to_string(),
                text,
                upload_problem: None,
            };
            render(web, req, staff, id, returned, 400).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The lifecycle's action from a form's fields, and the text typed (kept when the form comes
/// back). Fields left empty are absent, so the lifecycle names what is missing.
fn action_from_form(
    name: &str,
    form: &HashMap<String, String>,
) -> Result<(Action, String), PageError> {
    let field = |key: &str| {
        form.get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let text_field = match name {
        "follow_up" | "close" => "message",
        "request_info" | "defer" => "question",
        "forward" | "take_over" | "extend" => "reason",
        "verify" | "remind" => "note",
        _ => "",
    };
    let text = field(text_field).unwrap_or_default();
    let mut object = serde_json::Map::new();
    object.insert("action".into(), name.into());
    let keys: &[&str] = match name {
        "accept" => &[],
        "assign" => &["work_unit"],
        "follow_up" => &["message"],
        "request_info" => &["question"],
        "forward" => &["agency_id", "reason"],
        "close" => &["message"],
        "verify" => &["agency_id", "note"],
        "defer" => &["question"],
        "archive" => &["reason"],
        "mark_duplicate" => &["duplicate_of"],
        "remind" => &["note"],
        "take_over" | "extend" => &["reason"],
        _ => {
            return Err(
                ServiceError::bad_request("invalid_action", "tindakan tidak dikenal").into(),
            )
        }
    };
    let required = |key: &str| {
        !matches!(
            (name, key),
            ("close", "message") | ("verify", "agency_id") | ("verify", "note")
        )
    };
    let mut missing = Vec::new();
    for key in keys {
        match field(key) {
            Some(value) => {
                object.insert((*key).into(), value.into());
            }
            None if required(key) => missing.push(FieldError::new(key, missing_message(key))),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(ServiceError::Invalid(missing).into());
    }
    let action: Action = serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|_| ServiceError::bad_request("invalid_action", "isian tindakan tidak sah"))?;
    Ok((action, text))
}

fn missing_message(key: &str) -> &'static str {
    match key {
        "work_unit" => "Pilih unit kerja.",
        "message" => "Tulis tindak lanjut untuk pelapor.",
        "question" => "Tulis pertanyaan untuk pelapor.",
        "agency_id" => "Pilih instansi tujuan dari hasil pencarian.",
        "reason" => "Tulis alasannya.",
        "duplicate_of" => "Tulis nomor pelacakan laporan aslinya.",
        _ => "Wajib diisi.",
    }
}

#[derive(Template)]
#[template(path = "officer/conflict.html")]
struct ConflictPage {
    layout: Layout,
    console: Console,
    id: String,
    explanation: &'static str,
}

/// 409: someone acted first, or the action no longer fits the report's status.
fn conflict_page(
    web: &Web,
    req: &Request,
    staff: &StaffClaims,
    id: &str,
    code: &str,
) -> Result<Response<Body>, PageError> {
    let explanation = match code {
        "conflict" => {
            "Laporan ini baru saja ditangani petugas lain. Tindakan Anda tidak dijalankan."
        }
        "action_id_reused" => {
            "Formulir ini sudah dipakai untuk tindakan lain. Tindakan Anda tidak dijalankan."
        }
        "already_done" => "Tindakan ini sudah dilakukan sebelumnya.",
        _ => {
            "Status laporan ini sudah berubah sehingga tindakan ini tidak berlaku lagi. \
              Tindakan Anda tidak dijalankan."
        }
    };
    let directory = web.app.directory.now();
    let token = web.csrf.token(req, &web.cookies);
    let page = ConflictPage {
        layout: Layout::new(req, "Laporan ini sudah berubah", "petugas"),
        console: Console::new(staff, &directory, &token.value),
        id: crate::domain::TrackingId::parse(id)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        explanation,
    };
    Ok(Page::render(&page)?
        .status(409)
        .personal()
        .cookie(token.set_cookie)
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn forms_become_the_lifecycles_actions() {
        let (a, _) = action_from_form("accept", &form(&[])).unwrap();
        assert_eq!(a, Action::Accept {});
        let (a, text) =
            action_from_form("follow_up", &form(&[("message", " Sudah diperbaiki. ")])).unwrap();
        assert_eq!(
            a,
            Action::FollowUp {
                message: "Sudah diperbaiki.".into()
            }
        );
        assert_eq!(text, "Sudah diperbaiki.");
        let (a, _) = action_from_form("close", &form(&[("message", "")])).unwrap();
        assert_eq!(a, Action::Close { message: None });
        let (a, _) = action_from_form("verify", &form(&[])).unwrap();
        assert_eq!(
            a,
            Action::Verify {
                agency_id: None,
                note: None
            }
        );
        let (a, _) = action_from_form("archive", &form(&[("reason", "too_general")])).unwrap();
        assert_eq!(
            a,
            Action::Archive {
                reason: ArchiveReason::TooGeneral
            }
        );
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        let Err(PageError::Service(ServiceError::Invalid(fields))) =
            action_from_form("forward", &form(&[("reason", "bukan kewenangan kami")]))
        else {
            panic!("a forward needs an institution");
        };
        assert_eq!(fields[0].field, "agency_id");
        assert!(action_from_form("rate", &form(&[])).is_err());
        assert!(action_from_form("archive", &form(&[("reason", "withdrawn!")])).is_err());
    }

    #[test]
    fn action_ids_are_fresh_and_acceptable() {
        let a = new_action_id();
        assert_ne!(a, new_action_id());
        assert!(crate::service::actions::check_action_id(&a).is_ok());
    }
}
