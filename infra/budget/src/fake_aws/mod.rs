//! An in-process DynamoDB + SQS + Secrets Manager endpoint that answers at once, with the SMS
//! gateway's HTTP contract beside them.
//!
//! This is a measuring instrument, not a test double: it exists so that the budget can time our
//! own code (the SDK's request building and signing, our handlers, serialisation) without network
//! round trips to DynamoDB, SQS or the SMS gateway, whose latency is not ours to budget.
//! Correctness is tested elsewhere, against DynamoDB Local and moto. What it answers is shaped
//! like the real services' answers, so the SDK's deserialisers take the same path they take in
//! AWS.
//!
//! It answers exactly what the measured paths send, and refuses the rest loudly: DynamoDB JSON
//! 1.0 `GetItem`, `PutItem`, `UpdateItem`, `TransactWriteItems` of `Put`s, `Query` and `Scan`
//! ([`dynamodb`], with the expressions of [`expressions`]), SQS JSON `SendMessage` (kept per
//! queue URL, so the router can be handed what intake sent), Secrets Manager's
//! `GetSecretValue` (the secrets the budget holds), and the SMS gateway's
//! `POST {SMS_API_URL}/messages` ([`sms_gateway`]; what it was asked to send is kept). Anything
//! else (another operation, parameter or expression) is answered with an error and recorded
//! ([`FakeAws::problems`]), so a function that starts using something new makes the run fail
//! instead of measuring an error path.

pub mod dynamodb;
pub mod expressions;
mod secrets_manager;
pub mod sms_gateway;

use crate::http;
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use dynamodb::{Dynamo, Tables};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use md5::{Digest, Md5};
use serde::Deserialize;
use serde_dynamo::Item;
use sms_gateway::SmsSent;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Default)]
struct State {
    dynamo: Dynamo,
    /// Secrets Manager's secrets: name -> `SecretString`.
    secrets: HashMap<String, String>,
    /// (queue URL, body) of every message sent, oldest first.
    messages: Vec<(String, String)>,
    /// What the SMS gateway accepted, oldest first.
    sms: Vec<SmsSent>,
    /// Calls by operation (`DynamoDB_20120810.GetItem`, ...), refused ones included.
    calls: BTreeMap<String, u64>,
    /// What the endpoint could not answer.
    problems: Vec<String>,
    /// Time spent answering (from the request's body read in full to the answer built).
    busy: Duration,
}

