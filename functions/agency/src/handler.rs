//! The officers' and verifiers' API, behind the HTTP API's JWT authorizer:
//! `GET /v1/agency/reports` (the inbox), `GET /v1/agency/reports/{tracking_id}` and
//! `POST /v1/agency/reports/{tracking_id}/actions` and `/attachments` (an upload URL for a file
//! the holding institution attaches, e.g. with its follow-up). The authorizer checked the token; this
//! function checks what the claims allow (institution, role) on every request.

use lambda_http::{Body, Request, Response};
use lapor::api::{json_object, typed, ServiceError};
use lapor::auth::{staff_from_request, StaffClaims};
use lapor::domain::Actor;
use lapor::lambda::http::{body_bytes, path_parameter, query_parameters, respond, route_key};
use lapor::lifecycle::Action;
use lapor::service::actions::act;
use lapor::service::inbox::{staff_list, staff_report, staff_view};
use lapor::service::App;

/// The staff member the claims describe, as the timeline records them
/// ([`StaffClaims::actor`], which the web pages use too).
pub fn actor(claims: &StaffClaims) -> Actor {
    claims.actor()
}

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(respond(answer(app, &req).await))
}

async fn answer(app: &App, req: &Request) -> Result<(u16, serde_json::Value), ServiceError> {
    let claims = staff_from_request(req)?;
    let actor = actor(&claims);
    match route_key(req).as_str() {
        "GET /v1/agency/reports" => {
            let list = staff_list(app, &actor, &query_parameters(req)?).await?;
            Ok((200, serde_json::to_value(&list).expect("list serialises")))
        }
        "GET /v1/agency/reports/{tracking_id}" => {
            let view = staff_report(app, &actor, &path_parameter(req, "tracking_id")).await?;
            Ok((200, view))
        }
        "POST /v1/agency/reports/{tracking_id}/attachments" => {
            let granted = lapor::service::attachments::request_upload(
                app,
                &path_parameter(req, "tracking_id"),
                lapor::service::attachments::Requester::Staff(&actor),
                body_bytes(req),
            )
            .await?;
            Ok((
                201,
                serde_json::to_value(&granted).expect("an answer serialises"),
            ))
        }
        "POST /v1/agency/reports/{tracking_id}/actions" => {
            let mut body = json_object(body_bytes(req))?;
            let action_id = match body.as_object_mut().and_then(|o| o.remove("action_id")) {
                Some(serde_json::Value::String(id)) => id,
                Some(_) => {
                    return Err(ServiceError::bad_request(
                        "invalid_type",
                        "`action_id` must be a string",
                    ))
                }
                None => {
                    return Err(ServiceError::Invalid(vec![lapor::api::FieldError::new(
                        "action_id",
                        "is required: a unique id per action (a UUID), reused on retries",
                    )]))
                }
            };
            let action: Action = typed(body)?;
            let tracking_id = path_parameter(req, "tracking_id");
            let acted = act(app, &actor, &tracking_id, Some(&action_id), &action).await?;
            // After a forward the officer may no longer see the report: answer with the outcome.
            let report = if lapor::lifecycle::may_access(&actor, &acted.report) {
                staff_view(&acted.report, &actor, &app.pii)?
            } else {
                serde_json::json!({
                    "tracking_id": acted.report.tracking_id,
                    "status": acted.report.status,
                    "agency_id": acted.report.agency_id,
                })
            };
            Ok((
                200,
                serde_json::json!({ "replayed": acted.replayed, "report": report }),
            ))
        }
        other => Err(ServiceError::NotFound(format!("no route {other:?} here"))),
    }
}
