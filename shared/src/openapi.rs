//! The OpenAPI 3.1 document of the JSON API, `GET /v1/openapi.json` (served by the status
//! function and by `lapor-local`).
//!
//! It is derived from the code: the request and response types carry `utoipa::ToSchema` (under
//! this crate's `openapi` feature, so only the function that serves the document carries it),
//! with their serde attributes (`deny_unknown_fields` becomes `additionalProperties: false`) and
//! their limits. The operations below say what each route takes and answers; the handlers that
//! serve them live in `functions/*` and dispatch on the same route keys. Tests hold the document to
//! the template's routes (`tests/tests/it/openapi.rs`) and schemathesis holds it to the running
//! service.
//!
//! Another part of the API registers its operations with one line in [`PARTS`].

use crate::error::FieldError;
use serde::Serialize;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, Type,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

/// The security schemes' names, as operations name them.
pub const REPORTER_TOKEN: &str = "reporter_token";
pub const STAFF_TOKEN: &str = "staff_token";
pub const SMS_SIGNATURE: &str = "sms_signature";
pub const SMS_TIMESTAMP: &str = "sms_timestamp";
pub const X_SIGNATURE: &str = "x_signature";
pub const META_SIGNATURE: &str = "meta_signature";

/// The document's other parts: each a function giving an `OpenApi` (`SomeDoc::openapi`) merged
/// into the JSON API's. A new family of routes adds its line here.
pub const PARTS: &[fn() -> utoipa::openapi::OpenApi] = &[crate::open311::openapi::part];

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = JsonApi::openapi();
    for part in PARTS {
        doc.merge(part());
    }
    doc
}

/// The document as served: JSON, built once per process.
pub fn document_json() -> serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT
        .get_or_init(|| {
            let mut doc =
                serde_json::to_value(document()).expect("the OpenAPI document serialises");
            parameters_without_null(&mut doc);
            doc
        })
        .clone()
}

/// A parameter that is not required is absent or has a value: `null` is no value a header or
/// query string can carry (utoipa writes an `Option` parameter's type as `[T, "null"]`).
fn parameters_without_null(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(|p| p.as_array_mut())
            else {
                continue;
            };
            for parameter in parameters {
                let schema = &mut parameter["schema"];
                if let Some(types) = schema.get("type").and_then(|t| t.as_array()) {
                    let kept: Vec<serde_json::Value> =
                        types.iter().filter(|t| *t != "null").cloned().collect();
                    schema["type"] = match kept.as_slice() {
                        [one] => one.clone(),
                        _ => serde_json::Value::Array(kept),
                    };
                }
                if let Some(one_of) = schema.get("oneOf").and_then(|o| o.as_array()) {
                    let kept: Vec<serde_json::Value> = one_of
                        .iter()
                        .filter(|s| s.get("type").is_none_or(|t| t != "null"))
                        .cloned()
                        .collect();
                    if let [one] = kept.as_slice() {
                        *schema = one.clone();
                    }
                }
            }
        }
    }
}

/// Every error's body: `{"error": "<code>", "message": "...", "fields": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorCode,
    /// A sentence in English for a developer; never the data sent.
    pub message: String,
    /// With `validation_failed`: every failing field, named as the request names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldError>>,
}

/// The stable codes of [`ErrorBody::error`] (the README's table).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedJson,
    InvalidUtf8,
    InvalidType,
    InvalidIdempotencyKey,
    InvalidQuery,
    MalformedPayload,
    InvalidCrcToken,
    Unauthorized,
    Forbidden,
    NotFound,
    IdempotencyKeyReused,
    InvalidTransition,
    Conflict,
    AlreadyDone,
    NotForThisReport,
    ActionIdReused,
    TooManyAttempts,
    PayloadTooLarge,
    ValidationFailed,
    Unavailable,
    Internal,
}

