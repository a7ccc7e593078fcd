//! Offline evaluation of the router on labelled reports (CSV `id,kind,title,body,region_code,
//! expected,alternates[,note]`; `expected` is an agency id or `triage`; `alternates` is a `;`-
//! or `|`-separated list of acceptable agency ids).
//!
//! Figures, over all rows:
//! - coverage: share of reports decided automatically;
//! - accuracy: share of automatic decisions that chose `expected` or an alternate (a `triage`
//!   row decided automatically is wrong);
//! - top-3 recall: share of rows whose `expected` or an alternate is among the candidates; a
//!   `triage` row counts as a hit when the router triaged it;
//! - triage precision: share of triaged reports for which triage was the right call, i.e. the
//!   expected label is `triage`, or the router's top candidate was not acceptable (so an
//!   automatic decision would have been wrong);
//! - the costliest confusions (expected -> chosen, automatic decisions only);
//! - the confusion by label kind (central, province, kabupaten/kota, triage): what each kind of
//!   expected label was decided as;
//! - the worst mistakes: confident wrong automatic decisions first, then reports whose
//!   expected institution was not even among the candidates;
//! - latency p50/p99 of `RoutingEngine::route`, measured around each call.

use crate::directory::pemda_code;
use crate::domain::report::ReportKind;
use crate::routing::model::TrainingExample;
use crate::routing::{Decision, RouteQuery, RoutingEngine};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    pub id: String,
    pub kind: ReportKind,
    pub title: String,
    pub body: String,
    pub region_code: Option<String>,
    /// An agency id or `triage`.
    pub expected: String,
    pub alternates: Vec<String>,
    pub note: String,
}

impl EvalRow {
    /// What the router sees of this row (the CSV has no category, location text or target).
    pub fn query(&self) -> RouteQuery<'_> {
        RouteQuery {
            kind: self.kind,
            title: &self.title,
            body: &self.body,
            category: None,
            region_code: self.region_code.as_deref(),
            location_text: None,
            target_agency: None,
        }
    }

    pub fn into_example(self) -> TrainingExample {
        TrainingExample {
            kind: self.kind,
            title: self.title,
            body: self.body,
            region_code: self.region_code,
            expected: self.expected,
            alternates: self.alternates,
        }
    }

    fn accepts(&self, agency: &str) -> bool {
        self.expected == agency || self.alternates.iter().any(|a| a == agency)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Csv { path: String, source: csv::Error },
}

