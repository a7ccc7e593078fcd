//! What API Gateway does for the local runner: match a request against the template's HttpApi
//! routes, run the route's JWT authorizer, and turn the request into the same payload-v2 event
//! Lambda would deliver.

use crate::tokens::{LocalSigner, TokenError};
use chrono::{DateTime, Utc};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::LambdaRequest;
use lapor::api::ServiceError;
use lapor::auth::{jwt_authorizer, OFFICER_AUTHORIZER};
use lapor::lambda::http::error_response;
use lapor::template::Template;
use std::collections::HashMap;

#[derive(Debug, Clone)]
struct Route {
    method: String,
    path: String,
    segments: Vec<Segment>,
    function: String,
    authorizer: Option<String>,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Parameter(String),
    /// `{name+}`, the last segment: one or more segments, `/` included, as API Gateway's greedy
    /// path variable.
    Greedy(String),
}

pub struct Matched<'a> {
    /// The template logical id of the function serving the route.
    pub function: &'a str,
    pub route_key: String,
    pub path_parameters: HashMap<String, String>,
    /// The template's authorizer on the route, if any.
    pub authorizer: Option<&'a str>,
}

/// A request API Gateway would pass on: its route and, behind an authorizer, the token's claims.
pub struct Admitted<'a> {
    pub matched: Matched<'a>,
    pub claims: Option<HashMap<String, String>>,
}

pub struct Gateway {
    routes: Vec<Route>,
    /// Stands in for the identity provider whose tokens the `OfficerJwt` authorizer accepts.
    signer: LocalSigner,
}

impl Gateway {
    pub fn from_template(template: &Template, signer: LocalSigner) -> Gateway {
        let mut routes = Vec::new();
        for f in &template.functions {
            for event in &f.http_events {
                let (method, path) = (&event.method, &event.path);
                let segments = parse_segments(path);
                routes.push(Route {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    segments,
                    function: f.logical_id.clone(),
                    authorizer: event.authorizer.clone(),
                });
            }
        }
        Gateway { routes, signer }
    }