/// `POST /v1/agency/reports/{tracking_id}/actions`: one of the lifecycle's actions
/// ([`crate::lifecycle::Action`], named by `action`) with the client's `action_id`, in one
/// object, and nothing else (unknown fields are refused).
pub struct ActionRequest;

impl utoipa::PartialSchema for ActionRequest {
    fn schema() -> RefOr<Schema> {
        let action_id = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(*crate::service::actions::ACTION_ID_CHARS.start()))
            .max_length(Some(*crate::service::actions::ACTION_ID_CHARS.end()))
            .pattern(Some(r"^[!-~]+$"))
            .description(Some(
                "Visible ASCII (`!` to `~`), unique per action (a UUID will do), the same on a \
                 retry.",
            ))
            .build();
        let mut schema = <crate::lifecycle::Action as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::OneOf(one_of)) = &mut schema {
            for variant in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = variant {
                    object.properties.insert(
                        "action_id".into(),
                        RefOr::T(Schema::Object(action_id.clone())),
                    );
                    object.required.push("action_id".into());
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
        schema
    }
}

impl ToSchema for ActionRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <crate::lifecycle::Action as ToSchema>::schemas(schemas);
    }
}

/// `POST /v1/routing/suggestions`: a draft, a report's fields of which only `body` is required
/// (no `kind` is read as a complaint; `title` is optional).
pub struct RoutingDraft;

impl utoipa::PartialSchema for RoutingDraft {
    fn schema() -> RefOr<Schema> {
        let mut schema = crate::domain::submission::Submission::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required.retain(|field| field == "body");
            for optional in ["kind", "title"] {
                if let Some(field) = object.properties.get_mut(optional) {
                    // Absent or `null`, as any optional field.
                    let any = AnyOfBuilder::new()
                        .item(field.clone())
                        .item(ObjectBuilder::new().schema_type(Type::Null).build())
                        .build();
                    *field = RefOr::T(Schema::AnyOf(any));
                }
            }
            object.description = Some("A draft report: only `body` is required.".into());
        }
        schema
    }
}

impl ToSchema for RoutingDraft {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        collect::<crate::domain::submission::Submission>(schemas);
    }
}

/// What an officer's or verifier's action answers: the report as they now see it, or, when
/// their `forward` took it away, only where it went.
#[derive(ToSchema)]
pub struct Acted {
    /// True when the `action_id` was seen before: nothing new happened.
    pub replayed: bool,
    pub report: ActedReport,
}

/// [`crate::service::inbox::StaffView`], or [`MovedReport`] (any of: a staff view has the moved
/// report's fields too).
pub struct ActedReport;

impl utoipa::PartialSchema for ActedReport {
    fn schema() -> RefOr<Schema> {
        any_of(&["StaffView", "MovedReport"])
    }
}

impl ToSchema for ActedReport {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        collect::<crate::service::inbox::StaffView>(schemas);
        collect::<MovedReport>(schemas);
    }
}

/// A report the actor can no longer see (their `forward` took it away).
#[derive(Serialize, ToSchema)]
pub struct MovedReport {
    pub tracking_id: crate::domain::TrackingId,
    pub status: crate::domain::Status,
    pub agency_id: Option<String>,
}

/// What anyone sees of any report: its status. [`crate::service::views::PublicView`] always
/// has these; its content ([`crate::service::views::PublicContent`], flattened) only for a
/// report the feed may list.
#[derive(Serialize, ToSchema)]
pub struct PublicStatus {
    pub tracking_id: crate::domain::TrackingId,
    pub status: crate::domain::Status,
    pub status_label: crate::domain::report::StatusLabel,
    /// When the current step is due (Open311's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_step: Option<crate::deadlines::Step>,
    pub confidential: bool,
}

