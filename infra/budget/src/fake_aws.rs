//! An in-process DynamoDB + SQS endpoint that answers at once.
//!
//! This is a measuring instrument, not a test double: it exists so that the budget can time our
//! own code (the SDK's request building and signing, our handlers, serialisation) without network
//! round trips to DynamoDB or SQS, whose latency is not ours to budget. Correctness is tested
//! elsewhere, against DynamoDB Local and moto. What it answers is shaped like the real services'
//! answers, so the SDK's deserialisers take the same path they take in AWS.
//!
//! It speaks the JSON protocols the SDKs use: DynamoDB JSON 1.0 (`GetItem`, `PutItem`,
//! `TransactWriteItems` of `Put`s, `Query`, `Scan`) and SQS JSON (`SendMessage`).
//!
//! - **The reports table is kept**, like a table: reports written are stored (creation under
//!   `attribute_not_exists(tracking_id)`, updates under `version = :expected`, both conditions
//!   checked, so a run that acts twice on one version fails instead of measuring a conflict
//!   path), `GetItem` reads them, and `Query` reads them through the template's indexes (sparse:
//!   an item is in an index only when it carries the index's partition attribute; the key
//!   condition, `Limit`, `ScanIndexForward`, `ExclusiveStartKey`/`LastEvaluatedKey` and a filter of
//!   `AND`-ed comparisons and `attribute_exists` are evaluated). `snapshot`/`restore` let the budget
//!   give every invocation of a subject the same starting state.
//! - **The agencies table** holds the directory the budget gives it (what `lapor-local seed`
//!   writes) and answers `Scan` in pages of at most 1 MB, as DynamoDB does.
//! - **Every other table** (idempotency records, routing models, routing examples) acknowledges
//!   writes without keeping them and reads as empty: a kept idempotency record would turn every
//!   later intake invocation, which reuses the fixture's `Idempotency-Key`, into a replay.
//! - **SQS**: `SendMessage` is kept per queue URL, so the router can be handed what intake sent.
//!
//! An operation or an expression it does not know is answered with an error and recorded
//! (`problems`), so a function that starts using something new makes the budget run fail
//! instead of measuring an error path.

use crate::ddb_json::compare;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use md5::{Digest, Md5};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// DynamoDB's page size limit for `Query` and `Scan`: 1 MB of data read.
const PAGE_BYTES: usize = 1 << 20;

/// Operations this endpoint knows; any other is answered with an error and counted.
pub const KNOWN_OPERATIONS: [&str; 6] = [
    "DynamoDB_20120810.GetItem",
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.TransactWriteItems",
    "DynamoDB_20120810.Query",
    "DynamoDB_20120810.Scan",
    "AmazonSQS.SendMessage",
];

/// What the endpoint needs to know about the tables.
#[derive(Clone)]
pub struct Tables {
    pub reports: String,
    /// The reports table's key attribute (`tracking_id`).
    pub reports_key: String,
    /// Global secondary indexes of the reports table: name -> (partition, sort) attributes.
    pub reports_indexes: HashMap<String, (String, Option<String>)>,
    pub agencies: String,
    /// The agencies table's key attribute (`agency_id`).
    pub agencies_key: String,
}

/// A stored item and its JSON text: answers are put together from the texts, so that answering
/// costs little beside the function's own time (deep-copying and re-serialising `Value` trees
/// took about 2.5 ms for a page of 20 reports here).
#[derive(Clone)]
struct Item {
    value: Value,
    json: String,
}

impl Item {
    fn new(value: Value) -> Item {
        let json = value.to_string();
        Item { value, json }
    }
}

#[derive(Default)]
struct State {
    /// Reports by tracking id, as DynamoDB JSON items.
    reports: HashMap<String, Item>,
    /// A copy of `reports` to go back to.
    saved: Option<HashMap<String, Item>>,
    /// The agencies table's items, in key order.
    agencies: Vec<Item>,
    /// (queue URL, body) of every message sent, oldest first.
    messages: Vec<(String, String)>,
    /// Calls by operation (`DynamoDB_20120810.GetItem`, ...), unknown ones included.
    calls: BTreeMap<String, u64>,
    /// What the endpoint could not answer (an unknown operation or expression).
    problems: Vec<String>,
    /// Time spent answering (from the request's body read in full to the answer built).
    busy: Duration,
}

