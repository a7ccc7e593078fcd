//! What a report's change announces, built in one place and published with the write that
//! makes it (`ReportStore::insert_and_publish`, `update_and_publish`): the router's request for
//! a new report, and the reporter's notice of each event. The sweep builds them again from the
//! report alone when a send was lost, so nothing here depends on more than the report.

use super::RouteRequest;
use crate::crypto::Sealer;
use crate::directory::Directory;
use crate::domain::{Report, Status};
use crate::lifecycle;
use crate::ports::{Message, QueueName};

/// The router's request to place `report`.
pub fn route_request(report: &Report) -> Message {
    Message {
        queue: QueueName::Intake,
        body: serde_json::to_string(&RouteRequest {
            tracking_id: report.tracking_id.clone(),
        })
        .expect("a route request serialises"),
    }
}

/// The reporter's notice of the event at `index` (`lifecycle::notification`).
pub fn notice(report: &Report, index: usize, directory: &Directory) -> Message {
    Message {
        queue: QueueName::Notifications,
        body: serde_json::to_string(&lifecycle::notification(report, index, directory))
            .expect("a notification serialises"),
    }
}

/// The notices of the event at `index`: the reporter's, and one to each supporter who can be
/// told when it is an event supporters hear of (`lifecycle::supporter_notifications`).
pub fn notices(report: &Report, index: usize, directory: &Directory) -> Vec<Message> {
    let mut out = vec![notice(report, index, directory)];
    out.extend(
        lifecycle::supporter_notifications(report, index, directory)
            .iter()
            .map(|n| Message {
                queue: QueueName::Notifications,
                body: serde_json::to_string(n).expect("a notification serialises"),
            }),
    );
    out
}

/// The receipt of a new report: to a contact typed on the web or in an app, the one carrying
/// its confirmation code (`service::contact`); to a channel's sender, the `submitted` notice
/// with the tracking id; none when there is no one to tell.
pub fn receipt(pii: &Sealer, report: &Report, directory: &Directory) -> Option<Message> {
    let notification = match super::contact::receipt(pii, report) {
        Some(with_code) => with_code,
        None => lifecycle::notification(report, 0, directory),
    };
    notification.recipient_sealed.is_some().then(|| Message {
        queue: QueueName::Notifications,
        body: serde_json::to_string(&notification).expect("a notification serialises"),
    })
}

/// What the report's present state announces: a `received` report its routing request and its
/// receipt; any other its last event's notice. Sending one twice is harmless: the router acts
/// once per report and the notifier sends each notice once.
pub fn announcements(pii: &Sealer, directory: &Directory, report: &Report) -> Vec<Message> {
    if report.status == Status::Received && report.timeline.len() == 1 {
        let mut messages = vec![route_request(report)];
        messages.extend(receipt(pii, report, directory));
        return messages;
    }
    if report.status == Status::Received {
        // A `received` report a person acted on (a reply before routing): still unrouted.
        return vec![
            route_request(report),
            notice(report, report.timeline.len() - 1, directory),
        ];
    }
    notices(report, report.timeline.len() - 1, directory)
}
