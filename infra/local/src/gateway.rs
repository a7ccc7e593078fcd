//! What API Gateway does for the local runner: match a request against the template's HttpApi
//! routes and turn it into the same payload-v2 event Lambda would deliver.

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::LambdaRequest;
use lapor::template::Template;
use std::collections::HashMap;

#[derive(Debug, Clone)]
struct Route {
    method: String,
    path: String,
    segments: Vec<Segment>,
    function: String,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Parameter(String),
}

pub struct Matched<'a> {
    /// The template logical id of the function serving the route.
    pub function: &'a str,
    pub route_key: String,
    pub path_parameters: HashMap<String, String>,
}

pub struct Gateway {
    routes: Vec<Route>,
}

impl Gateway {
    pub fn from_template(template: &Template) -> Gateway {
        let mut routes = Vec::new();
        for f in &template.functions {
            for (method, path) in &f.http_routes {
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(
                        |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Parameter(name.to_string()),
                            None => Segment::Literal(s.to_string()),
                        },
                    )
                    .collect();
                routes.push(Route {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    segments,
                    function: f.logical_id.clone(),
                });
            }
        }
        Gateway { routes }
    }

    /// The functions the routes name, for checking that every one is wired locally.
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|r| r.function.as_str())
    }

    /// `Ok(None)`: no such path (404). `Err(())`: path exists, method does not (405).
    #[allow(clippy::result_unit_err)]
    pub fn match_route(&self, method: &str, path: &str) -> Result<Option<Matched<'_>>, ()> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut path_exists = false;
        for route in &self.routes {
            if route.segments.len() != parts.len() {
                continue;
            }
            let mut params = HashMap::new();
            let matches = route
                .segments
                .iter()
                .zip(&parts)
                .all(|(seg, part)| match seg {
                    Segment::Literal(l) => l == part,
                    Segment::Parameter(name) => {
                        if part.is_empty() {
                            return false;
                        }
                        params.insert(name.clone(), percent_decode(part));
                        true
                    }
                });
            if !matches {
                continue;
            }
            path_exists = true;
            if route.method == method {
                return Ok(Some(Matched {
                    function: &route.function,
                    route_key: format!("{} {}", route.method, route.path),
                    path_parameters: params,
                }));
            }
        }
        if path_exists {
            Err(())
        } else {
            Ok(None)
        }
    }
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The HTTP API payload-v2 event for a request, converted exactly as `lambda_http` converts the
/// events Lambda delivers.
pub fn lambda_request(
    method: &http::Method,
    path: &str,
    query: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
    matched: &Matched<'_>,
) -> lambda_http::Request {
    let mut http_description = ApiGatewayV2httpRequestContextHttpDescription::default();
    http_description.method = method.clone();
    http_description.path = Some(path.to_string());
    http_description.protocol = Some("HTTP/1.1".into());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http = http_description;
    context.route_key = Some(matched.route_key.clone());
    context.stage = Some("$default".into());
    context.request_id = Some(random_request_id());
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(matched.route_key.clone());
    event.raw_path = Some(path.to_string());
    event.raw_query_string = query.map(str::to_string);
    event.headers = headers.clone();
    event.path_parameters = matched.path_parameters.clone();
    event.request_context = context;
    if !body.is_empty() {
        match std::str::from_utf8(body) {
            Ok(text) => event.body = Some(text.to_string()),
            Err(_) => {
                use base64::Engine;
                event.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
                event.is_base64_encoded = true;
            }
        }
    }
    LambdaRequest::ApiGatewayV2(event).into()
}

fn random_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("local-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_routes_match_with_parameters() {
        let gw = Gateway::from_template(&Template::builtin());
        let m = gw
            .match_route("GET", "/v1/reports/ABCDE12345")
            .unwrap()
            .unwrap();
        assert_eq!(m.function, "StatusFunction");
        assert_eq!(m.path_parameters["tracking_id"], "ABCDE12345");
        assert_eq!(m.route_key, "GET /v1/reports/{tracking_id}");
        assert_eq!(
            gw.match_route("POST", "/v1/reports")
                .unwrap()
                .unwrap()
                .function,
            "IntakeFunction"
        );
        assert!(gw.match_route("DELETE", "/v1/reports").is_err());
        let agency = gw
            .match_route("GET", "/v1/agencies/komdigi")
            .unwrap()
            .unwrap();
        assert_eq!(agency.function, "DirectoryFunction");
        assert_eq!(agency.path_parameters["agency_id"], "komdigi");
        assert_eq!(agency.route_key, "GET /v1/agencies/{agency_id}");
        let search = gw.match_route("GET", "/v1/agencies").unwrap().unwrap();
        assert_eq!(search.route_key, "GET /v1/agencies");
        assert!(gw.match_route("GET", "/nope").unwrap().is_none());
    }

    #[test]
    fn percent_encoded_parameters_are_decoded() {
        assert_eq!(percent_decode("ABCDE%2D12345"), "ABCDE-12345");
        assert_eq!(percent_decode("50%"), "50%");
    }
}
