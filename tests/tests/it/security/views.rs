//! What the views and actions give away, and to whom: unverified and withdrawn reports' text on
//! the public view, officers' identities in the reporter's view, an unreadable token taken for
//! none, an officer's own forward refused on retry, terminal escapes in action texts, and the
//! state's senders made to message any number typed into a report. On both storage families.

use crate::channels::channels;
use lapor::domain::Status;
use lapor_tests::{answer, families, get_report_request, sample_report, Harness, Staff, Submitted};
use serde_json::{json, Value};

const BANDUNG: &str = "pemda-32.73";

fn has_content(view: &Value) -> bool {
    view.get("title").is_some() || view.get("body").is_some() || view.get("timeline").is_some()
}

#[tokio::test]
async fn an_unverified_or_withdrawn_report_shows_only_its_status_publicly() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_ok(&sample_report()).await;
        // Received, nobody has looked at it yet: anything could be in it.
        let public = h.get(&s.id, None).await;
        assert_eq!(public.status, 200, "{f}");
        assert_eq!(public.body["status"], "received", "{f}");
        assert!(!has_content(&public.body), "{f}: {}", public.text);

        // Routed to Kota Bandung: verified, public.
        h.drain_router().await;
        let public = h.get(&s.id, None).await;
        assert_eq!(
            public.body["title"], "Lampu jalan mati",
            "{f}: {}",
            public.text
        );

        // Withdrawn: its text leaves the public view at once.
        let w = h
            .reporter_call("withdraw", &s.id, Some(&s.token), &json!({}))
            .await;
        assert_eq!(w.status, 200, "{f}: {}", w.text);
        let public = h.get(&s.id, None).await;
        assert_eq!(public.body["status"], "archived", "{f}");
        assert!(!has_content(&public.body), "{f}: {}", public.text);
        // The reporter still sees all of it.
        let mine = h.get(&s.id, Some(&s.token)).await;
        assert_eq!(mine.body["title"], "Lampu jalan mati", "{f}");
    }
}

#[tokio::test]
async fn the_reporters_view_names_roles_and_institutions_never_officers_or_action_ids() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let officer = Staff::officer("nip-198107212005011003", BANDUNG);
        let a = h
            .act(
                &officer,
                &s.id,
                "act-accept-8d1f3c",
                json!({"action": "accept"}),
            )
            .await;
        assert_eq!(a.status, 200, "{f}: {}", a.text);
        let mine = h.get(&s.id, Some(&s.token)).await;
        assert!(
            !mine.text.contains("nip-198107212005011003"),
            "{f}: {}",
            mine.text
        );
        assert!(
            !mine.text.contains("act-accept-8d1f3c"),
            "{f}: {}",
            mine.text
        );
        let accepted = mine.body["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "accepted")
            .unwrap_or_else(|| panic!("{f}: {}", mine.text))
            .clone();
        assert_eq!(accepted["actor"], "officer", "{f}");
        assert_eq!(accepted["agency_id"], BANDUNG, "{f}");
    }
}

#[tokio::test]
async fn an_unreadable_authorization_header_is_401_not_the_public_view() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let mut req = get_report_request(&s.id, None);
        let value = http::HeaderValue::from_bytes("Bearer tok\u{e9}n".as_bytes()).unwrap();
        req.headers_mut().insert("authorization", value);
        let a = answer(status::handle(&h.app, req).await.unwrap());
        assert_eq!(a.status, 401, "{f}: {}", a.text);
    }
}

#[tokio::test]
async fn an_officer_retrying_their_own_forward_hears_it_was_done() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let officer = Staff::officer("officer-bdg-7", BANDUNG);
        let forward = json!({"action": "forward", "agency_id": "pemda-32",
                             "reason": "Jalan provinsi, bukan kewenangan kota."});
        let first = h
            .act(&officer, &s.id, "fwd-6c2d9e1a", forward.clone())
            .await;
        assert_eq!(first.status, 200, "{f}: {}", first.text);
        // The answer was lost; the officer's client retries the same action.
        let retry = h
            .act(&officer, &s.id, "fwd-6c2d9e1a", forward.clone())
            .await;
        assert_eq!(retry.status, 200, "{f}: {}", retry.text);
        assert_eq!(retry.body["replayed"], true, "{f}");
        assert_eq!(retry.body["report"]["agency_id"], "pemda-32", "{f}");
        assert!(
            retry.body["report"].get("body").is_none(),
            "{f}: {}",
            retry.text
        );
        // Another officer of the old institution, or a new action, is still refused.
        let colleague = Staff::officer("officer-bdg-8", BANDUNG);
        let other = h.act(&colleague, &s.id, "fwd-6c2d9e1a", forward).await;
        assert_eq!(other.status, 403, "{f}: {}", other.text);
        let new = h
            .act(&officer, &s.id, "accept-after", json!({"action": "accept"}))
            .await;
        assert_eq!(new.status, 403, "{f}: {}", new.text);
    }
}

