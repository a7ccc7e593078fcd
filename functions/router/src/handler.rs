//! The router: SQS batches from the intake queue, each message a report to assign.
//! Returns the ids of failed messages only; malformed and failing messages come back until the
//! queue's redrive policy moves them to the dead-letter queue.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lapor::deadlines::Deadlines;
use lapor::lambda::sqs::{process_batch, WholeBatchFailed};
use lapor::ports::{Clock, MessageQueue, ReportStore};
use lapor::service::models::LiveEngine;
use lapor::service::routing_step::{route_message, RouterDeps};

pub struct Router {
    pub store: std::sync::Arc<dyn ReportStore>,
    /// Where the reporter's notices go.
    pub queue: std::sync::Arc<dyn MessageQueue>,
    pub deadlines: std::sync::Arc<Deadlines>,
    pub clock: std::sync::Arc<dyn Clock>,
    /// The published model (re-checked every few minutes), or the compiled-in one.
    pub engine: std::sync::Arc<LiveEngine>,
}

pub async fn handle(
    router: &Router,
    event: SqsEvent,
) -> Result<SqsBatchResponse, WholeBatchFailed> {
    // One engine for the whole batch: a model swapped in meanwhile applies from the next batch.
    let engine = router.engine.engine().await;
    let engine = &engine;
    process_batch(event, |message| async move {
        let body = message.body.as_deref().unwrap_or_default();
        let deps = RouterDeps {
            store: &*router.store,
            queue: &*router.queue,
            clock: &*router.clock,
            deadlines: &router.deadlines,
        };
        route_message(deps, engine, body).await.map(|_| ())
    })
    .await
}
