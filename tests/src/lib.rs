//! The test harness: the same system on both storage families, plus real event fixtures.
//!
//! The AWS family talks to DynamoDB Local and an SQS server that `infra/scripts/test-all.sh`
//! installs and starts (it sets `LAPOR_TEST_SERVERS=1` and the `AWS_ENDPOINT_URL_*` variables).
//! Without them the AWS half of a test is skipped with a message, except under `CI=true` or
//! `LAPOR_TEST_SERVERS=1`, where a missing server fails the test.

pub mod logs;
pub mod providers;

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{TimeZone, Utc};
use lapor::adapters::aws::provision::{provision_with, Expiry};
use lapor::adapters::aws::{DynamoAgencies, DynamoExamples, DynamoModels, DynamoStore, SqsQueues};
use lapor::adapters::embedded::blobs::FileBlobs;
use lapor::adapters::embedded::EmbeddedStore;
use lapor::crypto::Sealer;
use lapor::directory::LiveDirectory;
use lapor::ports::{
    AgencyStore, ManualClock, ModelStore, QueueName, QueueReceiver, RoutingExampleStore,
};
use lapor::service::attachments::Attachments;
use lapor::service::models::LiveEngine;
use lapor::service::App;
use lapor::template::Template;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub struct Harness {
    pub family: &'static str,
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub receiver: Arc<dyn QueueReceiver>,
    pub router: router::Router,
    pub agencies: Arc<dyn AgencyStore>,
    pub examples: Arc<dyn RoutingExampleStore>,
    pub models: Arc<dyn ModelStore>,
    /// Sent notifications and waiting SMS parts.
    pub channel_state: Arc<dyn lapor::ports::ChannelState>,
    /// Open311 API keys (the family's idempotency table).
    pub api_keys: Arc<dyn lapor::open311::keys::ApiKeyStore>,
    /// The AWS family's DynamoDB client and reports table, for tests that write as another
    /// version of the code would (none on the embedded family).
    pub dynamodb: Option<(aws_sdk_dynamodb::Client, String)>,
    /// The embedded family's attachment files (the local runner's `/_blobs/` serves them); none
    /// on the AWS family, whose bucket is moto's S3.
    pub files: Option<Arc<FileBlobs>>,
    _dir: Option<tempfile::TempDir>,
}

/// The directory and learning stores of one family.
pub struct RoutingStores {
    pub agencies: Arc<dyn AgencyStore>,
    pub examples: Arc<dyn RoutingExampleStore>,
    pub models: Arc<dyn ModelStore>,
}

/// A fixed start so tests do not depend on today's date: Monday 1 December 2025, 09:00 WIB.
pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 1, 2, 0, 0).unwrap()
}

/// A family's services over its stores; `store` keeps the reports and the Open311 API keys (its
/// idempotency table holds both).
async fn assemble<S>(
    family: &'static str,
    store: Arc<S>,
    queue: Arc<dyn lapor::ports::MessageQueue>,
    receiver: Arc<dyn QueueReceiver>,
    stores: RoutingStores,
    channel_state: Arc<dyn lapor::ports::ChannelState>,
    dir: Option<tempfile::TempDir>,
) -> Harness
where
    S: lapor::ports::ReportStore + lapor::open311::keys::ApiKeyStore + 'static,
{
    let api_keys: Arc<dyn lapor::open311::keys::ApiKeyStore> = store.clone();
    let store: Arc<dyn lapor::ports::ReportStore> = store;
    let clock = Arc::new(ManualClock::new(start_time()));
    // The family's agency store, unpublished: the compiled-in directory until a test publishes
    // one (`Harness::publish_directory`, which refreshes it at once).
    let directory = Arc::new(
        LiveDirectory::start(stores.agencies.clone(), std::time::Duration::MAX)
            .await
            .expect("reading the directory's version"),
    );
    let app = App {
        store: store.clone(),
        queue,
        clock: clock.clone(),
        pii: Sealer::from_base64_key(&Sealer::generate_key_base64()).unwrap(),
        deadlines: Arc::new(lapor::deadlines::Deadlines::builtin().clone()),
        directory: directory.clone(),
        examples: Some(stores.examples.clone()),
        // Each family sets its own blob store once assembled.
        attachments: None,
    };
    let router = router::Router {
        store,
        queue: app.queue.clone(),
        clock: clock.clone(),
        deadlines: app.deadlines.clone(),
        directory,
        engine: Arc::new(LiveEngine::compiled_in()),
    };
    Harness {
        family,
        app,
        clock,
        receiver,
        router,
        agencies: stores.agencies,
        examples: stores.examples,
        models: stores.models,
        channel_state,
        api_keys,
        dynamodb: None,
        files: None,
        _dir: dir,
    }
}

