//! The embedded family: one SQLite file (WAL) holding the reports, the idempotency records and
//! durable queues, for the local runner and fast tests.
//!
//! Writes go through one writer thread that commits in groups: it takes every write waiting, runs
//! each in its own savepoint (so one failed condition does not undo the others), commits once,
//! and only then answers each caller. So an answer always means "on disk" (synchronous=FULL:
//! fsync at every commit), while one fsync serves many requests under load.
//! Reads use a pool of read-only connections and never wait for the writer.

use super::doc::{idempotency_from_json, report_from_json, report_to_json};
use super::QueueSettings;
use crate::directory::Agency;
use crate::domain::{Report, TrackingId};
use crate::ports::{
    AgencyStore, DuePage, IdempotencyRecord, InsertError, MessageQueue, ModelStore, QueueError,
    QueueName, QueueReceiver, ReceivedMessage, ReportStore, RoutingExample, RoutingExampleStore,
    StoreError, UpdateError,
};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reports (
    tracking_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    agency_id TEXT,
    created_at TEXT NOT NULL,
    due_at INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_by_due ON reports(due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS idempotency (
    key_hash TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    dead INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue_messages(queue, dead, visible_at);
CREATE UNIQUE INDEX IF NOT EXISTS queue_receipts ON queue_messages(receipt) WHERE receipt IS NOT NULL;
CREATE TABLE IF NOT EXISTS agencies (
    agency_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS routing_examples (
    tracking_id TEXT NOT NULL,
    decided_version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tracking_id, decided_version)
);
CREATE TABLE IF NOT EXISTS routing_models (
    model_version TEXT PRIMARY KEY,
    artifact BLOB NOT NULL,
    published_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS routing_model_current (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    model_version TEXT NOT NULL
);
";

/// Most writes one commit takes; bounds the latency a commit adds to the first write in it.
const MAX_GROUP: usize = 512;
const READERS: usize = 4;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A write: run against the open transaction, or told that none could be opened (then it must
/// not touch the database, so nothing it does can commit behind its caller's back).
type Job = Box<dyn FnOnce(Result<&Connection, String>) -> (bool, Completion) + Send>;

/// What a write closure may fail with: its own outcome (kept by rolling back its savepoint),
/// distinct from SQLite failing.
enum WriteFail<E> {
    Rejected(E),
    Sql(rusqlite::Error),
}

impl<E> From<rusqlite::Error> for WriteFail<E> {
    fn from(e: rusqlite::Error) -> Self {
        WriteFail::Sql(e)
    }
}

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
    /// Opens (or creates) the store at `path`. `queues` gives each queue's settings.
    pub fn open(
        path: &Path,
        queues: HashMap<QueueName, QueueSettings>,
    ) -> Result<EmbeddedStore, StoreError> {
        let conn = Connection::open(path).map_err(sql_unavailable)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
        )
        .map_err(sql_unavailable)?;
        conn.execute_batch(SCHEMA).map_err(sql_unavailable)?;
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

    async fn write<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, WriteFail<E>> + Send + 'static,
    ) -> Result<Result<T, E>, StoreError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<Result<T, E>, StoreError>>();
        let job: Job = Box::new(move |conn| {
            let conn = match conn {
                Ok(conn) => conn,
                Err(e) => {
                    let completion: Completion = Box::new(move |_| {
                        let _ = tx.send(Err(StoreError::Unavailable(format!(
                            "cannot begin a transaction: {e}"
                        ))));
                    });
                    return (false, completion);
                }
            };
            let outcome = f(conn);
            let keep = outcome.is_ok();
            let completion: Completion = Box::new(move |committed| {
                let answer = match (committed, outcome) {
                    (Err(e), _) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
                    (Ok(()), Ok(v)) => Ok(Ok(v)),
                    (Ok(()), Err(WriteFail::Rejected(e))) => Ok(Err(e)),
                    (Ok(()), Err(WriteFail::Sql(e))) => Err(sql_unavailable(e)),
                };
                let _ = tx.send(answer);
            });
            (keep, completion)
        });
        self.inner
            .writer
            .lock()
            .expect("writer lock")
            .send(job)
            .map_err(|_| StoreError::Unavailable("the writer thread has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the writer thread dropped a write".into()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        let _permit = self
            .inner
            .read_permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("reader pool closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().expect("reader pool").pop();
            let conn = match pooled {
                Some(c) => c,
                None => Connection::open_with_flags(
                    &inner.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?,
            };
            let result = f(&conn);
            inner.readers.lock().expect("reader pool").push(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("read task: {e}")))?
        .map_err(sql_unavailable)
    }

    fn settings(&self, queue: QueueName) -> QueueSettings {
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

fn writer_loop(conn: Connection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut completions = Vec::with_capacity(group.len());
        let begun = run_cached(&conn, "BEGIN IMMEDIATE");
        if let Err(e) = begun {
            for job in group {
                let (_, completion) = job(Err(e.to_string()));
                completion(Err(e.to_string()));
            }
            continue;
        }
        for job in group {
            // Each write in its own savepoint: one that fails its condition is undone alone.
            if let Err(e) = run_cached(&conn, "SAVEPOINT job") {
                let (_, completion) = job(Err(e.to_string()));
                completions.push(completion);
                continue;
            }
            let (keep, completion) = job(Ok(&conn));
            if !keep {
                let _ = run_cached(&conn, "ROLLBACK TO job");
            }
            let _ = run_cached(&conn, "RELEASE job");
            completions.push(completion);
        }
        let committed = run_cached(&conn, "COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            e.to_string()
        });
        for completion in completions {
            completion(committed.clone());
        }
    }
}

/// Transaction control through the statement cache: the writer runs these for every write, and
/// parsing them each time shows up under load.
fn run_cached(conn: &Connection, sql: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
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

impl EmbeddedStore {
    async fn insert_with(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
        message: Option<(QueueName, String)>,
    ) -> Result<(), InsertError> {
        let doc = report_to_json(report);
        let id = report.tracking_id.to_string();
        let (version, status, agency, created, due) = (
            report.version as i64,
            report.status.as_str(),
            report.agency_id.clone(),
            report.created_at.to_rfc3339(),
            report.due_at.map(millis),
        );
        let idem = idempotency.map(|r| {
            (
                r.key_hash.clone(),
                r.created_at.timestamp(),
                r.expires_at,
                serde_json::to_string(r).expect("record serialises"),
            )
        });
        let outcome = self
            .write(move |conn| {
                if let Some((key_hash, now, expires_at, doc)) = &idem {
                    // An expired record no longer holds its key.
                    conn.prepare_cached(
                        "DELETE FROM idempotency WHERE key_hash = ?1 AND expires_at < ?2",
                    )?
                    .execute(params![key_hash, now])?;
                    let inserted = conn.prepare_cached(
                        "INSERT OR IGNORE INTO idempotency (key_hash, expires_at, doc) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![key_hash, expires_at, doc])?;
                    if inserted == 0 {
                        return Err(WriteFail::Rejected(InsertError::IdempotencyKeyTaken));
                    }
                }
                let inserted = conn.prepare_cached(
                    "INSERT OR IGNORE INTO reports (tracking_id, version, status, agency_id, created_at, due_at, doc)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![id, version, status, agency, created, due, doc])?;
                if inserted == 0 {
                    return Err(WriteFail::Rejected(InsertError::TrackingIdTaken));
                }
                if let Some((queue, body)) = &message {
                    enqueue(conn, *queue, body)?;
                }
                Ok(())
            })
            .await?;
        outcome
    }
}

/// Appends a message to a queue inside the caller's transaction.
fn enqueue(conn: &Connection, queue: QueueName, body: &str) -> Result<(), rusqlite::Error> {
    let now = now_millis();
    conn.prepare_cached(
        "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at) VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![queue_key(queue), random_id(), body, now])?;
    Ok(())
}

#[async_trait]
impl ReportStore for EmbeddedStore {
    async fn insert(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<(), InsertError> {
        self.insert_with(report, idempotency, None).await
    }

    /// The outbox: the report and its queue message commit together, so no crash can leave a
    /// stored report unqueued.
    async fn insert_and_queue(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
        message: (QueueName, &str),
    ) -> Result<bool, InsertError> {
        self.insert_with(
            report,
            idempotency,
            Some((message.0, message.1.to_string())),
        )
        .await
        .map(|()| true)
    }

    async fn get(&self, id: &TrackingId) -> Result<Option<Report>, StoreError> {
        let id = id.to_string();
        let doc: Option<String> = self
            .read(move |conn| {
                conn.prepare_cached("SELECT doc FROM reports WHERE tracking_id = ?1")?
                    .query_row(params![id], |row| row.get(0))
                    .optional()
            })
            .await?;
        doc.map(|d| report_from_json(&d)).transpose()
    }

    async fn get_idempotency(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let key_hash = key_hash.to_string();
        let now = now.timestamp();
        let doc: Option<String> = self
            .read(move |conn| {
                conn.prepare_cached(
                    "SELECT doc FROM idempotency WHERE key_hash = ?1 AND expires_at >= ?2",
                )?
                .query_row(params![key_hash, now], |row| row.get(0))
                .optional()
            })
            .await?;
        doc.map(|d| idempotency_from_json(&d)).transpose()
    }

    async fn update(&self, report: &Report) -> Result<(), UpdateError> {
        let doc = report_to_json(report);
        let id = report.tracking_id.to_string();
        let (version, status, agency, due) = (
            report.version as i64,
            report.status.as_str(),
            report.agency_id.clone(),
            report.due_at.map(millis),
        );
        self.write(move |conn| {
            let changed = conn.prepare_cached(
                "UPDATE reports SET version = ?2, status = ?3, agency_id = ?4, due_at = ?5, doc = ?6
                 WHERE tracking_id = ?1 AND version = ?2 - 1",
            )?
            .execute(params![id, version, status, agency, due, doc])?;
            if changed == 0 {
                return Err(WriteFail::Rejected(UpdateError::Conflict));
            }
            Ok(())
        })
        .await?
    }

    async fn list(
        &self,
        query: &crate::ports::ListQuery,
    ) -> Result<crate::ports::ListPage, StoreError> {
        let _ = query;
        unimplemented!("HELPER-A: list through the indexes")
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<DuePage, StoreError> {
        let docs: Vec<String> = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT doc FROM reports WHERE due_at IS NOT NULL AND due_at <= ?1
                     ORDER BY due_at LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![millis(now), limit as i64], |row| row.get(0))?;
                rows.collect()
            })
            .await?;
        let reports = docs
            .iter()
            .map(|d| report_from_json(d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DuePage {
            items_read: reports.len() as u64,
            reports,
        })
    }
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

fn decode<T: serde::de::DeserializeOwned>(what: &str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn unrejected<T>(outcome: Result<Result<T, ()>, StoreError>) -> Result<T, StoreError> {
    outcome?.map_err(|_| StoreError::Unavailable("write rejected".into()))
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
