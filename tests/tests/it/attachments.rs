//! Attachments on both storage families: the API grants an upload bound to a type and size, the
//! client puts the bytes in the blob store (moto's S3 through the presigned URL; the local
//! runner's files through its signed URL), the upload event runs the check, and only then do
//! the reporter, the institution and (for a checked image of a public report) the public see it,
//! through short-lived URLs. Refusals change nothing.

use lapor::attachments::AttachmentState;
use lapor::ports::{Clock, SignedRequest};
use lapor::service::attachments::Checked;
use lapor_tests::{assert_ok, families, sample_report, Harness, HttpAnswer, Staff, Submitted};
use serde_json::json;

const BANDUNG: &str = "pemda-32.73";

// ------------------------------------------------------------------ files

/// A JPEG whose EXIF names the phone that took it: what the check must remove.
fn phone_photo() -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(64, 32, |x, _| {
        if x < 32 {
            image::Rgb([200, 30, 30])
        } else {
            image::Rgb([30, 30, 200])
        }
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&pixels)
        .unwrap();
    // APP1 "Exif\0\0", a little-endian TIFF whose IFD0 holds one ASCII `Make` tag.
    let make = b"SECRETPHONE\0";
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x010Fu16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&(make.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(make);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn png() -> Vec<u8> {
    let pixels = image::RgbImage::from_pixel(8, 8, image::Rgb([10, 200, 10]));
    let mut out = std::io::Cursor::new(Vec::new());
    pixels.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ------------------------------------------------------------------ the client's side

/// An HTTP request to the S3 server (moto), as a browser or an app sends it.
async fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    use http_body_util::{BodyExt, Full};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<hyper::body::Bytes>>();
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = client
        .request(
            request
                .body(Full::new(hyper::body::Bytes::from(body)))
                .unwrap(),
        )
        .await
        .expect("the S3 server answers");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, bytes)
}

/// Sends `body` as the grant says, with `content_type` (the grant's, unless a test lies).
async fn upload(h: &Harness, request: &SignedRequest, content_type: &str, body: Vec<u8>) -> u16 {
    match &h.files {
        Some(files) => {
            let (path, query) = request.url.split_once('?').unwrap();
            let key = path.split_once("/_blobs/").unwrap().1;
            let query = lapor::adapters::embedded::blobs::FileBlobs::parse_query(query);
            match files
                .accept_upload(key, &query, Some(content_type), body, chrono::Utc::now())
                .await
            {
                Ok(()) => 200,
                Err(_) => 403,
            }
        }
        None => {
            let headers: Vec<(String, String)> = request
                .headers
                .iter()
                .map(|(k, v)| match k.as_str() {
                    "content-type" => (k.clone(), content_type.to_string()),
                    // The length of what is sent (a client that lies about the size).
                    "content-length" => (k.clone(), body.len().to_string()),
                    _ => (k.clone(), v.clone()),
                })
                .collect();
            http("PUT", &request.url, &headers, body).await.0
        }
    }
}

/// What a download URL serves.
async fn download(h: &Harness, url: &str) -> Vec<u8> {
    match &h.files {
        Some(files) => {
            let (path, query) = url.split_once('?').unwrap();
            let key = path.split_once("/_blobs/").unwrap().1;
            let query = lapor::adapters::embedded::blobs::FileBlobs::parse_query(query);
            files
                .serve(key, &query, chrono::Utc::now())
                .await
                .unwrap()
                .body
        }
        None => {
            let (status, body) = http("GET", url, &[], Vec::new()).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            body
        }
    }
}

async fn ask(h: &Harness, s: &Submitted, body: serde_json::Value) -> HttpAnswer {
    h.reporter_call("attachments", &s.id, Some(&s.token), &body)
        .await
}

fn granted(a: &HttpAnswer) -> SignedRequest {
    assert_eq!(a.status, 201, "{}", a.text);
    serde_json::from_value(a.body["upload"].clone()).unwrap()
}

/// Asks for an upload of `bytes` as `content_type`, sends them, and checks the upload.
async fn attach(h: &Harness, s: &Submitted, content_type: &str, bytes: Vec<u8>) -> String {
    let a = ask(
        h,
        s,
        json!({"content_type": content_type, "size": bytes.len()}),
    )
    .await;
    let request = granted(&a);
    assert_eq!(request.headers["content-type"], content_type);
    assert_eq!(request.headers["content-length"], bytes.len().to_string());
    assert_eq!(
        upload(h, &request, content_type, bytes).await,
        200,
        "{}",
        h.family
    );
    h.check_uploads(1).await;
    a.body["attachment_id"].as_str().unwrap().to_string()
}

async fn reporters_attachments(h: &Harness, s: &Submitted) -> Vec<serde_json::Value> {
    let view = h.get(&s.id, Some(&s.token)).await;
    assert_ok(h.family, "the reporter's view", &view);
    view.body["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn public_attachments(h: &Harness, s: &Submitted) -> Vec<serde_json::Value> {
    let view = h.get(&s.id, None).await;
    assert_ok(h.family, "the public view", &view);
    view.body["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn a_phone_photo_is_checked_stripped_of_its_exif_and_shown_to_everyone() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let photo = phone_photo();
        assert!(contains(&photo, b"SECRETPHONE"));
        let id = attach(&h, &s, "image/jpeg", photo).await;

        let mine = reporters_attachments(&h, &s).await;
        assert_eq!(mine.len(), 1, "{f}: {mine:?}");
        assert_eq!(mine[0]["id"], id.as_str());
        assert_eq!(mine[0]["state"], "available", "{f}");
        assert_eq!(mine[0]["by"], "reporter");
        let file = download(&h, mine[0]["url"].as_str().unwrap()).await;
        assert!(file.starts_with(&[0xFF, 0xD8, 0xFF]), "{f}: a JPEG still");
        assert!(
            !contains(&file, b"SECRETPHONE"),
            "{f}: the phone's name is gone"
        );
        assert!(!contains(&file, b"Exif"), "{f}: no EXIF at all");
        let decoded = image::load_from_memory(&file).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (64, 32));
        let preview = download(&h, mine[0]["preview_url"].as_str().unwrap()).await;
        assert!(
            image::load_from_memory(&preview).is_ok(),
            "{f}: the preview decodes"
        );

        // The report is public (held, not confidential): its checked image is public too.
        let public = public_attachments(&h, &s).await;
        assert_eq!(public.len(), 1, "{f}: {public:?}");
        assert_eq!(public[0]["id"], id.as_str());
        // The institution sees it in its view.
        let staff = h
            .agency_call(
                "GET /v1/agency/reports/{tracking_id}",
                Some(&s.id),
                "",
                None,
                Some(&Staff::officer("officer-bdg-1", BANDUNG)),
            )
            .await;
        assert_ok(f, "the staff view", &staff);
        assert_eq!(staff.body["attachments"][0]["state"], "available", "{f}");
        // The upload itself is gone: only the checked file is kept.
        let upload_key = format!("upload/{}/{id}", s.id);
        let blobs = &h.app.attachments.as_ref().unwrap().blobs;
        assert!(blobs.get(&upload_key, 10).await.unwrap().is_none(), "{f}");
    }
}

#[tokio::test]
async fn a_file_that_is_not_what_it_claims_is_rejected_and_never_shown() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        attach(&h, &s, "image/jpeg", png()).await;
        let mine = reporters_attachments(&h, &s).await;
        assert_eq!(mine[0]["state"], "rejected", "{f}: {mine:?}");
        assert_eq!(mine[0]["rejected"], "not_what_it_claims");
        assert!(mine[0].get("url").is_none(), "{f}");
        assert!(public_attachments(&h, &s).await.is_empty(), "{f}");
        // A rejected file does not take one of the five places.
        let stored = h.stored(&s.id).await;
        assert!(!stored.attachments[0].holds_a_place(h.clock.now()));
    }
}

