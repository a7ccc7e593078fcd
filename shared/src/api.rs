//! The JSON API's edge: the limits of a request, reading a body into a request type, and the one
//! mapping of a service error to HTTP (status, code, body `{"error": "<code>", "message": "...",
//! "fields": [...]}`, never SDK text or internals), with its logging.

pub use crate::error::{FieldError, ServiceError};

/// Limits of `POST /v1/reports` (documented in the README).
pub mod limits {
    /// Whole request body; larger gets 413 before any parsing.
    pub const MAX_BODY_BYTES: usize = 64 * 1024;
    pub const TITLE_CHARS: std::ops::RangeInclusive<usize> = 5..=150;
    pub const BODY_CHARS: std::ops::RangeInclusive<usize> = 20..=8_000;
    pub const CATEGORY_CHARS: usize = 64;
    pub const LOCATION_TEXT_CHARS: usize = 300;
    pub const NAME_CHARS: usize = 100;
    pub const EMAIL_CHARS: usize = 254;
    /// An `Idempotency-Key` that is not a UUID: base64url characters, 128 bits at least.
    pub const IDEMPOTENCY_KEY_CHARS: std::ops::RangeInclusive<usize> = 22..=128;
}

/// The HTTP status of a service error: the one place the JSON API maps them.
pub fn http_status(error: &ServiceError) -> u16 {
    match error {
        ServiceError::BadRequest { .. } => 400,
        ServiceError::Unauthorized => 401,
        ServiceError::Forbidden(_) => 403,
        ServiceError::NotFound(_) => 404,
        ServiceError::Conflict { .. } => 409,
        ServiceError::TooLarge { .. } => 413,
        ServiceError::Invalid(_) => 422,
        ServiceError::Unavailable { .. } => 503,
        ServiceError::Internal { .. } => 500,
    }
}

/// The error's stable code, the `error` of the body.
pub fn error_code(error: &ServiceError) -> &'static str {
    match error {
        ServiceError::BadRequest { code, .. } | ServiceError::Conflict { code, .. } => code,
        ServiceError::Unauthorized => "unauthorized",
        ServiceError::Forbidden(_) => "forbidden",
        ServiceError::NotFound(_) => "not_found",
        ServiceError::TooLarge { .. } => "payload_too_large",
        ServiceError::Invalid(_) => "validation_failed",
        ServiceError::Unavailable { .. } => "unavailable",
        ServiceError::Internal { .. } => "internal",
    }
}

/// `{"error": "<code>", "message": "...", "fields": [...]}`: the message is the error's own
/// text, which never carries an outage's or a bug's detail.
pub fn error_body(error: &ServiceError) -> serde_json::Value {
    let mut body = serde_json::json!({
        "error": error_code(error),
        "message": error.to_string(),
    });
    if let ServiceError::Invalid(fields) = error {
        body["fields"] = serde_json::to_value(fields).expect("field errors serialise");
    }
    body
}

/// Logs what the caller is not told: an outage as a warning, a bug as an error, with their
/// detail. Other errors are the caller's, answered and not logged here.
pub fn log_error(error: &ServiceError) {
    match error {
        ServiceError::Unavailable { detail } => {
            tracing::warn!(error = %detail, "answered unavailable")
        }
        ServiceError::Internal { detail } => tracing::error!(error = %detail, "answered internal"),
        _ => {}
    }
}

/// A request body as a JSON object: 413 over `MAX_BODY_BYTES`, 400 when it is not UTF-8, not
/// JSON, or not an object. Every JSON endpoint starts here, so all answer these alike.
pub fn json_object(body: &[u8]) -> Result<serde_json::Value, ServiceError> {
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(ServiceError::TooLarge {
            limit: limits::MAX_BODY_BYTES,
        });
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ServiceError::bad_request("invalid_utf8", "the body is not valid UTF-8"))?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ServiceError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    })?;
    if !value.is_object() {
        return Err(ServiceError::bad_request(
            "malformed_json",
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

/// The object as a request type: a wrong type or an unknown field is the caller's 400.
pub fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ServiceError> {
    serde_json::from_value(value)
        .map_err(|e| ServiceError::bad_request("invalid_type", without_values(&e.to_string())))
}

/// serde's "invalid type: integer `812...`, expected a string" quotes what was sent, which may be
/// a phone number or a NIK: error bodies name the problem, never the data.
fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        let Some(expected_at) = rest.find(", expected") else {
            continue;
        };
        // "integer `812...`" / "string \"abc\"" -> "integer" / "string".
        let unexpected = &rest[..expected_at];
        let kind = unexpected
            .split(['`', '"'])
            .next()
            .unwrap_or_default()
            .trim();
        return format!("{prefix}{kind}{}", &rest[expected_at..]);
    }
    message.to_string()
}

#[cfg(test)]
mod typed_tests {
    #[test]
    fn a_wrong_type_is_named_without_the_value_sent() {
        let m = super::without_values("invalid type: integer `87855129034`, expected a string");
        assert_eq!(m, "invalid type: integer, expected a string");
        let m = super::without_values("invalid type: string \"0812 3456\", expected u8");
        assert_eq!(m, "invalid type: string, expected u8");
        let m = super::without_values("unknown field `nmae`, expected one of `name`, `phone`");
        assert_eq!(m, "unknown field `nmae`, expected one of `name`, `phone`");
    }
}
