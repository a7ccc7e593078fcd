//! The escalation pass on both storage families, driven by the harness clock: what each missed
//! deadline leads to, nothing before its time, weekends and holidays end to end, concurrent and
//! retried passes acting once, bounded passes, the cost of a pass, and the deadline shown as
//! `expected_datetime` in every view.
//!
//! The harness clock starts on Monday 1 December 2025, 09:00 WIB. Deadlines are written out as
//! WIB local times, counted by hand from the calendar in `shared/data/calendar/holidays.csv`.

use chrono::{DateTime, Duration, Utc};
use lapor::deadlines::Step;
use lapor::domain::{Actor, ArchiveReason, Deadline, Report, Status, TrackingId};
use lapor::lifecycle::Notification;
use lapor::ports::{Clock, QueueName};
use lapor::service::escalation::{run_pass, PassLimits, PassStats};
use lapor_tests::{assert_ok, families, sample_report, Harness, HttpAnswer, Staff, Submitted};
use serde_json::{json, Value};

const ONE: &str = "GET /v1/agency/reports/{tracking_id}";
const INBOX: &str = "GET /v1/agency/reports";
const BANDUNG: &str = "pemda-32.73";
const JABAR: &str = "pemda-32";

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

fn system() -> Actor {
    Actor::System {
        component: "escalation".into(),
    }
}

fn bandung() -> Staff {
    Staff::officer("officer-bdg-1", BANDUNG)
}

fn jabar() -> Staff {
    Staff::officer("officer-jabar-1", JABAR)
}

fn kemenkeu() -> Staff {
    Staff::officer("officer-kemenkeu-1", "kemenkeu")
}

fn verifier() -> Staff {
    Staff::verifier("verifier-1")
}

/// A report the router cannot place (no location, no institution named): it goes to triage.
fn triage_report() -> Value {
    json!({
        "kind": "complaint",
        "title": "Tetangga berisik",
        "body": "Tetangga saya setiap malam menyalakan musik keras sampai jam dua pagi."
    })
}

/// One pass as of the harness clock, with the default limits.
async fn pass(h: &Harness) -> PassStats {
    pass_with(h, PassLimits::default()).await
}

async fn pass_with(h: &Harness, limits: PassLimits) -> PassStats {
    run_pass(&h.app, h.clock.now(), limits)
        .await
        .unwrap_or_else(|e| panic!("{}: pass failed: {e}", h.family))
}

/// Sets the clock to `at` and runs a pass.
async fn pass_at(h: &Harness, at: DateTime<Utc>) -> PassStats {
    h.clock.set(at);
    pass(h).await
}

/// A pass one minute before `deadline` finds nothing and leaves the report as it was.
async fn nothing_before(h: &Harness, id: &str, deadline: DateTime<Utc>) {
    let before = h.stored(id).await;
    let stats = pass_at(h, deadline - Duration::minutes(1)).await;
    assert_eq!(
        stats,
        PassStats::default(),
        "{}: a pass one minute before {deadline} acted",
        h.family
    );
    assert_eq!(
        h.stored(id).await,
        before,
        "{}: changed before its deadline",
        h.family
    );
}

fn deadline(report: &Report) -> (Step, DateTime<Utc>) {
    let d = report.deadline.unwrap_or_else(|| {
        panic!(
            "{} ({:?}) has no deadline",
            report.tracking_id, report.status
        )
    });
    (d.step, d.at)
}

/// The events of `action` on the report's timeline.
fn events<'a>(report: &'a Report, action: &str) -> Vec<&'a lapor::domain::TimelineEvent> {
    report
        .timeline
        .iter()
        .filter(|e| e.action == action)
        .collect()
}

/// The notices queued for `id` with `event`, one per notification id.
async fn notices(h: &Harness, id: &str, event: &str) -> Vec<Notification> {
    let mut out: Vec<Notification> = h
        .take_notifications()
        .await
        .into_iter()
        .filter(|n| n.tracking_id.as_ref().is_some_and(|t| t.as_str() == id) && n.event == event)
        .collect();
    out.sort_by(|a, b| a.notification_id.cmp(&b.notification_id));
    out.dedup_by(|a, b| a.notification_id == b.notification_id);
    out
}

// ================================================================================ each action

