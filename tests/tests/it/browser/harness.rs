//! The browser harness: Debian's chromium, headless, driven through chromedriver (WebDriver) with
//! fantoccini; axe-core run inside each page; screenshots at a phone's and a desktop's width.
//!
//! - [`Tools`]: where chromium, chromedriver, axe-core and lighthouse are (the test command
//!   exports them); without them a test skips itself, except under CI where it fails.
//! - [`walk`]: runs one journey with its own chromedriver (a free port, stopped at the end) and
//!   closes every browser session it opened, whether the journey passed or panicked, so nothing
//!   is left running.
//! - [`Session`]: one browser (JavaScript on or off) with the checks every page gets:
//!   [`Session::check_page`] runs axe at both widths, saves both screenshots into
//!   `target/screenshots/` and fails on what must never show.

use lapor_tests::{free_addr, workspace_root};
use serde_json::{json, Value};
use std::future::Future;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The axe-core rule tags every page must pass: WCAG 2.0 and 2.1, levels A and AA.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// How long a page may take to load or a wait may last before the test fails.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// The paths of the tools, from the environment the test command exports.
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    pub(crate) chrome: PathBuf,
    pub(crate) chromedriver: PathBuf,
    pub(crate) axe_js: PathBuf,
    pub(crate) lighthouse: PathBuf,
}

fn is_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}

impl Tools {
    /// The tools, or `None` (the test skips) when one is not set outside CI. Under CI a missing
    /// one fails the test: the test command installs them there.
    pub(crate) fn from_env(test: &str) -> Option<Tools> {
        let read = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let names = [
            "LAPOR_CHROME",
            "LAPOR_CHROMEDRIVER",
            "LAPOR_AXE_JS",
            "LAPOR_LIGHTHOUSE",
        ];
        let missing: Vec<&str> = names.into_iter().filter(|n| read(n).is_none()).collect();
        if !missing.is_empty() {
            assert!(
                !is_ci(),
                "{test}: {missing:?} not set under CI: infra/scripts/test-all.sh installs and exports them"
            );
            eprintln!(
                "SKIPPED {test}: {missing:?} not set (infra/scripts/test-all.sh installs and exports them)"
            );
            return None;
        }
        let tools = Tools {
            chrome: read("LAPOR_CHROME").unwrap(),
            chromedriver: read("LAPOR_CHROMEDRIVER").unwrap(),
            axe_js: read("LAPOR_AXE_JS").unwrap(),
            lighthouse: read("LAPOR_LIGHTHOUSE").unwrap(),
        };
        for path in [
            &tools.chrome,
            &tools.chromedriver,
            &tools.axe_js,
            &tools.lighthouse,
        ] {
            assert!(path.exists(), "{test}: {} does not exist", path.display());
        }
        Some(tools)
    }
}

// ====================================================================== chromedriver and a walk

/// One chromedriver on a free port; killed when dropped.
struct Driver {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Driver {
    fn start(tools: &Tools, log: PathBuf) -> Driver {
        let addr = free_addr();
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={}", addr.port()))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", tools.chromedriver.display()));
        let mut driver = Driver { child, addr, log };
        let deadline = Instant::now() + PAGE_TIMEOUT;
        while TcpStream::connect(driver.addr).is_err() {
            if let Some(status) = driver.child.try_wait().unwrap() {
                panic!(
                    "chromedriver exited at start-up ({status}):\n{}",
                    std::fs::read_to_string(&driver.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not listening on {}",
                driver.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a journey gets: a way to open browser sessions. Every session it opens is closed by
/// [`walk`] at the end.
#[derive(Clone)]
pub(crate) struct Browser {
    tools: Tools,
    webdriver: String,
    opened: Arc<Mutex<Vec<fantoccini::Client>>>,
}

/// Runs `journey` against its own chromedriver, then closes every session it opened and stops
/// chromedriver (and so every chromium), also when the journey panicked; the panic is then
/// passed on.
pub(crate) async fn walk<F, Fut>(tools: &Tools, logs: &Path, journey: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let driver = Driver::start(tools, logs.join("chromedriver.log"));
    let browser = Browser {
        tools: tools.clone(),
        webdriver: format!("http://{}", driver.addr),
        opened: Arc::default(),
    };
    let outcome = tokio::spawn(journey(browser.clone())).await;
    let sessions: Vec<fantoccini::Client> = std::mem::take(&mut *browser.opened.lock().unwrap());
    for session in sessions {
        let _ = tokio::time::timeout(Duration::from_secs(10), session.close()).await;
    }
    drop(driver);
    if let Err(failure) = outcome {
        match failure.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(failure) => panic!("the journey did not finish: {failure}"),
        }
    }
}

/// Whether a session runs the pages' JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    On,
    Off,
}

/// The two widths every page is checked and photographed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    /// 360 x 800, a mobile viewport (a cheap Android phone).
    Phone,
    /// 1280 x 900, an office desktop.
    Desktop,
}

impl Width {
    fn name(self) -> &'static str {
        match self {
            Width::Phone => "phone",
            Width::Desktop => "desktop",
        }
    }

    fn metrics(self) -> Value {
        match self {
            Width::Phone => {
                json!({"width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": true})
            }
            Width::Desktop => {
                json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false})
            }
        }
    }
}