impl utoipa::PartialSchema for crate::service::views::PublicView {
    fn schema() -> RefOr<Schema> {
        // The status alone, nothing more; or the status with the content.
        let status = PublicStatus::schema();
        let mut alone = status.clone();
        if let RefOr::T(Schema::Object(object)) = &mut alone {
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
        let with_content = AllOfBuilder::new()
            .item(status)
            .item(Ref::from_schema_name("PublicContent"));
        RefOr::T(Schema::AnyOf(
            AnyOfBuilder::new().item(alone).item(with_content).build(),
        ))
    }
}

impl ToSchema for crate::service::views::PublicView {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        collect::<PublicStatus>(schemas);
        collect::<crate::service::views::PublicContent>(schemas);
    }
}

/// `GET /v1/reports/{tracking_id}`: the public view, or with the reporter's token their own.
pub struct ReportView;

impl utoipa::PartialSchema for ReportView {
    fn schema() -> RefOr<Schema> {
        any_of(&["PublicView", "ReporterView"])
    }
}

impl ToSchema for ReportView {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        collect::<crate::service::views::PublicView>(schemas);
        collect::<crate::service::views::ReporterView<'static>>(schemas);
    }
}

/// A reporter's action answers their view of the report, and whether it was a replay.
#[derive(Serialize, ToSchema)]
pub struct ReporterActed {
    #[serde(flatten)]
    pub view: crate::service::views::ReporterView<'static>,
    /// True when the `Idempotency-Key` was seen before: nothing new happened.
    pub replayed: bool,
}

/// A channel's webhook: what became of the one SMS, or of each message (X and Meta).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum WebhookAnswer {
    Sms(crate::service::channels::Handled),
    Events(HandledEvents),
}

#[derive(Serialize, ToSchema)]
pub struct HandledEvents {
    /// Per message, in order: `report_created`, `reply_recorded`, `status_answered`,
    /// `help_sent`, `part_stored`, `duplicate`, or `stale` (older than 14 days).
    pub handled: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CrcResponse {
    /// `sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>`.
    pub response_token: String,
}

/// A schema that is any of the named components (several may match).
fn any_of(names: &[&str]) -> RefOr<Schema> {
    let any = names.iter().fold(AnyOfBuilder::new(), |any, name| {
        any.item(Ref::from_schema_name(*name))
    });
    RefOr::T(Schema::AnyOf(any.build()))
}

/// `T`'s schema and those it refers to, as a derived `ToSchema` collects them.
fn collect<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((T::name().into(), T::schema()));
    T::schemas(schemas);
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "LAPOR",
        description = "Indonesia's national public-complaint system (SP4N-LAPOR!): reports, the \
                       reporter's actions, the officers' and verifiers' lifecycle, the institution \
                       directory, routing suggestions and the channels' webhooks.",
        license(name = "Apache-2.0")
    ),
    paths(
        operations::submit_report,
        operations::public_feed,
        operations::get_report,
        operations::reply,
        operations::rate,
        operations::withdraw,
        operations::confirm_contact,
        operations::support,
        operations::attach,
        operations::staff_list,
        operations::staff_report,
        operations::staff_action,
        operations::staff_attach,
        operations::search_agencies,
        operations::get_agency,
        operations::suggest_routing,
        operations::channel_get,
        operations::channel_post,
        operations::openapi_document,
        operations::statistics,
        operations::export_public_record,
    ),
    components(schemas(ErrorBody, FieldError)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "reports", description = "Submitting and following a report"),
        (name = "reporter", description = "The reporter's actions, with the access token"),
        (name = "staff", description = "Officers and verifiers (a staff JWT)"),
        (name = "directory", description = "Institutions and routing suggestions"),
        (name = "channels", description = "Providers' webhooks, signed"),
        (name = "figures", description = "Statistics and the public record, for everyone"),
    )
)]
struct JsonApi;

