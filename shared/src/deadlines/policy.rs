//! Time limits per lifecycle step, in working days, as configurable policy.
//!
//! Defaults from the project's domain notes (`docs/domain.md`). The governing regulation changed
//! in 2025 (Permen PANRB 5/2025 replaced 62/2018), so the numbers are configuration, not code:
//! - [`Step::Verification`]: 3 working days for the administrator to verify and forward a new
//!   report, counted from its receipt;
//! - [`Step::FollowUp`]: 5 working days for the institution's follow-up, counted from the
//!   disposition (forwarding);
//! - [`Step::AutoClose`]: 10 working days after a follow-up without a reply from the reporter,
//!   the report closes;
//! - [`Step::DeferredAnswer`]: 10 working days for the reporter to answer a deferred report's
//!   question (Tunda). No published number was found; 10 is chosen because it is the time the
//!   same reporter already gets to answer a follow-up before the report closes (one rule for
//!   "waiting for the reporter"), and two calendar weeks leave room for a reporter who reads
//!   SMS rarely or has to fetch a document, without deferred reports piling up for months.
//!
//! - Information requests (`information_request`) follow UU 14/2008 on public information
//!   (art. 22(7) and (8)): the institution answers within 10 working days and may extend that
//!   once by at most 7 working days, giving its reason (the `extend` action). So the default
//!   policy carries `by_kind.information_request.follow_up = 10` and `extension = 7`.
//!
//! # Overrides
//! A limit can be overridden per report kind and per institution (agency id), step by step.
//! For a step, the institution's override wins over the kind's, which wins over the default;
//! an override of one step leaves the other steps alone. Kind and institution overrides do not
//! combine: an institution that sets `follow_up` gets that number for every kind.
//!
//! # Configuration text
//! ```json
//! {
//!   "default":   {"verification": 3, "follow_up": 5, "auto_close": 10, "deferred_answer": 10},
//!   "by_kind":   {"information_request": {"follow_up": 10}},
//!   "by_agency": {"pln": {"follow_up": 3}},
//!   "extension": 7
//! }
//! ```
//! Every part is optional; a step left out keeps its built-in default (the information
//! request's 10 days included: a `by_kind.information_request` object replaces only the steps
//! it names). `extension` is the working days an `extend` adds to a follow-up deadline. Kinds are `complaint`,
//! `aspiration`, `information_request`; steps `verification`, `follow_up`, `auto_close`,
//! `deferred_answer`; a limit is a whole number of working days from 1 to [`MAX_LIMIT_DAYS`].
//! Errors name the path of the bad key, e.g. `by_kind.information_requst`.

use super::calendar::WorkingCalendar;
use super::zones::TimeZone;
use crate::domain::ReportKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The longest limit accepted: about a year of working days.
pub const MAX_LIMIT_DAYS: u32 = 260;

/// A step of the lifecycle that runs against a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Verification and forwarding of a new report by the administrator (from receipt).
    Verification,
    /// The institution's follow-up (from the disposition).
    FollowUp,
    /// Automatic close after a follow-up the reporter did not answer (from the follow-up).
    AutoClose,
    /// The reporter's answer to a deferred report (from the deferral).
    DeferredAnswer,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::Verification,
        Step::FollowUp,
        Step::AutoClose,
        Step::DeferredAnswer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Verification => "verification",
            Step::FollowUp => "follow_up",
            Step::AutoClose => "auto_close",
            Step::DeferredAnswer => "deferred_answer",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == s)
    }
}

/// One working-day limit per step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub verification: u32,
    pub follow_up: u32,
    pub auto_close: u32,
    pub deferred_answer: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            verification: 3,
            follow_up: 5,
            auto_close: 10,
            deferred_answer: 10,
        }
    }
}

