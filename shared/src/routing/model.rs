//! The text model: a multinomial logistic regression over word n-grams that names the *sector
//! label* of a report, plus the confidence threshold for automatic decisions.
//!
//! Labels are `local` (a kabupaten/kota matter), `province` (a provincial matter), `none` (no
//! public service: triage), or a central institution's id. Local and provincial labels are
//! resolved to the right `pemda-*` from the location by the engine, so 552 regional governments
//! need no examples each. The model is a pure function of its training examples (seed CSVs,
//! the directory's names/acronyms/aliases/scopes, and extra examples such as verifiers'
//! corrections), serialised to a small versioned binary artifact with a content hash.

use crate::directory::{pemda_code, Directory};
use crate::domain::report::ReportKind;
use crate::routing::gazetteer::Gazetteer;
use crate::routing::text::{features_of_words, words};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// Bumped when features, training or the artifact format change.
pub const TRAINER_VERSION: &str = "lr-1";
const MAGIC: &[u8; 8] = b"LAPORRM1";
/// Indonesian words citizens use for each sector label, written for this project: they teach
/// the model the vocabulary of sectors that few labelled examples cover.
const SECTOR_KEYWORDS_CSV: &str = include_str!("../../data/routing/sector-keywords.csv");
/// The label of reports that concern no public service.
pub const LABEL_NONE: &str = "none";
pub const LABEL_LOCAL: &str = "local";
pub const LABEL_PROVINCE: &str = "province";

const EPOCHS: usize = 12;
const LEARNING_RATE: f32 = 0.6;
const L2: f32 = 1e-5;
/// Weights smaller than this are dropped from the artifact: they never change a decision.
const PRUNE_BELOW: f32 = 0.05;
/// Auto decisions on held-out folds must be right this often; the threshold is the lowest
/// confidence that achieves it.
const TARGET_AUTO_ACCURACY: f32 = 0.93;
const MIN_THRESHOLD: f32 = 0.45;
const MAX_THRESHOLD: f32 = 0.85;

/// One labelled report. `expected` is an agency id or `triage`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingExample {
    pub kind: ReportKind,
    pub title: String,
    pub body: String,
    pub region_code: Option<String>,
    pub expected: String,
    pub alternates: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("not a routing model artifact")]
    BadMagic,
    #[error("routing model artifact is truncated")]
    Truncated,
    #[error("routing model artifact checksum mismatch")]
    Checksum,
    #[error("routing model artifact is not valid UTF-8")]
    Utf8,
}

#[derive(Debug, thiserror::Error)]
pub enum ExamplesError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Csv { path: String, source: csv::Error },
}

/// The sector label a training example teaches, or none when its expected agency is unknown.
pub fn label_of(expected: &str, directory: &Directory) -> Option<String> {
    if expected == "triage" {
        return Some(LABEL_NONE.to_string());
    }
    if let Some(code) = pemda_code(expected) {
        // DKI Jakarta's matters are all provincial by authority but mostly local in kind:
        // teach them as local, the engine resolves both levels to pemda-31 there.
        return Some(if code.len() == 2 && code != "31" {
            LABEL_PROVINCE.to_string()
        } else {
            LABEL_LOCAL.to_string()
        });
    }
    directory.get(expected).map(|a| a.id.clone())
}

/// A trained model. Cheap to share behind an `Arc`.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    version: String,
    content_hash: String,
    threshold: f32,
    /// Logits are multiplied by this before the softmax (temperature scaling fitted on
    /// held-out folds), so that probabilities are calibrated confidences.
    sharpness: f32,
    labels: Vec<String>,
    bias: Vec<f32>,
    /// Feature -> (start, len) into `entries`.
    features: HashMap<String, (u32, u16)>,
    entries: Vec<(u16, f32)>,
}

/// The model's reading of one report.
#[derive(Debug, Clone)]
pub struct Prediction {
    /// Probability per label, in `Model::labels()` order.
    pub probabilities: Vec<f32>,
    /// The known features of the report that pushed the best label most, strongest first.
    pub evidence: Vec<String>,
}

