//! Listing reports through their indexes (`ReportStore::list`), and `update_and_publish`, on every
//! storage family: an institution's and a work unit's inbox, the verifiers' triage queue and the
//! public feed, newest first, page by page.
//!
//! A page may be short and still carry `next` (DynamoDB filters after its read), so the tests
//! follow `next` to the end and check the whole list, never one page's length.

use chrono::{DateTime, Duration as Span, Utc};
use lapor::domain::{Report, Status, TrackingId};
use lapor::ports::{
    ListCursor, ListPage, ListQuery, Message, QueueName, ReportList, ReportStore, UpdateError,
};
use lapor_tests::{families, minimal_report, start_time, Harness};
use std::collections::HashSet;
use std::time::Duration;

// ---------------------------------------------------------------- builders

/// A report created at `created_at` in `status`, held by `agency` if any.
fn report(created_at: DateTime<Utc>, status: Status, agency: Option<&str>) -> Report {
    Report {
        status,
        agency_id: agency.map(String::from),
        ..minimal_report(created_at)
    }
}

/// `start_time()` plus `s` seconds (and a few milliseconds, so a store that drops them shows).
fn at(s: i64) -> DateTime<Utc> {
    start_time() + Span::seconds(s) + Span::milliseconds(7)
}

fn query(list: ReportList) -> ListQuery {
    ListQuery {
        list,
        status: None,
        public_only: false,
        cursor: None,
        limit: 100,
    }
}

fn store(h: &Harness) -> &dyn ReportStore {
    &*h.app.store
}

async fn put(h: &Harness, reports: &[&Report]) {
    for r in reports {
        store(h).insert(r, None).await.unwrap();
    }
}

/// The next version of `r`, changed by `change`.
fn changed(r: &Report, change: impl FnOnce(&mut Report)) -> Report {
    let mut next = r.clone();
    next.version += 1;
    change(&mut next);
    next
}

/// Every page of `q`, following `next` (through its client-visible string, as the API would)
/// until it is `None`. Checks what holds on every page: at most `limit` reports, items read
/// reported, and no report twice across pages.
async fn pages(h: &Harness, mut q: ListQuery) -> Vec<ListPage> {
    let mut all = Vec::new();
    let mut seen = HashSet::new();
    for _ in 0..100 {
        let page = store(h).list(&q).await.unwrap();
        assert!(
            page.reports.len() <= q.limit,
            "{}: {} reports on a page of {}",
            h.family,
            page.reports.len(),
            q.limit
        );
        assert!(
            page.items_read >= page.reports.len() as u64,
            "{}: items_read {} for {} reports",
            h.family,
            page.items_read,
            page.reports.len()
        );
        for r in &page.reports {
            assert!(
                seen.insert(r.tracking_id.clone()),
                "{}: {} listed twice",
                h.family,
                r.tracking_id
            );
        }
        let next = page.next.clone();
        all.push(page);
        match next {
            Some(cursor) => {
                q.cursor = Some(
                    ListCursor::decode(&cursor.encode()).expect("a cursor the store made decodes"),
                )
            }
            None => return all,
        }
    }
    panic!("{}: a listing that never ends", h.family);
}

/// The whole list of `q`, page after page.
async fn listed(h: &Harness, q: ListQuery) -> Vec<Report> {
    pages(h, q)
        .await
        .into_iter()
        .flat_map(|p| p.reports)
        .collect()
}

/// The ids of the whole list, unfiltered.
async fn list_ids(h: &Harness, list: ReportList) -> Vec<TrackingId> {
    ids(&listed(h, query(list)).await)
}

fn ids(reports: &[Report]) -> Vec<TrackingId> {
    reports.iter().map(|r| r.tracking_id.clone()).collect()
}

/// `reports` newest first (the order of every list); none of the tests' reports share a time.
fn newest_first(reports: &[&Report]) -> Vec<TrackingId> {
    let mut sorted: Vec<&Report> = reports.to_vec();
    sorted.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    sorted.iter().map(|r| r.tracking_id.clone()).collect()
}

