//! LAPOR's own SMS-gateway webhook: the contract any gateway (an operator's SMSC bridge, a
//! modem bank, an aggregator) meets to deliver incoming SMS to the short code.
//!
//! # Request
//!
//! `POST /v1/channels/sms` with a body in `application/x-www-form-urlencoded` or
//! `application/json` (without a `Content-Type`, a body starting with `{` is read as JSON):
//!
//! | Field          | Aliases                    | Meaning                                          |
//! |----------------|----------------------------|--------------------------------------------------|
//! | `from`         | `msisdn`, `sender`         | the sender's number, any Indonesian format       |
//! | `text`         | `message`                  | the message, or a part of it (a part not empty)  |
//! | `message_id`   | `id`, `messageId`          | the gateway's id: retries carry the same one     |
//! | `timestamp`    | `message-timestamp`        | optional: RFC 3339, unix seconds (or millis), or |
//! |                |                            | `YYYY-MM-DD HH:MM:SS` in UTC; absent means now   |
//! | `concat_ref`   | `concat-ref`               | long SMS: the reference shared by its parts      |
//! | `concat_part`  | `concat-part`              | long SMS: this part, from 1                      |
//! | `concat_total` | `concat-total`             | long SMS: the number of parts, 2 to 16           |
//!
//! When several aliases are present the first in the table wins. JSON values may be strings or
//! numbers. The three `concat_*` fields come together or not at all (a `concat_total` of 1 is a
//! whole message). Other fields are kept in [`InboundMessage::raw`] and otherwise ignored.
//!
//! ```text
//! POST /v1/channels/sms
//! Content-Type: application/x-www-form-urlencoded
//! X-Lapor-Timestamp: 1735786800
//! X-Lapor-Signature: sha256=<64 lowercase hex digits>
//!
//! from=081234567890&text=LAPOR+Jalan+rusak+di+Jl.+Merdeka&message_id=gw-000123
//! ```
//!
//! # Authentication
//!
//! `X-Lapor-Timestamp: <unix seconds>` and
//! `X-Lapor-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<raw body bytes>")>`,
//! the secret shared with the gateway. A request whose timestamp is more than
//! [`SIGNATURE_TOLERANCE`] before or after the server's clock is refused, so a captured request
//! cannot be replayed later; within the window, the message id makes a replay harmless.
//!
//! # Answer
//!
//! 2xx once the message is accepted (the gateway must not retry), 401 for a bad signature, 400
//! for a malformed body (retrying cannot help), 5xx when the gateway should retry.

use super::signature::{self, Encoding};
use super::{Fragment, InboundMessage, PayloadError, SenderAddress, SignatureError};
use crate::domain::submission::normalise_phone;
use crate::domain::Channel;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

/// The request header carrying the signing time (unix seconds).
pub const TIMESTAMP_HEADER: &str = "x-lapor-timestamp";
/// The request header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-lapor-signature";
/// How far the signing time may be from the server's clock, either way.
pub const SIGNATURE_TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);

/// Most parts a concatenated SMS may have here (networks allow 255; nobody types that much).
const MAX_PARTS: u8 = 16;

/// The `X-Lapor-Signature` value for a body signed at `timestamp`: `sha256=<hex>`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = digest(secret, &timestamp.to_string(), body);
    signature::header_value(&digest, Encoding::Hex)
}

fn digest(secret: &[u8], timestamp: &str, body: &[u8]) -> [u8; 32] {
    signature::hmac_sha256(secret, &[timestamp.as_bytes(), b".", body])
}