pub struct FakeAws {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeAws {
    /// Starts the endpoint with `agencies` (DynamoDB JSON items) in the agencies table.
    pub async fn start(tables: Tables, mut agencies: Vec<Value>) -> std::io::Result<FakeAws> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let key = tables.agencies_key.clone();
        agencies.sort_by(|a, b| a[&key]["S"].as_str().cmp(&b[&key]["S"].as_str()));
        let state = Arc::new(Mutex::new(State {
            agencies: agencies.into_iter().map(Item::new).collect(),
            ..State::default()
        }));
        let server = {
            let state = state.clone();
            let tables = Arc::new(tables);
            let message_ids = Arc::new(AtomicU64::new(1));
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let (state, tables, ids) = (state.clone(), tables.clone(), message_ids.clone());
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let (state, tables, ids) = (state.clone(), tables.clone(), ids.clone());
                            async move {
                                Ok::<_, hyper::Error>(handle(&state, &tables, &ids, req).await)
                            }
                        });
                        // Connections end when a function process is killed.
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            })
        };
        Ok(FakeAws {
            addr,
            state,
            server,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The report stored under `tracking_id`, as a DynamoDB item.
    pub fn report(&self, tracking_id: &str) -> Option<Value> {
        self.state()
            .reports
            .get(tracking_id)
            .map(|i| i.value.clone())
    }

    /// Every stored report, as DynamoDB items.
    pub fn reports(&self) -> Vec<Value> {
        self.state()
            .reports
            .values()
            .map(|i| i.value.clone())
            .collect()
    }

    /// Stores (or replaces) a report item, keyed by its `tracking_id`.
    pub fn put_report(&self, key: &str, item: Value) {
        let id = item[key]["S"].as_str().unwrap_or_default().to_string();
        self.state().reports.insert(id, Item::new(item));
    }

    /// Remembers the reports as they are now.
    pub fn snapshot(&self) {
        let mut state = self.state();
        state.saved = Some(state.reports.clone());
    }

    /// Puts the reports back as they were at the last `snapshot`.
    pub fn restore(&self) {
        let mut state = self.state();
        if let Some(saved) = state.saved.clone() {
            state.reports = saved;
        }
    }

    /// Bodies of the messages sent to the queue at `url`, oldest first.
    pub fn messages(&self, url: &str) -> Vec<String> {
        self.state()
            .messages
            .iter()
            .filter(|(to, _)| to == url)
            .map(|(_, body)| body.clone())
            .collect()
    }

    /// Calls per operation so far.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.state().calls.clone()
    }

    /// Time spent answering so far: the part of a measured latency that is this endpoint's own
    /// work (parsing, evaluating, serialising), not the function's.
    pub fn busy(&self) -> Duration {
        self.state().busy
    }

    /// What the endpoint could not answer so far.
    pub fn problems(&self) -> Vec<String> {
        self.state().problems.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake AWS state")
    }
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn answer(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    answer_text(status, body.to_string())
}

fn answer_text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "00000000-0000-4000-8000-000000000000")
        .body(Full::new(Bytes::from(body)))
        .expect("a JSON answer builds")
}

fn ok(body: Value) -> Response<Full<Bytes>> {
    answer(StatusCode::OK, body)
}