#[tokio::test]
async fn an_unverified_report_past_three_working_days_is_escalated_to_the_verifiers() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&triage_report()).await;
        let report = h.stored(&s.id).await;
        assert_eq!(report.status, Status::NeedsTriage, "{f}");
        // Received Monday 1 December: Tue 2, Wed 3, Thu 4.
        let due = t("2025-12-04T23:59:59.999+07:00");
        assert_eq!(deadline(&report), (Step::Verification, due), "{f}");
        assert_eq!(report.due_at, Some(due), "{f}");
        h.take_notifications().await;

        nothing_before(&h, &s.id, due).await;
        let stats = pass_at(&h, due).await;
        assert_eq!((stats.due, stats.escalated), (1, 1), "{f}: {stats:?}");
        assert_eq!(stats.conflicts, 0, "{f}");

        let after = h.stored(&s.id).await;
        assert_eq!(after.status, Status::NeedsTriage, "{f}");
        assert_eq!(after.agency_id, None, "{f}");
        let escalated = events(&after, "escalated");
        assert_eq!(escalated.len(), 1, "{f}");
        let e = escalated[0];
        assert_eq!(e.actor, system(), "{f}");
        assert_eq!(e.at, due, "{f}");
        assert_eq!(e.agency_id, None, "{f}");
        assert_eq!(e.status, Some(Status::NeedsTriage), "{f}");
        assert!(
            e.note
                .as_deref()
                .unwrap_or_default()
                .contains("Batas waktu verifikasi terlewati (4 Desember 2025 23.59 WIB)"),
            "{f}: {:?}",
            e.note
        );
        // A new verification deadline from the escalation: Fri 5, Mon 8, Tue 9.
        let next = t("2025-12-09T23:59:59.999+07:00");
        assert_eq!(deadline(&after), (Step::Verification, next), "{f}");
        assert_eq!(after.due_at, Some(next), "{f}");

        let sent = notices(&h, &s.id, "escalated").await;
        assert_eq!(sent.len(), 1, "{f}: {sent:?}");
        assert_eq!(sent[0].status, Some(Status::NeedsTriage), "{f}");
        assert!(sent[0].text.contains(&s.id), "{f}: {}", sent[0].text);

        // Done for this deadline: the same pass again finds nothing.
        assert_eq!(pass(&h).await, PassStats::default(), "{f}");
    }
}

/// The overdue box of `staff` (`GET /v1/agency/reports?box=overdue`): its tracking ids.
async fn overdue_box(h: &Harness, staff: &Staff) -> Vec<String> {
    let answer = h
        .agency_call(INBOX, None, "box=overdue", None, Some(staff))
        .await;
    assert_eq!(answer.status, 200, "{}: {}", h.family, answer.text);
    answer.body["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tracking_id"].as_str().unwrap().to_string())
        .collect()
}

fn supervisors(report: &Report) -> Vec<Option<&str>> {
    report
        .supervisors
        .iter()
        .map(|s| s.agency_id.as_deref())
        .collect()
}

