//! Indonesia's administrative areas (Kemendagri codes), compiled into the binary.
//!
//! Data: npm `idn-area-data` 4.0.1, ODbL (see `shared/data/idn-area/SOURCE.md`). Parsed once, on
//! first use, into a code-indexed table: about 7,800 rows, well under a millisecond of cold start.

use std::collections::HashMap;
use std::sync::OnceLock;

const PROVINCES_CSV: &str = include_str!("../../data/idn-area/provinces.csv");
const REGENCIES_CSV: &str = include_str!("../../data/idn-area/regencies.csv");
const DISTRICTS_CSV: &str = include_str!("../../data/idn-area/districts.csv");

/// The three levels of a Kemendagri code: `32`, `32.73`, `32.73.01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    /// Kabupaten (regency) or kota (city).
    Regency,
    /// Kecamatan.
    District,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    /// The province of a regency, the regency of a district; none for a province.
    pub parent_code: Option<String>,
}

impl Region {
    /// The province code this region lies in (itself for a province).
    pub fn province_code(&self) -> &str {
        &self.code[..2]
    }

    /// The kabupaten/kota code this region lies in; none for a province.
    pub fn regency_code(&self) -> Option<&str> {
        match self.level {
            RegionLevel::Province => None,
            _ => Some(&self.code[..5]),
        }
    }
}

pub struct Regions {
    by_code: HashMap<String, usize>,
    all: Vec<Region>,
}

impl Regions {
    /// The compiled-in table.
    pub fn get() -> &'static Regions {
        static REGIONS: OnceLock<Regions> = OnceLock::new();
        REGIONS.get_or_init(Regions::load)
    }

    fn load() -> Regions {
        let mut all = Vec::with_capacity(7_900);
        for (csv_text, level) in [
            (PROVINCES_CSV, RegionLevel::Province),
            (REGENCIES_CSV, RegionLevel::Regency),
            (DISTRICTS_CSV, RegionLevel::District),
        ] {
            let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
            for row in reader.records() {
                let row = row.expect("compiled-in area data is valid CSV");
                let (parent_code, name) = match level {
                    RegionLevel::Province => (None, &row[1]),
                    _ => (Some(row[1].to_string()), &row[2]),
                };
                all.push(Region {
                    code: row[0].to_string(),
                    name: name.trim().to_string(),
                    level,
                    parent_code,
                });
            }
        }
        let by_code = all
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.clone(), i))
            .collect();
        Regions { by_code, all }
    }

    pub fn find(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code).map(|&i| &self.all[i])
    }

    pub fn all(&self) -> &[Region] {
        &self.all
    }

    pub fn provinces(&self) -> impl Iterator<Item = &Region> {
        self.all.iter().filter(|r| r.level == RegionLevel::Province)
    }

    pub fn regencies(&self) -> impl Iterator<Item = &Region> {
        self.all.iter().filter(|r| r.level == RegionLevel::Regency)
    }

    /// The autonomous regional government (`pemda-<code>`) responsible for local matters at
    /// `code`: the kabupaten/kota, or the province for a province code. DKI Jakarta's cities and
    /// regency are administrative, not autonomous, so their local matters go to the province.
    pub fn local_government_code<'a>(&self, region: &'a Region) -> &'a str {
        if region.province_code() == "31" {
            return region.province_code();
        }
        region.regency_code().unwrap_or(region.province_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_published_data() {
        let r = Regions::get();
        assert_eq!(r.provinces().count(), 38);
        assert_eq!(r.regencies().count(), 514);
        assert_eq!(
            r.all()
                .iter()
                .filter(|x| x.level == RegionLevel::District)
                .count(),
            7_285
        );
    }

    #[test]
    fn levels_and_parents() {
        let r = Regions::get();
        let bandung = r.find("32.73").unwrap();
        assert_eq!(bandung.name, "Kota Bandung");
        assert_eq!(bandung.level, RegionLevel::Regency);
        assert_eq!(bandung.province_code(), "32");
        let district = r.find("32.73.01").unwrap();
        assert_eq!(district.regency_code(), Some("32.73"));
        assert_eq!(r.local_government_code(district), "32.73");
        assert!(r.find("99.99").is_none());
        assert_eq!(r.find("35.29.22").unwrap().name, "Ra\"as");
    }

    #[test]
    fn jakarta_cities_are_administrative() {
        let r = Regions::get();
        let east = r.find("31.75").unwrap();
        assert_eq!(r.local_government_code(east), "31");
    }
}
