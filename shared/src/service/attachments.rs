//! Attachments: asking for an upload, checking what arrived, and listing a report's files for
//! whoever reads it (`crate::attachments` has the flow and the types).
//!
//! Who sees what:
//! - the reporter (access token), the institution's officers and the verifiers see every
//!   attachment and its state; the files through URLs that last [`DOWNLOAD_WINDOW`];
//! - the public only the images of a report the public may read (verified, not confidential, not
//!   archived) that were re-encoded without their metadata; never a document. An anonymous
//!   report takes no documents at all: a PDF can carry its author's name, which no re-encoding
//!   removes.

use super::actions::load;
use super::App;
use crate::api::{json_object, typed, FieldError, ServiceError};
use crate::attachments::{
    keys, new_id, Attachment, AttachmentState, MediaType, Uploader, DOWNLOAD_WINDOW,
    MAX_PER_REPORT, MAX_REJECTED_KEPT, RETENTION, UPLOAD_WINDOW,
};
use crate::domain::{AccessToken, Actor, Report, TrackingId};
use crate::ports::{BlobStore, Clock, ReportStore, SignedRequest, UpdateError};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where attachments are kept, and how large one may be. Absent from an `App` whose function
/// was not given the bucket.
#[derive(Clone)]
pub struct Attachments {
    pub blobs: Arc<dyn BlobStore>,
    pub max_bytes: u64,
}

impl Attachments {
    /// The size limit from `ATTACHMENT_MAX_BYTES` (a whole number of bytes, 1 KiB to 50 MiB).
    pub fn max_bytes_from_env() -> Result<u64, crate::config::ConfigError> {
        let name = crate::config::env::ATTACHMENT_MAX_BYTES;
        let value = crate::config::required(name)?;
        value
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1024..=50 * 1024 * 1024).contains(n))
            .ok_or_else(|| crate::config::ConfigError {
                name,
                problem: "must be a whole number of bytes from 1024 to 52428800".into(),
            })
    }
}

fn configured(app: &App) -> Result<&Attachments, ServiceError> {
    app.attachments
        .as_ref()
        .ok_or_else(|| ServiceError::unavailable("attachments are not configured here"))
}

/// `POST .../attachments`: what the uploader says they will send.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadBody {
    /// `image/jpeg`, `image/png`, `image/webp` or `application/pdf`.
    pub content_type: String,
    /// The file's exact size in bytes (at most the limit, 10 MiB unless configured).
    #[serde(deserialize_with = "whole_number")]
    pub size: u64,
}

/// A size as JSON writes a whole number, `1024` or `1024.0` alike (JSON Schema's `integer` takes
/// both); a fraction or a negative number is refused as the wrong type. A huge one saturates
/// (and is then over the limit: `422` naming `size`).
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let n = f64::deserialize(deserializer)?;
    if n.fract() == 0.0 && n >= 0.0 {
        Ok(n as u64)
    } else {
        Err(serde::de::Error::custom(
            "invalid value: a size, expected a whole number of bytes",
        ))
    }
}

/// What an upload request answers (`201`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadGranted {
    pub tracking_id: TrackingId,
    pub attachment_id: String,
    pub state: AttachmentState,
    /// Send the file with exactly this method, URL and headers before `expires_at`.
    pub upload: SignedRequest,
    /// In the zone of the report's institution (or region), as every time the API shows.
    pub expires_at: DateTime<FixedOffset>,
}

