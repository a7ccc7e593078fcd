//! The sweep: reports whose `due_at` passed while still `received` never reached the router
//! (the queue send failed, or the process died between storing and sending). Sending them again
//! is safe because the router is idempotent. The escalation function grows from here.

use super::intake::ROUTING_GRACE;
use super::App;
use crate::domain::{Report, Status};
use crate::ports::{StoreError, UpdateError};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepStats {
    pub items_read: u64,
    pub requeued: u64,
}

/// Queues again the `received` reports due at or before `as_of` (normally now; a runner that
/// restarts alone may look ahead, since no other process can be about to send them).
pub async fn requeue_unrouted(
    app: &App,
    as_of: chrono::DateTime<chrono::Utc>,
    limit: usize,
) -> Result<SweepStats, StoreError> {
    let page = app.store.due(as_of, limit).await?;
    let mut stats = SweepStats {
        items_read: page.items_read,
        requeued: 0,
    };
    for report in page.reports {
        if report.status != Status::Received {
            continue;
        }
        if requeue(app, report, app.clock.now()).await? {
            stats.requeued += 1;
        }
    }
    Ok(stats)
}

/// Publishes a `received` report's announcements again (the router's request, the receipt),
/// moving its due time one grace period past `now`, so a report the router keeps failing on is
/// re-sent once per grace period, not on every pass. `false`: someone else changed it first
/// (and handled it).
pub(super) async fn requeue(
    app: &App,
    mut report: Report,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StoreError> {
    report.due_at = crate::deadlines::due_at(&report, Some(now + ROUTING_GRACE));
    report.version += 1;
    let directory = app.directory.now();
    let messages = super::publish::announcements(&app.pii, &directory, &report);
    match app.store.update_and_publish(&report, &messages).await {
        Ok(()) => Ok(true),
        Err(UpdateError::Conflict) => Ok(false),
        Err(UpdateError::Store(e)) => Err(e),
    }
}
