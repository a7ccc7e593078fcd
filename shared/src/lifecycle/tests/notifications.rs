//! The reporter's notifications: one per event, on their channel, in Indonesian, within one SMS,
//! and never with the words of the report or of an internal note. A reporter on a channel with
//! no web page (SMS, X, WhatsApp, Messenger) gets the institution's question, follow-up and
//! closing message themselves, quoted.

use super::*;

/// Words of the report and of every note that must never reach a notification.
const SECRETS: [&str; 4] = ["Kenari", "Kuswantoro", "pungutan", "Cendrawasih"];

const SECRET_NOTE: &str = "Pak Cendrawasih di loket tiga";

/// A confidential SMS report with distinctive words in its title and body.
fn confidential(report: Report) -> Report {
    confidential_on(report, Channel::Sms)
}

fn confidential_on(mut report: Report, channel: Channel) -> Report {
    report.confidential = true;
    report.channel = channel;
    report.reporter_sealed = Some("sealed:v1:0f3a".into());
    report.title = "Pungutan liar Kenari di loket".into();
    report.body =
        "Petugas Kuswantoro meminta pungutan tambahan untuk mempercepat restitusi.".into();
    report
}

fn assert_fit_for_the_reporter(text: &str, report: &Report, event: &str) {
    let lower = text.to_lowercase();
    for secret in SECRETS {
        assert!(
            !lower.contains(&secret.to_lowercase()),
            "{event}: {text:?} leaks {secret:?}"
        );
    }
    assert!(!text.contains(&report.title) && !text.contains(&report.body));
    assert!(text.contains(TRACKING_ID), "{event}: {text:?} lacks the id");
    // Indonesian, for people: no English, no internal event names.
    assert!(lower.contains("laporan"), "{event}: {text:?}");
    for english in ["report", "the ", "your", "been", "thank", "status:"] {
        if english == "status:" && lower.starts_with("status laporan") {
            continue;
        }
        assert!(
            !lower.contains(english),
            "{event}: {text:?} has {english:?}"
        );
    }
    assert!(!text.contains('_'), "{event}: {text:?}");
    assert!(text.chars().count() <= 160, "{event}: one SMS, {text:?}");
}

