//! Attachments on the pages: a report's photos and documents as a list (thumbnails of images,
//! download links of documents, what is still being checked and what was refused and why), the
//! form to add one (`multipart/form-data`, [`super::request::multipart`]), and the words for
//! what the service answers. The pages that use them: the reporter's tracking page
//! (`citizen::track`, `POST /lacak/{id}/lampiran`), the public report page (`citizen::public`,
//! checked images only) and the officers' report page (`officer::report`,
//! `POST /petugas/laporan/{id}/lampiran`).
//!
//! The files themselves are never served by the web: the page links to the blob store's
//! short-lived URLs (`service::attachments::listing`), and a page that shows them allows images
//! from the blob store's origin in its `img-src` ([`super::page::Page::images_from`]).

use super::request::{FilePart, MultipartError, Upload};
use super::Web;
use crate::api::{FieldError, ServiceError};
use crate::attachments::{AttachmentState, MediaType, MAX_PER_REPORT};
use crate::service::attachments::AttachmentView;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The form's file field.
pub const FILE_FIELD: &str = "berkas";
/// The `accept` of the file input: what a report takes.
pub const ACCEPT_ALL: &str = "image/jpeg,image/png,image/webp,application/pdf";
/// The `accept` of an anonymous report's file input: photos only.
pub const ACCEPT_IMAGES: &str = "image/jpeg,image/png,image/webp";

/// The origin of the attachments' URLs when it is not the pages' own (for `img-src`).
pub fn blob_origin(web: &Web) -> Option<String> {
    web.app.attachments.as_ref().and_then(|a| a.blobs.origin())
}

/// The largest file the web's form takes: the web's own limit ([`super::WEB_FILE_LIMIT`], what
/// fits in a Lambda request once base64-encoded), or the service's when that is lower.
pub fn web_file_limit(web: &Web) -> u64 {
    let service = web
        .app
        .attachments
        .as_ref()
        .map_or(u64::MAX, |a| a.max_bytes);
    service.min(super::WEB_FILE_LIMIT as u64)
}

/// A size as people read it: `4 MB`, `1,5 MB`, `350 KB` (1 MB = 1024 KB = 1 048 576 bytes, as
/// phones and computers show file sizes).
pub fn size_words(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        match tenths % 10 {
            0 => format!("{} MB", tenths / 10),
            d => format!("{},{d} MB", tenths / 10),
        }
    } else {
        format!("{} KB", bytes.div_ceil(KB).max(1))
    }
}

/// An attachment as `service::attachments::listing` lists it: the officers' page reads it from
/// the staff view's JSON, the citizens' pages from the listing itself.
#[derive(Debug, Clone, Deserialize)]
pub struct Listed {
    pub content_type: String,
    pub state: AttachmentState,
    /// `reporter` or `institution`.
    pub by: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub preview_url: Option<String>,
    #[serde(default)]
    pub rejected: Option<String>,
}

impl From<&AttachmentView> for Listed {
    fn from(v: &AttachmentView) -> Listed {
        Listed {
            content_type: v.content_type.to_string(),
            state: v.state,
            by: v.by.to_string(),
            created_at: v.created_at.with_timezone(&Utc),
            size: v.size,
            url: v.url.clone(),
            preview_url: v.preview_url.clone(),
            rejected: v.rejected.clone(),
        }
    }
}

/// An attachment as a page shows it.
#[derive(Debug, Clone)]
pub struct Shown {
    /// `Lampiran foto 1 dari pelapor`: the heading of the item and an image's alt text.
    pub title: String,
    /// `available`, `pending` or `rejected`.
    pub state: &'static str,
    pub image: bool,
    /// The file (available only): an image's full size, a document's download.
    pub url: Option<String>,
    /// An image's small preview.
    pub preview_url: Option<String>,
    /// `PDF, 120 KB`.
    pub format: String,
    pub created: String,
    /// Why it was refused, in words.
    pub reason: Option<&'static str>,
}

