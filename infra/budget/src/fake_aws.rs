//! An in-process DynamoDB + SQS endpoint that answers at once.
//!
//! This is a measuring instrument, not a test double: it exists so that the budget can time our
//! own code (the SDK's request building and signing, our handlers, serialisation) without network
//! round trips to DynamoDB or SQS, whose latency is not ours to budget. It checks nothing a real
//! service checks (conditions, types, sizes, permissions); correctness is tested elsewhere, against
//! DynamoDB Local and moto. What it answers is shaped like the real services' answers, so the
//! SDK's deserialisers take the same path they take in AWS.
//!
//! It speaks the JSON protocols the SDKs use: DynamoDB JSON 1.0 (`GetItem`, `PutItem`,
//! `TransactWriteItems`) and SQS JSON (`SendMessage`). A report written with an
//! `attribute_not_exists` condition (intake creating it) is kept, so that `status` and `router`
//! can read a report intake really produced; conditional updates are acknowledged and not kept,
//! so every measured router invocation routes the same, unrouted report.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

#[derive(Default)]
struct State {
    /// Reports by tracking id, as DynamoDB JSON items.
    reports: HashMap<String, Value>,
    /// Bodies of the messages sent, oldest first.
    messages: Vec<String>,
    /// Calls by operation (`DynamoDB_20120810.GetItem`, ...), unknown ones included.
    calls: BTreeMap<String, u64>,
}

pub struct FakeAws {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

/// Operations this endpoint knows; any other is answered with an error and counted, so a
/// function that starts using a new operation makes the budget run fail instead of measuring an
/// error path.
pub const KNOWN_OPERATIONS: [&str; 4] = [
    "DynamoDB_20120810.GetItem",
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.TransactWriteItems",
    "AmazonSQS.SendMessage",
];

impl FakeAws {
    pub async fn start(reports_table: String) -> std::io::Result<FakeAws> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let server = {
            let state = state.clone();
            let table = reports_table;
            let message_ids = Arc::new(AtomicU64::new(1));
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let (state, table, ids) = (state.clone(), table.clone(), message_ids.clone());
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let (state, table, ids) = (state.clone(), table.clone(), ids.clone());
                            async move { Ok::<_, hyper::Error>(handle(&state, &table, &ids, req).await) }
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
        self.state().reports.get(tracking_id).cloned()
    }

    /// The first message body sent to any queue.
    pub fn first_message(&self) -> Option<String> {
        self.state().messages.first().cloned()
    }

    /// Calls per operation so far.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.state().calls.clone()
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
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "00000000-0000-4000-8000-000000000000")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a JSON answer builds")
}

/// Keeps a report item that is being created (not one being updated under a version condition).
fn keep_created_report(state: &mut State, table: &str, put: &Value) {
    let creates = put["ConditionExpression"]
        .as_str()
        .is_some_and(|c| c.contains("attribute_not_exists"));
    if put["TableName"] != table || !creates {
        return;
    }
    if let Some(id) = put["Item"]["tracking_id"]["S"].as_str() {
        state
            .reports
            .entry(id.to_string())
            .or_insert_with(|| put["Item"].clone());
    }
}

async fn handle(
    state: &Mutex<State>,
    table: &str,
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
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut state = state.lock().expect("fake AWS state");
    *state.calls.entry(target.clone()).or_default() += 1;
    match target.as_str() {
        "DynamoDB_20120810.GetItem" => {
            let item = (input["TableName"] == table)
                .then(|| input["Key"]["tracking_id"]["S"].as_str())
                .flatten()
                .and_then(|id| state.reports.get(id));
            match item {
                Some(item) => answer(StatusCode::OK, json!({ "Item": item })),
                None => answer(StatusCode::OK, json!({})),
            }
        }
        "DynamoDB_20120810.PutItem" => {
            keep_created_report(&mut state, table, &input);
            answer(StatusCode::OK, json!({}))
        }
        "DynamoDB_20120810.TransactWriteItems" => {
            if let Some(items) = input["TransactItems"].as_array() {
                for item in items {
                    keep_created_report(&mut state, table, &item["Put"]);
                }
            }
            answer(StatusCode::OK, json!({}))
        }
        "AmazonSQS.SendMessage" => {
            let message = input["MessageBody"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let md5 = hex::encode(Md5::digest(message.as_bytes()));
            state.messages.push(message);
            let n = message_ids.fetch_add(1, Ordering::Relaxed);
            answer(
                StatusCode::OK,
                json!({
                    "MessageId": format!("00000000-0000-4000-9000-{n:012x}"),
                    "MD5OfMessageBody": md5,
                }),
            )
        }
        other => answer(
            StatusCode::BAD_REQUEST,
            json!({
                "__type": "com.amazon.coral.service#UnknownOperationException",
                "message": format!("lapor-budget's fake endpoint does not answer {other:?}"),
            }),
        ),
    }
}
