//! The channels' webhooks on the public API, free of any HTTP framework (the Lambda handler and
//! the local runner both call [`webhook`]):
//!
//! - `POST /v1/channels/sms`: the SMS gateway (signed, timestamp-bound);
//! - `GET /v1/channels/x` (CRC challenge), `POST /v1/channels/x` (signed account activity);
//! - `GET /v1/channels/meta` (subscription handshake), `POST /v1/channels/meta` (signed
//!   Messenger and WhatsApp messages).
//!
//! A missing or wrong signature is a 401 and nothing is stored; a channel without its secret
//! configured answers 404 (it is not enabled). A body with several messages is answered 200
//! only when every message was handled, so the provider's retry covers a partial failure
//! (the handled ones are recognised as duplicates).

use super::channels::{receive, ChannelDeps, Handled};
use super::App;
use crate::api::{limits, ApiError};
use crate::channels::{meta, sms, x, InboundMessage, PayloadError, SignatureError};
use std::collections::HashMap;

/// The channels' secrets; a channel whose secret is absent is not enabled.
#[derive(Clone, Default)]
pub struct WebhookSecrets {
    pub sms: Option<Vec<u8>>,
    pub x_consumer: Option<Vec<u8>>,
    pub meta_app: Option<Vec<u8>>,
    pub meta_verify_token: Option<String>,
}

impl WebhookSecrets {
    /// From the environment (`crate::config::env`): an unset, empty or `-` value leaves the
    /// channel disabled (`crate::config::configured`).
    pub fn from_env() -> WebhookSecrets {
        use crate::config::{env, optional as read};
        WebhookSecrets {
            sms: read(env::SMS_WEBHOOK_SECRET).map(String::into_bytes),
            x_consumer: read(env::X_CONSUMER_SECRET).map(String::into_bytes),
            meta_app: read(env::META_APP_SECRET).map(String::into_bytes),
            meta_verify_token: read(env::META_VERIFY_TOKEN),
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
    Json(u16, serde_json::Value),
    Text(u16, String),
}

pub async fn webhook(
    app: &App,
    deps: &ChannelDeps,
    secrets: &WebhookSecrets,
    request: WebhookRequest<'_>,
) -> Result<WebhookAnswer, ApiError> {
    if request.body.len() > limits::MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: limits::MAX_BODY_BYTES,
        });
    }
    let disabled = || ApiError::NotFound(format!("the {} channel is not enabled", request.channel));
    match (request.method, request.channel) {
        ("POST", "sms") => {
            let secret = secrets.sms.as_deref().ok_or_else(disabled)?;
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
            let handled = receive(app, deps, message).await?;
            Ok(WebhookAnswer::Json(
                200,
                serde_json::to_value(&handled).expect("an outcome serialises"),
            ))
        }
        ("GET", "x") => {
            let secret = secrets.x_consumer.as_deref().ok_or_else(disabled)?;
            let token = request.query.get("crc_token").ok_or_else(|| {
                ApiError::bad_request("missing_crc_token", "the crc_token parameter is required")
            })?;
            Ok(WebhookAnswer::Json(200, x::crc_response(secret, token)))
        }
        ("POST", "x") => {
            let secret = secrets.x_consumer.as_deref().ok_or_else(disabled)?;
            x::verify(secret, request.x_signature, request.body).map_err(unauthorized)?;
            let messages = x::parse(request.body).map_err(malformed)?;
            handle_all(app, deps, messages).await
        }
        ("GET", "meta") => {
            let expected = secrets.meta_verify_token.as_deref().ok_or_else(disabled)?;
            let get = |name: &str| request.query.get(name).map(String::as_str);
            match meta::verify_subscription(
                get("hub.mode"),
                get("hub.verify_token"),
                get("hub.challenge"),
                expected,
            ) {
                Some(challenge) => Ok(WebhookAnswer::Text(200, challenge)),
                None => Err(ApiError::Forbidden(
                    "the verify token does not match".into(),
                )),
            }
        }
        ("POST", "meta") => {
            let secret = secrets.meta_app.as_deref().ok_or_else(disabled)?;
            meta::verify(secret, request.hub_signature, request.body).map_err(unauthorized)?;
            let messages = meta::parse(request.body).map_err(malformed)?;
            handle_all(app, deps, messages).await
        }
        (method, channel) => Err(ApiError::NotFound(format!(
            "no webhook {method} /v1/channels/{channel}"
        ))),
    }
}

/// Every message of a provider's batch, in order (a sender's messages keep their order).
async fn handle_all(
    app: &App,
    deps: &ChannelDeps,
    messages: Vec<InboundMessage>,
) -> Result<WebhookAnswer, ApiError> {
    let mut results = Vec::with_capacity(messages.len());
    for message in messages {
        let handled: Handled = receive(app, deps, message).await?;
        results.push(handled.name());
    }
    Ok(WebhookAnswer::Json(
        200,
        serde_json::json!({ "handled": results }),
    ))
}

fn unauthorized(e: SignatureError) -> ApiError {
    tracing::warn!(error = %e, "webhook refused: bad signature");
    ApiError::Unauthorized
}

fn malformed(e: PayloadError) -> ApiError {
    ApiError::bad_request("malformed_payload", e.to_string())
}