impl Model {
    /// Trains on `examples` plus the directory's own texts. Deterministic.
    pub fn train(examples: &[TrainingExample], directory: &Directory) -> Model {
        let docs = documents(examples, directory);
        let content_hash = content_hash(&docs);
        let labels = label_list(&docs);
        let (sharpness, threshold) = calibrate(&docs, &labels);
        let weights = fit(&docs, &labels);
        Model::from_weights(content_hash, labels, weights, sharpness, threshold)
    }

    fn from_weights(
        content_hash: String,
        labels: Vec<String>,
        weights: Weights,
        sharpness: f32,
        threshold: f32,
    ) -> Model {
        let mut names: Vec<&String> = weights.vocabulary.keys().collect();
        names.sort();
        let mut features = HashMap::with_capacity(names.len());
        let mut entries = Vec::new();
        let n_labels = labels.len();
        for name in names {
            let row = weights.vocabulary[name];
            let start = entries.len() as u32;
            for l in 0..n_labels {
                let w = weights.w[row * n_labels + l];
                if w.abs() >= PRUNE_BELOW {
                    entries.push((l as u16, w));
                }
            }
            let len = (entries.len() as u32 - start) as u16;
            if len > 0 {
                features.insert(name.clone(), (start, len));
            }
        }
        Model {
            version: format!("{TRAINER_VERSION}-{}", &content_hash[..12]),
            content_hash,
            threshold,
            sharpness,
            labels,
            bias: weights.bias,
            features,
            entries,
        }
    }

