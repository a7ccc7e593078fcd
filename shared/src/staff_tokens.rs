//! Staff tokens signed with a shared key (HS256), where no identity provider and no JWT
//! authorizer stand in front of the functions:
//! - the local runner: `lapor-local mint-token` signs them with a key kept in the data dir and
//!   its gateway checks them the way API Gateway's JWT authorizer checks the provider's tokens in
//!   AWS, then hands the claims to the function (which reads them with
//!   `lapor::auth::staff_from_request`, as deployed);
//! - the LocalStack deployment (a REST API, which has no JWT authorizer): the agency function
//!   checks them itself (`lambda::rest::RestAuthorizer`) with the same key, read from Secrets
//!   Manager.
//!
//! Signing, the header, the signature and the issuer and audience checks are `jsonwebtoken`'s.
//! Time is checked here against the runner's clock (`now`), with no leeway: `jsonwebtoken` would
//! read the wall clock and allow a minute.

use crate::auth::{claim, claims_from_authorizer, AuthError, StaffClaims};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Longer than any token we mint by far; a bound before decoding anything.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// The shortest key the key file may hold.
pub const MIN_KEY_BYTES: usize = 32;

/// Why a token was refused (for the log: the client gets a bare 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no access token")]
    Missing,
    #[error("the access token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the access token is not signed with HS256")]
    WrongAlgorithm,
    #[error("the access token's signature does not match")]
    BadSignature,
    #[error("the access token has expired")]
    Expired,
    /// `nbf` or `iat` after now.
    #[error("the access token is not valid yet")]
    NotYetValid,
    #[error("the access token was issued by another issuer")]
    WrongIssuer,
    #[error("the access token was issued for another audience")]
    WrongAudience,
    #[error("the access token has no usable {0} claim")]
    MissingClaim(&'static str),
    /// A valid token whose claims do not make a member of staff (see `lapor::auth`).
    #[error(transparent)]
    Claims(#[from] AuthError),
}

/// HS256 tokens with a shared key. Never used behind the HTTP API in AWS, where the authorizer
/// checks the identity provider's RS256 tokens.
#[derive(Clone)]
pub struct SharedKeyTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for SharedKeyTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedKeyTokens { key: <redacted> }")
    }
}

impl SharedKeyTokens {
    pub const ISSUER: &'static str = "lapor-local";
    pub const AUDIENCE: &'static str = "lapor-officers";
    /// The key's file name in the local data dir.
    pub const KEY_FILE: &'static str = "officer-signing.key";

