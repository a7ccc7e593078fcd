//! Overdue reports: a missed follow-up deadline adds a supervisor one level up while the holder
//! keeps the report (the institution over its work unit, the parent institution, the national
//! verifiers), and what supervisors may do (remind, forward, take over). Also the holder's
//! extension of an information request (UU 14/2008), verifying after the reporter answered, and
//! marking duplicates after dispatch.

use super::*;
use crate::deadlines::Step;
use crate::domain::report::Supervisor;
use crate::domain::{Deadline, ReportKind};

const CITY: &str = "pemda-32.73";
const PROVINCE: &str = "pemda-32";

/// A report past its follow-up deadline (now), held as `report` is.
fn overdue(mut report: Report) -> Report {
    report.deadline = Some(Deadline {
        step: Step::FollowUp,
        at: now() - chrono::Duration::minutes(1),
    });
    report.due_at = report.deadline.map(|d| d.at);
    report
}

fn levels(report: &Report) -> Vec<Option<&str>> {
    report
        .supervisors
        .iter()
        .map(|s| s.agency_id.as_deref())
        .collect()
}

fn city_report() -> Report {
    let mut report = report_in(Status::Dispositioned);
    report.agency_id = Some(CITY.into());
    report
}

#[test]
fn a_missed_follow_up_at_a_work_unit_adds_its_institution_then_the_verifiers() {
    let before = overdue(assigned_to_unit());
    let once = step(&before, &system(), &Action::Escalate {});
    // The unit keeps the report, in the status it had.
    assert_eq!(
        (
            once.status,
            once.agency_id.as_deref(),
            once.work_unit.as_deref()
        ),
        (Status::InProgress, Some(HOLDER), Some(UNIT))
    );
    assert_eq!(levels(&once), [Some(HOLDER)]);
    assert_eq!(once.supervisors[0].since, now());
    let e = once.timeline.last().unwrap();
    assert_eq!(
        (e.action.as_str(), e.agency_id.as_deref(), e.status),
        ("escalated", Some(HOLDER), Some(Status::InProgress))
    );
    // Indonesian, in the institution's zone (Jakarta: WIB), no step name, no UTC.
    assert_eq!(
        e.note.as_deref(),
        Some("Batas waktu tindak lanjut terlewati (10 Maret 2025 09.29 WIB).")
    );
    // A new follow-up deadline for the holder, so the next miss adds the next level.
    let deadline = once.deadline.unwrap();
    assert_eq!(deadline.step, Step::FollowUp);
    assert!(deadline.at > now());
    assert_eq!(once.due_at, Some(deadline.at));

    // Kemenkeu is a ministry (no parent): the national verifiers are next, and last.
    let twice = step(&overdue(once), &system(), &Action::Escalate {});
    assert_eq!(levels(&twice), [Some(HOLDER), None]);
    assert_eq!(twice.agency_id.as_deref(), Some(HOLDER));
    assert_eq!(twice.timeline.last().unwrap().agency_id, None);
    // No level is left to add: it leaves the due index (the verifiers' box lists it).
    assert_eq!(twice.due_at, None);
    assert_eq!(twice.next_supervisor(dir()), None);
}

#[test]
fn a_missed_follow_up_at_a_city_adds_the_province_then_the_verifiers() {
    let once = step(&overdue(city_report()), &system(), &Action::Escalate {});
    assert_eq!(
        (once.status, once.agency_id.as_deref()),
        (Status::Dispositioned, Some(CITY))
    );
    assert_eq!(levels(&once), [Some(PROVINCE)]);
    assert_eq!(once.supervision_key().as_deref(), Some(PROVINCE));
    let twice = step(&overdue(once), &system(), &Action::Escalate {});
    assert_eq!(levels(&twice), [Some(PROVINCE), None]);
    assert_eq!(twice.supervision_key().as_deref(), Some("national"));
    // The city still answers; the province still sees and acts on it.
    assert!(may_access(&officer(CITY), &twice));
    assert!(may_access(&officer(PROVINCE), &twice));
    assert_eq!(
        possible_actions(&twice, &officer(PROVINCE)),
        ["forward", "remind", "take_over"]
    );
    assert_eq!(
        possible_actions(&twice, &verifier()),
        ["verify", "mark_duplicate", "forward", "remind"]
    );
}

