//! The verifiers' transitions during triage (verify, defer, archive, mark as a duplicate) and
//! exactly what each writes.

use super::*;
use crate::domain::RoutingRecord;

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
