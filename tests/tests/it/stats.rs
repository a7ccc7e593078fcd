//! The statistics on both storage families: the counters every write keeps equal a recount over
//! the stored reports after every kind of change (routing, verification, a forward, follow-ups
//! on time and late, an escalation, closing, a rating, a redelivered routing message, a retried
//! action, a lost race), and `GET /v1/stats` and `GET /v1/export` answer from them.

use chrono::Duration;
use lapor::domain::{Report, Status};
use lapor::ports::Clock;
use lapor::service::escalation::{run_pass, PassLimits};
use lapor::stats::{self, Contribution};
use lapor_tests::{answer, api_request, assert_ok, families, sample_report, Harness, HttpAnswer};
use lapor_tests::{Staff, Submitted};
use serde_json::json;

const BANDUNG: &str = "pemda-32.73";
const PERIOD: &str = "2025-12";

fn bandung() -> Staff {
    Staff::officer("officer-bdg-1", BANDUNG)
}

async fn stats_call(h: &Harness, route: &str, query: &str) -> HttpAnswer {
    let req = api_request(route, None, query, None, &[], None);
    answer(status::handle(&h.app, req).await.unwrap())
}

async fn act_ok(h: &Harness, staff: &Staff, id: &str, action_id: &str, action: serde_json::Value) {
    let a = h.act(staff, id, action_id, action).await;
    assert_ok(h.family, action_id, &a);
}

/// The stored counters of every scope the recount names, as a contribution (zeros dropped).
async fn stored_counters(h: &Harness, expected: &Contribution) -> Contribution {
    let mut out = Contribution::new();
    for (scope, period) in expected.keys() {
        for row in h.app.store.stats(scope, period, period).await.unwrap() {
            out.insert((scope.clone(), row.period), row.counters);
        }
    }
    out
}

async fn assert_counters_match(h: &Harness, ids: &[&Submitted], when: &str) {
    let mut reports: Vec<Report> = Vec::new();
    for s in ids {
        reports.push(h.stored(&s.id).await);
    }
    let mut expected = stats::recount(&reports);
    for counters in expected.values_mut() {
        counters.retain(|_, n| *n != 0);
    }
    // Scopes a report left (the institution before a forward) must be back to nothing.
    let mut scopes = expected.clone();
    scopes.insert(
        (stats::agency_scope("kemenkeu"), PERIOD.into()),
        Default::default(),
    );
    scopes.insert(
        (stats::agency_scope(BANDUNG), PERIOD.into()),
        Default::default(),
    );
    let stored = stored_counters(h, &scopes).await;
    assert_eq!(stored, expected, "{}: {when}", h.family);
}

