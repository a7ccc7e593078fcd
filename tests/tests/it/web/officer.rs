//! The officers' and verifiers' console at the HTTP level, through the web handler on both
//! storage families: sign-in required, the inbox and its buckets, actions through the forms
//! (accept, ask, forward: the old institution loses the report), CSRF, a double submit acting
//! once, the conflict page, and the privacy rules of the JSON API on every page.
//!
//! The session is the cookie the sign-in sets (sealed with the web's key); how it is obtained
//! is `oidc.rs`'s subject.

use super::officer_browser::{action_id, csrf, Browser};
use lapor::auth::{StaffClaims, StaffRole};
use lapor::web::oidc::{Session, SESSION_LIFETIME};
use lapor::web::{officer, Settings, Web};
use lapor_tests::{families, sample_report, Harness, Submitted};
use serde_json::json;

const BANDUNG: &str = "pemda-32.73";

async fn web(h: &Harness) -> Web {
    Web::new(
        h.app.clone(),
        h.directory_api().await,
        Settings {
            insecure_cookies: false,
            officer: officer::Settings::default(),
        },
    )
}

/// A browser signed in as `staff` (the session cookie the callback sets).
pub(crate) fn signed_in(web: &Web, h: &Harness, staff: &StaffClaims) -> Browser {
    let now = h.app.clock.now();
    let session = serde_json::to_vec(&Session::start(staff, now)).unwrap();
    let mut browser = Browser::new();
    browser.jar.insert(
        officer::SESSION_COOKIE.into(),
        web.cookies
            .seal(officer::SESSION_COOKIE, &session, now + SESSION_LIFETIME),
    );
    browser
}

fn officer_of(agency: &str, sub: &str) -> StaffClaims {
    StaffClaims::new(sub, StaffRole::Officer, Some(agency.into())).unwrap()
}

fn verifier() -> StaffClaims {
    StaffClaims::new("verifikator-1", StaffRole::Verifier, None).unwrap()
}

