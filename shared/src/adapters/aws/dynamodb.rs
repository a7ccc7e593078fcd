//! `ReportStore` on DynamoDB: one item per report (native attributes), conditional writes on the
//! version, one transaction for the report, its idempotency record and the statistics'
//! counters its change moves (`crate::stats`), a sparse GSI for due reports and one
//! GSI per list (agency, work unit, triage, public feed), each sorted by creation time.

use super::attributes::{from_item, to_item};
use crate::config::attributes::{
    AGENCY_ID, CREATED_MS, DUE_MS, DUE_SHARD as DUE_SHARD_ATTRIBUTE, IDEMPOTENCY_KEY, PUBLIC_FEED,
    REPORTER_REF, REPORTS_KEY, STATS_FACTS, STATS_PERIOD, STATS_SCOPE, SUPERVISOR, TRIAGE_QUEUE,
    WORK_UNIT,
};
use crate::config::indexes;
use crate::domain::{Report, TrackingId};
use crate::ports::{
    Backfilled, DuePage, IdempotencyRecord, InsertError, ListCursor, ListPage, ListQuery, Message,
    MessageQueue, ReportList, ReportStore, StoreError, UpdateError,
};
use crate::stats::{self, Contribution, Facts, StatsRow};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// Open311 API keys, in the idempotency table under their own prefix.
#[path = "api_keys.rs"]
mod api_keys;

/// Every due report shares one partition of the due index. At LAPOR's load (a few thousand
/// reports a day) one partition is far from its limits; shard by suffix if that ever changes.
const DUE_SHARD: &str = "due";
/// The sort key of a report's statistics facts item (`report:<id>`, `facts`).
const FACTS_PERIOD: &str = "facts";
/// Messages of one write sent to SQS at once.
const PUBLISH_AT_ONCE: usize = 16;
/// The one partition of the sparse triage index: present only while a report waits for verifiers.
const TRIAGE: &str = "triage";
/// The one partition of the sparse public index: present only while the feed may list a report.
const PUBLIC: &str = "public";

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    reports_table: String,
    idempotency_table: String,
    /// The statistics' counters (`crate::stats`), moved in each write's transaction.
    stats_table: String,
    /// Where the messages of a persist-and-publish go (SQS); none for a store that only reads
    /// and writes (tools, the status function).
    publisher: Option<Arc<dyn MessageQueue>>,
}

impl DynamoStore {
    pub fn new(
        client: Client,
        reports_table: String,
        idempotency_table: String,
        stats_table: String,
    ) -> DynamoStore {
        DynamoStore {
            client,
            reports_table,
            idempotency_table,
            stats_table,
            publisher: None,
        }
    }

    /// The same store, publishing the messages of its writes to `queue`.
    pub fn publishing_to(mut self, queue: Arc<dyn MessageQueue>) -> DynamoStore {
        self.publisher = Some(queue);
        self
    }

