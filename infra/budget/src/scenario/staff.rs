//! The institutions' side: the officers' inbox and action on the first report, the reporter's
//! reply to it, and the escalation pass over reports made overdue.

use super::events::{reply_event, Staff, SCHEDULED_EVENT};
use super::{listing, string, FirstReport, Round};
use crate::subject::{http_body, Events};
use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use lapor::config::attributes::{AGENCY_ID, DUE_MS, REPORTS_KEY, TRIAGE_QUEUE};
use serde_dynamo::{AttributeValue, Item};
use serde_json::{json, Value};

/// Reports the escalation subject finds due on each pass.
const DUE_REPORTS: usize = 3;

impl Round<'_> {
    /// agency: a page of the inbox of `staff` (the institution the first report was routed
    /// to, or the triage queue).
    pub(super) async fn agency_inbox(&mut self, staff: &Staff) -> Result<()> {
        let reports = self.aws.reports();
        let in_inbox = reports.iter().filter(|r| match &staff.agency_id {
            Some(agency) => string(r, AGENCY_ID) == Some(agency.as_str()),
            None => r.contains_key(TRIAGE_QUEUE),
        });
        let page = in_inbox.count().min(lapor::service::inbox::DEFAULT_PAGE);
        let events = Events::Cycle(vec![staff.inbox_event()]);
        let inbox = self.subject(
            "AgencyFunction",
            "agency-inbox",
            events,
            listing(page, "inbox"),
        )?;
        self.measure(inbox).await.map(drop)
    }

    /// An officer accepts the first report (a verifier verifies it): every invocation acts on
    /// the same version (isolated), as a fresh action.
    pub(super) async fn agency_action(&mut self, staff: &Staff, first: &FirstReport) -> Result<()> {
        let (action, after) = match staff.agency_id {
            Some(_) => ("accept", "in_progress"),
            None => ("verify", "dispositioned"),
        };
        let action = json!({"action": action, "action_id": "6f1d1e0a-6b7c-4d8e-9f00-1a2b3c4d5e6f"});
        let events = Events::Cycle(vec![staff.action_event(&first.tracking_id, &action)]);
        let expect = Box::new(move |answer: &Value| {
            let body = http_body(answer, 200)?;
            ensure!(
                body["replayed"] == false && body["report"]["status"] == after,
                "expected a new action leaving the report {after}, got {body}"
            );
            Ok(())
        });
        let act = self.subject("AgencyFunction", "agency-action", events, expect)?;
        self.measure(act.isolated()).await.map(drop)
    }

    /// reporter: a reply with the token intake answered (isolated, like the action).
    pub(super) async fn reporter(&mut self, first: &FirstReport) -> Result<()> {
        let events = Events::Cycle(vec![reply_event(&first.tracking_id, &first.token)]);
        let expected = first.tracking_id.clone();
        let expect = Box::new(move |answer: &Value| {
            let body = http_body(answer, 200)?;
            ensure!(
                body["replayed"] == false && body["tracking_id"] == expected.as_str(),
                "expected a new reply on {expected}, got {body}"
            );
            Ok(())
        });
        let reply = self.subject("ReporterFunction", "reporter", events, expect)?;
        self.measure(reply.isolated()).await.map(drop)
    }

    /// escalation: a scheduled pass that finds a few reports past their deadline (other than
    /// the first one) and escalates them; isolated, so every pass finds the same ones due.
    pub(super) async fn escalation(&mut self, first: &FirstReport) -> Result<()> {
        let due = self.make_due(first)?;
        let events = Events::Cycle(vec![Bytes::from_static(SCHEDULED_EVENT.as_bytes())]);
        let expect = Box::new(move |answer: &Value| {
            ensure!(
                answer["due"] == due
                    && answer["escalated"] == due
                    && answer["conflicts"] == 0
                    && answer["more"] == false,
                "expected {due} reports due and escalated, got {answer}"
            );
            Ok(())
        });
        let escalation = self.subject("EscalationFunction", "escalation", events, expect)?;
        self.measure(escalation.isolated()).await.map(drop)
    }

    /// Moves the deadline of up to [`DUE_REPORTS`] reports in the due index (not the first
    /// one) to an hour ago; how many.
    fn make_due(&self, first: &FirstReport) -> Result<usize> {
        let now = Utc::now();
        let reports = self.aws.reports();
        let candidates = reports.iter().filter(|r| {
            string(r, REPORTS_KEY) != Some(first.tracking_id.as_str()) && r.contains_key(DUE_MS)
        });
        let mut made_due = 0;
        for item in candidates.take(DUE_REPORTS) {
            self.aws.put_report(overdue(item, now)?)?;
            made_due += 1;
        }
        Ok(made_due)
    }
}

/// A stored report whose deadline passed an hour before `now`: the same document with
/// `deadline.at` and `due_at` moved (on the typed `lapor::domain::Report`), and the due index
/// key with them.
fn overdue(item: &Item, now: DateTime<Utc>) -> Result<Item> {
    let mut report: lapor::domain::Report =
        serde_dynamo::from_item(item.clone()).context("a stored report")?;
    let at = now - chrono::Duration::hours(1);
    let id = report.tracking_id.to_string();
    let deadline = report
        .deadline
        .as_mut()
        .with_context(|| format!("report {id} has no deadline"))?;
    deadline.at = at;
    report.due_at = Some(at);
    let mut out: Item = serde_dynamo::to_item(&report)?;
    // The index keys the adapter adds beside the document.
    for (attribute, value) in item.iter() {
        out.entry(attribute.clone())
            .or_insert_with(|| value.clone());
    }
    ensure!(
        out.contains_key(DUE_MS),
        "report {id} is not in the due index"
    );
    out.insert(
        DUE_MS.into(),
        AttributeValue::N(at.timestamp_millis().to_string()),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overdue_copy_moves_the_deadline_and_the_due_key_only() {
        let report = json!({
            "tracking_id": lapor::domain::TrackingId::generate().to_string(),
            "kind": "complaint",
            "title": "Jalan berlubang",
            "body": "Jalan di depan sekolah berlubang besar.",
            "channel": "web",
            "anonymous": false,
            "confidential": false,
            "status": "dispositioned",
            "agency_id": "pemda-31.71",
            "access_token_hash": "0".repeat(64),
            "created_at": "2026-01-12T03:15:43.456Z",
            "updated_at": "2026-01-12T03:15:44Z",
            "deadline": {"step": "follow_up", "at": "2026-02-12T03:15:44Z"},
            "due_at": "2026-02-12T03:15:44Z",
            "version": 2,
            "timeline": []
        });
        let mut item: Item = serde_dynamo::to_item(&report).unwrap();
        let n = |v: &str| AttributeValue::N(v.into());
        let s = |v: &str| AttributeValue::S(v.into());
        item.insert("created_ms".into(), n("1768187743456"));
        item.insert("public_feed".into(), s("public"));
        item.insert("due_shard".into(), s("due"));
        item.insert("due_ms".into(), n("1770866144000"));
        let now: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
        let due = overdue(&item, now).unwrap();
        assert_eq!(due["due_ms"], n("1772319600000"));
        for kept in ["created_ms", "public_feed", "due_shard", "title", "version"] {
            assert_eq!(due[kept], item[kept], "{kept}");
        }
        let doc: Value = serde_dynamo::from_item(due).unwrap();
        assert_eq!(doc["deadline"]["at"], "2026-02-28T23:00:00Z");
        assert_eq!(doc["deadline"]["step"], "follow_up");
        assert_eq!(doc["version"], 2);
    }
}
