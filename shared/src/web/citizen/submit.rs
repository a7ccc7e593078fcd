//! The home page with the submit form (`GET /`, `POST /kirim`), the page after sending
//! (`GET /terkirim/{id}`), and the suggested institution while typing (`POST /saran`, for the
//! script; the form works without it).

use super::access;
use super::labels::{self, ShownError};
use crate::api::{limits, ServiceError};
use crate::crypto::random_secret;
use crate::domain::regions::{RegionLevel, Regions};
use crate::service::intake;
use crate::web::page::{redirect, secured, Layout, Page, PageError};
use crate::web::{csrf, request, Web};
use askama::Template;
use lambda_http::{Body, Request, Response};
use std::collections::HashMap;

/// What the form holds: what was typed, kept when the form is shown again (a place chosen, a
/// field to fix).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub province: String,
    pub regency: String,
    pub district: String,
    pub location_text: String,
    pub incident_date: String,
    pub anonymous: bool,
    pub confidential: bool,
    pub name: String,
    pub phone: String,
    pub email: String,
    /// The submission's idempotency key: a double submit of this form stores one report.
    pub key: String,
}

impl Draft {
    fn new() -> Draft {
        Draft {
            key: random_secret(),
            ..Draft::default()
        }
    }

    fn from_form(form: &HashMap<String, String>) -> Draft {
        let text = |name: &str| form.get(name).cloned().unwrap_or_default();
        let mut draft = Draft {
            kind: text("kind"),
            title: text("title"),
            body: text("body"),
            province: text("provinsi"),
            regency: text("kabupaten"),
            district: text("kecamatan"),
            location_text: text("lokasi"),
            incident_date: text("tanggal"),
            anonymous: form.contains_key("anonim"),
            confidential: form.contains_key("rahasia"),
            name: text("nama"),
            phone: text("telepon"),
            email: text("email"),
            key: text("kunci"),
        };
        // A list below a changed choice no longer applies.
        let regions = Regions::get();
        let under = |code: &str, parent: &str, level| {
            regions
                .find(code)
                .is_some_and(|r| r.level == level && r.parent_code.as_deref() == Some(parent))
        };
        if !under(&draft.regency, &draft.province, RegionLevel::Regency) {
            draft.regency.clear();
        }
        if !under(&draft.district, &draft.regency, RegionLevel::District) {
            draft.district.clear();
        }
        if draft.key.is_empty() {
            draft.key = random_secret();
        }
        draft
    }

    /// The most precise place chosen from the lists.
    fn region_code(&self) -> Option<&str> {
        [&self.district, &self.regency, &self.province]
            .into_iter()
            .find(|c| !c.is_empty())
            .map(String::as_str)
    }

    /// The intake's JSON request for this draft: the same rules as the API's apply to it.
    fn submission(&self) -> serde_json::Value {
        let some = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        };
        let mut reporter = serde_json::Map::new();
        for (field, value) in [
            ("name", &self.name),
            ("phone", &self.phone),
            ("email", &self.email),
        ] {
            if let Some(v) = some(value) {
                reporter.insert(field.into(), v.into());
            }
        }
        let mut out = serde_json::json!({
            "kind": some(&self.kind),
            "title": self.title,
            "body": self.body,
            "region_code": self.region_code(),
            "location_text": some(&self.location_text),
            "incident_date": some(&self.incident_date),
            "channel": "web",
            "anonymous": self.anonymous,
            "confidential": self.confidential,
        });
        if !reporter.is_empty() {
            out["reporter"] = serde_json::Value::Object(reporter);
        }
        out
    }
}

/// An option of a place list.
pub struct Choice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

fn choices(level: RegionLevel, parent: Option<&str>, selected: &str) -> Vec<Choice> {
    let mut out: Vec<Choice> = Regions::get()
        .all()
        .iter()
        .filter(|r| r.level == level && r.parent_code.as_deref() == parent)
        .map(|r| Choice {
            code: r.code.clone(),
            name: r.name.clone(),
            selected: r.code == selected,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home<'a> {
    layout: Layout,
    csrf: String,
    draft: &'a Draft,
    errors: Vec<ShownError>,
    kinds: &'static [(&'static str, &'static str, &'static str)],
    provinces: Vec<Choice>,
    regencies: Vec<Choice>,
    districts: Vec<Choice>,
    title_max: usize,
    body_max: usize,
}

impl Home<'_> {
    /// The message for `field`, if it failed.
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn home_page(
    req: &Request,
    token: csrf::Token,
    draft: &Draft,
    errors: Vec<ShownError>,
) -> Result<Page, PageError> {
    let page = Home {
        layout: Layout::new(req, "Sampaikan laporan Anda", "beranda"),
        csrf: token.value,
        draft,
        errors,
        kinds: &labels::KINDS,
        provinces: choices(RegionLevel::Province, None, &draft.province),
        regencies: match draft.province.as_str() {
            "" => Vec::new(),
            p => choices(RegionLevel::Regency, Some(p), &draft.regency),
        },
        districts: match draft.regency.as_str() {
            "" => Vec::new(),
            r => choices(RegionLevel::District, Some(r), &draft.district),
        },
        title_max: *limits::TITLE_CHARS.end(),
        body_max: *limits::BODY_CHARS.end(),
    };
    Ok(Page::render(&page)?.cookie(token.set_cookie))
}

