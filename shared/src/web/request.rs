//! Reading a browser's request: its query, its form body, its cookies.

use super::page::PageError;
use crate::api::{limits, ServiceError};
use lambda_http::Request;
use std::collections::HashMap;

/// The query string's parameters, first value of each (a page's filters and choices; a repeated
/// one is not refused here, unlike the JSON API, since a browser form never repeats a field the
/// pages read once).
pub fn query(req: &Request) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (name, value) in form_pairs(req.uri().query().unwrap_or_default().as_bytes()) {
        out.entry(name).or_insert(value);
    }
    out
}

/// A form post (`application/x-www-form-urlencoded`): 413 over the intake's body limit, 400
/// when it is not a form. A repeated field keeps its first value.
pub fn form(req: &Request) -> Result<HashMap<String, String>, PageError> {
    let body = crate::lambda::http::body_bytes(req);
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(ServiceError::TooLarge {
            limit: limits::MAX_BODY_BYTES,
        }
        .into());
    }
    let content_type = crate::lambda::http::header(req, "content-type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(ServiceError::bad_request(
            "unsupported_media_type",
            "formulir harus dikirim sebagai application/x-www-form-urlencoded",
        )
        .into());
    }
    if std::str::from_utf8(body).is_err() {
        return Err(
            ServiceError::bad_request("invalid_utf8", "isi formulir bukan UTF-8 yang sah").into(),
        );
    }
    let mut out = HashMap::new();
    for (name, value) in form_pairs(body) {
        out.entry(name).or_insert(value);
    }
    Ok(out)
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

/// A cookie's raw value, from the `Cookie` header(s) (API Gateway's `cookies` arrive there too).
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The request's method, upper case.
pub fn method(req: &Request) -> &str {
    req.method().as_str()
}

/// Where the site is mounted: `/<stage>` when the browser talks to API Gateway's own host
/// under a named stage (`https://<id>.execute-api.<region>.amazonaws.com/dev/lacak`), else ""
/// (the local runner, the `$default` stage, a custom domain). Every link and redirect a page
/// makes starts with it.
pub fn base(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.clone(),
        _ => None,
    };
    let on_api_gateway_host = crate::lambda::http::header(req, "host").is_some_and(|h| {
        h.split(':')
            .next()
            .unwrap_or_default()
            .ends_with(".amazonaws.com")
    });
    match stage {
        Some(stage) if stage != "$default" && !stage.is_empty() && on_api_gateway_host => {
            format!("/{stage}")
        }
        _ => String::new(),
    }
}

/// The request's path within the site: without the stage prefix `lambda_http` puts on a named
/// stage's paths, whatever the host.
pub fn site_path(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let path = req.uri().path();
    if let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
        if let Some(stage) = ctx
            .stage
            .as_deref()
            .filter(|s| *s != "$default" && !s.is_empty())
        {
            let prefix = format!("/{stage}");
            if let Some(rest) = path.strip_prefix(&prefix) {
                if rest.is_empty() {
                    return "/".into();
                }
                if rest.starts_with('/') {
                    return rest.to_string();
                }
            }
        }
    }
    path.to_string()
}
