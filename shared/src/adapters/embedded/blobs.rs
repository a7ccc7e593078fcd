//! The attachments' files on disk (`ports::BlobStore` for the local runner): S3's part played by
//! a folder and signed URLs the runner serves (`/_blobs/...`). An upload URL binds the method,
//! key, content type, length and expiry into an HMAC, as a presigned S3 URL binds its signed
//! headers, so the runner refuses another type, another size or a late upload. A file stored
//! under `upload/` announces itself on the uploads queue in S3's notification shape, so the
//! same consumer checks it.

use crate::ports::{BlobStore, MessageQueue, QueueName, SignedRequest, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The path the runner serves files under.
pub const ROUTE_PREFIX: &str = "/_blobs/";
/// The bucket name notifications carry.
const BUCKET: &str = "lapor-local";

pub struct FileBlobs {
    root: PathBuf,
    /// `http://127.0.0.1:3000`: where the runner listens.
    base_url: std::sync::RwLock<String>,
    signing_key: [u8; 32],
    /// Where uploads are announced; none where nothing consumes them.
    queue: Option<Arc<dyn MessageQueue>>,
}

/// Why the runner refuses a signed request (all answered 403 but a missing file, 404).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("the URL's signature does not match")]
    BadSignature,
    #[error("the URL has expired")]
    Expired,
    #[error("the request's {0} is not the one signed")]
    NotAsSigned(&'static str),
    #[error("no such file")]
    Missing,
}

/// What a signed `GET` answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub body: Vec<u8>,
    pub content_type: String,
    pub disposition: String,
}

type Query = BTreeMap<String, String>;

impl FileBlobs {
    /// Files under `root`; URLs on `base_url`; a signing key of its own for this process (URLs
    /// last minutes; a restart only makes the client ask again).
    pub fn new(root: &Path, base_url: &str, queue: Option<Arc<dyn MessageQueue>>) -> FileBlobs {
        use rand::RngCore;
        let mut signing_key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut signing_key);
        FileBlobs {
            root: root.to_path_buf(),
            base_url: std::sync::RwLock::new(base_url.trim_end_matches('/').to_string()),
            signing_key,
            queue,
        }
    }

    /// Where the runner listens, once it does (its URLs point there).
    pub fn set_base_url(&self, base_url: &str) {
        *self.base_url.write().expect("not poisoned") = base_url.trim_end_matches('/').to_string();
    }

    /// The file of `key`: only our own key shapes (`upload|file|preview/<id>/<id>`), so no
    /// key climbs out of the folder.
    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        let mut parts = key.split('/');
        let valid = matches!(parts.next(), Some("upload" | "file" | "preview"))
            && parts.clone().count() == 2
            && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        match valid {
            true => Ok(self.root.join(key)),
            false => Err(StoreError::Corrupt(format!("not a blob key: {key:?}"))),
        }
    }

    /// The MAC of a request's signed fields, one per line.
    fn mac(&self, fields: &[&str]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing_key).expect("any key length");
        for field in fields {
            mac.update(field.as_bytes());
            mac.update(b"\n");
        }
        mac
    }

    fn signature(&self, fields: &[&str]) -> String {
        hex::encode(self.mac(fields).finalize().into_bytes())
    }

    fn verify(&self, fields: &[&str], query: &Query, now: DateTime<Utc>) -> Result<(), Refused> {
        let presented = query.get("signature").ok_or(Refused::BadSignature)?;
        let presented = hex::decode(presented).map_err(|_| Refused::BadSignature)?;
        // Constant time: a signature is a secret until it matches.
        self.mac(fields)
            .verify_slice(&presented)
            .map_err(|_| Refused::BadSignature)?;
        let expires: i64 = query
            .get("expires")
            .and_then(|e| e.parse().ok())
            .ok_or(Refused::BadSignature)?;
        match now.timestamp() < expires {
            true => Ok(()),
            false => Err(Refused::Expired),
        }
    }

    fn url(&self, key: &str, query: &[(&str, &str)]) -> String {
        format!(
            "{}{ROUTE_PREFIX}{key}?{}",
            self.base_url.read().expect("not poisoned"),
            serde_urlencoded::to_string(query).expect("strings encode")
        )
    }

    /// Reads a request's query string as the runner received it.
    pub fn parse_query(query: &str) -> Query {
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .unwrap_or_default()
            .into_iter()
            .collect()
    }

    /// A signed `PUT /_blobs/<key>?...`: stores the body when the URL's signature, expiry,
    /// content type and length all hold, then announces the upload.
    pub async fn accept_upload(
        &self,
        key: &str,
        query: &Query,
        content_type: Option<&str>,
        body: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<(), AcceptError> {
        let signed_type = query.get("type").map(String::as_str).unwrap_or_default();
        let signed_length = query.get("length").map(String::as_str).unwrap_or_default();
        let expires = query.get("expires").map(String::as_str).unwrap_or_default();
        self.verify(
            &["PUT", key, signed_type, signed_length, expires],
            query,
            now,
        )?;
        if content_type != Some(signed_type) {
            return Err(Refused::NotAsSigned("Content-Type").into());
        }
        if body.len().to_string() != signed_length {
            return Err(Refused::NotAsSigned("Content-Length").into());
        }
        self.put(key, signed_type, body).await?;
        Ok(())
    }

    /// A signed `GET /_blobs/<key>?...`.
    pub async fn serve(
        &self,
        key: &str,
        query: &Query,
        now: DateTime<Utc>,
    ) -> Result<Download, AcceptError> {
        let content_type = query.get("type").map(String::as_str).unwrap_or_default();
        let disposition = query
            .get("disposition")
            .map(String::as_str)
            .unwrap_or_default();
        let expires = query.get("expires").map(String::as_str).unwrap_or_default();
        self.verify(
            &["GET", key, content_type, disposition, expires],
            query,
            now,
        )?;
        let body = self.get(key, u64::MAX - 1).await?.ok_or(Refused::Missing)?;
        Ok(Download {
            body,
            content_type: content_type.to_string(),
            disposition: disposition.to_string(),
        })
    }

    /// Deletes the files of attachments older than `retention` (the bucket's lifecycle rule
    /// does this in AWS); answers how many.
    pub fn expire(&self, retention: Duration) -> Result<usize, StoreError> {
        let mut removed = 0;
        for prefix in ["upload", "file", "preview"] {
            // Uploads never checked go after a day, as the bucket's rule says.
            let limit = match prefix {
                "upload" => Duration::from_secs(24 * 3600),
                _ => retention,
            };
            let Ok(reports) = std::fs::read_dir(self.root.join(prefix)) else {
                continue;
            };
            for report in reports.flatten() {
                for file in std::fs::read_dir(report.path())
                    .into_iter()
                    .flatten()
                    .flatten()
                {
                    let old = file
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > limit);
                    if old && std::fs::remove_file(file.path()).is_ok() {
                        removed += 1;
                    }
                }
            }
        }
        Ok(removed)
    }
}

