//! Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) over LAPOR's reports: the services
//! (our report kinds), the public feed and views as service requests, and submission by an
//! institution's system with an API key. Each call answers JSON or XML as the last path
//! segment's suffix asks (`services.json`, `requests/ABC.xml`), with the specification's field
//! names; errors are its array of `{code, description}`.
//!
//! Privacy holds as in the public views ([`crate::service::views::public_view`]): no reporter
//! identity ever; a report's content (description, address, position, institution) only while
//! it [`Report::is_public`]; otherwise its id, status and dates alone.
//!
//! Status: Open311 knows `open` and `closed`. LAPOR's `closed` and `archived` (set aside:
//! withdrawn, duplicate, not a public service...) are `closed`; every other status is `open`.

pub mod keys;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod xml;

use crate::api::ServiceError;
use crate::directory::Directory;
use crate::domain::{Report, ReportKind, Status, TrackingId};
use crate::ports::{ListCursor, ListQuery, ReportList};
use crate::service::App;
use chrono::{DateTime, SecondsFormat, Utc};
use keys::ApiKeyStore;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use xml::Node;

/// The one jurisdiction this endpoint serves; a client may send it as `jurisdiction_id`.
pub const JURISDICTION: &str = "lapor.go.id";

/// The specification this endpoint follows, as discovery names it.
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// The version of this endpoint's services and behaviour (discovery's `changeset`).
pub const CHANGESET: &str = "2026-12-06T00:00:00Z";

/// Where `/open311/v2/` starts (the routes' common part).
pub const BASE_PATH: &str = "/open311/v2";

/// At most this many requests in one answer of `GET requests` (the specification lets a server
/// cap it; the newest come first).
pub const MAX_REQUESTS: usize = 200;

/// How far back `GET requests` looks when no `start_date` is given, and the longest range a
/// query may span (the specification's 90 days).
pub const DEFAULT_RANGE_DAYS: i64 = 90;

/// The longest `service_request_id` list: 50 ids and their commas.
pub const MAX_IDS_CHARS: usize = 50 * 11 - 1;

/// The filters of `GET requests`. `discovery` and `services`, on the same route, accept and
/// ignore them (a client may share its parameters between calls); any other name is a 400.
pub const REQUEST_FILTERS: &[&str] = &[
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
];

// ------------------------------------------------------------------ formats and answers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "text/xml; charset=utf-8",
        }
    }
}

/// A path's last segment as the name and the format its suffix asks for: `requests.xml` ->
/// (`requests`, Xml). `None` without a known suffix.
pub fn split_file(segment: &str) -> Option<(&str, Format)> {
    if let Some(name) = segment.strip_suffix(".json") {
        Some((name, Format::Json))
    } else {
        segment.strip_suffix(".xml").map(|name| (name, Format::Xml))
    }
}

/// What a call answers: status, format, the document's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub format: Format,
    pub body: String,
}

/// A document in both forms: the JSON value and the XML tree of the same content.
pub struct Document {
    pub json: Value,
    pub xml: Node,
}

impl Document {
    fn answer(self, status: u16, format: Format) -> Answer {
        Answer {
            status,
            format,
            body: match format {
                Format::Json => self.json.to_string(),
                Format::Xml => self.xml.document(),
            },
        }
    }
}

/// An Open311 error: its HTTP status is its `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Error {
    pub code: u16,
    pub descriptions: Vec<String>,
}

impl Open311Error {
    pub fn new(code: u16, description: impl Into<String>) -> Open311Error {
        Open311Error {
            code,
            descriptions: vec![description.into()],
        }
    }

    fn bad(description: impl Into<String>) -> Open311Error {
        Open311Error::new(400, description)
    }

    fn not_found(description: impl Into<String>) -> Open311Error {
        Open311Error::new(404, description)
    }

    /// `[{"code": 400, "description": "..."}]` / `<errors><error>...`.
    pub fn answer(&self, format: Format) -> Answer {
        let json = Value::Array(
            self.descriptions
                .iter()
                .map(|d| json!({"code": self.code, "description": d}))
                .collect(),
        );
        let xml = Node::Element(
            "errors",
            self.descriptions
                .iter()
                .map(|d| {
                    Node::Element(
                        "error",
                        vec![
                            Node::text("code", self.code.to_string()),
                            Node::text("description", d.clone()),
                        ],
                    )
                })
                .collect(),
        );
        Document { json, xml }.answer(self.code, format)
    }
}

