//! Fetching the photos and documents people send on a channel (`inbound::InboundMedia`), so
//! they become attachments of their report (`service::channels`).
//!
//! - Messenger: the attachment's `payload.url`, fetched without credentials.
//! - X: a public post's photo (`media_url_https`, `pbs.twimg.com`), fetched without credentials
//!   (it is public); a direct message's media need OAuth-signed downloads and are not read.
//! - WhatsApp Cloud API: `GET {META_GRAPH_URL}/{media-id}` with the WhatsApp token answers
//!   `{"url", "mime_type", "file_size"}`; the bytes come from that `url`, with the same bearer
//!   token.
//!
//! The rules ([`allowed`]): HTTPS only, to hosts allow-listed per provider (Messenger: hosts
//! ending in `.fbcdn.net` or `.fbsbx.com`; WhatsApp: `lookaside.fbsbx.com` and the Graph API's
//! host; X: `pbs.twimg.com`), no user info and no port other than 443 in the URL; plain HTTP only to the configured
//! Graph base URL's own origin when that is `http://127.0.0.1:<port>` (the tests' imitation
//! server). Redirects are not followed (a 3xx is a failure). Each exchange has a timeout; at most
//! `max_bytes` are read (a declared `Content-Length` or `file_size` over it is refused before
//! reading, a body that goes past it is cut off and refused). The content type is the
//! provider's: the attachment check verifies the bytes anyway.
//!
//! Errors ([`MediaError`]) name what went wrong, never the URL (Messenger's are signed, and open
//! the person's photo) nor the token.

use crate::inbound::InboundMedia;
use std::fmt;

/// Most media fetched for one message (a report takes 5 attachments).
pub const MAX_MEDIA: usize = crate::inbound::MAX_MEDIA_PER_MESSAGE;

/// A fetched file, with the provider's content type (lower case, without parameters).
#[derive(Clone, PartialEq, Eq)]
pub struct Fetched {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Why a medium was not fetched. Safe to log: no URL, no token, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The URL is not HTTPS, or its host is not on the provider's allow-list: nothing fetched.
    #[error("the media URL is not allowed for this provider")]
    NotAllowed,
    /// The file is larger than the limit: refused (nothing, or no more, read).
    #[error("the file is larger than the limit")]
    TooLarge,
    /// The provider's credentials for downloads are not configured (WhatsApp's token).
    #[error("media downloads are not configured for this provider")]
    NotConfigured,
    /// The download did not succeed: connect error, timeout, an HTTP error or a redirect.
    #[error("download failed: {0}")]
    Failed(String),
}

/// Downloads a channel's media. The service holds it as a trait object, so the channels
/// function builds without an HTTP client when media downloads are not enabled.
#[async_trait::async_trait]
pub trait MediaFetcher: Send + Sync {
    /// The file `media` points at, of at most `max_bytes`.
    async fn fetch(&self, media: &InboundMedia, max_bytes: u64) -> Result<Fetched, MediaError>;
}

/// Which provider's allow-list a URL is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Messenger,
    Whatsapp,
    /// A public post's photo.
    X,
}

/// A URL's parts that the rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: Option<u16>,
}

