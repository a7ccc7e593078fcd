//! `GET /v1/stats`: the figures of an institution, a region or the nation for a period of
//! months, read from the counters every write keeps (`crate::stats`), never from the reports.
//! `GET /v1/export`: an institution's public record for a period, row by row (what the public
//! pages show of each report, nothing personal).

use super::inbox::{bad_query, refuse_unknown};
use super::App;
use crate::api::ServiceError;
use crate::deadlines::TimeZone;
use crate::domain::regions::{RegionLevel, Regions};
use crate::domain::{Report, TrackingId};
use crate::error::FieldError;
use crate::ports::{ListCursor, ListQuery, ReportList};
use crate::stats::{self, Figures, Months};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, SubsecRound, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// Well-formed parameters that do not go together: 422, naming the parameter.
fn invalid(field: &str, message: &str) -> ServiceError {
    ServiceError::Invalid(vec![FieldError::new(field, message)])
}

/// What the figures are of.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeView {
    /// `national`, `agency`, `province` or `regency` (kabupaten/kota).
    pub kind: &'static str,
    /// The institution's id or the Kemendagri code; absent for the nation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
}

/// One month's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthFigures {
    /// `YYYY-MM` (WIB): the reports received that month.
    pub period: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The answer of `GET /v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsResponse {
    pub scope: ScopeView,
    /// First month, `YYYY-MM`.
    pub from: String,
    /// Last month, `YYYY-MM`.
    pub to: String,
    /// The whole period.
    pub total: Figures,
    /// Every month of the period, oldest first (months without reports have zero figures).
    pub months: Vec<MonthFigures>,
}

/// The scope of `agency=` or `region=` (neither: the nation), checked against the directory
/// and Kemendagri's codes.
async fn scope_of(
    app: &App,
    params: &HashMap<String, String>,
) -> Result<(String, ScopeView), ServiceError> {
    match (params.get("agency"), params.get("region")) {
        (Some(_), Some(_)) => Err(invalid("region", "give `agency` or `region`, not both")),
        (Some(id), None) => {
            let directory = app.directory.current().await;
            let agency = directory
                .get(id)
                .ok_or_else(|| ServiceError::NotFound(format!("no institution `{id}`")))?;
            Ok((
                stats::agency_scope(id),
                ScopeView {
                    kind: "agency",
                    id: Some(id.clone()),
                    name: agency.name.clone(),
                },
            ))
        }
        (None, Some(code)) => {
            let region = Regions::get().find(code).ok_or_else(|| {
                ServiceError::NotFound(format!("no province or kabupaten/kota `{code}`"))
            })?;
            let kind = match region.level {
                RegionLevel::Province => "province",
                RegionLevel::Regency => "regency",
                RegionLevel::District => {
                    return Err(bad_query(
                        "`region` is a province (`32`) or a kabupaten/kota (`32.73`) code; \
                         figures are not kept per kecamatan",
                    ))
                }
            };
            Ok((
                stats::region_scope(code),
                ScopeView {
                    kind,
                    id: Some(code.clone()),
                    name: region.name.clone(),
                },
            ))
        }
        (None, None) => Ok((
            stats::NATIONAL.to_string(),
            ScopeView {
                kind: "national",
                id: None,
                name: "Nasional".into(),
            },
        )),
    }
}

/// `from` and `to` (`YYYY-MM`, WIB): by default the twelve months up to the current one.
fn months_of(app: &App, params: &HashMap<String, String>) -> Result<Months, ServiceError> {
    let month = |name: &str| {
        params
            .get(name)
            .map(|text| {
                Months::parse_month(text)
                    .ok_or_else(|| bad_query(format!("`{name}` is a month as YYYY-MM")))
            })
            .transpose()
    };
    let this_month = {
        let today = TimeZone::Wib.local_date(app.clock.now());
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("the first of a month")
    };
    let to = month("to")?.unwrap_or(this_month);
    let from = match month("from")? {
        Some(from) => from,
        None => to
            .checked_sub_months(chrono::Months::new(11))
            .expect("a month in range"),
    };
    let months = Months { from, to };
    if from > to {
        return Err(invalid("from", "`from` is after `to`"));
    }
    if months.count() > Months::MAX {
        return Err(invalid("from", "at most 60 months at once"));
    }
    Ok(months)
}

/// `GET /v1/stats?agency=ID|region=CODE&from=YYYY-MM&to=YYYY-MM`.
pub async fn figures(
    app: &App,
    params: &HashMap<String, String>,
) -> Result<StatsResponse, ServiceError> {
    refuse_unknown(params, &["agency", "region", "from", "to", "format"])?;
    let (scope_key, scope) = scope_of(app, params).await?;
    let months = months_of(app, params)?;
    let rows = app
        .store
        .stats(&scope_key, &months.from_key(), &months.to_key())
        .await?;
    let by_period: HashMap<&str, &stats::Counters> = rows
        .iter()
        .map(|row| (row.period.as_str(), &row.counters))
        .collect();
    let none = stats::Counters::new();
    let months_out = months
        .keys()
        .into_iter()
        .map(|period| {
            let counters = by_period.get(period.as_str()).copied().unwrap_or(&none);
            MonthFigures {
                figures: Figures::of([counters]),
                period,
            }
        })
        .collect();
    Ok(StatsResponse {
        scope,
        from: months.from_key(),
        to: months.to_key(),
        total: Figures::of(rows.iter().map(|row| &row.counters)),
        months: months_out,
    })
}

/// The answer as CSV: one row per month, then the period's total.
pub fn figures_csv(response: &StatsResponse) -> String {
    let first = &response.total;
    let mut header: Vec<String> = [
        "period",
        "received",
        "answered",
        "answered_within_deadline",
        "late",
        "share_within_deadline",
        "first_response_median_hours",
        "first_response_p90_hours",
        "closing_median_hours",
        "closing_p90_hours",
        "escalations",
        "ratings",
        "average_rating",
    ]
    .map(String::from)
    .to_vec();
    header.extend(first.by_status.keys().map(|k| format!("status_{k}")));
    header.extend(first.by_kind.keys().map(|k| format!("kind_{k}")));
    header.extend(first.by_channel.keys().map(|k| format!("channel_{k}")));
    let mut out = header.join(",");
    out.push('\n');
    let rows = response
        .months
        .iter()
        .map(|m| (m.period.as_str(), &m.figures))
        .chain([("total", &response.total)]);
    for (period, f) in rows {
        let opt = |x: Option<i64>| x.map(|x| x.to_string()).unwrap_or_default();
        let optf = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
        let mut cells = vec![
            period.to_string(),
            f.received.to_string(),
            f.answered.to_string(),
            f.answered_within_deadline.to_string(),
            f.late.to_string(),
            optf(f.share_within_deadline),
            opt(f.time_to_first_response.median_hours),
            opt(f.time_to_first_response.p90_hours),
            opt(f.time_to_closing.median_hours),
            opt(f.time_to_closing.p90_hours),
            f.escalations.to_string(),
            f.ratings.to_string(),
            optf(f.average_rating),
        ];
        cells.extend(f.by_status.values().map(i64::to_string));
        cells.extend(f.by_kind.values().map(i64::to_string));
        cells.extend(f.by_channel.values().map(i64::to_string));
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// One report of the public record: what the public pages show of it, flat.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportRow {
    pub tracking_id: TrackingId,
    /// In WIB, to the second.
    pub created_at: DateTime<FixedOffset>,
    pub kind: &'static str,
    pub status: &'static str,
    /// LAPOR's published bucket.
    pub status_label: &'static str,
    pub agency_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub title: String,
    pub body: String,
    /// Hours from submission to the institution's first follow-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_response_hours: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_deadline: Option<bool>,
    /// Hours from submission to closing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closing_hours: Option<i64>,
    pub escalations: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// How many citizens support it.
    pub supporters: usize,
}

impl ExportRow {
    /// `None` for a report the public may not read (a store bug must never publish one).
    fn of(report: &Report) -> Option<ExportRow> {
        if !report.is_public() {
            return None;
        }
        let facts = stats::facts(report);
        Some(ExportRow {
            tracking_id: report.tracking_id.clone(),
            created_at: TimeZone::Wib.local(report.created_at).trunc_subsecs(0),
            kind: report.kind.as_str(),
            status: report.status.as_str(),
            status_label: report.status.label().id,
            agency_id: report.agency_id.clone()?,
            region_code: report.location.region_code.clone(),
            category: report.category.clone(),
            title: report.title.clone(),
            body: report.body.clone(),
            first_response_hours: facts.first_response_hours,
            within_deadline: facts.within_deadline,
            closing_hours: facts.closing_hours,
            escalations: facts.escalations,
            rating: facts.rating,
            supporters: report.supporters.len(),
        })
    }
}

/// A page of the public record, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportPage {
    pub rows: Vec<ExportRow>,
    /// Where the next page starts (`cursor=`); absent at the end of the period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Rows per export page, by default and at most.
const EXPORT_PAGE: usize = 500;
const EXPORT_MAX: usize = 1000;
/// Index pages (of up to 100 reports) one export request reads at most.
const EXPORT_MAX_READS: usize = 20;

/// `GET /v1/export?agency=ID&from=YYYY-MM&to=YYYY-MM[&cursor=..][&limit=..]`: the public
/// reports the institution received in those months, newest first, through its inbox index.
pub async fn export(
    app: &App,
    params: &HashMap<String, String>,
) -> Result<ExportPage, ServiceError> {
    refuse_unknown(
        params,
        &["agency", "from", "to", "cursor", "limit", "format"],
    )?;
    let agency = params
        .get("agency")
        .ok_or_else(|| bad_query("`agency` is required: the record is per institution"))?;
    if app.directory.current().await.get(agency).is_none() {
        return Err(ServiceError::NotFound(format!("no institution `{agency}`")));
    }
    let months = months_of(app, params)?;
    let limit = match params.get("limit") {
        None => EXPORT_PAGE,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=EXPORT_MAX).contains(l))
            .ok_or_else(|| bad_query(format!("`limit` must be 1 to {EXPORT_MAX}")))?,
    };
    let wib = TimeZone::Wib.offset();
    let start_of = |month: NaiveDate| -> DateTime<Utc> {
        month
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_local_timezone(wib)
            .single()
            .expect("a fixed offset is unambiguous")
            .with_timezone(&Utc)
    };
    let from = start_of(months.from);
    let until = start_of(
        months
            .to
            .checked_add_months(chrono::Months::new(1))
            .expect("a month in range"),
    );
    // Newest first, so the walk starts at the end of the period (every report created before
    // `until`) and stops at its start.
    let end_of_period = ListCursor {
        created_ms: until.timestamp_millis(),
        tracking_id: TrackingId::generate(),
    };
    let mut cursor = match params.get("cursor") {
        // A cursor past the period's end starts at its end: never a walk through later reports.
        Some(c) => Some(
            ListCursor::decode(c)
                .ok_or_else(|| bad_query("`cursor` is not one we gave out"))?
                .earliest(end_of_period),
        ),
        None => Some(end_of_period),
    };
    let mut rows = Vec::new();
    // Bounded work per request: a page of the index read at most this often, then `next`.
    for _ in 0..EXPORT_MAX_READS {
        let page = app
            .store
            .list(&ListQuery {
                list: ReportList::Agency(agency.clone()),
                status: None,
                public_only: true,
                cursor: cursor.clone(),
                limit: (limit - rows.len()).min(100),
            })
            .await?;
        for report in &page.reports {
            if report.created_at < from {
                return Ok(ExportPage {
                    rows,
                    next_cursor: None,
                });
            }
            if report.created_at < until {
                rows.extend(ExportRow::of(report));
            }
        }
        match page.next {
            None => {
                return Ok(ExportPage {
                    rows,
                    next_cursor: None,
                })
            }
            Some(next) if rows.len() >= limit => {
                return Ok(ExportPage {
                    rows,
                    next_cursor: Some(next.encode()),
                })
            }
            Some(next) => cursor = Some(next),
        }
    }
    Ok(ExportPage {
        rows,
        next_cursor: cursor.map(|c| c.encode()),
    })
}

/// The page as CSV (RFC 4180: every text field quoted, quotes doubled).
pub fn export_csv(page: &ExportPage) -> String {
    let mut out = String::from(
        "tracking_id,created_at,kind,status,status_label,agency_id,region_code,category,title,body,\
         first_response_hours,within_deadline,closing_hours,escalations,rating,supporters\n",
    );
    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let opt = |x: Option<String>| x.unwrap_or_default();
    for r in &page.rows {
        let cells = [
            r.tracking_id.to_string(),
            r.created_at.to_rfc3339(),
            r.kind.to_string(),
            r.status.to_string(),
            quote(r.status_label),
            r.agency_id.clone(),
            opt(r.region_code.clone()),
            quote(r.category.as_deref().unwrap_or("")),
            quote(&r.title),
            quote(&r.body),
            opt(r.first_response_hours.map(|h| h.to_string())),
            opt(r.within_deadline.map(|b| b.to_string())),
            opt(r.closing_hours.map(|h| h.to_string())),
            r.escalations.to_string(),
            opt(r.rating.map(|s| s.to_string())),
            r.supporters.to_string(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The page as JSON Lines: one row per line.
pub fn export_jsonl(page: &ExportPage) -> String {
    let mut out = String::new();
    for row in &page.rows {
        out.push_str(&serde_json::to_string(row).expect("a row serialises"));
        out.push('\n');
    }
    out
}

/// `format=` of `GET /v1/stats`, for the API's document.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FiguresFormat {
    Json,
    Csv,
}

/// `format=` of `GET /v1/export`, for the API's document.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Csv,
    Jsonl,
}

/// The answer's format: `format=json` (default), `csv`, and for the export `jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    JsonLines,
}

impl Format {
    pub fn of(params: &HashMap<String, String>, lines: bool) -> Result<Format, ServiceError> {
        match params.get("format").map(String::as_str) {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("jsonl") if lines => Ok(Format::JsonLines),
            Some(other) => Err(bad_query(format!(
                "unknown format `{other}` (json, csv{})",
                if lines { ", jsonl" } else { "" }
            ))),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::JsonLines => "application/jsonl; charset=utf-8",
        }
    }
}