/// A service error in Open311's terms: a rule a field broke is a 400 naming the field as
/// Open311 calls it; outages and bugs keep their status and say nothing of their detail.
impl From<ServiceError> for Open311Error {
    fn from(error: ServiceError) -> Open311Error {
        crate::api::log_error(&error);
        match &error {
            ServiceError::Invalid(fields) => Open311Error {
                code: 400,
                descriptions: fields
                    .iter()
                    .map(|f| format!("{}: {}", open311_field(&f.field), f.message))
                    .collect(),
            },
            ServiceError::BadRequest { .. } | ServiceError::TooLarge { .. } => {
                Open311Error::bad(error.to_string())
            }
            ServiceError::NotFound(_) => Open311Error::not_found(error.to_string()),
            ServiceError::Unauthorized | ServiceError::Forbidden(_) => {
                Open311Error::new(403, error.to_string())
            }
            other => Open311Error::new(crate::api::http_status(other), other.to_string()),
        }
    }
}

/// Our submission's field names as an Open311 client sent them.
fn open311_field(field: &str) -> String {
    match field {
        "kind" => "service_code".into(),
        "body" => "description".into(),
        "location_text" => "address_string".into(),
        "lat" => "lat".into(),
        "lon" => "long".into(),
        "reporter.email" => "email".into(),
        "reporter.phone" => "phone".into(),
        "reporter.name" => "first_name/last_name".into(),
        other => format!("attribute[{other}]"),
    }
}

/// The answer of a call: its document, or its error, in the format asked for.
pub fn respond(format: Format, result: Result<Document, Open311Error>) -> Answer {
    match result {
        Ok(document) => document.answer(200, format),
        Err(error) => error.answer(format),
    }
}

