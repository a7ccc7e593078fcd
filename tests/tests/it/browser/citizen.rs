//! The citizen without JavaScript: a confidential report sent from a browser with scripts off,
//! opened again on other devices (with the access code, and with the private link where scripts
//! run), and what the public sees of it: its status, never its content or the reporter.

use super::harness::{walk, Script, Width};
use super::pages::{self, Draft};
use super::Stage;

/// Words of the confidential report's text that no public page may show.
const SECRET: &str = "pungutan liar oleh petugas loket";

fn confidential_report() -> Draft {
    Draft {
        kind: "complaint",
        title: "Biaya tambahan saat mengurus KTP",
        body: "Saat mengurus KTP elektronik di kecamatan saya diminta membayar Rp 150.000, \
               pungutan liar oleh petugas loket tanpa kuitansi.",
        province: Some("32"),
        regency: Some("32.73"),
        location: "Kantor kecamatan, loket pelayanan",
        anonymous: false,
        confidential: true,
        name: "Budi Santoso",
        phone: "0813-2222-3333",
    }
}

/// Sent without JavaScript (the lists through "Pilih", the form posting and redirecting), then
/// opened on a second browser without JavaScript with the access code and on a third with the
/// private link; the public view of it never shows its text or its reporter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submits_without_javascript_and_opens_the_report_elsewhere() {
    let Some(stage) = Stage::start("browser::citizen::submits_without_javascript") else {
        return;
    };
    let addr = stage.runner.addr;
    walk(&stage.tools, stage.dir.path(), move |browser| async move {
        let draft = confidential_report();
        let never_public = [
            (SECRET, "a confidential report's text"),
            (draft.name, "the reporter's name"),
            ("2222-3333", "the reporter's phone"),
            ("81322223333", "the reporter's phone"),
        ];

        let offline = browser.session(addr, Script::Off, Width::Phone).await;
        let sent = pages::submit(&offline, &draft).await;
        // The script would fill the character counter: it did not run.
        offline.goto("/").await;
        assert_eq!(offline.find("#hitung-isi").await.text().await.unwrap(), "");

        // Another device, still without JavaScript: the access code opens the whole report.
        let other = browser.session(addr, Script::Off, Width::Phone).await;
        other.goto(&sent.track_path()).await;
        other.check_page("track-public", &never_public).await;
        pages::come_back(&other, &sent).await;
        let html = other.check_page("track-reporter", &[]).await;
        assert!(html.contains(SECRET), "the reporter reads their own report");
        assert!(html.contains(draft.name), "the reporter sees their contact");

        // A third, with JavaScript: the private link alone.
        let phone = browser.session(addr, Script::On, Width::Phone).await;
        pages::come_back(&phone, &sent).await;
        phone.check_page("track-reporter", &[]).await;

        // The public: the status only, on every page that lists or shows reports.
        let public = browser.session(addr, Script::On, Width::Desktop).await;
        for (path, name) in [
            (sent.track_path(), "track-public"),
            ("/laporan".to_string(), "feed"),
            (
                format!("/laporan/{}", sent.id),
                "public-report-confidential",
            ),
            (format!("/instansi/{}", pages::BANDUNG), "institution"),
        ] {
            public.goto(&path).await;
            public.check_page(name, &never_public).await;
        }
        public.goto("/lacak").await;
        public.check_page("track-form", &never_public).await;
    })
    .await;
}
