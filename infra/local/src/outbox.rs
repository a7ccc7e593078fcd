//! The channels, locally: the notifier records what it would send in an outbox instead of calling
//! SMS, X, Meta or SES (`lapor-local outbox` prints it), and the webhooks' secrets live in the
//! data dir (`lapor-local channel-secrets` prints them, for signing test requests).

use crate::backend::System;
use crate::StoreArgs;
use anyhow::{anyhow, bail, Context, Result};
use async_trait::async_trait;
use lapor::adapters::embedded::EmbeddedStore;
use lapor::outbound::{
    ChannelSender, OutboundMessage, Provider, RateLimiter, RetryPolicy, SendError, Senders, Sent,
};
use lapor::service::notifier::Notifier;
use lapor::service::webhooks::WebhookSettings;
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
        daily_cap: system.notice_daily_cap,
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
    /// The local X account's id (no secret): the X webhook acts only on events for it.
    #[serde(default = "local_x_account_id")]
    pub x_account_id: String,
}

/// The X account the local runner plays (the one the X fixtures are addressed to).
pub const LOCAL_X_ACCOUNT_ID: &str = "1346889436626259968";

fn local_x_account_id() -> String {
    LOCAL_X_ACCOUNT_ID.to_string()
}

impl LocalChannelSecrets {
    pub fn path(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("channel-secrets.json")
    }

    fn generate() -> LocalChannelSecrets {
        LocalChannelSecrets {
            sms_webhook_secret: lapor::crypto::random_secret(),
            x_consumer_secret: lapor::crypto::random_secret(),
            meta_app_secret: lapor::crypto::random_secret(),
            meta_verify_token: lapor::crypto::random_secret(),
            x_account_id: local_x_account_id(),
        }
    }

    /// The data dir's secrets, made on first use. Secrets a data dir kept from before the
    /// 32-byte minimum are replaced (the deployed function would refuse to start with them).
    pub fn load_or_create(data_dir: &Path) -> Result<LocalChannelSecrets> {
        let path = Self::path(data_dir);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let secrets: LocalChannelSecrets =
                serde_json::from_str(&text).with_context(|| path.display().to_string())?;
            if secrets.settings().is_ok() {
                return Ok(secrets);
            }
            eprintln!(
                "{}: secrets shorter than {} bytes, replaced with new ones",
                path.display(),
                lapor::service::webhooks::MIN_SECRET_BYTES
            );
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot replace {}", path.display()))?;
        }
        let secrets = LocalChannelSecrets::generate();
        crate::backend::create_private_dir(data_dir)?;
        crate::backend::write_private(
            &path,
            &serde_json::to_string_pretty(&secrets).expect("secrets serialise"),
        )?;
        Ok(secrets)
    }

    /// The webhooks' settings, checked as the deployed function checks its own.
    pub fn settings(&self) -> std::result::Result<WebhookSettings, lapor::config::ConfigError> {
        let secrets = lapor::config::ChannelSecrets {
            sms_webhook_secret: Some(self.sms_webhook_secret.clone()),
            x_consumer_secret: Some(self.x_consumer_secret.clone()),
            meta_app_secret: Some(self.meta_app_secret.clone()),
            meta_verify_token: Some(self.meta_verify_token.clone()),
            ..lapor::config::ChannelSecrets::default()
        };
        WebhookSettings::new(&secrets, Some(self.x_account_id.clone()))
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
    let signature = lapor::inbound::sms::sign(
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
        lapor::inbound::sms::TIMESTAMP_HEADER,
        now.timestamp().to_string(),
    )
    .header(lapor::inbound::sms::SIGNATURE_HEADER, signature)
    .body(Full::new(Bytes::from(body)))?;
    let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let response = client
        .request(request)
        .await
        .map_err(|e| anyhow!("{}: {e} (is `lapor-local` serving there?)", args.url))?;
    let status = response.status();
    let answer = response.into_body().collect().await?.to_bytes();
    println!("{status} {}", String::from_utf8_lossy(&answer));
    if status.is_success() {
        Ok(())
    } else {
        bail!("the webhook answered {status}")
    }
}
