//! The AWS family: DynamoDB tables, SQS queues and the attachments' S3 bucket, named by the environment the SAM template
//! sets, and the secrets read from Secrets Manager at cold start. Endpoints are never in code:
//! the SDK reads `AWS_ENDPOINT_URL[_DYNAMODB|_SQS|_S3|_SECRETS_MANAGER]`.

pub mod attributes;
pub mod channel_state;
pub mod dynamodb;
pub mod provision;
pub mod routing_data;
pub mod s3;
pub mod secrets;
pub mod sqs;
#[cfg(feature = "lambda")]
pub mod wiring;

pub use channel_state::DynamoChannelState;
pub use dynamodb::DynamoStore;
pub use routing_data::{DynamoAgencies, DynamoExamples, DynamoModels};
pub use s3::{s3_client, S3Blobs};
pub use sqs::{QueueUrls, SqsQueues};

/// Loads the standard AWS configuration (region, credentials, endpoints) once per process.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

pub fn dynamodb_client(config: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

pub fn sqs_client(config: &aws_config::SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}