#[tokio::test]
async fn a_city_that_misses_its_follow_up_keeps_the_report_under_the_province_then_the_verifiers() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let report = h.stored(&s.id).await;
        assert_eq!(report.status, Status::Dispositioned, "{f}");
        assert_eq!(report.agency_id.as_deref(), Some(BANDUNG), "{f}");
        // Routed Monday 1 December: Tue 2 .. Fri 5, Mon 8.
        let first = t("2025-12-08T23:59:59.999+07:00");
        assert_eq!(deadline(&report), (Step::FollowUp, first), "{f}");
        h.take_notifications().await;
        assert!(overdue_box(&h, &jabar()).await.is_empty(), "{f}");

        // Kota Bandung missed it: it keeps the report; Provinsi Jawa Barat supervises.
        nothing_before(&h, &s.id, first).await;
        let stats = pass_at(&h, first).await;
        assert_eq!((stats.due, stats.escalated), (1, 1), "{f}: {stats:?}");
        let supervised = h.stored(&s.id).await;
        assert_eq!(
            (supervised.status, supervised.agency_id.as_deref()),
            (Status::Dispositioned, Some(BANDUNG)),
            "{f}"
        );
        assert_eq!(supervisors(&supervised), [Some(JABAR)], "{f}");
        let e = *events(&supervised, "escalated").last().unwrap();
        assert_eq!(
            (e.actor.clone(), e.agency_id.as_deref(), e.at),
            (system(), Some(JABAR), first),
            "{f}"
        );
        // In Indonesian and in the city's zone, no step name, no UTC.
        assert_eq!(
            e.note.as_deref(),
            Some("Batas waktu tindak lanjut terlewati (8 Desember 2025 23.59 WIB)."),
            "{f}"
        );
        // A new deadline for the city: Tue 9 .. Mon 15.
        let second = t("2025-12-15T23:59:59.999+07:00");
        assert_eq!(deadline(&supervised), (Step::FollowUp, second), "{f}");
        let sent = notices(&h, &s.id, "escalated").await;
        assert_eq!(sent.len(), 1, "{f}: {sent:?}");
        assert!(sent[0].text.contains("Jawa Barat"), "{f}: {}", sent[0].text);
        // The city still answers; the province sees it in its overdue box and may act.
        for staff in [bandung(), jabar()] {
            assert_ok(
                h.family,
                "view",
                &h.agency_call(ONE, Some(&s.id), "", None, Some(&staff))
                    .await,
            );
        }
        assert_eq!(
            overdue_box(&h, &jabar()).await,
            std::slice::from_ref(&s.id),
            "{f}"
        );
        let listed = h
            .agency_call(INBOX, None, "box=overdue", None, Some(&jabar()))
            .await;
        assert_eq!(
            listed.body["reports"][0]["supervisors"],
            json!([JABAR]),
            "{f}"
        );
        assert_eq!(listed.body["reports"][0]["agency_id"], BANDUNG, "{f}");
        let view = h
            .agency_call(ONE, Some(&s.id), "", None, Some(&jabar()))
            .await;
        assert_eq!(
            view.body["possible_actions"],
            json!(["forward", "remind", "take_over"]),
            "{f}"
        );
        let reminded = h
            .act(
                &jabar(),
                &s.id,
                &format!("escalation-remind-{f}"),
                json!({"action": "remind", "note": "Mohon segera ditindaklanjuti."}),
            )
            .await;
        assert_ok(h.family, "remind", &reminded);
        let after = h.stored(&s.id).await;
        let e = after.timeline.last().unwrap();
        assert_eq!(
            (e.action.as_str(), e.agency_id.as_deref(), e.note.as_deref()),
            (
                "reminded",
                Some(JABAR),
                Some("Mohon segera ditindaklanjuti.")
            ),
            "{f}"
        );
        assert_eq!(after.agency_id.as_deref(), Some(BANDUNG), "{f}");
        // The province's officers cannot answer in the city's place.
        let refused = h
            .act(
                &jabar(),
                &s.id,
                &format!("escalation-follow-up-{f}"),
                json!({"action": "follow_up", "message": "Sudah diperbaiki."}),
            )
            .await;
        assert_eq!(refused.status, 403, "{f}: {}", refused.text);

        // The city missed it again: the national verifiers supervise too, the last level.
        let stats = pass_at(&h, second).await;
        assert_eq!((stats.due, stats.escalated), (1, 1), "{f}: {stats:?}");
        let national = h.stored(&s.id).await;
        assert_eq!(
            (national.status, national.agency_id.as_deref()),
            (Status::Dispositioned, Some(BANDUNG)),
            "{f}"
        );
        assert_eq!(supervisors(&national), [Some(JABAR), None], "{f}");
        assert_eq!(events(&national, "escalated")[1].agency_id, None, "{f}");
        let sent = notices(&h, &s.id, "escalated").await;
        assert_eq!(sent.len(), 1, "{f}: {sent:?}");
        assert_eq!(sent[0].status, Some(Status::Dispositioned), "{f}");
        // Listed under its latest supervisor; the province keeps its access.
        assert_eq!(
            overdue_box(&h, &verifier()).await,
            std::slice::from_ref(&s.id),
            "{f}"
        );
        assert!(overdue_box(&h, &jabar()).await.is_empty(), "{f}");
        assert_ok(
            h.family,
            "province view",
            &h.agency_call(ONE, Some(&s.id), "", None, Some(&jabar()))
                .await,
        );
        // No level is left: it leaves the due index instead of escalating again.
        assert_eq!(national.due_at, None, "{f}");
        let later = pass_at(&h, second + Duration::days(30)).await;
        assert_eq!(later, PassStats::default(), "{f}");

        // A verifier sends it where it belongs: a new holder, no supervisors.
        let forwarded = h
            .act(
                &verifier(),
                &s.id,
                &format!("escalation-forward-{f}"),
                json!({"action": "forward", "agency_id": JABAR, "reason": "Jalan provinsi."}),
            )
            .await;
        assert_ok(h.family, "forward", &forwarded);
        let moved = h.stored(&s.id).await;
        assert_eq!(moved.agency_id.as_deref(), Some(JABAR), "{f}");
        assert!(moved.supervisors.is_empty(), "{f}");
        assert!(overdue_box(&h, &verifier()).await.is_empty(), "{f}");
        assert!(moved.due_at.is_some(), "{f}");
    }
}

