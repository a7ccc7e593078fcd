//! Open311 API keys on DynamoDB: items of the idempotency table under their own prefix
//! (`open311::keys`), without `expires_at`, so the table's TTL never removes them. A child of
//! `dynamodb` (declared there), as it reads the store's client and table.

use super::{unavailable, DynamoStore};
use crate::adapters::aws::attributes::{from_item, to_item};
use crate::config::attributes::IDEMPOTENCY_KEY;
use crate::open311::keys::{ApiKeyStore, StoredApiKey};
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl ApiKeyStore for DynamoStore {
    async fn put_api_key(&self, key: &StoredApiKey) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.idempotency_table)
            .set_item(Some(to_item(key)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn api_key(&self, key_hash: &str) -> Result<Option<StoredApiKey>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.idempotency_table)
            .key(IDEMPOTENCY_KEY, AttributeValue::S(key_hash.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item()
            .map(|item| from_item("api key", item))
            .transpose()
    }
}
