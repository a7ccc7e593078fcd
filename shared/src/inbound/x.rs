//! X (Twitter) Account Activity API webhooks.
//!
//! X calls one URL two ways (see "Securing webhooks" and "Account Activity data objects" in
//! X's developer documentation):
//!
//! - `GET ?crc_token=...`, the challenge-response check, at registration and then regularly:
//!   answer 200 with [`crc_response`] as JSON within three seconds, or X stops delivering.
//! - `POST` with a JSON body of events for one subscribed account (`for_user_id`), signed in
//!   `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>`:
//!   check it with [`verify`], then read it with [`parse`].
//!
//! [`parse`] keeps what people send the account:
//!
//! - direct messages *to* the account (`direct_message_events` of type `message_create`): the
//!   account's own DMs echo back with `sender_id == for_user_id` and are skipped; `public` is
//!   false;
//! - posts that mention the account (`tweet_create_events` whose `user_mentions` include
//!   `for_user_id`), by someone else and not retweets: the account's own posts and retweets are
//!   skipped; leading `@handles` are removed from the text and X's `&amp;`/`&lt;`/`&gt;`
//!   unescaped; the long form (`extended_tweet.full_text`) is used when X truncated the post;
//!   `public` is true. Mentions from users the account blocked (`user_has_blocked`) are kept:
//!   whether to ignore them is not this module's decision.
//!
//! A DM or post left with no text is skipped. Every other event type (likes, follows, typing
//! indicators, read receipts, deletes, revokes...) yields nothing: X sends what the subscription
//! covers, and an unknown kind is not an error.

use super::signature::{self, Encoding};
use super::{
    id_string, millis_to_datetime, non_blank, InboundMessage, PayloadError, SenderAddress,
    SignatureError,
};
use crate::domain::Channel;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The request header carrying the signature of a `POST`.
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// Longest `crc_token` answered. X's tokens are short base64 strings (24-48 characters seen).
pub const CRC_TOKEN_MAX_CHARS: usize = 128;

/// Whether `token` is shaped like one of X's CRC tokens: 1 to [`CRC_TOKEN_MAX_CHARS`]
/// characters of `[A-Za-z0-9+/=_-]` (base64 of either alphabet).
///
/// The CRC answer is `HMAC(consumer secret, token)`, which is exactly the signature of a `POST`
/// whose body is the token: answering any token would sign any body. A body that [`parse`]
/// reads is a JSON object (it starts with `{`), never a string of these characters, so no answer
/// to a well-shaped token is the signature of a body that does anything.
pub fn is_crc_token(token: &str) -> bool {
    (1..=CRC_TOKEN_MAX_CHARS).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-'))
}

/// The body of the answer to a challenge-response check:
/// `{"response_token": "sha256=<base64 HMAC-SHA256(consumer_secret, crc_token)>"}`, or `None`
/// for a token not shaped like X's ([`is_crc_token`]): the endpoint must not sign arbitrary text.
pub fn crc_response(consumer_secret: &[u8], crc_token: &str) -> Option<Value> {
    if !is_crc_token(crc_token) {
        return None;
    }
    let digest = signature::hmac_sha256(consumer_secret, &[crc_token.as_bytes()]);
    Some(json!({ "response_token": signature::header_value(&digest, Encoding::Base64) }))
}

/// Checks `x-twitter-webhooks-signature` against the raw body, in constant time.
pub fn verify(
    consumer_secret: &[u8],
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let expected = signature::hmac_sha256(consumer_secret, &[body]);
    signature::check(signature_header, &expected, Encoding::Base64)
}

/// The subscribed account the events are for (`for_user_id`), when the body has one.
pub fn account_id(body: &[u8]) -> Option<String> {
    let root: Value = serde_json::from_slice(body).ok()?;
    root.get("for_user_id").and_then(id_string)
}