/// The attachments as a page shows them, numbered in order; `when` formats a time as the page
/// does elsewhere.
pub fn shown(listed: &[Listed], when: impl Fn(DateTime<Utc>) -> String) -> Vec<Shown> {
    listed
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let media_type = MediaType::from_mime(&a.content_type);
            let image = media_type.is_some_and(MediaType::is_image);
            let kind = if image { "foto" } else { "dokumen PDF" };
            let by = match a.by.as_str() {
                "institution" => "instansi",
                _ => "pelapor",
            };
            let format_name = match media_type {
                Some(MediaType::Jpeg) => "JPEG",
                Some(MediaType::Png) => "PNG",
                Some(MediaType::Webp) => "WebP",
                Some(MediaType::Pdf) | None => "PDF",
            };
            let available = a.state == AttachmentState::Available;
            Shown {
                title: format!("Lampiran {kind} {} dari {by}", i + 1),
                state: match a.state {
                    AttachmentState::Available => "available",
                    AttachmentState::Pending => "pending",
                    AttachmentState::Rejected => "rejected",
                },
                image,
                url: a.url.clone().filter(|_| available),
                preview_url: a.preview_url.clone().filter(|_| available && image),
                format: match a.size {
                    Some(size) => format!("{format_name}, {}", size_words(size)),
                    None => format_name.to_string(),
                },
                created: when(a.created_at),
                reason: (a.state == AttachmentState::Rejected)
                    .then(|| rejection(a.rejected.as_deref().unwrap_or_default())),
            }
        })
        .collect()
}

/// Why the check refused a file (a `clean::Rejected` code or the check's own), in Indonesian.
pub fn rejection(code: &str) -> &'static str {
    match code {
        "empty" => "Berkas kosong.",
        "not_what_it_claims" => {
            "Isi berkas tidak sesuai dengan jenisnya (misalnya berkas bernama foto yang \
             ternyata bukan gambar)."
        }
        "does_not_decode" => "Gambar rusak atau tidak lengkap sehingga tidak dapat dibuka.",
        "too_many_pixels" => "Ukuran gambar terlalu besar (lebih dari 40 megapiksel).",
        "not_a_pdf" => "Dokumen PDF rusak atau tidak lengkap.",
        "active_content" => "Dokumen PDF berisi skrip atau berkas sisipan yang tidak diizinkan.",
        "size_mismatch" => "Berkas tidak terkirim utuh. Silakan kirim lagi.",
        "document_of_anonymous_report" => "Laporan anonim hanya menerima foto, bukan dokumen.",
        _ => "Berkas tidak lolos pemeriksaan keamanan.",
    }
}

/// The upload form of a page.
#[derive(Debug, Clone)]
pub struct UploadForm {
    /// Where it posts, within the site (`/lacak/{id}/lampiran`).
    pub action: String,
    pub csrf: String,
    /// An anonymous report takes photos only.
    pub images_only: bool,
    pub accept: &'static str,
    /// How many more files the report takes (0: no form, a sentence instead).
    pub remaining: usize,
    pub max_files: usize,
    /// `4 MB`.
    pub max_size: String,
    /// What to fix, when the form comes back.
    pub error: Option<String>,
}

impl UploadForm {
    /// The form for `report`, or none when attachments are not configured or the report is
    /// final.
    pub fn for_report(
        web: &Web,
        report: &crate::domain::Report,
        action: String,
        csrf: &str,
        error: Option<String>,
    ) -> Option<UploadForm> {
        web.app.attachments.as_ref()?;
        if report.status.is_final() {
            return None;
        }
        let now = web.app.clock.now();
        let held = report
            .attachments
            .iter()
            .filter(|a| a.holds_a_place(now))
            .count();
        Some(UploadForm::new(
            web,
            action,
            csrf,
            report.anonymous,
            MAX_PER_REPORT.saturating_sub(held),
            error,
        ))
    }

    pub fn new(
        web: &Web,
        action: String,
        csrf: &str,
        images_only: bool,
        remaining: usize,
        error: Option<String>,
    ) -> UploadForm {
        UploadForm {
            action,
            csrf: csrf.to_string(),
            images_only,
            accept: if images_only {
                ACCEPT_IMAGES
            } else {
                ACCEPT_ALL
            },
            remaining,
            max_files: MAX_PER_REPORT,
            max_size: size_words(web_file_limit(web)),
            error,
        }
    }
}

