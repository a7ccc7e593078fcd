//! A token bucket per provider, so a batch of notifications does not exceed what each provider
//! allows (and get answered 429).
//!
//! `governor` keeps the bucket (the generic cell rate algorithm, GCRA), read on tokio's clock so
//! paused time in tests drives it; `acquire` sleeps with tokio until the bucket allows a send.
//! Callers of one provider queue in turn behind a fair lock, so concurrent senders are served in
//! the order they asked, spaced exactly `1 / per_second` apart once the burst is spent, with no
//! polling. A cancelled `acquire` gives up its turn without using a send.
//!
//! The limit is per process: with several Lambda instances of the notifier running at once,
//! each gets the full rate. Cap the function's concurrency or divide the rates accordingly.

use super::Provider;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::Quota;
use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::time::Instant;

/// How fast one provider may be called.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Sustained sends per second; fractions allowed (`0.5` is one every two seconds).
    pub per_second: f64,
    /// Sends allowed back to back after an idle period (at least 1).
    pub burst: u32,
}

impl Rate {
    /// `per_second` with a burst of 1: sends exactly spaced.
    pub fn per_second(per_second: f64) -> Rate {
        Rate {
            per_second,
            burst: 1,
        }
    }

    pub fn with_burst(self, burst: u32) -> Rate {
        Rate { burst, ..self }
    }

    /// The spacing between sends, if the rate is usable (finite, positive, at least one send
    /// every ~11.5 days).
    fn interval(&self) -> Option<Duration> {
        if !(self.per_second.is_finite() && self.per_second >= 1e-6) {
            return None;
        }
        Duration::try_from_secs_f64(1.0 / self.per_second).ok()
    }

    /// The rate as governor's quota: one send per interval (at least a nanosecond, governor's
    /// unit), `burst` of them back to back.
    fn quota(&self) -> Option<Quota> {
        let interval = self.interval()?.max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Some(Quota::with_period(interval)?.allow_burst(burst))
    }
}

/// Tokio's clock as governor reads it: the time since the limiter was made. Under paused time
/// (`tokio::time::pause`, `start_paused`) it moves only when the runtime advances it.
#[derive(Debug, Clone)]
struct TokioClock {
    start: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

struct Bucket {
    cells: governor::RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>,
    clock: TokioClock,
    /// Whose turn it is: tokio's mutex is fair (first come, first served).
    turn: tokio::sync::Mutex<()>,
}

/// Per-provider token bucket: `acquire(provider).await` waits until a send is allowed. A provider
/// with no configured rate is not limited.
pub struct RateLimiter {
    buckets: HashMap<Provider, Bucket>,
}

impl RateLimiter {
    /// A limiter with these rates. A rate that is not a positive finite number (or is below one
    /// send in ~11.5 days) leaves its provider unlimited, with a warning; a later entry for the
    /// same provider replaces an earlier one. [`RateLimiter::parse_rates`] rejects both.
    pub fn new(rates: impl IntoIterator<Item = (Provider, Rate)>) -> Self {
        let clock = TokioClock {
            start: Instant::now(),
        };
        let mut buckets = HashMap::new();
        for (provider, rate) in rates {
            let Some(quota) = rate.quota() else {
                tracing::warn!(
                    provider = provider.as_str(),
                    per_second = rate.per_second,
                    "unusable rate ignored: provider not limited"
                );
                buckets.remove(&provider);
                continue;
            };
            let bucket = Bucket {
                cells: governor::RateLimiter::direct_with_clock(quota, clock.clone()),
                clock: clock.clone(),
                turn: tokio::sync::Mutex::new(()),
            };
            buckets.insert(provider, bucket);
        }
        RateLimiter { buckets }
    }

    /// A limiter that never waits.
    pub fn unlimited() -> Self {
        RateLimiter::new([])
    }