pub async fn embedded() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        EmbeddedStore::open(
            &dir.path().join("t.db"),
            Template::builtin().queue_settings(),
        )
        .unwrap(),
    );
    let stores = RoutingStores {
        agencies: store.clone(),
        examples: store.clone(),
        models: store.clone(),
    };
    // Uploads announce themselves on the store's own uploads queue, as the local runner's do.
    let files = Arc::new(FileBlobs::new(
        &dir.path().join("blobs"),
        "http://127.0.0.1:9",
        Some(store.clone()),
    ));
    let attachments = Attachments {
        blobs: files.clone(),
        max_bytes: lapor::attachments::DEFAULT_MAX_BYTES,
    };
    let mut harness = assemble(
        "embedded",
        store.clone(),
        store.clone(),
        store.clone(),
        stores,
        store,
        Some(dir),
    )
    .await;
    harness.app.attachments = Some(attachments);
    harness.files = Some(files);
    harness
}

/// True when the test servers must be there (CI, or the test script said it started them).
pub fn servers_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("LAPOR_TEST_SERVERS").is_ok_and(|v| v == "1")
}

/// The AWS family on fresh, uniquely named tables and queues created from the template.
pub async fn aws() -> Option<Harness> {
    let configured = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok()
        && std::env::var("AWS_ENDPOINT_URL_SQS").is_ok();
    if !configured {
        assert!(
            !servers_required(),
            "CI/LAPOR_TEST_SERVERS requires DynamoDB Local and the SQS server: run infra/scripts/test-all.sh"
        );
        eprintln!("skipping the AWS family: no AWS_ENDPOINT_URL_DYNAMODB/SQS (run infra/scripts/test-all.sh)");
        return None;
    }
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let prefix = format!(
        "t{}x{}x{}-",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_subsec_micros()
    );
    let config = lapor::adapters::aws::load_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let template = Template::builtin();
    // The harness clock is manual and starts in 2025, so the server must not expire by its own.
    let made = provision_with(&template, &dynamodb, &sqs, &prefix, Expiry::CodeOnly)
        .await
        .expect("provisioning on the test servers");
    let stores = RoutingStores {
        agencies: Arc::new(DynamoAgencies::new(
            dynamodb.clone(),
            made.table("AgenciesTable").to_string(),
        )),
        examples: Arc::new(DynamoExamples::new(
            dynamodb.clone(),
            made.table("RoutingExamplesTable").to_string(),
        )),
        models: Arc::new(DynamoModels::new(
            dynamodb.clone(),
            made.table("RoutingModelsTable").to_string(),
        )),
    };
    let channel_state = Arc::new(lapor::adapters::aws::DynamoChannelState::new(
        dynamodb.clone(),
        made.table("ChannelStateTable").to_string(),
    ));
    let queues = Arc::new(SqsQueues::new(
        sqs,
        QueueName::ALL
            .into_iter()
            .map(|queue| (queue, made.queue(&template, queue)))
            .collect(),
    ));
    let raw = (dynamodb.clone(), made.table("ReportsTable").to_string());
    let store = Arc::new(
        DynamoStore::new(
            dynamodb,
            made.table("ReportsTable").to_string(),
            made.table("IdempotencyTable").to_string(),
            made.table("StatsTable").to_string(),
        )
        .publishing_to(queues.clone()),
    );
    let attachments = Attachments {
        blobs: Arc::new(
            attachments_bucket(
                &config,
                &prefix,
                &made.queue(&template, QueueName::Uploads).url,
            )
            .await,
        ),
        max_bytes: lapor::attachments::DEFAULT_MAX_BYTES,
    };
    let mut harness = assemble(
        "aws",
        store,
        queues.clone(),
        queues,
        stores,
        channel_state,
        None,
    )
    .await;
    harness.app.attachments = Some(attachments);
    harness.dynamodb = Some(raw);
    Some(harness)
}

impl Harness {
    /// The attachments function as a cold start builds it, over this family's stores.
    pub fn checker(&self) -> lapor::service::attachments::Checker {
        lapor::service::attachments::Checker {
            store: self.app.store.clone(),
            clock: self.clock.clone(),
            attachments: self
                .app
                .attachments
                .clone()
                .expect("attachments configured"),
        }
    }

