use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lapor::adapters::aws::wiring::wire;
use lapor::config::needs;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let checker = &attachments::from_wired(wire("attachments", &needs::ATTACHMENTS).await?)?;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        attachments::handle(checker, event.payload)
    }))
    .await
}