#[tokio::test]
async fn a_work_unit_that_misses_its_follow_up_is_supervised_by_its_institution_which_takes_it_back(
) {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&triage_report()).await;
        let a = h
            .act(
                &verifier(),
                &s.id,
                &format!("escalation-verify-{f}"),
                json!({"action": "verify", "agency_id": "kemenkeu"}),
            )
            .await;
        assert_ok(h.family, "verify", &a);
        // Verified Monday 1 December: Mon 8.
        let first = t("2025-12-08T23:59:59.999+07:00");
        assert_eq!(
            deadline(&h.stored(&s.id).await),
            (Step::FollowUp, first),
            "{f}"
        );
        h.clock.advance(Duration::days(1));
        let a = h
            .act(
                &kemenkeu(),
                &s.id,
                &format!("escalation-assign-{f}"),
                json!({"action": "assign", "work_unit": "djp"}),
            )
            .await;
        assert_ok(h.family, "assign", &a);
        let at_unit = h.stored(&s.id).await;
        assert_eq!(at_unit.status, Status::InProgress, "{f}");
        assert_eq!(at_unit.work_unit.as_deref(), Some("djp"), "{f}");
        // The assignment keeps the disposition's deadline.
        assert_eq!(deadline(&at_unit), (Step::FollowUp, first), "{f}");

        // DJP missed it: it keeps the report, Kemenkeu supervises.
        nothing_before(&h, &s.id, first).await;
        let stats = pass_at(&h, first).await;
        assert_eq!((stats.due, stats.escalated), (1, 1), "{f}: {stats:?}");
        let supervised = h.stored(&s.id).await;
        assert_eq!(
            (
                supervised.status,
                supervised.agency_id.as_deref(),
                supervised.work_unit.as_deref()
            ),
            (Status::InProgress, Some("kemenkeu"), Some("djp")),
            "{f}"
        );
        assert_eq!(supervisors(&supervised), [Some("kemenkeu")], "{f}");
        let second = t("2025-12-15T23:59:59.999+07:00");
        assert_eq!(deadline(&supervised), (Step::FollowUp, second), "{f}");
        assert_eq!(
            overdue_box(&h, &kemenkeu()).await,
            std::slice::from_ref(&s.id),
            "{f}"
        );
        let djp = Staff::officer("officer-djp-1", "djp");
        assert_ok(
            h.family,
            "unit view",
            &h.agency_call(ONE, Some(&s.id), "", None, Some(&djp)).await,
        );

        // Kemenkeu takes it back from its unit, explicitly.
        let taken = h
            .act(
                &kemenkeu(),
                &s.id,
                &format!("escalation-take-over-{f}"),
                json!({"action": "take_over", "reason": "Ditangani kantor pusat."}),
            )
            .await;
        assert_ok(h.family, "take_over", &taken);
        let back = h.stored(&s.id).await;
        assert_eq!(
            (
                back.status,
                back.agency_id.as_deref(),
                back.work_unit.as_deref()
            ),
            (Status::InProgress, Some("kemenkeu"), None),
            "{f}"
        );
        assert!(back.supervisors.is_empty(), "{f}");
        assert!(overdue_box(&h, &kemenkeu()).await.is_empty(), "{f}");
        let unit = h.agency_call(ONE, Some(&s.id), "", None, Some(&djp)).await;
        assert_eq!(unit.status, 403, "{f}: {}", unit.text);
        // Its own clock from the take-over (Monday 8 December, just before midnight): Mon 15.
        assert_eq!(
            deadline(&back),
            (Step::FollowUp, t("2025-12-15T23:59:59.999+07:00")),
            "{f}"
        );
    }
}

