use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let notifier = &notifier::from_wired(wire("notifier", &needs::NOTIFIER).await?)?;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        notifier::handle(notifier, event.payload)
    }))
    .await
}
