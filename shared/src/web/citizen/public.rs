//! The public side: the feed `GET /laporan` (filter by institution and status, paginated with
//! the store's opaque cursor), a report's public page `GET /laporan/{id}`, and an institution's
//! page `GET /instansi/{id}` with its figures of the last twelve months. Only what the JSON API's public views show: no reporter, no
//! confidential or unverified content.

use super::labels;
use crate::api::ServiceError;
use crate::domain::{ArchiveReason, Status};
use crate::service::{actions, agencies, inbox, views};
use crate::web::page::{redirect, Layout, Page, PageError};
use crate::web::{request, Web};
use askama::Template;
use lambda_http::{Body, Request, Response};
use std::collections::HashMap;

/// A line of a list.
pub struct Line {
    pub tracking_id: String,
    pub grouped: String,
    pub title: String,
    pub kind: &'static str,
    pub status_label: &'static str,
    pub agency: Option<(String, String)>,
    pub region: Option<String>,
    pub created: String,
}

fn lines(items: &[inbox::ListItem], directory: &crate::directory::Directory) -> Vec<Line> {
    items
        .iter()
        .filter_map(|item| {
            let id = crate::domain::TrackingId::parse(&item.tracking_id)?;
            Some(Line {
                grouped: id.display_grouped(),
                tracking_id: item.tracking_id.clone(),
                // Public lists carry no confidential report; a title is always there.
                title: item.title.clone()?,
                kind: labels::kind(item.kind),
                status_label: item.status_label.id,
                agency: item.agency_id.as_ref().map(|a| {
                    (
                        a.clone(),
                        directory
                            .get(a)
                            .map(|x| x.name.clone())
                            .unwrap_or_else(|| a.clone()),
                    )
                }),
                region: item.region_code.as_deref().and_then(labels::region),
                created: labels::when(item.created_at, item.region_code.as_deref()),
            })
        })
        .collect()
}

/// The statuses a public report can have, for the filter.
const FEED_STATUSES: [Status; 4] = [
    Status::Dispositioned,
    Status::InProgress,
    Status::Responded,
    Status::Closed,
];

#[derive(Template)]
#[template(path = "feed.html")]
struct Feed {
    layout: Layout,
    lines: Vec<Line>,
    agency: String,
    agency_name: Option<String>,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    /// The query string of the next page, when there is one.
    next: Option<String>,
    first_page: bool,
}

/// `GET /laporan?instansi=&status=&halaman=`.
pub async fn feed(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let query = request::query(req);
    let pick = |name: &str| {
        query
            .get(name)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let (agency, status, cursor) = (pick("instansi"), pick("status"), pick("halaman"));
    let directory = web.app.directory.current().await;
    let mut params = HashMap::new();
    if !agency.is_empty() {
        if directory.get(&agency).is_none() {
            return Err(ServiceError::NotFound("no such institution".into()).into());
        }
        params.insert("agency".to_string(), agency.clone());
    }
    if !status.is_empty() {
        params.insert("status".to_string(), status.clone());
    }
    if !cursor.is_empty() {
        params.insert("cursor".to_string(), cursor.clone());
    }
    let list = inbox::public_feed(&web.app, &params).await?;
    let next = list.next_cursor.map(|c| {
        serde_urlencoded::to_string([
            ("instansi", agency.as_str()),
            ("status", status.as_str()),
            ("halaman", c.as_str()),
        ])
        .expect("strings encode")
    });
    let page = Feed {
        layout: Layout::new(req, "Laporan publik", "laporan"),
        lines: lines(&list.reports, &directory),
        agency_name: directory.get(&agency).map(|a| a.name.clone()),
        agency,
        statuses: FEED_STATUSES
            .iter()
            .map(|s| (s.as_str(), s.label().id))
            .collect(),
        status,
        next,
        first_page: cursor.is_empty(),
    };
    Ok(Page::render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "report.html")]
struct PublicReport {
    layout: Layout,
    tracking_id: String,
    grouped: String,
    status_label: &'static str,
    confidential: bool,
    content: Option<super::track::ShownReport>,
    /// The form to support it, for a browser that holds reports of its own.
    support: Option<SupportForm>,
    /// What became of a support just sent (`?dukungan=`).
    support_notice: Option<&'static str>,
    /// The checked images the public may see (never a document).
    attachments: Vec<crate::web::attachments::Shown>,
}

/// Supporting a report from this browser: one of its own reports says who supports.
struct SupportForm {
    csrf: String,
    /// The browser's own reports (tracking id, grouped for reading), newest first.
    choices: Vec<(String, String)>,
}

/// What a support answered, as `?dukungan=` carries it back to the report's page.
fn support_notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "tercatat" => "Dukungan Anda tercatat. Anda akan mendapat kabar tanggapan instansinya.",
        "sudah" => "Anda sudah mendukung laporan ini. Dukungan dihitung sekali per orang.",
        "konfirmasi" => {
            "Dukungan belum dapat dicatat: konfirmasikan dulu nomor telepon atau surel laporan \
             Anda dengan kode yang kami kirim (buka laporan Anda di menu Lacak laporan)."
        }
        "belum-diteruskan" => {
            "Dukungan belum dapat dicatat: laporan Anda belum diteruskan ke instansi. Coba lagi \
             setelah laporan Anda diverifikasi."
        }
        "sendiri" => "Ini laporan Anda sendiri: Anda sudah mendapat kabarnya.",
        "selesai" => "Laporan ini sudah selesai dan tidak dapat didukung lagi.",
        "penuh" => "Laporan ini sudah mencapai batas jumlah pendukung.",
        "akses" => {
            "Akses ke laporan Anda di perangkat ini tidak berlaku lagi. Buka laporan Anda dengan \
             tautan pribadinya, lalu coba lagi."
        }
        _ => return None,
    })
}

