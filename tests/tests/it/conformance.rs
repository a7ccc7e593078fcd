//! One conformance suite for the ports, run on every storage family (`families()`): whatever the
//! services rely on from `ReportStore`, `MessageQueue` and `QueueReceiver` must hold the same on
//! SQLite as on DynamoDB + SQS. Port level only: no HTTP, no handlers.

use chrono::{DateTime, Duration as Span, NaiveDate, TimeZone, Utc};
use lapor::domain::{
    Actor, ArchiveReason, Channel, Deadline, Location, Rating, Report, ReportKind,
    RoutingCandidate, RoutingRecord, Status, TimelineEvent, TrackingId,
};
use lapor::ports::{IdempotencyRecord, InsertError, Message, QueueName, ReportStore, UpdateError};
use lapor::template::Template;
use lapor_tests::{families, start_time, Harness};
use std::collections::HashSet;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- builders

/// A report with only what every report has.
fn minimal_report(created_at: DateTime<Utc>, due_at: Option<DateTime<Utc>>) -> Report {
    Report {
        due_at,
        ..lapor_tests::minimal_report(created_at)
    }
}

/// A report with every optional field set, awkward numbers and non-ASCII text, so that a field an
/// adapter drops, renames, rounds or re-encodes shows up as a difference.
fn full_report() -> Report {
    // Sub-second precision down to the nanosecond: a store that keeps millis would lose it.
    let created_at = start_time() + Span::nanoseconds(123_456_789);
    let routed_at = created_at + Span::milliseconds(1_500) + Span::nanoseconds(7);
    Report {
        tracking_id: TrackingId::generate(),
        kind: ReportKind::InformationRequest,
        title: "Jalan rusak — «Jl. Merdeka» 道路 🚧 ñ".into(),
        body: "Baris satu: lubang ±30 cm.\nBaris dua\tdengan tab, \"kutip\", \\ garis miring, \
               emoji 🙏🏽 dan aksara Jawa ꦲꦤꦕꦫꦏ."
            .into(),
        category: Some("infrastruktur/jalan".into()),
        location: Location {
            region_code: Some("32.73.01".into()),
            text: Some("Dekat pasar, depan toko «Maju Jaya»".into()),
            // A float with many digits, and a whole-number float (a store may print it as `107`).
            lat: Some(-6.914_744_123_456_789),
            lon: Some(107.0),
        },
        incident_date: Some(NaiveDate::from_ymd_opt(2025, 11, 28).unwrap()),
        target_agency: Some("pemda-32.73".into()),
        channel: Channel::Mobile,
        reporter_sealed: Some("v1.c2VhbGVkLWNvbnRhY3Q".into()),
        anonymous: true,
        confidential: true,
        status: Status::Deferred,
        agency_id: Some("pemda-32.73".into()),
        work_unit: Some("pemda-32.73-dinas-pu".into()),
        deferred_from: Some(Status::InProgress),
        archive_reason: Some(ArchiveReason::TooGeneral),
        duplicate_of: Some(TrackingId::generate()),
        rating: Some(Rating {
            stars: 4,
            comment: Some("Cepat — «terima kasih» 🙏".into()),
            at: created_at + Span::milliseconds(90_001),
        }),
        routing: Some(RoutingRecord {
            decision: "auto".into(),
            agency_id: Some("pemda-32.73".into()),
            confidence: 0.873_456_7,
            candidates: vec![
                RoutingCandidate {
                    agency_id: "pemda-32.73".into(),
                    name: "Pemerintah Kota Bandung".into(),
                    score: 0.873_456_7,
                },
                RoutingCandidate {
                    agency_id: "pemda-32".into(),
                    name: "Pemerintah Provinsi Jawa Barat — Dinas PU".into(),
                    score: 0.1,
                },
                RoutingCandidate {
                    agency_id: "kemenpupr".into(),
                    name: "Kementerian PUPR".into(),
                    score: 0.0,
                },
            ],
            reason: "kata «jalan» + wilayah 32.73 ✓".into(),
            model_version: "2025-11-01+ü".into(),
        }),
        access_token_hash: "ab".repeat(32),
        reporter_ref: None,
        inbound_sealed: None,
        contact_check: None,
        created_at,
        updated_at: routed_at,
        deadline: Some(Deadline {
            step: lapor::deadlines::Step::DeferredAnswer,
            at: routed_at + Span::days(3) + Span::nanoseconds(11),
        }),
        due_at: Some(routed_at + Span::days(3) + Span::nanoseconds(11)),
        // Every field set: supervisors (an institution and the national verifiers), the link back
        // from the duplicates, an extension.
        supervisors: vec![
            lapor::domain::report::Supervisor {
                agency_id: Some("pemda-32".into()),
                since: routed_at + Span::milliseconds(3),
            },
            lapor::domain::report::Supervisor {
                agency_id: None,
                since: routed_at + Span::milliseconds(4),
            },
        ],
        duplicates: vec![TrackingId::generate()],
        extended: true,
        supporters: vec![lapor::domain::report::Supporter {
            key: "report:G4KBGQWVED".into(),
            recipient_sealed: Some("v1.c2VhbGVk".into()),
            channel: Channel::Sms,
            since: created_at + Span::milliseconds(5_000) + Span::nanoseconds(11),
        }],
        possible_duplicates: vec![lapor::domain::report::PossibleDuplicate {
            tracking_id: TrackingId::generate(),
            score: 0.812,
        }],
        attachments: vec![lapor::attachments::Attachment {
            id: "Q2xAbn3kTz9mPq7RsV4wYc".into(),
            media_type: lapor::attachments::MediaType::Webp,
            declared_size: 123_456,
            state: lapor::attachments::AttachmentState::Available,
            by: lapor::attachments::Uploader::Institution {
                agency_id: "pemda-32.73".into(),
            },
            created_at: created_at + Span::milliseconds(7) + Span::nanoseconds(5),
            upload_expires_at: created_at + Span::minutes(15),
            size: Some(98_765),
            has_preview: true,
            metadata_removed: true,
            rejected: None,
            checked_at: Some(created_at + Span::milliseconds(9_000)),
        }],
        first_response: Some(lapor::domain::report::FirstResponse {
            at: created_at + Span::milliseconds(60_000) + Span::nanoseconds(3),
            within_deadline: false,
        }),
        version: 42,
        timeline: vec![
            TimelineEvent {
                at: created_at,
                actor: Actor::Reporter,
                action: "submitted".into(),
                agency_id: None,
                status: Some(Status::Received),
                note: None,
                action_id: None,
            },
            TimelineEvent {
                at: routed_at,
                actor: Actor::System {
                    component: "router".into(),
                },
                action: "routed".into(),
                agency_id: Some("pemda-32.73".into()),
                status: Some(Status::Dispositioned),
                note: Some("alasan: «jalan» 🚧".into()),
                action_id: None,
            },
            TimelineEvent {
                at: routed_at + Span::seconds(1),
                actor: Actor::Officer {
                    agency_id: "pemda-32.73".into(),
                    officer_id: Some("petugas-ß-7".into()),
                },
                action: "commented".into(),
                agency_id: Some("pemda-32.73".into()),
                status: None,
                note: Some(String::new()),
                action_id: None,
            },
            TimelineEvent {
                at: routed_at + Span::seconds(2),
                actor: Actor::Verifier { officer_id: None },
                action: "verified".into(),
                agency_id: None,
                status: None,
                note: None,
                action_id: None,
            },
        ],
    }
}

