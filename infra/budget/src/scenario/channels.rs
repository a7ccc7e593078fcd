//! A new report by SMS (`channels`) and the notices that answer it, sent through the SMS
//! gateway (`notifier`).

use super::events::{sms_event, sms_sender, sqs_batch, NOTIFICATION_BATCH};
use super::Round;
use crate::fake_aws::sms_gateway::SmsSent;
use crate::settings::SMS_WEBHOOK_SECRET;
use crate::subject::{http_body, no_batch_failures, Events};
use anyhow::{ensure, Context, Result};
use chrono::Utc;
use lapor::config::env::{NOTIFICATION_DEAD_LETTER_QUEUE_URL, NOTIFICATION_QUEUE_URL};
use lapor::lifecycle::Notification;
use serde_json::Value;
use std::collections::HashMap;

/// Notices in each SQS batch the notifier gets (the template allows up to 10 per batch).
const NOTIFIER_BATCH: usize = 3;

impl Round<'_> {
    /// channels: a new report by SMS, signed by the gateway. Isolated (the reports and the
    /// channel state are put back before each invocation), and every invocation's message has
    /// its own id and is signed at the moment it is handed out: each one is a first delivery
    /// making a new report, from a sender with no report yet. Returns the first receipts it
    /// queued, the notifier's batch.
    pub(super) async fn channels(&mut self) -> Result<Vec<String>> {
        let nonce = rand::random::<u32>();
        let events = Events::Each(Box::new(move |i| {
            let message_id = format!("gw-{nonce:08x}-{i:06}");
            sms_event(SMS_WEBHOOK_SECRET.as_bytes(), &message_id, Utc::now())
        }));
        let expect = Box::new(|answer: &Value| {
            let body = http_body(answer, 200)?;
            ensure!(
                body["result"] == "report_created",
                "expected a report created, got {body}"
            );
            Ok(())
        });
        let channels = self.subject("ChannelsFunction", "channels", events, expect)?;
        let before = self.queue(NOTIFICATION_QUEUE_URL).len();
        self.measure(channels.isolated()).await?;
        let queued = self.queue(NOTIFICATION_QUEUE_URL).into_iter().skip(before);
        let receipts: Vec<String> = queued.take(NOTIFIER_BATCH).collect();
        check_receipts(&receipts, &self.pii, &sms_sender()?)?;
        Ok(receipts)
    }

    /// notifier: a batch of the receipts channels queued (the tracking id back to the sender,
    /// by SMS), sent through the SMS gateway on the fake endpoint. Isolated: every invocation
    /// claims, sends and marks the same notices afresh.
    pub(super) async fn notifier(&mut self, receipts: &[String]) -> Result<()> {
        let sent_before = self.aws.sms_sent().len();
        let batch: Vec<&str> = receipts.iter().map(String::as_str).collect();
        let events = Events::Cycle(vec![sqs_batch(NOTIFICATION_BATCH, &batch)]);
        let notifier = self.subject(
            "NotifierFunction",
            "notifier",
            events,
            Box::new(no_batch_failures),
        )?;
        self.measure(notifier.isolated()).await?;
        let sent = &self.aws.sms_sent()[sent_before..];
        let invocations = self.args.cold_runs() + self.args.warm;
        check_sends(receipts, sent, invocations * NOTIFIER_BATCH, &sms_sender()?)?;
        let dead = self.queue(NOTIFICATION_DEAD_LETTER_QUEUE_URL);
        ensure!(
            dead.is_empty(),
            "the notifier dead-lettered {} notices, e.g. {}",
            dead.len(),
            dead[0]
        );
        Ok(())
    }
}

