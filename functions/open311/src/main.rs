use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let wired = wire("open311", &needs::OPEN311).await?;
    let keys = wired.store.clone().ok_or("open311 needs the reports")?;
    let api = &open311::Open311Api::new(wired.app()?, keys);
    run(service_fn(move |req: Request| open311::handle(api, req))).await
}