#[tokio::test]
async fn an_overdue_box_answers_bad_queries_with_400() {
    for h in families().await {
        let f = h.family;
        for (staff, query) in [
            (verifier(), "box=overdue&agency=pemda-32"),
            (verifier(), "box=work_unit"),
            (jabar(), "box=supervised"),
        ] {
            let answer = h.agency_call(INBOX, None, query, None, Some(&staff)).await;
            assert_eq!(answer.status, 400, "{f}: {query}: {}", answer.text);
            assert_eq!(
                answer.body["error"], "invalid_query",
                "{f}: {}",
                answer.text
            );
        }
    }
}

#[tokio::test]
async fn a_responded_report_closes_after_ten_working_days() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        for (i, action) in [
            json!({"action": "accept"}),
            json!({"action": "follow_up", "message": "Lampu sudah diganti oleh Dishub."}),
        ]
        .into_iter()
        .enumerate()
        {
            assert_ok(
                h.family,
                "officer",
                &h.act(
                    &bandung(),
                    &s.id,
                    &format!("escalation-respond-{i}-{f}"),
                    action,
                )
                .await,
            );
        }
        let responded = h.stored(&s.id).await;
        assert_eq!(responded.status, Status::Responded, "{f}");
        // Followed up Monday 1 December: ten working days, Tue 2 .. Mon 15.
        let due = t("2025-12-15T23:59:59.999+07:00");
        assert_eq!(deadline(&responded), (Step::AutoClose, due), "{f}");
        // The follow-up's own deadline (Mon 8) passes without anything happening.
        let stats = pass_at(&h, t("2025-12-08T23:59:59.999+07:00")).await;
        assert_eq!(stats, PassStats::default(), "{f}");
        h.take_notifications().await;

        nothing_before(&h, &s.id, due).await;
        let stats = pass_at(&h, due).await;
        assert_eq!((stats.due, stats.auto_closed), (1, 1), "{f}: {stats:?}");
        assert_eq!(stats.escalated + stats.archived, 0, "{f}");
        let closed = h.stored(&s.id).await;
        assert_eq!(closed.status, Status::Closed, "{f}");
        assert_eq!(closed.agency_id.as_deref(), Some(BANDUNG), "{f}");
        let e = closed.timeline.last().unwrap();
        assert_eq!(
            (e.action.as_str(), e.actor.clone(), e.at),
            ("auto_closed", system(), due),
            "{f}"
        );
        assert_eq!((closed.deadline, closed.due_at), (None, None), "{f}");
        assert_eq!(notices(&h, &s.id, "auto_closed").await.len(), 1, "{f}");
        assert_eq!(pass(&h).await, PassStats::default(), "{f}");
    }
}

#[tokio::test]
async fn a_deferred_report_is_archived_when_the_reporter_never_answers() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        h.clock.advance(Duration::days(1));
        let a = h
            .act(
                &bandung(),
                &s.id,
                &format!("escalation-question-{f}"),
                json!({"action": "request_info", "question": "Nomor tiang lampunya berapa?"}),
            )
            .await;
        assert_ok(h.family, "request_info", &a);
        let deferred = h.stored(&s.id).await;
        assert_eq!(deferred.status, Status::Deferred, "{f}");
        // Asked Tuesday 2 December: ten working days, Wed 3 .. Tue 16.
        let due = t("2025-12-16T23:59:59.999+07:00");
        assert_eq!(deadline(&deferred), (Step::DeferredAnswer, due), "{f}");
        h.take_notifications().await;

        nothing_before(&h, &s.id, due).await;
        let stats = pass_at(&h, due).await;
        assert_eq!((stats.due, stats.archived), (1, 1), "{f}: {stats:?}");
        assert_eq!(stats.escalated + stats.auto_closed, 0, "{f}");
        let archived = h.stored(&s.id).await;
        assert_eq!(archived.status, Status::Archived, "{f}");
        assert_eq!(
            archived.archive_reason,
            Some(ArchiveReason::NoAnswer),
            "{f}"
        );
        assert_eq!(archived.deferred_from, None, "{f}");
        let e = archived.timeline.last().unwrap();
        assert_eq!(
            (e.action.as_str(), e.actor.clone(), e.at),
            ("archived_unanswered", system(), due),
            "{f}"
        );
        assert_eq!((archived.deadline, archived.due_at), (None, None), "{f}");
        assert_eq!(
            notices(&h, &s.id, "archived_unanswered").await.len(),
            1,
            "{f}"
        );
        // The reporter's view says so.
        let mine = h.get(&s.id, Some(&s.token)).await;
        assert_eq!(
            mine.body["archive_reason"], "no_answer",
            "{f}: {}",
            mine.text
        );
    }
}

