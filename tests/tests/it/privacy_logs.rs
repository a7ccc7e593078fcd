//! The reporter's identity never reaches the logs, at any level, on any storage family; nor do
//! access tokens, idempotency keys or a confidential report's content. And the public view never
//! shows them (the reporter's own view may).
//!
//! Everything the process logs at TRACE (our code, the AWS SDK, hyper, ...) is captured by a
//! global subscriber, in the text format used locally and the JSON format used in Lambda.

use chrono::Duration as Span;
use lapor::ports::Clock;
use lapor_tests::logs::capture;
use lapor_tests::{families, Harness};
use serde_json::{json, Value};

const NAME: &str = "Wulandari Kusumaningrum";
const PHONE_TYPED: &str = "0813-9753-1864";
const PHONE_TYPED_INTL: &str = "+62 813 9753 1864";
const PHONE_E164: &str = "+6281397531864";
const EMAIL: &str = "wulan.kusuma@contoh.id";
const IDEMPOTENCY_KEY: &str = "b1d6c0de-9f3e-4c1a-8d2b-5e7f00c0ffee";
const WRONG_TOKEN: &str = "tebakan-token-yang-salah-0123456789abcdefghijk";
const CONFIDENTIAL_TITLE: &str = "Pungli loket KTP Kelurahan Zamrud";
const CONFIDENTIAL_BODY: &str = "Petugas loket meminta uang pelicin Rp 500.000 agar KTP \
    elektronik saya selesai, saksi Darmawangsa melihatnya sendiri.";

/// Strings that identify the reporter, in every form they may take on the way through.
fn identity() -> Vec<String> {
    let mut s: Vec<String> = vec![
        NAME.into(),
        "Wulandari".into(),
        "Kusumaningrum".into(),
        PHONE_TYPED.into(),
        PHONE_TYPED_INTL.into(),
        PHONE_E164.into(),
        // Digits only, with and without the country code or trunk 0: all contain this.
        "81397531864".into(),
        "813 9753".into(),
        "813-9753".into(),
        EMAIL.into(),
        "wulan.kusuma".into(),
    ];
    s.sort();
    s
}

fn confidential_content() -> Vec<String> {
    vec![
        CONFIDENTIAL_TITLE.into(),
        CONFIDENTIAL_BODY.into(),
        "Zamrud".into(),
        "pelicin".into(),
        "Darmawangsa".into(),
    ]
}

// ---------------------------------------------------------------- finding leaks in the logs

/// Every log line containing one of `secrets`, with the secret it contains.
fn leaks<'a>(logs: &'a str, secrets: &[String]) -> Vec<(String, &'a str)> {
    logs.lines()
        .flat_map(|line| {
            secrets
                .iter()
                .filter(|s| line.contains(s.as_str()))
                .map(move |s| (s.clone(), line))
        })
        .collect()
}

fn assert_no_leak(family: &str, logs: &str, secrets: &[String]) {
    let found = leaks(logs, secrets);
    if found.is_empty() {
        return;
    }
    // Which secret, how often, and which log targets wrote it (from the JSON lines).
    let mut by_secret: std::collections::BTreeMap<
        &str,
        (usize, std::collections::BTreeSet<String>),
    > = Default::default();
    for (secret, line) in &found {
        let entry = by_secret.entry(secret.as_str()).or_default();
        entry.0 += 1;
        if let Ok(v) = serde_json::from_str::<Value>(line) {
            if let Some(target) = v["target"].as_str() {
                entry
                    .1
                    .insert(format!("{} {target}", v["level"].as_str().unwrap_or("?")));
            }
        }
    }
    let summary: Vec<String> = by_secret
        .iter()
        .map(|(secret, (n, targets))| format!("  {secret:?}: {n} lines, written by {targets:?}"))
        .collect();
    let examples: Vec<String> = found
        .iter()
        .take(3)
        .map(|(secret, line)| {
            let at = line.find(secret.as_str()).unwrap_or(0);
            let from = line[..at]
                .char_indices()
                .rev()
                .nth(300)
                .map_or(0, |(i, _)| i);
            let excerpt: String = line[from..].chars().take(450).collect();
            format!("  {secret:?} in: ...{excerpt}...")
        })
        .collect();
    panic!(
        "{family}: {} log lines carry secrets:\n{}\nfor example:\n{}",
        found.len(),
        summary.join("\n"),
        examples.join("\n")
    );
}

// ---------------------------------------------------------------- the scenario

fn report(title: &str, body: &str, phone: &str) -> Value {
    json!({
        "kind": "complaint",
        "title": title,
        "body": body,
        "region_code": "32.73.01",
        "location_text": "Jalan Merdeka dekat pasar",
        "reporter": {"name": NAME, "phone": phone, "email": EMAIL}
    })
}

struct Submitted {
    tracking_id: String,
    token: String,
    confidential: bool,
}

