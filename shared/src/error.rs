//! What a service answers when it cannot do what was asked, in the service's own terms and never
//! as a status code. The edge maps it once: to HTTP for the JSON API (`api::http_status`,
//! `api::error_body`, logged by `api::log_error`), to a page for the web, to a reply for the
//! channels. What went wrong inside (an outage, a bug) is in `detail`, for the logs only.

use serde::Serialize;

/// One failing field of a request, named as the request names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
pub enum ServiceError {
    /// The request is not one the service reads: not JSON, wrong types, unknown fields, a
    /// malformed header or query.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// A missing or wrong credential where one is required (an access token, a staff token).
    #[error("a valid access token is required")]
    Unauthorized,
    /// Known, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Conflicts with what is stored (a key reused, a lost race, a transition not possible now).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Larger than the service takes.
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// Well-formed but invalid; every failing field is named.
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    /// A dependency is down; the caller may retry (with the same idempotency key).
    #[error("the service is temporarily unavailable, please retry")]
    Unavailable { detail: String },
    /// A bug or corrupt data.
    #[error("internal error")]
    Internal { detail: String },
}

impl ServiceError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> ServiceError {
        ServiceError::Unavailable {
            detail: detail.into(),
        }
    }

    pub fn internal(detail: impl Into<String>) -> ServiceError {
        ServiceError::Internal {
            detail: detail.into(),
        }
    }
}

impl From<crate::ports::StoreError> for ServiceError {
    fn from(e: crate::ports::StoreError) -> ServiceError {
        match e {
            crate::ports::StoreError::Unavailable(detail) => ServiceError::Unavailable {
                detail: format!("store unavailable: {detail}"),
            },
            crate::ports::StoreError::Corrupt(detail) => ServiceError::Internal {
                detail: format!("stored data does not decode: {detail}"),
            },
        }
    }
}
