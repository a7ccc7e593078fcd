//! The web in a real browser: Debian's chromium, headless, driven through chromedriver, against
//! the real `lapor-local serve` (the binary the tests build, `crate::runner_binary`) on an
//! embedded store.
//!
//! Each test walks one journey with one runner and one chromedriver (more browser sessions when
//! the journey needs a fresh browser: another device, JavaScript off, another officer). On every
//! page it visits, [`harness::Session::check_page`] runs axe-core (WCAG 2.1 A and AA: 0
//! violations) at a phone's width (360 x 800, mobile) and a desktop's (1280 x 900), saves both
//! screenshots into `target/screenshots/` (`infra/scripts/screenshots.sh` copies them into
//! `docs/screenshots/`), and fails when the page shows what it must never show.
//!
//! The tools come from the environment `infra/scripts/test-all.sh` exports (`LAPOR_CHROME`,
//! `LAPOR_CHROMEDRIVER`, `LAPOR_AXE_JS`, `LAPOR_LIGHTHOUSE`); without them the tests skip
//! themselves, except under `CI=true`, where they fail.

mod citizen;
mod harness;
mod lighthouse;
mod officer;
mod pages;

use crate::local_runner::Runner;
use harness::Tools;
use tempfile::TempDir;

/// One test's runner, on its own data directory, with the tools.
pub(crate) struct Stage {
    pub(crate) runner: Runner,
    pub(crate) tools: Tools,
    /// The runner's data and the logs (the runner's, chromedriver's, lighthouse's reports).
    pub(crate) dir: TempDir,
}

impl Stage {
    /// `None` when the browser tools are not there outside CI (the test skips).
    pub(crate) fn start(test: &str) -> Option<Stage> {
        let tools = Tools::from_env(test)?;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let runner = Runner::start(&data, dir.path().join("lapor-local.log"));
        Some(Stage { runner, tools, dir })
    }
}
