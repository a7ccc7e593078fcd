//! The report pipeline end to end, through the real handlers and real event shapes, on every
//! storage family: intake -> queue -> router -> store -> status.

use lapor::ports::{Clock, QueueName};
use lapor_tests::{families, sample_report, sqs_event, Harness};
use serde_json::json;
use std::time::Duration;

async fn submit_ok(h: &Harness, body: &serde_json::Value) -> (String, String) {
    let a = h.submit(body, &[]).await;
    assert_eq!(a.status, 201, "{}: {}", h.family, a.text);
    (
        a.body["tracking_id"].as_str().unwrap().to_string(),
        a.body["access_token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_submitted_report_is_routed_and_visible() {
    for h in families().await {
        let (id, token) = submit_ok(&h, &sample_report()).await;
        let before = h.get(&id, None).await;
        assert_eq!(before.status, 200);
        assert_eq!(before.body["status"], "received", "{}", h.family);

        assert_eq!(h.drain_router().await, 1, "{}", h.family);
        let public = h.get(&id, None).await;
        assert_eq!(
            public.body["status"], "dispositioned",
            "{}: {}",
            h.family, public.text
        );
        assert_eq!(public.body["agency"]["id"], "pemda-32.73");
        assert_eq!(
            public.body["status_label"]["id"],
            "Terdisposisi Belum Ditindaklanjuti"
        );
        let actions: Vec<&str> = public.body["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["submitted", "routed"]);
        for secret in ["Siti", "3456", "siti@example.id", &token] {
            assert!(
                !public.text.contains(secret),
                "{}: public view leaks {secret}",
                h.family
            );
        }

        let own = h.get(&id, Some(&token)).await;
        assert_eq!(own.status, 200);
        assert_eq!(own.body["reporter"]["name"], "Siti Rahayu");
        assert_eq!(own.body["reporter"]["phone"], "+6281234567890");
        assert_eq!(h.get(&id, Some("wrong-token")).await.status, 401);
        assert_eq!(h.get("ZZZZZZZZZZ", None).await.status, 404);
    }
}

#[tokio::test]
async fn a_confidential_report_shows_only_its_status() {
    for h in families().await {
        let mut body = sample_report();
        body["confidential"] = json!(true);
        body["anonymous"] = json!(true);
        let (id, token) = submit_ok(&h, &body).await;
        h.drain_router().await;
        let public = h.get(&id, None).await;
        let keys: Vec<&String> = public.body.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "confidential",
                "deadline_step",
                "expected_datetime",
                "status",
                "status_label",
                "tracking_id"
            ],
            "{}: {}",
            h.family,
            public.text
        );
        assert!(!public.text.contains("Lampu"));
        let own = h.get(&id, Some(&token)).await;
        assert_eq!(own.body["title"], "Lampu jalan mati");
    }
}

#[tokio::test]
async fn a_message_delivered_twice_changes_nothing_the_second_time() {
    for h in families().await {
        let (id, _) = submit_ok(&h, &sample_report()).await;
        h.drain_router().await;
        let first = h
            .app
            .store
            .get(&lapor::domain::TrackingId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        // The same message again, as SQS may deliver it.
        let body = json!({ "tracking_id": id }).to_string();
        let response = router::handle(&h.router, sqs_event(&[&body]))
            .await
            .unwrap();
        assert!(response.batch_item_failures.is_empty());
        let second = h.app.store.get(&first.tracking_id).await.unwrap().unwrap();
        assert_eq!(first, second, "{}", h.family);
        assert_eq!(second.version, 2);
    }
}

#[tokio::test]
async fn a_poison_message_ends_in_the_dead_letter_queue_and_its_batch_succeeds() {
    for h in families().await {
        let (good_a, _) = submit_ok(&h, &sample_report()).await;
        h.app
            .queue
            .send(QueueName::Intake, "{not json")
            .await
            .unwrap();
        let (good_b, _) = submit_ok(&h, &sample_report()).await;

        // One batch holds the poison and both good messages: only the poison comes back.
        let event_bodies = [
            json!({ "tracking_id": good_a }).to_string(),
            "{not json".to_string(),
            json!({ "tracking_id": good_b }).to_string(),
        ];
        let refs: Vec<&str> = event_bodies.iter().map(String::as_str).collect();
        let response = router::handle(&h.router, sqs_event(&refs)).await.unwrap();
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["msg-1"], "{}", h.family);

        // Through the queue: the poison fails on every receive and moves to the DLQ after
        // maxReceiveCount receives; the good ones are routed and deleted.
        let max = lapor::template::Template::builtin().queue_settings()[&QueueName::Intake]
            .max_receive_count;
        for _ in 0..=max + 1 {
            lapor::lambda::sqs::pump_once(
                &*h.receiver,
                QueueName::Intake,
                10,
                Duration::ZERO,
                |event| router::handle(&h.router, event),
            )
            .await
            .unwrap();
        }
        let dead = h.receiver.dead_letters(QueueName::Intake).await.unwrap();
        assert_eq!(dead.len(), 1, "{}", h.family);
        assert_eq!(dead[0].body, "{not json");
        for id in [good_a, good_b] {
            assert_eq!(
                h.get(&id, None).await.body["status"],
                "dispositioned",
                "{}",
                h.family
            );
        }
        let left = h
            .receiver
            .receive(QueueName::Intake, 10, Duration::ZERO)
            .await
            .unwrap();
        assert!(left.is_empty(), "{}: {left:?}", h.family);
    }
}

#[tokio::test]
async fn a_whole_failed_batch_is_an_error_so_every_message_returns() {
    for h in families().await {
        let result = router::handle(&h.router, sqs_event(&["nope", "{}"])).await;
        assert!(result.is_err(), "{}", h.family);
    }
}

#[tokio::test]
async fn intake_is_idempotent_under_an_idempotency_key() {
    for h in families().await {
        let key = [("Idempotency-Key", "3f1c9a52-7d0e-4b8e-9a61-0c2d5e7f8a90")];
        let first = h.submit(&sample_report(), &key).await;
        assert_eq!(first.status, 201, "{}: {}", h.family, first.text);
        // The same body with keys in another order and other whitespace is the same request.
        let reordered: serde_json::Value =
            serde_json::from_str(&sample_report().to_string()).unwrap();
        let again = h.submit(&reordered, &key).await;
        assert_eq!(again.status, 201);
        assert_eq!(
            again.body, first.body,
            "{}: same tracking id and token",
            h.family
        );
        assert_eq!(
            h.drain_router().await,
            1,
            "{}: only one report was queued",
            h.family
        );

        let mut other = sample_report();
        other["title"] = json!("Judul yang lain sama sekali");
        let conflict = h.submit(&other, &key).await;
        assert_eq!(conflict.status, 409, "{}", h.family);
        assert_eq!(conflict.body["error"], "idempotency_key_reused");

        let short = h
            .submit(&sample_report(), &[("Idempotency-Key", "abc")])
            .await;
        assert_eq!(short.status, 400);
    }
}

#[tokio::test]
async fn a_report_whose_queue_send_failed_is_routed_by_the_sweep() {
    for h in families().await {
        // Store a report without queueing it: what an intake that crashed after its write leaves.
        let (id, _) = submit_ok(&h, &sample_report()).await;
        let _ = h
            .receiver
            .receive(QueueName::Intake, 10, Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!(h.drain_router().await, 0);

        let early = lapor::service::sweep::requeue_unrouted(&h.app, h.clock.now(), 100)
            .await
            .unwrap();
        assert_eq!(
            early.requeued, 0,
            "{}: not due before the grace period",
            h.family
        );
        h.clock.advance(chrono::Duration::minutes(3));
        let swept = lapor::service::sweep::requeue_unrouted(&h.app, h.clock.now(), 100)
            .await
            .unwrap();
        assert_eq!(swept.requeued, 1, "{}", h.family);
        assert_eq!(h.drain_router().await, 1);
        assert_eq!(h.get(&id, None).await.body["status"], "dispositioned");
        // Routed reports leave the due index: the next sweep has nothing to do.
        let after = lapor::service::sweep::requeue_unrouted(&h.app, h.clock.now(), 100)
            .await
            .unwrap();
        assert_eq!((after.items_read, after.requeued), (0, 0), "{}", h.family);
    }
}

#[tokio::test]
async fn reports_without_a_location_go_to_triage() {
    for h in families().await {
        let (id, _) = submit_ok(
            &h,
            &json!({
                "kind": "complaint",
                "title": "Tetangga berisik",
                "body": "Tetangga saya setiap malam menyalakan musik keras sampai jam dua pagi."
            }),
        )
        .await;
        h.drain_router().await;
        let view = h.get(&id, None).await;
        assert_eq!(
            view.body["status"], "needs_triage",
            "{}: {}",
            h.family, view.text
        );
        assert!(view.body["agency"].is_null());
    }
}
