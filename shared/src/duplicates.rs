//! Possible duplicate reports: two reports that describe the same real-world problem.
//!
//! The caller compares a new report only with the open reports of the same institution in the
//! same place ([`same_place`]), and shows those whose [`similarity`] is at least [`THRESHOLD`].
//! So the comparison must tell *what is wrong* apart, not where: "lampu jalan mati di Jl.
//! Sukajadi" and "Jl. Sukajadi berlubang" share the street but not the problem.
//!
//! # How texts are compared
//!
//! 1. **Content words.** Title and body are read with the routing normalisation
//!    ([`text::cased_words`]: folding, informal spellings such as "sdh" -> "sudah", "gak" ->
//!    "tidak"), function words and the everyday words of any complaint (yang, sudah, tidak, mohon,
//!    hari, warga...) are dropped, the rest is stemmed ([`text::stem`]: "berlubang" ->
//!    "lubang", "kebanjiran" -> "banjir") and a small lexicon of complaint vocabulary maps
//!    variants onto one word (padam/mati/nyala, got/selokan/saluran, roboh/tumbang/ambruk,
//!    berisik/bising, wc/toilet, pkm/puskesmas, sdn/sd...). Numbers lose their leading zeros
//!    ("RT 05" = "rt 5").
//! 2. **Names.** A word is a name when it is capitalised mid-sentence in a text whose capitals
//!    are informative ([`text::capitals_are_informative`]: not Title Case, not all capitals), or
//!    follows a place or institution qualifier that is nearly always followed by one (gang,
//!    kampung, desa, kelurahan, perumahan, komplek, blok, RT/RW, KM, SD/SMP/SMA...). A name
//!    *both* texts contain is left out of the comparison: the caller already knows both reports
//!    are in the same place (and institution), so a shared "Sukajadi" or "PDAM" is no evidence
//!    of the same problem. A name only one text contains stays in, as evidence against (two
//!    different alleys, SDN 1 vs SDN 2).
//! 3. **Matching.** A word matches a word of the other text exactly (1.0), or else by the Dice
//!    coefficient of their character trigrams when that is at least 0.5 (spelling variants and
//!    typos of longer words: "fogging"/"foging" 0.77, "kiaracondong"/"kiaracondng" 0.78);
//!    otherwise it does not match (0.0). Short words rarely survive a typo ("lmpu"/"lampu" is
//!    0.44).
//! 4. **Score.** The coverage of each text is the mean, over its content words (less the shared
//!    names), of how well each is matched in the other text; the similarity is the geometric
//!    mean of the two coverages. For exact matches only, this is the cosine of the two word
//!    sets: a short SMS and a long web text of the same problem still score well when the SMS's
//!    few words are all in the long text.
//!
//! There are no special cases for particular reports; everything above is general.
//!
//! # Measurement
//!
//! The labelled set `shared/data/duplicates/pairs.csv` (162 pairs written by hand for this
//! project: 66 duplicates, 96 non-duplicates of which 78 are hard, i.e. same place and sector but
//! another problem) is compiled in ([`builtin_pairs`], [`evaluate_builtin`]); the figures are at
//! [`THRESHOLD`]. The lexicon, stopwords and name rules were written while looking at the first
//! 132 pairs, and the threshold chosen on them, so figures on those are optimistic. The last 30
//! pairs (notes `held-out: ...`) were written after the method and threshold were fixed and
//! measured once, unchanged.
//!
//! Scores are low in absolute terms (duplicates mostly 0.25-0.7): two citizens rarely use the
//! same words. What remains hard: the same kind of problem in two nearby places named only by
//! different names (two alleys, two puskesmas: their names are the only evidence), the same
//! problem of two different people (two inactive BPJS cards), and duplicates written with
//! different words ("trek-trekan di soetta" vs "balap liar di Jalan Soekarno-Hatta"). Very short
//! texts ("lampu jalan mati") have few content words, so their scores are coarse: one word more
//! or less in common moves them by 0.1-0.3.
//!
//! # Cost
//!
//! Both texts are analysed on each call. Measured in a release build on the development machine
//! (one core): a typical pair (an SMS of 15 words against a web report of 50) 18 µs, so a few
//! hundred open reports are a few milliseconds; two long reports (1,900 and 1,200 characters,
//! about 290 and 180 words) 0.8 ms, as the spelling-variant matching grows with the product of
//! the two word counts.

use crate::routing::text;

