//! Routing: which institution should act first on a report.
//!
//! Three signals are combined:
//! 1. the text model ([`model::Model`]) names a sector label: a central institution, `local`
//!    (the kabupaten/kota), `province`, or `none` (no public service);
//! 2. a few authority rules from `docs/authority.md` sharpen the levels the model can confuse
//!    (SD/SMP vs SMA/SMK, RSUD vs RSUP, national vs provincial vs local roads, toll operators);
//! 3. the location ([`gazetteer::Gazetteer`]): `region_code` and place names in the text decide
//!    *which* regional government a local or provincial label means (DKI Jakarta's cities are
//!    administrative: their matters go to `pemda-31`).
//!
//! The reporter's chosen target is a strong prior, not an order: a text that clearly concerns
//! another institution overrides it, and the reason says so. Below the model's calibrated
//! threshold, or for a local matter without a location, or for reports about no public service,
//! the decision is `Triage` with the ranked candidates as the verifier's shortlist.

pub mod eval;
pub mod gazetteer;
pub mod model;
pub mod text;

use crate::directory::{pemda_code, pemda_id, Directory};
use crate::domain::regions::Regions;
use crate::domain::report::{ReportKind, RoutingCandidate, RoutingRecord};
use gazetteer::{Gazetteer, Location};
use model::{label_of, Model, LABEL_LOCAL, LABEL_NONE, LABEL_PROVINCE};
use std::sync::{Arc, OnceLock};

pub use model::TrainingExample;

const COMPILED_IN_MODEL: &[u8] = include_bytes!("../../data/routing/model.bin");
const HOSPITALS_CSV: &str = include_str!("../../data/routing/hospitals.csv");

/// Well-known hospitals whose owner is not the kabupaten/kota: ministry hospitals (label
/// `kemenkes`) and provincial RSUDs (label `province`, with the province code). Folded name
/// fragment, padded with spaces for whole-word matching.
struct Hospital {
    name: String,
    label: &'static str,
    province: Option<String>,
}

fn hospitals() -> &'static [Hospital] {
    static HOSPITALS: OnceLock<Vec<Hospital>> = OnceLock::new();
    HOSPITALS.get_or_init(|| {
        let mut reader = csv::Reader::from_reader(HOSPITALS_CSV.as_bytes());
        reader
            .records()
            .map(|row| {
                let row = row.expect("compiled-in hospital data is valid CSV");
                let (label, province) = match row[1].strip_prefix("province:") {
                    Some(code) => (LABEL_PROVINCE, Some(code.to_string())),
                    None => ("kemenkes", None),
                };
                Hospital {
                    name: format!(" {} ", text::fold(&row[0])),
                    label,
                    province,
                }
            })
            .collect()
    })
}

/// How much a valid target chosen by the reporter multiplies its label's probability: the text
/// must be about eight times more sure of another institution to override the reporter.
const TARGET_PRIOR: f32 = 8.0;
/// Confidence is scaled by this when several kabupaten/kota fit the place names equally well.
const AMBIGUOUS_LOCATION_FACTOR: f32 = 0.75;

/// What the router knows about a report (or a draft of one).
#[derive(Debug, Clone, Copy)]
pub struct RouteQuery<'a> {
    pub kind: ReportKind,
    pub title: &'a str,
    pub body: &'a str,
    pub category: Option<&'a str>,
    pub region_code: Option<&'a str>,
    pub location_text: Option<&'a str>,
    pub target_agency: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sure enough to assign without a human.
    Auto,
    /// A verifier decides, with the candidates as a shortlist.
    Triage,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Auto => "auto",
            Decision::Triage => "triage",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingDecision {
    pub decision: Decision,
    /// The chosen institution; none when triaged.
    pub agency_id: Option<String>,
    /// In [0, 1]: the probability mass of the chosen (or best) institution.
    pub confidence: f32,
    /// Up to three institutions, best first, with their scores.
    pub candidates: Vec<RoutingCandidate>,
    /// Short and free of personal data: sector, key words, place, level rule, target handling.
    pub reason: String,
    pub model_version: String,
    /// The sector label the decision rests on (`local`, `province`, `none` or an agency id).
    pub label: String,
    /// The kabupaten/kota (or province) code the location resolved to, if any.
    pub region_code: Option<String>,
}

