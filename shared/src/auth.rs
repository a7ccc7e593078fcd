//! Who an officer or verifier is, from the claims of their JWT.
//!
//! In AWS the HTTP API's JWT authorizer (`OfficerJwt` in template.yaml) checks the token's
//! signature, issuer, audience and expiry, and hands the function the token's claims as a map of
//! strings in `requestContext.authorizer.jwt.claims`. It knows nothing of roles, so the functions
//! build [`StaffClaims`] from that map here and enforce authorisation themselves.
//!
//! Locally there is no API Gateway: [`LocalSigner`] mints and checks HS256 tokens with a key in
//! the data dir, and the local runner injects the verified claims where API Gateway would.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use sha2::Sha256;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The template's authorizer for the staff routes.
pub const OFFICER_AUTHORIZER: &str = "OfficerJwt";

/// Claim names in the token (and so in the authorizer's claim map). The staff attributes are
/// Cognito custom attributes, which Cognito names `custom:<attribute>` in its ID tokens.
pub mod claim {
    pub const SUB: &str = "sub";
    pub const ROLE: &str = "custom:role";
    pub const AGENCY_ID: &str = "custom:agency_id";
    pub const ISS: &str = "iss";
    pub const AUD: &str = "aud";
    pub const EXP: &str = "exp";
    pub const IAT: &str = "iat";
}

/// Longest `sub` and agency id accepted: both end up stored on report timelines.
const MAX_ID_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token (locally) or no authorizer claims on the request (in AWS: a route without the
    /// authorizer, or a test event without claims).
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
    #[error("unknown staff role {0:?}")]
    UnknownRole(String),
    #[error("an officer's token must name the officer's agency")]
    OfficerWithoutAgency,
    /// Verifiers work nationally; an agency on their token means the account is set up wrong,
    /// and guessing which of the two was meant could widen or narrow their access.
    #[error("a verifier's token must not name an agency")]
    VerifierWithAgency,
}

impl From<AuthError> for crate::api::ApiError {
    fn from(e: AuthError) -> crate::api::ApiError {
        // The reason is for the logs only: the client learns no more than "unauthorized".
        tracing::info!(reason = %e, "staff request refused");
        crate::api::ApiError::Unauthorized
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffRole {
    /// Works one agency's reports.
    Officer,
    /// National triage: assigns reports that routing could not place.
    Verifier,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Officer => "officer",
            StaffRole::Verifier => "verifier",
        }
    }

    pub fn parse(value: &str) -> Option<StaffRole> {
        match value {
            "officer" => Some(StaffRole::Officer),
            "verifier" => Some(StaffRole::Verifier),
            _ => None,
        }
    }
}

impl std::fmt::Display for StaffRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member of staff as their token says. Built only through [`StaffClaims::new`] or
/// [`claims_from_authorizer`], which enforce: an officer has an agency, a verifier has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffClaims {
    /// The staff id (the identity provider's subject).
    pub sub: String,
    pub role: StaffRole,
    pub agency_id: Option<String>,
}

impl StaffClaims {
    pub fn new(
        sub: impl Into<String>,
        role: StaffRole,
        agency_id: Option<String>,
    ) -> Result<StaffClaims, AuthError> {
        let sub = sub.into();
        if sub.trim().is_empty() || sub.chars().count() > MAX_ID_CHARS {
            return Err(AuthError::MissingClaim(claim::SUB));
        }
        // An empty attribute is how an identity provider says "not set".
        let agency_id = agency_id.filter(|a| !a.trim().is_empty());
        if agency_id
            .as_ref()
            .is_some_and(|a| a.chars().count() > MAX_ID_CHARS)
        {
            return Err(AuthError::MissingClaim(claim::AGENCY_ID));
        }
        match (role, &agency_id) {
            (StaffRole::Officer, None) => Err(AuthError::OfficerWithoutAgency),
            (StaffRole::Verifier, Some(_)) => Err(AuthError::VerifierWithAgency),
            _ => Ok(StaffClaims {
                sub,
                role,
                agency_id,
            }),
        }
    }

    /// The staff claims as the authorizer's map carries them (for tests and the local runner).
    pub fn to_claim_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            (claim::SUB.to_string(), self.sub.clone()),
            (claim::ROLE.to_string(), self.role.as_str().to_string()),
        ]);
        if let Some(agency) = &self.agency_id {
            map.insert(claim::AGENCY_ID.to_string(), agency.clone());
        }
        map
    }
}

