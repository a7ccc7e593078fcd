//! The institution's transitions (accept, assign, follow up, request information, forward,
//! close) and exactly what each writes.

use super::*;

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
            |r| {
                r.status = Status::Responded;
                // The first follow-up, before its deadline: kept for the statistics.
                r.first_response = Some(crate::domain::report::FirstResponse {
                    at: now(),
                    within_deadline: true,
                });
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

#[test]
fn the_first_follow_up_is_kept_with_whether_it_met_its_deadline() {
    let follow_up = Action::FollowUp {
        message: "Sedang kami tangani.".into(),
    };
    let first = |before: &Report| step(before, &officer(HOLDER), &follow_up).first_response;

    let mut past = report_in(Status::InProgress);
    past.deadline = Some(crate::domain::report::Deadline {
        step: crate::deadlines::Step::FollowUp,
        at: now() - chrono::Duration::hours(1),
    });
    assert_eq!(first(&past).map(|r| r.within_deadline), Some(false));

    // A holder that missed a deadline is supervised and has a new one: still late.
    let mut supervised = report_in(Status::InProgress);
    supervised.deadline = Some(crate::domain::report::Deadline {
        step: crate::deadlines::Step::FollowUp,
        at: now() + chrono::Duration::days(3),
    });
    supervised
        .supervisors
        .push(crate::domain::report::Supervisor {
            agency_id: None,
            since: now() - chrono::Duration::days(1),
        });
    assert_eq!(first(&supervised).map(|r| r.within_deadline), Some(false));

    // A later follow-up keeps the first one's record.
    let mut again = report_in(Status::InProgress);
    let kept = crate::domain::report::FirstResponse {
        at: now() - chrono::Duration::days(2),
        within_deadline: true,
    };
    again.first_response = Some(kept);
    assert_eq!(first(&again), Some(kept));
}