// ---------------------------------------------------------------- lists

#[tokio::test]
async fn an_agency_inbox_runs_newest_first_page_by_page_without_gaps_or_repeats() {
    for h in families().await {
        let agency = "pemda-32.73";
        // Inserted out of creation order, with reports elsewhere around them.
        let inbox: Vec<Report> = [5, 1, 7, 3, 2, 8, 4, 6]
            .into_iter()
            .map(|s| report(at(s), Status::Dispositioned, Some(agency)))
            .collect();
        let elsewhere = report(at(9), Status::Dispositioned, Some("pemda-32.01"));
        let waiting = report(at(10), Status::NeedsTriage, None);
        put(&h, &inbox.iter().collect::<Vec<_>>()).await;
        put(&h, &[&elsewhere, &waiting]).await;

        let mut q = query(ReportList::Agency(agency.into()));
        q.limit = 3;
        let got = pages(&h, q).await;
        let sizes: Vec<usize> = got.iter().map(|p| p.reports.len()).collect();
        // Without filters both stores fill every page but the last.
        assert_eq!(sizes, vec![3, 3, 2], "{}", h.family);
        assert!(got[..2].iter().all(|p| p.next.is_some()), "{}", h.family);
        assert!(got[2].next.is_none(), "{}", h.family);
        let all: Vec<Report> = got.into_iter().flat_map(|p| p.reports).collect();
        assert_eq!(
            ids(&all),
            newest_first(&inbox.iter().collect::<Vec<_>>()),
            "{}",
            h.family
        );
        // Reports come back whole.
        let first = inbox.iter().find(|r| r.tracking_id == all[0].tracking_id);
        assert_eq!(Some(&all[0]), first, "{}", h.family);

        // A page ending exactly at the end of the list may still carry `next`; following it
        // yields nothing more.
        let mut q = query(ReportList::Agency(agency.into()));
        q.limit = 4;
        let all = listed(&h, q).await;
        assert_eq!(all.len(), 8, "{}", h.family);

        // An institution with no report: one empty page, nothing to follow.
        let none = store(&h)
            .list(&query(ReportList::Agency("kemenpupr".into())))
            .await
            .unwrap();
        assert!(
            none.reports.is_empty() && none.next.is_none(),
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn reports_created_in_the_same_millisecond_are_each_listed_once() {
    for h in families().await {
        let agency = "pemda-32.73";
        let same: Vec<Report> = (0..5)
            .map(|_| report(at(1), Status::Dispositioned, Some(agency)))
            .collect();
        let later = report(at(2), Status::Dispositioned, Some(agency));
        put(&h, &same.iter().collect::<Vec<_>>()).await;
        put(&h, &[&later]).await;
        for limit in [1, 2, 3] {
            let mut q = query(ReportList::Agency(agency.into()));
            q.limit = limit;
            let all = listed(&h, q).await;
            assert_eq!(all[0].tracking_id, later.tracking_id, "{}", h.family);
            let got: HashSet<TrackingId> = ids(&all).into_iter().collect();
            let want: HashSet<TrackingId> = same
                .iter()
                .chain([&later])
                .map(|r| r.tracking_id.clone())
                .collect();
            assert_eq!(got, want, "{} limit {limit}", h.family);
        }
    }
}

#[tokio::test]
async fn a_work_unit_inbox_lists_only_its_reports() {
    for h in families().await {
        let agency = "pemda-32.73";
        let unit = "pemda-32.73-dinas-pu";
        let in_unit = |s| {
            let mut r = report(at(s), Status::InProgress, Some(agency));
            r.work_unit = Some(unit.into());
            r
        };
        let (a, b, c) = (in_unit(1), in_unit(3), in_unit(2));
        let mut other_unit = report(at(4), Status::InProgress, Some(agency));
        other_unit.work_unit = Some("pemda-32.73-dinkes".into());
        let no_unit = report(at(5), Status::Dispositioned, Some(agency));
        put(&h, &[&a, &b, &c, &other_unit, &no_unit]).await;

        let mut q = query(ReportList::WorkUnit(unit.into()));
        q.limit = 2;
        assert_eq!(
            ids(&listed(&h, q).await),
            newest_first(&[&a, &b, &c]),
            "{}",
            h.family
        );
        // The institution's inbox holds its units' reports too.
        assert_eq!(
            ids(&listed(&h, query(ReportList::Agency(agency.into()))).await),
            newest_first(&[&a, &b, &c, &other_unit, &no_unit]),
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn an_overdue_box_lists_open_reports_under_their_latest_supervisor() {
    use lapor::domain::report::Supervisor;
    for h in families().await {
        let f = h.family;
        let supervised = |s, status, levels: &[Option<&str>]| {
            let mut r = report(at(s), status, Some("pemda-32.73"));
            r.supervisors = levels
                .iter()
                .map(|l| Supervisor {
                    agency_id: l.map(String::from),
                    since: at(s) + Span::days(5),
                })
                .collect();
            r
        };
        let province = supervised(1, Status::Dispositioned, &[Some("pemda-32")]);
        let province_too = supervised(3, Status::InProgress, &[Some("pemda-32")]);
        let national = supervised(2, Status::InProgress, &[Some("pemda-32"), None]);
        // Closed: out of every overdue box.
        let closed = supervised(4, Status::Closed, &[Some("pemda-32")]);
        let on_time = report(at(5), Status::InProgress, Some("pemda-32.73"));
        put(
            &h,
            &[&province, &province_too, &national, &closed, &on_time],
        )
        .await;

        let mut q = query(ReportList::Supervised("pemda-32".into()));
        q.limit = 1;
        assert_eq!(
            ids(&listed(&h, q).await),
            newest_first(&[&province, &province_too]),
            "{f}"
        );
        assert_eq!(
            list_ids(&h, ReportList::Supervised("national".into())).await,
            ids(std::slice::from_ref(&national)),
            "{f}"
        );
        // Only the box's own items are read (the index), not the table.
        let page = store(&h)
            .list(&query(ReportList::Supervised("pemda-32".into())))
            .await
            .unwrap();
        assert!(page.items_read <= 2, "{f}: read {}", page.items_read);
        // Taking it over (no supervisors any more) takes it out of the box.
        let taken = changed(&province, |r| r.supervisors.clear());
        store(&h).update(&taken).await.unwrap();
        assert_eq!(
            list_ids(&h, ReportList::Supervised("pemda-32".into())).await,
            ids(std::slice::from_ref(&province_too)),
            "{f}"
        );
    }
}

#[tokio::test]
async fn triage_holds_only_unassigned_reports_that_are_not_final() {
    for h in families().await {
        let received = report(at(1), Status::Received, None);
        let needs_triage = report(at(2), Status::NeedsTriage, None);
        let mut deferred = report(at(3), Status::Deferred, None);
        deferred.deferred_from = Some(Status::NeedsTriage);
        let archived = report(at(4), Status::Archived, None);
        let closed = report(at(5), Status::Closed, None);
        let assigned = report(at(6), Status::Dispositioned, Some("pemda-32.73"));
        let mut confidential = report(at(7), Status::NeedsTriage, None);
        confidential.confidential = true;
        let all = [
            &received,
            &needs_triage,
            &deferred,
            &archived,
            &closed,
            &assigned,
            &confidential,
        ];
        put(&h, &all).await;

        let mut q = query(ReportList::Triage);
        q.limit = 2;
        let triage = listed(&h, q).await;
        let expected: Vec<&Report> = all.iter().copied().filter(|r| r.is_in_triage()).collect();
        assert_eq!(expected.len(), 4, "the builder's reports changed meaning");
        assert_eq!(ids(&triage), newest_first(&expected), "{}", h.family);
        assert!(
            triage
                .iter()
                .all(|r| r.agency_id.is_none() && !r.status.is_final()),
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn the_public_feed_leaves_out_confidential_archived_and_unassigned_reports() {
    for h in families().await {
        let agency = "pemda-32.73";
        let in_progress = report(at(1), Status::InProgress, Some(agency));
        let responded = report(at(2), Status::Responded, Some("kemenpupr"));
        let closed = report(at(3), Status::Closed, Some(agency));
        let mut confidential = report(at(4), Status::InProgress, Some(agency));
        confidential.confidential = true;
        let archived = report(at(5), Status::Archived, Some(agency));
        let unassigned = report(at(6), Status::NeedsTriage, None);
        let unassigned_archived = report(at(7), Status::Archived, None);
        let all = [
            &in_progress,
            &responded,
            &closed,
            &confidential,
            &archived,
            &unassigned,
            &unassigned_archived,
        ];
        put(&h, &all).await;

        let mut q = query(ReportList::Public);
        q.limit = 2;
        let public = listed(&h, q).await;
        assert_eq!(
            ids(&public),
            newest_first(&[&in_progress, &responded, &closed]),
            "{}",
            h.family
        );
        assert!(public.iter().all(Report::is_public), "{}", h.family);
    }
}

#[tokio::test]
async fn a_status_filter_keeps_only_that_status_on_every_list() {
    for h in families().await {
        let agency = "pemda-32.73";
        let statuses = [
            Status::Dispositioned,
            Status::InProgress,
            Status::Responded,
            Status::InProgress,
            Status::Closed,
            Status::InProgress,
            Status::Dispositioned,
        ];
        let held: Vec<Report> = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| report(at(i as i64), *s, Some(agency)))
            .collect();
        let waiting = [
            report(at(20), Status::Received, None),
            report(at(21), Status::NeedsTriage, None),
            report(at(22), Status::NeedsTriage, None),
        ];
        put(&h, &held.iter().chain(&waiting).collect::<Vec<_>>()).await;

        for (list, status, from) in [
            (
                ReportList::Agency(agency.into()),
                Status::InProgress,
                &held[..],
            ),
            (ReportList::Public, Status::Dispositioned, &held[..]),
            (ReportList::Triage, Status::NeedsTriage, &waiting[..]),
            (ReportList::Triage, Status::Closed, &waiting[..]),
        ] {
            let mut q = query(list.clone());
            q.status = Some(status);
            q.limit = 2;
            let got = listed(&h, q).await;
            let want: Vec<&Report> = from.iter().filter(|r| r.status == status).collect();
            assert_eq!(
                ids(&got),
                newest_first(&want),
                "{} {list:?} {status:?}",
                h.family
            );
        }
    }
}

#[tokio::test]
async fn public_only_narrows_an_agency_inbox_to_what_the_feed_shows() {
    for h in families().await {
        let agency = "pemda-32.73";
        let shown = report(at(1), Status::InProgress, Some(agency));
        let mut confidential = report(at(2), Status::InProgress, Some(agency));
        confidential.confidential = true;
        let archived = report(at(3), Status::Archived, Some(agency));
        let also_shown = report(at(4), Status::Closed, Some(agency));
        let other_agency = report(at(5), Status::InProgress, Some("kemenpupr"));
        put(
            &h,
            &[&shown, &confidential, &archived, &also_shown, &other_agency],
        )
        .await;

        let mut q = query(ReportList::Agency(agency.into()));
        q.public_only = true;
        q.limit = 1;
        assert_eq!(
            ids(&listed(&h, q.clone()).await),
            newest_first(&[&shown, &also_shown]),
            "{}",
            h.family
        );
        // With a status filter as well.
        q.status = Some(Status::Closed);
        assert_eq!(
            ids(&listed(&h, q).await),
            vec![also_shown.tracking_id.clone()],
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn a_report_that_moves_leaves_its_old_lists_and_joins_its_new_ones() {
    for h in families().await {
        let (from, to) = ("pemda-32.73", "kemenpupr");
        // Triage -> an institution's work unit: leaves triage, enters the inbox and the feed.
        let v1 = report(at(1), Status::NeedsTriage, None);
        put(&h, &[&v1]).await;
        assert_eq!(
            list_ids(&h, ReportList::Triage).await,
            vec![v1.tracking_id.clone()]
        );
        assert!(
            list_ids(&h, ReportList::Public).await.is_empty(),
            "{}",
            h.family
        );
        let v2 = changed(&v1, |r| {
            r.status = Status::Dispositioned;
            r.agency_id = Some(from.into());
            r.work_unit = Some(format!("{from}-dinas-pu"));
        });
        store(&h).update(&v2).await.unwrap();
        assert!(
            list_ids(&h, ReportList::Triage).await.is_empty(),
            "{}",
            h.family
        );
        for list in [
            ReportList::Agency(from.into()),
            ReportList::WorkUnit(format!("{from}-dinas-pu")),
            ReportList::Public,
        ] {
            assert_eq!(
                list_ids(&h, list.clone()).await,
                vec![v1.tracking_id.clone()],
                "{} {list:?}",
                h.family
            );
        }

        // Forwarded to another institution: out of the old inbox and unit, into the new inbox.
        let v3 = changed(&v2, |r| {
            r.agency_id = Some(to.into());
            r.work_unit = None;
        });
        store(&h).update(&v3).await.unwrap();
        assert!(
            list_ids(&h, ReportList::Agency(from.into()))
                .await
                .is_empty(),
            "{}",
            h.family
        );
        assert!(
            list_ids(&h, ReportList::WorkUnit(format!("{from}-dinas-pu")))
                .await
                .is_empty(),
            "{}",
            h.family
        );
        let inbox = listed(&h, query(ReportList::Agency(to.into()))).await;
        assert_eq!(inbox, vec![v3.clone()], "{}", h.family);

        // Its status moves under a status filter.
        let v4 = changed(&v3, |r| r.status = Status::InProgress);
        store(&h).update(&v4).await.unwrap();
        let mut dispositioned = query(ReportList::Agency(to.into()));
        dispositioned.status = Some(Status::Dispositioned);
        assert!(listed(&h, dispositioned).await.is_empty(), "{}", h.family);

        // Archived: out of the feed, still in the inbox.
        let v5 = changed(&v4, |r| r.status = Status::Archived);
        store(&h).update(&v5).await.unwrap();
        assert!(
            list_ids(&h, ReportList::Public).await.is_empty(),
            "{}",
            h.family
        );
        assert!(
            list_ids(&h, ReportList::Triage).await.is_empty(),
            "{}",
            h.family
        );
        assert_eq!(
            list_ids(&h, ReportList::Agency(to.into())).await,
            vec![v1.tracking_id.clone()],
            "{}",
            h.family
        );

        // A refused update moves nothing.
        let stale = changed(&v3, |r| r.agency_id = Some(from.into()));
        assert!(matches!(
            store(&h).update(&stale).await,
            Err(UpdateError::Conflict)
        ));
        assert!(
            list_ids(&h, ReportList::Agency(from.into()))
                .await
                .is_empty(),
            "{}",
            h.family
        );
    }
}

#[tokio::test]
async fn items_read_counts_at_least_what_a_page_returns() {
    for h in families().await {
        let agency = "pemda-32.73";
        let reports: Vec<Report> = (0..4)
            .map(|i| report(at(i), Status::InProgress, Some(agency)))
            .collect();
        put(&h, &reports.iter().collect::<Vec<_>>()).await;
        let mut q = query(ReportList::Agency(agency.into()));
        q.limit = 3;
        let page = store(&h).list(&q).await.unwrap();
        assert_eq!(page.reports.len(), 3, "{}", h.family);
        assert!(page.items_read >= 3, "{}: {}", h.family, page.items_read);
        // A filter that matches nothing still reads (DynamoDB) or returns nothing (SQLite):
        // never fewer items read than reports returned, which `pages` checks on every page.
        q.status = Some(Status::Closed);
        assert!(listed(&h, q).await.is_empty(), "{}", h.family);
    }
}

// ---------------------------------------------------------------- update_and_publish

#[tokio::test]
async fn update_and_publish_stores_the_change_and_publishes_its_message_exactly_once() {
    const Q: QueueName = QueueName::Notifications;
    for h in families().await {
        let v1 = report(at(1), Status::Dispositioned, Some("pemda-32.73"));
        put(&h, &[&v1]).await;
        let v2 = changed(&v1, |r| r.status = Status::InProgress);
        let body = format!(
            "{{\"tracking_id\":\"{}\",\"status\":\"in_progress\"}}",
            v1.tracking_id
        );
        let message = Message {
            queue: Q,
            body: body.clone(),
        };
        // Each family guarantees the publishing itself: no caller sends anything.
        store(&h)
            .update_and_publish(&v2, std::slice::from_ref(&message))
            .await
            .unwrap();
        assert_eq!(
            store(&h).get(&v1.tracking_id).await.unwrap(),
            Some(v2.clone()),
            "{}",
            h.family
        );
        let got = h
            .receiver
            .receive(Q, 10, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(got.len(), 1, "{}: {got:?}", h.family);
        assert_eq!(got[0].body, body, "{}", h.family);
        // Nothing went to the other queue.
        let intake = h
            .receiver
            .receive(QueueName::Intake, 10, Duration::ZERO)
            .await
            .unwrap();
        assert!(intake.is_empty(), "{}: {intake:?}", h.family);

        // From a stale read: refused, and neither the change nor the message lands.
        let stale = changed(&v1, |r| r.status = Status::Closed);
        let stale_message = Message {
            queue: Q,
            body: "{\"stale\":true}".into(),
        };
        let refused = store(&h)
            .update_and_publish(&stale, std::slice::from_ref(&stale_message))
            .await;
        assert!(
            matches!(refused, Err(UpdateError::Conflict)),
            "{}: {refused:?}",
            h.family
        );
        assert_eq!(
            store(&h).get(&v1.tracking_id).await.unwrap(),
            Some(v2),
            "{}",
            h.family
        );
        h.receiver.delete(Q, &got[0].receipt_handle).await.unwrap();
        let left = h.receiver.receive(Q, 10, Duration::ZERO).await.unwrap();
        assert!(left.is_empty(), "{}: {left:?}", h.family);
    }
}

// ---------------------------------------------------------------- cursors

#[test]
fn a_cursor_survives_its_string_and_garbage_is_refused() {
    let id = TrackingId::generate();
    let cursor = ListCursor {
        created_ms: 1_764_554_400_007,
        tracking_id: id.clone(),
    };
    assert_eq!(ListCursor::decode(&cursor.encode()), Some(cursor));
    let zero = ListCursor {
        created_ms: 0,
        tracking_id: id.clone(),
    };
    assert_eq!(ListCursor::decode(&zero.encode()), Some(zero));
    let r = report(at(1), Status::Received, None);
    let after = ListCursor::after(&r);
    assert_eq!(after.created_ms, r.created_at.timestamp_millis());
    assert_eq!(ListCursor::decode(&after.encode()), Some(after));

    let mut wrong_check = id.to_string();
    let last = wrong_check.pop().unwrap();
    wrong_check.push(if last == '0' { '2' } else { '0' });
    for garbage in [
        String::new(),
        ".".into(),
        "garbage".into(),
        "1764554400007".into(),
        format!(".{id}"),
        format!("1764554400007.{wrong_check}"),
        format!("-1.{id}"),
        format!("1.5.{id}"),
        format!("abc.{id}"),
        format!("99999999999999999999999.{id}"),
        format!("1764554400007.{id}.x"),
        format!("1764554400007.{id}x"),
    ] {
        assert_eq!(ListCursor::decode(&garbage), None, "{garbage:?}");
    }
}