/// Scheme, host and port of an absolute `http(s)` URL; `None` for anything else, or a URL with
/// user info (`https://a.fbcdn.net@evil.example/`).
fn origin(url: &str) -> Option<Origin> {
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty()
        || authority.contains('@')
        || authority.contains('\\')
        || authority.contains('[')
    {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>().ok()?)),
        None => (authority, None),
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return None;
    }
    Some(Origin {
        https,
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// Whether `url` may be fetched for `provider`. `graph_url` is the configured Graph API base:
/// its host is allowed for WhatsApp, and when it is `http://127.0.0.1:<port>` (tests), that
/// exact origin is allowed for both providers.
pub fn allowed(provider: Provider, url: &str, graph_url: &str) -> bool {
    let Some(target) = origin(url) else {
        return false;
    };
    let graph = origin(graph_url);
    if let Some(local) = graph.as_ref().filter(|g| !g.https && g.host == "127.0.0.1") {
        if !target.https {
            return target == *local;
        }
    }
    if !target.https || target.port.is_some_and(|p| p != 443) {
        return false;
    }
    let host = target.host.as_str();
    let under = |domain: &str| {
        host.strip_suffix(domain)
            .is_some_and(|head| head.len() > 1 && head.ends_with('.'))
    };
    match provider {
        Provider::Messenger => under("fbcdn.net") || under("fbsbx.com"),
        Provider::X => host == "pbs.twimg.com",
        Provider::Whatsapp => {
            host == "lookaside.fbsbx.com"
                || graph
                    .as_ref()
                    .is_some_and(|g| g.https && g.host == host && target.port == g.port)
        }
    }
}

/// The media type of a `Content-Type` value: lower case, without parameters.
pub fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(feature = "outbound-http")]
pub use http_fetcher::HttpMediaFetcher;

#[cfg(feature = "outbound-http")]
mod http_fetcher {
    use super::{allowed, media_type, Fetched, MediaError, MediaFetcher, Provider};
    use crate::inbound::{InboundMedia, MediaSource};
    use http::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
    use http_body_util::{BodyExt, Empty, Limited};
    use hyper::body::Bytes;
    use hyper_rustls::HttpsConnector;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::client::legacy::Client;
    use std::fmt;
    use std::time::Duration;

    /// One exchange (the metadata request, or the download), connect to last byte.
    pub const FETCH_TIMEOUT: Duration = Duration::from_secs(15);
    /// The WhatsApp metadata answer is small JSON.
    const MAX_METADATA_BYTES: usize = 16 * 1024;
    const USER_AGENT_VALUE: &str = concat!("lapor-channels/", env!("CARGO_PKG_VERSION"));

    /// Downloads over HTTPS (rustls, the system's roots), by the rules of the module.
    #[derive(Clone)]
    pub struct HttpMediaFetcher {
        client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
        graph_url: String,
        whatsapp_token: Option<String>,
        timeout: Duration,
    }

    impl fmt::Debug for HttpMediaFetcher {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("HttpMediaFetcher")
                .field("graph_url", &self.graph_url)
                .field(
                    "whatsapp_token",
                    &self.whatsapp_token.as_ref().map(|_| "<set>"),
                )
                .field("timeout", &self.timeout)
                .finish_non_exhaustive()
        }
    }

    impl HttpMediaFetcher {
        /// `graph_url` with its version (`META_GRAPH_URL`, default
        /// `https://graph.facebook.com/v21.0`); `whatsapp_token` the Cloud API's (`WHATSAPP_TOKEN`),
        /// without which WhatsApp media are [`MediaError::NotConfigured`].
        pub fn new(
            graph_url: impl Into<String>,
            whatsapp_token: Option<String>,
        ) -> std::io::Result<HttpMediaFetcher> {
            let client = crate::outbound::http_client::pooled_client()?;
            let mut graph_url = graph_url.into();
            while graph_url.ends_with('/') {
                graph_url.pop();
            }
            Ok(HttpMediaFetcher {
                client,
                graph_url,
                whatsapp_token: crate::config::configured(whatsapp_token),
                timeout: FETCH_TIMEOUT,
            })
        }

        /// The same fetcher with another timeout per exchange.
        pub fn with_timeout(mut self, timeout: Duration) -> HttpMediaFetcher {
            self.timeout = timeout;
            self
        }

        /// `GET url` (already allowed), read up to `max_bytes`: the content type and the bytes.
        async fn get(
            &self,
            url: &str,
            token: Option<&str>,
            max_bytes: u64,
        ) -> Result<(Option<String>, Vec<u8>), MediaError> {
            let uri: hyper::Uri = url.parse().map_err(|_| MediaError::NotAllowed)?;
            let mut request = hyper::Request::get(uri).header(USER_AGENT, USER_AGENT_VALUE);
            if let Some(token) = token {
                let mut value = HeaderValue::try_from(format!("Bearer {token}"))
                    .map_err(|_| MediaError::NotConfigured)?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            let request = request
                .body(Empty::new())
                .map_err(|_| MediaError::NotAllowed)?;
            let deadline = tokio::time::Instant::now() + self.timeout;
            let response = tokio::time::timeout_at(deadline, self.client.request(request))
                .await
                .map_err(|_| MediaError::Failed("timed out".into()))?
                .map_err(|e| {
                    MediaError::Failed(
                        if e.is_connect() {
                            "connection failed"
                        } else {
                            "request failed"
                        }
                        .into(),
                    )
                })?;
            let (parts, body) = response.into_parts();
            if parts.status.is_redirection() {
                return Err(MediaError::Failed(format!(
                    "HTTP {}: redirects are not followed",
                    parts.status.as_u16()
                )));
            }
            if !parts.status.is_success() {
                return Err(MediaError::Failed(format!(
                    "HTTP {}",
                    parts.status.as_u16()
                )));
            }
            let declared = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if declared.is_some_and(|n| n > max_bytes) {
                return Err(MediaError::TooLarge);
            }
            let content_type = parts
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(media_type);
            let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
            let collected = tokio::time::timeout_at(deadline, Limited::new(body, limit).collect())
                .await
                .map_err(|_| MediaError::Failed("body timed out".into()))?
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        MediaError::TooLarge
                    } else {
                        MediaError::Failed("body unreadable".into())
                    }
                })?;
            Ok((content_type, collected.to_bytes().to_vec()))
        }
    }

    #[async_trait::async_trait]
    impl MediaFetcher for HttpMediaFetcher {
        async fn fetch(&self, media: &InboundMedia, max_bytes: u64) -> Result<Fetched, MediaError> {
            match &media.source {
                MediaSource::MessengerUrl(url) | MediaSource::XPhotoUrl(url) => {
                    let provider = match &media.source {
                        MediaSource::XPhotoUrl(_) => Provider::X,
                        _ => Provider::Messenger,
                    };
                    if !allowed(provider, url, &self.graph_url) {
                        return Err(MediaError::NotAllowed);
                    }
                    let (content_type, bytes) = self.get(url, None, max_bytes).await?;
                    Ok(Fetched {
                        content_type: media
                            .content_type
                            .clone()
                            .or(content_type)
                            .unwrap_or_default(),
                        bytes,
                    })
                }
                MediaSource::WhatsappId(id) => {
                    let token = self
                        .whatsapp_token
                        .as_deref()
                        .ok_or(MediaError::NotConfigured)?;
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(MediaError::NotAllowed);
                    }
                    let metadata_url = format!("{}/{id}", self.graph_url);
                    let metadata_limit = max_bytes.min(MAX_METADATA_BYTES as u64);
                    let (_, body) = self
                        .get(&metadata_url, Some(token), metadata_limit)
                        .await
                        .map_err(|e| match e {
                            MediaError::TooLarge => {
                                MediaError::Failed("media metadata too long".into())
                            }
                            e => e,
                        })?;
                    let metadata: serde_json::Value = serde_json::from_slice(&body)
                        .map_err(|_| MediaError::Failed("media metadata is not JSON".into()))?;
                    let url = metadata["url"]
                        .as_str()
                        .ok_or_else(|| MediaError::Failed("media metadata has no url".into()))?;
                    if metadata["file_size"]
                        .as_u64()
                        .is_some_and(|size| size > max_bytes)
                    {
                        return Err(MediaError::TooLarge);
                    }
                    if !allowed(Provider::Whatsapp, url, &self.graph_url) {
                        return Err(MediaError::NotAllowed);
                    }
                    let (served, bytes) = self.get(url, Some(token), max_bytes).await?;
                    let content_type = media
                        .content_type
                        .clone()
                        .or_else(|| metadata["mime_type"].as_str().map(media_type))
                        .or(served)
                        .unwrap_or_default();
                    Ok(Fetched {
                        content_type,
                        bytes,
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRAPH: &str = "https://graph.facebook.com/v21.0";

    #[test]
    fn messenger_allow_list() {
        for url in [
            "https://scontent.xx.fbcdn.net/v/t1.15752-9/a.jpg?_nc_cat=1&oh=x",
            "https://scontent-sin6-2.xx.fbcdn.net/a.png",
            "https://cdn.fbsbx.com/v/t59.2708-21/file.pdf",
            "https://SCONTENT.XX.FBCDN.NET:443/a.jpg",
        ] {
            assert!(allowed(Provider::Messenger, url, GRAPH), "{url}");
        }
        for url in [
            "http://scontent.xx.fbcdn.net/a.jpg",
            "https://fbcdn.net/a.jpg",
            "https://evilfbcdn.net/a.jpg",
            "https://fbcdn.net.evil.example/a.jpg",
            "https://scontent.xx.fbcdn.net@evil.example/a.jpg",
            "https://scontent.xx.fbcdn.net:8443/a.jpg",
            "https://graph.facebook.com/v21.0/1",
            "https://example.invalid/a.jpg",
            "ftp://scontent.xx.fbcdn.net/a.jpg",
            "//scontent.xx.fbcdn.net/a.jpg",
            "https://[::1]/a.jpg",
            "",
        ] {
            assert!(!allowed(Provider::Messenger, url, GRAPH), "{url}");
        }
    }

    #[test]
    fn whatsapp_allow_list() {
        assert!(allowed(
            Provider::Whatsapp,
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=3",
            GRAPH
        ));
        assert!(allowed(
            Provider::Whatsapp,
            "https://graph.facebook.com/v21.0/1/x",
            GRAPH
        ));
        for url in [
            "https://cdn.fbsbx.com/a",
            "https://scontent.xx.fbcdn.net/a.jpg",
            "http://lookaside.fbsbx.com/a",
            "https://lookaside.fbsbx.com.evil.example/a",
        ] {
            assert!(!allowed(Provider::Whatsapp, url, GRAPH), "{url}");
        }
    }

    #[test]
    fn x_allow_list() {
        assert!(allowed(
            Provider::X,
            "https://pbs.twimg.com/media/P1.jpg",
            GRAPH
        ));
        for url in [
            "http://pbs.twimg.com/media/P1.jpg",
            "https://pbs.twimg.com.evil.example/P1.jpg",
            "https://ton.twitter.com/1.1/ton/data/dm/1/2/P1.jpg",
            "https://evil@pbs.twimg.com/P1.jpg",
            "https://pbs.twimg.com:8443/P1.jpg",
            "https://scontent.xx.fbcdn.net/v/a.jpg",
        ] {
            assert!(!allowed(Provider::X, url, GRAPH), "{url}");
        }
    }

    #[test]
    fn plain_http_only_to_a_local_graph_origin() {
        let local = "http://127.0.0.1:4567/v21.0";
        for provider in [Provider::Messenger, Provider::Whatsapp] {
            assert!(allowed(
                provider,
                "http://127.0.0.1:4567/media/a.png",
                local
            ));
            assert!(!allowed(
                provider,
                "http://127.0.0.1:4568/media/a.png",
                local
            ));
            assert!(!allowed(provider, "http://localhost:4567/a.png", local));
            assert!(!allowed(provider, "http://127.0.0.1:4567/a.png", GRAPH));
            assert!(!allowed(
                provider,
                "http://127.0.0.1:80/a.png",
                "http://10.0.0.1:80"
            ));
        }
        assert!(allowed(
            Provider::Messenger,
            "https://scontent.xx.fbcdn.net/a.jpg",
            local
        ));
    }

    #[test]
    fn media_types_lose_their_parameters() {
        assert_eq!(media_type("Image/PNG; charset=binary"), "image/png");
        assert_eq!(media_type(" application/pdf "), "application/pdf");
    }
}
