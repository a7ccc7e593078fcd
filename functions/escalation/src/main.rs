use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;
use lapor::service::escalation::PassLimits;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = wire("escalation", &needs::ESCALATION).await?.app()?;
    let escalation = &escalation::Escalation {
        app,
        limits: PassLimits::default(),
    };
    run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        escalation::handle(escalation, event.payload)
    }))
    .await
}