    /// Runs the attachments function on the uploads queue, as the SQS event source would, until
    /// `expected` uploads were announced and checked (the S3 server may announce one a moment
    /// after it); the bodies of the messages that announced them. S3's test event, sent when a
    /// bucket's notifications are set, announces none.
    pub async fn check_uploads(&self, expected: usize) -> Vec<String> {
        let checker = self.checker();
        let mut bodies = Vec::new();
        for _ in 0..100 {
            let messages = self
                .receiver
                .receive(QueueName::Uploads, 10, std::time::Duration::from_secs(30))
                .await
                .unwrap();
            for m in messages {
                checker.handle_message(&m.body).await.unwrap();
                self.receiver
                    .delete(QueueName::Uploads, &m.receipt_handle)
                    .await
                    .unwrap();
                let announced = lapor::attachments::notification::created_keys(&m.body).unwrap();
                if !announced.is_empty() {
                    bodies.push(m.body);
                }
            }
            if bodies.len() >= expected {
                return bodies;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "{}: {} of {expected} uploads announced",
            self.family,
            bodies.len()
        );
    }
}

/// A fresh bucket on the S3 server (moto), announcing uploads on `upload_queue` as the template's
/// bucket does.
async fn attachments_bucket(
    config: &aws_config::SdkConfig,
    prefix: &str,
    upload_queue: &str,
) -> lapor::adapters::aws::S3Blobs {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    };
    let client = lapor::adapters::aws::s3_client(config);
    let bucket = format!("{prefix}attachments");
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let mut create = client.create_bucket().bucket(&bucket);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    region.as_str(),
                ))
                .build(),
        );
    }
    create
        .send()
        .await
        .expect("creating the attachments bucket on the S3 server");
    let queue_arn = aws_sdk_sqs::Client::new(config)
        .get_queue_attributes()
        .queue_url(upload_queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("the uploads queue's ARN")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("a queue ARN");
    let filter = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value("upload/")
                        .build(),
                )
                .build(),
        )
        .build();
    client
        .put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(queue_arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .filter(filter)
                        .build()
                        .expect("a queue configuration"),
                )
                .build(),
        )
        .send()
        .await
        .expect("the bucket's upload notifications");
    lapor::adapters::aws::S3Blobs::new(client, bucket)
}

/// Every family available here: embedded always, AWS when its servers run.
pub async fn families() -> Vec<Harness> {
    let mut all = vec![embedded().await];
    if let Some(h) = aws().await {
        all.push(h);
    }
    all
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A provider's documented payload (`tests/fixtures/channels/<name>`) as if sent at `at`: every
/// event's own timestamp (X's `created_timestamp` and `timestamp_ms`, Meta's `timestamp`, in
/// the unit each uses) moved to `at`, since the webhooks refuse events older than their memory.
pub fn channel_fixture(name: &str, at: chrono::DateTime<Utc>) -> serde_json::Value {
    fn restamp(value: &mut serde_json::Value, at: chrono::DateTime<Utc>) {
        use serde_json::Value;
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    let millis = at.timestamp_millis();
                    match (key.as_str(), &*v) {
                        ("created_timestamp" | "timestamp_ms", _) => {
                            *v = Value::String(millis.to_string())
                        }
                        ("timestamp", Value::Number(_)) => *v = Value::from(millis),
                        ("timestamp", Value::String(_)) => {
                            *v = Value::String(at.timestamp().to_string())
                        }
                        _ => restamp(v, at),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| restamp(v, at)),
            _ => {}
        }
    }
    let mut value: serde_json::Value =
        serde_json::from_str(&fixture(&format!("channels/{name}"))).unwrap();
    restamp(&mut value, at);
    value
}

/// An API Gateway (HTTP API, payload v2) event of the fixture folder, without its request's own
/// credentials and idempotency key: each test says what it sends.
fn event_fixture(name: &str) -> serde_json::Value {
    let mut event: serde_json::Value =
        serde_json::from_str(&fixture(&format!("events/{name}"))).unwrap();
    let headers = event["headers"]
        .as_object_mut()
        .expect("a fixture has headers");
    headers.remove("authorization");
    headers.remove("idempotency-key");
    event
}

