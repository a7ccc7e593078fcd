//! `GET /v1/reports/{tracking_id}`: the public view, or the reporter's with a bearer token.

use lambda_http::{Body, Request, RequestExt, Response};
use lapor::crypto::Sealer;
use lapor::lambda::http::{bearer_token, result_response};
use lapor::ports::ReportStore;
use lapor::service::views;

pub async fn handle(
    store: &dyn ReportStore,
    pii: &Sealer,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let tracking_id = req
        .path_parameters_ref()
        .and_then(|p| p.first("tracking_id"))
        .unwrap_or_default()
        .to_string();
    let result = views::get_report(store, pii, &tracking_id, bearer_token(&req))
        .await
        .map(|view| (200, view.to_json()));
    Ok(result_response(result))
}
