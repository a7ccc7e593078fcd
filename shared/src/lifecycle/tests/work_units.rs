//! Work units: which agency counts as a unit of which (`is_unit_of`, `is_work_unit_of`), which
//! units an assignment may reach, and why a regional government is reached by a forward rather
//! than an assignment.

use super::*;
use crate::deadlines::Deadlines;
use crate::directory::{builtin_agencies, Agency, WORK_UNIT_KIND};

fn work_unit(id: &str, name: &str, parent: &str) -> Agency {
    Agency {
        id: id.into(),
        name: name.into(),
        acronym: None,
        kind: WORK_UNIT_KIND.into(),
        parent_id: Some(parent.into()),
        scope: None,
        region_code: None,
        aliases: vec![],
    }
}

#[test]
fn units_are_found_below_their_institution_only() {
    let d = dir();
    assert!(is_unit_of(d, UNIT, HOLDER));
    assert!(is_unit_of(d, OTHER_UNIT, HOLDER));
    assert!(
        is_unit_of(d, "pemda-32.73", "pemda-32"),
        "Kota Bandung below Jawa Barat"
    );
    assert!(!is_unit_of(d, HOLDER, UNIT), "upwards");
    assert!(!is_unit_of(d, HOLDER, HOLDER), "itself");
    assert!(!is_unit_of(d, FOREIGN_UNIT, HOLDER), "another ministry's");
    assert!(
        !is_unit_of(d, "pemda-32.73", "pemda-31"),
        "another province's"
    );
    assert!(!is_unit_of(d, "tidak-ada", HOLDER), "unknown unit");
    assert!(!is_unit_of(d, UNIT, ""), "no institution");
}

#[test]
fn units_of_units_count_and_a_cycle_in_bad_data_ends() {
    let d = Directory::from_agencies(vec![
        Agency {
            parent_id: None,
            ..work_unit("pemda-x", "Pemerintah Kabupaten X", "")
        },
        work_unit("dinas-x", "Dinas Kesehatan X", "pemda-x"),
        work_unit("puskesmas-x", "Puskesmas X", "dinas-x"),
        work_unit("loop-a", "A", "loop-b"),
        work_unit("loop-b", "B", "loop-a"),
    ]);
    assert!(is_unit_of(&d, "puskesmas-x", "pemda-x"));
    assert!(is_unit_of(&d, "puskesmas-x", "dinas-x"));
    assert!(is_unit_of(&d, "loop-a", "loop-b"));
    assert!(!is_unit_of(&d, "loop-a", "pemda-x"));
}

// ===================================================================================== assignments

#[test]
fn assign_needs_a_unit_below_the_holder() {
    let report = report_in(Status::InProgress);
    // Another ministry's directorate, another ministry, the holder itself, nothing.
    for unit in [FOREIGN_UNIT, OTHER, HOLDER, "djp-tidak-ada", ""] {
        let action = Action::Assign {
            work_unit: unit.into(),
        };
        let result = apply(&report, &officer(HOLDER), &action, None, &ctx());
        assert_eq!(invalid_fields(result), ["work_unit"], "to {unit:?}");
    }
    // A directorate holding a report cannot hand it up to its ministry.
    let mut held_by_unit = report_in(Status::InProgress);
    held_by_unit.agency_id = Some(UNIT.into());
    let action = Action::Assign {
        work_unit: HOLDER.into(),
    };
    let result = apply(&held_by_unit, &officer(UNIT), &action, None, &ctx());
    assert_eq!(invalid_fields(result), ["work_unit"]);
}

#[test]
fn assign_reaches_units_below_units() {
    let office = "djp-kpp-menteng-satu";
    let mut agencies = builtin_agencies();
    agencies.push(work_unit(office, "KPP Pratama Jakarta Menteng Satu", UNIT));
    let directory = Directory::from_agencies(agencies);
    let ctx = Context {
        now: now(),
        directory: &directory,
        deadlines: Deadlines::builtin(),
    };
    let action = Action::Assign {
        work_unit: office.into(),
    };
    let after = apply(
        &report_in(Status::InProgress),
        &officer(HOLDER),
        &action,
        None,
        &ctx,
    )
    .expect("a tax office is below the ministry");
    assert_eq!(after.work_unit.as_deref(), Some(office));
    // And its officers may then act on it.
    assert!(may_access(&officer(office), &after));
}

