//! Small cryptographic helpers: sealing personal data at rest, hashing, encodings.
//!
//! Sealing uses ChaCha20-Poly1305 with a random 96-bit nonce per message. The key is 32 bytes
//! in base64: in AWS a Secrets Manager secret each function reads at cold start
//! (`adapters::aws::secrets`), locally a file in the data dir (`LAPOR_PII_KEY`).
//!
//! Keys derived from a secret (the reference key from the sealing key, [`Sealer::derived_from`])
//! come from HKDF-SHA256 (RFC 5869), the secret as input key material and `lapor:<purpose>` as the
//! info. Before issue 12 they were a plain SHA-256 of a prefixed secret, so what was made with
//! them before that change (references: senders, idempotency keys, the contact codes waiting in a
//! report; idempotent responses sealed with a derived key) does not match what is made now. The
//! project was not in production; a local data dir keeps working for everything written since.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh secret: 32 random bytes as base64url (43 characters), for webhook secrets and the like.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    b64url(&bytes)
}

/// 32 bytes of HKDF-SHA256 from `secret`, for `lapor:<purpose>` (no salt: the inputs are keys or
/// secrets of at least 128 random bits, and the purpose keeps each use apart).
fn derive_key(secret: &[u8], purpose: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, secret)
        .expand_multi_info(&[b"lapor:", purpose.as_bytes()], &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    key
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `a` and `b` are equal, in time that does not depend on where they differ (it does on
/// their lengths, which are not secret here: digests, hashes, fixed-length codes). `subtle` does
/// the work; this is the one way the crate compares secrets.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the key must be 32 bytes in standard base64")]
    BadKey,
    #[error("sealed data is damaged or was sealed with another key")]
    Open,
}

/// Seals and opens small secrets (reporter contacts, stored idempotent responses).
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
    /// Keys [`Sealer::reference`]; derived from the sealing key, never the key itself.
    reference_key: [u8; 32],
}

impl Sealer {
    pub fn from_base64_key(key: &str) -> Result<Sealer, SealError> {
        let bytes = STANDARD.decode(key.trim()).map_err(|_| SealError::BadKey)?;
        Self::from_key_bytes(&bytes)
    }

    pub fn from_key_bytes(bytes: &[u8]) -> Result<Sealer, SealError> {
        if bytes.len() != 32 {
            return Err(SealError::BadKey);
        }
        Ok(Sealer {
            cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)),
            reference_key: derive_key(bytes, "reference-key"),
        })
    }

    /// A key derived from a secret the caller holds (e.g. an idempotency key), so what is sealed
    /// with it can be opened only by whoever presents that secret again.
    pub fn derived_from(secret: &str, purpose: &str) -> Sealer {
        Self::from_key_bytes(&derive_key(secret.as_bytes(), purpose)).expect("the key is 32 bytes")
    }

    /// A stable, keyed reference to personal data (a sender's phone number on a channel): the
    /// same value always gives the same reference, and without the key no one can tell which
    /// value it stands for (an unkeyed hash of a phone number is reversed by trying them all).
    pub fn reference(&self, purpose: &str, value: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.reference_key)
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    pub fn generate_key_base64() -> String {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    pub fn seal(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("in-memory encryption does not fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("v1.{}", URL_SAFE_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, SealError> {
        let data = sealed
            .strip_prefix("v1.")
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|d| d.len() > 12)
            .ok_or(SealError::Open)?;
        let (nonce, ciphertext) = data.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_tamper() {
        let s = Sealer::from_base64_key(&Sealer::generate_key_base64()).unwrap();
        let sealed = s.seal(b"Siti, +6281234567890");
        assert!(!sealed.contains("Siti"));
        assert_eq!(s.open(&sealed).unwrap(), b"Siti, +6281234567890");
        let other = Sealer::from_base64_key(&Sealer::generate_key_base64()).unwrap();
        assert!(other.open(&sealed).is_err());
        let mut bad = sealed.clone();
        bad.pop();
        assert!(s.open(&bad).is_err());
        assert!(Sealer::from_base64_key("c2hvcnQ=").is_err());
    }

    #[test]
    fn references_are_stable_and_keyed() {
        let key = Sealer::generate_key_base64();
        let a = Sealer::from_base64_key(&key).unwrap();
        let again = Sealer::from_base64_key(&key).unwrap();
        let other = Sealer::from_base64_key(&Sealer::generate_key_base64()).unwrap();
        let r = a.reference("sender", "phone:+6281234567890");
        assert_eq!(r, again.reference("sender", "phone:+6281234567890"));
        assert_ne!(r, other.reference("sender", "phone:+6281234567890"));
        assert_ne!(r, a.reference("sender", "phone:+6281234567891"));
        assert_ne!(r, a.reference("other", "phone:+6281234567890"));
        assert_eq!(r.len(), 32);
        assert!(!r.contains("6281234567890"));
    }

    #[test]
    fn keys_are_derived_with_hkdf_sha256() {
        // python3: prk = hmac.new(bytes(32), b"key-1", "sha256").digest();
        //          hmac.new(prk, b"lapor:idempotency" + b"\x01", "sha256").hexdigest()
        assert_eq!(
            hex::encode(derive_key(b"key-1", "idempotency")),
            "6208f988fd9af3175de650c5befbb2ae808ec77ddb9b4173665ad0edfc5918fe"
        );
    }

    #[test]
    fn derived_keys_differ_by_secret_and_purpose() {
        let a = Sealer::derived_from("key-1", "idempotency");
        let sealed = a.seal(b"x");
        assert!(Sealer::derived_from("key-1", "idempotency")
            .open(&sealed)
            .is_ok());
        assert!(Sealer::derived_from("key-2", "idempotency")
            .open(&sealed)
            .is_err());
        assert!(Sealer::derived_from("key-1", "other")
            .open(&sealed)
            .is_err());
    }
}
