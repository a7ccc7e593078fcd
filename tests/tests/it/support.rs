//! Support ("me too") on both storage families: a reporter supports another public report once,
//! with their own report's access token; the count shows in the views and the feed; supporters
//! hear the institution's answers; a merge makes the duplicate's reporter and supporters follow
//! the kept report.

use lapor::lifecycle::Notification;
use lapor_tests::{assert_ok, families, sample_report, Harness, Staff, Submitted};
use serde_json::json;

const BANDUNG: &str = "pemda-32.73";

fn officer() -> Staff {
    Staff::officer("officer-bdg-1", BANDUNG)
}

/// The sample report from another person (their own phone and e-mail).
fn from_person(n: u32) -> serde_json::Value {
    let mut report = sample_report();
    report["reporter"] = json!({
        "name": format!("Warga {n}"),
        "phone": format!("0812-5550-{n:04}"),
        "email": format!("warga{n}@example.id")
    });
    report
}

/// A routed report of person `n` who confirmed their contact: they can be told.
async fn confirmed(h: &Harness, n: u32) -> Submitted {
    let s = h.submit_routed(&from_person(n)).await;
    h.confirm_contact(&s).await;
    s
}

async fn support(h: &Harness, target: &str, from: &Submitted) -> lapor_tests::HttpAnswer {
    h.reporter_call(
        "support",
        target,
        Some(&from.token),
        &json!({ "from_report": from.id }),
    )
    .await
}

/// The notices queued for `s`'s reporter's contact about `about`.
async fn told(h: &Harness, s: &Submitted, about: &str) -> Vec<Notification> {
    let contact = h.stored(&s.id).await.reporter_sealed;
    h.take_notifications()
        .await
        .into_iter()
        .filter(|n| n.recipient_sealed == contact)
        .filter(|n| n.tracking_id.as_ref().is_some_and(|t| t.as_str() == about))
        .collect()
}

