//! The citizens' pages, in Bahasa Indonesia.

use super::page::{answer, Layout, Page, PageError};
use super::Web;
use askama::Template;
use lambda_http::{Body, Request, Response};

/// Every citizens' path.
pub async fn handle(web: &Web, req: Request) -> Response<Body> {
    let path = super::request::site_path(&req);
    let method = req.method().as_str().to_string();
    let result = match (method.as_str(), path.as_str()) {
        ("GET", "/") => home(web, &req),
        (_, "/") => Err(PageError::MethodNotAllowed),
        _ => Err(PageError::not_found()),
    };
    answer(&req, result)
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    layout: Layout,
}

fn home(_web: &Web, req: &Request) -> Result<Response<Body>, PageError> {
    let page = Home {
        layout: Layout::new(req, "Sampaikan laporan Anda", "beranda"),
    };
    Ok(Page::render(&page)?.into_response())
}