/// Reads labelled rows from CSV text. Unknown `kind` values count as complaints.
pub fn read_rows<R: std::io::Read>(reader: R) -> Result<Vec<EvalRow>, csv::Error> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (id, kind, title, body, region, expected, alternates, note) = (
        col("id"),
        col("kind"),
        col("title"),
        col("body"),
        col("region_code"),
        col("expected"),
        col("alternates"),
        col("note"),
    );
    let mut rows = Vec::new();
    for record in csv.records() {
        let record = record?;
        let get = |c: Option<usize>| {
            c.and_then(|i| record.get(i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let region_code = Some(get(region)).filter(|s| !s.is_empty());
        rows.push(EvalRow {
            id: get(id),
            kind: ReportKind::parse(&get(kind)).unwrap_or(ReportKind::Complaint),
            title: get(title),
            body: get(body),
            region_code,
            expected: get(expected),
            alternates: get(alternates)
                .split([';', '|'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            note: get(note),
        });
    }
    Ok(rows)
}

pub fn read_csv(path: &Path) -> Result<Vec<EvalRow>, EvalError> {
    let file = std::fs::File::open(path).map_err(|e| EvalError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    read_rows(std::io::BufReader::new(file)).map_err(|e| EvalError::Csv {
        path: path.display().to_string(),
        source: e,
    })
}

/// What kind of institution a label names, for the confusion by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LabelKind {
    Central,
    Province,
    KabupatenKota,
    Triage,
}

impl LabelKind {
    pub const ALL: [LabelKind; 4] = [
        LabelKind::Central,
        LabelKind::Province,
        LabelKind::KabupatenKota,
        LabelKind::Triage,
    ];

    /// `triage`, a province's (`pemda-NN`, and DKI Jakarta's `pemda-31`), a kabupaten/kota's
    /// (`pemda-NN.NN`) or a central institution's id.
    pub fn of(label: &str) -> LabelKind {
        if label == "triage" {
            return LabelKind::Triage;
        }
        match pemda_code(label) {
            Some(code) if code.len() == 2 => LabelKind::Province,
            Some(_) => LabelKind::KabupatenKota,
            None => LabelKind::Central,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LabelKind::Central => "central",
            LabelKind::Province => "province",
            LabelKind::KabupatenKota => "kabupaten/kota",
            LabelKind::Triage => "triage",
        }
    }
}

/// One row of the confusion by kind: reports whose expected label is of `expected` kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRow {
    pub expected: LabelKind,
    pub total: usize,
    /// Decided automatically and acceptable.
    pub correct: usize,
    /// Wrong automatic decisions, by the kind of institution chosen (never `Triage`).
    pub wrong_as: Vec<(LabelKind, usize)>,
    /// Sent to triage.
    pub triaged: usize,
    pub top3_hits: usize,
}

/// A report not decided right, for the next person to look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Mistake {
    pub id: String,
    pub expected: String,
    /// The institution chosen automatically, or `triage`.
    pub decided: String,
    pub confidence: f32,
    /// The candidates, best first.
    pub candidates: Vec<String>,
    pub reason: String,
    /// Wrong automatic decision (the costly kind) rather than a triage missing the institution.
    pub automatic: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub model_version: String,
    pub total: usize,
    pub automatic: usize,
    pub automatic_correct: usize,
    pub top3_hits: usize,
    pub triaged: usize,
    pub triage_justified: usize,
    /// (expected, chosen, count) for wrong automatic decisions, costliest first.
    pub confusions: Vec<(String, String, usize)>,
    /// Ids of wrong automatic decisions, for inspection.
    pub wrong_ids: Vec<String>,
    /// The confusion by label kind, in [`LabelKind::ALL`] order.
    pub by_kind: Vec<KindRow>,
    /// The worst mistakes, worst first (at most [`WORST_MISTAKES`]).
    pub worst: Vec<Mistake>,
    pub latency_p50: Duration,
    pub latency_p99: Duration,
}

/// How many mistakes the report lists.
pub const WORST_MISTAKES: usize = 20;

fn share(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

impl EvalReport {
    pub fn coverage(&self) -> f64 {
        share(self.automatic, self.total)
    }
    pub fn accuracy(&self) -> f64 {
        share(self.automatic_correct, self.automatic)
    }
    pub fn top3_recall(&self) -> f64 {
        share(self.top3_hits, self.total)
    }
    pub fn triage_precision(&self) -> f64 {
        share(self.triage_justified, self.triaged)
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "model {} on {} reports", self.model_version, self.total)?;
        writeln!(
            f,
            "coverage (automatic)   {:6.1}%  ({}/{})",
            100.0 * self.coverage(),
            self.automatic,
            self.total
        )?;
        writeln!(
            f,
            "accuracy on automatic  {:6.1}%  ({}/{})",
            100.0 * self.accuracy(),
            self.automatic_correct,
            self.automatic
        )?;
        writeln!(
            f,
            "top-3 recall           {:6.1}%  ({}/{})",
            100.0 * self.top3_recall(),
            self.top3_hits,
            self.total
        )?;
        writeln!(
            f,
            "triage precision       {:6.1}%  ({}/{}; triage was right: expected triage, or the top candidate was wrong)",
            100.0 * self.triage_precision(),
            self.triage_justified,
            self.triaged
        )?;
        writeln!(
            f,
            "latency per report     p50 {:?}  p99 {:?}",
            self.latency_p50, self.latency_p99
        )?;
        if !self.confusions.is_empty() {
            writeln!(f, "costliest confusions (expected -> chosen: count):")?;
            for (expected, chosen, n) in self.confusions.iter().take(10) {
                writeln!(f, "  {expected} -> {chosen}: {n}")?;
            }
        }
        writeln!(
            f,
            "by label kind (expected: right automatically | wrongly as central, province, kabupaten/kota | triaged | top-3):"
        )?;
        for row in &self.by_kind {
            let wrong = |k: LabelKind| {
                row.wrong_as
                    .iter()
                    .find(|(w, _)| *w == k)
                    .map(|(_, n)| *n)
                    .unwrap_or(0)
            };
            writeln!(
                f,
                "  {:<15} {:>4} reports: {:>4} right | {:>3} {:>3} {:>3} | {:>4} triaged | top-3 {:5.1}%",
                row.expected.as_str(),
                row.total,
                row.correct,
                wrong(LabelKind::Central),
                wrong(LabelKind::Province),
                wrong(LabelKind::KabupatenKota),
                row.triaged,
                100.0 * share(row.top3_hits, row.total)
            )?;
        }
        if !self.worst.is_empty() {
            writeln!(
                f,
                "worst mistakes (confident wrong automatic decisions first, then triaged without the institution among the candidates):"
            )?;
            for m in &self.worst {
                writeln!(
                    f,
                    "  {} expected {} decided {} ({:.2}) [{}] | {}",
                    m.id,
                    m.expected,
                    m.decided,
                    m.confidence,
                    m.candidates.join(" "),
                    m.reason
                )?;
            }
        }
        Ok(())
    }
}

/// Routes every row and scores the decisions.
pub fn evaluate(engine: &RoutingEngine, rows: &[EvalRow]) -> EvalReport {
    let mut latencies = Vec::with_capacity(rows.len());
    let mut report = EvalReport {
        model_version: engine.model_version().to_string(),
        total: rows.len(),
        automatic: 0,
        automatic_correct: 0,
        top3_hits: 0,
        triaged: 0,
        triage_justified: 0,
        confusions: Vec::new(),
        wrong_ids: Vec::new(),
        by_kind: LabelKind::ALL
            .iter()
            .map(|&expected| KindRow {
                expected,
                total: 0,
                correct: 0,
                wrong_as: Vec::new(),
                triaged: 0,
                top3_hits: 0,
            })
            .collect(),
        worst: Vec::new(),
        latency_p50: Duration::ZERO,
        latency_p99: Duration::ZERO,
    };
    let mut confusions: HashMap<(String, String), usize> = HashMap::new();
    let mut mistakes: Vec<Mistake> = Vec::new();
    for row in rows {
        let query = row.query();
        let start = Instant::now();
        let decision = engine.route(&query);
        latencies.push(start.elapsed());
        let expects_triage = row.expected == "triage";
        let top_ok = decision
            .candidates
            .first()
            .is_some_and(|c| row.accepts(&c.agency_id));
        let kind_row = &mut report.by_kind[LabelKind::of(&row.expected) as usize];
        kind_row.total += 1;
        let mistake = |decided: String, automatic: bool| Mistake {
            id: row.id.clone(),
            expected: row.expected.clone(),
            decided,
            confidence: decision.confidence,
            candidates: decision
                .candidates
                .iter()
                .map(|c| format!("{}:{:.2}", c.agency_id, c.score))
                .collect(),
            reason: decision.reason.clone(),
            automatic,
        };
        match decision.decision {
            Decision::Auto => {
                report.automatic += 1;
                let chosen = decision.agency_id.clone().unwrap_or_default();
                if !expects_triage && row.accepts(&chosen) {
                    report.automatic_correct += 1;
                    kind_row.correct += 1;
                } else {
                    report.wrong_ids.push(row.id.clone());
                    let as_kind = LabelKind::of(&chosen);
                    match kind_row.wrong_as.iter_mut().find(|(k, _)| *k == as_kind) {
                        Some(entry) => entry.1 += 1,
                        None => kind_row.wrong_as.push((as_kind, 1)),
                    }
                    mistakes.push(mistake(chosen.clone(), true));
                    *confusions
                        .entry((row.expected.clone(), chosen))
                        .or_default() += 1;
                }
            }
            Decision::Triage => {
                report.triaged += 1;
                kind_row.triaged += 1;
                if expects_triage || !top_ok {
                    report.triage_justified += 1;
                }
            }
        }
        let hit = if expects_triage {
            decision.decision == Decision::Triage
        } else {
            decision
                .candidates
                .iter()
                .take(3)
                .any(|c| row.accepts(&c.agency_id))
        };
        report.top3_hits += usize::from(hit);
        report.by_kind[LabelKind::of(&row.expected) as usize].top3_hits += usize::from(hit);
        if !hit && decision.decision == Decision::Triage {
            mistakes.push(mistake("triage".to_string(), false));
        }
    }
    // Confident wrong automatic decisions cost most (no human looks at them); then triaged
    // reports whose institution the verifier's shortlist lacks.
    mistakes.sort_by(|a, b| {
        b.automatic
            .cmp(&a.automatic)
            .then_with(|| b.confidence.total_cmp(&a.confidence))
            .then_with(|| a.id.cmp(&b.id))
    });
    mistakes.truncate(WORST_MISTAKES);
    report.worst = mistakes;
    latencies.sort();
    let pick = |q: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies[i]
    };
    report.latency_p50 = pick(0.50);
    report.latency_p99 = pick(0.99);
    let mut pairs: Vec<(String, String, usize)> = confusions
        .into_iter()
        .map(|((e, c), n)| (e, c, n))
        .collect();
    pairs.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    report.confusions = pairs;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_kinds_of_ids() {
        assert_eq!(LabelKind::of("pln"), LabelKind::Central);
        assert_eq!(LabelKind::of("pemda-32"), LabelKind::Province);
        assert_eq!(LabelKind::of("pemda-31"), LabelKind::Province);
        assert_eq!(LabelKind::of("pemda-32.73"), LabelKind::KabupatenKota);
        assert_eq!(LabelKind::of("triage"), LabelKind::Triage);
    }

    #[test]
    fn routing_eval_lists_the_worst_mistakes_confident_wrong_decisions_first() {
        // Labelled against the router on purpose: every decision is a mistake.
        let rows = read_rows(
            "id,kind,title,body,region_code,expected,alternates\n\
             a,complaint,Listrik,\"Listrik PLN padam tiap malam, token tidak masuk\",,kemenag,,\n\
             b,complaint,Paspor,\"Antrean paspor di kantor imigrasi penuh, calo banyak\",,kemenag,,\n\
             c,complaint,,\"halo admin selamat malam\",,pln,,\n"
                .as_bytes(),
        )
        .unwrap();
        let report = evaluate(RoutingEngine::builtin(), &rows);
        assert_eq!(report.worst.len(), 3, "{report}");
        assert!(report.worst[0].automatic && report.worst[1].automatic);
        assert!(report.worst[0].confidence >= report.worst[1].confidence);
        assert_eq!(report.worst[2].id, "c");
        assert_eq!(report.worst[2].decided, "triage");
        let central = &report.by_kind[LabelKind::Central as usize];
        assert_eq!(central.total, 3);
        assert_eq!(central.wrong_as, vec![(LabelKind::Central, 2)]);
        assert!(report.to_string().contains("worst mistakes"));
    }

    const SAMPLE: &str = "id,kind,title,body,region_code,expected,alternates,note\n\
        r1,complaint,Listrik padam,\"Listrik PLN padam tiap malam, token tidak masuk\",,pln,,\n\
        r2,complaint,Halo,\"halo admin tes tes\",,triage,,greeting\n\
        r3,complaint,Jalan rusak,\"Jalan kabupaten di Kab. Garut berlubang\",32.05,pemda-32.05,pemda-32|kemenpu,road\n";

    #[test]
    fn reads_rows_with_both_alternate_separators() {
        let rows = read_rows(SAMPLE.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].region_code.as_deref(), Some("32.05"));
        assert_eq!(rows[2].alternates, vec!["pemda-32", "kemenpu"]);
        assert_eq!(rows[1].expected, "triage");
        let semi = read_rows(
            "id,kind,title,body,region_code,expected,alternates\nx,aspiration,t,b,,kai,a;b\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(semi[0].alternates, vec!["a", "b"]);
        assert_eq!(semi[0].kind, ReportKind::Aspiration);
    }

    #[test]
    fn evaluation_counts_and_prints() {
        let rows = read_rows(SAMPLE.as_bytes()).unwrap();
        let report = evaluate(RoutingEngine::builtin(), &rows);
        assert_eq!(report.total, 3);
        assert_eq!(report.automatic + report.triaged, 3);
        assert!(report.top3_hits >= 2, "{report}");
        let text = report.to_string();
        assert!(text.contains("coverage") && text.contains("top-3 recall"));
        assert!(text.contains("by label kind"), "{text}");
        let totals: Vec<usize> = report.by_kind.iter().map(|k| k.total).collect();
        // r1 pln (central), r2 triage, r3 a kabupaten.
        assert_eq!(totals, vec![1, 0, 1, 1]);
        assert!(report.latency_p99 >= report.latency_p50);
    }
}

/// Run with `LAPOR_EVAL_FILE=path.csv cargo test -p lapor --release --lib
/// routing::eval::evaluate_file -- --ignored --nocapture` to print the report for a file.
#[cfg(test)]
mod file_report {
    use super::*;

    #[test]
    #[ignore = "needs LAPOR_EVAL_FILE"]
    fn evaluate_file() {
        let path = std::env::var("LAPOR_EVAL_FILE").expect("LAPOR_EVAL_FILE");
        let rows = read_csv(Path::new(&path)).unwrap();
        let engine = RoutingEngine::builtin();
        // Warm the lazily built tables so the latency figures are per report.
        let _ = evaluate(engine, &rows[..1.min(rows.len())]);
        let report = evaluate(engine, &rows);
        println!("{report}");
        let mut slow: Vec<(std::time::Duration, &str)> = rows
            .iter()
            .map(|row| {
                let start = Instant::now();
                engine.route(&row.query());
                (start.elapsed(), row.id.as_str())
            })
            .collect();
        slow.sort();
        println!("slowest: {:?}", &slow[slow.len().saturating_sub(5)..]);
        if std::env::var_os("LAPOR_EVAL_VERBOSE").is_some() {
            for row in &rows {
                let d = engine.route(&RouteQuery {
                    kind: row.kind,
                    title: &row.title,
                    body: &row.body,
                    category: None,
                    region_code: row.region_code.as_deref(),
                    location_text: None,
                    target_agency: None,
                });
                let ok = d.agency_id.as_deref().is_some_and(|a| row.accepts(a));
                let all = std::env::var("LAPOR_EVAL_VERBOSE").as_deref() == Ok("all");
                if d.decision == Decision::Auto && ok && !all {
                    continue;
                }
                let cands: Vec<String> = d
                    .candidates
                    .iter()
                    .map(|c| format!("{}:{:.2}", c.agency_id, c.score))
                    .collect();
                println!(
                    "{} {} exp={} got={:?} [{}] | {}",
                    row.id,
                    d.decision.as_str(),
                    row.expected,
                    d.agency_id,
                    cands.join(" "),
                    d.reason
                );
            }
        }
    }
}
