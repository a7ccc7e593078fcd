//! An in-process DynamoDB + SQS endpoint that answers at once, with the SMS gateway's HTTP
//! contract beside them.
//!
//! This is a measuring instrument, not a test double: it exists so that the budget can time our
//! own code (the SDK's request building and signing, our handlers, serialisation) without network
//! round trips to DynamoDB, SQS or the SMS gateway, whose latency is not ours to budget.
//! Correctness is tested elsewhere, against DynamoDB Local and moto. What it answers is shaped
//! like the real services' answers, so the SDK's deserialisers take the same path they take in
//! AWS.
//!
//! It speaks the JSON protocols the SDKs use: DynamoDB JSON 1.0 (`GetItem`, `BatchGetItem`,
//! `PutItem`, `DeleteItem`, `TransactWriteItems` of `Put`s, `Query`, `Scan`) and SQS JSON
//! (`SendMessage`), and the SMS gateway's `POST {SMS_API_URL}/messages`
//! (`lapor::notify::sms_gateway`) under [`SMS_GATEWAY_PATH`].
//!
//! - **The reports table is kept**, like a table: reports written are stored (creation under
//!   `attribute_not_exists(tracking_id)`, updates under `version = :expected`, both conditions
//!   checked, so a run that acts twice on one version fails instead of measuring a conflict
//!   path), `GetItem` reads them, and `Query` reads them through the template's indexes (sparse:
//!   an item is in an index only when it carries the index's partition attribute; the key
//!   condition, `Limit`, `ScanIndexForward`, `ExclusiveStartKey`/`LastEvaluatedKey` and a filter
//!   expression are evaluated). `snapshot`/`restore` let the budget give every invocation of a
//!   subject the same starting state.
//! - **The channel state table is kept** the same way (`GetItem`, `BatchGetItem`, conditional
//!   `PutItem` and `DeleteItem`): the claims on inbound messages and on notifications are real
//!   claims, so a repeated id is a duplicate, as it is in DynamoDB. It is snapshotted with the
//!   reports.
//! - **The agencies table** holds the directory the budget gives it (what `lapor-local seed`
//!   writes) and answers `Scan` in pages of at most 1 MB, as DynamoDB does.
//! - **Every other table** (idempotency records, routing models, routing examples) acknowledges
//!   writes without keeping them and reads as empty: a kept idempotency record would turn every
//!   later intake invocation, which reuses the fixture's `Idempotency-Key`, into a replay.
//! - **SQS**: `SendMessage` is kept per queue URL, so the router can be handed what intake sent.
//! - **The SMS gateway** checks the bearer key and the request's shape, keeps what it was asked
//!   to send, and answers `200 {"message_id":"sms-<n>"}`.
//!
//! Condition, filter and key condition expressions are parsed as DynamoDB reads them: `OR`,
//! `AND`, `NOT` and parentheses over comparisons (`= <> < <= > >=`) of a top-level attribute
//! with a `:value`, and `attribute_exists` / `attribute_not_exists`, with `#names` resolved.
//! An operation or an expression it does not know (`BETWEEN`, `begins_with`, nested paths...) is
//! answered with an error and recorded (`problems`), so a function that starts using something
//! new makes the budget run fail instead of measuring an error path.

use crate::ddb_json::compare;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
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

/// Where the SMS gateway's contract is served: the notifier's `SMS_API_URL` is this path on the
/// endpoint ([`FakeAws::sms_api_url`]), and it posts to `{SMS_API_URL}/messages`.
pub const SMS_GATEWAY_PATH: &str = "/sms-gateway/messages";
/// The SMS gateway's API key (the notifier's `SMS_API_KEY`), checked on every send.
pub const SMS_API_KEY: &str = "lapor-budget-sms-api-key";
/// How sends to the SMS gateway are counted among the operations.
pub const SMS_GATEWAY_OPERATION: &str = "sms-gateway POST /messages";

