//! The queues on SQS. Sending is what functions do; receiving and deleting is what the Lambda
//! event source does in AWS, and what the local runner and the tests do with `--backend aws`.

use crate::config;
use crate::ports::{MessageQueue, QueueError, QueueName, QueueReceiver, ReceivedMessage};
use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use aws_sdk_sqs::Client;
use chrono::{TimeZone, Utc};
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct QueueUrls {
    pub url: String,
    /// Needed only to inspect dead letters (operators, tests).
    pub dead_letter_url: Option<String>,
}

#[derive(Clone)]
pub struct SqsQueues {
    client: Client,
    urls: HashMap<QueueName, QueueUrls>,
}

impl SqsQueues {
    pub fn new(client: Client, urls: HashMap<QueueName, QueueUrls>) -> SqsQueues {
        SqsQueues { client, urls }
    }

    /// The queues a sending function sends to, from the environment the SAM template sets.
    pub fn from_env(
        client: Client,
        queues: &[QueueName],
    ) -> Result<SqsQueues, config::ConfigError> {
        let mut urls = HashMap::new();
        for &queue in queues {
            let (variable, dead_letter_variable) = match queue {
                QueueName::Intake => (
                    config::env::INTAKE_QUEUE_URL,
                    config::env::INTAKE_DEAD_LETTER_QUEUE_URL,
                ),
                QueueName::Notifications => (
                    config::env::NOTIFICATION_QUEUE_URL,
                    config::env::NOTIFICATION_DEAD_LETTER_QUEUE_URL,
                ),
                QueueName::Uploads => (
                    config::env::UPLOAD_QUEUE_URL,
                    config::env::UPLOAD_DEAD_LETTER_QUEUE_URL,
                ),
            };
            urls.insert(
                queue,
                QueueUrls {
                    url: config::required(variable)?,
                    // Only a consumer that dead-letters itself (the notifier) is given it.
                    dead_letter_url: config::required(dead_letter_variable).ok(),
                },
            );
        }
        Ok(SqsQueues::new(client, urls))
    }

    fn urls(&self, queue: QueueName) -> Result<&QueueUrls, QueueError> {
        self.urls
            .get(&queue)
            .ok_or_else(|| QueueError::Unavailable(format!("no URL configured for {queue:?}")))
    }

    async fn receive_from(
        &self,
        url: &str,
        max: usize,
        visibility: Duration,
        wait_seconds: i32,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            // SQS counts whole seconds: round up, so a short visibility never becomes none.
            .visibility_timeout(visibility.as_secs_f64().ceil() as i32)
            .wait_time_seconds(wait_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(DisplayErrorContext(&e).to_string()))?;
        Ok(out
            .messages()
            .iter()
            .map(|m| {
                let attribute = |name: MessageSystemAttributeName| {
                    m.attributes()
                        .and_then(|a| a.get(&name))
                        .and_then(|v| v.parse::<i64>().ok())
                };
                ReceivedMessage {
                    message_id: m.message_id().unwrap_or_default().to_string(),
                    receipt_handle: m.receipt_handle().unwrap_or_default().to_string(),
                    body: m.body().unwrap_or_default().to_string(),
                    receive_count: attribute(MessageSystemAttributeName::ApproximateReceiveCount)
                        .unwrap_or(1) as u32,
                    sent_at: attribute(MessageSystemAttributeName::SentTimestamp)
                        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }
}

#[async_trait]
impl MessageQueue for SqsQueues {
    async fn send(&self, queue: QueueName, body: &str) -> Result<(), QueueError> {
        let url = &self.urls(queue)?.url;
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(DisplayErrorContext(&e).to_string()))?;
        Ok(())
    }

    async fn dead_letter(&self, queue: QueueName, body: &str) -> Result<(), QueueError> {
        let url = self
            .urls(queue)?
            .dead_letter_url
            .as_deref()
            .ok_or_else(|| {
                QueueError::Unavailable(format!(
                    "no dead-letter queue URL configured for {queue:?}"
                ))
            })?;
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(DisplayErrorContext(&e).to_string()))?;
        Ok(())
    }
}

#[async_trait]
impl QueueReceiver for SqsQueues {
    async fn receive(
        &self,
        queue: QueueName,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let url = self.urls(queue)?.url.clone();
        self.receive_from(&url, max, visibility, 1).await
    }

    async fn delete(&self, queue: QueueName, receipt_handle: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.urls(queue)?.url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(DisplayErrorContext(&e).to_string()))?;
        Ok(())
    }

    async fn delete_batch(
        &self,
        queue: QueueName,
        receipt_handles: &[String],
    ) -> Result<(), QueueError> {
        let url = &self.urls(queue)?.url;
        for chunk in receipt_handles.chunks(10) {
            let mut request = self.client.delete_message_batch().queue_url(url);
            for (i, receipt) in chunk.iter().enumerate() {
                request = request.entries(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(receipt)
                        .build()
                        .map_err(|e| QueueError::Unavailable(e.to_string()))?,
                );
            }
            let out = request
                .send()
                .await
                .map_err(|e| QueueError::Unavailable(DisplayErrorContext(&e).to_string()))?;
            if let Some(failed) = out.failed().first() {
                return Err(QueueError::Unavailable(format!(
                    "delete failed: {}",
                    failed.message().unwrap_or(failed.code())
                )));
            }
        }
        Ok(())
    }

    /// Peeks: received with a zero visibility timeout, so they stay in the dead-letter queue.
    async fn dead_letters(&self, queue: QueueName) -> Result<Vec<ReceivedMessage>, QueueError> {
        let Some(url) = self.urls(queue)?.dead_letter_url.clone() else {
            return Err(QueueError::Unavailable(format!(
                "no dead-letter URL configured for {queue:?}"
            )));
        };
        let mut seen: HashMap<String, ReceivedMessage> = HashMap::new();
        for _ in 0..3 {
            for m in self.receive_from(&url, 10, Duration::ZERO, 0).await? {
                seen.entry(m.message_id.clone()).or_insert(m);
            }
        }
        Ok(seen.into_values().collect())
    }
}
