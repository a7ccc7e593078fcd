use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lapor::adapters::aws::{
    dynamodb_client, load_config, sqs_client, DynamoAgencies, DynamoStore, SqsQueues,
};
use lapor::ports::{QueueName, SystemClock};
use lapor::service::agencies::load_directory;
use lapor::service::escalation::PassLimits;
use lapor::service::App;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("escalation");
    lapor::config::check(lapor::config::needs::ESCALATION)?;
    let aws = load_config().await;
    let dynamodb = dynamodb_client(&aws);
    let escalation = escalation::Escalation {
        app: App {
            store: Arc::new(DynamoStore::from_env(dynamodb.clone())?),
            queue: Arc::new(SqsQueues::from_env(
                sqs_client(&aws),
                &[QueueName::Intake, QueueName::Notifications],
            )?),
            clock: Arc::new(SystemClock),
            pii: lapor::adapters::aws::secrets::pii_sealer(&aws).await?,
            deadlines: Arc::new(lapor::deadlines::Deadlines::from_env()?),
        },
        // Escalation follows the directory's hierarchy as loaded at cold start.
        directory: load_directory(&DynamoAgencies::from_env(dynamodb)?).await?,
        limits: PassLimits::default(),
    };
    let escalation = &escalation;
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            escalation::handle(escalation, event.payload).await
        },
    ))
    .await
}
