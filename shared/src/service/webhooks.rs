//! The channels' webhooks on the public API, free of any HTTP framework (the Lambda handler and
//! the local runner both call [`webhook`]):
//!
//! - `POST /v1/channels/sms`: the SMS gateway (signed, timestamp-bound);
//! - `GET /v1/channels/x` (CRC challenge), `POST /v1/channels/x` (signed account activity);
//! - `GET /v1/channels/meta` (subscription handshake), `POST /v1/channels/meta` (signed
//!   Messenger and WhatsApp messages).
//!
//! A missing or wrong signature is a 401 ([`error_body`] says it is the signature) and nothing
//! is stored; a channel without its secret
//! configured answers 404 (it is not enabled). A body with several messages is answered 200
//! only when every message was handled, so the provider's retry covers a partial failure
//! (the handled ones are recognised as duplicates).
//!
//! Media (Messenger and WhatsApp photos and documents) are fetched and attached only through
//! [`webhook_with`] given a `MediaFetcher` (and with attachments configured); without one, a
//! message with media and no text is dropped, as before media were read, and a caption is
//! handled as text.

use super::channels::{receive, receive_with, Handled};
use super::App;
use crate::api::{limits, ServiceError};
use crate::inbound::{meta, sms, x, InboundMessage, PayloadError, SignatureError};
use crate::outbound::media::MediaFetcher;
use crate::ports::ChannelState;
use std::collections::HashMap;

/// Shortest webhook secret accepted: an HMAC key (or Meta's verify token) must not be guessable.
pub const MIN_SECRET_BYTES: usize = 32;

/// How old a provider's event may be and still be handled (its own timestamp, X's and Meta's).
/// Below [`crate::ports::DELIVERY_MEMORY`], how long a handled message id is remembered: a
/// captured request replayed after its id was forgotten is refused for its age instead.
pub const MAX_EVENT_AGE: chrono::Duration = chrono::Duration::days(14);

/// How far in the future an event's timestamp may be (clocks differ a little).
pub const MAX_EVENT_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// What the webhooks need to know: the channels' secrets (a channel whose secret is absent is
/// not enabled) and the X account the X webhook serves.
#[derive(Clone, Default)]
pub struct WebhookSettings {
    pub sms: Option<Vec<u8>>,
    pub x_consumer: Option<Vec<u8>>,
    /// The X account's own numeric id (`X_ACCOUNT_ID`): events for another account are dropped.
    /// Required when the X channel is enabled.
    pub x_account_id: Option<String>,
    pub meta_app: Option<Vec<u8>>,
    pub meta_verify_token: Option<String>,
}

impl WebhookSettings {
    /// From the channels' secrets and `X_ACCOUNT_ID`, checked: a secret shorter than
    /// [`MIN_SECRET_BYTES`], or the X channel without its account id, stops the function at
    /// start-up with the variable named. An unset, empty or `-` secret leaves its channel
    /// disabled (`crate::config::configured`).
    pub fn new(
        secrets: &crate::config::ChannelSecrets,
        x_account_id: Option<String>,
    ) -> Result<WebhookSettings, crate::config::ConfigError> {
        use crate::config::{env, ConfigError};
        let secret = |name: &'static str, value: &Option<String>| match value {
            Some(v) if v.len() < MIN_SECRET_BYTES => Err(ConfigError {
                name,
                problem: format!(
                    "is {} bytes long: a webhook secret needs at least {MIN_SECRET_BYTES}",
                    v.len()
                ),
            }),
            _ => Ok(value.clone()),
        };
        let settings = WebhookSettings {
            sms: secret(env::SMS_WEBHOOK_SECRET, &secrets.sms_webhook_secret)?
                .map(String::into_bytes),
            x_consumer: secret(env::X_CONSUMER_SECRET, &secrets.x_consumer_secret)?
                .map(String::into_bytes),
            x_account_id: crate::config::configured(x_account_id),
            meta_app: secret(env::META_APP_SECRET, &secrets.meta_app_secret)?
                .map(String::into_bytes),
            meta_verify_token: secret(env::META_VERIFY_TOKEN, &secrets.meta_verify_token)?,
        };
        match &settings.x_account_id {
            None if settings.x_consumer.is_some() => Err(ConfigError {
                name: env::X_ACCOUNT_ID,
                problem: "is not set: the X channel is enabled and must know its own account"
                    .into(),
            }),
            Some(id) if !id.bytes().all(|b| b.is_ascii_digit()) => Err(ConfigError {
                name: env::X_ACCOUNT_ID,
                problem: "is not a numeric X user id".into(),
            }),
            _ => Ok(settings),
        }
    }
}

