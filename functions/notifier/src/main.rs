use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lapor::adapters::aws::{
    dynamodb_client, load_config, sqs_client, DynamoChannelState, SqsQueues,
};
use lapor::notify::ses::SesSender;
use lapor::notify::{env, senders_from_vars, Provider, RetryPolicy};
use lapor::ports::{QueueName, SystemClock};
use lapor::service::notifier::Notifier;
use notifier::{max_attempts, rate_limiter, MAX_ATTEMPTS};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("notifier");
    lapor::config::check(lapor::config::needs::NOTIFIER)?;
    let aws = load_config().await;
    // Credentials from the channels' secret (read once, here), the rest from the environment.
    let secrets = lapor::adapters::aws::secrets::channel_secrets(&aws).await?;
    let setting = |name: &str| secrets.get(name).or_else(|| lapor::config::optional(name));
    // The HTTP channels, plus e-mail through SES when a sender address is set. A channel whose
    // credentials are `-` (the deployment's secret for a channel it does not use) is absent.
    let mut senders = senders_from_vars(setting)?;
    if let Some(from) = setting(env::SES_FROM_ADDRESS) {
        senders = senders.with(Provider::Email, Arc::new(SesSender::new(&aws, from)));
    }
    if senders.is_empty() {
        tracing::warn!(
            "no channel configured: notices with an address go to the dead-letter queue"
        );
    }
    let notifier = Notifier {
        state: Arc::new(DynamoChannelState::from_env(dynamodb_client(&aws))?),
        // Only dead-letters (with the reason) go out: the URL of the queue's dead-letter queue.
        queue: Arc::new(SqsQueues::from_env(
            sqs_client(&aws),
            &[QueueName::Notifications],
        )?),
        limiter: Arc::new(rate_limiter(std::env::var(env::NOTIFY_RATES).ok())?),
        retry: RetryPolicy::default(),
        pii: lapor::adapters::aws::secrets::pii_sealer(&aws).await?,
        clock: Arc::new(SystemClock),
        max_attempts: max_attempts(std::env::var(MAX_ATTEMPTS).ok())?,
        daily_cap: lapor::service::notifier::daily_cap(std::env::var(env::NOTIFY_DAILY_CAP).ok())?,
        senders,
    };
    tracing::info!(providers = ?notifier.senders.providers(), limiter = ?notifier.limiter,
        max_attempts = notifier.max_attempts, "notifier configured");
    let notifier = &notifier;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        notifier::handle(notifier, event.payload).await
    }))
    .await
}