/// What is compared: a report's title and body (both may be informal Indonesian, SMS style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

/// The score from which two reports of the same institution and place are shown as possible
/// duplicates.
///
/// Chosen on the first 132 pairs of the builtin labelled set as the threshold of best F1 (0.847:
/// precision 0.825, recall 0.870), sweeping 0.10..0.60 by 0.01. Measured at this threshold:
/// - the 30 held-out pairs: precision 0.75 (12 of 16 flagged), recall 1.0 (12 of 12), F1 0.857;
/// - all 162 pairs: precision 0.808 (59 of 73), recall 0.894 (59 of 66), F1 0.849; best F1 on
///   all pairs is still at 0.26. For precision of at least 0.85, 0.30 gives precision 0.867 and
///   recall 0.788 on all pairs.
pub const THRESHOLD: f32 = 0.26;

/// The trigram Dice coefficient from which two different words count as the same word.
const FUZZY_MIN: f32 = 0.5;

/// 0.0 ..= 1.0: how likely the two texts describe the same problem (a similarity, not a
/// calibrated probability: compare it with [`THRESHOLD`]). Symmetric; identical texts score 1.0.
pub fn similarity(a: &Text<'_>, b: &Text<'_>) -> f32 {
    let (a, b) = (Profile::of(a), Profile::of(b));
    let with_names_left_out = coverage(&a, &b, true)
        .zip(coverage(&b, &a, true))
        .map(|(x, y)| x * y);
    let score = match with_names_left_out {
        // Nothing but shared names on one side (e.g. a title that is only a street name): fall
        // back to counting the names, so identical texts still score 1.
        Some(product) => product,
        None => coverage(&a, &b, false)
            .zip(coverage(&b, &a, false))
            .map_or(0.0, |(x, y)| x * y),
    };
    score.sqrt().clamp(0.0, 1.0)
}

/// One content word of a text.
struct Term {
    word: String,
    /// A place or institution name (see the module documentation).
    name: bool,
    /// Sorted, deduplicated character trigrams of `word` padded with `^` and `$`; empty for
    /// words with digits (numbers match exactly or not at all).
    grams: Vec<u32>,
}

/// The content words of a text, sorted by word, each once.
struct Profile {
    terms: Vec<Term>,
}

impl Profile {
    fn of(t: &Text<'_>) -> Profile {
        let mut terms: Vec<Term> = Vec::new();
        for part in [t.title, t.body] {
            let words = text::cased_words(part);
            let capitals = text::capitals_are_informative(&words);
            let mut after_qualifier = false;
            for (word, written) in &words {
                let qualifier = is_qualifier(word);
                let name = !qualifier
                    && (after_qualifier
                        || (capitals && written.capitalised && !written.sentence_start));
                after_qualifier = qualifier;
                if is_stopword(word) || (word.len() == 1 && !word.as_bytes()[0].is_ascii_digit()) {
                    continue;
                }
                let form = if word.bytes().all(|b| b.is_ascii_digit()) {
                    let trimmed = word.trim_start_matches('0');
                    if trimmed.is_empty() { "0" } else { trimmed }.to_string()
                } else {
                    let stem = text::stem(word);
                    match synonym(&stem) {
                        Some(canonical) => canonical.to_string(),
                        None => stem,
                    }
                };
                match terms.iter_mut().find(|t| t.word == form) {
                    Some(term) => term.name |= name,
                    None => terms.push(Term {
                        grams: trigrams(&form),
                        word: form,
                        name,
                    }),
                }
            }
        }
        terms.sort_unstable_by(|x, y| x.word.cmp(&y.word));
        Profile { terms }
    }

    /// How well `term` is matched in this profile: 1.0 for the same word, else the best trigram
    /// Dice coefficient of at least [`FUZZY_MIN`], with the term matched.
    fn best_match(&self, term: &Term) -> Option<(f32, &Term)> {
        if let Ok(i) = self
            .terms
            .binary_search_by(|t| t.word.as_str().cmp(&term.word))
        {
            return Some((1.0, &self.terms[i]));
        }
        if term.grams.is_empty() {
            return None;
        }
        let mut best: Option<(f32, &Term)> = None;
        for other in &self.terms {
            let (n, m) = (term.grams.len(), other.grams.len());
            // Dice >= 0.5 needs the smaller set to be at least a third of the larger.
            if m == 0 || 3 * n.min(m) < n.max(m) {
                continue;
            }
            let dice = 2.0 * common(&term.grams, &other.grams) as f32 / (n + m) as f32;
            if dice >= FUZZY_MIN && best.is_none_or(|(b, _)| dice > b) {
                best = Some((dice, other));
            }
        }
        best
    }
}