#[test]
fn every_event_notifies_the_reporter_on_their_channel_without_the_content() {
    let secret = || SECRET_NOTE.to_string();
    let cases: Vec<(Report, Actor, Action, &str)> = vec![
        (
            report_in(Status::NeedsTriage),
            verifier(),
            Action::Verify {
                agency_id: Some(OTHER.into()),
                note: Some(secret()),
            },
            "telah diteruskan ke Kementerian Kesehatan",
        ),
        (
            report_in(Status::NeedsTriage),
            verifier(),
            Action::Defer { question: secret() },
            "membutuhkan informasi tambahan",
        ),
        (
            report_in(Status::NeedsTriage),
            verifier(),
            Action::Archive {
                reason: ArchiveReason::NotPublicService,
            },
            "Arsip",
        ),
        (
            report_in(Status::NeedsTriage),
            verifier(),
            Action::MarkDuplicate {
                duplicate_of: OTHER_TRACKING_ID.into(),
            },
            "sama dengan laporan D0P11CATE5",
        ),
        (
            report_in(Status::Dispositioned),
            officer(HOLDER),
            Action::Accept {},
            "sedang diproses",
        ),
        (
            report_in(Status::InProgress),
            officer(HOLDER),
            Action::Assign {
                work_unit: UNIT.into(),
            },
            "sedang diproses",
        ),
        (
            report_in(Status::InProgress),
            officer(HOLDER),
            Action::FollowUp { message: secret() },
            "telah ditindaklanjuti",
        ),
        (
            report_in(Status::InProgress),
            officer(HOLDER),
            Action::RequestInfo { question: secret() },
            "membutuhkan informasi tambahan",
        ),
        (
            report_in(Status::InProgress),
            officer(HOLDER),
            Action::Forward {
                agency_id: OTHER.into(),
                reason: secret(),
            },
            "telah diteruskan ke Kementerian Kesehatan",
        ),
        (
            report_in(Status::Responded),
            officer(HOLDER),
            Action::Close {
                message: Some(secret()),
            },
            "telah selesai",
        ),
        (
            report_in(Status::Responded),
            reporter(),
            Action::Reply { message: secret() },
            "Balasan Anda",
        ),
        (
            report_in(Status::Closed),
            reporter(),
            Action::Rate {
                stars: 2,
                comment: Some(secret()),
            },
            "Terima kasih atas penilaian Anda",
        ),
        (
            report_in(Status::InProgress),
            reporter(),
            Action::Withdraw {
                reason: Some(secret()),
            },
            "telah Anda tarik",
        ),
        (
            report_in(Status::Responded),
            system(),
            Action::AutoClose {},
            "telah selesai",
        ),
        (
            report_in(Status::Deferred),
            system(),
            Action::ArchiveUnanswered {},
            "tidak dijawab",
        ),
        (
            assigned_to_unit(),
            system(),
            Action::Escalate {},
            "Kementerian Keuangan kini ikut mengawasi",
        ),
    ];
    let mut names: Vec<&str> = cases.iter().map(|c| c.2.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 16, "one case per action");

    for channel in [Channel::Web, Channel::Sms] {
        for (before, actor, action, phrase) in &cases {
            let after = step(&confidential_on(before.clone(), channel), actor, action);
            let index = after.timeline.len() - 1;
            let n = notification(&after, index, dir());
            let event = event_name(action);
            assert_eq!(n.notification_id, format!("{TRACKING_ID}:{index}"));
            assert_eq!(n.tracking_id.as_ref(), Some(&after.tracking_id));
            assert_eq!(n.channel, channel);
            assert_eq!(n.recipient_sealed.as_deref(), Some("sealed:v1:0f3a"));
            assert_eq!(n.event, event);
            assert_eq!(n.status, Some(after.status));
            assert_eq!(n.at, now());
            // The institution's words to a channel reporter, quoted; every other note (a
            // verifier's, a forward's reason, the reporter's own words) stays out.
            let words = matches!(
                action,
                Action::Defer { .. }
                    | Action::RequestInfo { .. }
                    | Action::FollowUp { .. }
                    | Action::Close { .. }
            ) && channel == Channel::Sms;
            if words {
                let quoted = format!("\"{SECRET_NOTE}\"");
                assert!(n.text.contains(&quoted), "{event}: {:?}", n.text);
                assert_fit_for_the_reporter(&n.text.replace(&quoted, ""), &after, event);
            } else {
                assert!(n.text.contains(phrase), "{event}: {:?}", n.text);
                assert_fit_for_the_reporter(&n.text, &after, event);
            }
        }
    }
}

#[test]
fn a_channel_reporter_reads_the_question_and_the_answer_and_how_to_reply() {
    let ask = |action: Action, from: Status, actor: Actor| {
        let after = step(&confidential(report_in(from)), &actor, &action);
        notification(&after, after.timeline.len() - 1, dir()).text
    };
    let question = || "Di RT berapa lokasinya?".to_string();
    assert_eq!(
        ask(
            Action::RequestInfo {
                question: question()
            },
            Status::InProgress,
            officer(HOLDER)
        ),
        format!(
            "Pertanyaan Kementerian Keuangan tentang laporan {TRACKING_ID}: \"Di RT berapa \
             lokasinya?\" Jawab dengan: BALAS {TRACKING_ID} <jawaban>."
        )
    );
    assert_eq!(
        ask(
            Action::Defer {
                question: question()
            },
            Status::NeedsTriage,
            verifier()
        ),
        format!(
            "Pertanyaan admin LAPOR tentang laporan {TRACKING_ID}: \"Di RT berapa \
             lokasinya?\" Jawab dengan: BALAS {TRACKING_ID} <jawaban>."
        )
    );
    assert_eq!(
        ask(
            Action::FollowUp {
                message: "Sudah diperbaiki.".into()
            },
            Status::InProgress,
            officer(HOLDER)
        ),
        format!(
            "Tanggapan Kementerian Keuangan atas laporan {TRACKING_ID}: \"Sudah diperbaiki.\" \
             Bila belum selesai, kirim: BALAS {TRACKING_ID} <pesan>. Bila sudah, beri nilai: \
             NILAI {TRACKING_ID} <1-5>."
        )
    );
    assert_eq!(
        ask(
            Action::Close { message: None },
            Status::Responded,
            officer(HOLDER)
        ),
        format!(
            "Laporan {TRACKING_ID} telah selesai. Beri nilai: NILAI {TRACKING_ID} <1-5> \
             <komentar>."
        )
    );
}