fn datetime(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Only `jurisdiction_id` (ours, if sent) and `known` parameters; anything else is a 400, so a
/// filter a client misspells is never silently ignored.
fn check_query(params: &HashMap<String, String>, known: &[&str]) -> Result<(), Open311Error> {
    let mut names: Vec<&String> = params.keys().collect();
    names.sort();
    for name in names {
        if name == "jurisdiction_id" {
            if param(params, name).is_some_and(|j| !j.is_empty() && j != JURISDICTION) {
                return Err(Open311Error::not_found(format!(
                    "jurisdiction_id not found: this endpoint serves {JURISDICTION}"
                )));
            }
        } else if !known.contains(&name.as_str()) {
            return Err(Open311Error::bad(format!(
                "unknown parameter `{name}` (known: jurisdiction_id{}{})",
                if known.is_empty() { "" } else { ", " },
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// A parameter's value, trimmed. An empty filter is no filter a client meant: it is refused as
/// its value is checked (only an empty `jurisdiction_id` counts as absent).
fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim())
}

// ------------------------------------------------------------------ discovery

/// `GET discovery`: where the endpoint is and what it speaks. `base_url` is the address of
/// `/open311/v2` as the client reached it.
pub fn discovery(
    base_url: &str,
    params: &HashMap<String, String>,
) -> Result<Document, Open311Error> {
    check_query(params, REQUEST_FILTERS)?;
    Filters::parse(params, Utc::now())?; // checked, not used here
    let formats = ["application/json", "text/xml"];
    let json = json!({
        "changeset": CHANGESET,
        "contact": "LAPOR! - Layanan Aspirasi dan Pengaduan Online Rakyat (lapor.go.id)",
        "key_service": "Kunci API diterbitkan untuk sistem instansi oleh pengelola LAPOR!",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base_url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": formats,
        }],
    });
    let xml = Node::Element(
        "discovery",
        vec![
            Node::text("changeset", CHANGESET),
            Node::text("contact", json["contact"].as_str().unwrap_or_default()),
            Node::text(
                "key_service",
                json["key_service"].as_str().unwrap_or_default(),
            ),
            Node::Element(
                "endpoints",
                vec![Node::Element(
                    "endpoint",
                    vec![
                        Node::text("specification", SPECIFICATION),
                        Node::text("url", base_url),
                        Node::text("changeset", CHANGESET),
                        Node::text("type", "production"),
                        Node::Element(
                            "formats",
                            formats.iter().map(|f| Node::text("format", *f)).collect(),
                        ),
                    ],
                )],
            ),
        ],
    );
    Ok(Document { json, xml })
}

// ------------------------------------------------------------------ services

/// A service: one of our report kinds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    pub service_code: &'static str,
    pub service_name: &'static str,
    pub description: &'static str,
    /// Always true: every kind takes the attributes of [`attributes`].
    pub metadata: bool,
    /// `realtime`: a request gets its id (our tracking id) in the answer to its POST.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub keywords: &'static str,
    pub group: &'static str,
}

/// Every service, in the order the web form offers the kinds.
pub fn services_list() -> Vec<Service> {
    [
        ReportKind::Complaint,
        ReportKind::Aspiration,
        ReportKind::InformationRequest,
    ]
    .into_iter()
    .map(service_of)
    .collect()
}

fn service_of(kind: ReportKind) -> Service {
    let (name, description, keywords) = match kind {
        ReportKind::Complaint => (
            "Pengaduan",
            "Keluhan atas pelayanan publik yang tidak sesuai standar, misalnya jalan rusak, \
             pungutan liar atau layanan yang ditolak.",
            "pengaduan, keluhan, complaint",
        ),
        ReportKind::Aspiration => (
            "Aspirasi",
            "Usulan atau saran untuk perbaikan pelayanan publik dan kebijakan.",
            "aspirasi, usulan, saran, aspiration",
        ),
        ReportKind::InformationRequest => (
            "Permintaan Informasi",
            "Permintaan informasi publik kepada instansi pemerintah.",
            "informasi, permintaan informasi, information request",
        ),
    };
    Service {
        service_code: kind.as_str(),
        service_name: name,
        description,
        metadata: true,
        kind: "realtime",
        keywords,
        group: "LAPOR!",
    }
}

impl Service {
    fn xml(&self) -> Node {
        Node::Element(
            "service",
            vec![
                Node::text("service_code", self.service_code),
                Node::text("service_name", self.service_name),
                Node::text("description", self.description),
                Node::text("metadata", self.metadata.to_string()),
                Node::text("type", self.kind),
                Node::text("keywords", self.keywords),
                Node::text("group", self.group),
            ],
        )
    }
}

/// `GET services`.
pub fn services(params: &HashMap<String, String>) -> Result<Document, Open311Error> {
    check_query(params, REQUEST_FILTERS)?;
    Filters::parse(params, Utc::now())?; // checked, not used here
    let list = services_list();
    Ok(Document {
        json: serde_json::to_value(&list).expect("services serialise"),
        xml: Node::Element("services", list.iter().map(Service::xml).collect()),
    })
}

/// One attribute of a service definition, as the specification names its parts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attribute {
    pub variable: bool,
    pub code: &'static str,
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: &'static str,
    pub order: u32,
    pub description: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributeValue {
    pub key: &'static str,
    pub name: &'static str,
}

/// What a request may carry beyond Open311's own fields (`attribute[code]=value`): the parts of
/// a LAPOR report that Open311 has no field for. The same for every kind: a report's category
/// is its own free code (`POST /v1/reports` takes any), so no category asks for more than this.
pub fn attributes() -> Vec<Attribute> {
    let yes_no = || {
        vec![
            AttributeValue {
                key: "false",
                name: "Tidak",
            },
            AttributeValue {
                key: "true",
                name: "Ya",
            },
        ]
    };
    vec![
        Attribute {
            variable: true,
            code: "title",
            datatype: "string",
            required: false,
            datatype_description: "5 sampai 150 karakter",
            order: 1,
            description: "Judul laporan. Bila kosong, diambil dari baris pertama deskripsi.",
            values: vec![],
        },
        Attribute {
            variable: true,
            code: "category",
            datatype: "string",
            required: false,
            datatype_description: "kode kategori: a-z, 0-9, - _ . / (paling panjang 64)",
            order: 2,
            description: "Kategori laporan, misalnya infrastruktur/jalan.",
            values: vec![],
        },
        Attribute {
            variable: true,
            code: "region_code",
            datatype: "string",
            required: false,
            datatype_description: "kode wilayah Kemendagri (provinsi, kabupaten/kota, kecamatan)",
            order: 3,
            description: "Wilayah kejadian, misalnya 32.73 untuk Kota Bandung.",
            values: vec![],
        },
        Attribute {
            variable: true,
            code: "incident_date",
            datatype: "string",
            required: false,
            datatype_description: "tanggal YYYY-MM-DD, antara 1945-08-17 dan hari ini",
            order: 4,
            description: "Tanggal kejadian.",
            values: vec![],
        },
        Attribute {
            variable: true,
            code: "target_agency",
            datatype: "string",
            required: false,
            datatype_description: "id instansi dari GET /v1/agencies",
            order: 5,
            description: "Instansi yang dituju, bila pelapor mengetahuinya.",
            values: vec![],
        },
        Attribute {
            variable: true,
            code: "anonymous",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: "true atau false",
            order: 6,
            description: "Anonim: identitas pelapor tidak diperlihatkan kepada instansi.",
            values: yes_no(),
        },
        Attribute {
            variable: true,
            code: "confidential",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: "true atau false",
            order: 7,
            description: "Rahasia: isi laporan tidak dipublikasikan.",
            values: yes_no(),
        },
    ]
}

impl Attribute {
    fn xml(&self) -> Node {
        let mut children = vec![
            Node::text("variable", self.variable.to_string()),
            Node::text("code", self.code),
            Node::text("datatype", self.datatype),
            Node::text("required", self.required.to_string()),
            Node::text("datatype_description", self.datatype_description),
            Node::text("order", self.order.to_string()),
            Node::text("description", self.description),
        ];
        if !self.values.is_empty() {
            children.push(Node::Element(
                "values",
                self.values
                    .iter()
                    .map(|v| {
                        Node::Element(
                            "value",
                            vec![Node::text("key", v.key), Node::text("name", v.name)],
                        )
                    })
                    .collect(),
            ));
        }
        Node::Element("attribute", children)
    }
}

/// `GET services/{service_code}`: the service's definition (its attributes).
pub fn service_definition(
    service_code: &str,
    params: &HashMap<String, String>,
) -> Result<Document, Open311Error> {
    check_query(params, &[])?;
    let kind = ReportKind::parse(service_code)
        .ok_or_else(|| Open311Error::not_found("service_code not found"))?;
    let attributes = attributes();
    Ok(Document {
        json: json!({"service_code": kind.as_str(), "attributes": attributes}),
        xml: Node::Element(
            "service_definition",
            vec![
                Node::text("service_code", kind.as_str()),
                Node::Element(
                    "attributes",
                    attributes.iter().map(Attribute::xml).collect(),
                ),
            ],
        ),
    })
}

// ------------------------------------------------------------------ service requests

/// `open` or `closed`: Open311's two statuses (see the module's documentation).
pub fn open311_status(status: Status) -> &'static str {
    match status {
        Status::Closed | Status::Archived => "closed",
        _ => "open",
    }
}

/// What the current step's deadline means, for `service_notice`.
fn notice(report: &Report) -> Option<&'static str> {
    use crate::deadlines::Step;
    Some(match report.deadline?.step {
        Step::Verification => {
            "Laporan diverifikasi dan diteruskan ke instansi berwenang paling lambat expected_datetime."
        }
        Step::FollowUp => "Instansi menindaklanjuti laporan paling lambat expected_datetime.",
        Step::AutoClose => {
            "Tindak lanjut sudah diberikan; laporan ditutup otomatis pada expected_datetime bila tidak ditanggapi."
        }
        Step::DeferredAnswer => {
            "Menunggu jawaban pelapor atas pertanyaan petugas sampai expected_datetime."
        }
    })
}

