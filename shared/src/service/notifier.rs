//! The notifier: every message of the notification queue goes to the reporter on the channel
//! the report came in on, once.
//!
//! - **Once:** a claim in `ChannelState` per notification id (`<tracking id>:<event index>`, or
//!   `answer:<...>` for channel answers); a redelivered message finds it sent and stops.
//! - **Rate and retries:** a token bucket per provider, and retries with backoff inside one
//!   attempt for provider errors worth retrying; a message whose attempt failed comes back after
//!   the queue's visibility timeout.
//! - **Giving up:** a refusal that no retry fixes (a number that does not exist, a channel not
//!   configured), or the last of `max_attempts` receives, puts the message on the dead-letter
//!   queue with the reason, for operators (the queue's redrive is the backstop if that fails).
//! - **No content:** the queue carries only the lifecycle's short texts (no report content) and
//!   the sealed contact; addresses are opened here and never logged.

use crate::crypto::Sealer;
use crate::domain::{Channel, ReporterContact, TrackingId};
use crate::outbound::{
    send_with_retries, Address, ChannelSender, OutboundMessage, Provider, RateLimiter, RetryPolicy,
    SendError, Senders,
};
use crate::ports::{ChannelState, Clock, DeliveryClaim, MessageQueue, QueueName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// How long one attempt may hold a notification before another may send it (longer than the
/// retries inside one attempt take).
const SEND_LEASE: Duration = Duration::from_secs(60);

/// What the notifier reads of a queued notification (`lifecycle::Notification` and channel
/// answers alike); unknown fields are ignored so producers may add some.
#[derive(Debug, Clone, Deserialize)]
struct Queued {
    notification_id: String,
    #[serde(default)]
    tracking_id: Option<TrackingId>,
    channel: Channel,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    recipient_sealed: Option<String>,
    text: String,
}

/// What the dead-letter queue receives: the notification as it was queued, and why it was not
/// sent.
#[derive(Debug, Serialize)]
pub struct DeadLetter<'a> {
    pub reason: &'a str,
    /// Receives of the message so far.
    pub attempts: u32,
    pub failed_at: DateTime<Utc>,
    pub notification: serde_json::Value,
}

/// What became of one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Sent before (a repeated delivery of the queue message).
    AlreadySent,
    /// The reporter left no way to reach them on this channel (an anonymous web report).
    NoContact,
    /// Given up, with the reason, on the dead-letter queue.
    DeadLettered(String),
}

/// The notification should come back later (the queue's visibility timeout).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RetryLater(pub String);

pub struct Notifier {
    pub state: Arc<dyn ChannelState>,
    /// Where notifications given up on go ([`MessageQueue::dead_letter`]).
    pub queue: Arc<dyn MessageQueue>,
    pub senders: Senders,
    pub limiter: Arc<RateLimiter>,
    pub retry: RetryPolicy,
    pub pii: Sealer,
    pub clock: Arc<dyn Clock>,
    /// The queue's `maxReceiveCount`: on that receive, a failure dead-letters with its reason.
    pub max_attempts: u32,
    /// Most notices one recipient gets a day ([`DEFAULT_DAILY_CAP`] unless configured): past
    /// it, a notice is dead-lettered with the reason. Bounds what anyone can make the state's
    /// senders send to one number or address, whatever the reports say.
    pub daily_cap: u32,
}

/// Notices per recipient per day when `NOTIFY_DAILY_CAP` is not configured: a report's whole
/// lifecycle sends a handful; a reporter with several reports, or a sender asking `CEK` often,
/// stays well below.
pub const DEFAULT_DAILY_CAP: u32 = 20;

/// `NOTIFY_DAILY_CAP`: notices per recipient per day, 1 to 10,000; unset, empty or `-` for
/// [`DEFAULT_DAILY_CAP`].
pub fn daily_cap(value: Option<String>) -> Result<u32, crate::config::ConfigError> {
    match crate::config::configured(value) {
        None => Ok(DEFAULT_DAILY_CAP),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| crate::config::ConfigError {
                name: crate::outbound::env::NOTIFY_DAILY_CAP,
                problem: "must be a whole number from 1 to 10000".into(),
            }),
    }
}

