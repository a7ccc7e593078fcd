//! `GET /v1/reports/{tracking_id}`: the public view, or the reporter's with a bearer token.
//! `GET /v1/reports`: the public feed (`agency`, `status`, `cursor`, `limit`).
//! `GET /v1/openapi.json`: the JSON API's OpenAPI document (`lapor::openapi`).

use lambda_http::{Body, Request, Response};
use lapor::api::ServiceError;
use lapor::lambda::http::{bearer_token, path_parameter, query_parameters, respond, route_key};
use lapor::service::{inbox, views, App};

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let result = match route_key(&req).as_str() {
        "GET /v1/reports" => match query_parameters(&req) {
            Ok(params) => inbox::public_feed(app, &params)
                .await
                .map(|feed| (200, serde_json::to_value(&feed).expect("a feed serialises"))),
            Err(e) => Err(e),
        },
        "GET /v1/reports/{tracking_id}" => {
            let tracking_id = path_parameter(&req, "tracking_id");
            views::get_report(app, &tracking_id, bearer_token(&req))
                .await
                .map(|view| (200, view.to_json()))
        }
        "GET /v1/openapi.json" => Ok((200, lapor::openapi::document_json())),
        other => Err(ServiceError::NotFound(format!("no route {other:?} here"))),
    };
    Ok(respond(result))
}
