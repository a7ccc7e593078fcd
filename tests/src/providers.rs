//! Imitation provider servers for the outbound adapters: plain HTTP on 127.0.0.1, a random port.
//!
//! One [`FakeProvider`] records every request (method, path with query, headers, JSON body) and
//! answers from a script: scripted [`Reply`]s first, in order, then the provider's usual success
//! answer for its [`Shape`]. Point an adapter at [`FakeProvider::url`]:
//!
//! ```ignore
//! let sms = FakeProvider::sms_gateway().await;
//! sms.reply(Reply::json(429, json!({"error": {"code": "THROTTLED"}})).header("retry-after", "2"));
//! let sender = SmsGatewaySender::new(JsonClient::new()?, sms.url(), "key");
//! // ... send ...
//! assert_eq!(sms.requests()[0].path, "/messages");
//! ```
//!
//! The success answers follow each provider's documented shape, with ids numbered per server:
//! the SMS gateway `{"message_id": "sms-1"}` (and the first id again for a repeated
//! `reference`, as the contract asks), X `201 {"data": {"dm_conversation_id", "dm_event_id"}}`,
//! the Graph API `{"recipient_id", "message_id": "m_1"}` on `/me/messages` and the Cloud API
//! `{"messaging_product", "contacts", "messages": [{"id": "wamid.1"}]}` on
//! `/{phone_number_id}/messages`.
//!
//! [`FakeProvider::serve`] answers one path (without its query) with the same reply every time,
//! before the script: files to download (media on a CDN), `Reply::bytes`.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Which provider the server imitates: decides its default success answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    SmsGateway,
    X,
    /// Meta's Graph API: Messenger's Send API and WhatsApp's Cloud API.
    Graph,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, e.g. `/2/dm_conversations/with/42/messages`.
    pub path: String,
    /// Header names in lower case; a repeated header keeps its last value.
    pub headers: HashMap<String, String>,
    /// The body as JSON, `Value::Null` if it was not JSON.
    pub body: Value,
    pub raw_body: Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Reply {
    /// `status` with `body` as JSON.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(body.to_string()),
        }
    }

    /// `status` with a body that is not JSON (a proxy's error page, say).
    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: Bytes::from(body.to_string()),
        }
    }

    /// `status` with `body` as it is, of `content_type` (a file to download).
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    script: VecDeque<Reply>,
    next_id: u64,
    /// SMS gateway: the message id given to each `reference`.
    references: HashMap<String, String>,
    /// Fixed answers by path (without the query), every time.
    served: HashMap<String, Reply>,
}

/// An imitation provider; stops when dropped.
pub struct FakeProvider {
    addr: SocketAddr,
    shape: Shape,
    state: Arc<Mutex<State>>,
    server: JoinHandle<()>,
}

impl FakeProvider {
    pub async fn start(shape: Shape) -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(answer(shape, &state, request).await) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
        FakeProvider {
            addr,
            shape,
            state,
            server,
        }
    }

    pub async fn sms_gateway() -> FakeProvider {
        FakeProvider::start(Shape::SmsGateway).await
    }

    pub async fn x() -> FakeProvider {
        FakeProvider::start(Shape::X).await
    }

    /// Messenger and WhatsApp (one Graph API server serves both).
    pub async fn graph() -> FakeProvider {
        FakeProvider::start(Shape::Graph).await
    }

    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Answers the next unanswered request with `reply` (after any replies queued before it).
    pub fn reply(&self, reply: Reply) -> &Self {
        self.state.lock().unwrap().script.push_back(reply);
        self
    }

    /// Queues `reply` `times` times.
    pub fn reply_times(&self, times: usize, reply: Reply) -> &Self {
        for _ in 0..times {
            self.reply(reply.clone());
        }
        self
    }

    /// Answers every request for `path` (its query ignored) with `reply`, before the script.
    pub fn serve(&self, path: &str, reply: Reply) -> &Self {
        self.state
            .lock()
            .unwrap()
            .served
            .insert(path.to_string(), reply);
        self
    }

    /// The requests so far for `path` (its query ignored).
    pub fn requests_for(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.split('?').next() == Some(path))
            .collect()
    }

    /// Scripted replies not used yet.
    pub fn pending_replies(&self) -> usize {
        self.state.lock().unwrap().script.len()
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A local address where nothing listens: connecting is refused.
pub async fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

async fn answer(
    shape: Shape,
    state: &Mutex<State>,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let raw_body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&raw_body).unwrap_or(Value::Null),
        raw_body,
    };
    let mut state = state.lock().unwrap();
    let served = parts.uri.path().to_string();
    let reply = match state.served.get(&served).cloned() {
        Some(reply) => reply,
        None => match state.script.pop_front() {
            Some(reply) => reply,
            None => success(shape, &mut state, &recorded),
        },
    };
    state.requests.push(recorded);
    let mut response = hyper::Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response
        .body(Full::new(reply.body))
        .expect("a scripted reply is a valid response")
}

/// The provider's usual answer to an accepted message.
fn success(shape: Shape, state: &mut State, request: &Recorded) -> Reply {
    state.next_id += 1;
    let n = state.next_id;
    match shape {
        Shape::SmsGateway => {
            let id = match request.body["reference"].as_str() {
                Some(reference) => state
                    .references
                    .entry(reference.to_string())
                    .or_insert_with(|| format!("sms-{n}"))
                    .clone(),
                None => format!("sms-{n}"),
            };
            Reply::json(200, json!({ "message_id": id, "status": "queued" }))
        }
        Shape::X => {
            let participant = request
                .path
                .split('/')
                .rev()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            Reply::json(
                201,
                json!({ "data": {
                    "dm_conversation_id": format!("1500000000000000000-{participant}"),
                    "dm_event_id": format!("{}", 1_800_000_000_000_000_000u64 + n),
                }}),
            )
        }
        Shape::Graph if request.path.ends_with("/me/messages") => Reply::json(
            200,
            json!({
                "recipient_id": request.body["recipient"]["id"],
                "message_id": format!("m_{n}"),
            }),
        ),
        Shape::Graph => Reply::json(
            200,
            json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": request.body["to"], "wa_id": request.body["to"] }],
                "messages": [{ "id": format!("wamid.{n}") }],
            }),
        ),
    }
}
