//! The privacy walk of the pages: every page, as every role, over ordinary, anonymous,
//! confidential, anonymous+confidential and triaged reports, after routing, after an officer's
//! question and the reporter's answer, and after a forward away, on every storage family. For
//! every HTML answer it asserts what the JSON API's walk (`crate::privacy_walk`) asserts:
//!
//! * no form of a reporter's identity (name and its parts, the phone as typed, E.164, digits and
//!   fragments, the e-mail and its local part, the NIK) anywhere but the reporter's own access
//!   view (`/lacak/<id>` with the access cookie) and, for a report that is not anonymous, the
//!   report's console page of staff who may access it (holding institution, its work unit,
//!   verifiers);
//! * a confidential report's title and body only to its reporter and to staff with access (the
//!   title also in those staff's inboxes), never on the public side, to other institutions
//!   (including the one that forwarded it away) or to other reporters;
//! * no access token in any page but `/terkirim/<id>` in its reporter's browser (and there only
//!   in the link's fragment), never in a `Location`, a cookie or a URL.
//!
//! The reports are submitted through the JSON API (the web form has no NIK field) and each
//! reporter's browser gets its access as a person does: the private link's code posted to
//! `/lacak/<id>/akses`.

use super::browser::web;
use super::officer::signed_in;
use super::officer_browser::{action_id, csrf, input_after, Answer, Browser};
use lapor::auth::{StaffClaims, StaffRole};
use lapor::domain::Status;
use lapor::web::Web;
use lapor_tests::{families, Harness, Staff};
use serde_json::{json, Value};

const BANDUNG: &str = "pemda-32.73";
const KEMENKEU: &str = "kemenkeu";
const DJP: &str = "djp";
const DJBC: &str = "djbc";
const KEMENKES: &str = "kemenkes";
const INSTITUTIONS: [&str; 5] = [BANDUNG, KEMENKEU, DJP, DJBC, KEMENKES];
const WRONG_TOKEN: &str = "tebakan-kode-akses-yang-salah-0123456789abcdefghij";

// ---------------------------------------------------------------- the people and their reports

/// (name, phone as typed, phone E.164, e-mail, NIK as typed)
type Person = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

struct Case {
    key: &'static str,
    person: Person,
    anonymous: bool,
    confidential: bool,
    title: &'static str,
    body: &'static str,
    /// Words only the (confidential) title has; then words only its body has.
    title_words: &'static [&'static str],
    body_words: &'static [&'static str],
    region: Option<&'static str>,
}

const ORDINARY: usize = 0;
const ANONYMOUS: usize = 1;
const CONFIDENTIAL: usize = 2;
const ANON_CONF: usize = 3;
const TRIAGED: usize = 4;

