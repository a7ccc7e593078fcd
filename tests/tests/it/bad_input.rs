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