/// `{"Items":[...],"Count":n,"ScannedCount":m[,"LastEvaluatedKey":{...}]}` from item texts.
fn items_page(items: &[&str], scanned: usize, last_key: Option<Value>) -> String {
    let mut out = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 200);
    out.push_str(r#"{"Items":["#);
    out.push_str(&items.join(","));
    out.push_str(&format!(
        r#"],"Count":{},"ScannedCount":{scanned}"#,
        items.len()
    ));
    if let Some(key) = last_key {
        out.push_str(r#","LastEvaluatedKey":"#);
        out.push_str(&key.to_string());
    }
    out.push('}');
    out
}

fn dynamodb_error(kind: &str, message: &str) -> Response<Full<Bytes>> {
    answer(
        StatusCode::BAD_REQUEST,
        json!({ "__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": message }),
    )
}

/// One clause of an `AND`-ed expression.
#[derive(Debug, PartialEq)]
enum Clause {
    Exists(String),
    NotExists(String),
    Compare(String, Ordering, bool, Value),
}

/// Parses `a AND b AND ...` where each clause is `attribute_exists(p)`,
/// `attribute_not_exists(p)` or `p <op> :value` (op one of `= <> < <= > >=`), resolving `#names`
/// and `:values`. Anything else (OR, NOT, BETWEEN, functions, nested paths) is refused.
fn parse_expression(expression: &str, input: &Value) -> Result<Vec<Clause>, String> {
    let names = &input["ExpressionAttributeNames"];
    let values = &input["ExpressionAttributeValues"];
    let name = |token: &str| -> Result<String, String> {
        if token.starts_with('#') {
            names[token]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{token} is not in ExpressionAttributeNames"))
        } else if token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            Ok(token.to_string())
        } else {
            Err(format!("attribute path {token:?} is not supported"))
        }
    };
    let tokens: Vec<&str> = expression.split_whitespace().collect();
    let mut clauses = Vec::new();
    for clause in tokens.split(|t| t.eq_ignore_ascii_case("AND")) {
        let parsed = match clause {
            [function] => {
                let (f, rest) = function
                    .split_once('(')
                    .ok_or_else(|| format!("cannot read {function:?}"))?;
                let path = name(
                    rest.strip_suffix(')')
                        .ok_or_else(|| format!("cannot read {function:?}"))?,
                )?;
                match f {
                    "attribute_exists" => Clause::Exists(path),
                    "attribute_not_exists" => Clause::NotExists(path),
                    other => return Err(format!("function {other} is not supported")),
                }
            }
            [path, op, value] => {
                let (ordering, negate) = match *op {
                    "=" => (Ordering::Equal, false),
                    "<>" => (Ordering::Equal, true),
                    "<" => (Ordering::Less, false),
                    ">=" => (Ordering::Less, true),
                    ">" => (Ordering::Greater, false),
                    "<=" => (Ordering::Greater, true),
                    other => return Err(format!("operator {other} is not supported")),
                };
                let value = values
                    .get(*value)
                    .cloned()
                    .ok_or_else(|| format!("{value} is not in ExpressionAttributeValues"))?;
                Clause::Compare(name(path)?, ordering, negate, value)
            }
            other => return Err(format!("cannot read the clause {:?}", other.join(" "))),
        };
        clauses.push(parsed);
    }
    Ok(clauses)
}

/// Whether `item` (absent: no item) satisfies every clause.
fn holds(clauses: &[Clause], item: Option<&Value>) -> bool {
    clauses.iter().all(|clause| {
        let attribute = |path: &str| item.and_then(|i| i.get(path));
        match clause {
            Clause::Exists(path) => attribute(path).is_some(),
            Clause::NotExists(path) => attribute(path).is_none(),
            Clause::Compare(path, ordering, negate, value) => {
                match attribute(path).and_then(|a| compare(a, value)) {
                    Some(found) => (found == *ordering) != *negate,
                    None => false,
                }
            }
        }
    })
}

/// Why a write on the reports table cannot be stored.
enum WriteError {
    ConditionFailed,
    Unsupported(String),
}

/// A `Put` (of `PutItem` or of a transaction) on the reports table, checked but not applied.
fn check_report_put(
    state: &State,
    tables: &Tables,
    put: &Value,
) -> Result<(String, Value), WriteError> {
    let item = put["Item"].clone();
    let id = item[&tables.reports_key]["S"]
        .as_str()
        .ok_or_else(|| WriteError::Unsupported("a report item without its key".into()))?
        .to_string();
    if let Some(condition) = put["ConditionExpression"].as_str() {
        let clauses = parse_expression(condition, put).map_err(WriteError::Unsupported)?;
        if !holds(&clauses, state.reports.get(&id).map(|i| &i.value)) {
            return Err(WriteError::ConditionFailed);
        }
    }
    Ok((id, item))
}

fn record_problem(state: &mut State, problem: String) -> Response<Full<Bytes>> {
    let message = format!("lapor-budget's fake endpoint: {problem}");
    state.problems.push(message.clone());
    dynamodb_error("ValidationException", &message)
}

