//! Lighthouse (npm `lighthouse@12.2.3`, on Debian's chromium through `CHROME_PATH`, its default
//! mobile emulation and simulated slow 4G) on the home page, the page after sending, the
//! reporter's tracking page and an officer's inbox.
//!
//! The test asserts accessibility 100 and best practices >= 95 on each; performance is measured
//! and written (with the other scores) to `target/lighthouse/scores.md`, never asserted: it
//! depends on the machine's load. `infra/scripts/lighthouse.sh` runs this test and prints the
//! scores.

use super::harness::{walk, Script, Session, Width};
use super::pages;
use super::Stage;
use lapor_tests::workspace_root;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const CATEGORIES: [&str; 3] = ["accessibility", "best-practices", "performance"];

/// One page's scores (0-100) and, for a category under 100, the audits that cost points.
struct Scores {
    page: &'static str,
    path: String,
    scores: Vec<(&'static str, u32)>,
    lost: Vec<String>,
}

impl Scores {
    fn of(&self, category: &str) -> u32 {
        self.scores
            .iter()
            .find(|(c, _)| *c == category)
            .map(|(_, s)| *s)
            .unwrap_or(0)
    }
}

/// The `Cookie` header a session's browser would send: Lighthouse's own chromium has a fresh
/// profile, so it gets the reporter's access or the officer's sign-in this way.
async fn cookie_header(session: &Session) -> String {
    session
        .client
        .get_all_cookies()
        .await
        .expect("the session's cookies")
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn run_lighthouse(stage: &Stage, page: &'static str, path: &str, cookie: &str) -> Scores {
    let url = format!("http://{}{path}", stage.runner.addr);
    let out = stage.dir.path().join(format!("lighthouse-{page}.json"));
    let mut command = Command::new(&stage.tools.lighthouse);
    command
        .arg(&url)
        .arg("--quiet")
        .arg("--output=json")
        .arg(format!("--output-path={}", out.display()))
        .arg(format!("--only-categories={}", CATEGORIES.join(",")))
        .arg("--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage")
        .env("CHROME_PATH", &stage.tools.chrome);
    if !cookie.is_empty() {
        command
            .arg("--extra-headers")
            .arg(json!({"Cookie": cookie}).to_string());
    }
    let ran = command
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", stage.tools.lighthouse.display()));
    assert!(
        ran.status.success(),
        "lighthouse on {page} ({path}) failed ({}):\n{}",
        ran.status,
        String::from_utf8_lossy(&ran.stderr)
    );
    read_scores(page, path, &out)
}

fn read_scores(page: &'static str, path: &str, report: &Path) -> Scores {
    let text = std::fs::read_to_string(report)
        .unwrap_or_else(|e| panic!("reading {}: {e}", report.display()));
    let report: Value = serde_json::from_str(&text).expect("lighthouse's JSON report");
    if let Some(error) = report.get("runtimeError") {
        panic!("lighthouse could not load {page} ({path}): {error}");
    }
    assert_eq!(
        report["configSettings"]["formFactor"], "mobile",
        "Lighthouse measures the mobile form factor"
    );
    let mut scores = Vec::new();
    let mut lost = Vec::new();
    for category in CATEGORIES {
        let score = report["categories"][category]["score"]
            .as_f64()
            .unwrap_or_else(|| panic!("{page}: no {category} score in the report"));
        scores.push((category, (score * 100.0).round() as u32));
        for audit_ref in report["categories"][category]["auditRefs"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let audit = &report["audits"][audit_ref["id"].as_str().unwrap_or("")];
            let weighted = audit_ref["weight"].as_f64().unwrap_or(0.0) > 0.0;
            if let Some(s) = audit["score"].as_f64() {
                if weighted && s < 1.0 {
                    // What the audit found, e.g. the console's errors and their URLs.
                    let found: Vec<String> = audit["details"]["items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .take(3)
                        .map(|i| {
                            let url = i["url"]
                                .as_str()
                                .or(i["sourceLocation"]["url"].as_str())
                                .unwrap_or("");
                            let what = i["description"].as_str().unwrap_or("");
                            format!("{url} {what}").trim().to_string()
                        })
                        .filter(|f| !f.is_empty())
                        .collect();
                    lost.push(format!(
                        "{category}: {} ({}): {}{}",
                        audit_ref["id"].as_str().unwrap_or("?"),
                        s,
                        audit["title"].as_str().unwrap_or(""),
                        if found.is_empty() {
                            String::new()
                        } else {
                            format!(" [{}]", found.join("; "))
                        }
                    ));
                }
            }
        }
    }
    Scores {
        page,
        path: path.to_string(),
        scores,
        lost,
    }
}

fn write_table(all: &[Scores]) -> String {
    let mut table = String::from(
        "| Page | Accessibility | Best practices | Performance |\n|---|---|---|---|\n",
    );
    for s in all {
        table.push_str(&format!(
            "| {} (`{}`) | {} | {} | {} |\n",
            s.page,
            s.path.split('?').next().unwrap_or(""),
            s.of("accessibility"),
            s.of("best-practices"),
            s.of("performance")
        ));
    }
    let lost: Vec<String> = all
        .iter()
        .flat_map(|s| s.lost.iter().map(move |l| format!("- {}: {l}", s.page)))
        .collect();
    if !lost.is_empty() {
        table.push_str(&format!("\nPoints lost:\n{}\n", lost.join("\n")));
    }
    let dir = workspace_root().join("target").join("lighthouse");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("scores.md"), &table).unwrap();
    table
}

/// Home, the page after sending, the reporter's tracking page and an officer's inbox: Lighthouse
/// gives accessibility 100 and best practices >= 95 on each, at its default mobile emulation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_of_the_main_pages() {
    let Some(stage) = Stage::start("browser::lighthouse::scores_of_the_main_pages") else {
        return;
    };
    let addr = stage.runner.addr;
    // The pages' state comes from a real browser: a report sent through the form (the reporter's
    // access is then a cookie of that browser), and an officer signed in on the local page.
    let (pages, reporter_cookie, officer_cookie) = {
        let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
        let out = slot.clone();
        walk(&stage.tools, stage.dir.path(), move |browser| async move {
            let citizen = browser.session(addr, Script::On, Width::Phone).await;
            let sent = pages::submit(&citizen, &pages::street_light()).await;
            let reporter_cookie = cookie_header(&citizen).await;
            let officer = browser.session(addr, Script::On, Width::Desktop).await;
            pages::sign_in(&officer, Some(pages::BANDUNG), "petugas-bandung").await;
            pages::await_in_inbox(&officer, &sent.id).await;
            let inbox = pages::INBOX.to_string();
            let officer_cookie = cookie_header(&officer).await;
            *out.lock().unwrap() = Some((
                vec![
                    ("home", "/".to_string(), false, false),
                    ("sent", sent.page.clone(), true, false),
                    ("track", sent.track_path(), true, false),
                    ("inbox", inbox, false, true),
                ],
                reporter_cookie,
                officer_cookie,
            ));
        })
        .await;
        let taken = slot.lock().unwrap().take();
        taken.expect("the pages to measure")
    };
    let mut all = Vec::new();
    for (page, path, as_reporter, as_officer) in pages {
        let cookie = if as_reporter {
            reporter_cookie.as_str()
        } else if as_officer {
            officer_cookie.as_str()
        } else {
            ""
        };
        all.push(run_lighthouse(&stage, page, &path, cookie));
    }
    let table = write_table(&all);
    println!("Lighthouse 12.2.3 (mobile):\n{table}");
    let mut failures = Vec::new();
    for s in &all {
        if s.of("accessibility") < 100 || s.of("best-practices") < 95 {
            failures.push(format!(
                "{} ({}): accessibility {}, best practices {}\n  {}",
                s.page,
                s.path,
                s.of("accessibility"),
                s.of("best-practices"),
                s.lost
                    .iter()
                    .filter(|l| !l.starts_with("performance"))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "Lighthouse: accessibility must be 100 and best practices >= 95:\n{}\n\n{table}",
        failures.join("\n")
    );
}
