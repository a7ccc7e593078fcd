//! The national agency directory: 140 central institutions and the 552 regional governments,
//! with their aliases, and room for work units (unit kerja) below any of them.
//!
//! Central institutions come from `shared/data/central-agencies.csv`; regional governments are
//! derived from the Kemendagri area data (idn-area-data 4.0.1, ODbL): one per province and per
//! kabupaten/kota, id `pemda-<code>`, with the province as parent. Aliases (former names such as
//! Kominfo, abbreviations, English names) come from `shared/data/routing/aliases.csv`; regional
//! governments get "Pemprov X" / "Pemkab X" / "Pemkot X" and province abbreviations from
//! `shared/data/routing/place-aliases.csv`.
#![allow(clippy::disallowed_methods)] // the one module that builds the compiled-in directory

use crate::domain::regions::{RegionLevel, Regions};
use crate::routing::text::fold;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub mod live;
pub use live::LiveDirectory;

/// The compiled-in directory's version: a hash of its data and of this file, made by the build
/// script. The agencies table records the version it was published as
/// ([`crate::ports::AgencyStore::directory_version`]).
pub const BUILTIN_VERSION: &str = include_str!(concat!(env!("OUT_DIR"), "/directory_version.txt"));

const CENTRAL_AGENCIES_CSV: &str = include_str!("../../data/central-agencies.csv");
const ALIASES_CSV: &str = include_str!("../../data/routing/aliases.csv");
pub(crate) const PLACE_ALIASES_CSV: &str = include_str!("../../data/routing/place-aliases.csv");

/// The kind of a work unit (unit kerja): an office below an institution, e.g. a Dinas of a
/// regional government or a regional office of a ministry.
pub const WORK_UNIT_KIND: &str = "work_unit";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agency {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acronym: Option<String>,
    /// `ministry`, `agency`, `directorate`, `soe`, `province`, `regency`, `city`, `work_unit`...
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DirectoryError {
    #[error("agency id {0} is already in the directory")]
    DuplicateId(String),
    #[error("parent {parent} of {id} is not in the directory")]
    UnknownParent { id: String, parent: String },
    #[error("work unit {0} has no parent")]
    WorkUnitWithoutParent(String),
}

/// How a search key relates to its agency; the order is the ranking for equally good matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KeyKind {
    Acronym,
    Alias,
    Id,
    Name,
}

struct SearchKey {
    folded: String,
    kind: KeyKind,
}

pub struct Directory {
    /// What it was built from: [`BUILTIN_VERSION`], or the version the table was published as.
    version: String,
    agencies: Vec<Agency>,
    by_id: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    keys: Vec<Vec<SearchKey>>,
}

impl Directory {
    /// The directory compiled into the binary, built once. Processes do not reach for it: they
    /// are given their directory (`App::directory`, a [`LiveDirectory`] that starts from this one
    /// or from the table), so an institution added to the table is known everywhere alike.
    /// Clippy refuses calls outside `directory/` and tests (`clippy.toml`).
    pub fn builtin() -> Arc<Directory> {
        static DIRECTORY: OnceLock<Arc<Directory>> = OnceLock::new();
        DIRECTORY
            .get_or_init(|| {
                Arc::new(Directory::from_agencies(builtin_agencies()).versioned(BUILTIN_VERSION))
            })
            .clone()
    }

    /// Builds a directory from a list (e.g. [`builtin_agencies`] plus work units). Later
    /// duplicates of an id are ignored; use [`Directory::add`] for validated additions.
    pub fn from_agencies(agencies: Vec<Agency>) -> Directory {
        let mut directory = Directory {
            version: String::from("unpublished"),
            agencies: Vec::with_capacity(agencies.len()),
            by_id: HashMap::with_capacity(agencies.len()),
            children: HashMap::new(),
            keys: Vec::with_capacity(agencies.len()),
        };
        for agency in agencies {
            if !directory.by_id.contains_key(&agency.id) {
                directory.insert(agency);
            }
        }
        directory
    }

