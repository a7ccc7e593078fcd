//! The officers' and verifiers' side of the web, under `/petugas`. Until their pages land, every
//! path here answers the not-found page.

use super::page::{error_response, PageError};
use super::Web;
use crate::config::ConfigError;
use lambda_http::{Body, Request, Response};

/// The officers' side's settings (sign-in), read at the web function's cold start.
#[derive(Debug, Clone, Default)]
pub struct Settings {}

impl Settings {
    pub fn from_env() -> Result<Settings, ConfigError> {
        Ok(Settings {})
    }
}

/// Every request under `/petugas`.
pub async fn handle(_web: &Web, req: Request) -> Response<Body> {
    error_response(&req, &PageError::not_found())
}
