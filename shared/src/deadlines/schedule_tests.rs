//! The deadline each status carries, with concrete dates: which step, counted from when, kept or
//! restarted, over weekends and holidays, in the holding institution's zone, with overrides.
//!
//! Dates are written out as local times of the zone they are counted in, so a wrong offset or a
//! day counted from the wrong start shows up as a different string.
#![allow(clippy::disallowed_methods)] // tests use the compiled-in directory

use super::*;
use crate::domain::ReportKind;

const BANDUNG: &str = "pemda-32.73";
const JABAR: &str = "pemda-32";
const MAKASSAR: &str = "pemda-73.71";
const JAYAPURA: &str = "pemda-91.71";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// Monday 1 December 2025, 09:00 WIB: when the test reports were received.
fn received_at() -> DateTime<Utc> {
    at("2025-12-01T09:00:00+07:00")
}

fn report(status: Status, agency: Option<&str>) -> Report {
    let mut report = Report::sample(received_at());
    report.status = status;
    report.agency_id = agency.map(str::to_string);
    report
}

/// `report` carrying `step` due at `due` (local time text).
fn holding(status: Status, agency: Option<&str>, step: Step, due: &str) -> Report {
    let mut r = report(status, agency);
    r.deadline = Some(Deadline { step, at: at(due) });
    r
}

fn moved(before: &Report, status: Status) -> Report {
    let mut after = before.clone();
    after.status = status;
    after
}

fn builtin() -> &'static Deadlines {
    Deadlines::builtin()
}

fn dir() -> &'static Directory {
    static DIRECTORY: std::sync::OnceLock<std::sync::Arc<Directory>> = std::sync::OnceLock::new();
    DIRECTORY.get_or_init(Directory::builtin)
}

/// The deadline as local time text in `zone`, with its step.
fn shown(deadline: Option<Deadline>, zone: TimeZone) -> (Step, String) {
    let d = deadline.expect("a deadline");
    (d.step, zone.local(d.at).to_rfc3339())
}

fn wib(deadline: Option<Deadline>) -> (Step, String) {
    shown(deadline, TimeZone::Wib)
}

fn expect(step: Step, local: &str) -> (Step, String) {
    (step, local.to_string())
}

// ============================================================== each status, step and start

#[test]
fn a_new_report_gets_three_working_days_for_verification_from_receipt() {
    let r = report(Status::Received, None);
    let d = builtin().deadline(dir(), &r, Step::Verification, r.created_at);
    // Tuesday, Wednesday, Thursday.
    assert_eq!(
        wib(Some(d)),
        expect(Step::Verification, "2025-12-04T23:59:59.999+07:00")
    );
    assert_eq!(d.at, at("2025-12-04T16:59:59.999Z"));
}

#[test]
fn sent_to_triage_keeps_the_verification_deadline_of_receipt() {
    let before = holding(
        Status::Received,
        None,
        Step::Verification,
        "2025-12-04T23:59:59.999+07:00",
    );
    let after = moved(&before, Status::NeedsTriage);
    let now = at("2025-12-02T10:00:00+07:00");
    assert_eq!(
        builtin().next(dir(), &before, &after, now, false),
        before.deadline
    );
    // Kept, not counted again: a deadline set under another policy (four days at intake)
    // stays what it was.
    let four_days = holding(
        Status::Received,
        None,
        Step::Verification,
        "2025-12-05T23:59:59.999+07:00",
    );
    let triaged = moved(&four_days, Status::NeedsTriage);
    assert_eq!(
        wib(builtin().next(dir(), &four_days, &triaged, now, false)),
        expect(Step::Verification, "2025-12-05T23:59:59.999+07:00")
    );
    // A reply while in triage keeps the deadline an escalation set (Tuesday 9 December).
    let escalated = holding(
        Status::NeedsTriage,
        None,
        Step::Verification,
        "2025-12-09T23:59:59.999+07:00",
    );
    let replied = escalated.clone();
    assert_eq!(
        wib(builtin().next(dir(), &escalated, &replied, now, false)),
        expect(Step::Verification, "2025-12-09T23:59:59.999+07:00")
    );
    // Without a deadline to keep, verification counts from receipt, not from now.
    let mut bare = before.clone();
    bare.deadline = None;
    assert_eq!(
        wib(builtin().next(dir(), &bare, &after, now, false)),
        expect(Step::Verification, "2025-12-04T23:59:59.999+07:00")
    );
}