/// A refused request, or the store failing under it.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(what: &str, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("blob {what}: {e}"))
}

#[async_trait]
impl BlobStore for FileBlobs {
    async fn upload_request(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<SignedRequest, StoreError> {
        self.path(key)?;
        let expires = (Utc::now().timestamp() + ttl.as_secs() as i64).to_string();
        let length = length.to_string();
        let signature = self.signature(&["PUT", key, content_type, &length, &expires]);
        Ok(SignedRequest {
            method: "PUT".into(),
            url: self.url(
                key,
                &[
                    ("type", content_type),
                    ("length", &length),
                    ("expires", &expires),
                    ("signature", &signature),
                ],
            ),
            headers: BTreeMap::from([
                ("content-type".to_string(), content_type.to_string()),
                ("content-length".to_string(), length.clone()),
            ]),
        })
    }

    async fn download_url(
        &self,
        key: &str,
        content_type: &str,
        disposition: &str,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        self.path(key)?;
        let expires = (Utc::now().timestamp() + ttl.as_secs() as i64).to_string();
        let signature = self.signature(&["GET", key, content_type, disposition, &expires]);
        Ok(self.url(
            key,
            &[
                ("type", content_type),
                ("disposition", disposition),
                ("expires", &expires),
                ("signature", &signature),
            ],
        ))
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>, StoreError> {
        use std::io::Read;
        let path = self.path(key)?;
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("open", e)),
        };
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| io("read", e))?;
        Ok(Some(bytes))
    }

    async fn put(&self, key: &str, _content_type: &str, body: Vec<u8>) -> Result<(), StoreError> {
        let path = self.path(key)?;
        let dir = path.parent().expect("a key has a folder");
        std::fs::create_dir_all(dir).map_err(|e| io("mkdir", e))?;
        // Written aside and renamed: a reader never sees half a file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, &body).map_err(|e| io("write", e))?;
        std::fs::rename(&partial, &path).map_err(|e| io("rename", e))?;
        if let (true, Some(queue)) = (key.starts_with("upload/"), &self.queue) {
            let notice = crate::attachments::notification::created_notification(
                BUCKET,
                key,
                body.len() as u64,
            );
            queue
                .send(QueueName::Uploads, &notice)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match std::fs::remove_file(self.path(key)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("delete", e)),
        }
    }

    fn origin(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "upload/X9EC6EH1DB/abcdefghijklmnopqrstuv";

    fn query_of(url: &str) -> Query {
        FileBlobs::parse_query(url.split_once('?').unwrap().1)
    }

    #[tokio::test]
    async fn an_upload_must_be_the_type_and_size_signed_and_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FileBlobs::new(dir.path(), "http://127.0.0.1:3000/", None);
        let request = blobs
            .upload_request(KEY, "image/png", 4, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(request
            .url
            .starts_with("http://127.0.0.1:3000/_blobs/upload/"));
        let query = query_of(&request.url);
        let now = Utc::now();
        let refused = |r: Result<(), AcceptError>| match r {
            Err(AcceptError::Refused(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(
            refused(
                blobs
                    .accept_upload(KEY, &query, Some("image/jpeg"), vec![1; 4], now)
                    .await
            ),
            Refused::NotAsSigned("Content-Type")
        );
        assert_eq!(
            refused(
                blobs
                    .accept_upload(KEY, &query, Some("image/png"), vec![1; 5], now)
                    .await
            ),
            Refused::NotAsSigned("Content-Length")
        );
        let mut tampered = query.clone();
        tampered.insert("length".into(), "5".into());
        assert_eq!(
            refused(
                blobs
                    .accept_upload(KEY, &tampered, Some("image/png"), vec![1; 5], now)
                    .await
            ),
            Refused::BadSignature
        );
        let other_key = "upload/X9EC6EH1DB/bbcdefghijklmnopqrstuv";
        assert_eq!(
            refused(
                blobs
                    .accept_upload(other_key, &query, Some("image/png"), vec![1; 4], now)
                    .await
            ),
            Refused::BadSignature
        );
        let late = now + chrono::Duration::seconds(61);
        assert_eq!(
            refused(
                blobs
                    .accept_upload(KEY, &query, Some("image/png"), vec![1; 4], late)
                    .await
            ),
            Refused::Expired
        );
        assert!(
            blobs.get(KEY, 10).await.unwrap().is_none(),
            "nothing stored when refused"
        );
        blobs
            .accept_upload(KEY, &query, Some("image/png"), vec![1; 4], now)
            .await
            .unwrap();
        assert_eq!(blobs.get(KEY, 10).await.unwrap().unwrap(), vec![1; 4]);
        assert_eq!(
            blobs.get(KEY, 2).await.unwrap().unwrap().len(),
            3,
            "limit + 1"
        );
    }

    #[tokio::test]
    async fn a_download_url_serves_the_signed_type_and_disposition_only() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FileBlobs::new(dir.path(), "http://127.0.0.1:3000", None);
        let key = "file/X9EC6EH1DB/abcdefghijklmnopqrstuv";
        blobs
            .put(key, "application/pdf", b"%PDF-".to_vec())
            .await
            .unwrap();
        let url = blobs
            .download_url(
                key,
                "application/pdf",
                "attachment",
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        let query = query_of(&url);
        let served = blobs.serve(key, &query, Utc::now()).await.unwrap();
        assert_eq!(
            (served.content_type.as_str(), served.disposition.as_str()),
            ("application/pdf", "attachment")
        );
        let mut inline = query.clone();
        inline.insert("disposition".into(), "inline".into());
        assert!(matches!(
            blobs.serve(key, &inline, Utc::now()).await,
            Err(AcceptError::Refused(Refused::BadSignature))
        ));
    }

    #[tokio::test]
    async fn keys_cannot_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FileBlobs::new(dir.path(), "http://x", None);
        for key in [
            "../etc/passwd",
            "file/../../x/y",
            "file/a",
            "other/a/b",
            "file/a/b/c",
            "file/a./b",
        ] {
            assert!(blobs.get(key, 1).await.is_err(), "{key}");
        }
    }
}