/// Operations this endpoint knows; any other is answered with an error and counted.
pub const KNOWN_OPERATIONS: [&str; 9] = [
    "DynamoDB_20120810.GetItem",
    "DynamoDB_20120810.BatchGetItem",
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.DeleteItem",
    "DynamoDB_20120810.TransactWriteItems",
    "DynamoDB_20120810.Query",
    "DynamoDB_20120810.Scan",
    "AmazonSQS.SendMessage",
    SMS_GATEWAY_OPERATION,
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
    pub channel_state: String,
    /// The channel state table's key attribute (`state_key`).
    pub channel_state_key: String,
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

/// One SMS the gateway was asked to send.
#[derive(Debug, Clone)]
pub struct SmsSent {
    pub to: String,
    pub text: String,
    pub reference: String,
}

#[derive(Default)]
struct State {
    /// Reports by tracking id, as DynamoDB JSON items.
    reports: HashMap<String, Item>,
    /// The channel state table's items by key.
    channel_state: HashMap<String, Item>,
    /// Copies of `reports` and `channel_state` to go back to.
    saved: Option<(HashMap<String, Item>, HashMap<String, Item>)>,
    /// The agencies table's items, in key order.
    agencies: Vec<Item>,
    /// (queue URL, body) of every message sent, oldest first.
    messages: Vec<(String, String)>,
    /// What the SMS gateway accepted, oldest first.
    sms: Vec<SmsSent>,
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

    /// Remembers the reports and the channel state as they are now.
    pub fn snapshot(&self) {
        let mut state = self.state();
        state.saved = Some((state.reports.clone(), state.channel_state.clone()));
    }

    /// Puts the reports and the channel state back as they were at the last `snapshot`.
    pub fn restore(&self) {
        let mut state = self.state();
        if let Some((reports, channel_state)) = state.saved.clone() {
            state.reports = reports;
            state.channel_state = channel_state;
        }
    }

    /// The base URL of the SMS gateway (`SMS_API_URL`): the adapter posts to `{url}/messages`.
    pub fn sms_api_url(&self) -> String {
        let base = SMS_GATEWAY_PATH
            .strip_suffix("/messages")
            .expect("the gateway path ends in /messages");
        format!("{}{base}", self.url())
    }

    /// What the SMS gateway accepted so far, oldest first.
    pub fn sms_sent(&self) -> Vec<SmsSent> {
        self.state().sms.clone()
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

/// A parsed condition, filter or key condition expression.
#[derive(Debug, PartialEq)]
enum Expr {
    Exists(String),
    NotExists(String),
    /// `path <op> :value` as (path, ordering, negate, value): `=` is (Equal, false), `<>` (Equal,
    /// true), `<` (Less, false), `>=` (Less, true), `>` (Greater, false), `<=` (Greater, true).
    Compare(String, Ordering, bool, Value),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

impl Expr {
    /// The expression as `AND`-ed parts (itself alone when it is not an `AND`).
    fn conjuncts(&self) -> Vec<&Expr> {
        match self {
            Expr::And(parts) => parts.iter().flat_map(Expr::conjuncts).collect(),
            other => vec![other],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Comma,
    Comparator(&'static str),
    /// A keyword, a function name, an attribute name, a `#name` or a `:value`.
    Word(String),
}

fn tokenize(expression: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = expression.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' | '=' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ',' => Token::Comma,
                    _ => Token::Comparator("="),
                });
            }
            '<' | '>' => {
                chars.next();
                let comparator = match (c, chars.peek()) {
                    ('<', Some('=')) => "<=",
                    ('<', Some('>')) => "<>",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                if comparator.len() == 2 {
                    chars.next();
                }
                tokens.push(Token::Comparator(comparator));
            }
            c if c.is_alphanumeric() || "_#:.[]-".contains(c) => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if !(c.is_alphanumeric() || "_#:.[]-".contains(c)) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
            other => return Err(format!("cannot read {other:?} in {expression:?}")),
        }
    }
    Ok(tokens)
}

/// A recursive-descent reader of DynamoDB's expression grammar, with its precedence (`NOT`
/// before `AND` before `OR`), over the subset the functions use.
struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    input: &'a Value,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and()?];
        while self.keyword("OR") {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.not()?];
        while self.keyword("AND") {
            self.next();
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.keyword("NOT") {
            self.next();
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    other => Err(format!("expected `)`, found {other:?}")),
                }
            }
            Some(Token::Word(word)) if self.peek() == Some(&Token::Open) => {
                self.next();
                let mut arguments = Vec::new();
                loop {
                    match self.next() {
                        Some(Token::Word(argument)) => arguments.push(argument),
                        other => return Err(format!("cannot read {word}(...): found {other:?}")),
                    }
                    match self.next() {
                        Some(Token::Comma) => continue,
                        Some(Token::Close) => break,
                        other => return Err(format!("cannot read {word}(...): found {other:?}")),
                    }
                }
                match (word.as_str(), arguments.as_slice()) {
                    ("attribute_exists", [path]) => Ok(Expr::Exists(self.name(path)?)),
                    ("attribute_not_exists", [path]) => Ok(Expr::NotExists(self.name(path)?)),
                    _ => Err(format!(
                        "function {word} with {} argument(s) is not supported",
                        arguments.len()
                    )),
                }
            }
            Some(Token::Word(left)) => {
                let comparator = match self.next() {
                    Some(Token::Comparator(c)) => c,
                    Some(Token::Word(w)) => {
                        return Err(format!("{w} is not supported (after {left})"))
                    }
                    other => {
                        return Err(format!(
                            "expected a comparator after {left}, found {other:?}"
                        ))
                    }
                };
                let right = match self.next() {
                    Some(Token::Word(right)) => right,
                    other => {
                        return Err(format!(
                            "expected an operand after {left} {comparator}, found {other:?}"
                        ))
                    }
                };
                let (ordering, negate) = match comparator {
                    "=" => (Ordering::Equal, false),
                    "<>" => (Ordering::Equal, true),
                    "<" => (Ordering::Less, false),
                    ">=" => (Ordering::Less, true),
                    ">" => (Ordering::Greater, false),
                    _ => (Ordering::Greater, true),
                };
                // `path <op> :value`, or `:value <op> path` read the other way round.
                match (left.starts_with(':'), right.starts_with(':')) {
                    (false, true) => Ok(Expr::Compare(
                        self.name(&left)?,
                        ordering,
                        negate,
                        self.value(&right)?,
                    )),
                    (true, false) => Ok(Expr::Compare(
                        self.name(&right)?,
                        ordering.reverse(),
                        negate,
                        self.value(&left)?,
                    )),
                    _ => Err(format!(
                        "only an attribute compared with a :value is supported ({left} {comparator} {right})"
                    )),
                }
            }
            other => Err(format!("expected a condition, found {other:?}")),
        }
    }

    /// An attribute name: `#name` resolved, or a plain top-level name (no nested paths).
    fn name(&self, token: &str) -> Result<String, String> {
        if token.starts_with('#') {
            self.input["ExpressionAttributeNames"][token]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{token} is not in ExpressionAttributeNames"))
        } else if !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            Ok(token.to_string())
        } else {
            Err(format!("attribute path {token:?} is not supported"))
        }
    }

    fn value(&self, token: &str) -> Result<Value, String> {
        self.input["ExpressionAttributeValues"]
            .get(token)
            .cloned()
            .ok_or_else(|| format!("{token} is not in ExpressionAttributeValues"))
    }
}

