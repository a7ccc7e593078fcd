//! The local runner's outbox: the messages its notifier records instead of calling a provider.

use super::writer::{unrejected, WriteFail};
use super::{now_millis, EmbeddedStore};
use crate::ports::StoreError;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::params;

/// A message the local runner's notifier recorded instead of calling a provider.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxEntry {
    pub seq: i64,
    pub notification_id: String,
    /// `sms`, `whatsapp`, `x`, `messenger` or `email`.
    pub provider: String,
    /// The phone number, user id or e-mail address. Kept in the clear: the outbox lives in the
    /// local data directory, beside the key that would open a sealed copy.
    pub address: String,
    pub text: String,
    pub recorded_at: DateTime<Utc>,
}

impl EmbeddedStore {
    /// Records an outbound message (the local runner's stand-in for the providers).
    pub async fn record_outbound(
        &self,
        notification_id: &str,
        provider: &str,
        address: &str,
        text: &str,
    ) -> Result<i64, StoreError> {
        let row = (
            notification_id.to_string(),
            provider.to_string(),
            address.to_string(),
            text.to_string(),
        );
        unrejected(
            self.write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO outbox (notification_id, provider, address, text, recorded_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![row.0, row.1, row.2, row.3, now_millis()])?;
                Ok::<i64, WriteFail<()>>(conn.last_insert_rowid())
            })
            .await,
        )
    }

    /// The recorded outbound messages after `after_seq`, oldest first.
    pub async fn outbox(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, notification_id, provider, address, text, recorded_ms FROM outbox
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after_seq, limit as i64], |r| {
                Ok(OutboxEntry {
                    seq: r.get(0)?,
                    notification_id: r.get(1)?,
                    provider: r.get(2)?,
                    address: r.get(3)?,
                    text: r.get(4)?,
                    recorded_at: Utc
                        .timestamp_millis_opt(r.get(5)?)
                        .single()
                        .unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
        .await
    }
}
