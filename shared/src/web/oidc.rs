//! Officers' and verifiers' sign-in with OpenID Connect: the Cognito user pool's hosted UI, the
//! authorization code flow with PKCE (S256).
//!
//! API Gateway's JWT authorizer reads only the `Authorization` header, never a cookie, so the
//! web function verifies the ID token itself ([`JwksVerifier`]: RS256 against the pool's JWKS,
//! fetched and cached by `kid`; issuer, audience = the app client id, expiry with a small
//! leeway, `token_use` = `id`, and the nonce of this sign-in). Its claims become a member of
//! staff through [`crate::auth::claims_from_authorizer`], the very mapping the JSON API applies
//! to the authorizer's claims: one mapping, not two.
//!
//! Nothing is kept on the server. The sign-in in progress ([`PendingSignIn`]: state, nonce,
//! PKCE verifier, where to return) and the session ([`Session`]) are sealed cookie values (see
//! [`super::cookies`]); the pending one lives [`PENDING_LIFETIME`] and is cleared by the
//! callback, the session [`SESSION_LIFETIME`]. A replayed callback finds no pending sign-in (or
//! a state that does not match), and Cognito takes an authorization code once.
//!
//! Locally (`lapor-local`) there is no identity provider: the runner's sign-in page mints the
//! same HS256 token `lapor-local mint-token` does, and the web function checks it with the
//! runner's key through the same [`StaffTokenVerifier`] trait. Only the local runner builds that
//! verifier; the Lambda build has only [`JwksVerifier`].

use crate::auth::{claims_from_authorizer, AuthError, StaffClaims, StaffRole};
use crate::config::{self, ConfigError};
use crate::crypto::{b64url, constant_time_eq};
use chrono::{DateTime, Duration, Utc};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::{rngs::OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// How long a sign-in may take from the click to the callback (the hosted UI's form included).
pub const PENDING_LIFETIME: Duration = Duration::minutes(10);
/// How long a session lasts: an office day. Signing in again asks the pool again, so a disabled
/// account loses access at the latest this long after it was disabled.
pub const SESSION_LIFETIME: Duration = Duration::hours(8);
/// Clock difference allowed between the identity provider and us, on `exp`, `iat` and `nbf`.
pub const CLOCK_LEEWAY: Duration = Duration::seconds(60);
/// The JWKS is fetched again for an unknown `kid` (the pool rotated its keys) at most this often,
/// so tokens with made-up key ids cannot make us hammer the pool.
pub const JWKS_REFETCH_INTERVAL: Duration = Duration::seconds(60);
/// Longer than any ID token Cognito issues by far; a bound before decoding anything.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// The provider's answers (token response, JWKS) are small; a larger one is cut off.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The page officers land on after signing in, and the only prefix a return path may have.
pub const CONSOLE_HOME: &str = "/petugas";

/// Environment variables of the web function's sign-in (set by template.yaml).
pub mod env {
    /// The user pool's issuer, `https://cognito-idp.<region>.amazonaws.com/<pool id>` (the
    /// template passes `OfficerJwtIssuer`, the same value the API's JWT authorizer checks).
    pub const OIDC_ISSUER: &str = "OIDC_ISSUER";
    /// The app client id (`OfficerJwtAudience`): the ID token's audience.
    pub const OIDC_CLIENT_ID: &str = "OIDC_CLIENT_ID";
    /// The hosted UI's base URL, `https://<domain>.auth.<region>.amazoncognito.com` or a custom
    /// domain: `/oauth2/authorize`, `/oauth2/token` and `/logout` are below it.
    pub const OIDC_HOSTED_UI_URL: &str = "OIDC_HOSTED_UI_URL";
    /// The callback URL registered on the app client, `https://<site>/masuk/callback`.
    pub const OIDC_CALLBACK_URL: &str = "OIDC_CALLBACK_URL";
    /// Where Cognito's `/logout` sends the browser back (a sign-out URL of the app client).
    pub const OIDC_SIGNED_OUT_URL: &str = "OIDC_SIGNED_OUT_URL";
    /// The Secrets Manager secret holding the app client's secret (its whole `SecretString`);
    /// `-` for a public app client (PKCE alone).
    pub const OIDC_CLIENT_SECRET_ID: &str = "OIDC_CLIENT_SECRET_ID";
    /// The app client's secret itself: the local runner and tests only.
    pub const OIDC_CLIENT_SECRET: &str = "OIDC_CLIENT_SECRET";
}

/// Where the identity provider is and who we are to it.
#[derive(Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    /// `None` for a public app client.
    pub client_secret: Option<String>,
    /// The hosted UI's base URL, without a trailing slash.
    pub hosted_ui: String,
    pub callback_url: String,
    pub signed_out_url: String,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<set>"),
            )
            .field("hosted_ui", &self.hosted_ui)
            .field("callback_url", &self.callback_url)
            .field("signed_out_url", &self.signed_out_url)
            .finish()
    }
}

