//! Who may act on a report: each role's actions are refused to the other roles, an officer acts
//! through the holding institution or the work unit it assigned, and a forward moves that access.

use super::*;

fn is_forbidden(result: &Result<Report, LifecycleError>) -> bool {
    matches!(result, Err(LifecycleError::Forbidden(_)))
}

#[test]
fn each_roles_actions_are_forbidden_to_every_other_kind_of_actor() {
    let actors = [verifier(), officer(HOLDER), reporter(), system()];
    for action in samples() {
        let (role, statuses) = rule(&action);
        let report = held_for(&action, statuses[0]);
        let also = action.kind().rule().also;
        for actor in actors
            .iter()
            .filter(|a| kind_of(a) != role && !also.contains(&kind_of(a)))
        {
            match apply(&report, actor, &action, None, &ctx()) {
                Err(LifecycleError::Forbidden(message)) => {
                    assert!(message.contains(action.name()), "{message}")
                }
                other => panic!("{} by {actor:?}: {other:?}", action.name()),
            }
        }
    }
}

#[test]
fn an_officer_of_another_institution_is_forbidden_every_action() {
    for action in samples().iter().filter(|a| rule(a).0 == Kind::Officer) {
        for &status in rule(action).1 {
            let report = report_in(status);
            for stranger in [officer(OTHER), officer(FOREIGN_UNIT), officer(OTHER_UNIT)] {
                let result = apply(&report, &stranger, action, None, &ctx());
                assert!(
                    is_forbidden(&result),
                    "{} by {stranger:?} in {status:?}: {result:?}",
                    action.name()
                );
            }
        }
    }
    assert!(!may_access(&officer(OTHER), &report_in(Status::InProgress)));
}

#[test]
fn a_stranger_learns_nothing_about_the_status() {
    // Refused for who they are before the status is looked at.
    let closed = report_in(Status::Closed);
    let result = apply(&closed, &officer(OTHER), &Action::Accept {}, None, &ctx());
    assert!(is_forbidden(&result), "{result:?}");
    let result = apply(&closed, &reporter(), &Action::AutoClose {}, None, &ctx());
    assert!(is_forbidden(&result), "{result:?}");
}

#[test]
fn a_forward_takes_the_old_institutions_access_away_and_gives_it_to_the_new_one() {
    let before = assigned_to_unit();
    let forwarded = step(
        &before,
        &officer(HOLDER),
        &Action::Forward {
            agency_id: OTHER.into(),
            reason: "Wewenang Kemenkes.".into(),
        },
    );
    for old in [officer(HOLDER), officer(UNIT)] {
        assert!(!may_access(&old, &forwarded), "{old:?}");
        assert!(possible_actions(&forwarded, &old).is_empty(), "{old:?}");
        let result = apply(&forwarded, &old, &Action::Accept {}, None, &ctx());
        assert!(is_forbidden(&result), "{old:?}: {result:?}");
    }
    assert!(may_access(&officer(OTHER), &forwarded));
    let accepted = step(&forwarded, &officer(OTHER), &Action::Accept {});
    assert_eq!(accepted.status, Status::InProgress);
    assert_eq!(accepted.agency_id.as_deref(), Some(OTHER));
}

#[test]
fn an_officer_of_the_assigned_unit_may_handle_the_report() {
    let before = assigned_to_unit();
    assert!(may_access(&officer(UNIT), &before));
    let actions = [
        Action::FollowUp {
            message: "Sudah dicairkan.".into(),
        },
        Action::RequestInfo {
            question: "Nomor NPWP?".into(),
        },
        Action::Close { message: None },
    ];
    for action in actions {
        let after = step(&before, &officer(UNIT), &action);
        assert_eq!(after.timeline.last().unwrap().actor, officer(UNIT));
    }
    // Moving it out of the institution is the institution's call.
    let forward = Action::Forward {
        agency_id: OTHER.into(),
        reason: "Wewenang Kemenkes.".into(),
    };
    assert!(matches!(
        apply(&before, &officer(UNIT), &forward, None, &ctx()),
        Err(LifecycleError::Forbidden(_))
    ));
    // The holder keeps its access to what it gave a unit.
    assert!(may_access(&officer(HOLDER), &before));
}

#[test]
fn only_the_holding_institution_assigns_work_units() {
    let before = assigned_to_unit();
    for unit in [OTHER_UNIT, UNIT] {
        let action = Action::Assign {
            work_unit: unit.into(),
        };
        let result = apply(&before, &officer(UNIT), &action, None, &ctx());
        assert!(is_forbidden(&result), "to {unit}: {result:?}");
    }
    let reassigned = step(
        &before,
        &officer(HOLDER),
        &Action::Assign {
            work_unit: OTHER_UNIT.into(),
        },
    );
    assert_eq!(reassigned.work_unit.as_deref(), Some(OTHER_UNIT));
}

#[test]
fn a_work_unit_has_no_access_before_the_report_is_assigned_to_it() {
    let report = report_in(Status::InProgress);
    assert!(!may_access(&officer(UNIT), &report));
    let result = apply(
        &report,
        &officer(UNIT),
        &Action::FollowUp {
            message: "Sudah.".into(),
        },
        None,
        &ctx(),
    );
    assert!(is_forbidden(&result), "{result:?}");
    // A sibling unit has none either once it is assigned.
    assert!(!may_access(&officer(OTHER_UNIT), &assigned_to_unit()));
}

#[test]
fn verifiers_the_reporter_and_the_system_see_every_report() {
    for status in Status::ALL {
        let report = report_in(status);
        for actor in [verifier(), reporter(), system()] {
            assert!(may_access(&actor, &report), "{actor:?} in {status:?}");
        }
    }
}