/// The notices the notifier is given are receipts by SMS to `phone`, sealed with the run's key
/// `pii` (so the notifier takes the sending path, not "no contact" or a dead letter).
fn check_receipts(receipts: &[String], pii: &str, phone: &str) -> Result<()> {
    ensure!(
        receipts.len() >= NOTIFIER_BATCH,
        "the channels subject queued {} notices; the notifier needs {NOTIFIER_BATCH}",
        receipts.len()
    );
    let sealer = lapor::crypto::Sealer::from_base64_key(pii)?;
    for receipt in receipts {
        let notice: Notification = serde_json::from_str(receipt)
            .with_context(|| format!("a queued notice is not a Notification: {receipt}"))?;
        let contact: Option<lapor::domain::ReporterContact> = notice
            .recipient_sealed
            .as_deref()
            .and_then(|sealed| sealer.open(sealed).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let to = contact.and_then(|c| c.phone);
        ensure!(
            notice.channel == lapor::domain::Channel::Sms && to.as_deref() == Some(phone),
            "expected a notice by SMS to {phone} (sealed with the run's key), got {receipt}"
        );
    }
    Ok(())
}

/// Every notice of every invocation reached the gateway, as the notice said: `expected` sends
/// to `phone`, each with a notice's id as reference and its text.
fn check_sends(receipts: &[String], sent: &[SmsSent], expected: usize, phone: &str) -> Result<()> {
    let notices: HashMap<String, String> = receipts
        .iter()
        .filter_map(|r| serde_json::from_str::<Notification>(r).ok())
        .map(|n| (n.notification_id, n.text))
        .collect();
    let faithful = sent
        .iter()
        .all(|s| s.to == phone && notices.get(&s.reference) == Some(&s.text));
    ensure!(
        sent.len() == expected && faithful,
        "the notifier answered success, but the SMS gateway got {} sends (expected {expected}, \
         all to {phone}, with the notices' ids and texts): {:?}",
        sent.len(),
        sent.first()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::events::fixture;

    const PHONE: &str = "+6281234567890";

    fn placeholder() -> String {
        let batch = fixture(NOTIFICATION_BATCH);
        batch["Records"][0]["body"].as_str().unwrap().to_string()
    }

    #[test]
    fn receipts_must_reach_the_sender_by_sms() {
        let key = crate::settings::pii_key();
        let sealer = lapor::crypto::Sealer::from_base64_key(&key).unwrap();
        let notice = |phone: &str, channel: &str| {
            let sealed = sealer.seal(format!(r#"{{"phone":"{phone}"}}"#).as_bytes());
            let mut doc: Value = serde_json::from_str(&placeholder()).unwrap();
            doc["recipient_sealed"] = sealed.into();
            doc["channel"] = channel.into();
            doc.to_string()
        };
        let good = vec![notice(PHONE, "sms"); NOTIFIER_BATCH];
        check_receipts(&good, &key, PHONE).unwrap();
        assert!(check_receipts(&good[..1], &key, PHONE).is_err());
        assert!(check_receipts(&good, &crate::settings::pii_key(), PHONE).is_err());
        let mut web = good.clone();
        web[2] = notice(PHONE, "web");
        assert!(check_receipts(&web, &key, PHONE).is_err());
        // The placeholder in the fixture opens with no key.
        assert!(check_receipts(&vec![placeholder(); NOTIFIER_BATCH], &key, PHONE).is_err());
    }

    #[test]
    fn every_send_must_be_a_notice_as_queued() {
        let receipts = vec![placeholder()];
        let notice: Notification = serde_json::from_str(&receipts[0]).unwrap();
        let send = |to: &str, text: &str| SmsSent {
            to: to.into(),
            text: text.into(),
            reference: notice.notification_id.clone(),
        };
        let good = send(PHONE, &notice.text);
        check_sends(&receipts, &[good.clone(), good.clone()], 2, PHONE).unwrap();
        assert!(check_sends(&receipts, std::slice::from_ref(&good), 2, PHONE).is_err());
        assert!(check_sends(&receipts, &[send(PHONE, "other")], 1, PHONE).is_err());
        assert!(check_sends(&receipts, &[send("+6280000000000", &notice.text)], 1, PHONE).is_err());
    }
}
