//! The learning loop on every storage family: a report the compiled-in model gets wrong -> a
//! verifier assigns it -> the decision is stored as an example -> retrain + publish -> routers
//! (a new one at cold start, and a running one at its re-check) route a similar new report to
//! the institution the verifier chose.

use lapor::api::ServiceError;
use lapor::domain::{Actor, Status, TrackingId};
use lapor::routing::model::{read_examples_dir, seed_dir};
use lapor::routing::{RouteQuery, RoutingEngine};
use lapor::service::learning::assign_report;
use lapor::service::models::{self, LiveEngine};
use lapor_tests::Harness;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Kartu Prakerja (the pre-employment card programme) is run by the Coordinating Ministry for
/// Economic Affairs; neither the seed data nor the directory mention it.
const CORRECT: &str = "kemenko-perekonomian";

fn prakerja_reports() -> Vec<serde_json::Value> {
    [
        ("Insentif Prakerja belum cair", "Saya peserta Kartu Prakerja gelombang 71, sudah selesai pelatihan tapi insentif prakerja belum cair sampai sekarang."),
        ("Akun Prakerja diblokir", "Akun Kartu Prakerja saya tiba tiba diblokir padahal data sudah benar, mohon akun prakerja dibuka lagi."),
        ("Saldo prakerja hilang", "Saldo pelatihan Kartu Prakerja saya hilang dari dashboard prakerja sebelum saya beli pelatihan."),
        ("Prakerja tidak lolos", "Sudah daftar Kartu Prakerja lima kali tapi tidak pernah lolos seleksi prakerja, apa syaratnya?"),
    ]
    .iter()
    .map(|(title, body)| {
        json!({
            "kind": "complaint",
            "title": title,
            "body": body,
            "reporter": {"name": "Siti Rahayu", "phone": "0812-3456-7890"}
        })
    })
    .collect()
}

const NEW_TITLE: &str = "Insentif Kartu Prakerja tertahan";
const NEW_BODY: &str =
    "Insentif Kartu Prakerja saya tertahan dua bulan, sertifikat pelatihan prakerja sudah keluar.";

fn route_new(engine: &RoutingEngine) -> lapor::routing::RoutingDecision {
    engine.route(&RouteQuery {
        kind: lapor::domain::ReportKind::Complaint,
        title: NEW_TITLE,
        body: NEW_BODY,
        category: None,
        region_code: None,
        location_text: None,
        target_agency: None,
    })
}

/// A quarter of the seed corpus keeps retraining to seconds in a debug build; the directory's
/// own texts and the sector keywords are always part of the training.
fn seed_subset() -> Vec<lapor::routing::TrainingExample> {
    read_examples_dir(&seed_dir())
        .unwrap()
        .into_iter()
        .step_by(4)
        .collect()
}

