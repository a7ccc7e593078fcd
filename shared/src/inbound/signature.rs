//! HMAC-SHA256 signatures as the providers send them: `sha256=<digest>`, the digest in lowercase
//! hex (LAPOR's SMS gateway, Meta) or standard base64 (X).

use super::SignatureError;
use crate::crypto::constant_time_eq;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "sha256=";

/// How the digest is written after `sha256=`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Encoding {
    Hex,
    Base64,
}

/// HMAC-SHA256 of the concatenation of `parts`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The header value for a digest: `sha256=<encoded digest>`.
pub(crate) fn header_value(digest: &[u8], encoding: Encoding) -> String {
    match encoding {
        Encoding::Hex => format!("{PREFIX}{}", hex::encode(digest)),
        Encoding::Base64 => format!("{PREFIX}{}", STANDARD.encode(digest)),
    }
}

/// Checks a `sha256=<digest>` header against the expected digest, in constant time.
///
/// An absent or blank header is `Missing`; anything else that is not exactly the expected digest
/// (no `sha256=` prefix, not hex/base64, wrong value) is `Mismatch`. Hex digits are accepted in
/// either case: the bytes are compared, not the text.
pub(crate) fn check(
    header: Option<&str>,
    expected: &[u8],
    encoding: Encoding,
) -> Result<(), SignatureError> {
    let header = match header.map(str::trim) {
        Some(h) if !h.is_empty() => h,
        _ => return Err(SignatureError::Missing),
    };
    let encoded = match header.get(..PREFIX.len()) {
        Some(p) if p.eq_ignore_ascii_case(PREFIX) => &header[PREFIX.len()..],
        _ => return Err(SignatureError::Mismatch),
    };
    let given = match encoding {
        Encoding::Hex => hex::decode(encoded).ok(),
        Encoding::Base64 => STANDARD.decode(encoded).ok(),
    };
    match given {
        Some(given) if constant_time_eq(&given, expected) => Ok(()),
        _ => Err(SignatureError::Mismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
        let digest = hmac_sha256(b"Jefe", &[b"what do ya ", b"want for nothing?"]);
        assert_eq!(
            hex::encode(digest),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn check_accepts_both_hex_cases_and_rejects_the_rest() {
        let digest = hmac_sha256(b"k", &[b"body"]);
        let lower = header_value(&digest, Encoding::Hex);
        assert_eq!(check(Some(&lower), &digest, Encoding::Hex), Ok(()));
        let upper = format!("sha256={}", hex::encode_upper(digest));
        assert_eq!(check(Some(&upper), &digest, Encoding::Hex), Ok(()));
        assert_eq!(
            check(Some(&hex::encode(digest)), &digest, Encoding::Hex),
            Err(SignatureError::Mismatch),
            "the prefix is required"
        );
        assert_eq!(
            check(Some("sha256=zz"), &digest, Encoding::Hex),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(Some("sha256=é"), &digest, Encoding::Hex),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(Some("é"), &digest, Encoding::Hex),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(Some("  "), &digest, Encoding::Hex),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            check(None, &digest, Encoding::Hex),
            Err(SignatureError::Missing)
        );
        let b64 = header_value(&digest, Encoding::Base64);
        assert_eq!(check(Some(&b64), &digest, Encoding::Base64), Ok(()));
        assert_eq!(
            check(Some(&b64), &digest, Encoding::Hex),
            Err(SignatureError::Mismatch)
        );
    }
}