/// A report as a service request. Every field the specification lists is present (`null` /
/// an empty element when it has no value): the content ones only while the report is public.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceRequest {
    pub service_request_id: String,
    pub status: &'static str,
    pub status_notes: Option<String>,
    pub service_name: Option<&'static str>,
    pub service_code: Option<&'static str>,
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<&'static str>,
    pub requested_datetime: String,
    pub updated_datetime: Option<String>,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    /// Empty until reports carry attachments.
    pub media_url: Option<String>,
}

impl ServiceRequest {
    /// What anyone may see of `report`: its id, Open311 status, LAPOR's status label and dates
    /// always; its kind, description, address, position and institution only while it is
    /// public (verified, not confidential, not archived). Never the reporter.
    pub fn of(report: &Report, directory: &Directory) -> ServiceRequest {
        let public = report.is_public();
        let content = |value: Option<String>| value.filter(|_| public);
        let service = public.then(|| service_of(report.kind));
        ServiceRequest {
            service_request_id: report.tracking_id.to_string(),
            status: open311_status(report.status),
            status_notes: Some(report.status.label().id.to_string()),
            service_name: service.as_ref().map(|s| s.service_name),
            service_code: service.as_ref().map(|s| s.service_code),
            description: content(Some(report.body.clone())),
            agency_responsible: content(
                report
                    .agency_id
                    .as_deref()
                    .and_then(|id| directory.get(id))
                    .map(|a| a.name.clone()),
            ),
            service_notice: notice(report),
            requested_datetime: datetime(report.created_at),
            updated_datetime: Some(datetime(report.updated_at)),
            expected_datetime: report.deadline.map(|d| datetime(d.at)),
            address: content(report.location.text.clone()),
            address_id: None,
            zipcode: None,
            lat: report.location.lat.filter(|_| public),
            long: report.location.lon.filter(|_| public),
            media_url: None,
        }
    }