impl RoutingDecision {
    pub fn to_record(&self) -> RoutingRecord {
        RoutingRecord {
            decision: self.decision.as_str().to_string(),
            agency_id: self.agency_id.clone(),
            confidence: self.confidence,
            candidates: self.candidates.clone(),
            reason: self.reason.clone(),
            model_version: self.model_version.clone(),
        }
    }
}

pub struct RoutingEngine {
    directory: Arc<Directory>,
    model: Arc<Model>,
    gazetteer: &'static Gazetteer,
}

/// The model compiled into the binary (`shared/data/routing/model.bin`).
pub fn compiled_in_model() -> Arc<Model> {
    static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            Arc::new(Model::from_bytes(COMPILED_IN_MODEL).expect("compiled-in model is valid"))
        })
        .clone()
}

impl RoutingEngine {
    /// The directory with the compiled-in model.
    pub fn new(directory: Arc<Directory>) -> RoutingEngine {
        RoutingEngine::with_model(directory, compiled_in_model())
    }

    /// A directory with any model, e.g. a retrained one loaded from the store.
    pub fn with_model(directory: Arc<Directory>, model: Arc<Model>) -> RoutingEngine {
        RoutingEngine {
            directory,
            model,
            gazetteer: Gazetteer::get(),
        }
    }

