//! The system the local runner serves: the same services on the embedded store (a SQLite file in
//! the data dir) or on DynamoDB + SQS from the standard AWS environment.

use anyhow::{bail, Context, Result};
use lapor::adapters::aws::provision::provision;
use lapor::adapters::aws::{
    dynamodb_client, load_config, sqs_client, DynamoAgencies, DynamoChannelState, DynamoExamples,
    DynamoModels, DynamoStore, QueueUrls, SqsQueues,
};
use lapor::adapters::embedded::blobs::FileBlobs;
use lapor::adapters::embedded::EmbeddedStore;
use lapor::config;
use lapor::crypto::Sealer;
use lapor::directory::LiveDirectory;
use lapor::open311::keys::ApiKeyStore;
use lapor::ports::{
    AgencyStore, ChannelState, ModelStore, QueueName, QueueReceiver, RoutingExampleStore,
    SystemClock,
};
use lapor::service::agencies::publish_directory;
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
    /// How long a batch of uploads is hidden while it is checked (the template's `UploadQueue`).
    pub upload_visibility: Duration,
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
    /// The attachments' files in the data dir (`blobs/`), served under `/_blobs/`.
    pub files: Arc<FileBlobs>,
    /// Checks uploaded attachments, fed from the uploads queue as the attachments function is.
    pub checker: lapor::service::attachments::Checker,
    /// Open311 API keys (hashed, in the idempotency table).
    pub api_keys: Arc<dyn ApiKeyStore>,
}

/// The local runner looks for a newly published model (and directory) more often than a Lambda
/// does: after `lapor-local retrain` or `seed --extra`, a running runner uses it within a minute.
const RECHECK: Duration = Duration::from_secs(60);

/// The stores of one family, before the services are built on them.
struct Stores {
    store: Arc<dyn lapor::ports::ReportStore>,
    queue: Arc<dyn lapor::ports::MessageQueue>,
    receiver: Arc<dyn QueueReceiver>,
    /// Largest batch one poll takes (SQS allows 10).
    batch_size: usize,
    agencies: Arc<dyn AgencyStore>,
    examples: Arc<dyn RoutingExampleStore>,
    models: Arc<dyn ModelStore>,
    channel_state: Arc<dyn ChannelState>,
    outbox: EmbeddedStore,
    api_keys: Arc<dyn ApiKeyStore>,
}

pub async fn build(
    backend: Backend,
    data_dir: &Path,
    provision_prefix: Option<&str>,
) -> Result<System> {
    create_private_dir(data_dir)?;
    let template = Template::builtin();
    let settings = template.queue_settings();
    let intake_visibility = settings[&QueueName::Intake].visibility_timeout;
    let upload_visibility = settings[&QueueName::Uploads].visibility_timeout;
    let notification_settings = settings[&QueueName::Notifications];
    let notice_daily_cap = lapor::service::notifier::daily_cap(
        std::env::var(lapor::outbound::env::NOTIFY_DAILY_CAP).ok(),
    )?;
    let pii = pii_key(data_dir)?;
    // Time limits and extra days off from the environment, as the functions read them.
    let deadlines = Arc::new(lapor::deadlines::Deadlines::from_env()?);
    let clock: Arc<dyn lapor::ports::Clock> = Arc::new(SystemClock);
    let stores = match backend {
        Backend::Embedded => embedded_stores(data_dir, settings).await?,
        Backend::Aws => aws_stores(data_dir, settings, &template, provision_prefix).await?,
    };
    // A fresh system gets the compiled-in directory published; then the directory is read the
    // way every function reads it.
    if stores.agencies.directory_version().await?.is_none() {
        let published = publish_directory(&*stores.agencies, &[], |_| {}).await?;
        tracing::info!(agencies = published.agencies, version = %published.version,
            "directory published");
    }
    let directory = Arc::new(LiveDirectory::start(stores.agencies.clone(), RECHECK).await?);
    // The attachments' files beside the data, announced on the uploads queue as S3 announces
    // them; URLs on the address `serve` listens on (`FileBlobs::set_base_url`).
    let files = Arc::new(FileBlobs::new(
        &data_dir.join("blobs"),
        "http://127.0.0.1:3000",
        Some(stores.queue.clone()),
    ));
    let attachments = lapor::service::attachments::Attachments {
        blobs: files.clone(),
        max_bytes: match std::env::var(config::env::ATTACHMENT_MAX_BYTES) {
            Ok(_) => lapor::service::attachments::Attachments::max_bytes_from_env()?,
            Err(_) => lapor::attachments::DEFAULT_MAX_BYTES,
        },
    };
    let checker = lapor::service::attachments::Checker {
        store: stores.store.clone(),
        clock: clock.clone(),
        attachments: attachments.clone(),
    };
    let app = App {
        store: stores.store,
        queue: stores.queue,
        clock: clock.clone(),
        pii,
        deadlines: deadlines.clone(),
        directory: directory.clone(),
        examples: Some(stores.examples.clone()),
        attachments: Some(attachments),
    };
    let (engine, model_load) = LiveEngine::start(stores.models.clone(), RECHECK).await;
    let router = router::Router {
        store: app.store.clone(),
        queue: app.queue.clone(),
        deadlines,
        clock,
        directory,
        engine: Arc::new(engine),
    };
    Ok(System {
        app,
        receiver: stores.receiver,
        router,
        agencies: stores.agencies,
        examples: stores.examples,
        models: stores.models,
        model_load,
        intake_visibility,
        upload_visibility,
        batch_size: stores.batch_size,
        channel_state: stores.channel_state,
        outbox: stores.outbox,
        notification_settings,
        notice_daily_cap,
        api_keys: stores.api_keys,
        files,
        checker,
    })
}

