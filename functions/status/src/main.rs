use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = &wire("status", &needs::STATUS).await?.app()?;
    run(service_fn(move |req: Request| status::handle(app, req))).await
}
