//! Retrying a send that failed for a reason that may pass: exponential backoff with full jitter
//! (a random wait between zero and the exponential ceiling, so a burst of failures does not
//! come back as a burst), or the provider's own `Retry-After` when it gave one.
//!
//! Time budget: a send takes at most the adapter's request timeout (10 s for the HTTP ones), so
//! with the default policy one message can take up to 3 × 10 s + 2 × 5 s. The notifier's Lambda
//! timeout and its queue's visibility timeout must cover that for a batch.

use super::{ChannelSender, OutboundMessage, RateLimiter, SendError, Sent};
use rand::Rng;
use std::time::Duration;

/// Exponential backoff with full jitter, honouring `retry_after` (capped at `max_delay`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (0 counts as 1).
    pub attempts: u32,
    /// The ceiling of the first wait; it doubles with each retry.
    pub base_delay: Duration,
    /// No wait is longer, whatever the ceiling or the provider's `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The longest wait before retry number `retry` (1 for the first retry): `base_delay ×
    /// 2^(retry-1)`, at most `max_delay`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay)
    }

    /// The wait before retry number `retry`, for a random `unit` in `[0, 1)`: the provider's
    /// `retry_after` if it gave one (at most `max_delay`), else `unit × ceiling(retry)`.
    pub fn delay_with(&self, retry: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.max_delay),
            None => self.ceiling(retry).mul_f64(unit.clamp(0.0, 1.0)),
        }
    }

    /// [`RetryPolicy::delay_with`] with a fresh random `unit`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        self.delay_with(retry, retry_after, rand::thread_rng().gen::<f64>())
    }
}

