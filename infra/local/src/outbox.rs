//! The channels, locally: the notifier records what it would send in an outbox instead of calling
//! SMS, X, Meta or SES (`lapor-local outbox` prints it), and the webhooks' secrets live in the
//! data dir (`lapor-local channel-secrets` prints them, for signing test requests).

use crate::backend::anyhow_like::Result;
use crate::backend::System;
use crate::StoreArgs;
use async_trait::async_trait;
use lapor::adapters::embedded::EmbeddedStore;
use lapor::notify::{
    ChannelSender, OutboundMessage, Provider, RateLimiter, RetryPolicy, SendError, Senders, Sent,
};
use lapor::service::notifier::Notifier;
use lapor::service::webhooks::WebhookSecrets;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Every provider at once: a message is recorded in the local outbox, never sent.
pub struct OutboxSender(pub EmbeddedStore);

#[async_trait]
impl ChannelSender for OutboxSender {
    async fn send(&self, message: &OutboundMessage) -> std::result::Result<Sent, SendError> {
        let seq = self
            .0
            .record_outbound(
                &message.notification_id,
                message.to.provider().as_str(),
                message.to.value(),
                &message.text,
            )
            .await
            .map_err(|e| SendError::transient(format!("outbox: {e}")))?;
        Ok(Sent {
            provider_message_id: Some(format!("outbox-{seq}")),
        })
    }
}

/// The notifier the local runner runs: the real one, with the outbox as every provider.
pub fn local_notifier(system: &System) -> Notifier {
    let outbox: Arc<dyn ChannelSender> = Arc::new(OutboxSender(system.outbox.clone()));
    let senders = Provider::ALL
        .into_iter()
        .fold(Senders::new(), |senders, p| senders.with(p, outbox.clone()));
    Notifier {
        state: system.channel_state.clone(),
        queue: system.app.queue.clone(),
        senders,
        limiter: Arc::new(RateLimiter::unlimited()),
        retry: RetryPolicy::default(),
        pii: system.app.pii.clone(),
        clock: system.app.clock.clone(),
        max_attempts: system.notification_settings.max_receive_count,
    }
}

/// The webhooks' secrets, kept in the data dir (created on first start, owner-only): the local
/// runner checks signatures exactly as the deployed function does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalChannelSecrets {
    pub sms_webhook_secret: String,
    pub x_consumer_secret: String,
    pub meta_app_secret: String,
    pub meta_verify_token: String,
}

impl LocalChannelSecrets {
    pub fn path(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("channel-secrets.json")
    }

    pub fn load_or_create(data_dir: &Path) -> Result<LocalChannelSecrets> {
        let path = Self::path(data_dir);
        if !path.exists() {
            let random = || {
                lapor::crypto::b64url(
                    lapor::crypto::Sealer::generate_key_base64()
                        .as_bytes()
                        .get(..24)
                        .unwrap_or_default(),
                )
            };
            let secrets = LocalChannelSecrets {
                sms_webhook_secret: random(),
                x_consumer_secret: random(),
                meta_app_secret: random(),
                meta_verify_token: random(),
            };
            std::fs::create_dir_all(data_dir)
                .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
            crate::backend::write_private(
                &path,
                &serde_json::to_string_pretty(&secrets).expect("secrets serialise"),
            )?;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()).into())
    }

    pub fn webhook_secrets(&self) -> WebhookSecrets {
        WebhookSecrets {
            sms: Some(self.sms_webhook_secret.clone().into_bytes()),
            x_consumer: Some(self.x_consumer_secret.clone().into_bytes()),
            meta_app: Some(self.meta_app_secret.clone().into_bytes()),
            meta_verify_token: Some(self.meta_verify_token.clone()),
        }
    }
}

#[derive(clap::Args)]
pub struct OutboxArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only messages recorded after this sequence number.
    #[arg(long, default_value_t = 0)]
    after: i64,
    /// At most this many messages.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

/// `lapor-local outbox`: the messages the local notifier recorded, oldest first.
pub async fn print_outbox(args: OutboxArgs) -> Result<()> {
    let system = crate::commands::open(&args.store).await?;
    let entries = system.outbox.outbox(args.after, args.limit).await?;
    for entry in &entries {
        if args.json {
            println!(
                "{}",
                serde_json::to_string(entry).expect("an entry serialises")
            );
        } else {
            println!(
                "{:>5}  {}  {:<9} {:<16} {}",
                entry.seq,
                entry.recorded_at.format("%Y-%m-%d %H:%M:%S"),
                entry.provider,
                entry.address,
                entry.text
            );
        }
    }
    if entries.is_empty() && !args.json {
        println!("(the outbox is empty)");
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct ChannelSecretsArgs {
    /// The data dir `serve` runs on.
    #[arg(long, default_value = "./.lapor", env = "LAPOR_DATA_DIR")]
    data_dir: std::path::PathBuf,
}

/// `lapor-local channel-secrets`: the secrets the local webhooks check, as JSON.
pub fn print_channel_secrets(args: &ChannelSecretsArgs) -> Result<()> {
    let secrets = LocalChannelSecrets::load_or_create(&args.data_dir)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&secrets).expect("secrets serialise")
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct SendSmsArgs {
    /// The sender's number, as a phone shows it (0812..., +62 812...).
    #[arg(long)]
    from: String,
    /// The message, e.g. "LAPOR Jalan rusak di depan pasar Cibeureum, Kota Bandung" or "CEK ABCDE-FGHJK".
    text: String,
    /// The running local runner.
    #[arg(long, default_value = "http://127.0.0.1:3000", env = "LAPOR_URL")]
    url: String,
    /// The data dir `serve` runs on (its SMS webhook secret signs the request).
    #[arg(long, default_value = "./.lapor", env = "LAPOR_DATA_DIR")]
    data_dir: std::path::PathBuf,
}

/// `lapor-local send-sms`: posts an SMS to the running runner the way the gateway does (signed
/// with the data dir's secret), and prints the webhook's answer. The reply the reporter gets
/// appears in `lapor-local outbox`.
pub async fn send_sms(args: SendSmsArgs) -> Result<()> {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    let secrets = LocalChannelSecrets::load_or_create(&args.data_dir)?;
    let now = chrono::Utc::now();
    let body = serde_json::json!({
        "from": args.from,
        "text": args.text,
        "message_id": format!("local-{}", now.timestamp_nanos_opt().unwrap_or_default()),
        "timestamp": now.to_rfc3339(),
    })
    .to_string();
    let signature = lapor::channels::sms::sign(
        secrets.sms_webhook_secret.as_bytes(),
        now.timestamp(),
        body.as_bytes(),
    );
    let request = hyper::Request::post(format!(
        "{}/v1/channels/sms",
        args.url.trim_end_matches('/')
    ))
    .header("content-type", "application/json")
    .header(
        lapor::channels::sms::TIMESTAMP_HEADER,
        now.timestamp().to_string(),
    )
    .header(lapor::channels::sms::SIGNATURE_HEADER, signature)
    .body(Full::new(Bytes::from(body)))
    .map_err(|e| e.to_string())?;
    let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("{}: {e} (is `lapor-local` serving there?)", args.url))?;
    let status = response.status();
    let answer = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    println!("{status} {}", String::from_utf8_lossy(&answer));
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {status}").into())
    }
}
