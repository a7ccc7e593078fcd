//! Tests of the report lifecycle: every transition and what it writes, every refusal (role,
//! access, status, fields), the actions each actor is offered, the reporter's notifications and
//! the HTTP meaning of the errors.
//!
//! The expectations are written out here (which role does what, in which statuses), not read
//! from `lifecycle.rs`, so a change to the rules shows up as a failing test.
#![allow(clippy::disallowed_methods)] // tests use the compiled-in directory

use super::*;
use crate::api::ApiError;
use crate::deadlines::Deadlines;
use crate::directory::{builtin_agencies, Agency, WORK_UNIT_KIND};
use crate::domain::{Location, ReportKind, RoutingCandidate, RoutingRecord};
use chrono::{Duration, TimeZone};

// =================================================================================== fixtures

/// The institution holding the test reports (Kementerian Keuangan) and two of its work units
/// (Direktorat Jenderal Pajak, Direktorat Jenderal Bea dan Cukai).
const HOLDER: &str = "kemenkeu";
const UNIT: &str = "djp";
const OTHER_UNIT: &str = "djbc";
/// Another institution, and a work unit of yet another one (Dukcapil, below Kemendagri).
const OTHER: &str = "kemenkes";
const OTHER_NAME: &str = "Kementerian Kesehatan";
const FOREIGN_UNIT: &str = "dukcapil";

/// Valid tracking ids (check symbol included): the test report and another one.
const TRACKING_ID: &str = "1AP0R2025E";
const OTHER_TRACKING_ID: &str = "D0P11CATE5";
const ACTION_ID: &str = "0b7e5c2a-retry-key";

/// The compiled-in directory, for tests that borrow it for good.
fn dir() -> &'static Directory {
    static DIRECTORY: std::sync::OnceLock<std::sync::Arc<Directory>> = std::sync::OnceLock::new();
    DIRECTORY.get_or_init(Directory::builtin)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 2, 30, 0).unwrap()
}

fn ctx() -> Context<'static> {
    Context {
        now: now(),
        directory: dir(),
        deadlines: Deadlines::builtin(),
    }
}

fn verifier() -> Actor {
    Actor::Verifier {
        officer_id: Some("verifikator-01".into()),
    }
}

fn officer(agency_id: &str) -> Actor {
    Actor::Officer {
        agency_id: agency_id.into(),
        officer_id: Some("petugas-01".into()),
    }
}

fn reporter() -> Actor {
    Actor::Reporter
}

fn system() -> Actor {
    Actor::System {
        component: "escalation".into(),
    }
}

