//! The lifecycle through the real handlers, on both storage families: officers', verifiers' and
//! reporters' actions, the authorisation matrix, concurrent actions, retries, invalid
//! transitions, notifications and the public feed.

use lapor::domain::{Status, TrackingId};
use lapor_tests::{assert_ok, families, sample_report, Harness, HttpAnswer, Staff, Submitted};
use serde_json::{json, Value};

const INBOX: &str = "GET /v1/agency/reports";
const ONE: &str = "GET /v1/agency/reports/{tracking_id}";

const BANDUNG: &str = "pemda-32.73";

fn bandung() -> Staff {
    Staff::officer("officer-bdg-1", BANDUNG)
}

fn kemenkeu() -> Staff {
    Staff::officer("officer-kemenkeu-1", "kemenkeu")
}

fn djp() -> Staff {
    Staff::officer("officer-djp-1", "djp")
}

fn verifier() -> Staff {
    Staff::verifier("verifier-1")
}

/// A submitted report put straight into `status` at `agency` (set-up for a test's real subject).
async fn placed(h: &Harness, status: Status, agency: Option<&str>) -> Submitted {
    let s = h.submit_ok(&sample_report()).await;
    let id = TrackingId::parse(&s.id).unwrap();
    let mut report = h.app.store.get(&id).await.unwrap().unwrap();
    report.status = status;
    report.agency_id = agency.map(str::to_string);
    report.due_at = None;
    report.version += 1;
    h.app.store.update(&report).await.unwrap();
    s
}

