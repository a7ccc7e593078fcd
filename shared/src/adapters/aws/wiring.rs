//! A function's cold start, once for all: its environment read once as its [`Needs`] say, the
//! AWS clients built once, its secrets read from Secrets Manager, its directory loaded. A
//! function's `main` is then a few lines: `wire`, take the parts, `run`.

use super::{DynamoAgencies, DynamoChannelState, DynamoExamples, DynamoModels, DynamoStore};
use super::{QueueUrls, SqsQueues};
use crate::config::{self, env, ChannelSecrets, ConfigError, Needs};
use crate::crypto::Sealer;
use crate::deadlines::Deadlines;
use crate::directory::{live, LiveDirectory};
use crate::ports::{Clock, QueueName, SystemClock};
use crate::service::App;
use std::collections::HashMap;
use std::sync::Arc;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What a function's needs built. A part it does not need is `None`.
pub struct Wired {
    pub aws: aws_config::SdkConfig,
    pub clock: Arc<dyn Clock>,
    pub deadlines: Arc<Deadlines>,
    /// The published directory (re-checked lazily), or the compiled-in one for a function that
    /// does not read the agencies table.
    pub directory: Arc<LiveDirectory>,
    pub pii: Option<Sealer>,
    pub store: Option<Arc<DynamoStore>>,
    pub queues: Option<Arc<SqsQueues>>,
    pub agencies: Option<Arc<DynamoAgencies>>,
    pub examples: Option<Arc<DynamoExamples>>,
    pub models: Option<Arc<DynamoModels>>,
    pub channel_state: Option<Arc<DynamoChannelState>>,
    pub channel_secrets: Option<ChannelSecrets>,
    pub attachments: Option<crate::service::attachments::Attachments>,
    /// The shared key of staff tokens, where no JWT authorizer checks them (the REST API).
    #[cfg(feature = "lambda")]
    pub staff_tokens: Option<crate::staff_tokens::SharedKeyTokens>,
}

/// Starts the function `service` with what `needs` names: logging, the configuration check
/// (every missing variable named at once), the clients, the secrets, the directory.
pub async fn wire(service: &'static str, needs: &Needs) -> Result<Wired, Error> {
    crate::lambda::init_tracing(service);
    config::check(&needs.variables())?;
    let aws = super::load_config().await;
    let dynamodb = super::dynamodb_client(&aws);
    let table = |variable: &'static str| config::required(variable);
    let queues = (!needs.queues.is_empty() || !needs.dead_letters.is_empty())
        .then(|| {
            queue_urls(needs).map(|urls| Arc::new(SqsQueues::new(super::sqs_client(&aws), urls)))
        })
        .transpose()?;
    // The store persists and publishes: the messages of its writes go to the queues.
    let store = needs
        .reports
        .then(|| {
            let store = DynamoStore::new(
                dynamodb.clone(),
                table(env::REPORTS_TABLE)?,
                table(env::IDEMPOTENCY_TABLE)?,
                table(env::STATS_TABLE)?,
            );
            Ok::<_, ConfigError>(Arc::new(match &queues {
                Some(queues) => store.publishing_to(queues.clone()),
                None => store,
            }))
        })
        .transpose()?;
    let agencies = needs
        .agencies
        .then(|| {
            table(env::AGENCIES_TABLE).map(|t| Arc::new(DynamoAgencies::new(dynamodb.clone(), t)))
        })
        .transpose()?;
    let examples = needs
        .examples
        .then(|| {
            table(env::ROUTING_EXAMPLES_TABLE)
                .map(|t| Arc::new(DynamoExamples::new(dynamodb.clone(), t)))
        })
        .transpose()?;
    let models = needs
        .models
        .then(|| {
            table(env::ROUTING_MODELS_TABLE)
                .map(|t| Arc::new(DynamoModels::new(dynamodb.clone(), t)))
        })
        .transpose()?;
    let channel_state = needs
        .channel_state
        .then(|| {
            table(env::CHANNEL_STATE_TABLE)
                .map(|t| Arc::new(DynamoChannelState::new(dynamodb.clone(), t)))
        })
        .transpose()?;
    let pii = match needs.pii {
        true => Some(super::secrets::pii_sealer(&aws).await?),
        false => None,
    };
    let channel_secrets = match needs.channel_secrets {
        true => Some(super::secrets::channel_secrets(&aws).await?),
        false => None,
    };
    #[cfg(feature = "lambda")]
    let staff_tokens = match needs.staff_token_key {
        true => super::secrets::staff_tokens(&aws).await?,
        false => None,
    };
    let attachments = needs
        .attachments
        .then(|| {
            Ok::<_, ConfigError>(crate::service::attachments::Attachments {
                blobs: Arc::new(super::S3Blobs::new(
                    super::s3_client(&aws),
                    config::required(env::ATTACHMENTS_BUCKET)?,
                )),
                max_bytes: crate::service::attachments::Attachments::max_bytes_from_env()?,
            })
        })
        .transpose()?;
    let directory = match &agencies {
        Some(agencies) => LiveDirectory::start(agencies.clone(), live::RECHECK_EVERY).await?,
        None => LiveDirectory::builtin(),
    };
    Ok(Wired {
        aws,
        clock: Arc::new(SystemClock),
        deadlines: Arc::new(Deadlines::from_env()?),
        directory: Arc::new(directory),
        pii,
        store,
        queues,
        agencies,
        examples,
        models,
        channel_state,
        channel_secrets,
        attachments,
        #[cfg(feature = "lambda")]
        staff_tokens,
    })
}