#[tokio::test]
async fn action_texts_refuse_terminal_escapes_and_bidi_overrides() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let officer = Staff::officer("officer-bdg-1", BANDUNG);
        let accepted = h
            .act(&officer, &s.id, "accept-1", json!({"action": "accept"}))
            .await;
        assert_eq!(accepted.status, 200, "{f}");
        let before = h.stored(&s.id).await;
        let escape = "Sudah diperbaiki \u{1b}[2J\u{1b}[31mAKUN DIRETAS";
        let bidi = "Selesai \u{202e}nakuharabrepid\u{202c} hari ini";
        for (action, field) in [
            (json!({"action": "follow_up", "message": escape}), "message"),
            (
                json!({"action": "request_info", "question": bidi}),
                "question",
            ),
            (
                json!({"action": "forward", "agency_id": "pemda-32", "reason": escape}),
                "reason",
            ),
        ] {
            let a = h
                .act(&officer, &s.id, &format!("bad-{field}"), action)
                .await;
            assert_eq!(a.status, 422, "{f}: {field}: {}", a.text);
            assert_eq!(a.body["fields"][0]["field"], field, "{f}: {}", a.text);
        }
        for (what, body, field) in [
            ("replies", json!({"message": escape}), "message"),
            ("withdraw", json!({"reason": bidi}), "reason"),
        ] {
            let a = h.reporter_call(what, &s.id, Some(&s.token), &body).await;
            assert_eq!(a.status, 422, "{f}: {what}: {}", a.text);
            assert_eq!(a.body["fields"][0]["field"], field, "{f}: {}", a.text);
        }
        assert_eq!(h.stored(&s.id).await, before, "{f}: nothing changed");

        // Newlines and tabs are text, and a browser's CRLF is stored as a newline.
        let ok = h
            .act(
                &officer,
                &s.id,
                "follow-up-ok",
                json!({"action": "follow_up", "message": "Sudah diganti:\r\n\t- lampu 1\r\n\t- lampu 2"}),
            )
            .await;
        assert_eq!(ok.status, 200, "{f}: {}", ok.text);
        let stored = h.stored(&s.id).await;
        assert_eq!(
            stored.timeline.last().unwrap().note.as_deref(),
            Some("Sudah diganti:\n\t- lampu 1\n\t- lampu 2"),
            "{f}"
        );
        // A rating comment is held to the same rule.
        let rate = h
            .reporter_call(
                "rating",
                &s.id,
                Some(&s.token),
                &json!({"stars": 4, "comment": escape}),
            )
            .await;
        assert_eq!(rate.status, 422, "{f}: {}", rate.text);
        assert_eq!(rate.body["fields"][0]["field"], "comment", "{f}");
    }
}

/// The notices queued for `s` so far, by event.
async fn notices_of(h: &Harness, s: &Submitted) -> Vec<lapor::lifecycle::Notification> {
    h.take_notifications()
        .await
        .into_iter()
        .filter(|n| n.tracking_id.as_ref().is_some_and(|t| t.as_str() == s.id))
        .collect()
}

