//! What the journeys do on the pages, as a person does it: fill the report form, keep the
//! private link, sign in on the local sign-in page, act on a report. Each visited page gets
//! [`Session::check_page`].

use super::harness::{Never, Script, Session};
use std::time::{Duration, Instant};

pub(crate) const BANDUNG: &str = "pemda-32.73";
pub(crate) const JAWA_BARAT: &str = "pemda-32";
/// The officers' inbox (a verifier's: the triage queue).
pub(crate) const INBOX: &str = "/petugas";
/// How long the router running inside `serve` may take to place a report.
const ROUTED_DEADLINE: Duration = Duration::from_secs(60);

/// A report as a citizen types it into the home page's form.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    /// `complaint`, `aspiration` or `information_request`.
    pub(crate) kind: &'static str,
    pub(crate) title: &'static str,
    pub(crate) body: &'static str,
    /// Province and kabupaten/kota codes picked from the lists.
    pub(crate) province: Option<&'static str>,
    pub(crate) regency: Option<&'static str>,
    pub(crate) location: &'static str,
    pub(crate) anonymous: bool,
    pub(crate) confidential: bool,
    pub(crate) name: &'static str,
    pub(crate) phone: &'static str,
}

/// A broken street light in Kota Bandung, public, with a name and phone.
pub(crate) fn street_light() -> Draft {
    Draft {
        kind: "complaint",
        title: "Lampu jalan mati di Jalan Merdeka",
        body: "Lampu penerangan jalan di depan SD Negeri 5 Jalan Merdeka sudah mati dua minggu, \
               jalan gelap dan rawan kecelakaan pada malam hari.",
        province: Some("32"),
        regency: Some("32.73"),
        location: "Jalan Merdeka depan SD Negeri 5",
        anonymous: false,
        confidential: false,
        name: "Siti Rahayu",
        phone: "0812-3456-7890",
    }
}

/// What the page after sending gave.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) id: String,
    /// The page after sending (`/terkirim/<id>`).
    pub(crate) page: String,
    /// The private link, the access token in its fragment.
    pub(crate) link: String,
    /// The access code shown for browsers without JavaScript.
    pub(crate) access_code: String,
}

impl Sent {
    pub(crate) fn track_path(&self) -> String {
        format!("/lacak/{}", self.id)
    }
}

/// Sends `draft` through the home page's form: the places picked from the lists (with
/// JavaScript the next list loads on its own, without it through the "Pilih" button), the
/// switches, the contact. Checks the home page and the page after sending.
pub(crate) async fn submit(s: &Session, draft: &Draft) -> Sent {
    s.goto("/").await;
    s.check_page("home", &[]).await;
    s.find(&format!("#kind-{}", draft.kind))
        .await
        .click()
        .await
        .unwrap();
    s.fill("#f-title", draft.title).await;
    s.fill("#f-body", draft.body).await;
    if let Some(province) = draft.province {
        pick(
            s,
            "#f-provinsi",
            province,
            "#pilih-provinsi",
            "#f-kabupaten",
        )
        .await;
        if let Some(regency) = draft.regency {
            pick(
                s,
                "#f-kabupaten",
                regency,
                "#pilih-kabupaten",
                "#f-kecamatan",
            )
            .await;
        }
        // The form shown again keeps what was typed.
        assert_eq!(
            s.find("#f-title").await.prop("value").await.unwrap(),
            Some(draft.title.to_string())
        );
    }
    s.fill("#f-location_text", draft.location).await;
    if draft.anonymous {
        s.find("#f-anonim").await.click().await.unwrap();
    }
    if draft.confidential {
        s.find("#f-rahasia").await.click().await.unwrap();
    }
    s.fill("input[name=nama]", draft.name).await;
    s.fill("input[name=telepon]", draft.phone).await;
    if s.script() == Script::On && draft.regency == Some("32.73") {
        // The suggestion while typing, before sending.
        let shown = s.wait_for_text("#saran", "Pemerintah Kota Bandung").await;
        assert!(shown.contains("Perkiraan instansi tujuan"), "{shown}");
    }
    s.click("#lapor-form p > button[type=submit]").await;
    let page = s.path().await;
    let id = page
        .strip_prefix("/terkirim/")
        .unwrap_or_else(|| panic!("after sending: {page}, not /terkirim/<id>"))
        .to_string();
    let html = s.check_page("sent", &[]).await;
    assert!(
        html.contains("Tautan ini adalah kunci laporan Anda"),
        "{html}"
    );
    let link = s
        .find("#tautan")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the private link");
    let access_code = s
        .find("#kode-akses")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the access code");
    let (before, token) = link
        .split_once("#akses=")
        .unwrap_or_else(|| panic!("the private link keeps the token in its fragment: {link}"));
    assert_eq!(before, s.url(&format!("/lacak/{id}")));
    assert_eq!(token, access_code.trim());
    Sent {
        id,
        page,
        link,
        access_code: access_code.trim().to_string(),
    }
}

