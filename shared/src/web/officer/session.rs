//! Signing in and out: `GET /masuk` (to the identity provider, or locally to the runner's
//! sign-in page), `GET /masuk/callback` (OpenID Connect), `POST /masuk/token` (the local
//! runner's token, accepted only when the runner configured its verifier), `GET /keluar`.
//! The session is a sealed cookie ([`SESSION_COOKIE`], [`Session`]); nothing is kept on the
//! server.

use super::super::page::{redirect, secured, Layout, Page, PageError};
use super::super::{request, Web};
use crate::api::ServiceError;
use crate::auth::StaffClaims;
use crate::config::ConfigError;
use crate::web::oidc::{
    self, Callback, OidcClient, OidcSettings, PendingSignIn, Session, SignInError,
    StaffTokenVerifier, PENDING_LIFETIME, SESSION_LIFETIME,
};
use askama::Template;
use lambda_http::{Body, Request, Response};
use std::sync::Arc;

/// The sealed session cookie.
pub const SESSION_COOKIE: &str = "lapor_sesi";
/// The sealed cookie of a sign-in in progress (state, nonce, PKCE verifier).
pub const PENDING_COOKIE: &str = "lapor_masuk";

/// How officers sign in.
#[derive(Clone, Default)]
pub enum SignIn {
    /// Nothing configured: the console says sign-in is unavailable (503).
    #[default]
    Off,
    /// The Cognito user pool's hosted UI (AWS).
    Oidc(Arc<OidcClient>),
    /// The local runner: `/masuk` goes to its sign-in page `page`, which posts a token it
    /// minted to `/masuk/token`, checked by `verifier` (the runner's key). Never built in the
    /// Lambda function.
    Local {
        page: &'static str,
        verifier: Arc<dyn StaffTokenVerifier>,
    },
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignIn::Off => f.write_str("Off"),
            SignIn::Oidc(client) => f.debug_tuple("Oidc").field(client).finish(),
            SignIn::Local { page, .. } => f.debug_struct("Local").field("page", page).finish(),
        }
    }
}

/// The officers' side's settings, read at the web function's cold start.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub sign_in: SignIn,
}

impl Settings {
    /// OpenID Connect from the environment ([`oidc::env`]), the client secret from
    /// `OIDC_CLIENT_SECRET` (the local runner and tests; the function reads it from Secrets
    /// Manager: [`Settings::from_env_aws`]). No `OIDC_ISSUER`: no sign-in.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(
            |name| std::env::var(name).ok(),
            crate::config::optional(oidc::env::OIDC_CLIENT_SECRET),
        )
    }

    /// [`Settings::from_env`] with the client secret read from the Secrets Manager secret
    /// `OIDC_CLIENT_SECRET_ID` names (its whole `SecretString`; `-` or unset for a public client).
    #[cfg(feature = "aws")]
    pub async fn from_env_aws(aws: &aws_config::SdkConfig) -> Result<Settings, ConfigError> {
        let secret = match crate::config::optional(oidc::env::OIDC_CLIENT_SECRET_ID) {
            Some(id) => Some(oidc::client_secret_from_secrets_manager(aws, &id).await?),
            None => None,
        };
        Settings::from_lookup(|name| std::env::var(name).ok(), secret)
    }

    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        client_secret: Option<String>,
    ) -> Result<Settings, ConfigError> {
        match OidcSettings::from_lookup(lookup, client_secret)? {
            None => Ok(Settings::default()),
            Some(settings) => Ok(Settings::oidc(settings).map_err(|e| ConfigError {
                name: oidc::env::OIDC_ISSUER,
                problem: format!("cannot build the HTTP client: {e}"),
            })?),
        }
    }

    pub fn oidc(settings: OidcSettings) -> std::io::Result<Settings> {
        Ok(Settings {
            sign_in: SignIn::Oidc(Arc::new(OidcClient::new(settings)?)),
        })
    }

    /// The local runner's sign-in: its page at `page`, its tokens checked by `verifier`.
    pub fn local(page: &'static str, verifier: Arc<dyn StaffTokenVerifier>) -> Settings {
        Settings {
            sign_in: SignIn::Local { page, verifier },
        }
    }
}

