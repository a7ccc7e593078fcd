//! The privacy walk: every endpoint, as every role, over ordinary, anonymous, confidential and
//! anonymous+confidential reports, at several points of their lives, on every storage family.
//!
//! The worst bug LAPOR can have is a leaked reporter. So for every answer (and every queued
//! notification, and every log line) this asserts:
//!
//! * no reporter's name, phone (as typed, E.164, digits), e-mail or NIK appears, except the
//!   report's own reporter in their own token view, and, for a report that is not anonymous,
//!   in the single-report view of staff who may access it (the holding institution, its work
//!   unit, the national verifiers). Never in a list, the feed, a public view, a notification,
//!   an error answer, or any view of an anonymous report but the reporter's own;
//! * a confidential report's title and body appear only to its reporter and to staff with
//!   access (the title also in those staff's inboxes; the body never in a list), never in
//!   public views or the feed, nor to officers of other institutions (including the one that
//!   forwarded it away) or to other reporters;
//! * no access token ever appears after the submission answer that hands it out.
//! * a public view shows the institution's answers (every follow-up, the closing message: LAPOR
//!   is transparent) and no other text: never the reporter's replies or answers, nor the
//!   questions put to them.
//!
//! The capture of every log line at TRACE is the one of `privacy_logs.rs` (one global
//! subscriber for the one integration-test binary, installed on first use).

use chrono::Duration as Span;
use lapor::domain::{Report, Status, TrackingId};
use lapor_tests::logs::capture;
use lapor_tests::{answer, api_request, directory_request, families, Harness, HttpAnswer, Staff};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------- the people and their reports

const BANDUNG: &str = "pemda-32.73";
const KEMENKEU: &str = "kemenkeu";
const DJP: &str = "djp";
/// Kemenkeu's other work unit, which takes a report over from DJP.
const DJBC: &str = "djbc";
/// An institution that never holds any of the walk's reports.
const KEMENKES: &str = "kemenkes";
const WRONG_TOKEN: &str = "tebakan-token-yang-salah-0123456789abcdefghijk";

struct Person {
    name: &'static str,
    /// The distinctive parts of the name (each identifies the person on its own).
    name_parts: &'static [&'static str],
    /// As typed in the form.
    phone_typed: &'static str,
    /// As stored and shown in the reporter's view.
    phone_e164: &'static str,
    /// Pieces of the number as people write it.
    phone_fragments: &'static [&'static str],
    email: &'static str,
    /// As typed (spaces, dots).
    nik_typed: &'static str,
    /// The 16 digits as stored.
    nik: &'static str,
}

impl Person {
    fn contact(&self) -> Value {
        json!({
            "name": self.name,
            "phone": self.phone_typed,
            "email": self.email,
            "id_number": self.nik_typed,
        })
    }

    /// Every form of this person's identity a leak could take, with what it is.
    fn forms(&self) -> Vec<(String, String)> {
        let subscriber = self
            .phone_e164
            .strip_prefix("+62")
            .expect("an Indonesian number");
        let mut forms: Vec<(&str, String)> = vec![
            ("name", self.name.into()),
            ("phone as typed", self.phone_typed.into()),
            ("phone E.164", self.phone_e164.into()),
            ("phone digits", subscriber.into()),
            ("phone digits 0", format!("0{subscriber}")),
            ("phone digits 62", format!("62{subscriber}")),
            ("e-mail", self.email.into()),
            (
                "e-mail local part",
                self.email.split('@').next().unwrap().into(),
            ),
            ("NIK", self.nik.into()),
            ("NIK as typed", self.nik_typed.into()),
            ("NIK without the area code", self.nik[6..].into()),
        ];
        for part in self.name_parts {
            forms.push(("name part", part.to_string()));
        }
        for fragment in self.phone_fragments {
            forms.push(("phone fragment", fragment.to_string()));
        }
        let mut out = Vec::new();
        for (what, form) in forms {
            // Names may be shouted or lower-cased on the way (SMS templates, e-mail addresses).
            for variant in [form.clone(), form.to_lowercase(), form.to_uppercase()] {
                out.push((what.to_string(), variant));
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
        out.dedup_by(|a, b| a.1 == b.1);
        out
    }
}

struct Case {
    key: &'static str,
    person: Person,
    anonymous: bool,
    confidential: bool,
    title: &'static str,
    body: &'static str,
    region_code: Option<&'static str>,
    /// Words only a confidential report's title (and maybe body) has.
    title_words: &'static [&'static str],
    /// Words only its body has.
    body_words: &'static [&'static str],
}

impl Case {
    fn submission(&self) -> Value {
        let mut s = json!({
            "kind": "complaint",
            "title": self.title,
            "body": self.body,
            "reporter": self.person.contact(),
            "anonymous": self.anonymous,
            "confidential": self.confidential,
        });
        if let Some(code) = self.region_code {
            s["region_code"] = code.into();
            s["location_text"] = "dekat pasar".into();
        }
        s
    }

    /// What of the report's content is secret: (what, text). Nothing for a public report.
    fn title_secrets(&self) -> Vec<(String, String)> {
        if !self.confidential {
            return Vec::new();
        }
        let mut out = vec![("confidential title".to_string(), self.title.to_string())];
        for w in self.title_words {
            out.push(("a word of the confidential title".into(), w.to_string()));
            out.push(("a word of the confidential title".into(), w.to_lowercase()));
        }
        out
    }

    fn body_secrets(&self) -> Vec<(String, String)> {
        if !self.confidential {
            return Vec::new();
        }
        let mut out = vec![("confidential body".to_string(), self.body.to_string())];
        for w in self.body_words {
            out.push(("a word of the confidential body".into(), w.to_string()));
            out.push(("a word of the confidential body".into(), w.to_lowercase()));
        }
        out
    }
}

const ORDINARY: usize = 0;
const ANONYMOUS: usize = 1;
const CONFIDENTIAL: usize = 2;
const ANON_CONF: usize = 3;
const TRIAGED: usize = 4;