#[tokio::test]
async fn the_store_refuses_an_upload_of_another_type_or_size_than_granted() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let photo = png();
        let a = ask(
            &h,
            &s,
            json!({"content_type": "image/png", "size": photo.len()}),
        )
        .await;
        let request = granted(&a);
        let mut longer = photo.clone();
        longer.push(0);
        if f == "embedded" {
            assert_ne!(
                upload(&h, &request, "image/png", longer).await,
                200,
                "{f}: another size"
            );
            assert_ne!(
                upload(&h, &request, "application/pdf", photo.clone()).await,
                200,
                "{f}: another type"
            );
            let stored = h.stored(&s.id).await;
            assert_eq!(stored.attachments[0].state, AttachmentState::Pending);
        } else {
            // moto does not check signatures (S3 does: the signed headers are
            // content-length;content-type;host, tested in the adapter). Whatever a store lets
            // through, the check measures the file again.
            upload(&h, &request, "image/png", longer).await;
            h.check_uploads(1).await;
            let stored = h.stored(&s.id).await;
            assert_eq!(
                stored.attachments[0].state,
                AttachmentState::Rejected,
                "{f}"
            );
            assert_eq!(
                stored.attachments[0].rejected.as_deref(),
                Some("size_mismatch")
            );
        }
    }
}