/// The share of `a`'s content that `b` contains (each word weighted by how well it is
/// matched); with `leave_out_shared_names`, names matched in `b` are not counted at all. `None`
/// when nothing is left to count.
fn coverage(a: &Profile, b: &Profile, leave_out_shared_names: bool) -> Option<f32> {
    let (mut matched, mut counted) = (0.0f32, 0usize);
    for term in &a.terms {
        let found = b.best_match(term);
        if let Some((score, other)) = found {
            if leave_out_shared_names && (term.name || other.name) {
                continue;
            }
            matched += score;
        }
        counted += 1;
    }
    (counted > 0).then(|| matched / counted as f32)
}

fn trigrams(word: &str) -> Vec<u32> {
    if word.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let padded: Vec<u8> = std::iter::once(b'^')
        .chain(word.bytes())
        .chain(std::iter::once(b'$'))
        .collect();
    let mut grams: Vec<u32> = padded
        .windows(3)
        .map(|g| u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]))
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// The number of elements two sorted, deduplicated slices have in common.
fn common(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Words (normalised by [`text::words`]) that are nearly always followed by a name.
fn is_qualifier(word: &str) -> bool {
    matches!(
        word,
        "gang"
            | "gg"
            | "kampung"
            | "kp"
            | "dusun"
            | "desa"
            | "kelurahan"
            | "kecamatan"
            | "kabupaten"
            | "perumahan"
            | "perum"
            | "komplek"
            | "kompleks"
            | "blok"
            | "rt"
            | "rw"
            | "km"
            | "no"
            | "nomor"
            | "sd"
            | "sdn"
            | "mi"
            | "smp"
            | "smpn"
            | "mts"
            | "sma"
            | "sman"
            | "smk"
            | "smkn"
    )
}

/// Complaint vocabulary written in several ways, mapped (after stemming) onto one word.
fn synonym(stem: &str) -> Option<&'static str> {
    Some(match stem {
        "padam" | "mati" | "nyala" => "mati",
        "got" | "selokan" | "saluran" | "drainase" | "gorong" | "parit" => "selokan",
        "roboh" | "tumbang" | "ambruk" | "runtuh" | "rubuh" => "roboh",
        "berisik" | "bising" | "brisik" | "ribut" => "bising",
        "wc" | "toilet" | "jamban" => "toilet",
        "antri" | "antre" => "antre",
        "pkm" => "puskesmas",
        "kosong" | "habis" | "langka" => "habis",
        "pungli" | "pungut" | "palak" | "peras" => "pungli",
        "genang" | "banjir" | "rendam" => "banjir",
        "supir" => "sopir",
        "bocor" | "pecah" | "rembes" => "bocor",
        "ektp" => "ktp",
        "disdukcapil" | "capil" => "dukcapil",
        "blanko" => "blangko",
        "doyong" | "condong" => "miring",
        "jatoh" => "jatuh",
        "pju" => "lampu",
        "sdn" => "sd",
        "smpn" => "smp",
        "sman" => "sma",
        "smkn" => "smk",
        "gg" => "gang",
        "kp" => "kampung",
        "perum" => "perumahan",
        "kompleks" => "komplek",
        "apotik" => "apotek",
        "cokelat" => "coklat",
        "item" => "hitam",
        "kenceng" => "kencang",
        "ujan" => "hujan",
        "honor" | "upah" | "gajian" => "gaji",
        "kwitansi" => "kuitansi",
        _ => return None,
    })
}

