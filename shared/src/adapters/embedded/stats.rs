//! The statistics' counters on SQLite: one row per scope, month and counter, moved in the same
//! transaction as the report write that changes them (`reports.rs`), and the migration that
//! counts the reports of a database made before the statistics.

use super::sql_unavailable;
use super::EmbeddedStore;
use crate::adapters::doc::report_from_json;
use crate::ports::StoreError;
use crate::stats::{self, Contribution, StatsRow};
use rusqlite::{params, Connection};

pub(super) const STATS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS stats (
    scope TEXT NOT NULL,
    period TEXT NOT NULL,
    counter TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (scope, period, counter)
) WITHOUT ROWID;
";

/// Adds `delta` to the counters (inside the caller's transaction).
pub(super) fn apply(conn: &Connection, delta: &Contribution) -> rusqlite::Result<()> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO stats (scope, period, counter, value) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (scope, period, counter) DO UPDATE SET value = value + excluded.value",
    )?;
    for ((scope, period), counters) in delta {
        for (counter, n) in counters {
            upsert.execute(params![scope, period, counter, n])?;
        }
    }
    Ok(())
}

/// Gives a database made before the statistics its `stats` column, and counts every report it
/// holds, in one transaction (a crash leaves the old schema, redone at the next open).
pub(super) fn add_stats_column(conn: &Connection) -> Result<(), StoreError> {
    if has_stats_column(conn)? {
        return Ok(());
    }
    super::schema::in_write_transaction(conn, count_existing)
}

fn has_stats_column(conn: &Connection) -> Result<bool, StoreError> {
    conn.prepare("SELECT 1 FROM pragma_table_info('reports') WHERE name = 'stats'")
        .and_then(|mut stmt| stmt.exists([]))
        .map_err(sql_unavailable)
}

fn count_existing(conn: &Connection) -> Result<(), StoreError> {
    // Again inside the transaction: another process may have done it meanwhile.
    if has_stats_column(conn)? {
        return Ok(());
    }
    conn.execute_batch("ALTER TABLE reports ADD COLUMN stats TEXT")
        .map_err(sql_unavailable)?;
    let docs = super::schema::every_report(conn)?;
    for (tracking_id, doc) in docs {
        let Ok(report) = report_from_json(&doc) else {
            tracing::warn!(%tracking_id, "a stored report does not decode; not counted");
            continue;
        };
        let facts = stats::facts(&report);
        apply(conn, &stats::delta(None, &facts)).map_err(sql_unavailable)?;
        conn.execute(
            "UPDATE reports SET stats = ?2 WHERE tracking_id = ?1",
            params![tracking_id, facts.encode()],
        )
        .map_err(sql_unavailable)?;
    }
    Ok(())
}

impl EmbeddedStore {
    /// The counters of `scope` for the months `from..=to` (`YYYY-MM`), one row per month that
    /// has any.
    pub(super) async fn read_stats(
        &self,
        scope: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<StatsRow>, StoreError> {
        let (scope, from, to) = (scope.to_string(), from.to_string(), to.to_string());
        let cells: Vec<(String, String, i64)> = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT period, counter, value FROM stats
                     WHERE scope = ?1 AND period BETWEEN ?2 AND ?3 ORDER BY period",
                )?;
                let rows = stmt.query_map(params![scope, from, to], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?;
                rows.collect()
            })
            .await?;
        let mut out: Vec<StatsRow> = Vec::new();
        for (period, counter, value) in cells {
            if out.last().is_none_or(|row| row.period != period) {
                out.push(StatsRow {
                    period: period.clone(),
                    ..StatsRow::default()
                });
            }
            let row = out.last_mut().expect("pushed above");
            if value != 0 {
                row.counters.insert(counter, value);
            }
        }
        Ok(out)
    }
}
