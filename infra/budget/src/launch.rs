//! A function process as Lambda runs it: Lambda's environment, a fresh Runtime API emulator,
//! logs to a file; its cold start and its invocations, timed.

use crate::fake_aws::FakeAws;
use crate::runtime_api::{Emulator, Outcome};
use crate::settings::{ACCOUNT, PREFIX, REGION};
use crate::subject::Subject;
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// What Lambda sets for a `provided.al2023` function (see "Defined runtime environment
/// variables" in the Lambda developer guide), then the subject's own, then `--env`.
fn process_env(
    subject: &Subject,
    runtime_api: &str,
    aws: &FakeAws,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let name = format!("{PREFIX}-{}", subject.binary);
    let fixed = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            subject.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/12/[$LATEST]00000000000000000000000000000000".into(),
        ),
        // template.yaml: LoggingConfig LogFormat JSON, ApplicationLogLevel INFO.
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_DEFAULT_REGION", REGION.into()),
        // Lambda hands credentials in the environment; these are never sent anywhere but the
        // loopback endpoint below.
        ("AWS_ACCESS_KEY_ID", "budget".into()),
        ("AWS_SECRET_ACCESS_KEY", "budget".into()),
        ("AWS_SESSION_TOKEN", "budget".into()),
        ("AWS_ENDPOINT_URL_DYNAMODB", aws.url()),
        ("AWS_ENDPOINT_URL_SQS", aws.url()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", aws.url()),
        ("_HANDLER", "bootstrap".into()),
        ("LAMBDA_TASK_ROOT", "/var/task".into()),
        ("TZ", ":UTC".into()),
        ("LANG", "en_US.UTF-8".into()),
    ];
    fixed
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(subject.env.iter().cloned())
        .chain(extra.iter().cloned())
        .collect()
}

/// A function process, ready for events.
pub struct Run {
    pub child: Child,
    emulator: Emulator,
    log: PathBuf,
}

impl Run {
    /// Spawns the function and waits for its first `next`; returns the process and its init
    /// time.
    pub async fn cold_start(
        subject: &Subject,
        binary: &Path,
        aws: &FakeAws,
        extra_env: &[(String, String)],
        log: PathBuf,
    ) -> Result<(Run, Duration)> {
        let arn = format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-{}",
            subject.binary
        );
        let mut emulator = Emulator::start(arn, subject.timeout)
            .await
            .context("runtime API emulator")?;
        let out = std::fs::File::create(&log).with_context(|| log.display().to_string())?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(process_env(
                subject,
                &emulator.addr.to_string(),
                aws,
                extra_env,
            ))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| binary.display().to_string())?;
        let ready = tokio::select! {
            ready = emulator.ready() => ready,
            status = child.wait() => Err(anyhow!("exited during init ({})", exit(status))),
            _ = tokio::time::sleep(Duration::from_secs(30)) => Err(anyhow!("no `next` request within 30 s")),
        };
        match ready {
            Ok(at) => Ok((
                Run {
                    child,
                    emulator,
                    log,
                },
                at - started,
            )),
            Err(e) => {
                let _ = child.kill().await;
                bail!(
                    "{}: {e:#}; last lines of {}:\n{}",
                    subject.name,
                    log.display(),
                    tail(&log, 20)
                )
            }
        }
    }

    /// One invocation; checks the answer is the expected success.
    pub async fn invoke(&mut self, subject: &Subject, event: Bytes) -> Result<(Duration, Value)> {
        let name = &subject.name;
        let completed = tokio::select! {
            completed = self.emulator.invoke(event) => completed?,
            status = self.child.wait() => bail!(
                "{name}: exited during an invocation ({}); last lines of {}:\n{}",
                exit(status), self.log.display(), tail(&self.log, 20)
            ),
            _ = tokio::time::sleep(subject.timeout) => bail!("{name}: no answer within its timeout"),
        };
        let body = match completed.outcome {
            Outcome::Response(body) => body,
            Outcome::Error(body) => {
                bail!(
                    "{name}: invocation error: {}",
                    String::from_utf8_lossy(&body)
                )
            }
        };
        let answer: Value =
            serde_json::from_slice(&body).with_context(|| format!("{name}: answer is not JSON"))?;
        if let Err(e) = (subject.expect)(&answer) {
            let log = self.log.display();
            bail!(
                "{name}: {e:#}; last lines of {log}:\n{}",
                tail(&self.log, 10)
            );
        }
        Ok((completed.latency, answer))
    }

    /// VmHWM (peak resident set) of the live process, in kB.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
        line.trim().trim_end_matches("kB").trim().parse().ok()
    }

    pub async fn stop(mut self) {
        // Lambda freezes and later kills an environment; nothing graceful to wait for.
        let _ = self.child.kill().await;
    }
}

fn exit(status: std::io::Result<std::process::ExitStatus>) -> String {
    status.map(|s| s.to_string()).unwrap_or_default()
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
