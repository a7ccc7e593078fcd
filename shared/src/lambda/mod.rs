//! Lambda plumbing the handlers share: HTTP responses and errors, SQS batches, logging setup.

pub mod http;
pub mod rest;
pub mod sqs;

use tracing_subscriber::filter::{LevelFilter, Targets};

/// A ceiling on what libraries may log, whatever `RUST_LOG` says: at TRACE the AWS SDK logs
/// whole request and response bodies (a confidential report's content) and `lambda_runtime`
/// logs every raw event (a reporter's name, phone and e-mail, the `Authorization` header).
pub fn log_cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_target("aws_smithy_runtime", LevelFilter::DEBUG)
        .with_target("aws_smithy_runtime_api", LevelFilter::DEBUG)
        .with_target("aws_smithy_http_client", LevelFilter::DEBUG)
        .with_target("aws_sdk_dynamodb", LevelFilter::DEBUG)
        .with_target("aws_sdk_sqs", LevelFilter::DEBUG)
        .with_target("aws_sdk_sesv2", LevelFilter::DEBUG)
        .with_target("aws_config", LevelFilter::DEBUG)
        .with_target("lambda_runtime", LevelFilter::DEBUG)
        .with_target("lambda_runtime_api_client", LevelFilter::DEBUG)
        .with_target("lambda_http", LevelFilter::DEBUG)
        .with_target("hyper", LevelFilter::INFO)
        .with_target("hyper_util", LevelFilter::INFO)
}

/// Structured logs: JSON in Lambda (fields named like Powertools), readable text elsewhere.
/// `RUST_LOG` sets the level (default `info`), under `log_cap`.
pub fn init_tracing(service: &'static str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let registry = tracing_subscriber::registry().with(log_cap()).with(filter);
    let result = if in_lambda {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .without_time()
                    .with_ansi(false),
            )
            .try_init()
    } else {
        // Locally, logs go to stderr, so a command's own output on stdout stays clean for pipes
        // (`lapor-local escalate --dry-run | jq`), with colours only on a terminal.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_ansi(ansi)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    };
    // A second init (tests, the local runner's many handlers) keeps the first subscriber.
    drop(result);
    tracing::info!(service, cold_start = true, "function starting");
}
