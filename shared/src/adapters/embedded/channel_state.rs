//! `ChannelState` on SQLite: the delivery claims (`channel_state`), the waiting SMS parts
//! (`sms_fragments`) and the notices counted per recipient and day (`recipient_notices`), each
//! row with its expiry.

use super::writer::{unrejected, WriteFail};
use super::{millis, EmbeddedStore};
use crate::ports::{
    ChannelState, DeliveryClaim, StoreError, StoredFragment, DELIVERY_MEMORY, FRAGMENT_MEMORY,
    NOTICE_COUNT_MEMORY,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use std::time::Duration;

#[async_trait]
impl ChannelState for EmbeddedStore {
    async fn claim_delivery(
        &self,
        notification_id: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<DeliveryClaim, StoreError> {
        let key = format!("delivery#{notification_id}");
        let now_ms = millis(now);
        let lease_until = now_ms + lease.as_millis() as i64;
        let expires_at = (now + DELIVERY_MEMORY).timestamp();
        unrejected(
            self.write(move |conn| {
                let current: Option<(Option<String>, Option<i64>, i64)> = conn
                    .prepare_cached(
                        "SELECT state, lease_until, expires_at FROM channel_state WHERE state_key = ?1",
                    )?
                    .query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                let claim = match current {
                    Some((_, _, expires)) if expires < now_ms / 1000 => DeliveryClaim::Acquired,
                    Some((Some(state), _, _)) if state == "sent" => DeliveryClaim::AlreadySent,
                    Some((_, Some(until), _)) if until >= now_ms => DeliveryClaim::InFlight,
                    _ => DeliveryClaim::Acquired,
                };
                if claim == DeliveryClaim::Acquired {
                    conn.prepare_cached(
                        "INSERT INTO channel_state (state_key, state, lease_until, expires_at)
                         VALUES (?1, 'claimed', ?2, ?3)
                         ON CONFLICT(state_key) DO UPDATE SET state = 'claimed',
                            lease_until = excluded.lease_until, expires_at = excluded.expires_at",
                    )?
                    .execute(params![key, lease_until, expires_at])?;
                }
                Ok::<DeliveryClaim, WriteFail<()>>(claim)
            })
            .await,
        )
    }

    async fn mark_delivered(
        &self,
        notification_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = format!("delivery#{notification_id}");
        let expires_at = (now + DELIVERY_MEMORY).timestamp();
        unrejected(
            self.write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO channel_state (state_key, state, lease_until, expires_at)
                     VALUES (?1, 'sent', NULL, ?2)
                     ON CONFLICT(state_key) DO UPDATE SET state = 'sent', lease_until = NULL,
                        expires_at = excluded.expires_at",
                )?
                .execute(params![key, expires_at])?;
                Ok::<(), WriteFail<()>>(())
            })
            .await,
        )
    }

    async fn release_delivery(&self, notification_id: &str) -> Result<(), StoreError> {
        let key = format!("delivery#{notification_id}");
        unrejected(
            self.write(move |conn| {
                // Never forget a notification that was sent.
                conn.prepare_cached(
                    "DELETE FROM channel_state WHERE state_key = ?1 AND state = 'claimed'",
                )?
                .execute(params![key])?;
                Ok::<(), WriteFail<()>>(())
            })
            .await,
        )
    }

    async fn put_fragment(
        &self,
        group: &str,
        total: u8,
        fragment: &StoredFragment,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<StoredFragment>>, StoreError> {
        let group = group.to_string();
        let fragment = fragment.clone();
        let now_s = now.timestamp();
        let expires_at = (now + FRAGMENT_MEMORY).timestamp();
        unrejected(
            self.write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO sms_fragments (group_key, part, message_id, text, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(group_key, part) DO UPDATE SET message_id = excluded.message_id,
                        text = excluded.text, expires_at = excluded.expires_at",
                )?
                .execute(params![
                    group,
                    fragment.part,
                    fragment.provider_message_id,
                    fragment.sealed_text,
                    expires_at
                ])?;
                let mut parts = Vec::with_capacity(usize::from(total));
                let mut stmt = conn.prepare_cached(
                    "SELECT message_id, text FROM sms_fragments
                     WHERE group_key = ?1 AND part = ?2 AND expires_at >= ?3",
                )?;
                for part in 1..=total {
                    let stored: Option<(String, String)> = stmt
                        .query_row(params![group, part, now_s], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()?;
                    match stored {
                        Some((provider_message_id, sealed_text)) => parts.push(StoredFragment {
                            part,
                            provider_message_id,
                            sealed_text,
                        }),
                        None => return Ok(None),
                    }
                }
                Ok::<Option<Vec<StoredFragment>>, WriteFail<()>>(Some(parts))
            })
            .await,
        )
    }

    async fn clear_fragments(
        &self,
        group: &str,
        parts: &[StoredFragment],
    ) -> Result<(), StoreError> {
        let group = group.to_string();
        let parts: Vec<(u8, String)> = parts
            .iter()
            .map(|p| (p.part, p.provider_message_id.clone()))
            .collect();
        unrejected(
            self.write(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "DELETE FROM sms_fragments WHERE group_key = ?1 AND part = ?2 AND message_id = ?3",
                )?;
                for (part, message_id) in &parts {
                    stmt.execute(params![group, part, message_id])?;
                }
                Ok::<(), WriteFail<()>>(())
            })
            .await,
        )
    }

    async fn count_notice(
        &self,
        recipient_day: &str,
        notification_id: &str,
        cap: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (key, id) = (recipient_day.to_string(), notification_id.to_string());
        let (now_s, expires_at) = (now.timestamp(), (now + NOTICE_COUNT_MEMORY).timestamp());
        unrejected(
            self.write(move |conn| {
                conn.prepare_cached(
                    "DELETE FROM recipient_notices WHERE recipient_day = ?1 AND expires_at < ?2",
                )?
                .execute(params![key, now_s])?;
                let counted: bool = conn
                    .prepare_cached(
                        "SELECT 1 FROM recipient_notices WHERE recipient_day = ?1 AND notification_id = ?2",
                    )?
                    .query_row(params![key, id], |_| Ok(()))
                    .optional()?
                    .is_some();
                if counted {
                    return Ok(true);
                }
                let count: u32 = conn
                    .prepare_cached("SELECT COUNT(*) FROM recipient_notices WHERE recipient_day = ?1")?
                    .query_row(params![key], |r| r.get(0))?;
                if count >= cap {
                    return Ok(false);
                }
                conn.prepare_cached(
                    "INSERT INTO recipient_notices (recipient_day, notification_id, expires_at)
                     VALUES (?1, ?2, ?3)",
                )?
                .execute(params![key, id, expires_at])?;
                Ok::<bool, WriteFail<()>>(true)
            })
            .await,
        )
    }
}
