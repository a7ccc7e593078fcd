//! The attachments bucket's upload events (S3 notifications on the uploads queue): each upload
//! is checked, cleaned and recorded on its report (`service::attachments::Checker`). Partial
//! batch failures: only an upload whose check hit an outage comes back.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lapor::adapters::aws::wiring::{Error, Wired};
use lapor::lambda::sqs::{process_batch, WholeBatchFailed};
use lapor::service::attachments::Checker;

/// The checker from what the cold start built: the reports and the bucket, no PII key.
pub fn from_wired(wired: Wired) -> Result<Checker, Error> {
    Ok(Checker {
        store: wired
            .store
            .ok_or("the attachments function needs the reports")?,
        clock: wired.clock,
        attachments: wired
            .attachments
            .ok_or("the attachments function needs the bucket")?,
    })
}

pub async fn handle(
    checker: &Checker,
    event: SqsEvent,
) -> Result<SqsBatchResponse, WholeBatchFailed> {
    process_batch(event, |message| async move {
        checker
            .handle_message(message.body.as_deref().unwrap_or_default())
            .await
    })
    .await
}
