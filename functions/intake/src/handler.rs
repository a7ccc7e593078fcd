//! `POST /v1/reports`: HTTP API request in, `201 {tracking_id, access_token, status}` out.

use lambda_http::{Body, Request, Response};
use lapor::api::ServiceError;
use lapor::lambda::http::{body_bytes, header_bytes, respond, route_key};
use lapor::service::{intake, App};

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let result = match route_key(&req).as_str() {
        "POST /v1/reports" => {
            intake::submit(app, body_bytes(&req), header_bytes(&req, "idempotency-key"))
                .await
                .map(|submitted| (201, submitted))
        }
        other => Err(ServiceError::NotFound(format!("no route {other:?} here"))),
    };
    Ok(respond(result))
}
