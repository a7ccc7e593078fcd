//! What every page shares: the layout's context, rendering, the headers every answer gets, and
//! the one mapping from a service error to an error page.

use super::assets;
use crate::api::{FieldError, ServiceError};
use askama::Template;
use lambda_http::{Body, Request, Response};

/// The strict policy of every page: nothing from another host, no inline script or style, no
/// framing, forms only to us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// [`CONTENT_SECURITY_POLICY`] for a page that shows attachments: `img-src` adds the origin the
/// attachments' URLs point at (`ports::BlobStore::origin`, an S3 origin in AWS), and nothing
/// else changes. An origin that is not a plain `scheme://host[:port]` is left out (its images
/// then do not load) rather than put into the header.
pub fn content_security_policy(image_origin: Option<&str>) -> String {
    match image_origin.filter(|o| is_plain_origin(o)) {
        Some(origin) => CONTENT_SECURITY_POLICY.replacen(
            "img-src 'self' data:;",
            &format!("img-src 'self' data: {origin};"),
            1,
        ),
        None => CONTENT_SECURITY_POLICY.to_string(),
    }
}

/// `http(s)://host[:port]`: letters, digits, dots, dashes, an IPv6 literal's brackets and
/// colons; no path, no space, no quote, no `;`.
fn is_plain_origin(origin: &str) -> bool {
    let Some(host) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// The layout's context (`base.html`): every page struct has one as `layout`.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Where the site is mounted ([`super::request::base`]): every link starts with it.
    pub base: String,
    /// The page's title, before " - LAPOR!".
    pub title: String,
    /// Which part of the navigation the page belongs to: `beranda`, `lacak`, `laporan`,
    /// `petugas`, or "" for none.
    pub section: &'static str,
    /// The stylesheet's and script's paths, with their content hash.
    pub css: &'static str,
    pub js: &'static str,
}

impl Layout {
    pub fn new(req: &Request, title: impl Into<String>, section: &'static str) -> Layout {
        Layout {
            base: super::request::base(req),
            title: title.into(),
            section,
            css: assets::css_path(),
            js: assets::js_path(),
        }
    }
}

/// A rendered page with its status, cookies and caching.
#[derive(Debug)]
pub struct Page {
    status: u16,
    html: String,
    cookies: Vec<String>,
    personal: bool,
    extra_headers: Vec<(&'static str, String)>,
    /// Where the page's attachment images come from, besides our own origin.
    image_origin: Option<String>,
}

impl Page {
    /// Renders `template` (200, public caching rules). A template that fails to render is a bug.
    pub fn render<T: Template>(template: &T) -> Result<Page, PageError> {
        let html = template
            .render()
            .map_err(|e| ServiceError::internal(format!("template failed: {e}")))?;
        Ok(Page {
            status: 200,
            html,
            cookies: Vec::new(),
            personal: false,
            extra_headers: Vec::new(),
            image_origin: None,
        })
    }

    pub fn status(mut self, status: u16) -> Page {
        self.status = status;
        self
    }

    /// A `Set-Cookie` to send with the page (none when `None`).
    pub fn cookie(mut self, set_cookie: Option<String>) -> Page {
        self.cookies.extend(set_cookie);
        self
    }

    /// The page shows personal data (a reporter's own view, an officer's): `no-store`, so no
    /// cache, shared or the browser's, keeps it.
    pub fn personal(mut self) -> Page {
        self.personal = true;
        self
    }

