//! The citizens' pages on every storage family: sending a report and following it with the key
//! kept on the device, the forms' errors, CSRF, the privacy of anonymous and confidential
//! reports, the public side, the error pages; and `lapor-local` serving the pages at `/`.

use super::browser::{web, Browser, Page};
use lapor::domain::AccessToken;
use lapor::web::page::CONTENT_SECURITY_POLICY;
use lapor::web::Web;
use lapor_tests::{families, Harness};

const TITLE: &str = "Lampu jalan mati <script>alert(1)</script>";
const BODY: &str =
    "Lampu penerangan jalan di Jalan Merdeka sudah mati dua minggu dan rawan kejahatan.";

/// The sample report's form fields, with `extra` added.
fn fields<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![
        ("kind", "complaint"),
        ("title", TITLE),
        ("body", BODY),
        ("provinsi", "32"),
        ("kabupaten", "32.73"),
        ("kecamatan", "32.73.01"),
        ("lokasi", "Jalan Merdeka dekat pasar"),
        ("nama", "Siti Rahayu"),
        ("telepon", "0812-3456-7890"),
        ("email", "siti@example.id"),
    ];
    // A field given in `extra` replaces the sample's (a form's first value is the one read).
    out.retain(|(name, _)| extra.iter().all(|(e, _)| e != name));
    out.extend_from_slice(extra);
    out
}

/// Fills the home page's form with `form` and sends it.
async fn send(web: &Web, b: &mut Browser, form: &[(&str, &str)]) -> Page {
    let home = b.get(web, "/").await;
    let (csrf, key) = (home.field("csrf"), home.field("kunci"));
    let mut all = vec![("csrf", csrf.as_str()), ("kunci", key.as_str())];
    all.extend_from_slice(form);
    b.post(web, "/kirim", &all).await
}

/// Sends the sample report with `extra` fields: its tracking id and access token (read from the
/// page after sending, as the reporter reads it).
async fn sent(web: &Web, b: &mut Browser, extra: &[(&str, &str)]) -> (String, String) {
    let answer = send(web, b, &fields(extra)).await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let id = answer
        .location()
        .strip_prefix("/terkirim/")
        .expect("redirected to the page after sending")
        .to_string();
    let after = b.get(web, answer.location()).await;
    assert_eq!(after.status, 200);
    let token = after
        .html
        .split("#akses=")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the private link")
        .to_string();
    (id, token)
}

fn cookie_with<'a>(page: &'a Page, name: &str) -> &'a str {
    page.set_cookies()
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"))
}

fn assert_strict_cookie(cookie: &str) {
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
}

