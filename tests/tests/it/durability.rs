//! The local runner killed with SIGKILL in the middle of a burst of submissions loses nothing:
//! every report answered `201` is there after a restart on the same data dir, and is routed
//! (the embedded queue releases what was in flight, the start-up sweep re-queues what was stored
//! but never queued), without waiting for the queue's 180 s visibility or the 2 min grace.
//!
//! Runs the real `lapor-local` binary over real HTTP (`crate::runner_binary`, built with the
//! tests).

use crate::runner_binary;
use lapor_tests::{free_addr, sample_report};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WORKERS: usize = 8;
const PER_WORKER: usize = 25;
/// Answers `201` before the kill; the rest of the ~200 submissions are cut off by it.
const KILL_AFTER: usize = 60;
const ROUTED_DEADLINE: Duration = Duration::from_secs(60);
const NAME: &str = "Siti Rahayu";

/// One `lapor-local` process; killed when dropped, so a failing test leaves nothing running.
struct Runner {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Runner {
    fn start(binary: &Path, data_dir: &Path, log: PathBuf) -> Runner {
        let addr = free_addr();
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary)
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("LAPOR_PII_KEY")
            .env_remove("LAPOR_ADDR")
            .env_remove("LAPOR_DATA_DIR")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut runner = Runner { child, addr, log };
        runner.wait_ready();
        runner
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "lapor-local exited at start-up ({status}):\n{}",
                    self.log_text()
                );
            }
            if let Ok((404, _)) = http(self.addr, "GET", "/v1/reports/0000000000", None, None) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "lapor-local not answering on {} after 30 s:\n{}",
                self.addr,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown code runs, whatever was buffered in the process is gone.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 exchange on a fresh connection (`Connection: close`): status and body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = bearer {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    if method == "POST" {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
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
    Ok((status, body.to_string()))
}

#[derive(Debug, Clone)]
struct Accepted {
    tracking_id: String,
    token: String,
    title: String,
}

fn submission(n: usize) -> (String, String) {
    let title = format!("Lampu jalan mati nomor {n}");
    let mut body = sample_report();
    body["title"] = json!(title);
    (title, body.to_string())
}

/// Submits one report; `Some` only for a complete `201` answer (a cut-off answer does not count).
fn submit(addr: SocketAddr, n: usize) -> Option<Accepted> {
    let (title, body) = submission(n);
    let (status, text) = http(addr, "POST", "/v1/reports", None, Some(&body)).ok()?;
    if status != 201 {
        return None;
    }
    let answer: Value = serde_json::from_str(&text).ok()?;
    Some(Accepted {
        tracking_id: answer["tracking_id"].as_str()?.to_string(),
        token: answer["access_token"].as_str()?.to_string(),
        title,
    })
}

/// Polls every report's reporter view until each is routed or the deadline passes; returns the
/// last view of each report that is not routed (empty when all are).
fn wait_until_routed(
    addr: SocketAddr,
    reports: &[Accepted],
    deadline: Instant,
) -> BTreeMap<String, String> {
    let mut pending: BTreeMap<String, (&Accepted, String)> = reports
        .iter()
        .map(|a| (a.tracking_id.clone(), (a, String::from("never read"))))
        .collect();
    loop {
        let mut done = Vec::new();
        for (id, (accepted, last)) in pending.iter_mut() {
            let path = format!("/v1/reports/{id}");
            match http(addr, "GET", &path, Some(&accepted.token), None) {
                Ok((200, text)) => {
                    let view: Value = serde_json::from_str(&text).unwrap();
                    if view["status"] == "dispositioned" {
                        check_routed_view(accepted, &view);
                        done.push(id.clone());
                    } else {
                        *last = text;
                    }
                }
                Ok((404, _)) => panic!(
                    "report {id} was answered 201 before the kill and is gone after the restart"
                ),
                Ok((status, text)) => *last = format!("{status} {text}"),
                Err(e) => *last = format!("GET failed: {e}"),
            }
        }
        for id in done {
            pending.remove(&id);
        }
        if pending.is_empty() || Instant::now() >= deadline {
            return pending
                .into_iter()
                .map(|(id, (_, last))| (id, last))
                .collect();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The report is the one submitted, whole, and was routed once.
fn check_routed_view(accepted: &Accepted, view: &Value) {
    let id = &accepted.tracking_id;
    assert_eq!(view["tracking_id"], json!(id));
    assert_eq!(view["title"], json!(accepted.title), "{id}: {view}");
    assert_eq!(
        view["reporter"]["name"], NAME,
        "{id}: the contact must open after the restart"
    );
    assert_eq!(view["agency"]["id"], "pemda-32.73", "{id}: {view}");
    let actions: Vec<&str> = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["submitted", "routed"],
        "{id}: routed exactly once"
    );
}

#[test]
fn a_runner_killed_mid_burst_loses_no_accepted_report() {
    let binary = runner_binary();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");

    let mut first = Runner::start(binary, &data_dir, dir.path().join("first.log"));
    let addr = first.addr;
    let accepted: Arc<Mutex<Vec<Accepted>>> = Arc::default();
    let answered = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (accepted, answered, failed) = (accepted.clone(), answered.clone(), failed.clone());
            std::thread::spawn(move || {
                for i in 0..PER_WORKER {
                    match submit(addr, w * PER_WORKER + i) {
                        Some(a) => {
                            accepted.lock().unwrap().push(a);
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        None => {
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            })
        })
        .collect();

    // Kill while the submissions are in full flow (and the router pump with them).
    let deadline = Instant::now() + Duration::from_secs(120);
    while answered.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "only {} of {} submissions answered 201 in 120 s ({} failed):\n{}",
            answered.load(Ordering::SeqCst),
            WORKERS * PER_WORKER,
            failed.load(Ordering::SeqCst),
            first.log_text()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    first.kill();
    for w in workers {
        w.join().unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    let cut_off = failed.load(Ordering::SeqCst);
    assert_eq!(accepted.len() + cut_off, WORKERS * PER_WORKER);
    assert!(accepted.len() >= KILL_AFTER);
    assert!(
        cut_off > 0,
        "every submission was answered before the kill: the kill did not land mid-burst"
    );
    eprintln!(
        "{} reports answered 201 before SIGKILL, {cut_off} cut off",
        accepted.len()
    );

    let second = Runner::start(binary, &data_dir, dir.path().join("second.log"));
    let restarted = Instant::now();
    let missing = wait_until_routed(second.addr, &accepted, restarted + ROUTED_DEADLINE);
    assert!(
        missing.is_empty(),
        "{} of {} accepted reports not routed {} s after the restart; last views: {:#?}\nlog:\n{}",
        missing.len(),
        accepted.len(),
        ROUTED_DEADLINE.as_secs(),
        missing,
        second.log_text()
    );

    eprintln!("all routed {:.1?} after the restart", restarted.elapsed());
    // What the restart had to repair (for whoever reads a failure or wonders what was covered).
    for line in second.log_text().lines() {
        if line.contains("visible again") || line.contains("sweep") {
            eprintln!("second run: {line}");
        }
    }

    // The restarted runner takes and routes new reports.
    let fresh = submit(second.addr, 10_000).expect("the restarted runner accepts a report");
    let missing = wait_until_routed(
        second.addr,
        std::slice::from_ref(&fresh),
        Instant::now() + ROUTED_DEADLINE,
    );
    assert!(missing.is_empty(), "new report not routed: {missing:?}");
}
