//! The routing model in service: which model the router and the suggestions use, how a retrained
//! model is published, and how a running function picks it up without a deploy.
//!
//! At cold start [`LiveEngine::start`] loads the model the store's `current` pointer names,
//! falling back to the compiled-in model when none is published (or it cannot be read). Every
//! [`RECHECK_EVERY`] the first request to need the engine re-reads the pointer (one small read)
//! and swaps in a newly published model.

use crate::directory::Directory;
use crate::ports::{ModelStore, RoutingExample, RoutingExampleStore, StoreError};
use crate::routing::model::{Model, ModelError};
use crate::routing::{compiled_in_model, RoutingEngine, TrainingExample};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often a running function looks for a newly published model.
pub const RECHECK_EVERY: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum ModelLoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("published model {0} is missing from the store")]
    Missing(String),
    #[error("published model {version}: {source}")]
    Invalid { version: String, source: ModelError },
}

/// Where the engine's model came from, and what loading it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelLoad {
    pub version: String,
    /// True for a published (retrained) model, false for the compiled-in one.
    pub published: bool,
    pub bytes: usize,
    /// Reading the pointer and the artifact from the store.
    pub fetch: Duration,
    /// Decoding and checking the artifact.
    pub decode: Duration,
}

/// The routing model a function uses, swapped when a new model is published. The engine is
/// built per use over the directory of the moment ([`LiveEngine::engine`]: three pointers), so a
/// newly published directory and a newly published model each take effect on their own.
pub struct LiveEngine {
    store: Option<Arc<dyn ModelStore>>,
    recheck: Duration,
    current: RwLock<Arc<Model>>,
    next_check: Mutex<Instant>,
}

impl LiveEngine {
    /// One model for good (tests, tools): no store, no re-check.
    pub fn fixed(model: Arc<Model>) -> LiveEngine {
        LiveEngine {
            store: None,
            recheck: Duration::MAX,
            current: RwLock::new(model),
            next_check: Mutex::new(Instant::now()),
        }
    }

    /// The compiled-in model for good.
    pub fn compiled_in() -> LiveEngine {
        LiveEngine::fixed(compiled_in_model())
    }

    /// The published model, or the compiled-in one when none is published or it cannot be
    /// loaded (logged: routing keeps working with the model the binary was built with).
    pub async fn start(store: Arc<dyn ModelStore>, recheck: Duration) -> (LiveEngine, ModelLoad) {
        let (model, load) = match load_published(&*store).await {
            Ok(Some(loaded)) => loaded,
            Ok(None) => compiled_in(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot load the published routing model; using the compiled-in one");
                compiled_in()
            }
        };
        tracing::info!(model_version = %load.version, published = load.published, bytes = load.bytes,
            fetch_ms = load.fetch.as_secs_f64() * 1e3, decode_ms = load.decode.as_secs_f64() * 1e3,
            "routing model loaded");
        let live = LiveEngine {
            store: Some(store),
            recheck,
            current: RwLock::new(model),
            next_check: Mutex::new(later(Instant::now(), recheck)),
        };
        (live, load)
    }

    /// The engine to route with now, over `directory`; looks for a newly published model when
    /// the re-check is due.
    pub async fn engine(&self, directory: Arc<Directory>) -> RoutingEngine {
        let due = {
            let mut next = self.next_check.lock().expect("model check lock");
            let now = Instant::now();
            if self.store.is_some() && now >= *next {
                // Claimed: concurrent callers do not all check at once.
                *next = later(now, self.recheck);
                true
            } else {
                false
            }
        };
        if due {
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "re-checking the published routing model failed; keeping the current one");
            }
        }
        RoutingEngine::with_model(directory, self.model())
    }

    /// Checks the pointer now; returns the load when a different model was swapped in.
    pub async fn refresh(&self) -> Result<Option<ModelLoad>, ModelLoadError> {
        let Some(store) = &self.store else {
            return Ok(None);
        };
        let Some(version) = store.current_version().await? else {
            return Ok(None);
        };
        if version == self.model_version() {
            return Ok(None);
        }
        let Some((model, load)) = load_published(&**store).await? else {
            return Ok(None);
        };
        tracing::info!(model_version = %load.version, decode_ms = load.decode.as_secs_f64() * 1e3,
            "newly published routing model loaded");
        *self.current.write().expect("model lock") = model;
        Ok(Some(load))
    }

    pub fn model(&self) -> Arc<Model> {
        self.current.read().expect("model lock").clone()
    }

    pub fn model_version(&self) -> String {
        self.model().version().to_string()
    }
}