/// Reads the messages people sent the account (see the module documentation for what is kept).
pub fn parse(body: &[u8]) -> Result<Vec<InboundMessage>, PayloadError> {
    let root: Value = serde_json::from_slice(body).map_err(|_| PayloadError::NotJson)?;
    if !root.is_object() {
        return Err(PayloadError::InvalidField("body"));
    }
    let events = |key: &str| -> &[Value] {
        root.get(key)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    };
    let dms = events("direct_message_events");
    let tweets = events("tweet_create_events");
    if dms.is_empty() && tweets.is_empty() {
        return Ok(Vec::new());
    }
    let account = root
        .get("for_user_id")
        .and_then(id_string)
        .ok_or(PayloadError::MissingField("for_user_id"))?;
    let users = root.get("users");

    let mut messages = Vec::new();
    for event in dms {
        if let Some(m) = read_dm(event, &account, users)? {
            messages.push(m);
        }
    }
    for tweet in tweets {
        if let Some(m) = read_mention(tweet, &account)? {
            messages.push(m);
        }
    }
    Ok(messages)
}

fn read_dm(
    event: &Value,
    account: &str,
    users: Option<&Value>,
) -> Result<Option<InboundMessage>, PayloadError> {
    if event.get("type").and_then(Value::as_str) != Some("message_create") {
        return Ok(None);
    }
    let create = event
        .get("message_create")
        .ok_or(PayloadError::MissingField("message_create"))?;
    let sender = create
        .get("sender_id")
        .and_then(id_string)
        .ok_or(PayloadError::MissingField("message_create.sender_id"))?;
    if sender == account {
        // Our own outgoing DM, echoed.
        return Ok(None);
    }
    let recipient = create
        .get("target")
        .and_then(|t| t.get("recipient_id"))
        .and_then(id_string);
    if recipient.is_some_and(|r| r != account) {
        return Ok(None);
    }
    let text = match create
        .get("message_data")
        .and_then(|d| d.get("text"))
        .and_then(Value::as_str)
        .map(str::trim)
    {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => return Ok(None),
    };
    let id = event
        .get("id")
        .and_then(id_string)
        .ok_or(PayloadError::MissingField("id"))?;
    let received_at = event
        .get("created_timestamp")
        .and_then(millis_to_datetime)
        .ok_or(PayloadError::InvalidField("created_timestamp"))?;
    let sender_name = users.and_then(|u| u.get(&sender)).and_then(display_name);
    Ok(Some(InboundMessage {
        channel: Channel::X,
        provider_message_id: id,
        sender: SenderAddress::XUser(sender),
        sender_name,
        text,
        received_at,
        fragment: None,
        public: false,
        raw: event.clone(),
        media: Vec::new(),
    }))
}