/// The member of staff signed in on this browser, if any.
pub fn signed_in(web: &Web, req: &Request) -> Option<StaffClaims> {
    let now = web.app.clock.now();
    let bytes = web.cookies.open_from(req, SESSION_COOKIE, now)?;
    serde_json::from_slice::<Session>(&bytes).ok()?.staff(now)
}

/// To the sign-in, coming back to `return_to` afterwards.
pub fn to_sign_in(req: &Request, return_to: &str) -> Response<Body> {
    let query = serde_urlencoded::to_string([("kembali", oidc::safe_return_to(Some(return_to)))])
        .expect("strings encode");
    redirect(req, &format!("/masuk?{query}"), Vec::new())
}

/// `GET /masuk`.
pub fn start(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let query = request::query(req);
    let return_to = oidc::safe_return_to(query.get("kembali").map(String::as_str));
    if signed_in(web, req).is_some() {
        return Ok(redirect(req, &return_to, Vec::new()));
    }
    let now = web.app.clock.now();
    match &web.settings.officer.sign_in {
        SignIn::Oidc(client) => {
            let pending = PendingSignIn::new(&return_to, now);
            let cookie = web.cookies.set_sealed(
                PENDING_COOKIE,
                &serde_json::to_vec(&pending).expect("serialises"),
                now,
                PENDING_LIFETIME,
            );
            Ok(elsewhere(
                &pending.authorize_url(&client.settings),
                vec![cookie],
            ))
        }
        SignIn::Local { page, .. } => {
            let query = serde_urlencoded::to_string([("kembali", return_to.as_str())])
                .expect("strings encode");
            Ok(redirect(req, &format!("{page}?{query}"), Vec::new()))
        }
        SignIn::Off => Err(ServiceError::unavailable(
            "no sign-in is configured (OIDC_ISSUER is not set)",
        )
        .into()),
    }
}

/// `GET /masuk/callback`: the identity provider's answer.
pub async fn callback(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let SignIn::Oidc(client) = &web.settings.officer.sign_in else {
        return Err(PageError::not_found());
    };
    let now = web.app.clock.now();
    let pending = web
        .cookies
        .open_from(req, PENDING_COOKIE, now)
        .and_then(|bytes| serde_json::from_slice::<PendingSignIn>(&bytes).ok());
    let query = request::query(req);
    let callback = Callback {
        code: query.get("code").cloned(),
        state: query.get("state").cloned(),
        error: query.get("error").cloned(),
    };
    // Used or not, the sign-in in progress is over: a replayed callback finds none.
    let clear_pending = web.cookies.clear(PENDING_COOKIE);
    match client.finish(pending.as_ref(), &callback, now).await {
        Ok(staff) => {
            let return_to = pending
                .map(|p| p.return_to)
                .unwrap_or_else(|| oidc::CONSOLE_HOME.into());
            Ok(signed_in_now(web, req, &staff, &return_to, clear_pending))
        }
        Err(refused) => Ok(refused_page(req, &refused, Some(clear_pending))),
    }
}

/// `POST /masuk/token`: a token the local runner's sign-in page minted. Only where the runner
/// configured its verifier; everywhere else this path does not exist.
pub async fn local_token(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let SignIn::Local { verifier, .. } = &web.settings.officer.sign_in else {
        return Err(PageError::not_found());
    };
    let form = request::form(req)?;
    let token = form.get("id_token").map(String::as_str).unwrap_or("");
    let return_to = oidc::safe_return_to(form.get("kembali").map(String::as_str));
    match verifier.verify(token, None, web.app.clock.now()).await {
        Ok(staff) => Ok(signed_in_now(web, req, &staff, &return_to, String::new())),
        Err(refused) => Ok(refused_page(req, &refused, None)),
    }
}