fn listed(a: &HttpAnswer) -> Vec<String> {
    a.body["reports"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", a.text))
        .iter()
        .map(|r| r["tracking_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_whole_lifecycle_runs_through_the_apis() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let report = h.stored(&s.id).await;
        assert_eq!(report.status, Status::Dispositioned, "{f}");
        assert_eq!(report.agency_id.as_deref(), Some(BANDUNG), "{f}");
        // The reporter enters the code their receipt carried: from now on they hear everything.
        h.confirm_contact(&s).await;

        let inbox = h.agency_call(INBOX, None, "", None, Some(&bandung())).await;
        assert_ok(h.family, "inbox", &inbox);
        assert!(listed(&inbox).contains(&s.id), "{f}: {}", inbox.text);
        let view = h
            .agency_call(ONE, Some(&s.id), "", None, Some(&bandung()))
            .await;
        assert_ok(h.family, "view", &view);
        assert_eq!(
            view.body["possible_actions"],
            json!([
                "mark_duplicate",
                "accept",
                "assign",
                "follow_up",
                "request_info",
                "forward"
            ]),
            "{f}"
        );

        let steps: Vec<(&str, Value, Status)> = vec![
            ("a-1", json!({"action": "accept"}), Status::InProgress),
            (
                "a-2",
                json!({"action": "follow_up", "message": "Lampu sudah diganti oleh Dishub."}),
                Status::Responded,
            ),
        ];
        for (action_id, action, expected) in steps {
            let a = h
                .act(
                    &bandung(),
                    &s.id,
                    &format!("action-{action_id}-{f}"),
                    action,
                )
                .await;
            assert_ok(h.family, action_id, &a);
            assert_eq!(a.body["report"]["status"], expected.as_str(), "{f}");
        }
        // The reporter replies: it reopens.
        let a = h
            .reporter_call(
                "replies",
                &s.id,
                Some(&s.token),
                &json!({"message": "Lampu di ujung jalan masih mati."}),
            )
            .await;
        assert_ok(h.family, "reply", &a);
        assert_eq!(a.body["status"], "in_progress", "{f}");
        // The officer asks; the reporter answers; it comes back to in_progress.
        let a = h
            .act(
                &bandung(),
                &s.id,
                &format!("action-a-3-{f}"),
                json!({"action": "request_info", "question": "Nomor tiang lampunya berapa?"}),
            )
            .await;
        assert_ok(h.family, "request_info", &a);
        assert_eq!(a.body["report"]["status"], "deferred", "{f}");
        let a = h
            .reporter_call(
                "replies",
                &s.id,
                Some(&s.token),
                &json!({"message": "Tiang nomor 17."}),
            )
            .await;
        assert_ok(h.family, "answer", &a);
        assert_eq!(a.body["status"], "in_progress", "{f}");
        for (action_id, action) in [
            (
                "a-4",
                json!({"action": "follow_up", "message": "Tiang 17 sudah diperbaiki."}),
            ),
            ("a-5", json!({"action": "close"})),
        ] {
            assert_ok(
                h.family,
                action_id,
                &h.act(
                    &bandung(),
                    &s.id,
                    &format!("action-{action_id}-{f}"),
                    action,
                )
                .await,
            );
        }
        let a = h
            .reporter_call(
                "rating",
                &s.id,
                Some(&s.token),
                &json!({"stars": 5, "comment": "Cepat"}),
            )
            .await;
        assert_ok(h.family, "rating", &a);
        assert_eq!(a.body["status"], "closed", "{f}");
        assert_eq!(a.body["rating"]["stars"], 5, "{f}");
        let again = h
            .reporter_call("rating", &s.id, Some(&s.token), &json!({"stars": 1}))
            .await;
        assert_eq!(again.status, 409, "{f}: {}", again.text);

        // The reporter's view has the whole timeline; each event after submission was notified once.
        let mine = h.get(&s.id, Some(&s.token)).await;
        let actions: Vec<&str> = mine.body["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "submitted",
                "routed",
                "accepted",
                "followed_up",
                "reporter_replied",
                "info_requested",
                "reporter_replied",
                "followed_up",
                "closed",
                "rated"
            ],
            "{f}"
        );
        let notices = h.take_notifications().await;
        let mut ids: Vec<&str> = notices
            .iter()
            .filter(|n| {
                n.tracking_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
                    == s.id
            })
            .map(|n| n.notification_id.as_str())
            .collect();
        ids.sort();
        ids.dedup();
        // One per event: the receipt (with the code) for `submitted`, then one per action.
        assert_eq!(ids.len(), actions.len(), "{f}: {ids:?}");
        for n in &notices {
            // Only the routing notice came before the contact was confirmed.
            let confirmed = n.event != "routed";
            assert_eq!(n.recipient_sealed.is_some(), confirmed, "{f}: {}", n.event);
        }
    }
}

#[tokio::test]
async fn verifiers_triage_and_officers_forward_without_dropping_the_report() {
    for h in families().await {
        let f = h.family;
        let s = placed(&h, Status::NeedsTriage, None).await;
        let triage = h
            .agency_call(INBOX, None, "", None, Some(&verifier()))
            .await;
        assert_ok(h.family, "triage", &triage);
        assert!(listed(&triage).contains(&s.id), "{f}");

        let a = h
            .act(
                &verifier(),
                &s.id,
                &format!("action-v-1-{f}"),
                json!({"action": "verify", "agency_id": "kemenkeu"}),
            )
            .await;
        assert_ok(h.family, "verify", &a);
        assert_eq!(a.body["report"]["status"], "dispositioned", "{f}");
        let triage = h
            .agency_call(INBOX, None, "", None, Some(&verifier()))
            .await;
        assert!(!listed(&triage).contains(&s.id), "{f}: still in triage");
        let inbox = h
            .agency_call(INBOX, None, "", None, Some(&kemenkeu()))
            .await;
        assert!(listed(&inbox).contains(&s.id), "{f}");

        // Not ours: Kemenkeu forwards to Bandung; Kemenkeu loses access, Bandung gains it.
        let a = h
            .act(
                &kemenkeu(),
                &s.id,
                &format!("action-k-1-{f}"),
                json!({"action": "forward", "agency_id": BANDUNG, "reason": "Lampu jalan urusan pemkot."}),
            )
            .await;
        assert_ok(h.family, "forward", &a);
        assert_eq!(a.body["report"]["agency_id"], BANDUNG, "{f}");
        let old = h
            .agency_call(ONE, Some(&s.id), "", None, Some(&kemenkeu()))
            .await;
        assert_eq!(old.status, 403, "{f}: {}", old.text);
        let old_inbox = h
            .agency_call(INBOX, None, "", None, Some(&kemenkeu()))
            .await;
        assert!(!listed(&old_inbox).contains(&s.id), "{f}");
        let act_after = h
            .act(
                &kemenkeu(),
                &s.id,
                &format!("action-k-2-{f}"),
                json!({"action": "accept"}),
            )
            .await;
        assert_eq!(act_after.status, 403, "{f}: {}", act_after.text);
        let new_inbox = h.agency_call(INBOX, None, "", None, Some(&bandung())).await;
        assert!(listed(&new_inbox).contains(&s.id), "{f}");
        assert_ok(
            h.family,
            "new holder",
            &h.act(
                &bandung(),
                &s.id,
                &format!("action-b-1-{f}"),
                json!({"action": "accept"}),
            )
            .await,
        );

        // Both human routing decisions became examples for learning.
        let examples = h.examples.examples().await.unwrap();
        let mine: Vec<&str> = examples
            .iter()
            .filter(|e| e.tracking_id.to_string() == s.id)
            .map(|e| e.expected_agency.as_str())
            .collect();
        assert!(
            mine.contains(&"kemenkeu") && mine.contains(&BANDUNG),
            "{f}: {mine:?}"
        );
    }
}

#[tokio::test]
async fn the_authorisation_matrix_holds() {
    for h in families().await {
        let f = h.family;
        let s = placed(&h, Status::Dispositioned, Some("kemenkeu")).await;
        let other = placed(&h, Status::Dispositioned, Some(BANDUNG)).await;

        // Nobody without claims: the function refuses even if a route were left open.
        let none = h.agency_call(INBOX, None, "", None, None).await;
        assert_eq!(none.status, 401, "{f}: {}", none.text);
        let none = h.agency_call(ONE, Some(&s.id), "", None, None).await;
        assert_eq!(none.status, 401, "{f}");
        // Another institution's officer neither sees nor acts.
        let seen = h
            .agency_call(ONE, Some(&s.id), "", None, Some(&bandung()))
            .await;
        assert_eq!(seen.status, 403, "{f}");
        let acted = h
            .act(
                &bandung(),
                &s.id,
                &format!("action-x-1-{f}"),
                json!({"action": "accept"}),
            )
            .await;
        assert_eq!(acted.status, 403, "{f}");
        // Roles: an officer cannot verify, a verifier cannot do the officer's work.
        let a = h
            .act(
                &kemenkeu(),
                &s.id,
                &format!("action-x-2-{f}"),
                json!({"action": "verify", "agency_id": "kemenkeu"}),
            )
            .await;
        assert_eq!(a.status, 403, "{f}: {}", a.text);
        let a = h
            .act(
                &verifier(),
                &s.id,
                &format!("action-x-3-{f}"),
                json!({"action": "accept"}),
            )
            .await;
        assert_eq!(a.status, 403, "{f}: {}", a.text);
        // Verifiers see every report and any institution's inbox.
        assert_ok(
            h.family,
            "verifier view",
            &h.agency_call(ONE, Some(&s.id), "", None, Some(&verifier()))
                .await,
        );
        let any = h
            .agency_call(INBOX, None, "agency=kemenkeu", None, Some(&verifier()))
            .await;
        assert!(listed(&any).contains(&s.id), "{f}");

        // A work unit: Kemenkeu assigns to DJP; DJP sees it in its box and works on it, but
        // cannot re-assign; Kemenkeu keeps access.
        let a = h
            .act(
                &kemenkeu(),
                &s.id,
                &format!("action-x-4-{f}"),
                json!({"action": "assign", "work_unit": "djp"}),
            )
            .await;
        assert_ok(h.family, "assign", &a);
        let unit_box = h
            .agency_call(INBOX, None, "box=work_unit", None, Some(&djp()))
            .await;
        assert!(listed(&unit_box).contains(&s.id), "{f}: {}", unit_box.text);
        let a = h
            .act(
                &djp(),
                &s.id,
                &format!("action-x-5-{f}"),
                json!({"action": "assign", "work_unit": "djp"}),
            )
            .await;
        assert_eq!(a.status, 403, "{f}: {}", a.text);
        assert_ok(
            h.family,
            "unit follow-up",
            &h.act(
                &djp(),
                &s.id,
                &format!("action-x-6-{f}"),
                json!({"action": "follow_up", "message": "Sudah dicek."}),
            )
            .await,
        );
        assert_ok(
            h.family,
            "holder view",
            &h.agency_call(ONE, Some(&s.id), "", None, Some(&kemenkeu()))
                .await,
        );

        // A reporter's token opens only its own report.
        let wrong = h
            .reporter_call(
                "replies",
                &other.id,
                Some(&s.token),
                &json!({"message": "Halo"}),
            )
            .await;
        assert_eq!(wrong.status, 401, "{f}");
        let none = h.reporter_call("withdraw", &s.id, None, &json!({})).await;
        assert_eq!(none.status, 401, "{f}");
        assert_eq!(h.get(&other.id, Some(&s.token)).await.status, 401, "{f}");
        // The reporter's token is no staff token (the authorizer gives it no claims).
        let req = lapor_tests::api_request(
            INBOX,
            None,
            "",
            None,
            &[("authorization", &format!("Bearer {}", s.token))],
            None,
        );
        let a = lapor_tests::answer(agency::handle(&h.app, req).await.unwrap());
        assert_eq!(a.status, 401, "{f}");
    }
}

#[tokio::test]
async fn of_two_officers_acting_at_once_one_wins_and_the_other_gets_409() {
    for h in families().await {
        let f = h.family;
        for round in 0..5 {
            let s = placed(&h, Status::Dispositioned, Some(BANDUNG)).await;
            let one = Staff::officer("officer-bdg-1", BANDUNG);
            let two = Staff::officer("officer-bdg-2", BANDUNG);
            let (id_one, id_two) = (
                format!("action-c1-{round}-{f}"),
                format!("action-c2-{round}-{f}"),
            );
            let (a, b) = tokio::join!(
                h.act(&one, &s.id, &id_one, json!({"action": "accept"})),
                h.act(&two, &s.id, &id_two, json!({"action": "accept"})),
            );
            let mut codes = [a.status, b.status];
            codes.sort();
            assert_eq!(codes, [200, 409], "{f}: {} / {}", a.text, b.text);
            let report = h.stored(&s.id).await;
            let accepted = report
                .timeline
                .iter()
                .filter(|e| e.action == "accepted")
                .count();
            assert_eq!(accepted, 1, "{f}");
        }
    }
}

#[tokio::test]
async fn invalid_actions_get_a_clear_4xx_and_change_nothing() {
    for h in families().await {
        let f = h.family;
        let s = placed(&h, Status::Dispositioned, Some(BANDUNG)).await;
        h.take_notifications().await;
        let before = h.stored(&s.id).await;
        let cases: Vec<(Value, u16, &str)> = vec![
            (json!({"action": "close"}), 409, "invalid_transition"),
            (
                json!({"action": "follow_up", "message": "   "}),
                422,
                "validation_failed",
            ),
            (
                json!({"action": "forward", "agency_id": "no-such-agency", "reason": "x"}),
                422,
                "validation_failed",
            ),
            (
                json!({"action": "forward", "agency_id": BANDUNG, "reason": "x"}),
                422,
                "validation_failed",
            ),
            (
                json!({"action": "assign", "work_unit": "pemda-32"}),
                422,
                "validation_failed",
            ),
            (json!({"action": "fly_to_the_moon"}), 400, "invalid_type"),
            (json!({"action": "accept", "extra": 1}), 400, "invalid_type"),
            (
                json!({"action": "reply", "message": "officers cannot"}),
                403,
                "forbidden",
            ),
        ];
        for (i, (action, code, error)) in cases.into_iter().enumerate() {
            let a = h
                .act(
                    &bandung(),
                    &s.id,
                    &format!("action-bad-{i}-{f}"),
                    action.clone(),
                )
                .await;
            assert_eq!(a.status, code, "{f}: {action}: {}", a.text);
            assert_eq!(a.body["error"], error, "{f}: {action}");
            assert!(
                !a.body["message"].as_str().unwrap_or_default().is_empty(),
                "{f}"
            );
        }
        let missing_id = h
            .agency_call(
                "POST /v1/agency/reports/{tracking_id}/actions",
                Some(&s.id),
                "",
                Some(&json!({"action": "accept"})),
                Some(&bandung()),
            )
            .await;
        assert_eq!(missing_id.status, 422, "{f}: {}", missing_id.text);
        let unknown = h
            .act(
                &bandung(),
                "ZZZZZZZZZZ",
                &format!("action-u-{f}"),
                json!({"action": "accept"}),
            )
            .await;
        assert_eq!(unknown.status, 404, "{f}");
        let bad_query = h
            .agency_call(INBOX, None, "status=lost", None, Some(&bandung()))
            .await;
        assert_eq!(bad_query.status, 400, "{f}");
        let bad_cursor = h
            .agency_call(INBOX, None, "cursor=abc", None, Some(&bandung()))
            .await;
        assert_eq!(bad_cursor.status, 400, "{f}");
        let bad_rating = h
            .reporter_call("rating", &s.id, Some(&s.token), &json!({"stars": 5}))
            .await;
        assert_eq!(
            bad_rating.status, 409,
            "{f}: rating before any follow-up: {}",
            bad_rating.text
        );

        assert_eq!(
            h.stored(&s.id).await,
            before,
            "{f}: a refused action changed the report"
        );
        assert!(
            h.take_notifications().await.is_empty(),
            "{f}: a refused action notified"
        );
    }
}

#[tokio::test]
async fn a_retried_action_is_answered_not_repeated() {
    for h in families().await {
        let f = h.family;
        let s = placed(&h, Status::Dispositioned, Some(BANDUNG)).await;
        let id = format!("action-retry-{f}");
        let first = h
            .act(&bandung(), &s.id, &id, json!({"action": "accept"}))
            .await;
        assert_ok(h.family, "first", &first);
        assert_eq!(first.body["replayed"], false, "{f}");
        let version = h.stored(&s.id).await.version;
        let again = h
            .act(&bandung(), &s.id, &id, json!({"action": "accept"}))
            .await;
        assert_ok(h.family, "again", &again);
        assert_eq!(again.body["replayed"], true, "{f}");
        assert_eq!(h.stored(&s.id).await.version, version, "{f}");
        // The notice is queued again with the same id (the notifier drops the repeat).
        let notices = h.take_notifications().await;
        let accepted: Vec<_> = notices
            .iter()
            .filter(|n| {
                n.tracking_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
                    == s.id
                    && n.event == "accepted"
            })
            .collect();
        assert!(accepted.len() >= 2, "{f}");
        assert!(
            accepted
                .iter()
                .all(|n| n.notification_id == accepted[0].notification_id),
            "{f}"
        );
        let reused = h
            .act(
                &bandung(),
                &s.id,
                &id,
                json!({"action": "follow_up", "message": "Beres."}),
            )
            .await;
        assert_eq!(reused.status, 409, "{f}: {}", reused.text);
        assert_eq!(reused.body["error"], "action_id_reused", "{f}");
    }
}

#[tokio::test]
async fn the_reporter_withdraws_and_the_public_feed_lists_only_public_reports() {
    for h in families().await {
        let f = h.family;
        let public = h.submit_routed(&sample_report()).await;
        let mut secret_body = sample_report();
        secret_body["confidential"] = true.into();
        let secret = h.submit_routed(&secret_body).await;
        let withdrawn = h.submit_routed(&sample_report()).await;

        let a = h
            .reporter_call(
                "withdraw",
                &withdrawn.id,
                Some(&withdrawn.token),
                &json!({"reason": "Sudah beres sendiri."}),
            )
            .await;
        assert_ok(h.family, "withdraw", &a);
        assert_eq!(a.body["status"], "archived", "{f}");
        let again = h
            .reporter_call(
                "withdraw",
                &withdrawn.id,
                Some(&withdrawn.token),
                &json!({}),
            )
            .await;
        assert_eq!(again.status, 409, "{f}");

        for query in ["", &format!("agency={BANDUNG}")] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let q = match &cursor {
                    Some(c) => format!("{query}&limit=2&cursor={c}"),
                    None => format!("{query}&limit=2"),
                };
                let page = h.feed(q.trim_start_matches('&')).await;
                assert_eq!(page.status, 200, "{f}: {}", page.text);
                seen.extend(listed(&page));
                match page.body["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
            assert!(seen.contains(&public.id), "{f} {query}");
            assert!(
                !seen.contains(&secret.id),
                "{f} {query}: confidential listed"
            );
            assert!(
                !seen.contains(&withdrawn.id),
                "{f} {query}: archived listed"
            );
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), seen.len(), "{f}: a report listed twice");
        }
        let filtered = h.feed("status=closed").await;
        assert!(!listed(&filtered).contains(&public.id), "{f}");
        assert_eq!(h.feed("status=nope").await.status, 400, "{f}");
        assert_eq!(h.feed("limit=1000").await.status, 400, "{f}");
    }
}