/// Checks a request's `X-Lapor-Timestamp` and `X-Lapor-Signature` headers (constant-time).
///
/// In order: no signature is `Missing`; no or a malformed timestamp is `BadTimestamp`; a wrong
/// signature is `Mismatch`; a right signature on a timestamp more than [`SIGNATURE_TOLERANCE`]
/// away from `now`, in the past or the future, is `Stale`.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    if signature.is_none_or(|s| s.trim().is_empty()) {
        return Err(SignatureError::Missing);
    }
    let timestamp = timestamp.map(str::trim).unwrap_or("");
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::BadTimestamp);
    }
    let signed_at = timestamp
        .parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or(SignatureError::BadTimestamp)?;
    signature::check(signature, &digest(secret, timestamp, body), Encoding::Hex)?;
    if (now - signed_at).abs() > SIGNATURE_TOLERANCE {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// Reads one incoming SMS (see the module documentation for the fields).
///
/// The sender is normalised to E.164 (`+62...`); one that does not normalise is `BadSender`.
/// A whole message's text is trimmed; a part's text is kept as it is, because parts are split
/// mid-word and joined with [`assemble`]. `raw` holds the request's fields as a JSON object.
pub fn parse(
    content_type: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<InboundMessage, PayloadError> {
    let fields = read_fields(content_type, body)?;

    let from =
        field(&fields, &["from", "msisdn", "sender"]).ok_or(PayloadError::MissingField("from"))?;
    let phone = normalise_phone(&from).ok_or(PayloadError::BadSender)?;
    let text = field(&fields, &["text", "message"]).ok_or(PayloadError::MissingField("text"))?;
    let message_id = field(&fields, &["message_id", "id", "messageId"])
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .ok_or(PayloadError::MissingField("message_id"))?;
    let received_at = match field(&fields, &["timestamp", "message-timestamp"]) {
        None => now,
        Some(t) if t.trim().is_empty() => now,
        Some(t) => parse_timestamp(&t).ok_or(PayloadError::InvalidField("timestamp"))?,
    };
    let fragment = fragment(&fields)?;
    // An empty SMS is a person's message like a too short one, answered with how to use the
    // service; an empty part of a long SMS is no part the network sends.
    if fragment.is_some() && text.trim().is_empty() {
        return Err(PayloadError::EmptyText);
    }
    let text = if fragment.is_some() {
        text
    } else {
        text.trim().to_string()
    };

    Ok(InboundMessage {
        channel: Channel::Sms,
        provider_message_id: message_id,
        sender: SenderAddress::Phone(phone),
        sender_name: None,
        text,
        received_at,
        fragment,
        public: false,
        raw: Value::Object(fields),
        media: Vec::new(),
    })
}

/// Joins the parts of a concatenated SMS, in order: no separators (the network splits parts
/// mid-word), then trims the whole.
pub fn assemble(parts: &[String]) -> String {
    parts.concat().trim().to_string()
}

fn read_fields(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Map<String, Value>, PayloadError> {
    let media_type = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json = match media_type.as_str() {
        "application/json" => true,
        m if m.starts_with("application/") && m.ends_with("+json") => true,
        "application/x-www-form-urlencoded" => false,
        "" => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
        _ => return Err(PayloadError::UnsupportedContentType),
    };
    if json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(PayloadError::InvalidField("body")),
            Err(_) => Err(PayloadError::NotJson),
        }
    } else {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| PayloadError::NotForm)?;
        let mut map = Map::new();
        for (key, value) in pairs {
            // A repeated field: the first one counts.
            map.entry(key).or_insert(Value::String(value));
        }
        Ok(map)
    }
}