/// Function words and the everyday words of any complaint (normalised by [`text::words`]).
fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "yang"
            | "di"
            | "ke"
            | "dari"
            | "dan"
            | "sudah"
            | "tidak"
            | "ini"
            | "itu"
            | "kami"
            | "saya"
            | "kita"
            | "mohon"
            | "tolong"
            | "sejak"
            | "ada"
            | "sangat"
            | "untuk"
            | "dengan"
            | "pada"
            | "atau"
            | "juga"
            | "akan"
            | "karena"
            | "sama"
            | "saja"
            | "lagi"
            | "tapi"
            | "tetapi"
            | "namun"
            | "oleh"
            | "dalam"
            | "bisa"
            | "nya"
            | "pun"
            | "lah"
            | "dong"
            | "deh"
            | "sih"
            | "nih"
            | "kok"
            | "ya"
            | "kan"
            | "bapak"
            | "ibu"
            | "kepada"
            | "belum"
            | "masih"
            | "banget"
            | "harus"
            | "segera"
            | "agar"
            | "supaya"
            | "kalau"
            | "jika"
            | "padahal"
            | "terus"
            | "sampai"
            | "telah"
            | "seperti"
            | "begitu"
            | "mereka"
            | "dia"
            | "kapan"
            | "mengapa"
            | "bagaimana"
            | "apa"
            | "apakah"
            | "hanya"
            | "para"
            | "sebagai"
            | "setiap"
            | "tiap"
            | "semua"
            | "sekarang"
            | "kemarin"
            | "terima"
            | "kasih"
            | "selamat"
            | "pagi"
            | "siang"
            | "sore"
            | "malam"
            | "mlm"
            | "malem"
            | "hari"
            | "minggu"
            | "bulan"
            | "tahun"
            | "jam"
            | "lalu"
            | "warga"
            | "masyarakat"
            | "orang"
            | "pls"
            | "please"
            | "mas"
            | "mbak"
            | "min"
            | "admin"
            | "lapor"
            | "melaporkan"
            | "laporan"
            | "dicek"
            | "ditindaklanjuti"
            | "diperbaiki"
            | "minta"
    )
}

/// Same place: same kecamatan (Kemendagri codes `32.73.01`: the first 8 characters equal, both
/// at least kecamatan level), or both with coordinates (latitude, longitude in degrees) within
/// 250 m (haversine). A side without a usable place is never the same place.
pub fn same_place(
    a_region: Option<&str>,
    a_coords: Option<(f64, f64)>,
    b_region: Option<&str>,
    b_coords: Option<(f64, f64)>,
) -> bool {
    if let (Some(a), Some(b)) = (
        a_region.and_then(kecamatan_of),
        b_region.and_then(kecamatan_of),
    ) {
        if a == b {
            return true;
        }
    }
    matches!((a_coords, b_coords), (Some(a), Some(b)) if distance_m(a, b) <= SAME_PLACE_M)
}

/// Distance up to which two reports' coordinates are the same place.
const SAME_PLACE_M: f64 = 250.0;

/// The kecamatan part (`32.73.01`) of a Kemendagri code at kecamatan level or below.
fn kecamatan_of(code: &str) -> Option<&str> {
    let code = code.trim();
    let b = code.as_bytes();
    let digits = |i: usize| b[i].is_ascii_digit() && b[i + 1].is_ascii_digit();
    let well_formed = b.len() >= 8
        && digits(0)
        && b[2] == b'.'
        && digits(3)
        && b[5] == b'.'
        && digits(6)
        && (b.len() == 8 || b[8] == b'.');
    well_formed.then(|| &code[..8])
}

/// Great-circle (haversine) distance in metres between two (latitude, longitude) points in
/// degrees, on a sphere of the Earth's mean radius.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

const PAIRS_CSV: &str = include_str!("../data/duplicates/pairs.csv");

/// Two reports and whether they describe the same problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledPair {
    pub a_title: String,
    pub a_body: String,
    pub b_title: String,
    pub b_body: String,
    pub same: bool,
}

impl LabelledPair {
    pub fn similarity(&self) -> f32 {
        similarity(
            &Text {
                title: &self.a_title,
                body: &self.a_body,
            },
            &Text {
                title: &self.b_title,
                body: &self.b_body,
            },
        )
    }
}

/// The labelled set compiled in (`shared/data/duplicates/pairs.csv`, header
/// `a_title,a_body,b_title,b_body,same,note`, `same` is `1` or `0`).
pub fn builtin_pairs() -> Vec<LabelledPair> {
    let mut reader = csv::Reader::from_reader(PAIRS_CSV.as_bytes());
    reader
        .records()
        .map(|row| {
            let row = row.expect("compiled-in duplicate pairs are valid CSV");
            LabelledPair {
                a_title: row[0].to_string(),
                a_body: row[1].to_string(),
                b_title: row[2].to_string(),
                b_body: row[3].to_string(),
                same: match &row[4] {
                    "1" => true,
                    "0" => false,
                    other => panic!("compiled-in duplicate pairs: `same` is {other:?}"),
                },
            }
        })
        .collect()
}

