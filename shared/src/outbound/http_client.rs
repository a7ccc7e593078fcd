//! The HTTP client the provider adapters share: JSON `POST` with a bearer token, over HTTPS
//! (rustls with the aws-lc-rs provider and the system's root certificates, the same stack as the
//! AWS SDK) or plain HTTP (local imitation servers), with a timeout and pooled connections.
//!
//! Errors come back as [`SendError`]s that name what went wrong (connect, timeout), never the URL:
//! X puts the recipient's user id in the path.

use super::SendError;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::HeaderMap;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The whole exchange, connect to last byte of the response.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle pooled connections are closed after this; providers close theirs after about a minute.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Provider answers are small; a larger one is cut off rather than buffered.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
const USER_AGENT_VALUE: &str = concat!("lapor-notifier/", env!("CARGO_PKG_VERSION"));

/// The one HTTP(S) client stack of the process's outbound calls (the providers' adapters, the
/// channels' media downloads, the officers' sign-in): rustls on aws-lc-rs with the system's root
/// certificates (fails if there are none), HTTP/1, the connect timeout, pooled connections
/// closed after [`POOL_IDLE_TIMEOUT`]. `B` is the request body type.
pub fn pooled_client<B>() -> std::io::Result<Client<HttpsConnector<HttpConnector>, B>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
{
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    http.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(https))
}

/// A JSON-over-HTTP(S) client. Cheap to clone: clones share one connection pool. Build it once
/// per process (and per Tokio runtime) and give a clone to each adapter.
#[derive(Clone)]
pub struct JsonClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl fmt::Debug for JsonClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl JsonClient {
    /// Loads the system's root certificates (fails if there are none) and builds the pool.
    pub fn new() -> std::io::Result<JsonClient> {
        Ok(JsonClient {
            client: pooled_client()?,
            timeout: REQUEST_TIMEOUT,
        })
    }

    /// The same client with another timeout for the whole exchange.
    pub fn with_timeout(mut self, timeout: Duration) -> JsonClient {
        self.timeout = timeout;
        self
    }

    /// `POST url` with `body` as JSON and `Authorization: Bearer <token>`.
    ///
    /// Any HTTP status is an `Ok`: the adapter reads the provider's error body. `Err` is for a
    /// request that got no answer (connect error, timeout: transient) or could not be made (bad
    /// URL or token: permanent). If the status arrived but the body did not, a success keeps an
    /// empty body: the provider accepted the message, and retrying would send it twice.
    pub async fn post_json(
        &self,
        url: &str,
        bearer_token: &str,
        body: &serde_json::Value,
    ) -> Result<JsonResponse, SendError> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| SendError::permanent("invalid endpoint URL"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(SendError::permanent("invalid endpoint URL"));
        }
        let mut authorization = HeaderValue::try_from(format!("Bearer {bearer_token}"))
            .map_err(|_| SendError::permanent("invalid access token"))?;
        authorization.set_sensitive(true);
        let payload = serde_json::to_vec(body).expect("a JSON value serializes");
        let request = hyper::Request::post(uri)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, USER_AGENT_VALUE)
            .header(AUTHORIZATION, authorization)
            .body(Full::new(Bytes::from(payload)))
            .map_err(|_| SendError::permanent("invalid request"))?;

        let deadline = tokio::time::Instant::now() + self.timeout;
        let response = tokio::time::timeout_at(deadline, self.client.request(request))
            .await
            .map_err(|_| SendError::transient("timed out"))?
            .map_err(|e| {
                SendError::transient(if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                })
            })?;
        let (parts, body) = response.into_parts();
        let status = parts.status.as_u16();
        let read =
            tokio::time::timeout_at(deadline, Limited::new(body, MAX_RESPONSE_BYTES).collect())
                .await;
        let body = match read {
            Ok(Ok(collected)) => collected.to_bytes(),
            _ if parts.status.is_success() => Bytes::new(),
            Ok(Err(_)) => {
                return Err(SendError::transient(format!(
                    "HTTP {status}, body unreadable"
                )))
            }
            Err(_) => {
                return Err(SendError::transient(format!(
                    "HTTP {status}, body timed out"
                )))
            }
        };
        Ok(JsonResponse {
            status,
            headers: parts.headers,
            body,
        })
    }
}

/// A provider's answer.
#[derive(Debug, Clone)]
pub struct JsonResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl JsonResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After`, in seconds or as an HTTP date.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()))
    }

    /// The error for this (unsuccessful) answer: `detail` is the provider's code, already checked
    /// with [`super::safe_code`].
    pub fn error(&self, detail: &str) -> SendError {
        SendError::from_status(self.status, detail, self.retry_after())
    }
}

/// A `Retry-After` value: delay-seconds or an HTTP date (a date in the past is no wait).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(at.timestamp()).ok()?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An epoch-seconds reset time (X's `x-rate-limit-reset`) as a delay from `now`.
pub fn until_epoch_seconds(value: &str, now: SystemTime) -> Option<Duration> {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(value.trim().parse::<u64>().ok()?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `base` without the trailing slashes, so `{base}/path` has exactly one.
pub(crate) fn trim_base(base: impl Into<String>) -> String {
    let mut base = base.into();
    while base.ends_with('/') {
        base.pop();
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn epoch_reset_is_a_delay_from_now() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_420_000);
        assert_eq!(
            until_epoch_seconds("1705420800", now),
            Some(Duration::from_secs(800))
        );
        assert_eq!(until_epoch_seconds("1", now), Some(Duration::ZERO));
        assert_eq!(until_epoch_seconds("x", now), None);
    }

    #[test]
    fn bases_lose_trailing_slashes() {
        assert_eq!(trim_base("https://api.x.com/"), "https://api.x.com");
        assert_eq!(
            trim_base("http://127.0.0.1:9/v1//"),
            "http://127.0.0.1:9/v1"
        );
        assert_eq!(
            trim_base("https://graph.facebook.com/v21.0"),
            "https://graph.facebook.com/v21.0"
        );
    }
}