    /// Sends `messages` after their write succeeded. A send that fails leaves the report due
    /// now, so the sweep publishes its announcements again; that the write stands is the
    /// caller's answer either way.
    async fn publish(&self, report: &Report, messages: &[Message]) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        let Some(queue) = &self.publisher else {
            return Err(StoreError::Unavailable(
                "this store was built without a queue to publish to".into(),
            ));
        };
        // Several at once: a follow-up on a report with hundreds of supporters sends as many
        // notices, within the request's time.
        for chunk in messages.chunks(PUBLISH_AT_ONCE) {
            let mut sends = Vec::with_capacity(chunk.len());
            for message in chunk {
                sends.push(queue.send(message.queue, &message.body));
            }
            let failed = futures::future::join_all(sends)
                .await
                .into_iter()
                .find_map(Result::err);
            if let Some(e) = failed {
                tracing::warn!(tracking_id = %report.tracking_id, error = %e,
                    "message not published after its write; the report is left for the sweep");
                self.due_now(report).await;
                return Ok(());
            }
        }
        Ok(())
    }

    /// Marks the stored report (still at `report.version`) due now, for the sweep. A failure is
    /// logged: the write stood, and nothing more can be done here.
    async fn due_now(&self, report: &Report) {
        let result = self
            .client
            .update_item()
            .table_name(&self.reports_table)
            .key(
                REPORTS_KEY,
                AttributeValue::S(report.tracking_id.to_string()),
            )
            .update_expression("SET #shard = :shard, #due = :now")
            .condition_expression("version = :version")
            .expression_attribute_names("#shard", DUE_SHARD_ATTRIBUTE)
            .expression_attribute_names("#due", DUE_MS)
            .expression_attribute_values(":shard", AttributeValue::S(DUE_SHARD.into()))
            .expression_attribute_values(
                ":now",
                AttributeValue::N(Utc::now().timestamp_millis().to_string()),
            )
            .expression_attribute_values(":version", AttributeValue::N(report.version.to_string()))
            .send()
            .await;
        if let Err(e) = result {
            tracing::error!(tracking_id = %report.tracking_id, error = %unavailable(e),
                "report not marked for the sweep: its messages may stay unpublished");
        }
    }

    fn report_put(&self, report: &Report, condition: &str) -> Put {
        let mut put = Put::builder()
            .table_name(&self.reports_table)
            .set_item(Some(report_item(report)))
            .condition_expression(condition);
        if condition.contains(":expected") {
            put = put.expression_attribute_values(
                ":expected",
                AttributeValue::N((report.version - 1).to_string()),
            );
        }
        put.build().expect("table, item and condition are set")
    }

    /// One `ADD` per scope and month of `delta`.
    fn stats_updates(&self, delta: &Contribution) -> Vec<TransactWriteItem> {
        delta
            .iter()
            .map(|((scope, period), counters)| {
                let mut update = Update::builder()
                    .table_name(&self.stats_table)
                    .key(STATS_SCOPE, AttributeValue::S(scope.clone()))
                    .key(STATS_PERIOD, AttributeValue::S(period.clone()));
                let mut adds = Vec::new();
                for (i, (counter, n)) in counters.iter().enumerate() {
                    adds.push(format!("#c{i} :v{i}"));
                    update = update
                        .expression_attribute_names(format!("#c{i}"), counter)
                        .expression_attribute_values(
                            format!(":v{i}"),
                            AttributeValue::N(n.to_string()),
                        );
                }
                let update = update
                    .update_expression(format!("ADD {}", adds.join(", ")))
                    .build()
                    .expect("table, key and expression are set");
                TransactWriteItem::builder().update(update).build()
            })
            .collect()
    }

    /// The key of the item holding what a report contributes to the statistics: in the
    /// statistics table, apart from the report, so that a write by code that knows nothing of
    /// them (an older version during a deploy) cannot lose them.
    fn facts_key(id: &TrackingId) -> [(&'static str, AttributeValue); 2] {
        [
            (STATS_SCOPE, AttributeValue::S(format!("report:{id}"))),
            (STATS_PERIOD, AttributeValue::S(FACTS_PERIOD.into())),
        ]
    }

    /// What the report counts for now, as its last counted write stored it; none for a report
    /// never counted. A strongly consistent read: the transaction that follows writes only if
    /// the report is still at the version the caller read, and every counted write of a newer
    /// version replaced these facts in its own transaction, so they are the ones to replace.
    async fn stored_facts(&self, id: &TrackingId) -> Result<StoredFacts, StoreError> {
        let mut get = self
            .client
            .get_item()
            .table_name(&self.stats_table)
            .consistent_read(true);
        for (name, value) in Self::facts_key(id) {
            get = get.key(name, value);
        }
        let out = get.send().await.map_err(unavailable)?;
        Ok(match out.item().and_then(|item| item.get(STATS_FACTS)) {
            None => StoredFacts::None,
            Some(AttributeValue::S(text)) => match Facts::decode(text) {
                Some(facts) => StoredFacts::Counted(facts, text.clone()),
                None => StoredFacts::Unreadable(text.clone()),
            },
            Some(other) => StoredFacts::Unreadable(format!("{other:?}")),
        })
    }

    /// The transaction's statistics items for `report`: its facts, and the counters moved from
    /// `stored` to them. Facts this code cannot read (written by a newer version) move nothing:
    /// subtracting a guess would be worse than leaving the report counted as it was.
    fn stats_items(&self, report: &Report, stored: StoredFacts) -> Vec<TransactWriteItem> {
        let facts = stats::facts(report);
        let mut item: HashMap<String, AttributeValue> = Self::facts_key(&report.tracking_id)
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect();
        item.insert(STATS_FACTS.into(), AttributeValue::S(facts.encode()));
        // Only over the facts read: a backfill (or another writer) that counted the report
        // meanwhile makes this write a conflict to retry, never a second count.
        let put = Put::builder()
            .table_name(&self.stats_table)
            .set_item(Some(item))
            .expression_attribute_names("#facts", STATS_FACTS);
        let put = match &stored {
            StoredFacts::None => put.condition_expression("attribute_not_exists(#facts)"),
            StoredFacts::Counted(_, text) | StoredFacts::Unreadable(text) => put
                .condition_expression("#facts = :facts")
                .expression_attribute_values(":facts", AttributeValue::S(text.clone())),
        };
        let put = put.build().expect("table and item are set");
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        match stored {
            StoredFacts::None => items.extend(self.stats_updates(&stats::delta(None, &facts))),
            StoredFacts::Counted(old, _) => {
                items.extend(self.stats_updates(&stats::delta(Some(&old), &facts)))
            }
            StoredFacts::Unreadable(_) => {
                tracing::error!(tracking_id = %report.tracking_id,
                    "statistics facts unreadable by this version: the counters are left as they are")
            }
        }
        items
    }

    /// Runs a write transaction, again while it is cancelled only by another transaction on a
    /// shared item (the national counters are in every write): the conditions decide, never a
    /// race between two unrelated reports. Answers the cancellation reasons' codes otherwise.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactFailure> {
        let mut pause = std::time::Duration::from_millis(20);
        for attempt in 0.. {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let e = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            let codes: Vec<String> = e
                .as_service_error()
                .and_then(|s| match s {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => {
                        Some(c.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_string()).collect())
                    }
                    _ => None,
                })
                .unwrap_or_default();
            let conflict_only = !codes.is_empty()
                && codes
                    .iter()
                    .all(|c| c == "TransactionConflict" || c == "None")
                && codes.iter().any(|c| c == "TransactionConflict");
            if conflict_only && attempt < 8 {
                // Jittered, so two writers that collided do not collide again in step.
                let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=pause.as_millis());
                tokio::time::sleep(pause + std::time::Duration::from_millis(jitter as u64)).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(500));
                continue;
            }
            if codes.is_empty() {
                return Err(TransactFailure::Store(unavailable(e)));
            }
            if !codes.iter().any(|c| c == "ConditionalCheckFailed") {
                return Err(TransactFailure::Store(unavailable(e)));
            }
            return Err(TransactFailure::Condition(codes));
        }
        unreachable!("the loop returns")
    }
}

