//! The system the local runner serves: the same services on the embedded store (a SQLite file in
//! the data dir) or on DynamoDB + SQS from the standard AWS environment.

use lapor::adapters::aws::provision::provision;
use lapor::adapters::aws::sqs::QueueUrls;
use lapor::adapters::aws::{
    dynamodb_client, load_config, sqs_client, DynamoAgencies, DynamoChannelState, DynamoExamples,
    DynamoModels, DynamoStore, SqsQueues,
};
use lapor::adapters::embedded::EmbeddedStore;
use lapor::config;
use lapor::crypto::Sealer;
use lapor::directory::Directory;
use lapor::ports::{
    AgencyStore, ChannelState, ModelStore, QueueName, QueueReceiver, RoutingExampleStore,
    SystemClock,
};
use lapor::service::models::{LiveEngine, ModelLoad};
use lapor::service::App;
use lapor::template::Template;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// A SQLite file in the data dir: no AWS, no Java, no Python.
    Embedded,
    /// DynamoDB and SQS from the standard AWS environment (AWS_ENDPOINT_URL_*, credentials).
    Aws,
}

pub struct System {
    pub app: App,
    pub receiver: Arc<dyn QueueReceiver>,
    pub router: router::Router,
    /// The agency directory as stored (seeded from the compiled-in one).
    pub agencies: Arc<dyn AgencyStore>,
    /// Humans' routing decisions, for retraining.
    pub examples: Arc<dyn RoutingExampleStore>,
    /// Published routing models.
    pub models: Arc<dyn ModelStore>,
    /// How the router's model was loaded at start.
    pub model_load: ModelLoad,
    pub intake_visibility: Duration,
    /// Largest batch one poll takes (SQS allows 10).
    pub batch_size: usize,
    /// Sent notifications and waiting SMS parts.
    pub channel_state: Arc<dyn ChannelState>,
    /// Where the local notifier records what it would send (the embedded store itself, or an
    /// `outbox.db` beside the AWS backend's data).
    pub outbox: EmbeddedStore,
    pub notification_settings: lapor::adapters::QueueSettings,
    /// Notices per recipient per day (`NOTIFY_DAILY_CAP`, as the deployed notifier reads it).
    pub notice_daily_cap: u32,
}

/// The local runner looks for a newly published model more often than a Lambda does: after
/// `lapor-local retrain`, a running runner routes with the new model within a minute.
const MODEL_RECHECK: Duration = Duration::from_secs(60);

