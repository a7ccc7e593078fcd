//! Services: what each function does, written against the ports, with no AWS or Lambda types.

pub mod actions;
pub mod agencies;
pub mod attachments;
pub mod channels;
pub mod contact;
pub mod duplicates;
pub mod escalation;
pub mod inbox;
pub mod intake;
pub mod learning;
pub mod models;
pub mod notifier;
pub mod publish;
pub mod routing_step;
pub mod stats;
pub mod support;
pub mod sweep;
pub mod views;
pub mod webhooks;

use crate::crypto::Sealer;
use crate::directory::LiveDirectory;
use crate::ports::{Clock, MessageQueue, ReportStore, RoutingExampleStore};
use std::sync::Arc;

/// What the services share. Built once per process (a Lambda's cold start, the local runner).
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn ReportStore>,
    pub queue: Arc<dyn MessageQueue>,
    pub clock: Arc<dyn Clock>,
    /// Seals and opens reporters' contacts.
    pub pii: Sealer,
    /// Time limits and the working calendar.
    pub deadlines: Arc<crate::deadlines::Deadlines>,
    /// The one directory of the process: the institutions reports go to, their names, parents
    /// and time zones.
    pub directory: Arc<LiveDirectory>,
    /// Where human routing decisions (verify, forward) are kept for retraining; none where
    /// nothing is learnt.
    pub examples: Option<Arc<dyn RoutingExampleStore>>,
    /// Where attachments are kept; none in a function that was not given the bucket.
    pub attachments: Option<attachments::Attachments>,
}

/// The message the intake queue carries: which report to route. Nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteRequest {
    pub tracking_id: crate::domain::TrackingId,
}
