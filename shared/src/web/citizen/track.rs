//! Tracking a report: `GET /lacak` (enter a tracking id), `GET /lacak/{id}` (the public view, or
//! with this browser's access the reporter's whole view with forms to reply, answer a question,
//! rate and withdraw), and `POST /lacak/{id}/{aksi}`: `akses` (open with the access code from
//! the private link or typed), `balas`, `nilai`, `tarik`, `konfirmasi` (the contact's code),
//! `lupakan` (drop this report's access from this browser) and `lampiran` (attach a photo or a
//! document: a `multipart/form-data` post, [`attach`]).

use super::access;
use super::labels::{self, ShownError};
use crate::api::ServiceError;
use crate::crypto::random_secret;
use crate::domain::{AccessToken, Actor, Report, Status, TrackingId};
use crate::service::actions::{self, reporter_act, ReporterAction};
use crate::web::attachments::{self as shown_attachments, Shown, UploadForm};
use crate::web::page::{redirect, Layout, Page, PageError};
use crate::web::{csrf, request, Web};
use askama::Template;
use lambda_http::{Body, Request, Response};

#[derive(Template)]
#[template(path = "track_form.html")]
struct TrackForm {
    layout: Layout,
    entered: String,
    not_found: bool,
    held: Vec<(String, String)>,
}

/// `GET /lacak` and `GET /lacak?nomor=...`: the form, or a redirect to the report's page. A
/// malformed and an unknown id answer alike (404 with the form again).
pub async fn form(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let query = request::query(req);
    let entered = query.get("nomor").map(|s| s.trim()).unwrap_or_default();
    let mut not_found = false;
    if !entered.is_empty() {
        if let Some(id) = TrackingId::parse(entered) {
            if web
                .app
                .store
                .get(&id)
                .await
                .map_err(ServiceError::from)?
                .is_some()
            {
                return Ok(redirect(
                    req,
                    &format!("/lacak/{}", id.as_str()),
                    Vec::new(),
                ));
            }
        }
        not_found = true;
    }
    let held = access::held(web, req)
        .into_iter()
        .filter_map(|(id, _)| TrackingId::parse(&id))
        .map(|id| (id.as_str().to_string(), id.display_grouped()))
        .collect();
    let page = TrackForm {
        layout: Layout::new(req, "Lacak laporan", "lacak"),
        entered: entered.chars().take(40).collect(),
        not_found,
        held,
    };
    let page = Page::render(&page)?.personal();
    Ok(if not_found { page.status(404) } else { page }.into_response())
}

/// A timeline event as a page shows it.
pub struct ShownEvent {
    pub at: String,
    pub what: String,
    pub who: &'static str,
    pub agency: Option<String>,
    /// Its text: only where the viewer may read the report's content.
    pub note: Option<String>,
    pub question: bool,
}

/// The content of a report as a page shows it.
pub struct ShownReport {
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    pub region: Option<String>,
    pub location_text: Option<String>,
    pub agency: Option<(String, String)>,
    pub created: String,
    pub timeline: Vec<ShownEvent>,
    /// How many citizens support it ("me too").
    pub supporters: usize,
}

/// What only the reporter sees.
pub struct ReporterPart {
    pub anonymous: bool,
    pub confidential: bool,
    pub incident_date: Option<String>,
    pub contact: Vec<(&'static str, String)>,
    pub contact_unconfirmed: bool,
    pub rating: Option<(u8, Option<String>)>,
    pub can_reply: bool,
    pub can_rate: bool,
    pub can_withdraw: bool,
    /// The institution asked and waits for the answer (the report is deferred).
    pub question: Option<String>,
    pub archive_reason: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "track.html")]
struct Track {
    layout: Layout,
    csrf: String,
    tracking_id: String,
    grouped: String,
    status_label: &'static str,
    deadline: Option<String>,
    confidential: bool,
    content: Option<ShownReport>,
    reporter: Option<ReporterPart>,
    /// This browser held a token that no longer opens the report.
    stale_access: bool,
    /// A fresh key for each form: a double submit acts once.
    action_key: String,
    /// The form that failed and what to fix, when shown again.
    failed: &'static str,
    errors: Vec<ShownError>,
    /// The report's attachments this browser may see (all of them for its reporter, the
    /// checked images of a public report for anyone else).
    attachments: Vec<Shown>,
    /// The form to attach a file: the reporter's, while the report is open.
    upload: Option<UploadForm>,
    /// What an action just did (`?lampiran=diterima`).
    notice: Option<&'static str>,
}

/// The field of the upload form's problems.
const UPLOAD_FIELD: &str = "berkas";

