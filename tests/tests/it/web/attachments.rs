//! Attachments on the pages, on every storage family: the reporter attaches a photo through the
//! tracking page's form (a `multipart/form-data` post, delivered base64-encoded as API Gateway
//! delivers binary bodies) and sees it once the check ran; the limits, CSRF and an anonymous
//! report's rule refuse and store nothing; the public page shows checked images only; only the
//! holding institution's officers attach from the console; the pages allow images from the
//! blob store's origin, and from nowhere else.

use super::browser::{page, web, Browser, Page};
use super::officer::signed_in;
use super::officer_browser;
use lapor::attachments::notification::created_keys;
use lapor::attachments::{AttachmentState, Uploader};
use lapor::auth::{StaffClaims, StaffRole};
use lapor::ports::{BlobStore, QueueName, SignedRequest, StoreError};
use lapor::service::attachments::Attachments;
use lapor::web::page::CONTENT_SECURITY_POLICY;
use lapor::web::{officer, Settings, Web, WEB_UPLOAD_LIMIT};
use lapor_tests::{families, sample_report, Harness, Submitted};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const BANDUNG: &str = "pemda-32.73";
const SURABAYA: &str = "pemda-35.78";
const BOUNDARY: &str = "----LaporUjiBatas7MA4YWxkTrZu0gW";

// ------------------------------------------------------------------ files, made by hand

/// CRC-32 (ISO 3309, as PNG's chunks use it).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut typed = kind.to_vec();
    typed.extend_from_slice(data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
}

