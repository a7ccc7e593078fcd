//! The attachments' bucket (`ports::BlobStore` on S3): presigned `PUT`s with the content type
//! and length among the signed headers (S3 refuses another type or size: `SignatureDoesNotMatch`),
//! presigned `GET`s that set the answer's type and disposition, and the processing function's
//! reads and writes.

use crate::ports::{BlobStore, SignedRequest, StoreError};
use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use std::time::Duration;

pub struct S3Blobs {
    client: Client,
    bucket: String,
    /// The origin download URLs point at (the pages' `img-src`).
    origin: String,
}

/// An S3 client from the shared configuration. Where an endpoint is set (LocalStack, moto),
/// buckets are addressed by path: `bucket.127.0.0.1` does not resolve, and LocalStack's
/// documentation asks for path style.
pub fn s3_client(config: &aws_config::SdkConfig) -> Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(custom_endpoint().is_some())
        .build();
    Client::from_conf(s3_config)
}

/// The endpoint the SDK is pointed at instead of AWS's, as it reads it from the environment.
fn custom_endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|url| !url.trim().is_empty())
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("s3 {what}: {e}"))
}

impl S3Blobs {
    pub fn new(client: Client, bucket: String) -> S3Blobs {
        S3Blobs::at(client, bucket, custom_endpoint())
    }

    /// `endpoint`: where the client is pointed instead of AWS (path-style URLs there).
    fn at(client: Client, bucket: String, endpoint: Option<String>) -> S3Blobs {
        let origin = match endpoint {
            // Path style: the endpoint's origin.
            Some(endpoint) => origin_of(&endpoint),
            None => {
                let region = client
                    .config()
                    .region()
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "us-east-1".into());
                format!("https://{bucket}.s3.{region}.amazonaws.com")
            }
        };
        S3Blobs {
            client,
            bucket,
            origin,
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(url.len());
    url[..end].to_string()
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(ttl).map_err(|e| unavailable("presigning", e))
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn upload_request(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<SignedRequest, StoreError> {
        let length = i64::try_from(length).map_err(|e| unavailable("length", e))?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| unavailable("presigning a put", e))?;
        Ok(SignedRequest {
            method: presigned.method().to_string(),
            url: presigned.uri().to_string(),
            headers: presigned
                .headers()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        })
    }

    async fn download_url(
        &self,
        key: &str,
        content_type: &str,
        disposition: &str,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(content_type)
            .response_content_disposition(disposition)
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| unavailable("presigning a get", e))?;
        Ok(presigned.uri().to_string())
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>, StoreError> {
        // One byte past the limit tells "larger" without reading a huge object.
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{limit}"))
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) => {
                let missing = e
                    .as_service_error()
                    .is_some_and(|service| service.is_no_such_key());
                return match missing {
                    true => Ok(None),
                    false => Err(unavailable(
                        "get",
                        aws_sdk_s3::error::DisplayErrorContext(&e),
                    )),
                };
            }
        };
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| unavailable("reading a body", e))?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| unavailable("put", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| unavailable("delete", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        Ok(())
    }

    fn origin(&self) -> Option<String> {
        Some(self.origin.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_the_scheme_host_and_port() {
        assert_eq!(
            origin_of("http://127.0.0.1:4566/x/y"),
            "http://127.0.0.1:4566"
        );
        assert_eq!(
            origin_of("https://s3.amazonaws.com"),
            "https://s3.amazonaws.com"
        );
    }

    #[tokio::test]
    async fn an_upload_url_signs_the_content_type_and_length() {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("ap-southeast-3"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            ))
            .build();
        let blobs = S3Blobs::at(Client::from_conf(config), "lapor-attachments".into(), None);
        let request = blobs
            .upload_request(
                "upload/X9EC6EH1DB/abcdefghijklmnopqrstuv",
                "image/jpeg",
                12_345,
                Duration::from_secs(900),
            )
            .await
            .unwrap();
        assert_eq!(request.method, "PUT");
        let signed = request
            .url
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("X-Amz-SignedHeaders="))
            .unwrap();
        assert_eq!(
            signed, "content-length%3Bcontent-type%3Bhost",
            "{}",
            request.url
        );
        assert_eq!(request.headers["content-type"], "image/jpeg");
        assert_eq!(request.headers["content-length"], "12345");
        assert_eq!(
            blobs.origin().unwrap(),
            "https://lapor-attachments.s3.ap-southeast-3.amazonaws.com"
        );
    }
}
