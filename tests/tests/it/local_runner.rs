//! The whole report lifecycle in the local runner, the way a newcomer runs it: the real
//! `lapor-local serve` binary over real HTTP on an embedded store, staff tokens minted with
//! `lapor-local mint-token`, and an escalation pass run with `lapor-local escalate`.
//!
//! - a Bandung street-light complaint is submitted, routed by the router running inside `serve`,
//!   accepted and answered by an officer of Kota Bandung, replied to by the reporter, closed and
//!   rated, with the status and the views checked at every step;
//! - the runner plays the `OfficerJwt` authorizer: missing, malformed, tampered, foreign-key and
//!   expired tokens get `401` before any function runs; a verifier sees the triage queue; an
//!   officer of another institution gets `403`;
//! - `escalate --now` 30 days after submission moves a report that got no follow-up one level
//!   up (Kota Bandung -> Provinsi Jawa Barat); `--dry-run` only says so; a bad `--now` is refused.
//!
//! The binary is `crate::runner_binary`, built by `cargo test` with the tests.

use crate::runner_binary;
use chrono::{DateTime, Duration as Span, FixedOffset, SecondsFormat, Utc};
use lapor_tests::{free_addr, sample_report, workspace_root};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BANDUNG: &str = "pemda-32.73";
const JAWA_BARAT: &str = "pemda-32";
const OTHER_INSTITUTION: &str = "komdigi";
const NAME: &str = "Siti Rahayu";
const ROUTED_DEADLINE: Duration = Duration::from_secs(60);

// ================================================================== the binary and its processes

/// `lapor-local` with the environment a newcomer's shell has: none of the runner's variables
/// (the flags given here decide), default logging.
fn lapor_command() -> Command {
    let mut command = Command::new(runner_binary());
    for var in [
        "LAPOR_PII_KEY",
        "LAPOR_ADDR",
        "LAPOR_DATA_DIR",
        "LAPOR_DEADLINE_POLICY",
        "LAPOR_EXTRA_HOLIDAYS",
        "RUST_LOG",
        "AWS_LAMBDA_FUNCTION_NAME",
    ] {
        command.env_remove(var);
    }
    command.current_dir(workspace_root());
    command.stdin(Stdio::null());
    command
}

