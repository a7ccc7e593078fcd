//! The transitions the system takes on its own when the reporter stays silent: closing an
//! unanswered follow-up, archiving an unanswered question.

use super::*;

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
