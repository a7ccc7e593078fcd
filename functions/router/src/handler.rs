//! The router: SQS batches from the intake queue, each message a report to assign.
//! Returns the ids of failed messages only; malformed and failing messages come back until the
//! queue's redrive policy moves them to the dead-letter queue.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lapor::lambda::sqs::{process_batch, WholeBatchFailed};
use lapor::service::routing_step::route_message;
pub use lapor::service::routing_step::Router;

pub async fn handle(
    router: &Router,
    event: SqsEvent,
) -> Result<SqsBatchResponse, WholeBatchFailed> {
    // One engine for the whole batch: a model or directory swapped in meanwhile applies from
    // the next batch.
    let directory = router.directory.current().await;
    let engine = router.engine.engine(directory).await;
    let engine = &engine;
    process_batch(event, |message| async move {
        let body = message.body.as_deref().unwrap_or_default();
        route_message(router, engine, body).await.map(|_| ())
    })
    .await
}