#[tokio::test]
async fn a_citizen_sends_a_report_and_follows_it_with_the_key_kept_on_the_device() {
    for h in families().await {
        let web = web(&h).await;
        let family = h.family;
        let mut reporter = Browser::default();

        let home = reporter.get(&web, "/").await;
        assert_eq!(home.status, 200);
        assert_eq!(
            home.header("content-security-policy"),
            Some(CONTENT_SECURITY_POLICY)
        );
        assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(home.header("referrer-policy"), Some("no-referrer"));
        assert_strict_cookie(cookie_with(&home, "lapor_csrf"));
        assert!(!home.html.contains("<script>alert"), "{family}");

        let answer = send(&web, &mut reporter, &fields(&[])).await;
        assert_eq!(answer.status, 303, "{family}: {}", answer.html);
        let access_cookie = cookie_with(&answer, "lapor_akses").to_string();
        assert_strict_cookie(&access_cookie);
        let id = answer
            .location()
            .strip_prefix("/terkirim/")
            .unwrap()
            .to_string();

        let after = reporter.get(&web, &format!("/terkirim/{id}")).await;
        assert_eq!(after.header("cache-control"), Some("no-store"));
        assert!(
            after.html.contains(&id[..5]),
            "{family}: the tracking id shown"
        );
        assert!(
            after.html.contains("kunci laporan Anda"),
            "{family}: the warning"
        );
        let token = after
            .html
            .split("#akses=")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let stored = h.stored(&id).await;
        assert!(AccessToken::from_presented(token).matches(&stored.access_token_hash));
        // The token travels in the fragment, the sealed cookie and posted forms only.
        assert!(!answer.location().contains(token) && !access_cookie.contains(token));
        assert!(!after.html.contains(&format!("/lacak/{id}?")), "{family}");

        // The reporter's view on this device: everything, escaped.
        let own = reporter.get(&web, &format!("/lacak/{id}")).await;
        assert_eq!(own.status, 200);
        assert_eq!(own.header("cache-control"), Some("no-store"));
        assert!(own.html.contains("Siti Rahayu") && own.html.contains("siti@example.id"));
        assert!(
            own.html
                .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{family}"
        );
        assert!(!own.html.contains("<script>alert"), "{family}");

        // Anyone else: the status, not yet the content (unverified), never the contact.
        let mut stranger = Browser::default();
        let public = stranger.get(&web, &format!("/lacak/{id}")).await;
        assert_eq!(public.status, 200);
        for private in ["Siti Rahayu", "0812", "siti@example.id", "Lampu jalan"] {
            assert!(
                !public.html.contains(private),
                "{family}: {private} shown to the public"
            );
        }
        h.drain_router().await;
        for path in [format!("/lacak/{id}"), format!("/laporan/{id}")] {
            let public = stranger.get(&web, &path).await;
            assert_eq!(public.status, 200, "{family}: {path}");
            assert!(
                public.html.contains("Lampu jalan mati"),
                "{family}: {path} once routed"
            );
            for private in ["Siti Rahayu", "0812", "siti@example.id"] {
                assert!(
                    !public.html.contains(private),
                    "{family}: {path} shows {private}"
                );
            }
        }

        // A reply posted twice with the same form (a double click) acts once.
        let page = reporter.get(&web, &format!("/lacak/{id}")).await;
        let (csrf, key) = (page.field("csrf"), page.field("kunci"));
        let form = [
            ("csrf", csrf.as_str()),
            ("kunci", key.as_str()),
            (
                "message",
                "Lampunya masih mati sampai hari ini, mohon segera diperbaiki.",
            ),
        ];
        for _ in 0..2 {
            let acted = reporter
                .post(&web, &format!("/lacak/{id}/balas"), &form)
                .await;
            assert_eq!(acted.status, 303, "{family}: {}", acted.html);
            assert_eq!(acted.location(), format!("/lacak/{id}"));
        }
        let replies = h
            .stored(&id)
            .await
            .timeline
            .iter()
            .filter(|e| e.action == "reporter_replied")
            .count();
        assert_eq!(replies, 1, "{family}: a double submit acted twice");

        // Without the key on the device, the reporter's forms are refused and nothing changes.
        let refused = stranger
            .fill(
                &web,
                &format!("/lacak/{id}"),
                &format!("/lacak/{id}/balas"),
                &[("message", "Saya bukan pelapornya tetapi mencoba.")],
            )
            .await;
        assert_eq!(refused.status, 401, "{family}");
        let wrong = stranger
            .fill(
                &web,
                &format!("/lacak/{id}"),
                &format!("/lacak/{id}/akses"),
                &[("akses", "bukan-kode-akses")],
            )
            .await;
        assert_eq!(wrong.status, 401, "{family}");
        let replies = h
            .stored(&id)
            .await
            .timeline
            .iter()
            .filter(|e| e.action == "reporter_replied")
            .count();
        assert_eq!(replies, 1, "{family}");

        // On another device, the private link's code (posted by the page's script or typed).
        let mut phone = Browser::default();
        let link = format!("https://lapor.example/lacak/{id}#akses={token}");
        let opened = phone
            .fill(
                &web,
                &format!("/lacak/{id}"),
                &format!("/lacak/{id}/akses"),
                &[("akses", &link)],
            )
            .await;
        assert_eq!(opened.status, 303, "{family}: {}", opened.html);
        assert!(!opened.location().contains(token));
        let own = phone.get(&web, &format!("/lacak/{id}")).await;
        assert!(
            own.html.contains("Siti Rahayu"),
            "{family}: the reporter's view on the phone"
        );
    }
}