#[rustfmt::skip]
const CASES: [Case; 5] = [
    Case { key: "ordinary", anonymous: false, confidential: false,
        person: ("Sumarni Kertapradja", "0812-7310-4482", "+6281273104482",
                 "sumarni.kertapradja@surel.id", "3273014405820003"),
        title: "Lampu jalan mati",
        body: "Lampu penerangan jalan di Jalan Merdeka sudah mati dua minggu dan rawan kejahatan.",
        title_words: &[], body_words: &[], region: Some("32.73.01") },
    Case { key: "anonymous", anonymous: true, confidential: false,
        person: ("Gatot Wiryosaputro", "+62 857 2044 9163", "+6285720449163",
                 "g.wiryosaputro@posku.id", "3273 0219 0677 0011"),
        title: "Jalan berlubang besar",
        body: "Jalan di depan sekolah dasar berlubang besar dan sudah memakan korban pengendara motor.",
        title_words: &[], body_words: &[], region: Some("32.73.01") },
    Case { key: "confidential", anonymous: false, confidential: true,
        person: ("Ratna Sekarpuri Handoyo", "0821-6608-3157", "+6282166083157",
                 "ratna.handoyo@kotakmasuk.id", "3273.0352.1190.0006"),
        title: "Lampu jalan Gang Kresnawati mati",
        body: "Lampu penerangan jalan di Gang Kresnawati sudah mati tiga minggu; Pak Brotoseno dari \
               kelurahan meminta uang pelicin untuk memperbaikinya.",
        title_words: &["Kresnawati"], body_words: &["Brotoseno", "uang pelicin"],
        region: Some("32.73.01") },
    Case { key: "anonymous+confidential", anonymous: true, confidential: true,
        person: ("Yohanes Tjokrodimulyo", "0878 5512 9034", "+6287855129034",
                 "yo.tjokrodimulyo@inbox.id", "3273045708950002"),
        title: "Lampu Taman Kembangsore dicabut",
        body: "Lampu penerangan jalan di Taman Kembangsore dicabut oknum bernama Mardikintoro dan \
               dijual ke pengepul besi.",
        title_words: &["Kembangsore"], body_words: &["Mardikintoro", "pengepul besi"],
        region: Some("32.73.01") },
    Case { key: "anonymous+confidential, triaged", anonymous: true, confidential: true,
        person: ("Lembayungsari Prawirodirjo", "6281398765412", "+6281398765412",
                 "lembayung.prawiro@surat.id", "3204-1055-0590-0007"),
        title: "Utang Sastrodarsono",
        body: "Tetangga saya Sastrodarsono pinjam uang dua juta dan tidak mau bayar, malah marah di \
               depan rumah Pringgodani.",
        title_words: &["Sastrodarsono"], body_words: &["Pringgodani"], region: None },
];

impl Case {
    fn submission(&self) -> Value {
        let (name, phone, _, email, nik) = self.person;
        let mut s = json!({
            "kind": "complaint", "title": self.title, "body": self.body,
            "reporter": {"name": name, "phone": phone, "email": email, "id_number": nik},
            "anonymous": self.anonymous, "confidential": self.confidential,
        });
        if let Some(code) = self.region {
            s["region_code"] = code.into();
            s["location_text"] = "dekat pasar".into();
        }
        s
    }

    /// Every form of the reporter's identity a leak could take, as typed, lower and upper case.
    fn identity(&self) -> Vec<String> {
        let (name, phone, e164, email, nik_typed) = self.person;
        let digits = e164.strip_prefix("+62").expect("an Indonesian number");
        let nik: String = nik_typed.chars().filter(char::is_ascii_digit).collect();
        let (a, b, c) = (&digits[..3], &digits[3..7], &digits[7..]);
        let mut forms = vec![
            name.to_string(),
            phone.to_string(),
            e164.to_string(),
            digits.to_string(),
            format!("0{digits}"),
            format!("62{digits}"),
            format!("{a}-{b}"),
            format!("{a} {b}"),
            format!("{b}-{c}"),
            format!("{b} {c}"),
            email.to_string(),
            email.split('@').next().unwrap().to_string(),
            nik_typed.to_string(),
            nik[6..].to_string(),
            nik,
        ];
        forms.extend(name.split(' ').map(String::from));
        variants(forms)
    }

    /// What of a confidential report only its reporter and staff with access may read.
    fn secret_title(&self) -> Vec<String> {
        self.secret(self.title, self.title_words)
    }

    fn secret_body(&self) -> Vec<String> {
        self.secret(self.body, self.body_words)
    }

    /// `text` and `words` of it, if the report is confidential; nothing otherwise.
    fn secret(&self, text: &str, words: &[&str]) -> Vec<String> {
        if !self.confidential {
            return Vec::new();
        }
        let mut out = vec![text.to_string()];
        out.extend(words.iter().map(|w| w.to_string()));
        variants(out)
    }
}

fn variants(forms: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = forms
        .into_iter()
        .flat_map(|f| [f.to_lowercase(), f.to_uppercase(), f])
        .collect();
    out.sort();
    out.dedup();
    out
}

// ---------------------------------------------------------------- who asks, and what a page is

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Public,
    /// The browser holding report `k`'s access cookie.
    Reporter(usize),
    /// Staff: their institution, none for a verifier.
    Staff(Option<&'static str>),
}