/// What the router writes when it is not sure: no decision, [`HOLDER`] as the top candidate.
fn triage_routing() -> RoutingRecord {
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
fn report_in(status: Status) -> Report {
    let submitted = now() - Duration::days(3);
    let mut report = Report {
        tracking_id: TrackingId::parse(TRACKING_ID).unwrap(),
        kind: ReportKind::Complaint,
        title: "Pengembalian pajak belum cair".into(),
        body: "Restitusi pajak saya sudah enam bulan belum dicairkan tanpa penjelasan.".into(),
        category: None,
        location: Location::default(),
        incident_date: None,
        target_agency: None,
        channel: Channel::Web,
        reporter_sealed: Some("sealed:contact".into()),
        anonymous: false,
        confidential: false,
        status: Status::Received,
        agency_id: None,
        work_unit: None,
        deferred_from: None,
        archive_reason: None,
        duplicate_of: None,
        rating: None,
        routing: None,
        access_token_hash: "ab".repeat(32),
        reporter_ref: None,
        inbound_sealed: None,
        contact_check: None,
        created_at: submitted,
        updated_at: submitted,
        deadline: None,
        due_at: None,
        version: 1,
        timeline: vec![TimelineEvent {
            at: submitted,
            actor: Actor::Reporter,
            action: "submitted".into(),
            agency_id: None,
            status: Some(Status::Received),
            note: None,
            action_id: None,
        }],
    };
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
fn assigned_to_unit() -> Report {
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
fn deferred_by_officer() -> Report {
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

fn rated(mut report: Report) -> Report {
    report.rating = Some(Rating {
        stars: 3,
        comment: None,
        at: now() - Duration::hours(1),
    });
    report
}

/// `report_in(status)` held by [`HOLDER`] whatever the status, so that its officers pass the
/// access check and only the status decides.
fn held_in(status: Status) -> Report {
    let mut report = report_in(status);
    report.agency_id = Some(HOLDER.into());
    report
}

/// The event `apply` must append (stamped now, carrying [`ACTION_ID`]).
fn event(
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
fn expected(before: &Report, event: TimelineEvent, change: impl FnOnce(&mut Report)) -> Report {
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
fn step(before: &Report, actor: &Actor, action: &Action) -> Report {
    apply(before, actor, action, Some(ACTION_ID), &ctx()).unwrap_or_else(|e| {
        panic!(
            "{} by {actor:?} in {:?} refused: {e:?}",
            action.name(),
            before.status
        )
    })
}

/// The names of the fields an `Invalid` error names (anything else fails the test).
fn invalid_fields(result: Result<Report, LifecycleError>) -> Vec<String> {
    match result {
        Err(LifecycleError::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn is_forbidden(result: &Result<Report, LifecycleError>) -> bool {
    matches!(result, Err(LifecycleError::Forbidden(_)))
}

// ====================================================================== the rules, as a table

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Verifier,
    Officer,
    Reporter,
    System,
}

fn kind_of(actor: &Actor) -> Kind {
    match actor {
        Actor::Verifier { .. } => Kind::Verifier,
        Actor::Officer { .. } => Kind::Officer,
        Actor::Reporter => Kind::Reporter,
        Actor::System { .. } => Kind::System,
    }
}

/// Who may take each action, and in which statuses (matches are exhaustive: a new action does
/// not compile until it is added here).
fn rule(action: &Action) -> (Kind, &'static [Status]) {
    use Status::*;
    const OPEN: &[Status] = &[
        Received,
        NeedsTriage,
        Dispositioned,
        InProgress,
        Responded,
        Deferred,
    ];
    match action {
        Action::Verify { .. } => (Kind::Verifier, &[Received, NeedsTriage, Dispositioned]),
        Action::Defer { .. } => (Kind::Verifier, &[Received, NeedsTriage]),
        Action::Archive { .. } => (Kind::Verifier, &[Received, NeedsTriage, Deferred]),
        Action::MarkDuplicate { .. } => (Kind::Verifier, &[Received, NeedsTriage, Deferred]),
        Action::Accept {} => (Kind::Officer, &[Dispositioned]),
        Action::Assign { .. } => (Kind::Officer, &[Dispositioned, InProgress]),
        Action::FollowUp { .. } => (Kind::Officer, &[Dispositioned, InProgress]),
        Action::RequestInfo { .. } => (Kind::Officer, &[Dispositioned, InProgress, Responded]),
        Action::Forward { .. } => (Kind::Officer, &[Dispositioned, InProgress]),
        Action::Close { .. } => (Kind::Officer, &[InProgress, Responded]),
        Action::Reply { .. } => (Kind::Reporter, OPEN),
        Action::Rate { .. } => (Kind::Reporter, &[Responded, Closed]),
        Action::Withdraw { .. } => (Kind::Reporter, OPEN),
        Action::AutoClose {} => (Kind::System, &[Responded]),
        Action::ArchiveUnanswered {} => (Kind::System, &[Deferred]),
        Action::Escalate {} => (
            Kind::System,
            &[Received, NeedsTriage, Dispositioned, InProgress],
        ),
    }
}

/// One valid action of each kind for a report held by [`HOLDER`].
fn samples() -> Vec<Action> {
    vec![
        Action::Verify {
            agency_id: Some(OTHER.into()),
            note: None,
        },
        Action::Defer {
            question: "Di kantor pajak mana?".into(),
        },
        Action::Archive {
            reason: ArchiveReason::TooGeneral,
        },
        Action::MarkDuplicate {
            duplicate_of: OTHER_TRACKING_ID.into(),
        },
        Action::Accept {},
        Action::Assign {
            work_unit: UNIT.into(),
        },
        Action::FollowUp {
            message: "Restitusi sudah diproses.".into(),
        },
        Action::RequestInfo {
            question: "Berapa nomor NPWP Anda?".into(),
        },
        Action::Forward {
            agency_id: OTHER.into(),
            reason: "Bukan wewenang kami.".into(),
        },
        Action::Close { message: None },
        Action::Reply {
            message: "Belum ada perubahan.".into(),
        },
        Action::Rate {
            stars: 4,
            comment: None,
        },
        Action::Withdraw { reason: None },
        Action::AutoClose {},
        Action::ArchiveUnanswered {},
        Action::Escalate {},
    ]
}

fn actor_for(action: &Action) -> Actor {
    match rule(action).0 {
        Kind::Verifier => verifier(),
        Kind::Officer => officer(HOLDER),
        Kind::Reporter => reporter(),
        Kind::System => system(),
    }
}

#[test]
fn the_samples_cover_every_action_once() {
    let mut names: Vec<&str> = samples().iter().map(Action::name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 16, "{names:?}");
}

// =============================================================== allowed and refused by status

#[test]
fn every_action_succeeds_in_each_status_it_is_allowed_in() {
    for action in samples() {
        for &status in rule(&action).1 {
            let result = apply(&held_in(status), &actor_for(&action), &action, None, &ctx());
            assert!(
                result.is_ok(),
                "{} in {status:?}: {result:?}",
                action.name()
            );
        }
    }
}

#[test]
fn every_action_outside_its_statuses_is_not_now() {
    let mut refused = 0;
    for action in samples() {
        for status in Status::ALL {
            if rule(&action).1.contains(&status) {
                continue;
            }
            let result = apply(&held_in(status), &actor_for(&action), &action, None, &ctx());
            assert_eq!(
                result,
                Err(LifecycleError::NotNow {
                    action: action.name(),
                    status: status.as_str(),
                }),
                "{} in {status:?}",
                action.name()
            );
            refused += 1;
        }
    }
    // 16 actions x 8 statuses, minus the 43 allowed pairs.
    assert_eq!(refused, 16 * 8 - 43);
}

#[test]
fn nothing_but_a_rating_happens_to_a_final_report() {
    for status in [Status::Closed, Status::Archived] {
        for action in samples() {
            let result = apply(&held_in(status), &actor_for(&action), &action, None, &ctx());
            let rating_a_closed_report =
                status == Status::Closed && matches!(action, Action::Rate { .. });
            assert_eq!(
                result.is_ok(),
                rating_a_closed_report,
                "{} in {status:?}",
                action.name()
            );
        }
    }
}

// ======================================================================= verifiers' transitions

#[test]
fn verify_hands_the_report_to_the_named_institution() {
    for status in [Status::Received, Status::NeedsTriage, Status::Dispositioned] {
        let before = report_in(status);
        let action = Action::Verify {
            agency_id: Some(OTHER.into()),
            note: Some("Menyangkut layanan rumah sakit.".into()),
        };
        let want = expected(
            &before,
            event(
                verifier(),
                "verified",
                Some(OTHER),
                Status::Dispositioned,
                Some("Menyangkut layanan rumah sakit."),
            ),
            |r| {
                r.status = Status::Dispositioned;
                r.agency_id = Some(OTHER.into());
            },
        );
        assert_eq!(step(&before, &verifier(), &action), want, "from {status:?}");
    }
}

#[test]
fn verify_without_an_agency_takes_the_routers_top_candidate() {
    let before = report_in(Status::NeedsTriage);
    let action = Action::Verify {
        agency_id: None,
        note: None,
    };
    let want = expected(
        &before,
        event(
            verifier(),
            "verified",
            Some(HOLDER),
            Status::Dispositioned,
            None,
        ),
        |r| {
            r.status = Status::Dispositioned;
            r.agency_id = Some(HOLDER.into());
        },
    );
    assert_eq!(step(&before, &verifier(), &action), want);
}

#[test]
fn verify_without_an_agency_prefers_the_routers_decision_to_its_candidates() {
    let mut before = report_in(Status::NeedsTriage);
    // The decision names OTHER while HOLDER tops the candidates.
    before.routing = Some(RoutingRecord {
        agency_id: Some(OTHER.into()),
        ..triage_routing()
    });
    let action = Action::Verify {
        agency_id: None,
        note: None,
    };
    let after = step(&before, &verifier(), &action);
    assert_eq!(after.agency_id.as_deref(), Some(OTHER));
    assert_eq!(
        after.timeline.last().unwrap().agency_id.as_deref(),
        Some(OTHER)
    );
}

#[test]
fn verify_note_is_trimmed_like_every_other_text() {
    let before = report_in(Status::NeedsTriage);
    let action = Action::Verify {
        agency_id: Some(OTHER.into()),
        note: Some("  Menyangkut rumah sakit.\n".into()),
    };
    let after = step(&before, &verifier(), &action);
    assert_eq!(
        after.timeline.last().unwrap().note.as_deref(),
        Some("Menyangkut rumah sakit.")
    );
}

#[test]
fn defer_asks_the_reporter_and_remembers_to_come_back_to_triage() {
    // From `received` too: the router has not decided, so the answer goes to the verifiers.
    for status in [Status::Received, Status::NeedsTriage] {
        let before = report_in(status);
        let action = Action::Defer {
            question: "  Di kantor pajak mana Anda melapor?\n".into(),
        };
        let want = expected(
            &before,
            event(
                verifier(),
                "deferred",
                None,
                Status::Deferred,
                Some("Di kantor pajak mana Anda melapor?"),
            ),
            |r| {
                r.status = Status::Deferred;
                r.deferred_from = Some(Status::NeedsTriage);
            },
        );
        assert_eq!(step(&before, &verifier(), &action), want, "from {status:?}");
    }
}

#[test]
fn archive_sets_the_report_aside_with_its_reason() {
    let cases = [
        (Status::Received, ArchiveReason::Unintelligible),
        (Status::NeedsTriage, ArchiveReason::NotPublicService),
        (Status::Deferred, ArchiveReason::TooGeneral),
    ];
    for (status, reason) in cases {
        let before = report_in(status);
        let want = expected(
            &before,
            event(verifier(), "archived", None, Status::Archived, None),
            |r| {
                r.status = Status::Archived;
                r.archive_reason = Some(reason);
                r.deferred_from = None;
            },
        );
        let after = step(&before, &verifier(), &Action::Archive { reason });
        assert_eq!(after, want, "from {status:?}");
    }
}

#[test]
fn mark_duplicate_archives_and_links_the_earlier_report() {
    for status in [Status::Received, Status::NeedsTriage, Status::Deferred] {
        let before = report_in(status);
        let action = Action::MarkDuplicate {
            duplicate_of: " d0p11cate5 ".into(),
        };
        let want = expected(
            &before,
            event(
                verifier(),
                "marked_duplicate",
                None,
                Status::Archived,
                Some(OTHER_TRACKING_ID),
            ),
            |r| {
                r.status = Status::Archived;
                r.archive_reason = Some(ArchiveReason::Duplicate);
                r.duplicate_of = TrackingId::parse(OTHER_TRACKING_ID);
                r.deferred_from = None;
            },
        );
        assert_eq!(step(&before, &verifier(), &action), want, "from {status:?}");
    }
}

// ======================================================================== officers' transitions

#[test]
fn accept_starts_the_work() {
    let before = report_in(Status::Dispositioned);
    let want = expected(
        &before,
        event(
            officer(HOLDER),
            "accepted",
            Some(HOLDER),
            Status::InProgress,
            None,
        ),
        |r| r.status = Status::InProgress,
    );
    assert_eq!(step(&before, &officer(HOLDER), &Action::Accept {}), want);
}

#[test]
fn assign_gives_the_report_to_a_work_unit() {
    let cases = [
        (report_in(Status::Dispositioned), UNIT),
        (report_in(Status::InProgress), UNIT),
        // Reassigned from one unit to another.
        (assigned_to_unit(), OTHER_UNIT),
    ];
    for (before, unit) in cases {
        let action = Action::Assign {
            work_unit: unit.into(),
        };
        let want = expected(
            &before,
            event(
                officer(HOLDER),
                "assigned_to_unit",
                Some(unit),
                Status::InProgress,
                None,
            ),
            |r| {
                r.status = Status::InProgress;
                r.work_unit = Some(unit.into());
            },
        );
        let after = step(&before, &officer(HOLDER), &action);
        assert_eq!(after, want, "from {:?} to {unit}", before.status);
        assert_eq!(
            after.agency_id.as_deref(),
            Some(HOLDER),
            "the holder keeps it"
        );
    }
}

#[test]
fn follow_up_posts_the_response() {
    for before in [
        report_in(Status::Dispositioned),
        report_in(Status::InProgress),
        assigned_to_unit(),
    ] {
        let action = Action::FollowUp {
            message: "\n Restitusi Anda sudah dicairkan pada 7 Maret. ".into(),
        };
        let want = expected(
            &before,
            event(
                officer(HOLDER),
                "followed_up",
                Some(HOLDER),
                Status::Responded,
                Some("Restitusi Anda sudah dicairkan pada 7 Maret."),
            ),
            |r| r.status = Status::Responded,
        );
        assert_eq!(
            step(&before, &officer(HOLDER), &action),
            want,
            "from {:?}",
            before.status
        );
    }
}

#[test]
fn request_info_defers_and_the_answer_reopens_the_work() {
    // From in_progress it returns where it came from; from responded the answer reopens the
    // follow-up as a reply does.
    for status in [Status::InProgress, Status::Responded] {
        let before = report_in(status);
        let action = Action::RequestInfo {
            question: " Berapa nomor NPWP Anda? ".into(),
        };
        let want = expected(
            &before,
            event(
                officer(HOLDER),
                "info_requested",
                Some(HOLDER),
                Status::Deferred,
                Some("Berapa nomor NPWP Anda?"),
            ),
            |r| {
                r.status = Status::Deferred;
                r.deferred_from = Some(Status::InProgress);
            },
        );
        assert_eq!(
            step(&before, &officer(HOLDER), &action),
            want,
            "from {status:?}"
        );
    }
}

#[test]
fn a_question_asked_before_accepting_returns_to_dispositioned() {
    let before = report_in(Status::Dispositioned);
    let action = Action::RequestInfo {
        question: "Berapa nomor NPWP Anda?".into(),
    };
    let deferred = step(&before, &officer(HOLDER), &action);
    assert_eq!(deferred.deferred_from, Some(Status::Dispositioned));
    let answer = Action::Reply {
        message: "NPWP saya 01.234.567.8-901.000".into(),
    };
    assert_eq!(
        step(&deferred, &reporter(), &answer).status,
        Status::Dispositioned
    );
}

#[test]
fn forward_moves_the_report_to_another_institution_and_out_of_the_unit() {
    for before in [report_in(Status::Dispositioned), assigned_to_unit()] {
        let action = Action::Forward {
            agency_id: OTHER.into(),
            reason: "  Menyangkut layanan BPJS di rumah sakit. ".into(),
        };
        let want = expected(
            &before,
            event(
                officer(HOLDER),
                "forwarded",
                Some(OTHER),
                Status::Dispositioned,
                Some("Menyangkut layanan BPJS di rumah sakit."),
            ),
            |r| {
                r.status = Status::Dispositioned;
                r.agency_id = Some(OTHER.into());
                r.work_unit = None;
            },
        );
        assert_eq!(
            step(&before, &officer(HOLDER), &action),
            want,
            "from {:?}",
            before.status
        );
    }
}

#[test]
fn close_ends_the_handling_with_or_without_a_message() {
    let cases = [
        (Status::InProgress, None, None),
        (
            Status::Responded,
            Some("  Kasus selesai.\n"),
            Some("Kasus selesai."),
        ),
    ];
    for (status, message, note) in cases {
        let before = report_in(status);
        let action = Action::Close {
            message: message.map(str::to_string),
        };
        let want = expected(
            &before,
            event(
                officer(HOLDER),
                "closed",
                Some(HOLDER),
                Status::Closed,
                note,
            ),
            |r| r.status = Status::Closed,
        );
        assert_eq!(
            step(&before, &officer(HOLDER), &action),
            want,
            "from {status:?}"
        );
    }
}

// ======================================================================== reporter's transitions

fn reply(message: &str) -> Action {
    Action::Reply {
        message: message.into(),
    }
}

#[test]
fn a_reply_to_a_follow_up_reopens_it() {
    let before = report_in(Status::Responded);
    let want = expected(
        &before,
        event(
            reporter(),
            "reporter_replied",
            Some(HOLDER),
            Status::InProgress,
            Some("Dana belum masuk ke rekening saya."),
        ),
        |r| r.status = Status::InProgress,
    );
    let after = step(
        &before,
        &reporter(),
        &reply(" Dana belum masuk ke rekening saya.\n"),
    );
    assert_eq!(after, want);
}

#[test]
fn a_reply_while_the_report_is_handled_adds_to_it_without_moving_it() {
    for status in [
        Status::Received,
        Status::NeedsTriage,
        Status::Dispositioned,
        Status::InProgress,
    ] {
        let before = report_in(status);
        let want = expected(
            &before,
            event(
                reporter(),
                "reporter_replied",
                before.agency_id.as_deref(),
                status,
                Some("Tambahan: kejadian pada 3 Maret."),
            ),
            |_| {},
        );
        let after = step(
            &before,
            &reporter(),
            &reply("Tambahan: kejadian pada 3 Maret."),
        );
        assert_eq!(after, want, "in {status:?}");
    }
}

#[test]
fn an_answer_to_a_question_returns_the_report_where_it_came_from() {
    let mut legacy = report_in(Status::Deferred);
    legacy.deferred_from = None;
    let cases = [
        // Asked by a verifier during triage.
        (report_in(Status::Deferred), Status::NeedsTriage),
        // Asked by the institution while working on it.
        (deferred_by_officer(), Status::InProgress),
        // Deferred before `deferred_from` existed: back to the verifiers.
        (legacy, Status::NeedsTriage),
    ];
    for (before, back_to) in cases {
        let want = expected(
            &before,
            event(
                reporter(),
                "reporter_replied",
                before.agency_id.as_deref(),
                back_to,
                Some("Di KPP Menteng Satu."),
            ),
            |r| {
                r.status = back_to;
                r.deferred_from = None;
            },
        );
        let after = step(&before, &reporter(), &reply("Di KPP Menteng Satu."));
        assert_eq!(after, want, "back to {back_to:?}");
    }
}

#[test]
fn rate_records_the_rating_once_without_moving_the_report() {
    let cases = [
        (
            Status::Responded,
            Some("  Cepat ditangani. "),
            Some("Cepat ditangani."),
        ),
        (Status::Closed, Some(" \n "), None),
        (Status::Closed, None, None),
    ];
    for (status, comment, kept) in cases {
        let before = report_in(status);
        let action = Action::Rate {
            stars: 5,
            comment: comment.map(str::to_string),
        };
        let want = expected(
            &before,
            event(reporter(), "rated", Some(HOLDER), status, None),
            |r| {
                r.rating = Some(Rating {
                    stars: 5,
                    comment: kept.map(str::to_string),
                    at: now(),
                })
            },
        );
        assert_eq!(step(&before, &reporter(), &action), want, "in {status:?}");
    }
}

#[test]
fn withdraw_archives_the_report_from_every_open_status() {
    let mut befores: Vec<Report> = [
        Status::Received,
        Status::NeedsTriage,
        Status::Dispositioned,
        Status::InProgress,
        Status::Responded,
        Status::Deferred,
    ]
    .into_iter()
    .map(report_in)
    .collect();
    befores.push(deferred_by_officer());
    for before in befores {
        let action = Action::Withdraw {
            reason: Some("  Sudah diselesaikan langsung. ".into()),
        };
        let want = expected(
            &before,
            event(
                reporter(),
                "withdrawn",
                before.agency_id.as_deref(),
                Status::Archived,
                Some("Sudah diselesaikan langsung."),
            ),
            |r| {
                r.status = Status::Archived;
                r.archive_reason = Some(ArchiveReason::Withdrawn);
                r.deferred_from = None;
            },
        );
        assert_eq!(
            step(&before, &reporter(), &action),
            want,
            "from {:?}",
            before.status
        );
    }
}

#[test]
fn withdraw_without_a_reason_leaves_no_note() {
    for reason in [None, Some(""), Some("  \t ")] {
        let before = report_in(Status::InProgress);
        let action = Action::Withdraw {
            reason: reason.map(str::to_string),
        };
        let after = step(&before, &reporter(), &action);
        assert_eq!(after.status, Status::Archived);
        assert_eq!(after.timeline.last().unwrap().note, None, "{reason:?}");
    }
}

// ========================================================================== system transitions

#[test]
fn auto_close_closes_an_unanswered_follow_up() {
    let before = report_in(Status::Responded);
    let want = expected(
        &before,
        event(system(), "auto_closed", Some(HOLDER), Status::Closed, None),
        |r| r.status = Status::Closed,
    );
    assert_eq!(step(&before, &system(), &Action::AutoClose {}), want);
}

#[test]
fn archive_unanswered_archives_a_question_never_answered() {
    for before in [report_in(Status::Deferred), deferred_by_officer()] {
        let want = expected(
            &before,
            event(
                system(),
                "archived_unanswered",
                before.agency_id.as_deref(),
                Status::Archived,
                None,
            ),
            |r| {
                r.status = Status::Archived;
                r.archive_reason = Some(ArchiveReason::NoAnswer);
                r.deferred_from = None;
            },
        );
        assert_eq!(
            step(&before, &system(), &Action::ArchiveUnanswered {}),
            want
        );
    }
}

// ============================================================================ across transitions

#[test]
fn the_event_carries_no_action_id_when_none_was_sent() {
    let before = report_in(Status::Dispositioned);
    let after = apply(&before, &officer(HOLDER), &Action::Accept {}, None, &ctx()).unwrap();
    assert_eq!(after.timeline.last().unwrap().action_id, None);
}

#[test]
fn every_action_bumps_the_version_once_and_appends_one_event_named_for_it() {
    for action in samples() {
        let status = rule(&action).1[0];
        let before = held_in(status);
        let actor = actor_for(&action);
        let after = step(&before, &actor, &action);
        assert_eq!(after.version, before.version + 1, "{}", action.name());
        assert_eq!(after.timeline.len(), before.timeline.len() + 1);
        assert_eq!(after.timeline[..before.timeline.len()], before.timeline[..]);
        let last = after.timeline.last().unwrap();
        assert_eq!(last.action, event_name(&action));
        assert_eq!(last.actor, actor);
        assert_eq!(last.status, Some(after.status));
        assert_eq!(last.at, now());
        assert_eq!(last.action_id.as_deref(), Some(ACTION_ID));
        assert_eq!(
            after.due_at,
            crate::deadlines::due_at(&after, before.due_at)
        );
        assert_eq!(after.deadline.is_none(), after.status.is_final());
        assert_eq!(after.updated_at, now());
    }
}

#[test]
fn a_report_goes_from_triage_to_a_rated_close() {
    let mut report = report_in(Status::NeedsTriage);
    let start = report.version;
    let steps: Vec<(Actor, Action, Status)> = vec![
        (
            verifier(),
            Action::Verify {
                agency_id: Some(HOLDER.into()),
                note: None,
            },
            Status::Dispositioned,
        ),
        (officer(HOLDER), Action::Accept {}, Status::InProgress),
        (
            officer(HOLDER),
            Action::Assign {
                work_unit: UNIT.into(),
            },
            Status::InProgress,
        ),
        (
            officer(UNIT),
            Action::RequestInfo {
                question: "Nomor NPWP?".into(),
            },
            Status::Deferred,
        ),
        (
            reporter(),
            reply("01.234.567.8-901.000"),
            Status::InProgress,
        ),
        (
            officer(UNIT),
            Action::FollowUp {
                message: "Sudah dicairkan.".into(),
            },
            Status::Responded,
        ),
        (reporter(), reply("Belum masuk."), Status::InProgress),
        (
            officer(UNIT),
            Action::FollowUp {
                message: "Sudah ditransfer ulang.".into(),
            },
            Status::Responded,
        ),
        (
            officer(HOLDER),
            Action::Close { message: None },
            Status::Closed,
        ),
        (
            reporter(),
            Action::Rate {
                stars: 4,
                comment: None,
            },
            Status::Closed,
        ),
    ];
    for (actor, action, status) in &steps {
        report = step(&report, actor, action);
        assert_eq!(report.status, *status, "after {}", action.name());
    }
    assert_eq!(report.version, start + steps.len() as u64);
    let names: Vec<&str> = report.timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        names,
        [
            "submitted",
            "sent_to_triage",
            "verified",
            "accepted",
            "assigned_to_unit",
            "info_requested",
            "reporter_replied",
            "followed_up",
            "reporter_replied",
            "followed_up",
            "closed",
            "rated",
        ]
    );
    assert_eq!(report.work_unit.as_deref(), Some(UNIT));
    assert_eq!(report.rating.as_ref().map(|r| r.stars), Some(4));
}

// ================================================================================ who may act

#[test]
fn each_roles_actions_are_forbidden_to_every_other_kind_of_actor() {
    let actors = [verifier(), officer(HOLDER), reporter(), system()];
    for action in samples() {
        let (role, statuses) = rule(&action);
        let report = held_in(statuses[0]);
        for actor in actors.iter().filter(|a| kind_of(a) != role) {
            match apply(&report, actor, &action, None, &ctx()) {
                Err(LifecycleError::Forbidden(message)) => {
                    assert!(message.contains(action.name()), "{message}")
                }
                other => panic!("{} by {actor:?}: {other:?}", action.name()),
            }
        }
    }
}

#[test]
fn an_officer_of_another_institution_is_forbidden_every_action() {
    for action in samples().iter().filter(|a| rule(a).0 == Kind::Officer) {
        for &status in rule(action).1 {
            let report = report_in(status);
            for stranger in [officer(OTHER), officer(FOREIGN_UNIT), officer(OTHER_UNIT)] {
                let result = apply(&report, &stranger, action, None, &ctx());
                assert!(
                    is_forbidden(&result),
                    "{} by {stranger:?} in {status:?}: {result:?}",
                    action.name()
                );
            }
        }
    }
    assert!(!may_access(&officer(OTHER), &report_in(Status::InProgress)));
}

#[test]
fn a_stranger_learns_nothing_about_the_status() {
    // Refused for who they are before the status is looked at.
    let closed = report_in(Status::Closed);
    let result = apply(&closed, &officer(OTHER), &Action::Accept {}, None, &ctx());
    assert!(is_forbidden(&result), "{result:?}");
    let result = apply(&closed, &reporter(), &Action::AutoClose {}, None, &ctx());
    assert!(is_forbidden(&result), "{result:?}");
}

#[test]
fn a_forward_takes_the_old_institutions_access_away_and_gives_it_to_the_new_one() {
    let before = assigned_to_unit();
    let forwarded = step(
        &before,
        &officer(HOLDER),
        &Action::Forward {
            agency_id: OTHER.into(),
            reason: "Wewenang Kemenkes.".into(),
        },
    );
    for old in [officer(HOLDER), officer(UNIT)] {
        assert!(!may_access(&old, &forwarded), "{old:?}");
        assert!(possible_actions(&forwarded, &old).is_empty(), "{old:?}");
        let result = apply(&forwarded, &old, &Action::Accept {}, None, &ctx());
        assert!(is_forbidden(&result), "{old:?}: {result:?}");
    }
    assert!(may_access(&officer(OTHER), &forwarded));
    let accepted = step(&forwarded, &officer(OTHER), &Action::Accept {});
    assert_eq!(accepted.status, Status::InProgress);
    assert_eq!(accepted.agency_id.as_deref(), Some(OTHER));
}

#[test]
fn an_officer_of_the_assigned_unit_may_handle_the_report() {
    let before = assigned_to_unit();
    assert!(may_access(&officer(UNIT), &before));
    let actions = [
        Action::FollowUp {
            message: "Sudah dicairkan.".into(),
        },
        Action::RequestInfo {
            question: "Nomor NPWP?".into(),
        },
        Action::Close { message: None },
    ];
    for action in actions {
        let after = step(&before, &officer(UNIT), &action);
        assert_eq!(after.timeline.last().unwrap().actor, officer(UNIT));
    }
    // Moving it out of the institution is the institution's call.
    let forward = Action::Forward {
        agency_id: OTHER.into(),
        reason: "Wewenang Kemenkes.".into(),
    };
    assert!(matches!(
        apply(&before, &officer(UNIT), &forward, None, &ctx()),
        Err(LifecycleError::Forbidden(_))
    ));
    // The holder keeps its access to what it gave a unit.
    assert!(may_access(&officer(HOLDER), &before));
}

#[test]
fn only_the_holding_institution_assigns_work_units() {
    let before = assigned_to_unit();
    for unit in [OTHER_UNIT, UNIT] {
        let action = Action::Assign {
            work_unit: unit.into(),
        };
        let result = apply(&before, &officer(UNIT), &action, None, &ctx());
        assert!(is_forbidden(&result), "to {unit}: {result:?}");
    }
    let reassigned = step(
        &before,
        &officer(HOLDER),
        &Action::Assign {
            work_unit: OTHER_UNIT.into(),
        },
    );
    assert_eq!(reassigned.work_unit.as_deref(), Some(OTHER_UNIT));
}

#[test]
fn a_work_unit_has_no_access_before_the_report_is_assigned_to_it() {
    let report = report_in(Status::InProgress);
    assert!(!may_access(&officer(UNIT), &report));
    let result = apply(
        &report,
        &officer(UNIT),
        &Action::FollowUp {
            message: "Sudah.".into(),
        },
        None,
        &ctx(),
    );
    assert!(is_forbidden(&result), "{result:?}");
    // A sibling unit has none either once it is assigned.
    assert!(!may_access(&officer(OTHER_UNIT), &assigned_to_unit()));
}

#[test]
fn verifiers_the_reporter_and_the_system_see_every_report() {
    for status in Status::ALL {
        let report = report_in(status);
        for actor in [verifier(), reporter(), system()] {
            assert!(may_access(&actor, &report), "{actor:?} in {status:?}");
        }
    }
}

// ================================================================================ field checks

/// A free-text field of an action, and where to try it.
struct TextField {
    field: &'static str,
    max: usize,
    actor: Actor,
    report: Report,
    action: fn(String) -> Action,
}

/// The texts that must not be empty when given.
fn required_texts() -> Vec<TextField> {
    vec![
        TextField {
            field: "question",
            max: MESSAGE_CHARS,
            actor: verifier(),
            report: report_in(Status::NeedsTriage),
            action: |question| Action::Defer { question },
        },
        TextField {
            field: "question",
            max: MESSAGE_CHARS,
            actor: officer(HOLDER),
            report: report_in(Status::InProgress),
            action: |question| Action::RequestInfo { question },
        },
        TextField {
            field: "message",
            max: MESSAGE_CHARS,
            actor: officer(HOLDER),
            report: report_in(Status::InProgress),
            action: |message| Action::FollowUp { message },
        },
        TextField {
            field: "message",
            max: MESSAGE_CHARS,
            actor: officer(HOLDER),
            report: report_in(Status::Responded),
            action: |message| Action::Close {
                message: Some(message),
            },
        },
        TextField {
            field: "message",
            max: MESSAGE_CHARS,
            actor: reporter(),
            report: report_in(Status::Responded),
            action: |message| Action::Reply { message },
        },
        TextField {
            field: "note",
            max: MESSAGE_CHARS,
            actor: verifier(),
            report: report_in(Status::NeedsTriage),
            action: |note| Action::Verify {
                agency_id: Some(OTHER.into()),
                note: Some(note),
            },
        },
        TextField {
            field: "reason",
            max: REASON_CHARS,
            actor: officer(HOLDER),
            report: report_in(Status::InProgress),
            action: |reason| Action::Forward {
                agency_id: OTHER.into(),
                reason,
            },
        },
    ]
}

/// The texts that may be left out or blank but are limited when given.
fn optional_texts() -> Vec<TextField> {
    vec![
        TextField {
            field: "reason",
            max: REASON_CHARS,
            actor: reporter(),
            report: report_in(Status::InProgress),
            action: |reason| Action::Withdraw {
                reason: Some(reason),
            },
        },
        TextField {
            field: "comment",
            max: REASON_CHARS,
            actor: reporter(),
            report: report_in(Status::Closed),
            action: |comment| Action::Rate {
                stars: 4,
                comment: Some(comment),
            },
        },
    ]
}

#[test]
fn empty_or_blank_texts_are_invalid() {
    for t in required_texts() {
        for blank in ["", "   ", " \n\t "] {
            let action = (t.action)(blank.into());
            match apply(&t.report, &t.actor, &action, None, &ctx()) {
                Err(LifecycleError::Invalid(fields)) => assert_eq!(
                    fields,
                    vec![FieldError::new(t.field, "must not be empty")],
                    "{} {blank:?}",
                    action.name()
                ),
                other => panic!("{} {blank:?}: {other:?}", action.name()),
            }
        }
    }
}

#[test]
fn blank_optional_texts_are_accepted() {
    for t in optional_texts() {
        let action = (t.action)("  ".into());
        assert!(
            apply(&t.report, &t.actor, &action, None, &ctx()).is_ok(),
            "{}",
            action.name()
        );
    }
}

#[test]
fn texts_over_their_limit_are_invalid() {
    for t in required_texts().into_iter().chain(optional_texts()) {
        let action = (t.action)("a".repeat(t.max + 1));
        let result = apply(&t.report, &t.actor, &action, None, &ctx());
        assert_eq!(invalid_fields(result), [t.field], "{}", action.name());
    }
}

#[test]
fn limits_count_characters_after_trimming() {
    for t in required_texts().into_iter().chain(optional_texts()) {
        // Two bytes a character, and blanks around: still exactly at the limit.
        let text = format!("  {}\n", "é".repeat(t.max));
        let action = (t.action)(text);
        let result = apply(&t.report, &t.actor, &action, None, &ctx());
        assert!(result.is_ok(), "{}: {result:?}", action.name());
    }
}

#[test]
fn the_limits_differ_for_messages_and_reasons() {
    // A forward's reason is short, a follow-up long.
    let report = report_in(Status::InProgress);
    let text = "a".repeat(REASON_CHARS + 1);
    let forward = Action::Forward {
        agency_id: OTHER.into(),
        reason: text.clone(),
    };
    assert_eq!(
        invalid_fields(apply(&report, &officer(HOLDER), &forward, None, &ctx())),
        ["reason"]
    );
    let follow_up = Action::FollowUp { message: text };
    assert!(apply(&report, &officer(HOLDER), &follow_up, None, &ctx()).is_ok());
}

#[test]
fn forward_needs_a_known_institution_other_than_the_holder() {
    let report = report_in(Status::InProgress);
    for agency_id in ["kemenkeuangan", "", HOLDER] {
        let action = Action::Forward {
            agency_id: agency_id.into(),
            reason: "Bukan wewenang kami.".into(),
        };
        let result = apply(&report, &officer(HOLDER), &action, None, &ctx());
        assert_eq!(invalid_fields(result), ["agency_id"], "to {agency_id:?}");
    }
}

#[test]
fn every_wrong_field_is_named_at_once() {
    let report = report_in(Status::InProgress);
    let action = Action::Forward {
        agency_id: "tidak-ada".into(),
        reason: " ".into(),
    };
    let mut fields = invalid_fields(apply(&report, &officer(HOLDER), &action, None, &ctx()));
    fields.sort();
    assert_eq!(fields, ["agency_id", "reason"]);
}

#[test]
fn assign_needs_a_unit_below_the_holder() {
    let report = report_in(Status::InProgress);
    // Another ministry's directorate, another ministry, the holder itself, nothing.
    for unit in [FOREIGN_UNIT, OTHER, HOLDER, "djp-tidak-ada", ""] {
        let action = Action::Assign {
            work_unit: unit.into(),
        };
        let result = apply(&report, &officer(HOLDER), &action, None, &ctx());
        assert_eq!(invalid_fields(result), ["work_unit"], "to {unit:?}");
    }
    // A directorate holding a report cannot hand it up to its ministry.
    let mut held_by_unit = report_in(Status::InProgress);
    held_by_unit.agency_id = Some(UNIT.into());
    let action = Action::Assign {
        work_unit: HOLDER.into(),
    };
    let result = apply(&held_by_unit, &officer(UNIT), &action, None, &ctx());
    assert_eq!(invalid_fields(result), ["work_unit"]);
}

#[test]
fn assign_reaches_units_below_units() {
    let office = "djp-kpp-menteng-satu";
    let mut agencies = builtin_agencies();
    agencies.push(work_unit(office, "KPP Pratama Jakarta Menteng Satu", UNIT));
    let directory = Directory::from_agencies(agencies);
    let ctx = Context {
        now: now(),
        directory: &directory,
        deadlines: Deadlines::builtin(),
    };
    let action = Action::Assign {
        work_unit: office.into(),
    };
    let after = apply(
        &report_in(Status::InProgress),
        &officer(HOLDER),
        &action,
        None,
        &ctx,
    )
    .expect("a tax office is below the ministry");
    assert_eq!(after.work_unit.as_deref(), Some(office));
    // And its officers may then act on it.
    assert!(may_access(&officer(office), &after));
}

#[test]
fn verify_needs_a_known_institution() {
    let action = Action::Verify {
        agency_id: Some("kementerian-tidak-ada".into()),
        note: None,
    };
    let result = apply(
        &report_in(Status::NeedsTriage),
        &verifier(),
        &action,
        None,
        &ctx(),
    );
    assert_eq!(invalid_fields(result), ["agency_id"]);
}

#[test]
fn verify_without_an_agency_needs_a_router_suggestion() {
    let action = Action::Verify {
        agency_id: None,
        note: None,
    };
    // Not routed yet.
    let received = report_in(Status::Received);
    assert_eq!(
        invalid_fields(apply(&received, &verifier(), &action, None, &ctx())),
        ["agency_id"]
    );
    // Routed, but without a decision or a candidate.
    let mut no_candidate = report_in(Status::NeedsTriage);
    no_candidate.routing = Some(RoutingRecord {
        candidates: vec![],
        ..triage_routing()
    });
    assert_eq!(
        invalid_fields(apply(&no_candidate, &verifier(), &action, None, &ctx())),
        ["agency_id"]
    );
}

#[test]
fn stars_are_one_to_five() {
    let report = report_in(Status::Closed);
    for stars in [0, 6, 255] {
        let action = Action::Rate {
            stars,
            comment: None,
        };
        let result = apply(&report, &reporter(), &action, None, &ctx());
        assert_eq!(invalid_fields(result), ["stars"], "{stars}");
    }
    for stars in [1, 5] {
        let action = Action::Rate {
            stars,
            comment: None,
        };
        let after = step(&report, &reporter(), &action);
        assert_eq!(after.rating.map(|r| r.stars), Some(stars));
    }
}

#[test]
fn a_duplicate_names_another_valid_tracking_id() {
    let report = report_in(Status::NeedsTriage);
    let not_ids = [
        "",
        "bukan-nomor",
        "D0P11CATE",   // nine symbols
        "D0P11CATE6",  // wrong check symbol
        "D0P11CATE55", // eleven symbols
        "D0P11CAUE5",  // U is not in the alphabet
    ];
    let itself = [TRACKING_ID, "1ap0r-2025e", "LAPOR 2025E"];
    for duplicate_of in not_ids.into_iter().chain(itself) {
        let action = Action::MarkDuplicate {
            duplicate_of: duplicate_of.into(),
        };
        let result = apply(&report, &verifier(), &action, None, &ctx());
        assert_eq!(invalid_fields(result), ["duplicate_of"], "{duplicate_of:?}");
    }
}

#[test]
fn a_second_rating_is_already_done() {
    for status in [Status::Responded, Status::Closed] {
        let action = Action::Rate {
            stars: 1,
            comment: None,
        };
        let result = apply(
            &rated(report_in(status)),
            &reporter(),
            &action,
            None,
            &ctx(),
        );
        assert!(
            matches!(result, Err(LifecycleError::AlreadyDone(_))),
            "{status:?}: {result:?}"
        );
    }
    // Rated while responded, then closed: still once.
    let first = Action::Rate {
        stars: 2,
        comment: None,
    };
    let rated_then_closed = step(
        &step(&report_in(Status::Responded), &reporter(), &first),
        &system(),
        &Action::AutoClose {},
    );
    let result = apply(&rated_then_closed, &reporter(), &first, None, &ctx());
    assert!(
        matches!(result, Err(LifecycleError::AlreadyDone(_))),
        "{result:?}"
    );
}

// ================================================================================== is_unit_of

fn work_unit(id: &str, name: &str, parent: &str) -> Agency {
    Agency {
        id: id.into(),
        name: name.into(),
        acronym: None,
        kind: WORK_UNIT_KIND.into(),
        parent_id: Some(parent.into()),
        scope: None,
        region_code: None,
        aliases: vec![],
    }
}

#[test]
fn units_are_found_below_their_institution_only() {
    let d = dir();
    assert!(is_unit_of(d, UNIT, HOLDER));
    assert!(is_unit_of(d, OTHER_UNIT, HOLDER));
    assert!(
        is_unit_of(d, "pemda-32.73", "pemda-32"),
        "Kota Bandung below Jawa Barat"
    );
    assert!(!is_unit_of(d, HOLDER, UNIT), "upwards");
    assert!(!is_unit_of(d, HOLDER, HOLDER), "itself");
    assert!(!is_unit_of(d, FOREIGN_UNIT, HOLDER), "another ministry's");
    assert!(
        !is_unit_of(d, "pemda-32.73", "pemda-31"),
        "another province's"
    );
    assert!(!is_unit_of(d, "tidak-ada", HOLDER), "unknown unit");
    assert!(!is_unit_of(d, UNIT, ""), "no institution");
}

#[test]
fn units_of_units_count_and_a_cycle_in_bad_data_ends() {
    let d = Directory::from_agencies(vec![
        Agency {
            parent_id: None,
            ..work_unit("pemda-x", "Pemerintah Kabupaten X", "")
        },
        work_unit("dinas-x", "Dinas Kesehatan X", "pemda-x"),
        work_unit("puskesmas-x", "Puskesmas X", "dinas-x"),
        work_unit("loop-a", "A", "loop-b"),
        work_unit("loop-b", "B", "loop-a"),
    ]);
    assert!(is_unit_of(&d, "puskesmas-x", "pemda-x"));
    assert!(is_unit_of(&d, "puskesmas-x", "dinas-x"));
    assert!(is_unit_of(&d, "loop-a", "loop-b"));
    assert!(!is_unit_of(&d, "loop-a", "pemda-x"));
}

#[test]
fn a_regional_government_is_reached_by_a_forward_not_an_assignment() {
    let d = dir();
    // Kota Bandung is below Jawa Barat in the directory, but is its own institution.
    assert!(is_unit_of(d, "pemda-32.73", "pemda-32"));
    assert!(!is_work_unit_of(d, "pemda-32.73", "pemda-32"));
    assert!(is_work_unit_of(d, UNIT, HOLDER));
    assert!(!is_work_unit_of(d, "tidak-ada", HOLDER));
    assert!(!is_work_unit_of(d, HOLDER, HOLDER));

    let mut province = report_in(Status::InProgress);
    province.agency_id = Some("pemda-32".into());
    let assign = Action::Assign {
        work_unit: "pemda-32.73".into(),
    };
    let result = apply(&province, &officer("pemda-32"), &assign, None, &ctx());
    assert_eq!(invalid_fields(result), ["work_unit"]);
    let forward = Action::Forward {
        agency_id: "pemda-32.73".into(),
        reason: "Jalan kota, wewenang Pemkot Bandung.".into(),
    };
    let after = step(&province, &officer("pemda-32"), &forward);
    assert_eq!(after.agency_id.as_deref(), Some("pemda-32.73"));
}

/// The builtin directory with a Dinas below Kota Bandung.
fn with_a_dinas_of_bandung() -> (Directory, &'static str) {
    let dinas = "pemda-32.73-dinas-pupr";
    let mut agencies = builtin_agencies();
    agencies.push(work_unit(dinas, "Dinas PUPR Kota Bandung", "pemda-32.73"));
    (Directory::from_agencies(agencies), dinas)
}

#[test]
fn a_regional_government_assigns_its_own_dinas() {
    let (directory, dinas) = with_a_dinas_of_bandung();
    let ctx = Context {
        now: now(),
        directory: &directory,
        deadlines: Deadlines::builtin(),
    };
    let mut city = report_in(Status::Dispositioned);
    city.agency_id = Some("pemda-32.73".into());
    let action = Action::Assign {
        work_unit: dinas.into(),
    };
    let after = apply(&city, &officer("pemda-32.73"), &action, None, &ctx).unwrap();
    assert_eq!(after.work_unit.as_deref(), Some(dinas));
}

#[test]
fn a_province_cannot_assign_a_dinas_of_one_of_its_cities() {
    let (directory, dinas) = with_a_dinas_of_bandung();
    assert!(!is_work_unit_of(&directory, dinas, "pemda-32"));
    let ctx = Context {
        now: now(),
        directory: &directory,
        deadlines: Deadlines::builtin(),
    };
    let mut province = report_in(Status::InProgress);
    province.agency_id = Some("pemda-32".into());
    let action = Action::Assign {
        work_unit: dinas.into(),
    };
    let result = apply(&province, &officer("pemda-32"), &action, None, &ctx);
    assert_eq!(invalid_fields(result), ["work_unit"]);
}

// =========================================================================== possible_actions

#[test]
fn possible_actions_for_each_kind_of_actor() {
    let responded = report_in(Status::Responded);
    let cases: Vec<(Report, Actor, Vec<&str>)> = vec![
        (
            report_in(Status::NeedsTriage),
            verifier(),
            vec!["verify", "defer", "archive", "mark_duplicate"],
        ),
        (report_in(Status::NeedsTriage), officer(HOLDER), vec![]),
        (
            report_in(Status::NeedsTriage),
            reporter(),
            vec!["reply", "withdraw"],
        ),
        (report_in(Status::Dispositioned), verifier(), vec!["verify"]),
        (
            report_in(Status::Dispositioned),
            officer(HOLDER),
            vec!["accept", "assign", "follow_up", "request_info", "forward"],
        ),
        (report_in(Status::Dispositioned), officer(OTHER), vec![]),
        (
            assigned_to_unit(),
            officer(HOLDER),
            vec!["assign", "follow_up", "request_info", "forward", "close"],
        ),
        (
            assigned_to_unit(),
            officer(UNIT),
            vec!["follow_up", "request_info", "close"],
        ),
        (
            responded.clone(),
            officer(HOLDER),
            vec!["request_info", "close"],
        ),
        (
            responded.clone(),
            reporter(),
            vec!["reply", "rate", "withdraw"],
        ),
        (
            rated(responded.clone()),
            reporter(),
            vec!["reply", "withdraw"],
        ),
        (responded, system(), vec!["auto_close"]),
        (report_in(Status::Closed), reporter(), vec!["rate"]),
        (rated(report_in(Status::Closed)), reporter(), vec![]),
        (report_in(Status::Closed), officer(HOLDER), vec![]),
        (
            report_in(Status::Deferred),
            verifier(),
            vec!["archive", "mark_duplicate"],
        ),
        (
            report_in(Status::Deferred),
            reporter(),
            vec!["reply", "withdraw"],
        ),
        (
            report_in(Status::Deferred),
            system(),
            vec!["archive_unanswered"],
        ),
        (deferred_by_officer(), officer(HOLDER), vec![]),
    ];
    for (report, actor, want) in cases {
        assert_eq!(
            possible_actions(&report, &actor),
            want,
            "{actor:?} in {:?}",
            report.status
        );
    }
}

#[test]
fn nobody_may_do_anything_with_an_archived_report() {
    let archived = held_in(Status::Archived);
    for actor in [verifier(), officer(HOLDER), reporter(), system()] {
        assert!(possible_actions(&archived, &actor).is_empty(), "{actor:?}");
    }
}

#[test]
fn possible_actions_are_exactly_those_apply_lets_through() {
    let mut reports = Vec::new();
    for status in Status::ALL {
        reports.push(held_in(status));
        reports.push(rated(held_in(status)));
    }
    reports.push(assigned_to_unit());
    reports.push(deferred_by_officer());
    let actors = [
        verifier(),
        officer(HOLDER),
        officer(UNIT),
        officer(OTHER),
        reporter(),
        system(),
    ];
    for report in &reports {
        for actor in &actors {
            let offered = possible_actions(report, actor);
            for action in samples() {
                let result = apply(report, actor, &action, None, &ctx());
                let let_through = !matches!(
                    result,
                    Err(LifecycleError::Forbidden(_)
                        | LifecycleError::NotNow { .. }
                        | LifecycleError::AlreadyDone(_))
                );
                assert_eq!(
                    offered.contains(&action.name()),
                    let_through,
                    "{} by {actor:?} in {:?} (unit {:?}, rated {}): {result:?}",
                    action.name(),
                    report.status,
                    report.work_unit,
                    report.rating.is_some()
                );
            }
        }
    }
}

// ============================================================================== notifications

/// Words of the report and of every note that must never reach a notification.
const SECRETS: [&str; 4] = ["Kenari", "Kuswantoro", "pungutan", "Cendrawasih"];
const SECRET_NOTE: &str = "Pak Cendrawasih di loket tiga";

/// A confidential SMS report with distinctive words in its title and body.
fn confidential(mut report: Report) -> Report {
    report.confidential = true;
    report.channel = Channel::Sms;
    report.reporter_sealed = Some("sealed:v1:0f3a".into());
    report.title = "Pungutan liar Kenari di loket".into();
    report.body =
        "Petugas Kuswantoro meminta pungutan tambahan untuk mempercepat restitusi.".into();
    report
}

fn assert_fit_for_the_reporter(text: &str, report: &Report, event: &str) {
    let lower = text.to_lowercase();
    for secret in SECRETS {
        assert!(
            !lower.contains(&secret.to_lowercase()),
            "{event}: {text:?} leaks {secret:?}"
        );
    }
    assert!(!text.contains(&report.title) && !text.contains(&report.body));
    assert!(text.contains(TRACKING_ID), "{event}: {text:?} lacks the id");
    // Indonesian, for people: no English, no internal event names.
    assert!(lower.contains("laporan"), "{event}: {text:?}");
    for english in ["report", "the ", "your", "been", "thank", "status:"] {
        if english == "status:" && lower.starts_with("status laporan") {
            continue;
        }
        assert!(
            !lower.contains(english),
            "{event}: {text:?} has {english:?}"
        );
    }
    assert!(!text.contains('_'), "{event}: {text:?}");
    assert!(text.chars().count() <= 160, "{event}: one SMS, {text:?}");
}

#[test]
fn every_event_notifies_the_reporter_on_their_channel_without_the_content() {
    let secret = || SECRET_NOTE.to_string();
    let cases: Vec<(Report, Actor, Action, &str)> = vec![
        (
            report_in(Status::NeedsTriage),
            verifier(),
            Action::Verify {
                agency_id: Some(OTHER.into()),
                note: Some(secret()),
            },
            "telah diteruskan ke Kementerian Kesehatan",
        ),
        (
            report_in(Status::NeedsTriage),
            verifier(),
            Action::Defer { question: secret() },
            "membutuhkan informasi tambahan",
        ),
        (
            report_in(Status::NeedsTriage),
            verifier(),
            Action::Archive {
                reason: ArchiveReason::NotPublicService,
            },
            "Arsip",
        ),
        (
            report_in(Status::NeedsTriage),
            verifier(),
            Action::MarkDuplicate {
                duplicate_of: OTHER_TRACKING_ID.into(),
            },
            "sama dengan laporan lain",
        ),
        (
            report_in(Status::Dispositioned),
            officer(HOLDER),
            Action::Accept {},
            "sedang diproses",
        ),
        (
            report_in(Status::InProgress),
            officer(HOLDER),
            Action::Assign {
                work_unit: UNIT.into(),
            },
            "sedang diproses",
        ),
        (
            report_in(Status::InProgress),
            officer(HOLDER),
            Action::FollowUp { message: secret() },
            "telah ditindaklanjuti",
        ),
        (
            report_in(Status::InProgress),
            officer(HOLDER),
            Action::RequestInfo { question: secret() },
            "membutuhkan informasi tambahan",
        ),
        (
            report_in(Status::InProgress),
            officer(HOLDER),
            Action::Forward {
                agency_id: OTHER.into(),
                reason: secret(),
            },
            "telah diteruskan ke Kementerian Kesehatan",
        ),
        (
            report_in(Status::Responded),
            officer(HOLDER),
            Action::Close {
                message: Some(secret()),
            },
            "telah selesai",
        ),
        (
            report_in(Status::Responded),
            reporter(),
            Action::Reply { message: secret() },
            "Balasan Anda",
        ),
        (
            report_in(Status::Closed),
            reporter(),
            Action::Rate {
                stars: 2,
                comment: Some(secret()),
            },
            "Terima kasih atas penilaian Anda",
        ),
        (
            report_in(Status::InProgress),
            reporter(),
            Action::Withdraw {
                reason: Some(secret()),
            },
            "telah Anda tarik",
        ),
        (
            report_in(Status::Responded),
            system(),
            Action::AutoClose {},
            "telah selesai",
        ),
        (
            report_in(Status::Deferred),
            system(),
            Action::ArchiveUnanswered {},
            "tidak dijawab",
        ),
        (
            assigned_to_unit(),
            system(),
            Action::Escalate {},
            "dinaikkan ke Kementerian",
        ),
    ];
    let mut names: Vec<&str> = cases.iter().map(|c| c.2.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 16, "one case per action");

    for (before, actor, action, phrase) in cases {
        let after = step(&confidential(before), &actor, &action);
        let index = after.timeline.len() - 1;
        let n = notification(&after, index, dir());
        let event = event_name(&action);
        assert_eq!(n.notification_id, format!("{TRACKING_ID}:{index}"));
        assert_eq!(n.tracking_id.as_ref(), Some(&after.tracking_id));
        assert_eq!(n.channel, Channel::Sms);
        assert_eq!(n.recipient_sealed.as_deref(), Some("sealed:v1:0f3a"));
        assert_eq!(n.event, event);
        assert_eq!(n.status, Some(after.status));
        assert_eq!(n.at, now());
        assert!(n.text.contains(phrase), "{event}: {:?}", n.text);
        assert_fit_for_the_reporter(&n.text, &after, event);
    }
}

#[test]
fn earlier_events_notify_too() {
    let triaged = confidential(report_in(Status::NeedsTriage));
    let routed = confidential(report_in(Status::Dispositioned));
    let cases = [
        (&triaged, 0, "submitted", "diterima dengan nomor"),
        (&triaged, 1, "sent_to_triage", "sedang diverifikasi"),
        (&routed, 1, "routed", "diteruskan ke Kementerian Keuangan"),
    ];
    for (report, index, event, phrase) in cases {
        let n = notification(report, index, dir());
        assert_eq!(n.notification_id, format!("{TRACKING_ID}:{index}"));
        assert_eq!(n.event, event);
        assert_eq!(n.status, report.timeline[index].status);
        assert_eq!(n.at, report.timeline[index].at);
        assert!(n.text.contains(phrase), "{event}: {:?}", n.text);
        assert_fit_for_the_reporter(&n.text, report, event);
    }
}

#[test]
fn the_same_event_always_makes_the_same_notification() {
    let report = step(
        &report_in(Status::Dispositioned),
        &officer(HOLDER),
        &Action::Accept {},
    );
    let last = report.timeline.len() - 1;
    let d = dir();
    assert_eq!(
        notification(&report, last, d),
        notification(&report, last, d)
    );
    assert_ne!(
        notification(&report, last, d).notification_id,
        notification(&report, last - 1, d).notification_id
    );
}

#[test]
fn a_reporter_without_contact_gets_no_recipient() {
    let mut report = report_in(Status::Dispositioned);
    report.reporter_sealed = None;
    report.anonymous = true;
    let after = step(&report, &officer(HOLDER), &Action::Accept {});
    let n = notification(&after, after.timeline.len() - 1, dir());
    assert_eq!(n.recipient_sealed, None);
    assert_eq!(n.channel, Channel::Web);
}

#[test]
fn an_agency_missing_from_the_directory_is_named_generically() {
    let mut report = report_in(Status::Dispositioned);
    report.timeline.last_mut().unwrap().agency_id = Some("instansi-lama".into());
    let n = notification(&report, report.timeline.len() - 1, dir());
    assert!(n.text.contains("instansi berwenang"), "{:?}", n.text);
    assert!(!n.text.contains("instansi-lama"), "{:?}", n.text);
}

#[test]
fn a_forward_to_any_institution_fits_one_sms() {
    let d = dir();
    let before = report_in(Status::InProgress);
    // Its own work units are reached by `assign`, not by a forward.
    for agency in d
        .all()
        .iter()
        .filter(|a| a.id != HOLDER && !is_work_unit_of(d, &a.id, HOLDER))
    {
        let action = Action::Forward {
            agency_id: agency.id.clone(),
            reason: "Wewenang instansi lain.".into(),
        };
        let after = step(&before, &officer(HOLDER), &action);
        let text = notification(&after, after.timeline.len() - 1, d).text;
        assert!(text.contains(&agency.name), "{text:?}");
        assert!(
            text.chars().count() <= 160,
            "{} chars: {text:?}",
            text.len()
        );
    }
}

// ============================================================================= HTTP meaning

#[test]
fn lifecycle_errors_answer_with_their_http_status() {
    let fields = vec![FieldError::new("stars", "must be 1 to 5")];
    let cases: Vec<(LifecycleError, u16, &str)> = vec![
        (LifecycleError::Forbidden("no".into()), 403, "forbidden"),
        (
            LifecycleError::NotNow {
                action: "accept",
                status: "closed",
            },
            409,
            "invalid_transition",
        ),
        (
            LifecycleError::AlreadyDone("rated".into()),
            409,
            "already_done",
        ),
        (
            LifecycleError::Invalid(fields.clone()),
            422,
            "validation_failed",
        ),
    ];
    for (error, status, code) in cases {
        let api = ApiError::from(error.clone());
        assert_eq!(api.status_code(), status, "{error:?}");
        assert_eq!(api.code(), code, "{error:?}");
    }
    match ApiError::from(LifecycleError::Invalid(fields.clone())) {
        ApiError::Validation(got) => assert_eq!(got, fields),
        other => panic!("{other:?}"),
    }
    let not_now = ApiError::from(LifecycleError::NotNow {
        action: "accept",
        status: "closed",
    });
    assert_eq!(
        not_now.to_string(),
        "`accept` is not possible while the report is closed"
    );
}

// ================================================================================ wire names

#[test]
fn actions_and_events_have_stable_names() {
    let names: Vec<(&str, &str)> = samples()
        .iter()
        .map(|a| (a.name(), event_name(a)))
        .collect();
    assert_eq!(
        names,
        [
            ("verify", "verified"),
            ("defer", "deferred"),
            ("archive", "archived"),
            ("mark_duplicate", "marked_duplicate"),
            ("accept", "accepted"),
            ("assign", "assigned_to_unit"),
            ("follow_up", "followed_up"),
            ("request_info", "info_requested"),
            ("forward", "forwarded"),
            ("close", "closed"),
            ("reply", "reporter_replied"),
            ("rate", "rated"),
            ("withdraw", "withdrawn"),
            ("auto_close", "auto_closed"),
            ("archive_unanswered", "archived_unanswered"),
            ("escalate", "escalated"),
        ]
    );
}

#[test]
fn actions_travel_as_json_tagged_with_their_name() {
    for action in samples() {
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["action"], action.name(), "{json}");
        let back: Action = serde_json::from_value(json).unwrap();
        assert_eq!(back, action);
    }
    let parse = |s: &str| serde_json::from_str::<Action>(s);
    assert_eq!(
        parse(r#"{"action":"verify"}"#).unwrap(),
        Action::Verify {
            agency_id: None,
            note: None
        }
    );
    assert_eq!(
        parse(r#"{"action":"rate","stars":5}"#).unwrap(),
        Action::Rate {
            stars: 5,
            comment: None
        }
    );
    assert_eq!(
        parse(r#"{"action":"archive","reason":"not_public_service"}"#).unwrap(),
        Action::Archive {
            reason: ArchiveReason::NotPublicService
        }
    );
    for wrong in [
        r#"{"action":"approve"}"#,
        r#"{"action":"forward","agency_id":"kemenkes"}"#,
        r#"{"action":"forward","agency_id":"kemenkes","reason":"x","urgent":true}"#,
        r#"{"action":"rate","stars":-1}"#,
        r#"{"action":"archive","reason":"boring"}"#,
        r#"{"stars":5}"#,
    ] {
        assert!(parse(wrong).is_err(), "{wrong}");
    }
}

#[test]
fn unknown_fields_are_refused_for_actions_without_fields_too() {
    // `{"action":"accept","work_unit":"djp"}` must not pass for an assignment.
    for wrong in [
        r#"{"action":"accept","work_unit":"djp"}"#,
        r#"{"action":"auto_close","force":true}"#,
        r#"{"action":"archive_unanswered","reason":"no_answer"}"#,
    ] {
        assert!(serde_json::from_str::<Action>(wrong).is_err(), "{wrong}");
    }
}

// ============================================================================= moves that change nothing

#[test]
fn a_forward_to_the_holders_own_work_unit_is_refused_in_favour_of_assign() {
    let before = report_in(Status::InProgress);
    let action = Action::Forward {
        agency_id: UNIT.into(),
        reason: "Urusan pajak.".into(),
    };
    match apply(&before, &officer(HOLDER), &action, None, &ctx()) {
        Err(LifecycleError::Invalid(fields)) => {
            assert_eq!(fields[0].field, "agency_id");
            assert!(fields[0].message.contains("assign"), "{fields:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn verifying_a_dispositioned_report_to_its_holder_is_refused() {
    let before = report_in(Status::Dispositioned);
    let action = Action::Verify {
        agency_id: Some(HOLDER.into()),
        note: None,
    };
    assert!(matches!(
        apply(&before, &verifier(), &action, None, &ctx()),
        Err(LifecycleError::Invalid(_))
    ));
    // To another institution it is a correction and goes through.
    let action = Action::Verify {
        agency_id: Some(OTHER.into()),
        note: None,
    };
    let after = step(&before, &verifier(), &action);
    assert_eq!(after.agency_id.as_deref(), Some(OTHER));
}