#[tokio::test]
async fn a_reporter_supports_a_public_report_once_and_hears_its_answers() {
    for h in families().await {
        let f = h.family;
        let original = h.submit_routed(&sample_report()).await;
        let mine = confirmed(&h, 1).await;

        let first = support(&h, &original.id, &mine).await;
        assert_ok(f, "support", &first);
        assert_eq!(first.body["counted"], true, "{f}: {}", first.text);
        assert_eq!(first.body["supporters"], 1, "{f}");
        let again = support(&h, &original.id, &mine).await;
        assert_ok(f, "support again", &again);
        assert_eq!(again.body["counted"], false, "{f}: once per person");
        assert_eq!(again.body["supporters"], 1, "{f}");

        // Refusals change nothing.
        let stranger = h.submit_routed(&from_person(4)).await;
        let wrong_token = h
            .reporter_call(
                "support",
                &original.id,
                Some(&stranger.token),
                &json!({ "from_report": mine.id }),
            )
            .await;
        assert_eq!(wrong_token.status, 401, "{f}: {}", wrong_token.text);
        let no_token = h
            .reporter_call(
                "support",
                &original.id,
                None,
                &json!({ "from_report": mine.id }),
            )
            .await;
        assert_eq!(no_token.status, 401, "{f}");
        let own = support(&h, &mine.id, &mine).await;
        assert_eq!(own.status, 409, "{f}: {}", own.text);
        assert_eq!(own.body["error"], "own_report", "{f}");
        let unknown = h
            .reporter_call(
                "support",
                &original.id,
                Some(&mine.token),
                &json!({ "from_report": "ZZZZZZZZZZ" }),
            )
            .await;
        assert_eq!(unknown.status, 404, "{f}");
        let extra = h
            .reporter_call(
                "support",
                &original.id,
                Some(&mine.token),
                &json!({ "from_report": mine.id, "count": 100 }),
            )
            .await;
        assert_eq!(extra.status, 400, "{f}: {}", extra.text);
        let mut secret = sample_report();
        secret["confidential"] = true.into();
        let secret = h.submit_routed(&secret).await;
        let hidden = support(&h, &secret.id, &mine).await;
        assert_eq!(
            hidden.status, 404,
            "{f}: a confidential report is not told apart"
        );
        // A report with an unconfirmed contact, or none an institution holds, does not make a
        // person: anyone can type anyone's number.
        let unconfirmed = support(&h, &original.id, &stranger).await;
        assert_eq!(unconfirmed.status, 409, "{f}: {}", unconfirmed.text);
        assert_eq!(unconfirmed.body["error"], "contact_unconfirmed", "{f}");
        let waiting = h
            .submit_routed(&json!({
                "kind": "complaint",
                "title": "Tetangga berisik",
                "body": "Tetangga saya setiap malam menyalakan musik keras sampai jam dua pagi.",
                "reporter": {"phone": "0812-5550-0009"}
            }))
            .await;
        h.confirm_contact(&waiting).await;
        let unheld = support(&h, &original.id, &waiting).await;
        assert_eq!(unheld.status, 409, "{f}: {}", unheld.text);
        assert_eq!(unheld.body["error"], "from_report_not_held", "{f}");
        // The same person with another report of theirs counts once.
        let mine_again = h.submit_routed(&from_person(1)).await;
        h.confirm_contact(&mine_again).await;
        let same_person = support(&h, &original.id, &mine_again).await;
        assert_eq!(
            same_person.body["counted"], false,
            "{f}: {}",
            same_person.text
        );
        assert_eq!(h.stored(&original.id).await.supporters.len(), 1, "{f}");

        // The count shows; who supports never does.
        let public = h.get(&original.id, None).await;
        assert_eq!(public.body["supporters"], 1, "{f}: {}", public.text);
        let feed = h.feed(&format!("agency={BANDUNG}")).await;
        let line = feed.body["reports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["tracking_id"] == original.id.as_str())
            .expect("listed");
        assert_eq!(line["supporters"], 1, "{f}");
        for view in [&public.text, &line.to_string()] {
            assert!(
                !view.contains(&mine.id),
                "{f}: the supporter's report shows"
            );
        }

        // The institution's answers reach the supporter on their own contact.
        h.take_notifications().await;
        let answer = json!({"action": "follow_up", "message": "Lampu sudah kami ganti hari ini."});
        assert_ok(
            f,
            "follow_up",
            &h.act(&officer(), &original.id, "fu-000001", answer).await,
        );
        let notices = told(&h, &mine, &original.id).await;
        assert_eq!(notices.len(), 1, "{f}: {notices:?}");
        assert!(notices[0].notification_id.ends_with(":d0"), "{f}");
        assert!(
            notices[0].text.contains("yang Anda dukung")
                && notices[0].text.contains("Lampu sudah kami ganti hari ini."),
            "{f}: {}",
            notices[0].text
        );
        let close = json!({"action": "close", "message": "Selesai, terima kasih."});
        assert_ok(
            f,
            "close",
            &h.act(&officer(), &original.id, "close-0001", close).await,
        );
        let closed = told(&h, &mine, &original.id).await;
        assert_eq!(closed.len(), 1, "{f}");
        assert!(
            closed[0].text.contains("telah selesai"),
            "{f}: {}",
            closed[0].text
        );
        let other = confirmed(&h, 5).await;
        let late = support(&h, &original.id, &other).await;
        assert_eq!(late.status, 409, "{f}");
        assert_eq!(late.body["error"], "not_open", "{f}");
    }
}

#[tokio::test]
async fn a_merge_makes_the_duplicates_reporter_and_supporters_follow_the_kept_report() {
    for h in families().await {
        let f = h.family;
        let kept = h.submit_routed(&sample_report()).await;
        let repeat = confirmed(&h, 2).await;
        let fan = confirmed(&h, 3).await;
        assert_eq!(
            support(&h, &repeat.id, &fan).await.body["counted"],
            true,
            "{f}"
        );
        h.take_notifications().await;

        let merge = json!({"action": "mark_duplicate", "duplicate_of": kept.id});
        assert_ok(
            f,
            "mark_duplicate",
            &h.act(&officer(), &repeat.id, "dup-000001", merge).await,
        );
        let supporters = h.stored(&kept.id).await.supporters;
        let fan_as_supporter = h.stored(&repeat.id).await.supporters;
        assert_eq!(
            supporters.len(),
            2,
            "{f}: the repeat's reporter and its supporter"
        );
        assert_eq!(
            supporters[1].key, fan_as_supporter[0].key,
            "{f}: the fan, as they were"
        );
        assert!(
            supporters.iter().all(|s| s.key.starts_with("sender:")),
            "{f}"
        );
        assert_ne!(supporters[0].key, supporters[1].key, "{f}");
        // The repeat's supporter is told where the handling goes on.
        let moved = told(&h, &fan, &repeat.id).await;
        assert_eq!(moved.len(), 1, "{f}: {moved:?}");
        assert!(moved[0].text.contains(&kept.id), "{f}: {}", moved[0].text);

        let answer = json!({"action": "follow_up", "message": "Sedang kami perbaiki."});
        assert_ok(
            f,
            "follow_up",
            &h.act(&officer(), &kept.id, "fu-000002", answer).await,
        );
        let all = h.take_notifications().await;
        for s in [&repeat, &fan] {
            let contact = h.stored(&s.id).await.reporter_sealed;
            assert!(
                all.iter().any(|n| n.recipient_sealed == contact
                    && n.tracking_id
                        .as_ref()
                        .is_some_and(|t| t.as_str() == kept.id)
                    && n.text.contains("Sedang kami perbaiki.")),
                "{f}: {} is not told the kept report's answer",
                s.id
            );
        }
    }
}
