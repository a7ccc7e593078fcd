//! The report lifecycle as a state machine: who may do what, in which status, and what follows.
//!
//! [`apply`] is pure: it checks the actor's right to act, the action's fields and the current
//! status, and returns the report as it must be stored (version bumped, event appended) with
//! the notification the reporter gets. The services store it with a write conditional on the
//! version read, so of two officers acting at once exactly one wins.
//!
//! ```text
//! received ─router─> dispositioned ─accept/assign─> in_progress ─follow_up─> responded ─close─> closed
//!     └─router─> needs_triage ─verify─┘        └──────follow_up──────────┘   │  ^    └─auto_close─┘
//!                                                    ^───────reply──────────┘  │
//! any open status ─request_info/defer─> deferred ─reply─> (the status it came from)
//! open statuses ─archive/duplicate/withdraw─> archived      forward: dispositioned at another agency
//! dispositioned/in_progress ─escalate─> (same status, same holder) + a supervisor one level up
//!                           ─take_over (a supervising institution)─> in_progress at the supervisor
//! ```

use crate::deadlines::Deadlines;
use crate::directory::Directory;
use crate::domain::{
    Actor, ArchiveReason, Channel, Rating, Report, RoutingRecord, Status, TimelineEvent, TrackingId,
};
use crate::error::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{EnumDiscriminants, EnumIter, IntoEnumIterator};

/// Longest free text of an action (a follow-up, a question, a reply).
pub const MESSAGE_CHARS: usize = 4_000;
/// Longest reason (archiving, forwarding) or rating comment.
pub const REASON_CHARS: usize = 500;

/// What someone does to a report. Sent as `{"action": "<name>", ...fields}`. What each kind of
/// action is allowed is [`ActionKind::rule`]: the one table of the lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, EnumDiscriminants)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[strum_discriminants(name(ActionKind), derive(EnumIter, Hash))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    // ---- verifiers (national administrators)
    /// Verify and forward: to `agency_id`, or to the router's choice when absent.
    Verify {
        #[serde(default)]
        agency_id: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
    /// Ask the reporter before verifying.
    Defer { question: String },
    /// Set aside with a reason.
    Archive { reason: ArchiveReason },
    /// Archive as a repeat of another open report (of the same institution once dispatched;
    /// the holding institution's officers may mark it too), linking both.
    MarkDuplicate { duplicate_of: String },

    // ---- officers of the handling institution
    /// Take it on. (Field-less actions are empty structs so unknown fields are refused too.)
    Accept {},
    /// Give it to one of the institution's work units.
    Assign { work_unit: String },
    /// Post the follow-up (tindak lanjut).
    FollowUp { message: String },
    /// Ask the reporter for more information.
    RequestInfo { question: String },
    /// Not our authority: it moves to another institution (no wrong door: never dropped).
    Forward { agency_id: String, reason: String },
    /// Done.
    Close {
        #[serde(default)]
        message: Option<String>,
    },
    /// An information request's follow-up needs longer: its deadline moves by the policy's
    /// extension (7 working days, UU 14/2008 art. 22(8)), once, with the reason.
    Extend { reason: String },

    // ---- supervisors of an overdue report (an institution above the holder, or the national
    // ---- verifiers once they supervise it)
    /// Remind the holder, with a note (the report stays where it is).
    Remind { note: String },
    /// Take the report over: the supervising institution holds it from now on.
    TakeOver { reason: String },

    // ---- the reporter (with the access token)
    /// Reply to a follow-up (reopens it) or answer a question.
    Reply { message: String },
    /// Rate the follow-up, once.
    Rate {
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
        #[serde(deserialize_with = "whole_stars")]
        stars: u8,
        #[serde(default)]
        comment: Option<String>,
    },
    Withdraw {
        #[serde(default)]
        reason: Option<String>,
    },

    // ---- the system (the router and the escalation schedule)
    /// The router placed the report with an institution; its decision is the routing record.
    /// Never sent by a client.
    #[serde(skip_deserializing)]
    Route { routing: RoutingRecord },
    /// The router could not decide: the verifiers decide. Never sent by a client.
    #[serde(skip_deserializing)]
    SendToTriage { routing: RoutingRecord },
    /// No reply within the limit after a follow-up.
    AutoClose {},
    /// The reporter never answered a question.
    ArchiveUnanswered {},
    /// A deadline passed. An unverified report goes to the verifiers; a follow-up deadline
    /// missed adds the next supervisor (the institution over its work unit, the parent
    /// institution, the national verifiers) while the holder keeps the report.
    Escalate {},
}

/// A rating's stars as JSON writes a whole number, `5` or `5.0` alike (JSON Schema's `integer`
/// takes both); a fraction or a number out of a byte's range is refused as the wrong type.
pub fn whole_stars<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    let n = f64::deserialize(deserializer)?;
    if n.fract() == 0.0 && (0.0..=f64::from(u8::MAX)).contains(&n) {
        Ok(n as u8)
    } else {
        Err(serde::de::Error::custom(
            "invalid value: a number of stars, expected a whole number from 1 to 5",
        ))
    }
}

/// What the lifecycle allows of one kind of action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// As sent (`{"action": "<name>"}`) and in `possible_actions`.
    pub name: &'static str,
    /// Who takes it.
    pub role: Role,
    /// Who else may take it (see [`admits`]).
    pub also: &'static [Role],
    /// The statuses it is possible in.
    pub allowed_in: &'static [Status],
    /// The timeline's word for it (past tense).
    pub event: &'static str,
}

