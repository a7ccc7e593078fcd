//! The embedded family: one SQLite file (WAL) holding the reports, the idempotency records and
//! durable queues, for the local runner and fast tests.
//!
//! Writes go through one writer thread that commits in groups: it takes every write waiting, runs
//! each in its own savepoint (so one failed condition does not undo the others), commits once,
//! and only then answers each caller. So an answer always means "on disk" (synchronous=FULL:
//! fsync at every commit), while one fsync serves many requests under load.
//! Reads use a pool of read-only connections and never wait for the writer.
//!
//! One file per concern, as in the AWS family: `schema` (tables, indexes, the list columns'
//! migration, file permissions), `writer` (the group-commit writer and the reader pool),
//! `reports`, `stats`, `queues`, `routing_data`, `channel_state`, the local runner's `outbox`, and `blobs` (the attachments' files,
//! beside the database).

mod api_keys;
pub mod blobs;
mod channel_state;
mod outbox;
mod queues;
mod reports;
mod routing_data;
mod schema;
mod stats;
mod writer;

pub use outbox::OutboxEntry;

use super::QueueSettings;
use crate::ports::{QueueName, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use schema::{add_list_columns, make_private, LIST_INDEXES, SCHEMA};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use writer::{writer_loop, Job};

const READERS: usize = 4;

#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<mpsc::Sender<Job>>,
    readers: Mutex<Vec<Connection>>,
    /// At most `READERS` reads at once, so each finds a pooled connection instead of opening
    /// one (opening costs far more than a read).
    read_permits: tokio::sync::Semaphore,
    queues: HashMap<QueueName, QueueSettings>,
}

impl EmbeddedStore {
    /// Opens (or creates) the store at `path`. `queues` gives each queue's settings. The file
    /// and its WAL are the owner's only (0600): they hold reporters' data.
    pub fn open(
        path: &Path,
        queues: HashMap<QueueName, QueueSettings>,
    ) -> Result<EmbeddedStore, StoreError> {
        make_private(path)?;
        let conn = Connection::open(path).map_err(sql_unavailable)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
        )
        .map_err(sql_unavailable)?;
        conn.execute_batch(SCHEMA).map_err(sql_unavailable)?;
        add_list_columns(&conn)?;
        conn.execute_batch(stats::STATS_SCHEMA)
            .map_err(sql_unavailable)?;
        stats::add_stats_column(&conn)?;
        conn.execute_batch(LIST_INDEXES).map_err(sql_unavailable)?;
        // Every statement the writer runs stays prepared.
        conn.set_prepared_statement_cache_capacity(64);
        let (sender, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, receiver))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(EmbeddedStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(sender),
                readers: Mutex::new(Vec::new()),
                read_permits: tokio::sync::Semaphore::new(READERS),
                queues,
            }),
        })
    }
}

fn sql_unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// The first page of a list, unfiltered: where the tests of several files start.
#[cfg(test)]
fn query(list: crate::ports::ReportList) -> crate::ports::ListQuery {
    crate::ports::ListQuery {
        list,
        status: None,
        public_only: false,
        cursor: None,
        limit: 10,
    }
}