/// What a report counted for before a write (with the stored text, which the write is
/// conditional on).
enum StoredFacts {
    /// Never counted (a new report, or one stored before the statistics).
    None,
    Counted(Facts, String),
    /// Written by a version of the code that knows more than this one.
    Unreadable(String),
}

/// Why a write transaction did not happen.
enum TransactFailure {
    /// A condition failed: the reason code of each item, in order.
    Condition(Vec<String>),
    Store(StoreError),
}

/// The item: the report's document plus the index keys derived from it: `created_ms` always, the
/// due keys when something is pending, and the sparse triage and public markers only while they
/// hold (an index key must be absent, never NULL: a NULL is the wrong type for a key and is
/// refused). `agency_id` and `work_unit` are the document's own attributes, absent when unset
/// (`skip_serializing_if`).
pub fn report_item(report: &Report) -> HashMap<String, AttributeValue> {
    let mut item = to_item(report);
    item.insert(
        CREATED_MS.into(),
        AttributeValue::N(report.created_at.timestamp_millis().to_string()),
    );
    if report.is_in_triage() {
        item.insert(TRIAGE_QUEUE.into(), AttributeValue::S(TRIAGE.into()));
    }
    if report.is_public() {
        item.insert(PUBLIC_FEED.into(), AttributeValue::S(PUBLIC.into()));
    }
    // The document's `supervisors` is a list (no index key); the box reads its latest entry.
    if let Some(key) = report.supervision_key() {
        item.insert(SUPERVISOR.into(), AttributeValue::S(key));
    }
    if let Some(due) = report.due_at {
        item.insert(
            DUE_SHARD_ATTRIBUTE.into(),
            AttributeValue::S(DUE_SHARD.into()),
        );
        item.insert(
            DUE_MS.into(),
            AttributeValue::N(due.timestamp_millis().to_string()),
        );
    }
    item
}

