//! `/_blobs/<key>?...`: the runner plays S3 for the attachments. A signed `PUT` stores an upload
//! (which announces itself on the uploads queue, as S3's notification does); a signed `GET`
//! serves a checked file with the type and disposition its URL signed. Nothing else is served.

use crate::backend::System;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use lapor::adapters::embedded::blobs::{AcceptError, FileBlobs, Refused};
use std::time::Duration;

pub async fn answer(
    system: &System,
    parts: &http::request::Parts,
    key: &str,
    body: hyper::body::Incoming,
    body_timeout: Duration,
) -> hyper::Response<Full<Bytes>> {
    let query = FileBlobs::parse_query(parts.uri.query().unwrap_or_default());
    let now = chrono::Utc::now();
    let outcome = match parts.method {
        hyper::Method::PUT => {
            let limit = system
                .app
                .attachments
                .as_ref()
                .map(|a| a.max_bytes)
                .unwrap_or(lapor::attachments::DEFAULT_MAX_BYTES);
            let read = tokio::time::timeout(
                body_timeout,
                Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX) + 1).collect(),
            )
            .await;
            let bytes = match read {
                Ok(Ok(collected)) => collected.to_bytes().to_vec(),
                Ok(Err(_)) => return plain(413, "the file is larger than allowed"),
                Err(_) => return plain(408, "the file did not arrive in time"),
            };
            let content_type = parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            system
                .files
                .accept_upload(key, &query, content_type, bytes, now)
                .await
                .map(|()| plain(200, ""))
        }
        hyper::Method::GET => system.files.serve(key, &query, now).await.map(|download| {
            let mut response = hyper::Response::new(Full::new(Bytes::from(download.body)));
            let headers = response.headers_mut();
            let header = |v: &str| v.parse().unwrap_or(http::HeaderValue::from_static(""));
            headers.insert(http::header::CONTENT_TYPE, header(&download.content_type));
            headers.insert(
                http::header::CONTENT_DISPOSITION,
                header(&download.disposition),
            );
            // A file is never taken for another type, nor run as a page of this origin.
            headers.insert("x-content-type-options", header("nosniff"));
            headers.insert(
                http::header::CONTENT_SECURITY_POLICY,
                header("sandbox; default-src 'none'"),
            );
            headers.insert(http::header::CACHE_CONTROL, header("private, max-age=300"));
            response
        }),
        _ => return plain(405, "only PUT and GET"),
    };
    match outcome {
        Ok(response) => response,
        Err(AcceptError::Refused(Refused::Missing)) => plain(404, "no such file"),
        Err(AcceptError::Refused(refused)) => plain(403, &refused.to_string()),
        Err(AcceptError::Store(e)) => {
            tracing::warn!(error = %e, "the attachments' files failed");
            plain(503, "the files are unavailable, please retry")
        }
    }
}

fn plain(status: u16, text: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(text.to_string())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("a valid status");
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