/// Parses an expression of `input` (its `ExpressionAttributeNames` and
/// `ExpressionAttributeValues` resolve `#names` and `:values`). Anything outside the supported
/// grammar (see the module documentation) is refused with the reason.
fn parse_expression(expression: &str, input: &Value) -> Result<Expr, String> {
    let mut parser = Parser {
        tokens: tokenize(expression)?,
        at: 0,
        input,
    };
    let expr = parser.or()?;
    match parser.peek() {
        None => Ok(expr),
        Some(extra) => Err(format!("cannot read {expression:?}: unexpected {extra:?}")),
    }
}

/// Whether `item` (absent: no item) satisfies the expression. A comparison with a missing
/// attribute or a value of another type is false, except `<>`, which is then true.
fn holds(expr: &Expr, item: Option<&Value>) -> bool {
    let attribute = |path: &str| item.and_then(|i| i.get(path));
    match expr {
        Expr::Exists(path) => attribute(path).is_some(),
        Expr::NotExists(path) => attribute(path).is_none(),
        Expr::Compare(path, ordering, negate, value) => {
            match attribute(path).and_then(|a| compare(a, value)) {
                Some(found) => (found == *ordering) != *negate,
                None => *ordering == Ordering::Equal && *negate,
            }
        }
        Expr::And(parts) => parts.iter().all(|p| holds(p, item)),
        Expr::Or(parts) => parts.iter().any(|p| holds(p, item)),
        Expr::Not(inner) => !holds(inner, item),
    }
}

