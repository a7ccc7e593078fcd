#![allow(clippy::disallowed_methods)] // the directory module is where the compiled-in directory is built
//! The one directory a process serves from.
//!
//! At cold start [`LiveDirectory::start`] reads the version the agencies table was published as
//! (one small read). When it is the compiled-in directory's, the compiled-in one is used and the
//! table is never scanned; when it differs (institutions or work units were added to the table),
//! the table is read once and becomes the directory. Every [`RECHECK_EVERY`] the first request
//! to need it reads the version again and swaps in a newly published directory: an institution
//! added to the table is targeted, routed to, timed in its own zone and named in every view by
//! every function alike, without a deploy.

use super::{Agency, Directory, BUILTIN_VERSION};
use crate::ports::{AgencyStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often a running function looks for a newly published directory.
pub const RECHECK_EVERY: Duration = Duration::from_secs(300);

pub struct LiveDirectory {
    store: Option<Arc<dyn AgencyStore>>,
    recheck: Duration,
    current: RwLock<Arc<Directory>>,
    next_check: Mutex<Instant>,
}

impl LiveDirectory {
    /// One directory for good (tests, tools): no store, no re-check.
    pub fn fixed(directory: Arc<Directory>) -> LiveDirectory {
        LiveDirectory {
            store: None,
            recheck: Duration::MAX,
            current: RwLock::new(directory),
            next_check: Mutex::new(Instant::now()),
        }
    }

    /// The compiled-in directory for good.
    pub fn builtin() -> LiveDirectory {
        LiveDirectory::fixed(Directory::builtin())
    }

    /// The published directory: the compiled-in one when the table says it is that one (or was
    /// never seeded), else the table's.
    pub async fn start(
        store: Arc<dyn AgencyStore>,
        recheck: Duration,
    ) -> Result<LiveDirectory, StoreError> {
        let directory = load(&*store, None)
            .await?
            .unwrap_or_else(Directory::builtin);
        Ok(LiveDirectory {
            store: Some(store),
            recheck,
            current: RwLock::new(directory),
            next_check: Mutex::new(later(Instant::now(), recheck)),
        })
    }

    /// The directory to use now; looks for a newly published one when the re-check is due
    /// (a failed re-check keeps the current one).
    pub async fn current(&self) -> Arc<Directory> {
        let due = {
            let mut next = self.next_check.lock().expect("directory check lock");
            let now = Instant::now();
            if self.store.is_some() && now >= *next {
                // Claimed: concurrent callers do not all check at once.
                *next = later(now, self.recheck);
                true
            } else {
                false
            }
        };
        if due {
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "re-checking the published directory failed; keeping the current one");
            }
        }
        self.now()
    }

    /// The directory in use, without a re-check (for what must not wait on the store).
    pub fn now(&self) -> Arc<Directory> {
        self.current.read().expect("directory lock").clone()
    }

    /// Reads the published version now and swaps in a different directory; true when it did.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let Some(store) = &self.store else {
            return Ok(false);
        };
        let current = self.now();
        match load(&**store, Some(current.version())).await? {
            Some(newer) => {
                tracing::info!(
                    version = newer.version(),
                    agencies = newer.all().len(),
                    "newly published directory loaded"
                );
                *self.current.write().expect("directory lock") = newer;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// The published directory unless it is `have` (then `None`): the compiled-in one for its own
/// version or an unseeded table, the table's otherwise.
async fn load(
    store: &dyn AgencyStore,
    have: Option<&str>,
) -> Result<Option<Arc<Directory>>, StoreError> {
    let published = store.directory_version().await?;
    let wanted = published.as_deref().unwrap_or(BUILTIN_VERSION);
    if have == Some(wanted) {
        return Ok(None);
    }
    if wanted == BUILTIN_VERSION {
        if published.is_none() {
            tracing::warn!("the agencies table was never published (run `lapor-local seed`): serving the compiled-in directory");
        }
        return Ok(Some(Directory::builtin()));
    }
    let started = Instant::now();
    let agencies = store.agencies().await?;
    let directory = from_table(agencies, wanted);
    tracing::info!(
        version = wanted,
        agencies = directory.all().len(),
        load_ms = started.elapsed().as_secs_f64() * 1e3,
        "directory loaded from the table"
    );
    Ok(Some(Arc::new(directory)))
}

/// The table's agencies as a directory: the compiled-in order first (central institutions, then
/// provinces and their kabupaten/kota), additions after by id, so search ranks ties the same way
/// everywhere.
fn from_table(mut agencies: Vec<Agency>, version: &str) -> Directory {
    let builtin = Directory::builtin();
    let position: HashMap<&str, usize> = builtin
        .all()
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    agencies.sort_by(|a, b| {
        let pa = position.get(a.id.as_str()).copied().unwrap_or(usize::MAX);
        let pb = position.get(b.id.as_str()).copied().unwrap_or(usize::MAX);
        pa.cmp(&pb).then_with(|| a.id.cmp(&b.id))
    });
    Directory::from_agencies(agencies).versioned(version)
}

fn later(now: Instant, by: Duration) -> Instant {
    now.checked_add(by)
        .unwrap_or(now + Duration::from_secs(86_400 * 365))
}