/// GET the report's page, which must be shown.
async fn report_page(web: &Web, browser: &mut Browser, id: &str) -> String {
    let page = browser.get(web, &format!("/petugas/laporan/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.html
}

/// Posts `action` from the page's own form (its CSRF token and action id) with `fields`.
async fn act(
    web: &Web,
    browser: &mut Browser,
    id: &str,
    html: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> super::officer_browser::Answer {
    let token = csrf(html);
    let action_id = action_id(html, action);
    let mut all = vec![
        ("csrf", token.as_str()),
        ("action", action),
        ("action_id", action_id.as_str()),
    ];
    all.extend_from_slice(fields);
    browser
        .post(web, &format!("/petugas/laporan/{id}"), &all)
        .await
}

async fn routed_to_bandung(h: &Harness, body: serde_json::Value) -> Submitted {
    let s = h.submit_routed(&body).await;
    assert_eq!(
        h.stored(&s.id).await.agency_id.as_deref(),
        Some(BANDUNG),
        "{}",
        h.family
    );
    s
}

#[tokio::test]
async fn the_console_asks_for_a_sign_in_and_does_nothing_without_one() {
    for h in families().await {
        let web = web(&h).await;
        let s = routed_to_bandung(&h, sample_report()).await;
        let mut anonymous = Browser::new();
        let page = anonymous
            .get(&web, &format!("/petugas/laporan/{}", s.id))
            .await;
        assert_eq!(page.status, 303, "{}", h.family);
        assert_eq!(
            page.location.unwrap(),
            format!("/masuk?kembali=%2Fpetugas%2Flaporan%2F{}", s.id)
        );
        let post = anonymous
            .post(
                &web,
                &format!("/petugas/laporan/{}", s.id),
                &[("action", "accept"), ("action_id", "web-0123456789abcdef")],
            )
            .await;
        assert_eq!(post.status, 401, "{}: {}", h.family, post.html);
        assert!(post.html.contains("Sesi Anda sudah berakhir"));
        assert_eq!(
            h.stored(&s.id).await.status.as_str(),
            "dispositioned",
            "{}",
            h.family
        );
        // A session sealed with another key is no session.
        let mut forged = Browser::new();
        forged
            .jar
            .insert(officer::SESSION_COOKIE.into(), "v1.AAAAAAAA".into());
        assert_eq!(forged.get(&web, "/petugas").await.status, 303);
    }
}

#[tokio::test]
async fn the_inbox_lists_newest_first_with_buckets_and_deadlines() {
    for h in families().await {
        let web = web(&h).await;
        let first = routed_to_bandung(&h, sample_report()).await;
        h.clock.advance(chrono::Duration::minutes(5));
        let mut second = sample_report();
        second["title"] = "Jalan berlubang di Dago".into();
        let second = routed_to_bandung(&h, second).await;
        let mut officer = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));

        let inbox = officer.get(&web, "/petugas").await;
        assert_eq!(inbox.status, 200, "{}: {}", h.family, inbox.html);
        let html = &inbox.html;
        assert!(
            html.contains("Kotak masuk Pemerintah Kota Bandung"),
            "{html}"
        );
        let (a, b) = (
            html.find(&second.id).unwrap(),
            html.find(&first.id).unwrap(),
        );
        assert!(a < b, "{}: newest first", h.family);
        assert!(html.contains("Terdisposisi Belum Ditindaklanjuti"));
        assert!(html.contains("Tenggat:"), "{html}");
        assert!(html.contains("WIB"));
        for bucket in [
            "Terdisposisi Sedang Diproses",
            "Sudah Ditindaklanjuti",
            "Terdisposisi Selesai",
        ] {
            assert!(html.contains(bucket), "{bucket} filter");
        }
        // A bucket without them, then the deadline passed.
        let busy = officer.get(&web, "/petugas?status=diproses").await;
        assert!(!busy.html.contains(&first.id), "{}", h.family);
        h.clock.advance(chrono::Duration::days(30));
        // A month later the morning's session has long ended: signed in again.
        assert_eq!(officer.get(&web, "/petugas").await.status, 303);
        let mut officer = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));
        let late = officer
            .get(&web, "/petugas?status=belum-ditindaklanjuti")
            .await;
        assert!(late.html.contains("Lewat tenggat"), "{}", late.html);
        // Bad filters are a clear 400.
        assert_eq!(
            officer.get(&web, "/petugas?status=semua-saja").await.status,
            400
        );
        assert_eq!(
            officer
                .get(&web, "/petugas?cursor=bukan-kursor")
                .await
                .status,
            400
        );
    }
}

#[tokio::test]
async fn the_inbox_pages_with_the_lists_cursor() {
    let h = lapor_tests::embedded().await;
    let web = web(&h).await;
    let mut ids = Vec::new();
    for i in 0..(lapor::web::officer::inbox::PAGE_SIZE + 2) {
        let mut body = sample_report();
        body["title"] = format!("Lampu jalan mati nomor {i}").into();
        ids.push(h.submit_ok(&body).await.id);
        h.clock.advance(chrono::Duration::seconds(1));
    }
    h.drain_router().await;
    let mut officer = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));
    let first = officer.get(&web, "/petugas").await;
    let marker = "href=\"/petugas?cursor=";
    let at = first.html.find(marker).expect("a next page") + "href=\"".len();
    let end = first.html[at..].find('"').unwrap();
    let next = first.html[at..at + end].replace("&amp;", "&");
    let second = officer.get(&web, &next).await;
    assert_eq!(second.status, 200, "{}", second.html);
    assert!(second.html.contains(&ids[0]) && !first.html.contains(&ids[0]));
}

