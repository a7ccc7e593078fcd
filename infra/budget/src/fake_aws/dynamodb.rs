//! The DynamoDB half of the fake endpoint: the operations and tables the measured paths use.
//!
//! - **Kept tables** (reports, channel state) behave like tables: writes are stored under their
//!   key once their condition holds ([`super::expressions`]; `UpdateItem` only on the channel
//!   state, for the notifier's daily count), `GetItem` reads them, `Query` reads
//!   the reports through the template's indexes (sparse: an item is in an index only when it
//!   carries the index's keys; `Limit`, `ScanIndexForward` and `LastEvaluatedKey` as DynamoDB
//!   answers them). `snapshot`/`restore` give every invocation of a subject the same start.
//! - **The agencies table** holds the directory the budget gives it and answers `Scan` in pages
//!   of at most 1 MB, as DynamoDB does.
//! - **Every other table** (idempotency records, routing models and examples, the statistics'
//!   counters a transaction updates) acknowledges
//!   writes without keeping them (their conditions unread) and answers `GetItem` with no item: a
//!   kept idempotency record would turn every later intake invocation, which reuses the
//!   fixture's `Idempotency-Key`, into a replay.
//!
//! Requests are read into structs that refuse any parameter they do not name (a
//! `FilterExpression`, an `UpdateExpression`, a transaction's `Delete`...), and the answers are
//! put together from each item's stored JSON text, so that answering costs little beside the
//! function's own time.

use super::expressions::{condition_holds, number, update, KeyCondition, Operands};
use anyhow::{ensure, Context, Result};
use serde::Deserialize;
use serde_dynamo::{AttributeValue, Item};
use std::collections::HashMap;
use std::sync::Arc;

/// DynamoDB's page size limit for `Scan`: 1 MB of data read.
const PAGE_BYTES: usize = 1 << 20;

/// A table's name and its (string) partition key attribute.
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub key: String,
}

/// A global secondary index's key attributes.
#[derive(Clone, Debug)]
pub struct Index {
    pub partition: String,
    pub sort: Option<String>,
}

/// What the endpoint knows of the tables, from template.yaml.
#[derive(Clone, Debug)]
pub struct Tables {
    pub reports: Table,
    /// The reports table's global secondary indexes by name.
    pub reports_indexes: HashMap<String, Index>,
    pub agencies: Table,
    pub channel_state: Table,
}

/// A stored item and its JSON text (shared between the table and its snapshot).
#[derive(Debug)]
pub struct Stored {
    pub item: Item,
    json: String,
}

impl Stored {
    pub fn new(item: Item) -> Arc<Stored> {
        let json = serde_json::to_string(&item).expect("an item serialises");
        Arc::new(Stored { item, json })
    }

    /// The string attribute `name`.
    pub fn string(&self, name: &str) -> Option<&str> {
        string(&self.item, name)
    }
}

pub fn string<'i>(item: &'i Item, name: &str) -> Option<&'i str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

/// A kept table's items by key.
type Kept = HashMap<String, Arc<Stored>>;

/// What DynamoDB answers besides success, on purpose: a condition that does not hold.
pub enum Refused {
    ConditionalCheckFailed,
    /// `TransactionCanceledException`, with each item's outcome (`true`: its condition failed).
    TransactionCanceled(Vec<bool>),
}

/// An answer: the JSON text of a success, or a refusal DynamoDB would give.
pub type Answer = Result<String, Refused>;

#[derive(Default)]
pub struct Dynamo {
    pub reports: Kept,
    pub channel_state: Kept,
    saved: Option<(Kept, Kept)>,
    /// The agencies table's items, in key order.
    agencies: Vec<Arc<Stored>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GetItem {
    table_name: String,
    key: Item,
    #[serde(rename = "ConsistentRead")]
    _consistent_read: Option<bool>,
    /// Answered with the whole item: the caller reads only what it projected (an update reads
    /// the stored version and statistics facts so).
    #[serde(rename = "ProjectionExpression")]
    _projection_expression: Option<String>,
    #[serde(default, rename = "ExpressionAttributeNames")]
    _expression_attribute_names: HashMap<String, String>,
}

/// A `PutItem`, or the `Put` of a `TransactWriteItems`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Put {
    table_name: String,
    item: Item,
    condition_expression: Option<String>,
    #[serde(default)]
    expression_attribute_names: HashMap<String, String>,
    #[serde(default)]
    expression_attribute_values: HashMap<String, AttributeValue>,
}