#[test]
fn a_reporter_who_rated_is_not_asked_to_rate_again() {
    for channel in [Channel::Web, Channel::Sms] {
        let responded = confidential_on(report_in(Status::Responded), channel);
        let rated = step(
            &responded,
            &reporter(),
            &Action::Rate {
                stars: 5,
                comment: None,
            },
        );
        for (before, asks) in [(&responded, true), (&rated, false)] {
            let closed = step(
                before,
                &officer(HOLDER),
                &Action::Close {
                    message: Some("Selesai diperbaiki.".into()),
                },
            );
            let text = notification(&closed, closed.timeline.len() - 1, dir()).text;
            assert_eq!(
                text.contains("nilai") || text.contains("penilaian"),
                asks,
                "{text}"
            );
            let auto = step(before, &system(), &Action::AutoClose {});
            let text = notification(&auto, auto.timeline.len() - 1, dir()).text;
            assert_eq!(
                text.contains("nilai") || text.contains("penilaian"),
                asks,
                "{text}"
            );
        }
    }
}

#[test]
fn the_national_verifiers_taking_a_report_is_announced_once() {
    // Not routed in time: handed to the national verifiers, once.
    let received = confidential(report_in(Status::Received));
    let first = step(&received, &system(), &Action::Escalate {});
    let n = notification(&first, first.timeline.len() - 1, dir());
    assert_eq!(
        n.text,
        format!("Laporan {TRACKING_ID} melewati batas waktu dan ditangani admin nasional.")
    );
    assert!(n.recipient_sealed.is_some());
    // Every later missed verification deadline: the same hands, nothing to tell.
    let again = step(&first, &system(), &Action::Escalate {});
    let n = notification(&again, again.timeline.len() - 1, dir());
    assert_eq!(n.recipient_sealed, None, "{:?}", n.text);
    // A report the router sent to triage was with them already.
    let triaged = confidential(report_in(Status::NeedsTriage));
    let late = step(&triaged, &system(), &Action::Escalate {});
    let n = notification(&late, late.timeline.len() - 1, dir());
    assert_eq!(n.recipient_sealed, None, "{:?}", n.text);
    // Verified, the report changed hands: a new hand-over would be news again.
    let verified = step(
        &again,
        &verifier(),
        &Action::Verify {
            agency_id: Some(HOLDER.into()),
            note: None,
        },
    );
    let n = notification(&verified, verified.timeline.len() - 1, dir());
    assert!(n.recipient_sealed.is_some(), "{:?}", n.text);
}

#[test]
fn earlier_events_notify_too() {
    let triaged = confidential(report_in(Status::NeedsTriage));
    let routed = confidential(report_in(Status::Dispositioned));
    let cases = [
        (&triaged, 0, "submitted", "diterima dengan nomor"),
        (&triaged, 1, "sent_to_triage", "sedang diverifikasi"),
        (&routed, 1, "routed", "diteruskan ke Kementerian Keuangan"),
    ];
    for (report, index, event, phrase) in cases {
        let n = notification(report, index, dir());
        assert_eq!(n.notification_id, format!("{TRACKING_ID}:{index}"));
        assert_eq!(n.event, event);
        assert_eq!(n.status, report.timeline[index].status);
        assert_eq!(n.at, report.timeline[index].at);
        assert!(n.text.contains(phrase), "{event}: {:?}", n.text);
        assert_fit_for_the_reporter(&n.text, report, event);
    }
}