#[tokio::test]
async fn an_officer_accepts_asks_and_forwards_and_the_old_institution_loses_it() {
    for h in families().await {
        let web = web(&h).await;
        let s = routed_to_bandung(&h, sample_report()).await;
        let mut officer = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));

        let html = report_page(&web, &mut officer, &s.id).await;
        assert!(html.contains("Lampu jalan mati"));
        // Exactly the actions the lifecycle allows now.
        for action in ["accept", "assign", "follow_up", "request_info", "forward"] {
            assert!(html.contains(&format!("value=\"{action}\"")), "{action}");
        }
        for action in ["close", "verify", "archive"] {
            assert!(
                !html.contains(&format!("name=\"action\" value=\"{action}\"")),
                "{action}"
            );
        }

        let accepted = act(&web, &mut officer, &s.id, &html, "accept", &[]).await;
        assert_eq!(accepted.status, 303, "{}: {}", h.family, accepted.html);
        assert_eq!(
            accepted.location.unwrap(),
            format!("/petugas/laporan/{}?selesai=accept", s.id)
        );
        assert_eq!(h.stored(&s.id).await.status.as_str(), "in_progress");
        let html = officer
            .get(&web, &format!("/petugas/laporan/{}?selesai=accept", s.id))
            .await
            .html;
        assert!(html.contains("Laporan diterima."), "{html}");

        let asked = act(
            &web,
            &mut officer,
            &s.id,
            &html,
            "request_info",
            &[("question", "Di nomor rumah berapa tepatnya lampu itu?")],
        )
        .await;
        assert_eq!(asked.status, 303, "{}", asked.html);
        assert_eq!(h.stored(&s.id).await.status.as_str(), "deferred");
        let reply = h
            .reporter_call(
                "replies",
                &s.id,
                Some(&s.token),
                &json!({"message": "Depan nomor 12."}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);

        // Forward: the institution is found by a search, never typed.
        let html = officer
            .get(
                &web,
                &format!("/petugas/laporan/{}?cari=kementerian+kesehatan", s.id),
            )
            .await
            .html;
        assert!(html.contains("value=\"kemenkes\""), "{html}");
        let forwarded = act(
            &web,
            &mut officer,
            &s.id,
            &html,
            "forward",
            &[
                ("agency_id", "kemenkes"),
                ("reason", "Bukan kewenangan pemerintah kota."),
            ],
        )
        .await;
        assert_eq!(forwarded.status, 303, "{}", forwarded.html);
        assert_eq!(
            forwarded.location.unwrap(),
            format!("/petugas?diteruskan={}", s.id)
        );
        assert_eq!(h.stored(&s.id).await.agency_id.as_deref(), Some("kemenkes"));
        let gone = officer
            .get(&web, &format!("/petugas/laporan/{}", s.id))
            .await;
        assert_eq!(gone.status, 403, "{}", h.family);
        assert!(!gone.html.contains("Lampu penerangan"), "{}", h.family);
        let inbox = officer.get(&web, "/petugas").await.html;
        assert!(!inbox.contains(&format!("/petugas/laporan/{}", s.id)));
        let mut kemenkes = signed_in(&web, &h, &officer_of("kemenkes", "petugas-9"));
        assert!(kemenkes.get(&web, "/petugas").await.html.contains(&s.id));
        report_page(&web, &mut kemenkes, &s.id).await;
    }
}

#[tokio::test]
async fn a_post_without_the_browsers_csrf_token_changes_nothing() {
    for h in families().await {
        let web = web(&h).await;
        let s = routed_to_bandung(&h, sample_report()).await;
        let mut officer = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));
        let html = report_page(&web, &mut officer, &s.id).await;
        let id = action_id(&html, "accept");
        for token in ["", "0000", &csrf(&html)[..10]] {
            let refused = officer
                .post(
                    &web,
                    &format!("/petugas/laporan/{}", s.id),
                    &[("csrf", token), ("action", "accept"), ("action_id", &id)],
                )
                .await;
            assert_eq!(refused.status, 403, "{}: {}", h.family, refused.html);
        }
        // Another browser's token with this session's cookie is no token either.
        let mut other = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));
        other.jar.remove("lapor_csrf");
        let _ = report_page(&web, &mut other, &s.id).await;
        let refused = other
            .post(
                &web,
                &format!("/petugas/laporan/{}", s.id),
                &[
                    ("csrf", &csrf(&html)),
                    ("action", "accept"),
                    ("action_id", &id),
                ],
            )
            .await;
        assert_eq!(refused.status, 403, "{}", h.family);
        assert_eq!(h.stored(&s.id).await.status.as_str(), "dispositioned");
    }
}