#[test]
fn a_disposition_starts_the_follow_up_from_the_disposition() {
    let before = holding(
        Status::Received,
        None,
        Step::Verification,
        "2025-12-04T23:59:59.999+07:00",
    );
    let mut after = moved(&before, Status::Dispositioned);
    after.agency_id = Some(BANDUNG.into());
    // Routed on Wednesday 3 December: Thu 4, Fri 5, Mon 8, Tue 9, Wed 10.
    let now = at("2025-12-03T10:00:00+07:00");
    assert_eq!(
        wib(builtin().next(dir(), &before, &after, now, false)),
        expect(Step::FollowUp, "2025-12-10T23:59:59.999+07:00")
    );
}

#[test]
fn a_verifiers_disposition_of_a_triaged_report_starts_the_follow_up() {
    let before = holding(
        Status::NeedsTriage,
        None,
        Step::Verification,
        "2025-12-04T23:59:59.999+07:00",
    );
    let mut after = moved(&before, Status::Dispositioned);
    after.agency_id = Some("kemenkeu".into());
    let now = at("2025-12-04T15:00:00+07:00");
    // Fri 5, Mon 8, Tue 9, Wed 10, Thu 11.
    assert_eq!(
        wib(builtin().next(dir(), &before, &after, now, false)),
        expect(Step::FollowUp, "2025-12-11T23:59:59.999+07:00")
    );
}

#[test]
fn accept_and_assign_keep_the_follow_up_deadline_of_the_disposition() {
    let due = "2025-12-08T23:59:59.999+07:00";
    let dispositioned = holding(Status::Dispositioned, Some("kemenkeu"), Step::FollowUp, due);
    let now = at("2025-12-05T14:00:00+07:00");
    let accepted = moved(&dispositioned, Status::InProgress);
    let kept = builtin().next(dir(), &dispositioned, &accepted, now, false);
    assert_eq!(wib(kept), expect(Step::FollowUp, due), "accept");

    // Assigning to a work unit, from dispositioned or from in_progress, keeps it too.
    let mut assigned = moved(&dispositioned, Status::InProgress);
    assigned.work_unit = Some("djp".into());
    assert_eq!(
        wib(builtin().next(dir(), &dispositioned, &assigned, now, false)),
        expect(Step::FollowUp, due),
        "assign from dispositioned"
    );
    let mut in_progress = accepted.clone();
    in_progress.deadline = kept;
    assert_eq!(
        wib(builtin().next(dir(), &in_progress, &assigned, now, false)),
        expect(Step::FollowUp, due),
        "assign from in_progress"
    );
}

#[test]
fn a_follow_up_starts_the_auto_close_and_a_reply_starts_a_new_follow_up() {
    let in_progress = holding(
        Status::InProgress,
        Some(BANDUNG),
        Step::FollowUp,
        "2025-12-08T23:59:59.999+07:00",
    );
    // Followed up on Thursday 4 December: ten working days, Fri 5 .. Thu 18.
    let followed = at("2025-12-04T11:00:00+07:00");
    let responded = moved(&in_progress, Status::Responded);
    let auto_close = builtin().next(dir(), &in_progress, &responded, followed, false);
    assert_eq!(
        wib(auto_close),
        expect(Step::AutoClose, "2025-12-18T23:59:59.999+07:00")
    );

    // The reporter replies on Tuesday 9 December: a new follow-up of five working days from
    // the reply, not the old one of the 8th.
    let mut responded = responded;
    responded.deadline = auto_close;
    let reply = at("2025-12-09T20:00:00+07:00");
    let reopened = moved(&responded, Status::InProgress);
    assert_eq!(
        wib(builtin().next(dir(), &responded, &reopened, reply, false)),
        expect(Step::FollowUp, "2025-12-16T23:59:59.999+07:00")
    );
}

#[test]
fn a_rating_while_responded_keeps_the_auto_close() {
    let due = "2025-12-18T23:59:59.999+07:00";
    let responded = holding(Status::Responded, Some(BANDUNG), Step::AutoClose, due);
    let rated = responded.clone();
    let now = at("2025-12-10T10:00:00+07:00");
    assert_eq!(
        wib(builtin().next(dir(), &responded, &rated, now, false)),
        expect(Step::AutoClose, due)
    );
}

