use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = &wire("reporter", &needs::REPORTER).await?.app()?;
    run(service_fn(move |req: Request| reporter::handle(app, req))).await
}