impl OidcSettings {
    /// From the variables of [`env`] looked up by `lookup` (the client secret is passed: it
    /// comes from Secrets Manager in AWS, [`env::OIDC_CLIENT_SECRET`] locally). `Ok(None)` when
    /// no issuer is configured: no OpenID sign-in. Every URL must be `https`, or `http` on a
    /// loopback address (tests and the local runner).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        client_secret: Option<String>,
    ) -> Result<Option<OidcSettings>, ConfigError> {
        let read = |name: &str| config::configured(lookup(name));
        let Some(issuer) = read(env::OIDC_ISSUER) else {
            return Ok(None);
        };
        let need = |name: &'static str| {
            read(name).ok_or(ConfigError {
                name,
                problem: format!("is not set (needed with {})", env::OIDC_ISSUER),
            })
        };
        let settings = OidcSettings {
            issuer: trim_slashes(issuer),
            client_id: need(env::OIDC_CLIENT_ID)?,
            client_secret: config::configured(client_secret),
            hosted_ui: trim_slashes(need(env::OIDC_HOSTED_UI_URL)?),
            callback_url: need(env::OIDC_CALLBACK_URL)?,
            signed_out_url: need(env::OIDC_SIGNED_OUT_URL)?,
        };
        for (name, url) in [
            (env::OIDC_ISSUER, &settings.issuer),
            (env::OIDC_HOSTED_UI_URL, &settings.hosted_ui),
            (env::OIDC_CALLBACK_URL, &settings.callback_url),
            (env::OIDC_SIGNED_OUT_URL, &settings.signed_out_url),
        ] {
            check_url(url).map_err(|problem| ConfigError {
                name,
                problem: problem.into(),
            })?;
        }
        Ok(Some(settings))
    }

    /// The pool's signing keys (Cognito publishes them below the issuer).
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer)
    }

    pub fn authorize_url(&self) -> String {
        format!("{}/oauth2/authorize", self.hosted_ui)
    }

    pub fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.hosted_ui)
    }

    /// Cognito's `/logout`: ends the hosted UI's own session, then returns to our page.
    pub fn logout_url(&self) -> String {
        let query = serde_urlencoded::to_string([
            ("client_id", self.client_id.as_str()),
            ("logout_uri", self.signed_out_url.as_str()),
        ])
        .expect("strings encode");
        format!("{}/logout?{query}", self.hosted_ui)
    }
}

fn trim_slashes(mut url: String) -> String {
    while url.ends_with('/') {
        url.pop();
    }
    url
}

/// `https://...`, or `http://` to a loopback host.
fn check_url(url: &str) -> Result<(), &'static str> {
    let uri: hyper::Uri = url.parse().map_err(|_| "is not a URL")?;
    let host = uri.host().ok_or("is not an absolute URL")?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err("must be https (plain http only to a loopback address)"),
        _ => Err("must be an https URL"),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

// ------------------------------------------------------------------ the sign-in in progress

/// A sign-in between the redirect to the hosted UI and the callback, kept in a short-lived
/// sealed cookie: what binds the callback to this browser.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// Sent as `state`, compared on the callback (CSRF on the callback itself).
    pub state: String,
    /// Sent as `nonce`, must come back inside the ID token (a token minted for another sign-in
    /// is refused).
    pub nonce: String,
    /// PKCE: its SHA-256 goes to the authorize endpoint, itself to the token endpoint.
    pub code_verifier: String,
    /// The console page to return to.
    pub return_to: String,
    /// Unix seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("return_to", &self.return_to)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl PendingSignIn {
    /// A fresh sign-in: 256 random bits each for the state, the nonce and the PKCE verifier
    /// (43 characters of base64url, RFC 7636's minimum length and alphabet).
    pub fn new(return_to: &str, now: DateTime<Utc>) -> PendingSignIn {
        PendingSignIn {
            state: random_256(),
            nonce: random_256(),
            code_verifier: random_256(),
            return_to: safe_return_to(Some(return_to)),
            expires_at: (now + PENDING_LIFETIME).timestamp(),
        }
    }

    /// RFC 7636's S256 challenge: `BASE64URL(SHA256(ASCII(code_verifier)))`.
    pub fn code_challenge(&self) -> String {
        b64url(&Sha256::digest(self.code_verifier.as_bytes()))
    }

    /// The hosted UI's authorize URL for this sign-in.
    pub fn authorize_url(&self, settings: &OidcSettings) -> String {
        let challenge = self.code_challenge();
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", settings.client_id.as_str()),
            ("redirect_uri", settings.callback_url.as_str()),
            ("scope", "openid"),
            ("state", self.state.as_str()),
            ("nonce", self.nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .expect("strings encode");
        format!("{}?{query}", settings.authorize_url())
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now.timestamp() >= self.expires_at
    }
}