#[tokio::test]
async fn a_received_report_the_queue_lost_is_requeued_and_then_routed() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_ok(&sample_report()).await;
        // The queue loses the intake message: received and deleted, never routed.
        let taken = h
            .receiver
            .receive(QueueName::Intake, 10, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(taken.len(), 1, "{f}");
        let receipts: Vec<String> = taken.iter().map(|m| m.receipt_handle.clone()).collect();
        h.receiver
            .delete_batch(QueueName::Intake, &receipts)
            .await
            .unwrap();
        assert_eq!(h.drain_router().await, 0, "{f}");
        let submitted_at = h.clock.now();

        // Within the routing grace (two minutes): nothing.
        nothing_before(&h, &s.id, submitted_at + Duration::minutes(2)).await;
        let stats = pass_at(&h, submitted_at + Duration::minutes(3)).await;
        assert_eq!((stats.due, stats.requeued), (1, 1), "{f}: {stats:?}");
        assert_eq!(stats.escalated, 0, "{f}");
        let report = h.stored(&s.id).await;
        assert_eq!(report.status, Status::Received, "{f}");
        // The verification deadline stays; the next look is one grace period later.
        assert_eq!(
            deadline(&report),
            (Step::Verification, t("2025-12-04T23:59:59.999+07:00")),
            "{f}"
        );
        assert_eq!(
            report.due_at,
            Some(submitted_at + Duration::minutes(5)),
            "{f}"
        );
        // Not re-sent by a second pass at the same time.
        assert_eq!(pass(&h).await, PassStats::default(), "{f}");

        assert_eq!(h.drain_router().await, 1, "{f}: the re-queued message");
        let routed = h.stored(&s.id).await;
        assert_eq!(routed.status, Status::Dispositioned, "{f}");
        assert_eq!(routed.agency_id.as_deref(), Some(BANDUNG), "{f}");
        // Routed three minutes after 09:00 Monday: follow-up due Monday 8.
        assert_eq!(
            deadline(&routed),
            (Step::FollowUp, t("2025-12-08T23:59:59.999+07:00")),
            "{f}"
        );
        assert_eq!(pass(&h).await, PassStats::default(), "{f}");
    }
}

// ===================================================================== weekends and holidays

#[tokio::test]
async fn a_report_received_on_friday_afternoon_escalates_on_wednesday_night() {
    for h in families().await {
        let f = h.family;
        h.clock.set(t("2025-12-05T15:00:00+07:00"));
        let s = h.submit_routed(&triage_report()).await;
        assert_eq!(h.stored(&s.id).await.status, Status::NeedsTriage, "{f}");
        // Mon 8, Tue 9, Wed 10.
        let due = t("2025-12-10T23:59:59.999+07:00");
        // Three calendar days, the Monday: not yet; nor on Tuesday evening.
        for early in [
            t("2025-12-08T23:59:59.999+07:00"),
            t("2025-12-09T20:00:00+07:00"),
        ] {
            assert_eq!(
                pass_at(&h, early).await,
                PassStats::default(),
                "{f}: {early}"
            );
        }
        nothing_before(&h, &s.id, due).await;
        let stats = pass_at(&h, due).await;
        assert_eq!(stats.escalated, 1, "{f}: {stats:?}");
        let after = h.stored(&s.id).await;
        let escalated = events(&after, "escalated");
        assert_eq!(escalated.len(), 1, "{f}");
        assert_eq!(escalated[0].at, due, "{f}");
    }
}

