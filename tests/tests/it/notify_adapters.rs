//! The outbound adapters against imitation providers (`lapor_tests::providers`): the exact
//! request each sends, how each reads success and failure, retries through `send_with_retries`,
//! and the rate limiter's spacing (in paused time, with an in-memory sender).
//!
//! Every log line of this process is captured: no phone number, user id, message text or token
//! may reach the logs, whatever the providers answer.

use lapor::outbound::http_client::JsonClient;
use lapor::outbound::meta::{MessengerSender, WhatsappSender, WhatsappTemplate};
use lapor::outbound::ses::SesSender;
use lapor::outbound::sms::SmsGatewaySender;
use lapor::outbound::x::XDmSender;
use lapor::outbound::{
    send_with_retries, Address, ChannelSender, OutboundMessage, Provider, Rate, RateLimiter,
    RetryPolicy, SendError, Senders, Sent,
};
use lapor_tests::logs::capture;
use lapor_tests::providers::{refused_url, FakeProvider, Reply};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const PHONE: &str = "+6281397531864";
const PHONE_DIGITS: &str = "6281397531864";
const X_USER: &str = "1453897231";
const PSID: &str = "7395528411062837";
const TEXT: &str = "Laporan LAPOR-2025-000123 Anda telah diteruskan ke Dinas Pekerjaan Umum \
    Kota Zamrud.";
const TOKEN: &str = "rahasia-token-0123456789abcdef";
const PHONE_NUMBER_ID: &str = "106540352242922";
const EMAIL: &str = "wulan.kusuma@contoh.id";

/// Strings that must never show in a reason or a log line.
fn secrets() -> Vec<&'static str> {
    vec![
        PHONE_DIGITS,
        "81397531864",
        X_USER,
        PSID,
        "Zamrud",
        "diteruskan",
        TOKEN,
    ]
}

fn assert_clean(what: &str) {
    for secret in secrets() {
        assert!(!what.contains(secret), "{secret:?} leaked in {what:?}");
    }
}

fn client() -> JsonClient {
    capture();
    JsonClient::new().expect("system root certificates")
}

fn message(to: Address) -> OutboundMessage {
    OutboundMessage {
        notification_id: "ntf-01JD5X9R6Q".into(),
        to,
        text: TEXT.into(),
    }
}

/// Tiny delays, so retry tests against real servers stay fast.
fn quick_policy(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    }
}

fn transient(error: &SendError) -> Option<Duration> {
    assert!(error.is_transient(), "expected transient: {error:?}");
    assert_clean(error.reason());
    error.retry_after()
}

fn permanent(error: &SendError) -> &str {
    assert!(!error.is_transient(), "expected permanent: {error:?}");
    assert_clean(error.reason());
    error.reason()
}

// ------------------------------------------------------------------------------ SMS gateway

fn sms(fake: &FakeProvider) -> SmsGatewaySender {
    SmsGatewaySender::new(client(), fake.url(), TOKEN)
}

#[tokio::test]
async fn sms_posts_the_documented_request_and_reads_the_id() {
    let fake = FakeProvider::sms_gateway().await;
    let sent = sms(&fake).send(&message(Address::Sms(PHONE.into()))).await;
    assert_eq!(
        sent,
        Ok(Sent {
            provider_message_id: Some("sms-1".into())
        })
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/messages"));
    assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.body,
        json!({"to": PHONE, "text": TEXT, "reference": "ntf-01JD5X9R6Q"})
    );
}

#[tokio::test]
async fn sms_base_url_may_have_a_path_and_a_trailing_slash() {
    let fake = FakeProvider::sms_gateway().await;
    let sender = SmsGatewaySender::new(client(), format!("{}/api/v2/", fake.url()), TOKEN);
    sender
        .send(&message(Address::Sms(PHONE.into())))
        .await
        .unwrap();
    assert_eq!(fake.requests()[0].path, "/api/v2/messages");
}

