//! A Lambda Runtime API emulator: the part of the Lambda service a custom runtime talks to.
//!
//! It implements what `lambda_runtime` calls, version 2018-06-01:
//! `GET /runtime/invocation/next` (blocks until an event is queued, then answers it with the
//! request id, deadline, function ARN and trace headers), `POST /runtime/invocation/{id}/response`,
//! `POST /runtime/invocation/{id}/error` and `POST /runtime/init/error`. It timestamps the first
//! `next` (the end of the function's init), the moment each event is handed out and the moment its
//! answer arrives, which is what the budget measures.

use crate::http;
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, watch};

const PREFIX: &str = "/2018-06-01/runtime";

/// How an invocation ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Response(Bytes),
    /// The function reported an error (`/error`); the body is its error document.
    Error(Bytes),
}

#[derive(Debug, Clone)]
pub struct Completed {
    pub outcome: Outcome,
    /// From the moment `next` answered with the event to the moment the answer was read in full.
    pub latency: Duration,
}

/// What the function has said about its start so far.
#[derive(Debug, Clone)]
pub enum InitState {
    Starting,
    /// The first `next` request arrived at this instant: the function is initialised.
    Ready(Instant),
    /// `POST /runtime/init/error` with this body.
    Failed(String),
}

struct Queued {
    request_id: String,
    event: Bytes,
    done: oneshot::Sender<Completed>,
}

struct Shared {
    function_arn: String,
    timeout: Duration,
    queue: tokio::sync::Mutex<mpsc::Receiver<Queued>>,
    /// Invocations handed out and not answered yet: when they went out, and who waits.
    in_flight: Mutex<HashMap<String, (Instant, oneshot::Sender<Completed>)>>,
    init: watch::Sender<InitState>,
}

pub struct Emulator {
    pub addr: SocketAddr,
    queue: mpsc::Sender<Queued>,
    init: watch::Receiver<InitState>,
    next_id: AtomicU64,
    server: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// Listens on a free loopback port. `timeout` sets the deadline header, as the function's
    /// configured timeout does in Lambda.
    pub async fn start(function_arn: String, timeout: Duration) -> std::io::Result<Emulator> {
        let (queue_tx, queue_rx) = mpsc::channel(1);
        let (init_tx, init_rx) = watch::channel(InitState::Starting);
        let shared = Arc::new(Shared {
            function_arn,
            timeout,
            queue: tokio::sync::Mutex::new(queue_rx),
            in_flight: Mutex::new(HashMap::new()),
            init: init_tx,
        });
        let (addr, server) = http::serve(move |req| {
            let shared = shared.clone();
            async move { handle(&shared, req).await }
        })
        .await?;
        Ok(Emulator {
            addr,
            queue: queue_tx,
            init: init_rx,
            next_id: AtomicU64::new(1),
            server,
        })
    }

    /// Waits until the function asks for its first event or reports an init error.
    pub async fn ready(&mut self) -> Result<Instant> {
        let state = self
            .init
            .wait_for(|s| !matches!(s, InitState::Starting))
            .await
            .context("the emulator stopped")?
            .clone();
        match state {
            InitState::Ready(at) => Ok(at),
            InitState::Failed(body) => bail!("init error: {body}"),
            InitState::Starting => unreachable!("wait_for returned a starting state"),
        }
    }

