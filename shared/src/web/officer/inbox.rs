//! `GET /petugas`: the inbox. An officer's institution's (or with `?kotak=unit` their work
//! unit's), a verifier's triage queue with the router's top-3 candidates (or with
//! `?instansi=<id>` any institution's), newest first, filtered by LAPOR's buckets
//! (`?status=diproses`), paginated with the lists' opaque cursor (`?cursor=`). Each row: the
//! tracking id, title, place, age and deadline, the overdue ones and those due today marked.
//!
//! The list is the JSON API's (`service::inbox::staff_list`), so what an officer may list is
//! decided in one place.

use super::super::page::{Layout, Page, PageError};
use super::super::{request, Web};
use super::words;
use super::Console;
use crate::auth::{StaffClaims, StaffRole};
use crate::domain::{Actor, Status};
use crate::service::inbox::staff_list;
use askama::Template;
use lambda_http::{Body, Request, Response};
use std::collections::HashMap;

/// Rows per page.
pub const PAGE_SIZE: usize = 20;

/// One report in the list.
pub struct Row {
    pub tracking_id: String,
    pub title: String,
    pub place: Option<String>,
    pub status_label: &'static str,
    /// The institution (verifiers' lists) and the work unit holding it.
    pub holder: Option<String>,
    pub confidential: bool,
    pub received: String,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub due_today: bool,
    /// The router's top-3 (the verifiers' triage queue).
    pub candidates: Vec<Candidate>,
}

pub struct Candidate {
    pub name: String,
    /// Percent.
    pub score: u32,
}

/// A filter link.
pub struct Tab {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "officer/inbox.html")]
struct InboxPage {
    layout: Layout,
    console: Console,
    heading: String,
    boxes: Vec<Tab>,
    buckets: Vec<Tab>,
    rows: Vec<Row>,
    triage: bool,
    next: Option<String>,
    notice: Option<String>,
    verifier: bool,
    /// The verifiers' institution search (`?cari=`): what was typed, and the matches' links
    /// (`?instansi=`) and names.
    agency_query: String,
    agency_matches: Vec<(String, String)>,
}

/// The page's query (Indonesian words) as the list's parameters.
struct Query {
    bucket: Option<Status>,
    kotak: Kotak,
    agency: Option<String>,
    cursor: Option<String>,
}

/// Which box (`?kotak=`): the institution's inbox, its work unit's, or the overdue reports under
/// the staff's supervision (held elsewhere; `box=overdue` of the API).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kotak {
    Institution,
    WorkUnit,
    Overdue,
}

impl Kotak {
    fn slug(self) -> Option<&'static str> {
        match self {
            Kotak::Institution => None,
            Kotak::WorkUnit => Some("unit"),
            Kotak::Overdue => Some("pengawasan"),
        }
    }
}

fn read_query(q: &HashMap<String, String>) -> Result<Query, PageError> {
    let bad = |message: &str| {
        PageError::Service(crate::api::ServiceError::bad_request(
            "invalid_query",
            message.to_string(),
        ))
    };
    let bucket = match q.get("status").map(String::as_str) {
        None | Some("") => None,
        Some(slug) => {
            Some(words::bucket_from_slug(slug).ok_or_else(|| bad("status tidak dikenal"))?)
        }
    };
    let kotak = match q.get("kotak").map(String::as_str) {
        None | Some("") | Some("instansi") => Kotak::Institution,
        Some("unit") => Kotak::WorkUnit,
        Some("pengawasan") => Kotak::Overdue,
        Some(_) => return Err(bad("kotak harus instansi, unit atau pengawasan")),
    };
    Ok(Query {
        bucket,
        kotak,
        agency: q.get("instansi").filter(|a| !a.is_empty()).cloned(),
        cursor: q.get("cursor").filter(|c| !c.is_empty()).cloned(),
    })
}