#[tokio::test]
async fn a_form_with_missing_or_invalid_fields_comes_back_with_what_to_fix_and_stores_nothing() {
    for h in families().await {
        let web = web(&h).await;
        let family = h.family;
        let mut b = Browser::default();
        let answer = send(
            &web,
            &mut b,
            &[
                ("kind", "complaint"),
                ("title", "ab"),
                ("body", ""),
                ("nama", "Budi"),
            ],
        )
        .await;
        assert_eq!(answer.status, 400, "{family}");
        assert!(answer.html.contains("Laporan belum terkirim"), "{family}");
        assert!(
            answer.html.contains("id=\"e-title\"")
                && answer.html.contains("harus 5 sampai 150 karakter"),
            "{family}: {}",
            answer.html
        );
        assert!(
            answer.html.contains("id=\"e-body\"") && answer.html.contains("aria-invalid=\"true\""),
            "{family}"
        );
        assert!(
            answer.html.contains("value=\"ab\"") && answer.html.contains("value=\"Budi\""),
            "{family}: what was typed is kept"
        );
        assert!(answer
            .set_cookies()
            .iter()
            .all(|c| !c.starts_with("lapor_akses")));

        // Choosing a province shows its kabupaten/kota, keeping what was typed; nothing is sent.
        let chosen = send(&web, &mut b, &fields(&[("pilih", "provinsi")])).await;
        assert_eq!(chosen.status, 200, "{family}");
        assert!(chosen.html.contains("name=\"kabupaten\"") && chosen.html.contains("Kota Bandung"));
        assert!(
            chosen.html.contains("Jalan Merdeka dekat pasar"),
            "{family}"
        );
        assert_eq!(h.drain_router().await, 0, "{family}: something was stored");
    }
}

#[tokio::test]
async fn a_post_without_the_forms_csrf_token_is_refused_and_changes_nothing() {
    for h in families().await {
        let web = web(&h).await;
        let family = h.family;
        let mut b = Browser::default();
        let home = b.get(&web, "/").await;
        let mut other = Browser::default();
        let foreign = other.get(&web, "/").await.field("csrf");
        let key = home.field("kunci");
        let mut cookieless = Browser::default();
        let (mut same, mut again) = (b.clone(), b.clone());
        let cases: [(&mut Browser, Option<String>); 4] = [
            (&mut b, None),
            (&mut same, Some("0".repeat(32))),
            (&mut again, Some(foreign.clone())),
            (&mut cookieless, Some(home.field("csrf"))),
        ];
        for (who, token) in cases {
            let mut form = fields(&[("kunci", key.as_str())]);
            if let Some(t) = &token {
                form.push(("csrf", t));
            }
            let refused = who.post(&web, "/kirim", &form).await;
            assert_eq!(refused.status, 403, "{family}: token {token:?}");
            assert!(refused.html.contains("Formulir tidak sah"), "{family}");
        }
        assert_eq!(
            h.drain_router().await,
            0,
            "{family}: a refused post stored a report"
        );

        // Nor does a forged withdrawal touch a report.
        let (id, _) = sent(&web, &mut b, &[]).await;
        let forged = b
            .post(&web, &format!("/lacak/{id}/tarik"), &[("yakin", "1")])
            .await;
        assert_eq!(forged.status, 403, "{family}");
        assert!(h
            .stored(&id)
            .await
            .timeline
            .iter()
            .all(|e| e.action != "withdrawn"));
    }
}

