use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::{dynamodb_client, load_config, DynamoAgencies, DynamoModels};
use lapor::service::agencies::{load_directory, DirectoryApi};
use lapor::service::models::{LiveEngine, RECHECK_EVERY};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("directory");
    lapor::config::check(lapor::config::needs::DIRECTORY)?;
    let aws = load_config().await;
    let dynamodb = dynamodb_client(&aws);
    // The directory is read once per cold start and cached for the life of the process.
    let directory = load_directory(&DynamoAgencies::from_env(dynamodb.clone())?).await?;
    let models = Arc::new(DynamoModels::from_env(dynamodb)?);
    let (engine, _) = LiveEngine::start(directory, models, RECHECK_EVERY).await;
    let api = DirectoryApi {
        directory,
        engine: Arc::new(engine),
    };
    let api = &api;
    run(service_fn(move |req: Request| directory::handle(api, req))).await
}
