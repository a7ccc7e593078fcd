//! Open311 API keys: issued to an institution's own system (`lapor-local issue-api-key`), shown
//! once, stored only as their SHA-256. A key may submit service requests and nothing else: it
//! is no staff credential and reads nothing the public cannot read.
//!
//! The keys live in the idempotency table under their own prefix (`open311-api-key#<sha256>`):
//! like the records there, each is a client's secret known by its hash alone, read by one
//! `GetItem`; unlike them it carries no expiry (DynamoDB's TTL leaves it be; the embedded
//! family gives it the largest expiry). No web or channel key hash can take that form (those
//! are keyed hashes in base64url, without `#`).

use crate::crypto::sha256_hex;
use crate::ports::StoreError;
use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::{rngs::OsRng, RngCore};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Where a key's record is stored: this prefix and the key's SHA-256 (hex).
pub const RECORD_PREFIX: &str = "open311-api-key#";

/// How every key starts, so one found in a log or a repository is recognised for what it is.
pub const KEY_PREFIX: &str = "lapor311_";

/// What a key may do. One scope today: submitting service requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyScope {
    Submit,
}

/// A key as stored: its hash, whose system it is, when it was issued. Never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredApiKey {
    /// [`RECORD_PREFIX`] and the SHA-256 (hex) of the key.
    pub key_hash: String,
    /// The system it was issued to (an institution's desk or app), for the operators.
    pub name: String,
    pub scope: ApiKeyScope,
    pub issued_at: DateTime<Utc>,
}

/// Where the keys are kept (each storage family's idempotency table).
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key's record (a record with the same hash is replaced: 256 random bits
    /// never repeat).
    async fn put_api_key(&self, key: &StoredApiKey) -> Result<(), StoreError>;

    /// The record stored under `key_hash`, if any.
    async fn api_key(&self, key_hash: &str) -> Result<Option<StoredApiKey>, StoreError>;
}

/// Where a presented key's record would be: the prefix and the key's SHA-256.
pub fn record_key(api_key: &str) -> String {
    format!("{RECORD_PREFIX}{}", sha256_hex(api_key.as_bytes()))
}

/// A new key for the system `name`: the key (shown once) and its record (stored).
pub fn new_key(name: &str, now: DateTime<Utc>) -> (String, StoredApiKey) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let key = format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let record = StoredApiKey {
        key_hash: record_key(&key),
        name: name.trim().to_string(),
        scope: ApiKeyScope::Submit,
        issued_at: now,
    };
    (key, record)
}

/// Issues a key for the system `name` (1 to 100 visible characters): stores its record and
/// returns the key, which is never stored and cannot be shown again.
pub async fn issue(
    store: &dyn ApiKeyStore,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String, IssueError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 100 || trimmed.chars().any(char::is_control)
    {
        return Err(IssueError::BadName);
    }
    let (key, record) = new_key(trimmed, now);
    store.put_api_key(&record).await?;
    Ok(key)
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("the system's name must be 1 to 100 characters, without control characters")]
    BadName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `presented` is a key issued to submit: the record under its hash, if the key is one
/// of ours (a value of another form is not looked up at all).
pub async fn submitter(
    store: &dyn ApiKeyStore,
    presented: &str,
) -> Result<Option<StoredApiKey>, StoreError> {
    let plausible = presented.starts_with(KEY_PREFIX)
        && presented.len() <= 128
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible {
        return Ok(None);
    }
    let wanted = record_key(presented);
    Ok(store.api_key(&wanted).await?.filter(|record| {
        // The store found it by this hash; compared again in constant time all the same, as
        // every secret's digest is.
        bool::from(record.key_hash.as_bytes().ct_eq(wanted.as_bytes()))
            && record.scope == ApiKeyScope::Submit
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_stored_by_its_hash_only() {
        let now = Utc::now();
        let (key, record) = new_key(" Dinas PU Kota Bandung ", now);
        assert!(key.starts_with(KEY_PREFIX));
        assert_eq!(key.len(), KEY_PREFIX.len() + 43, "32 bytes of base64url");
        assert_eq!(record.key_hash, record_key(&key));
        assert!(!record.key_hash.contains(&key[KEY_PREFIX.len()..]));
        assert_eq!(record.name, "Dinas PU Kota Bandung");
        let (other, _) = new_key("x", now);
        assert_ne!(key, other);
    }
}
