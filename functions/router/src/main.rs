use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;
use lapor::service::models::{LiveEngine, RECHECK_EVERY};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let wired = wire("router", &needs::ROUTER).await?;
    // The published model if there is one, else the compiled-in one; re-checked every 5 min.
    let models = wired.models.clone().expect("the router needs the models");
    let (engine, _) = LiveEngine::start(models, RECHECK_EVERY).await;
    let router = &router::Router {
        store: wired.store.expect("the router needs the reports"),
        queue: wired
            .queues
            .expect("the router needs the notification queue"),
        clock: wired.clock,
        deadlines: wired.deadlines,
        directory: wired.directory,
        engine: Arc::new(engine),
    };
    run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        router::handle(router, event.payload)
    }))
    .await
}