fn read_mention(tweet: &Value, account: &str) -> Result<Option<InboundMessage>, PayloadError> {
    let user = tweet
        .get("user")
        .ok_or(PayloadError::MissingField("user"))?;
    let author = user
        .get("id_str")
        .or_else(|| user.get("id"))
        .and_then(id_string)
        .ok_or(PayloadError::MissingField("user.id_str"))?;
    if author == account {
        return Ok(None);
    }
    if tweet.get("retweeted_status").is_some_and(|r| !r.is_null()) {
        return Ok(None);
    }
    let extended = tweet.get("extended_tweet");
    let mentions_account = [
        tweet.get("entities"),
        extended.and_then(|e| e.get("entities")),
    ]
    .into_iter()
    .flatten()
    .filter_map(|entities| entities.get("user_mentions").and_then(Value::as_array))
    .flatten()
    .any(|m| {
        m.get("id_str")
            .or_else(|| m.get("id"))
            .and_then(id_string)
            .as_deref()
            == Some(account)
    });
    if !mentions_account {
        return Ok(None);
    }
    let full_text = extended
        .and_then(|e| e.get("full_text"))
        .or_else(|| tweet.get("full_text"))
        .or_else(|| tweet.get("text"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let media = mention_photos(tweet);
    // The photos' own short links (`https://t.co/...` at the end of the text) say nothing.
    let mut text = unescape(full_text);
    for link in media_links(tweet) {
        text = text.replace(&link, "");
    }
    let text = strip_leading_mentions(text.trim()).to_string();
    if text.is_empty() && media.is_empty() {
        return Ok(None);
    }
    let id = tweet
        .get("id_str")
        .or_else(|| tweet.get("id"))
        .and_then(id_string)
        .ok_or(PayloadError::MissingField("id_str"))?;
    let received_at = tweet
        .get("timestamp_ms")
        .and_then(millis_to_datetime)
        .or_else(|| {
            tweet
                .get("created_at")
                .and_then(Value::as_str)
                .and_then(parse_created_at)
        })
        .ok_or(PayloadError::InvalidField("timestamp_ms"))?;
    Ok(Some(InboundMessage {
        channel: Channel::X,
        provider_message_id: id,
        sender: SenderAddress::XUser(author),
        sender_name: display_name(user),
        text,
        received_at,
        fragment: None,
        public: true,
        raw: tweet.clone(),
        media,
    }))
}

/// A post's media entries (`extended_tweet.extended_entities` for a long post, else
/// `extended_entities`).
fn media_entries(tweet: &Value) -> impl Iterator<Item = &Value> {
    tweet
        .get("extended_tweet")
        .and_then(|e| e.get("extended_entities"))
        .or_else(|| tweet.get("extended_entities"))
        .and_then(|e| e.get("media"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The photos of a public post (not its videos or GIFs), at most a message's worth.
fn mention_photos(tweet: &Value) -> Vec<super::InboundMedia> {
    media_entries(tweet)
        .filter(|m| m.get("type").and_then(Value::as_str) == Some("photo"))
        .filter_map(|m| m.get("media_url_https").and_then(Value::as_str))
        .take(super::MAX_MEDIA_PER_MESSAGE)
        .map(|url| super::InboundMedia {
            source: super::MediaSource::XPhotoUrl(url.trim().to_string()),
            content_type: None,
        })
        .collect()
}

/// The short links the post's media stand for in its text.
fn media_links(tweet: &Value) -> Vec<String> {
    media_entries(tweet)
        .filter_map(|m| m.get("url").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// The user's name, or `@screen_name` when the name is blank.
fn display_name(user: &Value) -> Option<String> {
    non_blank(user, "name")
        .map(|n| n.trim().to_string())
        .or_else(|| non_blank(user, "screen_name").map(|s| format!("@{}", s.trim())))
}

/// X's v1.1 post text escapes exactly these three.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Drops the `@handle`s a post starts with (a reply's or a mention's addressees).
fn strip_leading_mentions(text: &str) -> &str {
    let mut rest = text.trim_start();
    while let Some(after_at) = rest.strip_prefix('@') {
        let handle_len = after_at
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after_at.len());
        if handle_len == 0 {
            break;
        }
        rest = after_at[handle_len..]
            .trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == ',');
    }
    rest.trim()
}

/// `Wed Oct 10 20:19:24 +0000 2018`.
fn parse_created_at(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%a %b %d %H:%M:%S %z %Y")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const DM: &str = include_str!("../../../tests/fixtures/channels/x-dm.json");
    const MENTION: &str = include_str!("../../../tests/fixtures/channels/x-mention.json");
    const ACCOUNT: &str = "1346889436626259968";

    #[test]
    fn crc_response_matches_xs_published_example() {
        // The consumer secret and token of X's sample code (gists linked from "Securing
        // webhooks"); the expected value computed independently with python3:
        // base64.b64encode(hmac.new(secret, token, hashlib.sha256).digest()).
        let got = crc_response(
            b"z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
            "9b4507b3-9040-4669-9ca3-6b94edb50553",
        );
        assert_eq!(
            got,
            Some(json!({"response_token": "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="}))
        );
    }

    #[test]
    fn the_crc_answers_only_tokens_shaped_like_xs() {
        for token in ["a", "9b4507b3-9040-4669", "AbC+/=_-09", &"x".repeat(128)] {
            assert!(crc_response(b"secret", token).is_some(), "{token}");
        }
        let event = r#"{"for_user_id":"1","direct_message_events":[]}"#;
        for token in [
            "",
            &"x".repeat(129),
            event,
            "a b",
            "a\nb",
            "é",
            "{",
            "tok%2B",
        ] {
            assert!(crc_response(b"secret", token).is_none(), "{token}");
        }
    }

    #[test]
    fn signatures() {
        let secret = b"consumer-secret";
        let digest = signature::hmac_sha256(secret, &[DM.as_bytes()]);
        let header = signature::header_value(&digest, Encoding::Base64);
        assert_eq!(verify(secret, Some(&header), DM.as_bytes()), Ok(()));
        assert_eq!(
            verify(b"wrong", Some(&header), DM.as_bytes()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(secret, Some(&header), MENTION.as_bytes()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(secret, None, DM.as_bytes()),
            Err(SignatureError::Missing)
        );
        // Hex is Meta's encoding, not X's.
        let hex_header = signature::header_value(&digest, Encoding::Hex);
        assert_eq!(
            verify(secret, Some(&hex_header), DM.as_bytes()),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn direct_message_fixture() {
        let messages = parse(DM.as_bytes()).unwrap();
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert_eq!(m.channel, Channel::X);
        assert_eq!(m.provider_message_id, "1879634592178393093");
        assert_eq!(m.sender, SenderAddress::XUser("3001969357".into()));
        assert_eq!(m.sender_name.as_deref(), Some("Dewi Lestari"));
        assert!(m
            .text
            .starts_with("Selamat siang admin. Lampu penerangan jalan"));
        assert_eq!(
            m.received_at,
            Utc.timestamp_millis_opt(1_736_912_345_678).unwrap()
        );
        assert!(!m.public);
        assert_eq!(m.fragment, None);
        assert_eq!(m.raw["id"], "1879634592178393093");
        assert_eq!(account_id(DM.as_bytes()).as_deref(), Some(ACCOUNT));
    }

    #[test]
    fn our_own_dms_echo_back_and_are_skipped() {
        let mut root: Value = serde_json::from_str(DM).unwrap();
        let create = &mut root["direct_message_events"][0]["message_create"];
        create["sender_id"] = json!(ACCOUNT);
        create["target"]["recipient_id"] = json!("3001969357");
        assert_eq!(parse(root.to_string().as_bytes()).unwrap(), vec![]);
    }

    #[test]
    fn mention_fixture() {
        let messages = parse(MENTION.as_bytes()).unwrap();
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert_eq!(m.channel, Channel::X);
        assert_eq!(m.provider_message_id, "1879642918457622528");
        assert_eq!(m.sender, SenderAddress::XUser("987654321".into()));
        assert_eq!(m.sender_name.as_deref(), Some("Budi Santoso"));
        assert_eq!(
            m.text,
            "Jalan Raya Bogor Km. 32 depan SPBU berlubang besar & tergenang, sudah 3 motor jatuh \
             minggu ini. Mohon segera diperbaiki sebelum ada korban jiwa. @DPUPRDepok"
        );
        assert_eq!(
            m.received_at,
            Utc.timestamp_millis_opt(1_736_914_329_661).unwrap()
        );
        assert!(m.public);
        assert_eq!(m.raw["id_str"], "1879642918457622528");
    }

    #[test]
    fn a_mentions_photos_are_its_media_and_their_links_leave_the_text() {
        let photo = |n: u32| {
            json!({"type": "photo", "url": format!("https://t.co/p{n}"),
                   "media_url_https": format!("https://pbs.twimg.com/media/P{n}.jpg")})
        };
        let messages = mention_with(|t| {
            t["truncated"] = json!(false);
            t.as_object_mut().unwrap().remove("extended_tweet");
            t["text"] = json!("@LAPOR1708 Jembatan retak https://t.co/p1 https://t.co/p2");
            t["extended_entities"] = json!({"media": [
                photo(1),
                photo(2),
                {"type": "video", "url": "https://t.co/v", "media_url_https": "https://pbs.twimg.com/v.jpg"},
            ]});
        });
        assert_eq!(messages[0].text, "Jembatan retak");
        let urls: Vec<_> = messages[0].media.iter().map(|m| m.source.clone()).collect();
        assert_eq!(
            urls,
            [
                crate::inbound::MediaSource::XPhotoUrl("https://pbs.twimg.com/media/P1.jpg".into()),
                crate::inbound::MediaSource::XPhotoUrl("https://pbs.twimg.com/media/P2.jpg".into()),
            ]
        );
        // A photo alone (the handle and its link only) is still a message.
        let alone = mention_with(|t| {
            t["truncated"] = json!(false);
            t.as_object_mut().unwrap().remove("extended_tweet");
            t["text"] = json!("@LAPOR1708 https://t.co/p1");
            t["extended_entities"] = json!({"media": [photo(1)]});
        });
        assert_eq!((alone[0].text.as_str(), alone[0].media.len()), ("", 1));
    }

    fn mention_with(edit: impl FnOnce(&mut Value)) -> Vec<InboundMessage> {
        let mut root: Value = serde_json::from_str(MENTION).unwrap();
        edit(&mut root["tweet_create_events"][0]);
        parse(root.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn own_posts_retweets_and_posts_not_mentioning_us_are_skipped() {
        assert_eq!(
            mention_with(|t| t["user"]["id_str"] = json!(ACCOUNT)),
            vec![]
        );
        assert_eq!(
            mention_with(|t| t["retweeted_status"] = json!({"id_str": "1"})),
            vec![]
        );
        assert_eq!(
            mention_with(|t| {
                t["entities"]["user_mentions"] = json!([]);
                t["extended_tweet"]["entities"]["user_mentions"] = json!([]);
            }),
            vec![]
        );
        // Only the account's handle: nothing to read.
        assert_eq!(
            mention_with(|t| {
                t["truncated"] = json!(false);
                t.as_object_mut().unwrap().remove("extended_tweet");
                t["text"] = json!("@LAPOR1708 ");
            }),
            vec![]
        );
    }

    #[test]
    fn short_posts_use_text_and_created_at() {
        let messages = mention_with(|t| {
            t["truncated"] = json!(false);
            let t = t.as_object_mut().unwrap();
            t.remove("extended_tweet");
            t.remove("timestamp_ms");
            t.insert(
                "text".into(),
                json!("@LAPOR1708 @pemkotdepok: antrean &lt;3 jam&gt; di Disdukcapil"),
            );
        });
        assert_eq!(messages[0].text, "antrean <3 jam> di Disdukcapil");
        assert_eq!(
            messages[0].received_at,
            Utc.with_ymd_and_hms(2025, 1, 15, 4, 12, 9).unwrap()
        );
    }

    #[test]
    fn unknown_events_yield_nothing() {
        for body in [
            r#"{"for_user_id":"1","favorite_events":[{"id":"a"}]}"#,
            r#"{"for_user_id":"1","direct_message_indicate_typing_events":[{"sender_id":"2"}]}"#,
            r#"{"user_event":{"revoke":{"source":{"user_id":"63046977"}}}}"#,
            r#"{"for_user_id":"1","direct_message_events":[{"type":"welcome_message"}]}"#,
            r#"{}"#,
        ] {
            assert_eq!(parse(body.as_bytes()).unwrap(), vec![], "{body}");
        }
    }

    #[test]
    fn malformed_bodies() {
        assert_eq!(parse(b"not json"), Err(PayloadError::NotJson));
        assert_eq!(parse(b"[]"), Err(PayloadError::InvalidField("body")));
        let no_account = r#"{"direct_message_events":[{"type":"message_create"}]}"#;
        assert_eq!(
            parse(no_account.as_bytes()),
            Err(PayloadError::MissingField("for_user_id"))
        );
        let mut root: Value = serde_json::from_str(DM).unwrap();
        root["direct_message_events"][0]["created_timestamp"] = json!("yesterday");
        assert_eq!(
            parse(root.to_string().as_bytes()),
            Err(PayloadError::InvalidField("created_timestamp"))
        );
    }

    #[test]
    fn leading_mentions() {
        assert_eq!(strip_leading_mentions("@a @b_c halo @d"), "halo @d");
        assert_eq!(strip_leading_mentions("  @LAPOR1708, tolong"), "tolong");
        assert_eq!(strip_leading_mentions("@ halo"), "@ halo");
        assert_eq!(strip_leading_mentions("email@x.id"), "email@x.id");
        assert_eq!(strip_leading_mentions("@LAPOR1708"), "");
    }
}