    fn xml(&self) -> Node {
        let opt = |name: &'static str, v: &Option<String>| {
            Node::text(name, v.clone().unwrap_or_default())
        };
        let num = |name: &'static str, v: Option<f64>| {
            Node::text(name, v.map(|n| n.to_string()).unwrap_or_default())
        };
        Node::Element(
            "request",
            vec![
                Node::text("service_request_id", self.service_request_id.clone()),
                Node::text("status", self.status),
                opt("status_notes", &self.status_notes),
                Node::text("service_name", self.service_name.unwrap_or_default()),
                Node::text("service_code", self.service_code.unwrap_or_default()),
                opt("description", &self.description),
                opt("agency_responsible", &self.agency_responsible),
                Node::text("service_notice", self.service_notice.unwrap_or_default()),
                Node::text("requested_datetime", self.requested_datetime.clone()),
                opt("updated_datetime", &self.updated_datetime),
                opt("expected_datetime", &self.expected_datetime),
                opt("address", &self.address),
                opt("address_id", &self.address_id),
                opt("zipcode", &self.zipcode),
                num("lat", self.lat),
                num("long", self.long),
                opt("media_url", &self.media_url),
            ],
        )
    }
}

fn requests_document(requests: &[ServiceRequest]) -> Document {
    Document {
        json: serde_json::to_value(requests).expect("requests serialise"),
        xml: Node::Element(
            "service_requests",
            requests.iter().map(ServiceRequest::xml).collect(),
        ),
    }
}

/// `GET requests/{service_request_id}`: one request, as a list of one (the specification's
/// form). Unknown and malformed ids answer the same 404.
pub async fn request(
    app: &App,
    id: &str,
    params: &HashMap<String, String>,
) -> Result<Document, Open311Error> {
    check_query(params, &[])?;
    let report = find(app, id)
        .await?
        .ok_or_else(|| Open311Error::not_found("service_request_id not found"))?;
    let directory = app.directory.current().await;
    Ok(requests_document(&[ServiceRequest::of(
        &report, &directory,
    )]))
}

async fn find(app: &App, id: &str) -> Result<Option<Report>, Open311Error> {
    let Some(id) = TrackingId::parse(id) else {
        return Ok(None);
    };
    Ok(app.store.get(&id).await.map_err(ServiceError::from)?)
}

/// `GET requests`: the public feed as service requests, newest first, at most
/// [`MAX_REQUESTS`]. Filters as the specification writes them: `service_request_id` (a comma
/// list: then the others are ignored, and each id is answered as `GET requests/{id}` would,
/// unknown ones left out), `service_code` and `status` (comma lists), `start_date`/`end_date`
/// (on `requested_datetime`, at most 90 days apart; the last 90 days by default).
pub async fn requests(
    app: &App,
    params: &HashMap<String, String>,
) -> Result<Document, Open311Error> {
    check_query(params, REQUEST_FILTERS)?;
    let filters = Filters::parse(params, app.clock.now())?;
    let directory = app.directory.current().await;
    if let Some(ids) = &filters.ids {
        let mut out = Vec::new();
        for id in ids {
            if let Some(report) = find(app, id).await? {
                out.push(ServiceRequest::of(&report, &directory));
            }
        }
        return Ok(requests_document(&out));
    }
    let Filters {
        kinds,
        statuses,
        start,
        end,
        ..
    } = filters;
    if start > end {
        // An empty range: nothing was requested in it.
        return Ok(requests_document(&[]));
    }
    let mut out = Vec::new();
    let mut cursor: Option<ListCursor> = None;
    'pages: loop {
        let page = app
            .store
            .list(&ListQuery {
                // The index holds public reports only (a filter on its own key is refused).
                list: ReportList::Public,
                status: None,
                public_only: false,
                cursor: cursor.take(),
                limit: 100,
            })
            .await
            .map_err(ServiceError::from)?;
        for report in &page.reports {
            if report.created_at < start {
                // Newest first: everything after this is older still.
                break 'pages;
            }
            // Checked again: a store bug must never publish a confidential report.
            let wanted = report.is_public()
                && report.created_at <= end
                && kinds.as_ref().is_none_or(|k| k.contains(&report.kind))
                && statuses
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|s| s == open311_status(report.status)));
            if wanted {
                out.push(ServiceRequest::of(report, &directory));
                if out.len() == MAX_REQUESTS {
                    break 'pages;
                }
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(requests_document(&out))
}

