//! Open311's part of the OpenAPI document (`crate::openapi::PARTS`): its routes, with the
//! specification's bodies. Each call answers JSON or XML as its last segment's suffix asks;
//! the XML is the same tree (`open311::xml`), described here as text.

use super::{Attribute, Service, ServiceRequest};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// One of the specification's errors; a call answers a list of them.
#[derive(Serialize, ToSchema)]
#[schema(as = Open311Error)]
pub struct ErrorItem {
    /// The HTTP status: 400, 403 or 404 (503 when a store is down).
    pub code: u16,
    pub description: String,
}

/// `GET services/{service_code}`.
#[derive(Serialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// What `POST requests` answers (a list of one).
#[derive(Serialize, ToSchema)]
pub struct Created {
    /// Our tracking id.
    pub service_request_id: String,
    /// The same id: ids are made at once.
    pub token: String,
    pub service_notice: String,
    /// Always null: LAPOR keeps no accounts of the client's.
    pub account_id: Option<String>,
}

/// What `GET tokens/{token}` answers (a list of one).
#[derive(Serialize, ToSchema)]
pub struct Token {
    pub service_request_id: String,
    pub token: String,
}

/// `GET discovery` (and `services`, `requests` on the same route).
#[derive(Serialize, ToSchema)]
pub struct Discovery {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<serde_json::Value>,
}

/// The fields `POST requests` takes, as a form; any other is a 400 (`address_id` and
/// `media_url`, of the specification, too: not honoured yet).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SubmitForm {
    /// The key issued to the institution's system (`lapor-local issue-api-key`).
    pub api_key: String,
    /// `lapor.go.id`, if sent.
    pub jurisdiction_id: Option<String>,
    /// `complaint`, `aspiration` or `information_request`.
    pub service_code: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address_string: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    /// 20 to 8,000 characters.
    pub description: String,
    /// The client's own: not kept.
    pub device_id: Option<String>,
    /// The client's own: not kept.
    pub account_id: Option<String>,
    /// 5 to 150 characters; without it, the description's first line.
    #[serde(rename = "attribute[title]")]
    pub attribute_title: Option<String>,
    /// A category code: a-z, 0-9, - _ . / (at most 64).
    #[serde(rename = "attribute[category]")]
    pub attribute_category: Option<String>,
    /// A Kemendagri region code (province, kabupaten/kota, kecamatan).
    #[serde(rename = "attribute[region_code]")]
    pub attribute_region_code: Option<String>,
    /// YYYY-MM-DD, from 1945-08-17 to today.
    #[serde(rename = "attribute[incident_date]")]
    pub attribute_incident_date: Option<String>,
    /// An institution's id (GET /v1/agencies).
    #[serde(rename = "attribute[target_agency]")]
    pub attribute_target_agency: Option<String>,
    /// `true` or `false`.
    #[serde(rename = "attribute[anonymous]")]
    pub attribute_anonymous: Option<String>,
    /// `true` or `false`.
    #[serde(rename = "attribute[confidential]")]
    pub attribute_confidential: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    paths(top, submit, service_definition, request, token),
    components(schemas(ErrorItem, Service, ServiceRequest, ServiceDefinition, Created, Token,
                       Discovery, SubmitForm)),
    tags((name = "open311", description = "Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2)"))
)]
pub struct Open311Doc;

/// Open311's operations, as [`crate::openapi::PARTS`] takes them.
pub fn part() -> utoipa::openapi::OpenApi {
    Open311Doc::openapi()
}

#[utoipa::path(
    get, path = "/open311/v2/{file}", tag = "open311", operation_id = "open311_get",
    params(
        ("file" = String, Path, pattern = r"^(discovery|services|requests)\.(json|xml)$",
         description = "`discovery`, `services` or `requests` with the format's suffix"),
        ("jurisdiction_id" = Option<String>, Query, description = "`lapor.go.id` if sent"),
        ("service_request_id" = Option<String>, Query, min_length = 1, max_length = 549,
         description = "requests: a comma list of ids (at most 50); the other filters are then \
          ignored. discovery and services ignore the filters of requests"),
        ("service_code" = Option<String>, Query, description = "requests: a comma list",
         pattern = r"^(complaint|aspiration|information_request)(,(complaint|aspiration|information_request))*$"),
        ("start_date" = Option<chrono::DateTime<chrono::Utc>>, Query,
         description = "requests: a W3C datetime"),
        ("end_date" = Option<chrono::DateTime<chrono::Utc>>, Query,
         description = "requests: a W3C datetime; a range over 90 days is cut to the 90 days up \
          to end_date"),
        ("status" = Option<String>, Query, pattern = r"^(open|closed)(,(open|closed))*$",
         description = "requests: `open`, `closed` or both"),
    ),
    responses(
        (status = 200, description = "discovery: an object; services: a list of services; \
          requests: a list of service requests (newest first, at most 200)",
         content((serde_json::Value = "application/json"), (String = "text/xml"))),
        (status = 400, description = "An unknown parameter, a filter that is not one",
         content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "No such call or format, another jurisdiction",
         content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 503, content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
    )
)]
#[allow(dead_code)]
fn top() {}

#[utoipa::path(
    post, path = "/open311/v2/{file}", tag = "open311", operation_id = "open311_submit",
    params(
        ("file" = String, Path, pattern = r"^requests\.(json|xml)$"),
        ("jurisdiction_id" = Option<String>, Query, description = "`lapor.go.id` if sent"),
    ),
    request_body(content = SubmitForm, content_type = "application/x-www-form-urlencoded",
        description = "Also `attribute[title|category|region_code|incident_date|target_agency|\
                       anonymous|confidential]`; `address_id` and `media_url` are refused"),
    responses(
        (status = 200, description = "The new request: a list of one",
         content((Vec<Created> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "Every failing field, named as Open311 names it",
         content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 403, description = "A missing or unknown api_key",
         content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "No such call or format, another jurisdiction",
         content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 503, content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
    )
)]
#[allow(dead_code)]
fn submit() {}

#[utoipa::path(
    get, path = "/open311/v2/services/{file}", tag = "open311",
    operation_id = "open311_service_definition",
    params(
        ("file" = String, Path, description = "A service code with the format's suffix"),
        ("jurisdiction_id" = Option<String>, Query),
    ),
    responses(
        (status = 200, content((ServiceDefinition = "application/json"), (String = "text/xml"))),
        (status = 400, content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "No such service or format",
         content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
    )
)]
#[allow(dead_code)]
fn service_definition() {}

#[utoipa::path(
    get, path = "/open311/v2/requests/{file}", tag = "open311", operation_id = "open311_request",
    params(
        ("file" = String, Path, description = "A tracking id with the format's suffix"),
        ("jurisdiction_id" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "A list of one",
         content((Vec<ServiceRequest> = "application/json"), (String = "text/xml"))),
        (status = 400, content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Unknown or malformed id, or no such format",
         content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 503, content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
    )
)]
#[allow(dead_code)]
fn request() {}

#[utoipa::path(
    get, path = "/open311/v2/tokens/{file}", tag = "open311", operation_id = "open311_token",
    params(
        ("file" = String, Path, description = "A token (our tracking id) with the format's suffix"),
        ("jurisdiction_id" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "A list of one",
         content((Vec<Token> = "application/json"), (String = "text/xml"))),
        (status = 400, content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 404, content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
        (status = 503, content((Vec<ErrorItem> = "application/json"), (String = "text/xml"))),
    )
)]
#[allow(dead_code)]
fn token() {}
