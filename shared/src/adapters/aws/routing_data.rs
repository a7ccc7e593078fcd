//! The directory and the learning loop on DynamoDB: `AgencyStore` (AgenciesTable),
//! `RoutingExampleStore` (RoutingExamplesTable) and `ModelStore` (RoutingModelsTable).
//!
//! A model artifact (~730 KB) is larger than a DynamoDB item may be (400 KB), so it is stored in
//! chunks `(model_version, chunk 1..=n)` and published by writing the `current` pointer item
//! `(model_version = "current", chunk = 0)` last.

use super::attributes::{from_item, to_item};
use super::dynamodb::unavailable;
use crate::config::attributes::{AGENCIES_KEY, MODELS_KEY, MODELS_SORT};
use crate::config::{self, env};
use crate::directory::Agency;
use crate::ports::{AgencyStore, ModelStore, RoutingExample, RoutingExampleStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::time::Duration;

/// BatchWriteItem takes at most 25 items per call.
const BATCH_WRITE_MAX: usize = 25;
/// Chunk size of a stored model artifact: well under the 400 KB item limit.
const MODEL_CHUNK_BYTES: usize = 256 * 1024;
/// The pointer item's key.
const CURRENT: &str = "current";

fn document<T: serde::de::DeserializeOwned>(
    what: &str,
    item: &HashMap<String, AttributeValue>,
) -> Result<T, StoreError> {
    from_item(what, item)
}

/// Every item of a table, page by page.
async fn scan_all(
    client: &Client,
    table: &str,
) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        items.extend(out.items().iter().cloned());
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(items);
        }
    }
}

#[derive(Clone)]
pub struct DynamoAgencies {
    client: Client,
    table: String,
}

impl DynamoAgencies {
    pub fn new(client: Client, table: String) -> DynamoAgencies {
        DynamoAgencies { client, table }
    }

    pub fn from_env(client: Client) -> Result<DynamoAgencies, config::ConfigError> {
        Ok(DynamoAgencies::new(
            client,
            config::required(env::AGENCIES_TABLE)?,
        ))
    }
}

fn agency_item(agency: &Agency) -> HashMap<String, AttributeValue> {
    let mut item = to_item(agency);
    item.insert(AGENCIES_KEY.into(), AttributeValue::S(agency.id.clone()));
    item
}