/// `POST /v1/reports` as API Gateway delivers it, with this body and extra headers.
pub fn post_report_request(body: &str, headers: &[(&str, &str)]) -> lambda_http::Request {
    let mut event = event_fixture("apigw-post-report.json");
    event["body"] = body.into();
    event["headers"]["content-length"] = body.len().to_string().into();
    for (k, v) in headers {
        event["headers"][k.to_ascii_lowercase()] = (*v).into();
    }
    lambda_http::request::from_str(&event.to_string()).expect("fixture is a valid v2 event")
}

/// `GET /v1/reports/{tracking_id}` as API Gateway delivers it.
pub fn get_report_request(tracking_id: &str, bearer: Option<&str>) -> lambda_http::Request {
    let headers: Vec<(&str, String)> = bearer
        .map(|token| vec![("authorization", format!("Bearer {token}"))])
        .unwrap_or_default();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    api_request(
        "GET /v1/reports/{tracking_id}",
        Some(tracking_id),
        "",
        None,
        &headers,
        None,
    )
}

/// An SQS event as Lambda delivers it, one record per body.
pub fn sqs_event(bodies: &[&str]) -> SqsEvent {
    let template: serde_json::Value =
        serde_json::from_str(&fixture("events/sqs-intake-batch.json")).unwrap();
    let record = template["Records"][0].clone();
    let records: Vec<serde_json::Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut r = record.clone();
            r["messageId"] = format!("msg-{i}").into();
            r["body"] = (*body).into();
            r
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
}

pub struct HttpAnswer {
    pub status: u16,
    pub body: serde_json::Value,
    pub text: String,
}

pub fn answer(response: lambda_http::Response<lambda_http::Body>) -> HttpAnswer {
    let status = response.status().as_u16();
    let text = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        lambda_http::Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    };
    HttpAnswer {
        status,
        body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
    }
}

impl Harness {
    pub async fn submit(&self, body: &serde_json::Value, headers: &[(&str, &str)]) -> HttpAnswer {
        let req = post_report_request(&body.to_string(), headers);
        answer(intake::handle(&self.app, req).await.unwrap())
    }

    pub async fn get(&self, tracking_id: &str, bearer: Option<&str>) -> HttpAnswer {
        let req = get_report_request(tracking_id, bearer);
        answer(status::handle(&self.app, req).await.unwrap())
    }

    /// Feeds the router from the queue until it is empty, as the event source would.
    pub async fn drain_router(&self) -> usize {
        let mut handled = 0;
        for _ in 0..50 {
            let stats = lapor::lambda::sqs::pump_once(
                &*self.receiver,
                QueueName::Intake,
                10,
                std::time::Duration::from_secs(30),
                |event| router::handle(&self.router, event),
            )
            .await
            .expect("polling the queue");
            if stats.received == 0 {
                break;
            }
            handled += stats.deleted;
        }
        handled
    }
}

pub fn sample_report() -> serde_json::Value {
    serde_json::json!({
        "kind": "complaint",
        "title": "Lampu jalan mati",
        "body": "Lampu penerangan jalan di Jalan Merdeka sudah mati dua minggu dan rawan kejahatan.",
        "region_code": "32.73.01",
        "location_text": "Jalan Merdeka dekat pasar",
        "reporter": {"name": "Siti Rahayu", "phone": "0812-3456-7890", "email": "siti@example.id"}
    })
}

/// A request to the directory function as API Gateway delivers it: `route_key` like
/// `GET /v1/agencies/{agency_id}`, the concrete `path`, the raw query string and a body.
pub fn directory_request(
    route_key: &str,
    path: &str,
    query: &str,
    path_parameters: &[(&str, &str)],
    body: Option<&str>,
) -> lambda_http::Request {
    let mut event = event_fixture("apigw-get-report.json");
    let method = route_key.split(' ').next().unwrap();
    event["routeKey"] = route_key.into();
    event["requestContext"]["routeKey"] = route_key.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["rawPath"] = path.into();
    event["rawQueryString"] = query.into();
    event["pathParameters"] = path_parameters
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    if let Some(body) = body {
        event["body"] = body.into();
        event["headers"]["content-type"] = "application/json".into();
    }
    lambda_http::request::from_str(&event.to_string()).expect("a valid v2 event")
}

impl Harness {
    /// Publishes the compiled-in directory with `additions` to this family's agency store, as
    /// `lapor-local seed --extra` does, and has the system use it at once (a function would at
    /// its next check). Returns how many agencies were written.
    pub async fn publish_directory(&self, additions: &[lapor::directory::Agency]) -> usize {
        let published =
            lapor::service::agencies::publish_directory(&*self.agencies, additions, |_| {})
                .await
                .expect("publishing the directory");
        self.app
            .directory
            .refresh()
            .await
            .expect("reading the published directory");
        published.agencies
    }

