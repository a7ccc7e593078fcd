//! Configuration from the environment, read once at start-up; a missing or bad value stops the
//! process with a message naming the variable.
//!
//! Every name here must be set by `template.yaml` for the functions that read it (a test checks).

pub mod env {
    pub const REPORTS_TABLE: &str = "REPORTS_TABLE";
    pub const IDEMPOTENCY_TABLE: &str = "IDEMPOTENCY_TABLE";
    pub const INTAKE_QUEUE_URL: &str = "INTAKE_QUEUE_URL";
    /// 32 bytes, standard base64: seals reporters' contacts at rest.
    pub const PII_KEY: &str = "LAPOR_PII_KEY";
}

/// Index names the code queries; each must exist in `template.yaml` on its table.
pub mod indexes {
    /// Reports table, sparse: partition `due_shard`, sort `due_ms`; only reports with a `due_at`.
    pub const REPORTS_BY_DUE: &str = "by-due";
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
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

pub fn pii_sealer() -> Result<crate::crypto::Sealer, ConfigError> {
    crate::crypto::Sealer::from_base64_key(&required(env::PII_KEY)?).map_err(|e| ConfigError {
        name: env::PII_KEY,
        problem: e.to_string(),
    })
}