    /// The page shows attachments whose URLs point at `origin` (none: our own origin): its
    /// policy allows images from there ([`content_security_policy`]).
    pub fn images_from(mut self, origin: Option<String>) -> Page {
        self.image_origin = origin;
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Page {
        self.extra_headers.push((name, value.into()));
        self
    }

    pub fn into_response(self) -> Response<Body> {
        let cache = if self.personal {
            "no-store"
        } else {
            // Pages carry a CSRF token bound to one browser's cookie: never from a shared
            // cache, and revalidated each time.
            "private, no-cache"
        };
        let policy = content_security_policy(self.image_origin.as_deref());
        let mut builder = secured_with(Response::builder().status(self.status), &policy)
            .header("content-type", "text/html; charset=utf-8")
            .header("cache-control", cache);
        for cookie in self.cookies {
            builder = builder.header("set-cookie", cookie);
        }
        for (name, value) in self.extra_headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Body::Text(self.html))
            .expect("status and headers are valid")
    }
}

/// The headers every answer of the web gets.
pub fn secured(
    builder: lambda_http::http::response::Builder,
) -> lambda_http::http::response::Builder {
    secured_with(builder, CONTENT_SECURITY_POLICY)
}

/// [`secured`] with `policy` as the Content-Security-Policy.
fn secured_with(
    builder: lambda_http::http::response::Builder,
    policy: &str,
) -> lambda_http::http::response::Builder {
    builder
        .header("content-security-policy", policy)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("x-frame-options", "DENY")
}

/// `303 See Other` to `location` (a path within the site, without the base) after a post, with
/// the cookies to set.
pub fn redirect(req: &Request, location: &str, cookies: Vec<String>) -> Response<Body> {
    debug_assert!(location.starts_with('/') && !location.starts_with("//"));
    let mut builder = secured(Response::builder().status(303))
        .header(
            "location",
            format!("{}{location}", super::request::base(req)),
        )
        .header("cache-control", "no-store");
    for cookie in cookies {
        builder = builder.header("set-cookie", cookie);
    }
    builder
        .body(Body::Empty)
        .expect("status and headers are valid")
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// What a service answered.
    Service(ServiceError),
    /// It was here and is no longer (a withdrawn report's public page).
    Gone(String),
    /// A post without a valid CSRF token: nothing was done.
    Csrf,
    /// A path we serve, with a method we do not.
    MethodNotAllowed,
    /// An attachment's upload larger than the web takes (`limit` bytes of file): nothing was
    /// stored. `back` is the page the form was on (a path within the site).
    UploadTooLarge { limit: usize, back: String },
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> PageError {
        PageError::Service(e)
    }
}

impl PageError {
    pub fn not_found() -> PageError {
        PageError::Service(ServiceError::NotFound("no such page".into()))
    }