/// The filters of `GET requests`, read and checked. `discovery` and `services` check them too
/// (and ignore them), so a value that is not one is a 400 on every call of the route.
struct Filters {
    ids: Option<Vec<String>>,
    kinds: Option<Vec<ReportKind>>,
    statuses: Option<Vec<String>>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Filters {
    fn parse(
        params: &HashMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<Filters, Open311Error> {
        let ids = match param(params, "service_request_id") {
            Some(ids) if ids.chars().count() > MAX_IDS_CHARS => {
                return Err(Open311Error::bad(format!(
                    "service_request_id: at most {MAX_IDS_CHARS} characters (50 ids)"
                )))
            }
            Some(ids) => {
                let ids: Vec<String> = ids
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                if ids.is_empty() {
                    return Err(Open311Error::bad("service_request_id: no id given"));
                }
                Some(ids)
            }
            None => None,
        };
        let kinds = list_of(params, "service_code", ReportKind::parse)?;
        let statuses = list_of(params, "status", |s| match s {
            "open" | "closed" => Some(s.to_string()),
            _ => None,
        })?;
        let date = |name: &str| {
            param(params, name)
                .map(|text| {
                    DateTime::parse_from_rfc3339(text)
                        .map(|d| d.with_timezone(&Utc))
                        .map_err(|_| {
                            Open311Error::bad(format!(
                                "{name} must be a W3C datetime such as 2026-01-01T00:00:00Z"
                            ))
                        })
                })
                .transpose()
        };
        let range = chrono::Duration::days(DEFAULT_RANGE_DAYS);
        let (start, end) = match (date("start_date")?, date("end_date")?) {
            // A range may span 90 days: a longer one is cut to the 90 days up to end_date.
            (Some(s), Some(e)) => (s.max(e - range), e),
            (Some(s), None) => (s, s + range),
            (None, Some(e)) => (e - range, e),
            (None, None) => (now - range, now),
        };
        Ok(Filters {
            ids,
            kinds,
            statuses,
            start,
            end,
        })
    }
}

/// A comma list parameter, each item parsed; an item that does not parse is a 400.
fn list_of<T>(
    params: &HashMap<String, String>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<Vec<T>>, Open311Error> {
    let Some(text) = param(params, name) else {
        return Ok(None);
    };
    let items = text
        .split(',')
        .map(str::trim)
        .map(|item| {
            parse(item).ok_or_else(|| {
                Open311Error::bad(format!("{name}: `{item}` is not one this endpoint knows"))
            })
        })
        .collect::<Result<Vec<T>, _>>()?;
    Ok(Some(items))
}

/// `GET tokens/{token}`: we create ids at once, so the token a POST answers is the tracking id
/// itself; this answers it with its `service_request_id`.
pub async fn token(
    app: &App,
    token: &str,
    params: &HashMap<String, String>,
) -> Result<Document, Open311Error> {
    check_query(params, &[])?;
    let report = find(app, token)
        .await?
        .ok_or_else(|| Open311Error::not_found("token not found"))?;
    let id = report.tracking_id.to_string();
    Ok(Document {
        json: json!([{"service_request_id": id, "token": id}]),
        xml: Node::Element(
            "service_requests",
            vec![Node::Element(
                "request",
                vec![
                    Node::text("service_request_id", id.clone()),
                    Node::text("token", id),
                ],
            )],
        ),
    })
}

// ------------------------------------------------------------------ POST requests

/// The parameters `POST requests` takes (besides `attribute[code]`).
const POST_FIELDS: &[&str] = &[
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
];

/// `POST requests`: a form (`application/x-www-form-urlencoded`) from an institution's system
/// with its `api_key`, submitted as an ordinary report through the same intake as
/// `POST /v1/reports` (validated, stored, routed, tracked, escalated). Answers the new
/// `service_request_id` (our tracking id; also its `token`).
///
/// Mapping: `service_code` -> kind, `description` -> body, `address_string` -> location text,
/// `lat`/`long` -> position, `first_name`+`last_name`, `email`, `phone` -> the reporter's
/// contact (sealed, never shown), `attribute[title|category|region_code|incident_date|
/// target_agency|anonymous|confidential]` -> those fields; without a title the description's
/// first line is the title. `device_id` and `account_id` are the client's own and not kept;
/// `address_id` and `media_url` cannot be honoured yet and are refused.
pub async fn submit(
    app: &App,
    keys: &dyn ApiKeyStore,
    params: &HashMap<String, String>,
    body: &[u8],
) -> Result<Document, Open311Error> {
    // The fields come in the body; the query may carry only the jurisdiction.
    check_query(params, &[])?;
    let form = parse_form(body)?;
    let presented = form.get("api_key").map(String::as_str).unwrap_or_default();
    let key = keys::submitter(keys, presented)
        .await
        .map_err(ServiceError::from)?
        .ok_or_else(|| Open311Error::new(403, "api_key is missing or not valid"))?;
    if let Some(j) = form.get("jurisdiction_id").map(|j| j.trim()) {
        if !j.is_empty() && j != JURISDICTION {
            return Err(Open311Error::not_found(format!(
                "jurisdiction_id not found: this endpoint serves {JURISDICTION}"
            )));
        }
    }
    let submission = submission_of(&form)?;
    let body = serde_json::to_vec(&submission).expect("a submission serialises");
    let submitted = crate::service::intake::submit(app, &body, None).await?;
    // The access token is not given out: the reporter follows the report by its tracking id
    // (and the notices to a contact given), the institution's system by GET requests/{id}.
    let id = submitted.tracking_id.to_string();
    tracing::info!(tracking_id = %id, submitted_by = %key.name, "open311 request submitted");
    let notice = "Laporan diterima. Lacak dengan nomor laporan ini di LAPOR!";
    Ok(Document {
        json: json!([{
            "service_request_id": id,
            "token": id,
            "service_notice": notice,
            "account_id": null,
        }]),
        xml: Node::Element(
            "service_requests",
            vec![Node::Element(
                "request",
                vec![
                    Node::text("service_request_id", id.clone()),
                    Node::text("token", id),
                    Node::text("service_notice", notice),
                    Node::text("account_id", ""),
                ],
            )],
        ),
    })
}

/// The form's fields; a field given twice or one the specification does not define is a 400.
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, Open311Error> {
    if body.len() > crate::api::limits::MAX_BODY_BYTES {
        return Err(Open311Error::bad(format!(
            "the request is larger than {} bytes",
            crate::api::limits::MAX_BODY_BYTES
        )));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
        Open311Error::bad("the body must be a form (application/x-www-form-urlencoded)")
    })?;
    let mut form = HashMap::new();
    for (name, value) in pairs {
        let known = POST_FIELDS.contains(&name.as_str())
            || attribute_code(&name)
                .is_some_and(|code| attributes().iter().any(|a| a.code == code));
        if !known {
            return Err(Open311Error::bad(format!(
                "unknown field `{name}` (see GET services/{{service_code}} for the attributes)"
            )));
        }
        if form.insert(name.clone(), value).is_some() {
            return Err(Open311Error::bad(format!(
                "`{name}` is given more than once"
            )));
        }
    }
    Ok(form)
}

fn attribute_code(name: &str) -> Option<&str> {
    name.strip_prefix("attribute[")?.strip_suffix(']')
}

/// The form as the JSON of `POST /v1/reports` (which validates it, field by field).
fn submission_of(form: &HashMap<String, String>) -> Result<Value, Open311Error> {
    let get = |name: &str| form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let attribute = |code: &str| get(&format!("attribute[{code}]"));
    let mut errors = Vec::new();
    for refused in ["address_id", "media_url"] {
        if get(refused).is_some() {
            errors.push(format!(
                "{refused}: not accepted here yet (send address_string or lat/long; no attachments)"
            ));
        }
    }
    let service_code = match get("service_code") {
        None => {
            errors.push("service_code: is required".into());
            None
        }
        Some(code) => match ReportKind::parse(code) {
            Some(kind) => Some(kind),
            None => {
                errors.push(format!(
                    "service_code: must be one of {}",
                    services_list()
                        .iter()
                        .map(|s| s.service_code)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                None
            }
        },
    };
    let number = |name: &str, errors: &mut Vec<String>| {
        get(name).and_then(|v| match v.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                errors.push(format!("{name}: must be a decimal number"));
                None
            }
        })
    };
    let lat = number("lat", &mut errors);
    let long = number("long", &mut errors);
    let address = get("address_string");
    if lat.is_none() && long.is_none() && address.is_none() && errors.is_empty() {
        errors.push("a location is required: lat and long, or address_string".into());
    }
    let flag = |code: &str, errors: &mut Vec<String>| match attribute(code) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            errors.push(format!("attribute[{code}]: must be true or false"));
            None
        }
    };
    let anonymous = flag("anonymous", &mut errors);
    let confidential = flag("confidential", &mut errors);
    if !errors.is_empty() {
        return Err(Open311Error {
            code: 400,
            descriptions: errors,
        });
    }
    let description = get("description").unwrap_or_default();
    let title = attribute("title")
        .map(str::to_string)
        .unwrap_or_else(|| title_from(description, service_code.expect("checked")));
    let name = [get("first_name"), get("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut reporter = serde_json::Map::new();
    if !name.is_empty() {
        reporter.insert("name".into(), name.into());
    }
    if let Some(email) = get("email") {
        reporter.insert("email".into(), email.into());
    }
    if let Some(phone) = get("phone") {
        reporter.insert("phone".into(), phone.into());
    }
    let mut submission = json!({
        "kind": service_code.expect("checked").as_str(),
        "title": title,
        "body": description,
        "channel": "web",
    });
    let fields = [
        ("category", attribute("category")),
        ("region_code", attribute("region_code")),
        ("incident_date", attribute("incident_date")),
        ("target_agency", attribute("target_agency")),
        ("location_text", address),
    ];
    for (field, value) in fields {
        if let Some(value) = value {
            submission[field] = value.into();
        }
    }
    if let (Some(lat), Some(long)) = (lat, long) {
        submission["lat"] = lat.into();
        submission["lon"] = long.into();
    } else if lat.is_some() || long.is_some() {
        // Let intake name the missing half.
        submission["lat"] = lat.map_or(Value::Null, Value::from);
        submission["lon"] = long.map_or(Value::Null, Value::from);
    }
    if !reporter.is_empty() {
        submission["reporter"] = Value::Object(reporter);
    }
    if let Some(anonymous) = anonymous {
        submission["anonymous"] = anonymous.into();
    }
    if let Some(confidential) = confidential {
        submission["confidential"] = confidential.into();
    }
    Ok(submission)
}

/// A title for a request that brought none: the description's first line, cut at a word
/// within 150 characters; a line too short for a title gets the service's name before it.
fn title_from(description: &str, kind: ReportKind) -> String {
    let first_line = description.lines().next().unwrap_or_default().trim();
    let max = *crate::api::limits::TITLE_CHARS.end();
    let mut title = String::new();
    for word in first_line.split_whitespace() {
        let extra = usize::from(!title.is_empty()) + word.chars().count();
        if title.chars().count() + extra > max {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        title = first_line.chars().take(max).collect();
    }
    if title.chars().count() < *crate::api::limits::TITLE_CHARS.start() {
        let prefixed = format!("{}: {title}", service_of(kind).service_name);
        return prefixed.chars().take(max).collect();
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_choose_the_format() {
        assert_eq!(
            split_file("services.json"),
            Some(("services", Format::Json))
        );
        assert_eq!(split_file("ABC.xml"), Some(("ABC", Format::Xml)));
        assert_eq!(split_file("services"), None);
        assert_eq!(split_file("services.html"), None);
    }

    #[test]
    fn statuses_map_to_open_and_closed() {
        for status in Status::ALL {
            let expected = if matches!(status, Status::Closed | Status::Archived) {
                "closed"
            } else {
                "open"
            };
            assert_eq!(open311_status(status), expected, "{status:?}");
        }
    }

    #[test]
    fn a_title_is_made_from_the_description() {
        let long = "kata ".repeat(60);
        let t = title_from(&long, ReportKind::Complaint);
        assert!(t.chars().count() <= 150 && t.ends_with("kata"), "{t}");
        assert_eq!(
            title_from("Gang\nrusak parah di depan pasar", ReportKind::Complaint),
            "Pengaduan: Gang"
        );
    }

    #[test]
    fn errors_are_the_specification_s_array() {
        let e = Open311Error::new(403, "api_key is missing or not valid");
        let json = e.answer(Format::Json);
        assert_eq!(json.status, 403);
        assert_eq!(
            json.body,
            r#"[{"code":403,"description":"api_key is missing or not valid"}]"#
        );
        assert!(e
            .answer(Format::Xml)
            .body
            .ends_with("<errors><error><code>403</code><description>api_key is missing or not valid</description></error></errors>"));
    }
}