/// `Query` on a reports table index (or the table itself, on its key).
fn query_reports(state: &State, tables: &Tables, input: &Value) -> Result<String, String> {
    let (partition, sort) = match input["IndexName"].as_str() {
        Some(index) => tables
            .reports_indexes
            .get(index)
            .cloned()
            .ok_or_else(|| format!("the reports table has no index {index:?}"))?,
        None => (tables.reports_key.clone(), None),
    };
    let key_condition = input["KeyConditionExpression"]
        .as_str()
        .ok_or("Query without KeyConditionExpression")?;
    let clauses = parse_expression(key_condition, input)?;
    let on_partition = clauses
        .iter()
        .any(|c| matches!(c, Clause::Compare(p, Ordering::Equal, false, _) if *p == partition));
    let on_keys_only = clauses.iter().all(|c| match c {
        Clause::Compare(p, _, _, _) => *p == partition || Some(p) == sort.as_ref(),
        _ => false,
    });
    if !on_partition || !on_keys_only {
        return Err(format!(
            "key condition {key_condition:?} is not `partition = :v [AND sort <op> :w]`"
        ));
    }
    let filter = input["FilterExpression"]
        .as_str()
        .map(|f| parse_expression(f, input))
        .transpose()?;
    let key = &tables.reports_key;
    let position = |item: &Value| -> (Value, String) {
        (
            sort.as_ref()
                .map(|s| item[s].clone())
                .unwrap_or(Value::Null),
            item[key]["S"].as_str().unwrap_or_default().to_string(),
        )
    };
    let order = |a: &(Value, String), b: &(Value, String)| {
        compare(&a.0, &b.0)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.1.cmp(&b.1))
    };
    let forward = input["ScanIndexForward"].as_bool().unwrap_or(true);
    let mut matching: Vec<(&Item, (Value, String))> = state
        .reports
        .values()
        .filter(|item| holds(&clauses, Some(&item.value)))
        .map(|item| (item, position(&item.value)))
        .collect();
    matching.sort_by(|a, b| {
        let o = order(&a.1, &b.1);
        if forward {
            o
        } else {
            o.reverse()
        }
    });
    if let Some(start) = input.get("ExclusiveStartKey") {
        let start = position(start);
        matching.retain(|(_, p)| {
            let o = order(p, &start);
            if forward {
                o == Ordering::Greater
            } else {
                o == Ordering::Less
            }
        });
    }
    let limit = input["Limit"].as_u64().map_or(usize::MAX, |l| l as usize);
    let mut items = Vec::new();
    let mut bytes = 0;
    let mut scanned = 0;
    let mut last = None;
    for (item, _) in &matching {
        if scanned == limit || bytes >= PAGE_BYTES {
            break;
        }
        scanned += 1;
        bytes += item.json.len();
        last = Some(&item.value);
        if filter.as_ref().is_none_or(|f| holds(f, Some(&item.value))) {
            items.push(item.json.as_str());
        }
    }
    let last_key = last.filter(|_| scanned < matching.len()).map(|last| {
        let mut key_attributes = Map::new();
        for attribute in std::iter::once(key)
            .chain(std::iter::once(&partition))
            .chain(sort.as_ref())
        {
            key_attributes.insert(attribute.clone(), last[attribute].clone());
        }
        Value::Object(key_attributes)
    });
    Ok(items_page(&items, scanned, last_key))
}

/// `Scan` of the agencies table, in pages of at most 1 MB.
fn scan_agencies(state: &State, tables: &Tables, input: &Value) -> String {
    let key = &tables.agencies_key;
    let start = input["ExclusiveStartKey"][key]["S"].as_str();
    let mut items = Vec::new();
    let mut bytes = 0;
    let mut remaining = state
        .agencies
        .iter()
        .filter(|a| start.is_none_or(|s| a.value[key]["S"].as_str() > Some(s)))
        .peekable();
    let mut last = None;
    while let Some(item) = remaining.peek() {
        if !items.is_empty() && bytes + item.json.len() > PAGE_BYTES {
            break;
        }
        bytes += item.json.len();
        items.push(item.json.as_str());
        last = Some(&item.value);
        remaining.next();
    }
    let last_key = last
        .filter(|_| remaining.peek().is_some())
        .map(|last| json!({ key: last[key] }));
    items_page(&items, items.len(), last_key)
}

