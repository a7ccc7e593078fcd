use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::{dynamodb_client, load_config, DynamoStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lapor::lambda::init_tracing("status");
    lapor::config::check(lapor::config::needs::STATUS)?;
    let aws = load_config().await;
    let store = DynamoStore::from_env(dynamodb_client(&aws))?;
    let pii = lapor::adapters::aws::secrets::pii_sealer(&aws).await?;
    let (store, pii) = (&store, &pii);
    run(service_fn(move |req: Request| {
        status::handle(store, pii, req)
    }))
    .await
}
