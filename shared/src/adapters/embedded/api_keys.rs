//! Open311 API keys on SQLite: rows of the `idempotency` table under their own prefix
//! (`open311::keys`), with the largest expiry (a key does not expire by itself).

use super::writer::{unrejected, WriteFail};
use super::EmbeddedStore;
use crate::open311::keys::{ApiKeyStore, StoredApiKey};
use crate::ports::StoreError;
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

#[async_trait]
impl ApiKeyStore for EmbeddedStore {
    async fn put_api_key(&self, key: &StoredApiKey) -> Result<(), StoreError> {
        let doc = serde_json::to_string(key).expect("a key record serialises");
        let key_hash = key.key_hash.clone();
        unrejected(
            self.write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO idempotency (key_hash, expires_at, doc) VALUES (?1, ?2, ?3)
                     ON CONFLICT(key_hash) DO UPDATE SET expires_at = excluded.expires_at,
                        doc = excluded.doc",
                )?
                .execute(params![key_hash, i64::MAX, doc])?;
                Ok::<(), WriteFail<()>>(())
            })
            .await,
        )
    }

    async fn api_key(&self, key_hash: &str) -> Result<Option<StoredApiKey>, StoreError> {
        let key_hash = key_hash.to_string();
        let doc: Option<String> = self
            .read(move |conn| {
                conn.prepare_cached("SELECT doc FROM idempotency WHERE key_hash = ?1")?
                    .query_row(params![key_hash], |row| row.get(0))
                    .optional()
            })
            .await?;
        doc.map(|d| {
            serde_json::from_str(&d).map_err(|e| StoreError::Corrupt(format!("api key: {e}")))
        })
        .transpose()
    }
}
