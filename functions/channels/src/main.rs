use channels::ChannelsApi;
use lambda_http::{run, service_fn, Error, Request};
use lapor::adapters::aws::wiring::wire;
use lapor::config::{env, needs};
use lapor::service::webhooks::WebhookSettings;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let wired = wire("channels", &needs::CHANNELS).await?;
    let secrets = wired.channel_secrets.clone().unwrap_or_default();
    let settings = WebhookSettings::new(&secrets, std::env::var(env::X_ACCOUNT_ID).ok())?;
    tracing::info!(
        sms = settings.sms.is_some(),
        x = settings.x_consumer.is_some(),
        meta = settings.meta_app.is_some(),
        "channels enabled"
    );
    let api = &ChannelsApi {
        app: wired.app()?,
        state: wired.channel_state.expect("the channels need their state"),
        settings,
    };
    run(service_fn(move |req: Request| channels::handle(api, req))).await
}
