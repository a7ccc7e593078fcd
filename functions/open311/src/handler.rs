//! Open311 GeoReport v2 under `/open311/v2/`: `GET discovery`, `GET services`,
//! `GET services/{service_code}`, `GET requests`, `POST requests`, `GET requests/{id}`,
//! `GET tokens/{token}`, each as `.json` or `.xml`. API Gateway cannot match a part of a
//! segment (`{id}.json`), so each route takes the whole last segment (`{file}`) and the suffix is
//! split here. The logic is `lapor::open311`.

use lambda_http::{Body, Request, Response};
use lapor::lambda::http::{body_bytes, header, path_parameter, query_parameters, route_key};
use lapor::open311::keys::ApiKeyStore;
use lapor::open311::{self as spec, split_file, Answer, Format, Open311Error, BASE_PATH};
use lapor::service::App;
use std::sync::Arc;

/// What the function's cold start builds: the services and where the API keys are kept.
pub struct Open311Api {
    pub app: App,
    pub keys: Arc<dyn ApiKeyStore>,
}

impl Open311Api {
    pub fn new(app: App, keys: Arc<dyn ApiKeyStore>) -> Open311Api {
        Open311Api { app, keys }
    }
}

pub async fn handle(api: &Open311Api, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let file = path_parameter(&req, "file");
    let Some((name, format)) = split_file(&file) else {
        let missing = Open311Error::new(
            404,
            "not found: name the format as the last segment's suffix, .json or .xml",
        );
        return Ok(response(missing.answer(Format::Json)));
    };
    let params = match query_parameters(&req) {
        Ok(params) => params,
        Err(e) => return Ok(response(Open311Error::from(e).answer(format))),
    };
    let result = match (route_key(&req).as_str(), name) {
        ("GET /open311/v2/{file}", "discovery") => spec::discovery(&base_url(&req), &params),
        ("GET /open311/v2/{file}", "services") => spec::services(&params),
        ("GET /open311/v2/{file}", "requests") => spec::requests(&api.app, &params).await,
        ("POST /open311/v2/{file}", "requests") => {
            spec::submit(&api.app, &*api.keys, &params, body_bytes(&req)).await
        }
        ("GET /open311/v2/services/{file}", code) => spec::service_definition(code, &params),
        ("GET /open311/v2/requests/{file}", id) => spec::request(&api.app, id, &params).await,
        ("GET /open311/v2/tokens/{file}", token) => spec::token(&api.app, token, &params).await,
        _ => Err(Open311Error::new(404, "not found: no such Open311 call")),
    };
    Ok(response(spec::respond(format, result)))
}

/// Where `/open311/v2` is, as the client reached it (discovery's `url`): its host, its stage.
fn base_url(req: &Request) -> String {
    let host = header(req, "host").unwrap_or("localhost");
    // API Gateway speaks HTTPS and says so; the local runner, on a loopback address, plain HTTP.
    let loopback = ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|l| host == *l || host.starts_with(&format!("{l}:")));
    let scheme = match header(req, "x-forwarded-proto") {
        Some("http") => "http",
        Some(_) => "https",
        None if loopback => "http",
        None => "https",
    };
    // A named stage (`/prod/open311/v2/...`) is part of the path the client used.
    let path = req.uri().path();
    let prefix = path.find(BASE_PATH).map_or("", |at| &path[..at]);
    format!("{scheme}://{host}{prefix}{BASE_PATH}")
}

fn response(answer: Answer) -> Response<Body> {
    Response::builder()
        .status(answer.status)
        .header("content-type", answer.format.content_type())
        .header("cache-control", "no-store")
        .body(Body::Text(answer.body))
        .expect("status and headers are valid")
}
