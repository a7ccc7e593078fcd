//! The channels' webhooks: the X challenge as a signing oracle, events for another X account,
//! captured events played again after their id was forgotten, long SMS sharing a reference, and
//! secrets too short to be secret. On both storage families.

use crate::channels::{channels, fixture, request, tracking_id_of, Channels, PHONE, X_ACCOUNT};
use chrono::Duration;
use lapor::config::{env, ChannelSecrets};
use lapor::ports::DELIVERY_MEMORY;
use lapor::service::webhooks::{WebhookRequest, WebhookSettings, MAX_EVENT_AGE};
use lapor_tests::families;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Nothing new reached the router or the notifier.
async fn nothing_queued(c: &Channels, what: &str) {
    let f = c.family();
    assert_eq!(
        c.h.drain_router().await,
        0,
        "{f}: {what}: a report was queued"
    );
    assert!(
        c.h.take_notifications().await.is_empty(),
        "{f}: {what}: a notice was queued"
    );
}

async fn crc(c: &Channels, token: &str) -> (u16, Value) {
    let query = HashMap::from([("crc_token".to_string(), token.to_string())]);
    c.call(request("GET", "x", &query, b"")).await
}

#[tokio::test]
async fn the_x_challenge_cannot_sign_a_webhook_body() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        // The forger's body: a direct message "from" a victim, which the CRC used to sign.
        let forged = fixture("x-dm.json").to_string();
        let answer = crc(&c, &forged).await;
        assert_eq!(answer.0, 400, "{f}: {}", answer.1);
        assert_eq!(answer.1["error"], "invalid_crc_token", "{f}");
        assert!(answer.1.get("response_token").is_none(), "{f}");
        for token in ["", "a b", "{", &"x".repeat(129), "tok\u{e9}n"] {
            assert_eq!(crc(&c, token).await.0, 400, "{f}: {token:?}");
        }

        // A token shaped like X's is answered, and its signature verifies only that token as a
        // body: never a JSON object, so it acts on nothing.
        let token = "9b4507b3-9040-4669-9ca3-6b94edb50553";
        let (status, body) = crc(&c, token).await;
        assert_eq!(status, 200, "{f}");
        let signature = body["response_token"].as_str().unwrap().to_string();
        let query = HashMap::new();
        let posted = c
            .call(WebhookRequest {
                content_type: Some("application/json"),
                x_signature: Some(&signature),
                ..request("POST", "x", &query, token.as_bytes())
            })
            .await;
        assert_eq!(posted.0, 400, "{f}: {}", posted.1);
        nothing_queued(&c, "a body signed by the CRC").await;
    }
}

#[tokio::test]
async fn x_events_for_another_account_are_dropped() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let mut dm = fixture("x-dm.json");
        dm["for_user_id"] = json!("999999999");
        let answer = c.x_post(&dm, None).await;
        assert_eq!(answer.0, 200, "{f}: {}", answer.1);
        assert_eq!(answer.1["handled"], json!([]), "{f}");
        nothing_queued(&c, "another account's DM").await;

        // The same DM for our account is taken.
        let ours = c.x_post(&fixture("x-dm.json"), None).await;
        assert_eq!(
            ours.1["handled"],
            json!(["report_created"]),
            "{f}: {}",
            ours.1
        );
        assert_eq!(X_ACCOUNT, fixture("x-dm.json")["for_user_id"], "{f}");
    }
}

#[tokio::test]
async fn a_captured_event_played_again_after_its_id_was_forgotten_is_refused() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let dm = fixture("x-dm.json");
        let wa = fixture("whatsapp-message.json");
        assert_eq!(
            c.x_post(&dm, None).await.1["handled"],
            json!(["report_created"]),
            "{f}"
        );
        assert_eq!(
            c.meta_post(&wa, None).await.1["handled"],
            json!(["report_created"]),
            "{f}"
        );
        c.h.drain_router().await;
        c.h.take_notifications().await;

        // Within the memory, the same posts are duplicates.
        assert_eq!(
            c.x_post(&dm, None).await.1["handled"],
            json!(["duplicate"]),
            "{f}"
        );

        // After the memory of handled ids ran out, the same signed posts are too old to act.
        c.h.clock.advance(DELIVERY_MEMORY + Duration::days(1));
        assert!(
            DELIVERY_MEMORY > MAX_EVENT_AGE,
            "the age limit must be inside the memory"
        );
        let x = c.x_post(&dm, None).await;
        assert_eq!(x.0, 200, "{f}: {}", x.1);
        assert_eq!(x.1["handled"], json!(["stale"]), "{f}");
        let meta = c.meta_post(&wa, None).await;
        assert_eq!(meta.1["handled"], json!(["stale"]), "{f}");
        nothing_queued(&c, "replayed events").await;

        // An event dated in the future is refused too.
        let future =
            lapor_tests::channel_fixture("x-dm.json", c.h.app.clock.now() + Duration::minutes(30));
        assert_eq!(
            c.x_post(&future, None).await.1["handled"],
            json!(["stale"]),
            "{f}"
        );
    }
}

