//! The channels' webhooks, `GET|POST /v1/channels/{channel}` for `sms`, `x` and `meta`: the
//! request's parts go to `lapor::service::webhooks::webhook`, which verifies the provider's
//! signature and handles the messages; its answer goes back as JSON, or as the plain text Meta's
//! subscription handshake expects. No staff or reporter token: providers sign their requests.

use lambda_http::{Body, Request, Response};
use lapor::api::ServiceError;
use lapor::inbound::{meta, sms, x};
use lapor::lambda::http::{
    body_bytes, header, json_response, path_parameter, query_parameters, route_key,
};
use lapor::service::webhooks::{
    error_body, webhook_with, WebhookAnswer, WebhookRequest, WebhookSettings,
};
use lapor::service::App;
use std::collections::HashMap;

/// The routes this function serves (the template's `ChannelsFunction` events).
pub const ROUTES: [&str; 2] = ["GET /v1/channels/{channel}", "POST /v1/channels/{channel}"];

/// What the webhooks need, built once per cold start.
pub struct ChannelsApi {
    pub app: App,
    /// Handled message ids and the parts of long SMS.
    pub state: std::sync::Arc<dyn lapor::ports::ChannelState>,
    /// A channel whose secret is absent answers 404 (not enabled).
    pub settings: WebhookSettings,
    /// Fetches the photos and documents senders attach (Messenger, WhatsApp); none fetches
    /// nothing (media are then dropped with a log line).
    pub media: Option<std::sync::Arc<dyn lapor::outbound::media::MediaFetcher>>,
}

pub async fn handle(api: &ChannelsApi, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(match respond(api, &req).await {
        Ok(answer) => answer_response(&answer),
        Err(e) => {
            lapor::api::log_error(&e);
            json_response(lapor::api::http_status(&e), &error_body(&e))
        }
    })
}

async fn respond(api: &ChannelsApi, req: &Request) -> Result<WebhookAnswer, ServiceError> {
    let route = route_key(req);
    if !ROUTES.contains(&route.as_str()) {
        return Err(ServiceError::NotFound(format!("no route {route:?} here")));
    }
    let method = req.method().as_str();
    let channel = path_parameter(req, "channel");
    let query = query_parameters(req)?;
    webhook_with(
        &api.app,
        &*api.state,
        &api.settings,
        api.media.as_deref(),
        webhook_request(req, method, &channel, &query),
    )
    .await
}

/// The parts of `req` the webhooks read: the raw body as received (signatures are over its
/// bytes) and the providers' signature headers.
pub fn webhook_request<'a>(
    req: &'a Request,
    method: &'a str,
    channel: &'a str,
    query: &'a HashMap<String, String>,
) -> WebhookRequest<'a> {
    WebhookRequest {
        method,
        channel,
        query,
        content_type: header(req, "content-type"),
        lapor_timestamp: header(req, sms::TIMESTAMP_HEADER),
        lapor_signature: header(req, sms::SIGNATURE_HEADER),
        x_signature: header(req, x::SIGNATURE_HEADER),
        hub_signature: header(req, meta::SIGNATURE_HEADER),
        body: body_bytes(req),
    }
}

pub fn answer_response(answer: &WebhookAnswer) -> Response<Body> {
    match answer {
        WebhookAnswer::Json(body) => json_response(200, body),
        WebhookAnswer::Text(text) => Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .header("cache-control", "no-store")
            .body(Body::Text(text.clone()))
            .expect("status and headers are valid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SMS gateway's post from the fixture folder, made into a `method` request to `channel`
    /// with `query` and only `headers`.
    fn event(method: &str, channel: &str, query: &str, headers: serde_json::Value) -> Request {
        let mut event: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/events/apigw-channels-sms.json"
        ))
        .expect("the fixture is JSON");
        let route = format!("{method} /v1/channels/{{channel}}");
        let path = format!("/dev/v1/channels/{channel}");
        event["routeKey"] = route.clone().into();
        event["requestContext"]["routeKey"] = route.into();
        event["requestContext"]["http"]["method"] = method.into();
        event["requestContext"]["http"]["path"] = path.clone().into();
        event["rawPath"] = path.into();
        event["rawQueryString"] = query.into();
        event["pathParameters"] = serde_json::json!({ "channel": channel });
        event["headers"] = headers;
        event["body"] = "{\"a\":1}".into();
        lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
    }

    #[test]
    fn reads_the_signature_headers_and_the_raw_body() {
        let req = event(
            "POST",
            "sms",
            "",
            serde_json::json!({
                "content-type": "application/json",
                "x-lapor-timestamp": "1767225600",
                "x-lapor-signature": "sha256=aa",
                "x-twitter-webhooks-signature": "sha256=bb",
                "x-hub-signature-256": "sha256=cc"
            }),
        );
        assert_eq!(route_key(&req), "POST /v1/channels/{channel}");
        assert_eq!(path_parameter(&req, "channel"), "sms");
        let query = query_parameters(&req).unwrap();
        let parts = webhook_request(&req, "POST", "sms", &query);
        assert_eq!(parts.content_type, Some("application/json"));
        assert_eq!(parts.lapor_timestamp, Some("1767225600"));
        assert_eq!(parts.lapor_signature, Some("sha256=aa"));
        assert_eq!(parts.x_signature, Some("sha256=bb"));
        assert_eq!(parts.hub_signature, Some("sha256=cc"));
        assert_eq!(parts.body, b"{\"a\":1}");
    }

    #[test]
    fn reads_the_handshake_query() {
        let req = event(
            "GET",
            "meta",
            "hub.mode=subscribe&hub.verify_token=t&hub.challenge=42",
            serde_json::json!({}),
        );
        let query = query_parameters(&req).unwrap();
        assert_eq!(query.get("hub.challenge").map(String::as_str), Some("42"));
        let parts = webhook_request(&req, "GET", "meta", &query);
        assert_eq!(parts.content_type, None);
        assert_eq!(parts.hub_signature, None);
    }

    #[test]
    fn answers_json_or_plain_text() {
        let text = answer_response(&WebhookAnswer::Text("1158201444".into()));
        assert_eq!(text.status(), 200);
        assert_eq!(text.headers()["content-type"], "text/plain");
        assert!(matches!(text.body(), Body::Text(t) if t == "1158201444"));
        let json = answer_response(&WebhookAnswer::Json(
            serde_json::json!({"handled": ["report_created"]}),
        ));
        assert_eq!(json.headers()["content-type"], "application/json");
        assert!(matches!(json.body(), Body::Text(t) if t == r#"{"handled":["report_created"]}"#));
    }
}