/// What a page is, for the rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum About {
    /// `/lacak/<k>` (the reporter's access view when their browser asks).
    Track(usize),
    /// `/terkirim/<k>` (hands out the token to its reporter's browser).
    Sent(usize),
    /// `/petugas/laporan/<k>`.
    Console(usize),
    /// `/petugas...`: an inbox or the triage queue.
    Inbox,
    /// Anything else: the home, the feed, public pages, institutions, redirects.
    Other,
}

struct Role {
    label: String,
    who: Who,
    browser: Browser,
}

fn staff_roles() -> Vec<(&'static str, StaffClaims, Who)> {
    let officer = |a: &'static str| {
        let claims = StaffClaims::new(format!("petugas-{a}"), StaffRole::Officer, Some(a.into()));
        (a, claims.unwrap(), Who::Staff(Some(a)))
    };
    let mut out: Vec<_> = INSTITUTIONS.iter().map(|a| officer(a)).collect();
    let verifier = StaffClaims::new("verifikator-1", StaffRole::Verifier, None).unwrap();
    out.push(("verifier", verifier, Who::Staff(None)));
    out
}

struct Walk<'h> {
    h: &'h Harness,
    web: Web,
    ids: Vec<String>,
    tokens: Vec<String>,
    roles: Vec<Role>,
    next_action: u32,
    findings: Vec<String>,
    answers: usize,
    /// How many answers had each HTTP status.
    statuses: std::collections::BTreeMap<u16, usize>,
}