fn cases() -> Vec<Case> {
    vec![
        Case {
            key: "ordinary",
            person: Person {
                name: "Sumarni Kertapradja",
                name_parts: &["Sumarni", "Kertapradja"],
                phone_typed: "0812-7310-4482",
                phone_e164: "+6281273104482",
                phone_fragments: &["812-7310", "812 7310", "7310-4482", "7310 4482"],
                email: "sumarni.kertapradja@surel.id",
                nik_typed: "3273014405820003",
                nik: "3273014405820003",
            },
            anonymous: false,
            confidential: false,
            title: "Lampu jalan mati",
            body: "Lampu penerangan jalan di Jalan Merdeka sudah mati dua minggu dan rawan \
                   kejahatan.",
            region_code: Some("32.73.01"),
            title_words: &[],
            body_words: &[],
        },
        Case {
            key: "anonymous",
            person: Person {
                name: "Gatot Wiryosaputro",
                name_parts: &["Gatot", "Wiryosaputro"],
                phone_typed: "+62 857 2044 9163",
                phone_e164: "+6285720449163",
                phone_fragments: &["857 2044", "857-2044", "2044 9163", "2044-9163"],
                email: "g.wiryosaputro@posku.id",
                nik_typed: "3273 0219 0677 0011",
                nik: "3273021906770011",
            },
            anonymous: true,
            confidential: false,
            title: "Jalan berlubang besar",
            body: "Jalan di depan sekolah dasar berlubang besar dan sudah memakan korban \
                   pengendara motor.",
            region_code: Some("32.73.01"),
            title_words: &[],
            body_words: &[],
        },
        Case {
            key: "confidential",
            person: Person {
                name: "Ratna Sekarpuri Handoyo",
                name_parts: &["Ratna", "Sekarpuri", "Handoyo"],
                phone_typed: "0821-6608-3157",
                phone_e164: "+6282166083157",
                phone_fragments: &["821-6608", "821 6608", "6608-3157", "6608 3157"],
                email: "ratna.handoyo@kotakmasuk.id",
                nik_typed: "3273.0352.1190.0006",
                nik: "3273035211900006",
            },
            anonymous: false,
            confidential: true,
            title: "Lampu jalan Gang Kresnawati mati",
            body: "Lampu penerangan jalan di Gang Kresnawati sudah mati tiga minggu; Pak \
                   Brotoseno dari kelurahan meminta uang pelicin untuk memperbaikinya.",
            region_code: Some("32.73.01"),
            title_words: &["Kresnawati"],
            body_words: &["Brotoseno", "uang pelicin"],
        },
        Case {
            key: "anonymous+confidential",
            person: Person {
                name: "Yohanes Tjokrodimulyo",
                name_parts: &["Yohanes", "Tjokrodimulyo"],
                phone_typed: "0878 5512 9034",
                phone_e164: "+6287855129034",
                phone_fragments: &["878 5512", "878-5512", "5512 9034", "5512-9034"],
                email: "yo.tjokrodimulyo@inbox.id",
                nik_typed: "3273045708950002",
                nik: "3273045708950002",
            },
            anonymous: true,
            confidential: true,
            title: "Lampu Taman Kembangsore dicabut",
            body: "Lampu penerangan jalan di Taman Kembangsore dicabut oknum bernama \
                   Mardikintoro dan dijual ke pengepul besi.",
            region_code: Some("32.73.01"),
            title_words: &["Kembangsore"],
            body_words: &["Mardikintoro", "pengepul besi"],
        },
        Case {
            key: "anonymous+confidential, triaged",
            person: Person {
                name: "Lembayungsari Prawirodirjo",
                name_parts: &["Lembayungsari", "Prawirodirjo"],
                phone_typed: "6281398765412",
                phone_e164: "+6281398765412",
                phone_fragments: &["813-9876", "813 9876", "9876-5412", "9876 5412"],
                email: "lembayung.prawiro@surat.id",
                nik_typed: "3204-1055-0590-0007",
                nik: "3204105505900007",
            },
            anonymous: true,
            confidential: true,
            title: "Utang Sastrodarsono",
            body: "Tetangga saya Sastrodarsono pinjam uang dua juta dan tidak mau bayar, malah \
                   marah di depan rumah Pringgodani.",
            region_code: None,
            title_words: &["Sastrodarsono"],
            body_words: &["Pringgodani"],
        },
    ]
}

fn bandung() -> Staff {
    Staff::officer("officer-bdg-1", BANDUNG)
}

fn kemenkeu() -> Staff {
    Staff::officer("officer-kemenkeu-1", KEMENKEU)
}

fn djp() -> Staff {
    Staff::officer("officer-djp-1", DJP)
}

fn kemenkes() -> Staff {
    Staff::officer("officer-kemenkes-1", KEMENKES)
}

fn verifier() -> Staff {
    Staff::verifier("verifier-1")
}

fn djbc() -> Staff {
    Staff::officer("officer-djbc-1", DJBC)
}

fn roster() -> Vec<Staff> {
    vec![bandung(), kemenkeu(), djp(), djbc(), kemenkes(), verifier()]
}

/// An officer of any institution (the router may route a report anywhere first).
fn officer_of(agency: &str) -> Staff {
    let agency: &'static str = Box::leak(agency.to_string().into_boxed_str());
    let sub: &'static str = Box::leak(format!("officer-{agency}-1").into_boxed_str());
    Staff::officer(sub, agency)
}

fn staff_name(s: &Staff) -> String {
    match s.agency_id {
        Some(a) => format!("officer of {a}"),
        None => "verifier".into(),
    }
}

const INBOX: &str = "GET /v1/agency/reports";
const ONE: &str = "GET /v1/agency/reports/{tracking_id}";
const ACTIONS: &str = "POST /v1/agency/reports/{tracking_id}/actions";

// ---------------------------------------------------------------- the walker

/// Who is asking.
#[derive(Clone)]
enum Who {
    /// No credentials at all (anyone on the internet; or a request with no claims).
    Nobody,
    /// A made-up token.
    WrongToken,
    /// Holds the access token of report `usize`.
    Reporter(usize),
    Staff(Staff),
}

/// What kind of answer it is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// About one report (a view, an action's answer, or its error).
    One(usize),
    /// A list of reports (inbox, triage, feed).
    List,
    /// Anything else (the directory, an unknown id, a notification).
    Other,
}

struct Walk<'h> {
    h: &'h Harness,
    cases: Vec<Case>,
    ids: Vec<String>,
    tokens: Vec<String>,
    /// Actions done so far: (report, by whom, action id, action), replayed by the walk.
    performed: Vec<(usize, Staff, String, Value)>,
    next_action: u32,
    findings: Vec<String>,
    /// (endpoint, role) pairs walked.
    matrix: BTreeSet<(String, String)>,
    answers: usize,
    notifications: usize,
    /// What an answer echoed of the caller's own input (not a leak: reported, not failed).
    echoes: BTreeSet<String>,
}

fn excerpt(text: &str, secret: &str) -> String {
    let at = text.find(secret).unwrap_or(0);
    let from = text[..at]
        .char_indices()
        .rev()
        .nth(120)
        .map_or(0, |(i, _)| i);
    let shown: String = text[from..].chars().take(320).collect();
    format!("...{shown}...")
}