    /// Adds an institution or a work unit. A work unit must name a parent already present.
    pub fn add(&mut self, agency: Agency) -> Result<(), DirectoryError> {
        if self.by_id.contains_key(&agency.id) {
            return Err(DirectoryError::DuplicateId(agency.id));
        }
        match &agency.parent_id {
            Some(parent) if !self.by_id.contains_key(parent) => {
                return Err(DirectoryError::UnknownParent {
                    id: agency.id.clone(),
                    parent: parent.clone(),
                })
            }
            None if agency.kind == WORK_UNIT_KIND => {
                return Err(DirectoryError::WorkUnitWithoutParent(agency.id))
            }
            _ => {}
        }
        self.insert(agency);
        Ok(())
    }

    fn insert(&mut self, agency: Agency) {
        let index = self.agencies.len();
        self.by_id.insert(agency.id.clone(), index);
        if let Some(parent) = &agency.parent_id {
            self.children.entry(parent.clone()).or_default().push(index);
        }
        self.keys.push(search_keys(&agency));
        self.agencies.push(agency);
    }

    /// The same directory, known by `version`.
    pub fn versioned(mut self, version: &str) -> Directory {
        self.version = version.to_string();
        self
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The version of the compiled-in directory with `additions` published beside it (what
    /// `lapor-local seed --extra` writes): the same additions always make the same version.
    pub fn version_with(additions: &[Agency]) -> String {
        if additions.is_empty() {
            return BUILTIN_VERSION.to_string();
        }
        let mut sorted: Vec<&Agency> = additions.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        let json = serde_json::to_vec(&sorted).expect("agencies serialise");
        let hash = crate::crypto::sha256_hex(&json);
        format!("{BUILTIN_VERSION}+{}", &hash[..16])
    }

    pub fn get(&self, id: &str) -> Option<&Agency> {
        self.by_id.get(id).map(|&i| &self.agencies[i])
    }

    pub fn all(&self) -> &[Agency] {
        &self.agencies
    }

    /// The direct children of an institution: a ministry's directorates, a province's
    /// kabupaten/kota, an institution's work units.
    pub fn children(&self, id: &str) -> Vec<&Agency> {
        self.children
            .get(id)
            .map(|ix| ix.iter().map(|&i| &self.agencies[i]).collect())
            .unwrap_or_default()
    }

    /// Searches names, acronyms, aliases and ids, case- and diacritic-insensitively. Ranking:
    /// exact acronym, alias, id, then name; then a prefix of one of those; then every query
    /// word found as a word prefix in one key. Returns one page and the total number of hits.
    pub fn search(&self, query: &str, limit: usize, offset: usize) -> (Vec<&Agency>, usize) {
        let q = fold(query);
        if q.is_empty() {
            return (Vec::new(), 0);
        }
        let q_words: Vec<&str> = q.split(' ').collect();
        let mut hits: Vec<(u32, usize)> = Vec::new();
        for (i, keys) in self.keys.iter().enumerate() {
            let best = keys
                .iter()
                .filter_map(|key| match_score(&q, &q_words, key))
                .max();
            if let Some(score) = best {
                hits.push((score, i));
            }
        }
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| {
                    self.agencies[a.1]
                        .name
                        .len()
                        .cmp(&self.agencies[b.1].name.len())
                })
                .then_with(|| a.1.cmp(&b.1))
        });
        let total = hits.len();
        let page = hits
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, i)| &self.agencies[i])
            .collect();
        (page, total)
    }
}

/// Higher is better; none when the key does not match.
fn match_score(q: &str, q_words: &[&str], key: &SearchKey) -> Option<u32> {
    let kind_bonus = 3 - key.kind as u32;
    if key.folded == q {
        return Some(1000 + kind_bonus * 10);
    }
    if key.folded.starts_with(q) && key.folded.as_bytes().get(q.len()) == Some(&b' ') {
        return Some(700 + kind_bonus * 10);
    }
    if key.folded.starts_with(q) {
        return Some(600 + kind_bonus * 10);
    }
    let key_words: Vec<&str> = key.folded.split(' ').collect();
    let mut exact = 0;
    for w in q_words {
        if key_words.contains(w) {
            exact += 1;
        } else if !key_words.iter().any(|k| k.starts_with(w)) {
            return None;
        }
    }
    Some(300 + exact * 20 + kind_bonus)
}

