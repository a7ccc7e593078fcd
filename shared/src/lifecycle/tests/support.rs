//! The fixtures every module shares: the institutions and tracking ids the tests use, the four
//! kinds of actor, a report in any status with the history that led there, and exactly what
//! `apply` must return.
#![allow(clippy::disallowed_methods)] // tests use the compiled-in directory

use super::*;
use crate::deadlines::Deadlines;
use crate::domain::{RoutingCandidate, RoutingRecord};
use chrono::{Duration, TimeZone};

/// The institution holding the test reports (Kementerian Keuangan) and two of its work units
/// (Direktorat Jenderal Pajak, Direktorat Jenderal Bea dan Cukai).
pub(super) const HOLDER: &str = "kemenkeu";

pub(super) const UNIT: &str = "djp";

pub(super) const OTHER_UNIT: &str = "djbc";

/// Another institution, and a work unit of yet another one (Dukcapil, below Kemendagri).
pub(super) const OTHER: &str = "kemenkes";

const OTHER_NAME: &str = "Kementerian Kesehatan";

pub(super) const FOREIGN_UNIT: &str = "dukcapil";

/// The institution the table's tests make a supervisor of the test report (any institution
/// will do there; the levels themselves are tested with the directory's own hierarchy).
pub(super) const SUPERVISING: &str = OTHER;

/// A supervisor added now (`None`: the national verifiers).
pub(super) fn supervisor(agency_id: Option<&str>) -> crate::domain::report::Supervisor {
    crate::domain::report::Supervisor {
        agency_id: agency_id.map(str::to_string),
        since: now() - Duration::hours(2),
    }
}

/// A follow-up deadline two days ahead.
pub(super) fn follow_up_deadline() -> crate::domain::Deadline {
    crate::domain::Deadline {
        step: crate::deadlines::Step::FollowUp,
        at: now() + Duration::days(2),
    }
}

/// Valid tracking ids (check symbol included): the test report and another one.
pub(super) const TRACKING_ID: &str = "1AP0R2025E";

pub(super) const OTHER_TRACKING_ID: &str = "D0P11CATE5";

pub(super) const ACTION_ID: &str = "0b7e5c2a-retry-key";

/// The compiled-in directory, for tests that borrow it for good.
pub(super) fn dir() -> &'static Directory {
    static DIRECTORY: std::sync::OnceLock<std::sync::Arc<Directory>> = std::sync::OnceLock::new();
    DIRECTORY.get_or_init(Directory::builtin)
}

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 2, 30, 0).unwrap()
}

pub(super) fn ctx() -> Context<'static> {
    Context {
        now: now(),
        directory: dir(),
        deadlines: Deadlines::builtin(),
    }
}

pub(super) fn verifier() -> Actor {
    Actor::Verifier {
        officer_id: Some("verifikator-01".into()),
    }
}

pub(super) fn officer(agency_id: &str) -> Actor {
    Actor::Officer {
        agency_id: agency_id.into(),
        officer_id: Some("petugas-01".into()),
    }
}

pub(super) fn reporter() -> Actor {
    Actor::Reporter
}

pub(super) fn system() -> Actor {
    Actor::System {
        component: "escalation".into(),
    }
}

/// What the router writes when it is not sure: no decision, [`HOLDER`] as the top candidate.
pub(super) fn triage_routing() -> RoutingRecord {
    RoutingRecord {
        decision: "triage".into(),
        agency_id: None,
        confidence: 0.41,
        candidates: vec![
            RoutingCandidate {
                agency_id: HOLDER.into(),
                name: "Kementerian Keuangan".into(),
                score: 0.41,
            },
            RoutingCandidate {
                agency_id: OTHER.into(),
                name: OTHER_NAME.into(),
                score: 0.22,
            },
        ],
        reason: "low confidence".into(),
        model_version: "test".into(),
    }
}

fn auto_routing(agency_id: &str) -> RoutingRecord {
    RoutingRecord {
        decision: "auto".into(),
        agency_id: Some(agency_id.into()),
        confidence: 0.93,
        candidates: vec![],
        reason: "sector keywords".into(),
        model_version: "test".into(),
    }
}

/// Appends a past event (one hour after the last) and moves the report to `status`.
fn happened(report: &mut Report, actor: Actor, action: &str, status: Status) {
    report.status = status;
    report.version += 1;
    report.record(TimelineEvent {
        at: report.updated_at + Duration::hours(1),
        actor,
        action: action.into(),
        agency_id: report.agency_id.clone(),
        status: Some(status),
        note: None,
        action_id: None,
    });
}

