//! The reporter's access on this device: the access tokens of the reports sent (or opened with
//! the private link) from this browser, in one sealed `HttpOnly` cookie. The token is the key to
//! a report; it never travels in a URL's path or query (the private link carries it in the
//! fragment, which browsers do not send), only in this cookie and in a posted form.

use crate::web::Web;
use chrono::Duration;
use lambda_http::Request;

/// The cookie's name.
pub const COOKIE: &str = "lapor_akses";
/// How long a device keeps its reports' access.
pub const LIFETIME: Duration = Duration::days(180);
/// How many reports one device keeps access to (the newest first): the cookie stays small.
pub const MAX_REPORTS: usize = 20;

/// `(tracking id, token)` of the reports this browser holds, newest first.
pub fn held(web: &Web, req: &Request) -> Vec<(String, String)> {
    web.cookies
        .open_from(req, COOKIE, web.app.clock.now())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The token this browser holds for `tracking_id`.
pub fn token_for(web: &Web, req: &Request, tracking_id: &str) -> Option<String> {
    held(web, req)
        .into_iter()
        .find(|(id, _)| id == tracking_id)
        .map(|(_, token)| token)
}

/// `Set-Cookie` keeping `token` for `tracking_id` on this browser, besides what it holds.
pub fn keep(web: &Web, req: &Request, tracking_id: &str, token: &str) -> String {
    let mut held = held(web, req);
    held.retain(|(id, _)| id != tracking_id);
    held.insert(0, (tracking_id.to_string(), token.to_string()));
    held.truncate(MAX_REPORTS);
    let bytes = serde_json::to_vec(&held).expect("pairs of strings serialise");
    web.cookies
        .set_sealed(COOKIE, &bytes, web.app.clock.now(), LIFETIME)
}

/// `Set-Cookie` forgetting `tracking_id` on this browser (a token that no longer matches).
pub fn forget(web: &Web, req: &Request, tracking_id: &str) -> String {
    let mut held = held(web, req);
    held.retain(|(id, _)| id != tracking_id);
    let bytes = serde_json::to_vec(&held).expect("pairs of strings serialise");
    web.cookies
        .set_sealed(COOKIE, &bytes, web.app.clock.now(), LIFETIME)
}