impl Notifier {
    /// Delivers one queued notification; `receive_count` is the queue's count for it (1 first).
    pub async fn deliver(&self, body: &str, receive_count: u32) -> Result<Delivery, RetryLater> {
        let Ok(queued) = serde_json::from_str::<Queued>(body) else {
            return self
                .give_up(body, "malformed notification", receive_count)
                .await;
        };
        // Instrumented, not entered: an entered span held across an await would tag whatever
        // else the thread runs meanwhile.
        let span = tracing::info_span!("notification",
            notification_id = %queued.notification_id,
            tracking_id = ?queued.tracking_id.as_ref().map(TrackingId::as_str),
            event = ?queued.event, channel = ?queued.channel);
        self.deliver_queued(body, queued, receive_count)
            .instrument(span)
            .await
    }

    async fn deliver_queued(
        &self,
        body: &str,
        queued: Queued,
        receive_count: u32,
    ) -> Result<Delivery, RetryLater> {
        let Some(sealed) = &queued.recipient_sealed else {
            tracing::info!("no contact: nothing to send");
            return Ok(Delivery::NoContact);
        };
        let contact: ReporterContact = match self
            .pii
            .open(sealed)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        {
            Some(contact) => contact,
            None => {
                return self
                    .give_up(
                        body,
                        "the contact does not open with the configured key",
                        receive_count,
                    )
                    .await
            }
        };
        let Some(to) = address_for(queued.channel, &contact) else {
            tracing::info!("no address for this channel: nothing to send");
            return Ok(Delivery::NoContact);
        };
        let provider = to.provider();
        let Some(sender) = self.senders.get(provider) else {
            let reason = format!("channel not configured: {}", provider.as_str());
            return self.give_up(body, &reason, receive_count).await;
        };
        let now = self.clock.now();
        // The day as Indonesians count it in the west (WIB), keyed by a reference to the
        // address, never the address.
        let day = (now + chrono::Duration::hours(7)).format("%Y-%m-%d");
        let recipient = self.pii.reference(
            "notice-recipient",
            &format!("{}:{}", provider.as_str(), to.value()),
        );
        let allowed = self
            .state
            .count_notice(
                &format!("{recipient}#{day}"),
                &queued.notification_id,
                self.daily_cap,
                now,
            )
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        if !allowed {
            let reason = format!(
                "recipient's daily cap reached: {} notices a day",
                self.daily_cap
            );
            return self.give_up(body, &reason, receive_count).await;
        }
        // A long notice (the institution's words) goes in parts, each claimed on its own: a
        // retry sends only the parts not sent yet. The notice counted once above.
        let parts = split_text(&queued.text, part_chars(provider));
        let total = parts.len();
        let mut sent_any = false;
        for (k, text) in parts.into_iter().enumerate() {
            let part_id = if total == 1 {
                queued.notification_id.clone()
            } else {
                format!("{}#{}/{total}", queued.notification_id, k + 1)
            };
            match self
                .state
                .claim_delivery(&part_id, self.clock.now(), SEND_LEASE)
                .await
                .map_err(|e| RetryLater(e.to_string()))?
            {
                DeliveryClaim::Acquired => {}
                DeliveryClaim::AlreadySent => continue,
                DeliveryClaim::InFlight => {
                    return Err(RetryLater("another attempt is sending it".into()));
                }
            }
            let message = OutboundMessage {
                notification_id: part_id.clone(),
                to: to.clone(),
                text,
            };
            let result = send_with_retries(
                sender.as_ref() as &dyn ChannelSender,
                &self.limiter,
                &self.retry,
                &message,
            )
            .await;
            match result {
                Ok(sent) => {
                    sent_any = true;
                    // Sent: a failure to remember it risks one repeat, never a loss.
                    if let Err(e) = self.state.mark_delivered(&part_id, self.clock.now()).await {
                        tracing::warn!(error = %e, "sent, but not recorded as sent");
                    }
                    tracing::info!(provider = provider.as_str(), part = k + 1, parts = total,
                        provider_message_id = ?sent.provider_message_id, "notification sent");
                }
                Err(error) => {
                    if let Err(e) = self.state.release_delivery(&part_id).await {
                        tracing::warn!(error = %e, "claim not released; it lapses with its lease");
                    }
                    return match error {
                        SendError::Permanent { reason } => {
                            let reason = format!("{}: {reason}", provider.as_str());
                            self.give_up(body, &reason, receive_count).await
                        }
                        SendError::Transient { reason, .. }
                            if receive_count >= self.max_attempts =>
                        {
                            let reason = format!(
                                "{}: still failing after {receive_count} attempts: {reason}",
                                provider.as_str()
                            );
                            self.give_up(body, &reason, receive_count).await
                        }
                        SendError::Transient { reason, .. } => {
                            tracing::warn!(provider = provider.as_str(), %reason,
                                attempt = receive_count,
                                "provider unavailable; the notification comes back later");
                            Err(RetryLater(reason))
                        }
                    };
                }
            }
        }
        if sent_any {
            Ok(Delivery::Sent)
        } else {
            tracing::info!("sent before: not sent again");
            Ok(Delivery::AlreadySent)
        }
    }