/// A report in `status` with the history that led there, built like intake builds one. From
/// `dispositioned` on it is held by [`HOLDER`]; a deferred one was deferred by a verifier during
/// triage, an archived one archived there. It has a pending deadline, which every action clears.
pub(super) fn report_in(status: Status) -> Report {
    let submitted = now() - Duration::days(3);
    let mut report = Report::sample(submitted);
    report.tracking_id = TrackingId::parse(TRACKING_ID).unwrap();
    report.title = "Pengembalian pajak belum cair".into();
    report.body = "Restitusi pajak saya sudah enam bulan belum dicairkan tanpa penjelasan.".into();
    report.reporter_sealed = Some("sealed:contact".into());
    report.access_token_hash = "ab".repeat(32);
    let router = Actor::System {
        component: "router".into(),
    };
    match status {
        Status::Received => {}
        Status::NeedsTriage | Status::Deferred | Status::Archived => {
            report.routing = Some(triage_routing());
            happened(&mut report, router, "sent_to_triage", Status::NeedsTriage);
            if status == Status::Deferred {
                report.deferred_from = Some(Status::NeedsTriage);
                happened(&mut report, verifier(), "deferred", Status::Deferred);
            }
            if status == Status::Archived {
                report.archive_reason = Some(ArchiveReason::Unintelligible);
                happened(&mut report, verifier(), "archived", Status::Archived);
            }
        }
        Status::Dispositioned | Status::InProgress | Status::Responded | Status::Closed => {
            report.routing = Some(auto_routing(HOLDER));
            report.agency_id = Some(HOLDER.into());
            happened(&mut report, router, "routed", Status::Dispositioned);
            if status != Status::Dispositioned {
                happened(&mut report, officer(HOLDER), "accepted", Status::InProgress);
            }
            if matches!(status, Status::Responded | Status::Closed) {
                happened(
                    &mut report,
                    officer(HOLDER),
                    "followed_up",
                    Status::Responded,
                );
            }
            if status == Status::Closed {
                happened(&mut report, officer(HOLDER), "closed", Status::Closed);
            }
        }
    }
    report.due_at = Some(now() + Duration::days(2));
    report
}

/// An in-progress report the holder gave to [`UNIT`].
pub(super) fn assigned_to_unit() -> Report {
    let mut report = report_in(Status::InProgress);
    report.work_unit = Some(UNIT.into());
    happened(
        &mut report,
        officer(HOLDER),
        "assigned_to_unit",
        Status::InProgress,
    );
    report
}

/// A report the holder asked the reporter about while working on it.
pub(super) fn deferred_by_officer() -> Report {
    let mut report = report_in(Status::InProgress);
    report.deferred_from = Some(Status::InProgress);
    happened(
        &mut report,
        officer(HOLDER),
        "info_requested",
        Status::Deferred,
    );
    report
}

pub(super) fn rated(mut report: Report) -> Report {
    report.rating = Some(Rating {
        stars: 3,
        comment: None,
        at: now() - Duration::hours(1),
    });
    report
}

/// `report_in(status)` held by [`HOLDER`] whatever the status, so that its officers pass the
/// access check and only the status decides.
pub(super) fn held_in(status: Status) -> Report {
    let mut report = report_in(status);
    report.agency_id = Some(HOLDER.into());
    report
}

/// The event `apply` must append (stamped now, carrying [`ACTION_ID`]).
pub(super) fn event(
    actor: Actor,
    action: &str,
    agency_id: Option<&str>,
    status: Status,
    note: Option<&str>,
) -> TimelineEvent {
    TimelineEvent {
        at: now(),
        actor,
        action: action.into(),
        agency_id: agency_id.map(str::to_string),
        status: Some(status),
        note: note.map(str::to_string),
        action_id: Some(ACTION_ID.into()),
    }
}

/// Exactly what `apply` must return: `before` with `change` made, the version bumped, the new
/// status's deadline (the schedule itself is tested with dates in `deadlines::schedule`), and
/// `event` appended as the only new event.
pub(super) fn expected(
    before: &Report,
    event: TimelineEvent,
    change: impl FnOnce(&mut Report),
) -> Report {
    let mut report = before.clone();
    change(&mut report);
    report.version = before.version + 1;
    let restart = before.status == Status::Deferred;
    report.deadline = Deadlines::builtin().next(dir(), before, &report, event.at, restart);
    report.due_at = crate::deadlines::due_at(&report, before.due_at);
    report.updated_at = event.at;
    report.timeline.push(event);
    report
}

/// `apply` with [`ACTION_ID`], which must succeed.
pub(super) fn step(before: &Report, actor: &Actor, action: &Action) -> Report {
    apply(before, actor, action, Some(ACTION_ID), &ctx()).unwrap_or_else(|e| {
        panic!(
            "{} by {actor:?} in {:?} refused: {e:?}",
            action.name(),
            before.status
        )
    })
}

/// The names of the fields an `Invalid` error names (anything else fails the test).
pub(super) fn invalid_fields(result: Result<Report, LifecycleError>) -> Vec<String> {
    match result {
        Err(LifecycleError::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

pub(super) fn reply(message: &str) -> Action {
    Action::Reply {
        message: message.into(),
    }
}
