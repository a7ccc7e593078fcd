//! Ports: the small capabilities the services need from the outside world. Each has an AWS
//! implementation (DynamoDB, SQS) and an embedded one (SQLite), held to one conformance suite.

use crate::domain::{Report, Status, TrackingId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Storage failures. `Unavailable` is worth a retry (throttling, network, a busy store);
/// `Corrupt` is not (an item that does not decode).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored data does not decode: {0}")]
    Corrupt(String),
}

#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    #[error("tracking id already taken")]
    TrackingIdTaken,
    #[error("idempotency key already used")]
    IdempotencyKeyTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// Someone else changed the report first (or it does not exist).
    #[error("the report changed since it was read")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who made an idempotency record. Each origin has its own namespace of keys (a keyed hash with
/// its own purpose), and a record of another origin is never taken for a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IdempotencyOrigin {
    /// A client's `Idempotency-Key` on `POST /v1/reports`.
    #[default]
    Web,
    /// A channel message's provider id (SMS gateway, X, Meta).
    Channel,
}

/// What a retried `POST /v1/reports` with the same `Idempotency-Key` needs to answer the same.
/// Keyed by a keyed hash of the key and its origin; the original response is sealed with a key
/// derived from the idempotency key itself, so the stored record alone reveals no access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub key_hash: String,
    #[serde(default)]
    pub origin: IdempotencyOrigin,
    pub request_hash: String,
    pub tracking_id: TrackingId,
    pub sealed_response: String,
    pub created_at: DateTime<Utc>,
    /// Unix seconds after which the record may be dropped (DynamoDB TTL).
    pub expires_at: i64,
}

/// A page of reports due for attention, oldest due first.
#[derive(Debug, Clone, Default)]
pub struct DuePage {
    pub reports: Vec<Report>,
    /// Items read to produce this page (the cost of a run; the escalation benchmark reports it).
    pub items_read: u64,
}

/// Which list of reports to read; each is its own index (never a table scan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportList {
    /// An institution's inbox: every report it handles, its work units' included.
    Agency(String),
    /// A work unit's inbox: the reports assigned to it.
    WorkUnit(String),
    /// The national verifiers' queue: reports no institution holds yet and not final
    /// (received, needs_triage, deferred by a verifier).
    Triage,
    /// The public feed: reports that are not confidential, held by an institution and not
    /// archived. [`Report::is_public`] says which.
    Public,
    /// One sender's reports on a messaging channel, by [`Report::reporter_ref`].
    Reporter(String),
    /// The `overdue` box of a supervisor: the open reports whose latest supervisor it is
    /// ([`Report::supervision_key`]: an agency id, or `national` for the verifiers).
    Supervised(String),
}

/// Where a listing resumes: just after the report created at `created_ms` with `tracking_id`
/// (lists run newest first). Clients see it as the opaque string of [`ListCursor::encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub created_ms: i64,
    pub tracking_id: TrackingId,
}