    /// Seeds the compiled-in directory into this family's agency store.
    pub async fn seed_directory(&self) -> usize {
        self.publish_directory(&[]).await
    }

    /// The directory function as a cold start builds it on this family's stores.
    pub async fn directory_api(&self) -> lapor::service::agencies::DirectoryApi {
        let (engine, _) = LiveEngine::start(self.models.clone(), std::time::Duration::MAX).await;
        lapor::service::agencies::DirectoryApi {
            directory: Arc::new(
                LiveDirectory::start(self.agencies.clone(), std::time::Duration::MAX)
                    .await
                    .expect("loading the directory"),
            ),
            engine: Arc::new(engine),
            reports: Some(self.app.store.clone()),
        }
    }
}

// ---------------------------------------------------------------- the lifecycle's APIs

/// A staff member as the JWT authorizer describes them (the claims API Gateway passes on).
#[derive(Debug, Clone)]
pub struct Staff {
    pub sub: &'static str,
    pub role: &'static str,
    pub agency_id: Option<&'static str>,
}

impl Staff {
    pub fn officer(sub: &'static str, agency_id: &'static str) -> Staff {
        Staff {
            sub,
            role: "officer",
            agency_id: Some(agency_id),
        }
    }

    pub fn verifier(sub: &'static str) -> Staff {
        Staff {
            sub,
            role: "verifier",
            agency_id: None,
        }
    }

    fn claims(&self) -> serde_json::Value {
        let mut claims = serde_json::json!({
            "sub": self.sub,
            "custom:role": self.role,
            "iss": "https://issuer.example/lapor",
            "aud": "lapor-officers",
        });
        if let Some(agency) = self.agency_id {
            claims["custom:agency_id"] = agency.into();
        }
        claims
    }
}

/// Any route as API Gateway delivers it: `route_key` like `POST /v1/agency/reports/{tracking_id}/actions`,
/// the concrete `path` (parameters filled in from `tracking_id`), a raw query, a body, headers,
/// and the authorizer's claims when `staff` is given.
pub fn api_request(
    route_key: &str,
    tracking_id: Option<&str>,
    query: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
    staff: Option<&Staff>,
) -> lambda_http::Request {
    let mut event = event_fixture("apigw-get-report.json");
    let (method, template_path) = route_key.split_once(' ').unwrap();
    let path = template_path.replace("{tracking_id}", tracking_id.unwrap_or_default());
    event["routeKey"] = route_key.into();
    event["requestContext"]["routeKey"] = route_key.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.clone().into();
    event["rawPath"] = path.into();
    event["rawQueryString"] = query.into();
    event["queryStringParameters"] = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), serde_json::Value::from(v))
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    event["pathParameters"] = match tracking_id {
        Some(id) => serde_json::json!({ "tracking_id": id }),
        None => serde_json::json!({}),
    };
    if let Some(body) = body {
        event["body"] = body.into();
        event["headers"]["content-type"] = "application/json".into();
    }
    for (k, v) in headers {
        event["headers"][k.to_ascii_lowercase()] = (*v).into();
    }
    if let Some(staff) = staff {
        event["requestContext"]["authorizer"] =
            serde_json::json!({ "jwt": { "claims": staff.claims(), "scopes": null } });
    }
    lambda_http::request::from_str(&event.to_string()).expect("a valid v2 event")
}

impl Harness {
    /// A call to the officers' API; `staff: None` is a request the authorizer let through
    /// without claims (which the function must refuse).
    pub async fn agency_call(
        &self,
        route_key: &str,
        tracking_id: Option<&str>,
        query: &str,
        body: Option<&serde_json::Value>,
        staff: Option<&Staff>,
    ) -> HttpAnswer {
        let body = body.map(|b| b.to_string());
        let req = api_request(route_key, tracking_id, query, body.as_deref(), &[], staff);
        answer(agency::handle(&self.app, req).await.unwrap())
    }