/// The staff member from API Gateway's JWT authorizer claims (`requestContext.authorizer.jwt.
/// claims`). The authorizer has checked the token; this checks what it cannot: the role.
pub fn claims_from_authorizer(map: &HashMap<String, String>) -> Result<StaffClaims, AuthError> {
    let sub = map
        .get(claim::SUB)
        .ok_or(AuthError::MissingClaim(claim::SUB))?;
    let role = map
        .get(claim::ROLE)
        .ok_or(AuthError::MissingClaim(claim::ROLE))?;
    let role = StaffRole::parse(role).ok_or_else(|| AuthError::UnknownRole(role.clone()))?;
    StaffClaims::new(sub.clone(), role, map.get(claim::AGENCY_ID).cloned())
}

/// The staff member behind a request that came through the `OfficerJwt` authorizer.
#[cfg(feature = "lambda")]
pub fn staff_from_request(req: &lambda_http::Request) -> Result<StaffClaims, AuthError> {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    };
    match claims {
        Some(claims) if !claims.is_empty() => claims_from_authorizer(claims),
        _ => Err(AuthError::Missing),
    }
}

/// The request context's authorizer as API Gateway fills it for a JWT authorizer.
#[cfg(feature = "lambda")]
pub fn jwt_authorizer(
    claims: HashMap<String, String>,
) -> lambda_http::aws_lambda_events::apigw::ApiGatewayRequestAuthorizer {
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    };
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    jwt.scopes = None;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    authorizer
}

type HmacSha256 = Hmac<Sha256>;

/// Longer than any token we mint by far; a bound before decoding anything.
const MAX_TOKEN_BYTES: usize = 4096;

/// The local runner's stand-in for the identity provider: HS256 tokens signed with a key kept in
/// the data dir. Never used in AWS, where the authorizer checks the provider's RS256 tokens.
pub struct LocalSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalSigner { key: <redacted> }")
    }
}

impl LocalSigner {
    pub const ISSUER: &'static str = "lapor-local";
    pub const AUDIENCE: &'static str = "lapor-officers";
    /// The key's file name in the local data dir.
    pub const KEY_FILE: &'static str = "officer-signing.key";

    pub fn new(key: &[u8]) -> LocalSigner {
        LocalSigner { key: key.to_vec() }
    }

    /// Where the key lives in a data dir.
    pub fn key_path(data_dir: &Path) -> PathBuf {
        data_dir.join(Self::KEY_FILE)
    }

    /// The key at `path` (32 random bytes in standard base64, like the local PII key), created
    /// owner-only on first use so that `mint-token` and `serve` agree without configuration.
    pub fn load_or_create(path: &Path) -> std::io::Result<LocalSigner> {
        use std::io::{Error, ErrorKind, Write};
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                let mut key = [0u8; 32];
                OsRng.fill_bytes(&mut key);
                file.write_all(STANDARD.encode(key).as_bytes())?;
                file.sync_all()?;
                return Ok(LocalSigner::new(&key));
            }
            // Already there (or another process won the race to create it): read it.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let text = std::fs::read_to_string(path)?;
        let key = STANDARD
            .decode(text.trim())
            .ok()
            .filter(|k| k.len() >= 32)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidData,
                    "the signing key must be at least 32 bytes in standard base64",
                )
            })?;
        Ok(LocalSigner::new(&key))
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length")
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
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
        let signing_input = format!("{header}.{payload}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// What API Gateway's JWT authorizer does: check the algorithm, the signature, the issuer,
    /// the audience and the expiry, then pass every claim on as a string. Roles are not its
    /// business (see [`claims_from_authorizer`]).
    pub fn verify_claim_map(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, String>, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed("too long"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed("not three dot-separated parts"));
        };
        // The signed input is the token up to the last dot.
        let signed_input = &token[..header.len() + 1 + payload.len()];
        let header = decode_object(
            header,
            "header is not base64url",
            "header is not a JSON object",
        )?;
        // Only the algorithm we sign with: never `none`, never one the token picks.
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(AuthError::WrongAlgorithm);
        }
        if header.contains_key("crit") {
            return Err(AuthError::Malformed("critical header extensions"));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| AuthError::Malformed("signature is not base64url"))?;
        let mut mac = self.mac();
        mac.update(signed_input.as_bytes());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&signature)
            .map_err(|_| AuthError::BadSignature)?;

        // Only an authenticated payload is read.
        let payload = decode_object(
            payload,
            "payload is not base64url",
            "payload is not a JSON object",
        )?;
        if payload.get(claim::ISS).and_then(|v| v.as_str()) != Some(Self::ISSUER) {
            return Err(AuthError::WrongIssuer);
        }
        let audience_ok = match payload.get(claim::AUD) {
            Some(serde_json::Value::String(aud)) => aud == Self::AUDIENCE,
            Some(serde_json::Value::Array(auds)) => auds.iter().any(|a| a == Self::AUDIENCE),
            _ => false,
        };
        if !audience_ok {
            return Err(AuthError::WrongAudience);
        }
        let exp = payload
            .get(claim::EXP)
            .and_then(|v| v.as_f64())
            .ok_or(AuthError::MissingClaim(claim::EXP))?;
        if now.timestamp() as f64 >= exp {
            return Err(AuthError::Expired);
        }
        for not_before in ["nbf", claim::IAT] {
            if let Some(t) = payload.get(not_before).and_then(|v| v.as_f64()) {
                if (now.timestamp() as f64) < t {
                    return Err(AuthError::NotYetValid);
                }
            }
        }
        Ok(payload
            .into_iter()
            .map(|(name, value)| (name, claim_string(value)))
            .collect())
    }

    /// A token's staff member: [`Self::verify_claim_map`] and then [`claims_from_authorizer`].
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<StaffClaims, AuthError> {
        claims_from_authorizer(&self.verify_claim_map(token, now)?)
    }
}

