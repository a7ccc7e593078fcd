//! Attachments: photos and documents a reporter or an officer adds to a report as evidence.
//!
//! The flow, the same on both families: the API records a `pending` attachment on the report
//! and answers a short-lived upload URL bound to the declared type and size; the client puts the
//! bytes there; the upload's arrival (an S3 event on the uploads queue; the local runner's own
//! message) runs `service::attachments::process`, which checks the file is what it claims
//! ([`clean`]), re-encodes images without their metadata, makes a preview and only then marks
//! the attachment `available`. Nobody is ever handed the uploaded bytes themselves.

#[cfg(feature = "media")]
pub mod clean;

/// The S3 event notification an upload makes, in S3's shape: what the uploads queue carries,
/// read by the attachments function and written by a blob store that stands in for S3.
pub mod notification {
    use serde::Deserialize;

    /// The S3 event notification an upload makes (the local runner's blob store sends the same
    /// shape): the keys of the objects created. A test event, or an event of another kind, has
    /// none.
    pub fn created_keys(body: &str) -> Result<Vec<String>, serde_json::Error> {
        #[derive(Deserialize)]
        struct Notification {
            #[serde(default, rename = "Records")]
            records: Vec<Record>,
        }
        #[derive(Deserialize)]
        struct Record {
            #[serde(rename = "eventName")]
            event_name: String,
            s3: S3,
        }
        #[derive(Deserialize)]
        struct S3 {
            object: Object,
        }
        #[derive(Deserialize)]
        struct Object {
            key: String,
        }
        let notification: Notification = serde_json::from_str(body)?;
        Ok(notification
            .records
            .into_iter()
            .filter(|r| r.event_name.starts_with("ObjectCreated:"))
            .map(|r| form_decoded(&r.s3.object.key))
            .collect())
    }

    /// S3 notifications carry keys form-encoded (`+` for a space, `%2F` for `/` on some servers).
    fn form_decoded(key: &str) -> String {
        let bytes = key.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The notification S3 sends for an object created at `key` (the fields the consumer reads, in
    /// S3's shape), for a blob store that stands in for S3.
    pub fn created_notification(bucket: &str, key: &str, size: u64) -> String {
        serde_json::json!({
            "Records": [{
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": bucket},
                    "object": {"key": key, "size": size},
                },
            }],
        })
        .to_string()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn notification_keys_are_form_decoded() {
            let body = created_notification("b", "upload%2FX9EC6EH1DB%2Fabc", 1);
            assert_eq!(created_keys(&body).unwrap(), ["upload/X9EC6EH1DB/abc"]);
            assert_eq!(form_decoded("a+b%20c%2"), "a b c%2");
            assert_eq!(form_decoded("upload/X/y"), "upload/X/y");
            let test_event = r#"{"Service": "Amazon S3", "Event": "s3:TestEvent"}"#;
            assert!(created_keys(test_event).unwrap().is_empty());
        }
    }
}

use crate::domain::TrackingId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// At most this many attachments (pending or available) on one report.
pub const MAX_PER_REPORT: usize = 5;
/// The default size limit of one file (`ATTACHMENT_MAX_BYTES` overrides it).
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Rejected attachments kept on a report (so its reporter reads why); older ones are dropped.
pub const MAX_REJECTED_KEPT: usize = 5;
/// How long an upload URL may be used, and how long a pending attachment holds its place.
pub const UPLOAD_WINDOW: chrono::Duration = chrono::Duration::minutes(15);
/// How long attachments are kept after their upload: the bucket's lifecycle rule deletes the
/// files then (`template.yaml`, `AttachmentRetention`; a test checks they agree), and no view
/// lists them after it. Reports themselves are kept without end today.
pub const RETENTION_DAYS: i64 = 1095;
pub const RETENTION: chrono::Duration = chrono::Duration::days(RETENTION_DAYS);
/// How long a URL to read a file lasts: long enough to open a page and its images.
pub const DOWNLOAD_WINDOW: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The kinds of file a report may carry. Anything else is refused before an upload URL exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MediaType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "application/pdf")]
    Pdf,
}