#[tokio::test]
async fn sms_repeated_reference_is_one_message() {
    let fake = FakeProvider::sms_gateway().await;
    let sender = sms(&fake);
    let m = message(Address::Sms(PHONE.into()));
    let first = sender.send(&m).await.unwrap();
    let again = sender.send(&m).await.unwrap();
    assert_eq!(first, again);
    let requests = fake.requests();
    assert_eq!(requests[0].body["reference"], requests[1].body["reference"]);

    // A gateway may answer a duplicate 409 instead: still sent.
    fake.reply(Reply::json(
        409,
        json!({"error": {"code": "DUPLICATE_REFERENCE"}, "message_id": "sms-1"}),
    ));
    assert_eq!(sender.send(&m).await, Ok(first));
}

#[tokio::test]
async fn sms_throttled_is_transient_with_retry_after() {
    let fake = FakeProvider::sms_gateway().await;
    fake.reply(
        Reply::json(429, json!({"error": {"code": "THROTTLED"}})).header("Retry-After", "7"),
    );
    let e = sms(&fake)
        .send(&message(Address::Sms(PHONE.into())))
        .await
        .unwrap_err();
    assert_eq!(transient(&e), Some(Duration::from_secs(7)));
    assert_eq!(e.reason(), "HTTP 429 sms:THROTTLED");
}

#[tokio::test]
async fn sms_server_errors_are_transient() {
    let fake = FakeProvider::sms_gateway().await;
    fake.reply(Reply::text(500, "Internal Server Error"));
    fake.reply(Reply::text(503, "<html>maintenance</html>"));
    let sender = sms(&fake);
    for status in ["500", "503"] {
        let e = sender
            .send(&message(Address::Sms(PHONE.into())))
            .await
            .unwrap_err();
        assert_eq!(transient(&e), None);
        assert_eq!(e.reason(), format!("HTTP {status}"));
    }
}

#[tokio::test]
async fn sms_refusals_are_permanent_and_quote_no_personal_data() {
    let fake = FakeProvider::sms_gateway().await;
    fake.reply(Reply::json(
        400,
        json!({"error": {"code": "INVALID_NUMBER", "message": format!("{PHONE} bukan nomor aktif: {TEXT}")}}),
    ));
    fake.reply(Reply::json(
        403,
        json!({"error": format!("key {TOKEN} revoked")}),
    ));
    fake.reply(Reply::json(422, json!({"code": PHONE_DIGITS})));
    let sender = sms(&fake);
    let m = message(Address::Sms(PHONE.into()));
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(permanent(&e), "HTTP 400 sms:INVALID_NUMBER");
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(permanent(&e), "HTTP 403");
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(permanent(&e), "HTTP 422");
}