    /// The compiled-in directory and model, built once: for the evaluation tool and tests (a
    /// function routes over its own directory, `LiveEngine::engine`).
    pub fn builtin() -> &'static RoutingEngine {
        static ENGINE: OnceLock<RoutingEngine> = OnceLock::new();
        #[allow(clippy::disallowed_methods)]
        ENGINE.get_or_init(|| RoutingEngine::new(Directory::builtin()))
    }

    pub fn model_version(&self) -> &str {
        self.model.version()
    }

    /// The directory it routes over.
    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    pub fn route(&self, query: &RouteQuery<'_>) -> RoutingDecision {
        let target = query
            .target_agency
            .and_then(|t| self.directory.get(t))
            .map(|a| a.id.as_str());
        let target_code = target.and_then(pemda_code);

        let texts = [query.title, query.body, query.location_text.unwrap_or("")];
        let mut location = self.gazetteer.locate(query.region_code, &texts);
        if location.regency.is_none() && location.province.is_none() && target_code.is_some() {
            // The reporter's chosen regional government is the best hint of where.
            location = self.gazetteer.locate(target_code, &texts);
        }

        let mut text = String::with_capacity(query.title.len() + query.body.len() + 32);
        text.push_str(query.title);
        text.push_str(" . ");
        text.push_str(query.body);
        if let Some(category) = query.category {
            text.push_str(" . ");
            text.push_str(category);
        }
        let prediction = self.model.predict(query.kind, &text);
        let mut p = prediction.probabilities;
        let mut notes: Vec<&'static str> = Vec::new();
        self.apply_authority_rules(&text, &mut location, &mut p, &mut notes);

        let model_best = argmax(&p);
        let mut target_note = None;
        // An institution the model was never taught (added to the directory after training)
        // stands for its nearest ancestor the model knows: a reporter's choice of a new
        // directorate counts for its ministry, and the report goes to the directorate when the
        // text is about the ministry.
        let within = target.and_then(|t| self.ancestor_label(t));
        if let Some(target) = target {
            let label = label_of(target, &self.directory)
                .and_then(|l| self.model.label_index(&l))
                .or_else(|| within.as_ref().and_then(|(_, l)| self.model.label_index(l)));
            if let Some(ix) = label {
                p[ix] *= TARGET_PRIOR;
                normalise(&mut p);
                if argmax(&p) == ix {
                    target_note = Some(format!("the reporter's choice {target} fits the text"));
                } else {
                    target_note = Some(format!(
                        "the reporter chose {target}, but the text is about {}",
                        self.model.labels()[model_best]
                    ));
                }
            }
        }

        // Resolve labels to institutions; local/provincial labels need the location.
        let regions = Regions::get();
        let local_id = location
            .regency
            .as_deref()
            .and_then(|c| regions.find(c))
            .map(|r| pemda_id(regions.local_government_code(r)));
        let province_id = location.province.as_deref().map(pemda_id);
        let mut scored: Vec<(String, f32)> = Vec::new();
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
        for &ix in &order {
            let label = self.model.labels()[ix].as_str();
            let agency = match label {
                LABEL_NONE => None,
                LABEL_LOCAL => local_id.clone(),
                LABEL_PROVINCE => province_id.clone(),
                id => Some(id.to_string()),
            };
            if let Some(agency) = agency {
                match scored.iter_mut().find(|(a, _)| *a == agency) {
                    Some(entry) => entry.1 += p[ix],
                    None => scored.push((agency, p[ix])),
                }
            }
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        let candidates: Vec<RoutingCandidate> = scored
            .iter()
            .take(3)
            .map(|(id, score)| RoutingCandidate {
                agency_id: id.clone(),
                name: self
                    .directory
                    .get(id)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
                score: *score,
            })
            .collect();

        let best = argmax(&p);
        let best_label = self.model.labels()[best].clone();
        let place = self.describe_place(&location);
        let mut reason = format!("sector {}", describe_label(&best_label));
        if !prediction.evidence.is_empty() {
            reason.push_str(&format!(" (words: {})", prediction.evidence.join(", ")));
        }
        if let Some(place) = &place {
            reason.push_str(&format!("; place: {place}"));
        }
        for note in &notes {
            reason.push_str("; ");
            reason.push_str(note);
        }
        if let Some(note) = &target_note {
            reason.push_str("; ");
            reason.push_str(note);
        }

        let triage = |confidence: f32, why: &str, reason: String| RoutingDecision {
            decision: Decision::Triage,
            agency_id: None,
            confidence,
            candidates: candidates.clone(),
            reason: format!("{reason}; {why}"),
            model_version: self.model.version().to_string(),
            label: best_label.clone(),
            region_code: location.regency.clone().or(location.province.clone()),
        };

        let chosen = match best_label.as_str() {
            LABEL_NONE => {
                return triage(
                    p[best],
                    "not about a public service: a verifier decides",
                    reason,
                )
            }
            LABEL_LOCAL => local_id.clone(),
            LABEL_PROVINCE => province_id.clone(),
            id => Some(id.to_string()),
        };
        let Some(chosen) = chosen else {
            let why = if best_label == LABEL_LOCAL {
                "a kabupaten/kota matter, but which kabupaten/kota is unknown: a verifier decides"
            } else {
                "a provincial matter, but which province is unknown: a verifier decides"
            };
            return triage(p[best], why, reason);
        };
        let mut confidence = scored
            .iter()
            .find(|(a, _)| *a == chosen)
            .map(|(_, s)| *s)
            .unwrap_or(p[best]);
        let level_label = best_label == LABEL_LOCAL || best_label == LABEL_PROVINCE;
        if level_label && location.ambiguous && !location.from_region_code {
            confidence *= AMBIGUOUS_LOCATION_FACTOR;
            reason.push_str("; place names fit several regions");
        }
        let confidence = confidence.clamp(0.0, 1.0);
        if confidence < self.model.threshold() {
            return triage(
                confidence,
                &format!(
                    "confidence {confidence:.2} below {:.2}: a verifier decides",
                    self.model.threshold()
                ),
                reason,
            );
        }
        let chosen = match (target, &within) {
            (Some(target), Some((ancestor, _))) if *ancestor == chosen => {
                reason.push_str(&format!(
                    "; the reporter's choice {target}, within {ancestor}"
                ));
                target.to_string()
            }
            _ => chosen,
        };
        RoutingDecision {
            decision: Decision::Auto,
            agency_id: Some(chosen),
            confidence,
            candidates,
            reason: format!("{reason}; confidence {confidence:.2}"),
            model_version: self.model.version().to_string(),
            label: best_label,
            region_code: location.regency.clone().or(location.province.clone()),
        }
    }

    /// For an institution the model has no label for: its nearest ancestor that has one, with
    /// that label. None for a work unit (reached by an assignment, never routed to) and for
    /// what the model knows itself.
    fn ancestor_label(&self, id: &str) -> Option<(String, String)> {
        let agency = self.directory.get(id)?;
        let known = |id: &str| {
            label_of(id, &self.directory).filter(|l| self.model.label_index(l).is_some())
        };
        if agency.kind == crate::directory::WORK_UNIT_KIND || known(id).is_some() {
            return None;
        }
        let mut parent = agency.parent_id.clone();
        // The directory is a tree; the bound guards against a cycle in bad data.
        for _ in 0..8 {
            let id = parent?;
            if let Some(label) = known(&id) {
                return Some((id, label));
            }
            parent = self.directory.get(&id).and_then(|a| a.parent_id.clone());
        }
        None
    }

    /// Level rules of the authority table that single words decide; they multiply the
    /// probability of the label the rule names (the model usually agrees already; the rules
    /// keep the levels right on phrasings it has not seen).
    fn apply_authority_rules(
        &self,
        text: &str,
        location: &mut Location,
        p: &mut [f32],
        notes: &mut Vec<&'static str>,
    ) {
        let ws = text::words(text);
        let has = |w: &str| ws.iter().any(|x| x == w);
        let has_pair = |a: &str, b: &[&str]| {
            ws.windows(2)
                .any(|pair| pair[0] == a && b.contains(&pair[1].as_str()))
        };
        let any = |set: &[&str]| ws.iter().any(|x| set.contains(&x.as_str()));
        let boost = |p: &mut [f32], label: &str, factor: f32| {
            if let Some(ix) = self.model.label_index(label) {
                p[ix] *= factor;
            }
        };
        // When the sector is regional and only the level is in question, the authority table
        // decides it outright: the mass of the wrong level moves to the right one.
        let transfer = |p: &mut [f32], from: &str, to: &str| {
            if let (Some(f), Some(t)) = (self.model.label_index(from), self.model.label_index(to)) {
                p[t] += p[f];
                p[f] = 0.0;
            }
        };

        // Ministry programmes and religious schools come before the school levels: PIP for an
        // SD pupil is still Kemendikdasmen's, a madrasah is Kemenag's.
        let national_education = any(&["pip", "tpg", "kurikulum", "dapodik", "ppg"])
            || has_pair("indonesia", &["pintar"])
            || has_pair("tunjangan", &["profesi", "sertifikasi"]);
        let religious_school = any(&["madrasah", "mts", "mtsn", "min", "man", "kua", "pesantren"]);
        if national_education {
            boost(p, "kemendikdasmen", 3.0);
            notes.push(
                "national education programmes (PIP, TPG, curriculum) belong to Kemendikdasmen",
            );
        }
        if religious_school {
            boost(p, "kemenag", 3.0);
            notes.push("madrasah and KUA belong to Kemenag");
        }
        let primary =
            any(&["sd", "sdn", "smp", "smpn", "paud", "tk"]) || has_pair("sekolah", &["dasar"]);
        let secondary = any(&["sma", "sman", "smk", "smkn", "slb", "smalb"])
            || has_pair("sekolah", &["menengah"]) && !has_pair("menengah", &["pertama"]);
        if national_education || religious_school {
            // The programme or the madrasah decides, not the school level.
        } else if secondary && !primary {
            transfer(p, LABEL_LOCAL, LABEL_PROVINCE);
            notes.push("SMA/SMK/SLB belong to the province");
        } else if primary && !secondary {
            transfer(p, LABEL_PROVINCE, LABEL_LOCAL);
            notes.push("SD/SMP/PAUD belong to the kabupaten/kota");
        }

        let padded = format!(" {} ", text::fold(text));
        let named_hospital = hospitals().iter().find(|h| padded.contains(&h.name));
        if let Some(hospital) = named_hospital {
            boost(p, hospital.label, 6.0);
            if let Some(code) = &hospital.province {
                transfer(p, LABEL_LOCAL, LABEL_PROVINCE);
                notes.push("a provincial RSUD belongs to the province");
                if location.province.as_deref() != Some(code.as_str()) {
                    location.province = Some(code.clone());
                }
            } else {
                notes.push("ministry hospitals (RSUP, vertical) belong to Kemenkes");
            }
        } else if any(&["rsup", "rsupn"])
            || has_pair("rs", &["vertikal"])
            || has_pair("pusat", &["vertikal"])
        {
            boost(p, "kemenkes", 4.0);
            notes.push("ministry hospitals (RSUP) belong to Kemenkes");
        } else if has("rsud") {
            if has_pair("rsud", &["provinsi"]) || has_pair("milik", &["provinsi", "pemprov"]) {
                transfer(p, LABEL_LOCAL, LABEL_PROVINCE);
                notes.push("a provincial RSUD belongs to the province");
            } else if !has("bpjs") && !has("jkn") {
                boost(p, LABEL_LOCAL, 2.0);
                notes.push("an RSUD belongs to its regional government");
            }
        }

        if has("tol") || has("jtts") {
            let sumatra = location.province.as_deref().is_some_and(|c| {
                matches!(
                    c,
                    "11" | "12" | "13" | "14" | "15" | "16" | "17" | "18" | "19" | "21"
                )
            }) || any(&["sumatera", "sumatra", "jtts"]);
            let (from, to) = if sumatra {
                ("jasa-marga", "hutama-karya")
            } else {
                ("hutama-karya", "jasa-marga")
            };
            if let (Some(f), Some(t)) = (self.model.label_index(from), self.model.label_index(to)) {
                p[t] += p[f];
                p[f] = 0.0;
                notes.push(if sumatra {
                    "Trans-Sumatra toll roads: Hutama Karya"
                } else {
                    "toll roads: Jasa Marga"
                });
            }
        }

        // Road status decides (authority.md): the national ministry only when the text says
        // national road or names a national route, the province for provincial roads, the
        // operator for toll roads; any other street is its kabupaten/kota's, the ministry and
        // the province its alternates. Words such as "lubang" or "besar" say nothing of status.
        let toll = has_pair("jalan", &["tol"])
            || has_pair("ruas", &["tol"])
            || has_pair("gerbang", &["tol"])
            || has("jtts");
        let national_route = has_pair("jalan", &["nasional", "negara", "trans", "lintas"])
            || has_pair("jalur", &["nasional", "pantura", "lintas", "pansela"])
            || has_pair("ruas", &["nasional"])
            || has_pair("jembatan", &["nasional"])
            || any(&[
                "pantura", "jalinsum", "jalintim", "jalinbar", "pansela", "suramadu", "daendels",
            ]);
        let road = any(&[
            "jalan",
            "jembatan",
            "aspal",
            "trotoar",
            "flyover",
            "underpass",
            "gorong",
            "drainase",
        ]);
        let water_works = any(&[
            "bendungan",
            "irigasi",
            "waduk",
            "bbws",
            "embung",
            "rusun",
            "rusunawa",
            "spam",
        ]);
        if toll {
            boost(p, "jasa-marga", 3.0);
            boost(p, "hutama-karya", 3.0);
        } else if national_route {
            boost(p, "kemenpu", 4.0);
            notes.push("national roads belong to Kementerian PU");
        } else if has_pair("jalan", &["provinsi"]) || has_pair("ruas", &["provinsi"]) {
            transfer(p, LABEL_LOCAL, LABEL_PROVINCE);
            transfer(p, "kemenpu", LABEL_PROVINCE);
            notes.push("provincial roads belong to the province");
        } else if has_pair(
            "jalan",
            &[
                "desa",
                "kabupaten",
                "kota",
                "lingkungan",
                "kampung",
                "kecamatan",
                "gang",
                "dusun",
            ],
        ) {
            transfer(p, LABEL_PROVINCE, LABEL_LOCAL);
            transfer(p, "kemenpu", LABEL_LOCAL);
            boost(p, LABEL_LOCAL, 3.0);
            notes.push("kabupaten/kota and village roads belong to the kabupaten/kota");
        } else if road && !water_works {
            let ministry = ["kemenpu", "bina-marga"]
                .iter()
                .filter_map(|l| self.model.label_index(l))
                .map(|i| p[i])
                .sum::<f32>();
            if let Some(local) = self.model.label_index(LABEL_LOCAL) {
                if ministry > p[local] {
                    // Keep the ministry as a candidate, below the kabupaten/kota.
                    for l in ["kemenpu", "bina-marga"] {
                        if let Some(i) = self.model.label_index(l) {
                            p[local] += 0.85 * p[i];
                            p[i] *= 0.15;
                        }
                    }
                    notes.push(
                        "a road of unknown status belongs to its kabupaten/kota (alternates: the province, Kementerian PU)",
                    );
                }
            }
        }
        normalise(p);
    }

    fn describe_place(&self, location: &Location) -> Option<String> {
        let regions = Regions::get();
        let code = location
            .regency
            .as_deref()
            .or(location.province.as_deref())?;
        let region = regions.find(code)?;
        let overridden;
        let source = if location.from_region_code {
            "from the region code"
        } else if let Some(code) = &location.code_overridden {
            overridden = format!("from the text, not the region code {code}");
            overridden.as_str()
        } else {
            "from the text"
        };
        let jakarta = if region.province_code() == "31" && location.regency.is_some() {
            ", an administrative city of DKI Jakarta"
        } else {
            ""
        };
        Some(format!("{} ({source}{jakarta})", region.name))
    }
}

