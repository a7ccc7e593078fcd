//! Meta webhooks: Facebook Messenger (a Page's inbox) and the WhatsApp Business Cloud API.
//!
//! Meta calls one URL two ways (see "Webhooks" in Meta's developer documentation):
//!
//! - `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...` when the webhook is set
//!   up: answer 200 with the challenge as the body when [`verify_subscription`] gives it, 403
//!   otherwise.
//! - `POST` with a JSON body signed in `X-Hub-Signature-256: sha256=<lowercase hex
//!   HMAC-SHA256(app secret, body)>`: check it with [`verify`], then read it with [`parse`].
//!   Answer 200 quickly: Meta retries (and eventually disables) a webhook that does not.
//!
//! [`parse`] keeps what people send:
//!
//! - `object: "page"` (Messenger): each `entry[].messaging[]` event with a `message` that has
//!   text or media: `message.attachments[]` of type `image` or `file` with a `payload.url`
//!   become [`InboundMessage::media`] (Messenger has no captions: a photo comes as a message of
//!   its own, with empty text). Stickers (an `image` with a `payload.sticker_id`, the "like"
//!   thumb), audio, video, locations and shared links are not media here. Skipped: echoes of
//!   the Page's own messages (`message.is_echo`), deliveries, reads, reactions, opt-ins, and
//!   messages with neither text nor media.
//!   Postbacks are skipped too, even when they carry a title: LAPOR sends no buttons, so a
//!   postback is the "Get Started" button, not something the person wrote.
//!   Quick replies arrive as ordinary text and are kept. Messenger gives no name.
//! - `object: "whatsapp_business_account"`: each `entry[].changes[].value.messages[]`. Type
//!   `text` gives `text.body`; `image`, `video` and `document` give their `caption`;
//!   `image` and `document` also give their media `id` and `mime_type` as
//!   [`InboundMessage::media`] (kept without a caption, with empty text; a video without one is
//!   skipped); `button` gives `button.text` and `interactive` the chosen reply's `title`.
//!   Other types (audio, voice, sticker, location, contacts, reaction, order, system,
//!   unsupported...) are skipped: each needs a download or means nothing as a report.
//!   `statuses[]` (sent, delivered, read, failed receipts for our own messages) are ignored.
//!   The sender's name is the matching `value.contacts[].profile.name`.
//!
//! Any other `object` (Instagram, Page feed changes...) yields nothing; that is not an error.

use super::signature::{self, Encoding};
use super::{
    id_string, millis_to_datetime, non_blank, seconds_to_datetime, InboundMedia, InboundMessage,
    MediaSource, PayloadError, SenderAddress, SignatureError, MAX_MEDIA_PER_MESSAGE,
};
use crate::crypto::constant_time_eq;
use crate::domain::submission::normalise_phone;
use crate::domain::Channel;
use serde_json::Value;