#[tokio::test]
async fn the_counters_equal_a_recount_after_every_kind_of_change() {
    for h in families().await {
        let f = h.family;
        let officer = bandung();
        // Four reports in Bandung, one the router cannot place.
        let on_time = h.submit_routed(&sample_report()).await;
        let forwarded = h.submit_routed(&sample_report()).await;
        let late = h.submit_routed(&sample_report()).await;
        let mut confidential = sample_report();
        confidential["confidential"] = true.into();
        let confidential = h.submit_routed(&confidential).await;
        let triage = h
            .submit_routed(&json!({
                "kind": "aspiration",
                "title": "Usulan taman",
                "body": "Mohon dibangun taman bermain untuk anak-anak di lingkungan kami."
            }))
            .await;
        let all = [&on_time, &forwarded, &late, &confidential, &triage];
        assert_eq!(
            h.stored(&triage.id).await.status,
            Status::NeedsTriage,
            "{f}"
        );
        assert_counters_match(&h, &all, "after routing").await;

        // The same routing message again (a redelivery): counted once.
        for s in [&on_time, &triage] {
            let body = json!({ "tracking_id": s.id }).to_string();
            h.app
                .queue
                .send(lapor::ports::QueueName::Intake, &body)
                .await
                .unwrap();
        }
        h.drain_router().await;
        assert_counters_match(&h, &all, "after a redelivered routing message").await;

        act_ok(
            &h,
            &officer,
            &on_time.id,
            "acc-0001",
            json!({"action": "accept"}),
        )
        .await;
        let follow_up = json!({"action": "follow_up", "message": "Lampu sudah diganti."});
        act_ok(&h, &officer, &on_time.id, "fu-00001", follow_up.clone()).await;
        // A retried action is answered as replayed and changes nothing.
        act_ok(&h, &officer, &on_time.id, "fu-00001", follow_up.clone()).await;
        act_ok(
            &h,
            &officer,
            &on_time.id,
            "close-001",
            json!({"action": "close", "message": "Selesai."}),
        )
        .await;
        let rated = h
            .reporter_call(
                "rating",
                &on_time.id,
                Some(&on_time.token),
                &json!({"stars": 4}),
            )
            .await;
        assert_ok(f, "rating", &rated);
        act_ok(
            &h,
            &officer,
            &forwarded.id,
            "fwd-0001",
            json!({"action": "forward", "agency_id": "kemenkeu", "reason": "Bukan kewenangan kota."}),
        )
        .await;
        act_ok(
            &h,
            &Staff::verifier("verifier-1"),
            &triage.id,
            "ver-0001",
            json!({"action": "verify", "agency_id": BANDUNG}),
        )
        .await;
        assert_counters_match(&h, &all, "after the officers' actions").await;

        // The late one misses its follow-up deadline: escalated, late while unanswered, then
        // answered late.
        let deadline = h
            .stored(&late.id)
            .await
            .deadline
            .expect("a follow-up deadline")
            .at;
        h.clock.set(deadline + Duration::hours(1));
        run_pass(&h.app, h.clock.now(), PassLimits::default())
            .await
            .unwrap();
        let escalated = h.stored(&late.id).await;
        assert!(
            escalated.timeline.iter().any(|e| e.action == "escalated"),
            "{f}"
        );
        assert_eq!(stats::facts(&escalated).within_deadline, Some(false), "{f}");
        assert_counters_match(&h, &all, "after the escalation pass").await;
        act_ok(&h, &officer, &late.id, "fu-late01", follow_up.clone()).await;
        let answered = h.stored(&late.id).await;
        assert_eq!(
            answered.first_response.map(|r| r.within_deadline),
            Some(false),
            "{f}"
        );
        assert_counters_match(&h, &all, "after a late follow-up").await;

        // A write that lost its race (a stale version) moves nothing.
        let mut stale = h.stored(&on_time.id).await;
        stale.status = Status::InProgress;
        assert!(h.app.store.update(&stale).await.is_err(), "{f}");
        assert_counters_match(&h, &all, "after a lost race").await;

        // The API answers from the same counters.
        let query = format!("agency={BANDUNG}&from={PERIOD}&to={PERIOD}");
        let a = stats_call(&h, "GET /v1/stats", &query).await;
        assert_ok(f, "stats", &a);
        let total = &a.body["total"];
        // In Bandung: on time, late, confidential, and the verified one; the forwarded left.
        assert_eq!(total["received"], 4, "{f}: {}", a.text);
        assert_eq!(total["answered"], 2, "{f}");
        assert_eq!(total["answered_within_deadline"], 1, "{f}");
        // The pass found the confidential and the verified one past the same deadline, still
        // unanswered: late too, and escalated.
        assert_eq!(total["late"], 3, "{f}: {total}");
        assert_eq!(total["share_within_deadline"], 0.25, "{f}");
        assert_eq!(total["escalations"], 3, "{f}");
        assert_eq!(total["average_rating"], 4.0, "{f}");
        assert_eq!(total["by_status"]["closed"], 1, "{f}");
        assert_eq!(total["by_kind"]["aspiration"], 1, "{f}");
        assert_eq!(a.body["scope"]["name"], "Pemerintah Kota Bandung", "{f}");
        assert_eq!(a.body["months"][0]["period"], PERIOD, "{f}");
        let national = stats_call(&h, "GET /v1/stats", &format!("from={PERIOD}&to={PERIOD}")).await;
        assert_eq!(
            national.body["total"]["received"], 5,
            "{f}: {}",
            national.text
        );
        let kemenkeu = stats_call(
            &h,
            "GET /v1/stats",
            &format!("agency=kemenkeu&from={PERIOD}"),
        )
        .await;
        assert_eq!(
            kemenkeu.body["total"]["received"], 1,
            "{f}: {}",
            kemenkeu.text
        );
        let region = stats_call(
            &h,
            "GET /v1/stats",
            &format!("region=32.73&from={PERIOD}&to={PERIOD}"),
        )
        .await;
        // The region is where the problem is: the forwarded one still counts there.
        assert_eq!(region.body["total"]["received"], 5, "{f}: {}", region.text);
        assert_eq!(region.body["scope"]["kind"], "regency", "{f}");
        let csv = stats_call(&h, "GET /v1/stats", &format!("{query}&format=csv")).await;
        assert_eq!(csv.status, 200, "{f}: {}", csv.text);
        let lines: Vec<&str> = csv.text.lines().collect();
        assert!(
            lines[0].starts_with("period,received,answered,"),
            "{f}: {}",
            csv.text
        );
        assert!(
            lines[1].starts_with("2025-12,4,2,1,3,0.25,"),
            "{f}: {}",
            csv.text
        );
        assert!(
            lines[2].starts_with("total,4,2,1,3,0.25,"),
            "{f}: {}",
            csv.text
        );

        // The public record: the public reports only, nothing personal, page by page.
        let export = stats_call(&h, "GET /v1/export", &format!("{query}&format=jsonl")).await;
        assert_eq!(export.status, 200, "{f}: {}", export.text);
        let rows: Vec<serde_json::Value> = export
            .text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut exported: Vec<&str> = rows
            .iter()
            .map(|r| r["tracking_id"].as_str().unwrap())
            .collect();
        exported.sort_unstable();
        let mut public = vec![on_time.id.as_str(), late.id.as_str(), triage.id.as_str()];
        public.sort_unstable();
        assert_eq!(exported, public, "{f}: the confidential report stays out");
        for personal in ["Siti", "0812", "3456", "siti@example.id", &on_time.token] {
            assert!(
                !export.text.contains(personal),
                "{f}: {personal} in the export"
            );
        }
        let first = stats_call(&h, "GET /v1/export", &format!("{query}&limit=2")).await;
        assert_ok(f, "export page 1", &first);
        assert_eq!(first.body["rows"].as_array().unwrap().len(), 2, "{f}");
        let cursor = first.body["next_cursor"]
            .as_str()
            .expect("a next page")
            .to_string();
        let second = stats_call(
            &h,
            "GET /v1/export",
            &format!("{query}&limit=2&cursor={cursor}"),
        )
        .await;
        assert_ok(f, "export page 2", &second);
        assert_eq!(
            second.body["rows"].as_array().unwrap().len(),
            1,
            "{f}: {}",
            second.text
        );
        let csv = stats_call(&h, "GET /v1/export", &format!("{query}&format=csv")).await;
        assert_eq!(
            csv.text.lines().count(),
            4,
            "{f}: header and three rows: {}",
            csv.text
        );
        let before = stats_call(
            &h,
            "GET /v1/export",
            &format!("agency={BANDUNG}&from=2025-10&to=2025-11"),
        )
        .await;
        assert_eq!(before.body["rows"], json!([]), "{f}: {}", before.text);
    }
}

