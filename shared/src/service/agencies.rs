//! The public directory API: search, one agency with its parent and children, and routing
//! suggestions for a draft report, over the process's directory (`LiveDirectory`).

use super::models::LiveEngine;
use crate::api::{json_object, typed, ServiceError};
use crate::directory::LiveDirectory;
use crate::directory::{Agency, Directory};
use crate::domain::submission::Submission;
use crate::ports::{AgencyStore, StoreError};
use crate::routing::RouteQuery;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
pub const MAX_OFFSET: usize = 10_000;
pub const MAX_QUERY_CHARS: usize = 100;

/// What the directory function serves from: the process's directory and routing model.
pub struct DirectoryApi {
    pub directory: Arc<LiveDirectory>,
    pub engine: Arc<LiveEngine>,
    /// Where a draft's possible duplicates are looked for (the institution's open reports);
    /// none: a suggestion answers none.
    pub reports: Option<Arc<dyn crate::ports::ReportStore>>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgencySummary<'a> {
    pub id: &'a str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acronym: Option<&'a str>,
    pub kind: &'a str,
}

impl<'a> From<&'a Agency> for AgencySummary<'a> {
    fn from(a: &'a Agency) -> Self {
        AgencySummary {
            id: &a.id,
            name: &a.name,
            acronym: a.acronym.as_deref(),
            kind: &a.kind,
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage<'a> {
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    pub agencies: Vec<&'a Agency>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgencyDetail<'a> {
    #[serde(flatten)]
    pub agency: &'a Agency,
    pub parent: Option<AgencySummary<'a>>,
    pub children: Vec<AgencySummary<'a>>,
}

/// The query parameters `GET /v1/agencies` takes.
pub const SEARCH_PARAMETERS: [&str; 3] = ["q", "limit", "offset"];

fn bad_query(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("invalid_query", message)
}

/// A whole number in `range`, or `default` when absent; anything else is `400 invalid_query`,
/// as the feed and the inbox answer a bad `limit`.
fn parse_number(
    name: &str,
    value: Option<&String>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, ServiceError> {
    let Some(value) = value else {
        return Ok(default);
    };
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            bad_query(format!(
                "`{name}` must be a whole number from {} to {}",
                range.start(),
                range.end()
            ))
        })
}

/// `GET /v1/agencies?q=&limit=&offset=`: without `q`, the whole directory in order. Every
/// problem of the query (an unknown or repeated parameter, a `limit` or `offset` out of range,
/// a `q` too long or with control characters) is `400 invalid_query`, as for the other lists.
pub fn search<'a>(
    directory: &'a Directory,
    params: &HashMap<String, String>,
) -> Result<SearchPage<'a>, ServiceError> {
    if let Some(unknown) = params
        .keys()
        .find(|k| !SEARCH_PARAMETERS.contains(&k.as_str()))
    {
        return Err(bad_query(format!(
            "unknown query parameter `{unknown}` (known: {})",
            SEARCH_PARAMETERS.join(", ")
        )));
    }
    let limit = parse_number("limit", params.get("limit"), DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
    let offset = parse_number("offset", params.get("offset"), 0, 0..=MAX_OFFSET)?;
    let q = params.get("q").map(|q| q.trim()).filter(|q| !q.is_empty());
    if let Some(q) = q {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(bad_query(format!(
                "`q` must be at most {MAX_QUERY_CHARS} characters"
            )));
        }
        if q.chars().any(char::is_control) {
            return Err(bad_query("`q` must not contain control characters"));
        }
    }
    let (agencies, total) = match q {
        Some(q) => directory.search(q, limit, offset),
        None => {
            let all = directory.all();
            (all.iter().skip(offset).take(limit).collect(), all.len())
        }
    };
    Ok(SearchPage {
        total,
        limit,
        offset,
        agencies,
    })
}

/// `GET /v1/agencies/{agency_id}`.
pub fn agency<'a>(directory: &'a Directory, id: &str) -> Result<AgencyDetail<'a>, ServiceError> {
    let agency = directory
        .get(id)
        .ok_or_else(|| ServiceError::NotFound("no agency with this id".into()))?;
    Ok(AgencyDetail {
        agency,
        parent: agency
            .parent_id
            .as_deref()
            .and_then(|p| directory.get(p))
            .map(AgencySummary::from),
        children: directory
            .children(&agency.id)
            .into_iter()
            .map(AgencySummary::from)
            .collect(),
    })
}