/// Why a write on a kept table cannot be applied.
enum WriteError {
    ConditionFailed,
    Unsupported(String),
}

/// A write on a kept table, checked and ready to apply.
struct Write {
    table: String,
    key: String,
    /// The new item, or `None` for a deletion.
    item: Option<Value>,
}

/// The kept table called `table`: its key attribute and items.
fn kept<'s, 't>(
    state: &'s State,
    tables: &'t Tables,
    table: &str,
) -> Option<(&'t str, &'s HashMap<String, Item>)> {
    if table == tables.reports {
        Some((&tables.reports_key, &state.reports))
    } else if table == tables.channel_state {
        Some((&tables.channel_state_key, &state.channel_state))
    } else {
        None
    }
}

/// The item stored under `key` (a DynamoDB key map) in `table`: a kept table or the agencies.
fn stored<'a>(state: &'a State, tables: &Tables, table: &str, key: &Value) -> Option<&'a Item> {
    if let Some((attribute, items)) = kept(state, tables, table) {
        return key[attribute]["S"].as_str().and_then(|k| items.get(k));
    }
    if table == tables.agencies {
        let id = key[&tables.agencies_key]["S"].as_str()?;
        let attribute = &tables.agencies_key;
        return state
            .agencies
            .iter()
            .find(|a| a.value[attribute]["S"].as_str() == Some(id));
    }
    None
}

/// A `Put` (of `PutItem` or of a transaction, `Item` set) or a `Delete` (`Key` set) on a kept
/// table, its condition checked against the stored item; not applied. `Ok(None)` for a table that
/// is not kept (the write is acknowledged and forgotten).
fn check_write(
    state: &State,
    tables: &Tables,
    request: &Value,
) -> Result<Option<Write>, WriteError> {
    let table = request["TableName"].as_str().unwrap_or_default();
    let Some((attribute, items)) = kept(state, tables, table) else {
        return Ok(None);
    };
    let (key_source, item) = match request.get("Item") {
        Some(item) => (item, Some(item.clone())),
        None => (&request["Key"], None),
    };
    let key = key_source[attribute]["S"]
        .as_str()
        .ok_or_else(|| {
            WriteError::Unsupported(format!("a write on {table} without its key {attribute}"))
        })?
        .to_string();
    if let Some(condition) = request["ConditionExpression"].as_str() {
        let expr = parse_expression(condition, request).map_err(WriteError::Unsupported)?;
        if !holds(&expr, items.get(&key).map(|i| &i.value)) {
            return Err(WriteError::ConditionFailed);
        }
    }
    Ok(Some(Write {
        table: table.to_string(),
        key,
        item,
    }))
}

fn apply(state: &mut State, tables: &Tables, write: Write) {
    let items = if write.table == tables.reports {
        &mut state.reports
    } else {
        &mut state.channel_state
    };
    match write.item {
        Some(item) => {
            items.insert(write.key, Item::new(item));
        }
        None => {
            items.remove(&write.key);
        }
    }
}

