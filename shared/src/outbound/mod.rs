//! Outbound: sending a notification to a reporter on a channel. Each provider's other side,
//! what people send, is the same name in `inbound/` (`outbound::sms` / `inbound::sms`...).
//!
//! The notifier consumes a queue of short status messages and sends each on the channel the
//! reporter used. This module is the sending layer:
//!
//! - the types every channel shares ([`Provider`], [`Address`], [`OutboundMessage`], [`Sent`],
//!   [`SendError`]) and the port, [`ChannelSender`];
//! - [`Senders`], the configured senders, one per provider, itself a [`ChannelSender`] that
//!   dispatches on the address;
//! - [`RateLimiter`], a token bucket per provider, and [`RetryPolicy`] with
//!   [`send_with_retries`], which sends through both.
//!
//! The adapters live behind features: the HTTP ones (SMS gateway, X, Messenger, WhatsApp) behind
//! `outbound-http`, e-mail through Amazon SES behind `aws`. This part has no I/O dependency.
//!
//! Personal data: an address and a message text are personal data. Neither is in a `Debug`
//! output, a log line or a [`SendError`] reason; reasons carry the HTTP status and the provider's
//! error code, nothing the provider echoed back in free text.

mod limiter;
pub mod media;
mod retry;

#[cfg(feature = "outbound-http")]
mod from_env;
#[cfg(feature = "outbound-http")]
pub mod http_client;
#[cfg(feature = "outbound-http")]
pub mod meta;
#[cfg(feature = "aws")]
pub mod ses;
#[cfg(feature = "outbound-http")]
pub mod sms;
#[cfg(feature = "outbound-http")]
pub mod x;

#[cfg(feature = "outbound-http")]
pub use from_env::{senders_from_env, senders_from_vars};
pub use limiter::{Rate, RateLimiter};
pub use retry::{send_with_retries, RetryPolicy};

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The environment the outbound adapters read. A provider whose variables are unset or empty is
/// not configured.
pub mod env {
    /// SMS gateway: base URL of its HTTP API (the adapter posts to `{url}/messages`).
    pub const SMS_API_URL: &str = "SMS_API_URL";
    /// SMS gateway: API key, sent as a bearer token.
    pub const SMS_API_KEY: &str = "SMS_API_KEY";
    /// X API base URL; default [`X_API_URL_DEFAULT`].
    pub const X_API_URL: &str = "X_API_URL";
    pub const X_API_URL_DEFAULT: &str = "https://api.x.com";
    /// OAuth 2.0 user-context access token of the LAPOR account (scopes `dm.write dm.read
    /// tweet.read users.read`).
    pub const X_ACCESS_TOKEN: &str = "X_ACCESS_TOKEN";
    /// Meta Graph API base URL with its version; default [`META_GRAPH_URL_DEFAULT`].
    pub const META_GRAPH_URL: &str = "META_GRAPH_URL";
    pub const META_GRAPH_URL_DEFAULT: &str = "https://graph.facebook.com/v21.0";
    /// Page access token of the LAPOR Facebook Page (permission `pages_messaging`).
    pub const MESSENGER_PAGE_TOKEN: &str = "MESSENGER_PAGE_TOKEN";
    /// WhatsApp Cloud API: the business phone number's id (not the number).
    pub const WHATSAPP_PHONE_NUMBER_ID: &str = "WHATSAPP_PHONE_NUMBER_ID";
    /// WhatsApp Cloud API: system-user access token.
    pub const WHATSAPP_TOKEN: &str = "WHATSAPP_TOKEN";
    /// Optional approved template as `name:language`, e.g. `lapor_status:id`.
    pub const WHATSAPP_TEMPLATE: &str = "WHATSAPP_TEMPLATE";
    /// SES: the verified sender address (the caller builds [`super::ses::SesSender`]).
    pub const SES_FROM_ADDRESS: &str = "SES_FROM_ADDRESS";
    /// Optional per-provider rates for [`super::RateLimiter::parse_rates`], e.g.
    /// `sms=20,x=0.5,whatsapp=50,messenger=50,email=10`.
    pub const NOTIFY_RATES: &str = "NOTIFY_RATES";
    /// Optional: most notices one recipient (a phone, an address, an account) gets a day;
    /// default `service::notifier::DEFAULT_DAILY_CAP`.
    pub const NOTIFY_DAILY_CAP: &str = "NOTIFY_DAILY_CAP";
}

