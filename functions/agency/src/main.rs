use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let wired = wire("agency", &needs::AGENCY).await?;
    let (app, rest) = (&wired.app()?, &wired.rest_authorizer());
    run(service_fn(move |req: Request| {
        agency::handle(app, rest.admit(req, app.clock.now()))
    }))
    .await
}
