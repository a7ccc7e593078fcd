//! The errors the public API answers with: one code per meaning, a JSON body
//! `{"error": "<code>", "message": "...", "fields": [...]}`, never SDK text or internals.

use serde::Serialize;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: not JSON, wrong types, unknown fields, a malformed header.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: a missing or wrong access token where one is required.
    #[error("a valid access token is required")]
    Unauthorized,
    /// 403: authenticated, but this actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with what is stored (idempotency key reuse, a lost race).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 413
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// 422: well-formed but invalid; every failing field is named.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// 503: a dependency is down; the client may retry (with the same Idempotency-Key).
    #[error("the service is temporarily unavailable, please retry")]
    Unavailable,
    /// 500: a bug or corrupt data; details go to the logs, not to the client.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } => 400,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::Conflict { .. } => 409,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::Validation(_) => 422,
            ApiError::Unavailable => 503,
            ApiError::Internal => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } | ApiError::Conflict { code, .. } => code,
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal => "internal",
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "error": self.code(),
            "message": self.to_string(),
        });
        if let ApiError::Validation(fields) = self {
            body["fields"] = serde_json::to_value(fields).expect("field errors serialise");
        }
        body
    }
}

/// A request body as a JSON object: 413 over `MAX_BODY_BYTES`, 400 when it is not UTF-8, not
/// JSON, or not an object. Every JSON endpoint starts here, so all answer these alike.
pub fn json_object(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: limits::MAX_BODY_BYTES,
        });
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("invalid_utf8", "the body is not valid UTF-8"))?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    })?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "malformed_json",
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

/// The object as a request type: a wrong type or an unknown field is the caller's 400.
pub fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request("invalid_type", without_values(&e.to_string())))
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

impl From<crate::ports::StoreError> for ApiError {
    fn from(e: crate::ports::StoreError) -> ApiError {
        match e {
            crate::ports::StoreError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "store unavailable");
                ApiError::Unavailable
            }
            crate::ports::StoreError::Corrupt(detail) => {
                tracing::error!(error = %detail, "stored data does not decode");
                ApiError::Internal
            }
        }
    }
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