/// `GET /`: what LAPOR! is and the form.
pub fn home(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let token = web.csrf.token(req, &web.cookies);
    Ok(home_page(req, token, &Draft::new(), Vec::new())?.into_response())
}

/// `POST /kirim`: a place chosen ("Pilih": the form again with the next list, nothing stored),
/// or the report sent: stored once per form (its idempotency key), the access kept in this
/// browser's cookie, and a redirect to the page after sending. Invalid fields: the form again
/// (400) with what to fix next to each field, nothing stored.
pub async fn submit(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let form = request::form(req)?;
    web.csrf.check(req, &form)?;
    let draft = Draft::from_form(&form);
    let token = web.csrf.token(req, &web.cookies);
    if form.contains_key("pilih") {
        return Ok(home_page(req, token, &draft, Vec::new())?
            .personal()
            .into_response());
    }
    let body = draft.submission().to_string();
    match intake::submit(&web.app, body.as_bytes(), Some(draft.key.as_bytes())).await {
        Ok(submitted) => {
            let id = submitted.tracking_id.as_str();
            let cookies = submitted
                .access_token
                .map(|t| access::keep(web, req, id, &t))
                .into_iter()
                .collect();
            Ok(redirect(req, &format!("/terkirim/{id}"), cookies))
        }
        Err(ServiceError::Invalid(errors)) => {
            Ok(home_page(req, token, &draft, labels::shown(&errors))?
                .status(400)
                .personal()
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "sent.html")]
struct Sent {
    layout: Layout,
    csrf: String,
    tracking_id: String,
    grouped: String,
    /// The private link (token in the fragment) and the token, when this browser holds it.
    link: Option<String>,
    token: Option<String>,
}

/// `GET /terkirim/{id}`: the tracking id, large and copyable, and, for the browser that sent
/// the report, the private link to keep, with the warning that it is the key.
pub async fn sent(
    web: &Web,
    req: &Request,
    tracking_id: &str,
) -> Result<Response<Body>, PageError> {
    let id = crate::service::actions::load(&web.app, tracking_id)
        .await?
        .tracking_id;
    let token = access::token_for(web, req, id.as_str());
    let link = token
        .as_ref()
        .map(|t| format!("{}/lacak/{}#akses={t}", site_origin(web, req), id.as_str()));
    let csrf = web.csrf.token(req, &web.cookies);
    let page = Sent {
        layout: Layout::new(req, "Laporan terkirim", "beranda"),
        csrf: csrf.value,
        tracking_id: id.as_str().to_string(),
        grouped: id.display_grouped(),
        link,
        token,
    };
    Ok(Page::render(&page)?
        .cookie(csrf.set_cookie)
        .personal()
        .into_response())
}

/// `https://host/base` as the browser reached us, for a link to keep.
fn site_origin(web: &Web, req: &Request) -> String {
    let scheme = crate::lambda::http::header(req, "x-forwarded-proto")
        .filter(|p| *p == "http" || *p == "https")
        .unwrap_or(if web.cookies.secure() {
            "https"
        } else {
            "http"
        });
    let host = crate::lambda::http::header(req, "host")
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}{}", request::base(req))
}

/// `POST /saran`: the institution the router would choose for the draft, as JSON for the
/// script (`{"agency_name": ...}` or `{"agency_name": null}` when a verifier would decide), and
/// the public reports at the same place that likely say the same thing (`similar`).
/// An incomplete draft is a 422 the script ignores.
pub async fn suggest(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let form = request::form(req)?;
    web.csrf.check(req, &form)?;
    let draft = Draft::from_form(&form);
    let body = serde_json::json!({
        "kind": (!draft.kind.is_empty()).then_some(&draft.kind),
        "title": draft.title,
        "body": draft.body,
        "region_code": draft.region_code(),
        "location_text": (!draft.location_text.trim().is_empty()).then_some(&draft.location_text),
    });
    let (status, answer) = match web.directory.suggest(body.to_string().as_bytes()).await {
        Ok(s) => {
            let directory = web.app.directory.current().await;
            let name = s
                .agency_id
                .as_deref()
                .and_then(|id| directory.get(id))
                .map(|a| a.name.clone());
            let base = request::base(req);
            let similar: Vec<serde_json::Value> = s
                .possible_duplicates
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "tracking_id": d.tracking_id,
                        "title": d.title,
                        "status_label": d.status_label,
                        "url": format!("{base}/laporan/{}", d.tracking_id),
                    })
                })
                .collect();
            (
                200,
                serde_json::json!({"agency_id": s.agency_id, "agency_name": name, "similar": similar}),
            )
        }
        Err(ServiceError::Invalid(_)) => (422, serde_json::json!({"error": "incomplete"})),
        Err(e) => return Err(e.into()),
    };
    Ok(secured(Response::builder().status(status))
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(Body::Text(answer.to_string()))
        .expect("status and headers are valid"))
}
