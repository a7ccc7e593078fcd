//! The floor for `bench`: the same store write and queue send a submission makes, without HTTP,
//! validation or our handlers. Embedded: the SQLite adapter in a temporary dir. AWS: PutItem and
//! SendMessage straight through the SDK on tables and queues created from the template.

use crate::backend::Backend;
use anyhow::Result;
use lapor::adapters::aws::dynamodb::report_item;
use lapor::adapters::aws::provision::provision;
use lapor::adapters::aws::{dynamodb_client, load_config, sqs_client};
use lapor::adapters::embedded::EmbeddedStore;
use lapor::domain::submission::NewReport;
use lapor::domain::{Channel, Location, Report, ReportKind};
use lapor::ports::{QueueName, ReportStore};
use lapor::template::Template;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn sample(i: usize) -> Report {
    let now = chrono::Utc::now();
    let mut report = Report::received(
        NewReport {
            kind: ReportKind::Complaint,
            title: format!("Lampu jalan mati nomor {i}"),
            body: format!("Lampu penerangan jalan di gang {i} sudah mati dua minggu, warga takut lewat malam hari."),
            category: None,
            location: Location {
                region_code: Some("32.73".into()),
                ..Default::default()
            },
            incident_date: None,
            target_agency: None,
            channel: Channel::Web,
            reporter: Default::default(),
            anonymous: false,
            confidential: false,
        },
        // A sealed contact of a realistic size.
        Some("v1.c2VhbGVkLWNvbnRhY3QtcGxhY2Vob2xkZXItb2YtdGhlLXNhbWUtc2l6ZQ".into()),
        "0".repeat(64),
        now,
    );
    report.due_at = Some(now);
    report
}

/// Runs `n` store+queue operation pairs with `concurrency` workers; returns pairs per second.
pub async fn run(backend: Backend, n: usize, concurrency: usize) -> Result<f64> {
    let next = Arc::new(AtomicUsize::new(0));
    match backend {
        Backend::Embedded => {
            let dir = std::env::temp_dir().join(format!("lapor-bare-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let store = Arc::new(EmbeddedStore::open(
                &dir.join("bare.db"),
                Template::builtin().queue_settings(),
            )?);
            let started = Instant::now();
            let mut workers = Vec::new();
            for _ in 0..concurrency {
                let (store, next) = (store.clone(), next.clone());
                workers.push(tokio::spawn(async move {
                    while next.fetch_add(1, Ordering::Relaxed) < n {
                        // The same single transaction intake makes: report plus outbox message.
                        let r = sample(0);
                        let message = lapor::ports::Message {
                            queue: QueueName::Intake,
                            body: format!("{{\"tracking_id\":\"{}\"}}", r.tracking_id),
                        };
                        store
                            .insert_and_publish(&r, None, std::slice::from_ref(&message))
                            .await
                            .expect("insert and publish");
                    }
                }));
            }
            for w in workers {
                w.await?;
            }
            let rate = n as f64 / started.elapsed().as_secs_f64();
            let _ = std::fs::remove_dir_all(&dir);
            Ok(rate)
        }
        Backend::Aws => {
            let aws = load_config().await;
            let (dynamodb, sqs) = (dynamodb_client(&aws), sqs_client(&aws));
            let template = Template::builtin();
            let prefix = format!("bare{}-", std::process::id());
            let made = provision(&template, &dynamodb, &sqs, &prefix).await?;
            let table = made.table("ReportsTable").to_string();
            let queue_url = made.queue(&template, QueueName::Intake).url;
            let started = Instant::now();
            let mut workers = Vec::new();
            for _ in 0..concurrency {
                let (dynamodb, sqs, next) = (dynamodb.clone(), sqs.clone(), next.clone());
                let (table, queue_url) = (table.clone(), queue_url.clone());
                workers.push(tokio::spawn(async move {
                    while next.fetch_add(1, Ordering::Relaxed) < n {
                        let r = sample(0);
                        dynamodb
                            .put_item()
                            .table_name(&table)
                            .set_item(Some(report_item(&r)))
                            .condition_expression("attribute_not_exists(tracking_id)")
                            .send()
                            .await
                            .expect("PutItem");
                        sqs.send_message()
                            .queue_url(&queue_url)
                            .message_body(format!("{{\"tracking_id\":\"{}\"}}", r.tracking_id))
                            .send()
                            .await
                            .expect("SendMessage");
                    }
                }));
            }
            for w in workers {
                w.await?;
            }
            Ok(n as f64 / started.elapsed().as_secs_f64())
        }
    }
}
