//! Inbound: what people send on a channel (SMS gateway, X and Meta webhooks), read into one
//! shape. Each provider's other side, sending to people, is the same name in `outbound/`
//! (`inbound::sms` / `outbound::sms`, `inbound::x` / `outbound::x`, `inbound::meta` /
//! `outbound::meta`).
//!
//! Pure functions, no I/O: each provider module verifies a request's signature and reads its
//! body into [`InboundMessage`]s; [`command`] says what a message means (a new report, a status
//! request, a reply...). The HTTP handlers put the two together.
//!
//! | Module   | Endpoint                         | Authenticity                                   |
//! |----------|----------------------------------|------------------------------------------------|
//! | [`sms`]  | `POST /v1/channels/sms`          | `X-Lapor-Signature`, hex, over timestamp+body  |
//! | [`x`]    | `GET`, `POST /v1/channels/x`     | CRC; `x-twitter-webhooks-signature`, base64    |
//! | [`meta`] | `GET`, `POST /v1/channels/meta`  | `hub.*` handshake; `X-Hub-Signature-256`, hex  |
//!
//! Personal data: a message's sender, sender name and text are personal. `Debug` on these types
//! redacts them and [`PayloadError`] never quotes a payload, so both are safe to log.

pub mod command;
pub mod meta;
mod signature;
pub mod sms;
pub mod x;

use crate::domain::Channel;
use chrono::{DateTime, Utc};
use std::fmt;

/// One message from a person, whatever channel it came on.
#[derive(Clone, PartialEq)]
pub struct InboundMessage {
    /// `Sms`, `X`, `Whatsapp` or `Messenger`.
    pub channel: Channel,
    /// The provider's id for this message (SMS gateway message id, X DM event id or tweet id,
    /// Messenger `mid`, WhatsApp `wamid`): gateways retry, this makes intake idempotent.
    pub provider_message_id: String,
    pub sender: SenderAddress,
    /// Display name when the provider gives one (WhatsApp profile name, X name or
    /// `@screen_name`). Personal data.
    pub sender_name: Option<String>,
    pub text: String,
    pub received_at: DateTime<Utc>,
    /// Set for one part of a concatenated (long) SMS.
    pub fragment: Option<Fragment>,
    /// True when the person posted it publicly (an X mention), false for private messages.
    pub public: bool,
    /// The provider's own JSON object for this one message (kept sealed for verifiers).
    pub raw: serde_json::Value,
    /// Photos and documents the message carries, where the provider gives a way to download
    /// them (at most [`MAX_MEDIA_PER_MESSAGE`], the first ones): Messenger attachments' URLs,
    /// WhatsApp media ids. Empty for SMS and X (see [`InboundMedia`]). A message may have media
    /// and no text.
    pub media: Vec<InboundMedia>,
}

/// Most media read from one message; more are dropped (a report takes 5 attachments anyway).
pub const MAX_MEDIA_PER_MESSAGE: usize = 5;

/// One photo or document a person sent, as the provider points at it. The URL of a Messenger
/// attachment is personal data (it opens the person's photo): `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundMedia {
    pub source: MediaSource,
    /// The provider's content type when the message gives one (WhatsApp's `mime_type`);
    /// Messenger gives none (the download's `Content-Type` tells).
    pub content_type: Option<String>,
}

/// Where a medium is fetched from (`outbound::media`).
#[derive(Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// A Messenger attachment's `payload.url` (on Meta's CDN, `*.fbcdn.net` or `*.fbsbx.com`).
    MessengerUrl(String),
    /// A WhatsApp Cloud API media id: its URL comes from the Graph API, with the WhatsApp token.
    WhatsappId(String),
    /// A photo of a public post that mentions the account (`media_url_https`, on
    /// `pbs.twimg.com`): public already, fetched without credentials. A direct message's media
    /// need OAuth-signed downloads and are not read.
    XPhotoUrl(String),
}

impl fmt::Debug for InboundMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundMedia")
            .field("source", &self.source)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl fmt::Debug for MediaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            MediaSource::MessengerUrl(_) => "MessengerUrl",
            MediaSource::WhatsappId(_) => "WhatsappId",
            MediaSource::XPhotoUrl(_) => "XPhotoUrl",
        };
        f.debug_tuple(kind).field(&Redacted("media")).finish()
    }
}

