//! The domain: plain Rust, no AWS types, tested without I/O.

pub mod ids;
pub mod regions;
pub mod report;
pub mod submission;

pub use ids::{AccessToken, TrackingId};
pub use report::{
    Actor, ArchiveReason, Channel, ContactCheck, Deadline, Location, Rating, Report, ReportKind,
    ReporterContact, RoutingCandidate, RoutingRecord, Status, TimelineEvent,
};