/// The parts of a webhook request the channels read.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub method: &'a str,
    /// `sms`, `x` or `meta`.
    pub channel: &'a str,
    pub query: &'a HashMap<String, String>,
    pub content_type: Option<&'a str>,
    /// `X-Lapor-Timestamp` and `X-Lapor-Signature` (SMS gateway).
    pub lapor_timestamp: Option<&'a str>,
    pub lapor_signature: Option<&'a str>,
    /// `x-twitter-webhooks-signature`.
    pub x_signature: Option<&'a str>,
    /// `X-Hub-Signature-256`.
    pub hub_signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// A webhook's answer: JSON, or the plain text Meta's handshake expects back.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookAnswer {
    Json(serde_json::Value),
    Text(String),
}

pub async fn webhook(
    app: &App,
    state: &dyn ChannelState,
    settings: &WebhookSettings,
    request: WebhookRequest<'_>,
) -> Result<WebhookAnswer, ServiceError> {
    webhook_with(app, state, settings, None, request).await
}

/// [`webhook`], fetching the messages' media with `media` (see the module documentation).
pub async fn webhook_with(
    app: &App,
    state: &dyn ChannelState,
    settings: &WebhookSettings,
    media: Option<&dyn MediaFetcher>,
    request: WebhookRequest<'_>,
) -> Result<WebhookAnswer, ServiceError> {
    if request.body.len() > limits::MAX_BODY_BYTES {
        return Err(ServiceError::TooLarge {
            limit: limits::MAX_BODY_BYTES,
        });
    }
    let disabled =
        || ServiceError::NotFound(format!("the {} channel is not enabled", request.channel));
    match (request.method, request.channel) {
        ("POST", "sms") => {
            let secret = settings.sms.as_deref().ok_or_else(disabled)?;
            sms::verify(
                secret,
                request.lapor_timestamp,
                request.lapor_signature,
                request.body,
                app.clock.now(),
            )
            .map_err(unauthorized)?;
            let message = sms::parse(request.content_type, request.body, app.clock.now())
                .map_err(malformed)?;
            let handled = receive(app, state, message).await?;
            Ok(WebhookAnswer::Json(
                serde_json::to_value(&handled).expect("an outcome serialises"),
            ))
        }
        ("GET", "x") => {
            let secret = settings.x_consumer.as_deref().ok_or_else(disabled)?;
            // A missing token is a token of 0 characters: the same `invalid_crc_token`.
            let token = request
                .query
                .get("crc_token")
                .map(String::as_str)
                .unwrap_or_default();
            let answer = x::crc_response(secret, token).ok_or_else(|| {
                ServiceError::bad_request(
                    "invalid_crc_token",
                    format!(
                        "crc_token must be 1 to {} characters of A-Z a-z 0-9 + / = _ -",
                        x::CRC_TOKEN_MAX_CHARS
                    ),
                )
            })?;
            Ok(WebhookAnswer::Json(answer))
        }
        ("POST", "x") => {
            let secret = settings.x_consumer.as_deref().ok_or_else(disabled)?;
            x::verify(secret, request.x_signature, request.body).map_err(unauthorized)?;
            let account = x::account_id(request.body);
            if account.is_some() && account != settings.x_account_id {
                // Signed with our app's secret but for another account the app serves: not ours
                // to act on (and a 200, so X does not retry it).
                tracing::warn!("X events for another account: dropped");
                return Ok(handled(&[]));
            }
            let messages = x::parse(request.body).map_err(malformed)?;
            handle_all(app, state, messages, media).await
        }
        ("GET", "meta") => {
            let expected = settings.meta_verify_token.as_deref().ok_or_else(disabled)?;
            let get = |name: &str| request.query.get(name).map(String::as_str);
            match meta::verify_subscription(
                get("hub.mode"),
                get("hub.verify_token"),
                get("hub.challenge"),
                expected,
            ) {
                Some(challenge) => Ok(WebhookAnswer::Text(challenge)),
                None => Err(ServiceError::Forbidden(
                    "the verify token does not match".into(),
                )),
            }
        }
        ("POST", "meta") => {
            let secret = settings.meta_app.as_deref().ok_or_else(disabled)?;
            meta::verify(secret, request.hub_signature, request.body).map_err(unauthorized)?;
            let messages = meta::parse(request.body).map_err(malformed)?;
            handle_all(app, state, messages, media).await
        }
        (method, channel) => Err(ServiceError::NotFound(format!(
            "no webhook {method} /v1/channels/{channel}"
        ))),
    }
}