fn random_256() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    b64url(&bytes)
}

/// A console path to return to after signing in: a path under [`CONSOLE_HOME`] and nothing
/// else (no other host, no `//evil.example`, no backslash tricks), else the console's home.
pub fn safe_return_to(requested: Option<&str>) -> String {
    match requested {
        Some(path)
            if (path == CONSOLE_HOME
                || path.starts_with("/petugas/")
                || path.starts_with("/petugas?"))
                && path.len() <= 512
                && !path.contains("//")
                && !path.contains('\\')
                && path.chars().all(|c| c.is_ascii_graphic()) =>
        {
            path.to_string()
        }
        _ => CONSOLE_HOME.to_string(),
    }
}

// ------------------------------------------------------------------ the session

/// A signed-in member of staff, kept in a sealed HttpOnly cookie: no server-side session store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

impl Session {
    /// A session for `staff` from `now` for [`SESSION_LIFETIME`].
    pub fn start(staff: &StaffClaims, now: DateTime<Utc>) -> Session {
        Session {
            sub: staff.sub.clone(),
            role: staff.role.as_str().to_string(),
            agency_id: staff.agency_id.clone(),
            expires_at: (now + SESSION_LIFETIME).timestamp(),
        }
    }

    /// The member of staff, while the session lasts. Read back through the same checks as a
    /// token's claims (an officer has an agency, a verifier none).
    pub fn staff(&self, now: DateTime<Utc>) -> Option<StaffClaims> {
        if now.timestamp() >= self.expires_at {
            return None;
        }
        let role = StaffRole::parse(&self.role)?;
        StaffClaims::new(self.sub.clone(), role, self.agency_id.clone()).ok()
    }
}

// ------------------------------------------------------------------ errors

/// Why a sign-in was refused. [`SignInError::status`] is the page's HTTP status; the variants
/// name the reason for the logs (never a token or a code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The callback came without the sign-in cookie: it expired, was already used (a replayed
    /// callback), or the browser dropped it.
    #[error("no sign-in in progress")]
    NoPendingSignIn,
    #[error("the sign-in took too long")]
    PendingExpired,
    /// The callback's `state` is not this browser's sign-in.
    #[error("the callback's state does not match the sign-in")]
    StateMismatch,
    #[error("the callback has no {0}")]
    BadCallback(&'static str),
    /// The identity provider answered the callback with an error (the user cancelled, ...).
    #[error("the identity provider refused the sign-in: {0}")]
    ProviderRefused(String),
    /// The token endpoint refused the code (used already, expired, another client's).
    #[error("the token endpoint refused the code: {0}")]
    CodeRefused(String),
    /// The ID token failed verification.
    #[error(transparent)]
    Token(#[from] TokenRefusal),
    /// A valid token whose claims do not make a member of staff.
    #[error(transparent)]
    NotStaff(#[from] AuthError),
    /// The identity provider could not be reached or answered nonsense: try again later.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
}

impl SignInError {
    /// 400 for a broken callback, 401 for credentials that do not prove who you are, 403 for a
    /// callback that is not this browser's or a person who is not staff, 503 for an
    /// unreachable provider.
    pub fn status(&self) -> u16 {
        match self {
            SignInError::BadCallback(_) => 400,
            SignInError::ProviderRefused(_)
            | SignInError::CodeRefused(_)
            | SignInError::Token(_) => 401,
            SignInError::NoPendingSignIn
            | SignInError::PendingExpired
            | SignInError::StateMismatch
            | SignInError::NotStaff(_) => 403,
            SignInError::Unavailable(_) => 503,
        }
    }

    /// What the officer reads, in Indonesian.
    pub fn message(&self) -> &'static str {
        match self {
            SignInError::NoPendingSignIn | SignInError::PendingExpired => {
                "Proses masuk sudah kedaluwarsa atau sudah dipakai. Silakan masuk lagi."
            }
            SignInError::StateMismatch | SignInError::BadCallback(_) => {
                "Permintaan masuk ini tidak berasal dari peramban Anda. Silakan masuk lagi."
            }
            SignInError::ProviderRefused(_) | SignInError::CodeRefused(_) => {
                "Masuk dibatalkan atau ditolak. Silakan masuk lagi."
            }
            SignInError::Token(_) => {
                "Tanda masuk Anda tidak sah atau sudah kedaluwarsa. Silakan masuk lagi."
            }
            SignInError::NotStaff(_) => {
                "Akun Anda belum terdaftar sebagai petugas atau verifikator LAPOR. Hubungi \
                 administrator instansi Anda."
            }
            SignInError::Unavailable(_) => {
                "Layanan masuk sedang tidak dapat dihubungi. Silakan coba beberapa saat lagi."
            }
        }
    }
}

/// Why an ID token was refused (for the logs: the officer reads only
/// [`SignInError::message`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("the ID token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the ID token is not signed with RS256")]
    WrongAlgorithm,
    #[error("the ID token names no signing key the identity provider publishes")]
    UnknownKey,
    #[error("the ID token's signature does not match")]
    BadSignature,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token is not valid yet")]
    NotYetValid,
    #[error("the ID token was issued by another issuer")]
    WrongIssuer,
    #[error("the ID token was issued for another client")]
    WrongAudience,
    #[error("the token is not an ID token")]
    NotAnIdToken,
    #[error("the ID token's nonce is not this sign-in's")]
    WrongNonce,
}

