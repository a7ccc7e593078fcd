//! Every channel is a front door, on both storage families: SMS, X direct messages, WhatsApp and
//! Messenger reports get their tracking id back, route like web reports, and hear every status
//! change on the channel they came from; replies on the channel become the reporter's replies;
//! bad signatures and replays are refused and store nothing; a gateway's retries and the queue's
//! redeliveries act once. The notifier sends through the real HTTP adapters to local servers that
//! imitate the providers (`lapor_tests::providers`); the webhooks read the providers' documented
//! payloads (`tests/fixtures/channels/`).

use chrono::Duration;
use lapor::domain::{Channel, Status};
use lapor::inbound::sms;
use lapor::outbound::{senders_from_vars, RateLimiter, RetryPolicy};
use lapor::ports::{QueueName, ReportList};
use lapor::service::notifier::{Delivery, Notifier};
use lapor::service::webhooks::{webhook, WebhookAnswer, WebhookRequest, WebhookSettings};
use lapor_tests::providers::{FakeProvider, Reply};
use lapor_tests::{families, Harness, Staff};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) const SMS_SECRET: &[u8] = b"sms-gateway-shared-secret-of-32+bytes";
pub(crate) const X_SECRET: &[u8] = b"x-consumer-secret-of-at-least-32-bytes";
pub(crate) const META_SECRET: &[u8] = b"meta-app-secret-of-at-least-32-bytes";
pub(crate) const VERIFY_TOKEN: &str = "lapor-verify-token-of-at-least-32-bytes";
/// The account the X fixtures are addressed to (`for_user_id`).
pub(crate) const X_ACCOUNT: &str = "1346889436626259968";
pub(crate) const PHONE: &str = "+6281234567890";
/// The X fixture's sender and the WhatsApp fixture's sender.
pub(crate) const X_SENDER: &str = "3001969357";
pub(crate) const WA_SENDER: &str = "6281298765432";
pub(crate) const WA_NUMBER_ID: &str = "106540352242922";

pub(crate) struct Channels {
    pub(crate) h: Harness,
    pub(crate) secrets: WebhookSettings,
    pub(crate) sms: FakeProvider,
    pub(crate) x: FakeProvider,
    pub(crate) graph: FakeProvider,
    pub(crate) notifier: Notifier,
}

pub(crate) async fn channels(h: Harness) -> Channels {
    let (sms, x, graph) = (
        FakeProvider::sms_gateway().await,
        FakeProvider::x().await,
        FakeProvider::graph().await,
    );
    let vars: HashMap<&str, String> = HashMap::from([
        ("SMS_API_URL", sms.url()),
        ("SMS_API_KEY", "sms-key".into()),
        ("X_API_URL", x.url()),
        ("X_ACCESS_TOKEN", "x-token".into()),
        ("META_GRAPH_URL", graph.url()),
        ("MESSENGER_PAGE_TOKEN", "page-token".into()),
        ("WHATSAPP_PHONE_NUMBER_ID", WA_NUMBER_ID.into()),
        ("WHATSAPP_TOKEN", "wa-token".into()),
    ]);
    let senders = senders_from_vars(|name| vars.get(name).cloned()).expect("senders");
    let notifier = Notifier {
        state: h.channel_state.clone(),
        queue: h.app.queue.clone(),
        senders,
        limiter: Arc::new(RateLimiter::unlimited()),
        retry: RetryPolicy {
            attempts: 2,
            base_delay: std::time::Duration::from_millis(1),
            max_delay: std::time::Duration::from_millis(5),
        },
        pii: h.app.pii.clone(),
        clock: h.app.clock.clone(),
        max_attempts: 3,
        daily_cap: lapor::service::notifier::DEFAULT_DAILY_CAP,
    };
    Channels {
        secrets: WebhookSettings {
            sms: Some(SMS_SECRET.to_vec()),
            x_consumer: Some(X_SECRET.to_vec()),
            x_account_id: Some(X_ACCOUNT.into()),
            meta_app: Some(META_SECRET.to_vec()),
            meta_verify_token: Some(VERIFY_TOKEN.into()),
        },
        h,
        sms,
        x,
        graph,
        notifier,
    }
}

pub(crate) fn hmac_hex(secret: &[u8], body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

pub(crate) fn hmac_b64(secret: &[u8], body: &[u8]) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A provider's fixture, sent now (the harness clock's start).
pub(crate) fn fixture(name: &str) -> Value {
    lapor_tests::channel_fixture(name, lapor_tests::start_time())
}

/// A request with no content type and no signature headers: each call sets what it sends.
pub(crate) fn request<'a>(
    method: &'a str,
    channel: &'a str,
    query: &'a HashMap<String, String>,
    body: &'a [u8],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method,
        channel,
        query,
        content_type: None,
        lapor_timestamp: None,
        lapor_signature: None,
        x_signature: None,
        hub_signature: None,
        body,
    }
}

/// A webhook answer's status and JSON body (text answers as a JSON string).
pub(crate) fn parts(answer: Result<WebhookAnswer, lapor::api::ServiceError>) -> (u16, Value) {
    match answer {
        Ok(WebhookAnswer::Json(body)) => (200, body),
        Ok(WebhookAnswer::Text(text)) => (200, Value::String(text)),
        Err(e) => (
            lapor::api::http_status(&e),
            lapor::service::webhooks::error_body(&e),
        ),
    }
}