impl Limits {
    pub fn get(&self, step: Step) -> u32 {
        match step {
            Step::Verification => self.verification,
            Step::FollowUp => self.follow_up,
            Step::AutoClose => self.auto_close,
            Step::DeferredAnswer => self.deferred_answer,
        }
    }

    fn slot(&mut self, step: Step) -> &mut u32 {
        match step {
            Step::Verification => &mut self.verification,
            Step::FollowUp => &mut self.follow_up,
            Step::AutoClose => &mut self.auto_close,
            Step::DeferredAnswer => &mut self.deferred_answer,
        }
    }
}

/// Where a resolved limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitSource {
    Agency,
    Kind,
    Default,
}

/// A limit as it applies to one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limit {
    pub working_days: u32,
    pub source: LimitSource,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("deadline policy is not valid JSON: {0}")]
    Json(String),
    /// `path` names the bad key, e.g. `by_agency.pln.follow_up`.
    #[error("deadline policy: {path}: {message}")]
    Invalid { path: String, message: String },
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// The time limits: defaults plus overrides by report kind and by institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlinePolicy {
    defaults: Limits,
    by_kind: HashMap<ReportKind, HashMap<Step, u32>>,
    by_agency: HashMap<String, HashMap<Step, u32>>,
    extension: u32,
}

/// UU 14/2008 art. 22(7): an information request is answered within 10 working days.
pub const INFORMATION_REQUEST_FOLLOW_UP_DAYS: u32 = 10;
/// UU 14/2008 art. 22(8): extendable once by at most 7 working days.
pub const INFORMATION_REQUEST_EXTENSION_DAYS: u32 = 7;

impl Default for DeadlinePolicy {
    fn default() -> DeadlinePolicy {
        DeadlinePolicy {
            defaults: Limits::default(),
            by_kind: HashMap::from([(
                ReportKind::InformationRequest,
                HashMap::from([(Step::FollowUp, INFORMATION_REQUEST_FOLLOW_UP_DAYS)]),
            )]),
            by_agency: HashMap::new(),
            extension: INFORMATION_REQUEST_EXTENSION_DAYS,
        }
    }
}

impl DeadlinePolicy {
    /// The working days an `extend` adds to a follow-up deadline.
    pub fn extension(&self) -> u32 {
        self.extension
    }

    pub fn with_extension(mut self, days: u32) -> Result<DeadlinePolicy, PolicyError> {
        self.extension = check_days("extension", days)?;
        Ok(self)
    }

    /// The defaults, without overrides.
    pub fn defaults(&self) -> Limits {
        self.defaults
    }

    pub fn with_default(mut self, step: Step, days: u32) -> Result<DeadlinePolicy, PolicyError> {
        *self.defaults.slot(step) = check_days(&format!("default.{}", step.as_str()), days)?;
        Ok(self)
    }

    pub fn with_kind_override(
        mut self,
        kind: ReportKind,
        step: Step,
        days: u32,
    ) -> Result<DeadlinePolicy, PolicyError> {
        let path = format!("by_kind.{}.{}", kind.as_str(), step.as_str());
        let days = check_days(&path, days)?;
        self.by_kind.entry(kind).or_default().insert(step, days);
        Ok(self)
    }

    pub fn with_agency_override(
        mut self,
        agency_id: &str,
        step: Step,
        days: u32,
    ) -> Result<DeadlinePolicy, PolicyError> {
        let agency_id = check_agency_id(agency_id)?;
        let path = format!("by_agency.{agency_id}.{}", step.as_str());
        let days = check_days(&path, days)?;
        self.by_agency
            .entry(agency_id.to_string())
            .or_default()
            .insert(step, days);
        Ok(self)
    }