    /// Waits until `provider` may be called once more.
    pub async fn acquire(&self, provider: Provider) {
        let Some(bucket) = self.buckets.get(&provider) else {
            return;
        };
        let _turn = bucket.turn.lock().await;
        while let Err(not_until) = bucket.cells.check() {
            tokio::time::sleep(not_until.wait_time_from(bucket.clock.now())).await;
        }
    }

    /// Whether `provider` has a rate.
    pub fn limits(&self, provider: Provider) -> bool {
        self.buckets.contains_key(&provider)
    }

    /// Reads `sms=20,x=1,whatsapp=50,messenger=50,email=10`: sends per second per provider
    /// (names as [`Provider::as_str`]), decimals allowed (`x=0.5`), each optionally with a burst
    /// after a colon (`sms=20:5`; the default burst is 1, exact spacing). Spaces around items are
    /// ignored; an empty spec is no limit at all.
    pub fn parse_rates(spec: &str) -> Result<Vec<(Provider, Rate)>, String> {
        let mut rates: Vec<(Provider, Rate)> = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?}: expected provider=rate"))?;
            let name = name.trim();
            let provider = Provider::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
                format!("unknown provider {name:?} (known: {})", known.join(", "))
            })?;
            if rates.iter().any(|(p, _)| *p == provider) {
                return Err(format!("{name}: given twice"));
            }
            let (per_second, burst) = match value.split_once(':') {
                Some((r, b)) => (r.trim(), Some(b.trim())),
                None => (value.trim(), None),
            };
            let per_second: f64 = per_second
                .parse()
                .map_err(|_| format!("{name}: rate {per_second:?} is not a number"))?;
            let burst = match burst {
                None => 1,
                Some(b) => match b.parse::<u32>() {
                    Ok(b) if b >= 1 => b,
                    _ => return Err(format!("{name}: burst {b:?} is not a whole number >= 1")),
                },
            };
            let rate = Rate { per_second, burst };
            if rate.interval().is_none() {
                return Err(format!(
                    "{name}: rate {per_second} must be a positive number of sends per second"
                ));
            }
            rates.push((provider, rate));
        }
        Ok(rates)
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut limited: Vec<Provider> = self.buckets.keys().copied().collect();
        limited.sort();
        f.debug_struct("RateLimiter")
            .field("limited", &limited)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn parses_rates() {
        let rates =
            RateLimiter::parse_rates("sms=20,x=1,whatsapp=50,messenger=50,email=10").unwrap();
        assert_eq!(
            rates,
            vec![
                (Provider::SmsGateway, Rate::per_second(20.0)),
                (Provider::X, Rate::per_second(1.0)),
                (Provider::Whatsapp, Rate::per_second(50.0)),
                (Provider::Messenger, Rate::per_second(50.0)),
                (Provider::Email, Rate::per_second(10.0)),
            ]
        );
        assert_eq!(
            RateLimiter::parse_rates(" x=0.5 , sms = 20:5 ,").unwrap(),
            vec![
                (Provider::X, Rate::per_second(0.5)),
                (Provider::SmsGateway, Rate::per_second(20.0).with_burst(5)),
            ]
        );
        assert_eq!(RateLimiter::parse_rates("").unwrap(), vec![]);
        assert_eq!(RateLimiter::parse_rates("  ").unwrap(), vec![]);
    }

    #[test]
    fn rejects_bad_rates() {
        for bad in [
            "sms",
            "sms=",
            "sms=fast",
            "sms=0",
            "sms=-1",
            "sms=NaN",
            "sms=inf",
            "sms=1e-9",
            "sms=1:0",
            "sms=1:x",
            "telegram=1",
            "SMS=1",
            "sms=1,sms=2",
        ] {
            assert!(RateLimiter::parse_rates(bad).is_err(), "{bad}");
        }
        let e = RateLimiter::parse_rates("fax=1").unwrap_err();
        assert!(e.contains("fax") && e.contains("whatsapp"), "{e}");
    }

    /// When each of `n` sends went out, in ms since the start, one after another.
    async fn schedule(limiter: &RateLimiter, provider: Provider, n: usize) -> Vec<u128> {
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..n {
            limiter.acquire(provider).await;
            at.push(start.elapsed().as_millis());
        }
        at
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_sends_at_the_rate() {
        let limiter = RateLimiter::new([(Provider::SmsGateway, Rate::per_second(4.0))]);
        assert_eq!(
            schedule(&limiter, Provider::SmsGateway, 5).await,
            vec![0, 250, 500, 750, 1000]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn fractional_rates_wait_seconds() {
        let limiter = RateLimiter::new([(Provider::X, Rate::per_second(0.5))]);
        assert_eq!(
            schedule(&limiter, Provider::X, 3).await,
            vec![0, 2000, 4000]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_the_rate() {
        let limiter =
            RateLimiter::new([(Provider::Whatsapp, Rate::per_second(10.0).with_burst(3))]);
        assert_eq!(
            schedule(&limiter, Provider::Whatsapp, 6).await,
            vec![0, 0, 0, 100, 200, 300]
        );
        // Idle long enough, the burst is back; never more than the burst.
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(
            schedule(&limiter, Provider::Whatsapp, 4).await,
            vec![0, 0, 0, 100]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn providers_are_independent_and_unconfigured_ones_unlimited() {
        let limiter = RateLimiter::new([
            (Provider::SmsGateway, Rate::per_second(1.0)),
            (Provider::Email, Rate::per_second(2.0)),
        ]);
        limiter.acquire(Provider::SmsGateway).await;
        let start = Instant::now();
        limiter.acquire(Provider::Email).await;
        limiter.acquire(Provider::Messenger).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(schedule(&limiter, Provider::X, 100).await, vec![0; 100]);
        assert!(!limiter.limits(Provider::X) && limiter.limits(Provider::Email));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_are_served_in_turn() {
        let limiter = Arc::new(RateLimiter::new([(
            Provider::SmsGateway,
            Rate::per_second(20.0),
        )]));
        let start = Instant::now();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter.acquire(Provider::SmsGateway).await;
                    start.elapsed().as_millis()
                })
            })
            .collect();
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap());
        }
        at.sort();
        assert_eq!(at, (0..10).map(|i| i * 50).collect::<Vec<u128>>());
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_callers_go_in_the_order_they_came() {
        let limiter = Arc::new(RateLimiter::new([(Provider::X, Rate::per_second(10.0))]));
        let (sent, mut order) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..5 {
            let (limiter, sent) = (limiter.clone(), sent.clone());
            tokio::spawn(async move {
                limiter.acquire(Provider::X).await;
                sent.send(i).unwrap();
            });
            // Each caller is waiting before the next one comes.
            tokio::task::yield_now().await;
        }
        drop(sent);
        let mut came = Vec::new();
        while let Some(i) = order.recv().await {
            came.push(i);
        }
        assert_eq!(came, [0, 1, 2, 3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_uses_no_send() {
        let limiter = RateLimiter::new([(Provider::SmsGateway, Rate::per_second(1.0))]);
        let start = Instant::now();
        limiter.acquire(Provider::SmsGateway).await;
        let gave_up = tokio::time::timeout(
            Duration::from_millis(100),
            limiter.acquire(Provider::SmsGateway),
        )
        .await;
        assert!(gave_up.is_err());
        limiter.acquire(Provider::SmsGateway).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn unusable_rates_leave_the_provider_unlimited() {
        let limiter = RateLimiter::new([
            (Provider::SmsGateway, Rate::per_second(0.0)),
            (Provider::X, Rate::per_second(f64::NAN)),
            (Provider::Email, Rate::per_second(1.0).with_burst(0)),
        ]);
        assert!(!limiter.limits(Provider::SmsGateway) && !limiter.limits(Provider::X));
        assert!(limiter.limits(Provider::Email));
        assert_eq!(format!("{limiter:?}"), "RateLimiter { limited: [Email] }");
    }
}