/// `POST /laporan/{id}/dukung`: this browser's own report `dari` supports the report
/// (`service::support`), then back to its page with what happened.
pub async fn support(
    web: &Web,
    req: &Request,
    tracking_id: &str,
) -> Result<Response<Body>, PageError> {
    let form = request::form(req)?;
    web.csrf.check(req, &form)?;
    let report = actions::load(&web.app, tracking_id).await?;
    let here = format!("/laporan/{}", report.tracking_id.as_str());
    let from = form
        .get("dari")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let back = |code: &str| {
        Ok(redirect(
            req,
            &format!("{here}?dukungan={code}"),
            Vec::new(),
        ))
    };
    let Some(token) = super::access::token_for(web, req, &from) else {
        return back("akses");
    };
    let body = serde_json::json!({ "from_report": from }).to_string();
    match crate::service::support::support(&web.app, tracking_id, Some(&token), body.as_bytes())
        .await
    {
        Ok(s) if s.counted => back("tercatat"),
        Ok(_) => back("sudah"),
        Err(ServiceError::Unauthorized) => back("akses"),
        Err(ServiceError::Conflict { code, .. }) => back(match code {
            "contact_unconfirmed" => "konfirmasi",
            "from_report_not_held" => "belum-diteruskan",
            "own_report" => "sendiri",
            "not_open" => "selesai",
            "too_many_supporters" => "penuh",
            _ => "sudah",
        }),
        Err(e) => Err(e.into()),
    }
}

/// `GET /laporan/{id}`: the public view; a withdrawn or archived report is gone (410).
pub async fn report(
    web: &Web,
    req: &Request,
    tracking_id: &str,
) -> Result<Response<Body>, PageError> {
    let report = actions::load(&web.app, tracking_id).await?;
    if report.status == Status::Archived {
        return Err(PageError::Gone(match report.archive_reason {
            Some(ArchiveReason::Withdrawn) => {
                "Laporan ini sudah ditarik oleh pelapornya dan tidak lagi ditampilkan.".into()
            }
            _ => "Laporan ini sudah diarsipkan dan tidak lagi ditampilkan kepada publik.".into(),
        }));
    }
    let directory = web.app.directory.current().await;
    let public = views::public_view(&report, &directory);
    let own: Vec<(String, String)> = super::access::held(web, req)
        .into_iter()
        .filter(|(id, _)| id != report.tracking_id.as_str())
        .filter_map(|(id, _)| {
            let grouped = crate::domain::TrackingId::parse(&id)?.display_grouped();
            Some((id, grouped))
        })
        .collect();
    let csrf = (report.is_public() && !report.status.is_final() && !own.is_empty())
        .then(|| web.csrf.token(req, &web.cookies));
    let attachments = match public.content.is_some() {
        true => {
            let listed = crate::service::attachments::listing(
                &web.app,
                &report,
                crate::service::attachments::Audience::Public,
            )
            .await?;
            let listed: Vec<_> = listed.iter().map(Into::into).collect();
            let region = report.location.region_code.as_deref();
            crate::web::attachments::shown(&listed, |at| labels::when(at, region))
        }
        false => Vec::new(),
    };
    let page = PublicReport {
        layout: Layout::new(
            req,
            format!("Laporan {}", report.tracking_id.display_grouped()),
            "laporan",
        ),
        tracking_id: report.tracking_id.as_str().to_string(),
        grouped: report.tracking_id.display_grouped(),
        status_label: public.status_label.id,
        confidential: public.confidential,
        content: public
            .content
            .is_some()
            .then(|| super::track::shown_report(&report, &directory, false)),
        support: csrf.as_ref().map(|token| SupportForm {
            csrf: token.value.clone(),
            choices: own,
        }),
        support_notice: request::query(req)
            .get("dukungan")
            .and_then(|code| support_notice(code)),
        attachments,
    };
    let page = Page::render(&page)?.images_from(crate::web::attachments::blob_origin(web));
    Ok(match csrf {
        // A page with a form is the browser's own: not cached for others.
        Some(token) => page.personal().cookie(token.set_cookie).into_response(),
        None => page.into_response(),
    })
}