    /// Reads the configuration text described in the module docs.
    pub fn from_json(text: &str) -> Result<DeadlinePolicy, PolicyError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        let top = value
            .as_object()
            .ok_or_else(|| invalid("(top level)", "must be a JSON object"))?;
        let mut policy = DeadlinePolicy::default();
        for (key, value) in top {
            match key.as_str() {
                "default" => {
                    for (step, days) in read_limits("default", value)? {
                        *policy.defaults.slot(step) = days;
                    }
                }
                "by_kind" => {
                    for (name, limits) in read_object("by_kind", value)? {
                        let path = format!("by_kind.{name}");
                        let kind = ReportKind::parse(name).ok_or_else(|| {
                            invalid(
                                &path,
                                "unknown report kind (expected complaint, aspiration or \
                                 information_request)",
                            )
                        })?;
                        let entry = policy.by_kind.entry(kind).or_default();
                        entry.extend(read_limits(&path, limits)?);
                    }
                }
                "by_agency" => {
                    for (id, limits) in read_object("by_agency", value)? {
                        let path = format!("by_agency.{id}");
                        let id = check_agency_id(id).map_err(|_| {
                            invalid(&path, "agency id must be non-empty, without spaces")
                        })?;
                        let entry = policy.by_agency.entry(id.to_string()).or_default();
                        entry.extend(read_limits(&path, limits)?);
                    }
                }
                "extension" => {
                    let days = value
                        .as_u64()
                        .and_then(|d| u32::try_from(d).ok())
                        .ok_or_else(|| {
                            invalid(
                                "extension",
                                format!(
                                    "must be a whole number of working days from 1 to \
                                     {MAX_LIMIT_DAYS}, got {value}"
                                ),
                            )
                        })?;
                    policy.extension = check_days("extension", days)?;
                }
                other => {
                    return Err(invalid(
                        other,
                        "unknown key (expected default, by_kind, by_agency or extension)",
                    ))
                }
            }
        }
        Ok(policy)
    }

    /// The limit for `step` on a report of `kind` handled by `agency_id` (none for the national
    /// administrators): the agency's override, else the kind's, else the default.
    pub fn resolve(&self, step: Step, kind: ReportKind, agency_id: Option<&str>) -> Limit {
        let by_agency = agency_id
            .and_then(|id| self.by_agency.get(id))
            .and_then(|o| o.get(&step));
        let by_kind = self.by_kind.get(&kind).and_then(|o| o.get(&step));
        match (by_agency, by_kind) {
            (Some(&days), _) => Limit {
                working_days: days,
                source: LimitSource::Agency,
            },
            (None, Some(&days)) => Limit {
                working_days: days,
                source: LimitSource::Kind,
            },
            (None, None) => Limit {
                working_days: self.defaults.get(step),
                source: LimitSource::Default,
            },
        }
    }

    /// The limit in working days (see [`DeadlinePolicy::resolve`]).
    pub fn limit(&self, step: Step, kind: ReportKind, agency_id: Option<&str>) -> u32 {
        self.resolve(step, kind, agency_id).working_days
    }

    /// The deadline of `step` for a report of `kind` handled by `agency_id` in `zone`, when the
    /// step started at `start`: the end (23:59:59.999 local) of the limit's last working day,
    /// counted from the day after `start`'s local day (see [`WorkingCalendar::add_working_days`]).
    /// Check [`WorkingCalendar::covers`] for the years the deadline spans: outside the holiday
    /// data only weekends are skipped.
    pub fn deadline_for(
        &self,
        calendar: &WorkingCalendar,
        step: Step,
        kind: ReportKind,
        agency_id: Option<&str>,
        zone: TimeZone,
        start: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let days = self.limit(step, kind, agency_id);
        calendar.add_working_days(start, days, zone)
    }
}

fn check_days(path: &str, days: u32) -> Result<u32, PolicyError> {
    if (1..=MAX_LIMIT_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(invalid(
            path,
            format!(
                "must be a whole number of working days from 1 to {MAX_LIMIT_DAYS}, got {days}"
            ),
        ))
    }
}

