//! Configuration from the environment, read once at start-up; a missing or bad value stops the
//! process with a message naming the variable.
//!
//! Every name here must be set by `template.yaml` for the functions that read it (a test checks).

pub mod env {
    pub const REPORTS_TABLE: &str = "REPORTS_TABLE";
    pub const IDEMPOTENCY_TABLE: &str = "IDEMPOTENCY_TABLE";
    pub const INTAKE_QUEUE_URL: &str = "INTAKE_QUEUE_URL";
    pub const NOTIFICATION_QUEUE_URL: &str = "NOTIFICATION_QUEUE_URL";
    /// Read by a consumer that dead-letters messages itself, with a reason (the notifier).
    pub const NOTIFICATION_DEAD_LETTER_QUEUE_URL: &str = "NOTIFICATION_DEAD_LETTER_QUEUE_URL";
    pub const INTAKE_DEAD_LETTER_QUEUE_URL: &str = "INTAKE_DEAD_LETTER_QUEUE_URL";
    /// Sent notifications and the parts of long SMS (`ports::ChannelState`).
    pub const CHANNEL_STATE_TABLE: &str = "CHANNEL_STATE_TABLE";
    /// The SMS gateway's shared secret: signs its webhook posts (`channels::sms`).
    pub const SMS_WEBHOOK_SECRET: &str = "SMS_WEBHOOK_SECRET";
    /// The X app's consumer secret: the CRC challenge and the webhook signatures.
    pub const X_CONSUMER_SECRET: &str = "X_CONSUMER_SECRET";
    /// The Meta app secret: `X-Hub-Signature-256` of Messenger and WhatsApp webhooks.
    pub const META_APP_SECRET: &str = "META_APP_SECRET";
    /// The token Meta echoes in the webhook verification handshake.
    pub const META_VERIFY_TOKEN: &str = "META_VERIFY_TOKEN";
    /// 32 bytes, standard base64: seals reporters' contacts at rest.
    pub const PII_KEY: &str = "LAPOR_PII_KEY";
    /// The agency directory (reference data, loaded by `lapor-local seed`).
    pub const AGENCIES_TABLE: &str = "AGENCIES_TABLE";
    /// Humans' routing decisions, kept as labelled examples for retraining.
    pub const ROUTING_EXAMPLES_TABLE: &str = "ROUTING_EXAMPLES_TABLE";
    /// Published routing model artifacts (chunked) and the `current` pointer.
    pub const ROUTING_MODELS_TABLE: &str = "ROUTING_MODELS_TABLE";
}

/// What each function reads from its environment. Its `main` checks them all at start-up, and a
/// test checks that `template.yaml` sets each one for that function.
pub mod needs {
    use super::env::*;
    pub const INTAKE: &[&str] = &[REPORTS_TABLE, IDEMPOTENCY_TABLE, INTAKE_QUEUE_URL, PII_KEY];
    pub const STATUS: &[&str] = &[REPORTS_TABLE, IDEMPOTENCY_TABLE, PII_KEY];
    pub const ROUTER: &[&str] = &[
        REPORTS_TABLE,
        IDEMPOTENCY_TABLE,
        ROUTING_MODELS_TABLE,
        NOTIFICATION_QUEUE_URL,
    ];
    pub const DIRECTORY: &[&str] = &[AGENCIES_TABLE, ROUTING_MODELS_TABLE];
    pub const AGENCY: &[&str] = &[
        REPORTS_TABLE,
        IDEMPOTENCY_TABLE,
        NOTIFICATION_QUEUE_URL,
        AGENCIES_TABLE,
        ROUTING_EXAMPLES_TABLE,
        PII_KEY,
    ];
    pub const ESCALATION: &[&str] = &[
        REPORTS_TABLE,
        IDEMPOTENCY_TABLE,
        INTAKE_QUEUE_URL,
        NOTIFICATION_QUEUE_URL,
        AGENCIES_TABLE,
        PII_KEY,
    ];
    pub const REPORTER: &[&str] = &[
        REPORTS_TABLE,
        IDEMPOTENCY_TABLE,
        NOTIFICATION_QUEUE_URL,
        PII_KEY,
    ];
    /// The channels' webhooks. Their secrets are optional (a channel without one is disabled),
    /// so they are not here.
    pub const CHANNELS: &[&str] = &[
        REPORTS_TABLE,
        IDEMPOTENCY_TABLE,
        INTAKE_QUEUE_URL,
        NOTIFICATION_QUEUE_URL,
        CHANNEL_STATE_TABLE,
        PII_KEY,
    ];
    /// The notifier: it dead-letters with a reason, so it needs the dead-letter queue's URL.
    /// The providers' settings are optional; `NOTIFICATION_MAX_ATTEMPTS` is the function's own
    /// (it checks it at start-up).
    pub const NOTIFIER: &[&str] = &[
        CHANNEL_STATE_TABLE,
        NOTIFICATION_QUEUE_URL,
        NOTIFICATION_DEAD_LETTER_QUEUE_URL,
        PII_KEY,
    ];
}