fn decode_object(
    part: &str,
    not_base64: &'static str,
    not_object: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AuthError::Malformed(not_base64))?;
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(AuthError::Malformed(not_object)),
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
    use chrono::TimeZone;
    use std::time::Duration;

    const HOUR: Duration = Duration::from_secs(3600);

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap()
    }

    fn officer() -> StaffClaims {
        StaffClaims::new("staff-42", StaffRole::Officer, Some("komdigi".into())).unwrap()
    }

    fn signer() -> LocalSigner {
        LocalSigner::new(&[7u8; 32])
    }

    /// A token with any header and payload, correctly signed with `signer()`'s key.
    fn signed(header: &serde_json::Value, payload: &serde_json::Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let mut mac = signer().mac();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
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
        assert_eq!(signer().verify(&forged, t0()), Err(AuthError::BadSignature));
        // One flipped character of the signature too.
        let mut flipped = token.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == 'A' { 'B' } else { 'A' });
        assert!(signer().verify(&flipped, t0()).is_err());
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = LocalSigner::new(&[8u8; 32]).mint(&officer(), t0(), HOUR);
        assert_eq!(signer().verify(&token, t0()), Err(AuthError::BadSignature));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = signer().mint(&officer(), t0(), HOUR);
        let at_expiry = t0() + chrono::Duration::hours(1);
        assert_eq!(signer().verify(&token, at_expiry), Err(AuthError::Expired));
        let not_yet = signed(&serde_json::json!({"alg": "HS256"}), &{
            let mut p = payload();
            p["nbf"] = (t0().timestamp() + 60).into();
            p
        });
        assert_eq!(signer().verify(&not_yet, t0()), Err(AuthError::NotYetValid));
        let minted_later = signer().mint(&officer(), t0() + chrono::Duration::minutes(5), HOUR);
        assert_eq!(
            signer().verify(&minted_later, t0()),
            Err(AuthError::NotYetValid)
        );
        let mut no_exp = payload();
        no_exp.as_object_mut().unwrap().remove("exp");
        let token = signed(&serde_json::json!({"alg": "HS256"}), &no_exp);
        assert_eq!(
            signer().verify(&token, t0()),
            Err(AuthError::MissingClaim("exp"))
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
        assert_eq!(signer().verify(&none, t0()), Err(AuthError::WrongAlgorithm));
        for alg in ["HS512", "RS256", "hs256"] {
            let token = signed(&serde_json::json!({ "alg": alg }), &payload());
            assert_eq!(
                signer().verify(&token, t0()),
                Err(AuthError::WrongAlgorithm),
                "{alg}"
            );
        }
        let no_alg = signed(&serde_json::json!({"typ": "JWT"}), &payload());
        assert_eq!(
            signer().verify(&no_alg, t0()),
            Err(AuthError::WrongAlgorithm)
        );
    }

    #[test]
    fn another_issuer_or_audience_is_refused() {
        let header = serde_json::json!({"alg": "HS256"});
        let mut p = payload();
        p["iss"] = "https://cognito-idp.example/pool".into();
        assert_eq!(
            signer().verify(&signed(&header, &p), t0()),
            Err(AuthError::WrongIssuer)
        );
        let mut p = payload();
        p["aud"] = "someone-else".into();
        assert_eq!(
            signer().verify(&signed(&header, &p), t0()),
            Err(AuthError::WrongAudience)
        );
        let mut p = payload();
        p.as_object_mut().unwrap().remove("aud");
        assert_eq!(
            signer().verify(&signed(&header, &p), t0()),
            Err(AuthError::WrongAudience)
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
            &"x".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert!(signer().verify(token, t0()).is_err(), "{token:?}");
        }
        // Correctly signed, but the payload is not an object.
        let token = signed(
            &serde_json::json!({"alg": "HS256"}),
            &serde_json::json!([1]),
        );
        assert!(matches!(
            signer().verify(&token, t0()),
            Err(AuthError::Malformed(_))
        ));
    }

    #[test]
    fn an_officer_without_an_agency_is_refused() {
        assert_eq!(
            StaffClaims::new("staff-42", StaffRole::Officer, None),
            Err(AuthError::OfficerWithoutAgency)
        );
        assert_eq!(
            StaffClaims::new("staff-42", StaffRole::Officer, Some(" ".into())),
            Err(AuthError::OfficerWithoutAgency)
        );
        // A correctly signed token without the agency gets no further either.
        let mut p = payload();
        p.as_object_mut().unwrap().remove("custom:agency_id");
        let token = signed(&serde_json::json!({"alg": "HS256"}), &p);
        assert_eq!(
            signer().verify(&token, t0()),
            Err(AuthError::OfficerWithoutAgency)
        );
    }

    #[test]
    fn authorizer_claim_maps_are_parsed() {
        let map = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            claims_from_authorizer(&map(&[
                ("sub", "staff-42"),
                ("custom:role", "officer"),
                ("custom:agency_id", "komdigi"),
                ("exp", "1740816000"),
                ("iss", "https://cognito-idp.example/pool"),
            ])),
            Ok(officer())
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("sub", "v-1"), ("custom:role", "verifier")])),
            Ok(StaffClaims {
                sub: "v-1".into(),
                role: StaffRole::Verifier,
                agency_id: None
            })
        );
        // Cognito sends an unset attribute as an empty string.
        assert_eq!(
            claims_from_authorizer(&map(&[
                ("sub", "v-1"),
                ("custom:role", "verifier"),
                ("custom:agency_id", "")
            ]))
            .map(|c| c.agency_id),
            Ok(None)
        );
        assert_eq!(
            claims_from_authorizer(&map(&[
                ("sub", "v-1"),
                ("custom:role", "verifier"),
                ("custom:agency_id", "komdigi")
            ])),
            Err(AuthError::VerifierWithAgency)
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("custom:role", "officer")])),
            Err(AuthError::MissingClaim("sub"))
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("sub", ""), ("custom:role", "verifier")])),
            Err(AuthError::MissingClaim("sub"))
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("sub", "staff-42")])),
            Err(AuthError::MissingClaim("custom:role"))
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("sub", "staff-42"), ("custom:role", "admin")])),
            Err(AuthError::UnknownRole("admin".into()))
        );
        assert_eq!(
            claims_from_authorizer(&map(&[
                ("sub", "staff-42"),
                ("custom:role", "officer"),
                ("custom:agency_id", "komdigi"),
            ])),
            claims_from_authorizer(&officer().to_claim_map())
        );
    }

    #[test]
    fn auth_errors_answer_401() {
        let e: crate::api::ApiError = AuthError::Expired.into();
        assert_eq!(e.status_code(), 401);
        assert_eq!(e.body()["error"], "unauthorized");
    }

    #[test]
    fn the_key_file_is_created_once_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = LocalSigner::key_path(&dir.path().join("nested"));
        let first = LocalSigner::load_or_create(&path).unwrap();
        let token = first.mint(&officer(), t0(), HOUR);
        let again = LocalSigner::load_or_create(&path).unwrap();
        assert_eq!(again.verify(&token, t0()), Ok(officer()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "c2hvcnQ=").unwrap();
        assert!(LocalSigner::load_or_create(&path).is_err());
    }

    #[cfg(feature = "lambda")]
    #[test]
    fn staff_are_read_from_the_request_context() {
        use lambda_http::aws_lambda_events::apigw::{
            ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
        };
        use lambda_http::request::LambdaRequest;
        let request = |authorizer| -> lambda_http::Request {
            let mut context = ApiGatewayV2httpRequestContext::default();
            context.authorizer = authorizer;
            let mut event = ApiGatewayV2httpRequest::default();
            event.request_context = context;
            LambdaRequest::ApiGatewayV2(event).into()
        };
        assert_eq!(
            staff_from_request(&request(Some(jwt_authorizer(officer().to_claim_map())))),
            Ok(officer())
        );
        assert_eq!(staff_from_request(&request(None)), Err(AuthError::Missing));
        assert_eq!(
            staff_from_request(&request(Some(jwt_authorizer(HashMap::new())))),
            Err(AuthError::Missing)
        );
        assert_eq!(
            staff_from_request(&lambda_http::Request::default()),
            Err(AuthError::Missing)
        );
    }
}