#[tokio::test]
async fn a_number_typed_into_a_report_hears_only_the_receipt_until_confirmed() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let code = h.contact_code(&s).await;
        let notices = notices_of(&h, &s).await;
        let receipt = notices
            .iter()
            .find(|n| n.event == "submitted")
            .expect("a receipt");
        assert!(receipt.recipient_sealed.is_some(), "{f}");
        assert!(
            receipt.text.contains(&code) && receipt.text.contains(&s.id),
            "{f}: {}",
            receipt.text
        );
        let routed = notices
            .iter()
            .find(|n| n.event == "routed")
            .expect("routed");
        assert!(
            routed.recipient_sealed.is_none(),
            "{f}: routed notice to an unconfirmed contact"
        );
        let mine = h.get(&s.id, Some(&s.token)).await;
        assert_eq!(mine.body["contact_unconfirmed"], true, "{f}");

        // A wrong code counts; the right one confirms.
        let wrong = if code == "000000" { "000001" } else { "000000" };
        let a = h
            .reporter_call(
                "contact/confirm",
                &s.id,
                Some(&s.token),
                &json!({"code": wrong}),
            )
            .await;
        assert_eq!(a.status, 422, "{f}: {}", a.text);
        assert_eq!(a.body["fields"][0]["field"], "code", "{f}");
        let no_token = h
            .reporter_call("contact/confirm", &s.id, None, &json!({"code": code}))
            .await;
        assert_eq!(no_token.status, 401, "{f}");
        h.confirm_contact(&s).await;
        assert_eq!(
            h.get(&s.id, Some(&s.token)).await.body["contact_unconfirmed"],
            false,
            "{f}"
        );

        // From now on the institution's notices reach the contact.
        let officer = Staff::officer("officer-bdg-1", BANDUNG);
        h.act(&officer, &s.id, "accept-c", json!({"action": "accept"}))
            .await;
        let after = notices_of(&h, &s).await;
        assert!(
            after.iter().all(|n| n.recipient_sealed.is_some()),
            "{f}: {after:?}"
        );

        // Guessing is bounded: after five wrong codes the code stops working.
        let t = h.submit_ok(&sample_report()).await;
        let right = h.contact_code(&t).await;
        let wrong = if right == "999999" {
            "999998"
        } else {
            "999999"
        };
        for _ in 0..5 {
            let a = h
                .reporter_call(
                    "contact/confirm",
                    &t.id,
                    Some(&t.token),
                    &json!({"code": wrong}),
                )
                .await;
            assert_eq!(a.status, 422, "{f}: {}", a.text);
        }
        let locked = h
            .reporter_call(
                "contact/confirm",
                &t.id,
                Some(&t.token),
                &json!({"code": right}),
            )
            .await;
        assert_eq!(locked.status, 409, "{f}: {}", locked.text);
        assert_eq!(locked.body["error"], "too_many_attempts", "{f}");
        assert_eq!(h.stored(&t.id).await.status, Status::Received, "{f}");
    }
}

#[tokio::test]
async fn one_recipient_gets_at_most_the_daily_cap_of_notices() {
    for h in families().await {
        let mut c = channels(h).await;
        let f = c.family();
        c.notifier.daily_cap = 3;
        // Five reports typed with the same victim's number: each sends only its receipt, and the
        // cap bounds even those.
        let mut report = sample_report();
        report["reporter"] = json!({"phone": "0812-9999-0000"});
        for _ in 0..5 {
            c.h.submit_ok(&report).await;
        }
        let deliveries = c.notify().await;
        let sent = c.sms_to("+6281299990000");
        assert_eq!(sent.len(), 3, "{f}: {sent:?} / {deliveries:?}");
        let letters =
            c.h.receiver
                .dead_letters(lapor::ports::QueueName::Notifications)
                .await
                .unwrap();
        let capped: Vec<&String> = letters
            .iter()
            .map(|m| &m.body)
            .filter(|b| b.contains("daily cap"))
            .collect();
        assert_eq!(capped.len(), 2, "{f}: {letters:?}");
        assert!(
            capped.iter().all(|b| !b.contains("6281299990000")),
            "{f}: no number in a letter"
        );

        // A notice counted once is not counted again when the queue delivers it again.
        let counted =
            c.h.channel_state
                .count_notice("r#day", "n-1", 1, c.h.app.clock.now())
                .await
                .unwrap();
        let again =
            c.h.channel_state
                .count_notice("r#day", "n-1", 1, c.h.app.clock.now())
                .await
                .unwrap();
        let other =
            c.h.channel_state
                .count_notice("r#day", "n-2", 1, c.h.app.clock.now())
                .await
                .unwrap();
        assert_eq!((counted, again, other), (true, true, false), "{f}");
    }
}