impl ActionKind {
    /// The lifecycle's table: every action's name, who takes it, in which statuses, and what
    /// the timeline calls it. The code and the tests read this one table.
    pub const fn rule(self) -> Rule {
        use Role::*;
        use Status::*;
        const OPEN: &[Status] = &[
            Received,
            NeedsTriage,
            Dispositioned,
            InProgress,
            Responded,
            Deferred,
        ];
        let also: &'static [Role] = match self {
            // Forward: the holder, or a supervisor sending it where it belongs.
            ActionKind::Forward => &[Supervisor],
            // Mark a duplicate: the holding institution's officers too, once dispatched.
            ActionKind::MarkDuplicate => &[Officer],
            _ => &[],
        };
        let (name, role, allowed_in, event): (_, _, &'static [Status], _) = match self {
            ActionKind::Verify => (
                "verify",
                Verifier,
                &[Received, NeedsTriage, Dispositioned],
                "verified",
            ),
            ActionKind::Defer => ("defer", Verifier, &[Received, NeedsTriage], "deferred"),
            ActionKind::Archive => (
                "archive",
                Verifier,
                &[Received, NeedsTriage, Deferred],
                "archived",
            ),
            ActionKind::MarkDuplicate => (
                "mark_duplicate",
                Verifier,
                &[
                    Received,
                    NeedsTriage,
                    Dispositioned,
                    InProgress,
                    Responded,
                    Deferred,
                ],
                "marked_duplicate",
            ),
            ActionKind::Accept => ("accept", Officer, &[Dispositioned], "accepted"),
            ActionKind::Assign => (
                "assign",
                Officer,
                &[Dispositioned, InProgress],
                "assigned_to_unit",
            ),
            ActionKind::FollowUp => (
                "follow_up",
                Officer,
                &[Dispositioned, InProgress],
                "followed_up",
            ),
            ActionKind::RequestInfo => (
                "request_info",
                Officer,
                &[Dispositioned, InProgress, Responded],
                "info_requested",
            ),
            ActionKind::Forward => (
                "forward",
                Officer,
                &[Dispositioned, InProgress],
                "forwarded",
            ),
            ActionKind::Close => ("close", Officer, &[InProgress, Responded], "closed"),
            ActionKind::Extend => (
                "extend",
                Officer,
                &[Dispositioned, InProgress],
                "deadline_extended",
            ),
            ActionKind::Remind => (
                "remind",
                Supervisor,
                &[Dispositioned, InProgress, Responded, Deferred],
                "reminded",
            ),
            ActionKind::TakeOver => (
                "take_over",
                Supervisor,
                &[Dispositioned, InProgress],
                "taken_over",
            ),
            ActionKind::Reply => ("reply", Reporter, OPEN, "reporter_replied"),
            ActionKind::Rate => ("rate", Reporter, &[Responded, Closed], "rated"),
            ActionKind::Withdraw => ("withdraw", Reporter, OPEN, "withdrawn"),
            ActionKind::Route => ("route", System, &[Received], "routed"),
            ActionKind::SendToTriage => ("send_to_triage", System, &[Received], "sent_to_triage"),
            ActionKind::AutoClose => ("auto_close", System, &[Responded], "auto_closed"),
            ActionKind::ArchiveUnanswered => (
                "archive_unanswered",
                System,
                &[Deferred],
                "archived_unanswered",
            ),
            ActionKind::Escalate => (
                "escalate",
                System,
                &[Received, NeedsTriage, Dispositioned, InProgress],
                "escalated",
            ),
        };
        Rule {
            name,
            role,
            also,
            allowed_in,
            event,
        }
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        ActionKind::from(self)
    }

    /// The action's name, as sent.
    pub fn name(&self) -> &'static str {
        self.kind().rule().name
    }
}

/// Who takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Verifier,
    Officer,
    Reporter,
    System,
    /// A supervisor of an overdue report: an officer of a supervising institution, or a
    /// verifier once the national verifiers supervise it ([`Report::supervisors`]).
    Supervisor,
}

impl Role {
    /// The role an actor has by who they are (a supervisor is one by the report: [`admits`]).
    pub fn of(actor: &Actor) -> Role {
        match actor {
            Actor::Verifier { .. } => Role::Verifier,
            Actor::Officer { .. } => Role::Officer,
            Actor::Reporter => Role::Reporter,
            Actor::System { .. } => Role::System,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Role::Verifier => "verifiers",
            Role::Officer => "officers of the handling institution",
            Role::Reporter => "the reporter",
            Role::System => "the system",
            Role::Supervisor => "supervisors of the overdue report",
        }
    }

    /// Whether `actor` is of this role's kind, whatever the report (a supervisor is an officer
    /// or a verifier).
    fn kind_includes(self, actor: &Actor) -> bool {
        match (self, actor) {
            (Role::Supervisor, Actor::Officer { .. } | Actor::Verifier { .. }) => true,
            (role, actor) => role == Role::of(actor),
        }
    }

    /// Whether `actor` acts in this role on `report`: an officer of the institution or work
    /// unit holding it (a supervising institution is not the handling one), a supervisor of it.
    fn includes(self, actor: &Actor, report: &Report) -> bool {
        match (self, actor) {
            (Role::Supervisor, Actor::Officer { agency_id, .. }) => {
                report.is_supervised_by(Some(agency_id))
            }
            (Role::Supervisor, Actor::Verifier { .. }) => report.is_supervised_by(None),
            (Role::Supervisor, _) => false,
            (Role::Officer, Actor::Officer { agency_id, .. }) => {
                report.agency_id.as_deref() == Some(agency_id.as_str())
                    || report.work_unit.as_deref() == Some(agency_id.as_str())
            }
            (role, actor) => role == Role::of(actor),
        }
    }
}

/// The roles that may take `kind` of action: its role, then its other ones.
fn roles(kind: ActionKind) -> impl Iterator<Item = Role> {
    let rule = kind.rule();
    std::iter::once(rule.role).chain(rule.also.iter().copied())
}

