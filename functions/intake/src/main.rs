use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::{dynamodb_client, load_config, sqs_client, DynamoStore, SqsQueues};
use lapor::ports::{QueueName, SystemClock};
use lapor::service::App;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("intake");
    lapor::config::check(lapor::config::needs::INTAKE)?;
    let aws = load_config().await;
    let app = App {
        store: Arc::new(DynamoStore::from_env(dynamodb_client(&aws))?),
        queue: Arc::new(SqsQueues::from_env(sqs_client(&aws), &[QueueName::Intake])?),
        clock: Arc::new(SystemClock),
        pii: lapor::adapters::aws::secrets::pii_sealer(&aws).await?,
        deadlines: Arc::new(lapor::deadlines::Deadlines::from_env()?),
    };
    let app = &app;
    run(service_fn(move |req: Request| intake::handle(app, req))).await
}
