//! `ReportStore` on SQLite: the `reports` and `idempotency` tables, a report's row (the document
//! and the columns the indexes read), and the SQL of the lists.

use super::queues::enqueue;
use super::stats::apply as apply_stats;
use super::writer::WriteFail;
use super::{millis, EmbeddedStore};
use crate::adapters::doc::{idempotency_from_json, report_from_json, report_to_json};
use crate::domain::{Report, TrackingId};
use crate::ports::{
    DuePage, IdempotencyRecord, InsertError, ListCursor, ListPage, ListQuery, Message, ReportList,
    ReportStore, StoreError, UpdateError,
};
use crate::stats::{self, Facts, StatsRow};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, OptionalExtension};

/// A report as its `reports` row: the document and every column an index or a filter reads, all
/// derived from the report here, so insert, update and the migration cannot disagree.
pub(super) struct ReportRow {
    pub(super) tracking_id: String,
    pub(super) version: i64,
    pub(super) status: &'static str,
    pub(super) agency_id: Option<String>,
    pub(super) work_unit: Option<String>,
    pub(super) created_at: String,
    pub(super) created_ms: i64,
    pub(super) triage: bool,
    pub(super) public: bool,
    pub(super) due_at: Option<i64>,
    pub(super) reporter_ref: Option<String>,
    pub(super) supervisor: Option<String>,
    pub(super) doc: String,
    /// What the report contributes to the statistics (`crate::stats`), stored beside it.
    pub(super) facts: Facts,
}

impl ReportRow {
    pub(super) fn of(report: &Report) -> ReportRow {
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
            supervisor: report.supervision_key(),
            doc: report_to_json(report),
            facts: stats::facts(report),
        }
    }
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
        ReportList::Supervised(key) => {
            sql.push_str("supervisor = ?");
            args.push(SqlValue::Text(key.clone()));
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

impl EmbeddedStore {
    async fn insert_with(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
        messages: Vec<Message>,
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
                        created_at, created_ms, triage, public, due_at, doc, reporter_ref, supervisor,
                        stats)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
                    row.reporter_ref,
                    row.supervisor,
                    row.facts.encode()
                ])?;
                if inserted == 0 {
                    return Err(WriteFail::Rejected(InsertError::TrackingIdTaken));
                }
                apply_stats(conn, &stats::delta(None, &row.facts))?;
                for message in &messages {
                    enqueue(conn, message.queue, &message.body)?;
                }
                Ok(())
            })
            .await?;
        outcome
    }

    async fn update_with(
        &self,
        report: &Report,
        messages: Vec<Message>,
    ) -> Result<(), UpdateError> {
        let row = ReportRow::of(report);
        self.write(move |conn| {
            // What the stored version contributed, read in the write's own transaction.
            let stored: Option<Option<String>> = conn
                .prepare_cached(
                    "SELECT stats FROM reports WHERE tracking_id = ?1 AND version = ?2 - 1",
                )?
                .query_row(params![row.tracking_id, row.version], |r| r.get(0))
                .optional()?;
            let Some(stored) = stored else {
                return Err(WriteFail::Rejected(UpdateError::Conflict));
            };
            let stored = stored.as_deref().and_then(Facts::decode);
            let changed = conn
                .prepare_cached(
                    "UPDATE reports SET version = ?2, status = ?3, agency_id = ?4, work_unit = ?5,
                        created_at = ?6, created_ms = ?7, triage = ?8, public = ?9, due_at = ?10,
                        doc = ?11, supervisor = ?12, stats = ?13
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
                    row.doc,
                    row.supervisor,
                    row.facts.encode()
                ])?;
            if changed == 0 {
                return Err(WriteFail::Rejected(UpdateError::Conflict));
            }
            apply_stats(conn, &stats::delta(stored.as_ref(), &row.facts))?;
            for message in &messages {
                enqueue(conn, message.queue, &message.body)?;
            }
            Ok(())
        })
        .await?
    }
}

#[async_trait]
impl ReportStore for EmbeddedStore {
    async fn insert(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<(), InsertError> {
        self.insert_with(report, idempotency, Vec::new()).await
    }

    /// The outbox: the report and its messages commit together, so no crash can leave a stored
    /// report unannounced.
    async fn insert_and_publish(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
        messages: &[Message],
    ) -> Result<(), InsertError> {
        self.insert_with(report, idempotency, messages.to_vec())
            .await
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
        self.update_with(report, Vec::new()).await
    }

    /// The outbox again: the change and its messages (notices) commit together.
    async fn update_and_publish(
        &self,
        report: &Report,
        messages: &[Message],
    ) -> Result<(), UpdateError> {
        self.update_with(report, messages.to_vec()).await
    }

    async fn stats(&self, scope: &str, from: &str, to: &str) -> Result<Vec<StatsRow>, StoreError> {
        self.read_stats(scope, from, to).await
    }

    /// Nothing left to do: the store counted its reports when it opened
    /// (`stats::add_stats_column`).
    async fn backfill_statistics(&self) -> Result<crate::ports::Backfilled, StoreError> {
        let read: i64 = self
            .read(|conn| conn.query_row("SELECT COUNT(*) FROM reports", [], |row| row.get(0)))
            .await?;
        Ok(crate::ports::Backfilled {
            read: read.max(0) as u64,
            ..Default::default()
        })
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

#[cfg(test)]
mod tests {
    use super::super::{query, EmbeddedStore};
    use super::list_sql;
    use crate::domain::{Status, TrackingId};
    use crate::ports::{ListCursor, ReportList};
    use rusqlite::{params_from_iter, Connection};
    use std::collections::HashMap;

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
            (
                ReportList::Supervised("pemda-32".into()),
                "reports_by_supervisor",
            ),
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
}
