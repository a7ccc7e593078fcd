use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;
use lapor::web::Web;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let web = &Web::from_wired(&wire("web", &needs::WEB).await?).await?;
    run(service_fn(move |req: Request| web::handle(web, req))).await
}
