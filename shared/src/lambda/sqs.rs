//! SQS batches with partial failures: every message is handled concurrently in its own span;
//! failed ones are reported by id so only they come back; a batch where all failed is an error.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use std::future::Future;
use tracing::Instrument;

#[derive(Debug, thiserror::Error)]
#[error("all {0} messages of the batch failed")]
pub struct WholeBatchFailed(pub usize);

pub async fn process_batch<F, Fut, E>(
    event: SqsEvent,
    handle: F,
) -> Result<SqsBatchResponse, WholeBatchFailed>
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let total = event.records.len();
    let results = futures::future::join_all(event.records.into_iter().map(|message| {
        let message_id = message.message_id.clone().unwrap_or_default();
        let receive_count = message
            .attributes
            .get("ApproximateReceiveCount")
            .cloned()
            .unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %message_id, receive_count = %receive_count);
        let fut = handle(message);
        async move {
            let result = fut.await;
            if let Err(e) = &result {
                tracing::warn!(error = %e, "message failed; it will be retried or dead-lettered");
            }
            (message_id, result.is_ok())
        }
        .instrument(span)
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (message_id, ok) in results {
        // An empty id would fail the whole batch: such a message cannot be retried by id anyway.
        if !ok && !message_id.is_empty() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message_id;
            response.batch_item_failures.push(failure);
        }
    }
    if total > 0 && response.batch_item_failures.len() == total {
        return Err(WholeBatchFailed(total));
    }
    Ok(response)
}

/// Lambda reports this error type when a whole batch failed (every message returns to the queue).
impl From<WholeBatchFailed> for lambda_http::lambda_runtime::Diagnostic {
    fn from(e: WholeBatchFailed) -> Self {
        lambda_http::lambda_runtime::Diagnostic {
            error_type: "WholeBatchFailed".into(),
            error_message: e.to_string(),
        }
    }
}

/// What one poll of a queue did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PumpStats {
    pub received: usize,
    pub deleted: usize,
}

/// Does what the Lambda SQS event source does, once: receive a batch, hand it to the handler as
/// an `SqsEvent`, and delete only the messages that did not fail. A failed message becomes
/// visible again after the visibility timeout; past maxReceiveCount it moves to the DLQ.
pub async fn pump_once<F, Fut, E>(
    receiver: &dyn crate::ports::QueueReceiver,
    queue: crate::ports::QueueName,
    max: usize,
    visibility: std::time::Duration,
    handler: F,
) -> Result<PumpStats, crate::ports::QueueError>
where
    F: FnOnce(SqsEvent) -> Fut,
    Fut: Future<Output = Result<SqsBatchResponse, E>>,
{
    let messages = receiver.receive(queue, max, visibility).await?;
    if messages.is_empty() {
        return Ok(PumpStats::default());
    }
    let mut event = SqsEvent::default();
    let mut receipts = Vec::with_capacity(messages.len());
    for m in messages {
        let mut record = SqsMessage::default();
        record.message_id = Some(m.message_id.clone());
        record.receipt_handle = Some(m.receipt_handle.clone());
        record.body = Some(m.body);
        record.event_source = Some("aws:sqs".into());
        record.attributes.insert(
            "ApproximateReceiveCount".into(),
            m.receive_count.to_string(),
        );
        record.attributes.insert(
            "SentTimestamp".into(),
            m.sent_at.timestamp_millis().to_string(),
        );
        event.records.push(record);
        receipts.push((m.message_id, m.receipt_handle));
    }
    let received = receipts.len();
    let failed: std::collections::HashSet<String> = match handler(event).await {
        Ok(response) => response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect(),
        // The whole batch failed: every message goes back.
        Err(_) => receipts.iter().map(|(id, _)| id.clone()).collect(),
    };
    let done: Vec<String> = receipts
        .into_iter()
        .filter(|(id, _)| !failed.contains(id))
        .map(|(_, receipt)| receipt)
        .collect();
    receiver.delete_batch(queue, &done).await?;
    Ok(PumpStats {
        received,
        deleted: done.len(),
    })
}