#[test]
fn a_question_gives_the_reporter_ten_working_days_and_the_answer_restarts_the_step() {
    let in_progress = holding(
        Status::InProgress,
        Some(BANDUNG),
        Step::FollowUp,
        "2025-12-08T23:59:59.999+07:00",
    );
    let asked = at("2025-12-02T10:00:00+07:00");
    let deferred = moved(&in_progress, Status::Deferred);
    let answer_due = builtin().next(dir(), &in_progress, &deferred, asked, false);
    // Wed 3 .. Tue 16.
    assert_eq!(
        wib(answer_due),
        expect(Step::DeferredAnswer, "2025-12-16T23:59:59.999+07:00")
    );

    // The answer (the lifecycle restarts after a deferral): a new follow-up from the answer.
    let mut deferred = deferred;
    deferred.deadline = answer_due;
    let answered = at("2025-12-05T09:00:00+07:00");
    let back = moved(&deferred, Status::InProgress);
    assert_eq!(
        wib(builtin().next(dir(), &deferred, &back, answered, true)),
        expect(Step::FollowUp, "2025-12-12T23:59:59.999+07:00")
    );
    // A verifier's question answered: verification again, from the answer.
    let mut triage_question = holding(
        Status::Deferred,
        None,
        Step::DeferredAnswer,
        "2025-12-16T23:59:59.999+07:00",
    );
    triage_question.deferred_from = Some(Status::NeedsTriage);
    let to_triage = moved(&triage_question, Status::NeedsTriage);
    assert_eq!(
        wib(builtin().next(dir(), &triage_question, &to_triage, answered, true)),
        expect(Step::Verification, "2025-12-10T23:59:59.999+07:00")
    );
}

#[test]
fn an_escalation_restarts_the_clock_where_the_status_would_keep_it() {
    // In progress at a work unit, escalated back to the institution (dispositioned).
    let due = "2025-12-08T23:59:59.999+07:00";
    let mut at_unit = holding(Status::InProgress, Some("kemenkeu"), Step::FollowUp, due);
    at_unit.work_unit = Some("djp".into());
    let escalated_at = at("2025-12-08T23:59:59.999+07:00");
    let mut back = moved(&at_unit, Status::Dispositioned);
    back.work_unit = None;
    // From Monday 8: Tue 9 .. Mon 15.
    assert_eq!(
        wib(builtin().next(dir(), &at_unit, &back, escalated_at, true)),
        expect(Step::FollowUp, "2025-12-15T23:59:59.999+07:00")
    );

    // Unverified, escalated to the verifiers: needs_triage again, a new verification deadline
    // (without the restart it would keep the missed one).
    let missed = holding(
        Status::NeedsTriage,
        None,
        Step::Verification,
        "2025-12-04T23:59:59.999+07:00",
    );
    let again = missed.clone();
    let now = at("2025-12-05T00:00:00+07:00");
    assert_eq!(
        wib(builtin().next(dir(), &missed, &again, now, true)),
        expect(Step::Verification, "2025-12-10T23:59:59.999+07:00")
    );
    assert_eq!(
        builtin().next(dir(), &missed, &again, now, false),
        missed.deadline,
        "without the restart the deadline is kept"
    );

    // A dispositioned report one level up: the parent's follow-up from the escalation.
    let city = holding(Status::Dispositioned, Some(BANDUNG), Step::FollowUp, due);
    let mut province = city.clone();
    province.agency_id = Some(JABAR.into());
    assert_eq!(
        wib(builtin().next(dir(), &city, &province, escalated_at, true)),
        expect(Step::FollowUp, "2025-12-15T23:59:59.999+07:00")
    );
}

#[test]
fn a_forward_to_another_institution_starts_a_new_follow_up() {
    let before = holding(
        Status::Dispositioned,
        Some("kemenkeu"),
        Step::FollowUp,
        "2025-12-08T23:59:59.999+07:00",
    );
    let mut after = before.clone();
    after.agency_id = Some(BANDUNG.into());
    let now = at("2025-12-03T10:00:00+07:00");
    assert_eq!(
        wib(builtin().next(dir(), &before, &after, now, false)),
        expect(Step::FollowUp, "2025-12-10T23:59:59.999+07:00")
    );
}