#[tokio::test]
async fn a_double_submit_acts_once_and_a_stale_form_gets_the_conflict_page() {
    for h in families().await {
        let web = web(&h).await;
        let s = routed_to_bandung(&h, sample_report()).await;
        let mut first = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));
        let mut second = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-2"));
        let html_first = report_page(&web, &mut first, &s.id).await;
        let html_second = report_page(&web, &mut second, &s.id).await;

        let fields = [("message", "Lampu sudah diganti oleh dinas.")];
        let once = act(&web, &mut first, &s.id, &html_first, "follow_up", &fields).await;
        let twice = act(&web, &mut first, &s.id, &html_first, "follow_up", &fields).await;
        assert_eq!((once.status, twice.status), (303, 303), "{}", twice.html);
        let stored = h.stored(&s.id).await;
        assert_eq!(
            stored
                .timeline
                .iter()
                .filter(|e| e.action == "followed_up")
                .count(),
            1,
            "{}",
            h.family
        );

        // The other officer's page still offers accept; the report moved on meanwhile.
        let late = act(&web, &mut second, &s.id, &html_second, "accept", &[]).await;
        assert_eq!(late.status, 409, "{}: {}", h.family, late.html);
        assert!(late.html.contains("Laporan ini sudah berubah, muat ulang"));
        assert!(late.html.contains(&format!("/petugas/laporan/{}", s.id)));
        assert_eq!(h.stored(&s.id).await.version, stored.version);

        // A form with a missing field comes back with what to fix and what was typed.
        let html = report_page(&web, &mut first, &s.id).await;
        let bad = act(
            &web,
            &mut first,
            &s.id,
            &html,
            "request_info",
            &[("question", " ")],
        )
        .await;
        assert_eq!(bad.status, 400, "{}", bad.html);
        assert!(
            bad.html.contains("Tulis pertanyaan untuk pelapor."),
            "{}",
            bad.html
        );
    }
}

#[tokio::test]
async fn pages_keep_the_privacy_rules_of_the_api() {
    for h in families().await {
        let web = web(&h).await;
        let mut anonymous = sample_report();
        anonymous["anonymous"] = true.into();
        let anonymous = routed_to_bandung(&h, anonymous).await;
        let named = routed_to_bandung(&h, sample_report()).await;
        let mut confidential = sample_report();
        confidential["confidential"] = true.into();
        confidential["title"] = "Pungutan liar di kantor kelurahan".into();
        let confidential = routed_to_bandung(&h, confidential).await;
        let mut bandung = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));

        let html = report_page(&web, &mut bandung, &anonymous.id).await;
        for secret in ["Siti", "6281234567890", "3456-7890", "siti@example.id"] {
            assert!(
                !html.contains(secret),
                "{}: {secret} on an anonymous report",
                h.family
            );
        }
        assert!(html.contains("Anonim"));
        let html = report_page(&web, &mut bandung, &named.id).await;
        assert!(html.contains("Siti Rahayu") && html.contains("siti@example.id"));
        // Officers are never named on a page, even to each other.
        let html = report_page(&web, &mut bandung, &confidential.id).await;
        assert!(html.contains("Rahasia") && html.contains("Pungutan liar"));

        // Another institution sees neither the confidential report nor any other.
        let mut other = signed_in(&web, &h, &officer_of("kemenkes", "petugas-9"));
        for s in [&confidential, &named] {
            let refused = other.get(&web, &format!("/petugas/laporan/{}", s.id)).await;
            assert_eq!(refused.status, 403, "{}", h.family);
            assert!(!refused.html.contains("Pungutan") && !refused.html.contains("Siti"));
        }
        assert!(!other.get(&web, "/petugas").await.html.contains("Pungutan"));
        // Verifiers (national) may read it.
        let mut national = signed_in(&web, &h, &verifier());
        assert!(report_page(&web, &mut national, &confidential.id)
            .await
            .contains("Pungutan liar"));
    }
}