fn idempotency(
    key_hash: &str,
    report: &Report,
    created_at: DateTime<Utc>,
    expires_at: i64,
) -> IdempotencyRecord {
    IdempotencyRecord {
        origin: lapor::ports::IdempotencyOrigin::Web,
        key_hash: key_hash.into(),
        request_hash: format!("request-of-{}", report.tracking_id),
        tracking_id: report.tracking_id.clone(),
        sealed_response: format!("sealed-response-of-{}", report.tracking_id),
        created_at,
        expires_at,
    }
}

/// A key hash no other test (or earlier run on the same servers) uses.
fn fresh_key_hash() -> String {
    format!("key-{}", TrackingId::generate())
}

fn store(h: &Harness) -> &dyn ReportStore {
    &*h.app.store
}

async fn stored(h: &Harness, id: &TrackingId) -> Option<Report> {
    store(h).get(id).await.unwrap()
}

// ---------------------------------------------------------------- ReportStore

#[tokio::test]
async fn insert_then_get_returns_every_field_unchanged() {
    for h in families().await {
        let full = full_report();
        store(&h).insert(&full, None).await.unwrap();
        assert_eq!(
            stored(&h, &full.tracking_id).await,
            Some(full.clone()),
            "{}",
            h.family
        );

        // And the smallest report: no field appears, no absent one comes back as a default.
        let minimal = minimal_report(start_time(), None);
        store(&h).insert(&minimal, None).await.unwrap();
        assert_eq!(
            stored(&h, &minimal.tracking_id).await,
            Some(minimal),
            "{}",
            h.family
        );

        assert_eq!(
            stored(&h, &TrackingId::generate()).await,
            None,
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn an_existing_tracking_id_is_never_overwritten() {
    for h in families().await {
        let first = full_report();
        store(&h).insert(&first, None).await.unwrap();

        let mut intruder = minimal_report(start_time(), Some(start_time()));
        intruder.tracking_id = first.tracking_id.clone();
        let again = store(&h).insert(&intruder, None).await;
        assert!(
            matches!(again, Err(InsertError::TrackingIdTaken)),
            "{}: {again:?}",
            h.family
        );
        assert_eq!(
            stored(&h, &first.tracking_id).await,
            Some(first.clone()),
            "{}",
            h.family
        );

        // With an idempotency record: the insert fails as a whole, so the record is not kept
        // either (it would otherwise answer retries with a report that is not the one stored).
        let key = fresh_key_hash();
        let record = idempotency(
            &key,
            &intruder,
            start_time(),
            start_time().timestamp() + 3600,
        );
        let again = store(&h).insert(&intruder, Some(&record)).await;
        assert!(
            matches!(again, Err(InsertError::TrackingIdTaken)),
            "{}: {again:?}",
            h.family
        );
        assert_eq!(
            stored(&h, &first.tracking_id).await,
            Some(first),
            "{}",
            h.family
        );
        assert_eq!(
            store(&h).get_idempotency(&key, start_time()).await.unwrap(),
            None,
            "{}: the record of a failed insert was kept",
            h.family
        );
    }
}

#[tokio::test]
async fn a_report_and_its_idempotency_record_are_stored_both_or_neither() {
    for h in families().await {
        let now = start_time();
        let key = fresh_key_hash();
        let first = minimal_report(now, Some(now + Span::minutes(2)));
        let record = idempotency(&key, &first, now, now.timestamp() + 86_400);
        store(&h).insert(&first, Some(&record)).await.unwrap();
        assert_eq!(
            stored(&h, &first.tracking_id).await,
            Some(first.clone()),
            "{}",
            h.family
        );
        assert_eq!(
            store(&h).get_idempotency(&key, now).await.unwrap(),
            Some(record.clone()),
            "{}",
            h.family
        );

        // Another report under the same key: refused, and the report is not stored.
        let later = now + Span::seconds(5);
        let second = minimal_report(later, Some(later + Span::minutes(2)));
        let record2 = idempotency(&key, &second, later, later.timestamp() + 86_400);
        let again = store(&h).insert(&second, Some(&record2)).await;
        assert!(
            matches!(again, Err(InsertError::IdempotencyKeyTaken)),
            "{}: {again:?}",
            h.family
        );
        assert_eq!(
            stored(&h, &second.tracking_id).await,
            None,
            "{}: a report was stored although its idempotency key was taken",
            h.family
        );
        assert_eq!(
            store(&h).get_idempotency(&key, later).await.unwrap(),
            Some(record),
            "{}: the first record must be unchanged",
            h.family
        );
        // Nothing of the refused insert reached the due index either.
        let due = store(&h).due(later + Span::hours(1), 10).await.unwrap();
        let ids: Vec<&TrackingId> = due.reports.iter().map(|r| &r.tracking_id).collect();
        assert_eq!(ids, [&first.tracking_id], "{}", h.family);
    }
}

#[tokio::test]
async fn an_expired_idempotency_record_no_longer_holds_its_key() {
    for h in families().await {
        let t0 = start_time();
        let expires_at = t0.timestamp() + 600;
        let expiry = Utc.timestamp_opt(expires_at, 0).unwrap();
        let key = fresh_key_hash();
        let first = minimal_report(t0, None);
        let record = idempotency(&key, &first, t0, expires_at);
        store(&h).insert(&first, Some(&record)).await.unwrap();

        // Still valid at its expiry second: a new record created then is refused.
        let at_expiry = minimal_report(expiry, None);
        let refused = store(&h)
            .insert(
                &at_expiry,
                Some(&idempotency(&key, &at_expiry, expiry, expires_at + 600)),
            )
            .await;
        assert!(
            matches!(refused, Err(InsertError::IdempotencyKeyTaken)),
            "{}: {refused:?}",
            h.family
        );
        assert_eq!(
            stored(&h, &at_expiry.tracking_id).await,
            None,
            "{}",
            h.family
        );

        // Created after the old record expired (TTL deletion has not run): the key is free.
        let after = expiry + Span::seconds(1);
        let second = minimal_report(after, None);
        let record2 = idempotency(&key, &second, after, after.timestamp() + 600);
        store(&h)
            .insert(&second, Some(&record2))
            .await
            .unwrap_or_else(|e| {
                panic!("{}: an expired record still holds its key: {e:?}", h.family)
            });
        assert_eq!(
            stored(&h, &second.tracking_id).await,
            Some(second),
            "{}",
            h.family
        );
        assert_eq!(
            store(&h).get_idempotency(&key, after).await.unwrap(),
            Some(record2),
            "{}",
            h.family
        );
        // The first report is untouched by its record being replaced.
        assert_eq!(
            stored(&h, &first.tracking_id).await,
            Some(first),
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn get_idempotency_hides_expired_records() {
    for h in families().await {
        let t0 = start_time();
        let expires_at = t0.timestamp() + 60;
        let key = fresh_key_hash();
        let report = minimal_report(t0, None);
        let record = idempotency(&key, &report, t0, expires_at);
        store(&h).insert(&report, Some(&record)).await.unwrap();

        let at = |secs: i64| Utc.timestamp_opt(secs, 0).unwrap();
        assert_eq!(
            store(&h)
                .get_idempotency(&key, at(expires_at))
                .await
                .unwrap(),
            Some(record),
            "{}: valid up to and including its expiry second",
            h.family
        );
        assert_eq!(
            store(&h)
                .get_idempotency(&key, at(expires_at + 1))
                .await
                .unwrap(),
            None,
            "{}: an expired record is still returned",
            h.family
        );
        assert_eq!(
            store(&h)
                .get_idempotency(&fresh_key_hash(), t0)
                .await
                .unwrap(),
            None,
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn updates_are_conditional_on_the_version() {
    for h in families().await {
        let t0 = start_time();
        let original = minimal_report(t0, Some(t0 + Span::minutes(2)));
        store(&h).insert(&original, None).await.unwrap();

        let mut next = original.clone();
        next.version = 2;
        next.status = Status::Dispositioned;
        next.agency_id = Some("pemda-32.73".into());
        next.due_at = None;
        next.record(TimelineEvent {
            at: t0 + Span::seconds(3),
            actor: Actor::System {
                component: "router".into(),
            },
            action: "routed".into(),
            agency_id: Some("pemda-32.73".into()),
            status: Some(Status::Dispositioned),
            note: Some("uji".into()),
            action_id: None,
        });
        store(&h).update(&next).await.unwrap();
        assert_eq!(
            stored(&h, &original.tracking_id).await,
            Some(next.clone()),
            "{}",
            h.family
        );

        // Written from the stale read (version 1 -> 2 again): refused, nothing changes.
        let mut stale = original.clone();
        stale.version = 2;
        stale.title = "Judul dari bacaan lama".into();
        let refused = store(&h).update(&stale).await;
        assert!(
            matches!(refused, Err(UpdateError::Conflict)),
            "{}: {refused:?}",
            h.family
        );
        // Skipping a version is refused as well.
        let mut skipping = next.clone();
        skipping.version = 4;
        skipping.title = "Judul yang melompati versi".into();
        let refused = store(&h).update(&skipping).await;
        assert!(
            matches!(refused, Err(UpdateError::Conflict)),
            "{}: {refused:?}",
            h.family
        );
        assert_eq!(
            stored(&h, &original.tracking_id).await,
            Some(next),
            "{}",
            h.family
        );

        // An update never creates a report.
        let mut ghost = minimal_report(t0, Some(t0));
        ghost.version = 2;
        let refused = store(&h).update(&ghost).await;
        assert!(
            matches!(refused, Err(UpdateError::Conflict)),
            "{}: {refused:?}",
            h.family
        );
        assert_eq!(stored(&h, &ghost.tracking_id).await, None, "{}", h.family);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_concurrent_updates_from_one_read_exactly_one_wins() {
    for h in families().await {
        for round in 0..5 {
            let report = minimal_report(start_time(), Some(start_time()));
            store(&h).insert(&report, None).await.unwrap();
            let read = stored(&h, &report.tracking_id).await.unwrap();
            let mut a = read.clone();
            a.version += 1;
            a.title = format!("Versi A putaran {round}");
            let mut b = read.clone();
            b.version += 1;
            b.title = format!("Versi B putaran {round}");
            b.due_at = None;

            let (sa, sb) = (h.app.store.clone(), h.app.store.clone());
            let (ua, ub) = (a.clone(), b.clone());
            let ta = tokio::spawn(async move { sa.update(&ua).await });
            let tb = tokio::spawn(async move { sb.update(&ub).await });
            let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
            let winner = match (&ra, &rb) {
                (Ok(()), Err(UpdateError::Conflict)) => a,
                (Err(UpdateError::Conflict), Ok(())) => b,
                _ => panic!(
                    "{} round {round}: exactly one update must win, got {ra:?} and {rb:?}",
                    h.family
                ),
            };
            assert_eq!(
                stored(&h, &report.tracking_id).await,
                Some(winner),
                "{} round {round}: the stored report is not the winner's",
                h.family
            );
        }
    }
}

#[tokio::test]
async fn due_returns_only_due_reports_oldest_first_reading_only_what_it_returns() {
    for h in families().await {
        let now = start_time();
        let minutes = |m: i64| now + Span::minutes(m);
        // Inserted out of order; `now` itself is due (at or before).
        let due_offsets = [-1, -4, 0, -3, -2];
        let mut due_ids = Vec::new();
        for m in due_offsets {
            let r = minimal_report(now, Some(minutes(m)));
            store(&h).insert(&r, None).await.unwrap();
            due_ids.push((m, r.tracking_id));
        }
        due_ids.sort_by_key(|(m, _)| *m);
        let due_ids: Vec<TrackingId> = due_ids.into_iter().map(|(_, id)| id).collect();
        // Not yet due, by one millisecond and by an hour.
        let soon = minimal_report(now, Some(now + Span::milliseconds(1)));
        store(&h).insert(&soon, None).await.unwrap();
        let later = minimal_report(now, Some(minutes(60)));
        store(&h).insert(&later, None).await.unwrap();
        // Nothing pending: never in the due index.
        let idle_a = minimal_report(now, None);
        store(&h).insert(&idle_a, None).await.unwrap();
        let mut idle_b = Report {
            deadline: None,
            due_at: None,
            ..full_report()
        };
        store(&h).insert(&idle_b, None).await.unwrap();

        let ids = |page: &lapor::ports::DuePage| -> Vec<TrackingId> {
            page.reports.iter().map(|r| r.tracking_id.clone()).collect()
        };

        let page = store(&h).due(now, 100).await.unwrap();
        assert_eq!(
            ids(&page),
            due_ids,
            "{}: due at or before now, oldest first",
            h.family
        );
        assert_eq!(page.items_read, 5, "{}: items read", h.family);
        // The reports come back whole.
        let first = stored(&h, &due_ids[0]).await.unwrap();
        assert_eq!(page.reports[0], first, "{}", h.family);

        let page = store(&h).due(now, 3).await.unwrap();
        assert_eq!(ids(&page), due_ids[..3], "{}: at most `limit`", h.family);
        assert_eq!(page.items_read, 3, "{}: items read with a limit", h.family);

        let page = store(&h).due(minutes(-10), 100).await.unwrap();
        assert!(page.reports.is_empty(), "{}", h.family);
        assert_eq!(page.items_read, 0, "{}", h.family);

        // Far ahead: every report with a due time, and only those.
        let page = store(&h).due(minutes(24 * 60), 100).await.unwrap();
        let mut expected = due_ids.clone();
        expected.extend([soon.tracking_id.clone(), later.tracking_id.clone()]);
        assert_eq!(ids(&page), expected, "{}", h.family);
        assert_eq!(page.items_read, 7, "{}", h.family);

        // An update that clears due_at takes the report out of the index; one that sets it puts
        // the report in at its new place.
        let mut done = stored(&h, &due_ids[0]).await.unwrap();
        done.version += 1;
        done.due_at = None;
        store(&h).update(&done).await.unwrap();
        idle_b.version += 1;
        idle_b.due_at = Some(minutes(-30));
        store(&h).update(&idle_b).await.unwrap();
        let page = store(&h).due(now, 100).await.unwrap();
        let mut expected = vec![idle_b.tracking_id.clone()];
        expected.extend(due_ids[1..].iter().cloned());
        assert_eq!(ids(&page), expected, "{}: after updates", h.family);
        assert_eq!(page.items_read, 5, "{}", h.family);
        assert!(
            !ids(&page).contains(&idle_a.tracking_id),
            "{}: a report without due_at appeared",
            h.family
        );
    }
}

// ---------------------------------------------------------------- MessageQueue / QueueReceiver

const Q: QueueName = QueueName::Intake;

fn max_receive_count() -> u32 {
    Template::builtin().queue_settings()[&Q].max_receive_count
}

/// Sleeps until `visibility` (plus a little) has passed since `since`.
async fn wait_out(since: Instant, visibility: Duration) {
    let until = since + visibility + Duration::from_millis(250);
    tokio::time::sleep_until(until.into()).await;
}

#[tokio::test]
async fn a_received_message_stays_hidden_until_its_visibility_passes_and_delete_is_final() {
    for h in families().await {
        let body = r#"{"tracking_id":"uji","teks":"ünïcödé 🚧"}"#;
        h.app.queue.send(Q, body).await.unwrap();

        // The SQS family long-polls for up to 1 s, so the hidden check needs a visibility longer
        // than that poll, or the message could legitimately come back inside it.
        let hide = Duration::from_secs(2);
        let received_at = Instant::now();
        let first = h.receiver.receive(Q, 10, hide).await.unwrap();
        assert_eq!(first.len(), 1, "{}: {first:?}", h.family);
        let m1 = &first[0];
        assert_eq!(m1.body, body, "{}", h.family);
        assert_eq!(m1.receive_count, 1, "{}", h.family);
        assert!(
            m1.sent_at > start_time(),
            "{}: sent_at {}",
            h.family,
            m1.sent_at
        );

        let hidden = h.receiver.receive(Q, 10, hide).await.unwrap();
        assert!(
            hidden.is_empty(),
            "{}: in flight but delivered again: {hidden:?}",
            h.family
        );

        wait_out(received_at, hide).await;
        let short = Duration::from_secs(1);
        let received_at = Instant::now();
        let second = h.receiver.receive(Q, 10, short).await.unwrap();
        assert_eq!(
            second.len(),
            1,
            "{}: not back after its visibility: {second:?}",
            h.family
        );
        let m2 = &second[0];
        assert_eq!(m2.message_id, m1.message_id, "{}", h.family);
        assert_eq!(m2.body, body, "{}", h.family);
        assert_eq!(m2.receive_count, 2, "{}", h.family);
        assert_ne!(m2.receipt_handle, m1.receipt_handle, "{}", h.family);

        h.receiver.delete(Q, &m2.receipt_handle).await.unwrap();
        // Had the delete done nothing, the message would be back once its 1 s is over.
        wait_out(received_at, short).await;
        let after = h.receiver.receive(Q, 10, short).await.unwrap();
        assert!(
            after.is_empty(),
            "{}: deleted but delivered again: {after:?}",
            h.family
        );
        let dead = h.receiver.dead_letters(Q).await.unwrap();
        assert!(dead.is_empty(), "{}: {dead:?}", h.family);
    }
}

#[tokio::test]
async fn past_max_receive_count_a_message_moves_to_the_dead_letters_for_good() {
    let max = max_receive_count();
    assert!(
        (1..=10).contains(&max),
        "maxReceiveCount {max} from the template"
    );
    for h in families().await {
        let body = "racun: tidak pernah berhasil";
        h.app.queue.send(Q, body).await.unwrap();
        let mut message_id = None;
        for n in 1..=max {
            let got = h.receiver.receive(Q, 10, Duration::ZERO).await.unwrap();
            assert_eq!(got.len(), 1, "{}: receive {n} of {max}: {got:?}", h.family);
            assert_eq!(got[0].receive_count, n, "{}", h.family);
            assert_eq!(got[0].body, body, "{}", h.family);
            let id = message_id.get_or_insert_with(|| got[0].message_id.clone());
            assert_eq!(&got[0].message_id, id, "{}", h.family);
        }
        assert!(
            h.receiver.dead_letters(Q).await.unwrap().is_empty(),
            "{}: dead-lettered before maxReceiveCount receives",
            h.family
        );
        let next = h.receiver.receive(Q, 10, Duration::ZERO).await.unwrap();
        assert!(
            next.is_empty(),
            "{}: delivered a receive past maxReceiveCount ({max}): {next:?}",
            h.family
        );
        let dead = h.receiver.dead_letters(Q).await.unwrap();
        assert_eq!(dead.len(), 1, "{}: {dead:?}", h.family);
        assert_eq!(dead[0].body, body, "{}", h.family);
        // Gone from the source queue for good (dead_letters only peeks).
        let again = h.receiver.receive(Q, 10, Duration::ZERO).await.unwrap();
        assert!(again.is_empty(), "{}: {again:?}", h.family);
        assert_eq!(
            h.receiver.dead_letters(Q).await.unwrap().len(),
            1,
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn a_batch_receive_returns_at_most_max_and_no_message_twice() {
    for h in families().await {
        let bodies: Vec<String> = (0..4).map(|i| format!("pesan-{i}")).collect();
        for b in &bodies {
            h.app.queue.send(Q, b).await.unwrap();
        }
        let hold = Duration::from_secs(60);
        let mut seen: Vec<String> = Vec::new();
        let mut ids = HashSet::new();
        let one = h.receiver.receive(Q, 1, hold).await.unwrap();
        assert_eq!(one.len(), 1, "{}: max 1", h.family);
        let three = h.receiver.receive(Q, 3, hold).await.unwrap();
        assert!(
            (1..=3).contains(&three.len()),
            "{}: max 3 gave {}",
            h.family,
            three.len()
        );
        let mut batches = vec![one, three];
        // SQS may return fewer than available: collect the rest, a bounded number of polls.
        for _ in 0..6 {
            let total: usize = batches.iter().map(Vec::len).sum();
            if total >= bodies.len() {
                break;
            }
            batches.push(h.receiver.receive(Q, 10, hold).await.unwrap());
        }
        for m in batches.into_iter().flatten() {
            assert!(
                ids.insert(m.message_id.clone()),
                "{}: {} twice",
                h.family,
                m.body
            );
            assert_eq!(m.receive_count, 1, "{}", h.family);
            seen.push(m.body);
        }
        seen.sort();
        assert_eq!(seen, bodies, "{}", h.family);
        let none = h.receiver.receive(Q, 10, hold).await.unwrap();
        assert!(none.is_empty(), "{}: {none:?}", h.family);
    }
}

#[tokio::test]
async fn insert_and_publish_stores_the_report_and_publishes_its_message_exactly_once() {
    for h in families().await {
        let report = minimal_report(Utc::now(), None);
        let message = Message {
            queue: QueueName::Intake,
            body: format!("{{\"tracking_id\":\"{}\"}}", report.tracking_id),
        };
        // Each family guarantees the publishing itself: no caller sends anything.
        store(&h)
            .insert_and_publish(&report, None, std::slice::from_ref(&message))
            .await
            .unwrap();
        assert!(
            stored(&h, &report.tracking_id).await.is_some(),
            "{}",
            h.family
        );
        let got = h
            .receiver
            .receive(QueueName::Intake, 10, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(got.len(), 1, "{}", h.family);
        assert_eq!(got[0].body, message.body);
        // A refused insert publishes nothing.
        let again = store(&h)
            .insert_and_publish(&report, None, std::slice::from_ref(&message))
            .await;
        assert!(
            matches!(again, Err(InsertError::TrackingIdTaken)),
            "{}",
            h.family
        );
        let receipts: Vec<String> = got.iter().map(|m| m.receipt_handle.clone()).collect();
        h.receiver
            .delete_batch(QueueName::Intake, &receipts)
            .await
            .unwrap();
        let left = h
            .receiver
            .receive(QueueName::Intake, 10, Duration::ZERO)
            .await
            .unwrap();
        assert!(left.is_empty(), "{}: {left:?}", h.family);
    }
}
