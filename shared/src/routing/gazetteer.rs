//! Where is the problem: resolving `region_code` and place names in a report's text to a
//! province, a kabupaten/kota and a kecamatan.
//!
//! The gazetteer indexes every province, kabupaten/kota and kecamatan name of the Kemendagri
//! area data (idn-area-data 4.0.1, ODbL) plus `shared/data/routing/place-aliases.csv` (Jabar,
//! NTT, Jaksel, Purwokerto...), keyed by folded word sequences. A report's words are scanned
//! once, longest name first; the word before a name ("kab", "kota", "kec", "pemprov"...) narrows
//! its level. Many kecamatan share a name, so each mention spreads its weight over its
//! candidates and the kabupaten/kota with the most consistent support wins (a kecamatan
//! mention plus its province, or the structured `region_code`).

use crate::directory::PLACE_ALIASES_CSV;
use crate::domain::regions::{RegionLevel, Regions};
use crate::routing::text::fold;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Index into `Regions::all()`.
    region: u32,
    level: RegionLevel,
    is_city: bool,
    /// A name from `place-aliases.csv` rather than the official name.
    alias: bool,
}

pub struct Gazetteer {
    names: HashMap<String, Vec<Entry>>,
    max_words: usize,
}

/// What the gazetteer found. Codes are Kemendagri codes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub province: Option<String>,
    /// The kabupaten/kota.
    pub regency: Option<String>,
    pub district: Option<String>,
    /// The place names read in the text, for the routing reason.
    pub mentions: Vec<String>,
    /// Several kabupaten/kota fit the mentions about equally well.
    pub ambiguous: bool,
    /// The location came from the structured `region_code`.
    pub from_region_code: bool,
    /// The region code given, when an explicit place in the text that does not fit it was
    /// used instead.
    pub code_overridden: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Regency,
    City,
    District,
    Province,
}

/// The word before a name that says which level it is, or that the name is not a region at all
/// (a street, a village, a hospital named after a town).
enum Before {
    Level(Qualifier),
    NotARegion,
    Nothing,
}

fn before(word: &str) -> Before {
    match word {
        "kabupaten" | "pemkab" | "bupati" | "regency" => Before::Level(Qualifier::Regency),
        "kota" | "pemkot" | "walikota" | "city" => Before::Level(Qualifier::City),
        "kecamatan" | "camat" | "kapanewon" | "distrik" => Before::Level(Qualifier::District),
        "provinsi" | "pemprov" | "gubernur" | "province" => Before::Level(Qualifier::Province),
        "jalan" | "gang" | "gg" | "desa" | "kelurahan" | "dusun" | "kampung" | "perumahan"
        | "komplek" | "kompleks" | "rt" | "rw" | "nagari" | "gampong" | "blok" => {
            Before::NotARegion
        }
        // A person's name after an honorific ("Bu Subur", "Pak Jati", "Daeng Salo").
        "bapak" | "ibu" | "mas" | "mbak" | "mba" | "kak" | "bang" | "sdr" | "saudara"
        | "saudari" | "om" | "tante" | "daeng" | "haji" | "hj" | "ustadz" | "ustad" | "mbah"
        | "pakde" | "bude" | "bli" | "uda" | "uni" => Before::NotARegion,
        _ => Before::Nothing,
    }
}

/// Kecamatan (and a few kabupaten/kota) names that are also everyday words, Indonesian or
/// regional ("butuh", "alas", "kembang", Javanese "kudu", Minang "jorong"), curated in
/// `shared/data/routing/common-place-words.csv`. Such a name decides the place only with
/// "Kec."/"Kab."/"Kota" before it, with its own kabupaten/kota (or, right beside it, its
/// province) named in the report, or, for kind `word`, capitalised as a name mid-sentence.
/// Kind `generic` names (honorifics such as "Ibu", words that begin many other proper names)
/// say nothing by their capital.
const COMMON_PLACE_WORDS_CSV: &str = include_str!("../../data/routing/common-place-words.csv");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommonWord {
    /// An everyday word: a capital mid-sentence makes it a name.
    Word,
    /// Capitalised often without being this place (honorifics, parts of other names).
    Generic,
}