async fn learning_loop(mut h: Harness) {
    let family = h.family;
    h.seed_directory().await;
    let directory = h.app.directory.current().await;

    // The compiled-in model does not know the programme.
    let before = route_new(RoutingEngine::builtin());
    assert_ne!(before.agency_id.as_deref(), Some(CORRECT), "{before:?}");

    let mut ids = Vec::new();
    for body in prakerja_reports() {
        let a = h.submit(&body, &[]).await;
        assert_eq!(a.status, 201, "{family}: {}", a.text);
        ids.push(TrackingId::parse(a.body["tracking_id"].as_str().unwrap()).unwrap());
    }
    h.drain_router().await;

    for id in &ids {
        let routed = h.app.store.get(id).await.unwrap().unwrap();
        assert!(
            routed.status == Status::NeedsTriage || routed.agency_id.as_deref() != Some(CORRECT),
            "{family}: the compiled-in model already knows this: {routed:?}"
        );
        let assigned = assign_report(&h.app, id, CORRECT, Some("verifier-7".into()))
            .await
            .unwrap();
        assert!(assigned.changed);
        assert_eq!(assigned.report.status, Status::Dispositioned);
        assert_eq!(assigned.report.agency_id.as_deref(), Some(CORRECT));
        assert_eq!(assigned.report.version, routed.version + 1);
        let event = assigned.report.timeline.last().unwrap();
        assert_eq!(
            event.actor,
            Actor::Verifier {
                officer_id: Some("verifier-7".into())
            }
        );
        // A verifier's assignment is the lifecycle's `verify`, like the verifiers' API.
        assert_eq!(event.action, "verified");
        let stored = h.app.store.get(id).await.unwrap().unwrap();
        assert_eq!(stored, assigned.report, "{family}");

        // The public sees a role, never the verifier's id.
        let public = h.get(id.as_str(), None).await;
        assert_eq!(public.body["status"], "dispositioned");
        assert_eq!(public.body["agency"]["id"], CORRECT);
        assert_eq!(
            public.body["timeline"].as_array().unwrap().last().unwrap()["actor"],
            "verifier"
        );
        assert!(!public.text.contains("verifier-7"));
    }

    // Re-running an assignment changes nothing and records the same example.
    let again = assign_report(&h.app, &ids[0], CORRECT, Some("verifier-7".into()))
        .await
        .unwrap();
    assert!(!again.changed);
    let examples = h.examples.examples().await.unwrap();
    assert_eq!(examples.len(), ids.len(), "{family}");
    for example in &examples {
        assert_eq!(example.expected_agency, CORRECT);
        assert!(
            example.router_decision.is_some(),
            "the router's decision is kept for audit"
        );
        let text = serde_json::to_string(example).unwrap();
        for secret in ["Siti", "3456"] {
            assert!(
                !text.contains(secret),
                "{family}: an example carries {secret}"
            );
        }
    }

    // Wrong assignments are refused.
    assert!(matches!(
        assign_report(
            &h.app,
            &ids[0],
            "no-such-agency",
            None
        )
        .await,
        Err(ServiceError::Invalid(fields)) if fields[0].field == "agency_id"
    ));
    let unknown = TrackingId::generate();
    assert!(matches!(
        assign_report(&h.app, &unknown, CORRECT, None).await,
        Err(ServiceError::NotFound(_))
    ));

    // A running router, started before the retrain: compiled-in model, re-checks every time.
    let store_models = h.models.clone();
    let (running, load) = LiveEngine::start(store_models.clone(), Duration::ZERO).await;
    assert!(!load.published);

    let retrained = models::retrain(&*h.examples, directory.clone(), seed_subset())
        .await
        .unwrap();
    assert_eq!(retrained.human_examples, ids.len());
    let published = models::publish(&*h.models, &retrained.model).await.unwrap();
    assert_eq!(published.version, retrained.model.version());
    assert!(published.bytes > 0);
    println!(
        "{family}: retrained {} in {:?}; {} bytes; fetch {:?}, decode {:?}",
        published.version, retrained.training, published.bytes, published.fetch, published.decode
    );

    // A new router at cold start loads the published model...
    let (fresh, load) = LiveEngine::start(store_models, Duration::from_secs(300)).await;
    assert!(load.published, "{family}");
    assert_eq!(load.version, retrained.model.version());
    let decision = route_new(&fresh.engine(directory.clone()).await);
    assert_eq!(
        decision.agency_id.as_deref(),
        Some(CORRECT),
        "{family}: {decision:?}"
    );

    // ...and the running one picks it up at its re-check.
    let running = Arc::new(running);
    assert_eq!(
        running.engine(directory.clone()).await.model_version(),
        retrained.model.version()
    );

    // The router function, end to end: a similar new report is routed to the corrected agency.
    h.router = router::Router {
        store: h.app.store.clone(),
        queue: h.app.queue.clone(),
        deadlines: h.app.deadlines.clone(),
        clock: h.app.clock.clone(),
        directory: h.app.directory.clone(),
        engine: running,
    };
    let a = h
        .submit(
            &json!({"kind": "complaint", "title": NEW_TITLE, "body": NEW_BODY}),
            &[],
        )
        .await;
    let id = a.body["tracking_id"].as_str().unwrap().to_string();
    h.drain_router().await;
    let public = h.get(&id, None).await;
    assert_eq!(
        public.body["status"], "dispositioned",
        "{family}: {}",
        public.text
    );
    assert_eq!(
        public.body["agency"]["id"], CORRECT,
        "{family}: {}",
        public.text
    );
}

#[tokio::test]
async fn a_verifiers_correction_teaches_the_router() {
    for h in lapor_tests::families().await {
        learning_loop(h).await;
    }
}

#[tokio::test]
async fn only_people_make_routing_decisions() {
    let h = lapor_tests::embedded().await;
    let a = h.submit(&lapor_tests::sample_report(), &[]).await;
    let id = TrackingId::parse(a.body["tracking_id"].as_str().unwrap()).unwrap();
    let report = h.app.store.get(&id).await.unwrap().unwrap();
    let refused = lapor::service::learning::record_routing_decision(
        &*h.examples,
        &report,
        "pemda-32.73",
        &Actor::Reporter,
        h.app.clock.now(),
    )
    .await;
    assert!(refused.is_err());
    // A report not routed yet is verified like any other, and the decision learnt from.
    let early = assign_report(&h.app, &id, "pemda-32.73", None)
        .await
        .unwrap();
    assert_eq!(early.report.status, Status::Dispositioned);
    assert_eq!(h.examples.examples().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_model_stored_in_chunks_comes_back_whole() {
    for h in lapor_tests::families().await {
        assert!(h.models.current_version().await.unwrap().is_none());
        assert!(models::load_published(&*h.models).await.unwrap().is_none());
        let compiled = lapor::routing::compiled_in_model();
        let bytes = compiled.to_bytes();
        assert!(bytes.len() > 400 * 1024, "larger than a DynamoDB item");
        h.models.publish(compiled.version(), &bytes).await.unwrap();
        assert_eq!(
            h.models.current_version().await.unwrap().as_deref(),
            Some(compiled.version())
        );
        assert_eq!(
            h.models
                .artifact(compiled.version())
                .await
                .unwrap()
                .unwrap(),
            bytes,
            "{}",
            h.family
        );
        assert!(h.models.artifact("lr-1-nothere").await.unwrap().is_none());
    }
}