#[tokio::test]
async fn sms_refuses_bad_numbers_and_other_addresses_without_calling() {
    let fake = FakeProvider::sms_gateway().await;
    let sender = sms(&fake);
    for to in [
        Address::Sms("081397531864".into()),
        Address::Sms(PHONE_DIGITS.into()),
        Address::Whatsapp(PHONE.into()),
        Address::Email("wulan@contoh.id".into()),
    ] {
        let e = sender.send(&message(to)).await.unwrap_err();
        permanent(&e);
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn unreachable_provider_is_transient() {
    let url = refused_url().await;
    let senders: Vec<(Box<dyn ChannelSender>, Address)> = vec![
        (
            Box::new(SmsGatewaySender::new(client(), url.clone(), TOKEN)),
            Address::Sms(PHONE.into()),
        ),
        (
            Box::new(XDmSender::new(client(), url.clone(), TOKEN)),
            Address::X(X_USER.into()),
        ),
        (
            Box::new(MessengerSender::new(client(), url.clone(), TOKEN)),
            Address::Messenger(PSID.into()),
        ),
        (
            Box::new(WhatsappSender::new(
                client(),
                url.clone(),
                PHONE_NUMBER_ID,
                TOKEN,
                None,
            )),
            Address::Whatsapp(PHONE.into()),
        ),
    ];
    for (sender, to) in senders {
        let e = sender.send(&message(to)).await.unwrap_err();
        assert_eq!(transient(&e), None);
        assert_eq!(e.reason(), "connection failed");
    }
}

#[tokio::test]
async fn a_silent_provider_times_out_as_transient() {
    // Accepts connections, never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let client = client().with_timeout(Duration::from_millis(200));
    let e = SmsGatewaySender::new(client, url, TOKEN)
        .send(&message(Address::Sms(PHONE.into())))
        .await
        .unwrap_err();
    assert_eq!(e, SendError::transient("timed out"));
    held.abort();
}

// ---------------------------------------------------------------------------------------- X

fn x(fake: &FakeProvider) -> XDmSender {
    XDmSender::new(client(), fake.url(), TOKEN)
}

#[tokio::test]
async fn x_sends_a_dm_to_the_participant() {
    let fake = FakeProvider::x().await;
    let sent = x(&fake)
        .send(&message(Address::X(X_USER.into())))
        .await
        .unwrap();
    assert_eq!(
        sent.provider_message_id.as_deref(),
        Some("1800000000000000001")
    );
    let r = &fake.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path,
        format!("/2/dm_conversations/with/{X_USER}/messages")
    );
    assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(r.body, json!({ "text": TEXT }));
}

#[tokio::test]
async fn x_rate_limit_waits_until_the_reset() {
    let fake = FakeProvider::x().await;
    let reset = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 60;
    fake.reply(
        Reply::json(
            429,
            json!({"title": "Too Many Requests", "detail": "Too Many Requests",
                   "type": "about:blank", "status": 429}),
        )
        .header("x-rate-limit-remaining", "0")
        .header("x-rate-limit-reset", &reset.to_string()),
    );
    fake.reply(
        Reply::json(
            429,
            json!({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}),
        )
        .header("retry-after", "3"),
    );
    let sender = x(&fake);
    let m = message(Address::X(X_USER.into()));
    let e = sender.send(&m).await.unwrap_err();
    let wait = transient(&e).expect("a wait from x-rate-limit-reset");
    assert!(
        (Duration::from_secs(58)..=Duration::from_secs(60)).contains(&wait),
        "{wait:?}"
    );
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(transient(&e), Some(Duration::from_secs(3)));
    assert_eq!(e.reason(), "HTTP 429 x:code-88");
}

#[tokio::test]
async fn x_refusals_keep_the_problem_type_not_the_detail() {
    let fake = FakeProvider::x().await;
    fake.reply(Reply::json(
        403,
        json!({"title": "Forbidden", "status": 403,
               "type": "https://api.twitter.com/2/problems/client-forbidden",
               "detail": format!("You are not permitted to send a DM to {X_USER}")}),
    ));
    fake.reply(Reply::json(
        401,
        json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
    ));
    let sender = x(&fake);
    let m = message(Address::X(X_USER.into()));
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(permanent(&e), "HTTP 403 x:client-forbidden");
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(permanent(&e), "HTTP 401 x:Unauthorized");

    fake.reply(Reply::text(503, "over capacity"));
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(transient(&e), None);
}

#[tokio::test]
async fn x_user_ids_are_numeric() {
    let fake = FakeProvider::x().await;
    for id in ["", "lapor_id", "../../2/tweets", "123/456"] {
        let e = x(&fake)
            .send(&message(Address::X(id.into())))
            .await
            .unwrap_err();
        permanent(&e);
    }
    assert!(fake.requests().is_empty());
}

// -------------------------------------------------------------------------------- Messenger

#[tokio::test]
async fn messenger_sends_a_tagged_update() {
    let fake = FakeProvider::graph().await;
    let sender = MessengerSender::new(client(), format!("{}/v21.0", fake.url()), TOKEN);
    let sent = sender
        .send(&message(Address::Messenger(PSID.into())))
        .await
        .unwrap();
    assert_eq!(sent.provider_message_id.as_deref(), Some("m_1"));
    let r = &fake.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v21.0/me/messages")
    );
    assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(
        r.body,
        json!({
            "recipient": {"id": PSID},
            "messaging_type": "MESSAGE_TAG",
            "tag": "ACCOUNT_UPDATE",
            "message": {"text": TEXT},
        })
    );
}