#[test]
fn the_same_event_always_makes_the_same_notification() {
    let report = step(
        &report_in(Status::Dispositioned),
        &officer(HOLDER),
        &Action::Accept {},
    );
    let last = report.timeline.len() - 1;
    let d = dir();
    assert_eq!(
        notification(&report, last, d),
        notification(&report, last, d)
    );
    assert_ne!(
        notification(&report, last, d).notification_id,
        notification(&report, last - 1, d).notification_id
    );
}

#[test]
fn a_reporter_without_contact_gets_no_recipient() {
    let mut report = report_in(Status::Dispositioned);
    report.reporter_sealed = None;
    report.anonymous = true;
    let after = step(&report, &officer(HOLDER), &Action::Accept {});
    let n = notification(&after, after.timeline.len() - 1, dir());
    assert_eq!(n.recipient_sealed, None);
    assert_eq!(n.channel, Channel::Web);
}

#[test]
fn an_agency_missing_from_the_directory_is_named_generically() {
    let mut report = report_in(Status::Dispositioned);
    report.timeline.last_mut().unwrap().agency_id = Some("instansi-lama".into());
    let n = notification(&report, report.timeline.len() - 1, dir());
    assert!(n.text.contains("instansi berwenang"), "{:?}", n.text);
    assert!(!n.text.contains("instansi-lama"), "{:?}", n.text);
}

#[test]
fn a_forward_to_any_institution_fits_one_sms() {
    let d = dir();
    let before = report_in(Status::InProgress);
    // Its own work units are reached by `assign`, not by a forward.
    for agency in d
        .all()
        .iter()
        .filter(|a| a.id != HOLDER && !is_work_unit_of(d, &a.id, HOLDER))
    {
        let action = Action::Forward {
            agency_id: agency.id.clone(),
            reason: "Wewenang instansi lain.".into(),
        };
        let after = step(&before, &officer(HOLDER), &action);
        let text = notification(&after, after.timeline.len() - 1, d).text;
        assert!(text.contains(&agency.name), "{text:?}");
        assert!(
            text.chars().count() <= 160,
            "{} chars: {text:?}",
            text.len()
        );
    }
}

/// A report of Kota Bandung past its follow-up deadline.
fn overdue_in_the_city() -> Report {
    let mut report = confidential(report_in(Status::Dispositioned));
    report.agency_id = Some("pemda-32.73".into());
    report.deadline = Some(crate::domain::Deadline {
        step: crate::deadlines::Step::FollowUp,
        at: now() - chrono::Duration::minutes(1),
    });
    report
}

#[test]
fn each_supervision_level_is_announced_once() {
    let once = step(&overdue_in_the_city(), &system(), &Action::Escalate {});
    let n = notification(&once, once.timeline.len() - 1, dir());
    assert_eq!(
        n.text,
        format!(
            "Laporan {TRACKING_ID} melewati batas waktu. Pemerintah Provinsi Jawa Barat kini ikut \
             mengawasi penanganannya."
        )
    );
    assert!(n.recipient_sealed.is_some());
    let twice = step(&once, &system(), &Action::Escalate {});
    let n = notification(&twice, twice.timeline.len() - 1, dir());
    assert_eq!(
        n.text,
        format!(
            "Laporan {TRACKING_ID} melewati batas waktu. Admin nasional LAPOR kini ikut \
             mengawasi penanganannya."
        )
    );
    assert!(n.recipient_sealed.is_some());
    // No level above the national verifiers: a deadline missed again is no news.
    let thrice = step(&twice, &system(), &Action::Escalate {});
    let n = notification(&thrice, thrice.timeline.len() - 1, dir());
    assert_eq!(n.recipient_sealed, None, "{:?}", n.text);
}

