//! Messenger and WhatsApp, both on Meta's Graph API.
//!
//! The token goes in `Authorization: Bearer`, which the Graph API accepts as well as the
//! `access_token` query parameter its examples use; in a header it stays out of URLs, and so out
//! of any proxy or access log.
//!
//! # Messenger (Send API)
//!
//! ```text
//! POST {META_GRAPH_URL}/me/messages
//! {"recipient": {"id": PSID}, "messaging_type": "MESSAGE_TAG", "tag": "ACCOUNT_UPDATE",
//!  "message": {"text": "..."}}
//! → {"recipient_id": "...", "message_id": "..."}
//! ```
//!
//! `/me` is the Page the token belongs to. A Page may message a person freely only within 24
//! hours of the person's last message; a report's status changes days later, so every update is
//! sent with a message tag. `ACCOUNT_UPDATE` is the tag for "a non-recurring change to the user's
//! application or account", and a complaint the person filed is such an application: the update
//! tells them of a change in its status (received, routed, answered, closed). The other tags do
//! not fit: `CONFIRMED_EVENT_UPDATE` is for events the person registered for,
//! `POST_PURCHASE_UPDATE` for purchases, `HUMAN_AGENT` for a person replying within 7 days. Tags
//! must not carry promotional content, and LAPOR's status updates carry none. Meta's newer
//! "utility messages" (`messaging_type: UTILITY`, with approved Page templates) are in beta for a
//! few markets that do not include Indonesia; if Meta retires tags there, this is the sender to
//! move to them. The tag is set once here ([`MESSENGER_TAG`]), not per message.
//!
//! # WhatsApp (Cloud API)
//!
//! ```text
//! POST {META_GRAPH_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages
//! {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "62812...",
//!  "type": "text", "text": {"body": "..."}}
//! → {"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}
//! ```
//!
//! Free text reaches a person only within 24 hours of their last message (else error 131047);
//! a business-initiated message needs an approved template. With `WHATSAPP_TEMPLATE` set
//! (`name:language`), every message is sent as that template, the text as its single body
//! parameter `{{1}}` (whitespace collapsed: template parameters may not hold new lines, tabs or
//! runs of spaces).
//!
//! # Errors
//!
//! `{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}`. The
//! reason keeps `code`, `error_subcode` and `type` only: `message` may quote the recipient. Rate
//! limits and temporary failures come with a 4xx as often as a 429/5xx, so the code decides:
//! [`TRANSIENT_CODES`] and `is_transient: true` are retried, other codes are not (131047 outside
//! the window, 131026 undeliverable, 551 person unavailable, 10/2018278 outside the window, 190
//! bad token...).
//!
//! See <https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags/>,
//! <https://developers.facebook.com/docs/messenger-platform/reference/send-api>,
//! <https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages> and
//! <https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes>.

use super::http_client::{trim_base, JsonClient, JsonResponse};
use super::{
    e164_digits, safe_code, status_is_transient, wrong_address, Address, ChannelSender,
    OutboundMessage, Provider, SendError, Sent,
};
use serde_json::{json, Value};
use std::fmt;

pub const DEFAULT_GRAPH_URL: &str = super::env::META_GRAPH_URL_DEFAULT;

/// The Messenger message tag of every LAPOR status update (see the module documentation).
pub const MESSENGER_TAG: &str = "ACCOUNT_UPDATE";

/// Graph API error codes worth retrying: 1 unknown/temporary, 2 service unavailable, 4 app rate
/// limit, 17 user rate limit, 32 page rate limit, 341 application limit, 613 call rate limit,
/// 80007 WhatsApp Business Account rate limit, 130429 Cloud API throughput, 131000 something
/// went wrong, 131016 service unavailable, 131056 pair rate limit, 133004 server unavailable.
pub const TRANSIENT_CODES: &[i64] = &[
    1, 2, 4, 17, 32, 341, 613, 80007, 130429, 131000, 131016, 131056, 133004,
];

pub struct MessengerSender {
    client: JsonClient,
    graph_url: String,
    page_access_token: String,
}

