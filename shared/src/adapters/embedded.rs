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
    AgencyStore, ChannelState, DeliveryClaim, DuePage, IdempotencyRecord, InsertError, ListCursor,
    ListPage, ListQuery, MessageQueue, ModelStore, QueueError, QueueName, QueueReceiver,
    ReceivedMessage, ReportList, ReportStore, RoutingExample, RoutingExampleStore, StoreError,
    StoredFragment, UpdateError, DELIVERY_MEMORY, FRAGMENT_MEMORY, NOTICE_COUNT_MEMORY,
};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension};
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
    doc TEXT NOT NULL,
    created_ms INTEGER,
    work_unit TEXT,
    triage INTEGER,
    public INTEGER,
    reporter_ref TEXT
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
CREATE TABLE IF NOT EXISTS channel_state (
    state_key TEXT PRIMARY KEY,
    state TEXT,
    lease_until INTEGER,
    text TEXT,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sms_fragments (
    group_key TEXT NOT NULL,
    part INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    text TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (group_key, part)
);
CREATE TABLE IF NOT EXISTS recipient_notices (
    recipient_day TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (recipient_day, notification_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    address TEXT NOT NULL,
    text TEXT NOT NULL,
    recorded_ms INTEGER NOT NULL
);
";

/// The list columns, added to `reports` after its first release: a database made before them
/// gets them (and their values) at open, before the indexes that read them are created.
const LIST_COLUMNS: [(&str, &str); 5] = [
    ("created_ms", "INTEGER"),
    ("work_unit", "TEXT"),
    ("triage", "INTEGER"),
    ("public", "INTEGER"),
    ("reporter_ref", "TEXT"),
];

/// One index per list, in the order lists read (newest first, ties by tracking id), so a page is
/// a range read that stops at `LIMIT`. Partial where the list holds only some reports. A query
/// uses a partial index only if its WHERE repeats the index's condition literally, hence
/// `triage = 1` and `public = 1` as literals in `list_sql`.
const LIST_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS reports_by_agency ON reports(agency_id, created_ms DESC, tracking_id DESC)
    WHERE agency_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS reports_by_work_unit ON reports(work_unit, created_ms DESC, tracking_id DESC)
    WHERE work_unit IS NOT NULL;
CREATE INDEX IF NOT EXISTS reports_in_triage ON reports(created_ms DESC, tracking_id DESC)
    WHERE triage = 1;
CREATE INDEX IF NOT EXISTS reports_public ON reports(created_ms DESC, tracking_id DESC)
    WHERE public = 1;
CREATE INDEX IF NOT EXISTS reports_by_reporter ON reports(reporter_ref, created_ms DESC, tracking_id DESC)
    WHERE reporter_ref IS NOT NULL;
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
/// Creates the database file owner-only before SQLite opens it (SQLite gives its `-wal` and
/// `-shm` files the database file's mode), and narrows the files of a store made before this
/// rule.
fn make_private(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let unavailable =
            |e: std::io::Error| StoreError::Unavailable(format!("{}: {e}", path.display()));
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(unavailable)?;
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            match std::fs::metadata(&file) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                        .map_err(unavailable)?
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn run_cached(conn: &Connection, sql: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn sql_unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A report as its `reports` row: the document and every column an index or a filter reads, all
/// derived from the report here, so insert, update and the migration cannot disagree.
struct ReportRow {
    tracking_id: String,
    version: i64,
    status: &'static str,
    agency_id: Option<String>,
    work_unit: Option<String>,
    created_at: String,
    created_ms: i64,
    triage: bool,
    public: bool,
    due_at: Option<i64>,
    reporter_ref: Option<String>,
    doc: String,
}

impl ReportRow {
    fn of(report: &Report) -> ReportRow {
        ReportRow {
            tracking_id: report.tracking_id.to_string(),
            version: report.version as i64,
            status: report.status.as_str(),
            agency_id: report.agency_id.clone(),
            work_unit: report.work_unit.clone(),
            created_at: report.created_at.to_rfc3339(),
            created_ms: millis(report.created_at),
            triage: report.is_in_triage(),
            public: report.is_public(),
            due_at: report.due_at.map(millis),
            reporter_ref: report.reporter_ref.clone(),
            doc: report_to_json(report),
        }
    }
}

/// Gives a database made before the list columns those columns, filled from each report's
/// document. One write transaction: a crash leaves the old schema (redone at the next open), and
/// a second process opening the file at the same time waits, then finds nothing to do.
fn add_list_columns(conn: &Connection) -> Result<(), StoreError> {
    // Checked first outside a transaction: an up-to-date file (every open but one) takes no
    // write lock here, so opening never waits behind another process's writer.
    if missing_list_columns(conn)?.is_empty() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(sql_unavailable)?;
    let outcome = migrate_list_columns(conn);
    let end = if outcome.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    conn.execute_batch(end).map_err(sql_unavailable)?;
    outcome
}

fn missing_list_columns(conn: &Connection) -> Result<Vec<(&str, &str)>, StoreError> {
    let present = conn
        .prepare("SELECT name FROM pragma_table_info('reports')")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql_unavailable)?;
    Ok(LIST_COLUMNS
        .into_iter()
        .filter(|(name, _)| !present.iter().any(|p| p == name))
        .collect())
}

fn migrate_list_columns(conn: &Connection) -> Result<(), StoreError> {
    // Again inside the transaction: another process may have done it meanwhile.
    let missing = missing_list_columns(conn)?;
    if missing.is_empty() {
        return Ok(());
    }
    for (name, kind) in &missing {
        conn.execute_batch(&format!("ALTER TABLE reports ADD COLUMN {name} {kind}"))
            .map_err(sql_unavailable)?;
    }
    // Decoded in Rust rather than with json_extract: `created_at` is RFC 3339 text, and triage and
    // public are `Report` methods; the same `ReportRow::of` as every write keeps them identical.
    let docs = conn
        .prepare("SELECT tracking_id, doc FROM reports")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql_unavailable)?;
    let mut fill = conn
        .prepare(
            "UPDATE reports SET status = ?2, agency_id = ?3, work_unit = ?4, created_ms = ?5,
             triage = ?6, public = ?7, reporter_ref = ?8 WHERE tracking_id = ?1",
        )
        .map_err(sql_unavailable)?;
    for (tracking_id, doc) in docs {
        let Ok(report) = report_from_json(&doc) else {
            // `get` reports it as corrupt; it stays out of the lists rather than stop the store
            // from opening.
            tracing::warn!(%tracking_id, "a stored report does not decode; left out of the lists");
            continue;
        };
        let row = ReportRow::of(&report);
        fill.execute(params![
            tracking_id,
            row.status,
            row.agency_id,
            row.work_unit,
            row.created_ms,
            row.triage,
            row.public,
            row.reporter_ref
        ])
        .map_err(sql_unavailable)?;
    }
    Ok(())
}

/// The SQL of a list query and its arguments: the list's own condition (literal where its index
/// is partial, see `LIST_INDEXES`), the cursor as a row-value range in the index's order, then
/// the filters, which SQLite applies while it walks the index.
fn list_sql(query: &ListQuery) -> (String, Vec<SqlValue>) {
    let mut sql = String::from("SELECT doc FROM reports WHERE ");
    let mut args = Vec::new();
    match &query.list {
        ReportList::Agency(id) => {
            sql.push_str("agency_id = ?");
            args.push(SqlValue::Text(id.clone()));
        }
        ReportList::WorkUnit(unit) => {
            sql.push_str("work_unit = ?");
            args.push(SqlValue::Text(unit.clone()));
        }
        ReportList::Triage => sql.push_str("triage = 1"),
        ReportList::Public => sql.push_str("public = 1"),
        ReportList::Reporter(reference) => {
            sql.push_str("reporter_ref = ?");
            args.push(SqlValue::Text(reference.clone()));
        }
    }
    if let Some(cursor) = &query.cursor {
        sql.push_str(" AND (created_ms, tracking_id) < (?, ?)");
        args.push(SqlValue::Integer(cursor.created_ms));
        args.push(SqlValue::Text(cursor.tracking_id.to_string()));
    }
    if let Some(status) = query.status {
        sql.push_str(" AND status = ?");
        args.push(SqlValue::Text(status.as_str().into()));
    }
    if query.public_only {
        sql.push_str(" AND public = 1");
    }
    sql.push_str(" ORDER BY created_ms DESC, tracking_id DESC LIMIT ?");
    args.push(SqlValue::Integer(
        i64::try_from(query.limit).unwrap_or(i64::MAX),
    ));
    (sql, args)
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
        let row = ReportRow::of(report);
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
                    "INSERT OR IGNORE INTO reports (tracking_id, version, status, agency_id, work_unit,
                        created_at, created_ms, triage, public, due_at, doc, reporter_ref)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?
                .execute(params![
                    row.tracking_id,
                    row.version,
                    row.status,
                    row.agency_id,
                    row.work_unit,
                    row.created_at,
                    row.created_ms,
                    row.triage,
                    row.public,
                    row.due_at,
                    row.doc,
                    row.reporter_ref
                ])?;
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

    async fn update_with(
        &self,
        report: &Report,
        message: Option<(QueueName, String)>,
    ) -> Result<(), UpdateError> {
        let row = ReportRow::of(report);
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE reports SET version = ?2, status = ?3, agency_id = ?4, work_unit = ?5,
                        created_at = ?6, created_ms = ?7, triage = ?8, public = ?9, due_at = ?10,
                        doc = ?11
                     WHERE tracking_id = ?1 AND version = ?2 - 1",
                )?
                .execute(params![
                    row.tracking_id,
                    row.version,
                    row.status,
                    row.agency_id,
                    row.work_unit,
                    row.created_at,
                    row.created_ms,
                    row.triage,
                    row.public,
                    row.due_at,
                    row.doc
                ])?;
            if changed == 0 {
                return Err(WriteFail::Rejected(UpdateError::Conflict));
            }
            if let Some((queue, body)) = &message {
                enqueue(conn, *queue, body)?;
            }
            Ok(())
        })
        .await?
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
        self.update_with(report, None).await
    }

    /// The outbox again: the change and its message (a notification) commit together.
    async fn update_and_queue(
        &self,
        report: &Report,
        message: (QueueName, &str),
    ) -> Result<bool, UpdateError> {
        self.update_with(report, Some((message.0, message.1.to_string())))
            .await
            .map(|()| true)
    }

    /// A range read on the list's index, filters included, so a page is short only at the end
    /// of the list: `next` is set exactly when the page is full. `items_read` counts the reports
    /// returned (index entries a filter skipped are not counted).
    async fn list(&self, query: &ListQuery) -> Result<ListPage, StoreError> {
        let (sql, args) = list_sql(query);
        let docs: Vec<String> = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(params_from_iter(args), |row| row.get(0))?;
                rows.collect()
            })
            .await?;
        let reports = docs
            .iter()
            .map(|d| report_from_json(d))
            .collect::<Result<Vec<_>, _>>()?;
        let next = if reports.len() == query.limit {
            reports.last().map(ListCursor::after)
        } else {
            None
        };
        Ok(ListPage {
            items_read: reports.len() as u64,
            reports,
            next,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    fn report(created_ms: i64, status: Status, agency: Option<&str>) -> Report {
        let at = Utc.timestamp_millis_opt(created_ms).unwrap();
        let mut doc = serde_json::json!({
            "tracking_id": TrackingId::generate().to_string(),
            "kind": "complaint",
            "title": "Jalan berlubang",
            "body": "Jalan di depan sekolah berlubang besar.",
            "channel": "web",
            "anonymous": false,
            "confidential": false,
            "status": status.as_str(),
            "access_token_hash": "0".repeat(64),
            "created_at": at,
            "updated_at": at,
            "version": 1,
            "timeline": []
        });
        if let Some(agency) = agency {
            doc["agency_id"] = agency.into();
        }
        serde_json::from_value(doc).unwrap()
    }

    fn query(list: ReportList) -> ListQuery {
        ListQuery {
            list,
            status: None,
            public_only: false,
            cursor: None,
            limit: 10,
        }
    }

    #[test]
    fn every_list_is_a_range_read_on_its_own_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plans.db");
        drop(EmbeddedStore::open(&path, HashMap::new()).unwrap());
        let conn = Connection::open(&path).unwrap();
        let cursor = ListCursor {
            created_ms: 1,
            tracking_id: TrackingId::generate(),
        };
        let cases = [
            (ReportList::Agency("a".into()), "reports_by_agency"),
            (ReportList::WorkUnit("u".into()), "reports_by_work_unit"),
            (ReportList::Triage, "reports_in_triage"),
            (ReportList::Public, "reports_public"),
        ];
        for (list, index) in cases {
            for (resume, status, public_only) in [
                (false, None, false),
                (true, None, false),
                (true, Some(Status::InProgress), false),
                (true, Some(Status::InProgress), true),
            ] {
                let mut q = query(list.clone());
                q.cursor = resume.then(|| cursor.clone());
                q.status = status;
                q.public_only = public_only;
                let (sql, args) = list_sql(&q);
                let plan: Vec<String> = conn
                    .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .unwrap()
                    .query_map(params_from_iter(args), |row| row.get::<_, String>(3))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let plan = plan.join(" | ");
                // `public_only` on the triage list may read the public index instead: both are
                // partial indexes in list order (and the two lists never share a report).
                let public_instead = public_only && plan.contains("reports_public");
                assert!(plan.contains(index) || public_instead, "{list:?}: {plan}");

                // Ordered by the index itself: no sort of the whole list before the LIMIT.
                assert!(!plan.contains("TEMP B-TREE"), "{list:?}: {plan}");
            }
        }
    }

    #[tokio::test]
    async fn a_database_made_before_the_list_columns_gets_them_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let held = report(1_000, Status::InProgress, Some("pemda-32.73"));
        let waiting = report(2_000, Status::NeedsTriage, None);
        // Stored under the status's first name.
        let routed = report(500, Status::Dispositioned, Some("pemda-32.73"));
        {
            // The first release's table, and rows as it wrote them.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE reports (
                    tracking_id TEXT PRIMARY KEY,
                    version INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    agency_id TEXT,
                    created_at TEXT NOT NULL,
                    due_at INTEGER,
                    doc TEXT NOT NULL
                );
                CREATE INDEX reports_by_due ON reports(due_at) WHERE due_at IS NOT NULL;",
            )
            .unwrap();
            for r in [&held, &waiting, &routed] {
                let legacy = |text: String| text.replace("dispositioned", "routed");
                conn.execute(
                    "INSERT INTO reports (tracking_id, version, status, agency_id, created_at, doc)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        r.tracking_id.to_string(),
                        r.version as i64,
                        legacy(r.status.as_str().into()),
                        r.agency_id,
                        r.created_at.to_rfc3339(),
                        legacy(report_to_json(r))
                    ],
                )
                .unwrap();
            }
        }
        let store = EmbeddedStore::open(&path, HashMap::new()).unwrap();
        let ids = |page: ListPage| -> Vec<TrackingId> {
            page.reports.into_iter().map(|r| r.tracking_id).collect()
        };
        let agency = store
            .list(&query(ReportList::Agency("pemda-32.73".into())))
            .await
            .unwrap();
        assert_eq!(
            ids(agency),
            vec![held.tracking_id.clone(), routed.tracking_id.clone()]
        );
        let mut dispositioned = query(ReportList::Agency("pemda-32.73".into()));
        dispositioned.status = Some(Status::Dispositioned);
        let dispositioned = store.list(&dispositioned).await.unwrap();
        assert_eq!(ids(dispositioned), vec![routed.tracking_id.clone()]);
        let public = store.list(&query(ReportList::Public)).await.unwrap();
        assert_eq!(
            ids(public),
            vec![held.tracking_id.clone(), routed.tracking_id.clone()]
        );
        let triage = store.list(&query(ReportList::Triage)).await.unwrap();
        assert_eq!(ids(triage), vec![waiting.tracking_id.clone()]);
        drop(store);
        // A second open finds nothing left to do.
        let again = EmbeddedStore::open(&path, HashMap::new()).unwrap();
        let public = again.list(&query(ReportList::Public)).await.unwrap();
        assert_eq!(ids(public), vec![held.tracking_id, routed.tracking_id]);
    }
}