/// Whether the lifecycle's table lets `actor` take `kind` of action on `report` at all (its
/// role or one of its other roles; the status is checked apart).
pub fn admits(kind: ActionKind, actor: &Actor, report: &Report) -> bool {
    roles(kind).any(|r| r.includes(actor, report))
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LifecycleError {
    /// The actor may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Not possible in the report's current status (409).
    #[error("`{action}` is not possible while the report is {status}")]
    NotNow {
        action: &'static str,
        status: &'static str,
    },
    /// Possible, but already done and only allowed once (409).
    #[error("{0}")]
    AlreadyDone(String),
    /// Not possible for this report whatever its status (an extension of a complaint) (409).
    #[error("{0}")]
    NotForThisReport(String),
    /// A field is missing or wrong (422).
    #[error("the action has invalid fields")]
    Invalid(Vec<FieldError>),
}

impl From<LifecycleError> for crate::error::ServiceError {
    fn from(e: LifecycleError) -> crate::error::ServiceError {
        use crate::error::ServiceError;
        match e {
            LifecycleError::Forbidden(message) => ServiceError::Forbidden(message),
            LifecycleError::NotNow { .. } => ServiceError::Conflict {
                code: "invalid_transition",
                message: e.to_string(),
            },
            LifecycleError::AlreadyDone(message) => ServiceError::Conflict {
                code: "already_done",
                message,
            },
            LifecycleError::NotForThisReport(message) => ServiceError::Conflict {
                code: "not_for_this_report",
                message,
            },
            LifecycleError::Invalid(fields) => ServiceError::Invalid(fields),
        }
    }
}

/// Whether `actor` may see and act on `report` at all (the reporter is checked by token
/// elsewhere). Officers: only while their institution or work unit holds the report, or their
/// institution supervises it overdue, so a forward takes the old institution's access away.
/// Verifiers: every report.
pub fn may_access(actor: &Actor, report: &Report) -> bool {
    match actor {
        Actor::Verifier { .. } | Actor::Reporter | Actor::System { .. } => true,
        Actor::Officer { agency_id, .. } => {
            report.agency_id.as_deref() == Some(agency_id.as_str())
                || report.work_unit.as_deref() == Some(agency_id.as_str())
                || report.is_supervised_by(Some(agency_id))
        }
    }
}

/// Whether `actor` is an officer of the institution holding `report` (not only of its work
/// unit, nor a supervisor).
fn is_holder(actor: &Actor, report: &Report) -> bool {
    matches!(actor, Actor::Officer { agency_id, .. }
        if report.agency_id.as_deref() == Some(agency_id.as_str()))
}

/// The actions `actor` could take on `report` now (a field check may still refuse one).
pub fn possible_actions(report: &Report, actor: &Actor) -> Vec<&'static str> {
    if !may_access(actor, report) {
        return Vec::new();
    }
    ActionKind::iter()
        .filter(|kind| {
            admits(*kind, actor, report) && kind.rule().allowed_in.contains(&report.status)
        })
        .filter(|kind| *kind != ActionKind::Rate || report.rating.is_none())
        .filter(|kind| who_else(*kind, actor, report).is_ok())
        .filter(|kind| kind_allows(*kind, report).is_ok())
        .map(|kind| kind.rule().name)
        .collect()
}

/// What the services need besides the report: the time, the directory to check agencies and
/// to escalate, and the deadlines.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub directory: &'a Directory,
    pub deadlines: &'a Deadlines,
}