/// A service that carries messages to reporters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    SmsGateway,
    X,
    Messenger,
    Whatsapp,
    Email,
}

impl Provider {
    pub const ALL: [Provider; 5] = [
        Provider::SmsGateway,
        Provider::X,
        Provider::Messenger,
        Provider::Whatsapp,
        Provider::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::SmsGateway => "sms",
            Provider::X => "x",
            Provider::Messenger => "messenger",
            Provider::Whatsapp => "whatsapp",
            Provider::Email => "email",
        }
    }

    /// The inverse of [`Provider::as_str`] (exact, lower case).
    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Provider {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Provider::parse(s).ok_or_else(|| format!("unknown provider {s:?}"))
    }
}

/// Where a reporter is reached. Personal data: `Debug` shows the kind only.
#[derive(Clone, PartialEq, Eq)]
pub enum Address {
    /// E.164, `+62...`.
    Sms(String),
    /// E.164, `+62...` (the adapter drops the `+` the Cloud API does not want).
    Whatsapp(String),
    /// The numeric X user id.
    X(String),
    /// The page-scoped id (PSID) Messenger gave the reporter for the LAPOR Page.
    Messenger(String),
    Email(String),
}

impl Address {
    pub fn provider(&self) -> Provider {
        match self {
            Address::Sms(_) => Provider::SmsGateway,
            Address::Whatsapp(_) => Provider::Whatsapp,
            Address::X(_) => Provider::X,
            Address::Messenger(_) => Provider::Messenger,
            Address::Email(_) => Provider::Email,
        }
    }

    /// The number, id or e-mail address itself.
    pub fn value(&self) -> &str {
        match self {
            Address::Sms(v)
            | Address::Whatsapp(v)
            | Address::X(v)
            | Address::Messenger(v)
            | Address::Email(v) => v,
        }
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Address::Sms(_) => "Sms",
            Address::Whatsapp(_) => "Whatsapp",
            Address::X(_) => "X",
            Address::Messenger(_) => "Messenger",
            Address::Email(_) => "Email",
        };
        write!(f, "{kind}(<redacted>)")
    }
}

/// One message to one reporter. `notification_id` is stable across redeliveries of the same
/// notification, so a provider that deduplicates on it (the SMS gateway) sends it once.
#[derive(Clone)]
pub struct OutboundMessage {
    pub notification_id: String,
    pub to: Address,
    pub text: String,
}

impl fmt::Debug for OutboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundMessage")
            .field("notification_id", &self.notification_id)
            .field("to", &self.to)
            .field(
                "text",
                &format_args!("<{} chars>", self.text.chars().count()),
            )
            .finish()
    }
}

/// A message the provider accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// The provider's id for it, when the provider gave one.
    pub provider_message_id: Option<String>,
}

/// Why a send failed, and whether trying again can help.
///
/// Reasons are short, for logs and the dead-letter queue: the HTTP status and the provider's
/// error code or title, never the phone number, user id, e-mail address or message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: network errors, timeouts, 429, 5xx. `retry_after` from a Retry-After header.
    #[error("provider unavailable: {reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Retrying will not help: 4xx other than 408/429 (bad number, user blocked DMs, bad token), a
    /// channel not configured.
    #[error("provider refused: {reason}")]
    Permanent { reason: String },
}

impl SendError {
    pub fn transient(reason: impl Into<String>) -> Self {
        SendError::Transient {
            reason: reason.into(),
            retry_after: None,
        }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        SendError::Permanent {
            reason: reason.into(),
        }
    }