pub async fn page(
    web: &Web,
    req: &Request,
    staff: &StaffClaims,
) -> Result<Response<Body>, PageError> {
    let raw = request::query(req);
    let query = read_query(&raw)?;
    let actor = staff.actor();
    let directory = web.app.directory.current().await;
    let now = web.app.clock.now();

    let mut params = HashMap::from([("limit".to_string(), PAGE_SIZE.to_string())]);
    if let Some(status) = query.bucket {
        params.insert("status".into(), status.as_str().into());
    }
    if let Some(cursor) = &query.cursor {
        params.insert("cursor".into(), cursor.clone());
    }
    match staff.role {
        _ if query.kotak == Kotak::Overdue => {
            params.insert("box".into(), "overdue".into());
        }
        StaffRole::Officer if query.kotak == Kotak::WorkUnit => {
            params.insert("box".into(), "work_unit".into());
        }
        StaffRole::Verifier => {
            if let Some(agency) = &query.agency {
                params.insert("agency".into(), agency.clone());
            }
        }
        StaffRole::Officer => {}
    }
    let list = staff_list(&web.app, &actor, &params).await?;
    let triage = staff.role == StaffRole::Verifier
        && query.agency.is_none()
        && query.kotak != Kotak::Overdue;

    let mut rows = Vec::with_capacity(list.reports.len());
    for item in &list.reports {
        let zone = words::zone_of(&directory, item.agency_id.as_deref());
        let deadline = item.expected_datetime;
        let candidates = if triage {
            // The queue's rows carry no routing record: read each report (a page is small).
            match crate::service::actions::load(&web.app, &item.tracking_id).await {
                Ok(report) => report
                    .routing
                    .map(|r| {
                        r.candidates
                            .iter()
                            .take(3)
                            .map(|c| Candidate {
                                name: words::agency_name(&directory, &c.agency_id),
                                score: (c.score.clamp(0.0, 1.0) * 100.0).round() as u32,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            }
        } else {
            Vec::new()
        };
        let holder = match (&actor, &item.agency_id, &item.work_unit) {
            (Actor::Verifier { .. }, Some(agency), unit) => Some(match unit {
                Some(unit) => format!(
                    "{} · {}",
                    words::agency_name(&directory, agency),
                    words::agency_name(&directory, unit)
                ),
                None => words::agency_name(&directory, agency),
            }),
            (_, _, Some(unit)) => Some(words::agency_name(&directory, unit)),
            _ => None,
        };
        rows.push(Row {
            tracking_id: item.tracking_id.clone(),
            title: item.title.clone().unwrap_or_default(),
            place: words::place(item.region_code.as_deref()),
            status_label: item.status_label.id,
            holder,
            confidential: item.confidential,
            received: words::date(item.created_at, zone),
            deadline: deadline.map(|d| words::datetime(d, zone)),
            overdue: deadline.is_some_and(|d| d < now),
            due_today: deadline
                .is_some_and(|d| d >= now && zone.local_date(d) == zone.local_date(now)),
            candidates,
        });
    }

    // Links keep the other filters and drop the cursor (a new filter starts at the top).
    let link = |bucket: Option<Status>, kotak: Kotak, cursor: Option<&str>| {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(slug) = kotak.slug() {
            pairs.push(("kotak", slug.into()));
        }
        if let Some(agency) = query.agency.as_ref().filter(|_| !triage) {
            pairs.push(("instansi", agency.clone()));
        }
        if let Some(b) = bucket {
            pairs.push(("status", words::bucket_slug(b).into()));
        }
        if let Some(c) = cursor {
            pairs.push(("cursor", c.into()));
        }
        if pairs.is_empty() {
            "/petugas".to_string()
        } else {
            format!(
                "/petugas?{}",
                serde_urlencoded::to_string(&pairs).expect("strings encode")
            )
        }
    };
    let overdue_tab = Tab {
        label: "Lewat tenggat, dalam pengawasan",
        href: link(None, Kotak::Overdue, None),
        current: query.kotak == Kotak::Overdue,
    };
    let boxes = match staff.role {
        StaffRole::Officer => vec![
            Tab {
                label: "Kotak masuk instansi",
                href: link(None, Kotak::Institution, None),
                current: query.kotak == Kotak::Institution,
            },
            Tab {
                label: "Kotak masuk unit kerja",
                href: link(None, Kotak::WorkUnit, None),
                current: query.kotak == Kotak::WorkUnit,
            },
            overdue_tab,
        ],
        StaffRole::Verifier => vec![
            Tab {
                label: "Antrean verifikasi",
                href: "/petugas".into(),
                current: triage,
            },
            overdue_tab,
        ],
    };
    // The overdue box lists open reports whatever their status: no status tabs there.
    let buckets = if triage || query.kotak == Kotak::Overdue {
        Vec::new()
    } else {
        let mut tabs = vec![Tab {
            label: "Semua",
            href: link(None, query.kotak, None),
            current: query.bucket.is_none(),
        }];
        tabs.extend(
            words::BUCKETS
                .iter()
                .filter(|(_, s)| *s != Status::NeedsTriage)
                .map(|(_, status)| Tab {
                    label: status.label().id,
                    href: link(Some(*status), query.kotak, None),
                    current: query.bucket == Some(*status),
                }),
        );
        tabs
    };
    let heading = match (&actor, triage, &query.agency) {
        _ if query.kotak == Kotak::Overdue => {
            "Laporan lewat tenggat dalam pengawasan Anda".to_string()
        }
        (Actor::Verifier { .. }, true, _) => "Antrean verifikasi".to_string(),
        (Actor::Verifier { .. }, false, Some(agency)) => {
            format!("Laporan {}", words::agency_name(&directory, agency))
        }
        (Actor::Officer { agency_id, .. }, _, _) if query.kotak == Kotak::WorkUnit => {
            format!(
                "Kotak masuk unit kerja {}",
                words::agency_name(&directory, agency_id)
            )
        }
        (Actor::Officer { agency_id, .. }, _, _) => {
            format!("Kotak masuk {}", words::agency_name(&directory, agency_id))
        }
        _ => "Kotak masuk".to_string(),
    };
    let notice = raw
        .get("diteruskan")
        .and_then(|id| crate::domain::TrackingId::parse(id))
        .map(|id| {
            format!(
                "Laporan {id} sudah diteruskan ke instansi lain dan tidak lagi ada di kotak \
                 masuk Anda."
            )
        });
    let agency_query = raw.get("cari").cloned().unwrap_or_default();
    let agency_matches = if staff.role == StaffRole::Verifier && !agency_query.trim().is_empty() {
        directory
            .search(agency_query.trim(), 10, 0)
            .0
            .into_iter()
            .map(|a| {
                let query = serde_urlencoded::to_string([("instansi", a.id.as_str())])
                    .expect("strings encode");
                (format!("/petugas?{query}"), a.name.clone())
            })
            .collect()
    } else {
        Vec::new()
    };
    let next = list
        .next_cursor
        .as_deref()
        .map(|c| link(query.bucket, query.kotak, Some(c)));
    let token = web.csrf.token(req, &web.cookies);
    let page = InboxPage {
        layout: Layout::new(req, heading.clone(), "petugas"),
        console: Console::new(staff, &directory, &token.value),
        heading,
        boxes,
        buckets,
        rows,
        triage,
        next,
        notice,
        verifier: staff.role == StaffRole::Verifier,
        agency_query,
        agency_matches,
    };
    Ok(Page::render(&page)?
        .personal()
        .cookie(token.set_cookie)
        .into_response())
}