/// The report after `action` by `actor`, version bumped and the event appended (carrying
/// `action_id`), or why not. Nothing is stored here.
pub fn apply(
    report: &Report,
    actor: &Actor,
    action: &Action,
    action_id: Option<&str>,
    ctx: &Context<'_>,
) -> Result<Report, LifecycleError> {
    let rule = action.kind().rule();
    let only = || {
        let names = roles(action.kind())
            .map(Role::name)
            .collect::<Vec<_>>()
            .join(" or ");
        LifecycleError::Forbidden(format!("only {names} may `{}`", rule.name))
    };
    // Who they are, then whether they may see the report at all, then their part in it, so a
    // stranger hears that the report is not theirs before anything about it.
    if !roles(action.kind()).any(|r| r.kind_includes(actor)) {
        return Err(only());
    }
    if !may_access(actor, report) {
        return Err(LifecycleError::Forbidden(
            "this report is not held by your institution".into(),
        ));
    }
    if !admits(action.kind(), actor, report) {
        return Err(only());
    }
    if !rule.allowed_in.contains(&report.status) {
        return Err(LifecycleError::NotNow {
            action: action.name(),
            status: report.status.as_str(),
        });
    }
    validate(report, actor, action, ctx)?;

    let mut next = report.clone();
    let mut note: Option<String> = None;
    let mut event_agency = report.agency_id.clone();
    match action {
        Action::Verify { agency_id, note: n } => {
            let target = match agency_id {
                Some(id) => id.clone(),
                None => router_choice(report).ok_or_else(|| {
                    LifecycleError::Invalid(vec![FieldError::new(
                        "agency_id",
                        "the router suggested no institution: name one",
                    )])
                })?,
            };
            next.status = Status::Dispositioned;
            next.agency_id = Some(target.clone());
            next.work_unit = None;
            // A new holder starts its own clock: nobody supervises it yet.
            next.supervisors.clear();
            next.extended = false;
            // The likely repeats were among the previous holder's reports.
            next.possible_duplicates.clear();
            event_agency = Some(target);
            note = n.as_deref().map(tidy);
        }
        Action::Defer { question } | Action::RequestInfo { question } => {
            // The answer returns it to where it was; a verifier's question to the triage queue
            // (a `received` report is in it too), and an answer to a question asked after a
            // follow-up needs the institution's work again.
            next.deferred_from = Some(match report.status {
                Status::Received | Status::NeedsTriage => Status::NeedsTriage,
                Status::Responded => Status::InProgress,
                other => other,
            });
            next.status = Status::Deferred;
            note = Some(tidy(question));
        }
        Action::Archive { reason } => {
            next.status = Status::Archived;
            next.archive_reason = Some(*reason);
            next.deferred_from = None;
        }
        Action::MarkDuplicate { duplicate_of } => {
            // The other report is checked by the service (it must be read): open, and of the
            // same institution once this one is dispatched.
            next.status = Status::Archived;
            next.archive_reason = Some(ArchiveReason::Duplicate);
            next.duplicate_of = TrackingId::parse(duplicate_of);
            next.deferred_from = None;
            note = next.duplicate_of.as_ref().map(|id| id.to_string());
        }
        Action::Accept {} => next.status = Status::InProgress,
        Action::Assign { work_unit } => {
            next.status = Status::InProgress;
            next.work_unit = Some(work_unit.clone());
            event_agency = Some(work_unit.clone());
        }
        Action::FollowUp { message } => {
            next.status = Status::Responded;
            // Answered: no longer overdue. A later miss (after a reply) starts from the first
            // level again; the timeline keeps the escalations.
            next.supervisors.clear();
            note = Some(tidy(message));
            // The statistics' "answered within the deadline": the deadline in force now is the
            // follow-up's (an extension moved it), and a holder that already missed one is
            // supervised (a miss gives it a new deadline, which does not make it on time).
            if next.first_response.is_none() {
                next.first_response = Some(crate::domain::report::FirstResponse {
                    at: ctx.now,
                    within_deadline: report.supervisors.is_empty()
                        && report.deadline.is_none_or(|d| ctx.now <= d.at),
                });
            }
        }
        Action::Forward { agency_id, reason } => {
            next.status = Status::Dispositioned;
            next.agency_id = Some(agency_id.clone());
            next.work_unit = None;
            next.supervisors.clear();
            next.extended = false;
            // The likely repeats were among the previous holder's reports.
            next.possible_duplicates.clear();
            event_agency = Some(agency_id.clone());
            note = Some(tidy(reason));
        }
        Action::Extend { reason } => note = Some(tidy(reason)),
        Action::Remind { note: n } => {
            // The reminder names who reminds: the supervising institution, none for verifiers.
            event_agency = match actor {
                Actor::Officer { agency_id, .. } => Some(agency_id.clone()),
                _ => None,
            };
            note = Some(tidy(n));
        }
        Action::TakeOver { reason } => {
            let Actor::Officer { agency_id, .. } = actor else {
                unreachable!("who_else lets only a supervising institution's officers take over")
            };
            next.status = Status::InProgress;
            next.agency_id = Some(agency_id.clone());
            next.work_unit = None;
            next.supervisors.clear();
            next.extended = false;
            // The likely repeats were among the previous holder's reports.
            next.possible_duplicates.clear();
            event_agency = Some(agency_id.clone());
            note = Some(tidy(reason));
        }
        Action::Close { message } => {
            next.status = Status::Closed;
            note = message.as_deref().map(tidy);
        }
        Action::Reply { message } => {
            next.status = match report.status {
                Status::Responded => Status::InProgress,
                Status::Deferred => report.deferred_from.unwrap_or(Status::NeedsTriage),
                other => other,
            };
            if report.status == Status::Deferred {
                next.deferred_from = None;
            }
            note = Some(tidy(message));
        }
        Action::Rate { stars, comment } => {
            next.rating = Some(Rating {
                stars: *stars,
                comment: comment.as_ref().map(|c| tidy(c)).filter(|c| !c.is_empty()),
                at: ctx.now,
            });
        }
        Action::Withdraw { reason } => {
            next.status = Status::Archived;
            next.archive_reason = Some(ArchiveReason::Withdrawn);
            next.deferred_from = None;
            note = reason.as_ref().map(|r| tidy(r)).filter(|r| !r.is_empty());
        }
        Action::Route { routing } => {
            next.status = Status::Dispositioned;
            next.agency_id = routing.agency_id.clone();
            next.work_unit = None;
            next.routing = Some(routing.clone());
            event_agency = next.agency_id.clone();
            note = Some(routing.reason.clone());
        }
        Action::SendToTriage { routing } => {
            next.status = Status::NeedsTriage;
            next.agency_id = None;
            next.work_unit = None;
            next.routing = Some(routing.clone());
            event_agency = None;
            note = Some(routing.reason.clone());
        }
        Action::AutoClose {} => next.status = Status::Closed,
        Action::ArchiveUnanswered {} => {
            next.status = Status::Archived;
            next.archive_reason = Some(ArchiveReason::NoAnswer);
            next.deferred_from = None;
        }
        Action::Escalate {} => {
            match report.agency_id {
                // Unverified: the verifiers' triage, as before.
                None => {
                    next.status = Status::NeedsTriage;
                    event_agency = None;
                }
                // The holder keeps it; the next level up supervises.
                Some(_) => {
                    let level = report.next_supervisor(ctx.directory).flatten();
                    if let Some(level) = report.next_supervisor(ctx.directory) {
                        next.supervisors.push(crate::domain::report::Supervisor {
                            agency_id: level,
                            since: ctx.now,
                        });
                    }
                    event_agency = level;
                }
            }
            let zone = ctx
                .deadlines
                .zone_of(ctx.directory, report.agency_id.as_deref());
            note = report.deadline.map(|d| {
                format!(
                    "Batas waktu {} terlewati ({}).",
                    step_label(d.step),
                    local_time(d.at, zone)
                )
            });
        }
    }
    // An escalation and an answered question start their step's clock anew.
    let restart = matches!(action, Action::Escalate {}) || report.status == Status::Deferred;
    next.deadline = ctx
        .deadlines
        .next(ctx.directory, report, &next, ctx.now, restart);
    if let Action::Extend { .. } = action {
        next.extended = true;
        next.deadline = report.deadline.map(|d| crate::domain::Deadline {
            step: d.step,
            at: ctx.deadlines.extended(ctx.directory, report, d.at),
        });
    }
    next.due_at = crate::deadlines::due_at(&next, report.due_at);
    next.version += 1;
    next.record(TimelineEvent {
        at: ctx.now,
        actor: actor.clone(),
        action: event_name(action).into(),
        agency_id: event_agency,
        status: Some(next.status),
        note,
        action_id: action_id.map(str::to_string),
    });
    Ok(next)
}

