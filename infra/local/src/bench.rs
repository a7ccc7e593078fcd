//! `lapor-local bench`: a load command, not a test. Submits N reports over HTTP with C concurrent
//! clients, waits until every one is routed, and prints reports/s, intake latency, time to routed
//! (from the reports' own timelines) and how many were lost. `--bare` also measures the store and
//! queue calls alone (PutItem + SendMessage through the SDK, or the embedded adapter), so the
//! overhead of our code shows as a ratio.

use anyhow::{bail, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Base URL of a running system.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// Reports to submit.
    #[arg(long, default_value_t = 10_000)]
    reports: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Give up waiting for routing after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Also measure the bare store+queue calls: `embedded` (SQLite adapter in a temp dir) or
    /// `aws` (PutItem + SendMessage through the SDK on tables created from the template).
    #[arg(long, value_enum)]
    bare: Option<crate::backend::Backend>,
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn sample_report(i: usize) -> String {
    const REGIONS: [&str; 6] = ["32.73", "35.78", "12.71", "73.71", "51.71", "91.71"];
    serde_json::json!({
        "kind": "complaint",
        "title": format!("Lampu jalan mati nomor {i}"),
        "body": format!("Lampu penerangan jalan di gang {i} sudah mati dua minggu, warga takut lewat malam hari."),
        "region_code": REGIONS[i % REGIONS.len()],
        "reporter": {"name": "Peserta Uji", "phone": "081234567890"},
    })
    .to_string()
}

async fn request(
    client: &HttpClient,
    method: hyper::Method,
    url: &str,
    body: Option<String>,
) -> Result<(u16, Bytes)> {
    let mut builder = hyper::Request::builder().method(method).uri(url);
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    let req = builder.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
    let resp = client.request(req).await?;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok((status, bytes))
}

pub async fn run(args: BenchArgs) -> Result<()> {
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.concurrency)
        .build_http();
    let client = Arc::new(client);
    println!(
        "bench: {} reports, {} concurrent clients, against {}",
        args.reports, args.concurrency, args.url
    );

    // Submit.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, next, url) = (
            client.clone(),
            next.clone(),
            format!("{}/v1/reports", args.url),
        );
        let total = args.reports;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut ids = Vec::new();
            let mut failures = 0usize;
            let mut errors: std::collections::BTreeMap<String, usize> = Default::default();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                match request(&client, hyper::Method::POST, &url, Some(sample_report(i))).await {
                    Ok((201, body)) => {
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                        let v: serde_json::Value =
                            serde_json::from_slice(&body).unwrap_or_default();
                        ids.push(v["tracking_id"].as_str().unwrap_or_default().to_string());
                    }
                    Ok((status, body)) => {
                        failures += 1;
                        *errors
                            .entry(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))
                            .or_insert(0) += 1;
                    }
                    Err(e) => {
                        failures += 1;
                        *errors.entry(e.to_string()).or_insert(0) += 1;
                    }
                }
            }
            (latencies, ids, failures, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut ids = Vec::new();
    let mut failures = 0;
    let mut errors: std::collections::BTreeMap<String, usize> = Default::default();
    for w in workers {
        let (l, i, f, e) = w.await?;
        latencies.extend(l);
        ids.extend(i);
        failures += f;
        for (k, n) in e {
            *errors.entry(k).or_insert(0) += n;
        }
    }
    for (error, n) in &errors {
        println!("failed submissions: {n} x {error}");
    }
    let submit_secs = started.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));

    // Wait until every accepted report left `received`, reading the routing time from timelines.
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let mut pending: Vec<String> = ids.clone();
    let mut to_routed = Vec::new();
    let mut lost = 0usize;
    while !pending.is_empty() && Instant::now() < deadline {
        let chunks: Vec<Vec<String>> = pending
            .chunks(pending.len().div_ceil(args.concurrency))
            .map(|c| c.to_vec())
            .collect();
        let mut checks = Vec::new();
        for chunk in chunks {
            let (client, base) = (client.clone(), args.url.clone());
            checks.push(tokio::spawn(async move {
                let mut still = Vec::new();
                let mut routed = Vec::new();
                let mut missing = 0;
                for id in chunk {
                    match request(
                        &client,
                        hyper::Method::GET,
                        &format!("{base}/v1/reports/{id}"),
                        None,
                    )
                    .await
                    {
                        Ok((200, body)) => {
                            let v: serde_json::Value =
                                serde_json::from_slice(&body).unwrap_or_default();
                            if v["status"] == "received" {
                                still.push(id);
                            } else {
                                routed.push(routing_ms(&v));
                            }
                        }
                        Ok((404, _)) => missing += 1,
                        _ => still.push(id),
                    }
                }
                (still, routed, missing)
            }));
        }
        pending.clear();
        for c in checks {
            let (still, routed, missing) = c.await?;
            pending.extend(still);
            to_routed.extend(routed.into_iter().flatten());
            lost += missing;
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let all_routed_secs = started.elapsed().as_secs_f64();
    let unrouted = pending.len();
    to_routed.sort_by(|a, b| a.total_cmp(b));

    println!(
        "accepted:          {} (rejected or failed: {failures})",
        ids.len()
    );
    println!(
        "intake rate:       {:.0} reports/s",
        ids.len() as f64 / submit_secs
    );
    println!(
        "intake latency:    p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "time to routed:    p50 {:.1} ms, p99 {:.1} ms (submitted -> routed, from the timelines)",
        percentile(&to_routed, 0.50),
        percentile(&to_routed, 0.99)
    );
    if unrouted == 0 {
        println!("all routed after:  {all_routed_secs:.2} s");
    } else {
        println!("not yet routed:    {unrouted} after {all_routed_secs:.2} s (--timeout)");
    }
    println!("lost:              {lost} (accepted, then not found)");

    if let Some(bare) = args.bare {
        let rate = crate::bench_bare::run(bare, args.reports, args.concurrency).await?;
        println!(
            "bare store+queue:  {rate:.0} ops/s ({:?}); HTTP intake reaches {:.0}% of it",
            bare,
            100.0 * (ids.len() as f64 / submit_secs) / rate
        );
    }
    if lost > 0 {
        bail!("{lost} accepted reports were lost");
    }
    if unrouted > 0 {
        bail!("{unrouted} accepted reports were not routed within the timeout");
    }
    Ok(())
}

fn routing_ms(view: &serde_json::Value) -> Option<f64> {
    let timeline = view["timeline"].as_array()?;
    let at = |action: &str| {
        timeline
            .iter()
            .find(|e| e["action"] == action)
            .and_then(|e| e["at"].as_str())
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    };
    let submitted = at("submitted")?;
    let routed = at("routed").or_else(|| at("sent_to_triage"))?;
    Some((routed - submitted).num_microseconds()? as f64 / 1000.0)
}
