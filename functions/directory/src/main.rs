use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;
use lapor::service::agencies::DirectoryApi;
use lapor::service::models::{LiveEngine, RECHECK_EVERY};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let wired = wire("directory", &needs::DIRECTORY).await?;
    let models = wired
        .models
        .clone()
        .expect("the directory needs the models");
    let (engine, _) = LiveEngine::start(models, RECHECK_EVERY).await;
    let api = &DirectoryApi {
        directory: wired.directory,
        engine: Arc::new(engine),
        reports: wired
            .store
            .clone()
            .map(|s| s as Arc<dyn lapor::ports::ReportStore>),
    };
    run(service_fn(move |req: Request| directory::handle(api, req))).await
}