#[tokio::test]
async fn messenger_errors_by_graph_code() {
    let fake = FakeProvider::graph().await;
    let sender = MessengerSender::new(client(), fake.url(), TOKEN);
    let m = message(Address::Messenger(PSID.into()));
    fake.reply(Reply::json(
        400,
        json!({"error": {"message": format!("(#551) This person isn't available right now. {PSID}"),
                         "type": "OAuthException", "code": 551, "error_subcode": 1545041,
                         "fbtrace_id": "AbC123"}}),
    ));
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(
        permanent(&e),
        "HTTP 400 meta:code=551 subcode=1545041 type=OAuthException"
    );
    fake.reply(Reply::json(
        400,
        json!({"error": {"message": "(#613) Calls to this api have exceeded the rate limit.",
                         "type": "OAuthException", "code": 613}}),
    ));
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(transient(&e), None);
    fake.reply(Reply::json(
        401,
        json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}),
    ));
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(permanent(&e), "HTTP 401 meta:code=190 type=OAuthException");
}

// --------------------------------------------------------------------------------- WhatsApp

fn whatsapp(fake: &FakeProvider, template: Option<WhatsappTemplate>) -> WhatsappSender {
    WhatsappSender::new(
        client(),
        format!("{}/v21.0", fake.url()),
        PHONE_NUMBER_ID,
        TOKEN,
        template,
    )
}

#[tokio::test]
async fn whatsapp_sends_text_within_the_window() {
    let fake = FakeProvider::graph().await;
    let sent = whatsapp(&fake, None)
        .send(&message(Address::Whatsapp(PHONE.into())))
        .await
        .unwrap();
    assert_eq!(sent.provider_message_id.as_deref(), Some("wamid.1"));
    let r = &fake.requests()[0];
    assert_eq!(r.path, format!("/v21.0/{PHONE_NUMBER_ID}/messages"));
    assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(
        r.body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": PHONE_DIGITS,
            "type": "text",
            "text": {"body": TEXT},
        })
    );
}

#[tokio::test]
async fn whatsapp_sends_the_template_when_configured() {
    let fake = FakeProvider::graph().await;
    let template = WhatsappTemplate::parse("lapor_status:id").unwrap();
    let mut m = message(Address::Whatsapp(PHONE.into()));
    m.text = "Status laporan:\n\tditerima   oleh  instansi".into();
    whatsapp(&fake, Some(template)).send(&m).await.unwrap();
    assert_eq!(
        fake.requests()[0].body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": PHONE_DIGITS,
            "type": "template",
            "template": {
                "name": "lapor_status",
                "language": {"code": "id"},
                "components": [{
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Status laporan: diterima oleh instansi"}],
                }],
            },
        })
    );
}

#[tokio::test]
async fn whatsapp_errors_by_code() {
    let fake = FakeProvider::graph().await;
    let sender = whatsapp(&fake, None);
    let m = message(Address::Whatsapp(PHONE.into()));
    fake.reply(Reply::json(
        400,
        json!({"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException",
                         "code": 131047, "error_data": {"messaging_product": "whatsapp",
                         "details": format!("More than 24 hours have passed since {PHONE} replied")}}}),
    ));
    let e = sender.send(&m).await.unwrap_err();
    assert_eq!(
        permanent(&e),
        "HTTP 400 meta:code=131047 type=OAuthException"
    );
    fake.reply(Reply::json(
        400,
        json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429}}),
    ));
    assert_eq!(transient(&sender.send(&m).await.unwrap_err()), None);
    fake.reply(
        Reply::json(
            503,
            json!({"error": {"message": "Service unavailable", "code": 131016}}),
        )
        .header("retry-after", "2"),
    );
    assert_eq!(
        transient(&sender.send(&m).await.unwrap_err()),
        Some(Duration::from_secs(2))
    );
    fake.reply(Reply::json(
        403,
        json!({"error": {"message": "blocked", "type": "OAuthException", "code": 131031}}),
    ));
    permanent(&sender.send(&m).await.unwrap_err());
}