impl Walk<'_> {
    /// Whether staff of `agency` (none: a verifier) may access report `k` now, by the rule of
    /// the issue: verifiers always; officers while their institution or work unit holds it.
    async fn access(&self, agency: Option<&str>, k: usize) -> bool {
        let r = self.h.stored(&self.ids[k]).await;
        agency
            .is_none_or(|a| r.agency_id.as_deref() == Some(a) || r.work_unit.as_deref() == Some(a))
    }

    /// Checks one answer against every report's secrets, given who asked and what page it is
    /// (`path` names the request in the findings: the path of a GET, or the form posted).
    async fn check(
        &mut self,
        stage: &str,
        role: &str,
        who: Who,
        about: About,
        path: &str,
        a: &Answer,
    ) {
        self.answers += 1;
        *self.statuses.entry(a.status).or_default() += 1;
        let f = self.h.family;
        let ok = a.status == 200;
        let mut found = Vec::new();
        for (j, case) in CASES.iter().enumerate() {
            let own = who == Reporter(j);
            let access = match who {
                Who::Staff(agency) => self.access(agency, j).await,
                _ => false,
            };
            let own_view = ok && own && matches!(about, About::Track(k) | About::Sent(k) if k == j);
            let console = ok && access && about == About::Console(j);
            let rules: [(&str, Vec<String>, bool); 4] = [
                (
                    "the reporter's identity",
                    case.identity(),
                    (ok && own && about == About::Track(j)) || (console && !case.anonymous),
                ),
                (
                    "the confidential title",
                    case.secret_title(),
                    own_view || console || (ok && access && about == About::Inbox),
                ),
                (
                    "the confidential body",
                    case.secret_body(),
                    own_view || console,
                ),
                (
                    "the access token",
                    vec![self.tokens[j].clone()],
                    ok && own && about == About::Sent(j),
                ),
            ];
            for (what, secrets, allowed) in rules {
                let shown: Vec<&String> = secrets
                    .iter()
                    .filter(|s| a.html.contains(s.as_str()))
                    .collect();
                if !allowed && !shown.is_empty() {
                    found.push(format!(
                        "[{f}] {stage}: {path} as {role} (HTTP {}) shows {what} of report #{j} \
                         ({}): {shown:?}\n      in ...{}...",
                        a.status,
                        case.key,
                        excerpt(&a.html, shown[0])
                    ));
                }
            }
            // The token never travels in a Location, a cookie or a URL's path or query.
            let token = &self.tokens[j];
            let location = a.location.as_deref().unwrap_or_default();
            if location.contains(token.as_str())
                || a.set_cookies.iter().any(|c| c.contains(token.as_str()))
            {
                found.push(format!(
                    "[{f}] {stage}: {path} as {role}: #{j}'s token in a Location or cookie"
                ));
            }
            for url in urls(&a.html) {
                if url.split('#').next().unwrap().contains(token.as_str()) {
                    found.push(format!(
                        "[{f}] {stage}: {path} as {role}: #{j}'s token in the URL {url}"
                    ));
                }
            }
        }
        if a.html.contains(WRONG_TOKEN) {
            found.push(format!(
                "[{f}] {stage}: {path} as {role}: echoes a presented code"
            ));
        }
        self.findings.extend(found);
    }

    /// Every page as every role, each answer checked.
    async fn walk(&mut self, stage: &str) {
        let n = CASES.len();
        let mut citizen: Vec<(String, About)> = vec![
            ("/".into(), About::Other),
            ("/lacak".into(), About::Other),
            ("/laporan".into(), About::Other),
        ];
        for k in 0..n {
            let id = &self.ids[k];
            citizen.push((format!("/lacak/{id}"), About::Track(k)));
            citizen.push((format!("/lacak?nomor={}", id.to_lowercase()), About::Other));
            citizen.push((format!("/terkirim/{id}"), About::Sent(k)));
            citizen.push((format!("/laporan/{id}"), About::Other));
        }
        for a in INSTITUTIONS {
            citizen.push((format!("/instansi/{a}"), About::Other));
            citizen.push((format!("/laporan?instansi={a}"), About::Other));
        }
        let mut public = Browser::new();
        let feed = public.get(&self.web, "/laporan").await.html;
        for status in feed_statuses(&feed) {
            citizen.push((format!("/laporan?status={status}"), About::Other));
        }
        let mut console: Vec<(String, About)> = vec![("/petugas".into(), About::Inbox)];
        for (slug, _) in lapor::web::officer::words::BUCKETS {
            console.push((format!("/petugas?status={slug}"), About::Inbox));
        }
        for k in 0..n {
            console.push((
                format!("/petugas/laporan/{}", self.ids[k]),
                About::Console(k),
            ));
        }

        let mut roles = std::mem::take(&mut self.roles);
        for role in &mut roles {
            let mut pages = citizen.clone();
            pages.extend(console.iter().cloned());
            match role.who {
                Who::Staff(Some(_)) => pages.push(("/petugas?kotak=unit".into(), About::Inbox)),
                Who::Staff(None) => pages
                    .extend(INSTITUTIONS.map(|a| (format!("/petugas?instansi={a}"), About::Inbox))),
                _ => {}
            }
            for (path, about) in pages {
                let a = role.browser.get(&self.web, &path).await;
                self.check(stage, &role.label, role.who, about, &path, &a)
                    .await;
            }
        }
        self.roles = roles;

        // A stranger presenting a wrong code on each report's page: refused, nothing echoed.
        for k in 0..n {
            let id = self.ids[k].clone();
            let a = with_csrf(&self.web, &mut public, &id, WRONG_TOKEN).await;
            if a.status != 401 {
                self.findings.push(format!(
                    "[{}] a wrong code on {id}: HTTP {}",
                    self.h.family, a.status
                ));
            }
            let path = format!("POST /lacak/{id}/akses (a wrong code)");
            self.check(stage, "public", Who::Public, About::Track(k), &path, &a)
                .await;
        }
        self.controls(stage).await;
    }

    /// The strings looked for really are on the pages allowed to show them.
    async fn controls(&mut self, stage: &str) {
        let f = self.h.family;
        for (k, case) in CASES.iter().enumerate() {
            let id = self.ids[k].clone();
            let name = case.person.0;
            let reporter = self
                .roles
                .iter_mut()
                .find(|r| r.who == Reporter(k))
                .unwrap();
            let own = reporter
                .browser
                .get(&self.web, &format!("/lacak/{id}"))
                .await
                .html;
            let sent = reporter
                .browser
                .get(&self.web, &format!("/terkirim/{id}"))
                .await
                .html;
            let mut missing: Vec<String> = Vec::new();
            if !own.contains(name) || !own.contains(case.title) {
                missing.push("the reporter's own view lacks the name or the title".into());
            }
            if !sent.contains(&format!("#akses={}", self.tokens[k])) {
                missing.push("/terkirim lacks the private link in the reporter's browser".into());
            }
            // Every staff member with access reads the report (the name only if not
            // anonymous); the holding institution's inbox lists it.
            let holder = self.h.stored(&id).await.agency_id;
            let mut roles = std::mem::take(&mut self.roles);
            for role in &mut roles {
                let Who::Staff(agency) = role.who else {
                    continue;
                };
                if !self.access(agency, k).await {
                    continue;
                }
                let page = role
                    .browser
                    .get(&self.web, &format!("/petugas/laporan/{id}"))
                    .await;
                if page.status != 200 || !page.html.contains(case.title) {
                    missing.push(format!("{} cannot read it", role.label));
                }
                if page.html.contains(name) == case.anonymous {
                    missing.push(format!("{} sees the name iff anonymous", role.label));
                }
                if agency.is_some() && agency == holder.as_deref() {
                    let inbox = role.browser.get(&self.web, "/petugas").await.html;
                    if !inbox.contains(&id) {
                        missing.push(format!("the inbox of {} does not list it", role.label));
                    }
                }
            }
            self.roles = roles;
            for m in missing {
                self.findings
                    .push(format!("[{f}] {stage}: #{k} ({}): {m}", case.key));
            }
        }
    }

    /// A staff action through the JSON API (the pages' forms are `officer.rs`'s subject).
    async fn act(
        &mut self,
        sub: &'static str,
        agency: Option<&'static str>,
        k: usize,
        action: Value,
    ) {
        self.next_action += 1;
        let staff = match agency {
            Some(a) => Staff::officer(sub, a),
            None => Staff::verifier(sub),
        };
        let action_id = format!("web-walk-{}-{:04}", self.h.family, self.next_action);
        let a = self
            .h
            .act(&staff, &self.ids[k], &action_id, action.clone())
            .await;
        assert_eq!(
            a.status, 200,
            "{}: {action} on #{k}: {}",
            self.h.family, a.text
        );
    }

    /// The reporter answers on their report's page (its reply form), in their browser.
    async fn reply(&mut self, k: usize, message: &str) {
        let (id, web) = (self.ids[k].clone(), &self.web);
        let path = format!("/lacak/{id}/balas");
        let role = self
            .roles
            .iter_mut()
            .find(|r| r.who == Reporter(k))
            .unwrap();
        let page = role.browser.get(web, &format!("/lacak/{id}")).await.html;
        let form = format!("action=\"/lacak/{id}/balas\"");
        let csrf = input_after(&page, &form, "csrf").expect("the reply form");
        let key = input_after(&page, &form, "kunci").unwrap();
        let fields = [("csrf", &*csrf), ("kunci", &*key), ("message", message)];
        let a = role.browser.post(web, &path, &fields).await;
        let label = role.label.clone();
        assert_eq!(
            a.status, 303,
            "{}: reply on #{k}: {}",
            self.h.family, a.html
        );
        let stage = "the reporter's answer";
        self.check(stage, &label, Reporter(k), About::Track(k), &path, &a)
            .await;
        // The page the form leads back to.
        let back = a.location.clone().unwrap_or_default();
        let role = self
            .roles
            .iter_mut()
            .find(|r| r.who == Reporter(k))
            .unwrap();
        let a = role.browser.get(&self.web, &back).await;
        self.check(stage, &label, Reporter(k), About::Track(k), &back, &a)
            .await;
    }

    /// Staff ask the reporter through the report's console form.
    async fn ask(&mut self, staff: Who, k: usize, action: &str, question: &str) {
        let (id, web) = (self.ids[k].clone(), &self.web);
        let path = format!("/petugas/laporan/{id}");
        let role = self.roles.iter_mut().find(|r| r.who == staff).unwrap();
        let page = role.browser.get(web, &path).await.html;
        let (token, action_id) = (csrf(&page), action_id(&page, action));
        let fields = [
            ("csrf", &*token),
            ("action", action),
            ("action_id", &*action_id),
            ("question", question),
        ];
        let a = role.browser.post(web, &path, &fields).await;
        let label = role.label.clone();
        assert_eq!(
            a.status, 303,
            "{}: {action} on #{k}: {}",
            self.h.family, a.html
        );
        let stage = "the staff's question";
        self.check(stage, &label, staff, About::Console(k), &path, &a)
            .await;
        // The page the form leads back to.
        let back = a.location.clone().unwrap_or_default();
        let role = self.roles.iter_mut().find(|r| r.who == staff).unwrap();
        let a = role.browser.get(&self.web, &back).await;
        self.check(stage, &label, staff, About::Console(k), &back, &a)
            .await;
    }
}