#[test]
fn a_reminder_between_institutions_is_not_sent_and_a_take_over_is() {
    let mut supervised = overdue_in_the_city();
    supervised.supervisors = vec![supervisor(Some("pemda-32"))];
    let reminded = step(
        &supervised,
        &officer("pemda-32"),
        &Action::Remind {
            note: "Mohon segera ditindaklanjuti.".into(),
        },
    );
    let n = notification(&reminded, reminded.timeline.len() - 1, dir());
    assert_eq!(n.recipient_sealed, None, "{:?}", n.text);
    let taken = step(
        &supervised,
        &officer("pemda-32"),
        &Action::TakeOver {
            reason: "Provinsi menangani langsung.".into(),
        },
    );
    let n = notification(&taken, taken.timeline.len() - 1, dir());
    assert_eq!(
        n.text,
        format!(
            "Laporan {TRACKING_ID} kini ditangani langsung oleh Pemerintah Provinsi Jawa Barat."
        )
    );
    assert!(n.recipient_sealed.is_some());
}

#[test]
fn an_extension_tells_the_applicant_its_reason_on_their_channel() {
    for channel in [Channel::Web, Channel::Sms] {
        let mut request = confidential_on(report_in(Status::InProgress), channel);
        request.agency_id = Some(HOLDER.into());
        request.kind = crate::domain::ReportKind::InformationRequest;
        request.deadline = Some(follow_up_deadline());
        let extended = step(
            &request,
            &officer(HOLDER),
            &Action::Extend {
                reason: "Dokumen harus diminta dari arsip daerah.".into(),
            },
        );
        let text = notification(&extended, extended.timeline.len() - 1, dir()).text;
        let base = format!(
            "Batas waktu jawaban atas permintaan informasi {TRACKING_ID} diperpanjang 7 hari \
             kerja (UU 14/2008)."
        );
        let want = match channel {
            Channel::Sms => format!(
                "{base} Alasan dari Kementerian Keuangan: \"Dokumen harus diminta dari arsip \
                 daerah.\""
            ),
            _ => base,
        };
        assert_eq!(text, want);
    }
}

#[test]
fn supporters_hear_the_answers_of_a_public_report_and_only_that_a_confidential_one_moved() {
    let answer = Action::FollowUp {
        message: SECRET_NOTE.into(),
    };
    let supporter = crate::domain::report::Supporter {
        key: "sender:abc".into(),
        recipient_sealed: Some("sealed:supporter".into()),
        channel: Channel::Whatsapp,
        since: now(),
    };
    let mut public = report_in(Status::InProgress);
    public.supporters = vec![
        supporter.clone(),
        crate::domain::report::Supporter {
            recipient_sealed: None,
            ..supporter.clone()
        },
    ];
    let answered = step(&public, &officer(HOLDER), &answer);
    let told = supporter_notifications(&answered, answered.timeline.len() - 1, dir());
    // The one who can be told is; the other counts but hears nothing.
    assert_eq!(told.len(), 1);
    assert_eq!(
        told[0].notification_id,
        format!("{TRACKING_ID}:{}:d0", answered.timeline.len() - 1)
    );
    assert_eq!(
        told[0].recipient_sealed.as_deref(),
        Some("sealed:supporter")
    );
    assert_eq!(told[0].channel, Channel::Whatsapp);
    assert!(told[0].text.contains("yang Anda dukung") && told[0].text.contains(SECRET_NOTE));

    let mut secret = confidential(report_in(Status::InProgress));
    secret.supporters = vec![supporter];
    let answered = step(&secret, &officer(HOLDER), &answer);
    let told = supporter_notifications(&answered, answered.timeline.len() - 1, dir());
    assert_eq!(told.len(), 1);
    assert_fit_for_the_reporter(&told[0].text, &answered, "followed_up to a supporter");
    // Events supporters do not hear of: an acceptance, to a report they support.
    let mut supported = report_in(Status::Dispositioned);
    supported.supporters = public.supporters.clone();
    let accepted = step(&supported, &officer(HOLDER), &Action::Accept {});
    assert!(supporter_notifications(&accepted, accepted.timeline.len() - 1, dir()).is_empty());
}