/// The security schemes: the reporter's access token and the staff JWT as bearer tokens, the
/// providers' signatures as header keys.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str, format: Option<&str>| {
            let mut http = HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(description));
            if let Some(format) = format {
                http = http.bearer_format(format);
            }
            SecurityScheme::Http(http.build())
        };
        let header = |name: &str, description: &str| {
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                name,
                description,
            )))
        };
        components.add_security_scheme(
            REPORTER_TOKEN,
            bearer(
                "The access token `POST /v1/reports` answered once (only its hash is stored).",
                None,
            ),
        );
        components.add_security_scheme(
            STAFF_TOKEN,
            bearer(
                "An officer's or verifier's ID token from the identity provider (Cognito), \
                 checked by API Gateway's JWT authorizer: `custom:role`, `custom:agency_id`.",
                Some("JWT"),
            ),
        );
        components.add_security_scheme(
            SMS_SIGNATURE,
            header(
                "X-Lapor-Signature",
                "`sha256=<hex HMAC-SHA256(secret, \"<timestamp>.<body>\")>`, with \
                 X-Lapor-Timestamp.",
            ),
        );
        components.add_security_scheme(
            SMS_TIMESTAMP,
            header(
                "X-Lapor-Timestamp",
                "Unix seconds of the signature; more than 5 minutes off is refused.",
            ),
        );
        components.add_security_scheme(
            X_SIGNATURE,
            header(
                "x-twitter-webhooks-signature",
                "`sha256=<base64 HMAC-SHA256(consumer secret, body)>` (X Account Activity API).",
            ),
        );
        components.add_security_scheme(
            META_SIGNATURE,
            header(
                "X-Hub-Signature-256",
                "`sha256=<hex HMAC-SHA256(app secret, body)>` (Messenger, WhatsApp Cloud API).",
            ),
        );
    }
}

/// The operations: what each route takes and answers. Their handlers are in `functions/*`
/// (intake, status, reporter, agency, directory, channels), which dispatch on these route keys.
#[allow(dead_code)]
mod operations {
    use super::*;
    use crate::domain::submission::Submission;
    use crate::service::actions::{RateBody, ReplyBody, WithdrawBody};
    use crate::service::agencies::{AgencyDetail, SearchPage, Suggestion};
    use crate::service::contact::ConfirmBody;
    use crate::service::inbox::{ListResponse, StaffView};
    use crate::service::intake::Submitted;

    const IDEMPOTENCY_KEY: &str = "A UUID, or 22-128 characters of A-Z a-z 0-9 - _ (128 random \
                                   bits at least): a retry with the same key and body acts once. \
                                   Anything else is 400 invalid_idempotency_key.";