// ============================================================= what citizens read (issue 14)

/// `text`'s offset as RFC 3339 writes it (`+07:00`...).
fn offset_of(text: &Value) -> String {
    let text = text
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {text}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .offset()
        .to_string()
}

#[tokio::test]
async fn the_public_reads_the_institutions_answers_and_the_rating_never_the_reporters_words() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let act = |id: &'static str, body: Value| {
            let h = &h;
            let s = &s;
            async move {
                let a = h
                    .act(&bandung(), &s.id, &format!("{id}-{}", h.family), body)
                    .await;
                assert_ok(h.family, id, &a);
            }
        };
        act("pub-1", json!({"action": "accept"})).await;
        act(
            "pub-2",
            json!({"action": "follow_up", "message": "Lampu sudah diganti."}),
        )
        .await;
        let reply = "Masih mati, rumah saya nomor 12 di samping Pak Budi.";
        let a = h
            .reporter_call("replies", &s.id, Some(&s.token), &json!({"message": reply}))
            .await;
        assert_ok(h.family, "reply", &a);
        act(
            "pub-3",
            json!({"action": "follow_up", "message": "Kabel yang putus sudah disambung."}),
        )
        .await;
        act(
            "pub-4",
            json!({"action": "close", "message": "Lampu menyala kembali sejak Selasa."}),
        )
        .await;
        let a = h
            .reporter_call(
                "rating",
                &s.id,
                Some(&s.token),
                &json!({"stars": 4, "comment": "Cukup cepat"}),
            )
            .await;
        assert_ok(h.family, "rating", &a);

        let public = h.get(&s.id, None).await;
        assert_ok(h.family, "public view", &public);
        let notes: Vec<(&str, &str)> = public.body["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| Some((e["action"].as_str()?, e["note"].as_str()?)))
            .collect();
        assert_eq!(
            notes,
            [
                ("followed_up", "Lampu sudah diganti."),
                ("followed_up", "Kabel yang putus sudah disambung."),
                ("closed", "Lampu menyala kembali sejak Selasa."),
            ],
            "{f}: {}",
            public.text
        );
        assert!(!public.text.contains("Pak Budi"), "{f}: {}", public.text);
        assert_eq!(
            public.body["rating"],
            json!({"stars": 4, "comment": "Cukup cepat", "at": public.body["rating"]["at"]}),
            "{f}"
        );
        // The feed carries the latest answer and the stars.
        let feed = h.feed("").await;
        let item = feed.body["reports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["tracking_id"] == s.id.as_str())
            .unwrap_or_else(|| panic!("{f}: not in the feed: {}", feed.text))
            .clone();
        assert_eq!(
            (item["latest_answer"].clone(), item["rating"].clone()),
            (json!("Lampu menyala kembali sejak Selasa."), json!(4)),
            "{f}: {item}"
        );
        assert!(!feed.text.contains("Pak Budi"), "{f}");

        // A confidential report shows none of it.
        let mut confidential = sample_report();
        confidential["confidential"] = json!(true);
        let c = h.submit_routed(&confidential).await;
        let a = h
            .act(
                &bandung(),
                &c.id,
                &format!("pub-5-{f}"),
                json!({"action": "follow_up", "message": "Ditindaklanjuti secara tertutup."}),
            )
            .await;
        assert_ok(h.family, "follow_up", &a);
        let hidden = h.get(&c.id, None).await;
        assert!(
            !hidden.text.contains("tertutup") && hidden.body.get("timeline").is_none(),
            "{f}: {}",
            hidden.text
        );
    }
}