    /// Queues one event for the next `next` request and waits for the function's answer.
    pub async fn invoke(&self, event: Bytes) -> Result<Completed> {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Queued {
                request_id: format!("00000000-0000-4000-8000-{n:012x}"),
                event,
                done,
            })
            .await
            .context("the emulator stopped")?;
        answer.await.context("the invocation was dropped")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("a static response builds")
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

const NOT_FOUND: &str = r#"{"errorType":"NotFound"}"#;
const ACCEPTED: &str = r#"{"status":"OK"}"#;

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let arrived = Instant::now();
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return reply(StatusCode::NOT_FOUND, NOT_FOUND);
    };
    match (req.method(), rest) {
        (&Method::GET, "/invocation/next") => next(shared, arrived).await,
        (&Method::POST, "/init/error") => {
            let body = http::body(req.into_body()).await;
            let body = String::from_utf8_lossy(&body).into_owned();
            shared.init.send_replace(InitState::Failed(body));
            reply(StatusCode::ACCEPTED, ACCEPTED)
        }
        (&Method::POST, rest) => {
            let answered = rest
                .strip_prefix("/invocation/")
                .and_then(|r| r.rsplit_once('/'))
                .and_then(|(id, kind)| match kind {
                    "response" => Some((id.to_string(), false)),
                    "error" => Some((id.to_string(), true)),
                    _ => None,
                });
            match answered {
                Some((id, is_error)) => complete(shared, &id, is_error, req).await,
                None => reply(StatusCode::NOT_FOUND, NOT_FOUND),
            }
        }
        _ => reply(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

/// `GET /invocation/next`: the first one marks the end of init; each waits for the next event.
async fn next(shared: &Shared, arrived: Instant) -> Response<Full<Bytes>> {
    shared.init.send_if_modified(|state| {
        let first = matches!(state, InitState::Starting);
        if first {
            *state = InitState::Ready(arrived);
        }
        first
    });
    // One function process polls at a time, as in Lambda; it waits here between events.
    let queued = shared.queue.lock().await.recv().await;
    let Some(queued) = queued else {
        return reply(StatusCode::GONE, r#"{"errorType":"ShuttingDown"}"#);
    };
    let deadline = epoch_ms() + shared.timeout.as_millis();
    let trace = format!("Root=1-00000000-{deadline:024x};Parent=0000000000000001;Sampled=0");
    let response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &queued.request_id)
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header("lambda-runtime-invoked-function-arn", &shared.function_arn)
        .header("lambda-runtime-trace-id", trace)
        .body(Full::new(queued.event))
        .expect("the next response builds");
    let mut in_flight = shared.in_flight.lock().expect("in-flight map");
    in_flight.insert(queued.request_id, (Instant::now(), queued.done));
    response
}

/// `POST /invocation/{id}/response` or `.../error`: the invocation's answer, timed.
async fn complete(
    shared: &Shared,
    id: &str,
    is_error: bool,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let body = http::body(req.into_body()).await;
    let received = Instant::now();
    let Some((handed_out, done)) = shared.in_flight.lock().expect("in-flight map").remove(id)
    else {
        return reply(
            StatusCode::BAD_REQUEST,
            r#"{"errorType":"InvalidRequestID"}"#,
        );
    };
    let outcome = if is_error {
        Outcome::Error(body)
    } else {
        Outcome::Response(body)
    };
    let latency = received - handed_out;
    let _ = done.send(Completed { outcome, latency });
    reply(StatusCode::ACCEPTED, ACCEPTED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// One HTTP/1.1 exchange on a fresh connection, as text.
    async fn exchange(addr: SocketAddr, request: String) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        String::from_utf8(answer).unwrap()
    }

    fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
        answer.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    #[tokio::test]
    async fn hands_out_an_event_and_times_its_response() {
        let arn = "arn:aws:lambda:ap-southeast-3:123456789012:function:f".to_string();
        let mut emulator = Emulator::start(arn.clone(), Duration::from_secs(10))
            .await
            .unwrap();
        let addr = emulator.addr;
        let next = tokio::spawn(exchange(
            addr,
            format!(
                "GET {PREFIX}/invocation/next HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
            ),
        ));
        emulator.ready().await.unwrap();
        let invocation = {
            let emulator = &emulator;
            async move { emulator.invoke(Bytes::from_static(b"{\"a\":1}")).await }
        };
        let function = async move {
            let answer = next.await.unwrap();
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(answer.ends_with("{\"a\":1}"), "{answer}");
            assert_eq!(
                header(&answer, "lambda-runtime-invoked-function-arn"),
                Some(arn.as_str())
            );
            let deadline: u128 = header(&answer, "lambda-runtime-deadline-ms")
                .unwrap()
                .parse()
                .unwrap();
            assert!(deadline > epoch_ms() + 9_000);
            let id = header(&answer, "lambda-runtime-aws-request-id").unwrap();
            let body = "{\"ok\":true}";
            let posted = exchange(
                addr,
                format!(
                    "POST {PREFIX}/invocation/{id}/response HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                ),
            )
            .await;
            assert!(posted.starts_with("HTTP/1.1 202"), "{posted}");
        };
        let (completed, ()) = tokio::join!(invocation, function);
        let completed = completed.unwrap();
        match completed.outcome {
            Outcome::Response(body) => assert_eq!(&body[..], b"{\"ok\":true}"),
            Outcome::Error(body) => panic!("error outcome {body:?}"),
        }
        assert!(completed.latency < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn an_init_error_is_reported_as_such() {
        let mut emulator = Emulator::start("arn".into(), Duration::from_secs(1))
            .await
            .unwrap();
        let body = r#"{"errorType":"Config","errorMessage":"REPORTS_TABLE is not set"}"#;
        let answer = exchange(
            emulator.addr,
            format!(
                "POST {PREFIX}/init/error HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
        let err = emulator.ready().await.unwrap_err();
        assert!(err.to_string().contains("REPORTS_TABLE"), "{err}");
    }

    #[tokio::test]
    async fn an_unknown_request_id_is_refused() {
        let emulator = Emulator::start("arn".into(), Duration::from_secs(1))
            .await
            .unwrap();
        let answer = exchange(
            emulator.addr,
            format!("POST {PREFIX}/invocation/nope/response HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
}