pub struct FakeAws {
    pub addr: SocketAddr,
    tables: Arc<Tables>,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeAws {
    /// Starts the endpoint with `agencies` in the agencies table and `secrets` (name ->
    /// `SecretString`) in Secrets Manager.
    pub async fn start(
        tables: Tables,
        agencies: Vec<Item>,
        secrets: HashMap<String, String>,
    ) -> std::io::Result<FakeAws> {
        let state = Arc::new(Mutex::new(State {
            dynamo: Dynamo::new(&tables, agencies),
            secrets,
            ..State::default()
        }));
        let tables = Arc::new(tables);
        let (addr, server) = {
            let (state, tables) = (state.clone(), tables.clone());
            http::serve(move |req| handle(state.clone(), tables.clone(), req)).await?
        };
        Ok(FakeAws {
            addr,
            tables,
            state,
            server,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL of the SMS gateway (`SMS_API_URL`): the adapter posts to `{url}/messages`.
    pub fn sms_api_url(&self) -> String {
        let base = sms_gateway::PATH
            .strip_suffix("/messages")
            .expect("the gateway path ends in /messages");
        format!("{}{base}", self.url())
    }

    /// The report stored under `tracking_id`.
    pub fn report(&self, tracking_id: &str) -> Option<Item> {
        let state = self.state();
        state
            .dynamo
            .reports
            .get(tracking_id)
            .map(|s| s.item.clone())
    }

    /// Every stored report.
    pub fn reports(&self) -> Vec<Item> {
        let state = self.state();
        state
            .dynamo
            .reports
            .values()
            .map(|s| s.item.clone())
            .collect()
    }

    /// Stores (or replaces) a report, under its key attribute.
    pub fn put_report(&self, item: Item) -> Result<()> {
        let key = &self.tables.reports.key;
        let id = dynamodb::string(&item, key)
            .with_context(|| format!("a report without {key}"))?
            .to_string();
        let stored = dynamodb::Stored::new(item);
        self.state().dynamo.reports.insert(id, stored);
        Ok(())
    }

    /// Remembers the reports and the channel state as they are now.
    pub fn snapshot(&self) {
        self.state().dynamo.snapshot();
    }

    /// Puts the reports and the channel state back as they were at the last `snapshot`.
    pub fn restore(&self) {
        self.state().dynamo.restore();
    }

    /// What the SMS gateway accepted so far, oldest first.
    pub fn sms_sent(&self) -> Vec<SmsSent> {
        self.state().sms.clone()
    }

    /// Bodies of the messages sent to the queue at `url`, oldest first.
    pub fn messages(&self, url: &str) -> Vec<String> {
        let state = self.state();
        let to_url = state.messages.iter().filter(|(to, _)| to == url);
        to_url.map(|(_, body)| body.clone()).collect()
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

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("fake AWS state")
    }
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    tables: Arc<Tables>,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = http::body(body).await;
    let header = |name: &str| {
        let value = parts.headers.get(name).and_then(|v| v.to_str().ok());
        value.unwrap_or_default().to_string()
    };
    let started = Instant::now();
    let mut state = state.lock().expect("fake AWS state");
    let response = if parts.uri.path() == sms_gateway::PATH {
        let (authorization, content_type) = (header("authorization"), header("content-type"));
        state.sms_send(parts.method.as_str(), &authorization, &content_type, &body)
    } else {
        state.aws(&tables, &header("x-amz-target"), &body)
    };
    state.busy += started.elapsed();
    response
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SendMessage {
    queue_url: String,
    message_body: String,
}

/// Reads a request (the JSON body) into its operation's struct, which refuses any parameter it
/// does not name.
fn read<T: serde::de::DeserializeOwned>(operation: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).with_context(|| format!("a {operation} it cannot answer"))
}

impl State {
    /// A DynamoDB, SQS or Secrets Manager request (`X-Amz-Target`).
    fn aws(&mut self, tables: &Tables, target: &str, body: &[u8]) -> Response<Full<Bytes>> {
        *self.calls.entry(target.to_string()).or_default() += 1;
        let json_1_1 = target.starts_with("secretsmanager.");
        match self.dispatch(tables, target, body) {
            Ok(Ok(json)) => answer(StatusCode::OK, json, json_1_1),
            Ok(Err(refused)) => {
                let body = dynamodb::refusal_body(&refused).to_string();
                answer(StatusCode::BAD_REQUEST, body, false)
            }
            Err(problem) => self.problem(problem),
        }
    }

    fn dispatch(&mut self, tables: &Tables, target: &str, body: &[u8]) -> Result<dynamodb::Answer> {
        let dynamo = &mut self.dynamo;
        Ok(match target {
            "DynamoDB_20120810.GetItem" => Ok(dynamo.get_item(tables, read(target, body)?)?),
            "DynamoDB_20120810.PutItem" => dynamo.put_item(tables, read(target, body)?)?,
            "DynamoDB_20120810.UpdateItem" => dynamo.update_item(tables, read(target, body)?)?,
            "DynamoDB_20120810.TransactWriteItems" => {
                dynamo.transact_write_items(tables, read(target, body)?)?
            }
            "DynamoDB_20120810.Query" => Ok(dynamo.query(tables, read(target, body)?)?),
            "DynamoDB_20120810.Scan" => Ok(dynamo.scan(tables, read(target, body)?)?),
            "AmazonSQS.SendMessage" => Ok(self.send_message(read(target, body)?)),
            "secretsmanager.GetSecretValue" => Ok(secrets_manager::get_secret_value(
                &self.secrets,
                read(target, body)?,
            )?),
            other => bail!("the operation {other:?} is not answered (no measured path uses it)"),
        })
    }

    fn send_message(&mut self, request: SendMessage) -> String {
        let md5 = hex::encode(Md5::digest(request.message_body.as_bytes()));
        self.messages
            .push((request.queue_url, request.message_body));
        let n = self.messages.len();
        serde_json::json!({
            "MessageId": format!("00000000-0000-4000-9000-{n:012x}"),
            "MD5OfMessageBody": md5,
        })
        .to_string()
    }

    fn sms_send(
        &mut self,
        method: &str,
        authorization: &str,
        content_type: &str,
        body: &[u8],
    ) -> Response<Full<Bytes>> {
        *self.calls.entry(sms_gateway::OPERATION.into()).or_default() += 1;
        match sms_gateway::read(method, authorization, content_type, body) {
            Ok(sent) => {
                self.sms.push(sent);
                let id = format!("sms-{}", self.sms.len());
                let body = serde_json::json!({ "message_id": id }).to_string();
                answer(StatusCode::OK, body, false)
            }
            Err(problem) => self.problem(problem.context("the SMS gateway")),
        }
    }

    /// Records what could not be answered, and answers it with a `ValidationException`.
    fn problem(&mut self, problem: anyhow::Error) -> Response<Full<Bytes>> {
        let message = format!("lapor-budget's fake endpoint: {problem:#}");
        self.problems.push(message.clone());
        let body = serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ValidationException",
            "message": message,
        });
        answer(StatusCode::BAD_REQUEST, body.to_string(), false)
    }
}

/// A JSON answer, typed as AWS JSON 1.0 (DynamoDB, SQS) or 1.1 (Secrets Manager).
fn answer(status: StatusCode, body: String, json_1_1: bool) -> Response<Full<Bytes>> {
    let content_type = match json_1_1 {
        true => "application/x-amz-json-1.1",
        false => "application/x-amz-json-1.0",
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-requestid", "00000000-0000-4000-8000-000000000000")
        .body(Full::new(Bytes::from(body)))
        .expect("a JSON answer builds")
}