    async fn give_up(
        &self,
        body: &str,
        reason: &str,
        receive_count: u32,
    ) -> Result<Delivery, RetryLater> {
        let notification = serde_json::from_str(body)
            .unwrap_or_else(|_| serde_json::Value::String(body.chars().take(2_000).collect()));
        let letter = DeadLetter {
            reason,
            attempts: receive_count,
            failed_at: self.clock.now(),
            notification,
        };
        let letter = serde_json::to_string(&letter).expect("a dead letter serialises");
        self.queue
            .dead_letter(QueueName::Notifications, &letter)
            .await
            // Not dead-lettered: it comes back, and the redrive catches it in the end.
            .map_err(|e| RetryLater(format!("dead-letter queue unavailable: {e}")))?;
        tracing::error!(%reason, attempts = receive_count, "notification given up: on the dead-letter queue");
        Ok(Delivery::DeadLettered(reason.to_string()))
    }
}

/// Longest text of one message on each provider: three SMS segments (the gateway joins them
/// into one long SMS), WhatsApp's template parameter, Messenger's and X's own limits. E-mail
/// takes any length.
pub fn part_chars(provider: Provider) -> usize {
    match provider {
        Provider::SmsGateway => 3 * 153,
        Provider::Whatsapp => 1_000,
        Provider::Messenger => 2_000,
        Provider::X => 10_000,
        Provider::Email => usize::MAX,
    }
}

/// Where a part goes on (at the end of every part but the last).
pub const CONTINUED: &str = " (bersambung)";

/// `text` in parts of at most `limit` characters, cut between words where one fits, each part
/// of several numbered (`(2/3) `) and every part but the last saying it goes on, so the reader
/// knows where it was cut and that nothing is lost.
pub fn split_text(text: &str, limit: usize) -> Vec<String> {
    if text.chars().count() <= limit {
        return vec![text.to_string()];
    }
    // The number of parts decides the marks' width: grow it until the parts fit.
    let mut total = 2;
    loop {
        let parts = cut(text, limit, total);
        if parts.len() <= total {
            let total = parts.len();
            return parts
                .into_iter()
                .enumerate()
                .map(|(k, part)| {
                    let more = if k + 1 < total { CONTINUED } else { "" };
                    format!("({}/{total}) {part}{more}", k + 1)
                })
                .collect();
        }
        total = parts.len();
    }
}

/// `text` cut into pieces that fit `limit` with the marks of `total` parts.
fn cut(text: &str, limit: usize, total: usize) -> Vec<String> {
    let marks = format!("({total}/{total}) ").chars().count() + CONTINUED.chars().count();
    let room = limit.saturating_sub(marks).max(1);
    let chars: Vec<char> = text.chars().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let mut end = (start + room).min(chars.len());
        if end < chars.len() {
            // Between words when a space falls in the second half of the piece.
            if let Some(space) = (start + room / 2..end)
                .rev()
                .find(|&i| chars[i].is_whitespace())
            {
                end = space;
            }
        }
        let piece: String = chars[start..end].iter().collect();
        parts.push(piece.trim().to_string());
        start = end;
        while start < chars.len() && chars[start].is_whitespace() {
            start += 1;
        }
    }
    parts
}

