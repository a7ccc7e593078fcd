//! Possible duplicates: the open reports of the same institution and place whose text says the
//! same thing (`crate::duplicates` scores the texts), for a draft before it is sent (the
//! routing suggestion: a citizen may follow the existing report instead) and for a report the
//! router placed (its officers see them and merge with `mark_duplicate`).

use crate::domain::report::PossibleDuplicate;
use crate::domain::{Location, Report, TrackingId};
use crate::duplicates::{self, Text};
use crate::ports::{ListCursor, ListQuery, ReportList, ReportStore, StoreError};

/// At most this many of the institution's most recent reports are read (its inbox index, in
/// pages of 100): an older open report is rarely repeated, and the cost stays bounded.
pub const SCANNED: u64 = 300;
/// The best matches kept.
pub const KEPT: usize = 5;

/// What is looked for.
pub struct Draft<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub location: &'a Location,
    /// The report itself, when it is stored already.
    pub exclude: Option<&'a TrackingId>,
}

fn coordinates(location: &Location) -> Option<(f64, f64)> {
    Some((location.lat?, location.lon?))
}

/// The open reports of `agency_id` at the draft's place that likely say the same thing, best
/// first. With `public_only`, only reports the public may read (for citizens). A draft without
/// a kecamatan or coordinates has no place to compare: none.
pub async fn find(
    store: &dyn ReportStore,
    agency_id: &str,
    draft: &Draft<'_>,
    public_only: bool,
) -> Result<Vec<(Report, f32)>, StoreError> {
    let place = (
        draft.location.region_code.as_deref(),
        coordinates(draft.location),
    );
    if place.0.is_none_or(|code| code.len() < 8) && place.1.is_none() {
        return Ok(Vec::new());
    }
    let text = Text {
        title: draft.title,
        body: draft.body,
    };
    let mut found = Vec::new();
    let mut cursor: Option<ListCursor> = None;
    let mut read = 0;
    while read < SCANNED {
        let page = store
            .list(&ListQuery {
                list: ReportList::Agency(agency_id.to_string()),
                status: None,
                public_only,
                cursor: cursor.take(),
                limit: 100,
            })
            .await?;
        read += page.items_read.max(1);
        for report in page.reports {
            let candidate = !report.status.is_final()
                && draft.exclude != Some(&report.tracking_id)
                && (!public_only || report.is_public())
                && duplicates::same_place(
                    place.0,
                    place.1,
                    report.location.region_code.as_deref(),
                    coordinates(&report.location),
                );
            if !candidate {
                continue;
            }
            let score = duplicates::similarity(
                &text,
                &Text {
                    title: &report.title,
                    body: &report.body,
                },
            );
            if score >= duplicates::THRESHOLD {
                found.push((report, score));
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    found.sort_by(|a, b| b.1.total_cmp(&a.1));
    found.truncate(KEPT);
    Ok(found)
}

/// The router's look for the report it just placed with `agency_id`: recorded on the report for
/// its officers. A failed read is logged and leaves none (placing the report matters more).
pub async fn for_placed(
    store: &dyn ReportStore,
    agency_id: &str,
    report: &Report,
) -> Vec<PossibleDuplicate> {
    let draft = Draft {
        title: &report.title,
        body: &report.body,
        location: &report.location,
        exclude: Some(&report.tracking_id),
    };
    match find(store, agency_id, &draft, false).await {
        Ok(found) => found
            .into_iter()
            .map(|(r, score)| PossibleDuplicate {
                tracking_id: r.tracking_id,
                score: rounded(score),
            })
            .collect(),
        Err(e) => {
            tracing::warn!(tracking_id = %report.tracking_id, error = %e,
                "possible duplicates not looked for");
            Vec::new()
        }
    }
}

/// A public report a draft likely repeats, as a citizen may see it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimilarReport {
    pub tracking_id: TrackingId,
    pub title: String,
    /// LAPOR's bucket of its status, in Indonesian.
    pub status_label: &'static str,
    /// How alike the texts are, 0 to 1 (three decimals).
    pub score: f64,
}

/// The public reports a draft likely repeats (the routing suggestion). A failed read is logged
/// and answers none: the suggestion matters more.
pub async fn similar_public(
    store: &dyn ReportStore,
    agency_id: &str,
    draft: &Draft<'_>,
) -> Vec<SimilarReport> {
    match find(store, agency_id, draft, true).await {
        Ok(found) => found
            .into_iter()
            .map(|(r, score)| SimilarReport {
                status_label: r.status.label().id,
                tracking_id: r.tracking_id,
                title: r.title,
                score: rounded(score),
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "possible duplicates of a draft not looked for");
            Vec::new()
        }
    }
}

/// A score to three decimals, as a `f64` so JSON shows `0.676`, not the `f32`'s `0.67599999`.
fn rounded(score: f32) -> f64 {
    (f64::from(score) * 1000.0).round() / 1000.0
}