impl Browser {
    /// A fresh browser: a new profile, so no cookie of another session; JavaScript on or off;
    /// walking at `width`.
    pub(crate) async fn session(&self, base: SocketAddr, script: Script, width: Width) -> Session {
        let chrome = json!({
            "binary": self.tools.chrome,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-extensions",
                "--no-first-run",
                "--window-size=1280,900",
                "--lang=id-ID",
            ],
            "prefs": {"intl.accept_languages": "id-ID,id"},
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), chrome);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = fantoccini::ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.webdriver)
            .await
            .unwrap_or_else(|e| panic!("opening a chromium session: {e}"));
        self.opened.lock().unwrap().push(client.clone());
        let session = Session {
            client,
            base,
            axe_js: std::fs::read_to_string(&self.tools.axe_js)
                .unwrap_or_else(|e| panic!("reading {}: {e}", self.tools.axe_js.display())),
            script,
            width,
        };
        session.set_width(width).await;
        session.set_script(script).await;
        session
    }
}

// ======================================================================================= a session

/// One browser session on one runner.
pub(crate) struct Session {
    pub(crate) client: fantoccini::Client,
    base: SocketAddr,
    axe_js: String,
    script: Script,
    width: Width,
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`: the device metrics of
/// a phone (width, pixel ratio, mobile viewport), which window sizes alone do not give.
#[derive(Debug)]
struct DevTools {
    command: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.expect("a DevTools command needs a session");
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.command, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// What must never show on a page: each string, with why, searched in the page's HTML.
pub(crate) type Never<'a> = &'a [(&'a str, &'a str)];

impl Session {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.base)
    }

    pub(crate) async fn set_width(&self, width: Width) {
        self.client
            .issue_cmd(DevTools {
                command: "Emulation.setDeviceMetricsOverride",
                params: width.metrics(),
            })
            .await
            .unwrap_or_else(|e| panic!("emulating the {} width: {e}", width.name()));
    }

    /// JavaScript off is DevTools' `Emulation.setScriptExecutionDisabled`, which holds across
    /// the session's pages and, unlike the profile's content setting, can be lifted for the
    /// moment axe-core runs: the page keeps the document it got without its scripts.
    async fn set_script(&self, script: Script) {
        self.client
            .issue_cmd(DevTools {
                command: "Emulation.setScriptExecutionDisabled",
                params: json!({"value": script == Script::Off}),
            })
            .await
            .unwrap_or_else(|e| panic!("setting JavaScript {script:?}: {e}"));
    }

    pub(crate) async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    /// The path (and query) of the page the browser is on.
    pub(crate) async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The fragment of the current address (`#...`), where a private link keeps its key.
    pub(crate) async fn fragment(&self) -> Option<String> {
        let url = self.client.current_url().await.expect("current url");
        url.fragment().map(str::to_string)
    }

    pub(crate) async fn html(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// The page's visible text.
    pub(crate) async fn text(&self) -> String {
        self.find("body").await.text().await.expect("body text")
    }

    pub(crate) async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(fantoccini::Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!(
                "no element `{css}` on {} ({e}); the page:\n{}",
                self.path().await,
                self.html().await
            ),
        }
    }

    pub(crate) async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(fantoccini::Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    /// Types `text` into the field `css`, replacing what it held.
    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into `{css}`: {e}"));
    }

    /// Picks the option whose value is `value` in the list `css`.
    pub(crate) async fn choose(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choosing {value} in `{css}`: {e}"));
    }

    /// Clicks `css` and waits for the page it leads to: works with and without JavaScript.
    pub(crate) async fn click(&self, css: &str) {
        let before = self.find("html").await;
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
        // The old document's root goes stale once the next page has loaded.
        let deadline = Instant::now() + PAGE_TIMEOUT;
        while before.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "clicking `{css}` led to no new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(fantoccini::Locator::Css("body"))
            .await
            .expect("the next page's body");
    }

