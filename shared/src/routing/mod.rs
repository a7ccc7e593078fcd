//! Routing: which institution should act on a report.
//!
//! This first rule is deliberately simple: the reporter's valid target, else the regional
//! government responsible for the report's `region_code`, else a human verifier. The routing
//! engine replaces it behind the same `RoutingEngine::route` signature.

pub mod gazetteer;
pub mod text;

use crate::directory::{pemda_id, Directory};
use crate::domain::regions::Regions;
use crate::domain::report::{ReportKind, RoutingCandidate, RoutingRecord};

/// What the router knows about a report (or a draft of one).
#[derive(Debug, Clone, Copy)]
pub struct RouteQuery<'a> {
    pub kind: ReportKind,
    pub title: &'a str,
    pub body: &'a str,
    pub category: Option<&'a str>,
    pub region_code: Option<&'a str>,
    pub location_text: Option<&'a str>,
    pub target_agency: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sure enough to assign without a human.
    Auto,
    /// A verifier decides, with the candidates as a shortlist.
    Triage,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Auto => "auto",
            Decision::Triage => "triage",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingDecision {
    pub decision: Decision,
    pub agency_id: Option<String>,
    pub confidence: f32,
    pub candidates: Vec<RoutingCandidate>,
    pub reason: String,
    pub model_version: String,
}

impl RoutingDecision {
    pub fn to_record(&self) -> RoutingRecord {
        RoutingRecord {
            decision: self.decision.as_str().to_string(),
            agency_id: self.agency_id.clone(),
            confidence: self.confidence,
            candidates: self.candidates.clone(),
            reason: self.reason.clone(),
            model_version: self.model_version.clone(),
        }
    }
}

pub struct RoutingEngine {
    directory: &'static Directory,
}

impl RoutingEngine {
    pub fn new(directory: &'static Directory) -> RoutingEngine {
        RoutingEngine { directory }
    }

    pub fn route(&self, query: &RouteQuery<'_>) -> RoutingDecision {
        let auto = |id: &str, reason: String| {
            let name = self
                .directory
                .get(id)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            RoutingDecision {
                decision: Decision::Auto,
                agency_id: Some(id.to_string()),
                confidence: 1.0,
                candidates: vec![RoutingCandidate {
                    agency_id: id.to_string(),
                    name,
                    score: 1.0,
                }],
                reason,
                model_version: "rule-v1".into(),
            }
        };
        if let Some(target) = query.target_agency {
            if self.directory.get(target).is_some() {
                return auto(target, "chosen by the reporter".into());
            }
        }
        let regions = Regions::get();
        if let Some(region) = query.region_code.and_then(|c| regions.find(c)) {
            let id = pemda_id(regions.local_government_code(region));
            return auto(&id, "regional government of the report's location".into());
        }
        RoutingDecision {
            decision: Decision::Triage,
            agency_id: None,
            confidence: 0.0,
            candidates: Vec::new(),
            reason: "no target and no location: a verifier decides".into(),
            model_version: "rule-v1".into(),
        }
    }
}