impl Channels {
    pub(crate) fn family(&self) -> &'static str {
        self.h.family
    }

    pub(crate) async fn call(&self, request: WebhookRequest<'_>) -> (u16, Value) {
        parts(webhook(&self.h.app, &*self.h.channel_state, &self.secrets, request).await)
    }

    /// The SMS gateway's post, signed at `signed_at` (seconds from now).
    pub(crate) async fn sms_signed(
        &self,
        body: &str,
        content_type: &str,
        signed_at: i64,
    ) -> (u16, Value) {
        let timestamp = (self.h.app.clock.now() + Duration::seconds(signed_at)).timestamp();
        let signature = sms::sign(SMS_SECRET, timestamp, body.as_bytes());
        let timestamp = timestamp.to_string();
        let query = HashMap::new();
        self.call(WebhookRequest {
            content_type: Some(content_type),
            lapor_timestamp: Some(&timestamp),
            lapor_signature: Some(&signature),
            ..request("POST", "sms", &query, body.as_bytes())
        })
        .await
    }

    pub(crate) async fn sms(&self, from: &str, text: &str, message_id: &str) -> (u16, Value) {
        let body = json!({"from": from, "text": text, "message_id": message_id}).to_string();
        self.sms_signed(&body, "application/json", 0).await
    }

    pub(crate) async fn x_post(&self, body: &Value, signature: Option<&str>) -> (u16, Value) {
        let raw = body.to_string();
        let good = format!("sha256={}", hmac_b64(X_SECRET, raw.as_bytes()));
        let query = HashMap::new();
        self.call(WebhookRequest {
            content_type: Some("application/json"),
            x_signature: Some(signature.unwrap_or(&good)),
            ..request("POST", "x", &query, raw.as_bytes())
        })
        .await
    }

    pub(crate) async fn meta_post(&self, body: &Value, signature: Option<&str>) -> (u16, Value) {
        let raw = body.to_string();
        let good = format!("sha256={}", hmac_hex(META_SECRET, raw.as_bytes()));
        let query = HashMap::new();
        self.call(WebhookRequest {
            content_type: Some("application/json"),
            hub_signature: Some(signature.unwrap_or(&good)),
            ..request("POST", "meta", &query, raw.as_bytes())
        })
        .await
    }

    /// Runs the notifier over every queued notification, as the SQS event source would: each
    /// message with its receive count, deleted unless it is to come back.
    pub(crate) async fn notify(&self) -> Vec<Delivery> {
        let mut out = Vec::new();
        for _ in 0..50 {
            let batch = self
                .h
                .receiver
                .receive(QueueName::Notifications, 10, std::time::Duration::ZERO)
                .await
                .unwrap();
            if batch.is_empty() {
                break;
            }
            for m in batch {
                if let Ok(delivery) = self.notifier.deliver(&m.body, m.receive_count).await {
                    out.push(delivery);
                    self.h
                        .receiver
                        .delete(QueueName::Notifications, &m.receipt_handle)
                        .await
                        .unwrap();
                }
            }
        }
        out
    }

    /// An officer `sub` of the institution holding the report, after a verifier placed it if
    /// the router could not (a message that names no place goes to triage).
    pub(crate) async fn officer_of(&self, id: &str, sub: &'static str) -> Staff {
        let agency = self.held_by(id).await;
        Staff::officer(sub, Box::leak(agency.into_boxed_str()))
    }

    pub(crate) async fn held_by(&self, id: &str) -> String {
        if let Some(agency) = self.h.stored(id).await.agency_id {
            return agency;
        }
        let verifier = Staff::verifier("verifikator-1");
        let verified = self
            .h
            .act(
                &verifier,
                id,
                "verify-channel",
                json!({"action": "verify", "agency_id": "pemda-32.73"}),
            )
            .await;
        assert_eq!(verified.status, 200, "{}: {}", self.family(), verified.text);
        "pemda-32.73".into()
    }

    /// The texts the fake SMS gateway received for `to`.
    pub(crate) fn sms_to(&self, to: &str) -> Vec<String> {
        self.sms
            .requests()
            .iter()
            .filter(|r| r.body["to"] == to)
            .map(|r| r.body["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub(crate) async fn reports_of(&self, sender_key: &str) -> Vec<lapor::domain::Report> {
        let reference = self.h.app.pii.reference("sender", sender_key);
        self.h
            .app
            .store
            .list(&lapor::ports::ListQuery {
                list: ReportList::Reporter(reference),
                status: None,
                public_only: false,
                cursor: None,
                limit: 100,
            })
            .await
            .unwrap()
            .reports
    }
}

pub(crate) fn tracking_id_of(family: &str, answer: &(u16, Value)) -> String {
    assert_eq!(answer.0, 200, "{family}: {}", answer.1);
    assert_eq!(
        answer.1["result"], "report_created",
        "{family}: {}",
        answer.1
    );
    answer.1["tracking_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_sms_report_gets_its_tracking_id_routes_and_hears_back_by_sms() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        // Form-encoded, as many gateways post, with a local number format.
        let body = "from=0812-3456-7890&message_id=gw-1001&text=LAPOR+Jalan+berlubang+besar+di+Jl.+Merdeka+depan+SDN+5+Kota+Bandung%2C+sudah+dua+motor+jatuh";
        let created = c
            .sms_signed(body, "application/x-www-form-urlencoded", 0)
            .await;
        let id = tracking_id_of(f, &created);

        let stored = c.h.stored(&id).await;
        assert_eq!(stored.channel, Channel::Sms, "{f}");
        assert_eq!(stored.status, Status::Received, "{f}");
        assert!(
            stored.body.starts_with("Jalan berlubang"),
            "{f}: keyword removed"
        );
        assert!(stored.reporter_ref.is_some(), "{f}");
        // The raw inbound message is kept, sealed like the contact: no number in the clear.
        let raw = stored.inbound_sealed.clone().expect("inbound kept");
        assert!(!raw.contains("3456") && !raw.contains("Merdeka"), "{f}");
        let opened: Value = serde_json::from_slice(&c.h.app.pii.open(&raw).unwrap()).unwrap();
        assert_eq!(opened["provider_message_id"], "gw-1001", "{f}");
        assert_eq!(opened["raw"]["from"], "0812-3456-7890", "{f}");

        // The tracking id goes back to the sender, by SMS, once.
        c.notify().await;
        let texts = c.sms_to(PHONE);
        assert_eq!(texts.len(), 1, "{f}: {texts:?}");
        assert!(texts[0].contains(&id), "{f}: {}", texts[0]);
        let sent = &c.sms.requests()[0];
        assert_eq!(sent.header("authorization"), Some("Bearer sms-key"), "{f}");
        assert_eq!(sent.body["reference"], format!("{id}:0"), "{f}");

        // Routed like a web report, and every change comes back on SMS.
        c.h.drain_router().await;
        let routed = c.h.stored(&id).await;
        assert_eq!(
            routed.status,
            Status::Dispositioned,
            "{f}: {:?}",
            routed.routing
        );
        c.notify().await;
        let officer = c.officer_of(&id, "petugas-1").await;
        let accepted =
            c.h.act(&officer, &id, "accept-0001", json!({"action": "accept"}))
                .await;
        assert_eq!(accepted.status, 200, "{f}: {}", accepted.text);
        c.notify().await;
        let texts = c.sms_to(PHONE);
        assert_eq!(texts.len(), 3, "{f}: {texts:?}");
        assert!(texts[1].contains("diteruskan"), "{f}: {}", texts[1]);
        assert!(texts[2].contains("sedang diproses"), "{f}: {}", texts[2]);
        for text in &texts {
            assert!(
                !text.contains("berlubang"),
                "{f}: no report content in {text}"
            );
        }

        // The officer asks; the question itself comes by SMS. A plain SMS that could be a new
        // report is kept and the sender asked; `BALAS <id>` makes it the answer.
        let asked =
            c.h.act(
                &officer,
                &id,
                "channel-action-1",
                json!({"action": "request_info", "question": "Di sisi jalan yang mana?"}),
            )
            .await;
        assert_eq!(asked.status, 200, "{f}: {}", asked.text);
        c.notify().await;
        let question = c.sms_to(PHONE).pop().unwrap();
        assert!(
            question.contains("\"Di sisi jalan yang mana?\"")
                && question.contains(&format!("BALAS {id} <jawaban>")),
            "{f}: {question}"
        );
        let kept = c
            .sms(
                PHONE,
                "Sisi utara, persis di depan gerbang sekolah.",
                "gw-1002",
            )
            .await;
        assert_eq!(kept.1["result"], "awaiting_choice", "{f}: {}", kept.1);
        assert_eq!(c.h.stored(&id).await.status, Status::Deferred, "{f}");
        let answered = c.sms(PHONE, &format!("balas {id}"), "gw-1002b").await;
        assert_eq!(
            answered.1["result"], "reply_recorded",
            "{f}: {}",
            answered.1
        );
        let after = c.h.stored(&id).await;
        assert_eq!(after.status, Status::InProgress, "{f}");
        assert_eq!(
            after.timeline.last().unwrap().action,
            "reporter_replied",
            "{f}"
        );
        assert_eq!(
            after.timeline.last().unwrap().note.as_deref(),
            Some("Sisi utara, persis di depan gerbang sekolah."),
            "{f}: the kept message is the answer"
        );
        assert_eq!(
            c.reports_of(&format!("phone:{PHONE}")).await.len(),
            1,
            "{f}"
        );

        // CEK answers with the status, on SMS.
        let status = c.sms(PHONE, &format!("cek {id}"), "gw-1003").await;
        assert_eq!(status.1["result"], "status_answered", "{f}");
        c.notify().await;
        let last = c.sms_to(PHONE).pop().unwrap();
        assert!(
            last.contains(&id) && last.contains("Sedang Diproses"),
            "{f}: {last}"
        );
        // The deadline in Bandung's own zone, never UTC.
        assert!(
            last.contains(" WIB") && !last.contains("UTC"),
            "{f}: {last}"
        );
    }
}

#[tokio::test]
async fn an_x_direct_message_gets_its_reply_as_a_direct_message_and_replies_reopen() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        // The CRC challenge X sends when registering the webhook.
        let query = HashMap::from([("crc_token".to_string(), "tok-123".to_string())]);
        let crc = c.call(request("GET", "x", &query, b"")).await;
        assert_eq!(crc.0, 200, "{f}");
        assert_eq!(
            crc.1["response_token"],
            format!("sha256={}", hmac_b64(X_SECRET, b"tok-123")),
            "{f}"
        );

        let dm = fixture("x-dm.json");
        let posted = c.x_post(&dm, None).await;
        assert_eq!(posted.0, 200, "{f}: {}", posted.1);
        assert_eq!(posted.1["handled"], json!(["report_created"]), "{f}");
        let reports = c.reports_of(&format!("x:{X_SENDER}")).await;
        assert_eq!(reports.len(), 1, "{f}");
        let id = reports[0].tracking_id.to_string();
        assert_eq!(reports[0].channel, Channel::X, "{f}");

        c.notify().await;
        let dms = c.x.requests();
        assert_eq!(dms.len(), 1, "{f}");
        assert_eq!(
            dms[0].path,
            format!("/2/dm_conversations/with/{X_SENDER}/messages"),
            "{f}: a direct message, never a public reply"
        );
        assert!(dms[0].body["text"].as_str().unwrap().contains(&id), "{f}");

        // The institution follows up; the reporter's next DM reopens the report.
        c.h.drain_router().await;
        let officer = c.officer_of(&id, "petugas-x").await;
        let followed =
            c.h.act(
                &officer,
                &id,
                "channel-action-2",
                json!({"action": "follow_up", "message": "Lampu sudah diganti tim PJU."}),
            )
            .await;
        assert_eq!(followed.status, 200, "{f}: {}", followed.text);
        c.notify().await;
        let answer = c.x.requests().last().unwrap().body["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            answer.contains("\"Lampu sudah diganti tim PJU.\"")
                && answer.contains(&format!("NILAI {id} <1-5>")),
            "{f}: the follow-up itself, by DM: {answer}"
        );
        // Naming the report makes a message plainly its reply.
        let mut reply = dm.clone();
        reply["direct_message_events"][0]["id"] = json!("1879634592178399999");
        reply["direct_message_events"][0]["message_create"]["message_data"]["text"] = json!(
            format!("Laporan {id}: belum, lampunya masih mati sampai malam ini.")
        );
        let replied = c.x_post(&reply, None).await;
        assert_eq!(replied.1["handled"], json!(["reply_recorded"]), "{f}");
        let after = c.h.stored(&id).await;
        assert_eq!(
            after.status,
            Status::InProgress,
            "{f}: the reply reopens it"
        );
        assert_eq!(c.reports_of(&format!("x:{X_SENDER}")).await.len(), 1, "{f}");
    }
}