#[tokio::test]
async fn a_redelivered_upload_event_changes_nothing() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let a = ask(
            &h,
            &s,
            json!({"content_type": "image/png", "size": png().len()}),
        )
        .await;
        upload(&h, &granted(&a), "image/png", png()).await;
        let events = h.check_uploads(1).await;
        let before = h.stored(&s.id).await;
        assert_eq!(
            before.attachments[0].state,
            AttachmentState::Available,
            "{f}"
        );
        h.checker().handle_message(&events[0]).await.unwrap();
        let key = format!(
            "upload/{}/{}",
            s.id,
            a.body["attachment_id"].as_str().unwrap()
        );
        assert_eq!(
            h.checker().check_upload(&key).await.unwrap(),
            Checked::Ignored("already_checked")
        );
        assert_eq!(h.stored(&s.id).await.version, before.version, "{f}");
    }
}

#[tokio::test]
async fn refused_requests_change_nothing() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let version = h.stored(&s.id).await.version;
        let cases = [
            (
                json!({"content_type": "image/gif", "size": 10}),
                422,
                "content_type",
            ),
            (json!({"content_type": "image/png", "size": 0}), 422, "size"),
            (
                json!({"content_type": "image/png", "size": 10 * 1024 * 1024 + 1}),
                422,
                "size",
            ),
        ];
        for (body, status, field) in cases {
            let a = ask(&h, &s, body.clone()).await;
            assert_eq!(a.status, status, "{f}: {body} -> {}", a.text);
            assert_eq!(a.body["fields"][0]["field"], field, "{f}: {}", a.text);
        }
        let a = ask(&h, &s, json!({"content_type": "image/png"})).await;
        assert_eq!(a.status, 400, "{f}: a missing size");
        let a = ask(
            &h,
            &s,
            json!({"content_type": "image/png", "size": 10, "name": "x"}),
        )
        .await;
        assert_eq!(a.status, 400, "{f}: an unknown field");
        let a = h
            .reporter_call(
                "attachments",
                &s.id,
                Some("not-the-token-of-this-report-at-all"),
                &json!({"content_type": "image/png", "size": 10}),
            )
            .await;
        assert_eq!(a.status, 401, "{f}");
        // An officer of another institution may not attach to it.
        let a = h
            .agency_call(
                "POST /v1/agency/reports/{tracking_id}/attachments",
                Some(&s.id),
                "",
                Some(&json!({"content_type": "image/png", "size": 10})),
                Some(&Staff::officer("officer-sby-1", "pemda-35.78")),
            )
            .await;
        assert_eq!(a.status, 403, "{f}: {}", a.text);
        assert_eq!(
            h.stored(&s.id).await.version,
            version,
            "{f}: nothing stored"
        );
    }
}

