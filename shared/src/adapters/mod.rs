//! Adapters: the ports implemented on AWS (DynamoDB, SQS) and on an embedded SQLite file.

#[cfg(feature = "aws")]
pub mod aws;
pub mod doc;
#[cfg(feature = "embedded")]
pub mod embedded;

/// How a queue behaves; read from `template.yaml` so the embedded queue matches the deployed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSettings {
    pub visibility_timeout: std::time::Duration,
    /// Receives after which a message moves to the dead-letter queue.
    pub max_receive_count: u32,
}