    /// `lr-1-<first 12 hex digits of the content hash>`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// SHA-256 (hex) of the training inputs: the examples, the directory texts, the trainer.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// Confidence at or above which the engine decides without a human, calibrated on held-out
    /// folds of the training data.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn label_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    pub fn predict(&self, kind: ReportKind, text: &str) -> Prediction {
        let feats = model_features(kind.as_str(), text);
        let norm = 1.0 / (feats.len() as f32).sqrt().max(1.0);
        let mut logits = self.bias.clone();
        // (index in `feats`, start, len) of the features the model knows.
        let mut known: Vec<(usize, u32, u16)> = Vec::with_capacity(feats.len());
        for (i, f) in feats.iter().enumerate() {
            if let Some(&(start, len)) = self.features.get(f.as_str()) {
                known.push((i, start, len));
                for &(l, w) in &self.entries[start as usize..start as usize + len as usize] {
                    logits[l as usize] += w * norm;
                }
            }
        }
        logits.iter_mut().for_each(|l| *l *= self.sharpness);
        let probabilities = softmax(&logits);
        let best = argmax(&probabilities);
        let mut pushes: Vec<(f32, usize)> = Vec::new();
        for &(i, start, len) in &known {
            for &(l, w) in &self.entries[start as usize..start as usize + len as usize] {
                if l as usize == best && w > 0.3 && !feats[i].starts_with('#') {
                    pushes.push((w, i));
                }
            }
        }
        pushes.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut evidence: Vec<String> = Vec::new();
        for (_, i) in pushes {
            if !evidence.contains(&feats[i]) && evidence.len() < 3 {
                evidence.push(feats[i].clone());
            }
        }
        Prediction {
            probabilities,
            evidence,
        }
    }

    /// The artifact: magic, version, hash, threshold, labels, biases, sparse weights, then a
    /// SHA-256 of everything before it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.entries.len() * 6 + self.features.len() * 12);
        out.extend_from_slice(MAGIC);
        put_str(&mut out, &self.version);
        put_str(&mut out, &self.content_hash);
        out.extend_from_slice(&self.threshold.to_le_bytes());
        out.extend_from_slice(&self.sharpness.to_le_bytes());
        out.extend_from_slice(&(self.labels.len() as u32).to_le_bytes());
        for (label, bias) in self.labels.iter().zip(&self.bias) {
            put_str(&mut out, label);
            out.extend_from_slice(&bias.to_le_bytes());
        }
        let mut names: Vec<(&String, &(u32, u16))> = self.features.iter().collect();
        names.sort();
        out.extend_from_slice(&(names.len() as u32).to_le_bytes());
        for (name, &(start, len)) in names {
            put_str(&mut out, name);
            out.extend_from_slice(&len.to_le_bytes());
            for &(l, w) in &self.entries[start as usize..start as usize + len as usize] {
                out.extend_from_slice(&l.to_le_bytes());
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        if bytes.len() < MAGIC.len() + 32 {
            return Err(ModelError::Truncated);
        }
        if &bytes[..8] != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let (body, digest) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != digest {
            return Err(ModelError::Checksum);
        }
        let mut r = Reader { bytes: body, at: 8 };
        let version = r.string()?;
        let content_hash = r.string()?;
        let threshold = r.f32()?;
        let sharpness = r.f32()?;
        let n_labels = r.u32()? as usize;
        let mut labels = Vec::with_capacity(n_labels);
        let mut bias = Vec::with_capacity(n_labels);
        for _ in 0..n_labels {
            labels.push(r.string()?);
            bias.push(r.f32()?);
        }
        let n_features = r.u32()? as usize;
        let mut features = HashMap::with_capacity(n_features);
        let mut entries = Vec::with_capacity(n_features * 2);
        for _ in 0..n_features {
            let name = r.string()?;
            let len = r.u16()?;
            let start = entries.len() as u32;
            for _ in 0..len {
                let l = r.u16()?;
                let w = r.f32()?;
                entries.push((l, w));
            }
            features.insert(name, (start, len));
        }
        Ok(Model {
            version,
            content_hash,
            threshold,
            sharpness,
            labels,
            bias,
            features,
            entries,
        })
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ModelError> {
        let end = self.at.checked_add(n).ok_or(ModelError::Truncated)?;
        let slice = self.bytes.get(self.at..end).ok_or(ModelError::Truncated)?;
        self.at = end;
        Ok(slice)
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn string(&mut self) -> Result<String, ModelError> {
        let n = self.u16()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| ModelError::Utf8)
    }
}

/// A training document: its features (deduplicated), its label and its cross-validation group.
struct Doc {
    features: Vec<String>,
    label: String,
    group: u64,
}

fn documents(examples: &[TrainingExample], directory: &Directory) -> Vec<Doc> {
    let mut docs = Vec::with_capacity(examples.len() + directory.all().len());
    for ex in examples {
        let Some(label) = label_of(&ex.expected, directory) else {
            continue;
        };
        let text = format!("{} . {}", ex.title, ex.body);
        docs.push(doc(ex.kind.as_str(), &text, label, group_of(&ex.body)));
    }
    // The directory's own words: names, acronyms, aliases and scopes of central institutions.
    // Regional governments are left out: their names would teach place names, not sectors.
    for agency in directory.all() {
        if pemda_code(&agency.id).is_some() || agency.kind == "work_unit" {
            continue;
        }
        let mut text = agency.name.clone();
        for extra in agency.acronym.iter().chain(&agency.aliases) {
            text.push_str(" . ");
            text.push_str(extra);
        }
        if let Some(scope) = &agency.scope {
            text.push_str(" . ");
            text.push_str(scope);
        }
        let group = group_of(&agency.id);
        docs.push(doc("complaint", &text, agency.id.clone(), group));
    }
    let mut reader = csv::Reader::from_reader(SECTOR_KEYWORDS_CSV.as_bytes());
    for row in reader.records() {
        let row = row.expect("compiled-in sector keywords are valid CSV");
        let label = row[0].to_string();
        let group = group_of(&row[1]);
        docs.push(doc("complaint", &row[1], label.clone(), group));
        // Short chunks too, so that each phrase carries weight on its own.
        let ws: Vec<&str> = row[1].split(' ').collect();
        for chunk in ws.chunks(3) {
            docs.push(doc("complaint", &chunk.join(" "), label.clone(), group));
        }
    }
    docs
}

/// The features the model sees: n-grams of the text without its place names.
pub fn model_features(kind: &str, text: &str) -> Vec<String> {
    features_of_words(kind, Gazetteer::get().strip_places(words(text)))
}

fn doc(kind: &str, text: &str, label: String, group: u64) -> Doc {
    let mut features = model_features(kind, text);
    features.sort();
    features.dedup();
    Doc {
        features,
        label,
        group,
    }
}

/// Examples generated from one template share their first words: keeping them in one fold
/// makes the held-out estimate honest about unseen phrasings.
fn group_of(body: &str) -> u64 {
    let key: Vec<String> = words(body).into_iter().take(4).collect();
    let digest = Sha256::digest(key.join(" ").as_bytes());
    u64::from_le_bytes(digest[..8].try_into().unwrap())
}

fn content_hash(docs: &[Doc]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(TRAINER_VERSION.as_bytes());
    hasher.update(
        format!("{EPOCHS} {LEARNING_RATE} {L2} {PRUNE_BELOW} {TARGET_AUTO_ACCURACY}").as_bytes(),
    );
    for d in docs {
        hasher.update(d.label.as_bytes());
        hasher.update([0]);
        for f in &d.features {
            hasher.update(f.as_bytes());
            hasher.update([1]);
        }
        hasher.update([2]);
    }
    hex::encode(hasher.finalize())
}

fn label_list(docs: &[Doc]) -> Vec<String> {
    let mut labels: Vec<String> = docs.iter().map(|d| d.label.clone()).collect();
    labels.sort();
    labels.dedup();
    labels
}

struct Weights {
    vocabulary: HashMap<String, usize>,
    /// Row-major: feature x label.
    w: Vec<f32>,
    bias: Vec<f32>,
}

/// Softmax regression by SGD with a decaying rate and light L2, over L2-normalised binary
/// features. Deterministic order (a fixed LCG shuffle).
fn fit(docs: &[Doc], labels: &[String]) -> Weights {
    let label_ix: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut vocabulary: HashMap<String, usize> = HashMap::new();
    let encoded: Vec<(Vec<usize>, usize)> = docs
        .iter()
        .map(|d| {
            let ids = d
                .features
                .iter()
                .map(|f| {
                    let next = vocabulary.len();
                    *vocabulary.entry(f.clone()).or_insert(next)
                })
                .collect();
            (ids, label_ix[d.label.as_str()])
        })
        .collect();
    let n_labels = labels.len();
    // Square-root class balancing: the big `local` class must not win every report whose
    // words the model does not know.
    let mut counts = vec![0usize; n_labels];
    for (_, y) in &encoded {
        counts[*y] += 1;
    }
    let mean = encoded.len() as f32 / n_labels as f32;
    let class_weight: Vec<f32> = counts
        .iter()
        .map(|&c| (mean / c.max(1) as f32).powf(0.8).clamp(0.1, 10.0))
        .collect();
    let mut w = vec![0f32; vocabulary.len() * n_labels];
    let mut bias = vec![0f32; n_labels];
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut logits = vec![0f32; n_labels];
    for epoch in 0..EPOCHS {
        for i in (1..order.len()).rev() {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            order.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let rate = LEARNING_RATE / (1.0 + epoch as f32 * 0.5);
        for &i in &order {
            let (ids, y) = &encoded[i];
            let norm = 1.0 / (ids.len() as f32).sqrt().max(1.0);
            logits.copy_from_slice(&bias);
            for &f in ids {
                let row = &w[f * n_labels..(f + 1) * n_labels];
                for (l, v) in logits.iter_mut().zip(row) {
                    *l += v * norm;
                }
            }
            let p = softmax(&logits);
            for l in 0..n_labels {
                let g = (p[l] - if l == *y { 1.0 } else { 0.0 }) * class_weight[*y];
                bias[l] -= rate * g * 0.02;
                for &f in ids {
                    let v = &mut w[f * n_labels + l];
                    *v -= rate * (g * norm + L2 * *v);
                }
            }
        }
    }
    Weights {
        vocabulary,
        w,
        bias,
    }
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

/// Five-fold cross-validation grouped by template: held-out logits fit the temperature
/// (sharpness minimising the negative log-likelihood), then the threshold is the lowest
/// calibrated top probability at which held-out auto decisions reach the target accuracy.
fn calibrate(docs: &[Doc], labels: &[String]) -> (f32, f32) {
    const FOLDS: u64 = 5;
    let label_ix: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    // (held-out logits, true label index)
    let mut held_out: Vec<(Vec<f32>, usize)> = Vec::with_capacity(docs.len());
    for fold in 0..FOLDS {
        let owned: Vec<Doc> = docs
            .iter()
            .filter(|d| d.group % FOLDS != fold)
            .map(|d| Doc {
                features: d.features.clone(),
                label: d.label.clone(),
                group: d.group,
            })
            .collect();
        if owned.is_empty() {
            continue;
        }
        let weights = fit(&owned, labels);
        let n_labels = labels.len();
        for d in docs.iter().filter(|d| d.group % FOLDS == fold) {
            let norm = 1.0 / (d.features.len() as f32).sqrt().max(1.0);
            let mut logits = weights.bias.clone();
            for f in d.features.iter().filter_map(|f| weights.vocabulary.get(f)) {
                for (l, v) in logits.iter_mut().enumerate() {
                    *v += weights.w[f * n_labels + l] * norm;
                }
            }
            held_out.push((logits, label_ix[d.label.as_str()]));
        }
    }
    let nll = |k: f32| -> f32 {
        held_out
            .iter()
            .map(|(logits, y)| {
                let scaled: Vec<f32> = logits.iter().map(|l| l * k).collect();
                -softmax(&scaled)[*y].max(1e-9).ln()
            })
            .sum()
    };
    let sharpness = (2..=40)
        .map(|i| i as f32 * 0.25)
        .min_by(|a, b| nll(*a).total_cmp(&nll(*b)))
        .unwrap_or(1.0);
    let mut scored: Vec<(f32, bool)> = held_out
        .iter()
        .map(|(logits, y)| {
            let scaled: Vec<f32> = logits.iter().map(|l| l * sharpness).collect();
            let p = softmax(&scaled);
            let best = argmax(&p);
            (p[best], best == *y)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    // Walk from the most confident down; keep the lowest confidence where the running
    // accuracy of everything above it still meets the target.
    let mut right = 0usize;
    let mut threshold = MAX_THRESHOLD;
    for (n, (p, ok)) in scored.iter().enumerate() {
        right += usize::from(*ok);
        if right as f32 / (n + 1) as f32 >= TARGET_AUTO_ACCURACY {
            threshold = *p;
        }
    }
    (sharpness, threshold.clamp(MIN_THRESHOLD, MAX_THRESHOLD))
}

/// Reads every labelled training CSV in `dir` (`train*.csv`, header starting
/// `id,kind,title,body,region_code,expected`) in file-name order; other CSVs (aliases, and the
/// held-out `dev-*.csv` files that measure the model) are skipped.
pub fn read_examples_dir(dir: &Path) -> Result<Vec<TrainingExample>, ExamplesError> {
    let io = |e: std::io::Error| ExamplesError::Io {
        path: dir.display().to_string(),
        source: e,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("train"))
        })
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| ExamplesError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        if !text.starts_with("id,kind,title,body,region_code,expected") {
            continue;
        }
        let rows =
            crate::routing::eval::read_rows(text.as_bytes()).map_err(|e| ExamplesError::Csv {
                path: path.display().to_string(),
                source: e,
            })?;
        out.extend(rows.into_iter().map(|r| r.into_example()));
    }
    Ok(out)
}

/// The folder of the seed CSVs in the source tree.
pub fn seed_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/routing")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // tests use the compiled-in directory
    use super::*;
    use std::time::Instant;

    const COMPILED_IN: &[u8] = include_bytes!("../../data/routing/model.bin");

    fn example(title: &str, body: &str, expected: &str) -> TrainingExample {
        TrainingExample {
            kind: ReportKind::Complaint,
            title: title.into(),
            body: body.into(),
            region_code: None,
            expected: expected.into(),
            alternates: vec![],
        }
    }

    #[test]
    fn labels_are_sectors_not_regional_governments() {
        let d = &*Directory::builtin();
        assert_eq!(label_of("pemda-32.73", d).as_deref(), Some(LABEL_LOCAL));
        assert_eq!(label_of("pemda-32", d).as_deref(), Some(LABEL_PROVINCE));
        assert_eq!(label_of("pemda-31", d).as_deref(), Some(LABEL_LOCAL));
        assert_eq!(label_of("triage", d).as_deref(), Some(LABEL_NONE));
        assert_eq!(label_of("pln", d).as_deref(), Some("pln"));
        assert_eq!(label_of("nonexistent", d), None);
    }

    #[test]
    fn artifact_round_trips_and_rejects_damage() {
        let d = &*Directory::builtin();
        let examples = vec![
            example("Listrik padam", "listrik mati terus tiap malam", "pln"),
            example("Sampah", "sampah tidak diangkut di TPS", "pemda-32.73"),
        ];
        let model = Model::train(&examples, d);
        let bytes = model.to_bytes();
        let back = Model::from_bytes(&bytes).unwrap();
        assert_eq!(back, model);
        assert_eq!(back.to_bytes(), bytes);
        let mut damaged = bytes.clone();
        damaged[20] ^= 1;
        assert_eq!(Model::from_bytes(&damaged), Err(ModelError::Checksum));
        assert_eq!(Model::from_bytes(b"nonsense"), Err(ModelError::Truncated));
        assert!(model.version().starts_with("lr-1-"));
        // Same inputs, same model; different inputs, different version.
        assert_eq!(Model::train(&examples, d).to_bytes(), bytes);
        let more = [
            examples.clone(),
            vec![example("", "paspor lama", "imigrasi")],
        ]
        .concat();
        assert_ne!(Model::train(&more, d).version(), model.version());
    }

    #[test]
    fn compiled_in_model_loads_fast() {
        let start = Instant::now();
        let model = Model::from_bytes(COMPILED_IN).unwrap();
        let elapsed = start.elapsed();
        println!(
            "compiled-in model {} ({} bytes, {} features, {} labels) loaded in {:?}",
            model.version(),
            COMPILED_IN.len(),
            model.features.len(),
            model.labels.len(),
            elapsed
        );
        assert!(model.label_index(LABEL_LOCAL).is_some());
    }

    /// Fails when `model.bin` was not regenerated after a change of the seed CSVs, the
    /// directory or the trainer. Regenerate with `LAPOR_WRITE_MODEL=1` (see the README).
    #[test]
    fn compiled_in_model_is_fresh() {
        let examples = read_examples_dir(&seed_dir()).unwrap();
        let model = Model::train(&examples, &Directory::builtin());
        if std::env::var_os("LAPOR_WRITE_MODEL").is_some() {
            std::fs::write(seed_dir().join("model.bin"), model.to_bytes()).unwrap();
            println!(
                "wrote model.bin {} threshold {} sharpness {}",
                model.version(),
                model.threshold(),
                model.sharpness
            );
            return;
        }
        let compiled = Model::from_bytes(COMPILED_IN).unwrap();
        assert_eq!(
            compiled.content_hash(),
            model.content_hash(),
            "shared/data/routing/model.bin is stale: regenerate it (shared/data/routing/README.md)"
        );
    }
}