/// Runs one operator command to its end.
fn lapor(args: &[&str]) -> Output {
    lapor_command()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running lapor-local {args:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One `lapor-local serve`; killed when dropped, so a failing test leaves nothing running.
pub(crate) struct Runner {
    child: Child,
    pub(crate) addr: SocketAddr,
    log: PathBuf,
}

impl Runner {
    pub(crate) fn start(data_dir: &Path, log: PathBuf) -> Runner {
        Runner::start_with(data_dir, log, &[])
    }

    /// `serve` with more options.
    pub(crate) fn start_with(data_dir: &Path, log: PathBuf, options: &[&str]) -> Runner {
        let addr = free_addr();
        let out = std::fs::File::create(&log).unwrap();
        let child = lapor_command()
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            .args(options)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", runner_binary().display()));
        let mut runner = Runner { child, addr, log };
        runner.wait_ready();
        runner
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "lapor-local serve exited at start-up ({status}):\n{}",
                    self.log_text()
                );
            }
            if let Ok(answer) = exchange(self.addr, "GET", "/v1/reports/0000000000", &[], None) {
                if answer.status == 404 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "lapor-local serve not answering on {} after 30 s:\n{}",
                self.addr,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ctrl-C, as a newcomer stops it: SIGINT, and the process ends by itself, successfully.
    pub(crate) fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("running kill -INT");
        assert!(sent.success(), "kill -INT {pid}: {sent}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "lapor-local serve stopped by Ctrl-C exited with {status}:\n{}",
                    self.log_text()
                );
                assert!(
                    self.log_text().contains("stopping"),
                    "no `stopping` line after Ctrl-C:\n{}",
                    self.log_text()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "lapor-local serve still running 20 s after Ctrl-C:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn call(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<&Value>) -> Answer {
        let auth = bearer.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| ("Authorization", a))
            .into_iter()
            .collect();
        self.call_with(method, path, &headers, body)
    }

    fn call_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Answer {
        let body = body.map(Value::to_string);
        exchange(self.addr, method, path, headers, body.as_deref()).unwrap_or_else(|e| {
            panic!(
                "{method} {path}: {e}\nlog of lapor-local serve:\n{}",
                self.log_text()
            )
        })
    }

    fn get(&self, path: &str, bearer: Option<&str>) -> Answer {
        self.call("GET", path, bearer, None)
    }

    fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> Answer {
        self.call("POST", path, bearer, Some(body))
    }

    /// The answer's JSON when its status is `status`; otherwise a failure naming `what`.
    fn expect(&self, answer: Answer, status: u16, what: &str) -> Value {
        assert_eq!(
            answer.status,
            status,
            "{what}: expected {status}, got {} {}\nlog of lapor-local serve:\n{}",
            answer.status,
            answer.text,
            self.log_text()
        );
        answer.json
    }

    // ----------------------------------------------------------------------- the API's calls

    fn public_view(&self, id: &str) -> Value {
        let answer = self.get(&format!("/v1/reports/{id}"), None);
        self.expect(answer, 200, &format!("public view of {id}"))
    }

    fn reporter_view(&self, id: &str, token: &str) -> Value {
        let answer = self.get(&format!("/v1/reports/{id}"), Some(token));
        self.expect(answer, 200, &format!("reporter's view of {id}"))
    }

    fn staff_view(&self, id: &str, staff: &str) -> Answer {
        self.get(&format!("/v1/agency/reports/{id}"), Some(staff))
    }

    fn inbox(&self, staff: &str, query: &str) -> Vec<Value> {
        let path = if query.is_empty() {
            "/v1/agency/reports".to_string()
        } else {
            format!("/v1/agency/reports?{query}")
        };
        let list = self.expect(self.get(&path, Some(staff)), 200, &format!("GET {path}"));
        list["reports"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path}: no `reports` array: {list}"))
            .clone()
    }

    /// An officer's or verifier's action: `{action_id, action, ...fields}`.
    fn act(&self, staff: &str, id: &str, action_id: &str, action: &str, fields: Value) -> Answer {
        let mut body = json!({"action_id": action_id, "action": action});
        for (k, v) in fields.as_object().expect("fields are an object") {
            body[k] = v.clone();
        }
        self.post(
            &format!("/v1/agency/reports/{id}/actions"),
            Some(staff),
            &body,
        )
    }

    fn submit(&self, report: &Value) -> Submitted {
        let answer = self.post("/v1/reports", None, report);
        let accepted = self.expect(answer, 201, "POST /v1/reports");
        assert_eq!(accepted["status"], "received", "{accepted}");
        Submitted {
            id: accepted["tracking_id"]
                .as_str()
                .expect("tracking_id")
                .into(),
            token: accepted["access_token"]
                .as_str()
                .expect("access_token")
                .into(),
        }
    }

    /// Polls the public view until the report has status `want` (the router runs in `serve`).
    fn wait_for_status(&self, id: &str, want: &str) -> Value {
        let deadline = Instant::now() + ROUTED_DEADLINE;
        loop {
            let view = self.public_view(id);
            if view["status"] == want {
                return view;
            }
            assert!(
                Instant::now() < deadline,
                "{id} not {want} after {} s; last public view: {view}\nlog:\n{}",
                ROUTED_DEADLINE.as_secs(),
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Submitted {
    id: String,
    token: String,
}

// ======================================================================= a minimal HTTP client

pub(crate) struct Answer {
    pub(crate) status: u16,
    /// The status line and headers, names lower-cased.
    head: String,
    pub(crate) text: String,
    /// The body as JSON (`Null` when it is not).
    pub(crate) json: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            (n.trim() == name).then(|| v.trim())
        })
    }
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`).
pub(crate) fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or("");
    if method == "POST" {
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            request.push_str("Content-Type: application/json\r\n");
        }
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(bad)?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let head = head
        .lines()
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{}:{value}", name.to_ascii_lowercase()),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Answer {
        status,
        head,
        text: body.to_string(),
        json: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}

// ======================================================================================= helpers

/// `lapor-local mint-token ... --data-dir <dir>`: the token alone on stdout.
fn mint(data_dir: &Path, args: &[&str]) -> String {
    let dir = data_dir.to_str().unwrap();
    let mut all = vec!["mint-token"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", dir]);
    let out = lapor(&all);
    assert!(
        out.status.success(),
        "lapor-local {all:?} failed ({}): {}",
        out.status,
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let token = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "mint-token must print the token alone on stdout, for TOKEN=$(...): {stdout:?}"
    );
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token:?}");
    token.to_string()
}

fn officer(data_dir: &Path, agency: &str, sub: &str) -> String {
    mint(
        data_dir,
        &["--role", "officer", "--agency", agency, "--sub", sub],
    )
}

fn verifier(data_dir: &Path, sub: &str) -> String {
    mint(data_dir, &["--role", "verifier", "--sub", sub])
}

/// A JWT's payload (base64url without padding, decoded by hand: the tests have no base64 crate).
fn jwt_payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT has a payload");
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut bytes = Vec::new();
    for c in part.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {part:?}"),
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("payload is not JSON ({e})"))
}

fn time(value: &Value) -> DateTime<Utc> {
    let t = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("{t:?}: {e}"))
        .with_timezone(&Utc)
}

fn ids(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|r| r["tracking_id"].as_str().unwrap())
        .collect()
}

fn actions(view: &Value) -> Vec<&str> {
    view["timeline"]
        .as_array()
        .unwrap_or_else(|| panic!("no timeline: {view}"))
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

fn possible(view: &Value) -> Vec<&str> {
    view["possible_actions"]
        .as_array()
        .unwrap_or_else(|| panic!("no possible_actions: {view}"))
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

/// The public view while a report is open: `expected_datetime` is the current step's deadline,
/// after the report was made, and `deadline_step` names the step.
fn check_open(view: &Value, step: &str) -> DateTime<Utc> {
    assert!(
        view["expected_datetime"].is_string(),
        "an open report shows expected_datetime: {view}"
    );
    assert_eq!(view["deadline_step"], step, "{view}");
    let expected = time(&view["expected_datetime"]);
    assert!(expected > time(&view["created_at"]), "{view}");
    expected
}

fn street_light() -> Value {
    let report = sample_report();
    assert_eq!(report["region_code"], "32.73.01");
    report
}

/// No region, nothing to place it by: the router leaves it to the national verifiers.
fn noisy_neighbour() -> Value {
    json!({
        "kind": "complaint",
        "title": "Tetangga berisik",
        "body": "Tetangga saya setiap malam menyalakan musik keras sampai jam dua pagi."
    })
}

// ========================================================================= 1. the whole lifecycle

#[test]
fn a_report_goes_through_its_whole_lifecycle_over_http() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let runner = Runner::start(&data, dir.path().join("serve.log"));

    // Submitted as in "Try it", with an Idempotency-Key: a retry answers the same report.
    let report = street_light();
    let key = [("Idempotency-Key", "0b9c7f64-4f3e-4c2a-9d55-6a1e2f3b4c5d")];
    let first = runner.call_with("POST", "/v1/reports", &key, Some(&report));
    let accepted = runner.expect(first, 201, "POST /v1/reports");
    assert_eq!(accepted["status"], "received", "{accepted}");
    let id = accepted["tracking_id"].as_str().unwrap().to_string();
    let token = accepted["access_token"].as_str().unwrap().to_string();
    let retry = runner.call_with("POST", "/v1/reports", &key, Some(&report));
    assert!(
        matches!(retry.status, 200 | 201),
        "retry: {} {}",
        retry.status,
        retry.text
    );
    assert_eq!(retry.json["tracking_id"], json!(id), "{}", retry.text);
    assert_eq!(retry.json["access_token"], json!(token), "{}", retry.text);

    // The router inside `serve` sends it to Kota Bandung.
    let routed = runner.wait_for_status(&id, "dispositioned");
    assert_eq!(routed["agency"]["id"], BANDUNG, "{routed}");
    assert_eq!(routed["title"], report["title"], "{routed}");
    assert!(
        routed.get("reporter").is_none(),
        "public view carries the reporter: {routed}"
    );
    assert!(!routed.to_string().contains(NAME), "{routed}");
    assert_eq!(actions(&routed), ["submitted", "routed"], "{routed}");
    let follow_up_due = check_open(&routed, "follow_up");

    // The officer's inbox, and the report as staff see it.
    let staff = officer(&data, BANDUNG, "staff-1");
    let inbox = runner.inbox(&staff, "");
    let line = inbox
        .iter()
        .find(|r| r["tracking_id"] == json!(id))
        .unwrap_or_else(|| panic!("{id} not in the Bandung officer's inbox: {inbox:?}"));
    assert_eq!(line["status"], "dispositioned", "{line}");
    assert_eq!(line["agency_id"], BANDUNG, "{line}");
    assert_eq!(time(&line["expected_datetime"]), follow_up_due, "{line}");
    let seen = runner.expect(runner.staff_view(&id, &staff), 200, "staff view");
    assert_eq!(seen["reporter"]["name"], NAME, "{seen}");
    for action in ["accept", "follow_up"] {
        assert!(possible(&seen).contains(&action), "{action}: {seen}");
    }

    // accept, and its retry acts once.
    let accept_id = format!("{id}-accept");
    let accepted = runner.expect(
        runner.act(&staff, &id, &accept_id, "accept", json!({})),
        200,
        "accept",
    );
    assert_eq!(accepted["replayed"], false, "{accepted}");
    assert_eq!(accepted["report"]["status"], "in_progress", "{accepted}");
    let again = runner.expect(
        runner.act(&staff, &id, &accept_id, "accept", json!({})),
        200,
        "accept retried",
    );
    assert_eq!(again["replayed"], true, "{again}");
    let in_progress = runner.public_view(&id);
    assert_eq!(in_progress["status"], "in_progress", "{in_progress}");
    assert_eq!(
        check_open(&in_progress, "follow_up"),
        follow_up_due,
        "accepting keeps the follow-up deadline: {in_progress}"
    );

    // follow_up: the institution answers, posted as "Try it" posts it (`curl -d` says the body
    // is a form; the API reads JSON whatever the Content-Type).
    let answer = "Lampu sudah diganti dengan lampu LED baru.";
    let auth = format!("Bearer {staff}");
    let as_curl = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let body =
        json!({"action_id": format!("{id}-answer"), "action": "follow_up", "message": answer});
    let followed = runner.expect(
        runner.call_with(
            "POST",
            &format!("/v1/agency/reports/{id}/actions"),
            &as_curl,
            Some(&body),
        ),
        200,
        "follow_up",
    );
    assert_eq!(followed["report"]["status"], "responded", "{followed}");
    let responded = runner.public_view(&id);
    assert_eq!(responded["status"], "responded", "{responded}");
    check_open(&responded, "auto_close");
    // The institution's answer is public (issue 14: transparency is LAPOR's point).
    assert!(
        responded.to_string().contains(answer),
        "the public view lacks the follow-up's text: {responded}"
    );

    // The reporter replies with the access token from submission (and only with it).
    let replies = format!("/v1/reports/{id}/replies");
    let reply = json!({"message": "Terima kasih, tetapi lampu di ujung jalan masih mati."});
    let refused = runner.post(&replies, None, &reply);
    assert_eq!(
        refused.status, 401,
        "reply without a token: {}",
        refused.text
    );
    let refused = runner.post(&replies, Some("not-the-token"), &reply);
    assert_eq!(refused.status, 401, "reply, wrong token: {}", refused.text);
    let replied = runner.expect(runner.post(&replies, Some(&token), &reply), 200, "reply");
    assert_eq!(replied["status"], "in_progress", "{replied}");
    assert_eq!(replied["replayed"], false, "{replied}");
    check_open(&runner.public_view(&id), "follow_up");

    // The officer closes it.
    let closed = runner.expect(
        runner.act(
            &staff,
            &id,
            &format!("{id}-close"),
            "close",
            json!({"message": "Lampu di ujung jalan juga sudah diganti."}),
        ),
        200,
        "close",
    );
    assert_eq!(closed["report"]["status"], "closed", "{closed}");
    let public = runner.public_view(&id);
    assert_eq!(public["status"], "closed", "{public}");
    assert!(
        public.get("expected_datetime").is_none(),
        "a closed report has nothing due: {public}"
    );

    // The reporter rates it, once.
    let rating = format!("/v1/reports/{id}/rating");
    let rate = json!({"stars": 5, "comment": "Cepat ditangani"});
    let rated = runner.expect(runner.post(&rating, Some(&token), &rate), 200, "rate");
    assert_eq!(rated["rating"]["stars"], 5, "{rated}");
    assert_eq!(rated["status"], "closed", "{rated}");
    let twice = runner.post(&rating, Some(&token), &json!({"stars": 1}));
    assert_eq!(twice.status, 409, "second rating: {}", twice.text);
    assert_eq!(twice.json["error"], "already_done", "{}", twice.text);

    // The reporter's view: the whole story, with who did what and the institution's words.
    let mine = runner.reporter_view(&id, &token);
    assert_eq!(mine["reporter"]["name"], NAME, "{mine}");
    assert_eq!(mine["agency"]["id"], BANDUNG, "{mine}");
    assert_eq!(mine["status"], "closed", "{mine}");
    assert_eq!(mine["rating"]["stars"], 5, "{mine}");
    let story = [
        ("submitted", "reporter", "received"),
        ("routed", "system", "dispositioned"),
        ("accepted", "officer", "in_progress"),
        ("followed_up", "officer", "responded"),
        ("reporter_replied", "reporter", "in_progress"),
        ("closed", "officer", "closed"),
        ("rated", "reporter", "closed"),
    ];
    let timeline = mine["timeline"].as_array().unwrap();
    assert_eq!(
        actions(&mine),
        story.map(|(a, _, _)| a),
        "reporter's timeline: {mine}"
    );
    // Who acted is a role and an institution: no officer's id, no client's action id.
    for (event, (action, actor, status)) in timeline.iter().zip(story) {
        assert_eq!(event["actor"], actor, "{action}: {event}");
        assert_eq!(event["status"], status, "{action}: {event}");
        if actor == "officer" {
            assert_eq!(event["agency_id"], BANDUNG, "{event}");
        }
        assert!(event.get("action_id").is_none(), "{event}");
    }
    assert!(!mine.to_string().contains("staff-1"), "{mine}");
    assert!(!mine.to_string().contains(&accept_id), "{mine}");
    assert_eq!(timeline[3]["note"], answer, "{}", timeline[3]);
    assert_eq!(timeline[4]["note"], reply["message"], "{}", timeline[4]);
    assert!(
        possible(&mine).is_empty(),
        "nothing left for the reporter once closed and rated: {mine}"
    );
    for window in timeline.windows(2) {
        assert!(time(&window[0]["at"]) <= time(&window[1]["at"]), "{mine}");
    }

    // The public timeline is the same story without anyone's name, and of the words only the
    // institution's answers (follow-ups, the closing message): never the reporter's reply.
    let public = runner.public_view(&id);
    assert_eq!(actions(&public), story.map(|(a, _, _)| a), "{public}");
    for event in public["timeline"].as_array().unwrap() {
        let answer = matches!(event["action"].as_str(), Some("followed_up" | "closed"));
        assert!(
            answer || event.get("note").is_none(),
            "public note: {event}"
        );
        assert_ne!(event.get("note"), Some(&reply["message"]), "{event}");
        assert!(
            event["actor"].is_string(),
            "public actor is a role: {event}"
        );
    }
    assert!(!public.to_string().contains("staff-1"), "{public}");
    eprintln!("lifecycle test: {:.1?}", started.elapsed());
}

// ===================================================================== 2. the JWT authorizer

#[test]
fn the_runner_plays_the_jwt_authorizer() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let elsewhere = dir.path().join("another-data-dir");
    let runner = Runner::start(&data, dir.path().join("serve.log"));

    let bandung = runner.submit(&street_light());
    let triage = runner.submit(&noisy_neighbour());
    runner.wait_for_status(&bandung.id, "dispositioned");
    let triage_view = runner.wait_for_status(&triage.id, "needs_triage");
    assert!(triage_view["agency"].is_null(), "{triage_view}");

    let staff = officer(&data, BANDUNG, "staff-1");
    // The same claims signed with another data dir's key.
    let foreign = officer(&elsewhere, BANDUNG, "staff-1");
    assert_ne!(
        std::fs::read(signing_key_file(&data)).unwrap(),
        std::fs::read(signing_key_file(&elsewhere)).unwrap(),
        "each data dir has its own signing key"
    );
    // Signed with this runner's own key, but an hour long and issued ten hours ago (mint-token
    // cannot make one: --hours is 1 to 720 from now); and its fresh twin, which must pass.
    let expired = bandung_officer_token(&data, Utc::now() - Span::hours(10));
    let fresh = bandung_officer_token(&data, Utc::now() - Span::minutes(1));
    // A valid header and payload with another valid token's signature.
    let other = officer(&data, OTHER_INSTITUTION, "staff-9");
    let tampered = format!(
        "{}.{}",
        staff.rsplit_once('.').unwrap().0,
        other.rsplit_once('.').unwrap().1
    );

    let inbox = "/v1/agency/reports".to_string();
    let one = format!("/v1/agency/reports/{}", bandung.id);
    let act = format!("/v1/agency/reports/{}/actions", bandung.id);
    let accept = json!({"action_id": "refused-accept-1", "action": "accept"});
    let before = runner.expect(runner.staff_view(&bandung.id, &staff), 200, "staff view");

    let bad: [(&str, Option<&str>); 7] = [
        ("no token", None),
        ("empty bearer", Some("")),
        ("malformed", Some("not-a-jwt")),
        ("tampered", Some(&tampered)),
        ("signed for another data dir", Some(&foreign)),
        ("expired", Some(&expired)),
        ("a reporter's access token", Some(&bandung.token)),
    ];
    for (what, token) in bad {
        for (method, path) in [("GET", &inbox), ("GET", &one), ("POST", &act)] {
            let body = (method == "POST").then_some(&accept);
            let answer = runner.call(method, path, token, body);
            assert_eq!(
                answer.status, 401,
                "{what}: {method} {path} answered {} {}",
                answer.status, answer.text
            );
            assert_eq!(
                answer.json["error"], "unauthorized",
                "{what}: {}",
                answer.text
            );
            assert_eq!(
                answer.header("www-authenticate"),
                Some("Bearer"),
                "{what}: {}",
                answer.head
            );
        }
    }
    // The refused action did nothing; the same key's fresh token passes the authorizer.
    let after = runner.expect(runner.staff_view(&bandung.id, &fresh), 200, "fresh token");
    assert_eq!(after["version"], before["version"], "{after}");
    assert_eq!(after["status"], "dispositioned", "{after}");
    assert_eq!(ids(&runner.inbox(&fresh, "")), [bandung.id.as_str()]);

    // `--hours` sets the token's life; a life out of range, or claims that do not fit, are
    // refused before anything is printed.
    let short = mint(
        &data,
        &["--role", "verifier", "--sub", "v-2", "--hours", "2"],
    );
    let payload = jwt_payload(&short);
    assert_eq!(
        payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(),
        7200,
        "{payload}"
    );
    assert_eq!(payload["custom:role"], "verifier", "{payload}");
    assert_eq!(payload["iss"], "lapor-local", "{payload}");
    assert_eq!(payload["aud"], "lapor-officers", "{payload}");
    let dir_arg = data.to_str().unwrap();
    for (args, says) in [
        (vec!["--role", "officer", "--sub", "s"], "--agency"),
        (
            vec![
                "--role",
                "officer",
                "--agency",
                "no-such-agency",
                "--sub",
                "s",
            ],
            "no-such-agency",
        ),
        (
            vec!["--role", "verifier", "--agency", BANDUNG, "--sub", "s"],
            "--agency",
        ),
        (vec!["--role", "mayor", "--sub", "s"], "mayor"),
        (
            vec!["--role", "verifier", "--sub", "s", "--hours", "0"],
            "0",
        ),
    ] {
        let mut all = vec!["mint-token"];
        all.extend(&args);
        all.extend(["--data-dir", dir_arg]);
        let out = lapor(&all);
        assert!(!out.status.success(), "{all:?} succeeded");
        assert!(
            out.stdout.is_empty(),
            "{all:?} printed {:?}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stderr).contains(says),
            "{all:?}: stderr does not say {says:?}: {}",
            text(&out.stderr)
        );
    }

    // A verifier's inbox is the triage queue: what no institution holds.
    let national = verifier(&data, "verifier-1");
    let queue = runner.inbox(&national, "");
    assert_eq!(ids(&queue), [triage.id.as_str()], "triage queue: {queue:?}");
    assert_eq!(queue[0]["status"], "needs_triage", "{queue:?}");
    let held = runner.inbox(&national, &format!("agency={BANDUNG}"));
    assert_eq!(ids(&held), [bandung.id.as_str()], "{held:?}");
    let seen = runner.expect(
        runner.staff_view(&triage.id, &national),
        200,
        "verifier's view of a triage report",
    );
    assert!(possible(&seen).contains(&"verify"), "{seen}");

    // The Bandung officer's inbox holds the Bandung report only; the triage report is not theirs.
    assert_eq!(ids(&runner.inbox(&staff, "")), [bandung.id.as_str()]);
    let refused = runner.staff_view(&triage.id, &staff);
    assert_eq!(refused.status, 403, "{}", refused.text);

    // An officer of another institution: a valid token, the wrong institution.
    assert!(runner.inbox(&other, "").is_empty(), "komdigi's inbox");
    let refused = runner.staff_view(&bandung.id, &other);
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.json["error"], "forbidden", "{}", refused.text);
    assert!(
        !refused.text.contains(NAME) && !refused.text.contains("Lampu"),
        "a 403 leaks the report: {}",
        refused.text
    );
    let refused = runner.act(&other, &bandung.id, "komdigi-accept-1", "accept", json!({}));
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.json["error"], "forbidden", "{}", refused.text);
    let after = runner.expect(runner.staff_view(&bandung.id, &staff), 200, "staff view");
    assert_eq!(after["version"], before["version"], "{after}");
    assert_eq!(after["status"], "dispositioned", "{after}");
    eprintln!("authorizer test: {:.1?}", started.elapsed());
}

/// The key `serve` and `mint-token` share, in a data dir (README, "Staff tokens").
fn signing_key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("officer-signing.key")
}

/// An hour-long token of the Bandung officer `staff-1` issued at `issued_at`, signed with
/// `data_dir`'s key as any HS256 JWT library signs one (the key file: 32 bytes in standard
/// base64). For what `mint-token` cannot make: a token issued in the past.
fn bandung_officer_token(data_dir: &Path, issued_at: DateTime<Utc>) -> String {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let key = std::fs::read_to_string(signing_key_file(data_dir)).unwrap();
    let key = STANDARD.decode(key.trim()).unwrap();
    let iat = issued_at.timestamp();
    let claims = json!({
        "iss": "lapor-local", "aud": "lapor-officers", "sub": "staff-1",
        "custom:role": "officer", "custom:agency_id": BANDUNG, "iat": iat, "exp": iat + 3600,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

// ============================================================================== 3. escalate

/// `lapor-local escalate ...` on `data`, which must succeed: the JSON it printed, and all of stdout.
fn escalate(data: &Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["escalate"];
    args.extend_from_slice(extra);
    args.extend(["--data-dir", data.to_str().unwrap()]);
    let out = lapor(&args);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "lapor-local {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        text(&out.stderr)
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("lapor-local {args:?} printed no JSON:\n{stdout}"));
    let printed = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    (printed, stdout)
}

#[test]
fn escalate_puts_an_overdue_report_under_the_next_level() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let runner = Runner::start(&data, dir.path().join("serve.log"));

    // Two Bandung reports: one the institution never answers, one it answers.
    let ignored = runner.submit(&street_light());
    let mut second = street_light();
    second["title"] = json!("Lampu jalan mati di Jalan Asia Afrika");
    let answered = runner.submit(&second);
    let routed = runner.wait_for_status(&ignored.id, "dispositioned");
    runner.wait_for_status(&answered.id, "dispositioned");
    assert_eq!(routed["agency"]["id"], BANDUNG, "{routed}");
    let due = check_open(&routed, "follow_up");
    let created = time(&routed["created_at"]);
    let staff = officer(&data, BANDUNG, "staff-1");
    for (n, (action, fields)) in [
        ("accept", json!({})),
        ("follow_up", json!({"message": "Lampu sudah diganti."})),
    ]
    .into_iter()
    .enumerate()
    {
        let id = &answered.id;
        let answer = runner.act(&staff, id, &format!("{id}-{n}"), action, fields);
        runner.expect(answer, 200, action);
    }
    assert_eq!(runner.public_view(&answered.id)["status"], "responded");
    let ignored_version =
        runner.expect(runner.staff_view(&ignored.id, &staff), 200, "staff view")["version"].clone();
    runner.stop();

    // A bad --now is refused, naming what was wrong, and changes nothing.
    for bad in ["yesterday", "2026-01-19 17:00", "2026-01-19T17:00:00"] {
        let out = lapor(&[
            "escalate",
            "--now",
            bad,
            "--data-dir",
            data.to_str().unwrap(),
        ]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "--now {bad:?} accepted");
        assert!(
            stderr.contains("--now") && stderr.contains(bad) && stderr.contains("RFC 3339"),
            "--now {bad:?}: unclear message: {stderr}"
        );
        assert!(
            !text(&out.stdout).contains("\"pass\""),
            "--now {bad:?}: {}",
            text(&out.stdout)
        );
    }

    // 30 days after submission, in WIB as an operator in Jakarta would type it.
    let as_of = created + Span::days(30);
    assert!(as_of > due, "30 days is past the 5-working-day follow-up");
    let wib = FixedOffset::east_opt(7 * 3600).unwrap();
    let now_arg = as_of
        .with_timezone(&wib)
        .to_rfc3339_opts(SecondsFormat::Secs, false);
    let as_of = time(&json!(now_arg)); // to the second, as typed

    // --dry-run: what it would do, twice the same (it changed nothing).
    let (dry, dry_stdout) = escalate(&data, &["--now", &now_arg, "--dry-run"]);
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(time(&dry["as_of"]), as_of, "{dry}");
    let would = dry["would"]
        .as_array()
        .unwrap_or_else(|| panic!("no `would`: {dry}"));
    let plan = would
        .iter()
        .find(|p| p["tracking_id"] == json!(ignored.id))
        .unwrap_or_else(|| panic!("the ignored report is not in the dry run: {dry}"));
    assert_eq!(plan["action"], "escalate", "{plan}");
    assert_eq!(plan["status"], "dispositioned", "{plan}");
    assert_eq!(plan["missed"], "follow_up", "{plan}");
    assert_eq!(time(&plan["deadline"]), due, "{plan}");
    if let Some(p) = would
        .iter()
        .find(|p| p["tracking_id"] == json!(answered.id))
    {
        assert_ne!(p["action"], "escalate", "an answered report: {p}");
    }
    let (dry_again, _) = escalate(&data, &["--now", &now_arg, "--dry-run"]);
    assert_eq!(
        dry_again["would"], dry["would"],
        "a dry run changed something"
    );

    // The pass itself: the province supervises the ignored report; once per deadline.
    let (done, pass_stdout) = escalate(&data, &["--now", &now_arg]);
    assert_eq!(time(&done["as_of"]), as_of, "{done}");
    let stats = &done["pass"];
    assert_eq!(stats["escalated"], 1, "{done}");
    assert_eq!(stats["conflicts"], 0, "{done}");
    let (again, _) = escalate(&data, &["--now", &now_arg]);
    assert_eq!(again["pass"]["escalated"], 0, "escalated twice: {again}");
    // The output is for people and scripts: say if logging shares stdout with the JSON.
    for (what, stdout) in [("--dry-run", &dry_stdout), ("pass", &pass_stdout)] {
        if stdout.lines().count() != 1 {
            eprintln!("note: escalate {what} printed more than its JSON on stdout:\n{stdout}");
        }
    }

    // What `serve` shows afterwards.
    let runner = Runner::start(&data, dir.path().join("serve-again.log"));
    let view = runner.public_view(&ignored.id);
    assert_eq!(view["status"], "dispositioned", "{view}");
    // Kota Bandung keeps it (it has the authority); Jawa Barat supervises.
    assert_eq!(view["agency"]["id"], BANDUNG, "{view}");
    let timeline = view["timeline"].as_array().unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(last["action"], "escalated", "{view}");
    assert_eq!(last["actor"], "system", "{view}");
    assert_eq!(last["agency_id"], JAWA_BARAT, "{view}");
    assert_eq!(time(&last["at"]), as_of, "{view}");
    assert_eq!(
        actions(&view).iter().filter(|a| **a == "escalated").count(),
        1,
        "{view}"
    );
    let new_due = check_open(&view, "follow_up");
    assert!(new_due > as_of, "the follow-up clock restarts: {view}");
    let mine = runner.reporter_view(&ignored.id, &ignored.token);
    let note = mine["timeline"].as_array().unwrap().last().unwrap()["note"].clone();
    assert!(
        note.as_str().is_some_and(
            |n| n.contains("Batas waktu tindak lanjut terlewati") && n.ends_with("WIB).")
        ),
        "the escalation says, in Indonesian and WIB, which deadline was missed: {mine}"
    );

    // Jawa Barat sees it in its overdue box and may remind, forward or take it over; Kota
    // Bandung still holds it and answers.
    let province = officer(&data, JAWA_BARAT, "staff-2");
    let overdue = runner.inbox(&province, "box=overdue");
    assert!(
        ids(&overdue).contains(&ignored.id.as_str()),
        "not in Jawa Barat's overdue box: {overdue:?}"
    );
    let seen = runner.expect(runner.staff_view(&ignored.id, &province), 200, "province");
    assert_eq!(
        possible(&seen),
        ["forward", "remind", "take_over"],
        "{seen}"
    );
    assert_ne!(seen["version"], ignored_version, "{seen}");
    let holder = runner.expect(runner.staff_view(&ignored.id, &staff), 200, "city");
    assert!(possible(&holder).contains(&"accept"), "{holder}");
    assert!(ids(&runner.inbox(&staff, "")).contains(&ignored.id.as_str()));

    // The answered report stayed with Kota Bandung, never escalated.
    let kept = runner.public_view(&answered.id);
    assert_eq!(kept["agency"]["id"], BANDUNG, "{kept}");
    assert!(!actions(&kept).contains(&"escalated"), "{kept}");
    assert!(
        matches!(kept["status"].as_str(), Some("responded" | "closed")),
        "{kept}"
    );
    eprintln!("escalate test: {:.1?}", started.elapsed());
}

/// Runs `lapor-local <args> --data-dir <data>` to its end, successfully, and returns stdout.
fn lapor_ok(data: &Path, args: &[&str]) -> String {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--data-dir", data.to_str().unwrap()]);
    let out = lapor(&all);
    assert!(
        out.status.success(),
        "lapor-local {all:?} failed ({}):\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The outbox as JSON lines.
fn outbox(data: &Path) -> Vec<Value> {
    lapor_ok(data, &["outbox", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[test]
fn messages_on_every_channel_are_answered_in_the_local_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let runner = Runner::start(&data, dir.path().join("serve.log"));
    let url = format!("http://{}", runner.addr);
    let sent = lapor_ok(
        &data,
        &[
            "send-sms",
            "--url",
            &url,
            "--from",
            "0812-3456-7890",
            "LAPOR Lampu jalan mati di Jl. Dago depan Taman Cikapayang Kota Bandung sejak seminggu",
        ],
    );
    assert!(
        sent.starts_with("200") && sent.contains("report_created"),
        "{sent}"
    );
    let answer: Value = serde_json::from_str(sent.trim_start_matches("200 OK ").trim()).unwrap();
    let id = answer["tracking_id"].as_str().unwrap().to_string();

    // The receipt, then the routing notice, recorded instead of sent to a gateway.
    let deadline = Instant::now() + ROUTED_DEADLINE;
    let messages = loop {
        let messages = outbox(&data);
        if messages.len() >= 2 || Instant::now() > deadline {
            break messages;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(messages.len() >= 2, "{messages:?}\n{}", runner.log_text());
    for m in &messages {
        assert_eq!(m["provider"], "sms", "{m}");
        assert_eq!(m["address"], "+6281234567890", "{m}");
        assert!(!m["text"].as_str().unwrap().contains("Cikapayang"), "{m}");
    }
    assert!(
        messages[0]["text"].as_str().unwrap().contains(&id),
        "{}",
        messages[0]
    );
    assert_eq!(messages[0]["notification_id"], format!("{id}:0"));

    // WhatsApp and an X direct message, signed with the data dir's secrets as the providers
    // sign: each answered on its own channel.
    let secrets: Value = serde_json::from_str(&lapor_ok(&data, &["channel-secrets"])).unwrap();
    let secret = |name: &str| secrets[name].as_str().unwrap().as_bytes().to_vec();
    // Sent now: the webhooks refuse events older than they remember.
    let fixture = |name: &str| lapor_tests::channel_fixture(name, Utc::now()).to_string();
    let wa = fixture("whatsapp-message.json");
    let wa_signature = format!(
        "sha256={}",
        hmac_sha256_hex(&secret("meta_app_secret"), &wa)
    );
    let posted = exchange(
        runner.addr,
        "POST",
        "/v1/channels/meta",
        &[
            ("content-type", "application/json"),
            ("x-hub-signature-256", &wa_signature),
        ],
        Some(&wa),
    )
    .unwrap();
    assert_eq!(posted.status, 200, "{}", posted.text);
    assert_eq!(
        posted.json["handled"],
        json!(["report_created"]),
        "{}",
        posted.text
    );
    let dm = fixture("x-dm.json");
    let dm_signature = {
        use base64::Engine;
        let raw = hex::decode(hmac_sha256_hex(&secret("x_consumer_secret"), &dm)).unwrap();
        format!(
            "sha256={}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    };
    let posted = exchange(
        runner.addr,
        "POST",
        "/v1/channels/x",
        &[
            ("content-type", "application/json"),
            ("x-twitter-webhooks-signature", &dm_signature),
        ],
        Some(&dm),
    )
    .unwrap();
    assert_eq!(posted.status, 200, "{}", posted.text);
    assert_eq!(
        posted.json["handled"],
        json!(["report_created"]),
        "{}",
        posted.text
    );
    let deadline = Instant::now() + ROUTED_DEADLINE;
    let by_channel = loop {
        let messages = outbox(&data);
        let seen = |provider: &str, address: &str| {
            messages
                .iter()
                .any(|m| m["provider"] == provider && m["address"] == address)
        };
        let both = seen("whatsapp", "+6281298765432") && seen("x", "3001969357");
        if both || Instant::now() > deadline {
            break both;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(by_channel, "{:?}\n{}", outbox(&data), runner.log_text());

    // A post not signed with the data dir's secret is refused.
    let forged = exchange(
        runner.addr,
        "POST",
        "/v1/channels/sms",
        &[("content-type", "application/json"), ("x-lapor-timestamp", "1"), ("x-lapor-signature", "sha256=00")],
        Some(r#"{"from":"081234567890","text":"LAPOR palsu yang tidak boleh tersimpan sama sekali","message_id":"x"}"#),
    )
    .unwrap();
    assert_eq!(forged.status, 401, "{}", forged.text);
    // Every local webhook secret is 32 random bytes (43 characters of base64url).
    for name in [
        "sms_webhook_secret",
        "x_consumer_secret",
        "meta_app_secret",
        "meta_verify_token",
    ] {
        assert!(
            secrets[name].as_str().unwrap().len() >= 43,
            "{name}: {secrets}"
        );
    }
    runner.stop();
}

fn hmac_sha256_hex(secret: &[u8], body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn seed_with_an_extra_file_publishes_institutions_the_runner_then_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let extra = dir.path().join("extra.csv");
    std::fs::write(
        &extra,
        "id,name,acronym,kind,parent_id,region_code,scope,aliases\n\
         pln-uid-papua,PLN Unit Induk Distribusi Papua dan Papua Barat,PLN UID Papua,soe,pln,91,\
         electricity distribution in Papua,PLN Papua;UID Papua\n",
    )
    .unwrap();
    let seeded = lapor_ok(&data, &["seed", "--extra", extra.to_str().unwrap()]);
    assert!(seeded.contains("1 added"), "{seeded}");
    // A row that does not fit (an unknown parent) publishes nothing and says which.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,name,acronym,kind,parent_id,region_code,scope,aliases\nx-unit,Unit X,,agency,no-such-parent,,,\n",
    )
    .unwrap();
    let refused = lapor(&[
        "seed",
        "--extra",
        bad.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("no-such-parent"),
        "{}",
        text(&refused.stderr)
    );

    let runner = Runner::start(&data, dir.path().join("serve.log"));
    let found = exchange(runner.addr, "GET", "/v1/agencies?q=pln+papua", &[], None).unwrap();
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(
        found.json["agencies"][0]["id"], "pln-uid-papua",
        "{}",
        found.text
    );
    let one = exchange(runner.addr, "GET", "/v1/agencies/pln-uid-papua", &[], None).unwrap();
    assert_eq!(one.json["parent"]["id"], "pln", "{}", one.text);
    runner.stop();
}

/// `serve`'s options before a command used to be parsed as `serve`'s and ignored: the command ran
/// on the default data dir and store. They are refused now, naming them, and nothing is done;
/// after the command they mean what they say.
#[test]
fn options_before_a_command_are_refused_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();

    let before = lapor(&[
        "--data-dir",
        data_arg,
        "mint-token",
        "--role",
        "verifier",
        "--sub",
        "v1",
    ]);
    assert_eq!(before.status.code(), Some(2), "{}", text(&before.stderr));
    assert!(
        text(&before.stderr).contains("--data-dir"),
        "{}",
        text(&before.stderr)
    );
    assert!(before.stdout.is_empty(), "no token printed");
    assert!(
        !data.exists(),
        "nothing created where the ignored option pointed"
    );

    let serve = lapor(&["--backend", "aws", "--addr", "127.0.0.1:1", "serve"]);
    assert_eq!(serve.status.code(), Some(2), "{}", text(&serve.stderr));
    for option in ["--backend", "--addr"] {
        assert!(
            text(&serve.stderr).contains(option),
            "{}",
            text(&serve.stderr)
        );
    }

    let after = lapor(&[
        "mint-token",
        "--data-dir",
        data_arg,
        "--role",
        "verifier",
        "--sub",
        "v1",
    ]);
    assert!(after.status.success(), "{}", text(&after.stderr));
    assert!(
        signing_key_file(&data).exists(),
        "the key is where --data-dir says"
    );
}

/// One raw exchange with a binary body (`exchange` speaks text): a client sending a file to a
/// signed URL, or reading one. The status and the headers, names lower-cased, and the body.
fn exchange_bytes(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head =
        format!("{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, raw[split + 4..].to_vec())
}

/// The reporter's photo through the runner as a browser sends it: the API grants a signed URL
/// on the runner, the bytes go there, the runner's attachments consumer checks them, and the
/// file comes back through a signed URL with the type and disposition it signed.
#[test]
fn an_attachment_goes_through_the_runners_own_blob_store() {
    let dir = tempfile::tempdir().unwrap();
    let runner = Runner::start(dir.path(), dir.path().join("serve.log"));
    let s = runner.submit(&street_light());
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(16, 16, image::Rgb([200, 180, 0]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let png = png.into_inner();
    let granted = runner.expect(
        runner.post(
            &format!("/v1/reports/{}/attachments", s.id),
            Some(&s.token),
            &json!({"content_type": "image/png", "size": png.len()}),
        ),
        201,
        "an upload",
    );
    let url = granted["upload"]["url"].as_str().unwrap();
    let prefix = format!("http://{}", runner.addr);
    let path = url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} on {prefix}"));
    let length = png.len().to_string();
    // Another type than signed is refused, and nothing is stored.
    let (status, _, _) = exchange_bytes(
        runner.addr,
        "PUT",
        path,
        &[("Content-Type", "image/jpeg"), ("Content-Length", &length)],
        &png,
    );
    assert_eq!(status, 403);
    let (status, _, body) = exchange_bytes(
        runner.addr,
        "PUT",
        path,
        &[("Content-Type", "image/png"), ("Content-Length", &length)],
        &png,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    let deadline = Instant::now() + ROUTED_DEADLINE;
    let attachment = loop {
        let view = runner.reporter_view(&s.id, &s.token);
        let first = view["attachments"][0].clone();
        if first["state"] == "available" {
            break first;
        }
        assert!(
            Instant::now() < deadline,
            "not checked in time: {view}\nlog:\n{}",
            runner.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let file = attachment["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&prefix)
        .unwrap();
    let (status, head, body) = exchange_bytes(runner.addr, "GET", file, &[], &[]);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: image/png"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    assert!(
        image::load_from_memory(&body).is_ok(),
        "the cleaned file decodes"
    );
    // A signed URL altered (another disposition) is refused.
    let altered = file.replace("disposition=inline", "disposition=attachment");
    assert_eq!(
        exchange_bytes(runner.addr, "GET", &altered, &[], &[]).0,
        403
    );
    runner.stop();
}
