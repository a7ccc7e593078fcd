//! The reporter's transitions: a reply (which reopens a follow-up, adds to a report being handled
//! or answers a question), a rating, a withdrawal; and exactly what each writes.

use super::*;

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