    /// The status of the error page: the JSON API's, except a form's invalid fields (400: the
    /// form is shown again, what to fix next to each field).
    pub fn status(&self) -> u16 {
        match self {
            PageError::Service(ServiceError::Invalid(_)) => 400,
            PageError::Service(e) => crate::api::http_status(e),
            PageError::Gone(_) => 410,
            PageError::Csrf => 403,
            PageError::MethodNotAllowed => 405,
            PageError::UploadTooLarge { .. } => 413,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    heading: &'static str,
    explanation: String,
    fields: &'a [FieldError],
    retry: bool,
    /// Where to go back to (a path within the site), besides the home page.
    back: Option<(String, &'static str)>,
}

/// The page for an error: its status, a heading and a plain explanation in Indonesian, the
/// fields to fix, and for an outage an invitation to retry (with `Retry-After`). An outage's
/// or a bug's detail is logged, never shown.
pub fn error_response(req: &Request, error: &PageError) -> Response<Body> {
    let status = error.status();
    let (heading, explanation, fields): (&'static str, String, &[FieldError]) = match error {
        PageError::Service(e) => {
            crate::api::log_error(e);
            match e {
                ServiceError::BadRequest { message, .. } => (
                    "Permintaan tidak dapat dibaca",
                    format!("Periksa kembali isian Anda. Rincian: {message}"),
                    &[],
                ),
                ServiceError::Unauthorized => (
                    "Akses pelapor diperlukan",
                    "Halaman ini hanya untuk pelapor yang memegang tautan pribadi laporan. \
                     Buka tautan pribadi Anda, lalu coba lagi."
                        .into(),
                    &[],
                ),
                ServiceError::Forbidden(_) => (
                    "Tidak diizinkan",
                    "Anda tidak berwenang melakukan ini.".into(),
                    &[],
                ),
                ServiceError::NotFound(_) => (
                    "Tidak ditemukan",
                    "Halaman atau laporan yang Anda cari tidak ada. Periksa kembali nomor \
                     pelacakan atau alamatnya."
                        .into(),
                    &[],
                ),
                ServiceError::Conflict { message, .. } => (
                    "Tidak dapat dilakukan sekarang",
                    format!(
                        "Laporan ini sudah berubah atau tindakan ini tidak berlaku pada \
                         statusnya sekarang. Muat ulang halaman untuk melihat keadaan \
                         terbaru. Rincian: {message}"
                    ),
                    &[],
                ),
                ServiceError::TooLarge { limit } => (
                    "Isian terlalu besar",
                    format!(
                        "Yang Anda kirim melebihi batas {} KB. Persingkat teksnya, lalu \
                         kirim lagi.",
                        limit / 1024
                    ),
                    &[],
                ),
                ServiceError::Invalid(fields) => (
                    "Ada isian yang perlu diperbaiki",
                    "Perbaiki isian berikut, lalu kirim lagi.".into(),
                    fields.as_slice(),
                ),
                ServiceError::Unavailable { .. } => (
                    "Layanan sedang tidak tersedia",
                    "Kami tidak dapat memproses permintaan Anda saat ini. Tidak ada yang \
                     berubah: coba lagi dalam beberapa saat."
                        .into(),
                    &[],
                ),
                ServiceError::Internal { .. } => (
                    "Terjadi kesalahan di sistem kami",
                    "Maaf, permintaan Anda gagal diproses. Kesalahan ini sudah dicatat; \
                     coba lagi nanti."
                        .into(),
                    &[],
                ),
            }
        }
        PageError::Gone(what) => ("Sudah tidak tersedia", what.clone(), &[]),
        PageError::Csrf => (
            "Formulir tidak sah atau kedaluwarsa",
            "Demi keamanan, formulir ini tidak kami terima dan tidak ada yang berubah. Muat \
             ulang halaman, lalu kirim lagi. Pastikan peramban Anda menerima cookie dari \
             situs ini."
                .into(),
            &[],
        ),
        PageError::MethodNotAllowed => (
            "Metode tidak diizinkan",
            "Alamat ini tidak menerima permintaan seperti itu.".into(),
            &[],
        ),
        PageError::UploadTooLarge { limit, .. } => (
            "Berkas terlalu besar",
            format!(
                "Berkas yang dikirim lewat halaman ini paling besar {}. Berkas Anda tidak \
                 disimpan. Kecilkan ukurannya (misalnya foto dengan resolusi lebih rendah \
                 atau dokumen yang dipindai ulang), lalu kirim lagi.",
                super::attachments::size_words(*limit as u64)
            ),
            &[],
        ),
    };
    let back = match error {
        PageError::UploadTooLarge { back, .. } => Some((back.clone(), "Kembali ke laporan")),
        _ => None,
    };
    let retry = matches!(error, PageError::Service(ServiceError::Unavailable { .. }));
    let page = ErrorPage {
        layout: Layout::new(req, heading, ""),
        status,
        heading,
        explanation,
        fields,
        retry,
        back,
    };
    match Page::render(&page) {
        Ok(page) => {
            let page = page.status(status);
            let page = if retry {
                page.header("retry-after", "5")
            } else {
                page
            };
            page.into_response()
        }
        // The error page itself failing is a bug; answer in plain text rather than not at all.
        Err(_) => secured(Response::builder().status(500))
            .header("content-type", "text/plain; charset=utf-8")
            .header("cache-control", "no-store")
            .body(Body::Text("Terjadi kesalahan di sistem kami.".into()))
            .expect("status and headers are valid"),
    }
}

/// The answer for a handler's result: the page, the redirect, or the error page.
pub fn answer(req: &Request, result: Result<Response<Body>, PageError>) -> Response<Body> {
    result.unwrap_or_else(|e| error_response(req, &e))
}
