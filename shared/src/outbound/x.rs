//! Direct messages on X, from the LAPOR account to a reporter who wrote to it. Only DMs: a status
//! update names a report, and a public reply would tie the reporter to it for everyone.
//!
//! X API v2, "Create DM message by participant ID":
//!
//! ```text
//! POST {X_API_URL}/2/dm_conversations/with/{participant_id}/messages
//! Authorization: Bearer {OAuth 2.0 user-context token of the LAPOR account}
//! {"text": "..."}
//! → 201 {"data": {"dm_conversation_id": "...", "dm_event_id": "..."}}
//! ```
//!
//! The token must be a user-context token (Authorization Code with PKCE) with the scopes
//! `dm.write dm.read tweet.read users.read`; an app-only bearer token cannot send DMs. Such tokens
//! expire (two hours unless refreshed with `offline.access`): keeping `X_ACCESS_TOKEN` fresh is
//! the deployment's job; an expired one is answered 401, which fails as permanent.
//!
//! Rate limits are per 15-minute window (`x-rate-limit-*` headers); a 429 is retried after
//! `Retry-After` if given, else until `x-rate-limit-reset` (epoch seconds), within the retry cap.
//! X has no idempotency key for DMs: a retry after a timeout may deliver twice.
//!
//! Errors keep the problem type (`https://api.x.com/2/problems/<type>`) or the numeric v1.1 code,
//! never `detail`, which may name the recipient.
//!
//! See <https://docs.x.com/x-api/direct-messages/manage/integrate> and
//! <https://docs.x.com/fundamentals/rate-limits>.

use super::http_client::{trim_base, until_epoch_seconds, JsonClient, JsonResponse};
use super::{
    safe_code, wrong_address, Address, ChannelSender, OutboundMessage, Provider, SendError, Sent,
};
use serde_json::{json, Value};
use std::fmt;
use std::time::SystemTime;

pub const DEFAULT_BASE_URL: &str = super::env::X_API_URL_DEFAULT;

pub struct XDmSender {
    client: JsonClient,
    base_url: String,
    bearer_token: String,
}

impl XDmSender {
    /// `base_url` is the API root, `https://api.x.com` ([`DEFAULT_BASE_URL`]) in production.
    pub fn new(
        client: JsonClient,
        base_url: impl Into<String>,
        bearer_token: impl Into<String>,
    ) -> Self {
        XDmSender {
            client,
            base_url: trim_base(base_url),
            bearer_token: bearer_token.into(),
        }
    }
}

impl fmt::Debug for XDmSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XDmSender")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ChannelSender for XDmSender {
    async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError> {
        let Address::X(user_id) = &message.to else {
            return Err(wrong_address(Provider::X, &message.to));
        };
        // It goes into the path: digits only (X user ids are numeric).
        if user_id.is_empty() || user_id.len() > 20 || !user_id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(SendError::permanent("x: not a numeric user id"));
        }
        let url = format!(
            "{}/2/dm_conversations/with/{user_id}/messages",
            self.base_url
        );
        let body = json!({ "text": message.text });
        let response = self
            .client
            .post_json(&url, &self.bearer_token, &body)
            .await?;
        if response.is_success() {
            let id = response.json().and_then(|b| {
                b.pointer("/data/dm_event_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            return Ok(Sent {
                provider_message_id: id,
            });
        }
        Err(error(&response))
    }
}

fn error(response: &JsonResponse) -> SendError {
    let mut error = response.error(&error_detail(response));
    if let SendError::Transient { retry_after, .. } = &mut error {
        if retry_after.is_none() && response.status == 429 {
            *retry_after = response
                .header("x-rate-limit-reset")
                .and_then(|v| until_epoch_seconds(v, SystemTime::now()));
        }
    }
    error
}

/// `x:<problem type>` (the last segment of the `type` URL), else `x:<title>` for a one-word
/// title when the type is `about:blank`, else `x:code-<n>` from a v1.1-style `errors` array.
fn error_detail(response: &JsonResponse) -> String {
    let Some(body) = response.json() else {
        return String::new();
    };
    let problem = body
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| *t != "about:blank")
        .and_then(|t| t.trim_end_matches('/').rsplit('/').next())
        .or_else(|| body.get("title").and_then(Value::as_str))
        .and_then(safe_code);
    if let Some(problem) = problem {
        return format!("x:{problem}");
    }
    // v1.1 codes are small numbers (88, 349); a long one could be an id.
    body.pointer("/errors/0/code")
        .and_then(Value::as_i64)
        .filter(|c| (0..100_000).contains(c))
        .map(|c| format!("x:code-{c}"))
        .unwrap_or_default()
}