impl fmt::Debug for InboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundMessage")
            .field("channel", &self.channel)
            .field("provider_message_id", &self.provider_message_id)
            .field("sender", &self.sender)
            .field(
                "sender_name",
                &self.sender_name.as_ref().map(|_| Redacted("name")),
            )
            .field(
                "text",
                &Redacted(&format!("{} chars", self.text.chars().count())),
            )
            .field("received_at", &self.received_at)
            .field("fragment", &self.fragment)
            .field("public", &self.public)
            .field("raw", &Redacted("raw"))
            .field("media", &self.media)
            .finish()
    }
}

/// Prints `<redacted WHAT>` in place of a value.
struct Redacted<'a>(&'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {}>", self.0)
    }
}

/// Where a message came from, and where an answer goes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum SenderAddress {
    /// An E.164 number (`+62...`), for SMS and WhatsApp.
    Phone(String),
    /// An X numeric user id.
    XUser(String),
    /// A Messenger page-scoped id (PSID).
    MessengerPsid(String),
}

impl SenderAddress {
    /// `phone:+62...`, `x:123`, `messenger:456`: stable, for hashing into a report's
    /// `reporter_ref`.
    pub fn as_key(&self) -> String {
        match self {
            SenderAddress::Phone(n) => format!("phone:{n}"),
            SenderAddress::XUser(id) => format!("x:{id}"),
            SenderAddress::MessengerPsid(id) => format!("messenger:{id}"),
        }
    }
}

impl fmt::Debug for SenderAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            SenderAddress::Phone(_) => "Phone",
            SenderAddress::XUser(_) => "XUser",
            SenderAddress::MessengerPsid(_) => "MessengerPsid",
        };
        f.debug_tuple(kind).field(&Redacted("address")).finish()
    }
}

/// One part of a concatenated SMS: the network splits a long message into parts that share a
/// reference and arrive in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub reference: String,
    /// 1-based.
    pub part: u8,
    /// 2..=16.
    pub total: u8,
}

/// Why a request's signature was not accepted (answer 401).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("signature header missing")]
    Missing,
    #[error("signature does not match")]
    Mismatch,
    #[error("timestamp missing or malformed")]
    BadTimestamp,
    #[error("timestamp outside the allowed window")]
    Stale,
}

/// A webhook body that could not be read (answer 400). Messages name fields only: they never
/// quote a value (no phone numbers, no text), so they are safe to log and to return.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("the body is not valid JSON")]
    NotJson,
    #[error("the body is not a valid form")]
    NotForm,
    #[error("unsupported content type")]
    UnsupportedContentType,
    #[error("field `{0}` is missing")]
    MissingField(&'static str),
    #[error("field `{0}` is malformed")]
    InvalidField(&'static str),
    #[error("a part of a long message has no text")]
    EmptyText,
    #[error("the sender is not a valid phone number")]
    BadSender,
    #[error("the concatenated-message fields are incomplete or out of range")]
    BadFragment,
}

/// Titles are at most this many characters (the `…` included).
pub const TITLE_MAX_CHARS: usize = 80;
/// Shorter titles are replaced by the channel's fallback (`Laporan via SMS`...).
pub const TITLE_MIN_CHARS: usize = 5;

/// A short title for a report made from a message: the first sentence (or, when that is too
/// short, the first line) with whitespace collapsed, cut at a word boundary to at most 80
/// characters with `…` when cut. A text that gives fewer than 5 characters falls back to
/// `Laporan via <channel>`.
pub fn title_from(channel: Channel, text: &str) -> String {
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let line = collapse_whitespace(first_line);
    let sentence = first_sentence(&line);
    let candidate = if sentence.chars().count() >= TITLE_MIN_CHARS {
        sentence
    } else {
        line.as_str()
    };
    if candidate.chars().count() < TITLE_MIN_CHARS {
        return fallback_title(channel);
    }
    truncate_at_word(candidate, TITLE_MAX_CHARS)
}

fn fallback_title(channel: Channel) -> String {
    let name = match channel {
        Channel::Web => "web",
        Channel::Mobile => "aplikasi",
        Channel::Sms => "SMS",
        Channel::X => "X",
        Channel::Whatsapp => "WhatsApp",
        Channel::Messenger => "Messenger",
        Channel::Email => "email",
    };
    format!("Laporan via {name}")
}

/// Whitespace runs (and control characters) become one space.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Up to the first `.`, `!` or `?` that ends a sentence (followed by a space or the end). A
/// final `.` is dropped, `!` and `?` kept. Dots inside words (`3.5`, `lapor.go.id`) and after
/// the abbreviations of Indonesian addresses and titles (`Jl.`, `No.`, `Kec.`, `Bpk.`, an
/// initial...) do not end a sentence.
fn first_sentence(line: &str) -> &str {
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at_end = match chars.peek() {
            None => true,
            Some((_, next)) => next.is_whitespace(),
        };
        if !at_end {
            continue;
        }
        match c {
            '.' if !is_abbreviation(last_word(&line[..i])) => return line[..i].trim_end(),
            '!' | '?' => return &line[..i + c.len_utf8()],
            _ => {}
        }
    }
    line
}