    /// The error for an HTTP status that is not a success: 408, 429 and 5xx are transient,
    /// anything else permanent. `detail` is the provider's code (already free of personal data).
    pub fn from_status(status: u16, detail: &str, retry_after: Option<Duration>) -> Self {
        let reason = if detail.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status} {detail}")
        };
        if status_is_transient(status) {
            SendError::Transient {
                reason,
                retry_after,
            }
        } else {
            SendError::Permanent { reason }
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }

    pub fn reason(&self) -> &str {
        match self {
            SendError::Transient { reason, .. } | SendError::Permanent { reason } => reason,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::Transient { retry_after, .. } => *retry_after,
            SendError::Permanent { .. } => None,
        }
    }
}

/// 408 Request Timeout, 429 Too Many Requests and every 5xx: the same request may succeed later.
pub fn status_is_transient(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// A provider's error code, kept only if it cannot be personal data: at most 48 characters of
/// letters, digits and `_ - . :`, with no run of seven or more digits (a phone number or a user
/// id). No spaces, so no name or sentence. Anything else is dropped, not truncated.
pub fn safe_code(s: &str) -> Option<&str> {
    let s = s.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    let mut digits = 0;
    for c in s.chars() {
        if !allowed(c) {
            return None;
        }
        digits = if c.is_ascii_digit() { digits + 1 } else { 0 };
        if digits >= 7 {
            return None;
        }
    }
    (!s.is_empty() && s.len() <= 48).then_some(s)
}

/// The port: one provider's way of delivering a message.
#[async_trait::async_trait]
pub trait ChannelSender: Send + Sync {
    async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError>;
}

/// The configured senders, one per provider; a provider absent here is "not configured".
///
/// It is a [`ChannelSender`] itself: it sends on the provider of the message's address, and a
/// message for a provider that is not configured fails as [`SendError::Permanent`].
#[derive(Clone, Default)]
pub struct Senders {
    by_provider: HashMap<Provider, Arc<dyn ChannelSender>>,
}

impl Senders {
    pub fn new() -> Self {
        Senders::default()
    }

    /// Adds (or replaces) the sender of `provider`.
    pub fn with(mut self, provider: Provider, sender: Arc<dyn ChannelSender>) -> Self {
        self.by_provider.insert(provider, sender);
        self
    }

    pub fn get(&self, provider: Provider) -> Option<Arc<dyn ChannelSender>> {
        self.by_provider.get(&provider).cloned()
    }

    /// The configured providers, in [`Provider::ALL`] order.
    pub fn providers(&self) -> Vec<Provider> {
        Provider::ALL
            .into_iter()
            .filter(|p| self.by_provider.contains_key(p))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.by_provider.is_empty()
    }
}

impl fmt::Debug for Senders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Senders")
            .field("providers", &self.providers())
            .finish()
    }
}

#[async_trait::async_trait]
impl ChannelSender for Senders {
    async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError> {
        let provider = message.to.provider();
        match self.by_provider.get(&provider) {
            Some(sender) => sender.send(message).await,
            None => Err(not_configured(provider)),
        }
    }
}

/// The digits of an E.164 number (`+` optional): 8 to 15 digits, the first not 0.
pub fn e164_digits(number: &str) -> Option<&str> {
    let digits = number.strip_prefix('+').unwrap_or(number);
    let valid = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then_some(digits)
}

/// The error for a message on a channel LAPOR has no sender for.
pub fn not_configured(provider: Provider) -> SendError {
    SendError::permanent(format!("channel not configured: {provider}"))
}

