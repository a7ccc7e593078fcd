//! Idempotency keys: a web client's key can neither swallow a channel message nor tell whether
//! one was received; a key seen later is worth the tracking id only; a key must be unguessable;
//! a key that cannot be read is refused, never ignored. On both storage families.

use crate::channels::{channels, tracking_id_of, PHONE};
use chrono::Duration;
use lapor::crypto::sha256_hex;
use lapor::domain::Channel;
use lapor::ports::{IdempotencyOrigin, IdempotencyRecord};
use lapor_tests::{answer, families, minimal_report, post_report_request, sample_report, Harness};

const KEY: &str = "3f2b8c1e-9d4a-4e6b-8f70-1a2b3c4d5e6f";

/// The key the channels derive from a provider's message id (`service::channels`), as an
/// attacker reading the source would compute it.
fn channel_key(channel: Channel, provider_message_id: &str) -> String {
    let channel = serde_json::to_string(&channel).unwrap();
    format!(
        "inbound:{}",
        &sha256_hex(format!("{channel}:{provider_message_id}").as_bytes())[..40]
    )
}

async fn submit_with_key(
    h: &Harness,
    body: &serde_json::Value,
    key: &str,
) -> lapor_tests::HttpAnswer {
    h.submit(body, &[("idempotency-key", key)]).await
}

#[tokio::test]
async fn a_web_key_equal_to_a_channel_message_key_cannot_swallow_the_sms() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let text = "LAPOR Pipa PDAM bocor di Jl. Sukajadi Kota Bandung, air terbuang sejak kemarin";

        // Before the citizen's SMS arrives, a web client sends its future key.
        let planted =
            submit_with_key(&c.h, &sample_report(), &channel_key(Channel::Sms, "gw-77")).await;
        assert_eq!(planted.status, 400, "{f}: {}", planted.text);
        assert_eq!(planted.body["error"], "invalid_idempotency_key", "{f}");
        // The SMS still becomes its report.
        let id = tracking_id_of(f, &c.sms(PHONE, text, "gw-77").await);
        assert!(c.h.stored(&id).await.body.starts_with("Pipa PDAM"), "{f}");

        // After it arrived, the same probe answers exactly as for a message never received:
        // nothing tells whether the id was seen.
        let probe =
            submit_with_key(&c.h, &sample_report(), &channel_key(Channel::Sms, "gw-77")).await;
        let never =
            submit_with_key(&c.h, &sample_report(), &channel_key(Channel::Sms, "gw-404")).await;
        assert_eq!(
            (probe.status, &probe.body),
            (never.status, &never.body),
            "{f}"
        );
    }
}

#[tokio::test]
async fn a_record_of_another_origin_is_a_conflict_never_a_replay() {
    for h in families().await {
        let f = h.family;
        // Whatever made it, a record the channels stored where this web key's would be (only a
        // collision of keyed hashes could do it) must not answer the web client.
        let body = sample_report();
        let canonical: serde_json::Value = serde_json::from_str(&body.to_string()).unwrap();
        let now = h.app.clock.now();
        let other = minimal_report(now);
        let record = IdempotencyRecord {
            key_hash: h.app.pii.reference("idempotency:web", KEY),
            origin: IdempotencyOrigin::Channel,
            request_hash: sha256_hex(canonical.to_string().as_bytes()),
            tracking_id: other.tracking_id.clone(),
            sealed_response: h.app.pii.seal(other.tracking_id.as_str().as_bytes()),
            created_at: now,
            expires_at: (now + Duration::days(3)).timestamp(),
        };
        h.app.store.insert(&other, Some(&record)).await.unwrap();
        let a = submit_with_key(&h, &body, KEY).await;
        assert_eq!(a.status, 409, "{f}: {}", a.text);
        assert_eq!(a.body["error"], "idempotency_key_reused", "{f}");
        assert!(!a.text.contains(other.tracking_id.as_str()), "{f}");
    }
}

