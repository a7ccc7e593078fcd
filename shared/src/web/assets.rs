//! The stylesheet and the script, compiled in and served at `/static/<name>.<hash>.<ext>`: the
//! hash of the content is in the name, so a browser keeps them a year (`immutable`) and a new
//! build's pages name new files.

use crate::crypto::sha256_hex;
use lambda_http::{Body, Request, Response};
use std::sync::OnceLock;

const CSS: &str = include_str!("../../static/lapor.css");
const JS: &str = include_str!("../../static/lapor.js");

struct Asset {
    path: String,
    content_type: &'static str,
    body: &'static str,
}

fn assets() -> &'static [Asset; 2] {
    static ASSETS: OnceLock<[Asset; 2]> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let named = |stem: &str, ext: &str, body: &'static str, content_type| Asset {
            path: format!(
                "/static/{stem}.{}.{ext}",
                &sha256_hex(body.as_bytes())[..12]
            ),
            content_type,
            body,
        };
        [
            named("lapor", "css", CSS, "text/css; charset=utf-8"),
            named("lapor", "js", JS, "text/javascript; charset=utf-8"),
        ]
    })
}

/// The stylesheet's path, with its hash.
pub fn css_path() -> &'static str {
    &assets()[0].path
}

/// The script's path, with its hash.
pub fn js_path() -> &'static str {
    &assets()[1].path
}

/// `GET /static/<file>`: the asset named with its current hash; any other name (an old hash
/// included) is a 404, never a stale file under a new name.
pub fn serve(req: &Request, file: &str) -> Response<Body> {
    if req.method() != lambda_http::http::Method::GET
        && req.method() != lambda_http::http::Method::HEAD
    {
        return super::page::error_response(req, &super::page::PageError::MethodNotAllowed);
    }
    let requested = format!("/static/{file}");
    match assets().iter().find(|a| a.path == requested) {
        Some(asset) => super::page::secured(Response::builder().status(200))
            .header("content-type", asset.content_type)
            .header("cache-control", "public, max-age=31536000, immutable")
            .body(Body::Text(asset.body.to_string()))
            .expect("status and headers are valid"),
        None => super::page::error_response(req, &super::page::PageError::not_found()),
    }
}