#[tokio::test]
async fn a_verifier_triages_with_the_routers_candidates() {
    for h in families().await {
        let web = web(&h).await;
        let s = h
            .submit_routed(&json!({
                "kind": "complaint",
                "title": "Tetangga berisik",
                "body": "Tetangga saya setiap malam menyalakan musik keras sampai jam dua pagi."
            }))
            .await;
        assert_eq!(h.stored(&s.id).await.status.as_str(), "needs_triage");
        let mut national = signed_in(&web, &h, &verifier());
        let queue = national.get(&web, "/petugas").await;
        assert_eq!(queue.status, 200, "{}", queue.html);
        assert!(queue.html.contains("Antrean verifikasi") && queue.html.contains(&s.id));
        let html = report_page(&web, &mut national, &s.id).await;
        for action in ["verify", "defer", "archive", "mark_duplicate"] {
            assert!(
                html.contains(&format!("name=\"action\" value=\"{action}\"")),
                "{action}"
            );
        }
        let html = national
            .get(
                &web,
                &format!("/petugas/laporan/{}?cari=kota+bandung", s.id),
            )
            .await
            .html;
        let verified = act(
            &web,
            &mut national,
            &s.id,
            &html,
            "verify",
            &[("agency_id", BANDUNG)],
        )
        .await;
        assert_eq!(verified.status, 303, "{}", verified.html);
        let stored = h.stored(&s.id).await;
        assert_eq!(
            (stored.status.as_str(), stored.agency_id.as_deref()),
            ("dispositioned", Some(BANDUNG)),
            "{}",
            h.family
        );
        // Officers may not triage.
        let mut bandung = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));
        let html = report_page(&web, &mut bandung, &s.id).await;
        assert!(!html.contains("name=\"action\" value=\"verify\""));
    }
}

/// A report Kota Bandung let pass its follow-up deadline stays Bandung's and shows in the
/// province's box of overdue reports under its supervision, with a form to remind or take it
/// over; the holder still answers it from its own inbox.
#[tokio::test]
async fn an_overdue_report_shows_in_its_supervisors_box_with_remind_and_take_over() {
    for h in families().await {
        let f = h.family;
        let web = web(&h).await;
        let s = routed_to_bandung(&h, sample_report()).await;
        let deadline = h.stored(&s.id).await.deadline.expect("a deadline").at;
        h.clock.set(deadline + chrono::Duration::hours(1));
        lapor::service::escalation::run_pass(
            &h.app,
            h.app.clock.now(),
            lapor::service::escalation::PassLimits::default(),
        )
        .await
        .unwrap();

        let mut province = signed_in(&web, &h, &officer_of("pemda-32", "jabar-1"));
        let inbox = province.get(&web, "/petugas?kotak=pengawasan").await;
        assert_eq!(inbox.status, 200, "{f}: {}", inbox.html);
        assert!(
            inbox.html.contains("Lewat tenggat, dalam pengawasan"),
            "{f}"
        );
        assert!(
            inbox.html.contains(&s.id),
            "{f}: the overdue report is listed"
        );
        let page = report_page(&web, &mut province, &s.id).await;
        for action in ["remind", "take_over"] {
            assert!(
                page.contains(&format!("id=\"aksi-{action}\"")),
                "{f}: {action}"
            );
        }
        let reminded = act(
            &web,
            &mut province,
            &s.id,
            &page,
            "remind",
            &[("note", "Mohon segera ditindaklanjuti.")],
        )
        .await;
        assert_eq!(reminded.status, 303, "{f}: {}", reminded.html);
        let page = report_page(&web, &mut province, &s.id).await;
        assert!(page.contains("Ditegur oleh instansi pengawas"), "{f}");

        // Bandung keeps it and answers it.
        let mut bandung = signed_in(&web, &h, &officer_of(BANDUNG, "bandung-1"));
        let own = bandung.get(&web, "/petugas").await;
        assert!(own.html.contains(&s.id), "{f}: still in the holder's inbox");
        let bogus = bandung.get(&web, "/petugas?kotak=lainnya").await;
        assert_eq!(bogus.status, 400, "{f}");
    }
}