/// Who asks to attach, as the edge authenticated them.
pub enum Requester<'a> {
    /// With the report's access token (checked here).
    Reporter { token: Option<&'a str> },
    /// An officer or verifier, as their claims say.
    Staff(&'a Actor),
    /// A channel's sender whose provider signed who they are: the reference of their address
    /// (`Sealer::reference`), which must be the report's own sender's.
    Sender { reference: &'a str },
}

fn conflict(code: &'static str, message: &str) -> ServiceError {
    ServiceError::Conflict {
        code,
        message: message.into(),
    }
}

/// Checks the body against the limits and the report; the media type it asks for.
fn check_body(
    body: &UploadBody,
    report: &Report,
    max_bytes: u64,
) -> Result<MediaType, ServiceError> {
    let mut fields = Vec::new();
    let media_type = MediaType::from_mime(&body.content_type);
    match media_type {
        None => fields.push(FieldError::new(
            "content_type",
            "must be image/jpeg, image/png, image/webp or application/pdf",
        )),
        Some(MediaType::Pdf) if report.anonymous => fields.push(FieldError::new(
            "content_type",
            "an anonymous report takes photos only (JPEG, PNG, WebP): a document can carry its \
             author's name",
        )),
        Some(_) => {}
    }
    if body.size == 0 || body.size > max_bytes {
        fields.push(FieldError::new(
            "size",
            format!("must be the file's size in bytes, from 1 to {max_bytes}"),
        ));
    }
    match (media_type, fields.is_empty()) {
        (Some(media_type), true) => Ok(media_type),
        _ => Err(ServiceError::Invalid(fields)),
    }
}

/// Who is uploading, once their right to was checked.
fn uploader(requester: &Requester<'_>, report: &Report) -> Result<Uploader, ServiceError> {
    match requester {
        Requester::Reporter { token } => {
            let token = token.ok_or(ServiceError::Unauthorized)?;
            if !AccessToken::from_presented(token).matches(&report.access_token_hash) {
                return Err(ServiceError::Unauthorized);
            }
            Ok(Uploader::Reporter)
        }
        Requester::Staff(Actor::Officer { agency_id, .. })
            if report.agency_id.as_deref() == Some(agency_id.as_str())
                || report.work_unit.as_deref() == Some(agency_id.as_str()) =>
        {
            Ok(Uploader::Institution {
                agency_id: agency_id.clone(),
            })
        }
        Requester::Sender { reference } => {
            match report.reporter_ref.as_deref() == Some(*reference) {
                true => Ok(Uploader::Reporter),
                false => Err(ServiceError::Forbidden(
                    "only the report's own sender attaches files to it".into(),
                )),
            }
        }
        Requester::Staff(_) => Err(ServiceError::Forbidden(
            "only the officers of the institution holding the report attach files to it".into(),
        )),
    }
}

/// Records a pending attachment on the report and answers where to upload it. Nothing is stored
/// when the request is refused.
pub async fn request_upload(
    app: &App,
    tracking_id: &str,
    requester: Requester<'_>,
    body: &[u8],
) -> Result<UploadGranted, ServiceError> {
    let attachments = configured(app)?;
    let body: UploadBody = typed(json_object(body)?)?;
    let (report, attachment) = reserve(app, tracking_id, &requester, &body).await?;
    let upload = attachments
        .blobs
        .upload_request(
            &keys::upload(&report.tracking_id, &attachment.id),
            attachment.media_type.mime(),
            attachment.declared_size,
            UPLOAD_WINDOW.to_std().expect("a positive window"),
        )
        .await?;
    let zone = super::views::citizen_zone(&report, &*app.directory.current().await);
    Ok(UploadGranted {
        tracking_id: report.tracking_id,
        attachment_id: attachment.id,
        state: AttachmentState::Pending,
        upload,
        expires_at: zone.local(attachment.upload_expires_at),
    })
}

/// Attaches a file whose bytes are already here (a web form's upload, media a channel's provider
/// sent): the same checks as [`request_upload`], then the bytes go where a client would have
/// put them, and the same check of the upload follows.
pub async fn attach_bytes(
    app: &App,
    tracking_id: &str,
    requester: Requester<'_>,
    content_type: &str,
    bytes: Vec<u8>,
) -> Result<String, ServiceError> {
    let attachments = configured(app)?;
    let body = UploadBody {
        content_type: content_type.to_string(),
        size: bytes.len() as u64,
    };
    let (report, attachment) = reserve(app, tracking_id, &requester, &body).await?;
    attachments
        .blobs
        .put(
            &keys::upload(&report.tracking_id, &attachment.id),
            attachment.media_type.mime(),
            bytes,
        )
        .await?;
    Ok(attachment.id)
}

/// Checks the request against the report and records the pending attachment on it.
async fn reserve(
    app: &App,
    tracking_id: &str,
    requester: &Requester<'_>,
    body: &UploadBody,
) -> Result<(Report, Attachment), ServiceError> {
    let max_bytes = configured(app)?.max_bytes;
    for _ in 0..3 {
        let mut report = load(app, tracking_id).await?;
        let by = uploader(requester, &report)?;
        let media_type = check_body(body, &report, max_bytes)?;
        if report.status.is_final() {
            return Err(conflict(
                "not_open",
                "this report is closed or archived: it takes no more attachments",
            ));
        }
        let now = app.clock.now();
        if report
            .attachments
            .iter()
            .filter(|a| a.holds_a_place(now))
            .count()
            >= MAX_PER_REPORT
        {
            return Err(conflict(
                "too_many_attachments",
                &format!("a report takes at most {MAX_PER_REPORT} attachments"),
            ));
        }
        forget_stale(&mut report.attachments, now);
        let attachment = Attachment {
            id: new_id(),
            media_type,
            declared_size: body.size,
            state: AttachmentState::Pending,
            by,
            created_at: now,
            upload_expires_at: now + UPLOAD_WINDOW,
            size: None,
            has_preview: false,
            metadata_removed: false,
            rejected: None,
            checked_at: None,
        };
        report.attachments.push(attachment.clone());
        report.version += 1;
        match app.store.update(&report).await {
            Ok(()) => {
                tracing::info!(tracking_id = %report.tracking_id, attachment_id = %attachment.id,
                    media_type = media_type.mime(), size = body.size, "attachment reserved");
                return Ok((report, attachment));
            }
            Err(UpdateError::Conflict) => continue,
            Err(UpdateError::Store(e)) => return Err(e.into()),
        }
    }
    Err(conflict(
        "conflict",
        "the report kept changing; please try again",
    ))
}

/// Drops what no reader needs any more: pending attachments whose upload never came (an hour
/// past their window, so a check still running finds its record) and all but the latest
/// [`MAX_REJECTED_KEPT`] rejected ones.
fn forget_stale(attachments: &mut Vec<Attachment>, now: DateTime<Utc>) {
    let grace = chrono::Duration::hours(1);
    attachments
        .retain(|a| a.state != AttachmentState::Pending || now < a.upload_expires_at + grace);
    let rejected = attachments
        .iter()
        .filter(|a| a.state == AttachmentState::Rejected)
        .count();
    let mut to_drop = rejected.saturating_sub(MAX_REJECTED_KEPT);
    attachments.retain(|a| {
        let drop = to_drop > 0 && a.state == AttachmentState::Rejected;
        to_drop -= usize::from(drop);
        !drop
    });
}

// ------------------------------------------------------------------ checking an upload

/// What became of an upload event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The file passed and is available now.
    Available,
    /// The file failed its checks (the code says why); the upload is deleted.
    Rejected(&'static str),
    /// Nothing to do: not an upload key, a report or attachment that is gone, an attachment
    /// already checked (a redelivered event), or an upload no longer there.
    Ignored(&'static str),
}

/// The attachments function's parts (no PII key: it never reads a contact).
#[derive(Clone)]
pub struct Checker {
    pub store: Arc<dyn ReportStore>,
    pub clock: Arc<dyn Clock>,
    pub attachments: Attachments,
}

#[cfg(feature = "media")]
impl Checker {
    /// One message of the uploads queue: checks every upload it announces. An error leaves the
    /// message for a retry (an outage); a body that is not an S3 notification is an error too,
    /// so it ends on the dead-letter queue for an operator to read.
    pub async fn handle_message(&self, body: &str) -> Result<(), ServiceError> {
        let keys = crate::attachments::notification::created_keys(body).map_err(|e| {
            ServiceError::internal(format!("an uploads message that is not an S3 event: {e}"))
        })?;
        for key in keys {
            self.check_upload(&key).await?;
        }
        Ok(())
    }

    /// Checks the upload at `key` and records the outcome on its attachment. Safe to run twice
    /// for the same upload: the second run finds the attachment checked and only tidies up. A
    /// store or blob outage is an error (the event is retried); everything else is an outcome.
    pub async fn check_upload(&self, key: &str) -> Result<Checked, ServiceError> {
        use crate::attachments::clean;

        let blobs = &self.attachments.blobs;
        let Some((tracking_id, id)) = keys::parse_upload(key) else {
            tracing::warn!("an upload event for a key that is not an upload's");
            return Ok(Checked::Ignored("not_an_upload_key"));
        };
        let Some(report) = self.store.get(&tracking_id).await? else {
            blobs.delete(key).await?;
            return Ok(Checked::Ignored("no_such_report"));
        };
        let Some(attachment) = report.attachments.iter().find(|a| a.id == id).cloned() else {
            blobs.delete(key).await?;
            return Ok(Checked::Ignored("no_such_attachment"));
        };
        if attachment.state != AttachmentState::Pending {
            blobs.delete(key).await?;
            return Ok(Checked::Ignored("already_checked"));
        }
        let Some(bytes) = blobs.get(key, attachment.declared_size).await? else {
            return Ok(Checked::Ignored("upload_gone"));
        };
        let outcome = if bytes.len() as u64 != attachment.declared_size {
            Err("size_mismatch")
        } else if attachment.media_type == MediaType::Pdf && report.anonymous {
            // Refused when the upload was asked for; checked again here, so no path ever keeps
            // an anonymous reporter's document.
            Err("document_of_anonymous_report")
        } else {
            let media_type = attachment.media_type;
            tokio::task::spawn_blocking(move || clean::clean(media_type, &bytes))
                .await
                .map_err(|e| ServiceError::internal(format!("the check panicked: {e}")))?
                .map_err(|rejected| rejected.code())
        };
        let now = self.clock.now();
        let checked = match outcome {
            Ok(cleaned) => {
                let size = cleaned.body.len() as u64;
                let (has_preview, metadata_removed) =
                    (cleaned.preview.is_some(), cleaned.metadata_removed);
                blobs
                    .put(
                        &keys::file(&tracking_id, &id),
                        attachment.media_type.mime(),
                        cleaned.body,
                    )
                    .await?;
                if let Some(preview) = cleaned.preview {
                    blobs
                        .put(&keys::preview(&tracking_id, &id), "image/jpeg", preview)
                        .await?;
                }
                self.record(&tracking_id, &id, move |a| {
                    a.state = AttachmentState::Available;
                    a.size = Some(size);
                    a.has_preview = has_preview;
                    a.metadata_removed = metadata_removed;
                    a.checked_at = Some(now);
                })
                .await?;
                Checked::Available
            }
            Err(code) => {
                self.record(&tracking_id, &id, move |a| {
                    a.state = AttachmentState::Rejected;
                    a.rejected = Some(code.to_string());
                    a.checked_at = Some(now);
                })
                .await?;
                Checked::Rejected(code)
            }
        };
        // Last: a crash before this leaves the upload for the redelivered event (or the
        // bucket's one-day rule), never an attachment marked without its files.
        blobs.delete(key).await?;
        tracing::info!(tracking_id = %tracking_id, attachment_id = %id, outcome = ?checked,
            "upload checked");
        Ok(checked)
    }

    /// Applies `change` to the pending attachment `id`, retrying on a concurrent write; nothing
    /// when it is no longer pending (another run recorded it first).
    async fn record(
        &self,
        tracking_id: &TrackingId,
        id: &str,
        change: impl Fn(&mut Attachment),
    ) -> Result<(), ServiceError> {
        for _ in 0..5 {
            let Some(mut report) = self.store.get(tracking_id).await? else {
                return Ok(());
            };
            let Some(attachment) = report
                .attachments
                .iter_mut()
                .find(|a| a.id == id && a.state == AttachmentState::Pending)
            else {
                return Ok(());
            };
            change(attachment);
            report.version += 1;
            match self.store.update(&report).await {
                Ok(()) => return Ok(()),
                Err(UpdateError::Conflict) => continue,
                Err(UpdateError::Store(e)) => return Err(e.into()),
            }
        }
        Err(ServiceError::unavailable(
            "the report kept changing while an attachment was recorded",
        ))
    }
}

// ------------------------------------------------------------------ reading

/// Who reads a report's attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    /// The reporter, the institution's officers, the verifiers.
    Involved,
}

/// An attachment as a reader sees it. The URLs last [`DOWNLOAD_WINDOW`] (`expires_at`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    pub id: String,
    pub content_type: &'static str,
    pub state: AttachmentState,
    /// `reporter` or `institution`.
    pub by: &'static str,
    pub created_at: DateTime<FixedOffset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The file (available only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// An image's small JPEG preview.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// When the URLs stop working (in the report's zone).
    pub expires_at: Option<DateTime<FixedOffset>>,
    /// Why it was rejected (a code: `not_what_it_claims`, `does_not_decode`, `size_mismatch`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
}

/// Whether `audience` may see `attachment` of `report` at `now`.
pub fn visible(
    report: &Report,
    attachment: &Attachment,
    audience: Audience,
    now: DateTime<Utc>,
) -> bool {
    if attachment.created_at + RETENTION <= now {
        return false;
    }
    match audience {
        Audience::Involved => true,
        Audience::Public => {
            report.is_public()
                && attachment.state == AttachmentState::Available
                && attachment.media_type.is_image()
                && attachment.metadata_removed
        }
    }
}

/// The attachments of `report` that `audience` may see, with fresh URLs to the available ones.
/// Empty where attachments are not configured.
pub async fn listing(
    app: &App,
    report: &Report,
    audience: Audience,
) -> Result<Vec<AttachmentView>, ServiceError> {
    let Some(attachments) = &app.attachments else {
        return Ok(Vec::new());
    };
    let now = app.clock.now();
    let zone = super::views::citizen_zone(report, &*app.directory.current().await);
    let mut out = Vec::new();
    for a in report.attachments.iter() {
        if !visible(report, a, audience, now)
            || a.state == AttachmentState::Pending && now >= a.upload_expires_at
        {
            continue;
        }
        let mut view = AttachmentView {
            id: a.id.clone(),
            content_type: a.media_type.mime(),
            state: a.state,
            by: match a.by {
                Uploader::Reporter => "reporter",
                Uploader::Institution { .. } => "institution",
            },
            created_at: zone.local(a.created_at),
            size: a.size,
            url: None,
            preview_url: None,
            expires_at: None,
            rejected: a.rejected.clone(),
        };
        if a.state == AttachmentState::Available {
            let disposition = match a.media_type.is_image() {
                true => "inline".to_string(),
                false => format!(
                    "attachment; filename=\"lampiran-{}.{}\"",
                    a.id,
                    a.media_type.extension()
                ),
            };
            let blobs = &attachments.blobs;
            view.url = Some(
                blobs
                    .download_url(
                        &keys::file(&report.tracking_id, &a.id),
                        a.media_type.mime(),
                        &disposition,
                        DOWNLOAD_WINDOW,
                    )
                    .await?,
            );
            if a.has_preview {
                view.preview_url = Some(
                    blobs
                        .download_url(
                            &keys::preview(&report.tracking_id, &a.id),
                            "image/jpeg",
                            "inline",
                            DOWNLOAD_WINDOW,
                        )
                        .await?,
                );
            }
            view.expires_at = Some(
                zone.local(now + chrono::Duration::from_std(DOWNLOAD_WINDOW).expect("minutes")),
            );
        }
        out.push(view);
    }
    Ok(out)
}

/// Adds `attachments` to a JSON view of `report` (the public view only when it has content).
pub async fn add_to_view(
    app: &App,
    report: &Report,
    audience: Audience,
    view: &mut serde_json::Value,
) -> Result<(), ServiceError> {
    if audience == Audience::Public && !report.is_public() {
        return Ok(());
    }
    let listed = listing(app, report, audience).await?;
    view["attachments"] = serde_json::to_value(listed).expect("attachment views serialise");
    Ok(())
}