// ------------------------------------------------------------------ verifying tokens

/// Checks a staff token and says who it names. [`JwksVerifier`] in AWS (the pool's RS256 ID
/// tokens); the local runner's HS256 tokens only in `lapor-local`.
#[async_trait::async_trait]
pub trait StaffTokenVerifier: Send + Sync {
    /// `nonce`: the sign-in's nonce the token must carry (`None` where the token was not
    /// obtained through a sign-in with a nonce: the local runner's).
    async fn verify(
        &self,
        token: &str,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<StaffClaims, SignInError>;
}

/// The pool's ID tokens: RS256 signatures against the pool's JWKS, fetched once and again only
/// for a key id not seen yet (at most every [`JWKS_REFETCH_INTERVAL`]).
pub struct JwksVerifier {
    issuer: String,
    client_id: String,
    jwks_url: String,
    http: ProviderHttp,
    keys: Mutex<KeyCache>,
}

#[derive(Default)]
struct KeyCache {
    by_kid: HashMap<String, Arc<DecodingKey>>,
    fetched_at: Option<DateTime<Utc>>,
}

impl JwksVerifier {
    pub fn new(settings: &OidcSettings, http: ProviderHttp) -> JwksVerifier {
        JwksVerifier {
            issuer: settings.issuer.clone(),
            client_id: settings.client_id.clone(),
            jwks_url: settings.jwks_url(),
            http,
            keys: Mutex::new(KeyCache::default()),
        }
    }

    /// The key `kid`, from the cache or a fresh JWKS.
    async fn key(&self, kid: &str, now: DateTime<Utc>) -> Result<Arc<DecodingKey>, SignInError> {
        let mut cache = self.keys.lock().await;
        if let Some(key) = cache.by_kid.get(kid) {
            return Ok(key.clone());
        }
        let recently = cache
            .fetched_at
            .is_some_and(|at| now - at < JWKS_REFETCH_INTERVAL && now >= at);
        if recently {
            return Err(TokenRefusal::UnknownKey.into());
        }
        let (status, body) = self.http.get(&self.jwks_url).await?;
        if !(200..300).contains(&status) {
            return Err(SignInError::Unavailable(format!("JWKS: HTTP {status}")));
        }
        let set: JwkSet = serde_json::from_slice(&body)
            .map_err(|_| SignInError::Unavailable("JWKS: not a JSON Web Key Set".into()))?;
        cache.by_kid = rsa_keys(&set);
        cache.fetched_at = Some(now);
        cache
            .by_kid
            .get(kid)
            .cloned()
            .ok_or(TokenRefusal::UnknownKey.into())
    }
}

/// The set's RSA signing keys by `kid` (keys for encryption, or of other types, left out).
fn rsa_keys(set: &JwkSet) -> HashMap<String, Arc<DecodingKey>> {
    set.keys
        .iter()
        .filter(|jwk| {
            !matches!(
                jwk.common.public_key_use,
                Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
            )
        })
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
                return None;
            };
            let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?;
            Some((kid, Arc::new(key)))
        })
        .collect()
}