pub async fn build(
    backend: Backend,
    data_dir: &Path,
    provision_prefix: Option<&str>,
) -> anyhow_like::Result<System> {
    create_private_dir(data_dir)?;
    let template = Template::builtin();
    let settings = template.queue_settings();
    let intake_visibility = settings[&QueueName::Intake].visibility_timeout;
    let notification_settings = settings[&QueueName::Notifications];
    let notice_daily_cap = lapor::service::notifier::daily_cap(
        std::env::var(lapor::notify::env::NOTIFY_DAILY_CAP).ok(),
    )?;
    let pii = pii_key(data_dir)?;
    // Time limits and extra days off from the environment, as the functions read them.
    let deadlines = Arc::new(lapor::deadlines::Deadlines::from_env()?);
    let clock = Arc::new(SystemClock);
    type Stores = (
        Arc<dyn AgencyStore>,
        Arc<dyn RoutingExampleStore>,
        Arc<dyn ModelStore>,
    );
    let channel_state: Arc<dyn ChannelState>;
    let outbox: EmbeddedStore;
    let (app, receiver, batch_size, (agencies, examples, models)): (_, _, _, Stores) = match backend
    {
        Backend::Embedded => {
            let store = EmbeddedStore::open(&data_dir.join("lapor.db"), settings)
                .map_err(|e| format!("cannot open the embedded store: {e}"))?;
            let released = store
                .release_in_flight()
                .await
                .map_err(|e| format!("cannot open the embedded queue: {e}"))?;
            if released > 0 {
                tracing::info!(
                    released,
                    "messages in flight when the last run stopped are visible again"
                );
            }
            let store = Arc::new(store);
            channel_state = store.clone();
            outbox = (*store).clone();
            let app = App {
                store: store.clone(),
                queue: store.clone(),
                clock: clock.clone(),
                pii,
                deadlines: deadlines.clone(),
            };
            let stores: Stores = (store.clone(), store.clone(), store.clone());
            (app, store as Arc<dyn QueueReceiver>, 100, stores)
        }
        Backend::Aws => {
            let aws = load_config().await;
            let (dynamodb, sqs) = (dynamodb_client(&aws), sqs_client(&aws));
            outbox = EmbeddedStore::open(&data_dir.join("outbox.db"), settings.clone())
                .map_err(|e| format!("cannot open the local outbox: {e}"))?;
            let (store, queues, stores) = match provision_prefix {
                Some(prefix) => {
                    let made = provision(&template, &dynamodb, &sqs, prefix)
                        .await
                        .map_err(|e| e.to_string())?;
                    let store = DynamoStore::new(
                        dynamodb.clone(),
                        made.table("ReportsTable").to_string(),
                        made.table("IdempotencyTable").to_string(),
                    );
                    channel_state = Arc::new(DynamoChannelState::new(
                        dynamodb.clone(),
                        made.table("ChannelStateTable").to_string(),
                    ));
                    let stores: Stores = (
                        Arc::new(DynamoAgencies::new(
                            dynamodb.clone(),
                            made.table("AgenciesTable").to_string(),
                        )),
                        Arc::new(DynamoExamples::new(
                            dynamodb.clone(),
                            made.table("RoutingExamplesTable").to_string(),
                        )),
                        Arc::new(DynamoModels::new(
                            dynamodb,
                            made.table("RoutingModelsTable").to_string(),
                        )),
                    );
                    let urls = QueueName::ALL
                        .into_iter()
                        .map(|q| (q, made.queue(&template, q)))
                        .collect();
                    (store, SqsQueues::new(sqs, urls), stores)
                }
                None => {
                    let store =
                        DynamoStore::from_env(dynamodb.clone()).map_err(|e| e.to_string())?;
                    channel_state = Arc::new(
                        DynamoChannelState::from_env(dynamodb.clone())
                            .map_err(|e| e.to_string())?,
                    );
                    let stores: Stores = (
                        Arc::new(
                            DynamoAgencies::from_env(dynamodb.clone())
                                .map_err(|e| e.to_string())?,
                        ),
                        Arc::new(
                            DynamoExamples::from_env(dynamodb.clone())
                                .map_err(|e| e.to_string())?,
                        ),
                        Arc::new(DynamoModels::from_env(dynamodb).map_err(|e| e.to_string())?),
                    );
                    let urls = HashMap::from([
                        (
                            QueueName::Intake,
                            QueueUrls {
                                url: config::required(config::env::INTAKE_QUEUE_URL)
                                    .map_err(|e| e.to_string())?,
                                dead_letter_url: std::env::var("INTAKE_DLQ_URL").ok(),
                            },
                        ),
                        (
                            QueueName::Notifications,
                            QueueUrls {
                                url: config::required(config::env::NOTIFICATION_QUEUE_URL)
                                    .map_err(|e| e.to_string())?,
                                dead_letter_url: config::required(
                                    config::env::NOTIFICATION_DEAD_LETTER_QUEUE_URL,
                                )
                                .ok(),
                            },
                        ),
                    ]);
                    (store, SqsQueues::new(sqs, urls), stores)
                }
            };
            let queues = Arc::new(queues);
            let app = App {
                store: Arc::new(store),
                queue: queues.clone(),
                clock: clock.clone(),
                pii,
                deadlines: deadlines.clone(),
            };
            (app, queues as Arc<dyn QueueReceiver>, 10, stores)
        }
    };
    let (engine, model_load) =
        LiveEngine::start(Directory::builtin(), models.clone(), MODEL_RECHECK).await;
    let router = router::Router {
        store: app.store.clone(),
        queue: app.queue.clone(),
        deadlines: app.deadlines.clone(),
        clock,
        engine: Arc::new(engine),
    };
    Ok(System {
        app,
        receiver,
        router,
        agencies,
        examples,
        models,
        model_load,
        intake_visibility,
        batch_size,
        channel_state,
        outbox,
        notification_settings,
        notice_daily_cap,
    })
}

/// `LAPOR_PII_KEY` when set, else a key kept in the data dir (created on first start, owner-only).
fn pii_key(data_dir: &Path) -> anyhow_like::Result<Sealer> {
    if std::env::var(config::env::PII_KEY).is_ok() {
        return config::pii_sealer().map_err(|e| e.to_string().into());
    }
    let path = data_dir.join("pii.key");
    if !path.exists() {
        write_private(&path, &Sealer::generate_key_base64())?;
    }
    let key = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Sealer::from_base64_key(&key).map_err(|e| format!("{}: {e}", path.display()).into())
}

pub fn write_private(path: &Path, contents: &str) -> anyhow_like::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// The data dir, created owner-only (0700): it holds the reporters' data, the PII key and the
/// signing keys. A data dir made before this rule (0755) is narrowed to 0700.
pub fn create_private_dir(dir: &Path) -> anyhow_like::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir)
            .map_err(|e| format!("cannot read data dir {}: {e}", dir.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("cannot make {} owner-only: {e}", dir.display()))?;
        }
    }
    Ok(())
}

/// A boxed error with a message is all the runner needs; no extra crate for it.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}
