use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lapor::adapters::aws::{
    dynamodb_client, load_config, sqs_client, DynamoModels, DynamoStore, SqsQueues,
};
use lapor::directory::Directory;
use lapor::ports::{QueueName, SystemClock};
use lapor::service::models::{LiveEngine, RECHECK_EVERY};
use router::Router;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("router");
    lapor::config::check(lapor::config::needs::ROUTER)?;
    let aws = load_config().await;
    let dynamodb = dynamodb_client(&aws);
    // The published model if there is one, else the compiled-in one; re-checked every 5 min.
    let models = Arc::new(DynamoModels::from_env(dynamodb.clone())?);
    let (engine, _) = LiveEngine::start(Directory::builtin(), models, RECHECK_EVERY).await;
    let router = Router {
        store: Arc::new(DynamoStore::from_env(dynamodb)?),
        queue: Arc::new(SqsQueues::from_env(
            sqs_client(&aws),
            &[QueueName::Notifications],
        )?),
        clock: Arc::new(SystemClock),
        deadlines: Arc::new(lapor::deadlines::Deadlines::from_env()?),
        engine: Arc::new(engine),
    };
    let router = &router;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        router::handle(router, event.payload).await
    }))
    .await
}