impl MediaType {
    pub const ALL: [MediaType; 4] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Webp,
        MediaType::Pdf,
    ];

    /// The MIME type, as the upload's `Content-Type` must say.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Pdf => "application/pdf",
        }
    }

    /// Reads a `Content-Type` (parameters and case ignored; `image/jpg` is JPEG).
    pub fn from_mime(mime: &str) -> Option<MediaType> {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "image/jpeg" | "image/jpg" => Some(MediaType::Jpeg),
            "image/png" => Some(MediaType::Png),
            "image/webp" => Some(MediaType::Webp),
            "application/pdf" => Some(MediaType::Pdf),
            _ => None,
        }
    }

    pub fn is_image(self) -> bool {
        self != MediaType::Pdf
    }

    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Pdf => "pdf",
        }
    }
}

/// Where an attachment is in its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    /// An upload URL was given; the file has not arrived or not been checked yet.
    Pending,
    /// Checked (and, an image, re-encoded without its metadata): it may be shown.
    Available,
    /// The file was not what it claimed, did not decode, or was larger than declared.
    Rejected,
}

/// Who attached a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Uploader {
    /// The reporter (the web, an app, or media sent on a channel).
    Reporter,
    /// An officer of the institution holding the report, with a follow-up.
    Institution { agency_id: String },
}

/// A photo or document on a report. The bytes live in the blob store under [`keys`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Random, unguessable, unique within the report.
    pub id: String,
    pub media_type: MediaType,
    /// The size the uploader declared, bound into the upload URL; the checked file is this long.
    pub declared_size: u64,
    pub state: AttachmentState,
    pub by: Uploader,
    pub created_at: DateTime<Utc>,
    /// A pending attachment holds its place until then (the upload URL's expiry).
    pub upload_expires_at: DateTime<Utc>,
    /// Set once available: the size of the stored (cleaned) file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// An image's small JPEG preview exists.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_preview: bool,
    /// The image was re-encoded without its metadata (EXIF GPS and device data, text chunks):
    /// only such an image is ever shown to the public.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub metadata_removed: bool,
    /// Why it was rejected (a `clean::Rejected` code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// When it was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<DateTime<Utc>>,
}

impl Attachment {
    /// Whether it still counts against [`MAX_PER_REPORT`]: available, or pending within its
    /// upload window.
    pub fn holds_a_place(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            AttachmentState::Available => true,
            AttachmentState::Pending => now < self.upload_expires_at,
            AttachmentState::Rejected => false,
        }
    }
}

/// Where an attachment's bytes live in the blob store (one bucket, three prefixes).
pub mod keys {
    use super::*;

    /// What the client uploads: never served; deleted once checked (a lifecycle rule deletes
    /// what is left after a day).
    pub fn upload(report: &TrackingId, id: &str) -> String {
        format!("upload/{}/{id}", report.as_str())
    }

    /// The checked file (an image re-encoded without metadata).
    pub fn file(report: &TrackingId, id: &str) -> String {
        format!("file/{}/{id}", report.as_str())
    }

    /// An image's preview (JPEG).
    pub fn preview(report: &TrackingId, id: &str) -> String {
        format!("preview/{}/{id}", report.as_str())
    }

    /// The report and attachment an upload key names; none for any other key.
    pub fn parse_upload(key: &str) -> Option<(TrackingId, String)> {
        let rest = key.strip_prefix("upload/")?;
        let (report, id) = rest.split_once('/')?;
        let report = TrackingId::parse(report)?;
        let valid_id =
            (16..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
        valid_id.then(|| (report, id.to_string()))
    }
}

/// A new attachment id: 22 random base62 symbols (131 bits).
pub fn new_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..22)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