#[test]
fn an_unverified_report_still_goes_to_the_verifiers_triage() {
    let mut before = report_in(Status::Received);
    before.deadline = Some(Deadline {
        step: Step::Verification,
        at: now() - chrono::Duration::minutes(1),
    });
    let after = step(&before, &system(), &Action::Escalate {});
    assert_eq!(
        (after.status, after.agency_id.clone()),
        (Status::NeedsTriage, None)
    );
    assert!(after.supervisors.is_empty());
    assert_eq!(
        after.timeline.last().unwrap().note.as_deref(),
        Some("Batas waktu verifikasi terlewati (10 Maret 2025 09.29 WIB).")
    );
}

#[test]
fn a_supervisor_reminds_the_holder_who_keeps_the_report() {
    let mut before = city_report();
    before.supervisors = vec![supervisor(Some(PROVINCE))];
    let action = Action::Remind {
        note: "  Mohon segera ditindaklanjuti.\r\n".into(),
    };
    let want = expected(
        &before,
        event(
            officer(PROVINCE),
            "reminded",
            Some(PROVINCE),
            Status::Dispositioned,
            Some("Mohon segera ditindaklanjuti."),
        ),
        |_| {},
    );
    assert_eq!(step(&before, &officer(PROVINCE), &action), want);
    // Nobody else reminds: not the holder, not a stranger, not verifiers before their level.
    for other in [officer(CITY), officer(OTHER), verifier()] {
        let result = apply(&before, &other, &action, None, &ctx());
        assert!(
            matches!(&result, Err(LifecycleError::Forbidden(_))),
            "{other:?}: {result:?}"
        );
    }
}

#[test]
fn a_supervisor_takes_the_report_over_explicitly() {
    let mut before = city_report();
    before.supervisors = vec![supervisor(Some(PROVINCE))];
    let after = step(
        &before,
        &officer(PROVINCE),
        &Action::TakeOver {
            reason: "Provinsi menangani langsung.".into(),
        },
    );
    assert_eq!(
        (
            after.status,
            after.agency_id.as_deref(),
            after.work_unit.clone()
        ),
        (Status::InProgress, Some(PROVINCE), None)
    );
    assert!(after.supervisors.is_empty());
    assert!(!may_access(&officer(CITY), &after));
    let e = after.timeline.last().unwrap();
    assert_eq!(
        (e.action.as_str(), e.agency_id.as_deref()),
        ("taken_over", Some(PROVINCE))
    );
    // Its own clock: a follow-up deadline counted from now.
    assert_eq!(after.deadline.unwrap().step, Step::FollowUp);
    assert!(after.deadline.unwrap().at > now());
}

#[test]
fn the_institution_takes_a_report_back_from_its_unit() {
    let mut before = assigned_to_unit();
    before.supervisors = vec![supervisor(Some(HOLDER))];
    let after = step(
        &before,
        &officer(HOLDER),
        &Action::TakeOver {
            reason: "Ditangani kantor pusat.".into(),
        },
    );
    assert_eq!(
        (after.agency_id.as_deref(), after.work_unit.clone()),
        (Some(HOLDER), None)
    );
    assert!(!may_access(&officer(UNIT), &after));
}

#[test]
fn a_supervisor_forwards_it_where_it_belongs() {
    let mut before = city_report();
    before.supervisors = vec![supervisor(Some(PROVINCE)), supervisor(None)];
    for actor in [officer(PROVINCE), verifier()] {
        let after = step(
            &before,
            &actor,
            &Action::Forward {
                agency_id: OTHER.into(),
                reason: "Wewenang Kemenkes.".into(),
            },
        );
        assert_eq!(after.agency_id.as_deref(), Some(OTHER));
        assert!(after.supervisors.is_empty(), "{actor:?}");
    }
}

#[test]
fn the_national_verifiers_remind_and_forward_but_hold_no_report() {
    let mut before = city_report();
    before.supervisors = vec![supervisor(Some(PROVINCE)), supervisor(None)];
    let reminded = step(
        &before,
        &verifier(),
        &Action::Remind {
            note: "Sudah dua kali terlambat.".into(),
        },
    );
    assert_eq!(reminded.timeline.last().unwrap().agency_id, None);
    let result = apply(
        &before,
        &verifier(),
        &Action::TakeOver {
            reason: "Kami tangani.".into(),
        },
        None,
        &ctx(),
    );
    assert_eq!(
        result,
        Err(LifecycleError::Forbidden(
            "the national verifiers hold no reports: `forward` it to the institution that \
             should answer"
                .into()
        ))
    );
}