/// Sends with the limiter and the retry policy: transient errors are retried up to `attempts`
/// times in all; permanent errors return at once. Returns the last error.
///
/// Every attempt, retries included, waits for the limiter of the address's provider.
pub async fn send_with_retries(
    sender: &dyn ChannelSender,
    limiter: &RateLimiter,
    policy: &RetryPolicy,
    message: &OutboundMessage,
) -> Result<Sent, SendError> {
    let provider = message.to.provider();
    let attempts = policy.attempts.max(1);
    let mut attempt = 1;
    loop {
        limiter.acquire(provider).await;
        let error = match sender.send(message).await {
            Ok(sent) => return Ok(sent),
            Err(e) => e,
        };
        if !error.is_transient() || attempt >= attempts {
            return Err(error);
        }
        let delay = policy.delay(attempt, error.retry_after());
        tracing::warn!(
            provider = provider.as_str(),
            notification_id = %message.notification_id,
            attempt,
            reason = error.reason(),
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "send failed, will retry"
        );
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::{Address, Provider, Rate};
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use tokio::time::Instant;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn ceilings_double_up_to_the_maximum() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<Duration> = (1..=7).map(|r| policy.ceiling(r)).collect();
        assert_eq!(
            ceilings,
            vec![
                ms(200),
                ms(400),
                ms(800),
                ms(1600),
                ms(3200),
                ms(5000),
                ms(5000)
            ]
        );
        assert_eq!(policy.ceiling(0), ms(200));
        assert_eq!(policy.ceiling(u32::MAX), ms(5000));
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_with(3, None, 0.0), Duration::ZERO);
        assert_eq!(policy.delay_with(3, None, 0.5), ms(400));
        assert_eq!(policy.delay_with(3, None, 1.0), ms(800));
        assert_eq!(policy.delay_with(3, None, 7.0), ms(800));
        for retry in 1..10 {
            for _ in 0..50 {
                assert!(policy.delay(retry, None) <= policy.ceiling(retry));
            }
        }
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_with(1, Some(ms(1500)), 0.0), ms(1500));
        assert_eq!(
            policy.delay_with(1, Some(Duration::from_secs(900)), 0.0),
            ms(5000)
        );
        assert_eq!(policy.delay(2, Some(Duration::ZERO)), Duration::ZERO);
    }

    /// Answers from a script and notes when each attempt came.
    struct Scripted {
        answers: Mutex<VecDeque<Result<Sent, SendError>>>,
        calls: Mutex<Vec<Instant>>,
    }

    impl Scripted {
        fn new(answers: Vec<Result<Sent, SendError>>) -> Self {
            Scripted {
                answers: Mutex::new(answers.into()),
                calls: Mutex::new(Vec::new()),
            }
        }

        fn calls(&self) -> usize {
            self.calls.lock().unwrap().len()
        }
    }

    #[async_trait::async_trait]
    impl ChannelSender for Scripted {
        async fn send(&self, _: &OutboundMessage) -> Result<Sent, SendError> {
            self.calls.lock().unwrap().push(Instant::now());
            self.answers
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Ok(Sent::default()))
        }
    }

    fn message() -> OutboundMessage {
        OutboundMessage {
            notification_id: "n-1".into(),
            to: Address::Sms("+6281300000000".into()),
            text: "Laporan Anda diterima".into(),
        }
    }

    fn busy(retry_after: Option<Duration>) -> Result<Sent, SendError> {
        Err(SendError::Transient {
            reason: "HTTP 503".into(),
            retry_after,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_then_succeeds() {
        let sender = Scripted::new(vec![busy(None), busy(None)]);
        let sent = send_with_retries(
            &sender,
            &RateLimiter::unlimited(),
            &RetryPolicy::default(),
            &message(),
        )
        .await;
        assert_eq!(sent, Ok(Sent::default()));
        assert_eq!(sender.calls(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_after_the_attempts_with_the_last_error() {
        let last = SendError::Transient {
            reason: "HTTP 502".into(),
            retry_after: None,
        };
        let sender = Scripted::new(vec![
            busy(None),
            busy(None),
            Err(last.clone()),
            Ok(Sent::default()),
        ]);
        let policy = RetryPolicy::default();
        let result =
            send_with_retries(&sender, &RateLimiter::unlimited(), &policy, &message()).await;
        assert_eq!(result, Err(last));
        assert_eq!(sender.calls(), 3);

        let once = Scripted::new(vec![busy(None)]);
        let policy = RetryPolicy {
            attempts: 0,
            ..RetryPolicy::default()
        };
        assert!(
            send_with_retries(&once, &RateLimiter::unlimited(), &policy, &message())
                .await
                .is_err()
        );
        assert_eq!(once.calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_errors_are_not_retried() {
        let refused = SendError::permanent("HTTP 400 sms:INVALID_NUMBER");
        let sender = Scripted::new(vec![Err(refused.clone())]);
        let result = send_with_retries(
            &sender,
            &RateLimiter::unlimited(),
            &RetryPolicy::default(),
            &message(),
        )
        .await;
        assert_eq!(result, Err(refused));
        assert_eq!(sender.calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_as_long_as_retry_after_says_within_the_cap() {
        let sender = Scripted::new(vec![
            busy(Some(ms(1500))),
            busy(Some(Duration::from_secs(60))),
        ]);
        send_with_retries(
            &sender,
            &RateLimiter::unlimited(),
            &RetryPolicy::default(),
            &message(),
        )
        .await
        .unwrap();
        let calls = sender.calls.lock().unwrap().clone();
        assert_eq!(calls[1] - calls[0], ms(1500));
        assert_eq!(calls[2] - calls[1], ms(5000));
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_goes_through_the_limiter() {
        let sender = Scripted::new(vec![busy(Some(Duration::ZERO)), busy(Some(Duration::ZERO))]);
        let limiter = RateLimiter::new([(Provider::SmsGateway, Rate::per_second(2.0))]);
        send_with_retries(&sender, &limiter, &RetryPolicy::default(), &message())
            .await
            .unwrap();
        let calls = sender.calls.lock().unwrap().clone();
        assert_eq!(calls[1] - calls[0], ms(500));
        assert_eq!(calls[2] - calls[1], ms(500));
    }
}