/// What became of reading an upload form, before the service is asked.
enum Read {
    /// The file and its declared type.
    File {
        content_type: String,
        bytes: Vec<u8>,
    },
    /// Nothing to send to the service: what to tell the person (a field error).
    Problem(String),
}

/// Attaches the form's file to `report` as `requester`: `Ok(())`, or the status and the
/// Indonesian words to show the form again with (an unreadable file, a refusal of the
/// service's). The reporter's and the officers' forms both end here.
pub async fn attach(
    web: &Web,
    upload: Upload,
    back: &str,
    report: &crate::domain::Report,
    requester: crate::service::attachments::Requester<'_>,
) -> Result<Result<(), (u16, String)>, super::page::PageError> {
    Ok(match read_file(web, upload, back)? {
        Read::Problem(words) => Err((400, words)),
        Read::File {
            content_type,
            bytes,
        } => match crate::service::attachments::attach_bytes(
            &web.app,
            report.tracking_id.as_str(),
            requester,
            &content_type,
            bytes,
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(problem(e, report.anonymous, web)?),
        },
    })
}

/// Reads the form's file: no file chosen, an empty file or one over the web's limit are
/// answered here; the declared type is the part's (or, when the browser declared none or
/// `application/octet-stream`, the one its name's extension says), and the service checks it
/// against the report and, later, against the bytes.
fn read_file(web: &Web, upload: Upload, back: &str) -> Result<Read, super::page::PageError> {
    let Some(FilePart {
        filename,
        content_type,
        bytes,
    }) = upload.file
    else {
        return Ok(Read::Problem(NO_FILE.into()));
    };
    if bytes.is_empty() {
        return Ok(Read::Problem(match filename.is_empty() {
            true => NO_FILE.into(),
            false => "Berkas yang Anda pilih kosong. Pilih berkas lain.".into(),
        }));
    }
    let limit = web_file_limit(web);
    if bytes.len() as u64 > limit {
        return Err(super::page::PageError::UploadTooLarge {
            limit: limit as usize,
            back: back.to_string(),
        });
    }
    let declared = content_type
        .as_deref()
        .filter(|t| MediaType::from_mime(t).is_some())
        .map(str::to_string)
        .or_else(|| from_extension(&filename).map(|m| m.mime().to_string()))
        .or(content_type)
        .unwrap_or_default();
    Ok(Read::File {
        content_type: declared,
        bytes,
    })
}

const NO_FILE: &str = "Pilih berkas yang akan dilampirkan.";

/// The type a file's name says (`foto.JPG`), for a browser that declared none.
fn from_extension(filename: &str) -> Option<MediaType> {
    let (_, extension) = filename.rsplit_once('.')?;
    match extension.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Some(MediaType::Jpeg),
        "png" => Some(MediaType::Png),
        "webp" => Some(MediaType::Webp),
        "pdf" => Some(MediaType::Pdf),
        _ => None,
    }
}

/// An upload form's post, read: within [`crate::web::WEB_UPLOAD_LIMIT`] (else the 413 page with
/// a way `back`), CSRF-checked, where attachments are configured (else 404). Nothing is stored
/// yet. The reporter's and the officers' forms both start here.
pub fn read_upload(
    web: &Web,
    req: &lambda_http::Request,
    back: &str,
) -> Result<Upload, super::page::PageError> {
    let upload = super::request::multipart(req, FILE_FIELD, crate::web::WEB_UPLOAD_LIMIT)
        .map_err(|e| unreadable(web, e, back))?;
    web.csrf.check(req, &upload.fields)?;
    if web.app.attachments.is_none() {
        return Err(super::page::PageError::not_found());
    }
    Ok(upload)
}

/// A multipart post the form could not have sent: 413 over the limit, else 400.
fn unreadable(web: &Web, error: MultipartError, back: &str) -> super::page::PageError {
    match error {
        MultipartError::TooLarge => super::page::PageError::UploadTooLarge {
            limit: web_file_limit(web) as usize,
            back: back.to_string(),
        },
        MultipartError::Malformed(why) => {
            ServiceError::bad_request("invalid_multipart", why).into()
        }
    }
}

