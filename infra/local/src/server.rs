//! The local runner: HTTP in front of the same handlers Lambda runs, the router fed from the
//! queue in batches the way the SQS event source feeds it, and the sweep on a timer.

use crate::backend::System;
use crate::gateway::{lambda_request, Gateway};
use crate::tokens::LocalSigner;
use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use lapor::adapters::embedded::blobs::ROUTE_PREFIX as BLOBS_PREFIX;
use lapor::api::{limits, ServiceError};
use lapor::auth::OFFICER_AUTHORIZER;
use lapor::lambda::http::{error_response, json_response};
use lapor::lambda::sqs::pump_once;
use lapor::ports::QueueName;
use lapor::service::agencies::DirectoryApi;
use lapor::service::escalation::{run_pass, PassLimits};
use lapor::service::intake::ROUTING_GRACE;
use lapor::service::sweep::requeue_unrouted;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long a client may take to send a request's headers by default (a connection that
/// trickles headers is closed).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a request's body (at most 64 KiB) by default.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the runner waits for a request's parts: a slow client cannot hold a connection (and
/// its task) open forever.
#[derive(Debug, Clone, Copy)]
pub struct ReadTimeouts {
    pub headers: Duration,
    pub body: Duration,
}

/// The template functions behind HTTP routes that the local runner can call.
const WIRED_FUNCTIONS: &[&str] = &[
    "IntakeFunction",
    "StatusFunction",
    "DirectoryFunction",
    "AgencyFunction",
    "ReporterFunction",
    "ChannelsFunction",
    "WebFunction",
    "Open311Function",
];

/// The HTTP functions as their cold starts build them, over the runner's stores.
struct Functions {
    directory: DirectoryApi,
    channels: channels::ChannelsApi,
    web: lapor::web::Web,
    /// The console's sign-in page, this runner's alone.
    signin: crate::signin::LocalSignIn,
    open311: open311::Open311Api,
}

pub async fn serve(
    system: System,
    directory: DirectoryApi,
    signer: LocalSigner,
    signin: crate::signin::LocalSignIn,
    settings: lapor::service::webhooks::WebhookSettings,
    addr: SocketAddr,
    timeouts: ReadTimeouts,
) -> anyhow::Result<()> {
    let gateway = Gateway::from_template(&lapor::template::Template::builtin(), signer);
    if let Some(missing) = gateway.functions().find(|f| !WIRED_FUNCTIONS.contains(f)) {
        bail!("template route served by {missing}, which the local runner does not wire");
    }
    if let Some(other) = gateway.authorizers().find(|a| *a != OFFICER_AUTHORIZER) {
        bail!("template route behind the authorizer {other}, which the local runner cannot play");
    }
    // Media senders attach are fetched as the deployed function fetches them (WhatsApp's with
    // `WHATSAPP_TOKEN` when set).
    let graph = std::env::var(lapor::outbound::env::META_GRAPH_URL)
        .unwrap_or_else(|_| lapor::outbound::env::META_GRAPH_URL_DEFAULT.into());
    let media = lapor::outbound::media::HttpMediaFetcher::new(
        graph,
        std::env::var(lapor::outbound::env::WHATSAPP_TOKEN).ok(),
    )?;
    let channels = channels::ChannelsApi {
        app: system.app.clone(),
        state: system.channel_state.clone(),
        settings,
        media: Some(Arc::new(media)),
    };
    // The web over the same services and routing model; its cookies without `Secure`, since
    // this runner speaks plain HTTP (a browser would not send a `Secure` cookie back).
    let mut web_settings = lapor::web::Settings::from_env()?;
    web_settings.insecure_cookies = true;
    // Officers sign in on this runner's own page, with its tokens (never in the Lambda build).
    web_settings.officer = signin.web_settings();
    let web = lapor::web::Web::new(
        system.app.clone(),
        DirectoryApi {
            directory: directory.directory.clone(),
            engine: directory.engine.clone(),
            reports: directory.reports.clone(),
        },
        web_settings,
    );
    let open311 = open311::Open311Api::new(system.app.clone(), system.api_keys.clone());
    let system = Arc::new(system);
    let directory = Arc::new(Functions {
        directory,
        channels,
        web,
        signin,
        open311,
    });
    let gateway = Arc::new(gateway);
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(%addr, "LAPOR local runner listening");
    system
        .files
        .set_base_url(&format!("http://{}", listener.local_addr().unwrap_or(addr)));
    println!("LAPOR is running on http://{addr}  (Ctrl-C to stop)");

    // The sweep at start-up routes what a killed runner left stored but unrouted; then the
    // escalation pass runs on a timer, as the schedule runs it in AWS.
    spawn_escalation(system.clone());
    for _ in 0..2 {
        spawn_router_pump(system.clone());
    }
    spawn_notifier_pump(system.clone());
    spawn_upload_checker(system.clone());

    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => {
                println!("stopping");
                return Ok(());
            }
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (system, directory, gateway) =
                    (system.clone(), directory.clone(), gateway.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let (system, directory, gateway) =
                            (system.clone(), directory.clone(), gateway.clone());
                        async move {
                            Ok::<_, Infallible>(
                                handle(&system, &directory, &gateway, timeouts.body, req).await,
                            )
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    // A client trickling a header line every few seconds must not hold a
                    // connection (and its task) forever.
                    let connection = http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(timeouts.headers)
                        .serve_connection(io, service);
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended");
                    }
                });
            }
        }
    }
}