// ------------------------------------------------------------------------- retries, senders

#[tokio::test]
async fn retries_a_server_error_then_succeeds() {
    let fake = FakeProvider::sms_gateway().await;
    fake.reply(Reply::text(500, "oops"));
    let sent = send_with_retries(
        &sms(&fake),
        &RateLimiter::unlimited(),
        &quick_policy(3),
        &message(Address::Sms(PHONE.into())),
    )
    .await
    .unwrap();
    assert_eq!(sent.provider_message_id.as_deref(), Some("sms-1"));
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    // The same reference both times: the gateway can drop a duplicate.
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn retries_stop_at_a_permanent_error() {
    let fake = FakeProvider::sms_gateway().await;
    fake.reply(Reply::text(502, "bad gateway"));
    fake.reply(Reply::json(
        400,
        json!({"error": {"code": "INVALID_NUMBER"}}),
    ));
    let e = send_with_retries(
        &sms(&fake),
        &RateLimiter::unlimited(),
        &quick_policy(5),
        &message(Address::Sms(PHONE.into())),
    )
    .await
    .unwrap_err();
    assert_eq!(permanent(&e), "HTTP 400 sms:INVALID_NUMBER");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn retries_honour_the_attempts_and_return_the_last_error() {
    let fake = FakeProvider::sms_gateway().await;
    fake.reply_times(2, Reply::text(503, "busy"));
    fake.reply(
        Reply::json(429, json!({"error": {"code": "THROTTLED"}})).header("retry-after", "1"),
    );
    fake.reply(Reply::text(500, "never reached"));
    let started = std::time::Instant::now();
    let e = send_with_retries(
        &sms(&fake),
        &RateLimiter::unlimited(),
        &quick_policy(3),
        &message(Address::Sms(PHONE.into())),
    )
    .await
    .unwrap_err();
    assert_eq!(e.reason(), "HTTP 429 sms:THROTTLED");
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(fake.pending_replies(), 1);
    // Two waits, each capped at 20 ms, well below the 1 s Retry-After of the last answer.
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let fake = FakeProvider::sms_gateway().await;
    fake.reply(
        Reply::json(429, json!({"error": {"code": "THROTTLED"}})).header("retry-after", "1"),
    );
    let policy = RetryPolicy {
        attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(300),
    };
    let started = std::time::Instant::now();
    send_with_retries(
        &sms(&fake),
        &RateLimiter::unlimited(),
        &policy,
        &message(Address::Sms(PHONE.into())),
    )
    .await
    .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(1),
        "{waited:?}"
    );
}

#[tokio::test]
async fn senders_dispatch_to_the_providers_and_refuse_the_unconfigured() {
    let sms_fake = FakeProvider::sms_gateway().await;
    let graph = FakeProvider::graph().await;
    let senders = Senders::default()
        .with(Provider::SmsGateway, Arc::new(sms(&sms_fake)))
        .with(Provider::Whatsapp, Arc::new(whatsapp(&graph, None)));
    let policy = quick_policy(3);
    let limiter = RateLimiter::unlimited();
    for to in [Address::Sms(PHONE.into()), Address::Whatsapp(PHONE.into())] {
        send_with_retries(&senders, &limiter, &policy, &message(to))
            .await
            .unwrap();
    }
    assert_eq!((sms_fake.requests().len(), graph.requests().len()), (1, 1));
    let e = send_with_retries(
        &senders,
        &limiter,
        &policy,
        &message(Address::Messenger(PSID.into())),
    )
    .await
    .unwrap_err();
    assert_eq!(permanent(&e), "channel not configured: messenger");
}

// ----------------------------------------------------------------------------- rate limiter

/// Notes the (paused) time of every send and the provider it was for.
#[derive(Default)]
struct Clocked {
    sent: Mutex<Vec<(Provider, Duration)>>,
    start: Mutex<Option<tokio::time::Instant>>,
}

impl Clocked {
    fn at(&self, provider: Provider) -> Vec<u128> {
        let mut at: Vec<u128> = self
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| *p == provider)
            .map(|(_, t)| t.as_millis())
            .collect();
        at.sort();
        at
    }
}

