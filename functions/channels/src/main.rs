use channels::ChannelsApi;
use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::{
    dynamodb_client, load_config, sqs_client, DynamoChannelState, DynamoStore, SqsQueues,
};
use lapor::directory::Directory;
use lapor::ports::{QueueName, SystemClock};
use lapor::service::channels::ChannelDeps;
use lapor::service::webhooks::WebhookSettings;
use lapor::service::App;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("channels");
    lapor::config::check(lapor::config::needs::CHANNELS)?;
    let aws = load_config().await;
    let dynamodb = dynamodb_client(&aws);
    let settings = WebhookSettings::new(
        &lapor::adapters::aws::secrets::channel_secrets(&aws).await?,
        std::env::var(lapor::config::env::X_ACCOUNT_ID).ok(),
    )?;
    tracing::info!(
        sms = settings.sms.is_some(),
        x = settings.x_consumer.is_some(),
        meta = settings.meta_app.is_some(),
        meta_handshake = settings.meta_verify_token.is_some(),
        "channels enabled"
    );
    let api = ChannelsApi {
        app: App {
            store: Arc::new(DynamoStore::from_env(dynamodb.clone())?),
            // New reports go to the router; answers to the senders to the notifier.
            queue: Arc::new(SqsQueues::from_env(
                sqs_client(&aws),
                &[QueueName::Intake, QueueName::Notifications],
            )?),
            clock: Arc::new(SystemClock),
            pii: lapor::adapters::aws::secrets::pii_sealer(&aws).await?,
            deadlines: Arc::new(lapor::deadlines::Deadlines::from_env()?),
        },
        deps: ChannelDeps {
            state: Arc::new(DynamoChannelState::from_env(dynamodb)?),
            // A sender's replies name no institution (like the reporter function's actions):
            // the compiled-in directory is enough for their notices.
            directory: Directory::builtin(),
        },
        settings,
    };
    let api = &api;
    run(service_fn(move |req: Request| channels::handle(api, req))).await
}