/// The error for an address of another kind than the sender's (a wiring mistake).
pub fn wrong_address(expected: Provider, address: &Address) -> SendError {
    SendError::permanent(format!(
        "{} address given to the {expected} sender",
        address.provider()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_round_trip() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
            assert_eq!(p.as_str().parse::<Provider>(), Ok(p));
        }
        assert_eq!(Provider::parse("SMS"), None);
        assert_eq!(Provider::parse("telegram"), None);
    }

    #[test]
    fn addresses_name_their_provider() {
        assert_eq!(Address::Sms("+62".into()).provider(), Provider::SmsGateway);
        assert_eq!(
            Address::Whatsapp("+62".into()).provider(),
            Provider::Whatsapp
        );
        assert_eq!(Address::X("1".into()).provider(), Provider::X);
        assert_eq!(
            Address::Messenger("1".into()).provider(),
            Provider::Messenger
        );
        assert_eq!(Address::Email("a@b".into()).provider(), Provider::Email);
    }

    #[test]
    fn debug_never_shows_the_address_or_the_text() {
        let message = OutboundMessage {
            notification_id: "n-1".into(),
            to: Address::Sms("+6281397531864".into()),
            text: "Laporan Anda sedang diproses oleh Dinas PU".into(),
        };
        let shown = format!("{message:?} {:?}", message.to);
        assert!(shown.contains("n-1") && shown.contains("Sms"), "{shown}");
        assert!(!shown.contains("81397531864"), "{shown}");
        assert!(!shown.contains("Dinas"), "{shown}");
        for address in [
            Address::Email("wulan@contoh.id".into()),
            Address::X("1234567890".into()),
            Address::Messenger("987654321".into()),
            Address::Whatsapp("+6281397531864".into()),
        ] {
            let shown = format!("{address:?}");
            assert!(!shown.contains(address.value()), "{shown}");
        }
    }

    #[test]
    fn statuses_classify() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(SendError::from_status(s, "", None).is_transient(), "{s}");
        }
        for s in [301, 400, 401, 403, 404, 409, 410, 413, 422] {
            assert!(!SendError::from_status(s, "", None).is_transient(), "{s}");
        }
        let e = SendError::from_status(429, "sms:THROTTLED", Some(Duration::from_secs(3)));
        assert_eq!(e.reason(), "HTTP 429 sms:THROTTLED");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn safe_codes_keep_codes_and_drop_personal_data() {
        for ok in [
            "INVALID_NUMBER",
            "131026",
            "client-forbidden",
            "OAuthException",
            "Forbidden",
        ] {
            assert_eq!(safe_code(ok), Some(ok));
        }
        for bad in [
            "",
            "+6281397531864",
            "6281397531864",
            "wulan@contoh.id",
            "user 1234567890 blocked",
            "Wulandari Kusumaningrum",
            "Pesan: \"Laporan Anda\"",
            "a_very_long_error_code_that_goes_on_and_on_and_on_for_ever",
        ] {
            assert_eq!(safe_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn e164_numbers() {
        assert_eq!(e164_digits("+6281397531864"), Some("6281397531864"));
        assert_eq!(e164_digits("6281397531864"), Some("6281397531864"));
        for bad in [
            "",
            "+",
            "081397531864",
            "+62 813 9753",
            "+62-813",
            "+1234567",
            "+1234567890123456",
        ] {
            assert_eq!(e164_digits(bad), None, "{bad}");
        }
    }

    struct Fixed(&'static str);

    #[async_trait::async_trait]
    impl ChannelSender for Fixed {
        async fn send(&self, _: &OutboundMessage) -> Result<Sent, SendError> {
            Ok(Sent {
                provider_message_id: Some(self.0.into()),
            })
        }
    }

    #[tokio::test]
    async fn senders_dispatch_on_the_address() {
        let senders = Senders::default()
            .with(Provider::SmsGateway, Arc::new(Fixed("sms")))
            .with(Provider::Email, Arc::new(Fixed("email")));
        assert_eq!(
            senders.providers(),
            vec![Provider::SmsGateway, Provider::Email]
        );
        assert!(senders.get(Provider::X).is_none());
        let message = |to| OutboundMessage {
            notification_id: "n".into(),
            to,
            text: "t".into(),
        };
        let sent = senders
            .send(&message(Address::Email("a@b.id".into())))
            .await
            .unwrap();
        assert_eq!(sent.provider_message_id.as_deref(), Some("email"));
        let refused = senders
            .send(&message(Address::X("42".into())))
            .await
            .unwrap_err();
        assert_eq!(refused, SendError::permanent("channel not configured: x"));
        assert_eq!(
            format!("{senders:?}"),
            "Senders { providers: [SmsGateway, Email] }"
        );
    }
}
