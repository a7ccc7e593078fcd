//! `ReportStore` on DynamoDB: one item per report (native attributes), conditional writes on the
//! version, a transaction for report + idempotency record, and a sparse GSI for due reports.

use super::attributes::{from_item, to_item};
use crate::config::attributes::{
    DUE_MS, DUE_SHARD as DUE_SHARD_ATTRIBUTE, IDEMPOTENCY_KEY, REPORTS_KEY,
};
use crate::config::{self, indexes};
use crate::domain::{Report, TrackingId};
use crate::ports::{DuePage, IdempotencyRecord, InsertError, ReportStore, StoreError, UpdateError};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Every due report shares one partition of the due index. At LAPOR's load (a few thousand
/// reports a day) one partition is far from its limits; shard by suffix if that ever changes.
const DUE_SHARD: &str = "due";

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    reports_table: String,
    idempotency_table: String,
}

impl DynamoStore {
    pub fn new(client: Client, reports_table: String, idempotency_table: String) -> DynamoStore {
        DynamoStore {
            client,
            reports_table,
            idempotency_table,
        }
    }

    /// Table names from the environment the SAM template sets.
    pub fn from_env(client: Client) -> Result<DynamoStore, config::ConfigError> {
        Ok(DynamoStore::new(
            client,
            config::required(config::env::REPORTS_TABLE)?,
            config::required(config::env::IDEMPOTENCY_TABLE)?,
        ))
    }

    fn report_put(&self, report: &Report, condition: &str) -> Put {
        let mut put = Put::builder()
            .table_name(&self.reports_table)
            .set_item(Some(report_item(report)))
            .condition_expression(condition);
        if condition.contains(":expected") {
            put = put.expression_attribute_values(
                ":expected",
                AttributeValue::N((report.version - 1).to_string()),
            );
        }
        put.build().expect("table, item and condition are set")
    }
}

/// The item: the report's document plus the due index keys when something is pending.
pub fn report_item(report: &Report) -> HashMap<String, AttributeValue> {
    let mut item = to_item(&serde_json::to_value(report).expect("a report serialises"));
    if let Some(due) = report.due_at {
        item.insert(
            DUE_SHARD_ATTRIBUTE.into(),
            AttributeValue::S(DUE_SHARD.into()),
        );
        item.insert(
            DUE_MS.into(),
            AttributeValue::N(due.timestamp_millis().to_string()),
        );
    }
    item
}

fn report_from_item(item: &HashMap<String, AttributeValue>) -> Result<Report, StoreError> {
    let value = from_item(item).map_err(StoreError::Corrupt)?;
    serde_json::from_value(value).map_err(|e| StoreError::Corrupt(format!("report: {e}")))
}

/// An SDK failure as a retryable store error (every DynamoDB adapter shares it).
pub(super) fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(&e).to_string())
}

#[async_trait]
impl ReportStore for DynamoStore {
    async fn insert(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<(), InsertError> {
        let Some(record) = idempotency else {
            let result = self
                .client
                .put_item()
                .table_name(&self.reports_table)
                .set_item(Some(report_item(report)))
                .condition_expression("attribute_not_exists(tracking_id)")
                .send()
                .await;
            return match result {
                Ok(_) => Ok(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Err(InsertError::TrackingIdTaken)
                }
                Err(e) => Err(unavailable(e).into()),
            };
        };
        let idempotency_put = Put::builder()
            .table_name(&self.idempotency_table)
            .set_item(Some(to_item(
                &serde_json::to_value(record).expect("record serialises"),
            )))
            // An expired record (TTL deletion lags) no longer holds its key.
            .condition_expression("attribute_not_exists(key_hash) OR expires_at < :now")
            .expression_attribute_values(
                ":now",
                AttributeValue::N(record.created_at.timestamp().to_string()),
            )
            .build()
            .expect("table, item and condition are set");
        let result = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(self.report_put(report, "attribute_not_exists(tracking_id)"))
                    .build(),
            )
            .transact_items(TransactWriteItem::builder().put(idempotency_put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let reasons = e
                    .as_service_error()
                    .and_then(|s| match s {
                        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => {
                            Some(c.cancellation_reasons().to_vec())
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                let failed = |i: usize| {
                    reasons
                        .get(i)
                        .and_then(|r| r.code())
                        .is_some_and(|c| c == "ConditionalCheckFailed")
                };
                if failed(1) {
                    Err(InsertError::IdempotencyKeyTaken)
                } else if failed(0) {
                    Err(InsertError::TrackingIdTaken)
                } else {
                    Err(unavailable(e).into())
                }
            }
        }
    }

    async fn get(&self, id: &TrackingId) -> Result<Option<Report>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.reports_table)
            .key(REPORTS_KEY, AttributeValue::S(id.to_string()))
            // The router reads right after intake wrote.
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item().map(report_from_item).transpose()
    }

    async fn get_idempotency(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.idempotency_table)
            .key(IDEMPOTENCY_KEY, AttributeValue::S(key_hash.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let record: IdempotencyRecord =
            serde_json::from_value(from_item(item).map_err(StoreError::Corrupt)?)
                .map_err(|e| StoreError::Corrupt(format!("idempotency: {e}")))?;
        Ok((record.expires_at >= now.timestamp()).then_some(record))
    }

    async fn update(&self, report: &Report) -> Result<(), UpdateError> {
        let put = self.report_put(report, "version = :expected");
        let result = self
            .client
            .put_item()
            .table_name(put.table_name())
            .set_item(Some(put.item().clone()))
            .condition_expression("version = :expected")
            .set_expression_attribute_values(put.expression_attribute_values().cloned())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(UpdateError::Conflict)
            }
            Err(e) => Err(unavailable(e).into()),
        }
    }

    async fn list(
        &self,
        query: &crate::ports::ListQuery,
    ) -> Result<crate::ports::ListPage, StoreError> {
        let _ = query;
        unimplemented!("HELPER-A: list through the indexes")
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<DuePage, StoreError> {
        let mut page = DuePage::default();
        let mut start_key = None;
        // The index holds only reports with something pending, oldest due first; each query
        // page reads only due items, so the cost follows the number due, not the table size.
        while page.reports.len() < limit {
            let out = self
                .client
                .query()
                .table_name(&self.reports_table)
                .index_name(indexes::REPORTS_BY_DUE)
                .key_condition_expression("due_shard = :shard AND due_ms <= :now")
                .expression_attribute_values(":shard", AttributeValue::S(DUE_SHARD.into()))
                .expression_attribute_values(
                    ":now",
                    AttributeValue::N(now.timestamp_millis().to_string()),
                )
                .limit((limit - page.reports.len()) as i32)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            page.items_read += out.items().len() as u64;
            for item in out.items() {
                page.reports.push(report_from_item(item)?);
            }
            start_key = out.last_evaluated_key().cloned();
            if start_key.is_none() {
                break;
            }
        }
        Ok(page)
    }
}