#[tokio::test]
async fn a_key_replayed_after_ten_minutes_gets_the_tracking_id_but_never_the_token() {
    for h in families().await {
        let f = h.family;
        let first = submit_with_key(&h, &sample_report(), KEY).await;
        assert_eq!(first.status, 201, "{f}: {}", first.text);
        let token = first.body["access_token"].as_str().unwrap().to_string();

        // A client's retry soon after gets the same answer, token included.
        h.clock.advance(Duration::minutes(9));
        let retry = submit_with_key(&h, &sample_report(), KEY).await;
        assert_eq!(retry.status, 201, "{f}");
        assert_eq!(retry.body, first.body, "{f}");

        // Someone who finds the key later (a log, a proxy) learns only the public tracking id.
        h.clock.advance(Duration::minutes(2));
        let late = submit_with_key(&h, &sample_report(), KEY).await;
        assert_eq!(late.status, 201, "{f}: {}", late.text);
        assert_eq!(late.body["tracking_id"], first.body["tracking_id"], "{f}");
        assert!(
            late.body.get("access_token").is_none(),
            "{f}: {}",
            late.text
        );
        assert!(!late.text.contains(&token), "{f}");
        assert_eq!(
            h.drain_router().await,
            1,
            "{f}: one report for three requests"
        );
    }
}

#[tokio::test]
async fn keys_with_less_than_128_bits_are_refused() {
    for h in families().await {
        let f = h.family;
        for weak in [
            "key-000000000001",                     // 16 characters, the old minimum
            "Zm9vYmFyYmF6cXV4cXV1e",                // 21 base64url characters: 126 bits
            "3f2b8c1e:9d4a:4e6b:8f70:1a2b3c4d5e6f", // a UUID with the wrong separators
            "bukan kunci yang acak sama sekali ya", // spaces
        ] {
            let a = submit_with_key(&h, &sample_report(), weak).await;
            assert_eq!(a.status, 400, "{f}: {weak}: {}", a.text);
            assert_eq!(a.body["error"], "invalid_idempotency_key", "{f}");
        }
        for strong in [KEY, "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ", &"A".repeat(128)] {
            let a = submit_with_key(&h, &sample_report(), strong).await;
            assert_eq!(a.status, 201, "{f}: {strong}: {}", a.text);
        }
        assert_eq!(
            submit_with_key(&h, &sample_report(), &"A".repeat(129))
                .await
                .status,
            400,
            "{f}"
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_that_is_not_ascii_is_refused_not_ignored() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_ok(&sample_report()).await;
        let before = h.stored(&s.id).await;
        for route in ["intake", "reporter"] {
            let mut req = match route {
                "intake" => post_report_request(&sample_report().to_string(), &[]),
                _ => lapor_tests::api_request(
                    "POST /v1/reports/{tracking_id}/replies",
                    Some(&s.id),
                    "",
                    Some(r#"{"message":"Masih mati sampai hari ini."}"#),
                    &[("authorization", &format!("Bearer {}", s.token))],
                    None,
                ),
            };
            // "kunci-é..." as UTF-8 bytes: a header value that is not visible ASCII.
            let value =
                http::HeaderValue::from_bytes("kunci-\u{e9}-3f2b8c1e9d4a4e6b8f70".as_bytes())
                    .unwrap();
            req.headers_mut().insert("idempotency-key", value);
            let a = match route {
                "intake" => answer(intake::handle(&h.app, req).await.unwrap()),
                _ => answer(reporter::handle(&h.app, req).await.unwrap()),
            };
            assert_eq!(a.status, 400, "{f}: {route}: {}", a.text);
            assert_eq!(a.body["error"], "invalid_idempotency_key", "{f}: {route}");
        }
        // The refused requests changed nothing: no second report, no reply.
        assert_eq!(h.drain_router().await, 1, "{f}: only the set-up's report");
        assert_eq!(
            h.stored(&s.id).await.timeline.len(),
            before.timeline.len() + 1,
            "{f}: routed only"
        );
    }
}