/// The first of `names` present with a string or number value.
fn field(fields: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| match fields.get(*name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// RFC 3339; unix seconds (a number too large for seconds is read as milliseconds); or
/// `YYYY-MM-DD HH:MM:SS` in UTC (Vonage's `message-timestamp`).
fn parse_timestamp(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = value.parse().ok()?;
        // 10^11 seconds is the year 5138: anything larger is milliseconds.
        return if n >= 100_000_000_000 {
            DateTime::from_timestamp_millis(n)
        } else {
            DateTime::from_timestamp(n, 0)
        };
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

fn fragment(fields: &Map<String, Value>) -> Result<Option<Fragment>, PayloadError> {
    let reference = field(fields, &["concat_ref", "concat-ref"]);
    let part = field(fields, &["concat_part", "concat-part"]);
    let total = field(fields, &["concat_total", "concat-total"]);
    let (reference, part, total) = match (reference, part, total) {
        (None, None, None) => return Ok(None),
        (Some(r), Some(p), Some(t)) => (r, p, t),
        _ => return Err(PayloadError::BadFragment),
    };
    let reference = reference.trim().to_string();
    let part: u8 = part.trim().parse().map_err(|_| PayloadError::BadFragment)?;
    let total: u8 = total
        .trim()
        .parse()
        .map_err(|_| PayloadError::BadFragment)?;
    if reference.is_empty() || part == 0 || part > total || total > MAX_PARTS {
        return Err(PayloadError::BadFragment);
    }
    if total == 1 {
        return Ok(None);
    }
    Ok(Some(Fragment {
        reference,
        part,
        total,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SECRET: &[u8] = b"gateway-shared-secret";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 2, 3, 0, 0).unwrap()
    }

    const FORM: &[u8] = b"from=0812-3456-7890&text=LAPOR+Jalan+rusak+di+Jl.+Merdeka&message_id=gw-000123&timestamp=1735786800";

    #[test]
    fn sign_matches_an_independent_computation() {
        // python3: hmac.new(b"gateway-shared-secret", b"1735786800." + FORM, "sha256").hexdigest()
        assert_eq!(
            sign(SECRET, 1_735_786_800, FORM),
            "sha256=5a9f428bebc9b1f49280f832b0d5e193ff4ae1c222e3a88690d18f867b822dcf"
        );
    }

    #[test]
    fn verify_accepts_a_fresh_good_signature() {
        let ts = now().timestamp();
        let sig = sign(SECRET, ts, FORM);
        assert_eq!(
            verify(SECRET, Some(&ts.to_string()), Some(&sig), FORM, now()),
            Ok(())
        );
        // Just inside the window, both ways.
        for skew in [-300, 300] {
            let ts = now().timestamp() + skew;
            let sig = sign(SECRET, ts, FORM);
            assert_eq!(
                verify(SECRET, Some(&ts.to_string()), Some(&sig), FORM, now()),
                Ok(()),
                "skew {skew}"
            );
        }
    }

    #[test]
    fn verify_refuses_what_it_should() {
        let ts = now().timestamp();
        let ts_s = ts.to_string();
        let sig = sign(SECRET, ts, FORM);
        assert_eq!(
            verify(b"another-secret", Some(&ts_s), Some(&sig), FORM, now()),
            Err(SignatureError::Mismatch)
        );
        let mut tampered = FORM.to_vec();
        tampered[5] = b'9';
        assert_eq!(
            verify(SECRET, Some(&ts_s), Some(&sig), &tampered, now()),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is part of what is signed.
        let other = (ts + 1).to_string();
        assert_eq!(
            verify(SECRET, Some(&other), Some(&sig), FORM, now()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, Some(&ts_s), None, FORM, now()),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, Some(&ts_s), Some(""), FORM, now()),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, None, Some(&sig), FORM, now()),
            Err(SignatureError::BadTimestamp)
        );
        for bad in ["", "soon", "-5", "1735786800.5", "2025-01-02T03:00:00Z"] {
            assert_eq!(
                verify(SECRET, Some(bad), Some(&sig), FORM, now()),
                Err(SignatureError::BadTimestamp),
                "{bad:?}"
            );
        }
        let old = ts - 301;
        assert_eq!(
            verify(
                SECRET,
                Some(&old.to_string()),
                Some(&sign(SECRET, old, FORM)),
                FORM,
                now()
            ),
            Err(SignatureError::Stale)
        );
        let future = ts + 301;
        assert_eq!(
            verify(
                SECRET,
                Some(&future.to_string()),
                Some(&sign(SECRET, future, FORM)),
                FORM,
                now()
            ),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn parses_a_form_body() {
        let m = parse(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            FORM,
            now(),
        )
        .unwrap();
        assert_eq!(m.channel, Channel::Sms);
        assert_eq!(m.provider_message_id, "gw-000123");
        assert_eq!(m.sender, SenderAddress::Phone("+6281234567890".into()));
        assert_eq!(m.text, "LAPOR Jalan rusak di Jl. Merdeka");
        assert_eq!(m.received_at, Utc.timestamp_opt(1_735_786_800, 0).unwrap());
        assert_eq!(m.fragment, None);
        assert!(!m.public);
        assert_eq!(m.sender_name, None);
        assert_eq!(m.raw["from"], "0812-3456-7890");
        assert_eq!(m.raw["message_id"], "gw-000123");
    }

    #[test]
    fn parses_a_json_body_with_aliases_and_numbers() {
        let body = br#"{"msisdn": "6281234567890", "message": "  CEK ABCDE-FGHJK  ",
            "messageId": 987654, "timestamp": "2025-01-02T09:59:00+07:00"}"#;
        let m = parse(Some("application/json"), body, now()).unwrap();
        assert_eq!(m.sender, SenderAddress::Phone("+6281234567890".into()));
        assert_eq!(m.text, "CEK ABCDE-FGHJK");
        assert_eq!(m.provider_message_id, "987654");
        assert_eq!(
            m.received_at,
            Utc.with_ymd_and_hms(2025, 1, 2, 2, 59, 0).unwrap()
        );
        assert_eq!(m.raw["messageId"], 987654);

        // No content type: sniffed.
        let m = parse(None, body, now()).unwrap();
        assert_eq!(m.provider_message_id, "987654");
        let m = parse(None, FORM, now()).unwrap();
        assert_eq!(m.provider_message_id, "gw-000123");
    }

    #[test]
    fn timestamps() {
        let cases: &[(&str, DateTime<Utc>)] = &[
            ("", now()),
            ("1735786800", Utc.timestamp_opt(1_735_786_800, 0).unwrap()),
            (
                "1735786800123",
                Utc.timestamp_millis_opt(1_735_786_800_123).unwrap(),
            ),
            (
                "2025-01-02T03:00:00Z",
                Utc.with_ymd_and_hms(2025, 1, 2, 3, 0, 0).unwrap(),
            ),
            (
                "2025-01-02 02:30:00",
                Utc.with_ymd_and_hms(2025, 1, 2, 2, 30, 0).unwrap(),
            ),
        ];
        for (ts, want) in cases {
            let body = format!("from=081234567890&text=halo&id=1&timestamp={ts}");
            let m = parse(None, body.as_bytes(), now()).unwrap();
            assert_eq!(m.received_at, *want, "{ts:?}");
        }
        let body = b"from=081234567890&text=halo&id=1";
        assert_eq!(parse(None, body, now()).unwrap().received_at, now());
        let body = b"from=081234567890&text=halo&id=1&timestamp=kemarin";
        assert_eq!(
            parse(None, body, now()),
            Err(PayloadError::InvalidField("timestamp"))
        );
        let body = br#"{"from":"081234567890","text":"halo","id":"1","timestamp":1735786800}"#;
        assert_eq!(
            parse(None, body, now()).unwrap().received_at,
            Utc.timestamp_opt(1_735_786_800, 0).unwrap()
        );
    }

    #[test]
    fn phone_numbers_are_normalised() {
        for from in [
            "081234567890",
            "+6281234567890",
            "6281234567890",
            "0812 3456 7890",
            "(0812) 3456-7890",
        ] {
            let body = serde_json::json!({"from": from, "text": "halo", "id": "1"}).to_string();
            let m = parse(Some("application/json"), body.as_bytes(), now()).unwrap();
            assert_eq!(
                m.sender,
                SenderAddress::Phone("+6281234567890".into()),
                "{from}"
            );
        }
        for from in ["12345", "TELKOMSEL", "08", ""] {
            let body = serde_json::json!({"from": from, "text": "halo", "id": "1"}).to_string();
            assert_eq!(
                parse(Some("application/json"), body.as_bytes(), now()),
                Err(PayloadError::BadSender),
                "{from}"
            );
        }
    }

    #[test]
    fn malformed_bodies() {
        let cases: &[(Option<&str>, &[u8], PayloadError)] = &[
            (None, b"text=halo&id=1", PayloadError::MissingField("from")),
            (
                None,
                b"from=081234567890&id=1",
                PayloadError::MissingField("text"),
            ),
            (
                None,
                b"from=081234567890&text=+++&id=1&concat_ref=7&concat_part=1&concat_total=2",
                PayloadError::EmptyText,
            ),
            (
                None,
                b"from=081234567890&text=halo",
                PayloadError::MissingField("message_id"),
            ),
            (
                None,
                b"from=081234567890&text=halo&id=+",
                PayloadError::MissingField("message_id"),
            ),
            (
                Some("application/json"),
                b"{\"from\":",
                PayloadError::NotJson,
            ),
            (
                Some("application/json"),
                b"[1]",
                PayloadError::InvalidField("body"),
            ),
            (
                Some("text/xml"),
                b"<sms/>",
                PayloadError::UnsupportedContentType,
            ),
        ];
        for (ct, body, want) in cases {
            assert_eq!(
                parse(*ct, body, now()).as_ref().err(),
                Some(want),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        // No message quotes the sender or the text.
        let err = parse(None, b"from=TELKOMSEL-PROMO&text=rahasia&id=1", now()).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("TELKOMSEL") && !shown.contains("rahasia"));
    }

    #[test]
    fn concatenated_parts() {
        let parts = [
            "from=081234567890&id=a1&concat_ref=7f&concat_part=1&concat_total=3&text=LAPOR+Saluran+air+di+Kampung+Ra",
            "from=081234567890&id=a2&concat-ref=7f&concat-part=2&concat-total=3&text=wa+Bening+tersumbat+sejak+bul",
            "from=081234567890&id=a3&concat_ref=7f&concat_part=3&concat_total=3&text=an+Maret",
        ];
        let messages: Vec<InboundMessage> = parts
            .iter()
            .map(|p| parse(None, p.as_bytes(), now()).unwrap())
            .collect();
        for (i, m) in messages.iter().enumerate() {
            let f = m.fragment.as_ref().unwrap();
            assert_eq!(
                (f.reference.as_str(), f.part, f.total),
                ("7f", i as u8 + 1, 3)
            );
        }
        assert_eq!(
            messages[0].text, "LAPOR Saluran air di Kampung Ra",
            "parts are not trimmed"
        );
        let texts: Vec<String> = messages.iter().map(|m| m.text.clone()).collect();
        assert_eq!(
            assemble(&texts),
            "LAPOR Saluran air di Kampung Rawa Bening tersumbat sejak bulan Maret"
        );

        // JSON numbers too.
        let body = br#"{"from":"081234567890","id":"b","text":"x","concat_ref":12,"concat_part":2,"concat_total":2}"#;
        let f = parse(None, body, now()).unwrap().fragment.unwrap();
        assert_eq!((f.reference.as_str(), f.part, f.total), ("12", 2, 2));

        // A total of one is a whole message.
        let body = b"from=081234567890&id=c&text=+halo+&concat_ref=1&concat_part=1&concat_total=1";
        let m = parse(None, body, now()).unwrap();
        assert_eq!((m.fragment, m.text.as_str()), (None, "halo"));

        for bad in [
            "concat_ref=1&concat_part=1",
            "concat_part=1&concat_total=2",
            "concat_ref=1&concat_part=0&concat_total=2",
            "concat_ref=1&concat_part=3&concat_total=2",
            "concat_ref=1&concat_part=1&concat_total=17",
            "concat_ref=1&concat_part=x&concat_total=2",
            "concat_ref=+&concat_part=1&concat_total=2",
        ] {
            let body = format!("from=081234567890&id=d&text=halo&{bad}");
            assert_eq!(
                parse(None, body.as_bytes(), now()),
                Err(PayloadError::BadFragment),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_does_not_print_the_phone_or_text() {
        let m = parse(None, FORM, now()).unwrap();
        let shown = format!("{m:?}");
        assert!(
            !shown.contains("3456") && !shown.contains("Merdeka"),
            "{shown}"
        );
    }
}