#[tokio::test]
async fn anonymous_and_confidential_reports_show_nothing_private_to_the_public() {
    for h in families().await {
        let web = web(&h).await;
        let family = h.family;
        let mut reporter = Browser::default();
        let secret_title = "Pungutan liar di kantor kelurahan Dago";
        let (confidential, _) = sent(
            &web,
            &mut reporter,
            &[("title", secret_title), ("rahasia", "1"), ("anonim", "1")],
        )
        .await;
        let (anonymous, _) = sent(&web, &mut reporter, &[("anonim", "1")]).await;
        h.drain_router().await;
        let agency = h
            .stored(&anonymous)
            .await
            .agency_id
            .expect("the sample report is routed");
        assert_eq!(
            h.stored(&confidential).await.agency_id.as_deref(),
            Some(agency.as_str())
        );

        let mut public = Browser::default();
        let pages = [
            format!("/lacak/{confidential}"),
            format!("/laporan/{confidential}"),
            format!("/lacak/{anonymous}"),
            format!("/laporan/{anonymous}"),
            "/laporan".to_string(),
            format!("/laporan?instansi={agency}"),
            format!("/instansi/{agency}"),
        ];
        for path in &pages {
            let page = public.get(&web, path).await;
            assert_eq!(page.status, 200, "{family}: {path}");
            for private in [secret_title, "Siti Rahayu", "0812", "siti@example.id"] {
                assert!(
                    !page.html.contains(private),
                    "{family}: {path} shows {private}"
                );
            }
        }
        // The anonymous, not confidential, report is public: listed and readable.
        for path in [
            "/laporan".to_string(),
            format!("/instansi/{agency}"),
            format!("/laporan/{anonymous}"),
        ] {
            let page = public.get(&web, &path).await;
            assert!(
                page.html.contains("Lampu jalan mati"),
                "{family}: {path} misses the public report"
            );
        }
        assert!(public
            .get(&web, &format!("/laporan/{confidential}"))
            .await
            .html
            .contains("rahasia"));
        // Its reporter still reads it all.
        let own = reporter.get(&web, &format!("/lacak/{confidential}")).await;
        assert!(
            own.html.contains(secret_title) && own.html.contains("Siti Rahayu"),
            "{family}"
        );
    }
}

#[tokio::test]
async fn an_institutions_page_shows_its_figures_from_the_counters() {
    for h in families().await {
        let web = web(&h).await;
        let family = h.family;
        let mut reporter = Browser::default();
        let (first, _) = sent(&web, &mut reporter, &[]).await;
        sent(&web, &mut reporter, &[("rahasia", "1")]).await;
        h.drain_router().await;
        let agency = h.stored(&first).await.agency_id.expect("routed");
        let page = Browser::default()
            .get(&web, &format!("/instansi/{agency}"))
            .await;
        assert_eq!(page.status, 200, "{family}");
        // Both count, the confidential one included: figures name no report.
        assert!(
            page.html.contains("<dt>Laporan diterima</dt><dd>2</dd>"),
            "{family}: {}",
            page.html
        );
        assert!(page.html.contains("Jan 2025 sampai Des 2025"), "{family}");
        assert!(
            page.html
                .contains("<th scope=\"row\">Terdisposisi Belum Ditindaklanjuti</th><td>2</td>"),
            "{family}"
        );
        assert!(page.html.contains("belum ada yang jatuh tempo"), "{family}");
        assert!(
            page.html
                .contains(&format!("/v1/stats?agency={agency}&amp;format=csv")),
            "{family}"
        );
    }
}