#[tokio::test]
async fn a_report_routed_on_christmas_eve_escalates_after_the_new_year() {
    for h in families().await {
        let f = h.family;
        h.clock.set(t("2025-12-24T16:00:00+07:00"));
        let s = h.submit_routed(&sample_report()).await;
        let report = h.stored(&s.id).await;
        assert_eq!(report.agency_id.as_deref(), Some(BANDUNG), "{f}");
        // Thu 25 (Christmas), Fri 26 (cuti bersama), the weekend, Thu 1 January are off:
        // Mon 29, Tue 30, Wed 31, Fri 2, Mon 5.
        let due = t("2026-01-05T23:59:59.999+07:00");
        assert_eq!(deadline(&report), (Step::FollowUp, due), "{f}");
        for early in [
            // Five working days counting only weekends.
            t("2025-12-31T23:59:59.999+07:00"),
            t("2026-01-02T23:59:59.999+07:00"),
        ] {
            assert_eq!(
                pass_at(&h, early).await,
                PassStats::default(),
                "{f}: {early}"
            );
        }
        nothing_before(&h, &s.id, due).await;
        let stats = pass_at(&h, due).await;
        assert_eq!(stats.escalated, 1, "{f}: {stats:?}");
        let up = h.stored(&s.id).await;
        assert_eq!(up.agency_id.as_deref(), Some(BANDUNG), "{f}");
        assert_eq!(supervisors(&up), [Some(JABAR)], "{f}");
        // Tue 6 .. Mon 12 January.
        assert_eq!(
            deadline(&up),
            (Step::FollowUp, t("2026-01-12T23:59:59.999+07:00")),
            "{f}"
        );
    }
}

// ============================================================ concurrent and retried passes

#[tokio::test]
async fn two_passes_at_once_and_a_retried_pass_escalate_each_report_once() {
    const N: usize = 6;
    for h in families().await {
        let f = h.family;
        let mut ids = Vec::new();
        for _ in 0..N {
            ids.push(h.submit_ok(&sample_report()).await.id);
        }
        assert_eq!(h.drain_router().await, N, "{f}");
        h.take_notifications().await;

        let levels = [
            ("2025-12-08T23:59:59.999+07:00", 1),
            ("2025-12-15T23:59:59.999+07:00", 2),
        ];
        for (due, level) in levels {
            h.clock.set(t(due));
            let (a, b) = tokio::join!(pass(&h), pass(&h));
            assert_eq!(
                a.escalated + b.escalated,
                N as u64,
                "{f} level {level}: {a:?} / {b:?}"
            );
            assert_eq!(
                a.due + b.due,
                a.escalated + b.escalated + a.conflicts + b.conflicts,
                "{f} level {level}: every report read was escalated or lost: {a:?} / {b:?}"
            );
            // The retried pass finds nothing left.
            assert_eq!(pass(&h).await, PassStats::default(), "{f} level {level}");
            for id in &ids {
                let report = h.stored(id).await;
                assert_eq!(
                    events(&report, "escalated").len(),
                    level,
                    "{f} level {level}: {id}"
                );
            }
        }
        let sent = h.take_notifications().await;
        for id in &ids {
            let mut mine: Vec<&str> = sent
                .iter()
                .filter(|n| {
                    n.tracking_id
                        .as_ref()
                        .is_some_and(|t| t.as_str() == id.as_str())
                        && n.event == "escalated"
                })
                .map(|n| n.notification_id.as_str())
                .collect();
            mine.sort();
            mine.dedup();
            assert_eq!(mine.len(), 2, "{f}: {id}: {mine:?}");
        }
    }
}

// ============================================================================ bounded passes

#[tokio::test]
async fn bounded_passes_stop_at_their_share_and_the_next_ones_finish_the_rest() {
    const N: usize = 12;
    for h in families().await {
        let f = h.family;
        let mut ids = Vec::new();
        for _ in 0..N {
            ids.push(h.submit_ok(&sample_report()).await.id);
        }
        assert_eq!(h.drain_router().await, N, "{f}");
        h.clock.set(t("2025-12-08T23:59:59.999+07:00"));
        let limits = PassLimits {
            batch: 3,
            max_reports: 5,
        };
        let mut runs = Vec::new();
        for _ in 0..4 {
            let stats = pass_with(&h, limits).await;
            runs.push((stats.due, stats.escalated, stats.more));
        }
        assert_eq!(
            runs,
            [(5, 5, true), (5, 5, true), (2, 2, false), (0, 0, false)],
            "{f}: (due, escalated, more) of each pass"
        );
        for id in &ids {
            let report = h.stored(id).await;
            assert_eq!(events(&report, "escalated").len(), 1, "{f}: {id}");
            assert_eq!(supervisors(&report), [Some(JABAR)], "{f}: {id}");
        }
    }
}