#[tokio::test]
async fn whatsapp_and_messenger_reports_hear_back_on_their_own_channel() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        // Meta's subscription handshake.
        let query = HashMap::from([
            ("hub.mode".to_string(), "subscribe".to_string()),
            ("hub.verify_token".to_string(), VERIFY_TOKEN.to_string()),
            ("hub.challenge".to_string(), "1158201444".to_string()),
        ]);
        let handshake = request("GET", "meta", &query, b"");
        assert_eq!(c.call(handshake).await, (200, json!("1158201444")), "{f}");
        let wrong = HashMap::from([
            ("hub.mode".to_string(), "subscribe".to_string()),
            ("hub.verify_token".to_string(), "guess".to_string()),
            ("hub.challenge".to_string(), "1158201444".to_string()),
        ]);
        assert_eq!(
            c.call(WebhookRequest {
                query: &wrong,
                ..handshake
            })
            .await
            .0,
            403,
            "{f}"
        );

        // WhatsApp: a confidential report (RAHASIA); the reply goes to the same number on WhatsApp.
        let wa = c.meta_post(&fixture("whatsapp-message.json"), None).await;
        assert_eq!(wa.1["handled"], json!(["report_created"]), "{f}: {}", wa.1);
        let wa_reports = c.reports_of(&format!("phone:+{WA_SENDER}")).await;
        assert_eq!(wa_reports.len(), 1, "{f}");
        assert!(
            wa_reports[0].confidential,
            "{f}: RAHASIA makes it confidential"
        );
        assert_eq!(wa_reports[0].channel, Channel::Whatsapp, "{f}");
        // Messenger: an aspiration.
        let fb = c.meta_post(&fixture("messenger-message.json"), None).await;
        assert_eq!(fb.1["handled"], json!(["report_created"]), "{f}: {}", fb.1);
        let fb_reports = c.reports_of("messenger:7214589632147856").await;
        assert_eq!(
            fb_reports[0].kind,
            lapor::domain::ReportKind::Aspiration,
            "{f}"
        );

        c.notify().await;
        let sent = c.graph.requests();
        assert_eq!(sent.len(), 2, "{f}: {sent:?}");
        let to_wa = sent
            .iter()
            .find(|r| r.path.ends_with(&format!("/{WA_NUMBER_ID}/messages")))
            .expect("a WhatsApp message");
        assert_eq!(to_wa.body["to"], WA_SENDER, "{f}");
        let wa_text = to_wa.body["text"]["body"].as_str().unwrap();
        assert!(wa_text.contains(wa_reports[0].tracking_id.as_str()), "{f}");
        assert!(
            !wa_text.contains("pungutan"),
            "{f}: no confidential content"
        );
        let to_fb = sent
            .iter()
            .find(|r| r.path.contains("/me/messages"))
            .expect("a Messenger message");
        assert_eq!(to_fb.body["recipient"]["id"], "7214589632147856", "{f}");

        // Routed, and the change comes back on WhatsApp.
        c.h.drain_router().await;
        c.notify().await;
        let wa_sent = c
            .graph
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with(&format!("/{WA_NUMBER_ID}/messages")))
            .count();
        assert_eq!(wa_sent, 2, "{f}: the tracking id, then where it went");

        // Verifiers read the message as it arrived; the institution reads the report, not it.
        let wa_id = wa_reports[0].tracking_id.to_string();
        let one = "GET /v1/agency/reports/{tracking_id}";
        let verifier = Staff::verifier("verifikator-2");
        let seen =
            c.h.agency_call(one, Some(&wa_id), "", None, Some(&verifier))
                .await;
        assert_eq!(seen.status, 200, "{f}: {}", seen.text);
        assert_eq!(seen.body["inbound"]["raw"]["from"], WA_SENDER, "{f}");
        assert_eq!(
            seen.body["reporter"]["phone"],
            format!("+{WA_SENDER}"),
            "{f}"
        );
        assert_eq!(seen.body["reporter"]["name"], "Rina Marlina", "{f}");
        let officer = c.officer_of(&wa_id, "petugas-wa").await;
        let theirs =
            c.h.agency_call(one, Some(&wa_id), "", None, Some(&officer))
                .await;
        assert_eq!(theirs.status, 200, "{f}: {}", theirs.text);
        assert!(theirs.body.get("inbound").is_none(), "{f}");
        assert!(!theirs.text.contains("wamid"), "{f}");
    }
}

