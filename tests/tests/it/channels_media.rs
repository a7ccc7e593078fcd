//! Photos and documents sent on Messenger and WhatsApp become attachments of the sender's
//! report, on both storage families: fetched from the imitation Graph API server (which also
//! plays Meta's CDN), by the allow-list and the size limit, then checked by the attachments
//! function like any upload. A download that fails never loses the report.

use crate::channels::{channels, fixture, hmac_hex, parts, request, Channels, META_SECRET};
use lapor::attachments::AttachmentState;
use lapor::outbound::media::HttpMediaFetcher;
use lapor::ports::QueueName;
use lapor::service::webhooks::{webhook_with, WebhookRequest};
use lapor_tests::providers::{FakeProvider, Reply};
use lapor_tests::{families, Harness};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const FB_SENDER: &str = "messenger:7214589632147856";
const WA_MEDIA_ID: &str = "1003383421387256";

/// A small PNG, 8×8.
fn png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([x as u8 * 30, y as u8 * 30, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("a PNG encodes");
    out.into_inner()
}

struct Media {
    c: Channels,
    fetcher: HttpMediaFetcher,
}

async fn media(h: Harness) -> Media {
    let c = channels(h).await;
    let fetcher = HttpMediaFetcher::new(c.graph.url(), Some("wa-token".into()))
        .expect("a client")
        .with_timeout(Duration::from_secs(5));
    Media { c, fetcher }
}

impl Media {
    async fn post(&self, body: &Value) -> (u16, Value) {
        let raw = body.to_string();
        let signature = format!("sha256={}", hmac_hex(META_SECRET, raw.as_bytes()));
        let query = HashMap::new();
        let req = WebhookRequest {
            content_type: Some("application/json"),
            hub_signature: Some(&signature),
            ..request("POST", "meta", &query, raw.as_bytes())
        };
        parts(
            webhook_with(
                &self.c.h.app,
                &*self.c.h.channel_state,
                &self.c.secrets,
                Some(&self.fetcher),
                req,
            )
            .await,
        )
    }

    /// Messenger's message of `name` with its attachment's URL set to `url`.
    async fn messenger(&self, name: &str, url: &str) -> (u16, Value) {
        let mut body = fixture(name);
        body["entry"][0]["messaging"][0]["message"]["attachments"][0]["payload"]["url"] =
            json!(url);
        self.post(&body).await
    }

    /// The texts sent back on Messenger so far.
    async fn messenger_answers(&self) -> Vec<String> {
        self.c.notify().await;
        self.c
            .graph
            .requests_for("/me/messages")
            .iter()
            .map(|r| r.body["message"]["text"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Runs the attachments function over the uploads queue, as the SQS event source would,
    /// until no attachment of these reports is pending (the S3 server may announce an upload a
    /// moment after it).
    async fn check_uploads(&self, reports: &[&str]) {
        let h = &self.c.h;
        let checker = h.checker();
        for _ in 0..100 {
            let messages = h
                .receiver
                .receive(QueueName::Uploads, 10, Duration::from_secs(30))
                .await
                .unwrap();
            for m in messages {
                checker.handle_message(&m.body).await.unwrap();
                h.receiver
                    .delete(QueueName::Uploads, &m.receipt_handle)
                    .await
                    .unwrap();
            }
            let mut pending = false;
            for id in reports {
                pending |= h
                    .stored(id)
                    .await
                    .attachments
                    .iter()
                    .any(|a| a.state == AttachmentState::Pending);
            }
            if !pending {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{}: uploads still pending", h.family);
    }
}

#[tokio::test]
async fn channels_media_photos_with_a_caption_become_attachments() {
    for h in families().await {
        let m = media(h).await;
        let f = m.c.family();
        let graph = &m.c.graph;
        graph.serve("/cdn/fb.png", Reply::bytes(200, "image/png", png()));
        // Messenger: the caption is the report, the photo its attachment.
        let url = format!("{}/cdn/fb.png?oh=00_AYB&oe=67B0", graph.url());
        let (status, body) = m.messenger("messenger-image.json", &url).await;
        assert_eq!(
            (status, body["handled"].clone()),
            (200, json!(["report_created"])),
            "{f}: {body}"
        );
        let report = &m.c.reports_of(FB_SENDER).await[0];
        assert!(report.body.starts_with("Jembatan gantung"), "{f}");
        assert_eq!(report.attachments.len(), 1, "{f}");
        assert_eq!(report.attachments[0].state, AttachmentState::Pending, "{f}");
        let fetched = graph.requests_for("/cdn/fb.png");
        assert_eq!(fetched.len(), 1, "{f}");
        assert_eq!(
            fetched[0].header("authorization"),
            None,
            "{f}: no token to a CDN"
        );

        // WhatsApp: the media id's URL from the Graph API, both with the WhatsApp token.
        graph.serve(
            &format!("/{WA_MEDIA_ID}"),
            Reply::json(
                200,
                json!({"messaging_product": "whatsapp", "url": format!("{}/cdn/wa.png?mid=1", graph.url()),
                       "mime_type": "image/png", "file_size": png().len(), "id": WA_MEDIA_ID}),
            ),
        );
        graph.serve("/cdn/wa.png", Reply::bytes(200, "image/png", png()));
        let (status, body) = m.post(&fixture("whatsapp-image.json")).await;
        assert_eq!(
            (status, body["handled"].clone()),
            (200, json!(["report_created"])),
            "{f}: {body}"
        );
        let wa = &m.c.reports_of("phone:+6281298765432").await[0];
        assert!(wa.body.starts_with("Lampu penerangan"), "{f}");
        assert_eq!(wa.attachments.len(), 1, "{f}");
        for path in [format!("/{WA_MEDIA_ID}"), "/cdn/wa.png".to_string()] {
            let got = graph.requests_for(&path);
            assert_eq!(got.len(), 1, "{f}: {path}");
            assert_eq!(
                got[0].header("authorization"),
                Some("Bearer wa-token"),
                "{f}"
            );
        }

        // The attachments function checks both: they are available.
        m.check_uploads(&[report.tracking_id.as_str(), wa.tracking_id.as_str()])
            .await;
        for id in [&report.tracking_id, &wa.tracking_id] {
            let stored = m.c.h.stored(id.as_str()).await;
            assert_eq!(
                stored.attachments[0].state,
                AttachmentState::Available,
                "{f}"
            );
        }
        // Nothing but the receipts went back: no complaint about the photos.
        let answers = m.messenger_answers().await;
        assert_eq!(answers.len(), 1, "{f}: {answers:?}");
        assert!(!answers[0].contains("tidak dapat diterima"), "{f}");
    }
}

#[tokio::test]
async fn channels_media_a_photo_alone_goes_to_the_latest_open_report() {
    for h in families().await {
        let m = media(h).await;
        let f = m.c.family();
        let graph = &m.c.graph;
        graph.serve("/cdn/photo.png", Reply::bytes(200, "image/png", png()));
        let url = format!("{}/cdn/photo.png", graph.url());

        // With no report yet: a photo needs a description first, and nothing is fetched.
        let (status, body) = m.messenger("messenger-photo.json", &url).await;
        assert_eq!(
            (status, body["handled"].clone()),
            (200, json!(["help_sent"])),
            "{f}: {body}"
        );
        assert!(graph.requests_for("/cdn/photo.png").is_empty(), "{f}");
        let answers = m.messenger_answers().await;
        assert!(
            answers[0].contains("Foto perlu keterangan"),
            "{f}: {answers:?}"
        );

        // A report, then a photo alone: attached to it, and the sender told so.
        let (_, body) = m.post(&fixture("messenger-message.json")).await;
        assert_eq!(body["handled"], json!(["report_created"]), "{f}: {body}");
        let mut photo = fixture("messenger-photo.json");
        photo["entry"][0]["messaging"][0]["message"]["mid"] = json!("m_second_photo");
        photo["entry"][0]["messaging"][0]["message"]["attachments"][0]["payload"]["url"] =
            json!(url);
        let (status, body) = m.post(&photo).await;
        assert_eq!(
            (status, body["handled"].clone()),
            (200, json!(["media_attached"])),
            "{f}: {body}"
        );
        let reports = m.c.reports_of(FB_SENDER).await;
        assert_eq!(reports.len(), 1, "{f}: the photo made no report");
        assert_eq!(reports[0].attachments.len(), 1, "{f}");
        let answers = m.messenger_answers().await;
        let told = answers
            .iter()
            .find(|a| a.contains("dilampirkan"))
            .unwrap_or_else(|| panic!("{f}: {answers:?}"));
        assert!(told.contains(reports[0].tracking_id.as_str()), "{f}");

        // The same delivery again: nothing more.
        let (_, body) = m.post(&photo).await;
        assert_eq!(body["handled"], json!(["duplicate"]), "{f}");
        assert_eq!(
            m.c.reports_of(FB_SENDER).await[0].attachments.len(),
            1,
            "{f}"
        );
        m.check_uploads(&[reports[0].tracking_id.as_str()]).await;
        let stored = m.c.h.stored(reports[0].tracking_id.as_str()).await;
        assert_eq!(
            stored.attachments[0].state,
            AttachmentState::Available,
            "{f}"
        );
    }
}

#[tokio::test]
async fn channels_media_hosts_off_the_allow_list_are_not_fetched() {
    for h in families().await {
        let m = media(h).await;
        let f = m.c.family();
        // Another local server: not the configured Graph origin, so not allowed.
        let elsewhere = FakeProvider::graph().await;
        elsewhere.serve("/a.png", Reply::bytes(200, "image/png", png()));
        let urls = [
            format!("{}/a.png", elsewhere.url()),
            "https://example.invalid/a.png".to_string(),
            format!("https://scontent.xx.fbcdn.net@{}/a.png", elsewhere.addr()),
        ];
        for (i, url) in urls.iter().enumerate() {
            let mut body = fixture("messenger-image.json");
            let message = &mut body["entry"][0]["messaging"][0]["message"];
            message["mid"] = json!(format!("m_elsewhere_{i}"));
            message["attachments"][0]["payload"]["url"] = json!(url);
            let (status, answer) = m.post(&body).await;
            assert_eq!(
                (status, answer["handled"].clone()),
                (200, json!(["report_created"])),
                "{f}: {answer}"
            );
        }
        assert!(elsewhere.requests().is_empty(), "{f}: nothing fetched");
        let reports = m.c.reports_of(FB_SENDER).await;
        assert_eq!(reports.len(), 3, "{f}");
        assert!(reports.iter().all(|r| r.attachments.is_empty()), "{f}");
        let answers = m.messenger_answers().await;
        assert_eq!(
            answers
                .iter()
                .filter(|a| a.contains("tidak dapat diterima"))
                .count(),
            3,
            "{f}: {answers:?}"
        );
    }
}

#[tokio::test]
async fn channels_media_files_over_the_limit_are_refused() {
    for h in families().await {
        let m = media(h).await;
        let f = m.c.family();
        let graph = &m.c.graph;
        let max = m.c.h.app.attachments.as_ref().unwrap().max_bytes;
        graph.serve(
            "/cdn/big.png",
            Reply::bytes(200, "image/png", vec![0u8; max as usize + 1]),
        );
        let url = format!("{}/cdn/big.png", graph.url());
        let (_, body) = m.messenger("messenger-image.json", &url).await;
        assert_eq!(body["handled"], json!(["report_created"]), "{f}: {body}");
        assert!(
            m.c.reports_of(FB_SENDER).await[0].attachments.is_empty(),
            "{f}"
        );

        // WhatsApp says the size: the file is not even downloaded.
        graph.serve(
            &format!("/{WA_MEDIA_ID}"),
            Reply::json(
                200,
                json!({"url": format!("{}/cdn/wa-big.png", graph.url()),
                       "mime_type": "image/png", "file_size": max + 1, "id": WA_MEDIA_ID}),
            ),
        );
        graph.serve("/cdn/wa-big.png", Reply::bytes(200, "image/png", png()));
        let (_, body) = m.post(&fixture("whatsapp-image.json")).await;
        assert_eq!(body["handled"], json!(["report_created"]), "{f}: {body}");
        assert!(graph.requests_for("/cdn/wa-big.png").is_empty(), "{f}");
        assert!(
            m.c.reports_of("phone:+6281298765432").await[0]
                .attachments
                .is_empty(),
            "{f}"
        );
    }
}

#[tokio::test]
async fn channels_media_a_failing_media_server_still_stores_the_report() {
    for h in families().await {
        let m = media(h).await;
        let f = m.c.family();
        let graph = &m.c.graph;
        graph.serve("/cdn/down.png", Reply::text(503, "unavailable"));
        graph.serve(
            "/cdn/moved.png",
            Reply::text(302, "").header("location", "https://evil.example/a.png"),
        );
        for (i, path) in ["/cdn/down.png", "/cdn/moved.png"].iter().enumerate() {
            let mut body = fixture("messenger-image.json");
            let message = &mut body["entry"][0]["messaging"][0]["message"];
            message["mid"] = json!(format!("m_failing_{i}"));
            message["attachments"][0]["payload"]["url"] =
                json!(format!("{}{path}?oh=secret-token", graph.url()));
            let (status, answer) = m.post(&body).await;
            assert_eq!(
                (status, answer["handled"].clone()),
                (200, json!(["report_created"])),
                "{f}: {answer}"
            );
        }
        let reports = m.c.reports_of(FB_SENDER).await;
        assert_eq!(reports.len(), 2, "{f}");
        assert!(reports
            .iter()
            .all(|r| r.attachments.is_empty() && r.body.starts_with("Jembatan gantung")));
        // The receipts, and each sender told the photo could not be received.
        let answers = m.messenger_answers().await;
        assert_eq!(answers.len(), 4, "{f}: {answers:?}");
        assert_eq!(
            answers
                .iter()
                .filter(|a| a.contains("tidak dapat diterima"))
                .count(),
            2,
            "{f}: {answers:?}"
        );

        // A WhatsApp media id whose metadata fails: the report is stored all the same.
        graph.serve(
            &format!("/{WA_MEDIA_ID}"),
            Reply::json(500, json!({"error": {"code": 2}})),
        );
        let (_, body) = m.post(&fixture("whatsapp-image.json")).await;
        assert_eq!(body["handled"], json!(["report_created"]), "{f}: {body}");
        assert_eq!(m.c.reports_of("phone:+6281298765432").await.len(), 1, "{f}");
    }
}