#[tokio::test]
async fn the_reporters_timeline_carries_no_internal_notes_and_local_times() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let stored = h.stored(&s.id).await;
        let reason = stored.timeline[1].note.clone().unwrap_or_default();
        assert!(!reason.is_empty(), "{f}: the router gave a reason");
        let mine = h.get(&s.id, Some(&s.token)).await;
        assert_ok(h.family, "reporter view", &mine);
        assert!(!mine.text.contains(&reason), "{f}: {}", mine.text);
        for e in mine.body["timeline"].as_array().unwrap() {
            assert_eq!(e.get("note"), None, "{f}: {e}");
            // Kota Bandung: WIB.
            assert_eq!(offset_of(&e["at"]), "+07:00", "{f}: {e}");
        }
        assert_eq!(offset_of(&mine.body["expected_datetime"]), "+07:00", "{f}");
        assert_eq!(offset_of(&mine.body["created_at"]), "+07:00", "{f}");
        let public = h.get(&s.id, None).await;
        assert_eq!(
            offset_of(&public.body["expected_datetime"]),
            "+07:00",
            "{f}"
        );

        // The texts meant for the reporter stay: a question, their own answer.
        let a = h
            .act(
                &bandung(),
                &s.id,
                &format!("note-1-{f}"),
                json!({"action": "request_info", "question": "Di tiang nomor berapa?"}),
            )
            .await;
        assert_ok(h.family, "request_info", &a);
        let mine = h.get(&s.id, Some(&s.token)).await;
        let last = mine.body["timeline"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(
            (last["action"].clone(), last["note"].clone()),
            (json!("info_requested"), json!("Di tiang nomor berapa?")),
            "{f}"
        );
    }
}

