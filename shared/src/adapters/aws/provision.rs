//! Creates the template's tables and queues on a DynamoDB/SQS endpoint (DynamoDB Local, an SQS
//! server, LocalStack), for tests and local tools. Only what `template.yaml` defines is created,
//! so the code cannot come to rely on a key, index or queue the deployed stack lacks.

use super::sqs::QueueUrls;
use crate::ports::QueueName;
use crate::template::{KeySpec, Template};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::HashMap;

/// Physical names of what was created, by template logical id.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    pub tables: HashMap<String, String>,
    pub queue_urls: HashMap<String, String>,
}

impl Provisioned {
    pub fn table(&self, logical_id: &str) -> &str {
        &self.tables[logical_id]
    }

    /// The URLs of one of our queues and of its dead-letter queue.
    pub fn queue(&self, template: &Template, name: QueueName) -> QueueUrls {
        let spec = template
            .queue(name.template_resource())
            .expect("queue in template");
        QueueUrls {
            url: self.queue_urls[&spec.logical_id].clone(),
            dead_letter_url: spec
                .dead_letter
                .as_ref()
                .map(|(dlq, _)| self.queue_urls[dlq].clone()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("provisioning {what}: {detail}")]
pub struct ProvisionError {
    what: String,
    detail: String,
}

fn attribute_type(spec: &KeySpec) -> ScalarAttributeType {
    ScalarAttributeType::from(spec.attribute_type.as_str())
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("name and type set")
}

fn keys(hash: &KeySpec, range: &Option<KeySpec>) -> Vec<KeySchemaElement> {
    let mut k = vec![key(&hash.name, KeyType::Hash)];
    if let Some(r) = range {
        k.push(key(&r.name, KeyType::Range));
    }
    k
}

/// Whether the server deletes items whose TTL attribute has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// As deployed: the table's TTL is enabled and the server deletes by the wall clock.
    ServerDeletes,
    /// TTL stays off. For tests on a manual clock: their records are dated in the past of the
    /// wall clock, and DynamoDB Local would delete them mid-test. The code checks expiry itself,
    /// so behaviour under the manual clock is unchanged.
    CodeOnly,
}

/// Creates every table and queue of `template`, each named `<prefix><LogicalId>`. Existing ones
/// are kept, so this is safe to re-run.
pub async fn provision(
    template: &Template,
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
) -> Result<Provisioned, ProvisionError> {
    provision_with(template, dynamodb, sqs, prefix, Expiry::ServerDeletes).await
}

/// [`provision`], choosing whether the server expires items.
pub async fn provision_with(
    template: &Template,
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    expiry: Expiry,
) -> Result<Provisioned, ProvisionError> {
    let mut out = Provisioned::default();
    for table in &template.tables {
        let name = format!("{prefix}{}", table.logical_id);
        let mut definitions: HashMap<String, ScalarAttributeType> = HashMap::new();
        let mut all_keys = vec![(&table.hash, &table.range)];
        all_keys.extend(table.global_indexes.iter().map(|i| (&i.hash, &i.range)));
        for (hash, range) in all_keys {
            definitions.insert(hash.name.clone(), attribute_type(hash));
            if let Some(r) = range {
                definitions.insert(r.name.clone(), attribute_type(r));
            }
        }
        let mut request = dynamodb
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(keys(&table.hash, &table.range)));
        for (attr, kind) in definitions {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attr)
                    .attribute_type(kind)
                    .build()
                    .expect("name and type set"),
            );
        }
        for index in &table.global_indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(&index.name)
                    .set_key_schema(Some(keys(&index.hash, &index.range)))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .expect("index fields set"),
            );
        }
        match request.send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => {
                return Err(ProvisionError {
                    what: name,
                    detail: DisplayErrorContext(&e).to_string(),
                })
            }
        }
        let ttl_attribute = table
            .ttl_attribute
            .as_ref()
            .filter(|_| expiry == Expiry::ServerDeletes);
        if let Some(ttl) = ttl_attribute {
            // DynamoDB Local deletes expired items too, in the background; the code checks expiry
            // itself because deletion lags.
            let _ = dynamodb
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(ttl)
                        .enabled(true)
                        .build()
                        .expect("ttl fields set"),
                )
                .send()
                .await;
        }
        out.tables.insert(table.logical_id.clone(), name);
    }

    // Dead-letter queues first: the others point at their ARNs.
    let mut queues = template.queues.clone();
    queues.sort_by_key(|q| q.dead_letter.is_some());
    let mut arns: HashMap<String, String> = HashMap::new();
    for queue in &queues {
        let mut name = format!("{prefix}{}", queue.logical_id);
        if queue.fifo {
            name.push_str(".fifo");
        }
        let mut request = sqs.create_queue().queue_name(&name).attributes(
            QueueAttributeName::VisibilityTimeout,
            queue.visibility_timeout_seconds.to_string(),
        );
        if queue.fifo {
            request = request.attributes(QueueAttributeName::FifoQueue, "true");
        }
        if let Some((dlq, max)) = &queue.dead_letter {
            let policy = serde_json::json!({
                "deadLetterTargetArn": arns[dlq],
                "maxReceiveCount": max,
            });
            request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        let created = request.send().await.map_err(|e| ProvisionError {
            what: name.clone(),
            detail: DisplayErrorContext(&e).to_string(),
        })?;
        let url = created.queue_url().unwrap_or_default().to_string();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| ProvisionError {
                what: name.clone(),
                detail: DisplayErrorContext(&e).to_string(),
            })?;
        let arn = attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default();
        arns.insert(queue.logical_id.clone(), arn);
        out.queue_urls.insert(queue.logical_id.clone(), url);
    }
    Ok(out)
}