/// Free text as stored: line breaks as `\n` (a browser's form sends `\r\n`), trimmed.
fn tidy(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_string()
}

/// The timeline's word for an action (past tense, like the router's `routed`).
pub fn event_name(action: &Action) -> &'static str {
    action.kind().rule().event
}

/// A step as citizens read it.
pub fn step_label(step: crate::deadlines::Step) -> &'static str {
    use crate::deadlines::Step;
    match step {
        Step::Verification => "verifikasi",
        Step::FollowUp => "tindak lanjut",
        Step::AutoClose => "tanggapan pelapor",
        Step::DeferredAnswer => "jawaban pelapor",
    }
}

/// A time as citizens read it: in the institution's zone, with its abbreviation
/// (`8 Desember 2025 23.59 WIB`), never UTC.
pub fn local_time(at: DateTime<Utc>, zone: crate::deadlines::TimeZone) -> String {
    use crate::deadlines::zones::MONTHS;
    use chrono::{Datelike, Timelike};
    let local = zone.local(at);
    format!(
        "{} {} {} {:02}.{:02} {}",
        local.day(),
        MONTHS[local.month0() as usize],
        local.year(),
        local.hour(),
        local.minute(),
        zone.abbreviation()
    )
}

/// The router's suggestion a verifier may accept: its decision's agency, else its top candidate.
fn router_choice(report: &Report) -> Option<String> {
    let routing = report.routing.as_ref()?;
    routing
        .agency_id
        .clone()
        .or_else(|| routing.candidates.first().map(|c| c.agency_id.clone()))
}

