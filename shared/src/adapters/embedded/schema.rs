//! The SQLite schema: the tables, the list columns added after the first release and their
//! migration, the list indexes, and the owner-only permissions of the database files.

use super::reports::ReportRow;
use super::sql_unavailable;
use crate::adapters::doc::report_from_json;
use crate::ports::StoreError;
use rusqlite::{params, Connection};
use std::path::Path;

pub(super) const SCHEMA: &str = "
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
    reporter_ref TEXT,
    supervisor TEXT
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
CREATE TABLE IF NOT EXISTS directory_version (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    version TEXT NOT NULL
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
const LIST_COLUMNS: [(&str, &str); 6] = [
    ("created_ms", "INTEGER"),
    ("work_unit", "TEXT"),
    ("triage", "INTEGER"),
    ("public", "INTEGER"),
    ("reporter_ref", "TEXT"),
    ("supervisor", "TEXT"),
];

/// One index per list, in the order lists read (newest first, ties by tracking id), so a page is
/// a range read that stops at `LIMIT`. Partial where the list holds only some reports. A query
/// uses a partial index only if its WHERE repeats the index's condition literally, hence
/// `triage = 1` and `public = 1` as literals in `list_sql`.
pub(super) const LIST_INDEXES: &str = "
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
CREATE INDEX IF NOT EXISTS reports_by_supervisor ON reports(supervisor, created_ms DESC, tracking_id DESC)
    WHERE supervisor IS NOT NULL;
";

/// Creates the database file owner-only before SQLite opens it (SQLite gives its `-wal` and
/// `-shm` files the database file's mode), and narrows the files of a store made before this
/// rule.
pub(super) fn make_private(path: &Path) -> Result<(), StoreError> {
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

/// Gives a database made before the list columns those columns, filled from each report's
/// document. One write transaction: a crash leaves the old schema (redone at the next open), and
/// a second process opening the file at the same time waits, then finds nothing to do.
pub(super) fn add_list_columns(conn: &Connection) -> Result<(), StoreError> {
    // Checked first outside a transaction: an up-to-date file (every open but one) takes no
    // write lock here, so opening never waits behind another process's writer.
    if missing_list_columns(conn)?.is_empty() {
        return Ok(());
    }
    in_write_transaction(conn, migrate_list_columns)
}

/// Every stored report's tracking id and document, for a migration that fills what it adds.
pub(super) fn every_report(conn: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    conn.prepare("SELECT tracking_id, doc FROM reports")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql_unavailable)
}

/// Runs a migration step in one write transaction, committed if it succeeds and rolled back
/// otherwise (the step checks again inside it: another process may have done it meanwhile).
pub(super) fn in_write_transaction(
    conn: &Connection,
    step: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(sql_unavailable)?;
    let outcome = step(conn);
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
    let docs = every_report(conn)?;
    let mut fill = conn
        .prepare(
            "UPDATE reports SET status = ?2, agency_id = ?3, work_unit = ?4, created_ms = ?5,
             triage = ?6, public = ?7, reporter_ref = ?8, supervisor = ?9 WHERE tracking_id = ?1",
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
            row.reporter_ref,
            row.supervisor
        ])
        .map_err(sql_unavailable)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{query, EmbeddedStore};
    use crate::adapters::doc::report_to_json;
    use crate::domain::{Report, Status, TrackingId};
    use crate::ports::{ListPage, ReportList, ReportStore};
    use chrono::{TimeZone, Utc};
    use rusqlite::{params, Connection};
    use std::collections::HashMap;

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
        // The statistics count what was there before them, once.
        let counted = |rows: Vec<crate::stats::StatsRow>| rows[0].counters["received"];
        let national = store.stats("national", "1970-01", "1970-01").await.unwrap();
        assert_eq!(counted(national), 3);
        drop(store);
        // A second open finds nothing left to do.
        let again = EmbeddedStore::open(&path, HashMap::new()).unwrap();
        let public = again.list(&query(ReportList::Public)).await.unwrap();
        assert_eq!(ids(public), vec![held.tracking_id, routed.tracking_id]);
        let national = again.stats("national", "1970-01", "1970-01").await.unwrap();
        assert_eq!(counted(national), 3);
    }
}