#[test]
fn a_supervisors_actions_need_a_text() {
    let mut before = city_report();
    before.supervisors = vec![supervisor(Some(PROVINCE))];
    for (action, field) in [
        (Action::Remind { note: " ".into() }, "note"),
        (Action::TakeOver { reason: "".into() }, "reason"),
    ] {
        let result = apply(&before, &officer(PROVINCE), &action, None, &ctx());
        assert_eq!(invalid_fields(result), [field]);
    }
}

// ====================================================================== extension (UU 14/2008)

fn information_request() -> Report {
    let mut report = held_in(Status::InProgress);
    report.kind = ReportKind::InformationRequest;
    report.deadline = Some(Deadline {
        step: Step::FollowUp,
        // Friday 14 March 2025, end of day WIB.
        at: chrono::DateTime::parse_from_rfc3339("2025-03-14T23:59:59.999+07:00")
            .unwrap()
            .with_timezone(&Utc),
    });
    report
}

#[test]
fn the_holder_extends_an_information_request_by_seven_working_days_once() {
    let before = information_request();
    let extend = Action::Extend {
        reason: "Dokumen harus diminta dari arsip daerah.".into(),
    };
    let after = step(&before, &officer(HOLDER), &extend);
    // Mon 17 .. Tue 25 March (no holiday in between): seven working days.
    assert_eq!(
        after.deadline,
        Some(Deadline {
            step: Step::FollowUp,
            at: chrono::DateTime::parse_from_rfc3339("2025-03-25T23:59:59.999+07:00")
                .unwrap()
                .with_timezone(&Utc),
        })
    );
    assert_eq!(after.due_at, after.deadline.map(|d| d.at));
    assert!(after.extended);
    assert_eq!(
        (after.status, after.agency_id.clone()),
        (before.status, before.agency_id.clone())
    );
    let e = after.timeline.last().unwrap();
    assert_eq!(
        (e.action.as_str(), e.note.as_deref()),
        (
            "deadline_extended",
            Some("Dokumen harus diminta dari arsip daerah.")
        )
    );
    assert_eq!(
        apply(&after, &officer(HOLDER), &extend, None, &ctx()),
        Err(LifecycleError::AlreadyDone(
            "the deadline was extended already (once is allowed)".into()
        ))
    );
    assert!(!possible_actions(&after, &officer(HOLDER)).contains(&"extend"));
    assert!(possible_actions(&before, &officer(HOLDER)).contains(&"extend"));
}

#[test]
fn only_an_information_request_is_extended_and_only_by_its_holder() {
    let extend = Action::Extend {
        reason: "Butuh waktu.".into(),
    };
    let mut complaint = information_request();
    complaint.kind = ReportKind::Complaint;
    let refused = apply(&complaint, &officer(HOLDER), &extend, None, &ctx());
    assert_eq!(
        refused,
        Err(LifecycleError::NotForThisReport(
            "only an information request's deadline may be extended (UU 14/2008)".into()
        ))
    );
    match crate::error::ServiceError::from(refused.unwrap_err()) {
        crate::error::ServiceError::Conflict { code, .. } => {
            assert_eq!(code, "not_for_this_report")
        }
        other => panic!("{other:?}"),
    }
    let mut at_unit = information_request();
    at_unit.work_unit = Some(UNIT.into());
    let result = apply(&at_unit, &officer(UNIT), &extend, None, &ctx());
    assert!(
        matches!(result, Err(LifecycleError::Forbidden(_))),
        "{result:?}"
    );
    let empty = Action::Extend { reason: " ".into() };
    assert_eq!(
        invalid_fields(apply(
            &information_request(),
            &officer(HOLDER),
            &empty,
            None,
            &ctx()
        )),
        ["reason"]
    );
}

// ================================================================ verifying after an answer

#[test]
fn after_the_reporter_answered_a_verifier_must_name_the_institution() {
    let deferred = report_in(Status::Deferred);
    let answered = step(&deferred, &reporter(), &reply("Kantor pajak Bandung."));
    assert_eq!(answered.status, Status::NeedsTriage);
    let result = apply(
        &answered,
        &verifier(),
        &Action::Verify {
            agency_id: None,
            note: None,
        },
        None,
        &ctx(),
    );
    match result {
        Err(LifecycleError::Invalid(fields)) => {
            assert_eq!(fields.len(), 1);
            assert_eq!(fields[0].field, "agency_id");
            assert_eq!(
                fields[0].message,
                "the reporter answered a question after the router chose: name the institution \
                 that fits the answer"
            );
        }
        other => panic!("{other:?}"),
    }
    let verified = step(
        &answered,
        &verifier(),
        &Action::Verify {
            agency_id: Some(OTHER.into()),
            note: None,
        },
    );
    assert_eq!(verified.agency_id.as_deref(), Some(OTHER));
    // Without an answer the router's top candidate is still taken.
    let unanswered = step(
        &report_in(Status::NeedsTriage),
        &verifier(),
        &Action::Verify {
            agency_id: None,
            note: None,
        },
    );
    assert_eq!(unanswered.agency_id.as_deref(), Some(HOLDER));
}