fn last_word(s: &str) -> &str {
    s.rsplit(char::is_whitespace).next().unwrap_or("")
}

/// Abbreviations that end with a dot in Indonesian addresses and names.
fn is_abbreviation(word: &str) -> bool {
    const ABBREVIATIONS: &[&str] = &[
        "jl", "jln", "gg", "no", "rt", "rw", "kel", "kec", "kab", "prov", "ds", "dsn", "kp",
        "perum", "komp", "blk", "bpk", "sdr", "sdri", "dr", "drg", "hj", "st", "tgl", "tlp",
        "telp", "km", "pt", "cv", "dll", "dsb", "a.n", "u.p",
    ];
    let mut chars = word.chars();
    let single_letter =
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic());
    single_letter || ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word))
}

/// At most `max` characters: cut at the last space that leaves a reasonable title, with `…`.
fn truncate_at_word(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    // Room for the ellipsis.
    let limit = max - 1;
    let byte_limit = s.char_indices().nth(limit).map_or(s.len(), |(i, _)| i);
    let head = &s[..byte_limit];
    // A word boundary: the cut falls on a space, or the last space before it (if that does not
    // throw away more than half the title).
    let cut = if s[byte_limit..].starts_with(' ') {
        head
    } else {
        match head.rfind(' ') {
            Some(i) if head[..i].chars().count() >= limit / 2 => &head[..i],
            _ => head,
        }
    };
    let cut = cut.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—(".contains(c));
    format!("{cut}…")
}

/// Milliseconds since the epoch, as a number or a string of digits (X and Messenger send both).
pub(crate) fn millis_to_datetime(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    let ms = match value {
        serde_json::Value::Number(n) => n.as_i64()?,
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok()?,
        _ => return None,
    };
    DateTime::from_timestamp_millis(ms)
}

/// Seconds since the epoch, as a number or a string of digits.
pub(crate) fn seconds_to_datetime(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    let s = match value {
        serde_json::Value::Number(n) => n.as_i64()?,
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok()?,
        _ => return None,
    };
    DateTime::from_timestamp(s, 0)
}

/// A JSON string field that is present and not blank.
pub(crate) fn non_blank<'a>(value: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// An id that providers send as a string or (older payloads) a number.
pub(crate) fn id_string(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> InboundMessage {
        InboundMessage {
            channel: Channel::Sms,
            provider_message_id: "gw-1".into(),
            sender: SenderAddress::Phone("+6281234567890".into()),
            sender_name: Some("Siti Aminah".into()),
            text: "Jalan berlubang di Jl. Merdeka".into(),
            received_at: Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap(),
            fragment: None,
            public: false,
            raw: serde_json::json!({"from": "081234567890", "text": "Jalan berlubang"}),
            media: vec![InboundMedia {
                source: MediaSource::MessengerUrl(
                    "https://scontent.xx.fbcdn.net/secret.jpg".into(),
                ),
                content_type: None,
            }],
        }
    }

    #[test]
    fn debug_redacts_sender_name_text_and_raw() {
        let printed = format!("{:?}", sample());
        for secret in [
            "secret.jpg",
            "6281234567890",
            "081234567890",
            "Siti",
            "Jalan",
            "berlubang",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked in {printed}");
        }
        assert!(printed.contains("gw-1"));
        assert!(printed.contains("Phone("));
        assert!(printed.contains("30 chars"));
        let alt = format!("{:#?}", sample());
        assert!(!alt.contains("6281234567890") && !alt.contains("Siti"));
        for s in [
            SenderAddress::XUser("3001969357".into()),
            SenderAddress::MessengerPsid("24075193172070000".into()),
        ] {
            assert!(!format!("{s:?}").contains("30019") && !format!("{s:?}").contains("2407"));
        }
    }

    #[test]
    fn sender_keys_are_stable_and_distinct() {
        assert_eq!(
            SenderAddress::Phone("+6281234567890".into()).as_key(),
            "phone:+6281234567890"
        );
        assert_eq!(SenderAddress::XUser("123".into()).as_key(), "x:123");
        assert_eq!(
            SenderAddress::MessengerPsid("456".into()).as_key(),
            "messenger:456"
        );
    }

    #[test]
    fn errors_do_not_quote_values() {
        assert_eq!(
            PayloadError::MissingField("from").to_string(),
            "field `from` is missing"
        );
        assert_eq!(
            PayloadError::BadSender.to_string(),
            "the sender is not a valid phone number"
        );
    }

    #[test]
    fn titles() {
        let cases: &[(Channel, &str, &str)] = &[
            (
                Channel::Sms,
                "Jalan rusak di depan SDN 3. Sudah dua bulan.",
                "Jalan rusak di depan SDN 3",
            ),
            (
                Channel::Sms,
                "Kapan bansos cair? Saya belum terima",
                "Kapan bansos cair?",
            ),
            (
                Channel::Whatsapp,
                "  Lampu PJU mati\nsejak minggu lalu di RT 04",
                "Lampu PJU mati",
            ),
            (Channel::Sms, "Ok.", "Laporan via SMS"),
            (Channel::X, "", "Laporan via X"),
            (Channel::Whatsapp, " \n ", "Laporan via WhatsApp"),
            (Channel::Messenger, "hi", "Laporan via Messenger"),
            // A too-short first sentence falls back to the whole line.
            (
                Channel::Sms,
                "Pak. Jalan di desa kami rusak",
                "Pak. Jalan di desa kami rusak",
            ),
            (
                Channel::Sms,
                "Versi 3.5 aplikasi error",
                "Versi 3.5 aplikasi error",
            ),
            (
                Channel::Sms,
                "Jalan di Jl. Merdeka No. 5 rusak. Tolong diperbaiki",
                "Jalan di Jl. Merdeka No. 5 rusak",
            ),
            (
                Channel::Sms,
                "Pelayanan Kec. Cibinong lambat. Antre 5 jam",
                "Pelayanan Kec. Cibinong lambat",
            ),
            (
                Channel::Sms,
                "Banjir   di\tKampung  Melayu",
                "Banjir di Kampung Melayu",
            ),
        ];
        for (channel, text, want) in cases {
            assert_eq!(title_from(*channel, text), *want, "{text:?}");
        }
    }

    #[test]
    fn long_titles_are_cut_at_a_word_with_an_ellipsis() {
        let text =
            "Sudah lebih dari tiga bulan saluran air di sepanjang jalan Kampung Rawa Bening \
                    tersumbat sampah sehingga setiap hujan air meluap ke rumah warga";
        let title = title_from(Channel::Sms, text);
        assert!(title.chars().count() <= TITLE_MAX_CHARS, "{title}");
        assert!(title.ends_with('…'));
        let without = title.trim_end_matches('…');
        assert!(text.starts_with(without), "{title}");
        assert!(
            text[without.len()..].starts_with(' '),
            "cut mid-word: {title}"
        );

        // One very long word: cut hard.
        let word = "a".repeat(200);
        let title = title_from(Channel::Sms, &word);
        assert_eq!(title.chars().count(), TITLE_MAX_CHARS);
        assert!(title.ends_with('…'));

        // Multi-byte characters do not split.
        let emoji = "🚧 ".repeat(100);
        let title = title_from(Channel::X, &emoji);
        assert!(title.chars().count() <= TITLE_MAX_CHARS);

        // Exactly 80 characters: kept whole.
        let exact = "b".repeat(80);
        assert_eq!(title_from(Channel::Sms, &exact), exact);
    }

    #[test]
    fn timestamps_from_numbers_and_strings() {
        let t = Utc.timestamp_millis_opt(1_516_403_560_557).unwrap();
        assert_eq!(
            millis_to_datetime(&serde_json::json!("1516403560557")),
            Some(t)
        );
        assert_eq!(
            millis_to_datetime(&serde_json::json!(1_516_403_560_557_i64)),
            Some(t)
        );
        assert_eq!(millis_to_datetime(&serde_json::json!("soon")), None);
        assert_eq!(
            seconds_to_datetime(&serde_json::json!("1603059201")),
            Some(Utc.timestamp_opt(1_603_059_201, 0).unwrap())
        );
        assert_eq!(seconds_to_datetime(&serde_json::json!(null)), None);
    }
}
