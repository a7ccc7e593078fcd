//! Lambda plumbing the handlers share: HTTP responses and errors, SQS batches, logging setup.

pub mod http;
pub mod sqs;

/// Structured logs: JSON in Lambda (fields named like Powertools), readable text elsewhere.
/// `RUST_LOG` sets the level (default `info`).
pub fn init_tracing(service: &'static str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = if in_lambda {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .without_time()
            .with_ansi(false)
            .try_init()
    } else {
        builder.with_target(false).try_init()
    };
    // A second init (tests, the local runner's many handlers) keeps the first subscriber.
    drop(result);
    tracing::info!(service, cold_start = true, "function starting");
}