/// Key and index attribute names the code reads and writes; each must be defined in
/// `template.yaml` on its table (a test checks).
pub mod attributes {
    pub const REPORTS_KEY: &str = "tracking_id";
    pub const IDEMPOTENCY_KEY: &str = "key_hash";
    pub const IDEMPOTENCY_TTL: &str = "expires_at";
    pub const DUE_SHARD: &str = "due_shard";
    pub const DUE_MS: &str = "due_ms";
    /// Reports table: `created_at` in Unix milliseconds, the sort key of every list index.
    pub const CREATED_MS: &str = "created_ms";
    /// Reports table: the handling institution (partition of `by-agency`).
    pub const AGENCY_ID: &str = "agency_id";
    /// Reports table: the assigned work unit (partition of `by-work-unit`).
    pub const WORK_UNIT: &str = "work_unit";
    /// Reports table: set (to `triage`) only while the report waits for verifiers.
    pub const TRIAGE_QUEUE: &str = "triage_queue";
    /// Reports table: set (to `public`) only while the public feed may list the report.
    pub const PUBLIC_FEED: &str = "public_feed";
    pub const AGENCIES_KEY: &str = "agency_id";
    pub const EXAMPLES_KEY: &str = "tracking_id";
    pub const EXAMPLES_SORT: &str = "decided_version";
    pub const MODELS_KEY: &str = "model_version";
    pub const MODELS_SORT: &str = "chunk";
    /// Reports table: [`crate::domain::Report::reporter_ref`] (partition of `by-reporter`).
    pub const REPORTER_REF: &str = "reporter_ref";
    pub const CHANNEL_STATE_KEY: &str = "state_key";
    pub const CHANNEL_STATE_TTL: &str = "expires_at";
}

/// Index names the code queries; each must exist in `template.yaml` on its table.
pub mod indexes {
    /// Reports table, sparse: partition `due_shard`, sort `due_ms`; only reports with a `due_at`.
    pub const REPORTS_BY_DUE: &str = "by-due";
    /// Partition `agency_id`, sort `created_ms`: an institution's inbox.
    pub const REPORTS_BY_AGENCY: &str = "by-agency";
    /// Partition `work_unit`, sort `created_ms`: a work unit's inbox.
    pub const REPORTS_BY_WORK_UNIT: &str = "by-work-unit";
    /// Sparse, partition `triage_queue`, sort `created_ms`: the verifiers' queue.
    pub const REPORTS_BY_TRIAGE: &str = "by-triage";
    /// Sparse, partition `public_feed`, sort `created_ms`: the public feed.
    pub const REPORTS_BY_PUBLIC: &str = "by-public";
    /// Sparse, partition `reporter_ref`, sort `created_ms`: one channel sender's reports.
    pub const REPORTS_BY_REPORTER: &str = "by-reporter";
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

/// Fails with every missing variable named at once, so a misconfigured deploy is fixed in one go.
pub fn check(names: &[&'static str]) -> Result<(), ConfigError> {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| std::env::var(n).map_or(true, |v| v.trim().is_empty()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ConfigError {
            name: "environment",
            problem: format!("not set: {}", missing.join(", ")),
        })
    }
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError {
            name,
            problem: "is not set".into(),
        }),
    }
}

/// A setting's value, or `None` when it is unset, empty or `-` (what a deployment's channel
/// secret holds for a channel it does not use: a secret's keys cannot be left empty).
pub fn configured(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v != "-")
}

/// The environment variable `name` as [`configured`] reads it.
pub fn optional(name: &str) -> Option<String> {
    configured(std::env::var(name).ok())
}

pub fn pii_sealer() -> Result<crate::crypto::Sealer, ConfigError> {
    crate::crypto::Sealer::from_base64_key(&required(env::PII_KEY)?).map_err(|e| ConfigError {
        name: env::PII_KEY,
        problem: e.to_string(),
    })
}
