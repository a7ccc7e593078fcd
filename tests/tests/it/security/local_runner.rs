//! The local runner as a newcomer runs it: its data (reporters' contacts, the PII key, the
//! signing keys) readable by no other user, and no slow client able to hold its connections.

use crate::local_runner::{exchange, Runner};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_data_dir_and_every_file_in_it_are_the_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let runner = Runner::start(&data, dir.path().join("serve.log"));
    // A report, so the database and its WAL hold personal data.
    let sent = exchange(
        runner.addr,
        "POST",
        "/v1/reports",
        &[],
        Some(&lapor_tests::sample_report().to_string()),
    )
    .unwrap();
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(mode(&data), 0o700, "the data dir");
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    for file in [
        "lapor.db",
        "lapor.db-wal",
        "pii.key",
        "channel-secrets.json",
    ] {
        assert!(data.join(file).exists(), "{file} was not made");
    }
    runner.stop();

    // A data dir made before the rule (0755, database 0644) is narrowed at the next start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in ["lapor.db", "lapor.db-wal", "lapor.db-shm"] {
        if data.join(file).exists() {
            std::fs::set_permissions(data.join(file), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
    }
    let runner = Runner::start(&data, dir.path().join("again.log"));
    assert_eq!(mode(&data), 0o700);
    for file in ["lapor.db", "lapor.db-wal", "lapor.db-shm"] {
        let path = data.join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
    assert_eq!(mode(&data.join("lapor.db")), 0o600);
    runner.stop();
}

#[test]
fn webhook_secrets_kept_from_before_the_32_byte_rule_are_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let old = r#"{"sms_webhook_secret":"c2hvcnQtc2VjcmV0","x_consumer_secret":"c2hvcnQ",
                  "meta_app_secret":"c2hvcnQ","meta_verify_token":"c2hvcnQ"}"#;
    std::fs::write(data.join("channel-secrets.json"), old).unwrap();
    let runner = Runner::start(&data, dir.path().join("serve.log"));
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("channel-secrets.json")).unwrap())
            .unwrap();
    for name in [
        "sms_webhook_secret",
        "x_consumer_secret",
        "meta_app_secret",
        "meta_verify_token",
    ] {
        assert!(kept[name].as_str().unwrap().len() >= 43, "{name}: {kept}");
    }
    assert_eq!(mode(&data.join("channel-secrets.json")), 0o600);
    runner.stop();
}

/// Sends `head_lines` one every `gap`, and says when the server closed the connection.
fn closed_after(addr: std::net::SocketAddr, first: &str, gap: Duration, lines: usize) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    stream.write_all(first.as_bytes()).unwrap();
    let mut buf = [0u8; 4096];
    for i in 0..lines {
        let deadline = Instant::now() + gap;
        while Instant::now() < deadline {
            match stream.read(&mut buf) {
                Ok(0) => return started.elapsed(),
                Ok(_) => {} // a 408 answer, before the close
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return started.elapsed(),
            }
        }
        if stream
            .write_all(format!("X-Slow-{i}: a\r\n").as_bytes())
            .is_err()
        {
            return started.elapsed();
        }
    }
    panic!(
        "the connection was still open after {:.1?}",
        started.elapsed()
    );
}

#[test]
fn a_client_trickling_headers_or_a_body_cannot_hold_a_connection() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Short limits, so the test proves the mechanism in seconds; the defaults are 10 s and 30 s.
    let runner = Runner::start_with(
        &data,
        dir.path().join("serve.log"),
        &["--header-read-timeout", "1", "--body-read-timeout", "2"],
    );
    // A header line every 300 ms would keep a connection without a limit open forever.
    let closed = closed_after(
        runner.addr,
        "GET /v1/reports HTTP/1.1\r\nHost: x\r\n",
        Duration::from_millis(300),
        40,
    );
    eprintln!("trickled headers: closed after {closed:.1?}");
    assert!(closed < Duration::from_secs(5), "closed after {closed:.1?}");

    // Headers complete, then a body that never finishes: 408, and the connection closes.
    let mut stream = TcpStream::connect(runner.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    stream
        .write_all(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"kind\":")
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    eprintln!("slow body: 408 after {:.1?}", started.elapsed());
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:.1?}",
        started.elapsed()
    );

    // The runner still serves everyone else.
    let ok = exchange(runner.addr, "GET", "/v1/reports", &[], None).unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text);
    runner.stop();
}