#[tokio::test]
async fn bad_queries_are_refused_with_what_is_wrong() {
    let h = lapor_tests::embedded().await;
    for (route, query, status) in [
        ("GET /v1/stats", "agency=nope", 404),
        ("GET /v1/stats", "region=99", 404),
        ("GET /v1/stats", "region=32.73.01", 400),
        ("GET /v1/stats", "agency=kemenkeu&region=32", 422),
        ("GET /v1/stats", "from=2025-13", 400),
        ("GET /v1/stats", "from=2025-12&to=2025-11", 422),
        ("GET /v1/stats", "from=2020-01&to=2025-12", 422),
        ("GET /v1/stats", "from=1999-12", 400),
        ("GET /v1/stats", "format=xml", 400),
        ("GET /v1/stats", "format=jsonl", 400),
        ("GET /v1/stats", "status=closed", 400),
        ("GET /v1/export", "", 400),
        ("GET /v1/export", "agency=nope", 404),
        ("GET /v1/export", "agency=kemenkeu&limit=0", 400),
        ("GET /v1/export", "agency=kemenkeu&limit=1001", 400),
        ("GET /v1/export", "agency=kemenkeu&cursor=x", 400),
        ("GET /v1/export", "agency=kemenkeu&region=32", 400),
    ] {
        let a = stats_call(&h, route, query).await;
        assert_eq!(a.status, status, "{route}?{query}: {}", a.text);
        assert!(a.body["message"].is_string(), "{route}?{query}: {}", a.text);
    }
    // An empty period is zeros, month by month, not an error.
    let a = stats_call(
        &h,
        "GET /v1/stats",
        "agency=kemenkeu&from=2025-01&to=2025-03",
    )
    .await;
    assert_ok("embedded", "empty", &a);
    assert_eq!(a.body["total"]["received"], 0);
    assert_eq!(a.body["months"].as_array().unwrap().len(), 3);
    assert!(
        a.body["total"].get("share_within_deadline").is_none(),
        "{}",
        a.text
    );
}

