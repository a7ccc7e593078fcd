//! The agency directory and routing suggestions:
//! `GET /v1/agencies`, `GET /v1/agencies/{agency_id}`, `POST /v1/routing/suggestions`.
//! The route is read from the API Gateway route key, so the stage prefix of the path is no
//! concern here.

use lambda_http::{Body, Request, RequestExt, Response};
use lapor::api::ServiceError;
use lapor::lambda::http::{body_bytes, query_parameters, respond, route_key};
use lapor::service::agencies;
pub use lapor::service::agencies::DirectoryApi;

pub async fn handle(
    api: &DirectoryApi,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let result = match route_key(&req).as_str() {
        "GET /v1/agencies" => match query_parameters(&req) {
            Ok(params) => {
                let directory = api.directory.current().await;
                agencies::search(&directory, &params)
                    .map(|page| (200, serde_json::to_value(&page).expect("page serialises")))
            }
            Err(e) => Err(e),
        },
        "GET /v1/agencies/{agency_id}" => {
            let id = req
                .path_parameters_ref()
                .and_then(|p| p.first("agency_id"))
                .unwrap_or_default();
            let directory = api.directory.current().await;
            agencies::agency(&directory, id).map(|detail| {
                (
                    200,
                    serde_json::to_value(&detail).expect("agency serialises"),
                )
            })
        }
        "POST /v1/routing/suggestions" => api.suggest(body_bytes(&req)).await.map(|s| {
            (
                200,
                serde_json::to_value(&s).expect("suggestion serialises"),
            )
        }),
        other => Err(ServiceError::NotFound(format!("no route {other:?} here"))),
    };
    Ok(respond(result))
}
