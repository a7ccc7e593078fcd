//! Every way a submission can be wrong gets its 4xx and stores nothing.

use lapor::ports::{Clock, QueueName};
use lapor_tests::{families, sample_report};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn rejected_requests_store_and_queue_nothing() {
    for h in families().await {
        let big_body = "x".repeat(70_000);
        let mut long = sample_report();
        long["body"] = json!("kata ".repeat(2_000));
        let mut unknown_region = sample_report();
        unknown_region["region_code"] = json!("99.99");
        let mut control = sample_report();
        control["title"] = json!("Lampu\u{0000}mati");
        let mut wrong_type = sample_report();
        wrong_type["anonymous"] = json!("yes");
        let mut unknown_field = sample_report();
        unknown_field["nik"] = json!("3273010101010001");
        let cases: Vec<(String, u16, &str)> = vec![
            ("{\"kind\": ".into(), 400, "malformed_json"),
            ("[1,2,3]".into(), 400, "malformed_json"),
            (wrong_type.to_string(), 400, "invalid_type"),
            (unknown_field.to_string(), 400, "invalid_type"),
            (big_body, 413, "payload_too_large"),
            (long.to_string(), 422, "validation_failed"),
            (unknown_region.to_string(), 422, "validation_failed"),
            (control.to_string(), 422, "validation_failed"),
            ("{}".into(), 422, "validation_failed"),
        ];
        for (body, status, code) in cases {
            let req = lapor_tests::post_report_request(&body, &[]);
            let a = lapor_tests::answer(intake::handle(&h.app, req).await.unwrap());
            assert_eq!(a.status, status, "{}: {}", h.family, &a.text);
            assert_eq!(a.body["error"], code);
            assert!(a.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        let queued = h
            .receiver
            .receive(QueueName::Intake, 10, Duration::ZERO)
            .await
            .unwrap();
        assert!(
            queued.is_empty(),
            "{}: a rejected request queued something",
            h.family
        );
        let due = h
            .app
            .store
            .due(h.clock.now() + chrono::Duration::days(1), 10)
            .await
            .unwrap();
        assert!(
            due.reports.is_empty(),
            "{}: a rejected request stored a report",
            h.family
        );
    }
}

#[tokio::test]
async fn validation_names_every_failing_field() {
    let h = lapor_tests::embedded().await;
    let a = h
        .submit(
            &json!({"kind": "rant", "title": "", "body": "pendek", "region_code": "00",
                    "lat": 100.0, "lon": 10.0, "reporter": {"email": "bukan-email"}}),
            &[],
        )
        .await;
    assert_eq!(a.status, 422);
    let fields: Vec<&str> = a.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "kind",
            "title",
            "body",
            "region_code",
            "lat",
            "reporter.email"
        ]
    );
}

// ------------------------------------------- where the service and its README once disagreed

/// `version` of the stored report: a refused action must leave it as it was.
async fn version_of(h: &lapor_tests::Harness, id: &str) -> u64 {
    h.stored(id).await.version
}

