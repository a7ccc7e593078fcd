//! The reporter's actions with the access token from submission:
//! `POST /v1/reports/{tracking_id}/replies`, `/rating` and `/withdraw` (an `Idempotency-Key`
//! header makes a retry safe), `/contact/confirm` with the code the receipt carried, and
//! `/support`: the reporter of another report supports this one ("me too"), and `/attachments`:
//! an upload URL for a photo or document.

use lambda_http::{Body, Request, Response};
use lapor::api::ServiceError;
use lapor::lambda::http::{
    bearer_token, body_bytes, header_bytes, path_parameter, respond, route_key,
};
use lapor::service::actions::{reporter_act, ReporterAction};
use lapor::service::views::reporter_view;
use lapor::service::App;
use lapor::service::{attachments, contact, support};

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(respond(answer(app, &req).await))
}

async fn answer(app: &App, req: &Request) -> Result<(u16, serde_json::Value), ServiceError> {
    let tracking_id = path_parameter(req, "tracking_id");
    let what = match route_key(req).as_str() {
        "POST /v1/reports/{tracking_id}/contact/confirm" => {
            let report =
                contact::confirm(app, &tracking_id, bearer_token(req), body_bytes(req)).await?;
            let directory = app.directory.current().await;
            return Ok((200, reporter_view(&report, &app.pii, &directory)?));
        }
        "POST /v1/reports/{tracking_id}/attachments" => {
            let granted = attachments::request_upload(
                app,
                &tracking_id,
                attachments::Requester::Reporter {
                    token: bearer_token(req),
                },
                body_bytes(req),
            )
            .await?;
            return Ok((
                201,
                serde_json::to_value(&granted).expect("an answer serialises"),
            ));
        }
        "POST /v1/reports/{tracking_id}/support" => {
            let supported =
                support::support(app, &tracking_id, bearer_token(req), body_bytes(req)).await?;
            return Ok((
                200,
                serde_json::to_value(&supported).expect("an answer serialises"),
            ));
        }
        "POST /v1/reports/{tracking_id}/replies" => ReporterAction::Reply,
        "POST /v1/reports/{tracking_id}/rating" => ReporterAction::Rate,
        "POST /v1/reports/{tracking_id}/withdraw" => ReporterAction::Withdraw,
        other => return Err(ServiceError::NotFound(format!("no route {other:?} here"))),
    };
    let acted = reporter_act(
        app,
        what,
        &tracking_id,
        bearer_token(req),
        header_bytes(req, "idempotency-key"),
        body_bytes(req),
    )
    .await?;
    // The reporter's own view (the status endpoint's with the token), of the report as stored.
    let directory = app.directory.current().await;
    let mut body = reporter_view(&acted.report, &app.pii, &directory)?;
    body["replayed"] = serde_json::Value::Bool(acted.replayed);
    Ok((200, body))
}
