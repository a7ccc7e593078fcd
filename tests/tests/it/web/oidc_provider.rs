//! A small OpenID provider that behaves as a Cognito user pool's does, for the sign-in tests:
//! plain HTTP on 127.0.0.1, a random port, one RSA key generated at start.
//!
//! - `GET /oauth2/authorize`: checks the client, the registered callback, `response_type=code`
//!   and an S256 PKCE challenge, "signs in" the person the test chose ([`OidcProvider::sign_in_as`];
//!   Cognito would show its login form), and redirects to the callback with a one-time `code`
//!   and the `state` it was given (or with `error=access_denied` when nobody is chosen).
//! - `POST /oauth2/token`: `authorization_code` with HTTP Basic client authentication; refuses
//!   (`400 invalid_grant`) a used or unknown code, another callback URL and a PKCE verifier that
//!   does not hash to the challenge; answers `{id_token, access_token, token_type, expires_in}`.
//!   The ID token is RS256 with the key's `kid`, `iss` = the provider's URL, `aud` = the client,
//!   `token_use: id`, the authorize request's `nonce` and the person's `custom:` attributes, as
//!   Cognito puts them. [`OidcProvider::tamper_next`] makes the next one forged (another key),
//!   expired, for another audience or with another nonce.
//! - `GET /.well-known/jwks.json`: the public key; `GET /logout`: back to `logout_uri`.
//!
//! Its clock is the test's (given at start): token times follow the harness's manual clock,
//! which is what the web function checks them against.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const CLIENT_ID: &str = "lapor-web-client";
pub const CLIENT_SECRET: &str = "s3cret-of-the-app-client-0123456789";
pub const KEY_ID: &str = "test-key-1";

/// Who signs in at the hosted UI: the user's `sub` and custom attributes.
#[derive(Debug, Clone)]
pub struct User {
    pub sub: String,
    pub role: String,
    pub agency_id: Option<String>,
}

impl User {
    pub fn officer(sub: &str, agency_id: &str) -> User {
        User {
            sub: sub.into(),
            role: "officer".into(),
            agency_id: Some(agency_id.into()),
        }
    }

    pub fn verifier(sub: &str) -> User {
        User {
            sub: sub.into(),
            role: "verifier".into(),
            agency_id: None,
        }
    }
}

/// What is wrong with the next ID token the token endpoint issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// Signed with a key the JWKS does not hold, under the published `kid`.
    Forged,
    /// Expired an hour before the provider's now.
    Expired,
    /// Issued for another app client.
    WrongAudience,
    /// Carries a nonce that is not the authorize request's.
    WrongNonce,
    /// An access token (`token_use: access`) where the ID token should be.
    AccessToken,
}

struct Grant {
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    user: User,
    used: bool,
}

struct State {
    now: DateTime<Utc>,
    user: Option<User>,
    tamper: Option<Tamper>,
    grants: HashMap<String, Grant>,
    next_code: u64,
    /// Every token request's form, as received.
    token_requests: Vec<HashMap<String, String>>,
    jwks_fetches: usize,
}

/// The imitation user pool; stops when dropped.
pub struct OidcProvider {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    server: JoinHandle<()>,
}

struct Keys {
    signing: RsaKeyPair,
    /// Not published: what a forger would sign with.
    forger: RsaKeyPair,
    jwk: Value,
}