/// A write by an older version of the code during a deploy rewrites the report knowing nothing
/// of the statistics: the counters lag until the next counted write, which counts from what was
/// last counted (the facts have their own item), never twice.
#[tokio::test]
async fn a_write_by_an_older_version_is_caught_up_by_the_next_without_counting_twice() {
    let Some(h) = lapor_tests::aws().await else {
        return;
    };
    let (client, table) = h.dynamodb.clone().expect("the AWS family's table");
    let s = h.submit_routed(&sample_report()).await;
    let mut report = h.stored(&s.id).await;
    // The older version accepts it: the report item rewritten, no statistics.
    report.status = Status::InProgress;
    report.version += 1;
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(lapor::adapters::aws::dynamodb::report_item(&report)))
        .send()
        .await
        .unwrap();
    let follow_up = json!({"action": "follow_up", "message": "Sudah kami perbaiki."});
    act_ok(&h, &bandung(), &s.id, "fu-old-0001", follow_up).await;
    assert_counters_match(
        &h,
        &[&s],
        "after an older version's write and a counted one",
    )
    .await;
}

/// Reports stored before the statistics (their items written with no facts) are counted by the
/// backfill, once however often it runs; the embedded store counted them when it opened.
#[tokio::test]
async fn the_backfill_counts_reports_stored_before_the_statistics_once() {
    let Some(h) = lapor_tests::aws().await else {
        return;
    };
    let (client, table) = h.dynamodb.clone().expect("the AWS family's table");
    let counted = h.submit_routed(&sample_report()).await;
    // Two reports as a release before the statistics stored them: items, no facts, no counts.
    let mut old = Vec::new();
    for _ in 0..2 {
        let mut report = lapor::domain::Report::sample(h.clock.now());
        report.agency_id = Some(BANDUNG.into());
        report.status = Status::Dispositioned;
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(lapor::adapters::aws::dynamodb::report_item(&report)))
            .send()
            .await
            .unwrap();
        old.push(lapor_tests::Submitted {
            id: report.tracking_id.to_string(),
            token: String::new(),
        });
    }
    let first = h.app.store.backfill_statistics().await.unwrap();
    assert_eq!((first.read, first.counted, first.skipped), (3, 2, 0));
    let again = h.app.store.backfill_statistics().await.unwrap();
    assert_eq!((again.read, again.counted), (3, 0));
    assert_counters_match(&h, &[&counted, &old[0], &old[1]], "after the backfill").await;
}