    /// The functions the routes name, for checking that every one is wired locally.
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|r| r.function.as_str())
    }

    /// The authorizers the routes name, for checking that the runner can play each one.
    pub fn authorizers(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().filter_map(|r| r.authorizer.as_deref())
    }

    /// Everything API Gateway decides before it invokes a function: the route (404, 405) and
    /// its authorizer (401). Only an admitted request reaches a handler.
    pub fn admit(
        &self,
        method: &http::Method,
        path: &str,
        headers: &http::HeaderMap,
        now: DateTime<Utc>,
    ) -> Result<Admitted<'_>, Refusal> {
        let matched = match self.match_route(method.as_str(), path) {
            Ok(Some(m)) => m,
            Ok(None) => return Err(Refusal::NotFound(path.to_string())),
            Err(allow) => {
                return Err(Refusal::MethodNotAllowed {
                    method: method.to_string(),
                    path: path.to_string(),
                    allow,
                })
            }
        };
        match self.authorize(&matched, headers, now) {
            Ok(claims) => Ok(Admitted { matched, claims }),
            Err(reason) => Err(Refusal::Unauthorized(reason)),
        }
    }

    /// What the route's JWT authorizer does before API Gateway invokes the function: `Ok(None)`
    /// for a public route (whatever the headers say), the token's claims as API Gateway passes
    /// them, or the reason for a 401. Roles are left to the function, as in AWS.
    pub fn authorize(
        &self,
        matched: &Matched<'_>,
        headers: &http::HeaderMap,
        now: DateTime<Utc>,
    ) -> Result<Option<HashMap<String, String>>, TokenError> {
        let Some(authorizer) = matched.authorizer else {
            return Ok(None);
        };
        // Checked at start-up (`authorizers`); a new kind of authorizer must not fail open.
        if authorizer != OFFICER_AUTHORIZER {
            return Err(TokenError::Missing);
        }
        let token = bearer_token(headers).ok_or(TokenError::Missing)?;
        self.signer.verify_claim_map(token, now).map(Some)
    }

    /// `Ok(None)`: no such path (404). `Err(allowed)`: the path exists with the methods
    /// `allowed`, not with this one (405). When
    /// several routes match, the most specific wins, as in API Gateway: a route without a greedy
    /// variable before one with it, then literal segments before parameters, left to right.
    pub fn match_route(
        &self,
        method: &str,
        path: &str,
    ) -> Result<Option<Matched<'_>>, Vec<String>> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        // The methods of the path, for `Allow`: a catch-all (greedy) route counts only where no
        // route names the path more closely (`GET /{proxy+}` is the web's not-found page).
        let mut allowed = std::collections::BTreeSet::new();
        let mut allowed_by_catch_all = std::collections::BTreeSet::new();
        let mut best: Option<(Vec<u8>, Matched<'_>)> = None;
        for route in &self.routes {
            let Some(params) = route_matches(&route.segments, &parts) else {
                continue;
            };
            if route
                .segments
                .iter()
                .any(|s| matches!(s, Segment::Greedy(_)))
            {
                allowed_by_catch_all.insert(route.method.clone());
            } else {
                allowed.insert(route.method.clone());
            }
            if route.method != method {
                continue;
            }
            let rank = specificity(&route.segments);
            if best
                .as_ref()
                .is_some_and(|(best_rank, _)| *best_rank >= rank)
            {
                continue;
            }
            best = Some((
                rank,
                Matched {
                    function: &route.function,
                    route_key: format!("{} {}", route.method, route.path),
                    path_parameters: params,
                    authorizer: route.authorizer.as_deref(),
                },
            ));
        }
        match best {
            Some((_, matched)) => Ok(Some(matched)),
            None if !allowed.is_empty() => Err(allowed.into_iter().collect()),
            None if !allowed_by_catch_all.is_empty() => {
                Err(allowed_by_catch_all.into_iter().collect())
            }
            None => Ok(None),
        }
    }
}

/// A template route's path as segments: `{name}` a parameter, `{name+}` a greedy variable.
fn parse_segments(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(name) => Segment::Greedy(name.to_string()),
                    None => Segment::Parameter(name.to_string()),
                },
                None => Segment::Literal(s.to_string()),
            },
        )
        .collect()
}

/// The path parameters when `segments` match the path's `parts`.
fn route_matches(segments: &[Segment], parts: &[&str]) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Greedy(name) => {
                let rest = parts.get(i..).filter(|rest| !rest.is_empty())?;
                if rest.iter().all(|p| p.is_empty()) {
                    return None;
                }
                params.insert(name.clone(), percent_decode(&rest.join("/")));
                return Some(params);
            }
            Segment::Literal(literal) => {
                if parts.get(i)? != literal {
                    return None;
                }
            }
            Segment::Parameter(name) => {
                let part = parts.get(i).filter(|p| !p.is_empty())?;
                params.insert(name.clone(), percent_decode(part));
            }
        }
    }
    (segments.len() == parts.len()).then_some(params)
}

/// How specific a route is, compared as bytes: no greedy variable first, then each segment
/// left to right, a literal (2) above a parameter (1) above a greedy variable (0).
fn specificity(segments: &[Segment]) -> Vec<u8> {
    let greedy = segments.iter().any(|s| matches!(s, Segment::Greedy(_)));
    std::iter::once(u8::from(!greedy))
        .chain(segments.iter().map(|s| match s {
            Segment::Literal(_) => 2,
            Segment::Parameter(_) => 1,
            Segment::Greedy(_) => 0,
        }))
        .collect()
}

/// The token in `Authorization`: API Gateway takes it bare or after `Bearer `.
fn bearer_token(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

/// Why the gateway answered itself instead of invoking a function.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    NotFound(String),
    /// `allow`: the methods the path has, for the `Allow` header.
    MethodNotAllowed {
        method: String,
        path: String,
        allow: Vec<String>,
    },
    Unauthorized(TokenError),
}