impl MessengerSender {
    /// `graph_url` with its version, `https://graph.facebook.com/v21.0` ([`DEFAULT_GRAPH_URL`]).
    pub fn new(
        client: JsonClient,
        graph_url: impl Into<String>,
        page_access_token: impl Into<String>,
    ) -> Self {
        MessengerSender {
            client,
            graph_url: trim_base(graph_url),
            page_access_token: page_access_token.into(),
        }
    }
}

impl fmt::Debug for MessengerSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessengerSender")
            .field("graph_url", &self.graph_url)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ChannelSender for MessengerSender {
    async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError> {
        let Address::Messenger(psid) = &message.to else {
            return Err(wrong_address(Provider::Messenger, &message.to));
        };
        if psid.trim().is_empty() {
            return Err(SendError::permanent("messenger: empty recipient id"));
        }
        let body = json!({
            "recipient": { "id": psid },
            "messaging_type": "MESSAGE_TAG",
            "tag": MESSENGER_TAG,
            "message": { "text": message.text },
        });
        let url = format!("{}/me/messages", self.graph_url);
        let response = self
            .client
            .post_json(&url, &self.page_access_token, &body)
            .await?;
        if response.is_success() {
            let id = response.json().and_then(|b| {
                b.get("message_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            return Ok(Sent {
                provider_message_id: id,
            });
        }
        Err(graph_error(&response))
    }
}

/// An approved WhatsApp message template with one body parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsappTemplate {
    pub name: String,
    /// The template's language code, e.g. `id` (Bahasa Indonesia) or `en_US`.
    pub language: String,
}

impl WhatsappTemplate {
    /// Reads `name:language`, e.g. `lapor_status:id`.
    pub fn parse(spec: &str) -> Result<WhatsappTemplate, String> {
        let (name, language) = spec
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("{spec:?}: expected name:language, e.g. lapor_status:id"))?;
        let name = name.trim();
        let language = language.trim();
        let is_name = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        let is_language =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_');
        if !is_name(name) {
            return Err(format!(
                "{name:?}: a template name is lower-case letters, digits and _"
            ));
        }
        if !is_language(language) {
            return Err(format!(
                "{language:?}: not a language code like id or en_US"
            ));
        }
        Ok(WhatsappTemplate {
            name: name.into(),
            language: language.into(),
        })
    }
}

pub struct WhatsappSender {
    client: JsonClient,
    graph_url: String,
    phone_number_id: String,
    access_token: String,
    template: Option<WhatsappTemplate>,
}

impl WhatsappSender {
    pub fn new(
        client: JsonClient,
        graph_url: impl Into<String>,
        phone_number_id: impl Into<String>,
        access_token: impl Into<String>,
        template: Option<WhatsappTemplate>,
    ) -> Self {
        WhatsappSender {
            client,
            graph_url: trim_base(graph_url),
            phone_number_id: phone_number_id.into(),
            access_token: access_token.into(),
            template,
        }
    }

    fn body(&self, to: &str, text: &str) -> Value {
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
        });
        match &self.template {
            None => {
                body["type"] = "text".into();
                body["text"] = json!({ "body": text });
            }
            Some(template) => {
                let parameter = text.split_whitespace().collect::<Vec<_>>().join(" ");
                body["type"] = "template".into();
                body["template"] = json!({
                    "name": template.name,
                    "language": { "code": template.language },
                    "components": [{
                        "type": "body",
                        "parameters": [{ "type": "text", "text": parameter }],
                    }],
                });
            }
        }
        body
    }
}