#[async_trait::async_trait]
impl StaffTokenVerifier for JwksVerifier {
    async fn verify(
        &self,
        token: &str,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<StaffClaims, SignInError> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(TokenRefusal::Malformed("empty or too long").into());
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| refusal(e.kind()))?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenRefusal::WrongAlgorithm.into());
        }
        let kid = header.kid.ok_or(TokenRefusal::UnknownKey)?;
        let key = self.key(&kid, now).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        // Time is checked below against the app's clock, not the wall clock jsonwebtoken reads.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &key,
            &validation,
        )
        .map_err(|e| refusal(e.kind()))?;
        let claims = data.claims;
        check_times(&claims, now)?;
        if claims.get("token_use").and_then(|v| v.as_str()) != Some("id") {
            return Err(TokenRefusal::NotAnIdToken.into());
        }
        if let Some(expected) = nonce {
            let got = claims.get("nonce").and_then(|v| v.as_str()).unwrap_or("");
            if !constant_time_eq(got.as_bytes(), expected.as_bytes()) {
                return Err(TokenRefusal::WrongNonce.into());
            }
        }
        Ok(staff_from_id_token_claims(&claims)?)
    }
}

/// `exp` (required), `nbf` and `iat` against `now`, with [`CLOCK_LEEWAY`].
fn check_times(
    claims: &serde_json::Map<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), TokenRefusal> {
    let seconds = |name: &str| claims.get(name).and_then(|v| v.as_i64());
    let now = now.timestamp();
    let leeway = CLOCK_LEEWAY.num_seconds();
    let exp = seconds("exp").ok_or(TokenRefusal::Malformed("no numeric exp"))?;
    if now >= exp + leeway {
        return Err(TokenRefusal::Expired);
    }
    for name in ["nbf", "iat"] {
        if seconds(name).is_some_and(|t| t > now + leeway) {
            return Err(TokenRefusal::NotYetValid);
        }
    }
    Ok(())
}

/// The member of staff an ID token's claims name: the claims as API Gateway's JWT authorizer
/// hands them to the JSON API's functions (strings as they are), read by the same function.
pub fn staff_from_id_token_claims(
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Result<StaffClaims, AuthError> {
    let map: HashMap<String, String> = claims
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect();
    claims_from_authorizer(&map)
}

/// jsonwebtoken's refusal as ours.
fn refusal(kind: &jsonwebtoken::errors::ErrorKind) -> SignInError {
    use jsonwebtoken::errors::ErrorKind;
    let refused = match kind {
        ErrorKind::InvalidSignature => TokenRefusal::BadSignature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidRsaKey(_) => TokenRefusal::WrongAlgorithm,
        ErrorKind::InvalidIssuer => TokenRefusal::WrongIssuer,
        ErrorKind::InvalidAudience => TokenRefusal::WrongAudience,
        ErrorKind::ExpiredSignature => TokenRefusal::Expired,
        ErrorKind::ImmatureSignature => TokenRefusal::NotYetValid,
        ErrorKind::MissingRequiredClaim(name) | ErrorKind::InvalidClaimFormat(name) => {
            match name.as_str() {
                "iss" => TokenRefusal::WrongIssuer,
                "aud" => TokenRefusal::WrongAudience,
                _ => TokenRefusal::Malformed("a registered claim is missing or of the wrong type"),
            }
        }
        _ => TokenRefusal::Malformed("not a signed JWT"),
    };
    refused.into()
}

// ------------------------------------------------------------------ the flow

/// The callback's query: `code` and `state`, or the provider's `error`.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The OpenID Connect client: the settings, the provider's HTTP and the ID token verifier.
pub struct OidcClient {
    pub settings: OidcSettings,
    http: ProviderHttp,
    verifier: JwksVerifier,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    pub fn new(settings: OidcSettings) -> std::io::Result<OidcClient> {
        let http = ProviderHttp::new()?;
        let verifier = JwksVerifier::new(&settings, http.clone());
        Ok(OidcClient {
            settings,
            http,
            verifier,
        })
    }

    /// The verifier of this provider's ID tokens.
    pub fn verifier(&self) -> &JwksVerifier {
        &self.verifier
    }

    /// The callback: checks it belongs to `pending` (this browser's sign-in, in time, the same
    /// state), exchanges the code with the PKCE verifier, verifies the ID token with the
    /// sign-in's nonce, and answers the member of staff it names.
    pub async fn finish(
        &self,
        pending: Option<&PendingSignIn>,
        callback: &Callback,
        now: DateTime<Utc>,
    ) -> Result<StaffClaims, SignInError> {
        let pending = pending.ok_or(SignInError::NoPendingSignIn)?;
        if pending.is_expired(now) {
            return Err(SignInError::PendingExpired);
        }
        let state = callback
            .state
            .as_deref()
            .ok_or(SignInError::BadCallback("state"))?;
        if !constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
            return Err(SignInError::StateMismatch);
        }
        if let Some(error) = &callback.error {
            return Err(SignInError::ProviderRefused(safe_code(error)));
        }
        let code = callback
            .code
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 2048)
            .ok_or(SignInError::BadCallback("code"))?;
        let id_token = self.exchange(code, &pending.code_verifier).await?;
        self.verifier
            .verify(&id_token, Some(&pending.nonce), now)
            .await
    }

    /// The token endpoint: `authorization_code` with the PKCE verifier; the client
    /// authenticates with HTTP Basic when it has a secret (RFC 6749 2.3.1, as Cognito asks).
    async fn exchange(&self, code: &str, code_verifier: &str) -> Result<String, SignInError> {
        let s = &self.settings;
        let form = serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("client_id", s.client_id.as_str()),
            ("code", code),
            ("redirect_uri", s.callback_url.as_str()),
            ("code_verifier", code_verifier),
        ])
        .expect("strings encode");
        let basic = s.client_secret.as_ref().map(|secret| {
            let encode = |v: &str| {
                serde_urlencoded::to_string([("", v)]).expect("a string encodes")[1..].to_string()
            };
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                encode(&s.client_id),
                encode(secret)
            ))
        });
        let (status, body) = self
            .http
            .post_form(&s.token_url(), form, basic.as_deref())
            .await?;
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if (400..500).contains(&status) {
            let error = json["error"].as_str().unwrap_or("refused");
            return Err(SignInError::CodeRefused(safe_code(error)));
        }
        if !(200..300).contains(&status) {
            return Err(SignInError::Unavailable(format!(
                "token endpoint: HTTP {status}"
            )));
        }
        json["id_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| SignInError::Unavailable("token endpoint: no id_token".into()))
    }
}

