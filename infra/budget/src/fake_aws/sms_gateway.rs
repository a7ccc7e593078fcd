//! The SMS gateway's side of `POST {SMS_API_URL}/messages`, as `lapor::outbound::sms`
//! documents the contract: the bearer key, a JSON `{"to": "+62...", "text": "...",
//! "reference": "..."}`, answered `200 {"message_id": "sms-<n>"}`.

use anyhow::{ensure, Result};
use serde::Deserialize;

/// Where the contract is served on the endpoint: the notifier's `SMS_API_URL` is this path
/// without `/messages`.
pub const PATH: &str = "/sms-gateway/messages";
/// The gateway's API key (the notifier's `SMS_API_KEY`), checked on every send.
pub const API_KEY: &str = "lapor-budget-sms-api-key";
/// How sends are counted among the operations.
pub const OPERATION: &str = "sms-gateway POST /messages";

/// One SMS the gateway was asked to send.
#[derive(Debug, Clone, Deserialize)]
pub struct SmsSent {
    pub to: String,
    pub text: String,
    pub reference: String,
}

/// Reads a send. A request that breaks the contract is refused with the reason (the notifier
/// would then measure its error path).
pub fn read(method: &str, authorization: &str, content_type: &str, body: &[u8]) -> Result<SmsSent> {
    ensure!(method == "POST", "{method} instead of POST");
    ensure!(
        authorization == format!("Bearer {API_KEY}"),
        "a send without `Authorization: Bearer <SMS_API_KEY>`"
    );
    ensure!(
        content_type.starts_with("application/json"),
        "a send of {content_type:?} instead of JSON"
    );
    let send: SmsSent = serde_json::from_slice(body)?;
    let e164 = send
        .to
        .strip_prefix('+')
        .is_some_and(|digits| digits.len() >= 8 && digits.bytes().all(|b| b.is_ascii_digit()));
    ensure!(e164, "{:?} is not an E.164 number", send.to);
    ensure!(
        !send.text.trim().is_empty() && !send.reference.trim().is_empty(),
        "a send without text or reference"
    );
    Ok(send)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_send_needs_the_key_json_an_e164_number_text_and_reference() {
        let bearer = format!("Bearer {API_KEY}");
        let json = "application/json";
        let send =
            br#"{"to": "+6281234567890", "text": "Laporan Anda diterima.", "reference": "A:0"}"#;
        let sent = read("POST", &bearer, json, send).unwrap();
        assert_eq!(
            (sent.to.as_str(), sent.reference.as_str()),
            ("+6281234567890", "A:0")
        );
        assert!(read("GET", &bearer, json, send).is_err());
        assert!(read("POST", "Bearer x", json, send).is_err());
        assert!(read("POST", &bearer, "text/plain", send).is_err());
        let local = br#"{"to": "081234567890", "text": "t", "reference": "r"}"#;
        assert!(read("POST", &bearer, json, local).is_err());
        let blank = br#"{"to": "+6281234567890", "text": " ", "reference": "r"}"#;
        assert!(read("POST", &bearer, json, blank).is_err());
    }
}