impl OidcProvider {
    /// Starts the provider; `callback_url` is the app client's one registered callback.
    pub async fn start(now: DateTime<Utc>, callback_url: &str) -> OidcProvider {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let signing = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        // The JWK of the public key (n and e), as Cognito publishes it.
        let public = DecodingKey::from_rsa_der(signing.public_key().as_ref());
        let mut jwk =
            serde_json::to_value(Jwk::from_decoding_key(&public, Some(Algorithm::RS256)).unwrap())
                .unwrap();
        jwk["kid"] = KEY_ID.into();
        jwk["use"] = "sig".into();
        let keys = Arc::new(Keys {
            signing,
            forger: RsaKeyPair::generate(KeySize::Rsa2048).unwrap(),
            jwk,
        });
        let state = Arc::new(Mutex::new(State {
            now,
            user: None,
            tamper: None,
            grants: HashMap::new(),
            next_code: 0,
            token_requests: Vec::new(),
            jwks_fetches: 0,
        }));
        let issuer = format!("http://{addr}");
        let callback = callback_url.to_string();
        let (shared, shared_keys) = (state.clone(), keys.clone());
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (state, keys, issuer, callback) = (
                    shared.clone(),
                    shared_keys.clone(),
                    issuer.clone(),
                    callback.clone(),
                );
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let (state, keys, issuer, callback) = (
                            state.clone(),
                            keys.clone(),
                            issuer.clone(),
                            callback.clone(),
                        );
                        async move {
                            let provider = Provider {
                                state: &state,
                                keys: &keys,
                                issuer: &issuer,
                                callback: &callback,
                            };
                            Ok::<_, Infallible>(provider.answer(request).await)
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
        OidcProvider {
            addr,
            state,
            server,
        }
    }

    /// `http://127.0.0.1:<port>`: the issuer and the hosted UI's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The person the hosted UI signs in next (and after), as if they typed their password.
    pub fn sign_in_as(&self, user: User) {
        self.state.lock().unwrap().user = Some(user);
    }

    /// Nobody signs in: the authorize endpoint answers `error=access_denied`.
    pub fn cancel_sign_in(&self) {
        self.state.lock().unwrap().user = None;
    }

    /// The next ID token the token endpoint issues is wrong in this way.
    pub fn tamper_next(&self, tamper: Tamper) {
        self.state.lock().unwrap().tamper = Some(tamper);
    }

    pub fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.state.lock().unwrap().token_requests.clone()
    }

    pub fn jwks_fetches(&self) -> usize {
        self.state.lock().unwrap().jwks_fetches
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

struct Provider<'a> {
    state: &'a Mutex<State>,
    keys: &'a Keys,
    issuer: &'a str,
    callback: &'a str,
}

impl Provider<'_> {
    async fn answer(&self, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let query: HashMap<String, String> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).unwrap_or_default();
        match (parts.method.as_str(), parts.uri.path()) {
            ("GET", "/oauth2/authorize") => self.authorize(&query),
            ("POST", "/oauth2/token") => {
                let form: HashMap<String, String> =
                    serde_urlencoded::from_bytes(&body).unwrap_or_default();
                let basic = parts
                    .headers
                    .get(hyper::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                self.token(form, basic.as_deref())
            }
            ("GET", "/.well-known/jwks.json") => {
                self.state.lock().unwrap().jwks_fetches += 1;
                json_reply(200, &json!({ "keys": [self.keys.jwk] }))
            }
            ("GET", "/logout") => match query.get("logout_uri") {
                Some(uri) if query.get("client_id").map(String::as_str) == Some(CLIENT_ID) => {
                    redirect(uri)
                }
                _ => json_reply(400, &json!({"error": "invalid_request"})),
            },
            _ => json_reply(404, &json!({"error": "not_found"})),
        }
    }

