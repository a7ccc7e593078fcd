//! A measured subject: a function binary with its Lambda settings, the events it is handed and
//! the answer each must produce.

use crate::settings::FunctionSettings;
use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use serde_json::Value;
use std::time::Duration;

/// Whether an answer is the success the event should produce (not an error path, which would
/// measure something else).
pub type Expect = Box<dyn Fn(&Value) -> Result<()> + Send + Sync>;

/// What each invocation of a subject is handed.
pub enum Events {
    /// Invocation `i` (counted over the cold runs and the warm invocations) gets
    /// `events[i % events.len()]`.
    Cycle(Vec<Bytes>),
    /// Invocation `i` gets `make(i)`, built just before it is handed out (outside the measured
    /// time): for events that must differ on every invocation or carry the time they were
    /// signed.
    Each(Box<dyn Fn(usize) -> Bytes + Send + Sync>),
}

impl Events {
    pub fn get(&self, invocation: usize) -> Option<Bytes> {
        match self {
            Events::Cycle(events) if events.is_empty() => None,
            Events::Cycle(events) => Some(events[invocation % events.len()].clone()),
            Events::Each(make) => Some(make(invocation)),
        }
    }
}

pub struct Subject {
    pub name: String,
    pub binary: String,
    pub memory_mb: u32,
    pub timeout: Duration,
    /// The function's own environment, as template.yaml sets it.
    pub env: Vec<(String, String)>,
    pub events: Events,
    /// Every invocation starts from the reports and channel state as they were before the
    /// subject (its writes are undone before each invocation and after the last): each one acts
    /// on the same report.
    pub isolated: bool,
    pub expect: Expect,
}

impl Subject {
    pub fn new(name: &str, settings: FunctionSettings, events: Events, expect: Expect) -> Subject {
        Subject {
            name: name.to_string(),
            binary: settings.binary,
            memory_mb: settings.memory_mb,
            timeout: settings.timeout,
            env: settings.env,
            events,
            isolated: false,
            expect,
        }
    }

    pub fn isolated(self) -> Subject {
        Subject {
            isolated: true,
            ..self
        }
    }
}

/// The JSON body of an HTTP API answer with status `want`.
pub fn http_body(answer: &Value, want: u64) -> Result<Value> {
    let status = answer["statusCode"]
        .as_u64()
        .with_context(|| format!("not an HTTP API answer: {answer}"))?;
    ensure!(status == want, "expected HTTP {want}, got {answer}");
    let body = answer["body"].as_str().unwrap_or_default();
    serde_json::from_str(body).with_context(|| format!("the body is not JSON: {answer}"))
}

/// An SQS batch answer that reports no failed message.
pub fn no_batch_failures(answer: &Value) -> Result<()> {
    let failures = answer["batchItemFailures"].as_array();
    ensure!(
        failures.is_some_and(Vec::is_empty),
        "expected no batch item failures, got {answer}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_checked_for_their_status_and_body() {
        let ok = json!({"statusCode": 200, "body": "{\"a\":1}"});
        assert_eq!(http_body(&ok, 200).unwrap(), json!({"a": 1}));
        assert!(http_body(&ok, 201).is_err());
        assert!(http_body(&json!({"statusCode": 200, "body": "<html>"}), 200).is_err());
        assert!(http_body(&json!({"message": "hello"}), 200).is_err());
        no_batch_failures(&json!({"batchItemFailures": []})).unwrap();
        assert!(
            no_batch_failures(&json!({"batchItemFailures": [{"itemIdentifier": "m"}]})).is_err()
        );
        assert!(no_batch_failures(&json!({})).is_err());
    }
}