    /// `POST /v1/agency/reports/{id}/actions` with `{"action_id", "action", ...}`.
    pub async fn act(
        &self,
        staff: &Staff,
        tracking_id: &str,
        action_id: &str,
        action: serde_json::Value,
    ) -> HttpAnswer {
        let mut body = action;
        body["action_id"] = action_id.into();
        self.agency_call(
            "POST /v1/agency/reports/{tracking_id}/actions",
            Some(tracking_id),
            "",
            Some(&body),
            Some(staff),
        )
        .await
    }

    /// One of the reporter's actions: `what` is `replies`, `rating` or `withdraw`.
    pub async fn reporter_call(
        &self,
        what: &str,
        tracking_id: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> HttpAnswer {
        let route = format!("POST /v1/reports/{{tracking_id}}/{what}");
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        let req = api_request(
            &route,
            Some(tracking_id),
            "",
            Some(&body.to_string()),
            &headers,
            None,
        );
        answer(reporter::handle(&self.app, req).await.unwrap())
    }

    /// `GET /v1/reports` (the public feed) with a raw query.
    pub async fn feed(&self, query: &str) -> HttpAnswer {
        let req = api_request("GET /v1/reports", None, query, None, &[], None);
        answer(status::handle(&self.app, req).await.unwrap())
    }

    /// Every notification queued so far (received and deleted).
    pub async fn take_notifications(&self) -> Vec<lapor::lifecycle::Notification> {
        let mut out = Vec::new();
        for _ in 0..100 {
            let batch = self
                .receiver
                .receive(
                    QueueName::Notifications,
                    10,
                    std::time::Duration::from_secs(60),
                )
                .await
                .expect("receiving notifications");
            if batch.is_empty() {
                break;
            }
            let receipts: Vec<String> = batch.iter().map(|m| m.receipt_handle.clone()).collect();
            for m in &batch {
                out.push(serde_json::from_str(&m.body).expect("a notification"));
            }
            self.receiver
                .delete_batch(QueueName::Notifications, &receipts)
                .await
                .expect("deleting notifications");
        }
        out
    }
}

/// A report as submission answered it.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: String,
    pub token: String,
}

/// A `200` with the family and what was asked in the failure message.
pub fn assert_ok(family: &str, what: &str, a: &HttpAnswer) {
    assert_eq!(a.status, 200, "{family}: {what}: {}", a.text);
}

impl Harness {
    /// Submits `body`, which must be accepted (`201`).
    pub async fn submit_ok(&self, body: &serde_json::Value) -> Submitted {
        let a = self.submit(body, &[]).await;
        assert_eq!(a.status, 201, "{}: {}", self.family, a.text);
        Submitted {
            id: a.body["tracking_id"].as_str().unwrap().to_string(),
            token: a.body["access_token"].as_str().unwrap().to_string(),
        }
    }

    /// The confirmation code the receipt of `s` carried to the contact typed in it (the tests
    /// hold the PII key, as the notifier does).
    pub async fn contact_code(&self, s: &Submitted) -> String {
        let report = self.stored(&s.id).await;
        let check = report
            .contact_check
            .as_ref()
            .unwrap_or_else(|| panic!("{}: {} has no contact to confirm", self.family, s.id));
        lapor::service::contact::code(&self.app.pii, &report.tracking_id, check)
    }

    /// Confirms the contact typed in `s` with its receipt's code, as the reporter does on their
    /// report's page; from then on every notice reaches it.
    pub async fn confirm_contact(&self, s: &Submitted) {
        let code = self.contact_code(s).await;
        let a = self
            .reporter_call(
                "contact/confirm",
                &s.id,
                Some(&s.token),
                &serde_json::json!({ "code": code }),
            )
            .await;
        assert_ok(self.family, "contact/confirm", &a);
    }

    /// Submits `body` and lets the router place it.
    pub async fn submit_routed(&self, body: &serde_json::Value) -> Submitted {
        let s = self.submit_ok(body).await;
        self.drain_router().await;
        s
    }

    /// The stored report (which must exist).
    pub async fn stored(&self, id: &str) -> lapor::domain::Report {
        self.app
            .store
            .get(&lapor::domain::TrackingId::parse(id).unwrap())
            .await
            .unwrap()
            .unwrap()
    }
}

// ---------------------------------------------------------------- the real `lapor-local` binary

/// The workspace's root directory.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// A local address nothing listens on right now.
pub fn free_addr() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A `received` report with only what every report has, created at `created_at` (for the store
/// tests; the service tests submit through intake instead).
pub fn minimal_report(created_at: chrono::DateTime<Utc>) -> lapor::domain::Report {
    lapor::domain::Report::sample(created_at)
}