async fn handle(
    system: &System,
    functions: &Functions,
    gateway: &Gateway,
    body_timeout: Duration,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if path == HEALTH_PATH && parts.method == hyper::Method::GET {
        return to_hyper(health(system).await);
    }
    // The attachments' files: S3's part, with the signed URLs the blob store made.
    if let Some(key) = path.strip_prefix(BLOBS_PREFIX) {
        return crate::blobs::answer(system, &parts, key, body, body_timeout).await;
    }
    // Route and authorizer first, as API Gateway: a refused request's body is never read.
    // The console's local sign-in page is the runner's own, not a route of the template.
    let signin_page = path == crate::signin::PAGE;
    let admitted = match signin_page {
        true => None,
        false => {
            match gateway.admit(&parts.method, &path, &parts.headers, system.app.clock.now()) {
                Ok(admitted) => Some(admitted),
                Err(refusal) => return to_hyper(refusal.response()),
            }
        }
    };
    // The web's file uploads (a form's photo) take a larger body, as API Gateway's 10 MB
    // does; every other request the API's 64 KiB.
    let limit = match admitted.as_ref().map(|a| a.matched.function) {
        Some("WebFunction")
            if parts.method == hyper::Method::POST && path.ends_with("/lampiran") =>
        {
            lapor::web::WEB_UPLOAD_LIMIT
        }
        _ => limits::MAX_BODY_BYTES,
    };
    // Read one byte past the limit: enough to know the body is too large without buffering it;
    // and within the body timeout, so a slow sender cannot hold the request open.
    let body =
        match tokio::time::timeout(body_timeout, Limited::new(body, limit + 1).collect()).await {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(_)) => return to_hyper(error_response(&ServiceError::TooLarge { limit })),
            Err(_) => {
                let mut response = to_hyper(json_response(
                    408,
                    &serde_json::json!({
                        "error": "request_timeout",
                        "message": format!(
                            "the request body did not arrive within {} s",
                            body_timeout.as_secs()
                        ),
                    }),
                ));
                // The rest of a slow body is not read: the connection is not reused.
                response.headers_mut().insert(
                    hyper::header::CONNECTION,
                    "close".parse().expect("a header"),
                );
                return response;
            }
        };
    let Some(admitted) = admitted else {
        let answer =
            functions
                .signin
                .answer(&functions.web, &parts.method, parts.uri.query(), &body);
        return to_hyper(answer.await);
    };
    let matched = &admitted.matched;
    let request = lambda_request(
        &parts.method,
        &path,
        parts.uri.query(),
        &parts.headers,
        &body,
        matched,
        admitted.claims,
    );
    let response = match matched.function {
        "IntakeFunction" => intake::handle(&system.app, request).await,
        "StatusFunction" => status::handle(&system.app, request).await,
        "DirectoryFunction" => directory::handle(&functions.directory, request).await,
        "AgencyFunction" => agency::handle(&system.app, request).await,
        "ReporterFunction" => reporter::handle(&system.app, request).await,
        "ChannelsFunction" => channels::handle(&functions.channels, request).await,
        "WebFunction" => web::handle(&functions.web, request).await,
        "Open311Function" => open311::handle(&functions.open311, request).await,
        other => unreachable!("{other} was checked at start-up"),
    };
    match response {
        Ok(r) => to_hyper(r),
        Err(e) => {
            tracing::error!(error = %e, "handler failed");
            to_hyper(error_response(&ServiceError::internal(e.to_string())))
        }
    }
}