async fn submit_ok(h: &Harness, body: &Value, headers: &[(&str, &str)]) -> Submitted {
    let a = h.submit(body, headers).await;
    assert_eq!(a.status, 201, "{}: {}", h.family, a.text);
    Submitted {
        tracking_id: a.body["tracking_id"].as_str().unwrap().into(),
        token: a.body["access_token"].as_str().unwrap().into(),
        confidential: body["confidential"] == json!(true),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporters_identity_never_reaches_the_logs_or_the_public_view() {
    let logs = capture();
    for h in families().await {
        let start = logs.len();

        let ordinary_body = report(
            "Lampu jalan mati",
            "Lampu penerangan jalan di Jalan Merdeka sudah mati dua minggu dan rawan kejahatan.",
            PHONE_TYPED,
        );
        let ordinary = submit_ok(&h, &ordinary_body, &[("Idempotency-Key", IDEMPOTENCY_KEY)]).await;
        // A retry: answered from the idempotency record.
        let replayed = h
            .submit(&ordinary_body, &[("Idempotency-Key", IDEMPOTENCY_KEY)])
            .await;
        assert_eq!(replayed.status, 201, "{}: {}", h.family, replayed.text);
        assert_eq!(replayed.body["tracking_id"], json!(ordinary.tracking_id));

        let mut anonymous_body = report(
            "Jalan berlubang besar",
            "Jalan di depan sekolah dasar berlubang besar dan sudah memakan korban pengendara motor.",
            PHONE_TYPED_INTL,
        );
        anonymous_body["anonymous"] = json!(true);
        let anonymous = submit_ok(&h, &anonymous_body, &[]).await;

        let mut confidential_body = report(CONFIDENTIAL_TITLE, CONFIDENTIAL_BODY, PHONE_TYPED);
        confidential_body["confidential"] = json!(true);
        confidential_body["anonymous"] = json!(true);
        let confidential = submit_ok(&h, &confidential_body, &[]).await;
        let reports = [&ordinary, &anonymous, &confidential];

        // Invalid submissions carrying the identity: a validation failure and a type error.
        let mut invalid = report("abc", CONFIDENTIAL_BODY, PHONE_TYPED);
        invalid["confidential"] = json!(true);
        let a = h.submit(&invalid, &[]).await;
        assert_eq!(a.status, 422, "{}: {}", h.family, a.text);
        let mut wrong_type = report(CONFIDENTIAL_TITLE, CONFIDENTIAL_BODY, PHONE_TYPED);
        wrong_type["reporter"]["phone"] = json!(81397531864u64);
        let a = h.submit(&wrong_type, &[]).await;
        assert_eq!(a.status, 400, "{}: {}", h.family, a.text);
        let mut bad_phone = report(CONFIDENTIAL_TITLE, CONFIDENTIAL_BODY, "0813-9753-1864 ext");
        bad_phone["reporter"]["email"] = json!("wulan.kusuma(at)contoh.id");
        let a = h.submit(&bad_phone, &[]).await;
        assert_eq!(a.status, 422, "{}: {}", h.family, a.text);

        // The sweep (everything is due after the grace period), then routing.
        h.clock.advance(Span::minutes(3));
        lapor::service::sweep::requeue_unrouted(&h.app, h.clock.now(), 100)
            .await
            .unwrap();
        assert!(h.drain_router().await >= 3, "{}", h.family);

        let mut public_texts = Vec::new();
        for r in reports {
            let public = h.get(&r.tracking_id, None).await;
            assert_eq!(public.status, 200, "{}: {}", h.family, public.text);
            assert_ne!(
                public.body["status"], "received",
                "{}: not routed",
                h.family
            );
            public_texts.push((r, public.text));

            let own = h.get(&r.tracking_id, Some(&r.token)).await;
            assert_eq!(own.status, 200, "{}: {}", h.family, own.text);
            // The identity really is in the system: the reporter's view opens it.
            assert_eq!(own.body["reporter"]["name"], NAME, "{}", h.family);
            assert_eq!(own.body["reporter"]["phone"], PHONE_E164, "{}", h.family);
            assert_eq!(own.body["reporter"]["email"], EMAIL, "{}", h.family);

            for token in [WRONG_TOKEN, ""] {
                let denied = h.get(&r.tracking_id, Some(token)).await;
                assert_eq!(denied.status, 401, "{}: {}", h.family, denied.text);
                public_texts.push((r, denied.text));
            }
        }
        // Another report's token opens nothing.
        let crossed = h
            .get(&ordinary.tracking_id, Some(&confidential.token))
            .await;
        assert_eq!(crossed.status, 401, "{}", h.family);
        let unknown = h.get("ZZZZZZZZZZ", Some(&ordinary.token)).await;
        assert_eq!(unknown.status, 404, "{}", h.family);

        let tokens: Vec<String> = reports.iter().map(|r| r.token.clone()).collect();
        let mut never_public = identity();
        never_public.extend(tokens.iter().cloned());
        for (r, text) in &public_texts {
            let mut secrets = never_public.clone();
            if r.confidential {
                secrets.extend(confidential_content());
            }
            for s in &secrets {
                assert!(
                    !text.contains(s.as_str()),
                    "{}: the public answer for {} shows {s:?}: {text}",
                    h.family,
                    r.tracking_id
                );
            }
        }

        let family_logs = logs.text_from(start);
        // The capture works: our own events of this run are in it.
        for r in reports {
            assert!(
                family_logs.contains(&r.tracking_id),
                "{}: no log line names {}: is the subscriber capturing?",
                h.family,
                r.tracking_id
            );
        }
        for event in ["report received", "report routed"] {
            assert!(
                family_logs.contains(event),
                "{}: {event} not logged",
                h.family
            );
        }
        let mut secrets = identity();
        secrets.extend(tokens);
        secrets.extend([WRONG_TOKEN.to_string(), IDEMPOTENCY_KEY.to_string()]);
        secrets.extend(confidential_content());
        assert_no_leak(h.family, &family_logs, &secrets);
        eprintln!(
            "{}: {} bytes of logs checked, no secret in them",
            h.family,
            family_logs.len()
        );
    }
}