/// README: "control characters (other than newline and tab in the body) and
/// bidirectional-override characters are refused, in a report and in every action's text".
#[tokio::test]
async fn lifecycle_texts_refuse_control_and_bidirectional_characters() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let officer = lapor_tests::Staff::officer("officer-bdg-1", "pemda-32.73");
        let before = version_of(&h, &s.id).await;
        let bad = [
            "Sudah\u{202E}diganti",
            "Sudah \u{1b}[31m diganti",
            "Lampu\u{2066}x",
        ];
        for (i, text) in bad.iter().enumerate() {
            for (action, field) in [
                (json!({"action": "follow_up", "message": text}), "message"),
                (
                    json!({"action": "request_info", "question": text}),
                    "question",
                ),
                (
                    json!({"action": "forward", "agency_id": "kemenkeu", "reason": text}),
                    "reason",
                ),
                (json!({"action": "close", "message": text}), "message"),
            ] {
                let id = format!("bidi-{i}-{}", action["action"].as_str().unwrap());
                let a = h.act(&officer, &s.id, &id, action.clone()).await;
                // `close` is not possible while dispositioned: the text is checked first or the
                // transition refused, never stored.
                assert!(
                    a.status == 422 || a.status == 409,
                    "{f} {action}: {}",
                    a.text
                );
                if a.status == 422 {
                    assert_eq!(a.body["fields"][0]["field"], field, "{f} {action}");
                }
            }
            for (what, body, field) in [
                ("replies", json!({ "message": text }), "message"),
                ("withdraw", json!({ "reason": text }), "reason"),
            ] {
                let a = h.reporter_call(what, &s.id, Some(&s.token), &body).await;
                assert_eq!(a.status, 422, "{f} {what}: {}", a.text);
                assert_eq!(a.body["fields"][0]["field"], field, "{f} {what}");
            }
        }
        // The verifier's note and question, on a report in triage.
        let verifier = lapor_tests::Staff::verifier("verifier-1");
        let a = h
            .act(
                &verifier,
                &s.id,
                "bidi-verify",
                json!({"action": "verify", "agency_id": "kemenkeu", "note": "a\u{202D}b"}),
            )
            .await;
        assert_eq!(a.status, 422, "{f}: {}", a.text);
        assert_eq!(a.body["fields"][0]["field"], "note", "{f}");
        assert_eq!(
            version_of(&h, &s.id).await,
            before,
            "{f}: a refused text changed the report"
        );
    }
}

/// The reporter's routes read `Idempotency-Key` with intake's rule (`400
/// invalid_idempotency_key`), not with `action_id`'s.
#[tokio::test]
async fn reporter_routes_check_the_idempotency_key_like_intake() {
    let h = lapor_tests::embedded().await;
    let s = h.submit_routed(&sample_report()).await;
    let before = version_of(&h, &s.id).await;
    let auth = format!("Bearer {}", s.token);
    let call = |key: &'static str| {
        let req = lapor_tests::api_request(
            "POST /v1/reports/{tracking_id}/replies",
            Some(&s.id),
            "",
            Some(r#"{"message": "Masih mati sampai hari ini."}"#),
            &[("authorization", &auth), ("idempotency-key", key)],
            None,
        );
        async { lapor_tests::answer(reporter::handle(&h.app, req).await.unwrap()) }
    };
    for key in [
        "abcdefgh",                             // 8 characters: an action id, not a key
        "short-key-15chr",                      // 15
        "a key with spaces in it, long enough", // not A-Z a-z 0-9 - _
        "abc.def.ghi.jkl.mno.pqr.stu",          // dots
    ] {
        let a = call(key).await;
        assert_eq!(a.status, 400, "{key}: {}", a.text);
        assert_eq!(a.body["error"], "invalid_idempotency_key", "{key}");
        assert!(a.body.get("fields").is_none(), "{key}: names no field");
    }
    assert_eq!(version_of(&h, &s.id).await, before);
    let a = call("0b9c7f64-4f3e-4c2a-9d55-6a1e2f3b4c5d").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let again = call("0b9c7f64-4f3e-4c2a-9d55-6a1e2f3b4c5d").await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["replayed"], true, "{}", again.text);
}