/// A provider's error code for the logs: short and plain, or `other`.
fn safe_code(code: &str) -> String {
    if !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        code.to_string()
    } else {
        "other".to_string()
    }
}

// ------------------------------------------------------------------ HTTP to the provider

/// HTTP to the identity provider: the same stack as the notifier's client
/// ([`crate::outbound::http_client`]: hyper, rustls on aws-lc-rs, the system's roots), for a
/// `GET` (the JWKS) and a form `POST` (the token endpoint), which that JSON client does not do.
/// Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct ProviderHttp {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl ProviderHttp {
    pub fn new() -> std::io::Result<ProviderHttp> {
        Ok(ProviderHttp {
            client: crate::outbound::http_client::pooled_client()?,
        })
    }

    async fn get(&self, url: &str) -> Result<(u16, Bytes), SignInError> {
        let request = hyper::Request::get(parse_url(url)?)
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|_| SignInError::Unavailable("invalid request".into()))?;
        self.send(request).await
    }

    async fn post_form(
        &self,
        url: &str,
        form: String,
        basic: Option<&str>,
    ) -> Result<(u16, Bytes), SignInError> {
        let mut request = hyper::Request::post(parse_url(url)?)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json");
        if let Some(basic) = basic {
            let mut value = http::HeaderValue::try_from(format!("Basic {basic}"))
                .map_err(|_| SignInError::Unavailable("invalid client secret".into()))?;
            value.set_sensitive(true);
            request = request.header(http::header::AUTHORIZATION, value);
        }
        let request = request
            .body(Full::new(Bytes::from(form)))
            .map_err(|_| SignInError::Unavailable("invalid request".into()))?;
        self.send(request).await
    }

    async fn send(
        &self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<(u16, Bytes), SignInError> {
        let unavailable = |what: &str| SignInError::Unavailable(what.to_string());
        let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
        let response = tokio::time::timeout_at(deadline, self.client.request(request))
            .await
            .map_err(|_| unavailable("timed out"))?
            .map_err(|_| unavailable("request failed"))?;
        let (parts, body) = response.into_parts();
        let body =
            tokio::time::timeout_at(deadline, Limited::new(body, MAX_RESPONSE_BYTES).collect())
                .await
                .map_err(|_| unavailable("body timed out"))?
                .map_err(|_| unavailable("body unreadable or too large"))?
                .to_bytes();
        Ok((parts.status.as_u16(), body))
    }
}