#[tokio::test]
async fn a_second_long_sms_reusing_the_concat_reference_is_its_own_report() {
    for h in families().await {
        let c = &channels(h).await;
        let f = c.family();
        // Handsets wrap an 8-bit reference: two long messages of one sender share "7".
        let part = |id: &str, n: u8, text: &str| {
            json!({
                "from": PHONE, "text": text, "message_id": id,
                "concat_ref": "7", "concat_part": n, "concat_total": 2
            })
            .to_string()
        };
        let sms = |body: String| async move { c.sms_signed(&body, "application/json", 0).await };
        let first_a = sms(part(
            "a-1",
            1,
            "LAPOR Jalan di depan Pasar Kosambi Kota Bandung berlu",
        ))
        .await;
        assert_eq!(first_a.1["result"], "part_stored", "{f}");
        let a = tracking_id_of(
            f,
            &sms(part(
                "a-2",
                2,
                "bang besar sejak bulan lalu, mohon segera ditambal.",
            ))
            .await,
        );

        let first_b = sms(part(
            "b-1",
            1,
            "LAPOR Lampu penerangan di Taman Lansia Kota Bandung ",
        ))
        .await;
        assert_eq!(
            first_b.1["result"], "part_stored",
            "{f}: the first message's parts must not complete the second: {}",
            first_b.1
        );
        let b = tracking_id_of(
            f,
            &sms(part(
                "b-2",
                2,
                "mati semua sejak seminggu, taman gelap dan rawan.",
            ))
            .await,
        );
        assert_ne!(a, b, "{f}");
        assert!(
            c.h.stored(&a)
                .await
                .body
                .starts_with("Jalan di depan Pasar"),
            "{f}"
        );
        assert_eq!(
            c.h.stored(&b).await.body,
            "Lampu penerangan di Taman Lansia Kota Bandung mati semua sejak seminggu, taman gelap dan rawan.",
            "{f}"
        );
        assert_eq!(
            c.reports_of(&format!("phone:{PHONE}")).await.len(),
            2,
            "{f}"
        );
    }
}

#[test]
fn a_webhook_secret_shorter_than_32_bytes_stops_the_function_naming_it() {
    let long = "s".repeat(32);
    let with = |sms: &str, x: Option<&str>| ChannelSecrets {
        sms_webhook_secret: Some(sms.to_string()),
        x_consumer_secret: x.map(str::to_string),
        ..ChannelSecrets::default()
    };
    let short = WebhookSettings::new(&with("s3cret-of-31-bytes-is-too-short", None), None)
        .err()
        .expect("refused");
    assert_eq!(short.name, env::SMS_WEBHOOK_SECRET);
    assert!(!short.to_string().contains("s3cret"), "{short}");
    assert!(WebhookSettings::new(&with(&long, None), None).is_ok());

    // X enabled without its own account: it could not tell its events from another account's.
    let no_account = WebhookSettings::new(&with(&long, Some(&long)), None)
        .err()
        .expect("refused");
    assert_eq!(no_account.name, env::X_ACCOUNT_ID);
    let bad_account = WebhookSettings::new(&with(&long, Some(&long)), Some("@lapor".into()));
    assert_eq!(bad_account.err().expect("refused").name, env::X_ACCOUNT_ID);
    let ok = WebhookSettings::new(&with(&long, Some(&long)), Some(X_ACCOUNT.into())).unwrap();
    assert_eq!(ok.x_account_id.as_deref(), Some(X_ACCOUNT));
    assert_eq!(ok.x_consumer.as_deref(), Some(long.as_bytes()));
}