/// Picks `value` in the list `select`; without JavaScript presses its "Pilih" button, with it
/// the page does that itself. Either way the form comes back with the list `next`.
async fn pick(s: &Session, select: &str, value: &str, button: &str, next: &str) {
    s.choose(select, value).await;
    if s.script() == Script::Off {
        s.click(button).await;
    }
    s.wait_for(next).await;
}

/// Opens the private link in this (fresh) browser: with JavaScript the page posts the token from
/// the fragment itself; without it the reporter pastes the access code into the page's form.
/// Ends on the reporter's view of the report.
pub(crate) async fn come_back(s: &Session, sent: &Sent) {
    s.client.goto(&sent.link).await.expect("opening the link");
    if s.script() == Script::Off {
        s.fill("#f-akses", &sent.access_code).await;
        s.click("#form-akses button[type=submit]").await;
    }
    s.wait_for_text("body", "Kontak Anda").await;
    assert_eq!(s.path().await, sent.track_path());
    assert_eq!(s.fragment().await, None, "the token left the address bar");
}

/// Signs in on the local runner's sign-in page as an officer of `agency` (or, with `None`, as a
/// verifier), arriving on the inbox.
pub(crate) async fn sign_in(s: &Session, agency: Option<&str>, sub: &str) {
    s.goto(INBOX).await;
    let here = s.path().await;
    assert!(
        here.starts_with("/lokal/masuk"),
        "{INBOX} without a session: {here}"
    );
    s.check_page("sign-in", &[]).await;
    match agency {
        Some(agency) => s.fill("#agency_manual", agency).await,
        None => s.find("#peran-verifikator").await.click().await.unwrap(),
    }
    s.fill("#sub", sub).await;
    s.click("form[method=post] button[type=submit]").await;
    assert_eq!(s.path().await, INBOX);
}

/// Reloads the inbox until the report is in it (the router runs in the background).
pub(crate) async fn await_in_inbox(s: &Session, id: &str) {
    let deadline = Instant::now() + ROUTED_DEADLINE;
    loop {
        s.goto(INBOX).await;
        if s.has(&format!("a[href$='/petugas/laporan/{id}']")).await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{id} not in the inbox after {ROUTED_DEADLINE:?}:\n{}",
            s.text().await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Does one action of the report's page: fills its form's fields (`(css, text)`; a css naming a
/// radio or checkbox is clicked), presses its button, expects the confirmation and checks the
/// page it lands on.
pub(crate) async fn act(s: &Session, action: &str, fields: &[(&str, &str)], never: Never<'_>) {
    let form = format!("#aksi-{action} form[method=post]");
    for (css, text) in fields {
        let css = format!("#aksi-{action} {css}");
        if text.is_empty() {
            s.find(&css).await.click().await.unwrap();
        } else {
            s.fill(&css, text).await;
        }
    }
    s.click(&format!("{form} button[type=submit]")).await;
    if !s.has("p.success[role=status]").await {
        panic!("{action}: no confirmation:\n{}", s.text().await);
    }
    s.check_page(&format!("officer-report-{action}"), never)
        .await;
}
