//! The events the subjects are handed: the fixtures (`tests/fixtures/events/`, the workspace's one fixture folder: real API Gateway HTTP API v2,
//! SQS and EventBridge payloads) with this run's tracking ids, tokens, claims and messages put in.

use anyhow::{Context, Result};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

pub const POST_REPORT: &str =
    include_str!("../../../../tests/fixtures/events/apigw-post-report.json");
pub const GET_REPORT: &str =
    include_str!("../../../../tests/fixtures/events/apigw-get-report.json");
pub const SQS_BATCH: &str = include_str!("../../../../tests/fixtures/events/sqs-intake-batch.json");
pub const PUBLIC_FEED: &str =
    include_str!("../../../../tests/fixtures/events/apigw-public-feed.json");
pub const SEARCH_AGENCIES: &str =
    include_str!("../../../../tests/fixtures/events/apigw-search-agencies.json");
pub const AGENCY_INBOX: &str =
    include_str!("../../../../tests/fixtures/events/apigw-agency-inbox.json");
pub const AGENCY_ACTION: &str =
    include_str!("../../../../tests/fixtures/events/apigw-agency-action.json");
pub const REPORTER_REPLY: &str =
    include_str!("../../../../tests/fixtures/events/apigw-reporter-reply.json");
pub const SCHEDULED_EVENT: &str =
    include_str!("../../../../tests/fixtures/events/eventbridge-scheduled.json");
pub const CHANNELS_SMS: &str =
    include_str!("../../../../tests/fixtures/events/apigw-channels-sms.json");
pub const NOTIFICATION_BATCH: &str =
    include_str!("../../../../tests/fixtures/events/sqs-notification-batch.json");

pub fn event_bytes(doc: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(doc).expect("an event serialises"))
}

pub fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("a fixture parses")
}

/// Sets the path of an HTTP API event (`rawPath` and `requestContext.http.path`, with the stage).
fn set_path(doc: &mut Value, path: &str) {
    let path = format!("/dev{path}");
    doc["rawPath"] = path.clone().into();
    doc["requestContext"]["http"]["path"] = path.into();
}

/// Sets the body of an HTTP API event, with its `content-length`.
fn set_body(doc: &mut Value, body: String) {
    doc["headers"]["content-length"] = body.len().to_string().into();
    doc["body"] = body.into();
}

/// A reporter's event on one of their reports: `tracking_id` in the path, `token` as bearer.
fn reporter_event(fixture_text: &str, path: &str, tracking_id: &str, token: &str) -> Bytes {
    let mut doc = fixture(fixture_text);
    set_path(&mut doc, path);
    doc["pathParameters"]["tracking_id"] = tracking_id.into();
    doc["headers"]["authorization"] = format!("Bearer {token}").into();
    event_bytes(&doc)
}

/// The GET fixture, asking for `tracking_id` with the reporter's `token`.
pub fn get_event(tracking_id: &str, token: &str) -> Bytes {
    let path = format!("/v1/reports/{tracking_id}");
    reporter_event(GET_REPORT, &path, tracking_id, token)
}

/// `POST /v1/reports/{tracking_id}/replies` with the reporter's `token`.
pub fn reply_event(tracking_id: &str, token: &str) -> Bytes {
    let path = format!("/v1/reports/{tracking_id}/replies");
    reporter_event(REPORTER_REPLY, &path, tracking_id, token)
}

/// The SQS fixture carrying `body` as its one message.
pub fn sqs_event(body: &str) -> Bytes {
    sqs_batch(SQS_BATCH, &[body])
}

/// An SQS event from `fixture` (its first record is the pattern) with one message per body, each
/// with its own message id and MD5.
pub fn sqs_batch(fixture_text: &str, bodies: &[&str]) -> Bytes {
    use md5::{Digest, Md5};
    let mut doc = fixture(fixture_text);
    let pattern = doc["Records"][0].clone();
    let record = |(i, body): (usize, &&str)| {
        let mut record = pattern.clone();
        if i > 0 {
            // Ids of one batch differ: a failure names its message by id.
            let id = record["messageId"].as_str().unwrap_or_default();
            record["messageId"] = format!("{}{i:02}", &id[..id.len().saturating_sub(2)]).into();
        }
        record["body"] = (*body).into();
        record["md5OfBody"] = hex::encode(Md5::digest(body.as_bytes())).into();
        record
    };
    doc["Records"] = bodies.iter().enumerate().map(record).collect();
    event_bytes(&doc)
}