/// A measurement of [`similarity`] at a threshold on labelled pairs. Precision is 1.0 when
/// nothing was flagged, recall 1.0 when there were no duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub pairs: usize,
    pub positives: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub precision: f64,
    pub recall: f64,
}

impl Evaluation {
    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        if self.precision + self.recall == 0.0 {
            0.0
        } else {
            2.0 * self.precision * self.recall / (self.precision + self.recall)
        }
    }
}

/// The builtin labelled set measured at [`THRESHOLD`].
pub fn evaluate_builtin() -> Evaluation {
    evaluate(&builtin_pairs(), THRESHOLD)
}

/// `pairs` measured at `threshold` (a pair is flagged when its similarity is at least it).
pub fn evaluate(pairs: &[LabelledPair], threshold: f32) -> Evaluation {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for pair in pairs {
        match (pair.similarity() >= threshold, pair.same) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => {}
        }
    }
    let ratio = |n: usize, d: usize| if d == 0 { 1.0 } else { n as f64 / d as f64 };
    Evaluation {
        pairs: pairs.len(),
        positives: tp + fn_,
        true_positives: tp,
        false_positives: fp,
        false_negatives: fn_,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t<'a>(title: &'a str, body: &'a str) -> Text<'a> {
        Text { title, body }
    }

    #[test]
    fn builtin_set_parses_with_both_labels() {
        let pairs = builtin_pairs();
        assert!(pairs.len() >= 120, "{} pairs", pairs.len());
        let positives = pairs.iter().filter(|p| p.same).count();
        assert!(positives >= 40, "{positives} duplicates");
        assert!(
            pairs.len() - positives >= 60,
            "{positives} of {}",
            pairs.len()
        );
        let written = |title: &str, body: &str| !title.is_empty() || !body.is_empty();
        assert!(pairs
            .iter()
            .all(|p| written(&p.a_title, &p.a_body) && written(&p.b_title, &p.b_body)));
    }

    #[test]
    fn builtin_set_measures_at_least_as_well_as_documented() {
        let e = evaluate_builtin();
        assert_eq!((e.pairs, e.positives), (162, 66), "{e:?}");
        // Measured: precision 0.808, recall 0.894 (see THRESHOLD).
        assert!(e.precision >= 0.78, "{e:?}");
        assert!(e.recall >= 0.86, "{e:?}");
        assert!(e.f1() >= 0.82, "{e:?}");
    }

    #[test]
    fn evaluation_counts() {
        let pair = |a: &str, b: &str, same| LabelledPair {
            a_title: String::new(),
            a_body: a.to_string(),
            b_title: String::new(),
            b_body: b.to_string(),
            same,
        };
        let pairs = [
            pair("lampu jalan mati", "lampu jalan mati", true),
            pair("lampu jalan mati", "kartu bpjs nonaktif", true),
            pair("sampah menumpuk", "sampah menumpuk", false),
            pair("air pdam keruh", "ktp belum jadi", false),
        ];
        let e = evaluate(&pairs, THRESHOLD);
        assert_eq!(
            (
                e.pairs,
                e.positives,
                e.true_positives,
                e.false_positives,
                e.false_negatives
            ),
            (4, 2, 1, 1, 1)
        );
        assert_eq!((e.precision, e.recall), (0.5, 0.5));
        let none = evaluate(&[], THRESHOLD);
        assert_eq!((none.precision, none.recall, none.f1()), (1.0, 1.0, 1.0));
    }

    #[test]
    fn identical_texts_score_one_and_unrelated_texts_low() {
        let a = t(
            "Jalan berlubang di Jl. Sukajadi",
            "Mohon perbaikan jalan berlubang di Jl. Sukajadi depan Alfamart, sudah banyak motor jatuh.",
        );
        assert!(similarity(&a, &a) > 0.999, "{}", similarity(&a, &a));
        // Only names, shared: still identical.
        let name = t("Jl. Sukajadi", "");
        assert!(similarity(&name, &name) > 0.999);
        let sms = t("", "sdh 3 bln gak ada air, tlg dicek");
        assert!(similarity(&sms, &sms) > 0.999);
        let unrelated = t(
            "Kartu BPJS tidak aktif",
            "Kartu BPJS PBI saya tiba-tiba tidak aktif saat berobat ke RSUD.",
        );
        assert!(
            similarity(&a, &unrelated) < 0.1,
            "{}",
            similarity(&a, &unrelated)
        );
        let empty = t("", "");
        assert_eq!(similarity(&a, &empty), 0.0);
        assert_eq!(similarity(&empty, &empty), 0.0);
        let only_stopwords = t("", "tolong dong, sudah lama tidak ada");
        assert_eq!(similarity(&a, &only_stopwords), 0.0);
    }

    #[test]
    fn similarity_is_symmetric_and_bounded() {
        for p in builtin_pairs().iter().take(40) {
            let (a, b) = (t(&p.a_title, &p.a_body), t(&p.b_title, &p.b_body));
            let (ab, ba) = (similarity(&a, &b), similarity(&b, &a));
            assert!((ab - ba).abs() < 1e-6, "{ab} {ba} {p:?}");
            assert!((0.0..=1.0).contains(&ab));
        }
    }

    #[test]
    fn duplicates_outscore_another_problem_in_the_same_place() {
        let web = t(
            "Lampu PJU mati",
            "Lampu penerangan jalan umum di Jalan Cipaganti RT 03 sudah padam dua minggu, gelap.",
        );
        let sms = t("", "lampu jln cipaganti mati smua udh 2 mgg, gelap bgt");
        let pothole = t(
            "Jalan Cipaganti berlubang",
            "Ada lubang besar di Jalan Cipaganti RT 03, motor sering jatuh.",
        );
        assert!(
            similarity(&web, &sms) >= THRESHOLD,
            "{}",
            similarity(&web, &sms)
        );
        assert!(
            similarity(&web, &pothole) < THRESHOLD,
            "{}",
            similarity(&web, &pothole)
        );
    }

    #[test]
    fn same_place_by_kecamatan_code() {
        let same = |a: Option<&str>, b: Option<&str>| same_place(a, None, b, None);
        assert!(same(Some("32.73.01"), Some("32.73.01")));
        assert!(same(Some("32.73.01.1001"), Some("32.73.01")));
        assert!(same(Some("32.73.01.1001"), Some("32.73.01.1002")));
        assert!(!same(Some("32.73.01"), Some("32.73.02")));
        assert!(!same(Some("32.73.01"), Some("32.74.01")));
        // A regency (or province) code alone is not precise enough.
        assert!(!same(Some("32.73"), Some("32.73")));
        assert!(!same(Some("32.73"), Some("32.73.01")));
        assert!(!same(Some("32"), Some("32")));
        assert!(!same(Some("32.73.0"), Some("32.73.0")));
        assert!(!same(Some("3273010001"), Some("3273010001")));
        assert!(!same(Some("32.73.01"), None));
        assert!(!same(None, None));
    }

    #[test]
    fn same_place_by_coordinates() {
        let here = (-6.9175, 107.6191);
        // 0.0018 degree of latitude is about 200 m, 0.0027 about 300 m.
        let near = (here.0 + 0.0018, here.1);
        let far = (here.0 + 0.0027, here.1);
        assert!((distance_m(here, near) - 200.2).abs() < 1.0);
        assert!(same_place(None, Some(here), None, Some(near)));
        assert!(!same_place(None, Some(here), None, Some(far)));
        // One side without a place.
        assert!(!same_place(None, Some(here), None, None));
        assert!(!same_place(Some("32.73.01"), Some(here), None, None));
        // Either criterion is enough: different kecamatan codes, coordinates 200 m apart (a
        // kecamatan border between them).
        assert!(same_place(
            Some("32.73.01"),
            Some(here),
            Some("32.73.02"),
            Some(near)
        ));
        // Same kecamatan, coordinates far apart.
        assert!(same_place(
            Some("32.73.01"),
            Some(here),
            Some("32.73.01"),
            Some(far)
        ));
    }

    #[test]
    fn distance_along_a_meridian_and_the_equator() {
        // 0.01 degree of latitude on a sphere of radius 6,371,008.8 m: 1,111.95 m.
        let d = distance_m((-6.90, 107.60), (-6.91, 107.60));
        assert!((d - 1111.95).abs() < 0.1, "{d}");
        assert_eq!(distance_m((-6.9, 107.6), (-6.9, 107.6)), 0.0);
        let equator = distance_m((0.0, 100.0), (0.0, 101.0));
        assert!((equator - 111_195.0).abs() < 1.0, "{equator}");
        assert!(
            (distance_m((1.0, 2.0), (3.0, 4.0)) - distance_m((3.0, 4.0), (1.0, 2.0))).abs() < 1e-9
        );
    }
}