fn validate(
    report: &Report,
    actor: &Actor,
    action: &Action,
    ctx: &Context<'_>,
) -> Result<(), LifecycleError> {
    let mut errors = Vec::new();
    let mut text = |field: &str, value: &str, max: usize| {
        let value = tidy(value);
        let chars = value.chars().count();
        if chars == 0 {
            errors.push(FieldError::new(field, "must not be empty"));
        } else if value
            .chars()
            .any(|c| crate::domain::submission::forbidden_char(c, true))
        {
            // The rule of a report's text: a terminal escape or a bidirectional override in an
            // officer's note would show staff and reporters something other than what is stored.
            errors.push(FieldError::new(
                field,
                "must not contain control characters other than newline and tab, or \
                 bidirectional overrides",
            ));
        } else if chars > max {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
    };
    match action {
        Action::Verify { note: Some(n), .. } => text("note", n, MESSAGE_CHARS),
        Action::Defer { question } | Action::RequestInfo { question } => {
            text("question", question, MESSAGE_CHARS)
        }
        Action::FollowUp { message } | Action::Reply { message } => {
            text("message", message, MESSAGE_CHARS)
        }
        Action::Forward { reason, .. }
        | Action::Extend { reason }
        | Action::TakeOver { reason } => text("reason", reason, REASON_CHARS),
        Action::Remind { note } => text("note", note, MESSAGE_CHARS),
        Action::Close {
            message: Some(message),
        } => text("message", message, MESSAGE_CHARS),
        Action::Withdraw {
            reason: Some(reason),
        } if !reason.trim().is_empty() => text("reason", reason, REASON_CHARS),
        Action::Rate { comment, .. } => {
            if let Some(c) = comment.as_ref().filter(|c| !c.trim().is_empty()) {
                text("comment", c, REASON_CHARS);
            }
        }
        _ => {}
    }
    match action {
        Action::Verify {
            agency_id: Some(id),
            ..
        } if ctx.directory.get(id).is_none() => {
            errors.push(FieldError::new(
                "agency_id",
                "is not an institution of the directory",
            ));
        }
        Action::Verify {
            agency_id: None, ..
        } if answered_since_routing(report) => {
            errors.push(FieldError::new(
                "agency_id",
                "the reporter answered a question after the router chose: name the institution \
                 that fits the answer",
            ));
        }
        Action::Verify { agency_id, .. }
            if report.status == Status::Dispositioned
                && agency_id.clone().or_else(|| router_choice(report)) == report.agency_id =>
        {
            errors.push(FieldError::new(
                "agency_id",
                "is the institution that holds the report already",
            ));
        }
        Action::Forward { agency_id, .. } => {
            if ctx.directory.get(agency_id).is_none() {
                errors.push(FieldError::new(
                    "agency_id",
                    "is not an institution of the directory",
                ));
            } else if report.agency_id.as_deref() == Some(agency_id.as_str()) {
                errors.push(FieldError::new(
                    "agency_id",
                    "is the institution that holds the report already",
                ));
            } else if report
                .agency_id
                .as_deref()
                .is_some_and(|holder| is_work_unit_of(ctx.directory, agency_id, holder))
            {
                errors.push(FieldError::new(
                    "agency_id",
                    "is a work unit of the holding institution: use `assign`",
                ));
            }
        }
        Action::Assign { work_unit } => {
            let holder = report.agency_id.as_deref().unwrap_or_default();
            if !is_work_unit_of(ctx.directory, work_unit, holder) {
                errors.push(FieldError::new(
                    "work_unit",
                    "is not a work unit of the institution that holds the report",
                ));
            }
        }
        Action::MarkDuplicate { duplicate_of } => match TrackingId::parse(duplicate_of) {
            None => errors.push(FieldError::new("duplicate_of", "is not a tracking id")),
            Some(id) if id == report.tracking_id => {
                errors.push(FieldError::new("duplicate_of", "is this report itself"))
            }
            Some(_) => {}
        },
        Action::Rate { stars, .. } if !(1..=5).contains(stars) => {
            errors.push(FieldError::new("stars", "must be 1 to 5"));
        }
        Action::Route { routing } => match routing.agency_id.as_deref() {
            Some(id) if ctx.directory.get(id).is_some() => {}
            _ => errors.push(FieldError::new(
                "routing.agency_id",
                "the router chose no institution of the directory",
            )),
        },
        _ => {}
    }
    if !errors.is_empty() {
        return Err(LifecycleError::Invalid(errors));
    }
    who_else(action.kind(), actor, report)?;
    kind_allows(action.kind(), report)?;
    match action {
        Action::Rate { .. } if report.rating.is_some() => Err(LifecycleError::AlreadyDone(
            "the follow-up was rated already".into(),
        )),
        _ => Ok(()),
    }
}

/// Rules about who, beyond the role.
fn who_else(kind: ActionKind, actor: &Actor, report: &Report) -> Result<(), LifecycleError> {
    let supervising = Role::Supervisor.includes(actor, report);
    match (kind, actor) {
        // A work unit's officers follow up; their institution assigns, forwards and extends.
        (ActionKind::Assign | ActionKind::Extend, Actor::Officer { .. })
            if !is_holder(actor, report) =>
        {
            Err(LifecycleError::Forbidden(format!(
                "only the institution that holds the report may `{}` it",
                kind.rule().name
            )))
        }
        (ActionKind::Forward, Actor::Officer { .. })
            if !is_holder(actor, report) && !supervising =>
        {
            Err(LifecycleError::Forbidden(
                "only the institution that holds the report, or one that supervises it, may \
                 `forward` it"
                    .into(),
            ))
        }
        // Officers mark duplicates of what their institution holds, once it was dispatched.
        (ActionKind::MarkDuplicate, Actor::Officer { .. }) if !is_holder(actor, report) => {
            Err(LifecycleError::Forbidden(
                "only the institution that holds the report may `mark_duplicate` it".into(),
            ))
        }
        (ActionKind::MarkDuplicate, Actor::Officer { .. })
            if matches!(report.status, Status::Received | Status::NeedsTriage) =>
        {
            Err(LifecycleError::Forbidden(
                "only verifiers may `mark_duplicate` a report not yet dispatched".into(),
            ))
        }
        // The national verifiers hold no reports: they forward it to the institution instead.
        (ActionKind::TakeOver, Actor::Verifier { .. }) => Err(LifecycleError::Forbidden(
            "the national verifiers hold no reports: `forward` it to the institution that \
             should answer"
                .into(),
        )),
        _ => Ok(()),
    }
}

/// Rules about the report beyond its status: what only some reports allow.
fn kind_allows(kind: ActionKind, report: &Report) -> Result<(), LifecycleError> {
    match kind {
        ActionKind::Extend if report.kind != crate::domain::ReportKind::InformationRequest => {
            Err(LifecycleError::NotForThisReport(
                "only an information request's deadline may be extended (UU 14/2008)".into(),
            ))
        }
        ActionKind::Extend if report.extended => Err(LifecycleError::AlreadyDone(
            "the deadline was extended already (once is allowed)".into(),
        )),
        ActionKind::Extend if report.deadline.is_none() => Err(LifecycleError::NotForThisReport(
            "the report has no deadline to extend".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether the reporter answered a question after the router's last decision (its choice
/// predates the answer, so a verifier must choose).
fn answered_since_routing(report: &Report) -> bool {
    let routed = report
        .timeline
        .iter()
        .rposition(|e| matches!(e.action.as_str(), "routed" | "sent_to_triage"));
    let replied = report
        .timeline
        .iter()
        .rposition(|e| e.action == "reporter_replied");
    matches!((routed, replied), (Some(r), Some(a)) if a > r)
}

/// Whether `unit` is a work unit of `institution`: below it in the directory and not a regional
/// government (a kabupaten is below its province, but is its own institution, reached by a
/// forward, never by an assignment).
pub fn is_work_unit_of(directory: &Directory, unit: &str, institution: &str) -> bool {
    let regional = |kind: &str| matches!(kind, "province" | "city" | "regency");
    // Every level from the unit up to (not including) the institution must be a unit, so a
    // province cannot reach a dinas of one of its cities either.
    let mut current = unit.to_string();
    for _ in 0..8 {
        let Some(agency) = directory.get(&current) else {
            return false;
        };
        if regional(&agency.kind) {
            return false;
        }
        match &agency.parent_id {
            Some(parent) if parent == institution => return true,
            Some(parent) => current = parent.clone(),
            None => return false,
        }
    }
    false
}

/// Whether `unit` is below `institution` in the directory (a directorate, a dinas...).
pub fn is_unit_of(directory: &Directory, unit: &str, institution: &str) -> bool {
    let mut current = directory.get(unit).and_then(|a| a.parent_id.clone());
    // The directory is a tree; the bound guards against a cycle in bad data.
    for _ in 0..8 {
        match current {
            Some(ref id) if id == institution => return true,
            Some(id) => current = directory.get(&id).and_then(|a| a.parent_id.clone()),
            None => return false,
        }
    }
    false
}

// ------------------------------------------------------------------ notifications

/// What the notification queue carries for one timeline event: everything the notifier needs to
/// reach the reporter on their channel, and nothing of the report's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `<tracking id>:<timeline index>`: the same event always makes the same id, so the
    /// notifier sends each once however often it is queued.
    pub notification_id: String,
    /// The report it is about; none for an answer about no report (channel help).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_id: Option<TrackingId>,
    /// The channel the report came in on: the reply goes back there.
    pub channel: Channel,
    /// The timeline event (`followed_up`, `forwarded`...).
    pub event: String,
    /// The report's status after the event; none for an answer that changed nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    pub at: DateTime<Utc>,
    /// The reporter's sealed contact (`crypto::Sealer`); none when they left no contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_sealed: Option<String>,
    /// The message, in Indonesian; never the report's content. Short enough for one SMS,
    /// except the institution's words to a reporter on a channel ([`institution_words`]),
    /// which the notifier sends in as many parts as the channel needs.
    pub text: String,
}

/// The notification for the timeline event at `index` (normally the last).
///
/// A reporter on a conversational channel (SMS, X, WhatsApp, Messenger) has no web page to read
/// the institution's words on: their notices of a question, a follow-up and a closing message
/// carry those words ([`institution_words`]) and say how to answer by message. The report's own
/// content is never in a notice. An event that tells the reporter nothing new (a deadline missed
/// again while the same level already looks after the report, a reminder between institutions)
/// makes a notification with no recipient, which the notifier does not send.
pub fn notification(report: &Report, index: usize, directory: &Directory) -> Notification {
    let event = &report.timeline[index];
    let id = &report.tracking_id;
    let agency = || agency_name(event.agency_id.as_deref(), directory);
    let on_channel = reads_on_channel(report.channel);
    let rated_before = report.timeline[..index].iter().any(|e| e.action == "rated");
    let status = event.status.unwrap_or(report.status);
    let words = || {
        institution_words(report, index, directory)
            .filter(|_| on_channel)
            .map(|w| format!("{w}{}", next_step_hint(id, status, rated_before)))
    };
    let mut silent = false;
    let text = match event.action.as_str() {
        "submitted" => format!(
            "Laporan Anda diterima dengan nomor {id}. Kirim CEK {id} untuk melihat perkembangannya."
        ),
        "routed" | "verified" | "forwarded" => {
            format!("Laporan {id} telah diteruskan ke {}.", agency())
        }
        "taken_over" => format!("Laporan {id} kini ditangani langsung oleh {}.", agency()),
        "sent_to_triage" => format!("Laporan {id} sedang diverifikasi oleh admin LAPOR."),
        "accepted" | "assigned_to_unit" => format!("Laporan {id} sedang diproses."),
        "followed_up" => words().unwrap_or_else(|| {
            format!(
                "Laporan {id} telah ditindaklanjuti. Baca tanggapannya, dan balas bila belum \
                 selesai."
            )
        }),
        "deferred" | "info_requested" => words().unwrap_or_else(|| {
            format!(
                "Laporan {id} membutuhkan informasi tambahan dari Anda. Mohon jawab \
                 pertanyaannya."
            )
        }),
        "closed" | "auto_closed" => {
            let mut text = format!("Laporan {id} telah selesai.");
            if let Some(words) = institution_words(report, index, directory).filter(|_| on_channel)
            {
                text = words;
            }
            if rated_before {
            } else if on_channel {
                text.push_str(&next_step_hint(id, Status::Closed, false));
            } else {
                text.push_str(" Beri penilaian atas tindak lanjutnya.");
            }
            text
        }
        "reporter_replied" => format!("Balasan Anda untuk laporan {id} telah diterima."),
        "rated" => format!("Terima kasih atas penilaian Anda untuk laporan {id}."),
        "withdrawn" => format!("Laporan {id} telah Anda tarik."),
        "marked_duplicate" => match event.note.as_deref().and_then(TrackingId::parse) {
            Some(other) => format!(
                "Laporan {id} sama dengan laporan {other} dan digabungkan ke sana. \
                 Penanganannya berlanjut di laporan {other}."
            ),
            None => format!("Laporan {id} sama dengan laporan lain dan diarsipkan."),
        },
        "escalated" => {
            silent = looks_after_it_already(report, index);
            match (&event.agency_id, status) {
                // Not verified in time: the national verifiers take it.
                (None, Status::Received | Status::NeedsTriage) => {
                    format!("Laporan {id} melewati batas waktu dan ditangani admin nasional.")
                }
                // The holder keeps it; the next level up supervises.
                (None, _) => format!(
                    "Laporan {id} melewati batas waktu. Admin nasional LAPOR kini ikut mengawasi \
                     penanganannya."
                ),
                (Some(_), _) => format!(
                    "Laporan {id} melewati batas waktu. {} kini ikut mengawasi penanganannya.",
                    agency()
                ),
            }
        }
        // UU 14/2008 art. 22(8): the applicant is told the extension and its reason.
        "deadline_extended" => {
            let mut text = format!(
                "Batas waktu jawaban atas permintaan informasi {id} diperpanjang 7 hari kerja \
                 (UU 14/2008)."
            );
            if let Some(reason) = event.note.as_deref().filter(|_| on_channel) {
                text.push_str(&format!(" Alasan dari {}: \"{reason}\"", agency()));
            }
            text
        }
        // Between institutions: nothing the reporter can act on.
        "reminded" => {
            silent = true;
            format!("Laporan {id} sedang diproses.")
        }
        "archived_unanswered" => {
            format!("Laporan {id} diarsipkan karena pertanyaan tidak dijawab.")
        }
        _ => format!("Status laporan {id}: {}.", status.label().id),
    };
    Notification {
        notification_id: format!("{id}:{index}"),
        tracking_id: Some(id.clone()),
        channel: report.channel,
        event: event.action.clone(),
        status: Some(status),
        at: event.at,
        // An unconfirmed contact hears nothing but the receipt with its code (sent by intake):
        // otherwise anyone could make the state's sender message any number they type.
        recipient_sealed: report
            .reporter_sealed
            .clone()
            .filter(|_| report.contact_check.is_none() && !silent),
        text,
    }
}

/// The events a report's supporters hear of: the institution's answers, the end, a merge.
pub const SUPPORTER_EVENTS: [&str; 4] =
    ["followed_up", "closed", "auto_closed", "marked_duplicate"];

/// The notices of the event at `index` to the report's supporters who can be told, one each
/// (`<tracking id>:<index>:d<n>`, so the notifier sends each once); none for any other event.
/// Like the reporter's, they carry the institution's words, never the report's content.
pub fn supporter_notifications(
    report: &Report,
    index: usize,
    directory: &Directory,
) -> Vec<Notification> {
    let event = &report.timeline[index];
    if !SUPPORTER_EVENTS.contains(&event.action.as_str()) || report.supporters.is_empty() {
        return Vec::new();
    }
    let id = &report.tracking_id;
    let agency = agency_name(event.agency_id.as_deref(), directory);
    // A confidential report's answers are meant for its reporter alone: its supporters (a merge
    // may bring them) hear that it moved, never its words.
    let words = event
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !report.confidential);
    let text = match (event.action.as_str(), words) {
        ("followed_up", Some(w)) => {
            format!("Laporan {id} yang Anda dukung ditanggapi {agency}: \"{w}\"")
        }
        ("followed_up", None) => format!("Laporan {id} yang Anda dukung telah ditindaklanjuti."),
        ("closed", Some(w)) => format!(
            "Laporan {id} yang Anda dukung telah selesai. Pesan penutup dari {agency}: \"{w}\""
        ),
        ("marked_duplicate", _) => match event.note.as_deref().and_then(TrackingId::parse) {
            Some(other) => format!(
                "Laporan {id} yang Anda dukung sama dengan laporan {other}. Penanganannya \
                 berlanjut di sana, dan Anda tetap mendapat kabarnya."
            ),
            None => format!("Laporan {id} yang Anda dukung sama dengan laporan lain."),
        },
        _ => format!("Laporan {id} yang Anda dukung telah selesai."),
    };
    let status = event.status.unwrap_or(report.status);
    report
        .supporters
        .iter()
        .enumerate()
        .filter_map(|(n, supporter)| {
            Some(Notification {
                notification_id: format!("{id}:{index}:d{n}"),
                tracking_id: Some(id.clone()),
                channel: supporter.channel,
                event: event.action.clone(),
                status: Some(status),
                at: event.at,
                recipient_sealed: Some(supporter.recipient_sealed.clone()?),
                text: text.clone(),
            })
        })
        .collect()
}

/// Whether the reporter reads the institution's words only in messages: the channels with no
/// web page of their own (a web or app reporter reads them with their access token).
pub fn reads_on_channel(channel: Channel) -> bool {
    matches!(
        channel,
        Channel::Sms | Channel::X | Channel::Whatsapp | Channel::Messenger
    )
}

/// The institution's own words to the reporter at `index`, introduced: a question (a verifier's
/// or an officer's), a follow-up, a closing message. None for any other event, or one without
/// words. These are the institution's words to the reporter, never the report's content.
pub fn institution_words(report: &Report, index: usize, directory: &Directory) -> Option<String> {
    let event = report.timeline.get(index)?;
    let words = event
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())?;
    let id = &report.tracking_id;
    let agency = || agency_name(event.agency_id.as_deref(), directory);
    Some(match event.action.as_str() {
        "deferred" => format!("Pertanyaan admin LAPOR tentang laporan {id}: \"{words}\""),
        "info_requested" => format!("Pertanyaan {} tentang laporan {id}: \"{words}\"", agency()),
        "followed_up" => format!("Tanggapan {} atas laporan {id}: \"{words}\"", agency()),
        "closed" => format!(
            "Laporan {id} telah selesai. Pesan penutup dari {}: \"{words}\"",
            agency()
        ),
        _ => return None,
    })
}

/// The index of the institution's latest words to the reporter ([`institution_words`]).
pub fn latest_words(report: &Report) -> Option<usize> {
    report.timeline.iter().rposition(|e| {
        matches!(
            e.action.as_str(),
            "deferred" | "info_requested" | "followed_up" | "closed"
        ) && e.note.as_deref().is_some_and(|n| !n.trim().is_empty())
    })
}

/// What a reporter on a channel may answer to a report in `status`, as they type it (with a
/// leading space; empty when nothing is theirs to do).
pub fn next_step_hint(id: &TrackingId, status: Status, rated: bool) -> String {
    match status {
        Status::Deferred => format!(" Jawab dengan: BALAS {id} <jawaban>."),
        Status::Responded if rated => {
            format!(" Bila belum selesai, kirim: BALAS {id} <pesan>.")
        }
        Status::Responded => format!(
            " Bila belum selesai, kirim: BALAS {id} <pesan>. Bila sudah, beri nilai: NILAI {id} \
             <1-5>."
        ),
        Status::Closed if !rated => format!(" Beri nilai: NILAI {id} <1-5> <komentar>."),
        _ => String::new(),
    }
}

fn agency_name(agency_id: Option<&str>, directory: &Directory) -> String {
    agency_id
        .and_then(|a| directory.get(a))
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "instansi berwenang".into())
}

/// Whether the escalation at `index` hands the report to no one new: since the report last
/// changed hands, the same level already looks after it (the national verifiers of a report
/// sent to triage, or an earlier escalation to the same level). The reporter heard of that once.
fn looks_after_it_already(report: &Report, index: usize) -> bool {
    let event = &report.timeline[index];
    for earlier in report.timeline[..index].iter().rev() {
        match earlier.action.as_str() {
            "escalated" if earlier.agency_id == event.agency_id => return true,
            "sent_to_triage" => return event.agency_id.is_none(),
            "submitted" | "routed" | "verified" | "forwarded" | "taken_over" => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests;