fn describe_label(label: &str) -> String {
    match label {
        LABEL_LOCAL => "kabupaten/kota matter".to_string(),
        LABEL_PROVINCE => "provincial matter".to_string(),
        LABEL_NONE => "no public service".to_string(),
        id => id.to_string(),
    }
}

fn normalise(p: &mut [f32]) {
    let sum: f32 = p.iter().sum();
    if sum > 0.0 {
        p.iter_mut().for_each(|v| *v /= sum);
    }
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // tests use the compiled-in directory
    use super::*;
    use crate::routing::model::{read_examples_dir, seed_dir};

    fn query<'a>(title: &'a str, body: &'a str, region: Option<&'a str>) -> RouteQuery<'a> {
        RouteQuery {
            kind: ReportKind::Complaint,
            title,
            body,
            category: None,
            region_code: region,
            location_text: None,
            target_agency: None,
        }
    }

    fn routed(title: &str, body: &str, region: Option<&str>) -> RoutingDecision {
        RoutingEngine::builtin().route(&query(title, body, region))
    }

    /// The best candidate, whatever the confidence: the authority rules decide the level.
    fn top(d: &RoutingDecision) -> &str {
        d.candidates
            .first()
            .map(|c| c.agency_id.as_str())
            .unwrap_or("")
    }

    #[test]
    fn primary_schools_go_to_the_kabupaten_and_senior_high_schools_to_the_province() {
        let sd = routed(
            "Atap SD ambruk",
            "Atap kelas SD negeri di Kab. Garut ambruk, murid belajar di luar",
            None,
        );
        assert_eq!(top(&sd), "pemda-32.05", "{}", sd.reason);
        let sma = routed(
            "Guru SMA kurang",
            "SMA negeri di Kab. Garut tidak punya guru matematika",
            None,
        );
        assert_eq!(top(&sma), "pemda-32", "{}", sma.reason);
        let mentawai = routed(
            "",
            "sma negeri di kec. siberut selatan gak ada guru kimia",
            None,
        );
        assert_eq!(top(&mentawai), "pemda-13", "{}", mentawai.reason);
    }

    #[test]
    fn hospitals_by_owner_and_insurance_to_bpjs() {
        let rsud = routed(
            "IGD RSUD",
            "IGD RSUD di Kota Bandung menolak pasien, alasannya penuh",
            None,
        );
        assert_eq!(top(&rsud), "pemda-32.73", "{}", rsud.reason);
        let rsup = routed(
            "RSUP",
            "Antrean operasi jantung di RSUP Dr. Kariadi Semarang lebih dari 6 bulan",
            None,
        );
        assert_eq!(top(&rsup), "kemenkes", "{}", rsup.reason);
        let bpjs = routed(
            "Kartu BPJS",
            "Kartu BPJS Kesehatan saya nonaktif padahal iuran lancar",
            None,
        );
        assert_eq!(top(&bpjs), "bpjs-kesehatan", "{}", bpjs.reason);
    }

    #[test]
    fn national_roads_to_kemenpu_local_roads_to_the_kabupaten_tolls_by_island() {
        let national = routed(
            "Jalan nasional",
            "Jalan nasional di Kabupaten Garut berlubang dalam",
            None,
        );
        assert_eq!(top(&national), "kemenpu", "{}", national.reason);
        let village = routed(
            "Jalan desa",
            "Jalan desa di Kabupaten Garut rusak dan becek",
            None,
        );
        assert_eq!(top(&village), "pemda-32.05", "{}", village.reason);
        let java_toll = routed(
            "Tol",
            "Jalan tol di Kabupaten Bekasi berlubang dan gelap",
            None,
        );
        assert_eq!(top(&java_toll), "jasa-marga", "{}", java_toll.reason);
        let sumatra_toll = routed(
            "Tol",
            "Jalan tol di Kabupaten Lampung Selatan berlubang dan gelap",
            None,
        );
        assert_eq!(
            top(&sumatra_toll),
            "hutama-karya",
            "{}",
            sumatra_toll.reason
        );
    }

    #[test]
    fn jakarta_cities_are_routed_to_the_province() {
        let d = routed(
            "Sampah",
            "Sampah di TPS dekat pasar di Jakarta Timur tidak diangkut seminggu",
            None,
        );
        assert_eq!(top(&d), "pemda-31", "{}", d.reason);
        let by_code = routed(
            "Sampah",
            "Sampah di TPS tidak diangkut seminggu",
            Some("31.74.01"),
        );
        assert_eq!(top(&by_code), "pemda-31", "{}", by_code.reason);
    }

    #[test]
    fn private_disputes_and_greetings_are_triaged_without_an_agency() {
        for (title, body) in [
            (
                "Utang",
                "Tetangga saya pinjam uang dua juta dan tidak mau bayar, malah marah",
            ),
            ("", "halo admin selamat malam"),
        ] {
            let d = routed(title, body, None);
            assert_eq!(d.decision, Decision::Triage, "{body}: {}", d.reason);
            assert_eq!(d.agency_id, None);
        }
    }

    #[test]
    fn a_local_matter_without_a_location_is_triaged() {
        let d = routed(
            "Sampah",
            "Sampah tidak diangkut sudah seminggu, bau sekali",
            None,
        );
        assert_eq!(d.decision, Decision::Triage, "{}", d.reason);
        assert_eq!(d.label, LABEL_LOCAL);
        assert!(d.reason.contains("unknown"), "{}", d.reason);
    }

    #[test]
    fn the_reporters_target_counts_but_can_lose() {
        let engine = RoutingEngine::builtin();
        let mut q = query(
            "Listrik",
            "Listrik padam tiap malam dan token tidak masuk",
            None,
        );
        q.target_agency = Some("pln");
        let d = engine.route(&q);
        assert_eq!(d.agency_id.as_deref(), Some("pln"), "{}", d.reason);
        q.target_agency = Some("kemenag");
        let d = engine.route(&q);
        assert_eq!(top(&d), "pln", "{}", d.reason);
        assert!(d.reason.contains("reporter chose kemenag"), "{}", d.reason);
        // A regional government as target gives the place.
        let mut sampah = query("Sampah", "Sampah tidak diangkut seminggu", None);
        sampah.target_agency = Some("pemda-33.10");
        assert_eq!(top(&engine.route(&sampah)), "pemda-33.10");
        // An unknown target is ignored.
        q.target_agency = Some("no-such-agency");
        assert_eq!(top(&engine.route(&q)), "pln");
    }

    #[test]
    fn decisions_carry_candidates_confidence_and_version() {
        let d = routed(
            "Paspor",
            "Antrean paspor di kantor imigrasi penuh terus, calo di mana-mana",
            None,
        );
        assert!(d.candidates.len() <= 3 && !d.candidates.is_empty());
        assert!((0.0..=1.0).contains(&d.confidence));
        assert!(d.candidates.windows(2).all(|w| w[0].score >= w[1].score));
        assert_eq!(d.model_version, RoutingEngine::builtin().model_version());
        assert!(!d.candidates[0].name.is_empty());
        let record = d.to_record();
        assert_eq!(record.decision, d.decision.as_str());
    }

    /// Issue 15, failure 1: everyday words that are kecamatan names ("Ibu" in Halmahera Barat,
    /// "Butuh" in Purworejo) never decide the place alone.
    #[test]
    fn routing_everyday_words_that_are_kecamatan_names_do_not_decide_the_place() {
        for body in [
            "Ibu-ibu di kampung kami mengeluh posyandu tutup terus sejak bulan lalu",
            "warga butuh obat darah tinggi tapi puskesmas bilang stok kosong",
            "puskesmas nolak ibu saya, katanya harus bawa surat rujukan dulu",
            "kembang api tiap malam dan sampah berserakan di lapangan, bau sekali",
        ] {
            let d = routed("", body, None);
            assert_eq!(d.decision, Decision::Triage, "{body}: {}", d.reason);
            assert_eq!(d.region_code, None, "{body}: {}", d.reason);
            for c in &d.candidates {
                assert!(
                    !c.agency_id.starts_with("pemda-82") && !c.agency_id.starts_with("pemda-33"),
                    "{body}: {:?}",
                    d.candidates
                );
            }
        }
        // With "Kec." or the kabupaten named, the same word is the place.
        let qualified = routed("", "sampah di Kec. Butuh tidak diangkut dua minggu", None);
        assert_eq!(top(&qualified), "pemda-33.06", "{}", qualified.reason);
        let beside = routed(
            "",
            "Dokter di Puskesmas Kembang jarang datang. Kami warga Kabupaten Jepara minta perhatian",
            None,
        );
        assert_eq!(top(&beside), "pemda-33.20", "{}", beside.reason);
    }

    /// Issue 15, failure 2: a named street in a named city is the city's road; only a national
    /// road, a provincial road or a toll road goes elsewhere.
    #[test]
    fn routing_a_city_street_goes_to_the_city_not_the_ministry() {
        let street = routed(
            "Jalan berlubang",
            "Jalan berlubang besar di Jl. Merdeka, Kota Bandung, sudah banyak motor jatuh",
            None,
        );
        assert_eq!(
            street.agency_id.as_deref(),
            Some("pemda-32.73"),
            "{}",
            street.reason
        );
        assert!(
            street.candidates.iter().any(|c| c.agency_id == "kemenpu"),
            "the ministry stays an alternate: {:?}",
            street.candidates
        );
        let national = routed(
            "",
            "jalur pantura di Kab. Demak berlubang besar, truk sering terguling",
            None,
        );
        assert_eq!(top(&national), "kemenpu", "{}", national.reason);
        let provincial = routed(
            "",
            "Ruas jalan provinsi di Kabupaten Cianjur berlubang besar sepanjang 5 km",
            None,
        );
        assert_eq!(top(&provincial), "pemda-32", "{}", provincial.reason);
        let toll = routed("", "Jalan tol di Kabupaten Karawang berlubang besar", None);
        assert_eq!(top(&toll), "jasa-marga", "{}", toll.reason);
    }

    /// Issue 15, failure 3: an explicit place in the text wins over a region code that does
    /// not fit it, and the reason says which was used.
    #[test]
    fn routing_an_explicit_place_in_the_text_wins_over_the_region_code() {
        let regency = routed(
            "Sampah",
            "Sampah di TPS tidak diangkut seminggu di Kab. Garut",
            Some("32.73"),
        );
        assert_eq!(top(&regency), "pemda-32.05", "{}", regency.reason);
        assert!(
            regency
                .reason
                .contains("from the text, not the region code 32.73"),
            "{}",
            regency.reason
        );
        let city = routed(
            "",
            "SMP negeri di Kota Bandung minta sumbangan wajib dua juta",
            Some("32"),
        );
        assert_eq!(top(&city), "pemda-32.73", "{}", city.reason);
        // A bare town name does not override the code; a name that fits the code refines it.
        let bare = routed(
            "Sampah",
            "Sampah di TPS tidak diangkut, dekat toko dodol garut",
            Some("32.73"),
        );
        assert_eq!(top(&bare), "pemda-32.73", "{}", bare.reason);
        assert!(
            bare.reason.contains("from the region code"),
            "{}",
            bare.reason
        );
    }

    #[test]
    fn a_correction_teaches_a_new_phrasing() {
        let directory = Directory::builtin();
        let mut examples = read_examples_dir(&seed_dir()).unwrap();
        let phrase = "aplikasi sitagana error terus saat mengisi formulir";
        let before = RoutingEngine::builtin().route(&query("Sitagana", phrase, None));
        assert_ne!(before.label, "kemenpanrb");
        for i in 0..6 {
            examples.push(TrainingExample {
                kind: ReportKind::Complaint,
                title: "Sitagana".into(),
                body: format!("aplikasi sitagana tidak bisa dibuka, percobaan {i}"),
                region_code: None,
                expected: "kemenpanrb".into(),
                alternates: vec![],
            });
        }
        let retrained = Arc::new(Model::train(&examples, &directory));
        assert_ne!(
            retrained.version(),
            RoutingEngine::builtin().model_version()
        );
        let engine = RoutingEngine::with_model(directory, retrained);
        let after = engine.route(&query("Sitagana", phrase, None));
        assert_eq!(after.label, "kemenpanrb", "{}", after.reason);
        assert_eq!(
            after.agency_id.as_deref(),
            Some("kemenpanrb"),
            "{}",
            after.reason
        );
    }
}
