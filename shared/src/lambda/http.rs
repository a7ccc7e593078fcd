//! HTTP API (payload v2) requests and responses.

use crate::api::ServiceError;
use lambda_http::{Body, Request, Response};

pub fn json_response(status: u16, body: &serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(Body::Text(body.to_string()))
        .expect("status and headers are valid")
}

/// A 200 with a body that is not JSON (CSV, JSON Lines), and headers beside the content type.
pub fn text_response(
    content_type: &str,
    body: String,
    headers: &[(&str, String)],
) -> Response<Body> {
    let mut response = Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("cache-control", "no-store");
    for (name, value) in headers {
        response = response.header(*name, value.as_str());
    }
    response
        .body(Body::Text(body))
        .expect("status and headers are valid")
}

/// A service error as the JSON API answers it (`api::http_status`, `api::error_body`), logged
/// there when it is an outage or a bug.
pub fn error_response(error: &ServiceError) -> Response<Body> {
    crate::api::log_error(error);
    json_response(
        crate::api::http_status(error),
        &crate::api::error_body(error),
    )
}

/// The one way a handler answers: `status` with the value as JSON, or the error.
pub fn respond<T: serde::Serialize>(result: Result<(u16, T), ServiceError>) -> Response<Body> {
    match result {
        Ok((status, body)) => json_response(
            status,
            &serde_json::to_value(&body).expect("an answer serialises"),
        ),
        Err(e) => error_response(&e),
    }
}

/// The raw body bytes, whatever the content type (API Gateway base64-decodes binary bodies).
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// A header's value when it is visible ASCII; `None` when absent *or* unreadable. Only for
/// headers where an unreadable value may count as absent (content type, providers' signatures,
/// which then fail as missing); a header whose absence changes what happens is read with
/// [`header_bytes`] or [`bearer_token`].
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A header's raw value: present with bytes that are not ASCII is still present (and the
/// caller refuses it), never taken for absent.
pub fn header_bytes<'a>(req: &'a Request, name: &str) -> Option<&'a [u8]> {
    req.headers().get(name).map(|v| v.as_bytes())
}

/// `Authorization: Bearer <token>`; anything else there (another scheme, a value that is not
/// visible ASCII) is not taken for "no token": the caller meant to authenticate, so it comes
/// back as an empty token that never matches (401), never as the public view.
pub fn bearer_token(req: &Request) -> Option<&str> {
    let value = req.headers().get("authorization")?;
    let Ok(value) = value.to_str() else {
        return Some("");
    };
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    Some(if scheme.eq_ignore_ascii_case("bearer") {
        token.trim()
    } else {
        ""
    })
}

/// The API Gateway route key (`GET /v1/reports/{tracking_id}`): what a function with several
/// routes dispatches on, free of the stage prefix of the path; the same through an HTTP API
/// (payload 2.0) and a REST API (payload 1.0).
pub fn route_key(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone().unwrap_or_default(),
        // A REST API (the LocalStack deployment's) names the route by method and resource.
        Some(RequestContext::ApiGatewayV1(ctx)) => match &ctx.resource_path {
            Some(resource) => format!("{} {resource}", ctx.http_method),
            None => String::new(),
        },
        _ => String::new(),
    }
}

/// A path parameter, or "" (an id that matches nothing).
pub fn path_parameter(req: &Request, name: &str) -> String {
    use lambda_http::RequestExt;
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .unwrap_or_default()
        .to_string()
}

/// The query string, first value of each parameter; a repeated parameter is a 400, so a list
/// filter is never silently applied to only one of two values.
pub fn query_parameters(
    req: &Request,
) -> Result<std::collections::HashMap<String, String>, ServiceError> {
    use lambda_http::RequestExt;
    let mut out = std::collections::HashMap::new();
    if let Some(query) = req.query_string_parameters_ref() {
        for (name, _) in query.iter() {
            let values = query.all(name).unwrap_or_default();
            if values.len() > 1 {
                return Err(ServiceError::bad_request(
                    "invalid_query",
                    format!("query parameter `{name}` is given more than once"),
                ));
            }
            if let Some(value) = values.first() {
                out.insert(name.to_string(), value.to_string());
            }
        }
    }
    Ok(out)
}
