//! SMS through LAPOR's SMS gateway: one generic HTTP contract, the shape Indonesian SMS
//! aggregators offer, that the gateway operator (or a thin shim in front of an aggregator)
//! implements.
//!
//! # The contract
//!
//! ```text
//! POST {SMS_API_URL}/messages
//! Authorization: Bearer {SMS_API_KEY}
//! Content-Type: application/json
//!
//! {"to": "+6281234567890", "text": "Laporan Anda ...", "reference": "<notification id>"}
//! ```
//!
//! - `to`: the recipient in E.164 with its `+`.
//! - `text`: UTF-8; the gateway splits it into segments as it needs.
//! - `reference`: LAPOR's notification id, the same on every retry and redelivery of one
//!   notification. The gateway must send one SMS per reference: a repeated reference is answered
//!   as the first was (2xx with the same `message_id`) or `409 Conflict`; LAPOR takes both as
//!   sent.
//!
//! Answers:
//!
//! - `2xx` `{"message_id": "..."}`: accepted (the id is optional but logged if given).
//! - `409`: a duplicate reference, already accepted (`message_id` of the first, if given).
//! - `400`/`422` with `{"error": {"code": "INVALID_NUMBER"}}` (or `{"error": "INVALID_NUMBER"}`,
//!   or `{"code": ...}`): refused, not retried. `401`/`403`: bad key, not retried.
//! - `408`, `429` (with `Retry-After`, seconds or HTTP date), `5xx`: retried later.
//!
//! Only the error `code` is kept for LAPOR's logs, never a message text the gateway returns
//! (it may quote the number).

use super::http_client::{trim_base, JsonClient, JsonResponse};
use super::{
    e164_digits, safe_code, wrong_address, Address, ChannelSender, OutboundMessage, Provider,
    SendError, Sent,
};
use serde_json::{json, Value};
use std::fmt;

pub struct SmsGatewaySender {
    client: JsonClient,
    base_url: String,
    api_key: String,
}

impl SmsGatewaySender {
    pub fn new(
        client: JsonClient,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
    ) -> Self {
        SmsGatewaySender {
            client,
            base_url: trim_base(base_url),
            api_key: api_key.into(),
        }
    }
}

impl fmt::Debug for SmsGatewaySender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsGatewaySender")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ChannelSender for SmsGatewaySender {
    async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError> {
        let Address::Sms(to) = &message.to else {
            return Err(wrong_address(Provider::SmsGateway, &message.to));
        };
        if e164_digits(to).is_none() || !to.starts_with('+') {
            return Err(SendError::permanent("sms: not an E.164 number"));
        }
        let body = json!({
            "to": to,
            "text": message.text,
            "reference": message.notification_id,
        });
        let url = format!("{}/messages", self.base_url);
        let response = self.client.post_json(&url, &self.api_key, &body).await?;
        if response.is_success() || response.status == 409 {
            return Ok(Sent {
                provider_message_id: message_id(&response),
            });
        }
        Err(response.error(&error_detail(&response)))
    }
}

fn message_id(response: &JsonResponse) -> Option<String> {
    match response.json()?.get("message_id")? {
        Value::String(id) => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// `sms:<code>` from `{"error": {"code": ..}}`, `{"error": ".."}` or `{"code": ..}`.
fn error_detail(response: &JsonResponse) -> String {
    let Some(body) = response.json() else {
        return String::new();
    };
    let code = match (body.get("error"), body.get("code")) {
        (Some(Value::Object(error)), _) => error.get("code").cloned(),
        (Some(error @ Value::String(_)), _) => Some(error.clone()),
        (_, code) => code.cloned(),
    };
    let code = match code {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => return String::new(),
    };
    safe_code(&code)
        .map(|c| format!("sms:{c}"))
        .unwrap_or_default()
}
