//! What every transition writes to the report (one event named for the action, one version, the
//! action id when one was sent, the next deadline) and one report's whole way from triage to a
//! rated close.

use super::*;

#[test]
fn the_event_carries_no_action_id_when_none_was_sent() {
    let before = report_in(Status::Dispositioned);
    let after = apply(&before, &officer(HOLDER), &Action::Accept {}, None, &ctx()).unwrap();
    assert_eq!(after.timeline.last().unwrap().action_id, None);
}

#[test]
fn every_action_bumps_the_version_once_and_appends_one_event_named_for_it() {
    for action in samples() {
        let status = rule(&action).1[0];
        let before = held_for(&action, status);
        let actor = actor_for(&action);
        let after = step(&before, &actor, &action);
        assert_eq!(after.version, before.version + 1, "{}", action.name());
        assert_eq!(after.timeline.len(), before.timeline.len() + 1);
        assert_eq!(after.timeline[..before.timeline.len()], before.timeline[..]);
        let last = after.timeline.last().unwrap();
        assert_eq!(last.action, event_name(&action));
        assert_eq!(last.actor, actor);
        assert_eq!(last.status, Some(after.status));
        assert_eq!(last.at, now());
        assert_eq!(last.action_id.as_deref(), Some(ACTION_ID));
        assert_eq!(
            after.due_at,
            crate::deadlines::due_at(&after, before.due_at)
        );
        assert_eq!(after.deadline.is_none(), after.status.is_final());
        assert_eq!(after.updated_at, now());
    }
}

#[test]
fn a_report_goes_from_triage_to_a_rated_close() {
    let mut report = report_in(Status::NeedsTriage);
    let start = report.version;
    let steps: Vec<(Actor, Action, Status)> = vec![
        (
            verifier(),
            Action::Verify {
                agency_id: Some(HOLDER.into()),
                note: None,
            },
            Status::Dispositioned,
        ),
        (officer(HOLDER), Action::Accept {}, Status::InProgress),
        (
            officer(HOLDER),
            Action::Assign {
                work_unit: UNIT.into(),
            },
            Status::InProgress,
        ),
        (
            officer(UNIT),
            Action::RequestInfo {
                question: "Nomor NPWP?".into(),
            },
            Status::Deferred,
        ),
        (
            reporter(),
            reply("01.234.567.8-901.000"),
            Status::InProgress,
        ),
        (
            officer(UNIT),
            Action::FollowUp {
                message: "Sudah dicairkan.".into(),
            },
            Status::Responded,
        ),
        (reporter(), reply("Belum masuk."), Status::InProgress),
        (
            officer(UNIT),
            Action::FollowUp {
                message: "Sudah ditransfer ulang.".into(),
            },
            Status::Responded,
        ),
        (
            officer(HOLDER),
            Action::Close { message: None },
            Status::Closed,
        ),
        (
            reporter(),
            Action::Rate {
                stars: 4,
                comment: None,
            },
            Status::Closed,
        ),
    ];
    for (actor, action, status) in &steps {
        report = step(&report, actor, action);
        assert_eq!(report.status, *status, "after {}", action.name());
    }
    assert_eq!(report.version, start + steps.len() as u64);
    let names: Vec<&str> = report.timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        names,
        [
            "submitted",
            "sent_to_triage",
            "verified",
            "accepted",
            "assigned_to_unit",
            "info_requested",
            "reporter_replied",
            "followed_up",
            "reporter_replied",
            "followed_up",
            "closed",
            "rated",
        ]
    );
    assert_eq!(report.work_unit.as_deref(), Some(UNIT));
    assert_eq!(report.rating.as_ref().map(|r| r.stars), Some(4));
}
