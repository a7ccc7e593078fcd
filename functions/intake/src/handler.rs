//! `POST /v1/reports`: HTTP API request in, `201 {tracking_id, access_token, status}` out.

use lambda_http::{Body, Request, Response};
use lapor::lambda::http::{body_bytes, header_bytes, result_response};
use lapor::service::{intake, App};

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let result = intake::submit(app, body_bytes(&req), header_bytes(&req, "idempotency-key"))
        .await
        .map(|submitted| {
            (
                201,
                serde_json::to_value(&submitted).expect("response serialises"),
            )
        });
    Ok(result_response(result))
}
