//! The routing data on SQLite: the agency directory (`AgencyStore`), the routing decisions kept
//! as training examples (`RoutingExampleStore`) and the published models (`ModelStore`).

use super::writer::{unrejected, WriteFail};
use super::{now_millis, EmbeddedStore};
use crate::directory::Agency;
use crate::ports::{AgencyStore, ModelStore, RoutingExample, RoutingExampleStore, StoreError};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

fn decode<T: serde::de::DeserializeOwned>(what: &str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[async_trait]
impl AgencyStore for EmbeddedStore {
    async fn put_agencies(&self, batch: &[Agency]) -> Result<(), StoreError> {
        let rows: Vec<(String, String)> = batch
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    serde_json::to_string(a).expect("an agency serialises"),
                )
            })
            .collect();
        unrejected(
            self.write(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "INSERT INTO agencies (agency_id, doc) VALUES (?1, ?2)
                     ON CONFLICT(agency_id) DO UPDATE SET doc = excluded.doc",
                )?;
                for (id, doc) in &rows {
                    stmt.execute(params![id, doc])?;
                }
                Ok::<(), WriteFail<()>>(())
            })
            .await,
        )
    }

    async fn agency(&self, id: &str) -> Result<Option<Agency>, StoreError> {
        let id = id.to_string();
        let doc: Option<String> = self
            .read(move |conn| {
                conn.prepare_cached("SELECT doc FROM agencies WHERE agency_id = ?1")?
                    .query_row(params![id], |row| row.get(0))
                    .optional()
            })
            .await?;
        doc.map(|d| decode("agency", &d)).transpose()
    }

    async fn agencies(&self) -> Result<Vec<Agency>, StoreError> {
        let docs: Vec<String> = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached("SELECT doc FROM agencies")?;
                let rows = stmt.query_map([], |row| row.get(0))?;
                rows.collect()
            })
            .await?;
        docs.iter().map(|d| decode("agency", d)).collect()
    }

    async fn directory_version(&self) -> Result<Option<String>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT version FROM directory_version WHERE id = 0")?
                .query_row([], |row| row.get(0))
                .optional()
        })
        .await
    }

    async fn set_directory_version(&self, version: &str) -> Result<(), StoreError> {
        let version = version.to_string();
        unrejected(
            self.write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO directory_version (id, version) VALUES (0, ?1)
                     ON CONFLICT(id) DO UPDATE SET version = excluded.version",
                )?
                .execute(params![version])?;
                Ok::<(), WriteFail<()>>(())
            })
            .await,
        )
    }
}

#[async_trait]
impl RoutingExampleStore for EmbeddedStore {
    async fn put_example(&self, example: &RoutingExample) -> Result<(), StoreError> {
        let id = example.tracking_id.to_string();
        let version = example.decided_version as i64;
        let doc = serde_json::to_string(example).expect("an example serialises");
        unrejected(
            self.write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO routing_examples (tracking_id, decided_version, doc) VALUES (?1, ?2, ?3)
                     ON CONFLICT(tracking_id, decided_version) DO UPDATE SET doc = excluded.doc",
                )?
                .execute(params![id, version, doc])?;
                Ok::<(), WriteFail<()>>(())
            })
            .await,
        )
    }

    async fn examples(&self) -> Result<Vec<RoutingExample>, StoreError> {
        let docs: Vec<String> = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT doc FROM routing_examples ORDER BY tracking_id, decided_version",
                )?;
                let rows = stmt.query_map([], |row| row.get(0))?;
                rows.collect()
            })
            .await?;
        docs.iter().map(|d| decode("routing example", d)).collect()
    }
}

#[async_trait]
impl ModelStore for EmbeddedStore {
    async fn publish(&self, version: &str, artifact: &[u8]) -> Result<(), StoreError> {
        let (version, artifact, now) = (version.to_string(), artifact.to_vec(), now_millis());
        // One transaction: the artifact and the pointer land together.
        unrejected(
            self.write(move |conn| {
                conn.execute(
                    "INSERT INTO routing_models (model_version, artifact, published_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT(model_version) DO UPDATE SET artifact = excluded.artifact, published_at = excluded.published_at",
                    params![version, artifact, now],
                )?;
                conn.execute(
                    "INSERT INTO routing_model_current (id, model_version) VALUES (0, ?1)
                     ON CONFLICT(id) DO UPDATE SET model_version = excluded.model_version",
                    params![version],
                )?;
                Ok::<(), WriteFail<()>>(())
            })
            .await,
        )
    }

    async fn current_version(&self) -> Result<Option<String>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT model_version FROM routing_model_current WHERE id = 0")?
                .query_row([], |row| row.get(0))
                .optional()
        })
        .await
    }

    async fn artifact(&self, version: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let version = version.to_string();
        self.read(move |conn| {
            conn.prepare_cached("SELECT artifact FROM routing_models WHERE model_version = ?1")?
                .query_row(params![version], |row| row.get(0))
                .optional()
        })
        .await
    }
}