#[derive(Template)]
#[template(path = "institution.html")]
struct Institution<'a> {
    layout: Layout,
    id: &'a str,
    name: &'a str,
    acronym: Option<&'a str>,
    kind: &'static str,
    region: Option<String>,
    parent: Option<(&'a str, &'a str)>,
    children: Vec<(&'a str, &'a str)>,
    lines: Vec<Line>,
    more: bool,
    figures: Shown,
}

/// An institution's figures as its page shows them (`service::stats`): the last twelve months.
struct Shown {
    period: String,
    received: i64,
    answered: i64,
    /// `75%` of the follow-ups due, when any was.
    within_deadline: Option<String>,
    first_response: Option<String>,
    first_response_p90: Option<String>,
    closing: Option<String>,
    escalations: i64,
    /// `4,2 dari 5 (12 penilaian)`.
    rating: Option<String>,
    buckets: Vec<(&'static str, i64)>,
}

impl Shown {
    fn of(stats: &crate::service::stats::StatsResponse) -> Shown {
        let f = &stats.total;
        let decimal = |x: f64| format!("{x:.1}").replace('.', ",");
        Shown {
            period: format!(
                "{} sampai {}",
                labels::month(&stats.from),
                labels::month(&stats.to)
            ),
            received: f.received,
            answered: f.answered,
            within_deadline: f
                .share_within_deadline
                .map(|s| format!("{}%", (s * 100.0).round())),
            first_response: f.time_to_first_response.median_hours.map(labels::hours),
            first_response_p90: f.time_to_first_response.p90_hours.map(labels::hours),
            closing: f.time_to_closing.median_hours.map(labels::hours),
            escalations: f.escalations,
            rating: f
                .average_rating
                .map(|r| format!("{} dari 5 ({} penilaian)", decimal(r), f.ratings)),
            buckets: f
                .by_lapor_status
                .iter()
                .map(|b| (b.label, b.count))
                .collect(),
        }
    }
}

fn agency_kind(kind: &str) -> &'static str {
    match kind {
        "ministry" => "Kementerian",
        "agency" => "Lembaga",
        "directorate" => "Direktorat",
        "soe" => "Badan Usaha Milik Negara",
        "province" => "Pemerintah provinsi",
        "regency" => "Pemerintah kabupaten",
        "city" => "Pemerintah kota",
        "work_unit" => "Unit kerja",
        _ => "Instansi",
    }
}

/// How many of an institution's recent public reports its page lists.
const RECENT: usize = 10;

/// `GET /instansi/{id}`: what it is, its parent and units, its figures, its recent public
/// reports.
pub async fn institution(
    web: &Web,
    req: &Request,
    agency_id: &str,
) -> Result<Response<Body>, PageError> {
    let directory = web.app.directory.current().await;
    let detail = agencies::agency(&directory, agency_id)?;
    let params = HashMap::from([
        ("agency".to_string(), detail.agency.id.clone()),
        ("limit".to_string(), RECENT.to_string()),
    ]);
    let list = inbox::public_feed(&web.app, &params).await?;
    let figures = crate::service::stats::figures(
        &web.app,
        &HashMap::from([("agency".to_string(), detail.agency.id.clone())]),
    )
    .await?;
    let page = Institution {
        layout: Layout::new(req, detail.agency.name.clone(), "laporan"),
        id: &detail.agency.id,
        name: &detail.agency.name,
        acronym: detail.agency.acronym.as_deref(),
        kind: agency_kind(&detail.agency.kind),
        region: detail
            .agency
            .region_code
            .as_deref()
            .and_then(labels::region),
        parent: detail.parent.as_ref().map(|p| (p.id, p.name)),
        children: detail.children.iter().map(|c| (c.id, c.name)).collect(),
        lines: lines(&list.reports, &directory),
        more: list.next_cursor.is_some(),
        figures: Shown::of(&figures),
    };
    Ok(Page::render(&page)?.into_response())
}
