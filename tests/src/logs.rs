//! Capturing every log line the test process writes, to check that none carries personal data.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// Everything logged so far, as bytes.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

impl Capture {
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What was logged from byte `start` on.
    pub fn text_from(&self, start: usize) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()[start..]).into_owned()
    }
}

/// One process-wide subscriber at TRACE for every target (under the functions' `log_cap`), in
/// the local text format and Lambda's JSON format, installed before anything logs, so the
/// threads of the SQLite writer, the blocking pool and the SDK are captured too. Every
/// integration test shares one process: call this first in every test that checks logs (the
/// first call installs it; lines logged from then on, by any test, are kept).
pub fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let text = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_writer(capture.clone());
        let lambda_json = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(capture.clone());
        let subscriber = tracing_subscriber::registry()
            .with(lapor::lambda::log_cap())
            .with(text)
            .with(lambda_json);
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        capture
    })
}