fn search_keys(agency: &Agency) -> Vec<SearchKey> {
    let mut keys = vec![
        SearchKey {
            folded: fold(&agency.name),
            kind: KeyKind::Name,
        },
        SearchKey {
            folded: fold(&agency.id.replace('-', " ")),
            kind: KeyKind::Id,
        },
    ];
    if let Some(acronym) = &agency.acronym {
        keys.push(SearchKey {
            folded: fold(acronym),
            kind: KeyKind::Acronym,
        });
    }
    for alias in &agency.aliases {
        keys.push(SearchKey {
            folded: fold(alias),
            kind: KeyKind::Alias,
        });
    }
    keys
}

/// Institutions and work units to publish beside the compiled-in directory, from a CSV with the
/// header `id,name,acronym,kind,parent_id,region_code,scope,aliases` (`aliases` separated by
/// `;`; empty cells for what an agency lacks). Ids are lowercase letters, digits, `-` and `.`;
/// every row needs a name and a kind. Errors name the row.
pub fn read_additions_csv(text: &str) -> Result<Vec<Agency>, String> {
    const HEADER: [&str; 8] = [
        "id",
        "name",
        "acronym",
        "kind",
        "parent_id",
        "region_code",
        "scope",
        "aliases",
    ];
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| format!("header: {e}"))?;
    if header.iter().map(str::trim).ne(HEADER) {
        return Err(format!("the header must be {}", HEADER.join(",")));
    }
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| format!("row {line}: {e}"))?;
        let cell = |i: usize| row.get(i).map(str::trim).unwrap_or_default().to_string();
        let opt = |i: usize| Some(cell(i)).filter(|s| !s.is_empty());
        let id = cell(0);
        let id_ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !id_ok {
            return Err(format!(
                "row {line}: id {id:?} must be lowercase letters, digits, - and ."
            ));
        }
        if cell(1).is_empty() || cell(3).is_empty() {
            return Err(format!("row {line}: {id} needs a name and a kind"));
        }
        out.push(Agency {
            id,
            name: cell(1),
            acronym: opt(2),
            kind: cell(3),
            parent_id: opt(4),
            region_code: opt(5),
            scope: opt(6),
            aliases: cell(7)
                .split(';')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        });
    }
    Ok(out)
}

/// The regional government's id for a Kemendagri province or kabupaten/kota code.
pub fn pemda_id(code: &str) -> String {
    format!("pemda-{code}")
}

/// The Kemendagri code of a regional government's id (`pemda-32.73` -> `32.73`).
pub fn pemda_code(id: &str) -> Option<&str> {
    id.strip_prefix("pemda-")
}

