//! The checks on what an action carries: texts required or optional and their limits,
//! institutions and tracking ids that must exist, stars from one to five, a rating given only
//! once, and a verification that would change nothing.

use super::*;
use crate::domain::RoutingRecord;

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

// ======================================================================= moves that change nothing

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