#[async_trait::async_trait]
impl ChannelSender for Clocked {
    async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError> {
        let start = *self
            .start
            .lock()
            .unwrap()
            .get_or_insert_with(tokio::time::Instant::now);
        self.sent
            .lock()
            .unwrap()
            .push((message.to.provider(), start.elapsed()));
        Ok(Sent::default())
    }
}

#[tokio::test(start_paused = true)]
async fn the_limiter_spaces_a_batch_per_provider() {
    capture();
    let rates = RateLimiter::parse_rates("sms=5,whatsapp=50:10,x=0.5").unwrap();
    let limiter = Arc::new(RateLimiter::new(rates));
    let sender = Arc::new(Clocked::default());
    *sender.start.lock().unwrap() = Some(tokio::time::Instant::now());
    let mut batch = Vec::new();
    for i in 0..10 {
        batch.push(Address::Sms(format!("+62813000000{i:02}")));
        batch.push(Address::Whatsapp(format!("+62813000000{i:02}")));
        batch.push(Address::Email(format!("p{i}@contoh.id")));
    }
    batch.push(Address::X("42".into()));
    batch.push(Address::X("43".into()));
    // The whole batch at once, as the notifier sends a queue batch concurrently.
    let tasks: Vec<_> = batch
        .into_iter()
        .map(|to| {
            let (limiter, sender) = (limiter.clone(), sender.clone());
            tokio::spawn(async move {
                send_with_retries(&*sender, &limiter, &RetryPolicy::default(), &message(to))
                    .await
                    .unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // SMS: 5 a second, evenly: 5 in the first second, 5 in the next.
    let sms = sender.at(Provider::SmsGateway);
    assert_eq!(sms, (0..10).map(|i| i * 200).collect::<Vec<u128>>());
    assert_eq!(sms.iter().filter(|t| **t < 1000).count(), 5);
    // WhatsApp: a burst of 10 at once.
    assert_eq!(sender.at(Provider::Whatsapp), vec![0; 10]);
    // E-mail has no rate: not limited.
    assert_eq!(sender.at(Provider::Email), vec![0; 10]);
    // X: one every two seconds.
    assert_eq!(sender.at(Provider::X), vec![0, 2000]);
}

#[tokio::test(start_paused = true)]
async fn the_limiter_also_paces_retries() {
    capture();
    struct FailsTwice(Mutex<u32>, Clocked);
    #[async_trait::async_trait]
    impl ChannelSender for FailsTwice {
        async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError> {
            self.1.send(message).await?;
            let mut n = self.0.lock().unwrap();
            *n += 1;
            if *n <= 2 {
                Err(SendError::Transient {
                    reason: "HTTP 503".into(),
                    retry_after: Some(Duration::ZERO),
                })
            } else {
                Ok(Sent::default())
            }
        }
    }
    let sender = FailsTwice(Mutex::new(0), Clocked::default());
    *sender.1.start.lock().unwrap() = Some(tokio::time::Instant::now());
    let limiter = RateLimiter::new([(Provider::SmsGateway, Rate::per_second(1.0))]);
    send_with_retries(
        &sender,
        &limiter,
        &RetryPolicy::default(),
        &message(Address::Sms(PHONE.into())),
    )
    .await
    .unwrap();
    assert_eq!(sender.1.at(Provider::SmsGateway), vec![0, 1000, 2000]);
}

// ------------------------------------------------------------------------------ SES (moto)

/// An SES v2 client on moto, when the test servers run (moto serves every service on one port,
/// so the SQS endpoint is the SES one too, unless `AWS_ENDPOINT_URL_SESV2` says otherwise).
async fn moto_ses() -> Option<aws_sdk_sesv2::Client> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SESV2")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL_SQS"))
        .ok();
    let Some(endpoint) = endpoint else {
        assert!(
            !lapor_tests::servers_required(),
            "CI/LAPOR_TEST_SERVERS requires moto: run infra/scripts/test-all.sh"
        );
        eprintln!("skipping SES: no moto endpoint (run infra/scripts/test-all.sh)");
        return None;
    };
    let config = lapor::adapters::aws::load_config().await;
    Some(aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&config)
            .endpoint_url(endpoint)
            .build(),
    ))
}