    /// Whether this session runs the pages' scripts.
    pub(crate) fn script(&self) -> Script {
        self.script
    }

    /// Waits until the element `css` shows `text` (what a script or a redirect brings); returns
    /// its text.
    pub(crate) async fn wait_for_text(&self, css: &str, text: &str) -> String {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            if let Ok(element) = self.client.find(fantoccini::Locator::Css(css)).await {
                if let Ok(shown) = element.text().await {
                    if shown.contains(text) {
                        return shown;
                    }
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "`{css}` on {} never showed {text:?}:\n{}",
                    self.path().await,
                    self.html().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `css` is on the page (for what JavaScript adds).
    pub(crate) async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for `{css}`: {e}"))
    }

    /// The checks of every page the walks visit: axe-core finds no WCAG 2.1 A/AA violation at
    /// the phone's and the desktop's width, a screenshot of each is saved as
    /// `target/screenshots/<name>-<width>.png`, and nothing in `never` is in the page's HTML.
    /// Returns the page's HTML.
    pub(crate) async fn check_page(&self, name: &str, never: Never<'_>) -> String {
        let html = self.html().await;
        let path = self.path().await;
        for (secret, why) in never {
            assert!(
                !html.contains(secret),
                "{name} ({path}) shows {why} ({secret:?}):\n{html}"
            );
        }
        let name = match self.script {
            Script::On => name.to_string(),
            Script::Off => format!("{name}-nojs"),
        };
        let dir = screenshot_dir();
        let mut problems = Vec::new();
        self.set_script(Script::On).await;
        for width in [Width::Phone, Width::Desktop] {
            self.set_width(width).await;
            problems.extend(
                self.axe()
                    .await
                    .into_iter()
                    .map(|v| format!("[{}] {v}", width.name())),
            );
            let png = self
                .client
                .screenshot()
                .await
                .unwrap_or_else(|e| panic!("screenshot of {name}: {e}"));
            // Journeys run in parallel and visit the same pages: write aside, then rename, so a
            // file is always one whole screenshot.
            let file = dir.join(format!("{name}-{}.png", width.name()));
            let part = dir.join(format!(
                ".{name}-{}.{}.part",
                width.name(),
                std::process::id()
            ));
            std::fs::write(&part, png).unwrap_or_else(|e| panic!("{}: {e}", part.display()));
            std::fs::rename(&part, &file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        }
        self.set_width(self.width).await;
        self.set_script(self.script).await;
        assert!(
            problems.is_empty(),
            "{name} ({path}, JavaScript {:?}): axe-core found {} WCAG 2.1 A/AA violation(s):\n{}",
            self.script,
            problems.len(),
            problems.join("\n")
        );
        html
    }

    /// axe-core's violations on the current page, one line each with the nodes it names.
    /// WebDriver's scripts run whether or not the page's own JavaScript is allowed, and the
    /// Content-Security-Policy does not apply to them.
    async fn axe(&self) -> Vec<String> {
        let present = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .expect("checking for axe");
        if present != json!(true) {
            self.client
                .execute(&self.axe_js, vec![])
                .await
                .unwrap_or_else(|e| panic!("injecting axe-core: {e}"));
        }
        let script = "const done = arguments[arguments.length - 1];\n\
             axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})\n\
               .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,\n\
                  nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), html: n.html,\n\
                  summary: n.failureSummary}))}))))\n\
               .catch(e => done({error: String(e)}));";
        let violations = self
            .client
            .execute_async(script, vec![json!(AXE_TAGS)])
            .await
            .unwrap_or_else(|e| panic!("running axe-core: {e}"));
        if let Some(error) = violations.get("error") {
            panic!("axe-core failed: {error}");
        }
        violations
            .as_array()
            .expect("axe's violations")
            .iter()
            .map(|v| {
                let nodes: Vec<String> = v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| {
                        format!(
                            "    at {} : {}\n      {}",
                            n["target"].as_str().unwrap_or(""),
                            n["html"].as_str().unwrap_or(""),
                            n["summary"]
                                .as_str()
                                .unwrap_or("")
                                .replace('\n', "\n      ")
                        )
                    })
                    .collect();
                format!(
                    "{} ({}): {}\n{}",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or(""),
                    nodes.join("\n")
                )
            })
            .collect()
    }
}

/// `target/screenshots/`, created on first use.
pub(crate) fn screenshot_dir() -> PathBuf {
    let dir = workspace_root().join("target").join("screenshots");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}