#[tokio::test]
async fn an_anonymous_sms_report_hides_the_sender_from_staff_but_still_hears_back() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let created = c
            .sms(
                PHONE,
                "ANONIM LAPOR Pungutan liar di jembatan timbang Jl. Soekarno-Hatta Kota Bandung",
                "gw-7001",
            )
            .await;
        let id = tracking_id_of(f, &created);
        let stored = c.h.stored(&id).await;
        assert!(stored.anonymous, "{f}");
        let verifier = Staff::verifier("verifikator-3");
        let seen =
            c.h.agency_call(
                "GET /v1/agency/reports/{tracking_id}",
                Some(&id),
                "",
                None,
                Some(&verifier),
            )
            .await;
        assert_eq!(seen.status, 200, "{f}: {}", seen.text);
        assert!(seen.body.get("reporter").is_none(), "{f}");
        assert!(seen.body.get("inbound").is_none(), "{f}");
        assert!(!seen.text.contains("3456"), "{f}: no number anywhere");
        c.notify().await;
        assert_eq!(
            c.sms_to(PHONE).len(),
            1,
            "{f}: the receipt still reaches the sender"
        );
    }
}

#[tokio::test]
async fn bad_signatures_and_replays_are_refused_and_store_nothing() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let text = "LAPOR Sampah menumpuk di TPS Jl. Cihampelas Kota Bandung sudah seminggu";
        let body = json!({"from": PHONE, "text": text, "message_id": "gw-2001"}).to_string();
        let query = HashMap::new();
        let timestamp = c.h.app.clock.now().timestamp().to_string();
        let base = WebhookRequest {
            content_type: Some("application/json"),
            lapor_timestamp: Some(&timestamp),
            ..request("POST", "sms", &query, body.as_bytes())
        };
        // Missing, wrong-secret and tampered-body signatures.
        assert_eq!(c.call(base).await.0, 401, "{f}: missing");
        let wrong = sms::sign(
            b"not-the-secret",
            c.h.app.clock.now().timestamp(),
            body.as_bytes(),
        );
        let refused = c
            .call(WebhookRequest {
                lapor_signature: Some(&wrong),
                ..base
            })
            .await;
        assert_eq!(refused.0, 401, "{f}");
        assert_eq!(refused.1["error"], "unauthorized", "{f}");
        // The provider is told it is the signature, not an access token it never had.
        let said = refused.1["message"].as_str().unwrap();
        assert!(
            said.contains("signature") && !said.contains("token"),
            "{f}: {said}"
        );
        let good = sms::sign(SMS_SECRET, c.h.app.clock.now().timestamp(), body.as_bytes());
        let tampered = body.replace("gw-2001", "gw-2002");
        assert_eq!(
            c.call(WebhookRequest {
                lapor_signature: Some(&good),
                body: tampered.as_bytes(),
                ..base
            })
            .await
            .0,
            401,
            "{f}: tampered"
        );
        // A replay of a correctly signed post, ten minutes later.
        assert_eq!(
            c.sms_signed(&body, "application/json", -600).await.0,
            401,
            "{f}: replayed"
        );
        // X and Meta with wrong signatures.
        assert_eq!(
            c.x_post(&fixture("x-dm.json"), Some("sha256=AAAA")).await.0,
            401,
            "{f}"
        );
        assert_eq!(
            c.meta_post(&fixture("whatsapp-message.json"), Some("sha256=00"))
                .await
                .0,
            401,
            "{f}"
        );
        assert_eq!(
            c.call(WebhookRequest {
                channel: "meta",
                hub_signature: None,
                body: fixture("whatsapp-message.json").to_string().as_bytes(),
                ..base
            })
            .await
            .0,
            401,
            "{f}: missing"
        );

        // Nothing stored, nothing queued, nothing sent.
        assert!(
            c.reports_of(&format!("phone:{PHONE}")).await.is_empty(),
            "{f}"
        );
        assert!(
            c.reports_of(&format!("x:{X_SENDER}")).await.is_empty(),
            "{f}"
        );
        assert!(
            c.reports_of(&format!("phone:+{WA_SENDER}"))
                .await
                .is_empty(),
            "{f}"
        );
        assert_eq!(c.h.drain_router().await, 0, "{f}");
        assert!(c.notify().await.is_empty(), "{f}");

        // A channel without its secret is not enabled.
        let disabled = WebhookSettings::default();
        let off = parts(
            webhook(
                &c.h.app,
                &*c.h.channel_state,
                &disabled,
                WebhookRequest {
                    lapor_signature: Some(&good),
                    ..base
                },
            )
            .await,
        );
        assert_eq!(off.0, 404, "{f}");
    }
}