/// The request header carrying the signature of a `POST`.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// The answer to Meta's verification request: `Some(challenge)` when `hub.mode` is `subscribe`
/// and `hub.verify_token` is `expected_token` (compared in constant time), `None` otherwise
/// (answer 403). An empty expected token never matches: that is a configuration mistake.
pub fn verify_subscription(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Option<String> {
    if mode != Some("subscribe") || expected_token.is_empty() {
        return None;
    }
    let token = verify_token?;
    let challenge = challenge.filter(|c| !c.is_empty())?;
    constant_time_eq(token.as_bytes(), expected_token.as_bytes()).then(|| challenge.to_string())
}

/// Checks `X-Hub-Signature-256` against the raw body, in constant time.
pub fn verify(
    app_secret: &[u8],
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let expected = signature::hmac_sha256(app_secret, &[body]);
    signature::check(signature_header, &expected, Encoding::Hex)
}

/// Reads the messages people sent (see the module documentation for what is kept).
pub fn parse(body: &[u8]) -> Result<Vec<InboundMessage>, PayloadError> {
    let root: Value = serde_json::from_slice(body).map_err(|_| PayloadError::NotJson)?;
    if !root.is_object() {
        return Err(PayloadError::InvalidField("body"));
    }
    let object = root.get("object").and_then(Value::as_str);
    if !matches!(object, Some("page" | "whatsapp_business_account")) {
        return Ok(Vec::new());
    }
    let entries = root
        .get("entry")
        .and_then(Value::as_array)
        .ok_or(PayloadError::MissingField("entry"))?;
    let mut messages = Vec::new();
    for entry in entries {
        if object == Some("page") {
            read_messenger_entry(entry, &mut messages)?;
        } else {
            read_whatsapp_entry(entry, &mut messages)?;
        }
    }
    Ok(messages)
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn read_messenger_entry(entry: &Value, out: &mut Vec<InboundMessage>) -> Result<(), PayloadError> {
    for event in array(entry, "messaging") {
        let Some(message) = event.get("message") else {
            // Deliveries, reads, reactions, postbacks, opt-ins...
            continue;
        };
        if message.get("is_echo").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let text = non_blank(message, "text").map_or("", str::trim);
        let media = messenger_media(message);
        if text.is_empty() && media.is_empty() {
            continue;
        }
        let sender = event
            .get("sender")
            .and_then(|s| s.get("id"))
            .and_then(id_string)
            .ok_or(PayloadError::MissingField("sender.id"))?;
        let mid = non_blank(message, "mid").ok_or(PayloadError::MissingField("message.mid"))?;
        let received_at = event
            .get("timestamp")
            .or_else(|| entry.get("time"))
            .and_then(millis_to_datetime)
            .ok_or(PayloadError::InvalidField("timestamp"))?;
        out.push(InboundMessage {
            channel: Channel::Messenger,
            provider_message_id: mid.to_string(),
            sender: SenderAddress::MessengerPsid(sender),
            sender_name: None,
            text: text.to_string(),
            received_at,
            fragment: None,
            public: false,
            raw: event.clone(),
            media,
        });
    }
    Ok(())
}

fn read_whatsapp_entry(entry: &Value, out: &mut Vec<InboundMessage>) -> Result<(), PayloadError> {
    for change in array(entry, "changes") {
        let Some(value) = change.get("value") else {
            continue;
        };
        let contacts = array(value, "contacts");
        for message in array(value, "messages") {
            let media = whatsapp_media(message);
            let text = match whatsapp_text(message) {
                Some(text) => text,
                None if !media.is_empty() => String::new(),
                None => continue,
            };
            let from = message
                .get("from")
                .and_then(id_string)
                .ok_or(PayloadError::MissingField("messages.from"))?;
            let phone = normalise_phone(&format!("+{}", from.trim_start_matches('+')))
                .ok_or(PayloadError::BadSender)?;
            let id = non_blank(message, "id").ok_or(PayloadError::MissingField("messages.id"))?;
            let received_at = message
                .get("timestamp")
                .and_then(seconds_to_datetime)
                .ok_or(PayloadError::InvalidField("messages.timestamp"))?;
            let sender_name = contacts
                .iter()
                .find(|c| c.get("wa_id").and_then(id_string).as_deref() == Some(from.as_str()))
                .and_then(|c| c.get("profile"))
                .and_then(|p| non_blank(p, "name"))
                .map(|n| n.trim().to_string());
            out.push(InboundMessage {
                channel: Channel::Whatsapp,
                provider_message_id: id.to_string(),
                sender: SenderAddress::Phone(phone),
                sender_name,
                text,
                received_at,
                fragment: None,
                public: false,
                raw: message.clone(),
                media,
            });
        }
    }
    Ok(())
}

/// A Messenger message's photos and files (`attachments[]` of type `image` or `file` with a
/// `payload.url`; stickers are not photos).
fn messenger_media(message: &Value) -> Vec<InboundMedia> {
    array(message, "attachments")
        .iter()
        .filter(|a| {
            matches!(
                a.get("type").and_then(Value::as_str),
                Some("image" | "file")
            )
        })
        .filter_map(|a| a.get("payload"))
        .filter(|p| p.get("sticker_id").is_none())
        .filter_map(|p| non_blank(p, "url"))
        .take(MAX_MEDIA_PER_MESSAGE)
        .map(|url| InboundMedia {
            source: MediaSource::MessengerUrl(url.trim().to_string()),
            content_type: None,
        })
        .collect()
}

/// A WhatsApp message's photo or document: its media id and `mime_type`.
fn whatsapp_media(message: &Value) -> Vec<InboundMedia> {
    let Some(kind @ ("image" | "document")) = message.get("type").and_then(Value::as_str) else {
        return Vec::new();
    };
    let Some(part) = message.get(kind) else {
        return Vec::new();
    };
    let Some(id) = part.get("id").and_then(id_string) else {
        return Vec::new();
    };
    vec![InboundMedia {
        source: MediaSource::WhatsappId(id),
        content_type: non_blank(part, "mime_type").map(|m| m.trim().to_ascii_lowercase()),
    }]
}

/// The readable text of a WhatsApp message, if it has one.
fn whatsapp_text(message: &Value) -> Option<String> {
    let kind = message.get("type").and_then(Value::as_str)?;
    let part = |key: &str| message.get(key);
    let text = match kind {
        "text" => part("text").and_then(|t| non_blank(t, "body")),
        "image" | "video" | "document" => part(kind).and_then(|m| non_blank(m, "caption")),
        "button" => part("button").and_then(|b| non_blank(b, "text")),
        "interactive" => part("interactive").and_then(|i| {
            ["button_reply", "list_reply"]
                .iter()
                .find_map(|k| i.get(*k).and_then(|r| non_blank(r, "title")))
        }),
        _ => None,
    }?;
    Some(text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    const MESSENGER: &str = include_str!("../../../tests/fixtures/channels/messenger-message.json");
    const WHATSAPP: &str = include_str!("../../../tests/fixtures/channels/whatsapp-message.json");
    const STATUS: &str = include_str!("../../../tests/fixtures/channels/whatsapp-status.json");

    #[test]
    fn verification_handshake() {
        let ok = verify_subscription(
            Some("subscribe"),
            Some("s3cret"),
            Some("1158201444"),
            "s3cret",
        );
        assert_eq!(ok.as_deref(), Some("1158201444"));
        let cases = [
            (Some("unsubscribe"), Some("s3cret"), Some("1")),
            (None, Some("s3cret"), Some("1")),
            (Some("subscribe"), Some("wrong"), Some("1")),
            (Some("subscribe"), Some("s3cre"), Some("1")),
            (Some("subscribe"), None, Some("1")),
            (Some("subscribe"), Some("s3cret"), None),
            (Some("subscribe"), Some("s3cret"), Some("")),
        ];
        for (mode, token, challenge) in cases {
            assert_eq!(
                verify_subscription(mode, token, challenge, "s3cret"),
                None,
                "{mode:?} {token:?} {challenge:?}"
            );
        }
        assert_eq!(
            verify_subscription(Some("subscribe"), Some(""), Some("1"), ""),
            None
        );
    }

    #[test]
    fn signatures() {
        let secret = b"app-secret";
        let body = WHATSAPP.as_bytes();
        // python3: "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
        let header = format!(
            "sha256={}",
            hex::encode(signature::hmac_sha256(secret, &[body]))
        );
        assert_eq!(verify(secret, Some(&header), body), Ok(()));
        assert_eq!(
            verify(b"other", Some(&header), body),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(secret, Some(&header), STATUS.as_bytes()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(secret, None, body), Err(SignatureError::Missing));
        // The SHA-1 header of old (X-Hub-Signature) is not accepted.
        assert_eq!(
            verify(secret, Some("sha1=abc"), body),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn known_signature_value() {
        // python3: hmac.new(b"app-secret", b'{"object":"page","entry":[]}', "sha256").hexdigest()
        let body = br#"{"object":"page","entry":[]}"#;
        assert_eq!(
            verify(
                b"app-secret",
                Some("sha256=e6e9d7a842a48e17f43a34d6125d0d933e2aab92ee37f0993a4d493b50e3d438"),
                body
            ),
            Ok(())
        );
    }

    #[test]
    fn messenger_fixture() {
        let messages = parse(MESSENGER.as_bytes()).unwrap();
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert_eq!(m.channel, Channel::Messenger);
        assert!(m.provider_message_id.starts_with("m_Zr8tH2kQ"));
        assert_eq!(
            m.sender,
            SenderAddress::MessengerPsid("7214589632147856".into())
        );
        assert_eq!(m.sender_name, None);
        assert!(m
            .text
            .starts_with("ASPIRASI: Mohon jadwal bus Trans Jateng"));
        assert_eq!(
            m.received_at,
            Utc.timestamp_millis_opt(1_736_914_499_876).unwrap()
        );
        assert!(!m.public);
        assert_eq!(m.raw["sender"]["id"], "7214589632147856");
    }

    #[test]
    fn messenger_echoes_deliveries_reads_and_postbacks_are_skipped_photos_kept() {
        // Shapes from Meta's Messenger webhook event reference.
        let body = json!({
            "object": "page",
            "entry": [{
                "id": "104927318234567",
                "time": 1_736_914_500_123_i64,
                "messaging": [
                    {"sender": {"id": "104927318234567"}, "recipient": {"id": "7214589632147856"},
                     "timestamp": 1_457_764_197_627_i64,
                     "message": {"is_echo": true, "app_id": 1_517_776_481_860_111_i64,
                                 "mid": "mid.1457764197618:41d102a3e1ae206a38", "text": "Terima kasih"}},
                    {"sender": {"id": "7214589632147856"}, "recipient": {"id": "104927318234567"},
                     "delivery": {"mids": ["mid.1458668856218:ed81099e15d3f4f233"], "watermark": 1_458_668_856_253_i64}},
                    {"sender": {"id": "7214589632147856"}, "recipient": {"id": "104927318234567"},
                     "timestamp": 1_458_668_856_463_i64, "read": {"watermark": 1_458_668_856_253_i64}},
                    {"sender": {"id": "7214589632147856"}, "recipient": {"id": "104927318234567"},
                     "timestamp": 1_458_668_856_463_i64,
                     "postback": {"mid": "m_x", "title": "Mulai", "payload": "GET_STARTED"}},
                    {"sender": {"id": "7214589632147856"}, "recipient": {"id": "104927318234567"},
                     "timestamp": 1_518_479_195_308_i64,
                     "message": {"mid": "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c",
                                 "attachments": [{"type": "image", "payload": {"url": "https://example.invalid/a.jpg"}}]}},
                    {"sender": {"id": "7214589632147856"}, "recipient": {"id": "104927318234567"},
                     "timestamp": 1_458_692_752_478_i64,
                     "message": {"mid": "m_1457764197618:41d102a3e1ae206a38", "text": "CEK ABCDE",
                                 "quick_reply": {"payload": "STATUS"}}}
                ]
            }]
        });
        let messages = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            messages.len(),
            2,
            "the photo and the quick reply are messages"
        );
        assert_eq!(messages[0].text, "");
        assert_eq!(
            messages[0].media,
            vec![InboundMedia {
                source: MediaSource::MessengerUrl("https://example.invalid/a.jpg".into()),
                content_type: None,
            }]
        );
        assert_eq!(messages[1].text, "CEK ABCDE");
        assert!(messages[1].media.is_empty());
        assert_eq!(
            messages[1].provider_message_id,
            "m_1457764197618:41d102a3e1ae206a38"
        );
    }

    #[test]
    fn messenger_stickers_and_other_attachments_are_not_media() {
        let event = |attachments: Value| {
            json!({"object": "page", "entry": [{"id": "1", "time": 1_518_479_195_308_i64, "messaging": [
                {"sender": {"id": "7214589632147856"}, "recipient": {"id": "1"},
                 "timestamp": 1_518_479_195_308_i64,
                 "message": {"mid": "m_1", "attachments": attachments}}]}]})
        };
        let none = event(json!([
            {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/s.png", "sticker_id": 369_239_263_222_822_i64}},
            {"type": "audio", "payload": {"url": "https://cdn.fbsbx.com/a.mp4"}},
            {"type": "location", "payload": {"coordinates": {"lat": -6.2, "long": 106.8}}},
            {"type": "fallback", "payload": null, "url": "https://lapor.go.id"}
        ]));
        assert_eq!(parse(none.to_string().as_bytes()).unwrap(), vec![]);
        let many: Vec<Value> = (0..7)
            .map(|i| {
                json!({"type": if i % 2 == 0 { "image" } else { "file" },
                            "payload": {"url": format!("https://cdn.fbsbx.com/{i}")}})
            })
            .collect();
        let got = parse(event(json!(many)).to_string().as_bytes()).unwrap();
        assert_eq!(got[0].media.len(), MAX_MEDIA_PER_MESSAGE);
        assert!(!format!("{:?}", got[0]).contains("fbsbx"));
    }

    #[test]
    fn whatsapp_fixture() {
        let messages = parse(WHATSAPP.as_bytes()).unwrap();
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert_eq!(m.channel, Channel::Whatsapp);
        assert_eq!(
            m.provider_message_id,
            "wamid.HBgNNjI4MTI5ODc2NTQzMhUCABIYFjNFQjBDNzQ2RjM5QzE4QjM0RkQ4QTIA"
        );
        assert_eq!(m.sender, SenderAddress::Phone("+6281298765432".into()));
        assert_eq!(m.sender_name.as_deref(), Some("Rina Marlina"));
        assert!(m.text.starts_with("LAPOR RAHASIA Ada pungutan liar"));
        assert_eq!(m.received_at, Utc.timestamp_opt(1_736_915_012, 0).unwrap());
        assert!(!m.public);
        assert_eq!(m.raw["type"], "text");
        let shown = format!("{m:?}");
        assert!(
            !shown.contains("6281298765432")
                && !shown.contains("Rina")
                && !shown.contains("pungutan")
        );
    }

    #[test]
    fn whatsapp_statuses_are_ignored() {
        assert_eq!(parse(STATUS.as_bytes()).unwrap(), vec![]);
    }

    fn whatsapp_with(message: Value) -> Vec<InboundMessage> {
        let mut root: Value = serde_json::from_str(WHATSAPP).unwrap();
        root["entry"][0]["changes"][0]["value"]["messages"] = json!([message]);
        parse(root.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn whatsapp_message_types() {
        let base = |kind: &str, part: Value| {
            let mut m = json!({"from": "6281298765432", "id": "wamid.X", "timestamp": "1736915012", "type": kind});
            m[kind] = part;
            m
        };
        let cases = [
            (
                base(
                    "image",
                    json!({"caption": " Foto jalan rusak ", "mime_type": "image/jpeg", "id": "1"}),
                ),
                Some("Foto jalan rusak"),
            ),
            (
                base("video", json!({"caption": "Banjir", "id": "2"})),
                Some("Banjir"),
            ),
            (
                base(
                    "document",
                    json!({"caption": "Surat keberatan", "filename": "a.pdf", "id": "3"}),
                ),
                Some("Surat keberatan"),
            ),
            (
                base("image", json!({"mime_type": "image/jpeg", "id": "4"})),
                Some(""),
            ),
            (
                base("video", json!({"mime_type": "video/mp4", "id": "7"})),
                None,
            ),
            (
                base("button", json!({"payload": "p", "text": "BANTUAN"})),
                Some("BANTUAN"),
            ),
            (
                base(
                    "interactive",
                    json!({"type": "button_reply", "button_reply": {"id": "b", "title": "Ya"}}),
                ),
                Some("Ya"),
            ),
            (
                base(
                    "interactive",
                    json!({"type": "list_reply", "list_reply": {"id": "l", "title": "Cek status"}}),
                ),
                Some("Cek status"),
            ),
            (
                base("audio", json!({"id": "5", "mime_type": "audio/ogg"})),
                None,
            ),
            (base("sticker", json!({"id": "6"})), None),
            (
                base(
                    "location",
                    json!({"latitude": -6.2, "longitude": 106.8, "name": "Monas"}),
                ),
                None,
            ),
            (
                base("reaction", json!({"message_id": "wamid.Y", "emoji": "👍"})),
                None,
            ),
            (base("unsupported", json!({})), None),
            (base("text", json!({"body": "   "})), None),
        ];
        for (message, want) in cases {
            let got = whatsapp_with(message.clone());
            assert_eq!(got.first().map(|m| m.text.as_str()), want, "{message}");
        }
        let media = |message: Value| whatsapp_with(message).remove(0).media;
        assert_eq!(
            media(base(
                "image",
                json!({"caption": "Foto", "mime_type": "Image/JPEG", "id": "1234567890"})
            )),
            vec![InboundMedia {
                source: MediaSource::WhatsappId("1234567890".into()),
                content_type: Some("image/jpeg".into()),
            }]
        );
        assert_eq!(
            media(base(
                "document",
                json!({"caption": "Surat", "id": 42, "mime_type": "application/pdf"})
            ))[0]
                .source,
            MediaSource::WhatsappId("42".into())
        );
        assert_eq!(
            media(base("video", json!({"caption": "Banjir", "id": "2"}))),
            vec![]
        );
        assert_eq!(media(base("text", json!({"body": "halo"}))), vec![]);
    }

    #[test]
    fn whatsapp_name_matches_the_sender() {
        let mut root: Value = serde_json::from_str(WHATSAPP).unwrap();
        root["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"] = json!("6281111111111");
        let m = parse(root.to_string().as_bytes()).unwrap();
        assert_eq!(m[0].sender_name, None);
    }

    #[test]
    fn whatsapp_bad_sender_and_missing_fields() {
        let mut m = json!({"from": "12", "id": "wamid.X", "timestamp": "1736915012", "type": "text", "text": {"body": "halo"}});
        let mut root: Value = serde_json::from_str(WHATSAPP).unwrap();
        root["entry"][0]["changes"][0]["value"]["messages"] = json!([m.clone()]);
        assert_eq!(
            parse(root.to_string().as_bytes()),
            Err(PayloadError::BadSender)
        );
        m["from"] = json!("6281298765432");
        m["timestamp"] = json!("later");
        root["entry"][0]["changes"][0]["value"]["messages"] = json!([m.clone()]);
        assert_eq!(
            parse(root.to_string().as_bytes()),
            Err(PayloadError::InvalidField("messages.timestamp"))
        );
        m.as_object_mut().unwrap().remove("id");
        m["timestamp"] = json!("1736915012");
        root["entry"][0]["changes"][0]["value"]["messages"] = json!([m]);
        assert_eq!(
            parse(root.to_string().as_bytes()),
            Err(PayloadError::MissingField("messages.id"))
        );
        // A foreign WhatsApp number is fine.
        let got = whatsapp_with(
            json!({"from": "60173526233", "id": "wamid.Z", "timestamp": "1694427240", "type": "text", "text": {"body": "Hihu"}}),
        );
        assert_eq!(got[0].sender, SenderAddress::Phone("+60173526233".into()));
    }

    #[test]
    fn other_objects_and_malformed_bodies() {
        assert_eq!(
            parse(br#"{"object":"instagram","entry":[]}"#).unwrap(),
            vec![]
        );
        assert_eq!(parse(br#"{"entry":[]}"#).unwrap(), vec![]);
        assert_eq!(parse(br#"{"object":"page","entry":[]}"#).unwrap(), vec![]);
        assert_eq!(parse(b"<xml/>"), Err(PayloadError::NotJson));
        assert_eq!(parse(b"42"), Err(PayloadError::InvalidField("body")));
        assert_eq!(
            parse(br#"{"object":"page"}"#),
            Err(PayloadError::MissingField("entry"))
        );
    }
}
