//! `ChannelState` on DynamoDB (ChannelStateTable): one small item per sent notification, per
//! waiting SMS part and per recipient and day, keyed `delivery#<notification id>`,
//! `fragment#<group>#<part>` and `recipient#<recipient>#<day>`, each with a TTL (`expires_at`)
//! so the table never grows beyond a few weeks of traffic.

use super::dynamodb::unavailable;
use crate::config::attributes::{CHANNEL_STATE_KEY, CHANNEL_STATE_TTL};
use crate::config::{self, env};
use crate::ports::{
    ChannelState, DeliveryClaim, StoreError, StoredFragment, DELIVERY_MEMORY, FRAGMENT_MEMORY,
    NOTICE_COUNT_MEMORY,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

const CLAIMED: &str = "claimed";
const SENT: &str = "sent";

#[derive(Clone)]
pub struct DynamoChannelState {
    client: Client,
    table: String,
}

impl DynamoChannelState {
    pub fn new(client: Client, table: String) -> DynamoChannelState {
        DynamoChannelState { client, table }
    }

    pub fn from_env(client: Client) -> Result<DynamoChannelState, config::ConfigError> {
        Ok(DynamoChannelState::new(
            client,
            config::required(env::CHANNEL_STATE_TABLE)?,
        ))
    }

    fn key(value: String) -> (String, AttributeValue) {
        (CHANNEL_STATE_KEY.to_string(), AttributeValue::S(value))
    }
}

fn delivery_key(notification_id: &str) -> String {
    format!("delivery#{notification_id}")
}

fn fragment_key(group: &str, part: u8) -> String {
    format!("fragment#{group}#{part}")
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

#[async_trait]
impl ChannelState for DynamoChannelState {
    async fn claim_delivery(
        &self,
        notification_id: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<DeliveryClaim, StoreError> {
        let key = delivery_key(notification_id);
        let lease_until = now.timestamp_millis() + lease.as_millis() as i64;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(CHANNEL_STATE_KEY, AttributeValue::S(key.clone()))
            .item("state", AttributeValue::S(CLAIMED.into()))
            .item("lease_until", n(lease_until))
            .item(CHANNEL_STATE_TTL, n((now + DELIVERY_MEMORY).timestamp()))
            // Free, a claim whose holder died (lease over), or a record TTL has not yet removed.
            .condition_expression(
                "attribute_not_exists(#key) OR (#state = :claimed AND lease_until < :now) \
                 OR #ttl < :now_s",
            )
            .expression_attribute_names("#key", CHANNEL_STATE_KEY)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#ttl", CHANNEL_STATE_TTL)
            .expression_attribute_values(":claimed", AttributeValue::S(CLAIMED.into()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":now_s", n(now.timestamp()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(DeliveryClaim::Acquired),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                let out = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key(CHANNEL_STATE_KEY, AttributeValue::S(key))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(unavailable)?;
                let sent = out
                    .item()
                    .and_then(|item| item.get("state"))
                    .and_then(|s| s.as_s().ok())
                    .is_some_and(|s| s == SENT);
                Ok(if sent {
                    DeliveryClaim::AlreadySent
                } else {
                    DeliveryClaim::InFlight
                })
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn mark_delivered(
        &self,
        notification_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(
                CHANNEL_STATE_KEY,
                AttributeValue::S(delivery_key(notification_id)),
            )
            .item("state", AttributeValue::S(SENT.into()))
            .item("sent_ms", n(now.timestamp_millis()))
            .item(CHANNEL_STATE_TTL, n((now + DELIVERY_MEMORY).timestamp()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn release_delivery(&self, notification_id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(
                CHANNEL_STATE_KEY,
                AttributeValue::S(delivery_key(notification_id)),
            )
            // Never forget a notification that was sent.
            .condition_expression("#state = :claimed")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claimed", AttributeValue::S(CLAIMED.into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn put_fragment(
        &self,
        group: &str,
        total: u8,
        fragment: &StoredFragment,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<StoredFragment>>, StoreError> {
        // A put replaces the whole item: a part stored again gets its new text, id and expiry.
        self.client
            .put_item()
            .table_name(&self.table)
            .item(
                CHANNEL_STATE_KEY,
                AttributeValue::S(fragment_key(group, fragment.part)),
            )
            .item("text", AttributeValue::S(fragment.sealed_text.clone()))
            .item(
                "message_id",
                AttributeValue::S(fragment.provider_message_id.clone()),
            )
            .item(CHANNEL_STATE_TTL, n((now + FRAGMENT_MEMORY).timestamp()))
            .send()
            .await
            .map_err(unavailable)?;
        // At most 16 parts: one BatchGetItem (up to 100 keys), read consistently so the last
        // part to arrive sees every earlier one.
        let keys: Vec<HashMap<String, AttributeValue>> = (1..=total)
            .map(|p| HashMap::from([Self::key(fragment_key(group, p))]))
            .collect();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?,
        );
        let mut stored: HashMap<String, (String, String)> = HashMap::new();
        while let Some(request) = pending.take() {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out
                .responses()
                .and_then(|r| r.get(&self.table))
                .into_iter()
                .flatten()
            {
                let string = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                let expired = item
                    .get(CHANNEL_STATE_TTL)
                    .and_then(|t| t.as_n().ok())
                    .and_then(|t| t.parse::<i64>().ok())
                    .is_some_and(|t| t < now.timestamp());
                if let (Some(key), Some(text), Some(id), false) = (
                    string(CHANNEL_STATE_KEY),
                    string("text"),
                    string("message_id"),
                    expired,
                ) {
                    stored.insert(key, (id, text));
                }
            }
            pending = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .filter(|k| !k.keys().is_empty())
                .cloned();
        }
        Ok((1..=total)
            .map(|part| {
                stored.remove(&fragment_key(group, part)).map(
                    |(provider_message_id, sealed_text)| StoredFragment {
                        part,
                        provider_message_id,
                        sealed_text,
                    },
                )
            })
            .collect::<Option<Vec<StoredFragment>>>())
    }

    async fn clear_fragments(
        &self,
        group: &str,
        parts: &[StoredFragment],
    ) -> Result<(), StoreError> {
        for part in parts {
            let result = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key(
                    CHANNEL_STATE_KEY,
                    AttributeValue::S(fragment_key(group, part.part)),
                )
                // A part of the next message that reused the reference stays.
                .condition_expression("message_id = :id")
                .expression_attribute_values(
                    ":id",
                    AttributeValue::S(part.provider_message_id.clone()),
                )
                .send()
                .await;
            match result {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(())
    }

    async fn count_notice(
        &self,
        recipient_day: &str,
        notification_id: &str,
        cap: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // One item per recipient and day holding the set of notification ids counted: adding an
        // id already there changes nothing (a retry), and the set never grows past `cap`.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(
                CHANNEL_STATE_KEY,
                AttributeValue::S(format!("recipient#{recipient_day}")),
            )
            .update_expression("ADD ids :ids SET #ttl = :ttl")
            .condition_expression(
                "attribute_not_exists(ids) OR size(ids) < :cap OR contains(ids, :id)",
            )
            .expression_attribute_names("#ttl", CHANNEL_STATE_TTL)
            .expression_attribute_values(
                ":ids",
                AttributeValue::Ss(vec![notification_id.to_string()]),
            )
            .expression_attribute_values(":id", AttributeValue::S(notification_id.to_string()))
            .expression_attribute_values(":cap", n(i64::from(cap)))
            .expression_attribute_values(":ttl", n((now + NOTICE_COUNT_MEMORY).timestamp()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}
