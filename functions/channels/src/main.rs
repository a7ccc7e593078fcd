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
    // The media senders attach: WhatsApp's through the Graph API with its token.
    let graph = std::env::var(lapor::outbound::env::META_GRAPH_URL)
        .unwrap_or_else(|_| lapor::outbound::env::META_GRAPH_URL_DEFAULT.into());
    let media =
        lapor::outbound::media::HttpMediaFetcher::new(graph, secrets.whatsapp_token.clone())?;
    let api = &ChannelsApi {
        app: wired.app()?,
        state: wired.channel_state.expect("the channels need their state"),
        settings,
        media: Some(std::sync::Arc::new(media)),
    };
    run(service_fn(move |req: Request| channels::handle(api, req))).await
}