impl Track {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn agency_name(directory: &crate::directory::Directory, id: &str) -> String {
    directory
        .get(id)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn shown_events(
    report: &Report,
    directory: &crate::directory::Directory,
    with_notes: bool,
) -> Vec<ShownEvent> {
    let region = report.location.region_code.as_deref();
    report
        .timeline
        .iter()
        .map(|e| ShownEvent {
            at: labels::when(e.at, region),
            what: labels::event(&e.action).to_string(),
            who: labels::actor(match e.actor {
                Actor::Reporter => "reporter",
                Actor::Officer { .. } => "officer",
                Actor::Verifier { .. } => "verifier",
                Actor::System { .. } => "system",
            }),
            agency: e.agency_id.as_deref().map(|a| agency_name(directory, a)),
            // The JSON views' rule: the reporter reads the texts meant for them (the
            // institution's answers and questions, their own replies), never the router's or
            // the escalation's notes; the public reads the institution's answers.
            note: match with_notes {
                true => crate::service::views::reporter_note(e),
                false => crate::service::views::public_note(e),
            }
            .map(str::to_string),
            question: e.action == "info_requested",
        })
        .collect()
}

/// The content as the public may see it (`views::public_view`'s rule: only while the report is
/// public) or as its reporter does.
pub(super) fn shown_report(
    report: &Report,
    directory: &crate::directory::Directory,
    with_notes: bool,
) -> ShownReport {
    ShownReport {
        kind: labels::kind(report.kind),
        title: report.title.clone(),
        body: report.body.clone(),
        region: report
            .location
            .region_code
            .as_deref()
            .and_then(labels::region),
        location_text: report.location.text.clone(),
        agency: report
            .agency_id
            .as_ref()
            .map(|a| (a.clone(), agency_name(directory, a))),
        created: labels::when(report.created_at, report.location.region_code.as_deref()),
        timeline: shown_events(report, directory, with_notes),
        supporters: report.supporters.len(),
    }
}

/// The report's page for this browser: the reporter's view when it holds the report's token,
/// else the public one.
async fn track_page(
    web: &Web,
    req: &Request,
    report: &Report,
    token: csrf::Token,
    failed: &'static str,
    errors: Vec<ShownError>,
) -> Result<Page, PageError> {
    let directory = web.app.directory.current().await;
    let id = &report.tracking_id;
    let held = access::token_for(web, req, id.as_str());
    let is_reporter = held
        .as_deref()
        .is_some_and(|t| AccessToken::from_presented(t).matches(&report.access_token_hash));
    let region = report.location.region_code.as_deref();
    let (content, reporter) = if is_reporter {
        let contact = match &report.reporter_sealed {
            None => Default::default(),
            Some(sealed) => crate::service::inbox::open_contact(&web.app.pii, report, sealed)?,
        };
        let possible = crate::lifecycle::possible_actions(report, &Actor::Reporter);
        let question = (report.status == Status::Deferred)
            .then(|| {
                report
                    .timeline
                    .iter()
                    .rev()
                    .find(|e| e.action == "info_requested" || e.action == "deferred")
                    .map(|e| e.note.clone().unwrap_or_default())
            })
            .flatten();
        let mut shown_contact = Vec::new();
        for (label, value) in [
            ("Nama", &contact.name),
            ("Telepon", &contact.phone),
            ("E-mail", &contact.email),
        ] {
            if let Some(v) = value {
                shown_contact.push((label, v.clone()));
            }
        }
        let part = ReporterPart {
            anonymous: report.anonymous,
            confidential: report.confidential,
            incident_date: report
                .incident_date
                .map(|d| d.format("%d-%m-%Y").to_string()),
            contact: shown_contact,
            contact_unconfirmed: report.contact_check.is_some(),
            rating: report.rating.as_ref().map(|r| (r.stars, r.comment.clone())),
            can_reply: possible.contains(&"reply"),
            can_rate: possible.contains(&"rate"),
            can_withdraw: possible.contains(&"withdraw"),
            question,
            archive_reason: report.archive_reason.map(archive_reason),
        };
        (Some(shown_report(report, &directory, true)), Some(part))
    } else {
        let public = crate::service::views::public_view(report, &directory);
        let content = public
            .content
            .is_some()
            .then(|| shown_report(report, &directory, false));
        (content, None)
    };
    let audience = match (is_reporter, content.is_some()) {
        (true, _) => Some(crate::service::attachments::Audience::Involved),
        (false, true) => Some(crate::service::attachments::Audience::Public),
        (false, false) => None,
    };
    let attachments = match audience {
        Some(audience) => {
            let listed = crate::service::attachments::listing(&web.app, report, audience).await?;
            let listed: Vec<_> = listed.iter().map(Into::into).collect();
            shown_attachments::shown(&listed, |at| labels::when(at, region))
        }
        None => Vec::new(),
    };
    let upload = if is_reporter {
        let error = (failed == "lampiran")
            .then(|| errors.iter().find(|e| e.field == UPLOAD_FIELD))
            .flatten()
            .map(|e| e.message.clone());
        UploadForm::for_report(
            web,
            report,
            format!("/lacak/{}/lampiran", id.as_str()),
            &token.value,
            error,
        )
    } else {
        None
    };
    let notice = match request::query(req).get("lampiran").map(String::as_str) {
        Some("diterima") if is_reporter => Some(
            "Lampiran Anda kami terima dan sedang diperiksa. Lampiran tampil di halaman ini \
             setelah lolos pemeriksaan, biasanya dalam beberapa saat: muat ulang halaman untuk \
             melihatnya.",
        ),
        _ => None,
    };
    let page = Track {
        layout: Layout::new(req, format!("Laporan {}", id.display_grouped()), "lacak"),
        csrf: token.value,
        tracking_id: id.as_str().to_string(),
        grouped: id.display_grouped(),
        status_label: report.status.label().id,
        deadline: report
            .deadline
            .filter(|_| !report.status.is_final())
            .map(|d| {
                format!(
                    "{} ({})",
                    labels::when(d.at, region),
                    labels::deadline_step(d.step)
                )
            }),
        confidential: report.confidential,
        content,
        stale_access: held.is_some() && !is_reporter,
        reporter,
        action_key: random_secret(),
        failed,
        errors,
        attachments,
        upload,
        notice,
    };
    let page = Page::render(&page)?
        .cookie(token.set_cookie)
        .images_from(shown_attachments::blob_origin(web));
    Ok(if is_reporter { page.personal() } else { page })
}

fn archive_reason(reason: crate::domain::ArchiveReason) -> &'static str {
    use crate::domain::ArchiveReason::*;
    match reason {
        Unintelligible => "laporan tidak dapat dipahami",
        TooGeneral => "laporan terlalu umum untuk ditindaklanjuti",
        NotPublicService => "bukan tentang pelayanan publik",
        Duplicate => "sama dengan laporan lain",
        Withdrawn => "ditarik oleh pelapor",
        NoAnswer => "pertanyaan instansi tidak dijawab",
    }
}

/// `GET /lacak/{id}`.
pub async fn show(
    web: &Web,
    req: &Request,
    tracking_id: &str,
) -> Result<Response<Body>, PageError> {
    let report = actions::load(&web.app, tracking_id).await?;
    if report.tracking_id.as_str() != tracking_id {
        // Typed with dashes, lower case or O for 0: the canonical address.
        return Ok(redirect(
            req,
            &format!("/lacak/{}", report.tracking_id.as_str()),
            Vec::new(),
        ));
    }
    let token = web.csrf.token(req, &web.cookies);
    Ok(track_page(web, req, &report, token, "", Vec::new())
        .await?
        .into_response())
}

/// `POST /lacak/{id}/{aksi}`.
pub async fn act(
    web: &Web,
    req: &Request,
    tracking_id: &str,
    what: &str,
) -> Result<Response<Body>, PageError> {
    if what == "lampiran" {
        return attach(web, req, tracking_id).await;
    }
    let form = request::form(req)?;
    web.csrf.check(req, &form)?;
    let text = |name: &str| form.get(name).map(|s| s.trim().to_string());
    let here = |id: &TrackingId| format!("/lacak/{}", id.as_str());
    match what {
        "akses" => {
            let report = actions::load(&web.app, tracking_id).await?;
            let given = text("akses").unwrap_or_default();
            // The code as copied may carry the link's `#akses=` or the whole link.
            let given = given.rsplit("akses=").next().unwrap_or_default().trim();
            if given.is_empty()
                || !AccessToken::from_presented(given).matches(&report.access_token_hash)
            {
                return Err(ServiceError::Unauthorized.into());
            }
            let cookie = access::keep(web, req, report.tracking_id.as_str(), given);
            Ok(redirect(req, &here(&report.tracking_id), vec![cookie]))
        }
        "lupakan" => {
            let id = TrackingId::parse(tracking_id).ok_or_else(PageError::not_found)?;
            let cookie = access::forget(web, req, id.as_str());
            Ok(redirect(req, &here(&id), vec![cookie]))
        }
        "balas" | "nilai" | "tarik" | "konfirmasi" => {
            let report = actions::load(&web.app, tracking_id).await?;
            let id = report.tracking_id.clone();
            let token =
                access::token_for(web, req, id.as_str()).ok_or(ServiceError::Unauthorized)?;
            let key = text("kunci").filter(|k| !k.is_empty());
            let (failed, result) = match what {
                "balas" => (
                    "balas",
                    reporter_act(
                        &web.app,
                        ReporterAction::Reply,
                        id.as_str(),
                        Some(&token),
                        key.as_deref().map(str::as_bytes),
                        serde_json::json!({"message": text("message").unwrap_or_default()})
                            .to_string()
                            .as_bytes(),
                    )
                    .await
                    .map(|_| ()),
                ),
                "nilai" => {
                    let stars = text("stars").and_then(|s| s.parse::<u8>().ok());
                    let result = match stars {
                        None => Err(ServiceError::Invalid(vec![crate::api::FieldError::new(
                            "stars",
                            "pilih nilai 1 sampai 5",
                        )])),
                        Some(stars) => reporter_act(
                            &web.app,
                            ReporterAction::Rate,
                            id.as_str(),
                            Some(&token),
                            key.as_deref().map(str::as_bytes),
                            serde_json::json!({
                                "stars": stars,
                                "comment": text("comment").filter(|c| !c.is_empty()),
                            })
                            .to_string()
                            .as_bytes(),
                        )
                        .await
                        .map(|_| ()),
                    };
                    ("nilai", result)
                }
                "tarik" => {
                    let result = if form.contains_key("yakin") {
                        reporter_act(
                            &web.app,
                            ReporterAction::Withdraw,
                            id.as_str(),
                            Some(&token),
                            key.as_deref().map(str::as_bytes),
                            serde_json::json!({"reason": text("reason").filter(|r| !r.is_empty())})
                                .to_string()
                                .as_bytes(),
                        )
                        .await
                        .map(|_| ())
                    } else {
                        Err(ServiceError::Invalid(vec![crate::api::FieldError::new(
                            "yakin",
                            "centang untuk memastikan Anda ingin menarik laporan",
                        )]))
                    };
                    ("tarik", result)
                }
                _ => (
                    "konfirmasi",
                    crate::service::contact::confirm(
                        &web.app,
                        id.as_str(),
                        Some(&token),
                        serde_json::json!({"code": text("code").unwrap_or_default()})
                            .to_string()
                            .as_bytes(),
                    )
                    .await
                    .map(|_| ()),
                ),
            };
            match result {
                Ok(()) => Ok(redirect(req, &here(&id), Vec::new())),
                Err(ServiceError::Invalid(errors)) => {
                    let report = actions::load(&web.app, id.as_str()).await?;
                    let token = web.csrf.token(req, &web.cookies);
                    Ok(
                        track_page(web, req, &report, token, failed, labels::shown(&errors))
                            .await?
                            .status(400)
                            .into_response(),
                    )
                }
                Err(e) => Err(e.into()),
            }
        }
        _ => Err(PageError::not_found()),
    }
}

/// `POST /lacak/{id}/lampiran`: the reporter attaches a file (`multipart/form-data`: the file
/// in `berkas`, the CSRF token in `csrf`), with this browser's access to the report, as the
/// other actions. A body over [`crate::web::WEB_UPLOAD_LIMIT`] or a file over the web's limit
/// is a 413 page; a file the service refuses (its type, an anonymous report's document), a
/// report with no room or closed come back as the page with what to fix (400, 409). Nothing is
/// stored unless the service took the file; then back to the page (303) with a notice: the
/// check runs after the upload, so the file shows as being checked.
pub async fn attach(
    web: &Web,
    req: &Request,
    tracking_id: &str,
) -> Result<Response<Body>, PageError> {
    let back = TrackingId::parse(tracking_id).map_or_else(
        || "/lacak".to_string(),
        |id| format!("/lacak/{}", id.as_str()),
    );
    let upload = shown_attachments::read_upload(web, req, &back)?;
    let report = actions::load(&web.app, tracking_id).await?;
    let id = report.tracking_id.clone();
    let back = format!("/lacak/{}", id.as_str());
    let token = access::token_for(web, req, id.as_str()).ok_or(ServiceError::Unauthorized)?;
    let requester = crate::service::attachments::Requester::Reporter {
        token: Some(&token),
    };
    let outcome = shown_attachments::attach(web, upload, &back, &report, requester).await?;
    match outcome {
        Ok(()) => Ok(redirect(
            req,
            &format!("{back}?lampiran=diterima"),
            Vec::new(),
        )),
        Err((status, words)) => {
            let report = actions::load(&web.app, id.as_str()).await?;
            let token = web.csrf.token(req, &web.cookies);
            let errors = vec![ShownError {
                field: UPLOAD_FIELD.into(),
                label: "Lampiran".into(),
                message: words,
            }];
            Ok(track_page(web, req, &report, token, "lampiran", errors)
                .await?
                .status(status)
                .into_response())
        }
    }
}