impl DirectoryApi {
    /// `POST /v1/routing/suggestions`: the router's view of a draft report. It takes what a
    /// report submission takes ([`Submission`]), validated the same way (413 over the size
    /// limit, 400 when not a JSON object of the right types, 422 with every failing field
    /// named), except that the title and the kind are optional: a citizen typing a report, an
    /// SMS or a post has neither yet (an absent kind is taken as a complaint). Fields routing does not read (lat/lon, incident date, reporter...) are
    /// checked and ignored. Nothing is stored.
    pub async fn suggest(&self, body: &[u8]) -> Result<Suggestion, ServiceError> {
        let directory = self.directory.current().await;
        let draft: SuggestionRequest = typed(json_object(body)?)?;
        let untitled = draft.title.as_deref().is_none_or(|t| t.trim().is_empty());
        let mut submission = draft;
        if untitled {
            // Validation only: a title that passes the title rule, so that the other fields
            // are judged as a submission's; the router is given no title.
            submission.title = Some(UNTITLED_DRAFT.to_string());
        }
        // A draft being typed (or an SMS, a post) has not chosen its kind yet: routed as a
        // complaint, the kind most reports are. A kind that is given is checked as usual.
        if submission.kind.is_none() {
            submission.kind = Some("complaint".to_string());
        }
        let valid = submission
            .validate(chrono::Utc::now(), &directory)
            .map_err(ServiceError::Invalid)?;
        let title = if untitled { "" } else { valid.title.as_str() };
        let engine = self.engine.engine(directory.clone()).await;
        let decision = engine.route(&RouteQuery {
            kind: valid.kind,
            title,
            body: &valid.body,
            category: valid.category.as_deref(),
            region_code: valid.location.region_code.as_deref(),
            location_text: valid.location.text.as_deref(),
            target_agency: valid.target_agency.as_deref(),
        });
        let possible_duplicates = match (&self.reports, decision.agency_id.as_deref()) {
            (Some(store), Some(agency)) => {
                let draft = super::duplicates::Draft {
                    title,
                    body: &valid.body,
                    location: &valid.location,
                    exclude: None,
                };
                super::duplicates::similar_public(&**store, agency, &draft).await
            }
            _ => Vec::new(),
        };
        Ok(Suggestion {
            decision: decision.decision.as_str(),
            agency_id: decision.agency_id,
            confidence: decision.confidence,
            candidates: decision
                .candidates
                .into_iter()
                .map(|c| SuggestedCandidate {
                    name: directory
                        .get(&c.agency_id)
                        .map(|a| a.name.clone())
                        .unwrap_or(c.name),
                    agency_id: c.agency_id,
                    score: c.score,
                })
                .collect(),
            reason: decision.reason,
            model_version: decision.model_version,
            possible_duplicates,
        })
    }
}

/// A draft report: the fields of a submission (`domain::submission`), title optional.
pub type SuggestionRequest = Submission;

/// Stands in for a missing title during validation only; never routed, stored or returned.
const UNTITLED_DRAFT: &str = "(tanpa judul)";

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestedCandidate {
    pub agency_id: String,
    pub name: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    /// `auto` or `triage`.
    pub decision: &'static str,
    /// The institution the router would choose; null when it would send the report to triage.
    pub agency_id: Option<String>,
    pub confidence: f32,
    pub candidates: Vec<SuggestedCandidate>,
    pub reason: String,
    pub model_version: String,
    /// Open public reports of that institution at the draft's place (its kecamatan, or within
    /// 250 m) that likely say the same thing, best first: the citizen may follow one of them
    /// instead of sending the same problem again. Empty without an institution or a place.
    pub possible_duplicates: Vec<super::duplicates::SimilarReport>,
}

/// Agencies written per store call while seeding (the DynamoDB adapter splits further into
/// BatchWriteItem calls of 25).
pub const SEED_BATCH: usize = 100;

/// What [`publish_directory`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub agencies: usize,
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// An addition that would not fit the directory (a duplicate id, an unknown parent...).
    #[error(transparent)]
    Invalid(#[from] crate::directory::DirectoryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Publishes the compiled-in directory with `additions` (institutions and work units the
/// compiled-in data lacks) to the store: every agency upserted by id (re-running changes
/// nothing), then the version last, so a function that reads the version finds every agency
/// written. The additions are checked first (ids unique, parents known): nothing is written
/// when one does not fit. `progress` hears how many were written.
pub async fn publish_directory(
    store: &dyn AgencyStore,
    additions: &[Agency],
    mut progress: impl FnMut(usize),
) -> Result<Published, PublishError> {
    #[allow(clippy::disallowed_methods)] // publishing writes the compiled-in directory itself
    let mut agencies = Directory::builtin().all().to_vec();
    let mut check = Directory::from_agencies(agencies.clone());
    for agency in additions {
        check.add(agency.clone())?;
    }
    agencies.extend(additions.iter().cloned());
    for batch in agencies.chunks(SEED_BATCH) {
        store.put_agencies(batch).await?;
        progress(batch.len());
    }
    let version = Directory::version_with(additions);
    store.set_directory_version(&version).await?;
    Ok(Published {
        agencies: agencies.len(),
        version,
    })
}