/// One SQLite file in the data dir holds everything.
async fn embedded_stores(
    data_dir: &Path,
    settings: HashMap<QueueName, lapor::adapters::QueueSettings>,
) -> Result<Stores> {
    let store = EmbeddedStore::open(&data_dir.join("lapor.db"), settings)
        .context("cannot open the embedded store")?;
    let released = store
        .release_in_flight()
        .await
        .context("cannot open the embedded queue")?;
    if released > 0 {
        tracing::info!(
            released,
            "messages in flight when the last run stopped are visible again"
        );
    }
    let store = Arc::new(store);
    Ok(Stores {
        store: store.clone(),
        queue: store.clone(),
        receiver: store.clone(),
        batch_size: 100,
        agencies: store.clone(),
        examples: store.clone(),
        models: store.clone(),
        channel_state: store.clone(),
        outbox: (*store).clone(),
        api_keys: store.clone(),
    })
}

/// DynamoDB and SQS: the template's tables and queues made with `prefix`, or named by the
/// environment as the SAM stack sets them.
async fn aws_stores(
    data_dir: &Path,
    settings: HashMap<QueueName, lapor::adapters::QueueSettings>,
    template: &Template,
    provision_prefix: Option<&str>,
) -> Result<Stores> {
    let aws = load_config().await;
    let (dynamodb, sqs) = (dynamodb_client(&aws), sqs_client(&aws));
    let outbox = EmbeddedStore::open(&data_dir.join("outbox.db"), settings)
        .context("cannot open the local outbox")?;
    // Table and queue names: provisioned here, or from the stack's environment.
    let made = match provision_prefix {
        Some(prefix) => Some(provision(template, &dynamodb, &sqs, prefix).await?),
        None => None,
    };
    let table = |logical: &str| match &made {
        Some(made) => Ok(made.table(logical).to_string()),
        None => table_from_env(logical),
    };
    let urls: HashMap<QueueName, QueueUrls> = match &made {
        Some(made) => QueueName::ALL
            .into_iter()
            .map(|q| (q, made.queue(template, q)))
            .collect(),
        None => queue_urls_from_env()?,
    };
    let queues = Arc::new(SqsQueues::new(sqs, urls));
    // Its writes publish their messages to the queues (persist and publish).
    let store: Arc<DynamoStore> = Arc::new(
        DynamoStore::new(
            dynamodb.clone(),
            table("ReportsTable")?,
            table("IdempotencyTable")?,
            table("StatsTable")?,
        )
        .publishing_to(queues.clone()),
    );
    Ok(Stores {
        store: store.clone(),
        api_keys: store,
        queue: queues.clone(),
        receiver: queues,
        batch_size: 10,
        agencies: Arc::new(DynamoAgencies::new(
            dynamodb.clone(),
            table("AgenciesTable")?,
        )),
        examples: Arc::new(DynamoExamples::new(
            dynamodb.clone(),
            table("RoutingExamplesTable")?,
        )),
        models: Arc::new(DynamoModels::new(
            dynamodb.clone(),
            table("RoutingModelsTable")?,
        )),
        channel_state: Arc::new(DynamoChannelState::new(
            dynamodb,
            table("ChannelStateTable")?,
        )),
        outbox,
    })
}

/// A table's name from the variable the template sets for it.
fn table_from_env(logical: &str) -> Result<String> {
    use config::env::*;
    let variable = match logical {
        "ReportsTable" => REPORTS_TABLE,
        "IdempotencyTable" => IDEMPOTENCY_TABLE,
        "StatsTable" => STATS_TABLE,
        "AgenciesTable" => AGENCIES_TABLE,
        "RoutingExamplesTable" => ROUTING_EXAMPLES_TABLE,
        "RoutingModelsTable" => ROUTING_MODELS_TABLE,
        "ChannelStateTable" => CHANNEL_STATE_TABLE,
        other => bail!("no variable names the table {other}"),
    };
    Ok(config::required(variable)?)
}

fn queue_urls_from_env() -> Result<HashMap<QueueName, QueueUrls>> {
    use config::env::*;
    let url = config::required;
    Ok(HashMap::from([
        (
            QueueName::Intake,
            QueueUrls {
                url: url(INTAKE_QUEUE_URL)?,
                dead_letter_url: config::optional(INTAKE_DEAD_LETTER_QUEUE_URL),
            },
        ),
        (
            QueueName::Notifications,
            QueueUrls {
                url: url(NOTIFICATION_QUEUE_URL)?,
                dead_letter_url: config::optional(NOTIFICATION_DEAD_LETTER_QUEUE_URL),
            },
        ),
        (
            QueueName::Uploads,
            QueueUrls {
                url: url(UPLOAD_QUEUE_URL)?,
                dead_letter_url: config::optional(UPLOAD_DEAD_LETTER_QUEUE_URL),
            },
        ),
    ]))
}

/// `LAPOR_PII_KEY` when set, else a key kept in the data dir (created on first start, owner-only).
fn pii_key(data_dir: &Path) -> Result<Sealer> {
    if std::env::var(config::env::PII_KEY).is_ok() {
        return Ok(config::pii_sealer()?);
    }
    let path = data_dir.join("pii.key");
    if !path.exists() {
        write_private(&path, &Sealer::generate_key_base64())?;
    }
    let key = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Sealer::from_base64_key(&key).with_context(|| path.display().to_string())
}

pub fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|_| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The data dir, created owner-only (0700): it holds the reporters' data, the PII key and the
/// signing keys. A data dir made before this rule (0755) is narrowed to 0700.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create data dir {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir)
            .with_context(|| format!("cannot read data dir {}", dir.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make {} owner-only", dir.display()))?;
        }
    }
    Ok(())
}