// ====================================================================================== cost

#[tokio::test]
async fn a_pass_reads_the_due_reports_not_the_table() {
    const DUE: usize = 20;
    const NOT_DUE: usize = 200;
    for h in families().await {
        let f = h.family;
        // A routed report as the model; copies of it are stored directly (faster than 220
        // submissions), some with a missed follow-up, the rest with one still ahead.
        let model = h.stored(&h.submit_routed(&sample_report()).await.id).await;
        assert_eq!(model.status, Status::Dispositioned, "{f}");
        let now = t("2025-12-03T10:00:00+07:00");
        let missed = Deadline {
            step: Step::FollowUp,
            at: t("2025-12-02T23:59:59.999+07:00"),
        };
        let mut due_ids = Vec::new();
        for i in 0..DUE + NOT_DUE {
            let mut copy = model.clone();
            copy.tracking_id = TrackingId::generate();
            if i < DUE {
                copy.deadline = Some(missed);
                due_ids.push(copy.tracking_id.to_string());
            }
            copy.due_at = copy.deadline.map(|d| d.at);
            h.app
                .store
                .insert(&copy, None)
                .await
                .unwrap_or_else(|e| panic!("{f}: insert: {e}"));
        }

        let stats = pass_at(&h, now).await;
        assert_eq!(stats.due, DUE as u64, "{f}: {stats:?}");
        assert_eq!(stats.escalated, DUE as u64, "{f}: {stats:?}");
        assert!(
            stats.items_read as f64 <= 1.2 * DUE as f64,
            "{f}: read {} items for {DUE} due reports among {}",
            stats.items_read,
            DUE + NOT_DUE + 1
        );
        for id in &due_ids {
            assert_eq!(supervisors(&h.stored(id).await), [Some(JABAR)], "{f}: {id}");
        }
        // Nothing left: the next pass reads nothing at all.
        let again = pass(&h).await;
        assert_eq!(again, PassStats::default(), "{f}");
    }
}

// ========================================================================= expected_datetime

/// `expected_datetime` of a view, as an instant.
fn expected_datetime(h: &Harness, view: &HttpAnswer) -> DateTime<Utc> {
    assert_eq!(view.status, 200, "{}: {}", h.family, view.text);
    let text = view.body["expected_datetime"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no expected_datetime: {}", h.family, view.text));
    t(text)
}

async fn shown_everywhere(h: &Harness, s: &Submitted, staff: &Staff) -> Vec<DateTime<Utc>> {
    let public = h.get(&s.id, None).await;
    let mine = h.get(&s.id, Some(&s.token)).await;
    let staff_view = h.agency_call(ONE, Some(&s.id), "", None, Some(staff)).await;
    vec![
        expected_datetime(h, &public),
        expected_datetime(h, &mine),
        expected_datetime(h, &staff_view),
    ]
}

#[tokio::test]
async fn expected_datetime_is_the_reports_deadline_in_every_view() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_ok(&sample_report()).await;
        // Received: the verification deadline (not the routing grace).
        let verification = t("2025-12-04T23:59:59.999+07:00");
        assert_eq!(
            shown_everywhere(&h, &s, &verifier()).await,
            [verification; 3],
            "{f}: received"
        );
        h.drain_router().await;
        let follow_up = t("2025-12-08T23:59:59.999+07:00");
        assert_eq!(
            deadline(&h.stored(&s.id).await),
            (Step::FollowUp, follow_up),
            "{f}"
        );
        assert_eq!(
            shown_everywhere(&h, &s, &bandung()).await,
            [follow_up; 3],
            "{f}: dispositioned"
        );
        for view in [h.get(&s.id, None).await, h.get(&s.id, Some(&s.token)).await] {
            assert_eq!(
                view.body["deadline_step"], "follow_up",
                "{f}: {}",
                view.text
            );
        }

        // Escalated: every view moves to the city's new deadline (the province supervises).
        pass_at(&h, follow_up).await;
        let province = t("2025-12-15T23:59:59.999+07:00");
        assert_eq!(
            deadline(&h.stored(&s.id).await),
            (Step::FollowUp, province),
            "{f}"
        );
        assert_eq!(
            shown_everywhere(&h, &s, &jabar()).await,
            [province; 3],
            "{f}: escalated"
        );
    }
}