#[test]
fn closed_and_archived_reports_carry_no_deadline() {
    let responded = holding(
        Status::Responded,
        Some(BANDUNG),
        Step::AutoClose,
        "2025-12-18T23:59:59.999+07:00",
    );
    let now = at("2025-12-10T10:00:00+07:00");
    for status in [Status::Closed, Status::Archived] {
        let after = moved(&responded, status);
        assert_eq!(
            builtin().next(dir(), &responded, &after, now, false),
            None,
            "{status:?}"
        );
        assert_eq!(
            builtin().next(dir(), &responded, &after, now, true),
            None,
            "{status:?}"
        );
    }
}

// ======================================================================= weekends, holidays

#[test]
fn a_disposition_on_christmas_eve_lands_after_christmas_cuti_bersama_and_new_year() {
    let before = report(Status::Received, None);
    let mut after = moved(&before, Status::Dispositioned);
    after.agency_id = Some(BANDUNG.into());
    // Wednesday 24 December 2025, 16:00 WIB. Thu 25 (Christmas) and Fri 26 (cuti bersama) are
    // off, then the weekend; Mon 29, Tue 30, Wed 31; Thu 1 January is off; Fri 2, Mon 5.
    let now = at("2025-12-24T16:00:00+07:00");
    assert_eq!(
        wib(builtin().next(dir(), &before, &after, now, false)),
        expect(Step::FollowUp, "2026-01-05T23:59:59.999+07:00")
    );
    // Only weekends skipped, it would have been Wednesday 31 December.
    let weekends_only = Deadlines {
        policy: DeadlinePolicy::default(),
        calendar: WorkingCalendar::weekends_only(),
    };
    assert_eq!(
        wib(weekends_only.next(dir(), &before, &after, now, false)),
        expect(Step::FollowUp, "2025-12-31T23:59:59.999+07:00")
    );
}

#[test]
fn the_day_of_the_start_never_counts_and_weekends_are_skipped() {
    let r = report(Status::Received, None);
    let cases = [
        // Friday afternoon: Mon 8, Tue 9, Wed 10.
        ("2025-12-05T15:00:00+07:00", "2025-12-10T23:59:59.999+07:00"),
        // Saturday and Sunday: the same.
        ("2025-12-06T10:00:00+07:00", "2025-12-10T23:59:59.999+07:00"),
        ("2025-12-07T23:30:00+07:00", "2025-12-10T23:59:59.999+07:00"),
        // Monday just after midnight: Tue 9 .. Thu 11.
        ("2025-12-08T00:00:00+07:00", "2025-12-11T23:59:59.999+07:00"),
        // Thursday 15 January 2026: Fri 16 is Isra Mikraj; Mon 19, Tue 20, Wed 21.
        ("2026-01-15T09:00:00+07:00", "2026-01-21T23:59:59.999+07:00"),
    ];
    for (start, due) in cases {
        let d = builtin().deadline(dir(), &r, Step::Verification, at(start));
        assert_eq!(
            wib(Some(d)),
            expect(Step::Verification, due),
            "started {start}"
        );
    }
}

// ============================================================================== time zones

#[test]
fn each_institution_counts_in_its_own_zone() {
    assert_eq!(builtin().zone_of(dir(), None), TimeZone::Wib);
    assert_eq!(builtin().zone_of(dir(), Some("kemenkeu")), TimeZone::Wib);
    assert_eq!(builtin().zone_of(dir(), Some("djp")), TimeZone::Wib);
    assert_eq!(builtin().zone_of(dir(), Some(BANDUNG)), TimeZone::Wib);
    assert_eq!(builtin().zone_of(dir(), Some(MAKASSAR)), TimeZone::Wita);
    assert_eq!(builtin().zone_of(dir(), Some(JAYAPURA)), TimeZone::Wit);
    assert_eq!(
        builtin().zone_of(dir(), Some("no-such-agency")),
        TimeZone::Wib
    );
}

#[test]
fn a_report_held_in_makassar_is_due_at_the_end_of_the_day_in_wita() {
    let before = report(Status::Received, None);
    let mut after = moved(&before, Status::Dispositioned);
    after.agency_id = Some(MAKASSAR.into());
    // Friday 9 January 2026, 16:00 WITA; Fri 16 is Isra Mikraj: Mon 12 .. Thu 15, Mon 19.
    let now = at("2026-01-09T16:00:00+08:00");
    let d = builtin().next(dir(), &before, &after, now, false);
    assert_eq!(
        shown(d, TimeZone::Wita),
        expect(Step::FollowUp, "2026-01-19T23:59:59.999+08:00")
    );
    assert_eq!(d.unwrap().at, at("2026-01-19T15:59:59.999Z"));
}

