//! What leaves the crate: the stable names of actions and events, the JSON form of actions, and
//! the HTTP status and code each lifecycle error answers with.

use super::*;
use crate::api::ServiceError;

// ==================================================================================== HTTP meaning

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
        let api = ServiceError::from(error.clone());
        assert_eq!(crate::api::http_status(&api), status, "{error:?}");
        assert_eq!(crate::api::error_code(&api), code, "{error:?}");
    }
    match ServiceError::from(LifecycleError::Invalid(fields.clone())) {
        ServiceError::Invalid(got) => assert_eq!(got, fields),
        other => panic!("{other:?}"),
    }
    let not_now = ServiceError::from(LifecycleError::NotNow {
        action: "accept",
        status: "closed",
    });
    assert_eq!(
        not_now.to_string(),
        "`accept` is not possible while the report is closed"
    );
}

// ====================================================================================== wire names

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
            ("extend", "deadline_extended"),
            ("remind", "reminded"),
            ("take_over", "taken_over"),
            ("reply", "reporter_replied"),
            ("rate", "rated"),
            ("withdraw", "withdrawn"),
            ("route", "routed"),
            ("send_to_triage", "sent_to_triage"),
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
        let back = serde_json::from_value::<Action>(json.clone());
        if matches!(action, Action::Route { .. } | Action::SendToTriage { .. }) {
            // The router's own actions are never taken from a client's request.
            assert!(back.is_err(), "{json}");
        } else {
            assert_eq!(back.unwrap(), action);
        }
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