/// The compiled-in agencies: central institutions with their aliases, then the provinces and
/// kabupaten/kota.
pub fn builtin_agencies() -> Vec<Agency> {
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    let mut reader = csv::Reader::from_reader(ALIASES_CSV.as_bytes());
    for row in reader.records() {
        let row = row.expect("compiled-in alias data is valid CSV");
        aliases
            .entry(row[0].to_string())
            .or_default()
            .push(row[1].to_string());
    }
    let mut place_aliases: HashMap<String, Vec<String>> = HashMap::new();
    let mut reader = csv::Reader::from_reader(PLACE_ALIASES_CSV.as_bytes());
    for row in reader.records() {
        let row = row.expect("compiled-in place alias data is valid CSV");
        place_aliases
            .entry(row[0].to_string())
            .or_default()
            .push(row[1].to_string());
    }

    let mut agencies = Vec::with_capacity(700);
    let mut reader = csv::Reader::from_reader(CENTRAL_AGENCIES_CSV.as_bytes());
    for row in reader.records() {
        let row = row.expect("compiled-in agency data is valid CSV");
        let opt = |i: usize| Some(row[i].trim().to_string()).filter(|s| !s.is_empty());
        agencies.push(Agency {
            id: row[0].to_string(),
            name: row[1].to_string(),
            acronym: opt(2),
            kind: row[3].to_string(),
            parent_id: opt(4),
            scope: opt(5),
            region_code: None,
            aliases: aliases.remove(&row[0]).unwrap_or_default(),
        });
    }
    let regions = Regions::get();
    for region in regions.all() {
        let short_names = place_aliases.get(&region.code).cloned().unwrap_or_default();
        let (kind, name, parent_id, aliases) = match region.level {
            RegionLevel::Province => {
                let mut aliases = vec![
                    format!("Pemprov {}", region.name),
                    format!("Provinsi {}", region.name),
                ];
                for short in &short_names {
                    aliases.push(format!("Pemprov {short}"));
                    aliases.push(short.clone());
                }
                (
                    "province",
                    format!("Pemerintah Provinsi {}", region.name),
                    None,
                    aliases,
                )
            }
            RegionLevel::Regency => {
                let (kind, bare, short) = match region.name.strip_prefix("Kota ") {
                    Some(bare) => ("city", bare, "Pemkot"),
                    None => (
                        "regency",
                        region
                            .name
                            .strip_prefix("Kabupaten ")
                            .unwrap_or(&region.name),
                        "Pemkab",
                    ),
                };
                let bare = bare.strip_prefix("Administrasi ").unwrap_or(bare);
                let mut aliases = vec![format!("{short} {bare}"), region.name.clone()];
                aliases.extend(short_names);
                (
                    kind,
                    format!("Pemerintah {}", region.name),
                    Some(pemda_id(region.province_code())),
                    aliases,
                )
            }
            RegionLevel::District => continue,
        };
        agencies.push(Agency {
            id: pemda_id(&region.code),
            name,
            acronym: None,
            kind: kind.to_string(),
            parent_id,
            scope: None,
            region_code: Some(region.code.clone()),
            aliases,
        });
    }
    agencies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_institution_is_there() {
        let d = &*Directory::builtin();
        assert_eq!(d.all().len(), 140 + 38 + 514);
        assert_eq!(
            d.get("pemda-32.73").unwrap().name,
            "Pemerintah Kota Bandung"
        );
        assert_eq!(
            d.get("pemda-32.73").unwrap().parent_id.as_deref(),
            Some("pemda-32")
        );
        assert_eq!(d.get("pln").unwrap().kind, "soe");
        assert!(d.get("pemda-32.73.01").is_none());
    }

    #[test]
    fn every_alias_names_a_known_agency() {
        let d = &*Directory::builtin();
        let mut reader = csv::Reader::from_reader(ALIASES_CSV.as_bytes());
        for row in reader.records() {
            let row = row.unwrap();
            assert!(d.get(&row[0]).is_some(), "unknown agency {}", &row[0]);
        }
        let regions = Regions::get();
        let mut reader = csv::Reader::from_reader(PLACE_ALIASES_CSV.as_bytes());
        for row in reader.records() {
            let row = row.unwrap();
            assert!(
                regions.find(&row[0]).is_some(),
                "unknown region {}",
                &row[0]
            );
        }
    }

    fn ids<'a>(hits: &[&'a Agency]) -> Vec<&'a str> {
        hits.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn former_names_find_the_successors() {
        let d = &*Directory::builtin();
        let (hits, total) = d.search("kominfo", 5, 0);
        assert_eq!(ids(&hits)[0], "komdigi");
        assert_eq!(total, 1);
        let (hits, _) = d.search("Kemenkumham", 10, 0);
        let found = ids(&hits);
        for id in ["kemenkum", "kemenham", "kemenimipas"] {
            assert!(found.contains(&id), "{id} in {found:?}");
        }
        let (hits, _) = d.search("PUPR", 10, 0);
        assert!(ids(&hits).contains(&"kemenpu") && ids(&hits).contains(&"kemenpkp"));
        assert_eq!(ids(&d.search("bp2mi", 3, 0).0), vec!["kp2mi"]);
        assert_eq!(ids(&d.search("BKKBN", 3, 0).0), vec!["kemendukbangga"]);
        assert_eq!(ids(&d.search("bpn", 3, 0).0)[0], "atr-bpn");
        assert!(ids(&d.search("KLHK", 5, 0).0).contains(&"kemenhut"));
        assert!(ids(&d.search("Kemendikbud", 5, 0).0).contains(&"kemendikdasmen"));
        assert_eq!(ids(&d.search("Ministry of Health", 3, 0).0)[0], "kemenkes");
    }

    #[test]
    fn exact_acronym_ranks_before_name_matches() {
        let d = &*Directory::builtin();
        let (hits, total) = d.search("pln", 10, 0);
        assert_eq!(hits[0].id, "pln");
        assert!(total >= 1);
        // "bpjs" is a prefix of both BPJS acronyms.
        let (hits, _) = d.search("BPJS", 10, 0);
        let found = ids(&hits);
        assert!(
            found[..2].contains(&"bpjs-kesehatan") && found[..2].contains(&"bpjs-ketenagakerjaan")
        );
    }

    #[test]
    fn regional_governments_are_found_by_short_names() {
        let d = &*Directory::builtin();
        assert_eq!(ids(&d.search("Pemkab Garut", 3, 0).0)[0], "pemda-32.05");
        assert_eq!(ids(&d.search("pemkot bandung", 3, 0).0)[0], "pemda-32.73");
        assert_eq!(ids(&d.search("Pemprov Jabar", 3, 0).0)[0], "pemda-32");
        assert_eq!(
            ids(&d.search("pemprov sumatera barat", 3, 0).0)[0],
            "pemda-13"
        );
        assert_eq!(ids(&d.search("Pemprov DKI", 3, 0).0)[0], "pemda-31");
    }

    #[test]
    fn search_pages_and_matches_word_prefixes() {
        let d = &*Directory::builtin();
        let (all, total) = d.search("kementerian", 1000, 0);
        assert_eq!(all.len(), total);
        assert!(total > 40);
        let (page, same_total) = d.search("kementerian", 10, 10);
        assert_eq!(same_total, total);
        assert_eq!(ids(&page), ids(&all[10..20]));
        // Token prefixes, diacritics and case ignored.
        assert_eq!(ids(&d.search("KEMENT kesé", 3, 0).0)[0], "kemenkes");
        assert_eq!(d.search("zzzz", 10, 0).1, 0);
    }

    #[test]
    fn work_units_hang_below_their_parent() {
        let mut d = Directory::from_agencies(builtin_agencies());
        let unit = Agency {
            id: "pemda-32.73-dinas-pendidikan".into(),
            name: "Dinas Pendidikan Kota Bandung".into(),
            acronym: Some("Disdik Kota Bandung".into()),
            kind: WORK_UNIT_KIND.into(),
            parent_id: Some("pemda-32.73".into()),
            scope: Some("SD and SMP".into()),
            region_code: Some("32.73".into()),
            aliases: vec![],
        };
        d.add(unit.clone()).unwrap();
        assert_eq!(
            d.add(unit.clone()),
            Err(DirectoryError::DuplicateId(unit.id.clone()))
        );
        let orphan = Agency {
            id: "x".into(),
            parent_id: None,
            ..unit.clone()
        };
        assert!(matches!(
            d.add(orphan),
            Err(DirectoryError::WorkUnitWithoutParent(_))
        ));
        let children = d.children("pemda-32.73");
        assert_eq!(ids(&children), vec!["pemda-32.73-dinas-pendidikan"]);
        assert_eq!(d.children("pemda-32").len(), 27);
        assert!(ids(&d.children("kemenkeu")).contains(&"djp"));
        assert_eq!(ids(&d.search("disdik kota bandung", 3, 0).0)[0], unit.id);
    }
}
