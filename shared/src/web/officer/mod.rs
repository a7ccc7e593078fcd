//! The officers' and verifiers' console: signing in and out ([`session`]: `/masuk`,
//! `/masuk/callback`, `/masuk/token`, `/keluar`), the inbox ([`inbox`]: `/petugas`) and a
//! report's page with its actions ([`report`]: `/petugas/laporan/<id>`) and its attachments
//! (`POST /petugas/laporan/<id>/lampiran`, a `multipart/form-data` upload).
//!
//! Every console page needs a session: without one a `GET` goes to the sign-in and comes back,
//! a `POST` is refused (401) and changes nothing. Pages call the same services as the JSON API
//! (`service::inbox`, `service::actions`), with the actor from the same mapping
//! ([`crate::auth::StaffClaims::actor`]).

pub mod inbox;
pub mod report;
pub mod session;
pub mod words;

pub use session::{Settings, SignIn, PENDING_COOKIE, SESSION_COOKIE};

use super::page::{answer, PageError};
use super::{request, Web};
use crate::auth::{StaffClaims, StaffRole};
use crate::directory::Directory;
use lambda_http::{Body, Request, Response};

/// Who is signed in, for the console's bar on every page.
pub struct Console {
    /// "Petugas Pemerintah Kota Bandung" or "Verifikator nasional".
    pub who: String,
    /// The browser's CSRF token, for the sign-out link.
    pub csrf: String,
}

impl Console {
    pub fn new(staff: &StaffClaims, directory: &Directory, csrf: &str) -> Console {
        let who = match (staff.role, &staff.agency_id) {
            (StaffRole::Officer, Some(agency)) => {
                format!("Petugas {}", words::agency_name(directory, agency))
            }
            _ => "Verifikator nasional".to_string(),
        };
        Console {
            who,
            csrf: csrf.to_string(),
        }
    }
}

/// Every request under `/petugas`, `/masuk` and `/keluar`.
pub async fn handle(web: &Web, req: Request) -> Response<Body> {
    let result = route(web, &req).await;
    answer(&req, result)
}

async fn route(web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let path = request::site_path(req);
    let method = request::method(req);
    match (method, path.as_str()) {
        ("GET", "/masuk") => return session::start(web, req),
        ("GET", "/masuk/callback") => return session::callback(web, req).await,
        ("POST", "/masuk/token") => return session::local_token(web, req).await,
        ("GET", "/keluar") => return session::sign_out(web, req),
        (_, "/masuk" | "/masuk/callback" | "/masuk/token" | "/keluar") => {
            return Err(PageError::MethodNotAllowed)
        }
        _ => {}
    }
    let under_report = path.strip_prefix("/petugas/laporan/");
    let report_id = under_report.filter(|id| !id.is_empty() && !id.contains('/'));
    let upload_to = under_report
        .and_then(|rest| rest.strip_suffix("/lampiran"))
        .filter(|id| !id.is_empty() && !id.contains('/'));
    if path != "/petugas" && report_id.is_none() && upload_to.is_none() {
        return Err(PageError::not_found());
    }
    let Some(staff) = session::signed_in(web, req) else {
        return match method {
            "GET" | "HEAD" => {
                let mut here = path.clone();
                if let Some(q) = req.uri().query().filter(|q| !q.is_empty()) {
                    here.push('?');
                    here.push_str(q);
                }
                Ok(session::to_sign_in(req, &here))
            }
            // Nothing is done without a session; the page says to sign in again.
            _ => Ok(session::expired_page(req)),
        };
    };
    if let Some(id) = upload_to {
        return match method {
            "POST" => report::attach_from_form(web, req, &staff, id).await,
            _ => Err(PageError::MethodNotAllowed),
        };
    }
    match (method, report_id) {
        ("GET" | "HEAD", None) => inbox::page(web, req, &staff).await,
        ("GET" | "HEAD", Some(id)) => report::page(web, req, &staff, id).await,
        ("POST", Some(id)) => report::act_from_form(web, req, &staff, id).await,
        _ => Err(PageError::MethodNotAllowed),
    }
}
