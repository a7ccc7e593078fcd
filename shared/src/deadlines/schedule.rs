//! The deadline a report carries in each status: which step runs against a limit, from when, in
//! the holding institution's time zone.
//!
//! | status | step | counted from |
//! |---|---|---|
//! | `received`, `needs_triage` | verification | receipt (or the escalation that sent it back) |
//! | `dispositioned` | follow-up | the disposition (forward, verification, escalation) |
//! | `in_progress` | follow-up | kept from the disposition; anew after a reply or an answer |
//! | `responded` | auto-close | the follow-up |
//! | `deferred` | the reporter's answer | the question |
//! | `closed`, `archived` | none | |

use super::calendar::{parse_holiday_list, WorkingCalendar};
use super::policy::{DeadlinePolicy, Step};
use super::zones::{zone_for_institution, TimeZone};
use crate::directory::Directory;
use crate::domain::{Deadline, Report, Status};
use chrono::{DateTime, Utc};
use std::sync::OnceLock;

/// The deadline policy and the working calendar, built once per process.
#[derive(Debug, Clone)]
pub struct Deadlines {
    pub policy: DeadlinePolicy,
    pub calendar: WorkingCalendar,
}

/// Optional configuration: the policy as JSON text (see [`DeadlinePolicy::from_json`]).
pub const POLICY_ENV: &str = "LAPOR_DEADLINE_POLICY";
/// Optional configuration: extra days off, `YYYY-MM-DD,YYYY-MM-DD,...` (a decree published after
/// this build, a regional day off).
pub const EXTRA_HOLIDAYS_ENV: &str = "LAPOR_EXTRA_HOLIDAYS";

impl Deadlines {
    /// The default policy on the compiled-in calendar.
    pub fn builtin() -> &'static Deadlines {
        static BUILTIN: OnceLock<Deadlines> = OnceLock::new();
        BUILTIN.get_or_init(|| Deadlines {
            policy: DeadlinePolicy::default(),
            calendar: WorkingCalendar::builtin().clone(),
        })
    }

    /// From the optional environment variables; a bad value stops the start-up, naming it.
    pub fn from_env() -> Result<Deadlines, crate::config::ConfigError> {
        let mut out = Deadlines::builtin().clone();
        // Unset and empty mean the same (the template passes empty parameters through).
        let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(text) = set(POLICY_ENV) {
            out.policy =
                DeadlinePolicy::from_json(&text).map_err(|e| crate::config::ConfigError {
                    name: POLICY_ENV,
                    problem: e.to_string(),
                })?;
        }
        if let Some(text) = set(EXTRA_HOLIDAYS_ENV) {
            let dates = parse_holiday_list(&text).map_err(|e| crate::config::ConfigError {
                name: EXTRA_HOLIDAYS_ENV,
                problem: e.to_string(),
            })?;
            out.calendar = out.calendar.with_extra_holidays(&dates);
        }
        Ok(out)
    }

    /// The zone deadlines of `agency_id` are counted in: its region's, WIB for central
    /// institutions and for the national administrators (`None`).
    pub fn zone_of(&self, directory: &Directory, agency_id: Option<&str>) -> TimeZone {
        let region = agency_id
            .and_then(|id| directory.get(id))
            .and_then(|a| a.region_code.clone());
        zone_for_institution(region.as_deref()).unwrap_or(TimeZone::CENTRAL)
    }

    /// The deadline of `step` for `report` (as held now) started at `start`.
    pub fn deadline(
        &self,
        directory: &Directory,
        report: &Report,
        step: Step,
        start: DateTime<Utc>,
    ) -> Deadline {
        // The institution's limits and zone; its work units work to them too.
        let zone = self.zone_of(directory, report.agency_id.as_deref());
        Deadline {
            step,
            at: self.policy.deadline_for(
                &self.calendar,
                step,
                report.kind,
                report.agency_id.as_deref(),
                zone,
                start,
            ),
        }
    }

    /// `deadline` of `report` moved by the policy's extension (`extend`), counted in working
    /// days from the deadline's own day in the holder's zone.
    pub fn extended(
        &self,
        directory: &Directory,
        report: &Report,
        deadline: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let zone = self.zone_of(directory, report.agency_id.as_deref());
        self.calendar
            .add_working_days(deadline, self.policy.extension(), zone)
    }

    /// The deadline `after` carries once it moved from `before` at `now` (see the table above).
    /// `restart`: count anew even where the status keeps its deadline (an escalation).
    pub fn next(
        &self,
        directory: &Directory,
        before: &Report,
        after: &Report,
        now: DateTime<Utc>,
        restart: bool,
    ) -> Option<Deadline> {
        let kept = |step: Step| {
            before
                .deadline
                .filter(|d| d.step == step && !restart && before.agency_id == after.agency_id)
        };
        let step = match after.status {
            Status::Closed | Status::Archived => return None,
            Status::Received | Status::NeedsTriage => {
                return kept(Step::Verification).or_else(|| {
                    let start = if restart { now } else { after.created_at };
                    Some(self.deadline(directory, after, Step::Verification, start))
                })
            }
            Status::Dispositioned => Step::FollowUp,
            Status::InProgress => {
                if matches!(before.status, Status::Dispositioned | Status::InProgress) {
                    if let Some(d) = kept(Step::FollowUp) {
                        return Some(d);
                    }
                }
                Step::FollowUp
            }
            Status::Responded => Step::AutoClose,
            Status::Deferred => Step::DeferredAnswer,
        };
        if before.status == after.status {
            if let Some(d) = kept(step) {
                return Some(d);
            }
        }
        Some(self.deadline(directory, after, step, now))
    }
}

/// When the system must look at the report next: the routing grace while `received` (the
/// sweep re-queues it), else its deadline.
///
/// A follow-up the national verifiers supervise already has no further level to add: it leaves
/// the due index (the verifiers' `overdue` box lists it) instead of escalating again and again.
pub fn due_at(report: &Report, routing_due: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match report.status {
        Status::Dispositioned | Status::InProgress if report.is_supervised_by(None) => None,
        Status::Received => match (routing_due, report.deadline) {
            (Some(r), Some(d)) => Some(r.min(d.at)),
            (r, d) => r.or(d.map(|d| d.at)),
        },
        _ => report.deadline.map(|d| d.at),
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
