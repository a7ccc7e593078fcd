//! `MessageQueue` and `QueueReceiver` on SQLite: the `queue_messages` table, with SQS's
//! visibility timeout, receive count and dead-letter redrive, and the append that lets a report
//! write and its message commit together.

use super::writer::WriteFail;
use super::{now_millis, EmbeddedStore};
use crate::adapters::QueueSettings;
use crate::ports::{
    MessageQueue, QueueError, QueueName, QueueReceiver, ReceivedMessage, StoreError,
};
use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use rusqlite::{params, Connection};
use std::time::Duration;

impl EmbeddedStore {
    /// Makes every in-flight message visible again. Only for a runner that owns the file alone
    /// and restarts: the receipts of the process that held them died with it.
    pub async fn release_in_flight(&self) -> Result<u64, StoreError> {
        let now = now_millis();
        self.write(move |conn| {
            let n = conn.prepare_cached(
                "UPDATE queue_messages SET visible_at = ?1, receipt = NULL WHERE dead = 0 AND visible_at > ?1",
            )?
            .execute(params![now])?;
            Ok::<u64, WriteFail<()>>(n as u64)
        })
        .await?
        .map_err(|_| StoreError::Unavailable("release rejected".into()))
    }

    pub(super) fn settings(&self, queue: QueueName) -> QueueSettings {
        self.inner
            .queues
            .get(&queue)
            .copied()
            .unwrap_or(QueueSettings {
                visibility_timeout: Duration::from_secs(30),
                max_receive_count: 5,
            })
    }
}

/// Appends a message to a queue inside the caller's transaction.
pub(super) fn enqueue(
    conn: &Connection,
    queue: QueueName,
    body: &str,
) -> Result<(), rusqlite::Error> {
    let now = now_millis();
    conn.prepare_cached(
        "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at) VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![queue_key(queue), random_id(), body, now])?;
    Ok(())
}

fn queue_key(queue: QueueName) -> &'static str {
    queue.template_resource()
}

fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[async_trait]
impl MessageQueue for EmbeddedStore {
    async fn send(&self, queue: QueueName, body: &str) -> Result<(), QueueError> {
        let body = body.to_string();
        self.write(move |conn| {
            enqueue(conn, queue, &body)?;
            Ok::<(), WriteFail<()>>(())
        })
        .await
        .map_err(|e| QueueError::Unavailable(e.to_string()))?
        .map_err(|_| QueueError::Unavailable("send rejected".into()))
    }

    async fn dead_letter(&self, queue: QueueName, body: &str) -> Result<(), QueueError> {
        let body = body.to_string();
        self.write(move |conn| {
            let now = now_millis();
            conn.prepare_cached(
                "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at, dead)
                 VALUES (?1, ?2, ?3, ?4, ?4, 1)",
            )?
            .execute(params![queue_key(queue), random_id(), body, now])?;
            Ok::<(), WriteFail<()>>(())
        })
        .await
        .map_err(|e| QueueError::Unavailable(e.to_string()))?
        .map_err(|_| QueueError::Unavailable("dead letter rejected".into()))
    }
}

#[async_trait]
impl QueueReceiver for EmbeddedStore {
    async fn receive(
        &self,
        queue: QueueName,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let settings = self.settings(queue);
        let now = now_millis();
        let visible_again = now + visibility.as_millis() as i64;
        self.write(move |conn| {
            let mut candidates = conn.prepare_cached(
                "SELECT seq, message_id, body, receive_count, sent_at FROM queue_messages
                 WHERE queue = ?1 AND dead = 0 AND visible_at <= ?2 ORDER BY visible_at, seq LIMIT ?3",
            )?;
            let rows: Vec<(i64, String, String, u32, i64)> = candidates
                .query_map(params![queue_key(queue), now, max as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()?;
            let mut received = Vec::with_capacity(rows.len());
            for (seq, message_id, body, count, sent_at) in rows {
                if count >= settings.max_receive_count {
                    // As SQS's redrive policy does: past maxReceiveCount, to the dead-letter queue.
                    conn.prepare_cached(
                        "UPDATE queue_messages SET dead = 1, receipt = NULL WHERE seq = ?1",
                    )?
                    .execute(params![seq])?;
                    continue;
                }
                let receipt = random_id();
                conn.prepare_cached(
                    "UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = ?2, receipt = ?3 WHERE seq = ?1",
                )?
                .execute(params![seq, visible_again, receipt])?;
                received.push(ReceivedMessage {
                    message_id,
                    receipt_handle: receipt,
                    body,
                    receive_count: count + 1,
                    sent_at: Utc.timestamp_millis_opt(sent_at).single().unwrap_or_default(),
                });
            }
            Ok::<_, WriteFail<()>>(received)
        })
        .await
        .map_err(|e| QueueError::Unavailable(e.to_string()))?
        .map_err(|_| QueueError::Unavailable("receive rejected".into()))
    }

    async fn delete(&self, _queue: QueueName, receipt_handle: &str) -> Result<(), QueueError> {
        let receipt = receipt_handle.to_string();
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM queue_messages WHERE receipt = ?1")?
                .execute(params![receipt])?;
            Ok::<(), WriteFail<()>>(())
        })
        .await
        .map_err(|e| QueueError::Unavailable(e.to_string()))?
        .map_err(|_| QueueError::Unavailable("delete rejected".into()))
    }

    async fn delete_batch(
        &self,
        _queue: QueueName,
        receipt_handles: &[String],
    ) -> Result<(), QueueError> {
        let receipts = receipt_handles.to_vec();
        self.write(move |conn| {
            let mut delete =
                conn.prepare_cached("DELETE FROM queue_messages WHERE receipt = ?1")?;
            for receipt in &receipts {
                delete.execute(params![receipt])?;
            }
            Ok::<(), WriteFail<()>>(())
        })
        .await
        .map_err(|e| QueueError::Unavailable(e.to_string()))?
        .map_err(|_| QueueError::Unavailable("delete rejected".into()))
    }

    async fn dead_letters(&self, queue: QueueName) -> Result<Vec<ReceivedMessage>, QueueError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT message_id, body, receive_count, sent_at FROM queue_messages
                 WHERE queue = ?1 AND dead = 1 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![queue_key(queue)], |r| {
                Ok(ReceivedMessage {
                    message_id: r.get(0)?,
                    receipt_handle: String::new(),
                    body: r.get(1)?,
                    receive_count: r.get(2)?,
                    sent_at: Utc
                        .timestamp_millis_opt(r.get(3)?)
                        .single()
                        .unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
        .await
        .map_err(|e| QueueError::Unavailable(e.to_string()))
    }
}