/// The URLs of the queues `needs` sends to (each with its dead-letter queue's, when set).
fn queue_urls(needs: &Needs) -> Result<HashMap<QueueName, QueueUrls>, ConfigError> {
    let mut urls = HashMap::new();
    for &queue in needs.queues.iter().chain(needs.dead_letters) {
        let (variable, dead_letter_variable) = match queue {
            QueueName::Intake => (env::INTAKE_QUEUE_URL, env::INTAKE_DEAD_LETTER_QUEUE_URL),
            QueueName::Notifications => (
                env::NOTIFICATION_QUEUE_URL,
                env::NOTIFICATION_DEAD_LETTER_QUEUE_URL,
            ),
            QueueName::Uploads => (env::UPLOAD_QUEUE_URL, env::UPLOAD_DEAD_LETTER_QUEUE_URL),
        };
        urls.insert(
            queue,
            QueueUrls {
                url: config::required(variable)?,
                dead_letter_url: config::optional(dead_letter_variable),
            },
        );
    }
    Ok(urls)
}

impl Wired {
    /// What stands in for the JWT authorizer on a REST API's requests (HTTP API requests pass
    /// through it unchanged).
    #[cfg(feature = "lambda")]
    pub fn rest_authorizer(&self) -> crate::lambda::rest::RestAuthorizer {
        crate::lambda::rest::RestAuthorizer::new(self.staff_tokens.clone())
    }

    /// The services' shared parts. The function's needs must include the reports and the PII
    /// key (and the queues it sends to); a function built otherwise stops at its cold start
    /// saying so.
    pub fn app(&self) -> Result<App, ConfigError> {
        let missing = |what: &str| ConfigError {
            name: "needs",
            problem: format!("this function's needs do not include {what}"),
        };
        Ok(App {
            store: self.store.clone().ok_or_else(|| missing("the reports"))?,
            // A function that sends nothing (status) gets queues without a URL: a send would
            // be refused, naming the queue, instead of the function refusing to start.
            queue: match &self.queues {
                Some(queues) => queues.clone(),
                None => Arc::new(SqsQueues::new(super::sqs_client(&self.aws), HashMap::new())),
            },
            clock: self.clock.clone(),
            pii: self.pii.clone().ok_or_else(|| missing("the PII key"))?,
            deadlines: self.deadlines.clone(),
            directory: self.directory.clone(),
            examples: self
                .examples
                .clone()
                .map(|e| e as Arc<dyn crate::ports::RoutingExampleStore>),
            attachments: self.attachments.clone(),
        })
    }
}
