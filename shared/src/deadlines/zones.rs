//! Indonesia's three time zones and which one an institution keeps.
//!
//! WIB (UTC+7), WITA (UTC+8) and WIT (UTC+9); none observes daylight saving time, so each is a
//! fixed offset. A deadline is a moment in the handling institution's local time: the zone
//! follows the province of the institution's region; central institutions (no region) keep
//! Jakarta time, WIB.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};

/// The months as Indonesian writes them in dates (`8 Desember 2025`).
pub const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// One of Indonesia's time zones. Named after the official abbreviations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeZone {
    /// Waktu Indonesia Barat, UTC+7: Sumatra, Java, West and Central Kalimantan.
    Wib,
    /// Waktu Indonesia Tengah, UTC+8: Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi.
    Wita,
    /// Waktu Indonesia Timur, UTC+9: Maluku, North Maluku and the Papua provinces.
    Wit,
}

impl TimeZone {
    pub const ALL: [TimeZone; 3] = [TimeZone::Wib, TimeZone::Wita, TimeZone::Wit];

    /// The zone of central institutions (ministries, national agencies): Jakarta's.
    pub const CENTRAL: TimeZone = TimeZone::Wib;

    pub fn utc_offset_hours(self) -> i32 {
        match self {
            TimeZone::Wib => 7,
            TimeZone::Wita => 8,
            TimeZone::Wit => 9,
        }
    }

    pub fn offset(self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_hours() * 3600).expect("offset within a day")
    }

    /// `WIB`, `WITA` or `WIT`, as printed after a local time.
    pub fn abbreviation(self) -> &'static str {
        match self {
            TimeZone::Wib => "WIB",
            TimeZone::Wita => "WITA",
            TimeZone::Wit => "WIT",
        }
    }

    /// The IANA zone of the zone's main city (all three have kept a fixed offset since 1964).
    pub fn iana_name(self) -> &'static str {
        match self {
            TimeZone::Wib => "Asia/Jakarta",
            TimeZone::Wita => "Asia/Makassar",
            TimeZone::Wit => "Asia/Jayapura",
        }
    }

    /// Reads `wib`, `wita` or `wit` in any case.
    pub fn parse(s: &str) -> Option<TimeZone> {
        match s.trim().to_ascii_lowercase().as_str() {
            "wib" => Some(TimeZone::Wib),
            "wita" => Some(TimeZone::Wita),
            "wit" => Some(TimeZone::Wit),
            _ => None,
        }
    }

    /// `at` as a local time in this zone.
    pub fn local(self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.offset())
    }

    /// The local calendar date at the moment `at`.
    pub fn local_date(self, at: DateTime<Utc>) -> NaiveDate {
        self.local(at).date_naive()
    }

    /// The last millisecond (23:59:59.999 local) of `date` in this zone, as a UTC instant.
    pub fn end_of_day(self, date: NaiveDate) -> DateTime<Utc> {
        let last = NaiveTime::from_hms_milli_opt(23, 59, 59, 999).expect("valid time");
        self.offset()
            .from_local_datetime(&date.and_time(last))
            .single()
            .expect("a fixed offset maps every local time to one instant")
            .with_timezone(&Utc)
    }
}

impl std::fmt::Display for TimeZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.abbreviation())
    }
}

/// The zone of a region, from the province part (the first two digits) of its Kemendagri code:
/// `32`, `32.73` and `32.73.01` all give WIB. `None` for a code whose province is not known.
///
/// - WIB: Sumatra (11-19), Riau Islands (21), Java (31-36), West and Central Kalimantan (61, 62).
/// - WITA: Bali, NTB, NTT (51-53), South, East and North Kalimantan (63-65), Sulawesi (71-76).
/// - WIT: Maluku (81), North Maluku (82), the Papua provinces (91-97; 91-96 exist as of 2024).
pub fn zone_for_region(code: &str) -> Option<TimeZone> {
    let province = code.trim().get(..2)?;
    if !province.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = &code.trim()[2..];
    if !(rest.is_empty() || rest.starts_with('.')) {
        return None;
    }
    let n: u8 = province.parse().ok()?;
    match n {
        11..=19 | 21 | 31..=36 | 61 | 62 => Some(TimeZone::Wib),
        51..=53 | 63..=65 | 71..=76 => Some(TimeZone::Wita),
        81 | 82 | 91..=97 => Some(TimeZone::Wit),
        _ => None,
    }
}