#[tokio::test]
async fn every_error_has_its_page() {
    for h in families().await {
        let web = web(&h).await;
        let family = h.family;
        let mut b = Browser::default();
        for (path, status) in [
            ("/tidak-ada", 404),
            ("/laporan/AAAAAAAAAA", 404),
            ("/lacak/bukan-nomor", 404),
            ("/instansi/tidak-ada", 404),
            ("/terkirim/AAAAAAAAAA", 404),
            ("/laporan?status=entah", 400),
            ("/lacak?nomor=ABCDE-12345", 404),
        ] {
            let page = b.get(&web, path).await;
            assert_eq!(page.status, status, "{family}: {path}");
            assert_eq!(
                page.header("content-type"),
                Some("text/html; charset=utf-8")
            );
            assert_eq!(
                page.header("content-security-policy"),
                Some(CONTENT_SECURITY_POLICY)
            );
            assert!(page.html.contains("</html>"), "{family}: {path}");
        }
        assert_eq!(b.send(&web, "DELETE", "/", None).await.status, 405);
        let huge = format!("title={}", "a".repeat(70 * 1024));
        let too_large = b.send(&web, "POST", "/kirim", Some(huge)).await;
        assert_eq!(too_large.status, 413, "{family}");
        assert!(too_large.html.contains("terlalu besar"));

        // A withdrawn report's public page is gone.
        let (id, _) = sent(&web, &mut b, &[]).await;
        h.drain_router().await;
        let page = b.get(&web, &format!("/lacak/{id}")).await;
        let form = [
            ("csrf", page.field("csrf")),
            ("kunci", format!("{}-x", page.field("kunci"))),
            ("yakin", "1".into()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let withdrawn = b.post(&web, &format!("/lacak/{id}/tarik"), &form).await;
        assert_eq!(withdrawn.status, 303, "{family}: {}", withdrawn.html);
        assert_eq!(
            b.get(&web, &format!("/laporan/{id}")).await.status,
            410,
            "{family}"
        );

        // The stylesheet and the script under their hashed names; no other name.
        let home = b.get(&web, "/").await;
        for ext in ["css", "js"] {
            let start = home.html.find("/static/lapor.").unwrap();
            let path = home.html[start..]
                .split('"')
                .find(|p| p.ends_with(ext))
                .map(String::from)
                .unwrap_or_else(|| {
                    let i = home.html.find(&format!(".{ext}\"")).unwrap();
                    let s = home.html[..i].rfind("/static/").unwrap();
                    format!("{}.{ext}", &home.html[s..i])
                });
            let asset = b.get(&web, &path).await;
            assert_eq!(asset.status, 200, "{family}: {path}");
            assert_eq!(
                asset.header("cache-control"),
                Some("public, max-age=31536000, immutable")
            );
        }
        assert_eq!(
            b.get(&web, "/static/lapor.000000000000.css").await.status,
            404
        );
    }
}

#[test]
fn pages_stay_small() {
    // Each page's HTML plus the stylesheet and the script, uncompressed, well under 50 KB.
    let css = include_str!("../../../../shared/static/lapor.css");
    let js = include_str!("../../../../shared/static/lapor.js");
    assert!(
        css.len() + js.len() < 16 * 1024,
        "{} bytes",
        css.len() + js.len()
    );
}

#[tokio::test]
async fn the_home_page_is_small_with_its_assets() {
    let h: Harness = lapor_tests::embedded().await;
    let web = web(&h).await;
    let mut b = Browser::default();
    // The biggest list: a province with many kabupaten/kota chosen.
    let page = send(&web, &mut b, &fields(&[("pilih", "kabupaten")])).await;
    let css = include_str!("../../../../shared/static/lapor.css");
    let js = include_str!("../../../../shared/static/lapor.js");
    let total = page.html.len() + css.len() + js.len();
    assert!(total < 50 * 1024, "{total} bytes before compression");
}

#[test]
fn lapor_local_serves_the_pages_at_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let runner = crate::local_runner::Runner::start(dir.path(), dir.path().join("serve.log"));
    let home = crate::local_runner::exchange(runner.addr, "GET", "/", &[], None).unwrap();
    assert_eq!(home.status, 200, "{}", runner.log_text());
    assert!(home.text.contains("Kirim laporan") && home.text.contains("lang=\"id\""));
    let missing =
        crate::local_runner::exchange(runner.addr, "GET", "/tidak-ada", &[], None).unwrap();
    assert_eq!(missing.status, 404);
    assert!(missing.text.contains("Tidak ditemukan"));
    runner.stop();
}

#[tokio::test]
async fn the_suggestion_while_typing_names_the_public_reports_it_may_repeat() {
    let h = lapor_tests::embedded().await;
    let web = web(&h).await;
    let mut first = Browser::default();
    let (original, _) = sent(&web, &mut first, &[]).await;
    h.drain_router().await;
    let mut other = Browser::default();
    let home = other.get(&web, "/").await;
    let csrf = home.field("csrf");
    let mut draft = fields(&[("title", "Lampu mati"), ("body", BODY)]);
    draft.push(("csrf", csrf.as_str()));
    let answer = other.post(&web, "/saran", &draft).await;
    assert_eq!(answer.status, 200, "{}", answer.html);
    let json: serde_json::Value = serde_json::from_str(&answer.html).unwrap();
    assert_eq!(
        json["similar"][0]["tracking_id"],
        original.as_str(),
        "{json}"
    );
    assert_eq!(
        json["similar"][0]["url"],
        format!("/laporan/{original}").as_str(),
        "{json}"
    );
}

#[tokio::test]
async fn a_supported_reports_page_says_how_many_support_it() {
    let h = lapor_tests::embedded().await;
    let web = web(&h).await;
    let original = h.submit_routed(&lapor_tests::sample_report()).await;
    let mut other_person = lapor_tests::sample_report();
    other_person["reporter"] = serde_json::json!({"phone": "0813-1111-2222"});
    let mine = h.submit_routed(&other_person).await;
    h.confirm_contact(&mine).await;
    let supported = h
        .reporter_call(
            "support",
            &original.id,
            Some(&mine.token),
            &serde_json::json!({ "from_report": mine.id }),
        )
        .await;
    assert_eq!(supported.status, 200, "{}", supported.text);
    let page = Browser::default()
        .get(&web, &format!("/laporan/{}", original.id))
        .await;
    assert!(
        page.html
            .contains("<dt>Didukung</dt><dd>1 warga dengan masalah yang sama</dd>"),
        "{}",
        page.html
    );
    assert!(!page.html.contains(&mine.id), "who supports is never shown");
}

#[tokio::test]
async fn a_reporter_supports_another_report_from_its_page_with_a_report_of_their_own() {
    for h in families().await {
        let family = h.family;
        let web = web(&h).await;
        let original = h.submit_routed(&lapor_tests::sample_report()).await;
        let mut browser = Browser::default();
        // This browser's own report, by another person, not yet confirmed.
        let (mine, token) = sent(&web, &mut browser, &[("telepon", "0813-2222-3333")]).await;
        h.drain_router().await;
        let path = format!("/laporan/{}", original.id);
        let page = browser.get(&web, &path).await;
        assert!(
            page.html.contains("Dukung laporan ini"),
            "{family}: {}",
            page.html
        );
        let support_path = format!("{path}/dukung");
        let csrf = page.field("csrf");
        let answer = browser
            .post(
                &web,
                &support_path,
                &[("csrf", csrf.as_str()), ("dari", mine.as_str())],
            )
            .await;
        assert_eq!(answer.status, 303, "{family}: {}", answer.html);
        assert!(
            answer.location().ends_with("?dukungan=konfirmasi"),
            "{family}: {}",
            answer.location()
        );
        let told = browser.get(&web, answer.location()).await;
        assert!(told.html.contains("konfirmasikan dulu"), "{family}");
        assert!(
            h.stored(&original.id).await.supporters.is_empty(),
            "{family}"
        );

        h.confirm_contact(&lapor_tests::Submitted {
            id: mine.clone(),
            token,
        })
        .await;
        let page = browser.get(&web, &path).await;
        let csrf = page.field("csrf");
        let answer = browser
            .post(
                &web,
                &support_path,
                &[("csrf", csrf.as_str()), ("dari", mine.as_str())],
            )
            .await;
        assert!(
            answer.location().ends_with("?dukungan=tercatat"),
            "{family}: {}",
            answer.location()
        );
        let page = browser.get(&web, answer.location()).await;
        assert!(page.html.contains("Dukungan Anda tercatat"), "{family}");
        assert!(
            page.html.contains("<dt>Didukung</dt><dd>1 warga"),
            "{family}"
        );
        // A browser without reports of its own sees no form; a post without the form's token
        // changes nothing.
        let mut stranger = Browser::default();
        let bare = stranger.get(&web, &path).await;
        assert!(!bare.html.contains("Dukung laporan ini"), "{family}");
        let forged = stranger
            .post(&web, &support_path, &[("dari", mine.as_str())])
            .await;
        assert_eq!(forged.status, 403, "{family}: {}", forged.html);
        assert_eq!(h.stored(&original.id).await.supporters.len(), 1, "{family}");
    }
}
