//! Possible duplicates on both storage families: the router records, on a report it places, the
//! institution's open reports at the same place that say the same thing (officers see them and
//! merge with `mark_duplicate`); the routing suggestion shows a draft's public ones to citizens.

use lapor::domain::Status;
use lapor_tests::{answer, assert_ok, directory_request, families, Harness, Staff};
use serde_json::{json, Value};

const BANDUNG: &str = "pemda-32.73";

/// A street light out in Kec. Sukasari, Kota Bandung, as one citizen writes it.
fn first() -> Value {
    json!({
        "kind": "complaint",
        "title": "Lampu jalan mati",
        "body": "Lampu penerangan jalan di Jalan Gegerkalong Hilir sudah mati dua minggu, gelap dan rawan kejahatan.",
        "region_code": "32.73.01"
    })
}

/// The same problem in another citizen's words.
fn same_problem() -> Value {
    json!({
        "kind": "complaint",
        "title": "PJU padam di Gegerkalong Hilir",
        "body": "Tolong lampu jalan di Gegerkalong Hilir sudah dua minggu padam, malam gelap sekali dan rawan.",
        "region_code": "32.73.01"
    })
}

async fn suggest(h: &Harness, draft: &Value) -> Value {
    let api = h.directory_api().await;
    let req = directory_request(
        "POST /v1/routing/suggestions",
        "/v1/routing/suggestions",
        "",
        &[],
        Some(&draft.to_string()),
    );
    let a = answer(directory::handle(&api, req).await.unwrap());
    assert_ok(h.family, "suggestion", &a);
    a.body
}

fn similar_ids(suggestion: &Value) -> Vec<String> {
    suggestion["possible_duplicates"]
        .as_array()
        .unwrap_or_else(|| panic!("no possible_duplicates in {suggestion}"))
        .iter()
        .map(|d| d["tracking_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_router_records_possible_duplicates_and_the_suggestion_shows_public_ones() {
    for h in families().await {
        let f = h.family;
        let original = h.submit_routed(&first()).await;
        let mut confidential = first();
        confidential["confidential"] = true.into();
        let confidential = h.submit_routed(&confidential).await;
        // Another problem at the same place, and the same problem elsewhere: not candidates.
        let other_problem = h
            .submit_routed(&json!({
                "kind": "complaint",
                "title": "Sampah menumpuk",
                "body": "Sampah di TPS dekat pasar menumpuk seminggu tidak diangkut dan berbau busuk.",
                "region_code": "32.73.01"
            }))
            .await;
        let mut elsewhere = first();
        elsewhere["region_code"] = "32.73.02".into();
        let elsewhere = h.submit_routed(&elsewhere).await;

        let repeat = h.submit_routed(&same_problem()).await;
        let stored = h.stored(&repeat.id).await;
        assert_eq!(stored.agency_id.as_deref(), Some(BANDUNG), "{f}");
        let found: Vec<String> = stored
            .possible_duplicates
            .iter()
            .map(|d| d.tracking_id.to_string())
            .collect();
        // Officers see the confidential one too: it is their institution's report.
        assert!(found.contains(&original.id), "{f}: {found:?}");
        assert!(found.contains(&confidential.id), "{f}: {found:?}");
        for not in [&other_problem.id, &elsewhere.id, &repeat.id] {
            assert!(!found.contains(not), "{f}: {not} in {found:?}");
        }
        assert!(
            stored.possible_duplicates.iter().all(|d| d.score
                >= f64::from(lapor::duplicates::THRESHOLD) - 0.001
                && d.score <= 1.0),
            "{f}"
        );
        let officer = Staff::officer("officer-bdg-1", BANDUNG);
        let view = h
            .agency_call(
                "GET /v1/agency/reports/{tracking_id}",
                Some(&repeat.id),
                "",
                None,
                Some(&officer),
            )
            .await;
        assert_ok(f, "staff view", &view);
        assert_eq!(
            view.body["possible_duplicates"].as_array().map(Vec::len),
            Some(found.len()),
            "{f}: {}",
            view.text
        );
        // The reporter's and the public views do not carry them.
        let public = h.get(&repeat.id, None).await;
        assert!(public.body.get("possible_duplicates").is_none(), "{f}");
        let own = h.get(&repeat.id, Some(&repeat.token)).await;
        assert!(own.body.get("possible_duplicates").is_none(), "{f}");

        // Merged: this one is marked as repeating the original.
        let merged = h
            .act(
                &officer,
                &repeat.id,
                "dup-00001",
                json!({"action": "mark_duplicate", "duplicate_of": original.id}),
            )
            .await;
        assert_ok(f, "mark_duplicate", &merged);
        assert_eq!(h.stored(&repeat.id).await.status, Status::Archived, "{f}");

        // A citizen's draft of the same problem: the public original only (the confidential
        // one never, the archived repeat no longer).
        let suggestion = suggest(&h, &same_problem()).await;
        assert_eq!(suggestion["agency_id"], BANDUNG, "{f}: {suggestion}");
        assert_eq!(similar_ids(&suggestion), vec![original.id.clone()], "{f}");
        let d = &suggestion["possible_duplicates"][0];
        assert_eq!(d["title"], "Lampu jalan mati", "{f}");
        assert_eq!(
            d["status_label"], "Terdisposisi Belum Ditindaklanjuti",
            "{f}"
        );
        // Without a kecamatan there is no place to compare: none.
        let mut placeless = same_problem();
        placeless["region_code"] = "32.73".into();
        assert_eq!(
            similar_ids(&suggest(&h, &placeless).await),
            Vec::<String>::new(),
            "{f}"
        );
    }
}
