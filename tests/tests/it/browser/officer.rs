//! The officers' and verifiers' journeys, with the citizen on the other side:
//! - an officer of Kota Bandung signs in, finds an anonymous report in the inbox, accepts it and
//!   asks a question; the reporter comes back through the private link on a fresh browser and
//!   answers; the officer reads the answer and follows up; the reporter rates. A second report is
//!   forwarded to Provinsi Jawa Barat: Kota Bandung no longer sees it, Jawa Barat does;
//! - a verifier works a report the router could not place from the triage queue.
//!
//! The anonymous reporter's name and phone never show on an officer's or a public page.

use super::harness::{walk, Script, Width};
use super::pages::{self, Draft, BANDUNG, INBOX, JAWA_BARAT};
use super::Stage;

const NAME: &str = "Siti Rahayu";

fn anonymous_street_light() -> Draft {
    Draft {
        anonymous: true,
        name: NAME,
        ..pages::street_light()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_answers_the_reporter_and_forwards_a_report() {
    let Some(stage) = Stage::start("browser::officer::officer_answers") else {
        return;
    };
    let addr = stage.runner.addr;
    walk(&stage.tools, stage.dir.path(), move |browser| async move {
        let never = [
            (NAME, "the anonymous reporter's name"),
            ("3456-7890", "the anonymous reporter's phone"),
            ("81234567890", "the anonymous reporter's phone"),
        ];
        let citizen = browser.session(addr, Script::On, Width::Phone).await;
        let sent = pages::submit(&citizen, &anonymous_street_light()).await;

        let officer = browser.session(addr, Script::On, Width::Desktop).await;
        pages::sign_in(&officer, Some(BANDUNG), "petugas-bandung").await;
        pages::await_in_inbox(&officer, &sent.id).await;
        officer.check_page("officer-inbox", &never).await;
        officer.goto(&format!("/petugas/laporan/{}", sent.id)).await;
        let html = officer.check_page("officer-report", &never).await;
        assert!(html.contains("Anonim"), "the anonymous badge:\n{html}");
        pages::act(&officer, "accept", &[], &never).await;
        let question = "Mohon sebutkan nomor tiang lampu yang mati.";
        pages::act(
            &officer,
            "request_info",
            &[("textarea[name=question]", question)],
            &never,
        )
        .await;

        // The reporter, on another phone, through the private link.
        let reporter = browser.session(addr, Script::On, Width::Phone).await;
        pages::come_back(&reporter, &sent).await;
        reporter.wait_for_text("body", question).await;
        reporter.check_page("track-question", &[]).await;
        let answer = "Nomor tiangnya PJU-0457, di depan gerbang sekolah.";
        reporter.fill("#f-message", answer).await;
        reporter
            .click("form[action$='/balas'] button[type=submit]")
            .await;
        reporter.wait_for_text("body", answer).await;

        officer.goto(&format!("/petugas/laporan/{}", sent.id)).await;
        officer.wait_for_text("body", answer).await;
        pages::act(
            &officer,
            "follow_up",
            &[(
                "textarea[name=message]",
                "Lampu PJU-0457 sudah diganti hari ini.",
            )],
            &never,
        )
        .await;

        reporter.goto(&sent.track_path()).await;
        reporter.find("#stars-5").await.click().await.unwrap();
        reporter
            .fill("#f-comment", "Cepat ditangani, terima kasih.")
            .await;
        reporter
            .click("form[action$='/nilai'] button[type=submit]")
            .await;
        reporter.wait_for_text("body", "Penilaian Anda").await;
        reporter.check_page("track-rated", &[]).await;

        // The public page of the report: its content, never the anonymous reporter.
        let public = browser.session(addr, Script::On, Width::Desktop).await;
        public.goto(&format!("/laporan/{}", sent.id)).await;
        let html = public.check_page("public-report", &never).await;
        assert!(
            html.contains("Lampu jalan mati di Jalan Merdeka"),
            "the public reads the report:\n{html}"
        );
        public.goto("/laporan").await;
        public.check_page("feed", &never).await;

        // A second report, forwarded to the province: Kota Bandung loses it.
        let second = pages::submit(
            &citizen,
            &Draft {
                title: "Saluran air tersumbat di Jalan Braga",
                body: "Saluran air di Jalan Braga tersumbat sampah sejak sebulan, air meluap \
                       ke jalan setiap hujan dan masuk ke rumah warga.",
                location: "Jalan Braga",
                ..anonymous_street_light()
            },
        )
        .await;
        pages::await_in_inbox(&officer, &second.id).await;
        officer
            .goto(&format!("/petugas/laporan/{}", second.id))
            .await;
        pages::act(&officer, "accept", &[], &never).await;
        officer.fill("#cari-forward", "Jawa Barat").await;
        officer
            .click("#aksi-forward form[role=search] button[type=submit]")
            .await;
        officer.check_page("officer-forward-search", &never).await;
        pages::act(
            &officer,
            "forward",
            &[
                (&format!("input[name=agency_id][value='{JAWA_BARAT}']"), ""),
                (
                    "textarea[name=reason]",
                    "Saluran ini bagian dari jaringan drainase jalan provinsi.",
                ),
            ],
            &never,
        )
        .await;
        officer.goto(INBOX).await;
        assert!(
            !officer
                .has(&format!("a[href$='/petugas/laporan/{}']", second.id))
                .await,
            "Kota Bandung's inbox still lists the forwarded report"
        );
        officer
            .goto(&format!("/petugas/laporan/{}", second.id))
            .await;
        let html = officer.html().await;
        assert!(
            !html.contains("tersumbat sampah sejak sebulan"),
            "Kota Bandung still reads the forwarded report:\n{html}"
        );
        officer.check_page("officer-report-elsewhere", &never).await;

        let province = browser.session(addr, Script::On, Width::Desktop).await;
        pages::sign_in(&province, Some(JAWA_BARAT), "petugas-jabar").await;
        pages::await_in_inbox(&province, &second.id).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifier_triages_a_report_the_router_could_not_place() {
    let Some(stage) = Stage::start("browser::officer::verifier_triages") else {
        return;
    };
    let addr = stage.runner.addr;
    walk(&stage.tools, stage.dir.path(), move |browser| async move {
        let never = [
            ("Agus Salim", "the anonymous reporter's name"),
            ("5555-6666", "the anonymous reporter's phone"),
        ];
        let citizen = browser.session(addr, Script::On, Width::Phone).await;
        let sent = pages::submit(
            &citizen,
            &Draft {
                kind: "complaint",
                title: "Tidak ada kejelasan",
                body: "Sudah tiga bulan menunggu tanpa kabar apa pun, mohon segera ada kejelasan \
                       dan tindak lanjut.",
                province: None,
                regency: None,
                location: "",
                anonymous: true,
                confidential: false,
                name: "Agus Salim",
                phone: "0815-5555-6666",
            },
        )
        .await;

        let verifier = browser.session(addr, Script::On, Width::Desktop).await;
        pages::sign_in(&verifier, None, "verifikator-1").await;
        pages::await_in_inbox(&verifier, &sent.id).await;
        verifier.check_page("verifier-triage", &never).await;
        verifier
            .goto(&format!("/petugas/laporan/{}", sent.id))
            .await;
        verifier.check_page("verifier-report", &never).await;
        verifier.fill("#cari-verify", "Kota Bandung").await;
        verifier
            .click("#aksi-verify form[role=search] button[type=submit]")
            .await;
        pages::act(
            &verifier,
            "verify",
            &[(&format!("input[name=agency_id][value='{BANDUNG}']"), "")],
            &never,
        )
        .await;
        verifier.goto(INBOX).await;
        assert!(
            !verifier
                .has(&format!("a[href$='/petugas/laporan/{}']", sent.id))
                .await,
            "the triage queue still lists the verified report"
        );
    })
    .await;
}
