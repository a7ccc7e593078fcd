//! The notifier: SQS batches from the notification queue, each message one notice for a
//! reporter, sent on the channel the report came in on (`lapor::service::notifier`).
//!
//! A notice sent, already sent, without a contact, or given up on (on the dead-letter queue with
//! its reason) is done; one whose provider is unavailable is reported failed, so it comes back
//! after the queue's visibility timeout, until its last receive dead-letters it.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lapor::config::{configured, ConfigError};
use lapor::lambda::sqs::{process_batch, WholeBatchFailed};
use lapor::outbound::{env, RateLimiter};
use lapor::service::notifier::Notifier;

/// The notification queue's `maxReceiveCount`, which the template sets from the same value as
/// the queue's redrive policy: on that receive, a notice still failing is dead-lettered with its
/// reason, rather than moved there by the queue without one.
pub const MAX_ATTEMPTS: &str = "NOTIFICATION_MAX_ATTEMPTS";

/// Sends per second per provider and per notifier instance when `NOTIFY_RATES` is unset or
/// empty (the template's `NotifyRates` default).
pub const DEFAULT_RATES: &str = "sms=20,x=1,messenger=40,whatsapp=40,email=10";

/// The notifier as its cold start builds it: the providers whose credentials the channels'
/// secret holds (a channel whose settings are unset or `-` is absent), e-mail through SES when a
/// sender address is set, the rate limits, the attempts and the daily cap.
pub fn from_wired(
    wired: lapor::adapters::aws::wiring::Wired,
) -> Result<Notifier, lapor::adapters::aws::wiring::Error> {
    use lapor::outbound::ses::SesSender;
    use lapor::outbound::{senders_from_vars, Provider, RetryPolicy};
    use std::sync::Arc;
    let secrets = wired.channel_secrets.clone().unwrap_or_default();
    let setting = |name: &str| secrets.get(name).or_else(|| lapor::config::optional(name));
    let mut senders = senders_from_vars(setting)?;
    if let Some(from) = setting(env::SES_FROM_ADDRESS) {
        senders = senders.with(Provider::Email, Arc::new(SesSender::new(&wired.aws, from)));
    }
    if senders.is_empty() {
        tracing::warn!(
            "no channel configured: notices with an address go to the dead-letter queue"
        );
    }
    let notifier = Notifier {
        state: wired.channel_state.expect("the notifier needs its state"),
        // Only dead-letters (with the reason) go out.
        queue: wired
            .queues
            .expect("the notifier needs its dead-letter queue"),
        limiter: Arc::new(rate_limiter(std::env::var(env::NOTIFY_RATES).ok())?),
        retry: RetryPolicy::default(),
        pii: wired.pii.expect("the notifier needs the PII key"),
        clock: wired.clock,
        max_attempts: max_attempts(std::env::var(MAX_ATTEMPTS).ok())?,
        daily_cap: lapor::service::notifier::daily_cap(std::env::var(env::NOTIFY_DAILY_CAP).ok())?,
        senders,
    };
    tracing::info!(providers = ?notifier.senders.providers(), limiter = ?notifier.limiter,
        max_attempts = notifier.max_attempts, "notifier configured");
    Ok(notifier)
}

pub async fn handle(
    notifier: &Notifier,
    event: SqsEvent,
) -> Result<SqsBatchResponse, WholeBatchFailed> {
    process_batch(event, |message| async move {
        let body = message.body.as_deref().unwrap_or_default();
        notifier
            .deliver(body, receive_count(&message))
            .await
            .map(|_| ())
    })
    .await
}

/// The queue's `ApproximateReceiveCount` for the message (1 on the first receive). Without it
/// the message counts as a first receive: the notifier then never gives up on it by count, and
/// the queue's redrive policy remains the backstop.
pub fn receive_count(message: &SqsMessage) -> u32 {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

/// The per-provider limiter from `NOTIFY_RATES` (see [`RateLimiter::parse_rates`]), or from
/// [`DEFAULT_RATES`] when it is not configured.
pub fn rate_limiter(spec: Option<String>) -> Result<RateLimiter, ConfigError> {
    let spec = configured(spec).unwrap_or_else(|| DEFAULT_RATES.to_string());
    let rates = RateLimiter::parse_rates(&spec).map_err(|problem| ConfigError {
        name: env::NOTIFY_RATES,
        problem,
    })?;
    Ok(RateLimiter::new(rates))
}

/// [`MAX_ATTEMPTS`]: required, 1 to 1,000 (the range SQS allows for `maxReceiveCount`).
pub fn max_attempts(value: Option<String>) -> Result<u32, ConfigError> {
    let problem = |problem: &str| ConfigError {
        name: MAX_ATTEMPTS,
        problem: problem.to_string(),
    };
    let value = configured(value).ok_or_else(|| problem("is not set"))?;
    match value.parse::<u32>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(problem(
            "must be the queue's maxReceiveCount, a whole number from 1 to 1000",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapor::outbound::{senders_from_vars, Provider};

    #[test]
    fn unused_channels_are_not_configured() {
        for unset in [None, Some(""), Some("  "), Some("-"), Some(" - ")] {
            assert_eq!(configured(unset.map(String::from)), None, "{unset:?}");
        }
        assert_eq!(configured(Some(" k ".into())), Some("k".into()));
        // The deployment's secret says `-` for every channel it does not use: no sender, and
        // no "half configured" error for a key without its URL.
        let senders = senders_from_vars(|name| match name {
            env::SMS_API_KEY
            | env::X_ACCESS_TOKEN
            | env::MESSENGER_PAGE_TOKEN
            | env::WHATSAPP_TOKEN => configured(Some("-".into())),
            _ => configured(Some(String::new())),
        })
        .unwrap();
        assert!(senders.is_empty(), "{senders:?}");
    }

    #[test]
    fn rates_default_and_parse() {
        let default = rate_limiter(None).unwrap();
        for provider in Provider::ALL {
            assert!(default.limits(provider), "{provider}");
        }
        assert!(rate_limiter(Some(String::new()))
            .unwrap()
            .limits(Provider::X));
        let only_sms = rate_limiter(Some("sms=5".into())).unwrap();
        assert!(only_sms.limits(Provider::SmsGateway) && !only_sms.limits(Provider::X));
        assert_eq!(
            rate_limiter(Some("fax=1".into())).unwrap_err().name,
            env::NOTIFY_RATES
        );
    }

    #[test]
    fn max_attempts_is_the_queues_receive_count() {
        assert_eq!(max_attempts(Some("5".into())).unwrap(), 5);
        for bad in [None, Some(""), Some("0"), Some("1001"), Some("five")] {
            let e = max_attempts(bad.map(String::from)).unwrap_err();
            assert_eq!(e.name, MAX_ATTEMPTS, "{bad:?}");
        }
    }

    #[test]
    fn reads_the_receive_count() {
        let mut message = SqsMessage::default();
        assert_eq!(receive_count(&message), 1);
        message
            .attributes
            .insert("ApproximateReceiveCount".into(), "4".into());
        assert_eq!(receive_count(&message), 4);
        message
            .attributes
            .insert("ApproximateReceiveCount".into(), "four".into());
        assert_eq!(receive_count(&message), 1);
    }
}
