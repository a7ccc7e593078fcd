//! Reports and idempotency records as stored documents (both adapters store the same shape).

use crate::domain::Report;
use crate::ports::{IdempotencyRecord, StoreError};

pub fn report_to_json(report: &Report) -> String {
    serde_json::to_string(report).expect("a report serialises")
}

pub fn report_from_json(text: &str) -> Result<Report, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("report: {e}")))
}

pub fn idempotency_from_json(text: &str) -> Result<IdempotencyRecord, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("idempotency: {e}")))
}