fn report_from_item(item: &HashMap<String, AttributeValue>) -> Result<Report, StoreError> {
    from_item("report", item)
}

/// The index a list reads, its partition attribute and the partition's value.
fn list_index(list: &ReportList) -> (&'static str, &'static str, String) {
    match list {
        ReportList::Agency(id) => (indexes::REPORTS_BY_AGENCY, AGENCY_ID, id.clone()),
        ReportList::WorkUnit(unit) => (indexes::REPORTS_BY_WORK_UNIT, WORK_UNIT, unit.clone()),
        ReportList::Triage => (indexes::REPORTS_BY_TRIAGE, TRIAGE_QUEUE, TRIAGE.into()),
        ReportList::Public => (indexes::REPORTS_BY_PUBLIC, PUBLIC_FEED, PUBLIC.into()),
        ReportList::Reporter(reference) => (
            indexes::REPORTS_BY_REPORTER,
            REPORTER_REF,
            reference.clone(),
        ),
        ReportList::Supervised(key) => (indexes::REPORTS_BY_SUPERVISOR, SUPERVISOR, key.clone()),
    }
}

/// Where a list query resumes: a GSI's start key is the table key plus the index key.
fn start_key(
    cursor: &ListCursor,
    partition: &'static str,
    value: &str,
) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (
            REPORTS_KEY.to_string(),
            AttributeValue::S(cursor.tracking_id.to_string()),
        ),
        (partition.to_string(), AttributeValue::S(value.to_string())),
        (
            CREATED_MS.to_string(),
            AttributeValue::N(cursor.created_ms.to_string()),
        ),
    ])
}

/// The cursor of a `LastEvaluatedKey` (the other way round from [`start_key`]).
fn cursor_of(key: &HashMap<String, AttributeValue>) -> Result<ListCursor, StoreError> {
    let created_ms = key
        .get(CREATED_MS)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok());
    let tracking_id = key
        .get(REPORTS_KEY)
        .and_then(|v| v.as_s().ok())
        .and_then(|s| TrackingId::parse(s));
    match (created_ms, tracking_id) {
        (Some(created_ms), Some(tracking_id)) => Ok(ListCursor {
            created_ms,
            tracking_id,
        }),
        _ => Err(StoreError::Corrupt(format!(
            "list: unexpected LastEvaluatedKey {key:?}"
        ))),
    }
}

/// An SDK failure as a retryable store error (every DynamoDB adapter shares it).
pub(super) fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(&e).to_string())
}