impl Walk<'_> {
    fn f(&self) -> &'static str {
        self.h.family
    }

    async fn stored(&self, k: usize) -> Report {
        self.h
            .app
            .store
            .get(&TrackingId::parse(&self.ids[k]).unwrap())
            .await
            .unwrap()
            .expect("our report is stored")
    }

    /// Whether `staff` may access report `k` now, by the rule of the issue (not the product's
    /// function): verifiers always; officers while their institution or work unit holds it.
    async fn access(&self, staff: &Staff, k: usize) -> bool {
        let r = self.stored(k).await;
        match staff.agency_id {
            None => true,
            Some(a) => r.agency_id.as_deref() == Some(a) || r.work_unit.as_deref() == Some(a),
        }
    }

    /// The staff member's relation to report `k`, for the matrix and the messages.
    async fn relation(&self, staff: &Staff, k: usize) -> String {
        let Some(agency) = staff.agency_id else {
            return "verifier".into();
        };
        let r = self.stored(k).await;
        if r.work_unit.as_deref() == Some(agency) {
            return "work-unit officer".into();
        }
        if r.agency_id.as_deref() == Some(agency) {
            return "holding officer".into();
        }
        let held_before = r.timeline.iter().any(|e| {
            e.agency_id.as_deref() == Some(agency)
                || matches!(&e.actor, lapor::domain::Actor::Officer { agency_id, .. } if agency_id == agency)
        });
        if held_before {
            "officer after the report moved away (forwarded or reassigned)".into()
        } else {
            "officer of another institution".into()
        }
    }

    fn role_of_token(&self, who: &Who, k: usize) -> String {
        match who {
            Who::Nobody => "public (no token)".into(),
            Who::WrongToken => "wrong token".into(),
            Who::Reporter(i) if *i == k => "reporter (own token)".into(),
            Who::Reporter(_) => "reporter (another report's token)".into(),
            Who::Staff(s) => staff_name(s),
        }
    }

    /// Checks one answer against every secret, given who asked and what the answer is about.
    async fn check(&mut self, endpoint: &str, role: &str, who: &Who, kind: Kind, a: &HttpAnswer) {
        self.answers += 1;
        self.matrix.insert((endpoint.to_string(), role.to_string()));
        let ok = a.status < 300;
        let text = &a.text;
        let lower = text.to_lowercase();
        let about = match kind {
            Kind::One(k) => format!(" on report #{k} ({})", self.cases[k].key),
            _ => String::new(),
        };
        let mut found = Vec::new();
        for j in 0..self.cases.len() {
            let case = &self.cases[j];
            let token = self.tokens.get(j).cloned().unwrap_or_default();
            // (what, secret, the kind of secret) present in the answer at all.
            let present: Vec<(String, String, &str)> = case
                .person
                .forms()
                .into_iter()
                .map(|(w, s)| (w, s, "identity"))
                .chain(
                    case.title_secrets()
                        .into_iter()
                        .map(|(w, s)| (w, s, "title")),
                )
                .chain(case.body_secrets().into_iter().map(|(w, s)| (w, s, "body")))
                .chain(std::iter::once((
                    "access token".to_string(),
                    token,
                    "token",
                )))
                .filter(|(_, s, _)| !s.is_empty() && text.contains(s.as_str()))
                .collect();
            if present.is_empty() {
                continue;
            }
            let own = matches!(who, Who::Reporter(i) if *i == j);
            let staff_access = match who {
                Who::Staff(s) => self.access(s, j).await,
                _ => false,
            };
            let single = ok && kind == Kind::One(j);
            let list = ok && kind == Kind::List;
            let case = &self.cases[j];
            let identity_ok = single && (own || (staff_access && !case.anonymous));
            let title_ok = (single && (own || staff_access)) || (list && staff_access);
            let body_ok = single && (own || staff_access);
            // One finding per kind of secret: which forms showed, and where the first did.
            let mut leaked: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
            for (what, secret, class) in present {
                let allowed = match class {
                    "identity" => identity_ok,
                    "title" => title_ok,
                    "body" => body_ok,
                    _ => false,
                };
                if !allowed {
                    leaked.entry(class).or_default().push((what, secret));
                }
            }
            for (class, forms) in leaked {
                let class = match class {
                    "identity" => "the identity (name, phone, e-mail, NIK)",
                    "title" => "the confidential title",
                    "body" => "the confidential body",
                    _ => "the access token",
                };
                let shown: Vec<String> = forms.iter().map(|(w, s)| format!("{w} {s:?}")).collect();
                found.push(format!(
                    "[{}] {endpoint} as {role} (HTTP {}){about}: shows {class} of report #{j} \
                     ({}): {}\n      in {}",
                    self.f(),
                    a.status,
                    case.key,
                    shown.join(", "),
                    excerpt(text, &forms[0].1)
                ));
            }
        }
        if lower.contains(&WRONG_TOKEN.to_lowercase()) {
            found.push(format!(
                "[{}] {endpoint} as {role}{about}: echoes the presented token",
                self.f()
            ));
        }
        self.findings.extend(found);
    }

    async fn check_own_view(&mut self, k: usize, a: &HttpAnswer, endpoint: &str) {
        // The identity really is in the system: the reporter's own view opens it, so the
        // strings the walk looks for are the right ones.
        let p = &self.cases[k].person;
        let r = &a.body["reporter"];
        let expected = [
            ("name", p.name),
            ("phone", p.phone_e164),
            ("email", p.email),
            ("id_number", p.nik),
        ];
        for (field, value) in expected {
            if r[field] != value {
                self.findings.push(format!(
                    "[{}] {endpoint}: the reporter's own view of #{k} lacks {field} {value:?}: {}",
                    self.f(),
                    a.text
                ));
            }
        }
    }

    // ------------------------------------------------------------ acting (the scenario)

    fn action_id(&mut self) -> String {
        self.next_action += 1;
        format!("walk-{}-{:04}", self.f(), self.next_action)
    }

    /// A staff action the scenario needs: it must succeed.
    async fn act(&mut self, staff: &Staff, k: usize, action: Value) -> HttpAnswer {
        let id = self.action_id();
        let a = self.h.act(staff, &self.ids[k], &id, action.clone()).await;
        assert_eq!(
            a.status,
            200,
            "{}: {} on #{k} ({}) by {}: {}",
            self.f(),
            action,
            self.cases[k].key,
            staff_name(staff),
            a.text
        );
        let role = self.relation(staff, k).await;
        self.check(ACTIONS, &role, &Who::Staff(staff.clone()), Kind::One(k), &a)
            .await;
        self.performed.push((k, staff.clone(), id, action));
        a
    }

    /// A reporter action the scenario needs, with the report's own token: it must succeed.
    async fn reporter(&mut self, what: &str, k: usize, body: Value) -> HttpAnswer {
        let a = self
            .h
            .reporter_call(what, &self.ids[k], Some(&self.tokens[k]), &body)
            .await;
        assert_eq!(
            a.status,
            200,
            "{}: {what} on #{k} ({}): {}",
            self.f(),
            self.cases[k].key,
            a.text
        );
        let endpoint = format!("POST /v1/reports/{{tracking_id}}/{what}");
        self.check(
            &endpoint,
            "reporter (own token)",
            &Who::Reporter(k),
            Kind::One(k),
            &a,
        )
        .await;
        self.check_own_view(k, &a, &endpoint).await;
        a
    }

    /// Puts report `k` at Kota Bandung, however the router decided.
    async fn bring_to_bandung(&mut self, k: usize) {
        let r = self.stored(k).await;
        match (r.status, r.agency_id.as_deref()) {
            (Status::Dispositioned, Some(BANDUNG)) => {}
            (Status::Dispositioned, Some(other)) => {
                let holder = officer_of(other);
                self.act(
                    &holder,
                    k,
                    json!({"action": "forward", "agency_id": BANDUNG,
                           "reason": "Urusan Pemerintah Kota Bandung."}),
                )
                .await;
            }
            (Status::NeedsTriage, None) => {
                self.act(
                    &verifier(),
                    k,
                    json!({"action": "verify", "agency_id": BANDUNG}),
                )
                .await;
            }
            other => panic!("{}: #{k} routed to {other:?}", self.f()),
        }
    }

    async fn take_notifications(&mut self, stage: &str) {
        let notices = self.h.take_notifications().await;
        assert!(
            !notices.is_empty(),
            "{}: {stage}: no notifications",
            self.f()
        );
        for n in notices {
            self.notifications += 1;
            assert!(
                self.ids.contains(
                    &n.tracking_id
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
                "{}: a notification for a report not ours",
                self.f()
            );
            let mut value = serde_json::to_value(&n).unwrap();
            // The sealed recipient is ciphertext (random base64 that could spell anything);
            // it must not be the contact in clear, which is checked here instead.
            if let Some(sealed) = value.get("recipient_sealed").and_then(Value::as_str) {
                let k = self
                    .ids
                    .iter()
                    .position(|id| {
                        *id == n
                            .tracking_id
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    })
                    .unwrap();
                let p = &self.cases[k].person;
                for clear in [p.name, p.email, p.phone_e164, p.nik] {
                    assert!(
                        !sealed.contains(clear),
                        "{}: sealed recipient in clear",
                        self.f()
                    );
                }
                value["recipient_sealed"] = "<sealed>".into();
            }
            let a = HttpAnswer {
                status: 200,
                text: value.to_string(),
                body: value,
            };
            self.check(
                "notification queue",
                "notifier (sends to the reporter's channel)",
                &Who::Nobody,
                Kind::Other,
                &a,
            )
            .await;
        }
    }

    // ------------------------------------------------------------ the walk itself

    async fn walk(&mut self, stage: &str) {
        eprintln!("{}: walking ({stage})", self.f());
        for k in 0..self.cases.len() {
            self.walk_public_and_reporter(k).await;
            self.walk_staff_one(k).await;
        }
        self.walk_lists(stage).await;
        self.walk_feed(stage).await;
        self.take_notifications(stage).await;
    }

    async fn walk_public_and_reporter(&mut self, k: usize) {
        let n = self.cases.len();
        let id = self.ids[k].clone();
        let own = self.tokens[k].clone();
        let other = (k + 1) % n;
        let others = self.tokens[other].clone();
        const VIEW: &str = "GET /v1/reports/{tracking_id}";

        // The public view.
        let public = self.h.get(&id, None).await;
        assert_eq!(public.status, 200, "{}: {}", self.f(), public.text);
        self.check(
            VIEW,
            "public (no token)",
            &Who::Nobody,
            Kind::One(k),
            &public,
        )
        .await;
        if self.cases[k].confidential {
            for field in ["title", "body", "timeline", "location_text", "agency"] {
                if public.body.get(field).is_some() {
                    self.findings.push(format!(
                        "[{}] {VIEW} public view of confidential #{k} has `{field}`: {}",
                        self.f(),
                        public.text
                    ));
                }
            }
        }
        if public.body.get("reporter").is_some() {
            self.findings.push(format!(
                "[{}] {VIEW} public view of #{k} has a `reporter`",
                self.f()
            ));
        }
        // The public reads the institution's answers (follow-ups, the closing message), never
        // the reporter's own words (a reply, an answer to a question) nor questions to them.
        let stored = self.h.stored(&id).await;
        for event in public.body["timeline"].as_array().into_iter().flatten() {
            let answer = matches!(event["action"].as_str(), Some("followed_up" | "closed"));
            if event.get("note").is_some() && !answer {
                self.findings.push(format!(
                    "[{}] {VIEW} public view of #{k} shows a `{}` note: {event}",
                    self.f(),
                    event["action"]
                ));
            }
        }
        for event in &stored.timeline {
            let private = matches!(
                event.action.as_str(),
                "reporter_replied" | "info_requested" | "deferred" | "withdrawn"
            );
            if let (true, Some(note)) = (private, event.note.as_deref()) {
                if public.text.contains(note) {
                    self.findings.push(format!(
                        "[{}] {VIEW} public view of #{k} carries the `{}` text",
                        self.f(),
                        event.action
                    ));
                }
            }
            // Every follow-up of a public report is there for all to read.
            if let (true, Some(note)) = (
                event.action == "followed_up" && stored.is_public(),
                event.note.as_deref(),
            ) {
                if !public.text.contains(note) {
                    self.findings.push(format!(
                        "[{}] {VIEW} public view of public #{k} lacks a follow-up",
                        self.f()
                    ));
                }
            }
        }
        // The reporter's own view.
        let mine = self.h.get(&id, Some(&own)).await;
        assert_eq!(mine.status, 200, "{}: {}", self.f(), mine.text);
        self.check(
            VIEW,
            "reporter (own token)",
            &Who::Reporter(k),
            Kind::One(k),
            &mine,
        )
        .await;
        self.check_own_view(k, &mine, VIEW).await;
        // Another report's token, a wrong one, an empty one.
        for (who, token) in [
            (Who::Reporter(other), others.as_str()),
            (Who::WrongToken, WRONG_TOKEN),
            (Who::WrongToken, ""),
        ] {
            let a = self.h.get(&id, Some(token)).await;
            assert_eq!(a.status, 401, "{}: {}", self.f(), a.text);
            let role = self.role_of_token(&who, k);
            self.check(VIEW, &role, &who, Kind::One(k), &a).await;
        }

        // The reporter's actions, as everyone but the reporter (refused before the body is
        // read), and as the reporter with bodies that must be refused (nothing changes).
        let before = self.stored(k).await;
        let invalid_bodies = [
            ("replies", json!({"message": "   "})),
            ("replies", json!({"message": 12, "extra": true})),
            ("rating", json!({"stars": 9})),
            ("rating", json!({"stars": "lima"})),
            ("withdraw", json!({"reason": 5})),
        ];
        for (what, body) in &invalid_bodies {
            let endpoint = format!("POST /v1/reports/{{tracking_id}}/{what}");
            for (who, token) in [
                (Who::Nobody, None),
                (Who::WrongToken, Some(WRONG_TOKEN)),
                (Who::Reporter(other), Some(others.as_str())),
            ] {
                let valid = match *what {
                    "replies" => json!({"message": "Mohon segera ditindaklanjuti."}),
                    "rating" => json!({"stars": 1}),
                    _ => json!({}),
                };
                let a = self.h.reporter_call(what, &id, token, &valid).await;
                assert_eq!(a.status, 401, "{}: {endpoint}: {}", self.f(), a.text);
                let role = self.role_of_token(&who, k);
                self.check(&endpoint, &role, &who, Kind::One(k), &a).await;
            }
            let a = self.h.reporter_call(what, &id, Some(&own), body).await;
            assert!(
                (400..500).contains(&a.status),
                "{}: {endpoint} {body} on #{k}: {}",
                self.f(),
                a.text
            );
            self.check(
                &endpoint,
                "reporter (own token)",
                &Who::Reporter(k),
                Kind::Other,
                &a,
            )
            .await;
        }
        let unknown = self
            .h
            .reporter_call(
                "replies",
                "ZZZZZZZZZZ",
                Some(&own),
                &json!({"message": "x"}),
            )
            .await;
        assert_eq!(unknown.status, 404, "{}: {}", self.f(), unknown.text);
        self.check(
            "POST /v1/reports/{tracking_id}/replies",
            "reporter (own token), unknown id",
            &Who::Reporter(k),
            Kind::Other,
            &unknown,
        )
        .await;
        assert_eq!(
            self.stored(k).await,
            before,
            "{}: a refused reporter action changed #{k}",
            self.f()
        );
    }

    async fn walk_staff_one(&mut self, k: usize) {
        let id = self.ids[k].clone();
        let before = self.stored(k).await;
        for staff in roster() {
            let who = Who::Staff(staff.clone());
            let role = self.relation(&staff, k).await;
            let access = self.access(&staff, k).await;
            let view = self
                .h
                .agency_call(ONE, Some(&id), "", None, Some(&staff))
                .await;
            let expected = if access { 200 } else { 403 };
            assert_eq!(
                view.status,
                expected,
                "{}: {ONE} #{k} as {role}: {}",
                self.f(),
                view.text
            );
            self.check(ONE, &role, &who, Kind::One(k), &view).await;
            if access {
                let shows_contact = view.body.get("reporter").is_some();
                let named = !self.cases[k].anonymous;
                if shows_contact != named {
                    self.findings.push(format!(
                        "[{}] {ONE} #{k} ({}) as {role}: reporter contact shown: {shows_contact}",
                        self.f(),
                        self.cases[k].key
                    ));
                }
                if named && view.body["reporter"]["name"] != self.cases[k].person.name {
                    self.findings.push(format!(
                        "[{}] {ONE} #{k} as {role}: the named reporter's contact is missing",
                        self.f()
                    ));
                }
            }
            // Actions that must be refused: blank follow-up, a verify to nowhere, a missing
            // action id, an action id used for another action.
            let refused = [
                json!({"action": "follow_up", "message": "   ", "action_id": self.action_id()}),
                json!({"action": "verify", "agency_id": "no-such-agency",
                       "action_id": self.action_id()}),
                json!({"action": "request_info", "question": "Siapa nama Anda?"}),
                json!({"action": "fly", "action_id": self.action_id()}),
            ];
            for body in refused {
                let a = self
                    .h
                    .agency_call(ACTIONS, Some(&id), "", Some(&body), Some(&staff))
                    .await;
                assert!(
                    (400..500).contains(&a.status),
                    "{}: {body} on #{k} as {role}: {}",
                    self.f(),
                    a.text
                );
                self.check(ACTIONS, &role, &who, Kind::One(k), &a).await;
            }
        }
        // Replays of every action done on this report: answered from the timeline, 200 to the
        // actor whose action it was, with the staff view while they have access and only the
        // outcome (id, status, holder) after their forward took it away.
        let mine: Vec<(Staff, String, Value)> = self
            .performed
            .iter()
            .filter(|(r, ..)| *r == k)
            .map(|(_, s, i, a)| (s.clone(), i.clone(), a.clone()))
            .collect();
        for (i, (staff, action_id, action)) in mine.into_iter().enumerate() {
            let role = self.relation(&staff, k).await;
            let who = Who::Staff(staff.clone());
            let a = self.h.act(&staff, &id, &action_id, action).await;
            let access = self.access(&staff, k).await;
            assert_eq!(
                a.status,
                200,
                "{}: replay on #{k} as {role}: {}",
                self.f(),
                a.text
            );
            assert_eq!(a.body["replayed"], true, "{}: {}", self.f(), a.text);
            if !access {
                let shown: Vec<&String> = a.body["report"]
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                assert_eq!(
                    shown,
                    ["agency_id", "status", "tracking_id"],
                    "{}: a replay without access shows only the outcome: {}",
                    self.f(),
                    a.text
                );
            }
            self.check(ACTIONS, &format!("{role}, retry"), &who, Kind::One(k), &a)
                .await;
            if i == 0 && access {
                // The same action id for another action: 409.
                let reused = self
                    .h
                    .act(&staff, &id, &action_id, json!({"action": "close"}))
                    .await;
                assert_eq!(reused.status, 409, "{}: {}", self.f(), reused.text);
                self.check(
                    ACTIONS,
                    &format!("{role}, reused id"),
                    &who,
                    Kind::One(k),
                    &reused,
                )
                .await;
            }
        }
        // Without claims; with the reporter's token instead of staff claims.
        for route in [ONE, ACTIONS] {
            let body =
                (route == ACTIONS).then(|| json!({"action": "accept", "action_id": "x-no-claims"}));
            let a = self
                .h
                .agency_call(route, Some(&id), "", body.as_ref(), None)
                .await;
            assert_eq!(a.status, 401, "{}: {}", self.f(), a.text);
            self.check(route, "no staff claims", &Who::Nobody, Kind::One(k), &a)
                .await;
            let bearer = format!("Bearer {}", self.tokens[k]);
            let body_text = body.map(|b| b.to_string());
            let req = api_request(
                route,
                Some(&id),
                "",
                body_text.as_deref(),
                &[("authorization", &bearer)],
                None,
            );
            let a = answer(agency::handle(&self.h.app, req).await.unwrap());
            assert_eq!(a.status, 401, "{}: {}", self.f(), a.text);
            self.check(
                route,
                "reporter token on the staff API",
                &Who::Reporter(k),
                Kind::Other,
                &a,
            )
            .await;
        }
        assert_eq!(
            self.stored(k).await.version,
            before.version,
            "{}: a refused or replayed staff action changed #{k}",
            self.f()
        );
    }

    /// Every page of a list; checks each page; the ids listed.
    async fn pages(&mut self, staff: Option<&Staff>, query: &str, role: &str) -> Vec<String> {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let endpoint = if staff.is_some() {
            INBOX
        } else {
            "GET /v1/reports"
        };
        for _ in 0..50 {
            let mut q = query.to_string();
            if let Some(c) = &cursor {
                q = format!("{q}&cursor={c}");
            }
            let q = q.trim_start_matches('&').to_string();
            let a = match staff {
                Some(s) => self.h.agency_call(INBOX, None, &q, None, Some(s)).await,
                None => self.h.feed(&q).await,
            };
            assert_eq!(
                a.status,
                200,
                "{}: {endpoint}?{q} as {role}: {}",
                self.f(),
                a.text
            );
            let who = staff.map_or(Who::Nobody, |s| Who::Staff(s.clone()));
            self.check(endpoint, role, &who, Kind::List, &a).await;
            let items = a.body["reports"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: not a list: {}", self.f(), a.text))
                .clone();
            for item in &items {
                for field in ["reporter", "body", "timeline", "location"] {
                    if item.get(field).is_some() {
                        self.findings.push(format!(
                            "[{}] {endpoint}?{q} as {role}: a list item has `{field}`: {item}",
                            self.f()
                        ));
                    }
                }
                seen.push(item["tracking_id"].as_str().unwrap().to_string());
            }
            match a.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{}: {endpoint}?{query} as {role}: a report listed twice: {seen:?}",
            self.f()
        );
        seen
    }

    fn index_of(&self, id: &str) -> usize {
        self.ids
            .iter()
            .position(|i| i == id)
            .unwrap_or_else(|| panic!("{}: listed a report not ours: {id}", self.f()))
    }

    /// Compares a list with what it should hold: `may` says which reports may be listed at all
    /// (a privacy rule: a report listed where it must not be is a finding), `must` which open
    /// ones have to be (else the walk would check an empty list).
    async fn expect_list(
        &mut self,
        what: &str,
        listed: &[String],
        may: impl Fn(&Report) -> bool,
        must: impl Fn(&Report) -> bool,
    ) {
        for k in 0..self.cases.len() {
            let r = self.stored(k).await;
            let is_listed = listed.contains(&self.ids[k]);
            if is_listed && !may(&r) {
                self.findings.push(format!(
                    "[{}] {what} lists #{k} ({}) which it must not (status {}, agency {:?}, \
                     unit {:?}, confidential {})",
                    self.f(),
                    self.cases[k].key,
                    r.status.as_str(),
                    r.agency_id,
                    r.work_unit,
                    r.confidential
                ));
            }
            if !is_listed && must(&r) {
                self.findings.push(format!(
                    "[{}] {what} does not list #{k} ({}) (status {}, agency {:?}, unit {:?})",
                    self.f(),
                    self.cases[k].key,
                    r.status.as_str(),
                    r.agency_id,
                    r.work_unit
                ));
            }
        }
        for id in listed {
            self.index_of(id);
        }
    }

    async fn walk_lists(&mut self, stage: &str) {
        for staff in roster() {
            let name = staff_name(&staff);
            let who = Who::Staff(staff.clone());
            match staff.agency_id {
                Some(agency) => {
                    for (query, label) in [
                        ("", "inbox"),
                        ("limit=1", "inbox, one per page"),
                        ("box=institution&limit=2", "inbox (box=institution), paged"),
                    ] {
                        let role = format!("{name}, {label}");
                        let listed = self.pages(Some(&staff), query, &role).await;
                        let what = format!("{stage}: {INBOX}?{query} as {name}");
                        let a = agency.to_string();
                        let b = agency.to_string();
                        self.expect_list(
                            &what,
                            &listed,
                            move |r| {
                                r.agency_id.as_deref() == Some(a.as_str())
                                    || r.work_unit.as_deref() == Some(a.as_str())
                            },
                            move |r| {
                                r.agency_id.as_deref() == Some(b.as_str()) && !r.status.is_final()
                            },
                        )
                        .await;
                    }
                    let role = format!("{name}, work-unit box");
                    let listed = self
                        .pages(Some(&staff), "box=work_unit&limit=1", &role)
                        .await;
                    let what = format!("{stage}: {INBOX}?box=work_unit as {name}");
                    let a = agency.to_string();
                    let b = agency.to_string();
                    self.expect_list(
                        &what,
                        &listed,
                        move |r| r.work_unit.as_deref() == Some(a.as_str()),
                        move |r| r.work_unit.as_deref() == Some(b.as_str()) && !r.status.is_final(),
                    )
                    .await;
                    for status in ["in_progress", "responded", "closed", "dispositioned"] {
                        let role = format!("{name}, inbox by status");
                        let listed = self
                            .pages(Some(&staff), &format!("status={status}&limit=2"), &role)
                            .await;
                        let what = format!("{stage}: {INBOX}?status={status} as {name}");
                        let a = agency.to_string();
                        let st = status.to_string();
                        self.expect_list(
                            &what,
                            &listed,
                            move |r| {
                                r.status.as_str() == st
                                    && (r.agency_id.as_deref() == Some(a.as_str())
                                        || r.work_unit.as_deref() == Some(a.as_str()))
                            },
                            |_| false,
                        )
                        .await;
                    }
                }
                None => {
                    for (query, label) in [("", "triage queue"), ("limit=1", "triage, paged")] {
                        let role = format!("{name}, {label}");
                        let listed = self.pages(Some(&staff), query, &role).await;
                        let what = format!("{stage}: {INBOX}?{query} as {name}");
                        self.expect_list(
                            &what,
                            &listed,
                            |r| r.agency_id.is_none() && !r.status.is_final(),
                            |r| r.agency_id.is_none() && !r.status.is_final(),
                        )
                        .await;
                    }
                    for agency in [BANDUNG, KEMENKEU, DJP, DJBC, KEMENKES] {
                        let role = format!("{name}, an institution's inbox (agency=)");
                        let listed = self
                            .pages(Some(&staff), &format!("agency={agency}&limit=1"), &role)
                            .await;
                        let what = format!("{stage}: {INBOX}?agency={agency} as {name}");
                        let a = agency.to_string();
                        let b = agency.to_string();
                        self.expect_list(
                            &what,
                            &listed,
                            move |r| {
                                r.agency_id.as_deref() == Some(a.as_str())
                                    || r.work_unit.as_deref() == Some(a.as_str())
                            },
                            move |r| {
                                r.agency_id.as_deref() == Some(b.as_str()) && !r.status.is_final()
                            },
                        )
                        .await;
                    }
                }
            }
            // Refused queries: their 400 answers too.
            let bad: &[&str] = if staff.agency_id.is_some() {
                &[
                    "status=lost",
                    "cursor=abc",
                    "box=everything",
                    "agency=pemda-32.73",
                    "limit=0",
                ]
            } else {
                &["status=lost", "cursor=abc", "box=work_unit", "limit=101"]
            };
            for q in bad {
                let a = self.h.agency_call(INBOX, None, q, None, Some(&staff)).await;
                assert_eq!(
                    a.status,
                    400,
                    "{}: {INBOX}?{q} as {name}: {}",
                    self.f(),
                    a.text
                );
                self.check(INBOX, &format!("{name}, bad query"), &who, Kind::List, &a)
                    .await;
            }
        }
        // Nobody, and a reporter's token, get no inbox.
        let a = self.h.agency_call(INBOX, None, "", None, None).await;
        assert_eq!(a.status, 401, "{}", self.f());
        self.check(INBOX, "no staff claims", &Who::Nobody, Kind::List, &a)
            .await;
        let bearer = format!("Bearer {}", self.tokens[ORDINARY]);
        let req = api_request(INBOX, None, "", None, &[("authorization", &bearer)], None);
        let a = answer(agency::handle(&self.h.app, req).await.unwrap());
        assert_eq!(a.status, 401, "{}", self.f());
        self.check(
            INBOX,
            "reporter token on the staff API",
            &Who::Reporter(ORDINARY),
            Kind::List,
            &a,
        )
        .await;
    }

    async fn walk_feed(&mut self, stage: &str) {
        let public =
            |r: &Report| !r.confidential && r.agency_id.is_some() && r.status != Status::Archived;
        let mut queries: Vec<String> = vec![
            String::new(),
            "limit=1".into(),
            format!("agency={BANDUNG}&limit=1"),
            format!("agency={KEMENKEU}"),
            format!("agency={DJP}"),
            format!("agency={KEMENKES}"),
        ];
        for status in [
            "needs_triage",
            "dispositioned",
            "in_progress",
            "responded",
            "closed",
            "deferred",
            "archived",
        ] {
            queries.push(format!("status={status}&limit=1"));
            queries.push(format!("agency={BANDUNG}&status={status}"));
        }
        for q in queries {
            let role = if q.is_empty() {
                "public".to_string()
            } else {
                "public, filtered/paged".to_string()
            };
            let listed = self.pages(None, &q, &role).await;
            let what = format!("{stage}: GET /v1/reports?{q}");
            let params: BTreeMap<String, String> = q
                .split('&')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let agency = params.get("agency").cloned();
            let status = params.get("status").cloned();
            let (a1, s1) = (agency.clone(), status.clone());
            let may = move |r: &Report| {
                public(r)
                    && a1.as_deref().is_none_or(|a| {
                        r.agency_id.as_deref() == Some(a) || r.work_unit.as_deref() == Some(a)
                    })
                    && s1.as_deref().is_none_or(|s| r.status.as_str() == s)
            };
            let must = move |r: &Report| {
                public(r)
                    && agency
                        .as_deref()
                        .is_none_or(|a| r.agency_id.as_deref() == Some(a))
                    && status.as_deref().is_none_or(|s| r.status.as_str() == s)
            };
            self.expect_list(&what, &listed, may, must).await;
        }
        for q in [
            "status=nope",
            "limit=0",
            "limit=1000",
            "cursor=zzz",
            "box=work_unit",
        ] {
            let a = self.h.feed(q).await;
            assert_eq!(a.status, 400, "{}: feed?{q}: {}", self.f(), a.text);
            self.check(
                "GET /v1/reports",
                "public, bad query",
                &Who::Nobody,
                Kind::List,
                &a,
            )
            .await;
        }
    }
}

// ---------------------------------------------------------------- the test

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_as_every_role_keeps_reporters_and_confidential_content_private() {
    let logs = capture();
    let mut summaries = Vec::new();
    let mut all_findings = Vec::new();
    for h in families().await {
        let start = logs.len();
        let f = h.family;
        let mut w = Walk {
            h: &h,
            cases: cases(),
            ids: Vec::new(),
            tokens: Vec::new(),
            performed: Vec::new(),
            next_action: 0,
            findings: Vec::new(),
            matrix: BTreeSet::new(),
            answers: 0,
            notifications: 0,
            echoes: BTreeSet::new(),
        };

        // ---- submission: each report, one with an Idempotency-Key and its retry
        for k in 0..w.cases.len() {
            let body = w.cases[k].submission();
            let key = format!("walk-idem-{f}-{k}-0123456789");
            let headers: Vec<(&str, &str)> = if k == ORDINARY {
                vec![("Idempotency-Key", key.as_str())]
            } else {
                vec![]
            };
            let a = h.submit(&body, &headers).await;
            assert_eq!(a.status, 201, "{f}: submitting #{k}: {}", a.text);
            let id = a.body["tracking_id"].as_str().unwrap().to_string();
            let token = a.body["access_token"].as_str().unwrap().to_string();
            w.ids.push(id.clone());
            w.tokens.push(token.clone());
            // The submission answer carries the token (once) and nothing else of note.
            let mut shown = a.body.clone();
            shown["access_token"] = "<token>".into();
            let redacted = HttpAnswer {
                status: a.status,
                text: shown.to_string(),
                body: shown,
            };
            w.check(
                "POST /v1/reports",
                "public (submitting)",
                &Who::Nobody,
                Kind::Other,
                &redacted,
            )
            .await;
            if k == ORDINARY {
                let again = h.submit(&body, &headers).await;
                assert_eq!(again.status, 201, "{f}: {}", again.text);
                assert_eq!(again.body["tracking_id"], json!(id), "{f}");
                let mut shown = again.body.clone();
                shown["access_token"] = "<token>".into();
                let redacted = HttpAnswer {
                    status: again.status,
                    text: shown.to_string(),
                    body: shown,
                };
                w.check(
                    "POST /v1/reports",
                    "public (retry with Idempotency-Key)",
                    &Who::Nobody,
                    Kind::Other,
                    &redacted,
                )
                .await;
                // The same key with another body: 409, and it must not replay the first.
                let mut other = w.cases[CONFIDENTIAL].submission();
                other["title"] = "Judul lain yang cukup panjang".into();
                let a = h.submit(&other, &headers).await;
                assert_eq!(a.status, 409, "{f}: {}", a.text);
                w.check(
                    "POST /v1/reports",
                    "public (key reused)",
                    &Who::Nobody,
                    Kind::Other,
                    &a,
                )
                .await;
            }
            h.clock.advance(Span::seconds(61));
        }
        // Refused submissions carrying an identity and confidential content. Each person's
        // own data may come back to them in a type error (their own input, so no leak: listed
        // at the end); nobody else's may.
        let mut invalid = w.cases[CONFIDENTIAL].submission();
        invalid["title"] = "abc".into();
        let mut wrong_type = w.cases[ANON_CONF].submission();
        wrong_type["reporter"]["phone"] = json!(87855129034u64);
        let mut wrong_nik = w.cases[ANONYMOUS].submission();
        wrong_nik["reporter"]["id_number"] = json!(3273021906770011u64);
        let mut bad_email = w.cases[ORDINARY].submission();
        bad_email["reporter"]["email"] = "sumarni.kertapradja(at)surel.id".into();
        for (sender, body, code) in [
            (CONFIDENTIAL, invalid, 422),
            (ANON_CONF, wrong_type, 400),
            (ANONYMOUS, wrong_nik, 400),
            (ORDINARY, bad_email, 422),
        ] {
            let a = h.submit(&body, &[]).await;
            assert_eq!(a.status, code, "{f}: {}", a.text);
            let echoed: Vec<String> = w.cases[sender]
                .person
                .forms()
                .into_iter()
                .filter(|(_, s)| a.text.contains(s.as_str()))
                .map(|(what, s)| format!("{what} {s:?}"))
                .collect();
            if !echoed.is_empty() {
                w.echoes.insert(format!(
                    "[{f}] POST /v1/reports {code} echoes the sender's own {}: {}",
                    echoed.join(", "),
                    a.text
                ));
            }
            // Nobody else's identity, and (a sender's own) content for the 422s.
            let shown = a.body.clone();
            let text = {
                let mut t = a.text.clone();
                for (_, s) in w.cases[sender].person.forms() {
                    t = t.replace(&s, "<own input>");
                }
                t
            };
            let redacted = HttpAnswer {
                status: a.status,
                text,
                body: shown,
            };
            w.check(
                "POST /v1/reports",
                "public (refused submission)",
                &Who::Nobody,
                Kind::Other,
                &redacted,
            )
            .await;
        }

        // ---- routing
        assert!(h.drain_router().await >= w.cases.len(), "{f}: not routed");
        let triaged = w.stored(TRIAGED).await;
        if triaged.status != Status::NeedsTriage {
            // The router found an institution after all: set the report up in triage, which
            // is the state this case is about.
            eprintln!(
                "{f}: the router sent #{TRIAGED} to {:?}; placing it in triage",
                triaged.agency_id
            );
            let mut r = triaged;
            r.status = Status::NeedsTriage;
            r.agency_id = None;
            r.due_at = None;
            r.version += 1;
            h.app.store.update(&r).await.unwrap();
        }
        for k in [ORDINARY, ANONYMOUS, CONFIDENTIAL, ANON_CONF] {
            w.bring_to_bandung(k).await;
        }
        // The verifier asks the triaged reporter a question first.
        w.act(
            &verifier(),
            TRIAGED,
            json!({"action": "defer", "question": "Apakah ini menyangkut layanan publik?"}),
        )
        .await;
        w.walk("1: routed, at Kota Bandung, one in triage (deferred)")
            .await;

        // ---- stage 2: working on them; two are forwarded away from Bandung
        w.act(&bandung(), ORDINARY, json!({"action": "accept"}))
            .await;
        w.act(
            &bandung(),
            ORDINARY,
            json!({"action": "follow_up", "message": "Petugas sudah dijadwalkan."}),
        )
        .await;
        w.reporter(
            "replies",
            ORDINARY,
            json!({"message": "Belum ada petugas yang datang."}),
        )
        .await;
        w.act(
            &bandung(),
            ORDINARY,
            json!({"action": "request_info", "question": "Nomor tiang lampunya berapa?"}),
        )
        .await;

        w.act(
            &bandung(),
            ANONYMOUS,
            json!({"action": "forward", "agency_id": KEMENKEU,
                   "reason": "Dilimpahkan untuk uji alur."}),
        )
        .await;
        w.act(
            &kemenkeu(),
            ANONYMOUS,
            json!({"action": "assign", "work_unit": DJP}),
        )
        .await;

        w.act(&bandung(), CONFIDENTIAL, json!({"action": "accept"}))
            .await;
        w.act(
            &bandung(),
            CONFIDENTIAL,
            json!({"action": "request_info", "question": "Kapan kejadiannya?"}),
        )
        .await;
        w.reporter(
            "replies",
            CONFIDENTIAL,
            json!({"message": "Kejadiannya Senin pagi."}),
        )
        .await;
        w.act(
            &bandung(),
            CONFIDENTIAL,
            json!({"action": "forward", "agency_id": KEMENKEU,
                   "reason": "Menyangkut pungutan: dilimpahkan."}),
        )
        .await;
        w.act(&kemenkeu(), CONFIDENTIAL, json!({"action": "accept"}))
            .await;
        w.act(
            &kemenkeu(),
            CONFIDENTIAL,
            json!({"action": "assign", "work_unit": DJP}),
        )
        .await;

        w.act(&bandung(), ANON_CONF, json!({"action": "accept"}))
            .await;
        w.act(
            &bandung(),
            ANON_CONF,
            json!({"action": "follow_up", "message": "Lampu taman sudah dipasang lagi."}),
        )
        .await;

        w.reporter(
            "replies",
            TRIAGED,
            json!({"message": "Ya, menyangkut ketertiban umum."}),
        )
        .await;
        w.act(
            &verifier(),
            TRIAGED,
            json!({"action": "verify", "agency_id": BANDUNG, "note": "Diteruskan ke pemkot."}),
        )
        .await;
        w.walk("2: in progress; two forwarded to Kemenkeu, assigned to DJP")
            .await;

        // ---- stage 3: to the end of their lives
        w.reporter("replies", ORDINARY, json!({"message": "Tiang nomor 17."}))
            .await;
        w.act(
            &bandung(),
            ORDINARY,
            json!({"action": "follow_up", "message": "Tiang 17 sudah diperbaiki."}),
        )
        .await;
        w.act(&bandung(), ORDINARY, json!({"action": "close"}))
            .await;
        w.reporter(
            "rating",
            ORDINARY,
            json!({"stars": 5, "comment": "Cepat dan ramah"}),
        )
        .await;

        w.act(
            &djp(),
            ANONYMOUS,
            json!({"action": "follow_up", "message": "Sudah ditinjau unit kerja."}),
        )
        .await;
        w.reporter("rating", ANONYMOUS, json!({"stars": 2})).await;
        w.reporter(
            "replies",
            ANONYMOUS,
            json!({"message": "Lubangnya masih ada."}),
        )
        .await;
        w.act(&kemenkeu(), ANONYMOUS, json!({"action": "close"}))
            .await;

        w.act(
            &djp(),
            CONFIDENTIAL,
            json!({"action": "follow_up", "message": "Pemeriksaan internal dimulai."}),
        )
        .await;
        // Reopened, then moved from DJP to another unit: DJP loses it.
        w.reporter(
            "replies",
            CONFIDENTIAL,
            json!({"message": "Belum ada perubahan di lapangan."}),
        )
        .await;
        w.act(
            &kemenkeu(),
            CONFIDENTIAL,
            json!({"action": "assign", "work_unit": DJBC}),
        )
        .await;

        w.reporter(
            "replies",
            ANON_CONF,
            json!({"message": "Yang di sisi utara belum."}),
        )
        .await;
        w.act(
            &bandung(),
            ANON_CONF,
            json!({"action": "follow_up", "message": "Sisi utara sudah dipasang."}),
        )
        .await;
        w.act(&bandung(), ANON_CONF, json!({"action": "close"}))
            .await;
        w.reporter("rating", ANON_CONF, json!({"stars": 4})).await;

        w.act(
            &bandung(),
            TRIAGED,
            json!({"action": "request_info", "question": "Di kelurahan mana?"}),
        )
        .await;
        w.reporter(
            "withdraw",
            TRIAGED,
            json!({"reason": "Sudah diselesaikan secara kekeluargaan."}),
        )
        .await;
        w.walk("3: closed, rated, withdrawn; one moved from DJP to DJBC")
            .await;

        // ---- the directory function has no report data
        h.seed_directory().await;
        let api = h.directory_api().await;
        for (route, path, query, params) in [
            ("GET /v1/agencies", "/v1/agencies", "q=bandung", vec![]),
            (
                "GET /v1/agencies",
                "/v1/agencies",
                "q=pajak&limit=5",
                vec![],
            ),
            (
                "GET /v1/agencies/{agency_id}",
                "/v1/agencies/pemda-32.73",
                "",
                vec![("agency_id", BANDUNG)],
            ),
        ] {
            let req = directory_request(route, path, query, &params, None);
            let a = answer(directory::handle(&api, req).await.unwrap());
            assert_eq!(a.status, 200, "{f}: {route}?{query}: {}", a.text);
            w.check(route, "public", &Who::Nobody, Kind::Other, &a)
                .await;
        }

        // ---- the logs of the whole family run
        let family_logs = logs.text_from(start);
        for id in &w.ids {
            assert!(
                family_logs.contains(id.as_str()),
                "{f}: no log line names {id}: is the subscriber capturing?"
            );
        }
        assert!(
            family_logs.contains("report action stored"),
            "{f}: actions not logged"
        );
        let mut secrets: Vec<(String, String)> = Vec::new();
        for (k, case) in w.cases.iter().enumerate() {
            for (what, s) in case
                .person
                .forms()
                .into_iter()
                .chain(case.title_secrets())
                .chain(case.body_secrets())
            {
                secrets.push((
                    format!("{what} (#{k} {}, {})", case.key, case.person.name),
                    s,
                ));
            }
            secrets.push((format!("access token of #{k}"), w.tokens[k].clone()));
        }
        secrets.push(("the wrong token presented".into(), WRONG_TOKEN.into()));
        let mut by_secret: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for line in family_logs.lines() {
            for (what, s) in &secrets {
                if line.contains(s.as_str()) {
                    let e = by_secret
                        .entry(format!("{what}: {s:?}"))
                        .or_insert((0, excerpt(line, s)));
                    e.0 += 1;
                }
            }
        }
        for (secret, (n, example)) in &by_secret {
            w.findings.push(format!(
                "[{f}] {n} log lines carry the {secret}, e.g. {example}"
            ));
        }

        let endpoints: BTreeSet<&str> = w.matrix.iter().map(|(e, _)| e.as_str()).collect();
        // Roles without the variant after the comma ("holding officer, retry" is a holding officer).
        let base = |r: &str| r.split(", ").next().unwrap_or(r).to_string();
        let roles: BTreeSet<String> = w.matrix.iter().map(|(_, r)| base(r)).collect();
        let pairs: BTreeSet<(String, String)> =
            w.matrix.iter().map(|(e, r)| (e.clone(), base(r))).collect();
        summaries.push(format!(
            "{f}: {} answers + {} notifications checked: {} endpoints x {} roles walked in {} \
             endpoint-role pairs ({} with the query/variant), {} bytes of logs; {} findings",
            w.answers - w.notifications,
            w.notifications,
            endpoints.len(),
            roles.len(),
            pairs.len(),
            w.matrix.len(),
            family_logs.len(),
            w.findings.len()
        ));
        if std::env::var_os("LAPOR_WALK_MATRIX").is_some() {
            for (e, r) in &w.matrix {
                eprintln!("  {f}: {e}  x  {r}");
            }
        }
        for e in &w.echoes {
            eprintln!("note: {e}");
        }
        all_findings.extend(std::mem::take(&mut w.findings));
    }
    for s in &summaries {
        eprintln!("{s}");
    }
    if !all_findings.is_empty() {
        // Many findings are often one bug: show the distinct ones first, briefly.
        let total = all_findings.len();
        all_findings.dedup();
        let shown: Vec<&String> = all_findings.iter().take(40).collect();
        panic!(
            "{total} privacy findings (first {} shown):\n{}",
            shown.len(),
            shown
                .iter()
                .map(|s| format!("  - {s}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