/// The public page of a verified, non-confidential report shows the institution's answer (the
/// follow-up), never the reporter's reply: LAPOR's transparency, the JSON views' rule.
#[tokio::test]
async fn the_public_page_shows_the_institutions_answer_not_the_reporters_reply() {
    for h in families().await {
        let f = h.family;
        let web = web(&h).await;
        let s = routed_to_bandung(&h, sample_report()).await;
        let reply = h
            .reporter_call(
                "replies",
                &s.id,
                Some(&s.token),
                &json!({"message": "Lampunya masih mati sampai malam ini."}),
            )
            .await;
        assert_eq!(reply.status, 200, "{f}: {}", reply.text);
        let mut bandung = signed_in(&web, &h, &officer_of(BANDUNG, "bandung-1"));
        let page = report_page(&web, &mut bandung, &s.id).await;
        let done = act(&web, &mut bandung, &s.id, &page, "accept", &[]).await;
        assert_eq!(done.status, 303, "{f}: {}", done.html);
        let page = report_page(&web, &mut bandung, &s.id).await;
        let answer = "Lampu sudah diganti petugas PJU pada hari Senin.";
        let done = act(
            &web,
            &mut bandung,
            &s.id,
            &page,
            "follow_up",
            &[("message", answer)],
        )
        .await;
        assert_eq!(done.status, 303, "{f}: {}", done.html);

        let mut public = super::officer_browser::Browser::new();
        for path in [format!("/laporan/{}", s.id), format!("/lacak/{}", s.id)] {
            let shown = public.get(&web, &path).await;
            assert_eq!(shown.status, 200, "{f}: {path}");
            assert!(shown.html.contains(answer), "{f}: {path} shows the answer");
            assert!(
                !shown.html.contains("masih mati sampai malam"),
                "{f}: {path} never shows the reporter's reply"
            );
        }
    }
}

#[tokio::test]
async fn the_report_page_lists_its_possible_duplicates_for_marking() {
    let h = lapor_tests::embedded().await;
    let web = web(&h).await;
    let original = routed_to_bandung(&h, sample_report()).await;
    let repeat = routed_to_bandung(
        &h,
        json!({
            "kind": "complaint",
            "title": "PJU Jalan Merdeka padam",
            "body": "Tolong lampu jalan di Jalan Merdeka sudah dua minggu padam, malam gelap dan rawan kejahatan.",
            "region_code": "32.73.01"
        }),
    )
    .await;
    let mut browser = signed_in(&web, &h, &officer_of(BANDUNG, "petugas-1"));
    let html = report_page(&web, &mut browser, &repeat.id).await;
    assert!(html.contains("Kemungkinan duplikat"), "{html}");
    assert!(
        html.contains(&format!("/petugas/laporan/{}", original.id)),
        "{html}"
    );
    assert!(
        html.contains(&format!("<option value=\"{}\">", original.id)),
        "the mark_duplicate form offers it: {html}"
    );
    // The original, placed first, found nothing before it.
    let first = report_page(&web, &mut browser, &original.id).await;
    assert!(!first.contains("Kemungkinan duplikat"));
}
