use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lapor::adapters::aws::{dynamodb_client, load_config, DynamoStore};
use lapor::directory::Directory;
use lapor::ports::SystemClock;
use lapor::routing::RoutingEngine;
use router::Router;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("router");
    lapor::config::check(lapor::config::needs::ROUTER)?;
    let aws = load_config().await;
    let router = Router {
        store: Arc::new(DynamoStore::from_env(dynamodb_client(&aws))?),
        clock: Arc::new(SystemClock),
        engine: Arc::new(RoutingEngine::new(Directory::builtin())),
    };
    let router = &router;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        router::handle(router, event.payload).await
    }))
    .await
}
