//! The group-commit writer thread and the pool of read-only connections: every write goes
//! through `write` (in its own savepoint of a shared commit), every read through `read`.

use super::{sql_unavailable, EmbeddedStore};
use crate::ports::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most writes one commit takes; bounds the latency a commit adds to the first write in it.
const MAX_GROUP: usize = 512;

pub(super) type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A write: run against the open transaction, or told that none could be opened (then it must
/// not touch the database, so nothing it does can commit behind its caller's back).
pub(super) type Job = Box<dyn FnOnce(Result<&Connection, String>) -> (bool, Completion) + Send>;

/// What a write closure may fail with: its own outcome (kept by rolling back its savepoint),
/// distinct from SQLite failing.
pub(super) enum WriteFail<E> {
    Rejected(E),
    Sql(rusqlite::Error),
}

impl<E> From<rusqlite::Error> for WriteFail<E> {
    fn from(e: rusqlite::Error) -> Self {
        WriteFail::Sql(e)
    }
}

impl EmbeddedStore {
    pub(super) async fn write<T, E>(
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

    pub(super) async fn read<T: Send + 'static>(
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
}

pub(super) fn writer_loop(conn: Connection, jobs: mpsc::Receiver<Job>) {
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

/// A write that never rejects (its rejection type is `()`) has only SQLite's failures left.
pub(super) fn unrejected<T>(outcome: Result<Result<T, ()>, StoreError>) -> Result<T, StoreError> {
    outcome?.map_err(|_| StoreError::Unavailable("write rejected".into()))
}