fn parse_url(url: &str) -> Result<hyper::Uri, SignInError> {
    check_url(url).map_err(|p| SignInError::Unavailable(format!("provider URL {p}")))?;
    url.parse()
        .map_err(|_| SignInError::Unavailable("invalid provider URL".into()))
}

/// The app client's secret: the whole `SecretString` of the Secrets Manager secret `secret_id`
/// (named by [`env::OIDC_CLIENT_SECRET_ID`]), read once at cold start like the PII key.
#[cfg(feature = "aws")]
pub async fn client_secret_from_secrets_manager(
    aws: &aws_config::SdkConfig,
    secret_id: &str,
) -> Result<String, ConfigError> {
    let problem = |problem: String| ConfigError {
        name: env::OIDC_CLIENT_SECRET_ID,
        problem,
    };
    let out = aws_sdk_secretsmanager::Client::new(aws)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            // Names the secret and what went wrong, never a value: none was read.
            let e = aws_sdk_secretsmanager::error::DisplayErrorContext(e);
            problem(format!("cannot read the secret {secret_id:?}: {e}"))
        })?;
    out.secret_string()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| problem(format!("the secret {secret_id:?} has no SecretString")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 12, 1, 2, 0, 0).unwrap()
    }

    fn settings() -> OidcSettings {
        let vars = HashMap::from([
            (
                env::OIDC_ISSUER,
                "https://cognito-idp.ap-southeast-3.amazonaws.com/pool_1/",
            ),
            (env::OIDC_CLIENT_ID, "client-1"),
            (
                env::OIDC_HOSTED_UI_URL,
                "https://lapor.auth.ap-southeast-3.amazoncognito.com/",
            ),
            (
                env::OIDC_CALLBACK_URL,
                "https://lapor.example/masuk/callback",
            ),
            (env::OIDC_SIGNED_OUT_URL, "https://lapor.example/"),
        ]);
        OidcSettings::from_lookup(|n| vars.get(n).map(|v| v.to_string()), None)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn the_endpoints_are_cognitos() {
        let s = settings();
        assert_eq!(
            s.jwks_url(),
            "https://cognito-idp.ap-southeast-3.amazonaws.com/pool_1/.well-known/jwks.json"
        );
        assert_eq!(
            s.token_url(),
            "https://lapor.auth.ap-southeast-3.amazoncognito.com/oauth2/token"
        );
        assert_eq!(
            s.logout_url(),
            "https://lapor.auth.ap-southeast-3.amazoncognito.com/logout?client_id=client-1&\
             logout_uri=https%3A%2F%2Flapor.example%2F"
        );
    }

    #[test]
    fn no_issuer_is_no_openid_sign_in_and_a_partial_setup_is_named() {
        assert!(OidcSettings::from_lookup(|_| None, None).unwrap().is_none());
        let only_issuer = |n: &str| (n == env::OIDC_ISSUER).then(|| "https://x.example".into());
        let e = OidcSettings::from_lookup(only_issuer, None).unwrap_err();
        assert_eq!(e.name, env::OIDC_CLIENT_ID);
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("https://idp.example/x").is_ok());
        assert!(check_url("http://127.0.0.1:9000").is_ok());
        assert!(check_url("http://localhost:9000/a").is_ok());
        assert!(check_url("http://[::1]:9000/a").is_ok());
        assert!(check_url("http://idp.example/x").is_err());
        assert!(check_url("http://10.0.0.1/x").is_err());
        assert!(check_url("ftp://idp.example/x").is_err());
        assert!(check_url("/relative").is_err());
    }

    #[test]
    fn the_authorize_url_carries_pkce_state_and_nonce() {
        let pending = PendingSignIn::new("/petugas/laporan/X", t0());
        assert_eq!(pending.code_verifier.len(), 43);
        assert_ne!(pending.state, pending.nonce);
        let url = pending.authorize_url(&settings());
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(
            base,
            "https://lapor.auth.ap-southeast-3.amazoncognito.com/oauth2/authorize"
        );
        let q: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "client-1");
        assert_eq!(q["redirect_uri"], "https://lapor.example/masuk/callback");
        assert_eq!(q["state"], pending.state);
        assert_eq!(q["nonce"], pending.nonce);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pending.code_challenge());
        assert!(q["scope"].split(' ').any(|s| s == "openid"));
        assert!(!pending.is_expired(t0() + Duration::minutes(9)));
        assert!(pending.is_expired(t0() + PENDING_LIFETIME));
    }

    #[test]
    fn the_s256_challenge_is_the_base64url_sha256_of_the_verifier() {
        // The expected value computed apart from this code (Python's hashlib and base64).
        let pending = PendingSignIn {
            code_verifier: "dBjftJeZ4CVP-mJ92K9uLN9Ak6wcPCcbBwfNQhfiUw0".into(),
            ..PendingSignIn::new("/petugas", t0())
        };
        assert_eq!(
            pending.code_challenge(),
            "m2XM59Rh4JgnQEn3uaZDodHYxMUDBJrSKKRpZ8kYLnU"
        );
    }

    #[test]
    fn only_console_paths_are_returned_to() {
        for ok in [
            "/petugas",
            "/petugas/laporan/G4KBGQWVED",
            "/petugas?kotak=unit",
        ] {
            assert_eq!(safe_return_to(Some(ok)), ok);
        }
        for bad in [
            "https://evil.example/petugas",
            "//evil.example/petugas",
            "/petugas//evil.example",
            "/petugas/\\evil",
            "/lapor",
            "/petugasX",
            "/petugas/a b",
            "",
        ] {
            assert_eq!(safe_return_to(Some(bad)), CONSOLE_HOME, "{bad}");
        }
        assert_eq!(safe_return_to(None), CONSOLE_HOME);
    }

    #[test]
    fn a_session_lasts_a_day_of_work_and_keeps_the_staff_rules() {
        let officer =
            StaffClaims::new("staff-1", StaffRole::Officer, Some("pemda-32.73".into())).unwrap();
        let session = Session::start(&officer, t0());
        assert_eq!(session.staff(t0() + Duration::hours(7)), Some(officer));
        assert_eq!(session.staff(t0() + SESSION_LIFETIME), None);
        // A session that does not make a member of staff (a hand-made one) names no one.
        let forged = Session {
            agency_id: None,
            ..session.clone()
        };
        assert_eq!(forged.staff(t0()), None);
        let forged = Session {
            role: "admin".into(),
            ..session
        };
        assert_eq!(forged.staff(t0()), None);
    }

    #[test]
    fn id_token_claims_map_like_the_authorizers() {
        let claims = serde_json::json!({
            "sub": "abc-123", "custom:role": "officer", "custom:agency_id": "komdigi",
            "token_use": "id", "exp": 1_900_000_000, "email_verified": true,
        });
        let staff = staff_from_id_token_claims(claims.as_object().unwrap()).unwrap();
        assert_eq!(
            staff,
            StaffClaims::new("abc-123", StaffRole::Officer, Some("komdigi".into())).unwrap()
        );
        let verifier_with_agency = serde_json::json!({
            "sub": "v", "custom:role": "verifier", "custom:agency_id": "komdigi",
        });
        assert_eq!(
            staff_from_id_token_claims(verifier_with_agency.as_object().unwrap()),
            Err(AuthError::VerifierWithAgency)
        );
    }

    #[test]
    fn token_times_have_a_small_leeway() {
        let at = |exp: i64, iat: i64| {
            let claims = serde_json::json!({ "exp": exp, "iat": iat });
            check_times(claims.as_object().unwrap(), t0())
        };
        let now = t0().timestamp();
        assert_eq!(at(now + 3600, now), Ok(()));
        assert_eq!(at(now - 30, now - 3600), Ok(()));
        assert_eq!(at(now - 60, now - 3600), Err(TokenRefusal::Expired));
        assert_eq!(at(now + 7200, now + 600), Err(TokenRefusal::NotYetValid));
        let no_exp = serde_json::json!({ "iat": now });
        assert!(matches!(
            check_times(no_exp.as_object().unwrap(), t0()),
            Err(TokenRefusal::Malformed(_))
        ));
    }

    #[test]
    fn refusals_map_to_pages_statuses() {
        assert_eq!(SignInError::from(TokenRefusal::Expired).status(), 401);
        assert_eq!(SignInError::StateMismatch.status(), 403);
        assert_eq!(SignInError::NoPendingSignIn.status(), 403);
        assert_eq!(
            SignInError::from(AuthError::OfficerWithoutAgency).status(),
            403
        );
        assert_eq!(SignInError::Unavailable("x".into()).status(), 503);
        assert_eq!(safe_code("invalid_grant"), "invalid_grant");
        assert_eq!(safe_code("<script>"), "other");
    }
}