/// `action_id` is visible ASCII: a space (or anything outside `!`..`~`) is refused, named.
#[tokio::test]
async fn an_action_id_is_visible_ascii_without_spaces() {
    let h = lapor_tests::embedded().await;
    let s = h.submit_routed(&sample_report()).await;
    let officer = lapor_tests::Staff::officer("officer-bdg-1", "pemda-32.73");
    for id in [
        "9f0c 1d2e-accept",
        "9f0c1d2é-accept",
        "short",
        &"x".repeat(129),
    ] {
        let a = h
            .act(&officer, &s.id, id, json!({"action": "accept"}))
            .await;
        assert_eq!(a.status, 422, "{id:?}: {}", a.text);
        assert_eq!(a.body["fields"][0]["field"], "action_id");
        let message = a.body["fields"][0]["message"].as_str().unwrap();
        assert!(message.contains("visible ASCII"), "{message}");
    }
    let a = h
        .act(
            &officer,
            &s.id,
            "!~9f0c1d2e-accept",
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// An empty SMS is answered like a too short one (how to use the service); the X CRC check
/// without a token is `invalid_crc_token` like any token outside X's shape.
#[tokio::test]
async fn an_empty_sms_gets_help_and_a_missing_crc_token_is_invalid() {
    let c = crate::channels::channels(lapor_tests::embedded().await).await;
    for (text, id) in [
        ("", "gw-empty-1"),
        ("   ", "gw-empty-2"),
        ("halo", "gw-empty-3"),
    ] {
        let (status, body) = c.sms("+6285700011122", text, id).await;
        assert_eq!(status, 200, "{text:?}: {body}");
        assert_eq!(body["result"], "help_sent", "{text:?}");
    }
    let none = std::collections::HashMap::new();
    let empty = std::collections::HashMap::from([("crc_token".to_string(), String::new())]);
    for query in [&none, &empty] {
        let (status, body) = c
            .call(crate::channels::request("GET", "x", query, b""))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_crc_token");
    }
    // A signed body that is not the provider's shape: `malformed_payload`, as the README says.
    let (status, body) = c
        .sms_signed(r#"{"text": "halo"}"#, "application/json", 0)
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "malformed_payload");
}

/// The lifecycle table (`ActionKind::rule`), `possible_actions` and `apply` say the same thing:
/// for every status and role, an action is offered exactly when `apply` does not refuse it for
/// the role or the status. A verifier may `verify` a `dispositioned` report (moving it to another
/// institution before it is taken on), and the table says so.
#[test]
fn possible_actions_are_what_apply_allows() {
    use lapor::domain::{Actor, Status};
    use lapor::lifecycle::{apply, possible_actions, Action, Context, LifecycleError};
    let directory = lapor::directory::Directory::builtin();
    let ctx = Context {
        now: lapor_tests::start_time(),
        directory: &directory,
        deadlines: lapor::deadlines::Deadlines::builtin(),
    };
    let actors = [
        Actor::Verifier {
            officer_id: Some("v-1".into()),
        },
        Actor::Officer {
            agency_id: "pemda-32.73".into(),
            officer_id: Some("o-1".into()),
        },
        Actor::Reporter,
    ];
    let samples = [
        Action::Verify {
            agency_id: Some("kemenkeu".into()),
            note: None,
        },
        Action::Defer {
            question: "Di mana tepatnya?".into(),
        },
        Action::Archive {
            reason: lapor::domain::ArchiveReason::TooGeneral,
        },
        Action::MarkDuplicate {
            duplicate_of: "G4KBGQWVED".into(),
        },
        Action::Accept {},
        Action::Assign {
            work_unit: "pemda-32.73".into(),
        },
        Action::FollowUp {
            message: "Sudah diperbaiki.".into(),
        },
        Action::RequestInfo {
            question: "Di mana tepatnya?".into(),
        },
        Action::Forward {
            agency_id: "kemenkeu".into(),
            reason: "Bukan kewenangan kami.".into(),
        },
        Action::Close { message: None },
        Action::Reply {
            message: "Terima kasih.".into(),
        },
        Action::Rate {
            stars: 5,
            comment: None,
        },
        Action::Withdraw { reason: None },
    ];
    for status in Status::ALL {
        let mut report = lapor_tests::minimal_report(lapor_tests::start_time());
        report.status = status;
        // As the lifecycle leaves it: no institution holds a report before it is verified.
        report.agency_id = (!matches!(status, Status::Received | Status::NeedsTriage))
            .then(|| "pemda-32.73".into());
        report.deferred_from = Some(Status::InProgress);
        for actor in &actors {
            let offered = possible_actions(&report, actor);
            for action in &samples {
                let refused_here = matches!(
                    apply(&report, actor, action, None, &ctx),
                    Err(LifecycleError::Forbidden(_) | LifecycleError::NotNow { .. })
                );
                // `assign` to the institution itself fails its field check, not its rule.
                assert_eq!(
                    offered.contains(&action.name()),
                    !refused_here,
                    "{status:?} {actor:?} {}",
                    action.name()
                );
            }
        }
    }
}