/// The runner's own health check (not a route of the template): for a process supervisor or a
/// load balancer in front of `lapor-local`.
pub const HEALTH_PATH: &str = "/healthz";

/// `200 {"status":"ok"}` when the store answers a read, else `503 {"status":"unavailable"}`.
async fn health(system: &System) -> lambda_http::Response<lambda_http::Body> {
    let probe = lapor::domain::TrackingId::generate();
    match system.app.store.get(&probe).await {
        Ok(_) => json_response(200, &serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::warn!(error = %e, "health check: the store did not answer");
            json_response(503, &serde_json::json!({"status": "unavailable"}))
        }
    }
}

fn to_hyper(response: lambda_http::Response<lambda_http::Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(t) => Bytes::from(t),
        lambda_http::Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

fn spawn_router_pump(system: Arc<System>) {
    tokio::spawn(async move {
        pump_forever(
            &system,
            QueueName::Intake,
            system.batch_size,
            system.intake_visibility,
            Duration::from_millis(20),
            |event| router::handle(&system.router, event),
        )
        .await
    });
}

/// The notifier fed from the notification queue as the SQS event source feeds it, recording in
/// the outbox instead of sending (`lapor-local outbox`).
fn spawn_notifier_pump(system: Arc<System>) {
    tokio::spawn(async move {
        let notifier = crate::outbox::local_notifier(&system);
        pump_forever(
            &system,
            QueueName::Notifications,
            system.batch_size.min(10),
            system.notification_settings.visibility_timeout,
            Duration::from_millis(50),
            |event| notifier::handle(&notifier, event),
        )
        .await
    });
}

/// The attachments function fed from the uploads queue as the SQS event source feeds it.
fn spawn_upload_checker(system: Arc<System>) {
    tokio::spawn(async move {
        pump_forever(
            &system,
            QueueName::Uploads,
            5,
            system.upload_visibility,
            Duration::from_millis(50),
            |event| attachments::handle(&system.checker, event),
        )
        .await
    });
}

/// Feeds `queue` to `handler` in batches of at most `batch`, as the SQS event source does, for
/// as long as the runner runs: at once while messages come, after `idle` when the queue is
/// empty, after a second when polling failed.
async fn pump_forever<F, Fut, E>(
    system: &System,
    queue: QueueName,
    batch: usize,
    visibility: Duration,
    idle: Duration,
    handler: F,
) where
    F: Fn(aws_lambda_events::event::sqs::SqsEvent) -> Fut,
    Fut: std::future::Future<Output = Result<aws_lambda_events::event::sqs::SqsBatchResponse, E>>,
{
    loop {
        let polled = pump_once(&*system.receiver, queue, batch, visibility, &handler).await;
        match polled {
            Ok(stats) if stats.received > 0 => {}
            Ok(_) => tokio::time::sleep(idle).await,
            Err(e) => {
                tracing::warn!(error = %e, queue = ?queue, "polling a queue failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn spawn_escalation(system: Arc<System>) {
    tokio::spawn(async move {
        // At start-up nothing else of this runner is running: whatever is still `received` was
        // left by a stopped (or killed) runner, so look ahead past the grace period.
        let ahead = system.app.clock.now() + ROUTING_GRACE;
        match requeue_unrouted(&system.app, ahead, 500).await {
            Ok(stats) if stats.requeued > 0 => {
                tracing::info!(
                    requeued = stats.requeued,
                    "start-up sweep queued unrouted reports again"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "start-up sweep failed"),
        }
        let mut tick = tokio::time::interval(ESCALATION_EVERY);
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            // Hourly, the bucket's lifecycle rules: attachments past their retention, uploads
            // never checked after a day.
            if ticks.is_multiple_of(120) {
                let retention = lapor::attachments::RETENTION.to_std().expect("positive");
                match system.files.expire(retention) {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "expired attachment files removed"),
                    Err(e) => tracing::warn!(error = %e, "expiring attachment files failed"),
                }
            }
            ticks += 1;
            let now = system.app.clock.now();
            if let Err(e) = run_pass(&system.app, now, PassLimits::default()).await {
                tracing::warn!(error = %e, "escalation pass failed");
            }
        }
    });
}

/// How often the local runner runs the escalation pass (the deployed schedule: 5 minutes).
const ESCALATION_EVERY: Duration = Duration::from_secs(30);
