//! The national agency directory: 140 central institutions and the 552 regional governments.
//!
//! Central institutions come from `shared/data/central-agencies.csv`; regional governments are
//! derived from the Kemendagri area data (idn-area-data 4.0.1, ODbL): one per province and per
//! kabupaten/kota, id `pemda-<code>`, with the province as parent.

use crate::domain::regions::{RegionLevel, Regions};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

const CENTRAL_AGENCIES_CSV: &str = include_str!("../../data/central-agencies.csv");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agency {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acronym: Option<String>,
    /// `ministry`, `agency`, `directorate`, `soe`, `province`, `regency`, `city`, ...
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

pub struct Directory {
    agencies: Vec<Agency>,
    by_id: HashMap<String, usize>,
}

impl Directory {
    /// The directory compiled into the binary.
    pub fn builtin() -> &'static Directory {
        static DIRECTORY: OnceLock<Directory> = OnceLock::new();
        DIRECTORY.get_or_init(|| Directory::from_agencies(builtin_agencies()))
    }

    pub fn from_agencies(agencies: Vec<Agency>) -> Directory {
        let by_id = agencies
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        Directory { agencies, by_id }
    }

    pub fn get(&self, id: &str) -> Option<&Agency> {
        self.by_id.get(id).map(|&i| &self.agencies[i])
    }

    pub fn all(&self) -> &[Agency] {
        &self.agencies
    }
}

/// The regional government's id for a Kemendagri province or kabupaten/kota code.
pub fn pemda_id(code: &str) -> String {
    format!("pemda-{code}")
}

fn builtin_agencies() -> Vec<Agency> {
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
            aliases: Vec::new(),
        });
    }
    let regions = Regions::get();
    for region in regions.all() {
        let (kind, name, parent_id) = match region.level {
            RegionLevel::Province => (
                "province",
                format!("Pemerintah Provinsi {}", region.name),
                None,
            ),
            RegionLevel::Regency => {
                let kind = if region.name.starts_with("Kota ") {
                    "city"
                } else {
                    "regency"
                };
                (
                    kind,
                    format!("Pemerintah {}", region.name),
                    Some(pemda_id(region.province_code())),
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
            aliases: Vec::new(),
        });
    }
    agencies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_institution_is_there() {
        let d = Directory::builtin();
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
}
