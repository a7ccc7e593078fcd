//! The web: HTML pages rendered on the server from askama templates (`shared/templates/`),
//! calling the same services as the JSON API (never HTTP calls to ourselves). Every page works
//! without JavaScript: forms post, the answer is a 303 to a page (`POST -> redirect -> GET`).
//!
//! - [`handle`] dispatches on the path within the site ([`request::site_path`]; links and
//!   redirects start with [`request::base`]): `/static/...` to the compiled-in assets ([`assets`]), `/petugas...`
//!   to the officers' side ([`officer`]), everything else to the citizens' pages ([`citizen`]).
//! - [`page`]: the layout, rendering, the headers every page gets, and the one mapping from a
//!   service error to an error page.
//! - [`csrf`]: the token every form carries; [`cookies`]: cookie flags and sealed values.
//! - [`attachments`]: a report's photos and documents on the pages, and the upload form
//!   (`multipart/form-data`, up to [`WEB_UPLOAD_LIMIT`]).

pub mod assets;
pub mod attachments;
pub mod citizen;
pub mod cookies;
pub mod csrf;
pub mod officer;
pub mod oidc;
pub mod page;
pub mod request;

use crate::config::ConfigError;
use crate::service::agencies::DirectoryApi;
use crate::service::App;
use lambda_http::{Body, Request, Response};

/// Set to `1` by the local plain-HTTP runner only: cookies without `Secure`, which a browser
/// would not send back over `http://`. Never set in AWS.
pub const INSECURE_COOKIES_ENV: &str = "LAPOR_WEB_INSECURE_COOKIES";

/// The largest file the pages' upload forms take: a Lambda request carries at most 6 MB, and
/// API Gateway delivers a binary body base64-encoded (4 bytes for every 3), so about 4.5 MB of
/// body is what fits. Larger files go through the JSON API's upload URLs.
pub const WEB_FILE_LIMIT: usize = 4 * 1024 * 1024;

/// The largest request body the web takes, on the upload routes only (`POST
/// /lacak/{tracking_id}/lampiran`, `POST /petugas/laporan/{tracking_id}/lampiran`): a file of
/// [`WEB_FILE_LIMIT`] and the form's other parts (boundaries, headers, the CSRF token). Every
/// other post stays within `api::limits::MAX_BODY_BYTES`. A larger body is a 413 page and
/// nothing is stored.
pub const WEB_UPLOAD_LIMIT: usize = 4 * 1024 * 1024 + 16 * 1024;

/// How the web is configured beyond the services' parts.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Drop `Secure` from the cookies: the local plain-HTTP runner only.
    pub insecure_cookies: bool,
    /// The officers' side (sign-in).
    pub officer: officer::Settings,
}

impl Settings {
    /// From the environment: [`INSECURE_COOKIES_ENV`] and the officers' settings.
    pub fn from_env() -> Result<Settings, ConfigError> {
        let insecure_cookies = match crate::config::optional(INSECURE_COOKIES_ENV).as_deref() {
            None | Some("0") | Some("") => false,
            Some("1") => true,
            Some(_) => {
                return Err(ConfigError {
                    name: INSECURE_COOKIES_ENV,
                    problem: "must be 1 (the local plain-HTTP runner) or unset".into(),
                })
            }
        };
        Ok(Settings {
            insecure_cookies,
            officer: officer::Settings::from_env()?,
        })
    }
}

/// What the web function serves from, built once per process.
pub struct Web {
    pub app: App,
    /// The router's scoring for the suggestion shown before sending (the directory function's).
    pub directory: DirectoryApi,
    pub settings: Settings,
    /// Cookie flags and the key of sealed cookie values.
    pub cookies: cookies::Cookies,
    /// Makes and checks the forms' CSRF tokens.
    pub csrf: csrf::Csrf,
}

impl Web {
    /// The cookie and CSRF keys are derived from the process's PII key, each for its own
    /// purpose: nothing new to provision, and a rotated PII key signs everyone out.
    pub fn new(app: App, directory: DirectoryApi, settings: Settings) -> Web {
        let cookies = cookies::Cookies::new(&app.pii, !settings.insecure_cookies);
        let csrf = csrf::Csrf::new(&app.pii);
        Web {
            app,
            directory,
            settings,
            cookies,
            csrf,
        }
    }
}

#[cfg(feature = "aws")]
impl Web {
    /// The web function's cold start: its services from what `needs::WEB` wired, the routing
    /// model for the suggestions, the settings from the environment.
    pub async fn from_wired(
        wired: &crate::adapters::aws::wiring::Wired,
    ) -> Result<Web, crate::adapters::aws::wiring::Error> {
        use crate::service::models::{LiveEngine, RECHECK_EVERY};
        let models = wired.models.clone().ok_or_else(|| ConfigError {
            name: "needs",
            problem: "the web's needs do not include the routing models".into(),
        })?;
        let (engine, _) = LiveEngine::start(models, RECHECK_EVERY).await;
        let directory = DirectoryApi {
            directory: wired.directory.clone(),
            engine: std::sync::Arc::new(engine),
            reports: wired
                .store
                .clone()
                .map(|s| s as std::sync::Arc<dyn crate::ports::ReportStore>),
        };
        let settings = Settings {
            // The app client's secret from Secrets Manager, like the PII key.
            officer: officer::Settings::from_env_aws(&wired.aws).await?,
            ..Settings::from_env()?
        };
        Ok(Web::new(wired.app()?, directory, settings))
    }
}

/// Every web request: a page, a redirect, an asset, or an error page. Never an `Err`: whatever
/// goes wrong is a page.
pub async fn handle(web: &Web, req: Request) -> Response<Body> {
    let path = request::site_path(&req);
    if let Some(file) = path.strip_prefix("/static/") {
        return assets::serve(&req, file);
    }
    if path == "/petugas"
        || path.starts_with("/petugas/")
        || path == "/masuk"
        || path.starts_with("/masuk/")
        || path == "/keluar"
    {
        return officer::handle(web, req).await;
    }
    citizen::handle(web, req).await
}