    fn authorize(&self, q: &HashMap<String, String>) -> hyper::Response<Full<Bytes>> {
        let get = |k: &str| q.get(k).map(String::as_str);
        // Cognito shows an error page (not a redirect) for an unknown client or callback.
        if get("client_id") != Some(CLIENT_ID) || get("redirect_uri") != Some(self.callback) {
            return json_reply(400, &json!({"error": "redirect_mismatch"}));
        }
        let state_param = get("state").unwrap_or("");
        let back = |pairs: &[(&str, &str)]| {
            let mut pairs = pairs.to_vec();
            if !state_param.is_empty() {
                pairs.push(("state", state_param));
            }
            redirect(&format!(
                "{}?{}",
                self.callback,
                serde_urlencoded::to_string(pairs).unwrap()
            ))
        };
        if get("response_type") != Some("code") {
            return back(&[("error", "unsupported_response_type")]);
        }
        if get("code_challenge_method") != Some("S256") || get("code_challenge").is_none() {
            return back(&[("error", "invalid_request")]);
        }
        if !get("scope").unwrap_or("").split(' ').any(|s| s == "openid") {
            return back(&[("error", "invalid_scope")]);
        }
        let mut state = self.state.lock().unwrap();
        let Some(user) = state.user.clone() else {
            drop(state);
            return back(&[("error", "access_denied")]);
        };
        state.next_code += 1;
        let code = format!(
            "code-{}-{}",
            state.next_code,
            URL_SAFE_NO_PAD.encode(rand16())
        );
        state.grants.insert(
            code.clone(),
            Grant {
                redirect_uri: self.callback.to_string(),
                code_challenge: get("code_challenge").unwrap().to_string(),
                nonce: get("nonce").map(str::to_string),
                user,
                used: false,
            },
        );
        drop(state);
        back(&[("code", &code)])
    }

    fn token(
        &self,
        form: HashMap<String, String>,
        basic: Option<&str>,
    ) -> hyper::Response<Full<Bytes>> {
        let invalid = |error: &str| json_reply(400, &json!({ "error": error }));
        let mut state = self.state.lock().unwrap();
        state.token_requests.push(form.clone());
        let expected_basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
        );
        if basic != Some(expected_basic.as_str()) {
            return json_reply(401, &json!({"error": "invalid_client"}));
        }
        if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
            return invalid("unsupported_grant_type");
        }
        let code = form.get("code").cloned().unwrap_or_default();
        let now = state.now;
        let tamper = state.tamper.take();
        let Some(grant) = state.grants.get_mut(&code) else {
            return invalid("invalid_grant");
        };
        if grant.used {
            return invalid("invalid_grant");
        }
        grant.used = true;
        if form.get("redirect_uri") != Some(&grant.redirect_uri) {
            return invalid("invalid_grant");
        }
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.code_challenge {
            return invalid("invalid_grant");
        }
        let (user, nonce) = (grant.user.clone(), grant.nonce.clone());
        drop(state);
        let id_token = self.mint(&user, nonce.as_deref(), now, tamper);
        json_reply(
            200,
            &json!({
                "id_token": id_token,
                "access_token": "opaque-access-token",
                "token_type": "Bearer",
                "expires_in": 3600,
            }),
        )
    }

    /// An ID token as Cognito issues them, possibly `tamper`ed.
    fn mint(
        &self,
        user: &User,
        nonce: Option<&str>,
        now: DateTime<Utc>,
        tamper: Option<Tamper>,
    ) -> String {
        let iat = match tamper {
            Some(Tamper::Expired) => now.timestamp() - 7200,
            _ => now.timestamp(),
        };
        let mut claims = json!({
            "sub": user.sub,
            "iss": self.issuer,
            "aud": if tamper == Some(Tamper::WrongAudience) { "another-client" } else { CLIENT_ID },
            "token_use": if tamper == Some(Tamper::AccessToken) { "access" } else { "id" },
            "auth_time": iat,
            "iat": iat,
            "exp": iat + 3600,
            "cognito:username": user.sub,
            "custom:role": user.role,
        });
        if let Some(agency) = &user.agency_id {
            claims["custom:agency_id"] = agency.clone().into();
        }
        match (nonce, tamper) {
            (_, Some(Tamper::WrongNonce)) => claims["nonce"] = "not-this-sign-ins-nonce".into(),
            (Some(nonce), _) => claims["nonce"] = nonce.into(),
            (None, _) => {}
        }
        let header = json!({ "alg": "RS256", "kid": KEY_ID, "typ": "JWT" });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let key = if tamper == Some(Tamper::Forged) {
            &self.keys.forger
        } else {
            &self.keys.signing
        };
        let mut signature = vec![0u8; key.public_modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

fn rand16() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    bytes
}

fn json_reply(status: u16, body: &Value) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn redirect(location: &str) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(302)
        .header("location", location)
        .body(Full::new(Bytes::new()))
        .unwrap()
}
