//! `GET /v1/reports/{tracking_id}`: the public view, or the reporter's with a bearer token.
//! `GET /v1/reports`: the public feed (`agency`, `status`, `cursor`, `limit`).
//! `GET /v1/openapi.json`: the JSON API's OpenAPI document (`lapor::openapi`).
//! `GET /v1/stats`: figures per institution, region or nation (JSON or CSV).
//! `GET /v1/export`: an institution's public record (JSON, CSV or JSON Lines).

use lambda_http::{Body, Request, Response};
use lapor::api::ServiceError;
use lapor::lambda::http::{
    bearer_token, error_response, path_parameter, query_parameters, respond, route_key,
    text_response,
};
use lapor::service::stats::{self, Format};
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
        "GET /v1/stats" | "GET /v1/export" => return Ok(figures(app, &req).await),
        other => Err(ServiceError::NotFound(format!("no route {other:?} here"))),
    };
    Ok(respond(result))
}

/// The figures and the export, in the format asked for; the next page of an export in the
/// `Next-Cursor` header when it is not JSON.
async fn figures(app: &App, req: &Request) -> Response<Body> {
    let export = route_key(req) == "GET /v1/export";
    let answer = async {
        let params = query_parameters(req)?;
        let format = Format::of(&params, export)?;
        if !export {
            let figures = stats::figures(app, &params).await?;
            return Ok(match format {
                Format::Csv => {
                    text_response(format.content_type(), stats::figures_csv(&figures), &[])
                }
                _ => respond(Ok((200, figures))),
            });
        }
        let page = stats::export(app, &params).await?;
        let next: Vec<(&str, String)> = page
            .next_cursor
            .clone()
            .map(|c| ("next-cursor", c))
            .into_iter()
            .collect();
        Ok(match format {
            Format::Json => respond(Ok((200, page))),
            Format::Csv => text_response(format.content_type(), stats::export_csv(&page), &next),
            Format::JsonLines => {
                text_response(format.content_type(), stats::export_jsonl(&page), &next)
            }
        })
    };
    answer
        .await
        .unwrap_or_else(|e: lapor::api::ServiceError| error_response(&e))
}