/// The session cookie for `staff`, and on to `return_to`.
fn signed_in_now(
    web: &Web,
    req: &Request,
    staff: &StaffClaims,
    return_to: &str,
    also: String,
) -> Response<Body> {
    let now = web.app.clock.now();
    tracing::info!(role = staff.role.as_str(), "staff signed in");
    let session = Session::start(staff, now);
    let cookie = web.cookies.set_sealed(
        SESSION_COOKIE,
        &serde_json::to_vec(&session).expect("serialises"),
        now,
        SESSION_LIFETIME,
    );
    let mut cookies = vec![cookie];
    if !also.is_empty() {
        cookies.push(also);
    }
    redirect(req, return_to, cookies)
}

#[derive(Template)]
#[template(path = "officer/refused.html")]
struct RefusedPage {
    layout: Layout,
    status: u16,
    message: &'static str,
}

/// 401 for a post without a session (it expired, or the browser signed out in another tab):
/// nothing was done.
pub fn expired_page(req: &Request) -> Response<Body> {
    let page = RefusedPage {
        layout: Layout::new(req, "Sesi berakhir", "petugas"),
        status: 401,
        message: "Sesi Anda sudah berakhir, jadi tidak ada yang dilakukan. Silakan masuk lagi, \
                  lalu ulangi tindakan Anda.",
    };
    match Page::render(&page) {
        Ok(page) => page.status(401).personal().into_response(),
        Err(e) => super::super::page::error_response(req, &e),
    }
}

/// The page of a refused sign-in: 401 for credentials that prove nothing, 403 for a callback
/// that is not this browser's or a person who is not staff. The reason goes to the log.
fn refused_page(
    req: &Request,
    refused: &SignInError,
    set_cookie: Option<String>,
) -> Response<Body> {
    tracing::info!(reason = %refused, "sign-in refused");
    let page = RefusedPage {
        layout: Layout::new(req, "Gagal masuk", "petugas"),
        status: refused.status(),
        message: refused.message(),
    };
    match Page::render(&page) {
        Ok(page) => {
            let page = page.status(refused.status()).personal().cookie(set_cookie);
            let page = if refused.status() == 503 {
                page.header("retry-after", "5")
            } else {
                page
            };
            page.into_response()
        }
        Err(e) => super::super::page::error_response(req, &e),
    }
}

#[derive(Template)]
#[template(path = "officer/sign_out.html")]
struct SignOutPage {
    layout: Layout,
    csrf: String,
}

/// `GET /keluar?csrf=...`: the session cookie cleared, then the identity provider's own
/// sign-out (so the hosted UI does not sign the next person at this desk straight back in).
///
/// A link, not a form: the pages' `form-action 'self'` would stop a form's redirect to the
/// provider. The link carries the browser's CSRF token, so no other site can sign anyone out;
/// without a valid one the page offers the link instead of acting.
pub fn sign_out(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let query = request::query(req);
    if query.contains_key(crate::web::csrf::FIELD) && web.csrf.check(req, &query).is_ok() {
        let clear = web.cookies.clear(SESSION_COOKIE);
        return Ok(match &web.settings.officer.sign_in {
            SignIn::Oidc(client) => elsewhere(&client.settings.logout_url(), vec![clear]),
            _ => redirect(req, "/", vec![clear]),
        });
    }
    let token = web.csrf.token(req, &web.cookies);
    let page = SignOutPage {
        layout: Layout::new(req, "Keluar", "petugas"),
        csrf: token.value,
    };
    Ok(Page::render(&page)?
        .personal()
        .cookie(token.set_cookie)
        .into_response())
}

/// `303 See Other` to another site (the identity provider).
fn elsewhere(url: &str, cookies: Vec<String>) -> Response<Body> {
    let mut builder = secured(Response::builder().status(303))
        .header("location", url)
        .header("cache-control", "no-store");
    for cookie in cookies {
        builder = builder.header("set-cookie", cookie);
    }
    builder
        .body(Body::Empty)
        .expect("status and headers are valid")
}