impl Refusal {
    /// The answer, in the API's error body. For a 401, API Gateway's own body is
    /// `{"message":"Unauthorized"}`: clients should go by the status.
    pub fn response(&self) -> lambda_http::Response<lambda_http::Body> {
        match self {
            Refusal::NotFound(path) => {
                error_response(&ServiceError::NotFound(format!("no route for {path}")))
            }
            Refusal::MethodNotAllowed {
                method,
                path,
                allow,
            } => {
                let mut r = error_response(&ServiceError::bad_request(
                    "method_not_allowed",
                    format!("{method} is not allowed on {path}"),
                ));
                *r.status_mut() = http::StatusCode::METHOD_NOT_ALLOWED;
                if let Ok(value) = http::HeaderValue::from_str(&allow.join(", ")) {
                    r.headers_mut().insert(http::header::ALLOW, value);
                }
                r
            }
            Refusal::Unauthorized(reason) => {
                // The reason is for the developer's log; the token and its claims are not logged.
                tracing::info!(%reason, "authorizer refused the request");
                let mut r = error_response(&ServiceError::Unauthorized);
                r.headers_mut().insert(
                    http::header::WWW_AUTHENTICATE,
                    http::HeaderValue::from_static("Bearer"),
                );
                r
            }
        }
    }
}