/// What the service refused, in words for the form, when it is about the file or the report's
/// room for one (field errors, too many attachments, a closed report); anything else is the
/// web's usual error page.
pub fn problem(
    error: ServiceError,
    anonymous: bool,
    web: &Web,
) -> Result<(u16, String), ServiceError> {
    match error {
        ServiceError::Invalid(fields) => Ok((400, field_problems(&fields, anonymous, web))),
        ServiceError::Conflict { code, .. } => Ok((
            409,
            match code {
                "too_many_attachments" => format!(
                    "Laporan ini sudah memiliki {MAX_PER_REPORT} lampiran, batas yang \
                     diizinkan. Berkas Anda tidak disimpan."
                ),
                "not_open" => "Laporan ini sudah selesai atau diarsipkan sehingga tidak \
                               menerima lampiran lagi. Berkas Anda tidak disimpan."
                    .into(),
                _ => "Laporan ini baru saja berubah. Berkas Anda tidak disimpan: muat ulang \
                      halaman, lalu kirim lagi."
                    .into(),
            },
        )),
        other => Err(other),
    }
}

fn field_problems(fields: &[FieldError], anonymous: bool, web: &Web) -> String {
    let mut out: Vec<String> = Vec::new();
    for f in fields {
        let words = match f.field.as_str() {
            "content_type" if anonymous => {
                "Laporan anonim hanya menerima foto (JPEG, PNG atau WebP): dokumen dapat memuat \
                 nama pembuatnya."
                    .to_string()
            }
            "content_type" => {
                "Jenis berkas tidak diterima. Pilih foto JPEG, PNG atau WebP, atau dokumen PDF."
                    .to_string()
            }
            "size" => format!(
                "Berkas harus berisi dan paling besar {}.",
                size_words(web_file_limit(web))
            ),
            _ => "Berkas tidak dapat diterima.".to_string(),
        };
        if !out.contains(&words) {
            out.push(words);
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_phones_show_them() {
        assert_eq!(size_words(4 * 1024 * 1024), "4 MB");
        assert_eq!(size_words(1536 * 1024), "1,5 MB");
        assert_eq!(size_words(350 * 1024), "350 KB");
        assert_eq!(size_words(10), "1 KB");
    }

    #[test]
    fn every_rejection_code_has_words() {
        for code in [
            "empty",
            "not_what_it_claims",
            "does_not_decode",
            "too_many_pixels",
            "not_a_pdf",
            "active_content",
            "size_mismatch",
            "document_of_anonymous_report",
        ] {
            assert_ne!(rejection(code), rejection("something_new"), "{code}");
        }
    }

    #[test]
    fn attachments_are_numbered_and_described() {
        let at = chrono::Utc::now();
        let listed = [
            Listed {
                content_type: "image/png".into(),
                state: AttachmentState::Available,
                by: "reporter".into(),
                created_at: at,
                size: Some(2048),
                url: Some("u1".into()),
                preview_url: Some("p1".into()),
                rejected: None,
            },
            Listed {
                content_type: "application/pdf".into(),
                state: AttachmentState::Rejected,
                by: "institution".into(),
                created_at: at,
                size: None,
                url: None,
                preview_url: None,
                rejected: Some("active_content".into()),
            },
        ];
        let shown = shown(&listed, |_| "kemarin".into());
        assert_eq!(shown[0].title, "Lampiran foto 1 dari pelapor");
        assert_eq!(shown[0].format, "PNG, 2 KB");
        assert_eq!(shown[0].preview_url.as_deref(), Some("p1"));
        assert_eq!(shown[1].title, "Lampiran dokumen PDF 2 dari instansi");
        assert_eq!(shown[1].state, "rejected");
        assert!(shown[1].reason.unwrap().contains("skrip"));
    }

    #[test]
    fn a_type_the_browser_did_not_declare_comes_from_the_name() {
        assert_eq!(from_extension("IMG_0001.JPG"), Some(MediaType::Jpeg));
        assert_eq!(from_extension("surat.pdf"), Some(MediaType::Pdf));
        assert_eq!(from_extension("virus.exe"), None);
        assert_eq!(from_extension("tanpa-titik"), None);
    }
}