/// Where a notice goes: back on the channel the report came in on; a web or app report's by
/// e-mail, else by SMS.
pub fn address_for(channel: Channel, contact: &ReporterContact) -> Option<Address> {
    match channel {
        Channel::Sms => contact.phone.clone().map(Address::Sms),
        Channel::Whatsapp => contact.phone.clone().map(Address::Whatsapp),
        Channel::X => contact.x_user_id.clone().map(Address::X),
        Channel::Messenger => contact.messenger_id.clone().map(Address::Messenger),
        Channel::Web | Channel::Mobile | Channel::Email => contact
            .email
            .clone()
            .map(Address::Email)
            .or_else(|| contact.phone.clone().map(Address::Sms)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_cap_defaults_and_is_checked() {
        assert_eq!(daily_cap(None).unwrap(), DEFAULT_DAILY_CAP);
        assert_eq!(daily_cap(Some("-".into())).unwrap(), DEFAULT_DAILY_CAP);
        assert_eq!(daily_cap(Some(" 5 ".into())).unwrap(), 5);
        for bad in ["0", "x", "10001", "-3"] {
            let e = daily_cap(Some(bad.into())).unwrap_err();
            assert_eq!(e.name, crate::outbound::env::NOTIFY_DAILY_CAP, "{bad}");
        }
    }

    #[test]
    fn a_short_text_is_one_part_as_it_is() {
        assert_eq!(
            split_text("Laporan diterima.", 459),
            vec!["Laporan diterima."]
        );
    }

    #[test]
    fn a_long_text_goes_in_numbered_parts_cut_between_words() {
        let words: Vec<String> = (0..400).map(|i| format!("kata{i}")).collect();
        let text = words.join(" ");
        for limit in [part_chars(Provider::SmsGateway), 160, 1_000] {
            let parts = split_text(&text, limit);
            let total = parts.len();
            assert!(total > 1, "{limit}");
            let mut joined = Vec::new();
            for (k, part) in parts.iter().enumerate() {
                assert!(part.chars().count() <= limit, "{limit}: {part}");
                let mark = format!("({}/{total}) ", k + 1);
                assert!(part.starts_with(&mark), "{part}");
                let mut body = part.strip_prefix(&mark).unwrap();
                if k + 1 < total {
                    body = body.strip_suffix(CONTINUED).expect("says it goes on");
                } else {
                    assert!(!body.ends_with(CONTINUED), "{part}");
                }
                joined.extend(body.split(' ').map(str::to_string));
            }
            // Nothing lost, no word cut in two.
            assert_eq!(joined, words, "{limit}");
        }
    }

    #[test]
    fn a_text_without_spaces_is_cut_where_it_must() {
        let text = "x".repeat(1_000);
        let parts = split_text(&text, 459);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 459));
        let body: usize = parts
            .iter()
            .map(|p| p.chars().filter(|c| *c == 'x').count())
            .sum();
        assert_eq!(body, 1_000);
    }

    #[test]
    fn notices_go_back_on_the_channel_they_came_from() {
        let contact = ReporterContact {
            phone: Some("+6281234567890".into()),
            email: Some("siti@example.id".into()),
            x_user_id: Some("123".into()),
            messenger_id: Some("456".into()),
            ..ReporterContact::default()
        };
        let provider = |c| address_for(c, &contact).map(|a| a.provider().as_str());
        assert_eq!(provider(Channel::Sms), Some("sms"));
        assert_eq!(provider(Channel::Whatsapp), Some("whatsapp"));
        assert_eq!(provider(Channel::X), Some("x"));
        assert_eq!(provider(Channel::Messenger), Some("messenger"));
        assert_eq!(provider(Channel::Web), Some("email"));
        let phone_only = ReporterContact {
            phone: Some("+6281234567890".into()),
            ..ReporterContact::default()
        };
        assert_eq!(
            address_for(Channel::Mobile, &phone_only).map(|a| a.provider().as_str()),
            Some("sms")
        );
        assert_eq!(address_for(Channel::X, &phone_only), None);
        assert_eq!(address_for(Channel::Web, &ReporterContact::default()), None);
    }
}