    /// A signer with `key`, which must not be empty ([`Self::load_or_create`] reads at least
    /// [`MIN_KEY_BYTES`]).
    pub fn new(key: &[u8]) -> SharedKeyTokens {
        const EMPTY: &str = "an HMAC key must not be empty";
        // Only HS256, whatever the token's header says: never `none`, never one the token picks.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[Self::ISSUER]);
        validation.set_audience(&[Self::AUDIENCE]);
        validation.set_required_spec_claims(&[claim::EXP, claim::ISS, claim::AUD]);
        // Checked in `verify_claim_map` against the runner's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        SharedKeyTokens {
            encoding: EncodingKey::from_secret(key).expect(EMPTY),
            decoding: DecodingKey::from_secret(key).expect(EMPTY),
            validation,
        }
    }

    /// A key as the key file and the deployment's secret hold it: at least [`MIN_KEY_BYTES`]
    /// bytes in standard base64.
    pub fn from_base64_key(text: &str) -> Result<SharedKeyTokens, &'static str> {
        STANDARD
            .decode(text.trim())
            .ok()
            .filter(|k| k.len() >= MIN_KEY_BYTES)
            .map(|key| SharedKeyTokens::new(&key))
            .ok_or("the signing key must be at least 32 bytes in standard base64")
    }

    /// Where the key lives in a data dir.
    pub fn key_path(data_dir: &Path) -> PathBuf {
        data_dir.join(Self::KEY_FILE)
    }

    /// The key at `path` (32 random bytes in standard base64, like the local PII key), created
    /// owner-only on first use so that `mint-token` and `serve` agree without configuration.
    pub fn load_or_create(path: &Path) -> std::io::Result<SharedKeyTokens> {
        use std::io::{Error, ErrorKind, Write};
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let text = match options.open(path) {
            Ok(mut file) => {
                let text = crate::crypto::Sealer::generate_key_base64();
                file.write_all(text.as_bytes())?;
                file.sync_all()?;
                text
            }
            // Already there (or another process won the race to create it): read it.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => std::fs::read_to_string(path)?,
            Err(e) => return Err(e),
        };
        SharedKeyTokens::from_base64_key(&text).map_err(|e| Error::new(ErrorKind::InvalidData, e))
    }

    /// A token for `claims`, valid from `issued_at` for `valid_for`.
    pub fn mint(
        &self,
        claims: &StaffClaims,
        issued_at: DateTime<Utc>,
        valid_for: std::time::Duration,
    ) -> String {
        let iat = issued_at.timestamp();
        let exp = iat.saturating_add(i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX));
        let mut payload = serde_json::json!({
            (claim::ISS): Self::ISSUER,
            (claim::AUD): Self::AUDIENCE,
            (claim::SUB): claims.sub,
            (claim::ROLE): claims.role.as_str(),
            (claim::IAT): iat,
            (claim::EXP): exp,
        });
        if let Some(agency) = &claims.agency_id {
            payload[claim::AGENCY_ID] = agency.clone().into();
        }
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &payload, &self.encoding)
            .expect("a JSON object signs with HS256")
    }

    /// What API Gateway's JWT authorizer does: check the algorithm, the signature, the issuer,
    /// the audience and the expiry, then pass every claim on as a string. Roles are not its
    /// business (see `lapor::auth::claims_from_authorizer`).
    pub fn verify_claim_map(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, String>, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed("too long"));
        }
        // Only an authenticated payload is returned: `decode` checks the signature first.
        let payload: serde_json::Map<String, serde_json::Value> =
            jsonwebtoken::decode(token, &self.decoding, &self.validation)
                .map_err(|e| refusal(e.kind()))?
                .claims;
        let exp = payload
            .get(claim::EXP)
            .and_then(|v| v.as_f64())
            .ok_or(TokenError::MissingClaim(claim::EXP))?;
        let now_secs = now.timestamp() as f64;
        if now_secs >= exp {
            return Err(TokenError::Expired);
        }
        for not_before in ["nbf", claim::IAT] {
            if let Some(t) = payload.get(not_before).and_then(|v| v.as_f64()) {
                if now_secs < t {
                    return Err(TokenError::NotYetValid);
                }
            }
        }
        Ok(payload
            .into_iter()
            .map(|(name, value)| (name, claim_string(value)))
            .collect())
    }

    /// A token's staff member: [`Self::verify_claim_map`] and then
    /// `lapor::auth::claims_from_authorizer`, as the deployed functions read them.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<StaffClaims, TokenError> {
        Ok(claims_from_authorizer(&self.verify_claim_map(token, now)?)?)
    }
}

/// `jsonwebtoken`'s reason as ours. Its `Json` and `Base64` errors do not say which part failed;
/// a header naming an algorithm it does not know (`none`, `hs256`) fails as JSON too.
fn refusal(kind: &ErrorKind) -> TokenError {
    match kind {
        ErrorKind::InvalidSignature => TokenError::BadSignature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidKeyFormat => TokenError::WrongAlgorithm,
        ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
        ErrorKind::InvalidAudience => TokenError::WrongAudience,
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        ErrorKind::MissingRequiredClaim(name) | ErrorKind::InvalidClaimFormat(name) => {
            match name.as_str() {
                claim::ISS => TokenError::WrongIssuer,
                claim::AUD => TokenError::WrongAudience,
                claim::EXP => TokenError::MissingClaim(claim::EXP),
                _ => TokenError::Malformed("a registered claim has the wrong type"),
            }
        }
        ErrorKind::InvalidToken => TokenError::Malformed("not a signed JWT"),
        ErrorKind::Base64(_) => TokenError::Malformed("a part is not base64url"),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            TokenError::Malformed("the header or payload is not a JWT's JSON object")
        }
        _ => TokenError::Malformed("refused by the JWT decoder"),
    }
}