#[test]
fn a_forward_to_the_holders_own_work_unit_is_refused_in_favour_of_assign() {
    let before = report_in(Status::InProgress);
    let action = Action::Forward {
        agency_id: UNIT.into(),
        reason: "Urusan pajak.".into(),
    };
    match apply(&before, &officer(HOLDER), &action, None, &ctx()) {
        Err(LifecycleError::Invalid(fields)) => {
            assert_eq!(fields[0].field, "agency_id");
            assert!(fields[0].message.contains("assign"), "{fields:?}");
        }
        other => panic!("{other:?}"),
    }
}

// ============================================================================ regional governments

#[test]
fn a_regional_government_is_reached_by_a_forward_not_an_assignment() {
    let d = dir();
    // Kota Bandung is below Jawa Barat in the directory, but is its own institution.
    assert!(is_unit_of(d, "pemda-32.73", "pemda-32"));
    assert!(!is_work_unit_of(d, "pemda-32.73", "pemda-32"));
    assert!(is_work_unit_of(d, UNIT, HOLDER));
    assert!(!is_work_unit_of(d, "tidak-ada", HOLDER));
    assert!(!is_work_unit_of(d, HOLDER, HOLDER));

    let mut province = report_in(Status::InProgress);
    province.agency_id = Some("pemda-32".into());
    let assign = Action::Assign {
        work_unit: "pemda-32.73".into(),
    };
    let result = apply(&province, &officer("pemda-32"), &assign, None, &ctx());
    assert_eq!(invalid_fields(result), ["work_unit"]);
    let forward = Action::Forward {
        agency_id: "pemda-32.73".into(),
        reason: "Jalan kota, wewenang Pemkot Bandung.".into(),
    };
    let after = step(&province, &officer("pemda-32"), &forward);
    assert_eq!(after.agency_id.as_deref(), Some("pemda-32.73"));
}

/// The builtin directory with a Dinas below Kota Bandung.
fn with_a_dinas_of_bandung() -> (Directory, &'static str) {
    let dinas = "pemda-32.73-dinas-pupr";
    let mut agencies = builtin_agencies();
    agencies.push(work_unit(dinas, "Dinas PUPR Kota Bandung", "pemda-32.73"));
    (Directory::from_agencies(agencies), dinas)
}

#[test]
fn a_regional_government_assigns_its_own_dinas() {
    let (directory, dinas) = with_a_dinas_of_bandung();
    let ctx = Context {
        now: now(),
        directory: &directory,
        deadlines: Deadlines::builtin(),
    };
    let mut city = report_in(Status::Dispositioned);
    city.agency_id = Some("pemda-32.73".into());
    let action = Action::Assign {
        work_unit: dinas.into(),
    };
    let after = apply(&city, &officer("pemda-32.73"), &action, None, &ctx).unwrap();
    assert_eq!(after.work_unit.as_deref(), Some(dinas));
}

#[test]
fn a_province_cannot_assign_a_dinas_of_one_of_its_cities() {
    let (directory, dinas) = with_a_dinas_of_bandung();
    assert!(!is_work_unit_of(&directory, dinas, "pemda-32"));
    let ctx = Context {
        now: now(),
        directory: &directory,
        deadlines: Deadlines::builtin(),
    };
    let mut province = report_in(Status::InProgress);
    province.agency_id = Some("pemda-32".into());
    let action = Action::Assign {
        work_unit: dinas.into(),
    };
    let result = apply(&province, &officer("pemda-32"), &action, None, &ctx);
    assert_eq!(invalid_fields(result), ["work_unit"]);
}