#[async_trait]
impl ReportStore for DynamoStore {
    /// One transaction: the report (if its tracking id is free), its idempotency record (if its
    /// key is free or expired), and its first counts.
    async fn insert(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<(), InsertError> {
        let mut items = vec![TransactWriteItem::builder()
            .put(self.report_put(report, "attribute_not_exists(tracking_id)"))
            .build()];
        if let Some(record) = idempotency {
            let idempotency_put = Put::builder()
                .table_name(&self.idempotency_table)
                .set_item(Some(to_item(record)))
                // An expired record (TTL deletion lags) no longer holds its key.
                .condition_expression("attribute_not_exists(key_hash) OR expires_at < :now")
                .expression_attribute_values(
                    ":now",
                    AttributeValue::N(record.created_at.timestamp().to_string()),
                )
                .build()
                .expect("table, item and condition are set");
            items.push(TransactWriteItem::builder().put(idempotency_put).build());
        }
        items.extend(self.stats_items(report, StoredFacts::None));
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TransactFailure::Store(e)) => Err(e.into()),
            Err(TransactFailure::Condition(codes)) => {
                let failed = |i: usize| codes.get(i).is_some_and(|c| c == "ConditionalCheckFailed");
                if idempotency.is_some() && failed(1) {
                    Err(InsertError::IdempotencyKeyTaken)
                } else {
                    Err(InsertError::TrackingIdTaken)
                }
            }
        }
    }

    async fn insert_and_publish(
        &self,
        report: &Report,
        idempotency: Option<&IdempotencyRecord>,
        messages: &[Message],
    ) -> Result<(), InsertError> {
        self.insert(report, idempotency).await?;
        Ok(self.publish(report, messages).await?)
    }

    async fn update_and_publish(
        &self,
        report: &Report,
        messages: &[Message],
    ) -> Result<(), UpdateError> {
        self.update(report).await?;
        Ok(self.publish(report, messages).await?)
    }

    async fn get(&self, id: &TrackingId) -> Result<Option<Report>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.reports_table)
            .key(REPORTS_KEY, AttributeValue::S(id.to_string()))
            // The router reads right after intake wrote.
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item().map(report_from_item).transpose()
    }

    async fn get_idempotency(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.idempotency_table)
            .key(IDEMPOTENCY_KEY, AttributeValue::S(key_hash.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let record: IdempotencyRecord = from_item("idempotency", item)?;
        Ok((record.expires_at >= now.timestamp()).then_some(record))
    }

    /// Reads the report's statistics facts, then one transaction: the report if the stored
    /// version is still `report.version - 1`, its new facts, and the counters moved by the
    /// difference.
    async fn update(&self, report: &Report) -> Result<(), UpdateError> {
        if report.version == 0 {
            return Err(UpdateError::Conflict);
        }
        let stored = self.stored_facts(&report.tracking_id).await?;
        let mut items = vec![TransactWriteItem::builder()
            .put(self.report_put(report, "version = :expected"))
            .build()];
        items.extend(self.stats_items(report, stored));
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TransactFailure::Condition(_)) => Err(UpdateError::Conflict),
            Err(TransactFailure::Store(e)) => Err(e.into()),
        }
    }

    /// Scans the reports table (an operator's one-off, never a function's path) and counts each
    /// report that has no facts yet, in a transaction conditioned on its version and on its
    /// facts still being absent: a write racing it counts the report once, either way.
    async fn backfill_statistics(&self) -> Result<Backfilled, StoreError> {
        let mut done = Backfilled::default();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.reports_table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                done.read += 1;
                let report = match report_from_item(item) {
                    Ok(report) => report,
                    Err(e) => {
                        tracing::warn!(error = %e, "a stored report does not decode; not counted");
                        done.skipped += 1;
                        continue;
                    }
                };
                if !matches!(
                    self.stored_facts(&report.tracking_id).await?,
                    StoredFacts::None
                ) {
                    continue;
                }
                let unchanged = ConditionCheck::builder()
                    .table_name(&self.reports_table)
                    .key(
                        REPORTS_KEY,
                        AttributeValue::S(report.tracking_id.to_string()),
                    )
                    .condition_expression("version = :version")
                    .expression_attribute_values(
                        ":version",
                        AttributeValue::N(report.version.to_string()),
                    )
                    .build()
                    .expect("table, key and condition are set");
                let mut items = vec![TransactWriteItem::builder()
                    .condition_check(unchanged)
                    .build()];
                items.extend(self.stats_items(&report, StoredFacts::None));
                match self.transact(items).await {
                    Ok(()) => done.counted += 1,
                    // Changed meanwhile: counted by that write, or left for another run.
                    Err(TransactFailure::Condition(_)) => done.skipped += 1,
                    Err(TransactFailure::Store(e)) => return Err(e),
                }
            }
            match page.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => return Ok(done),
            }
        }
    }

    async fn stats(&self, scope: &str, from: &str, to: &str) -> Result<Vec<StatsRow>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.stats_table)
                .key_condition_expression("#scope = :scope AND #period BETWEEN :from AND :to")
                .expression_attribute_names("#scope", STATS_SCOPE)
                .expression_attribute_names("#period", STATS_PERIOD)
                .expression_attribute_values(":scope", AttributeValue::S(scope.into()))
                .expression_attribute_values(":from", AttributeValue::S(from.into()))
                .expression_attribute_values(":to", AttributeValue::S(to.into()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                let Some(AttributeValue::S(period)) = item.get(STATS_PERIOD) else {
                    return Err(StoreError::Corrupt(
                        "a statistics item without its period".into(),
                    ));
                };
                let counters = item
                    .iter()
                    .filter_map(|(name, value)| match value {
                        AttributeValue::N(n) => Some((name.clone(), n.parse::<i64>().ok()?)),
                        _ => None,
                    })
                    .filter(|(_, n)| *n != 0)
                    .collect();
                out.push(StatsRow {
                    period: period.clone(),
                    counters,
                });
            }
            match page.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => return Ok(out),
            }
        }
    }

    /// One Query per call: `Limit` bounds the items read, filters drop some of them after the
    /// read, so a page may be short and still carry `next`. The cost of a call is bounded by
    /// `limit` whatever the filters match.
    async fn list(&self, query: &ListQuery) -> Result<ListPage, StoreError> {
        if query.limit == 0 {
            return Ok(ListPage::default());
        }
        let (index, partition, value) = list_index(&query.list);
        let mut filters = Vec::new();
        let mut request = self
            .client
            .query()
            .table_name(&self.reports_table)
            .index_name(index)
            .key_condition_expression("#partition = :partition")
            .expression_attribute_names("#partition", partition)
            .expression_attribute_values(":partition", AttributeValue::S(value.clone()))
            // Newest first.
            .scan_index_forward(false)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(
                query
                    .cursor
                    .as_ref()
                    .map(|cursor| start_key(cursor, partition, &value)),
            );
        if let Some(status) = query.status {
            // `status` is a reserved word in expressions.
            filters.push("#status = :status");
            request = request
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", AttributeValue::S(status.as_str().into()));
        }
        if query.public_only {
            // The item carries the marker exactly when `Report::is_public` holds.
            filters.push("attribute_exists(#public)");
            request = request.expression_attribute_names("#public", PUBLIC_FEED);
        }
        if !filters.is_empty() {
            request = request.filter_expression(filters.join(" AND "));
        }
        let out = request.send().await.map_err(unavailable)?;
        Ok(ListPage {
            reports: out
                .items()
                .iter()
                .map(report_from_item)
                .collect::<Result<_, _>>()?,
            next: out.last_evaluated_key().map(cursor_of).transpose()?,
            items_read: out.scanned_count().max(0) as u64,
        })
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<DuePage, StoreError> {
        let mut page = DuePage::default();
        let mut start_key = None;
        // The index holds only reports with something pending, oldest due first; each query
        // page reads only due items, so the cost follows the number due, not the table size.
        while page.reports.len() < limit {
            let out = self
                .client
                .query()
                .table_name(&self.reports_table)
                .index_name(indexes::REPORTS_BY_DUE)
                .key_condition_expression("due_shard = :shard AND due_ms <= :now")
                .expression_attribute_values(":shard", AttributeValue::S(DUE_SHARD.into()))
                .expression_attribute_values(
                    ":now",
                    AttributeValue::N(now.timestamp_millis().to_string()),
                )
                .limit((limit - page.reports.len()) as i32)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            page.items_read += out.items().len() as u64;
            for item in out.items() {
                page.reports.push(report_from_item(item)?);
            }
            start_key = out.last_evaluated_key().cloned();
            if start_key.is_none() {
                break;
            }
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    fn report(status: Status, agency: Option<&str>, confidential: bool) -> Report {
        let mut doc = serde_json::json!({
            "tracking_id": TrackingId::generate().to_string(),
            "kind": "complaint",
            "title": "Jalan berlubang",
            "body": "Jalan di depan sekolah berlubang besar.",
            "channel": "web",
            "anonymous": false,
            "confidential": confidential,
            "status": status.as_str(),
            "access_token_hash": "0".repeat(64),
            "created_at": "2025-12-01T02:00:00.123Z",
            "updated_at": "2025-12-01T02:00:00.123Z",
            "version": 1,
            "timeline": []
        });
        if let Some(agency) = agency {
            doc["agency_id"] = agency.into();
        }
        serde_json::from_value(doc).unwrap()
    }

    #[test]
    fn items_carry_the_list_keys_exactly_while_they_hold() {
        let triage = report_item(&report(Status::NeedsTriage, None, false));
        assert_eq!(
            triage[CREATED_MS],
            AttributeValue::N("1764554400123".into())
        );
        assert_eq!(triage[TRIAGE_QUEUE], AttributeValue::S(TRIAGE.into()));
        // Absent, not NULL: a NULL index key is refused by DynamoDB.
        for absent in [PUBLIC_FEED, AGENCY_ID, WORK_UNIT, DUE_SHARD_ATTRIBUTE] {
            assert!(!triage.contains_key(absent), "{absent}: {triage:?}");
        }
        assert!(!triage.values().any(|v| v.is_null()), "{triage:?}");

        let public = report_item(&report(Status::InProgress, Some("pemda-32.73"), false));
        assert_eq!(public[PUBLIC_FEED], AttributeValue::S(PUBLIC.into()));
        assert_eq!(public[AGENCY_ID], AttributeValue::S("pemda-32.73".into()));
        assert!(!public.contains_key(TRIAGE_QUEUE));

        let confidential = report_item(&report(Status::InProgress, Some("pemda-32.73"), true));
        let archived = report_item(&report(Status::Archived, Some("pemda-32.73"), false));
        let unassigned_final = report_item(&report(Status::Archived, None, false));
        for item in [&confidential, &archived, &unassigned_final] {
            assert!(!item.contains_key(PUBLIC_FEED), "{item:?}");
            assert!(!item.contains_key(TRIAGE_QUEUE), "{item:?}");
            assert!(item.contains_key(CREATED_MS));
        }
        // The overdue box's key: the latest supervisor, while the report is open.
        assert!(!public.contains_key(SUPERVISOR), "{public:?}");
        let mut overdue = report(Status::InProgress, Some("pemda-32.73"), false);
        let since = overdue.created_at;
        overdue.supervisors = vec![
            crate::domain::report::Supervisor {
                agency_id: Some("pemda-32".into()),
                since,
            },
            crate::domain::report::Supervisor {
                agency_id: None,
                since,
            },
        ];
        assert_eq!(
            report_item(&overdue)[SUPERVISOR],
            AttributeValue::S("national".into())
        );
        overdue.supervisors.truncate(1);
        assert_eq!(
            report_item(&overdue)[SUPERVISOR],
            AttributeValue::S("pemda-32".into())
        );
        overdue.status = Status::Closed;
        assert!(!report_item(&overdue).contains_key(SUPERVISOR));
    }

    #[test]
    fn a_start_key_reads_back_as_its_cursor() {
        let cursor = ListCursor {
            created_ms: 1_764_554_400_123,
            tracking_id: TrackingId::generate(),
        };
        for list in [
            ReportList::Agency("pemda-32.73".into()),
            ReportList::WorkUnit("pemda-32.73-dinas-pu".into()),
            ReportList::Triage,
            ReportList::Public,
            ReportList::Supervised("national".into()),
        ] {
            let (_, partition, value) = list_index(&list);
            let key = start_key(&cursor, partition, &value);
            assert_eq!(key.len(), 3);
            assert_eq!(cursor_of(&key).unwrap(), cursor);
        }
        let garbage = HashMap::from([(CREATED_MS.to_string(), AttributeValue::S("x".into()))]);
        assert!(matches!(cursor_of(&garbage), Err(StoreError::Corrupt(_))));
    }
}