/// `POST /v1/channels/sms` as the SMS gateway sends it: the fixture's message with
/// `message_id`, signed at `at` with `secret` (`X-Lapor-Timestamp`, `X-Lapor-Signature`).
pub fn sms_event(secret: &[u8], message_id: &str, at: DateTime<Utc>) -> Bytes {
    use lapor::inbound::sms;
    let mut doc = fixture(CHANNELS_SMS);
    let mut message: Value =
        serde_json::from_str(doc["body"].as_str().unwrap_or_default()).expect("an SMS body");
    message["message_id"] = message_id.into();
    let body = message.to_string();
    let timestamp = at.timestamp();
    let headers = &mut doc["headers"];
    headers[sms::TIMESTAMP_HEADER] = timestamp.to_string().into();
    headers[sms::SIGNATURE_HEADER] = sms::sign(secret, timestamp, body.as_bytes()).into();
    doc["requestContext"]["timeEpoch"] = at.timestamp_millis().into();
    doc["requestContext"]["time"] = at.format("%d/%b/%Y:%H:%M:%S +0000").to_string().into();
    set_body(&mut doc, body);
    event_bytes(&doc)
}

/// The sender of the SMS fixture, as the channels normalise it (E.164).
pub fn sms_sender() -> Result<String> {
    let event = fixture(CHANNELS_SMS);
    let message: Value = serde_json::from_str(event["body"].as_str().unwrap_or_default())
        .context("the SMS fixture's body")?;
    let from = message["from"].as_str().unwrap_or_default();
    lapor::domain::submission::normalise_phone(from)
        .with_context(|| format!("the SMS fixture's sender {from:?} is not a phone number"))
}

/// Who the staff events act as: the claims API Gateway's JWT authorizer passes on.
#[derive(Clone)]
pub struct Staff {
    pub role: &'static str,
    pub agency_id: Option<String>,
}

impl Staff {
    /// The officers of the institution holding a report or, without one (the report is in
    /// triage), the national verifiers.
    pub fn of_holder(agency_id: Option<String>) -> Staff {
        match agency_id {
            Some(agency) => Staff {
                role: "officer",
                agency_id: Some(agency),
            },
            None => Staff {
                role: "verifier",
                agency_id: None,
            },
        }
    }

    fn set_claims(&self, doc: &mut Value) {
        use lapor::auth::claim;
        let claims = &mut doc["requestContext"]["authorizer"]["jwt"]["claims"];
        claims[claim::ROLE] = self.role.into();
        match &self.agency_id {
            Some(agency) => claims[claim::AGENCY_ID] = agency.clone().into(),
            None => {
                if let Some(map) = claims.as_object_mut() {
                    map.remove(claim::AGENCY_ID);
                }
            }
        }
    }

    /// `GET /v1/agency/reports` as this member of staff.
    pub fn inbox_event(&self) -> Bytes {
        let mut doc = fixture(AGENCY_INBOX);
        self.set_claims(&mut doc);
        event_bytes(&doc)
    }

    /// `POST /v1/agency/reports/{tracking_id}/actions` with `action`, as this member of staff.
    pub fn action_event(&self, tracking_id: &str, action: &Value) -> Bytes {
        let mut doc = fixture(AGENCY_ACTION);
        self.set_claims(&mut doc);
        set_path(
            &mut doc,
            &format!("/v1/agency/reports/{tracking_id}/actions"),
        );
        doc["pathParameters"]["tracking_id"] = tracking_id.into();
        set_body(&mut doc, action.to_string());
        event_bytes(&doc)
    }
}

