//! Measuring one subject: its cold runs (init and first invocation each), then its warm
//! invocations in the last process, with the fake endpoint's calls and time beside them.

use crate::cli::Args;
use crate::fake_aws::FakeAws;
use crate::launch::Run;
use crate::subject::Subject;
use anyhow::{anyhow, Context, Result};
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Default, Serialize)]
pub struct Figures {
    pub name: String,
    pub binary: String,
    pub size_bytes: u64,
    pub init_ms: Vec<f64>,
    pub first_ms: Vec<f64>,
    pub warm_ms: Vec<f64>,
    /// Per warm invocation, the time the fake endpoint spent answering the function's calls:
    /// inside `warm_ms`, and not the function's own time.
    pub endpoint_ms: Vec<f64>,
    /// Per cold start, the fake endpoint's time answering the calls made during init.
    pub init_endpoint_ms: Vec<f64>,
    pub peak_rss_kb: u64,
    /// DynamoDB/SQS calls per cold start, before the first `next` (measured on the fake endpoint).
    pub init_calls: BTreeMap<String, f64>,
    /// DynamoDB/SQS calls per invocation.
    pub aws_calls: BTreeMap<String, f64>,
}

impl Figures {
    /// Adds another round's samples of the same subject. Calls are the same every round (the
    /// same sequence on a fresh endpoint).
    pub fn pool(&mut self, more: Figures) {
        self.init_ms.extend(more.init_ms);
        self.first_ms.extend(more.first_ms);
        self.warm_ms.extend(more.warm_ms);
        self.endpoint_ms.extend(more.endpoint_ms);
        self.init_endpoint_ms.extend(more.init_endpoint_ms);
        self.peak_rss_kb = self.peak_rss_kb.max(more.peak_rss_kb);
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile; NaN without samples.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Calls per operation, counted on the fake endpoint.
type Calls = BTreeMap<String, u64>;

/// What `after` counts beyond `before`, added to `total`.
fn add_calls(total: &mut Calls, after: &Calls, before: &Calls) {
    for (op, n) in after {
        let delta = n - before.get(op).copied().unwrap_or_default();
        if delta > 0 {
            *total.entry(op.clone()).or_default() += delta;
        }
    }
}

fn per(calls: Calls, n: usize) -> BTreeMap<String, f64> {
    let n = n.max(1) as f64;
    calls
        .into_iter()
        .map(|(op, c)| (op, c as f64 / n))
        .collect()
}

/// One subject, measured: its figures and every answer, in invocation order.
pub struct Measure<'a> {
    subject: &'a Subject,
    aws: &'a FakeAws,
    args: &'a Args,
    figures: Figures,
    answers: Vec<Value>,
    init_calls: Calls,
    invocation_calls: Calls,
    invocations: usize,
}

impl<'a> Measure<'a> {
    /// Measures `subject` (its binary in `bin_dir`, its logs in `log_dir`). An isolated
    /// subject leaves the endpoint as it found it.
    pub async fn run(
        subject: &'a Subject,
        aws: &'a FakeAws,
        args: &'a Args,
        bin_dir: &Path,
        log_dir: &Path,
    ) -> Result<(Figures, Vec<Value>)> {
        let mut measure = Measure {
            subject,
            aws,
            args,
            figures: Figures::default(),
            answers: Vec::new(),
            init_calls: Calls::new(),
            invocation_calls: Calls::new(),
            invocations: 0,
        };
        if subject.isolated {
            aws.snapshot();
        }
        let result = measure.all(bin_dir, log_dir).await;
        if subject.isolated {
            aws.restore();
        }
        let problems = aws.problems();
        result.map_err(|e| match problems.is_empty() {
            true => e,
            false => anyhow!("{e:#}\nthe fake AWS endpoint could not answer: {problems:#?}"),
        })?;
        let cold_runs = args.cold_runs();
        measure.figures.init_calls = per(measure.init_calls, cold_runs);
        measure.figures.aws_calls = per(measure.invocation_calls, cold_runs + args.warm);
        Ok((measure.figures, measure.answers))
    }

    async fn all(&mut self, bin_dir: &Path, log_dir: &Path) -> Result<()> {
        let subject = self.subject;
        let first_event = subject
            .events
            .get(0)
            .with_context(|| format!("{}: no event to invoke it with", subject.name))?;
        if let Some(dir) = &self.args.save_events {
            let path = dir.join(format!("{}.json", subject.name));
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&path, &first_event))
                .with_context(|| path.display().to_string())?;
        }
        let binary = bin_dir.join(&subject.binary);
        let size = std::fs::metadata(&binary).with_context(|| {
            format!(
                "{} (build it first, see infra/budget/README.md)",
                binary.display()
            )
        })?;
        self.figures.name = subject.name.clone();
        self.figures.binary = subject.binary.clone();
        self.figures.size_bytes = size.len();
        let cold_runs = self.args.cold_runs();
        for i in 0..cold_runs {
            let log = log_dir.join(format!("{}-{i}.log", subject.name));
            self.cold_run(&binary, log, i + 1 == cold_runs).await?;
        }
        Ok(())
    }

    /// A fresh process: its init and first invocation, then (the `last` one) the warm
    /// invocations.
    async fn cold_run(&mut self, binary: &Path, log: std::path::PathBuf, last: bool) -> Result<()> {
        let (subject, aws) = (self.subject, self.aws);
        let before = aws.calls();
        let busy = aws.busy();
        let (mut run, init) =
            Run::cold_start(subject, binary, aws, &self.args.extra_env, log).await?;
        self.figures.init_endpoint_ms.push(ms(aws.busy() - busy));
        self.figures.init_ms.push(ms(init));
        let ready = aws.calls();
        add_calls(&mut self.init_calls, &ready, &before);
        let event = self.next_event();
        let (first, answer) = run.invoke(subject, event).await?;
        self.figures.first_ms.push(ms(first));
        self.answers.push(answer);
        let warm = if last { self.args.warm } else { 0 };
        for _ in 0..warm {
            let event = self.next_event();
            let busy = aws.busy();
            let (latency, answer) = run.invoke(subject, event).await?;
            self.figures.endpoint_ms.push(ms(aws.busy() - busy));
            self.figures.warm_ms.push(ms(latency));
            self.answers.push(answer);
        }
        let rss = run.peak_rss_kb().unwrap_or_default();
        self.figures.peak_rss_kb = self.figures.peak_rss_kb.max(rss);
        run.stop().await;
        add_calls(&mut self.invocation_calls, &aws.calls(), &ready);
        Ok(())
    }

    /// The next invocation's event; an isolated subject's start is put back first (outside the
    /// measured time).
    fn next_event(&mut self) -> Bytes {
        let event = self.subject.events.get(self.invocations);
        self.invocations += 1;
        if self.subject.isolated {
            self.aws.restore();
        }
        event.expect("a subject with events has one for every invocation")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50.0), 100.0);
        assert_eq!(percentile(&samples, 99.0), 198.0);
        assert_eq!(percentile(&samples, 0.0), 1.0);
        assert_eq!(percentile(&samples, 100.0), 200.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn calls_are_counted_per_invocation() {
        let calls = |pairs: &[(&str, u64)]| -> Calls {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let mut total = Calls::new();
        add_calls(
            &mut total,
            &calls(&[("Get", 3), ("Put", 1)]),
            &calls(&[("Get", 1), ("Put", 1)]),
        );
        add_calls(&mut total, &calls(&[("Get", 5)]), &calls(&[("Get", 3)]));
        assert_eq!(total, calls(&[("Get", 4)]));
        assert_eq!(per(total, 2)["Get"], 2.0);
    }
}