/// A sender address moto has verified.
async fn verified_sender(client: &aws_sdk_sesv2::Client, name: &str) -> String {
    let from = format!("{name}-{}@lapor.go.id", std::process::id());
    client
        .create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("moto creates the identity");
    from
}

#[tokio::test]
async fn ses_sends_from_a_verified_identity_only() {
    capture();
    let Some(client) = moto_ses().await else {
        return;
    };
    let unverified = format!("unverified-{}@lapor.go.id", std::process::id());
    let to = Address::Email(EMAIL.into());

    let e = SesSender::with_client(client.clone(), unverified)
        .send(&message(to.clone()))
        .await
        .unwrap_err();
    assert_eq!(permanent(&e), "HTTP 400 ses:MessageRejected");
    assert!(!e.reason().contains("wulan"));

    let from = verified_sender(&client, "lapor").await;
    let sent = SesSender::with_client(client, from)
        .send(&message(to))
        .await
        .unwrap();
    assert!(sent.provider_message_id.is_some_and(|id| !id.is_empty()));
}

// ---------------------------------------------------------------------------------- privacy

#[tokio::test]
async fn nothing_personal_reaches_the_logs_or_debug_output() {
    let logs = capture();
    let fake = FakeProvider::sms_gateway().await;
    let graph = FakeProvider::graph().await;
    let echo = json!({"error": {"code": "X", "message": format!("{PHONE} {TEXT} {TOKEN}")}});
    fake.reply_times(2, Reply::json(500, echo.clone()));
    graph.reply_times(3, Reply::json(500, echo));
    let mut senders = Senders::default()
        .with(Provider::SmsGateway, Arc::new(sms(&fake)))
        .with(
            Provider::Messenger,
            Arc::new(MessengerSender::new(client(), graph.url(), TOKEN)),
        );
    let ses = moto_ses().await;
    if let Some(ses) = &ses {
        let from = verified_sender(ses, "privacy").await;
        senders = senders.with(
            Provider::Email,
            Arc::new(SesSender::with_client(ses.clone(), from)),
        );
    }
    let policy = quick_policy(3);
    let limiter = RateLimiter::unlimited();
    let m = message(Address::Sms(PHONE.into()));
    send_with_retries(&senders, &limiter, &policy, &m)
        .await
        .unwrap();
    let e = send_with_retries(
        &senders,
        &limiter,
        &policy,
        &message(Address::Messenger(PSID.into())),
    )
    .await
    .unwrap_err();
    transient(&e);
    if let Some(ses) = ses {
        send_with_retries(
            &senders,
            &limiter,
            &policy,
            &message(Address::Email(EMAIL.into())),
        )
        .await
        .unwrap();
        // And a refusal: SES quotes the address in its message.
        let refused = SesSender::with_client(ses, "unverified@lapor.go.id")
            .send(&message(Address::Email(EMAIL.into())))
            .await
            .unwrap_err();
        permanent(&refused);
    }

    let shown = format!("{m:?} {senders:?} {e:?} {e} {:?}", sms(&fake));
    assert_clean(&shown);
    assert!(logs.text_from(0).contains("send failed, will retry"));
    for line in logs.text_from(0).lines() {
        assert_clean(line);
    }
}
