//! The rules written out as a table (who takes each action, and in which statuses) with one
//! valid sample of each action; and, against the table, that every action is allowed exactly in
//! its statuses.

use super::*;

// =========================================================================== the rules, as a table

/// Who takes an action: the lifecycle's own [`Role`].
pub(super) use crate::lifecycle::Role as Kind;

pub(super) fn kind_of(actor: &Actor) -> Kind {
    Kind::of(actor)
}

/// Who may take each action, and in which statuses: read from the lifecycle's one table
/// ([`ActionKind::rule`]), which these tests hold to what `apply` and `possible_actions` do.
pub(super) fn rule(action: &Action) -> (Kind, &'static [Status]) {
    let rule = action.kind().rule();
    (rule.role, rule.allowed_in)
}

/// One valid action of each kind for a report held by [`HOLDER`].
pub(super) fn samples() -> Vec<Action> {
    vec![
        Action::Verify {
            agency_id: Some(OTHER.into()),
            note: None,
        },
        Action::Defer {
            question: "Di kantor pajak mana?".into(),
        },
        Action::Archive {
            reason: ArchiveReason::TooGeneral,
        },
        Action::MarkDuplicate {
            duplicate_of: OTHER_TRACKING_ID.into(),
        },
        Action::Accept {},
        Action::Assign {
            work_unit: UNIT.into(),
        },
        Action::FollowUp {
            message: "Restitusi sudah diproses.".into(),
        },
        Action::RequestInfo {
            question: "Berapa nomor NPWP Anda?".into(),
        },
        Action::Forward {
            agency_id: OTHER.into(),
            reason: "Bukan wewenang kami.".into(),
        },
        Action::Close { message: None },
        Action::Extend {
            reason: "Data restitusi harus diminta dari kantor wilayah.".into(),
        },
        Action::Remind {
            note: "Mohon segera ditindaklanjuti.".into(),
        },
        Action::TakeOver {
            reason: "Kami tangani langsung.".into(),
        },
        Action::Reply {
            message: "Belum ada perubahan.".into(),
        },
        Action::Rate {
            stars: 4,
            comment: None,
        },
        Action::Withdraw { reason: None },
        Action::Route {
            routing: routing_to(HOLDER),
        },
        Action::SendToTriage {
            routing: routing_to(HOLDER),
        },
        Action::AutoClose {},
        Action::ArchiveUnanswered {},
        Action::Escalate {},
    ]
}

/// The router's record of a decision for `agency`.
fn routing_to(agency: &str) -> crate::domain::RoutingRecord {
    crate::domain::RoutingRecord {
        decision: "auto".into(),
        agency_id: Some(agency.into()),
        confidence: 0.93,
        candidates: Vec::new(),
        reason: "sector kemenkeu".into(),
        model_version: "test".into(),
    }
}

pub(super) fn actor_for(action: &Action) -> Actor {
    match rule(action).0 {
        Kind::Verifier => verifier(),
        Kind::Officer => officer(HOLDER),
        Kind::Reporter => reporter(),
        Kind::System => system(),
        Kind::Supervisor => officer(SUPERVISING),
    }
}

/// `held_in(status)` as `action` needs it to be possible at all: supervised by [`SUPERVISING`]
/// for a supervisor's action; an information request with its deadline for an extension.
pub(super) fn held_for(action: &Action, status: Status) -> Report {
    let mut report = held_in(status);
    match action {
        Action::Remind { .. } | Action::TakeOver { .. } => {
            report.supervisors = vec![supervisor(Some(SUPERVISING))];
        }
        Action::Extend { .. } => {
            report.kind = crate::domain::ReportKind::InformationRequest;
            report.deadline = Some(follow_up_deadline());
        }
        _ => {}
    }
    report
}

#[test]
fn the_samples_cover_every_action_once() {
    let mut names: Vec<&str> = samples().iter().map(Action::name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ActionKind::iter().count(), "{names:?}");
}

// =================================================================== allowed and refused by status

#[test]
fn every_action_succeeds_in_each_status_it_is_allowed_in() {
    for action in samples() {
        for &status in rule(&action).1 {
            let result = apply(
                &held_for(&action, status),
                &actor_for(&action),
                &action,
                None,
                &ctx(),
            );
            assert!(
                result.is_ok(),
                "{} in {status:?}: {result:?}",
                action.name()
            );
        }
    }
}

#[test]
fn every_action_outside_its_statuses_is_not_now() {
    let mut refused = 0;
    for action in samples() {
        for status in Status::ALL {
            if rule(&action).1.contains(&status) {
                continue;
            }
            let result = apply(
                &held_for(&action, status),
                &actor_for(&action),
                &action,
                None,
                &ctx(),
            );
            assert_eq!(
                result,
                Err(LifecycleError::NotNow {
                    action: action.name(),
                    status: status.as_str(),
                }),
                "{} in {status:?}",
                action.name()
            );
            refused += 1;
        }
    }
    // 21 actions x 8 statuses, minus the 56 allowed pairs.
    assert_eq!(refused, 21 * 8 - 56);
}

#[test]
fn nothing_but_a_rating_happens_to_a_final_report() {
    for status in [Status::Closed, Status::Archived] {
        for action in samples() {
            let result = apply(
                &held_for(&action, status),
                &actor_for(&action),
                &action,
                None,
                &ctx(),
            );
            let rating_a_closed_report =
                status == Status::Closed && matches!(action, Action::Rate { .. });
            assert_eq!(
                result.is_ok(),
                rating_a_closed_report,
                "{} in {status:?}",
                action.name()
            );
        }
    }
}