#[tokio::test]
async fn gateway_retries_and_queue_redeliveries_act_once() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let text =
            "LAPOR Pipa PDAM bocor di Jl. Dago dekat Simpang Dago Kota Bandung, air terbuang";
        let first = c.sms(PHONE, text, "gw-3001").await;
        let id = tracking_id_of(f, &first);
        // The gateway did not see our answer and posts the same message again, twice.
        for _ in 0..2 {
            let again = c.sms(PHONE, text, "gw-3001").await;
            assert_eq!(again, (200, json!({"result": "duplicate"})), "{f}");
        }
        assert_eq!(
            c.reports_of(&format!("phone:{PHONE}")).await.len(),
            1,
            "{f}"
        );
        assert_eq!(c.h.drain_router().await, 1, "{f}: routed once");

        // The tracking id's notification, delivered by the queue twice, is sent once.
        let queued = c.h.take_notifications().await;
        let notice = queued
            .iter()
            .find(|n| n.event == "submitted")
            .expect("the submitted notice");
        let body = serde_json::to_string(notice).unwrap();
        assert_eq!(
            c.notifier.deliver(&body, 1).await.unwrap(),
            Delivery::Sent,
            "{f}"
        );
        assert_eq!(
            c.notifier.deliver(&body, 2).await.unwrap(),
            Delivery::AlreadySent,
            "{f}"
        );
        let to_phone = c.sms_to(PHONE);
        assert_eq!(to_phone.len(), 1, "{f}: {to_phone:?}");
        assert!(to_phone[0].contains(&id), "{f}");

        // A reply delivered twice is one reply.
        let officer = c.officer_of(&id, "petugas-2").await;
        let asked =
            c.h.act(
                &officer,
                &id,
                "channel-action-3",
                json!({"action": "request_info", "question": "Sejak kapan bocornya?"}),
            )
            .await;
        assert_eq!(asked.status, 200, "{f}: {}", asked.text);
        for expected in ["reply_recorded", "duplicate"] {
            let reply = c
                .sms(
                    PHONE,
                    &format!("BALAS {id} Sejak hari Senin pagi."),
                    "gw-3002",
                )
                .await;
            assert_eq!(reply.1["result"], expected, "{f}");
        }
        let replies =
            c.h.stored(&id)
                .await
                .timeline
                .iter()
                .filter(|e| e.action == "reporter_replied")
                .count();
        assert_eq!(replies, 1, "{f}");
    }
}

#[tokio::test]
async fn a_long_sms_in_parts_becomes_one_report() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let part = |n: u8, text: &str| {
            json!({
                "from": PHONE, "text": text, "message_id": format!("gw-40{n}"),
                "concat_ref": "77", "concat_part": n, "concat_total": 3
            })
            .to_string()
        };
        // Parts arrive out of order; the second arrives twice.
        let third = c
            .sms_signed(
                &part(3, " Kota Bandung mohon segera diperbaiki."),
                "application/json",
                0,
            )
            .await;
        assert_eq!(third.1["result"], "part_stored", "{f}");
        let first = c
            .sms_signed(
                &part(
                    1,
                    "LAPOR Lampu lalu lintas di perempatan Jl. Aceh dan Jl. Merd",
                ),
                "application/json",
                0,
            )
            .await;
        assert_eq!(first.1["result"], "part_stored", "{f}");
        let second = part(2, "eka mati sejak kemarin sore, sering hampir tabrakan di");
        let id = tracking_id_of(f, &c.sms_signed(&second, "application/json", 0).await);
        let again = c.sms_signed(&second, "application/json", 0).await;
        assert_eq!(again.1["result"], "duplicate", "{f}");
        let stored = c.h.stored(&id).await;
        assert_eq!(
            stored.body,
            "Lampu lalu lintas di perempatan Jl. Aceh dan Jl. Merdeka mati sejak kemarin sore, sering hampir tabrakan di Kota Bandung mohon segera diperbaiki.",
            "{f}"
        );
        assert_eq!(
            c.reports_of(&format!("phone:{PHONE}")).await.len(),
            1,
            "{f}"
        );
    }
}

#[tokio::test]
async fn status_requests_are_answered_only_to_those_who_may_see_them() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let private = c
            .sms(
                PHONE,
                "LAPOR RAHASIA Oknum petugas meminta uang pelicin untuk pembuatan SIM di Polres",
                "gw-5001",
            )
            .await;
        let id = tracking_id_of(f, &private);
        // The owner sees the status; another number does not learn the report exists.
        let own = c.sms(PHONE, &format!("CEK {id}"), "gw-5002").await;
        assert_eq!(own.1["result"], "status_answered", "{f}");
        let other = "+6285700011122";
        let theirs = c.sms(other, &format!("CEK {id}"), "gw-5003").await;
        assert_eq!(theirs.1["result"], "status_answered", "{f}");
        // Too short, and help.
        assert_eq!(
            c.sms(other, "halo", "gw-5004").await.1["result"],
            "help_sent",
            "{f}"
        );
        assert_eq!(
            c.sms(other, "BANTUAN", "gw-5005").await.1["result"],
            "help_sent",
            "{f}"
        );
        // BALAS on someone else's report is not a reply.
        let hijack = c
            .sms(
                other,
                &format!("BALAS {id} ini laporan saya juga"),
                "gw-5006",
            )
            .await;
        assert_eq!(hijack.1["result"], "help_sent", "{f}");
        assert!(
            c.reports_of(&format!("phone:{other}")).await.is_empty(),
            "{f}"
        );

        c.notify().await;
        let mine = c.sms_to(PHONE);
        assert!(
            mine.last().unwrap().contains("Belum Terverifikasi"),
            "{f}: {mine:?}"
        );
        let answers = c.sms_to(other);
        assert_eq!(answers.len(), 4, "{f}: {answers:?}");
        // BALAS and CEK of the same confidential id answer alike.
        assert_eq!(answers[0], answers[3], "{f}");
        assert!(
            answers[0].contains("tidak ditemukan"),
            "{f}: {}",
            answers[0]
        );
        assert!(answers[1].contains("terlalu singkat"), "{f}");
        assert!(answers[2].contains("CEK"), "{f}");
        assert!(answers[3].contains("tidak ditemukan"), "{f}");
        for text in answers.iter().chain(&mine) {
            assert!(!text.contains("pelicin"), "{f}: no content: {text}");
        }
    }
}

#[tokio::test]
async fn provider_failures_are_retried_then_dead_lettered_with_a_reason() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let first = c
            .sms(
                PHONE,
                "LAPOR Drainase tersumbat di Jl. Braga Kota Bandung, banjir tiap hujan",
                "gw-6001",
            )
            .await;
        let id = tracking_id_of(f, &first);
        // A 503, then success: retried inside one attempt with backoff.
        c.sms
            .reply(Reply::json(503, json!({"error": {"code": "BUSY"}})));
        assert_eq!(c.notify().await, vec![Delivery::Sent], "{f}");
        assert_eq!(c.sms.requests().len(), 2, "{f}");

        // The gateway refuses the number: no retry helps, so the DLQ gets it with the reason.
        let second = c.sms(PHONE, &format!("CEK {id}"), "gw-6002").await;
        assert_eq!(second.1["result"], "status_answered", "{f}");
        c.sms.reply(Reply::json(
            400,
            json!({"error": {"code": "INVALID_NUMBER"}}),
        ));
        let delivered = c.notify().await;
        assert!(
            matches!(&delivered[..], [Delivery::DeadLettered(reason)] if reason.contains("400")),
            "{f}: {delivered:?}"
        );

        // Down for good: the message comes back until its last attempt, then the DLQ.
        let third = c.sms(PHONE, &format!("CEK {id}"), "gw-6003").await;
        assert_eq!(third.1["result"], "status_answered", "{f}");
        c.sms.reply_times(100, Reply::json(500, json!({})));
        let queued = c.h.take_notifications().await;
        let body = serde_json::to_string(&queued[0]).unwrap();
        for attempt in 1..3 {
            assert!(
                c.notifier.deliver(&body, attempt).await.is_err(),
                "{f}: attempt {attempt}"
            );
        }
        let last = c.notifier.deliver(&body, 3).await.unwrap();
        assert!(
            matches!(&last, Delivery::DeadLettered(reason) if reason.contains("3 attempts")),
            "{f}: {last:?}"
        );
        let letters =
            c.h.receiver
                .dead_letters(QueueName::Notifications)
                .await
                .unwrap();
        let reasons: Vec<Value> = letters
            .iter()
            .map(|m| serde_json::from_str::<Value>(&m.body).unwrap())
            .collect();
        assert_eq!(reasons.len(), 2, "{f}: {reasons:?}");
        for letter in &reasons {
            assert!(
                letter["reason"].as_str().unwrap().starts_with("sms:"),
                "{f}"
            );
            assert!(letter["notification"]["notification_id"].is_string(), "{f}");
            assert!(!letter.to_string().contains("3456"), "{f}: no phone number");
        }
    }
}