use Who::Reporter;

/// Posts `code` to `/lacak/<id>/akses` with the page's CSRF token, as the page's form does.
async fn with_csrf(web: &Web, b: &mut Browser, id: &str, code: &str) -> Answer {
    let page = b.get(web, &format!("/lacak/{id}")).await;
    let csrf = input_after(&page.html, "name=\"csrf\"", "csrf").expect("the access form");
    b.post(
        web,
        &format!("/lacak/{id}/akses"),
        &[("csrf", &csrf), ("akses", code)],
    )
    .await
}

/// Every `href`, `action`, `src` and `formaction` value of a page.
fn urls(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for attr in ["href=\"", "action=\"", "src=\""] {
        for (at, _) in html.match_indices(attr) {
            let rest = &html[at + attr.len()..];
            out.push(&rest[..rest.find('"').unwrap_or(rest.len())]);
        }
    }
    out
}

/// The status filter's values on the feed page.
fn feed_statuses(html: &str) -> Vec<String> {
    let Some(at) = html.find("name=\"status\"") else {
        return Vec::new();
    };
    let select = &html[at..html[at..].find("</select>").map_or(html.len(), |e| at + e)];
    select
        .split("<option value=\"")
        .skip(1)
        .filter_map(|o| o.split('"').next())
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

fn excerpt(text: &str, secret: &str) -> String {
    let at = text.find(secret).unwrap_or(0);
    let from = text[..at]
        .char_indices()
        .rev()
        .nth(100)
        .map_or(0, |(i, _)| i);
    text[from..].chars().take(260).collect()
}

/// A `&'static` name for `Staff`, for the institution the router chose at run time.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[tokio::test]
async fn every_page_as_every_role_keeps_the_privacy_rules_of_the_api() {
    let mut total = 0;
    for h in families().await {
        let f = h.family;
        let mut w = Walk {
            web: web(&h).await,
            h: &h,
            ids: Vec::new(),
            tokens: Vec::new(),
            roles: Vec::new(),
            next_action: 0,
            findings: Vec::new(),
            answers: 0,
            statuses: Default::default(),
        };
        for case in &CASES {
            let s = h.submit_ok(&case.submission()).await;
            w.ids.push(s.id);
            w.tokens.push(s.token);
        }
        w.roles.push(Role {
            label: "public".into(),
            who: Who::Public,
            browser: Browser::new(),
        });
        for (k, case) in CASES.iter().enumerate() {
            let mut browser = Browser::new();
            let opened = with_csrf(
                &w.web,
                &mut browser,
                &w.ids[k].clone(),
                &w.tokens[k].clone(),
            )
            .await;
            assert_eq!(opened.status, 303, "{f}: opening #{k}: {}", opened.html);
            let label = format!("the reporter of #{k} ({})", case.key);
            w.roles.push(Role {
                label,
                who: Reporter(k),
                browser,
            });
        }
        for (label, claims, who) in staff_roles() {
            let browser = signed_in(&w.web, &h, &claims);
            let label = match who {
                Who::Staff(Some(a)) => format!("an officer of {a}"),
                _ => label.to_string(),
            };
            w.roles.push(Role {
                label,
                who,
                browser,
            });
        }

        // ---- 1: routed; four at Kota Bandung (however the router chose), one in triage
        assert!(h.drain_router().await >= CASES.len(), "{f}: not routed");
        let mut triaged = h.stored(&w.ids[TRIAGED]).await;
        if triaged.status != Status::NeedsTriage {
            // The router found an institution after all; triage is what this case is about.
            triaged.status = Status::NeedsTriage;
            triaged.agency_id = None;
            triaged.due_at = None;
            triaged.version += 1;
            h.app.store.update(&triaged).await.unwrap();
        }
        for k in [ORDINARY, ANONYMOUS, CONFIDENTIAL, ANON_CONF] {
            let r = h.stored(&w.ids[k]).await;
            match (r.status, r.agency_id) {
                (Status::Dispositioned, Some(a)) if a == BANDUNG => {}
                (Status::Dispositioned, Some(a)) => {
                    let a = leak(a);
                    let forward = json!({"action": "forward", "agency_id": BANDUNG,
                                         "reason": "Urusan Pemerintah Kota Bandung."});
                    w.act(leak(format!("petugas-{a}")), Some(a), k, forward)
                        .await;
                }
                (Status::NeedsTriage, None) => {
                    let verify = json!({"action": "verify", "agency_id": BANDUNG});
                    w.act("verifikator-1", None, k, verify).await;
                }
                other => panic!("{f}: #{k} routed to {other:?}"),
            }
        }
        w.walk("after routing").await;

        // ---- 2: an officer's question and the reporter's answer
        for k in [ORDINARY, CONFIDENTIAL, ANON_CONF] {
            w.act("petugas-bdg", Some(BANDUNG), k, json!({"action": "accept"}))
                .await;
            let question = "Nomor tiang lampunya berapa?";
            w.ask(Who::Staff(Some(BANDUNG)), k, "request_info", question)
                .await;
            w.reply(k, "Tiang nomor 17, depan warung.").await;
        }
        let question = "Apakah ini menyangkut layanan publik?";
        w.ask(Who::Staff(None), TRIAGED, "defer", question).await;
        w.reply(TRIAGED, "Ya, menyangkut ketertiban umum.").await;
        w.walk("after a question and its answer").await;

        // ---- 3: forwarded away from Bandung (to Kemenkeu, then its work unit DJP); triaged
        for k in [ANONYMOUS, CONFIDENTIAL] {
            let forward = json!({"action": "forward", "agency_id": KEMENKEU,
                                 "reason": "Dilimpahkan ke kementerian."});
            w.act("petugas-bdg", Some(BANDUNG), k, forward).await;
        }
        w.act(
            "petugas-kemenkeu",
            Some(KEMENKEU),
            CONFIDENTIAL,
            json!({"action": "accept"}),
        )
        .await;
        let assign = json!({"action": "assign", "work_unit": DJP});
        w.act("petugas-kemenkeu", Some(KEMENKEU), CONFIDENTIAL, assign)
            .await;
        let verify = json!({"action": "verify", "agency_id": BANDUNG, "note": "Ke pemkot."});
        w.act("verifikator-1", None, TRIAGED, verify).await;
        w.walk("after a forward away").await;

        println!(
            "{f}: {} answers checked ({} roles, 3 points of the reports' lives), by status {:?}",
            w.answers,
            w.roles.len(),
            w.statuses
        );
        total += w.answers;
        assert!(
            w.findings.is_empty(),
            "{f}: {} findings:\n  {}",
            w.findings.len(),
            w.findings.join("\n  ")
        );
    }
    println!("web privacy walk: {total} answers checked on every family");
}