// ===================================================================== duplicates after dispatch

#[test]
fn the_holding_institution_marks_a_duplicate_after_dispatch() {
    let action = Action::MarkDuplicate {
        duplicate_of: OTHER_TRACKING_ID.into(),
    };
    for before in [
        report_in(Status::Dispositioned),
        report_in(Status::InProgress),
        report_in(Status::Responded),
        deferred_by_officer(),
    ] {
        let after = step(&before, &officer(HOLDER), &action);
        assert_eq!(after.status, Status::Archived);
        assert_eq!(after.archive_reason, Some(ArchiveReason::Duplicate));
        assert_eq!(
            after.duplicate_of.as_ref().map(|t| t.as_str()),
            Some(OTHER_TRACKING_ID)
        );
        let e = after.timeline.last().unwrap();
        assert_eq!(
            (e.action.as_str(), e.note.as_deref()),
            ("marked_duplicate", Some(OTHER_TRACKING_ID))
        );
        // Verifiers may too.
        assert!(apply(&before, &verifier(), &action, None, &ctx()).is_ok());
    }
    // A work unit's officers, another institution's, and officers before dispatch may not.
    let unit = apply(&assigned_to_unit(), &officer(UNIT), &action, None, &ctx());
    assert_eq!(
        unit,
        Err(LifecycleError::Forbidden(
            "only the institution that holds the report may `mark_duplicate` it".into()
        ))
    );
    let stranger = apply(
        &report_in(Status::InProgress),
        &officer(OTHER),
        &action,
        None,
        &ctx(),
    );
    assert!(
        matches!(stranger, Err(LifecycleError::Forbidden(_))),
        "{stranger:?}"
    );
    let early = apply(
        &held_in(Status::NeedsTriage),
        &officer(HOLDER),
        &action,
        None,
        &ctx(),
    );
    assert_eq!(
        early,
        Err(LifecycleError::Forbidden(
            "only verifiers may `mark_duplicate` a report not yet dispatched".into()
        ))
    );
}

#[test]
fn a_new_holder_starts_without_supervisors() {
    let mut before = report_in(Status::Dispositioned);
    before.supervisors = vec![Supervisor {
        agency_id: None,
        since: now(),
    }];
    let after = step(
        &before,
        &officer(HOLDER),
        &Action::Forward {
            agency_id: OTHER.into(),
            reason: "Wewenang Kemenkes.".into(),
        },
    );
    assert!(after.supervisors.is_empty());
    assert!(after.due_at.is_some());
}

#[test]
fn a_follow_up_ends_the_supervision() {
    let mut before = city_report();
    before.supervisors = vec![supervisor(Some(PROVINCE)), supervisor(None)];
    let after = step(
        &before,
        &officer(CITY),
        &Action::FollowUp {
            message: "Lampu sudah diganti.".into(),
        },
    );
    assert!(after.supervisors.is_empty());
    assert_eq!(after.supervision_key(), None);
    // Back in the due index: the auto-close deadline.
    assert_eq!(after.due_at, after.deadline.map(|d| d.at));
}

#[test]
fn citizens_read_times_in_their_institutions_zone() {
    use crate::deadlines::TimeZone;
    let at = chrono::DateTime::parse_from_rfc3339("2025-12-08T16:59:59.999Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(local_time(at, TimeZone::Wib), "8 Desember 2025 23.59 WIB");
    assert_eq!(local_time(at, TimeZone::Wita), "9 Desember 2025 00.59 WITA");
    assert_eq!(local_time(at, TimeZone::Wit), "9 Desember 2025 01.59 WIT");
    assert_eq!(step_label(Step::FollowUp), "tindak lanjut");
    assert_eq!(step_label(Step::Verification), "verifikasi");
    assert_eq!(step_label(Step::AutoClose), "tanggapan pelapor");
    assert_eq!(step_label(Step::DeferredAnswer), "jawaban pelapor");
}