/// `id` with its check symbol changed: a typo the check symbol catches.
fn mistyped(id: &str) -> String {
    let last = id.chars().last().unwrap();
    format!(
        "{}{}",
        &id[..id.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    )
}

#[tokio::test]
async fn an_sms_reporter_reads_the_answer_in_parts_rates_it_and_hears_no_repeats() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let created = c
            .sms(
                PHONE,
                "LAPOR Lampu penerangan jalan di Jl. Dago Kota Bandung mati sejak seminggu",
                "gw-8001",
            )
            .await;
        let id = tracking_id_of(f, &created);
        c.h.drain_router().await;
        let officer = c.officer_of(&id, "petugas-8").await;
        // LIHAT before the institution said anything.
        c.sms(PHONE, &format!("LIHAT {id}"), "gw-8002").await;
        c.notify().await;
        let nothing = c.sms_to(PHONE).pop().unwrap();
        assert!(
            nothing.starts_with(&format!(
                "Laporan {id} belum mendapat tanggapan. Status laporan"
            )),
            "{f}: {nothing}"
        );

        // A long follow-up reaches the SMS reporter whole, in numbered parts that say where
        // they were cut, each within three SMS segments.
        let sentence = "Tim penerangan jalan umum telah memeriksa jaringan kabel di sepanjang \
                        Jl. Dago dan menemukan kabel yang putus akibat galian saluran air. ";
        let long_answer = sentence.repeat(8).trim().to_string();
        assert!(long_answer.chars().count() > 1_000);
        let followed =
            c.h.act(
                &officer,
                &id,
                "channel-8-follow",
                json!({"action": "follow_up", "message": long_answer}),
            )
            .await;
        assert_eq!(followed.status, 200, "{f}: {}", followed.text);
        let before = c.sms_to(PHONE).len();
        c.notify().await;
        let parts: Vec<String> = c.sms_to(PHONE)[before..].to_vec();
        assert!(parts.len() >= 3, "{f}: {parts:?}");
        let total = parts.len();
        let mut whole = String::new();
        for (k, part) in parts.iter().enumerate() {
            assert!(part.chars().count() <= 459, "{f}: {part}");
            let mark = format!("({}/{total}) ", k + 1);
            let mut body = part.strip_prefix(&mark).expect("numbered");
            if k + 1 < total {
                body = body.strip_suffix(" (bersambung)").expect("says it goes on");
            }
            if !whole.is_empty() {
                whole.push(' ');
            }
            whole.push_str(body);
        }
        assert_eq!(
            whole,
            format!(
                "Tanggapan Pemerintah Kota Bandung atas laporan {id}: \"{long_answer}\" Bila \
                 belum selesai, kirim: BALAS {id} <pesan>. Bila sudah, beri nilai: NILAI {id} \
                 <1-5>."
            ),
            "{f}"
        );
        // Each part is its own message to the gateway, sent once.
        let references: Vec<String> = c
            .sms
            .requests()
            .iter()
            .map(|r| r.body["reference"].as_str().unwrap_or_default().to_string())
            .collect();
        let mut unique = references.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), references.len(), "{f}: {references:?}");
        assert!(c.notify().await.is_empty(), "{f}: nothing left to send");

        // CEK and LIHAT show the latest answer to the reporter.
        c.sms(PHONE, &format!("CEK {id}"), "gw-8003").await;
        c.notify().await;
        let status = c.sms_to(PHONE)[before + total..].join(" ");
        assert!(
            status.contains("Sudah Ditindaklanjuti") && status.contains("Tanggapan Pemerintah"),
            "{f}: {status}"
        );

        // NILAI rates it, as the web's rating does: once.
        let rated = c
            .sms(
                PHONE,
                &format!("nilai {id} 4 Cepat, terima kasih"),
                "gw-8004",
            )
            .await;
        assert_eq!(rated.1["result"], "rating_recorded", "{f}: {}", rated.1);
        let stored = c.h.stored(&id).await;
        let rating = stored.rating.clone().expect("rated");
        assert_eq!(rating.stars, 4, "{f}");
        assert_eq!(
            rating.comment.as_deref(),
            Some("Cepat, terima kasih"),
            "{f}"
        );
        let again = c.sms(PHONE, &format!("NILAI {id} 1"), "gw-8005").await;
        assert_eq!(again.1["result"], "help_sent", "{f}");
        assert_eq!(c.h.stored(&id).await.rating.unwrap().stars, 4, "{f}");
        let bad = c.sms(PHONE, &format!("NILAI {id} 7"), "gw-8006").await;
        assert_eq!(bad.1["result"], "help_sent", "{f}");
        let n = c.sms_to(PHONE).len();
        c.notify().await;
        let said = c.sms_to(PHONE)[n..].to_vec();
        assert_eq!(
            said,
            vec![
                format!("Terima kasih atas penilaian Anda untuk laporan {id}."),
                format!("Laporan {id} sudah Anda nilai. Terima kasih."),
                format!(
                    "Nilai dengan angka 1 sampai 5 (5 paling baik): NILAI {id} <1-5> \
                     <komentar>, misalnya NILAI {id} 5 Cepat ditangani."
                ),
            ],
            "{f}"
        );

        // Closed after the rating: the closing message, and no second call to rate.
        let closed =
            c.h.act(
                &officer,
                &id,
                "channel-8-close",
                json!({"action": "close", "message": "Lampu sudah menyala kembali."}),
            )
            .await;
        assert_eq!(closed.status, 200, "{f}: {}", closed.text);
        c.notify().await;
        assert_eq!(
            c.sms_to(PHONE).pop().unwrap(),
            format!(
                "Laporan {id} telah selesai. Pesan penutup dari Pemerintah Kota Bandung: \
                 \"Lampu sudah menyala kembali.\""
            ),
            "{f}"
        );
    }
}