#[tokio::test]
async fn a_report_takes_five_files_and_none_once_closed() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        for _ in 0..5 {
            granted(&ask(&h, &s, json!({"content_type": "image/png", "size": 100})).await);
        }
        let a = ask(&h, &s, json!({"content_type": "image/png", "size": 100})).await;
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (409, Some("too_many_attachments")),
            "{f}"
        );
        // A pending upload that never came frees its place when its URL expires.
        h.clock.advance(chrono::Duration::minutes(16));
        granted(&ask(&h, &s, json!({"content_type": "image/png", "size": 100})).await);

        let closed = h.submit_routed(&sample_report()).await;
        let withdrawn = h
            .reporter_call("withdraw", &closed.id, Some(&closed.token), &json!({}))
            .await;
        assert_ok(f, "withdraw", &withdrawn);
        let a = ask(
            &h,
            &closed,
            json!({"content_type": "image/png", "size": 100}),
        )
        .await;
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (409, Some("not_open")),
            "{f}: {}",
            a.text
        );
    }
}

#[tokio::test]
async fn documents_stay_with_those_involved_and_anonymous_reports_take_none() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        attach(&h, &s, "application/pdf", pdf()).await;
        let mine = reporters_attachments(&h, &s).await;
        assert_eq!(mine[0]["state"], "available", "{f}: {mine:?}");
        let url = mine[0]["url"].as_str().unwrap();
        assert_eq!(download(&h, url).await, pdf(), "{f}: a PDF is kept as sent");
        assert!(
            url.contains("attachment"),
            "{f}: downloaded, never rendered inline: {url}"
        );
        assert!(
            public_attachments(&h, &s).await.is_empty(),
            "{f}: never public"
        );

        let mut anonymous = sample_report();
        anonymous["anonymous"] = true.into();
        anonymous.as_object_mut().unwrap().remove("reporter");
        let anon = h.submit_routed(&anonymous).await;
        let a = ask(
            &h,
            &anon,
            json!({"content_type": "application/pdf", "size": 100}),
        )
        .await;
        assert_eq!(a.status, 422, "{f}: {}", a.text);
        assert!(a.text.contains("anonymous"), "{f}: says why: {}", a.text);
        granted(&ask(&h, &anon, json!({"content_type": "image/png", "size": 100})).await);
    }
}

#[tokio::test]
async fn a_confidential_reports_images_are_never_public() {
    for h in families().await {
        let f = h.family;
        let mut body = sample_report();
        body["confidential"] = true.into();
        let s = h.submit_routed(&body).await;
        attach(&h, &s, "image/png", png()).await;
        assert_eq!(
            reporters_attachments(&h, &s).await[0]["state"],
            "available",
            "{f}"
        );
        let public = h.get(&s.id, None).await;
        assert!(
            public.body.get("attachments").is_none(),
            "{f}: {}",
            public.text
        );
    }
}

#[tokio::test]
async fn the_holding_institution_attaches_to_its_follow_up() {
    for h in families().await {
        let f = h.family;
        let s = h.submit_routed(&sample_report()).await;
        let officer = Staff::officer("officer-bdg-1", BANDUNG);
        let a = h
            .agency_call(
                "POST /v1/agency/reports/{tracking_id}/attachments",
                Some(&s.id),
                "",
                Some(&json!({"content_type": "image/png", "size": png().len()})),
                Some(&officer),
            )
            .await;
        upload(&h, &granted(&a), "image/png", png()).await;
        h.check_uploads(1).await;
        let mine = reporters_attachments(&h, &s).await;
        assert_eq!(
            (mine[0]["by"].as_str(), mine[0]["state"].as_str()),
            (Some("institution"), Some("available")),
            "{f}"
        );
    }
}

#[test]
fn the_buckets_retention_is_the_codes() {
    let template: serde_norway::Value =
        serde_norway::from_str(lapor::template::TEMPLATE_YAML).unwrap();
    let bucket = &template["Resources"]["AttachmentsBucket"];
    let rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .unwrap();
    let retention = rules
        .iter()
        .find(|r| r["Id"].as_str() == Some("AttachmentRetention"))
        .unwrap();
    assert_eq!(
        retention["ExpirationInDays"].as_i64(),
        Some(lapor::attachments::RETENTION_DAYS)
    );
    let block = &bucket["Properties"]["PublicAccessBlockConfiguration"];
    for setting in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block[setting].as_bool(), Some(true), "{setting}");
    }
    let notification = &bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"][0];
    assert_eq!(
        notification["Filter"]["S3Key"]["Rules"][0]["Value"].as_str(),
        Some("upload/")
    );
}