fn common_words() -> &'static HashMap<String, CommonWord> {
    static WORDS: OnceLock<HashMap<String, CommonWord>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut reader = csv::Reader::from_reader(COMMON_PLACE_WORDS_CSV.as_bytes());
        reader
            .records()
            .map(|row| {
                let row = row.expect("compiled-in common place words are valid CSV");
                let kind = match &row[1] {
                    "word" => CommonWord::Word,
                    _ => CommonWord::Generic,
                };
                (fold(&row[0]), kind)
            })
            .collect()
    })
}

/// How a place name that is also an everyday word is read, if it is one.
pub fn common_word(name: &str) -> Option<CommonWord> {
    common_words().get(name).copied()
}

fn is_common_word(name: &str) -> bool {
    common_word(name).is_some()
}

/// Facilities usually named after their kecamatan or town ("Puskesmas Cibinong", "RSUD
/// Wonosari", "SMPN 2 Kepanjen"): a place named right after one is as explicit as "Kec. X".
fn is_facility(word: &str) -> bool {
    matches!(
        word,
        "rsud"
            | "puskesmas"
            | "pustu"
            | "sdn"
            | "smpn"
            | "sman"
            | "smkn"
            | "slb"
            | "polsek"
            | "polres"
            | "samsat"
            | "terminal"
            | "stasiun"
    )
}