#[async_trait]
impl AgencyStore for DynamoAgencies {
    async fn put_agencies(&self, batch: &[Agency]) -> Result<(), StoreError> {
        for chunk in batch.chunks(BATCH_WRITE_MAX) {
            let requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|a| {
                    WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(agency_item(a)))
                                .build()
                                .expect("item set"),
                        )
                        .build()
                })
                .collect();
            let mut pending = HashMap::from([(self.table.clone(), requests)]);
            // Unprocessed items (throttling) are written again with a growing pause.
            for attempt in 0u32.. {
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(unavailable)?;
                pending = out
                    .unprocessed_items()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(_, r)| !r.is_empty())
                    .collect();
                if pending.is_empty() {
                    break;
                }
                if attempt >= 8 {
                    return Err(StoreError::Unavailable(
                        "agencies table keeps throttling the batch writes".into(),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }

    async fn agency(&self, id: &str) -> Result<Option<Agency>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(AGENCIES_KEY, AttributeValue::S(id.to_string()))
            .send()
            .await
            .map_err(unavailable)?;
        out.item().map(|i| document("agency", i)).transpose()
    }

    async fn agencies(&self) -> Result<Vec<Agency>, StoreError> {
        scan_all(&self.client, &self.table)
            .await?
            .iter()
            .filter(|item| !is_version_item(item))
            .map(|i| document("agency", i))
            .collect()
    }

    async fn directory_version(&self) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(
                AGENCIES_KEY,
                AttributeValue::S(DIRECTORY_VERSION_ID.to_string()),
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out
            .item()
            .and_then(|item| item.get("version"))
            .and_then(|v| v.as_s().ok())
            .cloned())
    }

    async fn set_directory_version(&self, version: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(
                AGENCIES_KEY,
                AttributeValue::S(DIRECTORY_VERSION_ID.to_string()),
            )
            .item("version", AttributeValue::S(version.to_string()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// The item holding the published directory's version, beside the agencies (an id no agency
/// can have: ids are lowercase words and dashes).
const DIRECTORY_VERSION_ID: &str = "#directory-version";

fn is_version_item(item: &HashMap<String, AttributeValue>) -> bool {
    item.get(AGENCIES_KEY)
        .and_then(|k| k.as_s().ok())
        .is_some_and(|k| k == DIRECTORY_VERSION_ID)
}

#[derive(Clone)]
pub struct DynamoExamples {
    client: Client,
    table: String,
}

impl DynamoExamples {
    pub fn new(client: Client, table: String) -> DynamoExamples {
        DynamoExamples { client, table }
    }

    pub fn from_env(client: Client) -> Result<DynamoExamples, config::ConfigError> {
        Ok(DynamoExamples::new(
            client,
            config::required(env::ROUTING_EXAMPLES_TABLE)?,
        ))
    }
}

#[async_trait]
impl RoutingExampleStore for DynamoExamples {
    async fn put_example(&self, example: &RoutingExample) -> Result<(), StoreError> {
        // The document carries `tracking_id` and `decided_version` (EXAMPLES_KEY and
        // EXAMPLES_SORT): the table's keys.
        let item = to_item(example);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn examples(&self) -> Result<Vec<RoutingExample>, StoreError> {
        let mut examples: Vec<RoutingExample> = scan_all(&self.client, &self.table)
            .await?
            .iter()
            .map(|i| document("routing example", i))
            .collect::<Result<_, _>>()?;
        examples.sort_by(|a, b| {
            (a.tracking_id.as_str(), a.decided_version)
                .cmp(&(b.tracking_id.as_str(), b.decided_version))
        });
        Ok(examples)
    }
}

#[derive(Clone)]
pub struct DynamoModels {
    client: Client,
    table: String,
}

impl DynamoModels {
    pub fn new(client: Client, table: String) -> DynamoModels {
        DynamoModels { client, table }
    }

    pub fn from_env(client: Client) -> Result<DynamoModels, config::ConfigError> {
        Ok(DynamoModels::new(
            client,
            config::required(env::ROUTING_MODELS_TABLE)?,
        ))
    }

    fn key(version: &str, chunk: usize) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (
                MODELS_KEY.to_string(),
                AttributeValue::S(version.to_string()),
            ),
            (
                MODELS_SORT.to_string(),
                AttributeValue::N(chunk.to_string()),
            ),
        ])
    }
}

#[async_trait]
impl ModelStore for DynamoModels {
    async fn publish(&self, version: &str, artifact: &[u8]) -> Result<(), StoreError> {
        if version == CURRENT {
            return Err(StoreError::Corrupt(
                "a model cannot be named `current`".into(),
            ));
        }
        let chunks: Vec<&[u8]> = artifact.chunks(MODEL_CHUNK_BYTES).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut item = DynamoModels::key(version, i + 1);
            item.insert("data".into(), AttributeValue::B(Blob::new(chunk.to_vec())));
            item.insert("chunks".into(), AttributeValue::N(chunks.len().to_string()));
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(unavailable)?;
        }
        // Last: the pointer. Readers only ever follow it to a complete artifact.
        let mut pointer = DynamoModels::key(CURRENT, 0);
        pointer.insert("points_to".into(), AttributeValue::S(version.to_string()));
        pointer.insert(
            "bytes".into(),
            AttributeValue::N(artifact.len().to_string()),
        );
        pointer.insert(
            "published_at".into(),
            AttributeValue::S(chrono::Utc::now().to_rfc3339()),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(pointer))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn current_version(&self) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(DynamoModels::key(CURRENT, 0)))
            .projection_expression("points_to")
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        match out.item().and_then(|i| i.get("points_to")) {
            None => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
            Some(_) => Err(StoreError::Corrupt("model pointer is not a string".into())),
        }
    }

    async fn artifact(&self, version: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut bytes = Vec::new();
        let mut expected = None;
        let mut seen = 0usize;
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#v = :v AND #c >= :first")
                .expression_attribute_names("#v", MODELS_KEY)
                .expression_attribute_names("#c", MODELS_SORT)
                .expression_attribute_values(":v", AttributeValue::S(version.to_string()))
                .expression_attribute_values(":first", AttributeValue::N("1".into()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let (Some(AttributeValue::B(data)), Some(AttributeValue::N(n))) =
                    (item.get("data"), item.get("chunks"))
                else {
                    return Err(StoreError::Corrupt("model chunk without data".into()));
                };
                expected = n.parse::<usize>().ok();
                bytes.extend_from_slice(data.as_ref());
                seen += 1;
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        match expected {
            None => Ok(None),
            Some(n) if n == seen => Ok(Some(bytes)),
            Some(n) => Err(StoreError::Corrupt(format!(
                "model {version}: {seen} of {n} chunks stored"
            ))),
        }
    }
}