impl ListCursor {
    pub fn after(report: &Report) -> ListCursor {
        ListCursor {
            created_ms: report.created_at.timestamp_millis(),
            tracking_id: report.tracking_id.clone(),
        }
    }

    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_ms, self.tracking_id)
    }

    /// This cursor, or `other` when `other` starts the (newest-first) walk further on.
    pub fn earliest(self, other: ListCursor) -> ListCursor {
        if (other.created_ms, other.tracking_id.as_str())
            < (self.created_ms, self.tracking_id.as_str())
        {
            other
        } else {
            self
        }
    }

    /// `None` for anything [`ListCursor::encode`] did not make.
    pub fn decode(text: &str) -> Option<ListCursor> {
        let (ms, id) = text.split_once('.')?;
        Some(ListCursor {
            created_ms: ms.parse().ok().filter(|ms: &i64| *ms >= 0)?,
            tracking_id: TrackingId::parse(id)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub list: ReportList,
    /// Only reports in this status.
    pub status: Option<Status>,
    /// Only reports that are [`Report::is_public`] (the public feed filtered by institution).
    pub public_only: bool,
    pub cursor: Option<ListCursor>,
    /// At most this many reports (1..=100).
    pub limit: usize,
}

/// A page of a listing, newest first. A page may hold fewer than `limit` reports (filters apply
/// after the index read) and still have a `next`: follow it until it is `None`.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub reports: Vec<Report>,
    pub next: Option<ListCursor>,
    /// Items read to produce this page.
    pub items_read: u64,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Stores a new report, and its idempotency record when given: both or neither. An expired
    /// record (as of the new record's `created_at`) no longer holds its key.
    async fn insert(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<(), InsertError>;

    /// Persist and publish: stores the new report (and its idempotency record: both or
    /// neither) and publishes `messages` that announce it. Each family guarantees that a
    /// stored report's messages are published:
    /// - embedded: the messages commit in the write's own transaction (an outbox);
    /// - AWS: each is sent after the conditional write succeeded; a send that fails then does
    ///   not fail the call (the report is stored): the report is made due at once, and the
    ///   sweep publishes what its state announces again (`service::publish::announcements`).
    async fn insert_and_publish(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
        messages: &[Message],
    ) -> Result<(), InsertError>;

    async fn get(&self, id: &TrackingId) -> Result<Option<Report>, StoreError>;

    /// The record for `key_hash` unless it expired by `now` (TTL deletion lags behind).
    async fn get_idempotency(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Replaces the report if the stored version is `report.version - 1`.
    async fn update(&self, report: &Report) -> Result<(), UpdateError>;

    /// Reports whose `due_at` is at or before `now`, read through the due index (never a scan).
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<DuePage, StoreError>;

    /// Persist and publish an update: replaces the report if the stored version is
    /// `report.version - 1`, and publishes `messages` as [`ReportStore::insert_and_publish`]
    /// does.
    async fn update_and_publish(
        &self,
        report: &Report,
        messages: &[Message],
    ) -> Result<(), UpdateError>;

    /// One page of a list of reports, newest first, read through the list's index.
    async fn list(&self, query: &ListQuery) -> Result<ListPage, StoreError>;

    /// The statistics' counters of `scope` (`crate::stats`: `national`, `agency:ID`,
    /// `province:32`, `regency:32.73`) for the months `from..=to` (`YYYY-MM`), oldest first, one
    /// row per month that has any. Every insert and update moves them in its own transaction
    /// (`stats::delta`); reading them never reads a report.
    async fn stats(
        &self,
        scope: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::stats::StatsRow>, StoreError>;

    /// Counts the reports stored before the statistics (an operator's one-off after an upgrade:
    /// `lapor-local stats-backfill`). Safe to run again, and while the system runs.
    async fn backfill_statistics(&self) -> Result<Backfilled, StoreError>;
}

/// What a statistics backfill did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backfilled {
    /// Reports read.
    pub read: u64,
    /// Reports counted now (they had never been).
    pub counted: u64,
    /// Reports that changed while being counted (their own write counted them) or do not
    /// decode: run again to be sure.
    pub skipped: u64,
}

/// A message to publish with a write (`ReportStore::insert_and_publish`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub queue: QueueName,
    pub body: String,
}

/// The queues functions talk through. Each is an SQS queue with a dead-letter queue in AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueName {
    /// intake -> router: a report to route.
    Intake,
    /// every status change -> the notifier: a message for the reporter.
    Notifications,
    /// the attachments bucket's upload events (S3 notifications; the local runner's blob store
    /// sends the same) -> the attachments function.
    Uploads,
}

impl QueueName {
    pub const ALL: [QueueName; 3] = [
        QueueName::Intake,
        QueueName::Notifications,
        QueueName::Uploads,
    ];

    /// The logical id of the queue in `template.yaml`.
    pub fn template_resource(self) -> &'static str {
        match self {
            QueueName::Intake => "IntakeQueue",
            QueueName::Notifications => "NotificationQueue",
            QueueName::Uploads => "UploadQueue",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait MessageQueue: Send + Sync {
    async fn send(&self, queue: QueueName, body: &str) -> Result<(), QueueError>;

    /// Puts a message straight on the queue's dead-letter queue: a consumer giving up on it,
    /// with its reason in `body`, instead of letting it come back until the redrive moves it.
    async fn dead_letter(&self, queue: QueueName, body: &str) -> Result<(), QueueError>;
}

/// A message as a poller received it.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    pub receive_count: u32,
    pub sent_at: DateTime<Utc>,
}

/// The consuming side, used where no Lambda event source exists: the local runner and the tests
/// feed batches to the same handlers the way the SQS event source does.
#[async_trait]
pub trait QueueReceiver: Send + Sync {
    async fn receive(
        &self,
        queue: QueueName,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError>;

    async fn delete(&self, queue: QueueName, receipt_handle: &str) -> Result<(), QueueError>;

    /// Deletes several messages in one call (SQS takes up to 10 per request).
    async fn delete_batch(
        &self,
        queue: QueueName,
        receipt_handles: &[String],
    ) -> Result<(), QueueError> {
        for receipt in receipt_handles {
            self.delete(queue, receipt).await?;
        }
        Ok(())
    }

    /// Messages moved to the queue's dead-letter queue (for operators and tests).
    async fn dead_letters(&self, queue: QueueName) -> Result<Vec<ReceivedMessage>, QueueError>;
}

// ------------------------------------------------------------------ channels

/// Whether the notifier may send a notification now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryClaim {
    /// Nobody sent it and nobody is sending it: send, then `mark_delivered` (or
    /// `release_delivery` when the send failed).
    Acquired,
    /// Sent before: a repeated delivery of the queue message. Nothing to do.
    AlreadySent,
    /// Another invocation holds the claim (its lease has not run out): try again later.
    InFlight,
}

/// How long the notifier remembers a sent notification: longer than the queue keeps a message
/// (14 days), so no redelivery of it can be sent twice.
pub const DELIVERY_MEMORY: chrono::Duration = chrono::Duration::days(15);

/// How long the parts of a concatenated SMS wait for the rest.
pub const FRAGMENT_MEMORY: chrono::Duration = chrono::Duration::hours(24);

/// How long a recipient's count of notices for a day is kept (past the day, in any time zone).
pub const NOTICE_COUNT_MEMORY: chrono::Duration = chrono::Duration::days(2);

/// One part of a long SMS as stored while the rest is awaited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFragment {
    /// 1-based.
    pub part: u8,
    /// The gateway's id of this part: the assembled message's id is made of its parts' ids, so
    /// two messages that share a concatenation reference never pass for one another.
    pub provider_message_id: String,
    pub sealed_text: String,
}

/// The small state the channels keep beside the reports: which notifications were sent, the
/// parts of long SMS still waiting for the rest, and how many notices each recipient got today.
/// Every entry expires (DynamoDB TTL).
#[async_trait]
pub trait ChannelState: Send + Sync {
    /// Claims the sending of `notification_id` for `lease`. A claim whose lease ran out (an
    /// invocation that died mid-send) may be claimed again.
    async fn claim_delivery(
        &self,
        notification_id: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<DeliveryClaim, StoreError>;

    /// Records the notification as sent, for [`DELIVERY_MEMORY`].
    async fn mark_delivered(
        &self,
        notification_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Drops an unfinished claim, so the next attempt may send at once.
    async fn release_delivery(&self, notification_id: &str) -> Result<(), StoreError>;

    /// Stores `fragment`, one of `total` parts of the message group `group` (a part stored
    /// again replaces the earlier one and its expiry starts anew), and returns every part, in
    /// order, once all are stored.
    async fn put_fragment(
        &self,
        group: &str,
        total: u8,
        fragment: &StoredFragment,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<StoredFragment>>, StoreError>;

    /// Forgets `parts` of `group` once their message was handled, so the next message that
    /// reuses the group's reference (handsets wrap an 8-bit one) starts afresh. A part that was
    /// replaced meanwhile by another message's part (another provider id) stays.
    async fn clear_fragments(
        &self,
        group: &str,
        parts: &[StoredFragment],
    ) -> Result<(), StoreError>;

    /// Counts `notification_id` towards what `recipient_day` (a recipient's reference and a
    /// day) may receive: true when it may be sent (counted now, or counted before: a retry of
    /// the same notification is not counted twice), false when `cap` others were counted.
    async fn count_notice(
        &self,
        recipient_day: &str,
        notification_id: &str,
        cap: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests move by hand.
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(std::sync::Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

// ------------------------------------------------------------------ directory and learning

/// The national agency directory as stored: a small reference table (~700 institutions plus
/// work units), written by the `seed` command and read once per cold start, then cached.
#[async_trait]
pub trait AgencyStore: Send + Sync {
    /// Inserts or replaces each agency by id: re-running a seed changes nothing.
    async fn put_agencies(&self, batch: &[crate::directory::Agency]) -> Result<(), StoreError>;

    async fn agency(&self, id: &str) -> Result<Option<crate::directory::Agency>, StoreError>;

    /// Every agency, in no particular order. On DynamoDB this is a Scan: read only when the
    /// published version differs from the compiled-in directory's, never per request.
    async fn agencies(&self) -> Result<Vec<crate::directory::Agency>, StoreError>;

    /// The version the stored directory was published as (`Directory::version`), if it was:
    /// one small read, so a cold start scans the table only when it holds something the
    /// compiled-in directory does not.
    async fn directory_version(&self) -> Result<Option<String>, StoreError>;

    /// Records that the stored agencies are the directory `version`: written after the
    /// agencies, so a reader never takes a half-written table for a published one.
    async fn set_directory_version(&self, version: &str) -> Result<(), StoreError>;
}

/// A human decision about a report's institution, kept as a labelled example for retraining.
/// Holds what the model reads (kind, title, body, region) and the router's earlier decision for
/// audit; never the reporter's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingExample {
    pub tracking_id: TrackingId,
    /// The report's version right after the decision: one example per decision, and re-recording
    /// the same decision overwrites it. The trainer keeps the latest decision per report.
    pub decided_version: u64,
    pub kind: crate::domain::ReportKind,
    pub title: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_text: Option<String>,
    /// The institution the human chose.
    pub expected_agency: String,
    /// What the router had decided before, if it had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router_decision: Option<crate::domain::RoutingRecord>,
    /// A verifier or an officer (role and staff id), never a reporter.
    pub actor: crate::domain::Actor,
    pub recorded_at: DateTime<Utc>,
}

#[async_trait]
pub trait RoutingExampleStore: Send + Sync {
    /// Inserts or replaces the example keyed by (tracking id, decided version).
    async fn put_example(&self, example: &RoutingExample) -> Result<(), StoreError>;

    /// Every stored example (a Scan on DynamoDB: read by the retrain job only).
    async fn examples(&self) -> Result<Vec<RoutingExample>, StoreError>;
}

/// Published routing model artifacts and the pointer to the current one.
#[async_trait]
pub trait ModelStore: Send + Sync {
    /// Stores the artifact under `version`, then points `current` at it (in that order, so a
    /// reader never follows the pointer to a partial artifact).
    async fn publish(&self, version: &str, artifact: &[u8]) -> Result<(), StoreError>;

    /// The version `current` points at, if any was published. Cheap: one small read.
    async fn current_version(&self) -> Result<Option<String>, StoreError>;

    /// The artifact of `version`, if stored.
    async fn artifact(&self, version: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

// ------------------------------------------------------------------ blobs (attachments)

/// A request a client makes itself, straight to the blob store: a presigned S3 `PUT`, or the
/// local runner's signed URL. Every header listed must be sent as given (they are signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedRequest {
    pub method: String,
    pub url: String,
    pub headers: std::collections::BTreeMap<String, String>,
}

/// Where attachments' bytes live: one private S3 bucket, or files in the local runner's data
/// dir. Keys are `attachments::keys`. Clients never read or write it except through the
/// short-lived signed URLs it makes.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A URL to `PUT` exactly `length` bytes of `content_type` to `key`, for `ttl`: the type and
    /// length are part of the signature, so another type or size is refused by the store.
    async fn upload_request(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<SignedRequest, StoreError>;

    /// A URL to `GET` `key` for `ttl`, answered with `content_type` and `Content-Disposition:
    /// <disposition>` (`inline` for images shown on a page, `attachment; filename=...` for
    /// documents, so a browser never renders a PDF on our origin).
    async fn download_url(
        &self,
        key: &str,
        content_type: &str,
        disposition: &str,
        ttl: Duration,
    ) -> Result<String, StoreError>;

    /// The object's bytes, none when absent. Reads at most `limit + 1` bytes, so an object
    /// larger than `limit` is seen as such without being read whole.
    async fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>, StoreError>;

    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), StoreError>;

    /// Deletes `key`; deleting what is absent is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// The origin download URLs point at, for the pages' Content-Security-Policy (`img-src`);
    /// none when it is the pages' own origin.
    fn origin(&self) -> Option<String>;
}
