use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::{
    dynamodb_client, load_config, sqs_client, DynamoAgencies, DynamoExamples, DynamoStore,
    SqsQueues,
};
use lapor::ports::{QueueName, SystemClock};
use lapor::service::agencies::load_directory;
use lapor::service::App;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("agency");
    lapor::config::check(lapor::config::needs::AGENCY)?;
    let aws = load_config().await;
    let dynamodb = dynamodb_client(&aws);
    let api = agency::AgencyApi {
        app: App {
            store: Arc::new(DynamoStore::from_env(dynamodb.clone())?),
            queue: Arc::new(SqsQueues::from_env(
                sqs_client(&aws),
                &[QueueName::Notifications],
            )?),
            clock: Arc::new(SystemClock),
            pii: lapor::adapters::aws::secrets::pii_sealer(&aws).await?,
            deadlines: Arc::new(lapor::deadlines::Deadlines::from_env()?),
        },
        // Read once per cold start: forwards and assignments are checked against it.
        directory: load_directory(&DynamoAgencies::from_env(dynamodb.clone())?).await?,
        examples: Arc::new(DynamoExamples::from_env(dynamodb)?),
    };
    let api = &api;
    run(service_fn(move |req: Request| agency::handle(api, req))).await
}
