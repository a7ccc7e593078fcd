//! The web pages: everything outside `/v1/` (`lapor::web`). Whatever goes wrong is a page, so
//! the handler never fails.

use lambda_http::{Body, Request, Response};
use lapor::web::Web;

pub async fn handle(web: &Web, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(lapor::web::handle(web, req).await)
}