/// `now + by`, or a century on when that overflows (`Duration::MAX`: never re-check).
fn later(now: Instant, by: Duration) -> Instant {
    now.checked_add(by)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

fn compiled_in() -> (Arc<Model>, ModelLoad) {
    let start = Instant::now();
    let model = compiled_in_model();
    let load = ModelLoad {
        version: model.version().to_string(),
        published: false,
        bytes: 0,
        fetch: Duration::ZERO,
        decode: start.elapsed(),
    };
    (model, load)
}

/// The model `current` points at, if one is published.
pub async fn load_published(
    store: &dyn ModelStore,
) -> Result<Option<(Arc<Model>, ModelLoad)>, ModelLoadError> {
    let start = Instant::now();
    let Some(version) = store.current_version().await? else {
        return Ok(None);
    };
    let bytes = store
        .artifact(&version)
        .await?
        .ok_or_else(|| ModelLoadError::Missing(version.clone()))?;
    let fetch = start.elapsed();
    let start = Instant::now();
    let model = Model::from_bytes(&bytes).map_err(|source| ModelLoadError::Invalid {
        version: version.clone(),
        source,
    })?;
    let decode = start.elapsed();
    Ok(Some((
        Arc::new(model),
        ModelLoad {
            version,
            published: true,
            bytes: bytes.len(),
            fetch,
            decode,
        },
    )))
}

/// The stored human decisions as training examples: the latest decision per report.
pub fn training_examples(stored: &[RoutingExample]) -> Vec<TrainingExample> {
    let mut latest: BTreeMap<&str, &RoutingExample> = BTreeMap::new();
    for example in stored {
        let entry = latest
            .entry(example.tracking_id.as_str())
            .or_insert(example);
        if example.decided_version > entry.decided_version {
            *entry = example;
        }
    }
    latest
        .values()
        .map(|e| TrainingExample {
            kind: e.kind,
            title: e.title.clone(),
            // The location text is part of what the reporter wrote about the place.
            body: match &e.location_text {
                Some(place) => format!("{} . {place}", e.body),
                None => e.body.clone(),
            },
            region_code: e.region_code.clone(),
            expected: e.expected_agency.clone(),
            alternates: Vec::new(),
        })
        .collect()
}

pub struct Retrained {
    pub model: Model,
    pub seed_examples: usize,
    pub human_examples: usize,
    pub training: Duration,
}

/// Trains on the seed examples plus every stored human decision, against `directory`.
/// CPU-bound (seconds to tens of seconds): runs on a blocking thread.
pub async fn retrain(
    examples: &dyn RoutingExampleStore,
    directory: Arc<Directory>,
    seed: Vec<TrainingExample>,
) -> Result<Retrained, StoreError> {
    let human = training_examples(&examples.examples().await?);
    let (seed_examples, human_examples) = (seed.len(), human.len());
    let mut all = seed;
    all.extend(human);
    let (model, training) = tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let model = Model::train(&all, &directory);
        (model, start.elapsed())
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("training task: {e}")))?;
    Ok(Retrained {
        model,
        seed_examples,
        human_examples,
        training,
    })
}

/// Publishes `model` and reads it back the way a function does at cold start, so the caller
/// can show what loading it costs.
pub async fn publish(store: &dyn ModelStore, model: &Model) -> Result<ModelLoad, ModelLoadError> {
    store.publish(model.version(), &model.to_bytes()).await?;
    let (_, load) = load_published(store)
        .await?
        .ok_or_else(|| ModelLoadError::Missing(model.version().to_string()))?;
    Ok(load)
}