    #[utoipa::path(
        post, path = "/v1/reports", tag = "reports", operation_id = "submit_report",
        params(
            ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY,
             pattern = r"^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[A-Za-z0-9_-]{22,128})$"),
        ),
        request_body(content = Submission, content_type = "application/json"),
        responses(
            (status = 201, description = "Stored and queued for routing; the access token is \
              shown once (and to a retry with the same key within 10 minutes).", body = Submitted,
             links(
                ("view" = (operation_id = "get_report",
                    parameters(("tracking_id" = "$response.body#/tracking_id")))),
                ("view_as_reporter" = (operation_id = "get_report",
                    parameters(("tracking_id" = "$response.body#/tracking_id"),
                               ("header.Authorization" = "Bearer {$response.body#/access_token}")))),
                ("reply" = (operation_id = "reply",
                    parameters(("tracking_id" = "$response.body#/tracking_id"),
                               ("header.Authorization" = "Bearer {$response.body#/access_token}")))),
                ("rate" = (operation_id = "rate",
                    parameters(("tracking_id" = "$response.body#/tracking_id"),
                               ("header.Authorization" = "Bearer {$response.body#/access_token}")))),
                ("withdraw" = (operation_id = "withdraw",
                    parameters(("tracking_id" = "$response.body#/tracking_id"),
                               ("header.Authorization" = "Bearer {$response.body#/access_token}")))),
                ("staff_view" = (operation_id = "staff_report",
                    parameters(("tracking_id" = "$response.body#/tracking_id")))),
            )),
            (status = 400, description = "Not JSON, not an object, wrong types, unknown fields, \
              a bad Idempotency-Key", body = ErrorBody),
            (status = 409, description = "The Idempotency-Key was used with another body",
             body = ErrorBody),
            (status = 413, description = "Body over 64 KiB", body = ErrorBody),
            (status = 422, description = "Every failing field named", body = ErrorBody),
            (status = 503, description = "A store or queue is down: retry with the same key",
             body = ErrorBody),
        )
    )]
    fn submit_report() {}

    #[utoipa::path(
        get, path = "/v1/reports", tag = "reports", operation_id = "public_feed",
        params(
            ("agency" = Option<String>, Query, description = "An institution's id"),
            ("status" = Option<crate::domain::Status>, Query),
            ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before"),
            ("limit" = Option<u32>, Query, minimum = 1, maximum = 100),
        ),
        responses(
            (status = 200, description = "Newest first; follow `next_cursor` until it is absent",
             body = ListResponse),
            (status = 400, description = "An unknown or repeated parameter, a status, limit or \
              cursor that is not one", body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn public_feed() {}

    #[utoipa::path(
        get, path = "/v1/reports/{tracking_id}", tag = "reports", operation_id = "get_report",
        params(("tracking_id" = String, Path, description = "Ten symbols of Crockford's base32, \
                 any case, dashes and spaces ignored")),
        security((), ("reporter_token" = [])),
        responses(
            (status = 200, description = "The public view, or the reporter's own with their token",
             body = ReportView,
             links(
                ("reply" = (operation_id = "reply",
                    parameters(("tracking_id" = "$request.path.tracking_id")))),
             )),
            (status = 401, description = "An Authorization that is not this report's token",
             body = ErrorBody),
            (status = 404, description = "Unknown or malformed tracking id (the same answer)",
             body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn get_report() {}

    #[utoipa::path(
        post, path = "/v1/reports/{tracking_id}/replies", tag = "reporter", operation_id = "reply",
        params(
            ("tracking_id" = String, Path),
            ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY,
             pattern = r"^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[A-Za-z0-9_-]{22,128})$"),
        ),
        request_body(content = ReplyBody, content_type = "application/json"),
        security(("reporter_token" = [])),
        responses(
            (status = 200, body = ReporterActed,
             links(
                ("rate" = (operation_id = "rate",
                    parameters(("tracking_id" = "$request.path.tracking_id")))),
             )),
            (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
            (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn reply() {}

    #[utoipa::path(
        post, path = "/v1/reports/{tracking_id}/rating", tag = "reporter", operation_id = "rate",
        params(
            ("tracking_id" = String, Path),
            ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY,
             pattern = r"^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[A-Za-z0-9_-]{22,128})$"),
        ),
        request_body(content = RateBody, content_type = "application/json"),
        security(("reporter_token" = [])),
        responses(
            (status = 200, body = ReporterActed),
            (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "Not responded or closed; rated already",
             body = ErrorBody),
            (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn rate() {}

    #[utoipa::path(
        post, path = "/v1/reports/{tracking_id}/withdraw", tag = "reporter",
        operation_id = "withdraw",
        params(
            ("tracking_id" = String, Path),
            ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY,
             pattern = r"^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[A-Za-z0-9_-]{22,128})$"),
        ),
        request_body(content = Option<WithdrawBody>, content_type = "application/json",
                     description = "May be empty, or `null`"),
        security(("reporter_token" = [])),
        responses(
            (status = 200, body = ReporterActed),
            (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
            (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn withdraw() {}

    #[utoipa::path(
        post, path = "/v1/reports/{tracking_id}/contact/confirm", tag = "reporter",
        operation_id = "confirm_contact",
        params(("tracking_id" = String, Path)),
        request_body(content = ConfirmBody, content_type = "application/json"),
        security(("reporter_token" = [])),
        responses(
            (status = 200, description = "Confirmed: the reporter's view",
             body = crate::service::views::ReporterView),
            (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "`already_done` (nothing to confirm) or \
              `too_many_attempts` (5 wrong codes)", body = ErrorBody),
            (status = 413, body = ErrorBody),
            (status = 422, description = "A wrong code, naming `code`", body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn confirm_contact() {}

    #[utoipa::path(
        post, path = "/v1/reports/{tracking_id}/support", tag = "reporter",
        operation_id = "support",
        params(("tracking_id" = String, Path, description = "The report to support")),
        request_body(content = crate::service::support::SupportBody,
                     content_type = "application/json"),
        security(("reporter_token" = [])),
        responses(
            (status = 200, description = "Counted (`counted: true`), or counted already \
              (`counted: false`): once per person; the supporter's own report's contact hears \
              its answers", body = crate::service::support::Supported),
            (status = 400, body = ErrorBody),
            (status = 401, description = "No access token, or not `from_report`'s",
             body = ErrorBody),
            (status = 404, description = "No such `from_report`, or no public report to \
              support (unverified, confidential or archived ones are not told apart)",
             body = ErrorBody),
            (status = 409, description = "`own_report`, `from_report_not_held`, \
              `contact_unconfirmed`, `not_open` (closed), `too_many_supporters` (500), \
              `conflict`", body = ErrorBody),
            (status = 413, body = ErrorBody),
            (status = 422, body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn support() {}

    #[utoipa::path(
        post, path = "/v1/reports/{tracking_id}/attachments", tag = "reporter",
        operation_id = "attach",
        params(("tracking_id" = String, Path)),
        request_body(content = crate::service::attachments::UploadBody,
                     content_type = "application/json"),
        security(("reporter_token" = [])),
        responses(
            (status = 201, description = "A pending attachment and where to send its bytes \
              (exactly that method, URL and headers, before `expires_at`); it becomes \
              `available` once checked", body = crate::service::attachments::UploadGranted),
            (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "`too_many_attachments` (5), `not_open`, `conflict`",
             body = ErrorBody),
            (status = 413, body = ErrorBody),
            (status = 422, description = "`content_type` (JPEG, PNG, WebP or PDF; no PDF on \
              an anonymous report) or `size` (1 byte to the limit)", body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn attach() {}

    #[utoipa::path(
        get, path = "/v1/agency/reports", tag = "staff", operation_id = "staff_list",
        params(
            ("status" = Option<crate::domain::Status>, Query),
            ("cursor" = Option<String>, Query),
            ("limit" = Option<u32>, Query, minimum = 1, maximum = 100),
            ("box" = Option<String>, Query, description = "Officers: `institution` (default) or \
              `work_unit`", pattern = "^(institution|work_unit)$"),
            ("agency" = Option<String>, Query, description = "Verifiers: an institution's inbox \
              instead of the triage queue"),
        ),
        security(("staff_token" = [])),
        responses(
            (status = 200, body = ListResponse),
            (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
            (status = 403, body = ErrorBody), (status = 503, body = ErrorBody),
        )
    )]
    fn staff_list() {}

    #[utoipa::path(
        get, path = "/v1/agency/reports/{tracking_id}", tag = "staff",
        operation_id = "staff_report",
        params(("tracking_id" = String, Path)),
        security(("staff_token" = [])),
        responses(
            (status = 200, body = StaffView),
            (status = 401, body = ErrorBody),
            (status = 403, description = "Not held by the officer's institution or unit",
             body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 503, body = ErrorBody),
        )
    )]
    fn staff_report() {}

    #[utoipa::path(
        post, path = "/v1/agency/reports/{tracking_id}/actions", tag = "staff",
        operation_id = "staff_action",
        params(("tracking_id" = String, Path)),
        request_body(content = ActionRequest, content_type = "application/json"),
        security(("staff_token" = [])),
        responses(
            (status = 200, body = Acted),
            (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
            (status = 403, description = "The wrong role or institution", body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "`invalid_transition`, `conflict`, `already_done`, \
              `not_for_this_report`, `action_id_reused`", body = ErrorBody),
            (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn staff_action() {}

    #[utoipa::path(
        post, path = "/v1/agency/reports/{tracking_id}/attachments", tag = "staff",
        operation_id = "staff_attach",
        params(("tracking_id" = String, Path)),
        request_body(content = crate::service::attachments::UploadBody,
                     content_type = "application/json"),
        security(("staff_token" = [])),
        responses(
            (status = 201, body = crate::service::attachments::UploadGranted),
            (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
            (status = 403, description = "Not an officer of the institution holding the report",
             body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "`too_many_attachments` (5), `not_open`, `conflict`",
             body = ErrorBody),
            (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn staff_attach() {}

    #[utoipa::path(
        get, path = "/v1/agencies", tag = "directory", operation_id = "search_agencies",
        params(
            ("q" = Option<String>, Query, max_length = 100,
             pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", description = "Name, acronym, \
              alias or former name; case and diacritics ignored; no control characters"),
            ("limit" = Option<u32>, Query, minimum = 1, maximum = 100),
            ("offset" = Option<u32>, Query, minimum = 0, maximum = 10000),
        ),
        responses(
            (status = 200, body = SearchPage),
            (status = 400, description = "An unknown or repeated parameter, a value out of range",
             body = ErrorBody),
        )
    )]
    fn search_agencies() {}

    #[utoipa::path(
        get, path = "/v1/agencies/{agency_id}", tag = "directory", operation_id = "get_agency",
        params(("agency_id" = String, Path)),
        responses(
            (status = 200, body = AgencyDetail),
            (status = 404, body = ErrorBody),
        )
    )]
    fn get_agency() {}

    #[utoipa::path(
        post, path = "/v1/routing/suggestions", tag = "directory",
        operation_id = "suggest_routing",
        request_body(content = RoutingDraft, content_type = "application/json",
                     description = "A draft: a report's fields, only `body` required"),
        responses(
            (status = 200, body = Suggestion),
            (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
            (status = 422, body = ErrorBody), (status = 503, body = ErrorBody),
        )
    )]
    fn suggest_routing() {}

    #[utoipa::path(
        get, path = "/v1/channels/{channel}", tag = "channels", operation_id = "channel_get",
        params(
            ("channel" = String, Path, pattern = "^(sms|x|meta)$"),
            ("crc_token" = Option<String>, Query, description = "X's CRC challenge: 1-128 \
              characters of A-Z a-z 0-9 + / = _ -"),
            ("hub.mode" = Option<String>, Query, description = "Meta's handshake: `subscribe`"),
            ("hub.verify_token" = Option<String>, Query),
            ("hub.challenge" = Option<String>, Query),
        ),
        responses(
            (status = 200, description = "X: `{response_token}`; Meta: the challenge as text",
             content(
                (CrcResponse = "application/json"),
                (String = "text/plain"),
             )),
            (status = 400, body = ErrorBody),
            (status = 403, description = "Meta's verify token does not match", body = ErrorBody),
            (status = 404, description = "No such channel, or not enabled", body = ErrorBody),
        )
    )]
    fn channel_get() {}

    #[utoipa::path(
        post, path = "/v1/channels/{channel}", tag = "channels", operation_id = "channel_post",
        params(("channel" = String, Path, pattern = "^(sms|x|meta)$")),
        request_body(description = "The provider's payload as it sends it (the SMS gateway: \
                                    form-encoded or JSON)",
            content(
                (serde_json::Value = "application/json"),
                (serde_json::Value = "application/x-www-form-urlencoded"),
            )),
        security(
            ("sms_signature" = [], "sms_timestamp" = []),
            ("x_signature" = []),
            ("meta_signature" = []),
        ),
        responses(
            (status = 200, body = WebhookAnswer),
            (status = 400, body = ErrorBody),
            (status = 401, description = "A missing or wrong signature", body = ErrorBody),
            (status = 404, description = "No such channel, or not enabled", body = ErrorBody),
            (status = 409, body = ErrorBody),
            (status = 413, body = ErrorBody), (status = 503, body = ErrorBody),
        )
    )]
    fn channel_post() {}

    #[utoipa::path(
        get, path = "/v1/openapi.json", tag = "reports", operation_id = "openapi_document",
        responses((status = 200, description = "This document", body = serde_json::Value)),
    )]
    fn openapi_document() {}

    const MONTH: &str = "A month as YYYY-MM (WIB), 2000 to 2099. By default the twelve months up \
                         to the current one; at most 60 months at once (422 otherwise).";

    #[utoipa::path(
        get, path = "/v1/stats", tag = "figures", operation_id = "statistics",
        params(
            ("agency" = Option<String>, Query, description = "An institution's id; with neither \
              `agency` nor `region`, the national figures"),
            ("region" = Option<String>, Query, pattern = r"^[0-9]{2}(\.[0-9]{2})?$",
             description = "A province (`32`) or kabupaten/kota (`32.73`) Kemendagri code"),
            ("from" = Option<String>, Query, pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description = MONTH),
            ("to" = Option<String>, Query, pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description = MONTH),
            ("format" = Option<crate::service::stats::FiguresFormat>, Query,
             description = "`json` (default) or `csv`: one row per month, then the total"),
        ),
        responses(
            (status = 200, description = "The reports received in the period and how they \
              fared, in total and month by month, read from counters kept with every change",
             content((crate::service::stats::StatsResponse = "application/json"),
                     (String = "text/csv"))),
            (status = 400, description = "An unknown or repeated parameter, a month that is \
              not one, a kecamatan code, an unknown format", body = ErrorBody),
            (status = 404, description = "No such institution or region", body = ErrorBody),
            (status = 422, description = "`from` after `to`, more than 60 months, `agency` with \
              `region`", body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn statistics() {}

    #[utoipa::path(
        get, path = "/v1/export", tag = "figures", operation_id = "export_public_record",
        params(
            ("agency" = String, Query, description = "The institution's id"),
            ("from" = Option<String>, Query, pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description = MONTH),
            ("to" = Option<String>, Query, pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description = MONTH),
            ("format" = Option<crate::service::stats::ExportFormat>, Query,
             description = "`json` (default), `csv` or `jsonl`; for CSV and JSON Lines the next \
              page's cursor is in the `next-cursor` header"),
            ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before"),
            ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000,
             description = "Rows per page (default 500)"),
        ),
        responses(
            (status = 200, description = "The public reports the institution received in the \
              period, newest first: what the public pages show of each, nothing personal",
             content((crate::service::stats::ExportPage = "application/json"),
                     (String = "text/csv"), (String = "application/jsonl"))),
            (status = 400, description = "No `agency`, an unknown or repeated parameter, a \
              month, limit or cursor that is not one, an unknown format", body = ErrorBody),
            (status = 404, description = "No such institution", body = ErrorBody),
            (status = 422, description = "`from` after `to`, more than 60 months",
             body = ErrorBody),
            (status = 503, body = ErrorBody),
        )
    )]
    fn export_public_record() {}
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_openapi_3_1_with_every_security_scheme() {
        let doc = super::document_json();
        assert_eq!(doc["openapi"], "3.1.0");
        for scheme in [
            super::REPORTER_TOKEN,
            super::STAFF_TOKEN,
            super::SMS_SIGNATURE,
            super::X_SIGNATURE,
            super::META_SIGNATURE,
        ] {
            assert!(
                doc["components"]["securitySchemes"][scheme].is_object(),
                "{scheme}"
            );
        }
    }
}