#[tokio::test]
async fn a_new_problem_from_a_waiting_reporter_is_kept_and_asked_about() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let key = format!("phone:{PHONE}");
        let created = c
            .sms(
                PHONE,
                "LAPOR Saluran air di Jl. Sukajadi Kota Bandung tersumbat sampah dan meluap",
                "gw-9001",
            )
            .await;
        let id = tracking_id_of(f, &created);
        c.h.drain_router().await;
        let officer = c.officer_of(&id, "petugas-9").await;
        let followed =
            c.h.act(
                &officer,
                &id,
                "channel-9-follow",
                json!({"action": "follow_up", "message": "Saluran sudah dibersihkan."}),
            )
            .await;
        assert_eq!(followed.status, 200, "{f}: {}", followed.text);
        c.notify().await;

        // A new problem while the follow-up waits for them: kept, not a reply, not a report.
        let problem = "Lampu jalan di Jl. Setiabudi juga mati sejak kemarin malam";
        let kept = c.sms(PHONE, problem, "gw-9002").await;
        assert_eq!(
            kept.1,
            json!({"result": "awaiting_choice", "tracking_id": id}),
            "{f}"
        );
        assert_eq!(c.h.stored(&id).await.status, Status::Responded, "{f}");
        assert_eq!(c.reports_of(&key).await.len(), 1, "{f}");
        // "Terima kasih" after a follow-up is no plain answer either (it would reopen it).
        let thanks = c.sms(PHONE, "Terima kasih pak", "gw-9003").await;
        assert_eq!(thanks.1["result"], "awaiting_choice", "{f}");
        let n = c.sms_to(PHONE).len();
        c.notify().await;
        let asked = c.sms_to(PHONE)[n..].to_vec();
        let question = format!(
            "Apakah pesan Anda balasan untuk laporan {id}? Kirim BALAS {id} untuk mengirimnya \
             sebagai balasan, atau LAPOR untuk menjadikannya laporan baru. Pesan Anda kami \
             simpan 24 jam."
        );
        assert_eq!(asked, vec![question.clone(), question], "{f}");
        // The newer message replaced the older: "LAPOR" now would make "Terima kasih pak" a
        // report, too short to be one. Send the problem again and choose LAPOR.
        assert_eq!(
            c.sms(PHONE, "LAPOR", "gw-9004").await.1["result"],
            "help_sent",
            "{f}: too short"
        );
        c.sms(PHONE, problem, "gw-9005").await;
        let made = c.sms(PHONE, "LAPOR", "gw-9006").await;
        let new_id = tracking_id_of(f, &made);
        assert_ne!(new_id, id, "{f}");
        assert_eq!(c.h.stored(&new_id).await.body, problem, "{f}");
        assert_eq!(c.h.stored(&id).await.status, Status::Responded, "{f}");
        // Nothing is kept any more: LAPOR alone is help again, BALAS <id> alone asks for text.
        assert_eq!(
            c.sms(PHONE, "LAPOR", "gw-9007").await.1["result"],
            "help_sent"
        );
        assert_eq!(
            c.sms(PHONE, &format!("BALAS {id}"), "gw-9008").await.1["result"],
            "help_sent"
        );
        let n = c.sms_to(PHONE).len();
        c.notify().await;
        let said = c.sms_to(PHONE)[n..].to_vec();
        assert_eq!(said.len(), 5, "{f}: {said:?}");
        assert!(
            said[0].starts_with("Laporan Anda terlalu singkat."),
            "{f}: {said:?}"
        );
        assert!(
            said[1].starts_with("Apakah pesan Anda balasan"),
            "{f}: {said:?}"
        );
        assert!(
            said[2].contains(&format!("nomor {new_id}")),
            "{f}: {said:?}"
        );
        assert!(said[3].starts_with("LAPOR! Kirim laporan"), "{f}: {said:?}");
        assert_eq!(
            said[4],
            format!("Tulis balasan Anda setelah nomornya: BALAS {id} <pesan>."),
            "{f}"
        );

        // Plainly answers: a short text while a question waits.
        let asked =
            c.h.act(
                &officer,
                &id,
                "channel-9-ask",
                json!({"action": "request_info", "question": "Di RT berapa?"}),
            )
            .await;
        assert_eq!(asked.status, 200, "{f}: {}", asked.text);
        let short = c.sms(PHONE, "RT 04 RW 02", "gw-9009").await;
        assert_eq!(
            short.1,
            json!({"result": "reply_recorded", "tracking_id": id}),
            "{f}"
        );
        assert_eq!(c.reports_of(&key).await.len(), 2, "{f}");
    }
}

#[tokio::test]
async fn mistyped_ids_and_other_senders_reports_get_consistent_answers() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let created = c
            .sms(
                PHONE,
                "LAPOR Trotoar di Jl. Asia Afrika Kota Bandung rusak dan membahayakan pejalan kaki",
                "gw-10001",
            )
            .await;
        let id = tracking_id_of(f, &created);
        let typo = mistyped(&id);
        let other = "+6285700011199";
        for (n, text) in [
            format!("CEK {typo}"),
            format!("BALAS {typo} ini jawabannya"),
            format!("LIHAT {typo}"),
            format!("NILAI {typo} 5"),
        ]
        .iter()
        .enumerate()
        {
            let answered = c.sms(PHONE, text, &format!("gw-1010{n}")).await;
            assert_eq!(answered.1["result"], "help_sent", "{f}: {text}");
        }
        // Another number: CEK shows the (public) status; BALAS, LIHAT and NILAI all say it is
        // not theirs, none pretends the report does not exist.
        for (n, text) in [
            format!("CEK {id}"),
            format!("BALAS {id} saya juga mengalami"),
            format!("LIHAT {id}"),
            format!("NILAI {id} 1"),
        ]
        .iter()
        .enumerate()
        {
            c.sms(other, text, &format!("gw-1020{n}")).await;
        }
        assert_eq!(c.h.stored(&id).await.timeline.len(), 1, "{f}: nothing done");
        c.notify().await;
        let mine = c.sms_to(PHONE);
        let invalid = |keyword: &str| {
            format!(
                "Nomor laporan tidak valid. Periksa kembali nomornya: 10 huruf dan angka seperti \
                 pada pesan tanda terima, misalnya {keyword} G4KBG-QWVE4."
            )
        };
        assert_eq!(
            mine[1..].to_vec(),
            vec![
                invalid("CEK"),
                invalid("BALAS"),
                invalid("LIHAT"),
                invalid("NILAI")
            ],
            "{f}"
        );
        let theirs = c.sms_to(other);
        assert_eq!(theirs.len(), 4, "{f}: {theirs:?}");
        assert!(
            theirs[0].starts_with(&format!("Status laporan {id}: Belum Terverifikasi")),
            "{f}: {}",
            theirs[0]
        );
        let not_theirs = format!(
            "Laporan {id} tidak dikirim dari nomor atau akun ini. Hanya pelapornya yang dapat \
             membaca tanggapan, membalas, dan memberi nilai. Statusnya: kirim CEK {id}."
        );
        assert_eq!(theirs[1..].to_vec(), vec![not_theirs; 3], "{f}");
        for text in theirs.iter() {
            assert!(!text.contains("Trotoar"), "{f}: no content: {text}");
        }
    }
}