impl fmt::Debug for WhatsappSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsappSender")
            .field("graph_url", &self.graph_url)
            .field("phone_number_id", &self.phone_number_id)
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ChannelSender for WhatsappSender {
    async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError> {
        let Address::Whatsapp(number) = &message.to else {
            return Err(wrong_address(Provider::Whatsapp, &message.to));
        };
        // The Cloud API takes the number without its `+`.
        let Some(to) = e164_digits(number) else {
            return Err(SendError::permanent("whatsapp: not an E.164 number"));
        };
        let url = format!("{}/{}/messages", self.graph_url, self.phone_number_id);
        let body = self.body(to, &message.text);
        let response = self
            .client
            .post_json(&url, &self.access_token, &body)
            .await?;
        if response.is_success() {
            let id = response.json().and_then(|b| {
                b.pointer("/messages/0/id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            return Ok(Sent {
                provider_message_id: id,
            });
        }
        Err(graph_error(&response))
    }
}

/// A Graph API error answer as a [`SendError`]: `HTTP 400 meta:code=131026 type=OAuthException`.
pub fn graph_error(response: &JsonResponse) -> SendError {
    let body = response.json();
    let error = body.as_ref().and_then(|b| b.get("error"));
    // Meta's codes and subcodes are short (2018278 is among the longest); a number of nine or
    // more digits may be an id or a phone number, and is dropped.
    let number = |key: &str| {
        error?
            .get(key)?
            .as_i64()
            .filter(|n| (0..100_000_000).contains(n))
    };
    let code = number("code");
    let subcode = number("error_subcode");
    let kind = error
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .and_then(safe_code);
    let flagged = error
        .and_then(|e| e.get("is_transient"))
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let mut detail = Vec::new();
    if let Some(code) = code {
        detail.push(format!("code={code}"));
    }
    if let Some(subcode) = subcode {
        detail.push(format!("subcode={subcode}"));
    }
    if let Some(kind) = kind {
        detail.push(format!("type={kind}"));
    }
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!("meta:{}", detail.join(" "))
    };
    let transient = status_is_transient(response.status)
        || flagged
        || code.is_some_and(|c| TRANSIENT_CODES.contains(&c));
    let reason = if detail.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        format!("HTTP {} {detail}", response.status)
    };
    if transient {
        SendError::Transient {
            reason,
            retry_after: response.retry_after(),
        }
    } else {
        SendError::Permanent { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::body::Bytes;

    fn answer(status: u16, body: Value) -> JsonResponse {
        JsonResponse {
            status,
            headers: Default::default(),
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn graph_errors_keep_codes_only() {
        let e = graph_error(&answer(
            400,
            json!({"error": {
                "message": "(#131026) Message undeliverable to +6281397531864",
                "type": "OAuthException", "code": 131026, "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"
            }}),
        ));
        assert_eq!(
            e,
            SendError::permanent("HTTP 400 meta:code=131026 type=OAuthException")
        );
        let e = graph_error(&answer(
            400,
            json!({"error": {"message": "(#131056) pair rate limit hit", "type": "OAuthException", "code": 131056}}),
        ));
        assert!(e.is_transient(), "{e:?}");
        let e = graph_error(&answer(
            400,
            json!({"error": {"message": "x", "code": 10, "error_subcode": 2018278}}),
        ));
        assert_eq!(
            e,
            SendError::permanent("HTTP 400 meta:code=10 subcode=2018278")
        );
        let e = graph_error(&answer(
            400,
            json!({"error": {"message": "x", "code": 100, "is_transient": true}}),
        ));
        assert!(e.is_transient());
        assert_eq!(
            graph_error(&answer(502, json!("bad gateway"))).reason(),
            "HTTP 502"
        );
        let e = graph_error(&answer(
            400,
            json!({"error": {"code": "6281397531864", "type": "wulan@contoh.id"}}),
        ));
        assert!(!e.reason().contains("81397531864") && !e.reason().contains("wulan"));
    }

    #[test]
    fn templates_parse() {
        assert_eq!(
            WhatsappTemplate::parse("lapor_status:id"),
            Ok(WhatsappTemplate {
                name: "lapor_status".into(),
                language: "id".into()
            })
        );
        assert_eq!(
            WhatsappTemplate::parse(" lapor_status_v2 : en_US ")
                .unwrap()
                .language,
            "en_US"
        );
        for bad in [
            "",
            "lapor_status",
            "lapor_status:",
            ":id",
            "Lapor Status:id",
            "x:i-d",
        ] {
            assert!(WhatsappTemplate::parse(bad).is_err(), "{bad}");
        }
    }
}