/// A valid RGB PNG of `width` x `height` in one colour: signature, IHDR, one IDAT holding a
/// zlib stream of stored (uncompressed) blocks, IEND.
fn png(width: u32, height: u32) -> Vec<u8> {
    // Each row: its filter byte (0, none), then the pixels.
    let mut row = vec![0u8];
    for _ in 0..width {
        row.extend_from_slice(&[20, 160, 60]);
    }
    let raw = row.repeat(height as usize);
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter method, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

#[test]
fn the_hand_made_png_is_a_png() {
    let made = png(3, 2);
    assert!(made.starts_with(b"\x89PNG\r\n\x1a\n"));
    // The known CRC of the empty IEND chunk.
    assert!(made.ends_with(&[0xAE, 0x42, 0x60, 0x82]));
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
}

// ------------------------------------------------------------------ the browser's side

/// A `multipart/form-data` body as a browser sends the upload form: the CSRF token (when
/// given) and the file (name, declared type, bytes; none: no file part at all).
fn form_body(csrf: Option<&str>, file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    if let Some(csrf) = csrf {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"berkas\"; \
                 filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// Posts `body` to `path` as API Gateway (HTTP API, payload 2.0) delivers it to the web
/// function: the binary body base64-encoded (`isBase64Encoded`), the browser's cookies in
/// `cookies`.
async fn post_through_gateway(
    web: &Web,
    cookies: &HashMap<String, String>,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Page {
    use base64::Engine;
    let cookies: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "POST /lacak/{tracking_id}/{aksi}",
        "rawPath": path,
        "rawQueryString": "",
        "cookies": cookies,
        "headers": {
            "host": "lapor.example",
            "x-forwarded-proto": "https",
            "content-type": content_type,
            "content-length": body.len().to_string(),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "lapor.example",
            "stage": "$default",
            "time": "01/Dec/2025:02:00:00 +0000",
            "timeEpoch": 1764554400000i64,
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.45", "userAgent": "lapor-test"},
            "requestId": "attachments-test",
            "routeKey": "POST /lacak/{tracking_id}/{aksi}",
        },
        "body": base64::engine::general_purpose::STANDARD.encode(body),
        "isBase64Encoded": true,
    });
    let req = lambda_http::request::from_str(&event.to_string()).expect("a valid v2 event");
    assert!(
        matches!(req.body(), lambda_http::Body::Binary(_)),
        "a base64 body reaches the handler as bytes"
    );
    page(lapor::web::handle(web, req).await)
}

/// Posts the upload form of the page at `from` (its CSRF token) with `file` to `to`.
async fn upload_from(
    web: &Web,
    b: &mut Browser,
    from: &str,
    to: &str,
    file: (&str, &str, &[u8]),
) -> Page {
    let form = b.get(web, from).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let csrf = form.field("csrf");
    let (content_type, body) = form_body(Some(&csrf), Some(file));
    post_through_gateway(web, &b.cookies, to, &content_type, &body).await
}

/// A report routed to Bandung and a browser holding its access (opened with the private
/// link's code, as the reporter does).
async fn reporter_with(web: &Web, h: &Harness, body: serde_json::Value) -> (Submitted, Browser) {
    let s = h.submit_routed(&body).await;
    let mut b = Browser::default();
    let opened = b
        .fill(
            web,
            &format!("/lacak/{}", s.id),
            &format!("/lacak/{}/akses", s.id),
            &[("akses", s.token.as_str())],
        )
        .await;
    assert_eq!(opened.status, 303, "{}: {}", h.family, opened.html);
    (s, b)
}

fn anonymous_report() -> serde_json::Value {
    let mut body = sample_report();
    body["anonymous"] = true.into();
    body.as_object_mut().unwrap().remove("reporter");
    body
}

/// HTML attribute text back to the URL it holds.
fn unescape(html: &str) -> String {
    html.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
}

/// The `src` of every `<img>` of a page, unescaped, with its `alt`.
fn images(html: &str) -> Vec<(String, String)> {
    html.split("<img ")
        .skip(1)
        .map(|tag| {
            let attr = |name: &str| {
                let marker = format!("{name}=\"");
                let at = tag.find(&marker).map(|i| i + marker.len()).unwrap_or(0);
                unescape(tag[at..].split('"').next().unwrap_or_default())
            };
            (attr("src"), attr("alt"))
        })
        .collect()
}

/// Nothing was announced on the uploads queue: no file reached the blob store (S3's test event
/// on configuring the bucket announces none).
async fn no_upload_announced(h: &Harness) {
    let messages = h
        .receiver
        .receive(QueueName::Uploads, 10, Duration::ZERO)
        .await
        .unwrap();
    let announced: Vec<String> = messages
        .iter()
        .flat_map(|m| created_keys(&m.body).unwrap())
        .collect();
    assert!(announced.is_empty(), "{}: {announced:?}", h.family);
}

// ------------------------------------------------------------------ the reporter

#[tokio::test]
async fn the_reporter_attaches_a_photo_and_sees_it_once_checked() {
    for h in families().await {
        let f = h.family;
        let web = web(&h).await;
        let (s, mut b) = reporter_with(&web, &h, sample_report()).await;
        let here = format!("/lacak/{}", s.id);

        let form = b.get(&web, &here).await;
        for expected in [
            "enctype=\"multipart/form-data\"".to_string(),
            format!("action=\"/lacak/{}/lampiran\"", s.id),
            "accept=\"image/jpeg,image/png,image/webp,application/pdf\"".to_string(),
            "<label for=\"f-berkas\">".to_string(),
            "paling banyak 5 berkas".to_string(),
            "Paling besar 4 MB".to_string(),
        ] {
            assert!(
                form.html.contains(&expected),
                "{f}: {expected} in\n{}",
                form.html
            );
        }

        let photo = png(40, 30);
        let sent = upload_from(
            &web,
            &mut b,
            &here,
            &format!("{here}/lampiran"),
            ("foto.png", "image/png", &photo),
        )
        .await;
        assert_eq!(sent.status, 303, "{f}: {}", sent.html);
        assert_eq!(sent.location(), format!("{here}?lampiran=diterima"));

        let stored = h.stored(&s.id).await;
        assert_eq!(stored.attachments.len(), 1, "{f}");
        assert_eq!(stored.attachments[0].state, AttachmentState::Pending);
        assert_eq!(stored.attachments[0].by, Uploader::Reporter);
        assert_eq!(stored.attachments[0].declared_size, photo.len() as u64);
        let after = b.get(&web, sent.location()).await;
        assert!(after.html.contains("sedang diperiksa"), "{f}: the notice");
        assert!(
            after.html.contains("Sedang diperiksa"),
            "{f}: the pending file"
        );
        assert!(
            images(&after.html).is_empty(),
            "{f}: nothing shown before the check"
        );

        h.check_uploads(1).await;
        let id = &h.stored(&s.id).await.attachments[0].id.clone();
        assert_eq!(
            h.stored(&s.id).await.attachments[0].state,
            AttachmentState::Available,
            "{f}"
        );
        let checked = b.get(&web, &here).await;
        assert_eq!(checked.status, 200);
        assert!(!checked.html.contains("Sedang diperiksa"), "{f}");
        let shown = images(&checked.html);
        assert_eq!(shown.len(), 1, "{f}: {}", checked.html);
        let (src, alt) = &shown[0];
        assert_eq!(alt, "Lampiran foto 1 dari pelapor");
        assert!(
            src.contains(&format!("preview/{}/{id}", s.id)),
            "{f}: the preview: {src}"
        );
        // The thumbnail links to the full image.
        assert!(
            unescape(&checked.html).contains(&format!("file/{}/{id}", s.id)),
            "{f}: the full image linked"
        );
        if let Some(files) = &h.files {
            // The page's preview URL serves the preview (a JPEG) until it expires.
            let (path, query) = src.split_once('?').unwrap();
            let key = path.split_once("/_blobs/").unwrap().1;
            let query = lapor::adapters::embedded::blobs::FileBlobs::parse_query(query);
            let preview = files.serve(key, &query, chrono::Utc::now()).await.unwrap();
            assert!(
                preview.body.starts_with(&[0xFF, 0xD8, 0xFF]),
                "{f}: a JPEG preview"
            );
        }
        // Someone else's browser sees no form to attach.
        let stranger = Browser::default().get(&web, &here).await;
        assert!(
            !stranger.html.contains("/lampiran\""),
            "{f}: {}",
            stranger.html
        );
    }
}

#[tokio::test]
async fn a_file_over_the_limit_gets_413_and_nothing_is_stored() {
    for h in families().await {
        let f = h.family;
        let web = web(&h).await;
        let (s, mut b) = reporter_with(&web, &h, sample_report()).await;
        let here = format!("/lacak/{}", s.id);
        let version = h.stored(&s.id).await.version;

        // A body over the web's limit: refused before it is read.
        let huge = vec![7u8; WEB_UPLOAD_LIMIT];
        let answer = upload_from(
            &web,
            &mut b,
            &here,
            &format!("{here}/lampiran"),
            ("besar.png", "image/png", &huge),
        )
        .await;
        assert_eq!(answer.status, 413, "{f}: {}", answer.html);
        assert!(answer.html.contains("Berkas terlalu besar"), "{f}");
        assert!(
            answer.html.contains("paling besar 4 MB"),
            "{f}: {}",
            answer.html
        );
        assert!(
            answer.html.contains(&format!("href=\"{here}\"")),
            "{f}: back to the report"
        );
        assert_eq!(
            answer.header("content-type"),
            Some("text/html; charset=utf-8")
        );

        // A file one byte over 4 MB in a body within it: refused too.
        let over = vec![7u8; 4 * 1024 * 1024 + 1];
        let answer = upload_from(
            &web,
            &mut b,
            &here,
            &format!("{here}/lampiran"),
            ("besar.png", "image/png", &over),
        )
        .await;
        assert_eq!(answer.status, 413, "{f}: {}", answer.html);

        let stored = h.stored(&s.id).await;
        assert_eq!(stored.version, version, "{f}: nothing stored");
        assert!(stored.attachments.is_empty(), "{f}");
        no_upload_announced(&h).await;
    }
}

#[tokio::test]
async fn a_wrong_csrf_token_changes_nothing() {
    for h in families().await {
        let f = h.family;
        let web = web(&h).await;
        let (s, mut b) = reporter_with(&web, &h, sample_report()).await;
        let here = format!("/lacak/{}", s.id);
        b.get(&web, &here).await;
        let version = h.stored(&s.id).await.version;
        let photo = png(8, 8);
        let to = format!("{here}/lampiran");
        for csrf in [Some("bukan-token-yang-sah"), None] {
            let (content_type, body) = form_body(csrf, Some(("foto.png", "image/png", &photo)));
            let answer = post_through_gateway(&web, &b.cookies, &to, &content_type, &body).await;
            assert_eq!(answer.status, 403, "{f}: {csrf:?}: {}", answer.html);
            assert!(answer.html.contains("Formulir tidak sah"), "{f}");
        }
        // The right token from another browser (without its cookie) is no better.
        let token = b.get(&web, &here).await.field("csrf");
        let mut other = b.cookies.clone();
        other.remove(lapor::web::csrf::COOKIE);
        let (content_type, body) = form_body(Some(&token), Some(("foto.png", "image/png", &photo)));
        let answer = post_through_gateway(&web, &other, &to, &content_type, &body).await;
        assert_eq!(answer.status, 403, "{f}");

        assert_eq!(
            h.stored(&s.id).await.version,
            version,
            "{f}: nothing stored"
        );
        no_upload_announced(&h).await;
    }
}

#[tokio::test]
async fn an_anonymous_report_takes_images_only_and_says_why() {
    for h in families().await {
        let f = h.family;
        let web = web(&h).await;
        let (s, mut b) = reporter_with(&web, &h, anonymous_report()).await;
        let here = format!("/lacak/{}", s.id);
        let form = b.get(&web, &here).await;
        assert!(
            form.html
                .contains("accept=\"image/jpeg,image/png,image/webp\""),
            "{f}: {}",
            form.html
        );
        assert!(!form.html.contains("application/pdf"), "{f}");
        assert!(
            form.html.contains("Laporan ini anonim, jadi hanya foto"),
            "{f}"
        );

        let version = h.stored(&s.id).await.version;
        let answer = upload_from(
            &web,
            &mut b,
            &here,
            &format!("{here}/lampiran"),
            ("surat.pdf", "application/pdf", &pdf()),
        )
        .await;
        assert_eq!(answer.status, 400, "{f}: {}", answer.html);
        assert!(
            answer.html.contains("Laporan anonim hanya menerima foto"),
            "{f}: {}",
            answer.html
        );
        assert!(
            answer.html.contains("aria-invalid=\"true\""),
            "{f}: next to the field"
        );
        assert_eq!(
            h.stored(&s.id).await.version,
            version,
            "{f}: nothing stored"
        );
        no_upload_announced(&h).await;

        // Its photos are welcome.
        let photo = png(8, 8);
        let answer = upload_from(
            &web,
            &mut b,
            &here,
            &format!("{here}/lampiran"),
            ("foto.png", "image/png", &photo),
        )
        .await;
        assert_eq!(answer.status, 303, "{f}: {}", answer.html);
        h.check_uploads(1).await;
    }
}

#[tokio::test]
async fn the_public_page_shows_checked_images_and_never_a_document() {
    for h in families().await {
        let f = h.family;
        let web = web(&h).await;
        let (s, mut b) = reporter_with(&web, &h, sample_report()).await;
        let here = format!("/lacak/{}", s.id);
        let to = format!("{here}/lampiran");
        let photo = png(16, 16);
        for (name, content_type, bytes) in [
            ("foto.png", "image/png", photo.as_slice()),
            ("surat.pdf", "application/pdf", pdf().as_slice()),
            // Not what it claims: refused by the check, and said so in words.
            ("palsu.png", "image/png", pdf().as_slice()),
        ] {
            let answer = upload_from(&web, &mut b, &here, &to, (name, content_type, bytes)).await;
            assert_eq!(answer.status, 303, "{f}: {name}: {}", answer.html);
        }
        h.check_uploads(3).await;
        let stored = h.stored(&s.id).await;
        let states: Vec<_> = stored.attachments.iter().map(|a| a.state).collect();
        assert_eq!(
            states,
            [
                AttachmentState::Available,
                AttachmentState::Available,
                AttachmentState::Rejected
            ],
            "{f}"
        );
        let (image_id, pdf_id) = (&stored.attachments[0].id, &stored.attachments[1].id);

        // The reporter: the photo, the document to download, the refusal and why.
        let own = b.get(&web, &here).await;
        assert_eq!(images(&own.html).len(), 1, "{f}");
        assert!(
            own.html
                .contains("Unduh Lampiran dokumen PDF 2 dari pelapor"),
            "{f}: {}",
            own.html
        );
        assert!(
            unescape(&own.html).contains(&format!("file/{}/{pdf_id}", s.id)),
            "{f}"
        );
        assert!(own.html.contains("Ditolak"), "{f}");
        assert!(
            own.html.contains("tidak sesuai dengan jenisnya"),
            "{f}: the reason in words"
        );
        assert!(
            !own.html.contains("not_what_it_claims"),
            "{f}: no internal code"
        );

        // The public: the checked image, linked to its full size; never the document.
        let mut stranger = Browser::default();
        let public = stranger.get(&web, &format!("/laporan/{}", s.id)).await;
        assert_eq!(public.status, 200, "{f}");
        let shown = images(&public.html);
        assert_eq!(shown.len(), 1, "{f}: {}", public.html);
        assert_eq!(shown[0].1, "Lampiran foto 1 dari pelapor");
        assert!(
            shown[0].0.contains(&format!("preview/{}/{image_id}", s.id)),
            "{f}"
        );
        let text = unescape(&public.html);
        assert!(
            text.contains(&format!("file/{}/{image_id}", s.id)),
            "{f}: the full image"
        );
        for never in [pdf_id.as_str(), "PDF", "Ditolak", "Tambah lampiran"] {
            assert!(!text.contains(never), "{f}: {never} on the public page");
        }
        // Nor on the tracking page as a stranger sees it.
        let tracking = stranger.get(&web, &here).await;
        assert_eq!(images(&tracking.html).len(), 1, "{f}");
        assert!(!unescape(&tracking.html).contains(pdf_id.as_str()), "{f}");

        // A confidential report's photo stays with those involved.
        let mut confidential = sample_report();
        confidential["confidential"] = true.into();
        let (c, mut cb) = reporter_with(&web, &h, confidential).await;
        let c_here = format!("/lacak/{}", c.id);
        let answer = upload_from(
            &web,
            &mut cb,
            &c_here,
            &format!("{c_here}/lampiran"),
            ("foto.png", "image/png", &photo),
        )
        .await;
        assert_eq!(answer.status, 303, "{f}");
        h.check_uploads(1).await;
        assert_eq!(
            images(&cb.get(&web, &c_here).await.html).len(),
            1,
            "{f}: its reporter"
        );
        let public = stranger.get(&web, &format!("/laporan/{}", c.id)).await;
        assert!(images(&public.html).is_empty(), "{f}: {}", public.html);
    }
}

// ------------------------------------------------------------------ the officers

async fn officer_web(h: &Harness) -> Web {
    Web::new(
        h.app.clone(),
        h.directory_api().await,
        Settings {
            insecure_cookies: false,
            officer: officer::Settings::default(),
        },
    )
}

fn officer_of(agency: &str, sub: &str) -> StaffClaims {
    StaffClaims::new(sub, StaffRole::Officer, Some(agency.into())).unwrap()
}

#[tokio::test]
async fn only_the_holding_institutions_officers_attach() {
    for h in families().await {
        let f = h.family;
        let web = officer_web(&h).await;
        let s = h.submit_routed(&sample_report()).await;
        assert_eq!(
            h.stored(&s.id).await.agency_id.as_deref(),
            Some(BANDUNG),
            "{f}"
        );
        let to = format!("/petugas/laporan/{}/lampiran", s.id);
        let photo = png(24, 12);
        let version = h.stored(&s.id).await.version;

        // Another institution's officer: its console's token is valid, its right is not.
        let mut other = signed_in(&web, &h, &officer_of(SURABAYA, "petugas-sby"));
        let inbox = other.get(&web, "/petugas").await;
        assert_eq!(inbox.status, 200, "{f}: {}", inbox.html);
        let csrf = officer_browser::csrf(&inbox.html);
        let (content_type, body) = form_body(Some(&csrf), Some(("foto.png", "image/png", &photo)));
        let refused = post_through_gateway(&web, &other.jar, &to, &content_type, &body).await;
        assert_eq!(refused.status, 403, "{f}: {}", refused.html);
        assert!(refused.html.contains("Tidak diizinkan"), "{f}");
        assert_eq!(
            h.stored(&s.id).await.version,
            version,
            "{f}: nothing stored"
        );
        no_upload_announced(&h).await;

        // A verifier reads the report but has no form to attach.
        let mut verifier = signed_in(
            &web,
            &h,
            &StaffClaims::new("verifikator-1", StaffRole::Verifier, None).unwrap(),
        );
        let seen = verifier
            .get(&web, &format!("/petugas/laporan/{}", s.id))
            .await;
        assert_eq!(seen.status, 200, "{f}");
        assert!(!seen.html.contains("Tambah lampiran"), "{f}");

        // The holder's officer: the form, the upload, the notice, the file by the institution.
        let mut holder = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-bdg"));
        let page = holder
            .get(&web, &format!("/petugas/laporan/{}", s.id))
            .await;
        assert_eq!(page.status, 200, "{f}: {}", page.html);
        assert!(
            page.html.contains(&format!("action=\"{to}\"")),
            "{f}: {}",
            page.html
        );
        assert!(page.html.contains("enctype=\"multipart/form-data\""), "{f}");
        let csrf = officer_browser::csrf(&page.html);
        let (content_type, body) = form_body(Some(&csrf), Some(("hasil.png", "image/png", &photo)));
        let sent = post_through_gateway(&web, &holder.jar, &to, &content_type, &body).await;
        assert_eq!(sent.status, 303, "{f}: {}", sent.html);
        let location = format!("/petugas/laporan/{}?selesai=lampiran", s.id);
        assert_eq!(sent.location(), location);
        let after = holder.get(&web, &location).await;
        assert!(
            after
                .html
                .contains("Lampiran diterima dan sedang diperiksa"),
            "{f}"
        );
        let stored = h.stored(&s.id).await;
        assert_eq!(stored.attachments.len(), 1, "{f}");
        assert_eq!(
            stored.attachments[0].by,
            Uploader::Institution {
                agency_id: BANDUNG.into()
            }
        );
        h.check_uploads(1).await;
        let checked = holder
            .get(&web, &format!("/petugas/laporan/{}", s.id))
            .await;
        let shown = images(&checked.html);
        assert_eq!(shown.len(), 1, "{f}: {}", checked.html);
        assert_eq!(shown[0].1, "Lampiran foto 1 dari instansi");

        // Without the token of the page, nothing.
        let (content_type, body) = form_body(None, Some(("hasil.png", "image/png", &photo)));
        let refused = post_through_gateway(&web, &holder.jar, &to, &content_type, &body).await;
        assert_eq!(refused.status, 403, "{f}");
        assert_eq!(h.stored(&s.id).await.attachments.len(), 1, "{f}");
    }
}

// ------------------------------------------------------------------ the CSP

/// The family's blob store, claiming the origin `origin` for its URLs.
struct WithOrigin {
    inner: Arc<dyn BlobStore>,
    origin: Option<String>,
}

#[async_trait::async_trait]
impl BlobStore for WithOrigin {
    async fn upload_request(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<SignedRequest, StoreError> {
        self.inner
            .upload_request(key, content_type, length, ttl)
            .await
    }
    async fn download_url(
        &self,
        key: &str,
        content_type: &str,
        disposition: &str,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        self.inner
            .download_url(key, content_type, disposition, ttl)
            .await
    }
    async fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key, limit).await
    }
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), StoreError> {
        self.inner.put(key, content_type, body).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
    fn origin(&self) -> Option<String> {
        self.origin.clone()
    }
}

async fn web_with_origin(h: &Harness, origin: Option<&str>) -> Web {
    let mut app = h.app.clone();
    let attachments = app.attachments.clone().unwrap();
    app.attachments = Some(Attachments {
        blobs: Arc::new(WithOrigin {
            inner: attachments.blobs,
            origin: origin.map(str::to_string),
        }),
        max_bytes: attachments.max_bytes,
    });
    let mut settings = Settings::from_env().expect("the web's settings");
    settings.insecure_cookies = false;
    Web::new(app, h.directory_api().await, settings)
}

#[tokio::test]
async fn the_csp_lists_the_blob_origin_in_img_src_only_when_there_is_one() {
    const S3: &str = "https://lapor-lampiran.s3.ap-southeast-3.amazonaws.com";
    let expected = "default-src 'self'; script-src 'self'; style-src 'self'; \
                    img-src 'self' data: https://lapor-lampiran.s3.ap-southeast-3.amazonaws.com; \
                    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let pages = [format!("/lacak/{}", s.id), format!("/laporan/{}", s.id)];

        let elsewhere = web_with_origin(&h, Some(S3)).await;
        let mut b = Browser::default();
        for path in &pages {
            let page = b.get(&elsewhere, path).await;
            assert_eq!(page.status, 200, "{f}: {path}");
            assert_eq!(
                page.header("content-security-policy"),
                Some(expected),
                "{f}: {path}"
            );
        }
        // The officers' report page too.
        // (the console's test browser keeps no headers: the request is made here)
        let holder = signed_in(&elsewhere, &h, &officer_of(BANDUNG, "petugas-bdg"));
        let raw = lapor::web::handle(
            &elsewhere,
            lambda_http::http::Request::builder()
                .uri(format!("https://lapor.example/petugas/laporan/{}", s.id))
                .header("host", "lapor.example")
                .header(
                    "cookie",
                    holder
                        .jar
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
                .body(lambda_http::Body::Empty)
                .unwrap(),
        )
        .await;
        assert_eq!(raw.status(), 200, "{f}");
        assert_eq!(
            raw.headers()["content-security-policy"].to_str().unwrap(),
            expected,
            "{f}: the officers' page"
        );
        // Pages without attachments, and the error pages, keep the strict policy.
        for path in ["/", "/laporan", "/tidak-ada"] {
            let page = b.get(&elsewhere, path).await;
            assert_eq!(
                page.header("content-security-policy"),
                Some(CONTENT_SECURITY_POLICY),
                "{f}: {path}"
            );
        }

        // Files served from the pages' own origin: nothing added.
        let same = web_with_origin(&h, None).await;
        for path in &pages {
            let page = b.get(&same, path).await;
            assert_eq!(
                page.header("content-security-policy"),
                Some(CONTENT_SECURITY_POLICY),
                "{f}: {path}"
            );
        }
        // An origin that is not a plain origin never reaches the header.
        let odd = web_with_origin(&h, Some("https://x.example; script-src *")).await;
        let page = b.get(&odd, &pages[0]).await;
        assert_eq!(
            page.header("content-security-policy"),
            Some(CONTENT_SECURITY_POLICY),
            "{f}"
        );
    }
}