/// A claim as API Gateway passes it: strings as they are, numbers and booleans as their text,
/// arrays as `[a b]`.
fn claim_string(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s,
        serde_json::Value::Array(items) => format!(
            "[{}]",
            items
                .into_iter()
                .map(claim_string)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::StaffRole;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::TimeZone;
    use std::time::Duration;

    const HOUR: Duration = Duration::from_secs(3600);
    const KEY: [u8; 32] = [7u8; 32];

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap()
    }

    fn officer() -> StaffClaims {
        StaffClaims::new("staff-42", StaffRole::Officer, Some("komdigi".into())).unwrap()
    }

    fn signer() -> SharedKeyTokens {
        SharedKeyTokens::new(&KEY)
    }

    /// A token with any header and payload, correctly signed with `signer()`'s key.
    fn signed(header: &serde_json::Value, payload: &serde_json::Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let key = EncodingKey::from_secret(&KEY).unwrap();
        let signature =
            jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).unwrap();
        format!("{input}.{signature}")
    }

    fn payload() -> serde_json::Value {
        serde_json::json!({
            "iss": "lapor-local", "aud": "lapor-officers", "sub": "staff-42",
            "custom:role": "officer", "custom:agency_id": "komdigi",
            "iat": t0().timestamp(), "exp": t0().timestamp() + 3600,
        })
    }

    #[test]
    fn a_minted_token_verifies_to_the_same_claims() {
        let token = signer().mint(&officer(), t0(), HOUR);
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(
            signer().verify(&token, t0() + chrono::Duration::minutes(59)),
            Ok(officer())
        );
        let verifier = StaffClaims::new("v-1", StaffRole::Verifier, None).unwrap();
        let token = signer().mint(&verifier, t0(), HOUR);
        assert_eq!(signer().verify(&token, t0()), Ok(verifier));
    }

    #[test]
    fn a_token_signed_by_hand_verifies_like_a_minted_one() {
        // What the test helper signs is what `mint` signs: the helper's tokens test the verifier.
        let token = signed(
            &serde_json::json!({"alg": "HS256", "typ": "JWT"}),
            &payload(),
        );
        assert_eq!(signer().verify(&token, t0()), Ok(officer()));
    }

    #[test]
    fn the_claim_map_is_what_api_gateway_passes() {
        let token = signer().mint(&officer(), t0(), HOUR);
        let map = signer().verify_claim_map(&token, t0()).unwrap();
        assert_eq!(map["sub"], "staff-42");
        assert_eq!(map["custom:role"], "officer");
        assert_eq!(map["custom:agency_id"], "komdigi");
        assert_eq!(map["iss"], "lapor-local");
        assert_eq!(map["aud"], "lapor-officers");
        assert_eq!(map["iat"], t0().timestamp().to_string());
        assert_eq!(map["exp"], (t0().timestamp() + 3600).to_string());
        let mut listed = payload();
        listed["aud"] = serde_json::json!(["other", "lapor-officers"]);
        let token = signed(&serde_json::json!({"alg": "HS256"}), &listed);
        let map = signer().verify_claim_map(&token, t0()).unwrap();
        assert_eq!(map["aud"], "[other lapor-officers]");
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let token = signer().mint(&officer(), t0(), HOUR);
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged = payload();
        forged["custom:agency_id"] = "kemenkeu".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(forged.to_string()),
            parts[2]
        );
        assert_eq!(
            signer().verify(&forged, t0()),
            Err(TokenError::BadSignature)
        );
        // One flipped character of the signature too.
        let mut flipped = token.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == 'A' { 'B' } else { 'A' });
        assert!(signer().verify(&flipped, t0()).is_err());
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = SharedKeyTokens::new(&[8u8; 32]).mint(&officer(), t0(), HOUR);
        assert_eq!(signer().verify(&token, t0()), Err(TokenError::BadSignature));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = signer().mint(&officer(), t0(), HOUR);
        let at_expiry = t0() + chrono::Duration::hours(1);
        assert_eq!(signer().verify(&token, at_expiry), Err(TokenError::Expired));
        // No leeway: a second before the expiry still passes, the second of it does not.
        let just_before = at_expiry - chrono::Duration::seconds(1);
        assert_eq!(signer().verify(&token, just_before), Ok(officer()));
        let not_yet = signed(&serde_json::json!({"alg": "HS256"}), &{
            let mut p = payload();
            p["nbf"] = (t0().timestamp() + 60).into();
            p
        });
        assert_eq!(
            signer().verify(&not_yet, t0()),
            Err(TokenError::NotYetValid)
        );
        let minted_later = signer().mint(&officer(), t0() + chrono::Duration::minutes(5), HOUR);
        assert_eq!(
            signer().verify(&minted_later, t0()),
            Err(TokenError::NotYetValid)
        );
        let mut no_exp = payload();
        no_exp.as_object_mut().unwrap().remove("exp");
        let token = signed(&serde_json::json!({"alg": "HS256"}), &no_exp);
        assert_eq!(
            signer().verify(&token, t0()),
            Err(TokenError::MissingClaim("exp"))
        );
        let mut text_exp = payload();
        text_exp["exp"] = "tomorrow".into();
        let token = signed(&serde_json::json!({"alg": "HS256"}), &text_exp);
        assert_eq!(
            signer().verify(&token, t0()),
            Err(TokenError::MissingClaim("exp"))
        );
    }

    #[test]
    fn only_hs256_is_accepted() {
        // `alg: none` with an empty signature: the classic forgery.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload().to_string())
        );
        // An algorithm `jsonwebtoken` does not know fails as the header's JSON; one it knows
        // but we do not take fails as the algorithm. Refused either way.
        let refused = |token: &str| {
            matches!(
                signer().verify(token, t0()),
                Err(TokenError::WrongAlgorithm | TokenError::Malformed(_))
            )
        };
        assert!(refused(&none));
        for alg in ["HS384", "HS512", "RS256", "ES256", "EdDSA"] {
            let token = signed(&serde_json::json!({ "alg": alg }), &payload());
            assert_eq!(
                signer().verify(&token, t0()),
                Err(TokenError::WrongAlgorithm),
                "{alg}"
            );
        }
        for header in [
            serde_json::json!({"alg": "hs256"}),
            serde_json::json!({"alg": "none"}),
            serde_json::json!({"typ": "JWT"}),
        ] {
            let token = signed(&header, &payload());
            assert!(refused(&token), "{header}");
        }
        // Critical header extensions we do not understand.
        let crit = signed(
            &serde_json::json!({"alg": "HS256", "crit": ["exp-ext"], "exp-ext": 1}),
            &payload(),
        );
        assert!(matches!(
            signer().verify(&crit, t0()),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn another_issuer_or_audience_is_refused() {
        let header = serde_json::json!({"alg": "HS256"});
        let mut p = payload();
        p["iss"] = "https://cognito-idp.example/pool".into();
        assert_eq!(
            signer().verify(&signed(&header, &p), t0()),
            Err(TokenError::WrongIssuer)
        );
        let mut p = payload();
        p.as_object_mut().unwrap().remove("iss");
        assert_eq!(
            signer().verify(&signed(&header, &p), t0()),
            Err(TokenError::WrongIssuer)
        );
        let mut p = payload();
        p["aud"] = "someone-else".into();
        assert_eq!(
            signer().verify(&signed(&header, &p), t0()),
            Err(TokenError::WrongAudience)
        );
        let mut p = payload();
        p.as_object_mut().unwrap().remove("aud");
        assert_eq!(
            signer().verify(&signed(&header, &p), t0()),
            Err(TokenError::WrongAudience)
        );
        let mut p = payload();
        p["aud"] = 42.into();
        assert_eq!(
            signer().verify(&signed(&header, &p), t0()),
            Err(TokenError::WrongAudience)
        );
        // An audience list that includes ours is fine, as RFC 7519 allows.
        let mut p = payload();
        p["aud"] = serde_json::json!(["other", "lapor-officers"]);
        assert_eq!(signer().verify(&signed(&header, &p), t0()), Ok(officer()));
    }

    #[test]
    fn malformed_tokens_are_refused_without_panicking() {
        for token in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "!!!.###.$$$",
            "e30.e30.",
            "..",
            &"x".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert!(signer().verify(token, t0()).is_err(), "{token:?}");
        }
        assert_eq!(signer().verify("", t0()), Err(TokenError::Missing));
        // Correctly signed, but the payload is not an object.
        let token = signed(
            &serde_json::json!({"alg": "HS256"}),
            &serde_json::json!([1]),
        );
        assert!(matches!(
            signer().verify(&token, t0()),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn a_valid_token_without_a_staff_member_is_refused() {
        // A correctly signed token without the officer's agency gets no further.
        let mut p = payload();
        p.as_object_mut().unwrap().remove("custom:agency_id");
        let token = signed(&serde_json::json!({"alg": "HS256"}), &p);
        assert_eq!(
            signer().verify(&token, t0()),
            Err(TokenError::Claims(AuthError::OfficerWithoutAgency))
        );
        let mut p = payload();
        p["custom:role"] = "admin".into();
        let token = signed(&serde_json::json!({"alg": "HS256"}), &p);
        assert_eq!(
            signer().verify(&token, t0()),
            Err(TokenError::Claims(AuthError::UnknownRole("admin".into())))
        );
    }

    #[test]
    fn the_key_file_is_created_once_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = SharedKeyTokens::key_path(&dir.path().join("nested"));
        let first = SharedKeyTokens::load_or_create(&path).unwrap();
        let token = first.mint(&officer(), t0(), HOUR);
        let again = SharedKeyTokens::load_or_create(&path).unwrap();
        assert_eq!(again.verify(&token, t0()), Ok(officer()));
        // The format existing data dirs have: 32 bytes in standard base64.
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(STANDARD.decode(text.trim()).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "c2hvcnQ=").unwrap();
        assert!(SharedKeyTokens::load_or_create(&path).is_err());
    }

    #[test]
    fn data_dirs_and_tokens_from_before_jsonwebtoken_still_work() {
        // A key file as the hand-written signer left it, and the token it minted with that key
        // for `officer()` at `t0()` (byte for byte what it printed).
        let dir = tempfile::tempdir().unwrap();
        let path = SharedKeyTokens::key_path(dir.path());
        std::fs::write(&path, STANDARD.encode(KEY)).unwrap();
        let signer = SharedKeyTokens::load_or_create(&path).unwrap();
        let old = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJsYXBvci1vZmZpY2VycyIsImN1c3\
                   RvbTphZ2VuY3lfaWQiOiJrb21kaWdpIiwiY3VzdG9tOnJvbGUiOiJvZmZpY2VyIiwiZXhwIjoxNzQw\
                   ODE5NjAwLCJpYXQiOjE3NDA4MTYwMDAsImlzcyI6ImxhcG9yLWxvY2FsIiwic3ViIjoic3RhZmYtNDIi\
                   fQ.Ae96oilq9lHt-ZiZFTCZWidSI3EQoeQm4hD2ry8que4";
        assert_eq!(signer.verify(old, t0()), Ok(officer()));
        let new = signer.mint(&officer(), t0(), HOUR);
        assert_eq!(
            signer.verify_claim_map(&new, t0()),
            signer.verify_claim_map(old, t0())
        );
    }
}
