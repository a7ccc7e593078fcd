//! The agency directory: seeding the store, the public directory endpoints and routing
//! suggestions, through the real handler and API Gateway event shapes, on every storage family.

use lapor::directory::{builtin_agencies, Agency, WORK_UNIT_KIND};
use lapor::service::agencies::DirectoryApi;
use lapor_tests::{answer, directory_request, families, HttpAnswer};
use serde_json::json;

async fn search(api: &DirectoryApi, query: &str) -> HttpAnswer {
    let req = directory_request("GET /v1/agencies", "/v1/agencies", query, &[], None);
    answer(directory::handle(api, req).await.unwrap())
}

async fn agency(api: &DirectoryApi, id: &str) -> HttpAnswer {
    let path = format!("/v1/agencies/{id}");
    let req = directory_request(
        "GET /v1/agencies/{agency_id}",
        &path,
        "",
        &[("agency_id", id)],
        None,
    );
    answer(directory::handle(api, req).await.unwrap())
}

async fn suggest(api: &DirectoryApi, body: &str) -> HttpAnswer {
    let req = directory_request(
        "POST /v1/routing/suggestions",
        "/v1/routing/suggestions",
        "",
        &[],
        Some(body),
    );
    answer(directory::handle(api, req).await.unwrap())
}

fn ids(a: &HttpAnswer) -> Vec<String> {
    a.body["agencies"]
        .as_array()
        .unwrap_or_else(|| panic!("no agencies in {}", a.text))
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn seeding_twice_leaves_the_same_directory() {
    let expected = builtin_agencies().len();
    assert_eq!(expected, 140 + 38 + 514);
    for h in families().await {
        assert!(h.agencies.agencies().await.unwrap().is_empty());
        assert_eq!(h.seed_directory().await, expected);
        let first = h.agencies.agencies().await.unwrap();
        assert_eq!(first.len(), expected, "{}", h.family);
        assert_eq!(h.seed_directory().await, expected);
        let mut second = h.agencies.agencies().await.unwrap();
        assert_eq!(
            second.len(),
            expected,
            "{}: a re-run duplicated rows",
            h.family
        );
        let mut first = first;
        first.sort_by(|a, b| a.id.cmp(&b.id));
        second.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(first, second, "{}", h.family);
        let komdigi = h.agencies.agency("komdigi").await.unwrap().unwrap();
        assert!(
            komdigi.aliases.iter().any(|a| a == "Kominfo"),
            "{komdigi:?}"
        );
        assert!(h.agencies.agency("nope").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn agencies_are_found_by_acronym_alias_and_former_name_and_paged() {
    for h in families().await {
        h.seed_directory().await;
        let api = h.directory_api().await;

        let a = search(&api, "q=kominfo").await;
        assert_eq!(a.status, 200, "{}: {}", h.family, a.text);
        assert_eq!(ids(&a)[0], "komdigi", "{}", h.family);
        assert_eq!(a.body["total"], 1);

        assert_eq!(ids(&search(&api, "q=BPN").await)[0], "atr-bpn");
        assert_eq!(ids(&search(&api, "q=pln").await)[0], "pln");
        let kumham = ids(&search(&api, "q=Kemenkumham&limit=10").await);
        for id in ["kemenkum", "kemenham", "kemenimipas"] {
            assert!(kumham.contains(&id.to_string()), "{id} in {kumham:?}");
        }
        assert_eq!(
            ids(&search(&api, "q=Pemkot%20Bandung").await)[0],
            "pemda-32.73"
        );
        assert_eq!(ids(&search(&api, "q=pemprov+jabar").await)[0], "pemda-32");

        // Pages of one ranking, with the total on each.
        let all = search(&api, "q=kementerian&limit=100").await;
        let total = all.body["total"].as_u64().unwrap();
        assert!(total > 40);
        let page = search(&api, "q=kementerian&limit=10&offset=10").await;
        assert_eq!(page.body["total"].as_u64().unwrap(), total);
        assert_eq!(page.body["limit"], 10);
        assert_eq!(page.body["offset"], 10);
        assert_eq!(ids(&page), ids(&all)[10..20].to_vec(), "{}", h.family);
        let past_the_end = search(&api, &format!("q=kementerian&offset={total}")).await;
        assert!(ids(&past_the_end).is_empty());

        // No query: the whole directory, paged.
        let everything = search(&api, "limit=5").await;
        assert_eq!(everything.body["total"], builtin_agencies().len());
        assert_eq!(ids(&everything).len(), 5);

        assert_eq!(search(&api, "q=zzzzqq").await.body["total"], 0);
    }
}

#[tokio::test]
async fn bad_directory_queries_get_their_4xx() {
    let h = lapor_tests::embedded().await;
    h.seed_directory().await;
    let api = h.directory_api().await;
    // Every problem of the query is `400 invalid_query`, as for the feed and the inbox.
    let long = format!("q={}", "a".repeat(101));
    for query in [
        "q=x&limit=0",
        "q=x&limit=101",
        "q=x&offset=20000",
        "q=x&limit=ten",
        "q=x&offset=-1",
        "q=x&page=2",
        "q=x&limit=5&limit=6",
        "q=%07x",
        &long,
    ] {
        let a = search(&api, query).await;
        assert_eq!(a.status, 400, "{query}: {}", a.text);
        assert_eq!(a.body["error"], "invalid_query", "{query}");
    }
}

#[tokio::test]
async fn an_agency_comes_with_its_parent_and_children() {
    for h in families().await {
        // A work unit published beside the compiled-in directory is served below its
        // institution.
        let unit = Agency {
            id: "pemda-32.73-disdik".into(),
            name: "Dinas Pendidikan Kota Bandung".into(),
            acronym: Some("Disdik Kota Bandung".into()),
            kind: WORK_UNIT_KIND.into(),
            parent_id: Some("pemda-32.73".into()),
            scope: Some("SD and SMP".into()),
            region_code: Some("32.73".into()),
            aliases: vec![],
        };
        h.publish_directory(std::slice::from_ref(&unit)).await;
        let api = h.directory_api().await;

        let bandung = agency(&api, "pemda-32.73").await;
        assert_eq!(bandung.status, 200, "{}: {}", h.family, bandung.text);
        assert_eq!(bandung.body["name"], "Pemerintah Kota Bandung");
        assert_eq!(bandung.body["parent"]["id"], "pemda-32");
        assert_eq!(
            bandung.body["parent"]["name"],
            "Pemerintah Provinsi Jawa Barat"
        );
        assert_eq!(bandung.body["children"][0]["id"], unit.id, "{}", h.family);

        let jabar = agency(&api, "pemda-32").await;
        assert!(jabar.body["parent"].is_null());
        assert_eq!(jabar.body["children"].as_array().unwrap().len(), 27);

        let unit_answer = agency(&api, &unit.id).await;
        assert_eq!(unit_answer.body["parent"]["id"], "pemda-32.73");
        assert_eq!(
            ids(&search(&api, "q=disdik+kota+bandung").await)[0],
            unit.id
        );

        let kemenkeu = agency(&api, "kemenkeu").await;
        let children: Vec<&str> = kemenkeu.body["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(children.contains(&"djp"), "{children:?}");

        let missing = agency(&api, "no-such-agency").await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.body["error"], "not_found");
    }
}

#[tokio::test]
async fn an_unseeded_store_serves_the_compiled_in_directory() {
    let h = lapor_tests::embedded().await;
    let api = h.directory_api().await;
    assert_eq!(ids(&search(&api, "q=kominfo").await)[0], "komdigi");
}

#[tokio::test]
async fn suggestions_decide_or_hand_over_with_candidates() {
    for h in families().await {
        h.seed_directory().await;
        let api = h.directory_api().await;
        let sure = suggest(
            &api,
            &json!({
                "kind": "complaint",
                "title": "Lampu jalan mati",
                "body": "Lampu penerangan jalan di Jalan Merdeka sudah mati dua minggu dan rawan kejahatan.",
                "region_code": "32.73.01",
                "location_text": "Jalan Merdeka dekat pasar"
            })
            .to_string(),
        )
        .await;
        assert_eq!(sure.status, 200, "{}: {}", h.family, sure.text);
        assert_eq!(sure.body["decision"], "auto", "{}", sure.text);
        assert_eq!(sure.body["agency_id"], "pemda-32.73");
        let confidence = sure.body["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
        let first = &sure.body["candidates"][0];
        assert_eq!(first["agency_id"], "pemda-32.73");
        assert_eq!(first["name"], "Pemerintah Kota Bandung");
        assert!(first["score"].as_f64().is_some());
        assert!(sure.body["reason"].as_str().is_some_and(|r| !r.is_empty()));

        // A private debt is no public service: a verifier decides.
        let private = suggest(
            &api,
            &json!({
                "kind": "complaint",
                "title": "Utang teman",
                "body": "Teman saya pinjam uang lima juta rupiah tahun lalu dan sampai sekarang tidak mau bayar utangnya."
            })
            .to_string(),
        )
        .await;
        assert_eq!(private.status, 200, "{}", private.text);
        assert_eq!(private.body["decision"], "triage", "{}", private.text);
        assert!(private.body["agency_id"].is_null());
        assert!(private.body["candidates"].is_array());
    }
}

#[tokio::test]
async fn bad_suggestion_requests_get_their_4xx() {
    let h = lapor_tests::embedded().await;
    let api = h.directory_api().await;
    let ok = json!({"kind": "complaint", "title": "Jalan rusak", "body": "Jalan di depan sekolah rusak parah dan berlubang."});
    let mut unknown_field = ok.clone();
    unknown_field["nickname"] = json!("Siti");
    let mut wrong_type = ok.clone();
    wrong_type["title"] = json!(5);
    let mut bad_region = ok.clone();
    bad_region["region_code"] = json!("99.99");
    let mut bad_kind = ok.clone();
    bad_kind["kind"] = json!("gossip");
    // Fields a report takes are checked as a report's, though routing ignores them.
    let mut bad_lat = ok.clone();
    bad_lat["lat"] = json!(91.0);
    bad_lat["lon"] = json!(107.6);
    let mut bad_phone = ok.clone();
    bad_phone["reporter"] = json!({"phone": "12ab"});
    let mut future = ok.clone();
    future["incident_date"] = json!("2999-01-01");
    for (body, status, code) in [
        ("{\"kind\": ".to_string(), 400, "malformed_json"),
        ("[1]".to_string(), 400, "malformed_json"),
        (unknown_field.to_string(), 400, "invalid_type"),
        (wrong_type.to_string(), 400, "invalid_type"),
        ("x".repeat(70_000), 413, "payload_too_large"),
        (bad_region.to_string(), 422, "validation_failed"),
        (bad_kind.to_string(), 422, "validation_failed"),
        (bad_lat.to_string(), 422, "validation_failed"),
        (bad_phone.to_string(), 422, "validation_failed"),
        (future.to_string(), 422, "validation_failed"),
    ] {
        let a = suggest(&api, &body).await;
        assert_eq!(a.status, status, "{}", a.text);
        assert_eq!(a.body["error"], code);
    }
    let empty = suggest(&api, "{}").await;
    assert_eq!(empty.status, 422);
    let fields: Vec<&str> = empty.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    // The body is what a draft must have; the title and the kind are optional.
    assert_eq!(fields, ["body"]);
    assert_eq!(suggest(&api, &ok.to_string()).await.status, 200);
}

#[tokio::test]
async fn routing_suggestions_take_a_draft_as_citizens_write_it_without_a_title() {
    let h = lapor_tests::embedded().await;
    let api = h.directory_api().await;
    // An SMS-like draft with every field a report takes but a title.
    let draft = json!({
        "kind": "complaint",
        "body": "lampu jalan di depan pasar mati sdh 2 minggu, gelap bgt kalau malam. Kota Bandung",
        "category": "infrastruktur",
        "lat": -6.9147,
        "lon": 107.6098,
        "incident_date": "2024-05-01",
        "target_agency": "pemda-32.73",
        "channel": "mobile",
        "reporter": {"name": "Siti", "phone": "0812-3456-7890"},
        "anonymous": true,
        "confidential": false
    });
    let a = suggest(&api, &draft.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["candidates"][0]["agency_id"], "pemda-32.73",
        "{}",
        a.text
    );
    let mut blank_title = draft.clone();
    blank_title["title"] = json!("  ");
    assert_eq!(suggest(&api, &blank_title.to_string()).await.status, 200);
    // Nor a kind: only the body must be there.
    let body_only = json!({ "body": draft["body"] });
    let a = suggest(&api, &body_only.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["agency_id"], "pemda-32.73", "{}", a.text);
    let a = suggest(&api, &json!({ "title": "Lampu jalan mati" }).to_string()).await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert_eq!(a.body["fields"][0]["field"], "body", "{}", a.text);
    // A title that is given is still held to the title rule.
    let mut short_title = draft.clone();
    short_title["title"] = json!("ab");
    let a = suggest(&api, &short_title.to_string()).await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert_eq!(a.body["fields"][0]["field"], "title");
}

/// PLN's distribution unit for Papua: an institution the compiled-in directory lacks, in WIT.
fn pln_papua() -> Agency {
    Agency {
        id: "pln-uid-papua".into(),
        name: "PLN Unit Induk Distribusi Papua dan Papua Barat".into(),
        acronym: Some("PLN UID Papua".into()),
        kind: "soe".into(),
        parent_id: Some("pln".into()),
        scope: Some("electricity distribution in Papua".into()),
        region_code: Some("91".into()),
        aliases: vec!["PLN Papua".into()],
    }
}

#[tokio::test]
async fn an_institution_published_beside_the_compiled_in_directory_is_known_everywhere() {
    for h in families().await {
        let f = h.family;
        let papua = pln_papua();
        // Before it is published nobody knows it: a report naming it is refused.
        let mut report = json!({
            "kind": "complaint",
            "title": "Listrik padam berhari-hari",
            "body": "Listrik PLN di Abepura, Kota Jayapura padam tiga hari berturut-turut tanpa pemberitahuan.",
            "region_code": "91.71",
            "target_agency": papua.id,
        });
        let refused = h.submit(&report, &[]).await;
        assert_eq!(refused.status, 422, "{f}: {}", refused.text);
        assert_eq!(refused.body["fields"][0]["field"], "target_agency", "{f}");

        h.publish_directory(std::slice::from_ref(&papua)).await;

        // Targeted: intake takes it.
        let s = h.submit_ok(&report).await;
        // Routed to: the text is PLN's, and the reporter named PLN's unit for Papua.
        h.drain_router().await;
        let routed = h.stored(&s.id).await;
        assert_eq!(
            routed.agency_id.as_deref(),
            Some(papua.id.as_str()),
            "{f}: {:?}",
            routed.routing
        );
        // Its deadlines end at 23:59:59 in its own zone (WIT, UTC+9), not Jakarta's.
        let deadline = routed.deadline.expect("a follow-up deadline");
        let wit = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
        assert_eq!(
            deadline
                .at
                .with_timezone(&wit)
                .format("%H:%M:%S")
                .to_string(),
            "23:59:59",
            "{f}: {}",
            deadline.at
        );
        // Named in the views.
        let public = h.get(&s.id, None).await;
        assert_eq!(
            public.body["agency"]["name"], papua.name,
            "{f}: {}",
            public.text
        );
        let mine = h.get(&s.id, Some(&s.token)).await;
        assert_eq!(mine.body["agency"]["name"], papua.name, "{f}");
        // And its officers work it: the lifecycle knows the institution too.
        let officer = lapor_tests::Staff::officer("officer-uid-papua", "pln-uid-papua");
        let accepted = h
            .act(
                &officer,
                &s.id,
                "accept-papua-1",
                json!({"action": "accept"}),
            )
            .await;
        assert_eq!(accepted.status, 200, "{f}: {}", accepted.text);

        // Without the reporter's choice, the text alone still goes to PLN.
        report.as_object_mut().unwrap().remove("target_agency");
        let other = h.submit_routed(&report).await;
        assert_eq!(
            h.stored(&other.id).await.agency_id.as_deref(),
            Some("pln"),
            "{f}"
        );
    }
}