fn check_agency_id(id: &str) -> Result<&str, PolicyError> {
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        Err(invalid(
            format!("by_agency.{id}"),
            "agency id must be non-empty, without spaces",
        ))
    } else {
        Ok(id)
    }
}

fn read_object<'a>(path: &str, value: &'a Value) -> Result<&'a Map<String, Value>, PolicyError> {
    value
        .as_object()
        .ok_or_else(|| invalid(path, "must be a JSON object"))
}

/// A `{"step": days, ...}` object.
fn read_limits(path: &str, value: &Value) -> Result<Vec<(Step, u32)>, PolicyError> {
    let mut limits = Vec::new();
    for (name, days) in read_object(path, value)? {
        let path = format!("{path}.{name}");
        let step = Step::parse(name).ok_or_else(|| {
            invalid(
                &path,
                "unknown step (expected verification, follow_up, auto_close or deferred_answer)",
            )
        })?;
        let days = days
            .as_u64()
            .and_then(|d| u32::try_from(d).ok())
            .ok_or_else(|| {
                invalid(
                    &path,
                    format!(
                        "must be a whole number of working days from 1 to {MAX_LIMIT_DAYS}, got \
                         {days}"
                    ),
                )
            })?;
        limits.push((step, check_days(&path, days)?));
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn start_wib(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
            .and_local_timezone(TimeZone::Wib.offset())
            .unwrap()
            .with_timezone(&Utc)
    }

    fn local_day(at: DateTime<Utc>) -> String {
        TimeZone::Wib.local_date(at).to_string()
    }

    #[test]
    fn defaults_follow_the_domain() {
        let p = DeadlinePolicy::default();
        let kind = ReportKind::Complaint;
        assert_eq!(p.limit(Step::Verification, kind, None), 3);
        assert_eq!(p.limit(Step::FollowUp, kind, Some("pln")), 5);
        assert_eq!(p.limit(Step::AutoClose, kind, None), 10);
        assert_eq!(p.limit(Step::DeferredAnswer, kind, None), 10);
        assert_eq!(
            p.resolve(Step::FollowUp, kind, None).source,
            LimitSource::Default
        );
        assert_eq!(DeadlinePolicy::from_json("{}").unwrap(), p);
    }

    #[test]
    fn information_requests_follow_uu_14_2008_by_default() {
        let p = DeadlinePolicy::default();
        let info = ReportKind::InformationRequest;
        // Art. 22(7): ten working days to answer; art. 22(8): seven more, once.
        assert_eq!(
            p.resolve(Step::FollowUp, info, None),
            Limit {
                working_days: 10,
                source: LimitSource::Kind
            }
        );
        assert_eq!(p.extension(), 7);
        // The other steps and kinds keep theirs.
        assert_eq!(p.limit(Step::Verification, info, None), 3);
        assert_eq!(p.limit(Step::FollowUp, ReportKind::Aspiration, None), 5);
        // Configurable: the kind's limit, an institution's, the extension.
        let p = DeadlinePolicy::from_json(
            r#"{"by_kind": {"information_request": {"follow_up": 8}}, "extension": 5,
                "by_agency": {"pln": {"follow_up": 4}}}"#,
        )
        .unwrap();
        assert_eq!(p.limit(Step::FollowUp, info, None), 8);
        assert_eq!(p.limit(Step::FollowUp, info, Some("pln")), 4);
        assert_eq!(p.extension(), 5);
        // Overriding another step of the kind keeps the ten days.
        let p = DeadlinePolicy::from_json(
            r#"{"by_kind": {"information_request": {"verification": 2}}}"#,
        )
        .unwrap();
        assert_eq!(p.limit(Step::FollowUp, info, None), 10);
        assert_eq!(p.limit(Step::Verification, info, None), 2);
        assert_eq!(
            DeadlinePolicy::default()
                .with_extension(3)
                .unwrap()
                .extension(),
            3
        );
    }

    #[test]
    fn a_bad_extension_is_named() {
        for text in [r#"{"extension": 0}"#, r#"{"extension": 261}"#] {
            let err = DeadlinePolicy::from_json(text).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "deadline policy: extension: must be a whole number of working days from 1 \
                     to 260, got {}",
                    if text.contains('0') && !text.contains("261") {
                        0
                    } else {
                        261
                    }
                )
            );
        }
        let err = DeadlinePolicy::from_json(r#"{"extension": "seven"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "deadline policy: extension: must be a whole number of working days from 1 to 260, \
             got \"seven\""
        );
        let err = DeadlinePolicy::from_json(r#"{"extensions": 7}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "deadline policy: extensions: unknown key (expected default, by_kind, by_agency or \
             extension)"
        );
    }

    #[test]
    fn agency_wins_over_kind_wins_over_default() {
        let p = DeadlinePolicy::from_json(
            r#"{"default": {"follow_up": 7},
                "by_kind": {"information_request": {"follow_up": 10, "verification": 2}},
                "by_agency": {"pln": {"follow_up": 3}}}"#,
        )
        .unwrap();
        let info = ReportKind::InformationRequest;
        let complaint = ReportKind::Complaint;
        let r = |step, kind, agency| p.resolve(step, kind, agency);
        // Follow-up: the agency's 3 for PLN whatever the kind.
        assert_eq!(
            r(Step::FollowUp, info, Some("pln")),
            Limit {
                working_days: 3,
                source: LimitSource::Agency
            }
        );
        assert_eq!(r(Step::FollowUp, complaint, Some("pln")).working_days, 3);
        // Another agency: the kind's 10 for information requests, the default 7 otherwise.
        assert_eq!(
            r(Step::FollowUp, info, Some("bpn")),
            Limit {
                working_days: 10,
                source: LimitSource::Kind
            }
        );
        assert_eq!(
            r(Step::FollowUp, complaint, Some("bpn")),
            Limit {
                working_days: 7,
                source: LimitSource::Default
            }
        );
        // PLN has no verification override: the kind's 2 applies, then the built-in 3.
        assert_eq!(r(Step::Verification, info, Some("pln")).working_days, 2);
        assert_eq!(
            r(Step::Verification, complaint, Some("pln")).working_days,
            3
        );
        // Steps not in the text keep their built-in defaults.
        assert_eq!(r(Step::AutoClose, complaint, None).working_days, 10);
    }

    #[test]
    fn builder_methods_validate_too() {
        let p = DeadlinePolicy::default()
            .with_default(Step::DeferredAnswer, 14)
            .unwrap()
            .with_kind_override(ReportKind::Aspiration, Step::FollowUp, 14)
            .unwrap()
            .with_agency_override("pemda-32.73", Step::FollowUp, 4)
            .unwrap();
        assert_eq!(p.defaults().deferred_answer, 14);
        assert_eq!(p.limit(Step::FollowUp, ReportKind::Aspiration, None), 14);
        assert_eq!(
            p.limit(Step::FollowUp, ReportKind::Aspiration, Some("pemda-32.73")),
            4
        );
        let err = DeadlinePolicy::default()
            .with_default(Step::Verification, 0)
            .unwrap_err();
        assert!(
            matches!(&err, PolicyError::Invalid { path, .. } if path == "default.verification"),
            "{err}"
        );
        assert!(DeadlinePolicy::default()
            .with_agency_override("a b", Step::FollowUp, 3)
            .is_err());
    }

    #[test]
    fn config_errors_name_the_bad_key() {
        let path_of = |text: &str| match DeadlinePolicy::from_json(text) {
            Err(PolicyError::Invalid { path, .. }) => path,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(path_of(r#"{"defaults": {}}"#), "defaults");
        assert_eq!(
            path_of(r#"{"default": {"folow_up": 5}}"#),
            "default.folow_up"
        );
        assert_eq!(
            path_of(r#"{"default": {"follow_up": 0}}"#),
            "default.follow_up"
        );
        assert_eq!(
            path_of(r#"{"default": {"follow_up": -1}}"#),
            "default.follow_up"
        );
        assert_eq!(
            path_of(r#"{"default": {"follow_up": 2.5}}"#),
            "default.follow_up"
        );
        assert_eq!(
            path_of(r#"{"default": {"follow_up": "5"}}"#),
            "default.follow_up"
        );
        assert_eq!(
            path_of(r#"{"default": {"follow_up": 261}}"#),
            "default.follow_up"
        );
        assert_eq!(path_of(r#"{"default": []}"#), "default");
        assert_eq!(
            path_of(r#"{"by_kind": {"information_requst": {"follow_up": 10}}}"#),
            "by_kind.information_requst"
        );
        assert_eq!(
            path_of(r#"{"by_kind": {"complaint": {"auto_clse": 10}}}"#),
            "by_kind.complaint.auto_clse"
        );
        assert_eq!(
            path_of(r#"{"by_agency": {"pln": {"follow_up": 99999999999}}}"#),
            "by_agency.pln.follow_up"
        );
        assert_eq!(
            path_of(r#"{"by_agency": {"": {"follow_up": 3}}}"#),
            "by_agency."
        );
        assert_eq!(path_of(r#"{"by_agency": {"pln": 3}}"#), "by_agency.pln");
        assert_eq!(path_of("[]"), "(top level)");

        let err = DeadlinePolicy::from_json(r#"{"by_kind": {"complaint": {"follow_up": 0}}}"#)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "deadline policy: by_kind.complaint.follow_up: must be a whole number of working \
             days from 1 to 260, got 0"
        );
        assert!(matches!(
            DeadlinePolicy::from_json("{\"default\": "),
            Err(PolicyError::Json(_))
        ));
    }

    #[test]
    fn deadline_for_applies_the_resolved_limit_in_the_institution_zone() {
        let calendar = WorkingCalendar::builtin();
        let p = DeadlinePolicy::from_json(
            r#"{"by_kind": {"information_request": {"follow_up": 10}},
                "by_agency": {"pln": {"follow_up": 3}}}"#,
        )
        .unwrap();
        // Disposition on Friday 9 January 2026, 16:00 WIB.
        let start = start_wib(2026, 1, 9, 16);
        let due = |kind, agency| {
            p.deadline_for(calendar, Step::FollowUp, kind, agency, TimeZone::Wib, start)
        };
        // PLN: 3 working days -> Wednesday 14 January.
        assert_eq!(
            local_day(due(ReportKind::InformationRequest, Some("pln"))),
            "2026-01-14"
        );
        // Default 5: Mon 12 .. Thu 15, Fri 16 is Isra Mikraj, so Monday 19.
        assert_eq!(
            local_day(due(ReportKind::Complaint, Some("bpn"))),
            "2026-01-19"
        );
        // Information requests: 10 -> Mon 12..Thu 15 (4), Mon 19..Fri 23 (9), Mon 26 (10).
        assert_eq!(
            local_day(due(ReportKind::InformationRequest, None)),
            "2026-01-26"
        );
        // The same limit for a Papua institution ends at 23:59:59.999 WIT, two hours earlier.
        let wit = p.deadline_for(
            calendar,
            Step::FollowUp,
            ReportKind::Complaint,
            None,
            TimeZone::Wit,
            start,
        );
        assert_eq!(wit.to_rfc3339(), "2026-01-19T14:59:59.999+00:00");
        assert_eq!(
            due(ReportKind::Complaint, None).to_rfc3339(),
            "2026-01-19T16:59:59.999+00:00"
        );
    }

    #[test]
    fn step_names_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
            assert_eq!(
                serde_json::to_string(&step).unwrap(),
                format!("\"{}\"", step.as_str())
            );
        }
        assert_eq!(Step::parse("followup"), None);
    }
}