/// An `UpdateItem`: on a measured path, only the notifier's count of notices per recipient and
/// day, on the channel state.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Update {
    table_name: String,
    key: Item,
    update_expression: String,
    condition_expression: Option<String>,
    #[serde(default)]
    expression_attribute_names: HashMap<String, String>,
    #[serde(default)]
    expression_attribute_values: HashMap<String, AttributeValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TransactWriteItems {
    transact_items: Vec<TransactItem>,
    #[serde(rename = "ClientRequestToken")]
    _client_request_token: Option<String>,
}

/// A `Put`, or an `Update` of a table that is not kept (the statistics' counters every write
/// of a report moves); a `ConditionCheck` or `Delete` is refused when the request is read.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct TransactItem {
    put: Option<Put>,
    update: Option<Update>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Query {
    table_name: String,
    index_name: Option<String>,
    key_condition_expression: String,
    #[serde(default)]
    expression_attribute_names: HashMap<String, String>,
    #[serde(default)]
    expression_attribute_values: HashMap<String, AttributeValue>,
    scan_index_forward: Option<bool>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Scan {
    table_name: String,
    exclusive_start_key: Option<Item>,
    #[serde(rename = "ConsistentRead")]
    _consistent_read: Option<bool>,
}

/// A checked write on a kept table.
struct Write {
    reports: bool,
    key: String,
    item: Item,
}

impl Dynamo {
    /// The agencies table seeded with `agencies`.
    pub fn new(tables: &Tables, agencies: Vec<Item>) -> Dynamo {
        let mut agencies: Vec<Arc<Stored>> = agencies.into_iter().map(Stored::new).collect();
        agencies.sort_by(|a, b| {
            a.string(&tables.agencies.key)
                .cmp(&b.string(&tables.agencies.key))
        });
        Dynamo {
            agencies,
            ..Dynamo::default()
        }
    }

    /// Remembers the kept tables as they are now.
    pub fn snapshot(&mut self) {
        self.saved = Some((self.reports.clone(), self.channel_state.clone()));
    }

    /// Puts the kept tables back as they were at the last `snapshot`.
    pub fn restore(&mut self) {
        if let Some((reports, channel_state)) = self.saved.clone() {
            self.reports = reports;
            self.channel_state = channel_state;
        }
    }

    /// The kept table called `name` (its key attribute and items), if it is one.
    fn kept<'t>(&self, tables: &'t Tables, name: &str) -> Option<(&'t str, &Kept)> {
        if name == tables.reports.name {
            Some((&tables.reports.key, &self.reports))
        } else if name == tables.channel_state.name {
            Some((&tables.channel_state.key, &self.channel_state))
        } else {
            None
        }
    }

    pub fn get_item(&self, tables: &Tables, request: GetItem) -> Result<String> {
        if request.table_name == tables.agencies.name {
            // The published directory's version, which every function reads at cold start
            // (`LiveDirectory`), or one institution.
            let key = &tables.agencies.key;
            let id = string(&request.key, key)
                .with_context(|| format!("a GetItem on the agencies table without {key}"))?;
            let found = self
                .agencies
                .binary_search_by(|a| a.string(key).unwrap_or_default().cmp(id))
                .ok()
                .map(|i| &self.agencies[i]);
            return Ok(match found {
                Some(stored) => format!(r#"{{"Item":{}}}"#, stored.json),
                None => "{}".into(),
            });
        }
        let Some((key, items)) = self.kept(tables, &request.table_name) else {
            return Ok("{}".into());
        };
        let id = string(&request.key, key)
            .with_context(|| format!("a GetItem on {} without {key}", request.table_name))?;
        Ok(match items.get(id) {
            Some(stored) => format!(r#"{{"Item":{}}}"#, stored.json),
            None => "{}".into(),
        })
    }

    /// Checks a write's condition; `Ok(None)` for a table that is not kept (acknowledged and
    /// forgotten).
    fn check(&self, tables: &Tables, put: Put) -> Result<Option<Result<Write, Refused>>> {
        let Some((key, items)) = self.kept(tables, &put.table_name) else {
            return Ok(None);
        };
        let id = string(&put.item, key)
            .with_context(|| format!("a write on {} without its key {key}", put.table_name))?
            .to_string();
        if let Some(condition) = &put.condition_expression {
            let operands = Operands {
                names: &put.expression_attribute_names,
                values: &put.expression_attribute_values,
            };
            let stored = items.get(&id).map(|s| &s.item);
            if !condition_holds(condition, stored, &operands)? {
                return Ok(Some(Err(Refused::ConditionalCheckFailed)));
            }
        }
        Ok(Some(Ok(Write {
            reports: put.table_name == tables.reports.name,
            key: id,
            item: put.item,
        })))
    }

    fn apply(&mut self, write: Write) {
        let items = if write.reports {
            &mut self.reports
        } else {
            &mut self.channel_state
        };
        items.insert(write.key, Stored::new(write.item));
    }

    pub fn put_item(&mut self, tables: &Tables, put: Put) -> Result<Answer> {
        match self.check(tables, put)? {
            Some(Err(refused)) => return Ok(Err(refused)),
            Some(Ok(write)) => self.apply(write),
            None => {}
        }
        Ok(Ok("{}".into()))
    }

    pub fn update_item(&mut self, tables: &Tables, request: Update) -> Result<Answer> {
        let table = &tables.channel_state;
        ensure!(
            request.table_name == table.name,
            "an UpdateItem on {} (only the channel state is updated on a measured path)",
            request.table_name
        );
        let id = string(&request.key, &table.key)
            .with_context(|| format!("an UpdateItem without {}", table.key))?
            .to_string();
        let operands = Operands {
            names: &request.expression_attribute_names,
            values: &request.expression_attribute_values,
        };
        let stored = self.channel_state.get(&id).map(|s| &s.item);
        if let Some(condition) = &request.condition_expression {
            if !condition_holds(condition, stored, &operands)? {
                return Ok(Err(Refused::ConditionalCheckFailed));
            }
        }
        let mut item = stored.cloned().unwrap_or_else(|| request.key.clone());
        update(&request.update_expression, &mut item, &operands)?;
        self.channel_state.insert(id, Stored::new(item));
        Ok(Ok("{}".into()))
    }

    /// All or nothing: every condition is checked before anything is stored.
    pub fn transact_write_items(
        &mut self,
        tables: &Tables,
        request: TransactWriteItems,
    ) -> Result<Answer> {
        let mut writes = Vec::new();
        let mut failed = Vec::new();
        for item in request.transact_items {
            let put = match (item.put, item.update) {
                (Some(put), None) => put,
                (None, Some(update)) => {
                    ensure!(
                        self.kept(tables, &update.table_name).is_none(),
                        "an Update of {} in a transaction (only counters are updated so)",
                        update.table_name
                    );
                    failed.push(false);
                    continue;
                }
                _ => anyhow::bail!("a transaction item that is not one Put or one Update"),
            };
            let checked = self.check(tables, put)?;
            failed.push(matches!(checked, Some(Err(_))));
            writes.extend(checked.and_then(Result::ok));
        }
        if failed.contains(&true) {
            return Ok(Err(Refused::TransactionCanceled(failed)));
        }
        for write in writes {
            self.apply(write);
        }
        Ok(Ok("{}".into()))
    }

    /// `Query` on an index of the reports table: one page, from the start (nothing measured
    /// resumes a query).
    pub fn query(&self, tables: &Tables, request: Query) -> Result<String> {
        ensure!(
            request.table_name == tables.reports.name,
            "a Query of {} (only the reports table's indexes are queried on a measured path)",
            request.table_name
        );
        let index_name = request
            .index_name
            .as_deref()
            .context("a Query of the reports table without an index")?;
        let index = tables
            .reports_indexes
            .get(index_name)
            .with_context(|| format!("the reports table has no index {index_name:?}"))?;
        let sort = index
            .sort
            .as_deref()
            .with_context(|| format!("index {index_name} has no sort key"))?;
        let condition = KeyCondition::read(
            &request.key_condition_expression,
            &Operands {
                names: &request.expression_attribute_names,
                values: &request.expression_attribute_values,
            },
        )?;
        condition.check_index(&index.partition, Some(sort))?;
        let mut found = self.in_partition(&tables.reports.key, &condition, sort);
        if !request.scan_index_forward.unwrap_or(true) {
            found.reverse();
        }
        let limit = request.limit.unwrap_or(usize::MAX);
        let page = &found[..found.len().min(limit)];
        let last_key = (page.len() < found.len()).then(|| {
            let (_, _, last) = page[page.len() - 1];
            key_of(&last.item, &[&tables.reports.key, &index.partition, sort])
        });
        let texts: Vec<&str> = page.iter().map(|(_, _, s)| s.json.as_str()).collect();
        Ok(items_page(&texts, last_key))
    }

    /// The reports in the condition's partition of an index sorted on `sort` (an item without
    /// both keys is not in the index), in ascending (sort key, table key) order.
    fn in_partition<'s>(
        &'s self,
        key: &str,
        condition: &KeyCondition,
        sort: &str,
    ) -> Vec<(i128, &'s str, &'s Arc<Stored>)> {
        let (partition, value) = &condition.partition;
        let mut found: Vec<_> = self
            .reports
            .values()
            .filter(|s| s.item.get(partition) == Some(value))
            .filter_map(|s| {
                let position = s.item.get(sort).and_then(|v| number(v).ok())?;
                Some((position, s.string(key).unwrap_or_default(), s))
            })
            .filter(|(position, _, _)| {
                condition
                    .sort_at_most
                    .as_ref()
                    .is_none_or(|(_, bound)| position <= bound)
            })
            .collect();
        found.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        found
    }

    /// `Scan` of the agencies table, in pages of at most 1 MB.
    pub fn scan(&self, tables: &Tables, request: Scan) -> Result<String> {
        ensure!(
            request.table_name == tables.agencies.name,
            "a Scan of {} (only the agencies table is scanned on a measured path)",
            request.table_name
        );
        let key = &tables.agencies.key;
        let start = match &request.exclusive_start_key {
            Some(start) => Some(string(start, key).context("a Scan's start key without its key")?),
            None => None,
        };
        let mut remaining = self
            .agencies
            .iter()
            .filter(|a| start.is_none_or(|s| a.string(key) > Some(s)))
            .peekable();
        let mut texts = Vec::new();
        let mut bytes = 0;
        let mut last = None;
        while let Some(stored) = remaining.peek() {
            if !texts.is_empty() && bytes + stored.json.len() > PAGE_BYTES {
                break;
            }
            bytes += stored.json.len();
            texts.push(stored.json.as_str());
            last = remaining.next();
        }
        let more = remaining.peek().is_some();
        let last_key = last.filter(|_| more).map(|last| key_of(&last.item, &[key]));
        Ok(items_page(&texts, last_key))
    }
}

/// The attributes `names` of `item`, as a key.
fn key_of(item: &Item, names: &[&str]) -> Item {
    names
        .iter()
        .filter_map(|&name| Some((name.to_string(), item.get(name)?.clone())))
        .collect::<HashMap<_, _>>()
        .into()
}

/// `{"Items":[...],"Count":n,"ScannedCount":n[,"LastEvaluatedKey":{...}]}` from item texts.
fn items_page(items: &[&str], last_key: Option<Item>) -> String {
    let mut out = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 200);
    out.push_str(r#"{"Items":["#);
    out.push_str(&items.join(","));
    let n = items.len();
    out.push_str(&format!(r#"],"Count":{n},"ScannedCount":{n}"#));
    if let Some(key) = last_key {
        out.push_str(r#","LastEvaluatedKey":"#);
        out.push_str(&serde_json::to_string(&key).expect("a key serialises"));
    }
    out.push('}');
    out
}

/// What a refusal looks like on the wire: the `__type` and the body's other fields.
pub fn refusal_body(refused: &Refused) -> serde_json::Value {
    const PREFIX: &str = "com.amazonaws.dynamodb.v20120810";
    match refused {
        Refused::ConditionalCheckFailed => serde_json::json!({
            "__type": format!("{PREFIX}#ConditionalCheckFailedException"),
            "message": "The conditional request failed",
        }),
        Refused::TransactionCanceled(failed) => {
            let reasons: Vec<serde_json::Value> = failed
                .iter()
                .map(|&failed| match failed {
                    true => serde_json::json!({
                        "Code": "ConditionalCheckFailed",
                        "Message": "The conditional request failed",
                    }),
                    false => serde_json::json!({ "Code": "None" }),
                })
                .collect();
            serde_json::json!({
                "__type": format!("{PREFIX}#TransactionCanceledException"),
                "message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
                "CancellationReasons": reasons,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn tables() -> Tables {
        let table = |name: &str, key: &str| Table {
            name: name.into(),
            key: key.into(),
        };
        let index = |partition: &str, sort: &str| Index {
            partition: partition.into(),
            sort: Some(sort.into()),
        };
        Tables {
            reports: table("reports", "tracking_id"),
            reports_indexes: HashMap::from([
                ("by-agency".into(), index("agency_id", "created_ms")),
                ("by-due".into(), index("due_shard", "due_ms")),
            ]),
            agencies: table("agencies", "agency_id"),
            channel_state: table("channel-state", "state_key"),
        }
    }

    /// A request as the SDK sends it (its JSON), read as the endpoint reads it.
    fn request<T: serde::de::DeserializeOwned>(json: Value) -> T {
        serde_json::from_value(json).unwrap()
    }

    fn item(json: Value) -> Item {
        serde_json::from_value(json).unwrap()
    }

    fn put(dynamo: &mut Dynamo, json: Value) -> Result<Answer> {
        dynamo.put_item(&tables(), request(json))
    }

    fn with_reports(reports: &[Value]) -> Dynamo {
        let mut dynamo = Dynamo::default();
        for report in reports {
            let id = report["tracking_id"]["S"].as_str().unwrap().to_string();
            dynamo.reports.insert(id, Stored::new(item(report.clone())));
        }
        dynamo
    }

    fn ids(page: &str) -> Vec<String> {
        let page: Value = serde_json::from_str(page).unwrap();
        let items = page["Items"].as_array().unwrap().iter();
        items
            .map(|i| i["tracking_id"]["S"].as_str().unwrap().to_string())
            .collect()
    }

    fn listed(id: &str, agency: Option<&str>, created_ms: u64) -> Value {
        let mut report =
            json!({"tracking_id": {"S": id}, "created_ms": {"N": created_ms.to_string()}});
        if let Some(agency) = agency {
            report["agency_id"] = json!({ "S": agency });
        }
        report
    }

    /// What `DynamoStore::list` sends for an institution's inbox.
    fn inbox_query(agency: &str, limit: usize) -> Value {
        json!({
            "TableName": "reports",
            "IndexName": "by-agency",
            "KeyConditionExpression": "#partition = :partition",
            "ExpressionAttributeNames": {"#partition": "agency_id"},
            "ExpressionAttributeValues": {":partition": {"S": agency}},
            "ScanIndexForward": false,
            "Limit": limit,
        })
    }

    #[test]
    fn a_list_query_reads_one_sparse_partition_newest_first() {
        let dynamo = with_reports(&[
            listed("A", Some("pln"), 1),
            listed("B", Some("pln"), 3),
            listed("C", Some("pln"), 2),
            listed("D", None, 4),
            listed("E", Some("bpjs"), 5),
        ]);
        let page = dynamo
            .query(&tables(), request(inbox_query("pln", 2)))
            .unwrap();
        assert_eq!(ids(&page), ["B", "C"]);
        let page: Value = serde_json::from_str(&page).unwrap();
        assert_eq!(
            (&page["Count"], &page["ScannedCount"]),
            (&json!(2), &json!(2))
        );
        assert_eq!(
            page["LastEvaluatedKey"],
            json!({"tracking_id": {"S": "C"}, "agency_id": {"S": "pln"}, "created_ms": {"N": "2"}})
        );
        let all = dynamo
            .query(&tables(), request(inbox_query("pln", 20)))
            .unwrap();
        assert_eq!(ids(&all), ["B", "C", "A"]);
        assert!(!all.contains("LastEvaluatedKey"));
    }

    #[test]
    fn the_due_query_reads_only_what_is_due_oldest_first() {
        let due = |id: &str, due_ms: u64| json!({"tracking_id": {"S": id}, "due_shard": {"S": "due"}, "due_ms": {"N": due_ms.to_string()}});
        let dynamo = with_reports(&[
            due("A", 30),
            due("B", 10),
            due("C", 50),
            json!({"tracking_id": {"S": "D"}}),
        ]);
        // What `DynamoStore::due` sends.
        let query = json!({
            "TableName": "reports",
            "IndexName": "by-due",
            "KeyConditionExpression": "due_shard = :shard AND due_ms <= :now",
            "ExpressionAttributeValues": {":shard": {"S": "due"}, ":now": {"N": "30"}},
            "Limit": 100,
        });
        let page = dynamo.query(&tables(), request(query)).unwrap();
        assert_eq!(ids(&page), ["B", "A"]);
        assert!(!page.contains("LastEvaluatedKey"));
    }

    #[test]
    fn what_no_measured_path_sends_is_refused() {
        let mut dynamo = with_reports(&[listed("A", Some("pln"), 1)]);
        let query = |change: fn(&mut Value)| {
            let mut query = inbox_query("pln", 20);
            change(&mut query);
            serde_json::from_value::<Query>(query)
                .map_err(anyhow::Error::from)
                .and_then(|q| dynamo.query(&tables(), q))
        };
        assert!(query(|q| q["FilterExpression"] = "#status = :status".into()).is_err());
        assert!(query(|q| q["ExclusiveStartKey"] = json!({"tracking_id": {"S": "A"}})).is_err());
        assert!(query(|q| q["IndexName"] = "by-nothing".into()).is_err());
        assert!(query(|q| q["TableName"] = "agencies".into()).is_err());
        assert!(
            query(|q| q["ExpressionAttributeNames"]["#partition"] = "public_feed".into()).is_err()
        );
        let scan = json!({"TableName": "reports"});
        assert!(dynamo.scan(&tables(), request(scan)).is_err());
        let delete = json!({"TransactItems": [{"Delete": {"TableName": "reports", "Key": {}}}]});
        assert!(serde_json::from_value::<TransactWriteItems>(delete).is_err());
        let update_report = json!({"TransactItems": [{"Update": {"TableName": "reports",
            "Key": {"tracking_id": {"S": "A"}}, "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}}}}]});
        assert!(dynamo
            .transact_write_items(&tables(), request(update_report))
            .is_err());
    }

    #[test]
    fn report_writes_check_their_conditions() {
        let mut dynamo = with_reports(&[json!({"tracking_id": {"S": "A"}, "version": {"N": "2"}})]);
        let update = |expected: &str| {
            json!({
                "TableName": "reports",
                "Item": {"tracking_id": {"S": "A"}, "version": {"N": "3"}},
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": expected}},
            })
        };
        assert!(matches!(
            put(&mut dynamo, update("1")),
            Ok(Err(Refused::ConditionalCheckFailed))
        ));
        assert!(matches!(put(&mut dynamo, update("2")), Ok(Ok(_))));
        assert_eq!(
            dynamo.reports["A"].item["version"],
            AttributeValue::N("3".into())
        );
        let create = |id: &str| {
            json!({
                "TableName": "reports",
                "Item": {"tracking_id": {"S": id}, "version": {"N": "1"}},
                "ConditionExpression": "attribute_not_exists(tracking_id)",
            })
        };
        assert!(matches!(
            put(&mut dynamo, create("A")),
            Ok(Err(Refused::ConditionalCheckFailed))
        ));
        assert!(matches!(put(&mut dynamo, create("B")), Ok(Ok(_))));
        // Another table's writes are acknowledged and forgotten.
        let mut idempotency = create("A");
        idempotency["TableName"] = "idempotency".into();
        assert!(matches!(put(&mut dynamo, idempotency), Ok(Ok(_))));
        let read = |id: &str| json!({"TableName": "reports", "Key": {"tracking_id": {"S": id}}, "ConsistentRead": true});
        let found = dynamo.get_item(&tables(), request(read("B"))).unwrap();
        assert!(found.starts_with(r#"{"Item":{"#), "{found}");
        assert_eq!(
            dynamo.get_item(&tables(), request(read("Z"))).unwrap(),
            "{}"
        );
    }

    #[test]
    fn a_transaction_stores_all_or_nothing() {
        let mut dynamo = with_reports(&[json!({"tracking_id": {"S": "A"}})]);
        let create = |id: &str| {
            json!({"Put": {
                "TableName": "reports",
                "Item": {"tracking_id": {"S": id}},
                "ConditionExpression": "attribute_not_exists(tracking_id)",
            }})
        };
        let idempotency = json!({"Put": {
            "TableName": "idempotency",
            "Item": {"key_hash": {"S": "k"}, "expires_at": {"N": "9"}},
            "ConditionExpression": "attribute_not_exists(key_hash) OR expires_at < :now",
            "ExpressionAttributeValues": {":now": {"N": "1"}},
        }});
        let transaction = |first: &str| {
            request(
                json!({"TransactItems": [create(first), idempotency], "ClientRequestToken": "t"}),
            )
        };
        let refused = dynamo
            .transact_write_items(&tables(), transaction("A"))
            .unwrap();
        assert!(matches!(refused, Err(Refused::TransactionCanceled(ref f)) if f == &[true, false]));
        assert!(dynamo
            .transact_write_items(&tables(), transaction("B"))
            .unwrap()
            .is_ok());
        assert_eq!(dynamo.reports.len(), 2);
    }

    #[test]
    fn a_snapshot_brings_the_kept_tables_back() {
        let mut dynamo = with_reports(&[listed("A", None, 1)]);
        dynamo.snapshot();
        let claim =
            json!({"TableName": "channel-state", "Item": {"state_key": {"S": "delivery#n"}}});
        put(&mut dynamo, claim).unwrap().ok().unwrap();
        dynamo.reports.clear();
        dynamo.restore();
        assert!(dynamo.channel_state.is_empty());
        assert_eq!(dynamo.reports.len(), 1);
    }

    #[test]
    fn scans_come_in_pages_of_at_most_a_megabyte() {
        let big = "x".repeat(300_000);
        let agencies = (0..5)
            .map(|i| item(json!({"agency_id": {"S": format!("a{i}")}, "name": {"S": big}})))
            .collect();
        let dynamo = Dynamo::new(&tables(), agencies);
        let first: Value = serde_json::from_str(
            &dynamo
                .scan(&tables(), request(json!({"TableName": "agencies"})))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(first["Count"], 3);
        assert_eq!(first["LastEvaluatedKey"], json!({"agency_id": {"S": "a2"}}));
        let rest = json!({"TableName": "agencies", "ExclusiveStartKey": first["LastEvaluatedKey"]});
        let rest: Value =
            serde_json::from_str(&dynamo.scan(&tables(), request(rest)).unwrap()).unwrap();
        assert_eq!(rest["Count"], 2);
        assert!(rest.get("LastEvaluatedKey").is_none());
    }
}