/// `PutItem` or `DeleteItem`: applied when its condition holds.
fn write_one(state: &mut State, tables: &Tables, input: &Value) -> Response<Full<Bytes>> {
    match check_write(state, tables, input) {
        Ok(write) => {
            if let Some(write) = write {
                apply(state, tables, write);
            }
            ok(json!({}))
        }
        Err(WriteError::ConditionFailed) => dynamodb_error(
            "ConditionalCheckFailedException",
            "The conditional request failed",
        ),
        Err(WriteError::Unsupported(problem)) => record_problem(state, problem),
    }
}

/// `BatchGetItem`: every key found is answered (nothing left unprocessed).
fn batch_get(state: &State, tables: &Tables, input: &Value) -> Result<String, String> {
    let requests = input["RequestItems"]
        .as_object()
        .ok_or("BatchGetItem without RequestItems")?;
    let mut out = String::from(r#"{"Responses":{"#);
    for (n, (table, request)) in requests.iter().enumerate() {
        if request.get("ProjectionExpression").is_some() {
            return Err(format!(
                "BatchGetItem with a ProjectionExpression on {table}"
            ));
        }
        let keys = request["Keys"]
            .as_array()
            .ok_or_else(|| format!("BatchGetItem on {table} without Keys"))?;
        let found: Vec<&str> = keys
            .iter()
            .filter_map(|key| stored(state, tables, table, key))
            .map(|item| item.json.as_str())
            .collect();
        if n > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(table.clone()).to_string());
        out.push_str(":[");
        out.push_str(&found.join(","));
        out.push(']');
    }
    out.push_str(r#"},"UnprocessedKeys":{}}"#);
    Ok(out)
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
    let key_expr = parse_expression(key_condition, input)?;
    let clauses = key_expr.conjuncts();
    let on_partition = clauses
        .iter()
        .any(|c| matches!(c, Expr::Compare(p, Ordering::Equal, false, _) if *p == partition));
    // `AND`-ed comparisons of the key attributes (`<>` is not a key condition).
    let on_keys_only = clauses.iter().all(|c| match c {
        Expr::Compare(p, ordering, negate, _) => {
            (*p == partition || Some(p) == sort.as_ref())
                && !(*ordering == Ordering::Equal && *negate)
        }
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
        .filter(|item| holds(&key_expr, Some(&item.value)))
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
    let headers = req.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let target = header("x-amz-target");
    let gateway = req.uri().path() == SMS_GATEWAY_PATH;
    let method = req.method().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let started = Instant::now();
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut state = state.lock().expect("fake AWS state");
    let response = if gateway {
        sms_gateway(
            &mut state,
            &method,
            &header("authorization"),
            &header("content-type"),
            &input,
        )
    } else {
        respond(&mut state, tables, message_ids, &target, &input)
    };
    state.busy += started.elapsed();
    response
}

/// `POST {SMS_API_URL}/messages` as `lapor::notify::sms_gateway` documents the contract: the
/// bearer key, a JSON `{"to": "+62...", "text": "...", "reference": "..."}`, answered
/// `200 {"message_id": "sms-<n>"}`. A request that breaks the contract is answered 401 or 400
/// and recorded as a problem (the notifier would then measure its error path).
fn sms_gateway(
    state: &mut State,
    method: &Method,
    authorization: &str,
    content_type: &str,
    input: &Value,
) -> Response<Full<Bytes>> {
    *state
        .calls
        .entry(SMS_GATEWAY_OPERATION.to_string())
        .or_default() += 1;
    let refuse = |state: &mut State, status: StatusCode, code: &str, problem: String| {
        state
            .problems
            .push(format!("lapor-budget's fake SMS gateway: {problem}"));
        answer(status, json!({ "error": { "code": code } }))
    };
    if method != Method::POST {
        return refuse(
            state,
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("{method} instead of POST"),
        );
    }
    if authorization != format!("Bearer {SMS_API_KEY}") {
        return refuse(
            state,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "a send without `Authorization: Bearer <SMS_API_KEY>`".into(),
        );
    }
    let field = |name: &str| {
        input[name]
            .as_str()
            .filter(|v| !v.trim().is_empty())
            .map(str::to_string)
    };
    let to = field("to").filter(|to| {
        to.strip_prefix('+')
            .is_some_and(|digits| digits.len() >= 8 && digits.bytes().all(|b| b.is_ascii_digit()))
    });
    match (
        content_type.starts_with("application/json"),
        to,
        field("text"),
        field("reference"),
    ) {
        (true, Some(to), Some(text), Some(reference)) => {
            state.sms.push(SmsSent {
                to,
                text,
                reference,
            });
            let id = state.sms.len();
            answer(StatusCode::OK, json!({ "message_id": format!("sms-{id}") }))
        }
        _ => refuse(
            state,
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("not a JSON {{to (E.164), text, reference}} send ({content_type}): {input}"),
        ),
    }
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
    match target {
        "DynamoDB_20120810.GetItem" => match stored(state, tables, table, &input["Key"]) {
            Some(item) => answer_text(StatusCode::OK, format!(r#"{{"Item":{}}}"#, item.json)),
            None => ok(json!({})),
        },
        "DynamoDB_20120810.BatchGetItem" => match batch_get(state, tables, input) {
            Ok(out) => answer_text(StatusCode::OK, out),
            Err(problem) => record_problem(state, problem),
        },
        "DynamoDB_20120810.PutItem" | "DynamoDB_20120810.DeleteItem" => {
            write_one(state, tables, input)
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
                match check_write(state, tables, put) {
                    Ok(write) => {
                        writes.extend(write);
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
            for write in writes {
                apply(state, tables, write);
            }
            ok(json!({}))
        }
        "DynamoDB_20120810.Query" => {
            if table != tables.reports {
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
            } else if kept(state, tables, table).is_some() {
                // Nothing may scan the reports table (it grows without bound), nor the state.
                record_problem(state, format!("a Scan of {table}"))
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
            channel_state: "channel-state".into(),
            channel_state_key: "state_key".into(),
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
            Expr::And(vec![
                Expr::Compare(
                    "agency_id".into(),
                    Ordering::Equal,
                    false,
                    json!({"S": "pln"})
                ),
                Expr::Compare("due_ms".into(), Ordering::Greater, true, json!({"N": "5"})),
                Expr::Exists("public_feed".into()),
            ])
        );
        // A value on the left reads the other way round.
        assert_eq!(
            parse_expression(":now > due_ms", &input).unwrap(),
            Expr::Compare("due_ms".into(), Ordering::Less, false, json!({"N": "5"}))
        );
        for unsupported in [
            "#missing = :p",
            "a = :missing",
            "begins_with(a, :p)",
            "a BETWEEN :p AND :now",
            "a.b = :p",
            "a = b",
            "(a = :p",
            "a = :p)",
            "a = :p OR",
            "size(a) > :now",
        ] {
            assert!(
                parse_expression(unsupported, &input).is_err(),
                "{unsupported}"
            );
        }
        let item = json!({"due_ms": {"N": "4"}, "agency_id": {"S": "pln"}});
        let expr = parse_expression("#p = :p AND due_ms <= :now", &input).unwrap();
        assert!(holds(&expr, Some(&item)));
        assert!(!holds(&expr, None));
        let not_due = json!({"due_ms": {"N": "6"}, "agency_id": {"S": "pln"}});
        assert!(!holds(&expr, Some(&not_due)));
        // A missing attribute compares false, except with `<>`.
        let no_agency = json!({"due_ms": {"N": "4"}});
        assert!(!holds(
            &parse_expression("#p = :p", &input).unwrap(),
            Some(&no_agency)
        ));
        assert!(holds(
            &parse_expression("#p <> :p", &input).unwrap(),
            Some(&no_agency)
        ));
        assert!(!holds(
            &parse_expression("#p <> :p", &input).unwrap(),
            Some(&item)
        ));
    }

    /// The notifier's and the channels' claim (`DynamoChannelState::claim_delivery`).
    const CLAIM: &str = "attribute_not_exists(#key) OR (#state = :claimed AND lease_until < :now) \
                         OR #ttl < :now_s";

    fn claim(key: &str, now_ms: u64) -> Value {
        json!({
            "TableName": "channel-state",
            "Item": {
                "state_key": {"S": key},
                "state": {"S": "claimed"},
                "lease_until": {"N": (now_ms + 60_000).to_string()},
                "expires_at": {"N": (now_ms / 1000 + 86_400).to_string()},
            },
            "ConditionExpression": CLAIM,
            "ExpressionAttributeNames": {"#key": "state_key", "#state": "state", "#ttl": "expires_at"},
            "ExpressionAttributeValues": {
                ":claimed": {"S": "claimed"},
                ":now": {"N": now_ms.to_string()},
                ":now_s": {"N": (now_ms / 1000).to_string()},
            },
        })
    }

    #[test]
    fn or_and_and_parentheses_read_with_dynamodbs_precedence() {
        let input = claim("delivery#n-1", 1_000_000);
        assert_eq!(
            parse_expression(CLAIM, &input).unwrap(),
            Expr::Or(vec![
                Expr::NotExists("state_key".into()),
                Expr::And(vec![
                    Expr::Compare(
                        "state".into(),
                        Ordering::Equal,
                        false,
                        json!({"S": "claimed"})
                    ),
                    Expr::Compare(
                        "lease_until".into(),
                        Ordering::Less,
                        false,
                        json!({"N": "1000000"})
                    ),
                ]),
                Expr::Compare(
                    "expires_at".into(),
                    Ordering::Less,
                    false,
                    json!({"N": "1000"})
                ),
            ])
        );
        // AND binds tighter than OR, NOT tighter than AND; parentheses override both.
        let values = json!({"ExpressionAttributeValues": {":one": {"N": "1"}}});
        let item = json!({"a": {"N": "1"}, "b": {"N": "2"}, "c": {"N": "2"}});
        let eval = |e: &str| holds(&parse_expression(e, &values).unwrap(), Some(&item));
        assert!(eval("a = :one OR b = :one AND c = :one"));
        assert!(!eval("(a = :one OR b = :one) AND c = :one"));
        assert!(eval("NOT b = :one AND a = :one"));
        assert!(!eval("NOT (b = :one OR a = :one)"));
        assert!(eval("((a = :one))"));
    }

    #[test]
    fn claims_on_the_channel_state_are_taken_once_until_their_lease_lapses() {
        let tables = tables();
        let mut state = State::default();
        let now = 1_768_000_000_000u64;
        let put = |state: &mut State, input: &Value| {
            respond(
                state,
                &tables,
                &AtomicU64::new(1),
                "DynamoDB_20120810.PutItem",
                input,
            )
            .status()
        };
        assert_eq!(put(&mut state, &claim("delivery#n-1", now)), StatusCode::OK);
        // Held: a second claim fails until the lease is over.
        assert_eq!(
            put(&mut state, &claim("delivery#n-1", now + 1_000)),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(put(&mut state, &claim("delivery#n-2", now)), StatusCode::OK);
        assert_eq!(
            put(&mut state, &claim("delivery#n-1", now + 61_000)),
            StatusCode::OK
        );
        // Sent: never claimed again while the record lives.
        let sent = json!({
            "TableName": "channel-state",
            "Item": {"state_key": {"S": "delivery#n-1"}, "state": {"S": "sent"},
                     "expires_at": {"N": (now / 1000 + 86_400).to_string()}},
        });
        assert_eq!(put(&mut state, &sent), StatusCode::OK);
        assert_eq!(
            put(&mut state, &claim("delivery#n-1", now + 3_600_000)),
            StatusCode::BAD_REQUEST
        );
        // ... unless TTL deletion lags behind its expiry.
        assert_eq!(
            put(&mut state, &claim("delivery#n-1", now + 86_401_000)),
            StatusCode::OK
        );
        // A release only deletes a claim, never a sent record.
        let release = |key: &str| {
            json!({
                "TableName": "channel-state",
                "Key": {"state_key": {"S": key}},
                "ConditionExpression": "#state = :claimed",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": {":claimed": {"S": "claimed"}},
            })
        };
        let delete = |state: &mut State, input: &Value| {
            respond(
                state,
                &tables,
                &AtomicU64::new(1),
                "DynamoDB_20120810.DeleteItem",
                input,
            )
            .status()
        };
        assert_eq!(delete(&mut state, &release("delivery#n-2")), StatusCode::OK);
        assert!(!state.channel_state.contains_key("delivery#n-2"));
        assert_eq!(put(&mut state, &sent), StatusCode::OK);
        assert_eq!(
            delete(&mut state, &release("delivery#n-1")),
            StatusCode::BAD_REQUEST
        );
        assert!(state.channel_state.contains_key("delivery#n-1"));
        assert!(state.problems.is_empty(), "{:?}", state.problems);
    }

    #[test]
    fn batch_gets_answer_every_key_found() {
        let tables = tables();
        let mut state = State::default();
        for part in [1, 3] {
            let key = format!("fragment#g#{part}");
            state.channel_state.insert(
                key.clone(),
                Item::new(json!({"state_key": {"S": key}, "text": {"S": format!("t{part}")}})),
            );
        }
        let keys: Vec<Value> = (1..=3)
            .map(|p| json!({"state_key": {"S": format!("fragment#g#{p}")}}))
            .collect();
        let input = json!({"RequestItems": {"channel-state": {
            "Keys": keys,
            "ConsistentRead": true,
        }}});
        let answer = parsed(batch_get(&state, &tables, &input));
        let texts: Vec<&str> = answer["Responses"]["channel-state"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["text"]["S"].as_str().unwrap())
            .collect();
        assert_eq!(texts, ["t1", "t3"]);
        assert_eq!(answer["UnprocessedKeys"], json!({}));
        let unknown = json!({"RequestItems": {"other": {"Keys": [{"k": {"S": "x"}}]}}});
        assert_eq!(
            parsed(batch_get(&state, &tables, &unknown))["Responses"]["other"],
            json!([])
        );
    }

    #[test]
    fn the_sms_gateway_keeps_what_it_accepts_and_refuses_the_rest() {
        let mut state = State::default();
        let send =
            json!({"to": "+6281234567890", "text": "Laporan Anda diterima.", "reference": "A:0"});
        let bearer = format!("Bearer {SMS_API_KEY}");
        let response = sms_gateway(
            &mut state,
            &Method::POST,
            &bearer,
            "application/json",
            &send,
        );
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(state.sms.len(), 1);
        assert_eq!(state.sms[0].to, "+6281234567890");
        assert_eq!(state.sms[0].reference, "A:0");
        assert!(state.problems.is_empty());
        let wrong_key = sms_gateway(
            &mut state,
            &Method::POST,
            "Bearer x",
            "application/json",
            &send,
        );
        assert_eq!(wrong_key.status(), StatusCode::UNAUTHORIZED);
        let local_number = json!({"to": "081234567890", "text": "t", "reference": "r"});
        let response = sms_gateway(
            &mut state,
            &Method::POST,
            &bearer,
            "application/json",
            &local_number,
        );
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(state.sms.len(), 1);
        assert_eq!(state.problems.len(), 2);
        assert_eq!(state.calls[SMS_GATEWAY_OPERATION], 3);
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
        assert!(matches!(
            check_write(&state, &tables(), &update("2")),
            Ok(Some(Write { ref key, item: Some(_), .. })) if key == "A"
        ));
        assert!(matches!(
            check_write(&state, &tables(), &update("1")),
            Err(WriteError::ConditionFailed)
        ));
        let create = |id: &str| {
            json!({
                "TableName": "reports",
                "Item": {"tracking_id": {"S": id}, "version": {"N": "1"}},
                "ConditionExpression": "attribute_not_exists(tracking_id)",
            })
        };
        assert!(check_write(&state, &tables(), &create("B")).is_ok());
        assert!(matches!(
            check_write(&state, &tables(), &create("A")),
            Err(WriteError::ConditionFailed)
        ));
        // Another table's writes are acknowledged and forgotten.
        let mut idempotency = create("A");
        idempotency["TableName"] = "idempotency".into();
        assert!(matches!(
            check_write(&state, &tables(), &idempotency),
            Ok(None)
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