#[tokio::test]
async fn a_report_in_wita_shows_wita_times() {
    for h in families().await {
        let f = h.family;
        // Kota Denpasar (Bali, 51.71): WITA, +08:00, whichever institution the router picks there.
        let s = h
            .submit_routed(&json!({
                "kind": "complaint",
                "title": "Lampu jalan mati",
                "body": "Lampu penerangan jalan di Jalan Gatot Subroto Denpasar mati dua minggu.",
                "region_code": "51.71.01",
                "location_text": "Jalan Gatot Subroto"
            }))
            .await;
        let mine = h.get(&s.id, Some(&s.token)).await;
        assert_ok(h.family, "reporter view", &mine);
        let agency = mine.body["agency"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(agency.starts_with("pemda-51"), "{f}: {}", mine.text);
        for e in mine.body["timeline"].as_array().unwrap() {
            assert_eq!(offset_of(&e["at"]), "+08:00", "{f}: {e}");
        }
        assert_eq!(offset_of(&mine.body["expected_datetime"]), "+08:00", "{f}");
    }
}

#[tokio::test]
async fn the_holder_marks_a_duplicate_after_dispatch_and_both_are_linked() {
    for h in families().await {
        let f = h.family;
        let first = h.submit_routed(&sample_report()).await;
        let second = h.submit_routed(&sample_report()).await;
        let a = h
            .act(
                &bandung(),
                &second.id,
                &format!("dup-0-{f}"),
                json!({"action": "accept"}),
            )
            .await;
        assert_ok(h.family, "accept", &a);
        h.take_notifications().await;
        let a = h
            .act(
                &bandung(),
                &second.id,
                &format!("dup-1-{f}"),
                json!({"action": "mark_duplicate", "duplicate_of": first.id}),
            )
            .await;
        assert_ok(h.family, "mark_duplicate", &a);
        let archived = h.stored(&second.id).await;
        assert_eq!(archived.status, Status::Archived, "{f}");
        assert_eq!(
            archived.duplicate_of.as_ref().map(|t| t.to_string()),
            Some(first.id.clone()),
            "{f}"
        );
        let original = h.stored(&first.id).await;
        assert_eq!(
            original
                .duplicates
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>(),
            std::slice::from_ref(&second.id),
            "{f}"
        );
        assert_eq!(original.status, Status::Dispositioned, "{f}");
        // The public sees the link on the open one.
        let public = h.get(&first.id, None).await;
        assert_eq!(public.body["duplicates"], json!([second.id]), "{f}");
        // The reporter hears which report goes on.
        let notices: Vec<_> = h
            .take_notifications()
            .await
            .into_iter()
            .filter(|n| n.event == "marked_duplicate")
            .collect();
        assert_eq!(notices.len(), 1, "{f}: {notices:?}");
        assert!(
            notices[0].text.contains(&first.id),
            "{f}: {}",
            notices[0].text
        );

        // Not a duplicate of another institution's report, nor of a closed one, nor by a unit.
        let elsewhere = h.submit_routed(&sample_report()).await;
        let mut other = h.stored(&elsewhere.id).await;
        other.agency_id = Some("pemda-32".into());
        other.version += 1;
        h.app.store.update(&other).await.unwrap();
        let third = h.submit_routed(&sample_report()).await;
        let refused = h
            .act(
                &bandung(),
                &third.id,
                &format!("dup-2-{f}"),
                json!({"action": "mark_duplicate", "duplicate_of": elsewhere.id}),
            )
            .await;
        assert_eq!(refused.status, 422, "{f}: {}", refused.text);
        assert!(
            refused
                .text
                .contains("that report is not held by the institution that holds this one"),
            "{f}: {}",
            refused.text
        );
        let refused = h
            .act(
                &bandung(),
                &third.id,
                &format!("dup-3-{f}"),
                json!({"action": "mark_duplicate", "duplicate_of": second.id}),
            )
            .await;
        assert_eq!(refused.status, 422, "{f}: {}", refused.text);
        assert!(
            refused
                .text
                .contains("that report is closed or archived: mark a duplicate of an open one"),
            "{f}: {}",
            refused.text
        );
        assert_eq!(
            h.stored(&third.id).await.status,
            Status::Dispositioned,
            "{f}"
        );
    }
}

#[tokio::test]
async fn verifying_after_the_reporters_answer_needs_an_institution() {
    for h in families().await {
        let f = h.family;
        let s = h
            .submit_routed(&json!({
                "kind": "complaint",
                "title": "Tetangga berisik",
                "body": "Tetangga saya setiap malam menyalakan musik keras sampai jam dua pagi."
            }))
            .await;
        assert_eq!(h.stored(&s.id).await.status, Status::NeedsTriage, "{f}");
        let a = h
            .act(
                &verifier(),
                &s.id,
                &format!("ver-1-{f}"),
                json!({"action": "defer", "question": "Di kota mana?"}),
            )
            .await;
        assert_ok(h.family, "defer", &a);
        let a = h
            .reporter_call(
                "replies",
                &s.id,
                Some(&s.token),
                &json!({"message": "Di Kota Bandung, Kecamatan Sukajadi."}),
            )
            .await;
        assert_ok(h.family, "reply", &a);
        let refused = h
            .act(
                &verifier(),
                &s.id,
                &format!("ver-2-{f}"),
                json!({"action": "verify"}),
            )
            .await;
        assert_eq!(refused.status, 422, "{f}: {}", refused.text);
        assert!(
            refused.text.contains(
                "the reporter answered a question after the router chose: name the institution \
                 that fits the answer"
            ),
            "{f}: {}",
            refused.text
        );
        let a = h
            .act(
                &verifier(),
                &s.id,
                &format!("ver-3-{f}"),
                json!({"action": "verify", "agency_id": BANDUNG}),
            )
            .await;
        assert_ok(h.family, "verify", &a);
        assert_eq!(
            h.stored(&s.id).await.agency_id.as_deref(),
            Some(BANDUNG),
            "{f}"
        );
    }
}

#[tokio::test]
async fn an_information_request_gets_ten_working_days_extendable_once_by_seven() {
    for h in families().await {
        let f = h.family;
        let mut request = sample_report();
        request["kind"] = json!("information_request");
        request["title"] = json!("Anggaran penerangan jalan");
        request["body"] =
            json!("Mohon informasi anggaran penerangan jalan umum Kota Bandung tahun ini.");
        let s = h.submit_routed(&request).await;
        let routed = h.stored(&s.id).await;
        assert_eq!(routed.agency_id.as_deref(), Some(BANDUNG), "{f}");
        // Routed Monday 1 December 2025: ten working days, Tue 2 .. Mon 15 December.
        let ten = chrono::DateTime::parse_from_rfc3339("2025-12-15T23:59:59.999+07:00").unwrap();
        assert_eq!(routed.deadline.unwrap().at, ten, "{f}");
        let a = h
            .act(
                &bandung(),
                &s.id,
                &format!("ext-1-{f}"),
                json!({"action": "extend", "reason": "Data anggaran ada di BPKAD."}),
            )
            .await;
        assert_ok(h.family, "extend", &a);
        // Seven more: Tue 16 .. Wed 24 December (Thursday 25 is Christmas).
        let extended = h.stored(&s.id).await;
        assert_eq!(
            extended.deadline.unwrap().at,
            chrono::DateTime::parse_from_rfc3339("2025-12-24T23:59:59.999+07:00").unwrap(),
            "{f}"
        );
        assert_eq!(extended.due_at, extended.deadline.map(|d| d.at), "{f}");
        // The requester reads the reason.
        let mine = h.get(&s.id, Some(&s.token)).await;
        let last = mine.body["timeline"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(
            (last["action"].clone(), last["note"].clone()),
            (
                json!("deadline_extended"),
                json!("Data anggaran ada di BPKAD.")
            ),
            "{f}"
        );
        let again = h
            .act(
                &bandung(),
                &s.id,
                &format!("ext-2-{f}"),
                json!({"action": "extend", "reason": "Lagi."}),
            )
            .await;
        assert_eq!(again.status, 409, "{f}: {}", again.text);
        assert_eq!(again.body["error"], "already_done", "{f}");
        // A complaint is not extended.
        let c = h.submit_routed(&sample_report()).await;
        let refused = h
            .act(
                &bandung(),
                &c.id,
                &format!("ext-3-{f}"),
                json!({"action": "extend", "reason": "Butuh waktu."}),
            )
            .await;
        assert_eq!(refused.status, 409, "{f}: {}", refused.text);
        assert_eq!(refused.body["error"], "not_for_this_report", "{f}");
        assert_eq!(
            refused.body["message"],
            "only an information request's deadline may be extended (UU 14/2008)",
            "{f}"
        );
    }
}