/// Every message of a provider's batch, in order (a sender's messages keep their order). An
/// event older than [`MAX_EVENT_AGE`] (or dated in the future) is refused: it can only be a
/// captured request played again, since providers stop retrying long before.
async fn handle_all(
    app: &App,
    state: &dyn ChannelState,
    messages: Vec<InboundMessage>,
    media: Option<&dyn MediaFetcher>,
) -> Result<WebhookAnswer, ServiceError> {
    let now = app.clock.now();
    let media = media.filter(|_| app.attachments.is_some());
    let mut results = Vec::with_capacity(messages.len());
    for mut message in messages {
        if media.is_none() && !message.media.is_empty() {
            tracing::info!(count = message.media.len(), channel = ?message.channel,
                "channel media not fetched: attachments or media downloads are not configured");
            message.media.clear();
            if message.text.trim().is_empty() {
                continue;
            }
        }
        let age = now - message.received_at;
        if age > MAX_EVENT_AGE || -age > MAX_EVENT_SKEW {
            tracing::warn!(channel = ?message.channel, age_s = age.num_seconds(),
                "channel event outside the accepted age: refused");
            results.push("stale");
            continue;
        }
        let handled: Handled = receive_with(app, state, message, media).await?;
        results.push(handled.name());
    }
    Ok(handled(&results))
}

fn handled(results: &[&str]) -> WebhookAnswer {
    WebhookAnswer::Json(serde_json::json!({ "handled": results }))
}

/// A webhook's error as JSON: the API's body (`api::error_body`), except that a 401 here is
/// always a refused signature and says so (the API's 401 speaks of access tokens, which
/// providers do not have).
pub fn error_body(error: &ServiceError) -> serde_json::Value {
    match error {
        ServiceError::Unauthorized => serde_json::json!({
            "error": crate::api::error_code(error),
            "message": SIGNATURE_REFUSED,
        }),
        _ => crate::api::error_body(error),
    }
}

/// What a webhook answers to a missing, stale or wrong signature.
pub const SIGNATURE_REFUSED: &str = "the request's signature is missing, expired or does not \
    match: sign the exact body with the channel's webhook secret";

fn unauthorized(e: SignatureError) -> ServiceError {
    tracing::warn!(error = %e, "webhook refused: bad signature");
    ServiceError::Unauthorized
}

fn malformed(e: PayloadError) -> ServiceError {
    ServiceError::bad_request("malformed_payload", e.to_string())
}