async fn handle(
    state: &Mutex<State>,
    tables: &Tables,
    message_ids: &AtomicU64,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let started = Instant::now();
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut state = state.lock().expect("fake AWS state");
    let response = respond(&mut state, tables, message_ids, &target, &input);
    state.busy += started.elapsed();
    response
}

fn respond(
    state: &mut State,
    tables: &Tables,
    message_ids: &AtomicU64,
    target: &str,
    input: &Value,
) -> Response<Full<Bytes>> {
    *state.calls.entry(target.to_string()).or_default() += 1;
    let table = input["TableName"].as_str().unwrap_or_default();
    let reports = table == tables.reports;
    match target {
        "DynamoDB_20120810.GetItem" => {
            let item = if reports {
                input["Key"][&tables.reports_key]["S"]
                    .as_str()
                    .and_then(|id| state.reports.get(id))
            } else if table == tables.agencies {
                let id = input["Key"][&tables.agencies_key]["S"].as_str();
                let key = &tables.agencies_key;
                state
                    .agencies
                    .iter()
                    .find(|a| a.value[key]["S"].as_str() == id)
            } else {
                None
            };
            match item {
                Some(item) => answer_text(StatusCode::OK, format!(r#"{{"Item":{}}}"#, item.json)),
                None => ok(json!({})),
            }
        }
        "DynamoDB_20120810.PutItem" => {
            if !reports {
                return ok(json!({}));
            }
            match check_report_put(state, tables, input) {
                Ok((id, item)) => {
                    state.reports.insert(id, Item::new(item));
                    ok(json!({}))
                }
                Err(WriteError::ConditionFailed) => dynamodb_error(
                    "ConditionalCheckFailedException",
                    "The conditional request failed",
                ),
                Err(WriteError::Unsupported(problem)) => record_problem(state, problem),
            }
        }
        "DynamoDB_20120810.TransactWriteItems" => {
            let items = input["TransactItems"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            // All or nothing: every condition is checked before anything is stored.
            let mut writes = Vec::new();
            let mut reasons = Vec::new();
            let mut failed = false;
            for item in &items {
                let Some(put) = item.get("Put") else {
                    return record_problem(
                        state,
                        format!("a transaction item other than Put: {item}"),
                    );
                };
                if put["TableName"] != tables.reports.as_str() {
                    reasons.push(json!({ "Code": "None" }));
                    continue;
                }
                match check_report_put(state, tables, put) {
                    Ok(write) => {
                        writes.push(write);
                        reasons.push(json!({ "Code": "None" }));
                    }
                    Err(WriteError::ConditionFailed) => {
                        failed = true;
                        reasons.push(json!({
                            "Code": "ConditionalCheckFailed",
                            "Message": "The conditional request failed",
                        }));
                    }
                    Err(WriteError::Unsupported(problem)) => return record_problem(state, problem),
                }
            }
            if failed {
                return answer(
                    StatusCode::BAD_REQUEST,
                    json!({
                        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                        "message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
                        "CancellationReasons": reasons,
                    }),
                );
            }
            for (id, item) in writes {
                state.reports.insert(id, Item::new(item));
            }
            ok(json!({}))
        }
        "DynamoDB_20120810.Query" => {
            if !reports {
                return ok(json!({ "Items": [], "Count": 0, "ScannedCount": 0 }));
            }
            match query_reports(state, tables, input) {
                Ok(out) => answer_text(StatusCode::OK, out),
                Err(problem) => record_problem(state, problem),
            }
        }
        "DynamoDB_20120810.Scan" => {
            if table == tables.agencies {
                answer_text(StatusCode::OK, scan_agencies(state, tables, input))
            } else if reports {
                // Nothing may scan the reports table (it grows without bound).
                record_problem(state, "a Scan of the reports table".into())
            } else {
                ok(json!({ "Items": [], "Count": 0, "ScannedCount": 0 }))
            }
        }
        "AmazonSQS.SendMessage" => {
            let url = input["QueueUrl"].as_str().unwrap_or_default().to_string();
            let message = input["MessageBody"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let md5 = hex::encode(Md5::digest(message.as_bytes()));
            state.messages.push((url, message));
            let n = message_ids.fetch_add(1, AtomicOrdering::Relaxed);
            answer(
                StatusCode::OK,
                json!({
                    "MessageId": format!("00000000-0000-4000-9000-{n:012x}"),
                    "MD5OfMessageBody": md5,
                }),
            )
        }
        other => {
            let problem = format!("the operation {other:?} is not answered");
            state.problems.push(problem.clone());
            answer(
                StatusCode::BAD_REQUEST,
                json!({
                    "__type": "com.amazon.coral.service#UnknownOperationException",
                    "message": format!("lapor-budget's fake endpoint: {problem}"),
                }),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        Tables {
            reports: "reports".into(),
            reports_key: "tracking_id".into(),
            reports_indexes: HashMap::from([
                (
                    "by-agency".to_string(),
                    ("agency_id".to_string(), Some("created_ms".to_string())),
                ),
                (
                    "by-due".to_string(),
                    ("due_shard".to_string(), Some("due_ms".to_string())),
                ),
            ]),
            agencies: "agencies".into(),
            agencies_key: "agency_id".into(),
        }
    }

    fn report(id: &str, agency: Option<&str>, created_ms: u64, status: &str) -> Value {
        let mut item = json!({
            "tracking_id": {"S": id},
            "created_ms": {"N": created_ms.to_string()},
            "status": {"S": status},
        });
        if let Some(agency) = agency {
            item["agency_id"] = json!({ "S": agency });
        }
        item
    }

    /// An answer as JSON (it must be valid JSON).
    fn parsed(answer: Result<String, String>) -> Value {
        serde_json::from_str(&answer.unwrap()).unwrap()
    }

    fn state(reports: &[Value]) -> State {
        State {
            reports: reports
                .iter()
                .map(|r| {
                    (
                        r["tracking_id"]["S"].as_str().unwrap().to_string(),
                        Item::new(r.clone()),
                    )
                })
                .collect(),
            ..State::default()
        }
    }

    #[test]
    fn expressions_resolve_names_and_values() {
        let input = json!({
            "ExpressionAttributeNames": {"#p": "agency_id", "#public": "public_feed"},
            "ExpressionAttributeValues": {":p": {"S": "pln"}, ":now": {"N": "5"}},
        });
        assert_eq!(
            parse_expression(
                "#p = :p AND due_ms <= :now and attribute_exists(#public)",
                &input
            )
            .unwrap(),
            vec![
                Clause::Compare(
                    "agency_id".into(),
                    Ordering::Equal,
                    false,
                    json!({"S": "pln"})
                ),
                Clause::Compare("due_ms".into(), Ordering::Greater, true, json!({"N": "5"})),
                Clause::Exists("public_feed".into()),
            ]
        );
        for unsupported in [
            "a = :p OR b = :p",
            "#missing = :p",
            "a = :missing",
            "begins_with(a, :p)",
            "a BETWEEN :p AND :now",
        ] {
            assert!(
                parse_expression(unsupported, &input).is_err(),
                "{unsupported}"
            );
        }
        let item = json!({"due_ms": {"N": "4"}, "agency_id": {"S": "pln"}});
        let clauses = parse_expression("#p = :p AND due_ms <= :now", &input).unwrap();
        assert!(holds(&clauses, Some(&item)));
        assert!(!holds(&clauses, None));
        let not_due = json!({"due_ms": {"N": "6"}, "agency_id": {"S": "pln"}});
        assert!(!holds(&clauses, Some(&not_due)));
    }

    #[test]
    fn queries_read_a_sparse_index_newest_first_in_pages() {
        let reports = [
            report("A", Some("pln"), 1, "dispositioned"),
            report("B", Some("pln"), 3, "in_progress"),
            report("C", Some("pln"), 2, "dispositioned"),
            report("D", None, 4, "needs_triage"),
            report("E", Some("bpjs"), 5, "dispositioned"),
        ];
        let state = state(&reports);
        let mut input = json!({
            "TableName": "reports",
            "IndexName": "by-agency",
            "KeyConditionExpression": "#partition = :partition",
            "ExpressionAttributeNames": {"#partition": "agency_id"},
            "ExpressionAttributeValues": {":partition": {"S": "pln"}},
            "ScanIndexForward": false,
            "Limit": 2,
        });
        let page = parsed(query_reports(&state, &tables(), &input));
        let ids = |page: &Value| -> Vec<String> {
            page["Items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["tracking_id"]["S"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids(&page), ["B", "C"]);
        assert_eq!(
            page["LastEvaluatedKey"],
            json!({"tracking_id": {"S": "C"}, "agency_id": {"S": "pln"}, "created_ms": {"N": "2"}})
        );
        input["ExclusiveStartKey"] = page["LastEvaluatedKey"].clone();
        let page = parsed(query_reports(&state, &tables(), &input));
        assert_eq!(ids(&page), ["A"]);
        assert!(page.get("LastEvaluatedKey").is_none());

        // A filter applies after the limit, as in DynamoDB.
        input.as_object_mut().unwrap().remove("ExclusiveStartKey");
        input["FilterExpression"] = "#status = :status".into();
        input["ExpressionAttributeNames"]["#status"] = "status".into();
        input["ExpressionAttributeValues"][":status"] = json!({"S": "dispositioned"});
        let page = parsed(query_reports(&state, &tables(), &input));
        assert_eq!(ids(&page), ["C"]);
        assert_eq!(page["ScannedCount"], 2);

        input["IndexName"] = "by-nothing".into();
        assert!(query_reports(&state, &tables(), &input).is_err());
    }

    #[test]
    fn the_due_query_reads_only_what_is_due_oldest_first() {
        let due = |id: &str, due_ms: u64| {
            json!({
                "tracking_id": {"S": id},
                "due_shard": {"S": "due"},
                "due_ms": {"N": due_ms.to_string()},
            })
        };
        let state = state(&[
            due("A", 30),
            due("B", 10),
            due("C", 50),
            json!({"tracking_id": {"S": "D"}}),
        ]);
        // What `DynamoStore::due` sends.
        let input = json!({
            "TableName": "reports",
            "IndexName": "by-due",
            "KeyConditionExpression": "due_shard = :shard AND due_ms <= :now",
            "ExpressionAttributeValues": {":shard": {"S": "due"}, ":now": {"N": "30"}},
            "Limit": 100,
        });
        let page = parsed(query_reports(&state, &tables(), &input));
        let ids: Vec<&str> = page["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["tracking_id"]["S"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["B", "A"]);
        assert!(page.get("LastEvaluatedKey").is_none());
    }

    #[test]
    fn report_writes_check_their_conditions() {
        let state = state(&[json!({"tracking_id": {"S": "A"}, "version": {"N": "2"}})]);
        let update = |expected: &str| {
            json!({
                "TableName": "reports",
                "Item": {"tracking_id": {"S": "A"}, "version": {"N": "3"}},
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": expected}},
            })
        };
        assert!(check_report_put(&state, &tables(), &update("2")).is_ok());
        assert!(matches!(
            check_report_put(&state, &tables(), &update("1")),
            Err(WriteError::ConditionFailed)
        ));
        let create = |id: &str| {
            json!({
                "TableName": "reports",
                "Item": {"tracking_id": {"S": id}, "version": {"N": "1"}},
                "ConditionExpression": "attribute_not_exists(tracking_id)",
            })
        };
        assert!(check_report_put(&state, &tables(), &create("B")).is_ok());
        assert!(matches!(
            check_report_put(&state, &tables(), &create("A")),
            Err(WriteError::ConditionFailed)
        ));
    }

    #[test]
    fn scans_come_in_pages_of_at_most_a_megabyte() {
        let big = "x".repeat(300_000);
        let state = State {
            agencies: (0..5)
                .map(|i| {
                    Item::new(json!({"agency_id": {"S": format!("a{i}")}, "name": {"S": big}}))
                })
                .collect(),
            ..State::default()
        };
        let first = parsed(Ok(scan_agencies(&state, &tables(), &json!({}))));
        assert_eq!(first["Count"], 3);
        assert_eq!(first["LastEvaluatedKey"], json!({"agency_id": {"S": "a2"}}));
        let rest = parsed(Ok(scan_agencies(
            &state,
            &tables(),
            &json!({ "ExclusiveStartKey": first["LastEvaluatedKey"] }),
        )));
        assert_eq!(rest["Count"], 2);
        assert!(rest.get("LastEvaluatedKey").is_none());
    }
}