impl Gazetteer {
    pub fn get() -> &'static Gazetteer {
        static GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();
        GAZETTEER.get_or_init(Gazetteer::build)
    }

    fn build() -> Gazetteer {
        let regions = Regions::get();
        let mut names: HashMap<String, Vec<Entry>> = HashMap::with_capacity(9_000);
        let mut index_of: HashMap<&str, u32> = HashMap::with_capacity(8_000);
        for (i, region) in regions.all().iter().enumerate() {
            index_of.insert(region.code.as_str(), i as u32);
            let is_city = region.level == RegionLevel::Regency && region.name.starts_with("Kota ");
            let bare = match region.level {
                RegionLevel::Regency => {
                    let n = region.name.as_str();
                    let n = n
                        .strip_prefix("Kota ")
                        .or_else(|| n.strip_prefix("Kabupaten "))
                        .unwrap_or(n);
                    n.strip_prefix("Administrasi ").unwrap_or(n)
                }
                _ => region.name.as_str(),
            };
            let entry = Entry {
                region: i as u32,
                level: region.level,
                is_city,
                alias: false,
            };
            names.entry(fold(bare)).or_default().push(entry);
            // "Kepulauan Bangka Belitung" is written "Bangka Belitung"; "Daerah Istimewa
            // Yogyakarta" is covered by place-aliases.
            if let Some(rest) = fold(bare).strip_prefix("kepulauan ") {
                if region.level != RegionLevel::District {
                    names.entry(rest.to_string()).or_default().push(Entry {
                        alias: true,
                        ..entry
                    });
                }
            }
        }
        let mut reader = csv::Reader::from_reader(PLACE_ALIASES_CSV.as_bytes());
        for row in reader.records() {
            let row = row.expect("compiled-in place alias data is valid CSV");
            let Some(&i) = index_of.get(&row[0]) else {
                continue;
            };
            let region = &regions.all()[i as usize];
            names.entry(fold(&row[1])).or_default().push(Entry {
                region: i,
                level: region.level,
                is_city: region.name.starts_with("Kota "),
                alias: true,
            });
        }
        for entries in names.values_mut() {
            // The same name listed twice for one region (official and alias) counts once.
            entries.sort_by_key(|e| (e.region, e.alias));
            entries.dedup_by_key(|e| e.region);
        }
        let max_words = names
            .keys()
            .map(|k| k.split(' ').count())
            .max()
            .unwrap_or(1);
        Gazetteer { names, max_words }
    }

    /// The words without the place names the gazetteer recognises (and the level word before
    /// them: "kecamatan", "kabupaten"...). The text model must learn sectors, not places: a
    /// report about PLN in Kabupaten Garut is still about PLN.
    pub fn strip_places(&self, ws: Vec<String>) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(ws.len());
        let mut key = String::with_capacity(64);
        let mut i = 0;
        while i < ws.len() {
            let prev = if i > 0 {
                before(&ws[i - 1])
            } else {
                Before::Nothing
            };
            let mut matched = 0;
            if !matches!(prev, Before::NotARegion) {
                for n in (1..=self.max_words.min(ws.len() - i)).rev() {
                    key.clear();
                    for (j, w) in ws[i..i + n].iter().enumerate() {
                        if j > 0 {
                            key.push(' ');
                        }
                        key.push_str(w);
                    }
                    if !self.names.contains_key(key.as_str()) {
                        continue;
                    }
                    if matches!(prev, Before::Nothing) && is_common_word(&key) {
                        break;
                    }
                    matched = n;
                    break;
                }
            }
            if matched == 0 {
                out.push(ws[i].clone());
                i += 1;
                continue;
            }
            if matches!(
                out.last().map(String::as_str),
                Some("kabupaten" | "kota" | "kecamatan" | "provinsi" | "distrik")
            ) {
                out.pop();
            }
            i += matched;
        }
        out
    }

    /// Resolves the problem's location from the structured code and from place names in
    /// `texts` (title, body, location text).
    ///
    /// An explicit place in the text ("Kab. X", "Kota Y", "Kec. Z", "RSUD X") that does not
    /// fit the region code wins over the code: a reporter often gives the code of where they
    /// live. A bare name that is also an everyday word counts only as [`common_word`] says.
    pub fn locate(&self, region_code: Option<&str>, texts: &[&str]) -> Location {
        let regions = Regions::get();
        let all = regions.all();
        // Support per kabupaten/kota code and per province code.
        let mut regency_support: HashMap<&str, f32> = HashMap::new();
        let mut province_support: HashMap<&str, f32> = HashMap::new();
        let mut district_of_regency: HashMap<&str, &str> = HashMap::new();
        let mut location = Location::default();
        let code_region = region_code.map(str::trim).and_then(|c| regions.find(c));

        // Every name read: (text, first word, end word, candidates, explicit, everyday word).
        struct Mention<'g> {
            text: usize,
            start: usize,
            end: usize,
            key: String,
            candidates: Vec<&'g Entry>,
            qualified: bool,
            explicit: bool,
            weak: bool,
        }
        let mut mentions: Vec<Mention<'_>> = Vec::new();
        let mut key = String::with_capacity(64);
        for (t, text) in texts.iter().enumerate() {
            let cased = crate::routing::text::cased_words(text);
            let informative = crate::routing::text::capitals_are_informative(&cased);
            let ws: Vec<&str> = cased.iter().map(|(w, _)| w.as_str()).collect();
            let mut i = 0;
            while i < ws.len() {
                // "Kota Padang" is the city even though a kecamatan is called "Kota Padang":
                // a level word followed by a name is read as the qualifier of that name.
                if matches!(before(ws[i]), Before::Level(_)) && i + 1 < ws.len() {
                    let rest = &ws[i + 1..];
                    let names_next = (1..=self.max_words.min(rest.len()))
                        .any(|n| self.names.contains_key(rest[..n].join(" ").as_str()));
                    if names_next {
                        i += 1;
                        continue;
                    }
                }
                let mut matched = 0;
                for n in (1..=self.max_words.min(ws.len() - i)).rev() {
                    key.clear();
                    for (j, w) in ws[i..i + n].iter().enumerate() {
                        if j > 0 {
                            key.push(' ');
                        }
                        key.push_str(w);
                    }
                    let Some(entries) = self.names.get(key.as_str()) else {
                        continue;
                    };
                    matched = n;
                    let prev = if i > 0 {
                        before(ws[i - 1])
                    } else {
                        Before::Nothing
                    };
                    let qualifier = match prev {
                        Before::NotARegion => break,
                        Before::Level(q) => Some(q),
                        Before::Nothing => None,
                    };
                    let written = cased[i].1;
                    let named = informative && written.capitalised && !written.sentence_start;
                    let weak = qualifier.is_none()
                        && match common_word(&key) {
                            None => false,
                            Some(CommonWord::Word) => !named,
                            Some(CommonWord::Generic) => true,
                        };
                    let fits = |e: &Entry| match qualifier {
                        Some(Qualifier::Regency) => e.level == RegionLevel::Regency && !e.is_city,
                        Some(Qualifier::City) => e.level == RegionLevel::Regency && e.is_city,
                        Some(Qualifier::District) => e.level == RegionLevel::District,
                        Some(Qualifier::Province) => e.level == RegionLevel::Province,
                        None => true,
                    };
                    let mut candidates: Vec<&Entry> = entries.iter().filter(|e| fits(e)).collect();
                    if candidates.is_empty() && qualifier.is_some() {
                        // "Kota Garut" said of a regency's town: keep the name, drop the level.
                        candidates = entries.iter().collect();
                    }
                    if candidates.is_empty() {
                        break;
                    }
                    let after_facility = i > 0 && is_facility(ws[i - 1]);
                    mentions.push(Mention {
                        text: t,
                        start: i,
                        end: i + n,
                        key: key.clone(),
                        candidates,
                        qualified: qualifier.is_some(),
                        explicit: qualifier.is_some() || after_facility && !weak,
                        weak,
                    });
                    break;
                }
                i += matched.max(1);
            }
        }

        // An explicit place in the text that does not fit the region code overrides the code.
        let fits_code = |e: &Entry, code: &crate::domain::regions::Region| {
            let region = &all[e.region as usize];
            match (code.regency_code(), region.regency_code()) {
                (Some(c), Some(r)) => c == r,
                (Some(_), None) => region.province_code() == code.province_code(),
                (None, _) => region.province_code() == code.province_code(),
            }
        };
        let mut use_code = code_region.is_some();
        if let Some(code) = code_region {
            let explicit: Vec<&Mention<'_>> = mentions.iter().filter(|m| m.explicit).collect();
            if !explicit.is_empty()
                && !explicit
                    .iter()
                    .any(|m| m.candidates.iter().any(|e| fits_code(e, code)))
            {
                use_code = false;
                location.code_overridden = Some(code.code.clone());
            }
        }
        if let (Some(region), true) = (code_region, use_code) {
            location.from_region_code = true;
            *province_support.entry(region.province_code()).or_default() += 3.0;
            if let Some(regency) = region.regency_code() {
                *regency_support.entry(regency).or_default() += 3.0;
            }
            if region.level == RegionLevel::District {
                district_of_regency.insert(&region.code[..5], region.code.as_str());
            }
        }

        let mut add = |m: &Mention<'_>,
                       candidates: &[&Entry],
                       regency_support: &mut HashMap<&str, f32>,
                       province_support: &mut HashMap<&str, f32>| {
            let weight = if m.qualified {
                1.0
            } else if candidates.iter().all(|e| e.level == RegionLevel::District) {
                0.5
            } else {
                0.8
            };
            let share = weight / candidates.len() as f32;
            location.mentions.push(m.key.clone());
            for e in candidates {
                let region = &all[e.region as usize];
                // Unqualified kab/kota pairs with one name ("Bandung"): the city is what
                // people usually mean.
                let bias = if !m.qualified && e.is_city { 0.01 } else { 0.0 };
                *province_support.entry(region.province_code()).or_default() += share;
                if let Some(regency) = region.regency_code() {
                    *regency_support.entry(regency).or_default() += share + bias;
                    if e.level == RegionLevel::District {
                        district_of_regency
                            .entry(regency)
                            .or_insert(region.code.as_str());
                    }
                }
            }
        };
        for m in mentions.iter().filter(|m| !m.weak) {
            add(
                m,
                &m.candidates,
                &mut regency_support,
                &mut province_support,
            );
        }
        // An everyday word that is a place name counts where its own kabupaten/kota is named
        // (or the code gives it), or its province is named right beside it ("Butuh,
        // Purworejo"; "Alas, NTB").
        let strong: Vec<&Mention<'_>> = mentions.iter().filter(|m| !m.weak).collect();
        for m in mentions.iter().filter(|m| m.weak) {
            let beside = |s: &&&Mention<'_>| {
                s.text == m.text && s.start <= m.end + 3 && m.start <= s.end + 3
            };
            let kept: Vec<&Entry> = m
                .candidates
                .iter()
                .copied()
                .filter(|e| {
                    let region = &all[e.region as usize];
                    let own = region
                        .regency_code()
                        .filter(|_| e.level == RegionLevel::District)
                        .is_some_and(|r| regency_support.get(r).is_some_and(|&v| v >= 0.2));
                    let province_beside = strong.iter().filter(beside).any(|s| {
                        s.candidates.iter().any(|c| {
                            let other = &all[c.region as usize];
                            other.province_code() == region.province_code()
                                && other.level != RegionLevel::District
                        })
                    });
                    own || province_beside
                })
                .collect();
            if !kept.is_empty() {
                add(m, &kept, &mut regency_support, &mut province_support);
            }
        }

        let mut ranked: Vec<(&str, f32)> = regency_support
            .iter()
            .map(|(&r, &s)| {
                (
                    r,
                    s + 0.5 * province_support.get(&r[..2]).copied().unwrap_or(0.0),
                )
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        if let Some(&(best, score)) = ranked.first() {
            let own = regency_support[best];
            if own >= 0.2 && score >= 0.45 {
                location.regency = Some(best.to_string());
                location.province = Some(best[..2].to_string());
                location.district = district_of_regency.get(best).map(|d| d.to_string());
                location.ambiguous = ranked.get(1).is_some_and(|&(_, s)| s > score * 0.8);
            }
        }
        if location.province.is_none() {
            let mut provinces: Vec<(&str, f32)> = province_support.into_iter().collect();
            provinces.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            if let Some(&(best, score)) = provinces.first() {
                if score >= 0.5 {
                    location.province = Some(best.to_string());
                }
            }
        }
        location
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::text::words;

    fn regency(text: &str) -> Option<String> {
        Gazetteer::get().locate(None, &[text]).regency
    }

    #[test]
    fn qualified_names_resolve_to_their_level() {
        assert_eq!(
            regency("jalan rusak di Kab. Garut dekat alun-alun").as_deref(),
            Some("32.05")
        );
        assert_eq!(
            regency("Kota Bandung banjir lagi").as_deref(),
            Some("32.73")
        );
        assert_eq!(
            regency("Kabupaten Bandung banjir lagi").as_deref(),
            Some("32.04")
        );
        assert_eq!(
            regency("Pemkab Klaten harus bertindak").as_deref(),
            Some("33.10")
        );
        assert_eq!(regency("pemkot bekasi lambat").as_deref(), Some("32.75"));
        let loc = Gazetteer::get().locate(None, &["sekolah di kec. siberut selatan gak ada guru"]);
        assert_eq!(loc.regency.as_deref(), Some("13.09"));
        let district = loc.district.unwrap();
        assert_eq!(
            Regions::get().find(&district).unwrap().name,
            "Siberut Selatan"
        );
    }

    #[test]
    fn provinces_by_name_and_abbreviation() {
        let g = Gazetteer::get();
        assert_eq!(
            g.locate(None, &["dinas pendidikan sumbar"])
                .province
                .as_deref(),
            Some("13")
        );
        assert_eq!(
            g.locate(None, &["Pemprov Jabar"]).province.as_deref(),
            Some("32")
        );
        assert_eq!(
            g.locate(None, &["provinsi NTT"]).province.as_deref(),
            Some("53")
        );
        assert_eq!(
            g.locate(None, &["di Jawa Timur"]).province.as_deref(),
            Some("35")
        );
        let only_province = g.locate(None, &["jalan di Jawa Timur"]);
        assert_eq!(only_province.regency, None);
    }

    #[test]
    fn jakarta_cities_and_short_forms() {
        assert_eq!(
            regency("banjir di Jakarta Selatan").as_deref(),
            Some("31.74")
        );
        assert_eq!(regency("parkir liar di jaktim").as_deref(), Some("31.75"));
    }

    #[test]
    fn ambiguous_kecamatan_follows_the_other_mentions() {
        // Several kecamatan are called Sukajaya; only one lies in Kabupaten Bogor.
        let regions = Regions::get();
        let sukajaya: Vec<_> = regions
            .all()
            .iter()
            .filter(|r| r.level == RegionLevel::District && r.name == "Sukajaya")
            .collect();
        assert!(sukajaya.len() > 1);
        let g = Gazetteer::get();
        let with_regency = g.locate(None, &["Kecamatan Sukajaya, Kabupaten Bogor"]);
        assert_eq!(with_regency.regency.as_deref(), Some("32.01"));
        // A kecamatan name shared by many regencies plus the structured code: the code wins.
        let loc = g.locate(Some("35.07"), &["di kecamatan Kepanjen"]);
        assert_eq!(loc.regency.as_deref(), Some("35.07"));
        // A kecamatan name shared by two provinces: the province named beside it decides.
        let mut by_name: HashMap<&str, Vec<&str>> = HashMap::new();
        for r in regions
            .all()
            .iter()
            .filter(|r| r.level == RegionLevel::District)
        {
            by_name.entry(r.name.as_str()).or_default().push(&r.code);
        }
        let (name, codes) = by_name
            .iter()
            .find(|(n, c)| {
                c.len() == 2
                    && c[0][..2] != c[1][..2]
                    && !n.contains(' ')
                    && n.len() > 6
                    && !is_common_word(&fold(n))
            })
            .unwrap();
        let second_province = &regions.find(&codes[1][..2]).unwrap().name;
        let text = format!("puskesmas di kecamatan {name}, {second_province}");
        let loc = g.locate(None, &[&text]);
        assert_eq!(loc.regency.as_deref(), Some(&codes[1][..5]), "{text}");
        let alone = g.locate(None, &[&format!("di kecamatan {name}")]);
        assert!(alone.regency.is_none() || alone.ambiguous, "{alone:?}");
    }

    #[test]
    fn streets_villages_and_common_words_are_not_places() {
        assert_eq!(regency("jalan baru di tengah pasar"), None);
        assert_eq!(regency("rumah saya di Jalan Bandung nomor 3"), None);
        assert_eq!(regency("batu besar menutup jalan"), None);
        let g = Gazetteer::get();
        assert_eq!(
            g.locate(Some("99.99"), &["tidak ada tempat"]),
            Location::default()
        );
    }

    #[test]
    fn routing_everyday_words_count_only_qualified_named_or_beside_their_region() {
        // Lowercase everyday words, and "Ibu" even capitalised: no place.
        assert_eq!(regency("warga butuh obat"), None);
        assert_eq!(regency("Ibu-ibu di kampung kami mengeluh"), None);
        assert_eq!(regency("Kepada Yth Bapak/Ibu petugas, jalan rusak"), None);
        assert_eq!(regency("alas kaki anak basah kena banjir"), None);
        // A capital mid-sentence makes a name; not at a sentence start, not in Title Case.
        assert_eq!(
            regency("jalan rusak parah di Butuh sejak lama").as_deref(),
            Some("33.06")
        );
        assert_eq!(regency("Butuh obat segera untuk warga"), None);
        assert_eq!(regency("Warga Butuh Obat Di Puskesmas"), None);
        // Qualified, or beside its province, or with its kabupaten named.
        assert_eq!(regency("di Kec. Alas banjir").as_deref(), Some("52.04"));
        assert_eq!(regency("kecamatan butuh").as_deref(), Some("33.06"));
        assert_eq!(regency("di alas, NTB banjir").as_deref(), Some("52.04"));
        let loc = Gazetteer::get().locate(None, &["warga kembang, kabupaten jepara"]);
        assert_eq!(loc.regency.as_deref(), Some("33.20"));
        assert_eq!(loc.district.as_deref(), Some("33.20.14"));
        // A person's name after an honorific is no place.
        assert_eq!(regency("petugasnya Bu Subur dan Pak Jati tidak ada"), None);
    }

    #[test]
    fn every_common_place_word_is_a_place_name() {
        let g = Gazetteer::get();
        for name in common_words().keys() {
            assert!(g.names.contains_key(name), "{name} is no place name");
        }
        assert_eq!(common_word("butuh"), Some(CommonWord::Word));
        assert_eq!(common_word("ibu"), Some(CommonWord::Generic));
        assert_eq!(common_word("garut"), None);
    }

    #[test]
    fn an_explicit_place_overrides_a_region_code_that_does_not_fit() {
        let g = Gazetteer::get();
        let other = g.locate(Some("32.73"), &["sampah di Kab. Garut"]);
        assert_eq!(other.regency.as_deref(), Some("32.05"));
        assert_eq!(other.code_overridden.as_deref(), Some("32.73"));
        assert!(!other.from_region_code);
        let fits = g.locate(Some("32.73.01"), &["di Kota Bandung"]);
        assert_eq!(fits.regency.as_deref(), Some("32.73"));
        assert!(fits.from_region_code && fits.code_overridden.is_none());
        let province = g.locate(Some("32"), &["SMP di Kota Bandung"]);
        assert_eq!(province.regency.as_deref(), Some("32.73"));
        let facility = g.locate(
            Some("32.73"),
            &["dokter Puskesmas Siberut Selatan jarang datang"],
        );
        assert_eq!(facility.regency.as_deref(), Some("13.09"), "{facility:?}");
        // A kecamatan called "Kota Padang" lies in Rejang Lebong; "Kota Padang" is the city.
        assert_eq!(
            regency("aia indak iduik, Kota Padang").as_deref(),
            Some("13.71")
        );
        let bare = g.locate(Some("32.73"), &["oleh-oleh dodol garut"]);
        assert_eq!(bare.regency.as_deref(), Some("32.73"));
    }

    #[test]
    fn place_names_are_stripped_for_the_text_model() {
        let g = Gazetteer::get();
        let stripped = g.strip_places(words(
            "listrik padam di Kecamatan Siberut Selatan, Kab. Kepulauan Mentawai jalan Bandung",
        ));
        assert_eq!(stripped, vec!["listrik", "padam", "di", "jalan", "bandung"]);
    }

    #[test]
    fn structured_code_is_used() {
        let loc = Gazetteer::get().locate(Some("32.05.01"), &["sekolah rusak"]);
        assert_eq!(loc.regency.as_deref(), Some("32.05"));
        assert_eq!(loc.province.as_deref(), Some("32"));
        assert_eq!(loc.district.as_deref(), Some("32.05.01"));
        assert!(loc.from_region_code);
        let province_only = Gazetteer::get().locate(Some("13"), &["sekolah rusak"]);
        assert_eq!(province_only.province.as_deref(), Some("13"));
        assert_eq!(province_only.regency, None);
    }
}
