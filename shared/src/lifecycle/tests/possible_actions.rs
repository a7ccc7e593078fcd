//! The actions each actor is offered (`possible_actions`), and that they are exactly those
//! `apply` lets through.

use super::*;

#[test]
fn possible_actions_for_each_kind_of_actor() {
    let responded = report_in(Status::Responded);
    let cases: Vec<(Report, Actor, Vec<&str>)> = vec![
        (
            report_in(Status::NeedsTriage),
            verifier(),
            vec!["verify", "defer", "archive", "mark_duplicate"],
        ),
        (report_in(Status::NeedsTriage), officer(HOLDER), vec![]),
        (
            report_in(Status::NeedsTriage),
            reporter(),
            vec!["reply", "withdraw"],
        ),
        (
            report_in(Status::Dispositioned),
            verifier(),
            vec!["verify", "mark_duplicate"],
        ),
        (
            report_in(Status::Dispositioned),
            officer(HOLDER),
            vec![
                "mark_duplicate",
                "accept",
                "assign",
                "follow_up",
                "request_info",
                "forward",
            ],
        ),
        (report_in(Status::Dispositioned), officer(OTHER), vec![]),
        (
            assigned_to_unit(),
            officer(HOLDER),
            vec![
                "mark_duplicate",
                "assign",
                "follow_up",
                "request_info",
                "forward",
                "close",
            ],
        ),
        (
            assigned_to_unit(),
            officer(UNIT),
            vec!["follow_up", "request_info", "close"],
        ),
        (
            responded.clone(),
            officer(HOLDER),
            vec!["mark_duplicate", "request_info", "close"],
        ),
        (
            responded.clone(),
            reporter(),
            vec!["reply", "rate", "withdraw"],
        ),
        (
            rated(responded.clone()),
            reporter(),
            vec!["reply", "withdraw"],
        ),
        (responded, system(), vec!["auto_close"]),
        (report_in(Status::Closed), reporter(), vec!["rate"]),
        (rated(report_in(Status::Closed)), reporter(), vec![]),
        (report_in(Status::Closed), officer(HOLDER), vec![]),
        (
            report_in(Status::Deferred),
            verifier(),
            vec!["archive", "mark_duplicate"],
        ),
        (
            report_in(Status::Deferred),
            reporter(),
            vec!["reply", "withdraw"],
        ),
        (
            report_in(Status::Deferred),
            system(),
            vec!["archive_unanswered"],
        ),
        (
            deferred_by_officer(),
            officer(HOLDER),
            vec!["mark_duplicate"],
        ),
        (
            deferred_by_officer(),
            verifier(),
            vec!["archive", "mark_duplicate"],
        ),
    ];
    for (report, actor, want) in cases {
        assert_eq!(
            possible_actions(&report, &actor),
            want,
            "{actor:?} in {:?}",
            report.status
        );
    }
}

#[test]
fn nobody_may_do_anything_with_an_archived_report() {
    let archived = held_in(Status::Archived);
    for actor in [verifier(), officer(HOLDER), reporter(), system()] {
        assert!(possible_actions(&archived, &actor).is_empty(), "{actor:?}");
    }
}

#[test]
fn possible_actions_are_exactly_those_apply_lets_through() {
    let mut reports = Vec::new();
    for status in Status::ALL {
        reports.push(held_in(status));
        reports.push(rated(held_in(status)));
    }
    reports.push(assigned_to_unit());
    reports.push(deferred_by_officer());
    let mut information_request = held_in(Status::InProgress);
    information_request.kind = crate::domain::ReportKind::InformationRequest;
    information_request.deadline = Some(follow_up_deadline());
    reports.push(information_request.clone());
    information_request.extended = true;
    reports.push(information_request);
    for status in [Status::Dispositioned, Status::InProgress, Status::Deferred] {
        let mut supervised = assigned_to_unit();
        supervised.status = status;
        supervised.supervisors = vec![supervisor(Some(HOLDER)), supervisor(None)];
        reports.push(supervised);
    }
    let actors = [
        verifier(),
        officer(HOLDER),
        officer(UNIT),
        officer(OTHER),
        reporter(),
        system(),
    ];
    for report in &reports {
        for actor in &actors {
            let offered = possible_actions(report, actor);
            for action in samples() {
                let result = apply(report, actor, &action, None, &ctx());
                let let_through = !matches!(
                    result,
                    Err(LifecycleError::Forbidden(_)
                        | LifecycleError::NotNow { .. }
                        | LifecycleError::AlreadyDone(_)
                        | LifecycleError::NotForThisReport(_))
                );
                assert_eq!(
                    offered.contains(&action.name()),
                    let_through,
                    "{} by {actor:?} in {:?} (unit {:?}, rated {}): {result:?}",
                    action.name(),
                    report.status,
                    report.work_unit,
                    report.rating.is_some()
                );
            }
        }
    }
}