/// `lapor-local` with `args`, its output (stdout, stderr) when it succeeds.
fn lapor_local(args: &[&str]) -> String {
    let out = std::process::Command::new(crate::runner_binary())
        .args(args)
        .env_remove("LAPOR_URL")
        .env_remove("LAPOR_DATA_DIR")
        .current_dir(lapor_tests::workspace_root())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        out.status.success(),
        "lapor-local {args:?}: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn the_local_runner_on_another_port_answers_health_signatures_and_send_sms() {
    use crate::local_runner::{exchange, Runner};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_dir = data.to_str().unwrap();
    // A free port, never the default 3000: the README's `send-sms --url` reaches it.
    let runner = Runner::start(&data, dir.path().join("serve.log"));
    assert_ne!(runner.addr.port(), 3000);

    let health = exchange(runner.addr, "GET", "/healthz", &[], None).unwrap();
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.json, json!({"status": "ok"}));

    let url = format!("http://{}", runner.addr);
    let sent = lapor_local(&[
        "send-sms",
        "--url",
        &url,
        "--data-dir",
        data_dir,
        "--from",
        "0812-3456-7890",
        "LAPOR Kabel listrik menjuntai rendah di Jl. Braga Kota Bandung, berbahaya",
    ]);
    assert!(
        sent.starts_with("200") && sent.contains("report_created"),
        "{sent}"
    );
    let answer: Value = serde_json::from_str(sent.trim_start_matches("200 OK ").trim()).unwrap();
    let id = answer["tracking_id"].as_str().unwrap().to_string();

    // A bad signature over HTTP: the Lambda handler's answer names the signature.
    let refused = exchange(
        runner.addr,
        "POST",
        "/v1/channels/sms",
        &[
            ("content-type", "application/json"),
            (
                "x-lapor-timestamp",
                &chrono::Utc::now().timestamp().to_string(),
            ),
            ("x-lapor-signature", "sha256=00"),
        ],
        Some(r#"{"from":"+6281234567890","text":"CEK","message_id":"m-1"}"#),
    )
    .unwrap();
    assert_eq!(refused.status, 401, "{}", refused.text);
    assert_eq!(
        refused.json["message"],
        lapor::service::webhooks::SIGNATURE_REFUSED,
        "{}",
        refused.text
    );
    runner.stop();

    // `triage assign` prints the status by its current name.
    let printed = lapor_local(&[
        "triage",
        "assign",
        &id,
        "pemda-32.73",
        "--officer",
        "verifikator-1",
        "--data-dir",
        data_dir,
    ]);
    assert!(
        printed.contains("status dispositioned (Terdisposisi Belum Ditindaklanjuti)")
            && !printed.contains("routed,"),
        "{printed}"
    );
}

#[tokio::test]
async fn cek_gives_the_deadline_in_the_institutions_zone_and_a_too_long_reply_is_explained() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let created = c
            .sms(
                PHONE,
                "LAPOR Lampu jalan di Jl. Gatot Subroto Kota Denpasar mati dua minggu",
                "gw-11001",
            )
            .await;
        let id = tracking_id_of(f, &created);
        c.h.drain_router().await;
        if c.h.stored(&id).await.agency_id.as_deref() != Some("pemda-51.71") {
            let verified =
                c.h.act(
                    &Staff::verifier("verifikator-11"),
                    &id,
                    "verify-denpasar",
                    json!({"action": "verify", "agency_id": "pemda-51.71"}),
                )
                .await;
            assert_eq!(verified.status, 200, "{f}: {}", verified.text);
        }
        c.sms(PHONE, &format!("CEK {id}"), "gw-11002").await;
        c.notify().await;
        let status = c.sms_to(PHONE).pop().unwrap();
        assert!(
            status.starts_with(&format!(
                "Status laporan {id}: Terdisposisi Belum Ditindaklanjuti. Batas waktu tahap ini: "
            )) && status.ends_with(" WITA."),
            "{f}: {status}"
        );
        assert!(!status.contains("UTC") && !status.contains("WIB"), "{f}");

        // A reply longer than a reply may be: said so, not "closed".
        let officer = Staff::officer("petugas-11", "pemda-51.71");
        let asked =
            c.h.act(
                &officer,
                &id,
                "ask-denpasar",
                json!({"action": "request_info", "question": "Tiang nomor berapa?"}),
            )
            .await;
        assert_eq!(asked.status, 200, "{f}: {}", asked.text);
        let long = format!("BALAS {id} {}", "tiang dekat pura ".repeat(300));
        let refused = c.sms(PHONE, &long, "gw-11003").await;
        assert_eq!(refused.1["result"], "help_sent", "{f}");
        assert_eq!(c.h.stored(&id).await.status, Status::Deferred, "{f}");
        c.notify().await;
        assert_eq!(
            c.sms_to(PHONE).pop().unwrap(),
            format!(
                "Balasan untuk laporan {id} terlalu panjang (paling banyak 4000 huruf). \
                 Persingkat, lalu kirim lagi: BALAS {id} <pesan>."
            ),
            "{f}"
        );
    }
}

#[tokio::test]
async fn another_sender_supports_a_report_with_dukung_and_hears_its_answers() {
    for h in families().await {
        let c = channels(h).await;
        let f = c.family();
        let created = c
            .sms(
                PHONE,
                "LAPOR Trotoar di Jl. Asia Afrika Kota Bandung rusak dan membahayakan pejalan kaki",
                "gw-20001",
            )
            .await;
        let id = tracking_id_of(f, &created);
        c.h.drain_router().await;
        let other = "+6285700011199";
        let first = c.sms(other, &format!("DUKUNG {id}"), "gw-20002").await;
        assert_eq!(first.1["result"], "support_counted", "{f}: {:?}", first.1);
        let again = c.sms(other, &format!("dukung {id}"), "gw-20003").await;
        assert_eq!(again.1["result"], "support_counted", "{f}");
        let own = c.sms(PHONE, &format!("DUKUNG {id}"), "gw-20004").await;
        assert_eq!(own.1["result"], "help_sent", "{f}");
        let supporters = c.h.stored(&id).await.supporters;
        assert_eq!(supporters.len(), 1, "{f}: counted once, never the reporter");
        assert!(supporters[0].key.starts_with("sender:"), "{f}");
        assert!(
            !supporters[0].key.contains("8570"),
            "{f}: a reference, not the number"
        );

        let officer = c.officer_of(&id, "petugas-1").await;
        let answer = json!({"action": "follow_up", "message": "Trotoar diperbaiki minggu ini."});
        let acted = c.h.act(&officer, &id, "fu-dukung-1", answer).await;
        assert_eq!(acted.status, 200, "{f}: {}", acted.text);
        c.notify().await;
        let theirs = c.sms_to(other);
        assert_eq!(theirs.len(), 3, "{f}: {theirs:?}");
        assert!(
            theirs[0].starts_with(&format!(
                "Dukungan Anda untuk laporan {id} tercatat (1 pendukung)"
            )),
            "{f}: {}",
            theirs[0]
        );
        assert_eq!(
            theirs[1],
            format!("Anda sudah mendukung laporan {id} (1 pendukung)."),
            "{f}"
        );
        assert!(
            theirs[2].contains("yang Anda dukung")
                && theirs[2].contains("Trotoar diperbaiki minggu ini."),
            "{f}: {}",
            theirs[2]
        );
        let mine = c.sms_to(PHONE);
        assert!(
            mine.iter().any(|t| t.contains("laporan Anda sendiri")),
            "{f}: {mine:?}"
        );
    }
}