#[test]
fn a_report_held_in_jayapura_counts_from_its_local_day_in_wit() {
    let before = report(Status::Received, None);
    let mut jayapura = moved(&before, Status::Dispositioned);
    jayapura.agency_id = Some(JAYAPURA.into());
    let mut bandung = jayapura.clone();
    bandung.agency_id = Some(BANDUNG.into());
    // 15:30 UTC: Monday 22:30 in Bandung, already Tuesday 00:30 in Jayapura.
    let now = at("2025-12-01T15:30:00Z");
    let in_jayapura = builtin().next(dir(), &before, &jayapura, now, false);
    // Wed 3, Thu 4, Fri 5, Mon 8, Tue 9 (WIT).
    assert_eq!(
        shown(in_jayapura, TimeZone::Wit),
        expect(Step::FollowUp, "2025-12-09T23:59:59.999+09:00")
    );
    assert_eq!(in_jayapura.unwrap().at, at("2025-12-09T14:59:59.999Z"));
    // Tue 2 .. Mon 8 (WIB).
    assert_eq!(
        wib(builtin().next(dir(), &before, &bandung, now, false)),
        expect(Step::FollowUp, "2025-12-08T23:59:59.999+07:00")
    );
}

// =============================================================================== overrides

#[test]
fn agency_and_kind_overrides_apply_to_the_holder() {
    let policy = DeadlinePolicy::from_json(
        r#"{
            "by_kind": {"information_request": {"follow_up": 10, "verification": 1}},
            "by_agency": {
                "pemda-32.73": {"follow_up": 2},
                "kemenkeu": {"follow_up": 1},
                "djp": {"follow_up": 20}
            }
        }"#,
    )
    .unwrap();
    let deadlines = Deadlines {
        policy,
        calendar: WorkingCalendar::builtin().clone(),
    };
    let start = received_at();
    let due = |kind: ReportKind, agency: Option<&str>, unit: Option<&str>, step: Step| {
        let mut r = report(Status::Dispositioned, agency);
        r.kind = kind;
        r.work_unit = unit.map(str::to_string);
        wib(Some(deadlines.deadline(dir(), &r, step, start))).1
    };
    use ReportKind::{Complaint, InformationRequest};
    // The agency's override, for every kind.
    assert_eq!(
        due(Complaint, Some(BANDUNG), None, Step::FollowUp),
        "2025-12-03T23:59:59.999+07:00"
    );
    assert_eq!(
        due(InformationRequest, Some(BANDUNG), None, Step::FollowUp),
        "2025-12-03T23:59:59.999+07:00"
    );
    // The kind's override where the agency has none; the default otherwise.
    assert_eq!(
        due(InformationRequest, Some(JABAR), None, Step::FollowUp),
        "2025-12-15T23:59:59.999+07:00"
    );
    assert_eq!(
        due(Complaint, Some(JABAR), None, Step::FollowUp),
        "2025-12-08T23:59:59.999+07:00"
    );
    // An override of one step leaves the others: Bandung's verification is the default.
    assert_eq!(
        due(Complaint, Some(BANDUNG), None, Step::Verification),
        "2025-12-04T23:59:59.999+07:00"
    );
    assert_eq!(
        due(InformationRequest, None, None, Step::Verification),
        "2025-12-02T23:59:59.999+07:00"
    );
    // A work unit works to its institution's limit, not its own.
    assert_eq!(
        due(Complaint, Some("kemenkeu"), Some("djp"), Step::FollowUp),
        "2025-12-02T23:59:59.999+07:00"
    );
    // And `next` uses the policy too.
    let before = report(Status::Received, None);
    let mut after = moved(&before, Status::Dispositioned);
    after.agency_id = Some(BANDUNG.into());
    assert_eq!(
        wib(deadlines.next(dir(), &before, &after, start, false)),
        expect(Step::FollowUp, "2025-12-03T23:59:59.999+07:00")
    );
}

// ================================================================================== due_at

#[test]
fn a_received_report_is_due_at_the_earlier_of_the_routing_grace_and_its_deadline() {
    let received = holding(
        Status::Received,
        None,
        Step::Verification,
        "2025-12-04T23:59:59.999+07:00",
    );
    let deadline = received.deadline.unwrap().at;
    let grace = received_at() + chrono::Duration::minutes(2);
    assert_eq!(due_at(&received, Some(grace)), Some(grace));
    let late = deadline + chrono::Duration::hours(1);
    assert_eq!(due_at(&received, Some(late)), Some(deadline));
    assert_eq!(due_at(&received, None), Some(deadline));
    let mut bare = received.clone();
    bare.deadline = None;
    assert_eq!(due_at(&bare, Some(grace)), Some(grace));
    assert_eq!(due_at(&bare, None), None);
}