/// A path parameter as API Gateway passes it: `%XX` decoded, a `%` without two hex digits kept,
/// bytes that are not UTF-8 replaced.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The HTTP API payload-v2 event for a request, converted exactly as `lambda_http` converts the
/// events Lambda delivers. `claims` are the authorizer's (see [`Gateway::authorize`]).
pub fn lambda_request(
    method: &http::Method,
    path: &str,
    query: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
    matched: &Matched<'_>,
    claims: Option<HashMap<String, String>>,
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
    context.authorizer = claims.map(jwt_authorizer);
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
    use chrono::TimeZone;
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    use lapor::auth::{staff_from_request, AuthError, StaffClaims, StaffRole};

    const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

    fn gateway() -> Gateway {
        Gateway::from_template(&Template::builtin(), LocalSigner::new(&[3u8; 32]))
    }

    #[test]
    fn template_routes_match_with_parameters() {
        let gw = gateway();
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
        // Any other page address is the web's (its not-found page).
        let other = gw.match_route("GET", "/nope").unwrap().unwrap();
        assert_eq!(
            (other.function, other.route_key.as_str()),
            ("WebFunction", "GET /{proxy+}")
        );
        assert_eq!(
            gw.match_route("GET", "/v1/reports")
                .unwrap()
                .unwrap()
                .function,
            "StatusFunction"
        );
        let home = gw.match_route("GET", "/").unwrap().unwrap();
        assert_eq!(
            (home.function, home.route_key.as_str()),
            ("WebFunction", "GET /")
        );
    }

    #[test]
    fn greedy_variables_take_the_rest_of_the_path_and_lose_to_specific_routes() {
        let gw = gateway();
        let m = gw
            .match_route("GET", "/petugas/laporan/ABCDE12345")
            .unwrap()
            .unwrap();
        assert_eq!(m.function, "WebFunction");
        assert_eq!(m.route_key, "GET /petugas/{proxy+}");
        assert_eq!(m.path_parameters["proxy"], "laporan/ABCDE12345");
        // `{proxy+}` needs at least one segment: `/petugas` is its own route.
        let m = gw.match_route("GET", "/petugas").unwrap().unwrap();
        assert_eq!(m.route_key, "GET /petugas");
        assert_eq!(
            gw.match_route("POST", "/petugas/x")
                .unwrap()
                .unwrap()
                .route_key,
            "POST /petugas/{proxy+}"
        );
        assert!(gw.match_route("DELETE", "/petugas/x").is_err());

        // Precedence with routes of our own: literal, then parameter, then greedy.
        let routes = |paths: &[&str]| Gateway {
            routes: paths
                .iter()
                .map(|p| Route {
                    method: "GET".into(),
                    path: p.to_string(),
                    segments: parse_segments(p),
                    function: p.to_string(),
                    authorizer: None,
                })
                .collect(),
            signer: LocalSigner::new(&[3; 32]),
        };
        let gw = routes(&["/{proxy+}", "/a/{proxy+}", "/a/{id}", "/a/b"]);
        let pick = |path: &str| gw.match_route("GET", path).unwrap().unwrap().function;
        assert_eq!(pick("/a/b"), "/a/b");
        assert_eq!(pick("/a/c"), "/a/{id}");
        assert_eq!(pick("/a/c/d"), "/a/{proxy+}");
        assert_eq!(pick("/x/y/z"), "/{proxy+}");
        assert_eq!(pick("/a"), "/{proxy+}");
    }

    fn officer() -> StaffClaims {
        StaffClaims::new("staff-42", StaffRole::Officer, Some("komdigi".into())).unwrap()
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap()
    }

    fn with_auth(value: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    /// The request a handler would get, or the gateway's refusal.
    fn through(
        gw: &Gateway,
        method: http::Method,
        path: &str,
        headers: &http::HeaderMap,
        now: DateTime<Utc>,
    ) -> Result<lambda_http::Request, Refusal> {
        let admitted = gw.admit(&method, path, headers, now)?;
        Ok(lambda_request(
            &method,
            path,
            None,
            headers,
            b"",
            &admitted.matched,
            admitted.claims,
        ))
    }

    fn assert_unauthorized(refusal: Refusal) {
        assert!(matches!(refusal, Refusal::Unauthorized(_)), "{refusal:?}");
        let refused = refusal.response();
        assert_eq!(refused.status(), 401);
        assert_eq!(refused.headers()["www-authenticate"], "Bearer");
        let lambda_http::Body::Text(body) = refused.body() else {
            panic!("JSON error body expected")
        };
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"], "unauthorized");
    }

    #[test]
    fn a_valid_tokens_claims_reach_the_request_context() {
        let gw = gateway();
        let token = LocalSigner::new(&[3u8; 32]).mint(&officer(), t0(), HOUR);
        for header in [format!("Bearer {token}"), format!("bearer  {token}"), token] {
            let request = through(
                &gw,
                http::Method::GET,
                "/v1/agency/reports/ABCDE12345",
                &with_auth(&header),
                t0() + chrono::Duration::minutes(30),
            )
            .unwrap_or_else(|r| panic!("{header}: refused with {r:?}"));
            assert_eq!(staff_from_request(&request), Ok(officer()));
            let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
                panic!("an HTTP API request context")
            };
            let jwt = context.authorizer.as_ref().unwrap().jwt.as_ref().unwrap();
            // Every claim of the token, as strings, as API Gateway passes them.
            assert_eq!(jwt.claims["custom:agency_id"], "komdigi");
            assert_eq!(jwt.claims["iss"], "lapor-local");
            assert_eq!(jwt.claims["exp"], (t0().timestamp() + 3600).to_string());
            assert_eq!(jwt.scopes, None);
            assert_eq!(
                context.route_key.as_deref(),
                Some("GET /v1/agency/reports/{tracking_id}")
            );
        }
    }

    #[test]
    fn missing_bad_or_expired_tokens_get_401_before_any_handler() {
        let gw = gateway();
        let token = LocalSigner::new(&[3u8; 32]).mint(&officer(), t0(), HOUR);
        let foreign = LocalSigner::new(&[4u8; 32]).mint(&officer(), t0(), HOUR);
        let (tampered_head, _) = token.rsplit_once('.').unwrap();
        let tampered = format!("{tampered_head}.AAAA");
        let cases = [
            ("no header", http::HeaderMap::new(), t0()),
            ("empty bearer", with_auth("Bearer "), t0()),
            ("garbage", with_auth("Bearer not-a-jwt"), t0()),
            ("basic auth", with_auth("Basic c3RhZmY6cGFzcw=="), t0()),
            ("another key", with_auth(&format!("Bearer {foreign}")), t0()),
            ("tampered", with_auth(&format!("Bearer {tampered}")), t0()),
            (
                "expired",
                with_auth(&format!("Bearer {token}")),
                t0() + chrono::Duration::hours(1),
            ),
        ];
        for (what, headers, now) in cases {
            for (method, path) in [
                (http::Method::GET, "/v1/agency/reports"),
                (http::Method::POST, "/v1/agency/reports/ABCDE12345/actions"),
            ] {
                match through(&gw, method, path, &headers, now) {
                    Ok(_) => panic!("{what}: {path} reached the handler"),
                    Err(refused) => assert_unauthorized(refused),
                }
            }
        }
    }

    #[test]
    fn public_routes_ignore_the_authorization_header() {
        let gw = gateway();
        let token = LocalSigner::new(&[3u8; 32]).mint(&officer(), t0(), HOUR);
        for headers in [
            http::HeaderMap::new(),
            with_auth("Bearer not-a-jwt"),
            with_auth(&format!("Bearer {token}")),
        ] {
            for (method, path) in [
                (http::Method::POST, "/v1/reports"),
                (http::Method::GET, "/v1/reports/ABCDE12345"),
                (http::Method::GET, "/v1/agencies/komdigi"),
            ] {
                let request = through(&gw, method, path, &headers, t0())
                    .unwrap_or_else(|r| panic!("{path} refused with {r:?}"));
                let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref()
                else {
                    panic!("an HTTP API request context")
                };
                // No authorizer, no claims: even a valid staff token is not passed on.
                assert!(context.authorizer.is_none(), "{path}");
                assert_eq!(staff_from_request(&request), Err(AuthError::Missing));
            }
        }
    }

    #[test]
    fn unknown_routes_and_methods_are_refused_as_before() {
        let gw = gateway();
        let none = http::HeaderMap::new();
        let missing = through(&gw, http::Method::POST, "/nope", &none, t0()).unwrap_err();
        assert_eq!(
            missing.response().status(),
            405,
            "GET /{{proxy+}} has the path"
        );
        let wrong = through(&gw, http::Method::DELETE, "/v1/reports", &none, t0()).unwrap_err();
        assert_eq!(wrong.response().status(), 405);
        // RFC 9110: a 405 says which methods the resource has.
        assert_eq!(wrong.response().headers()["allow"], "GET, POST");
        // The web's catch-all GET does not count where a route names the path.
        let wrong = through(
            &gw,
            http::Method::DELETE,
            "/v1/reports/G4KBGQWVED/replies",
            &none,
            t0(),
        )
        .unwrap_err();
        assert_eq!(wrong.response().headers()["allow"], "POST");
        assert_eq!(missing.response().headers()["allow"], "GET");
        // The route is found before the token is asked for.
        let wrong =
            through(&gw, http::Method::DELETE, "/v1/agency/reports", &none, t0()).unwrap_err();
        assert_eq!(wrong.response().status(), 405);
    }

    #[test]
    fn percent_encoded_parameters_are_decoded() {
        assert_eq!(percent_decode("ABCDE%2D12345"), "ABCDE-12345");
        assert_eq!(percent_decode("50%"), "50%");
        assert_eq!(percent_decode("50%2"), "50%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%2d%2D"), "--");
        assert_eq!(percent_decode("Kota%20Bandung"), "Kota Bandung");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
        assert_eq!(
            gateway()
                .match_route("GET", "/v1/agencies/pemda%2D32.73")
                .unwrap()
                .unwrap()
                .path_parameters["agency_id"],
            "pemda-32.73"
        );
    }
}