/// The zone of an institution: its region's zone, or WIB (Jakarta) for a central institution
/// without a region. `None` when the region code is not a known province's.
pub fn zone_for_institution(region_code: Option<&str>) -> Option<TimeZone> {
    match region_code {
        None => Some(TimeZone::CENTRAL),
        Some(code) => zone_for_region(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::regions::Regions;
    use chrono::{Datelike, Timelike};

    #[test]
    fn every_region_in_the_compiled_in_table_has_a_zone() {
        let regions = Regions::get();
        let mut provinces = 0;
        for region in regions.all() {
            assert!(
                zone_for_region(&region.code).is_some(),
                "{} {} has no time zone",
                region.code,
                region.name
            );
            if region.parent_code.is_none() {
                provinces += 1;
            }
        }
        assert_eq!(provinces, 38, "all 38 provinces checked");
    }

    #[test]
    fn provinces_fall_in_the_right_zone() {
        let cases = [
            ("11", TimeZone::Wib),    // Aceh
            ("21", TimeZone::Wib),    // Kepulauan Riau
            ("31", TimeZone::Wib),    // DKI Jakarta
            ("36", TimeZone::Wib),    // Banten
            ("61", TimeZone::Wib),    // Kalimantan Barat
            ("62", TimeZone::Wib),    // Kalimantan Tengah
            ("51", TimeZone::Wita),   // Bali
            ("53", TimeZone::Wita),   // NTT
            ("63", TimeZone::Wita),   // Kalimantan Selatan
            ("65", TimeZone::Wita),   // Kalimantan Utara
            ("73", TimeZone::Wita),   // Sulawesi Selatan
            ("76", TimeZone::Wita),   // Sulawesi Barat
            ("81", TimeZone::Wit),    // Maluku
            ("82", TimeZone::Wit),    // Maluku Utara
            ("91", TimeZone::Wit),    // Papua
            ("96", TimeZone::Wit),    // Papua Barat Daya
            ("32.73", TimeZone::Wib), // Kota Bandung
            ("73.71.01", TimeZone::Wita),
            ("94.01", TimeZone::Wit),
        ];
        for (code, zone) in cases {
            assert_eq!(zone_for_region(code), Some(zone), "{code}");
        }
    }

    #[test]
    fn unknown_or_malformed_codes_have_no_zone() {
        for code in [
            "", "1", "10", "20", "37", "99", "3x", "xx.01", "321", "32-73",
        ] {
            assert_eq!(zone_for_region(code), None, "{code:?}");
        }
    }

    #[test]
    fn central_institutions_keep_jakarta_time() {
        assert_eq!(zone_for_institution(None), Some(TimeZone::Wib));
        assert_eq!(zone_for_institution(Some("91.71")), Some(TimeZone::Wit));
        assert_eq!(zone_for_institution(Some("00")), None);
    }

    #[test]
    fn end_of_day_is_the_last_local_millisecond() {
        let date = NaiveDate::from_ymd_opt(2026, 1, 7).unwrap();
        for zone in TimeZone::ALL {
            let end = zone.end_of_day(date);
            let local = zone.local(end);
            assert_eq!(local.date_naive(), date);
            assert_eq!((local.hour(), local.minute(), local.second()), (23, 59, 59));
            assert_eq!(local.nanosecond(), 999_000_000);
            let next = zone.local(end + chrono::Duration::milliseconds(1));
            assert_eq!(next.day(), 8);
        }
        // 23:59:59.999 at UTC+7 is 16:59:59.999 UTC.
        assert_eq!(
            TimeZone::Wib.end_of_day(date).to_rfc3339(),
            "2026-01-07T16:59:59.999+00:00"
        );
    }

    #[test]
    fn local_date_depends_on_the_zone() {
        // 16:30 UTC is 23:30 WIB the same day but already 00:30 WITA and 01:30 WIT the next.
        let at = DateTime::parse_from_rfc3339("2026-01-07T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(TimeZone::Wib.local_date(at).day(), 7);
        assert_eq!(TimeZone::Wita.local_date(at).day(), 8);
        assert_eq!(TimeZone::Wit.local_date(at).day(), 8);
    }

    #[test]
    fn names_parse_and_print() {
        for zone in TimeZone::ALL {
            assert_eq!(TimeZone::parse(zone.abbreviation()), Some(zone));
            assert_eq!(zone.to_string(), zone.abbreviation());
        }
        assert_eq!(TimeZone::parse(" wita "), Some(TimeZone::Wita));
        assert_eq!(TimeZone::parse("UTC"), None);
        assert_eq!(serde_json::to_string(&TimeZone::Wita).unwrap(), "\"wita\"");
    }
}