/// A public GET of the web or Open311 function: `route_key` like `GET /lacak/{tracking_id}`,
/// `path` without the stage, one path parameter.
pub fn public_get_event(route_key: &str, path: &str, parameter: (&str, &str)) -> Bytes {
    let mut doc = fixture(GET_REPORT);
    set_path(&mut doc, path);
    doc["routeKey"] = route_key.into();
    doc["requestContext"]["routeKey"] = route_key.into();
    doc["pathParameters"] = serde_json::json!({ (parameter.0): parameter.1 });
    if let Some(headers) = doc["headers"].as_object_mut() {
        headers.remove("authorization");
        headers.insert("accept".into(), "text/html".into());
    }
    event_bytes(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SMS_WEBHOOK_SECRET;
    use serde_json::json;

    fn parsed(event: Bytes) -> Value {
        serde_json::from_slice(&event).unwrap()
    }

    #[test]
    fn reporters_events_carry_the_report_and_token() {
        let post = fixture(POST_REPORT);
        assert_eq!(post["version"], "2.0");
        assert_eq!(post["routeKey"], "POST /v1/reports");
        let body: Value = serde_json::from_str(post["body"].as_str().unwrap()).unwrap();
        let plain: Value = serde_json::from_str(include_str!(
            "../../../../tests/fixtures/events/report-body.json"
        ))
        .unwrap();
        assert_eq!(body, plain, "report-body.json is the POST fixture's body");

        let get = parsed(get_event("ABCDE-FGHJK", "t0ken"));
        assert_eq!(get["routeKey"], "GET /v1/reports/{tracking_id}");
        assert_eq!(get["pathParameters"]["tracking_id"], "ABCDE-FGHJK");
        assert_eq!(get["rawPath"], "/dev/v1/reports/ABCDE-FGHJK");
        assert_eq!(get["headers"]["authorization"], "Bearer t0ken");

        let reply = parsed(reply_event("ABCDE-FGHJK", "t0ken"));
        assert_eq!(reply["routeKey"], "POST /v1/reports/{tracking_id}/replies");
        assert_eq!(reply["rawPath"], "/dev/v1/reports/ABCDE-FGHJK/replies");
        assert_eq!(reply["headers"]["authorization"], "Bearer t0ken");
        assert!(reply["headers"]["idempotency-key"].is_string());
        let body: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
        assert!(body["message"].is_string());

        // The placeholder ids are real tracking ids (check symbol included).
        for doc in [
            fixture(GET_REPORT),
            fixture(AGENCY_ACTION),
            fixture(REPORTER_REPLY),
        ] {
            let id = doc["pathParameters"]["tracking_id"].as_str().unwrap();
            assert!(lapor::domain::TrackingId::parse(id).is_some(), "{id}");
        }
    }

    #[test]
    fn public_and_scheduled_events_are_as_api_gateway_and_eventbridge_send_them() {
        assert_eq!(fixture(PUBLIC_FEED)["routeKey"], "GET /v1/reports");
        let search = fixture(SEARCH_AGENCIES);
        assert_eq!(search["routeKey"], "GET /v1/agencies");
        assert_eq!(search["rawQueryString"], "q=jakarta");
        assert_eq!(search["queryStringParameters"]["q"], "jakarta");
        let tick = fixture(SCHEDULED_EVENT);
        assert_eq!(tick["detail-type"], "Scheduled Event");
        assert_eq!(tick["source"], "aws.events");
    }

    #[test]
    fn staff_events_carry_the_authorizers_claims() {
        let officer = Staff::of_holder(Some("pemda-31.71".into()));
        let inbox = parsed(officer.inbox_event());
        assert_eq!(inbox["routeKey"], "GET /v1/agency/reports");
        let claims = &inbox["requestContext"]["authorizer"]["jwt"]["claims"];
        assert_eq!(claims["custom:role"], "officer");
        assert_eq!(claims["custom:agency_id"], "pemda-31.71");
        assert!(claims["sub"].is_string());
        let inbox = parsed(Staff::of_holder(None).inbox_event());
        let claims = &inbox["requestContext"]["authorizer"]["jwt"]["claims"];
        assert_eq!(claims["custom:role"], "verifier");
        assert!(claims.get("custom:agency_id").is_none());
        // Every claim is a string, as API Gateway passes them.
        assert!(claims.as_object().unwrap().values().all(Value::is_string));

        let action = json!({"action": "accept", "action_id": "a-1b2c3d4e"});
        let act = parsed(officer.action_event("ABCDE-FGHJK", &action));
        assert_eq!(
            act["routeKey"],
            "POST /v1/agency/reports/{tracking_id}/actions"
        );
        assert_eq!(act["rawPath"], "/dev/v1/agency/reports/ABCDE-FGHJK/actions");
        let body: Value = serde_json::from_str(act["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["action"], "accept");
        assert_eq!(
            act["headers"]["content-length"],
            body.to_string().len().to_string()
        );
    }

    #[test]
    fn sqs_batches_carry_one_record_per_message() {
        let sqs = parsed(sqs_event("{\"x\":1}"));
        assert_eq!(sqs["Records"][0]["body"], "{\"x\":1}");
        // md5sum of the body, as SQS computes it.
        assert_eq!(
            sqs["Records"][0]["md5OfBody"],
            "ac3ef48caa08fa3ed5e025da69edc645"
        );

        let plain = fixture(NOTIFICATION_BATCH);
        let record = &plain["Records"][0];
        let source = record["eventSourceARN"].as_str().unwrap();
        assert!(source.contains("NotificationQueue"));
        let notice: lapor::lifecycle::Notification =
            serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        assert_eq!(notice.channel, lapor::domain::Channel::Sms);
        assert!(notice.recipient_sealed.unwrap().starts_with("v1."));

        let batch = parsed(sqs_batch(NOTIFICATION_BATCH, &["a", "b", "c"]));
        let records = batch["Records"].as_array().unwrap();
        assert_eq!(records.len(), 3);
        let ids: std::collections::HashSet<&str> = records
            .iter()
            .map(|r| r["messageId"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 3);
        assert_eq!(records[1]["body"], "b");
        // md5sum of "c".
        assert_eq!(records[2]["md5OfBody"], "4a8a08f09d37b73795649038408b5f33");
        assert_eq!(records[2]["attributes"]["ApproximateReceiveCount"], "1");
    }

    #[test]
    fn the_sms_fixture_is_a_signed_gateway_post() {
        use lapor::inbound::sms;
        let plain = fixture(CHANNELS_SMS);
        assert_eq!(plain["routeKey"], "POST /v1/channels/{channel}");
        assert_eq!(plain["pathParameters"]["channel"], "sms");
        assert!(plain["requestContext"].get("authorizer").is_none());
        assert_eq!(sms_sender().unwrap(), "+6281234567890");
        let secret = SMS_WEBHOOK_SECRET.as_bytes();
        // The file's own signature is one the budget's secret made.
        let signed_at: DateTime<Utc> = "2026-01-12T03:17:22Z".parse().unwrap();
        let verify = |event: &Value, at: DateTime<Utc>| {
            let headers = &event["headers"];
            sms::verify(
                secret,
                headers[sms::TIMESTAMP_HEADER].as_str(),
                headers[sms::SIGNATURE_HEADER].as_str(),
                event["body"].as_str().unwrap().as_bytes(),
                at,
            )
        };
        let timestamp = &plain["headers"][sms::TIMESTAMP_HEADER];
        assert_eq!(*timestamp, signed_at.timestamp().to_string());
        verify(&plain, signed_at).unwrap();

        let now = Utc::now();
        let event = parsed(sms_event(secret, "gw-7", now));
        let body = event["body"].as_str().unwrap();
        assert_eq!(event["headers"]["content-length"], body.len().to_string());
        verify(&event, now).unwrap();
        let content_type = event["headers"]["content-type"].as_str();
        let message = sms::parse(content_type, body.as_bytes(), now).unwrap();
        assert_eq!(message.provider_message_id, "gw-7");
        assert!(message.text.starts_with("LAPOR "), "{}", message.text);
        assert_eq!(event["requestContext"]["timeEpoch"], now.timestamp_millis());
    }
}