#[test]
fn any_other_status_is_due_at_its_deadline_only() {
    let grace = received_at() + chrono::Duration::minutes(2);
    let triage = holding(
        Status::NeedsTriage,
        None,
        Step::Verification,
        "2025-12-04T23:59:59.999+07:00",
    );
    assert_eq!(due_at(&triage, Some(grace)), triage.deadline.map(|d| d.at));
    let responded = holding(
        Status::Responded,
        Some(BANDUNG),
        Step::AutoClose,
        "2025-12-18T23:59:59.999+07:00",
    );
    assert_eq!(
        due_at(&responded, Some(grace)),
        Some(at("2025-12-18T16:59:59.999Z"))
    );
    let closed = report(Status::Closed, Some(BANDUNG));
    assert_eq!(due_at(&closed, Some(grace)), None);
}

// ============================================================================= from_env

/// The only test touching the environment (tests run in parallel; nothing else reads these).
#[test]
fn from_env_reads_the_policy_and_extra_holidays_and_empty_means_unset() {
    let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 2).unwrap();
    let start = received_at();
    let r = report(Status::Received, None);
    let verification =
        |d: &Deadlines| wib(Some(d.deadline(dir(), &r, Step::Verification, start))).1;

    std::env::remove_var(POLICY_ENV);
    std::env::remove_var(EXTRA_HOLIDAYS_ENV);
    let unset = Deadlines::from_env().expect("unset");
    assert_eq!(unset.policy, DeadlinePolicy::default());
    assert!(unset.calendar.is_working_day(day));

    for empty in ["", "  "] {
        std::env::set_var(POLICY_ENV, empty);
        std::env::set_var(EXTRA_HOLIDAYS_ENV, empty);
        let d = Deadlines::from_env().unwrap_or_else(|e| panic!("{empty:?}: {e:?}"));
        assert_eq!(d.policy, DeadlinePolicy::default(), "{empty:?}");
        assert!(d.calendar.is_working_day(day), "{empty:?}");
        assert_eq!(verification(&d), "2025-12-04T23:59:59.999+07:00");
    }

    std::env::set_var(POLICY_ENV, r#"{"default": {"verification": 4}}"#);
    std::env::set_var(EXTRA_HOLIDAYS_ENV, "2025-12-02, 2025-12-03");
    let configured = Deadlines::from_env();
    let bad_policy = {
        std::env::set_var(POLICY_ENV, r#"{"default": {"verification": 0}}"#);
        Deadlines::from_env()
    };
    let bad_days = {
        std::env::set_var(POLICY_ENV, "");
        std::env::set_var(EXTRA_HOLIDAYS_ENV, "2025-12-02,tomorrow");
        Deadlines::from_env()
    };
    std::env::remove_var(POLICY_ENV);
    std::env::remove_var(EXTRA_HOLIDAYS_ENV);

    let configured = configured.expect("configured");
    assert_eq!(
        configured
            .policy
            .limit(Step::Verification, ReportKind::Complaint, None),
        4
    );
    assert!(!configured.calendar.is_working_day(day));
    // Two extra days off, four working days: Thu 4, Fri 5, Mon 8, Tue 9.
    assert_eq!(verification(&configured), "2025-12-09T23:59:59.999+07:00");
    // The compiled-in holidays stay.
    let christmas = chrono::NaiveDate::from_ymd_opt(2025, 12, 25).unwrap();
    assert!(!configured.calendar.is_working_day(christmas));

    let e = bad_policy.expect_err("a zero limit");
    assert_eq!(e.name, POLICY_ENV);
    assert!(e.problem.contains("default.verification"), "{}", e.problem);
    let e = bad_days.expect_err("a bad date");
    assert_eq!(e.name, EXTRA_HOLIDAYS_ENV);
    assert!(e.problem.contains("tomorrow"), "{}", e.problem);

    // The built-in set is untouched by any of it.
    assert_eq!(Deadlines::builtin().policy, DeadlinePolicy::default());
    assert!(Deadlines::builtin().calendar.is_working_day(day));
}
