//! Working days: Monday to Friday, less national holidays and cuti bersama.
//!
//! The days off of 2025-2027 are compiled in from `shared/data/calendar/holidays.csv` (sources in
//! `SOURCE.md` beside it; 2027 is provisional). Configuration may add days (a holiday decreed
//! later, a regional holiday) or remove listed ones (a cancelled cuti bersama); it never turns a
//! Saturday or Sunday into a working day.
//!
//! # Counting
//! A limit of `n` working days that starts at the instant `start` ends at the END of the `n`-th
//! working day after the local day of `start`, in the handling institution's zone:
//! - the day of `start` never counts, whatever the hour and whether or not it is a working day:
//!   counting starts from the next working day. A report sent on Friday 16:00 WIB, Saturday
//!   10:00 WIB or on a holiday has, with 3 working days and Monday to Wednesday working, until
//!   Wednesday 23:59:59.999 WIB;
//! - the end of a day is its last millisecond, 23:59:59.999 local time, returned as a UTC
//!   instant; the limit has passed once the clock is past that instant;
//! - `n = 0` gives the end of the local day of `start` itself.
//!
//! # Years without data
//! Outside the years in the data (2025-2027 compiled in) only weekends are skipped: a holiday
//! there counts as a working day. [`WorkingCalendar::covers`] tells whether a year has holiday
//! data and [`WorkingCalendar::coverage`] whether it is published or provisional, so a caller can
//! warn (or log) when a deadline is computed across a year the calendar does not know.

use super::zones::TimeZone;
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const HOLIDAYS_CSV: &str = include_str!("../../data/calendar/holidays.csv");

/// Rows whose `source` starts with this come from a secondary source, not the decree itself.
pub const PROVISIONAL_PREFIX: &str = "provisional:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// Hari libur nasional.
    National,
    /// Cuti bersama: collective leave decreed with the national holidays.
    CutiBersama,
    /// Added by configuration (`with_extra_holidays`).
    Configured,
}

impl HolidayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::National => "national",
            HolidayKind::CutiBersama => "cuti_bersama",
            HolidayKind::Configured => "configured",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    pub kind: HolidayKind,
    pub name: String,
    /// The decree (or, for a provisional row, the secondary source) the date comes from.
    pub source: String,
}

impl Holiday {
    pub fn is_provisional(&self) -> bool {
        self.source.starts_with(PROVISIONAL_PREFIX)
    }
}

/// What the calendar knows about a year's days off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every row of the year names its decree.
    Published,
    /// The year has data, but some rows are provisional (not checked against the decree).
    Provisional,
    /// No holiday data: only weekends are skipped.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A row of holiday data that does not read.
    #[error("holiday data line {line}: {message}")]
    Data { line: u64, message: String },
    /// An item of a configured date list (`2026-03-20,2026-03-21`) that is not a date.
    #[error("holiday list item {position} {value:?} is not a date (expected YYYY-MM-DD, e.g. 2026-03-20)")]
    InvalidDate { position: usize, value: String },
}

/// Working days of Indonesian government offices. Cheap to query; build it once.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    holidays: BTreeMap<NaiveDate, Holiday>,
    /// Years with holiday data, and whether all their rows are published.
    years: BTreeMap<i32, Coverage>,
    /// Listed days removed by configuration.
    removed: BTreeSet<NaiveDate>,
}

impl WorkingCalendar {
    /// The compiled-in calendar (2025-2027), parsed on first use.
    pub fn builtin() -> &'static WorkingCalendar {
        static BUILTIN: OnceLock<WorkingCalendar> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            WorkingCalendar::from_csv(HOLIDAYS_CSV).expect("compiled-in holiday data is valid")
        })
    }

    /// A calendar with no holidays at all: only weekends are days off.
    pub fn weekends_only() -> WorkingCalendar {
        WorkingCalendar {
            holidays: BTreeMap::new(),
            years: BTreeMap::new(),
            removed: BTreeSet::new(),
        }
    }

    /// Reads holiday data in the format of `holidays.csv`: a `date,kind,name,source` header, then
    /// one row per day with `kind` `national` or `cuti_bersama`. A date listed twice is an error.
    /// Every year with at least one row counts as covered.
    pub fn from_csv(text: &str) -> Result<WorkingCalendar, CalendarError> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| CalendarError::Data {
            line: 1,
            message: e.to_string(),
        })?;
        if headers != vec!["date", "kind", "name", "source"] {
            return Err(CalendarError::Data {
                line: 1,
                message: format!("header must be date,kind,name,source, got {headers:?}"),
            });
        }
        let mut calendar = WorkingCalendar::weekends_only();
        for row in reader.records() {
            let row = row.map_err(|e| CalendarError::Data {
                line: e.position().map_or(0, |p| p.line()),
                message: e.to_string(),
            })?;
            let line = row.position().map_or(0, |p| p.line());
            let bad = |message: String| CalendarError::Data { line, message };
            let date = NaiveDate::parse_from_str(row[0].trim(), "%Y-%m-%d")
                .map_err(|_| bad(format!("date {:?} is not YYYY-MM-DD", &row[0])))?;
            let kind = match row[1].trim() {
                "national" => HolidayKind::National,
                "cuti_bersama" => HolidayKind::CutiBersama,
                other => {
                    return Err(bad(format!(
                        "kind {other:?} is not national or cuti_bersama"
                    )))
                }
            };
            let (name, source) = (row[2].trim(), row[3].trim());
            if name.is_empty() || source.is_empty() {
                return Err(bad("name and source must not be empty".to_string()));
            }
            let holiday = Holiday {
                date,
                kind,
                name: name.to_string(),
                source: source.to_string(),
            };
            let coverage = if holiday.is_provisional() {
                Coverage::Provisional
            } else {
                Coverage::Published
            };
            let year = calendar.years.entry(date.year()).or_insert(coverage);
            if coverage == Coverage::Provisional {
                *year = Coverage::Provisional;
            }
            if calendar.holidays.insert(date, holiday).is_some() {
                return Err(bad(format!("{date} is listed twice")));
            }
        }
        Ok(calendar)
    }

    /// Adds days off from configuration (kind `configured`). A date already listed keeps its
    /// listing; a date removed earlier is a day off again. Adding days does not make a year
    /// covered.
    pub fn with_extra_holidays(mut self, dates: &[NaiveDate]) -> WorkingCalendar {
        for &date in dates {
            self.removed.remove(&date);
            self.holidays.entry(date).or_insert_with(|| Holiday {
                date,
                kind: HolidayKind::Configured,
                name: "Configured day off".to_string(),
                source: "configuration".to_string(),
            });
        }
        self
    }

    /// Makes listed days working days again (e.g. a cuti bersama withdrawn by a later decree).
    /// A Saturday or Sunday stays a day off.
    pub fn without_holidays(mut self, dates: &[NaiveDate]) -> WorkingCalendar {
        self.removed.extend(dates.iter().copied());
        self
    }

    /// Whether `year` has holiday data. When false, only weekends are skipped in that year.
    pub fn covers(&self, year: i32) -> bool {
        self.coverage(year) != Coverage::None
    }

    pub fn coverage(&self, year: i32) -> Coverage {
        self.years.get(&year).copied().unwrap_or(Coverage::None)
    }

    /// The years with holiday data, ascending.
    pub fn covered_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    pub fn is_weekend(date: NaiveDate) -> bool {
        matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The listing that makes `date` a day off, if any (weekends are not listed).
    pub fn holiday(&self, date: NaiveDate) -> Option<&Holiday> {
        if self.removed.contains(&date) {
            return None;
        }
        self.holidays.get(&date)
    }

    /// All days off in effect in `from..=to`, weekends excluded, ascending.
    pub fn holidays_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<&Holiday> {
        if to < from {
            return Vec::new();
        }
        self.holidays
            .range(from..=to)
            .filter(|(date, _)| !self.removed.contains(date))
            .map(|(_, h)| h)
            .collect()
    }

    /// Monday to Friday and not a day off.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !Self::is_weekend(date) && self.holiday(date).is_none()
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        self.nth_working_day_after(date, 1)
    }

    /// The `n`-th working day strictly after `date` (`date` itself for `n = 0`).
    ///
    /// Panics only past chrono's last date (year 262143), which takes tens of millions of
    /// working days; limits from a [`super::DeadlinePolicy`] are at most a few hundred.
    pub fn nth_working_day_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().expect("date within chrono's range");
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The end (23:59:59.999 local, in `zone`) of the `n`-th working day after the local day of
    /// `start`, as a UTC instant. The day of `start` never counts (see the module docs).
    pub fn add_working_days(&self, start: DateTime<Utc>, n: u32, zone: TimeZone) -> DateTime<Utc> {
        let day = self.nth_working_day_after(zone.local_date(start), n);
        zone.end_of_day(day)
    }

    /// The number of working days `d` with `from < d <= to`; 0 when `to <= from`.
    /// The inverse of counting: for `d = nth_working_day_after(from, n)`,
    /// `working_days_between(from, d) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.succ_opt().expect("date before `to`");
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }

    /// Whether every year from `from`'s to `to`'s has holiday data.
    pub fn covers_range(&self, from: NaiveDate, to: NaiveDate) -> bool {
        (from.year()..=to.year()).all(|y| self.covers(y))
    }
}

/// Reads a configured list of days off, e.g. `LAPOR_EXTRA_HOLIDAYS=2026-03-20,2026-03-21`.
/// Items are separated by commas; spaces around items are ignored; an empty or blank string is
/// an empty list. Errors name the item's position (from 1) and its text.
pub fn parse_holiday_list(text: &str) -> Result<Vec<NaiveDate>, CalendarError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .enumerate()
        .map(|(i, item)| {
            let item = item.trim();
            NaiveDate::parse_from_str(item, "%Y-%m-%d")
                .ok()
                .filter(|_| item.len() == 10)
                .ok_or_else(|| CalendarError::InvalidDate {
                    position: i + 1,
                    value: item.to_string(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A UTC instant from a local time in `zone`.
    fn at(zone: TimeZone, y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        d(y, m, day)
            .and_hms_opt(h, min, 0)
            .unwrap()
            .and_local_timezone(zone.offset())
            .unwrap()
            .with_timezone(&Utc)
    }

    fn cal() -> &'static WorkingCalendar {
        WorkingCalendar::builtin()
    }

    #[test]
    fn compiled_in_data_reads_and_matches_the_decrees_counts() {
        let c = cal();
        assert_eq!(c.covered_years(), vec![2025, 2026, 2027]);
        let count = |year: i32, kind: HolidayKind| {
            c.holidays_between(d(year, 1, 1), d(year, 12, 31))
                .iter()
                .filter(|h| h.kind == kind)
                .count()
        };
        // 2025: SKB 1017/2024 (17 + 10) plus 18 August by SKB 933/2025.
        assert_eq!(count(2025, HolidayKind::National), 17);
        assert_eq!(count(2025, HolidayKind::CutiBersama), 11);
        // 2026: SKB 1497/2025: 17 + 8.
        assert_eq!(count(2026, HolidayKind::National), 17);
        assert_eq!(count(2026, HolidayKind::CutiBersama), 8);
        // 2027 (provisional): two Isra Mikraj days.
        assert_eq!(count(2027, HolidayKind::National), 18);
        assert_eq!(count(2027, HolidayKind::CutiBersama), 8);
        assert_eq!(c.coverage(2025), Coverage::Published);
        assert_eq!(c.coverage(2026), Coverage::Published);
        assert_eq!(c.coverage(2027), Coverage::Provisional);
        assert!(c
            .holidays_between(d(2027, 1, 1), d(2027, 12, 31))
            .iter()
            .all(|h| h.is_provisional()));
        assert!(c
            .holidays_between(d(2025, 1, 1), d(2026, 12, 31))
            .iter()
            .all(|h| !h.is_provisional() && h.source.starts_with("SKB ")));
    }

    #[test]
    fn weekends_are_never_working_days() {
        let c = WorkingCalendar::weekends_only();
        assert!(c.is_working_day(d(2026, 1, 9))); // Friday
        assert!(!c.is_working_day(d(2026, 1, 10))); // Saturday
        assert!(!c.is_working_day(d(2026, 1, 11))); // Sunday
        assert!(c.is_working_day(d(2026, 1, 12))); // Monday
                                                   // Removing a holiday never makes a weekend a working day.
        let c = cal().clone().without_holidays(&[d(2026, 3, 21)]); // Idulfitri, a Saturday
        assert!(!c.is_working_day(d(2026, 3, 21)));
    }

    #[test]
    fn friday_afternoon_plus_three_working_days_is_wednesday_night() {
        // Friday 9 January 2026 16:00 WIB; Mon 12 - Wed 14 are working days.
        let start = at(TimeZone::Wib, 2026, 1, 9, 16, 0);
        let due = cal().add_working_days(start, 3, TimeZone::Wib);
        assert_eq!(due.to_rfc3339(), "2026-01-14T16:59:59.999+00:00");
        assert_eq!(
            TimeZone::Wib.local(due).to_rfc3339(),
            "2026-01-14T23:59:59.999+07:00"
        );
        // Early morning on Friday gives the same deadline: the start day never counts.
        let early = at(TimeZone::Wib, 2026, 1, 9, 0, 5);
        assert_eq!(cal().add_working_days(early, 3, TimeZone::Wib), due);
    }

    #[test]
    fn start_on_a_weekend_or_holiday_counts_from_the_next_working_day() {
        let saturday = at(TimeZone::Wib, 2026, 1, 10, 10, 0);
        let due = cal().add_working_days(saturday, 3, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(due), d(2026, 1, 14));
        // Thursday 1 January 2026 (New Year): Fri 2 (1), Mon 5 (2), Tue 6 (3).
        let new_year = at(TimeZone::Wib, 2026, 1, 1, 9, 0);
        let due = cal().add_working_days(new_year, 3, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(due), d(2026, 1, 6));
        // Friday 16 January 2026 (Isra Mikraj): Mon 19, Tue 20, Wed 21.
        let isra_mikraj = at(TimeZone::Wib, 2026, 1, 16, 9, 0);
        let due = cal().add_working_days(isra_mikraj, 3, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(due), d(2026, 1, 21));
    }

    #[test]
    fn a_national_holiday_is_skipped() {
        // Wednesday 13 May 2026 + 3: Thu 14 (Kenaikan) and Fri 15 (cuti bersama) are off,
        // so Mon 18 (1), Tue 19 (2), Wed 20 (3).
        let start = at(TimeZone::Wib, 2026, 5, 13, 11, 0);
        let due = cal().add_working_days(start, 3, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(due), d(2026, 5, 20));
        assert_eq!(
            cal().holiday(d(2026, 5, 14)).unwrap().kind,
            HolidayKind::National
        );
        // Without holiday data the same count ends on Monday 18.
        let plain = WorkingCalendar::weekends_only().add_working_days(start, 3, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(plain), d(2026, 5, 18));
    }

    #[test]
    fn idul_fitri_2026_and_its_cuti_bersama_close_a_whole_week() {
        let c = cal();
        for day in 18..=24 {
            assert!(!c.is_working_day(d(2026, 3, day)), "18-24 March: {day}");
        }
        assert_eq!(
            c.holiday(d(2026, 3, 20)).unwrap().kind,
            HolidayKind::CutiBersama
        );
        assert_eq!(
            c.holiday(d(2026, 3, 23)).unwrap().kind,
            HolidayKind::CutiBersama
        );
        assert!(c.is_working_day(d(2026, 3, 17)));
        assert!(c.is_working_day(d(2026, 3, 25)));
        // Verification of a report sent Tuesday 17 March 2026 in Makassar: Wed 18 - Tue 24 are
        // off, so 3 working days end on Friday 27 March.
        let start = at(TimeZone::Wita, 2026, 3, 17, 14, 0);
        let due = c.add_working_days(start, 3, TimeZone::Wita);
        assert_eq!(TimeZone::Wita.local_date(due), d(2026, 3, 27));
        assert_eq!(c.working_days_between(d(2026, 3, 17), d(2026, 3, 27)), 3);
    }

    #[test]
    fn counting_crosses_the_year_boundary() {
        // Wednesday 31 December 2025: Thu 1 Jan 2026 is New Year, Fri 2 (1), Mon 5 (2), Tue 6 (3).
        let start = at(TimeZone::Wib, 2025, 12, 31, 20, 0);
        let due = cal().add_working_days(start, 3, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(due), d(2026, 1, 6));
        // Into the provisional year: Thursday 23 December 2027 + 1 skips Fri 24 (cuti bersama)
        // and the weekend: Monday 27.
        let start = at(TimeZone::Wib, 2027, 12, 23, 9, 0);
        let due = cal().add_working_days(start, 1, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(due), d(2027, 12, 27));
    }

    #[test]
    fn same_local_deadline_is_a_different_instant_in_each_zone() {
        // The same local start (Friday 9 January 2026, 10:00) in each zone.
        let due: Vec<_> = TimeZone::ALL
            .iter()
            .map(|&z| cal().add_working_days(at(z, 2026, 1, 9, 10, 0), 3, z))
            .collect();
        assert_eq!(due[0].to_rfc3339(), "2026-01-14T16:59:59.999+00:00"); // WIB
        assert_eq!(due[1].to_rfc3339(), "2026-01-14T15:59:59.999+00:00"); // WITA
        assert_eq!(due[2].to_rfc3339(), "2026-01-14T14:59:59.999+00:00"); // WIT
        for (zone, due) in TimeZone::ALL.iter().zip(&due) {
            assert_eq!(
                zone.local(*due).naive_local().to_string(),
                "2026-01-14 23:59:59.999"
            );
        }
    }

    #[test]
    fn the_start_day_is_the_local_day_of_the_institution() {
        // 16:30 UTC on Thursday 8 January 2026 is still Thursday in WIB (23:30) but already
        // Friday in WIT (01:30 on the 9th): one working day later is Friday in WIB, Monday in WIT.
        let thursday_late = DateTime::parse_from_rfc3339("2026-01-08T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let wib = cal().add_working_days(thursday_late, 1, TimeZone::Wib);
        let wit = cal().add_working_days(thursday_late, 1, TimeZone::Wit);
        assert_eq!(TimeZone::Wib.local_date(wib), d(2026, 1, 9)); // Thursday 23:30 WIB -> Friday
        assert_eq!(TimeZone::Wit.local_date(wit), d(2026, 1, 12)); // Friday 01:30 WIT -> Monday
    }

    #[test]
    fn zero_days_is_the_end_of_the_start_day() {
        let start = at(TimeZone::Wita, 2026, 1, 10, 8, 0); // a Saturday
        let due = cal().add_working_days(start, 0, TimeZone::Wita);
        assert_eq!(due, TimeZone::Wita.end_of_day(d(2026, 1, 10)));
    }

    #[test]
    fn working_days_between_inverts_counting() {
        let c = cal();
        assert_eq!(c.working_days_between(d(2026, 1, 9), d(2026, 1, 14)), 3);
        assert_eq!(c.working_days_between(d(2026, 1, 14), d(2026, 1, 9)), 0);
        assert_eq!(c.working_days_between(d(2026, 1, 9), d(2026, 1, 9)), 0);
        // Whole 2026: 261 weekdays less the 21 listed days on a weekday (25 listed, 4 on weekends).
        let weekdays_off = c
            .holidays_between(d(2026, 1, 1), d(2026, 12, 31))
            .iter()
            .filter(|h| !WorkingCalendar::is_weekend(h.date))
            .count() as u32;
        assert_eq!(weekdays_off, 21);
        assert_eq!(
            c.working_days_between(d(2025, 12, 31), d(2026, 12, 31)),
            261 - weekdays_off
        );
        let mut from = d(2025, 12, 20);
        while from < d(2026, 4, 1) {
            for n in 0..25 {
                let to = c.nth_working_day_after(from, n);
                assert_eq!(c.working_days_between(from, to), n, "{from} + {n}");
            }
            from = from.succ_opt().unwrap();
        }
    }

    #[test]
    fn outside_the_data_only_weekends_count_and_coverage_says_so() {
        let c = cal();
        assert!(!c.covers(2024));
        assert!(!c.covers(2028));
        assert_eq!(c.coverage(2028), Coverage::None);
        assert!(c.covers_range(d(2025, 12, 1), d(2026, 2, 1)));
        assert!(!c.covers_range(d(2027, 12, 1), d(2028, 1, 31)));
        // 1 January 2028 (a Saturday) is not known as a holiday; 3 January 2028 is a Monday and
        // counts as working although no decree for 2028 is known.
        assert!(c.holiday(d(2028, 1, 1)).is_none());
        assert!(c.is_working_day(d(2028, 1, 3)));
        let start = at(TimeZone::Wib, 2027, 12, 31, 9, 0); // Friday
        let due = c.add_working_days(start, 1, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(due), d(2028, 1, 3));
    }

    #[test]
    fn extra_holidays_from_configuration() {
        let extra = parse_holiday_list("2026-01-12, 2026-01-13").unwrap();
        let c = cal().clone().with_extra_holidays(&extra);
        assert!(!c.is_working_day(d(2026, 1, 12)));
        assert_eq!(
            c.holiday(d(2026, 1, 13)).unwrap().kind,
            HolidayKind::Configured
        );
        // Friday 9 January + 3: Mon 12 and Tue 13 are now off: Wed 14, Thu 15, Mon 19 (16 is
        // Isra Mikraj).
        let start = at(TimeZone::Wib, 2026, 1, 9, 16, 0);
        let due = c.add_working_days(start, 3, TimeZone::Wib);
        assert_eq!(TimeZone::Wib.local_date(due), d(2026, 1, 19));
        // An already listed day keeps its listing.
        let c = c.with_extra_holidays(&[d(2026, 1, 16)]);
        assert_eq!(
            c.holiday(d(2026, 1, 16)).unwrap().kind,
            HolidayKind::National
        );
        // Extra days in an uncovered year do not make it covered.
        let c = c.with_extra_holidays(&[d(2028, 1, 3)]);
        assert!(!c.is_working_day(d(2028, 1, 3)));
        assert!(!c.covers(2028));
    }

    #[test]
    fn removed_holidays_become_working_days_and_can_be_added_back() {
        let c = cal().clone().without_holidays(&[d(2026, 12, 24)]);
        assert!(c.is_working_day(d(2026, 12, 24)));
        assert!(c.holiday(d(2026, 12, 24)).is_none());
        assert!(c
            .holidays_between(d(2026, 12, 1), d(2026, 12, 31))
            .iter()
            .all(|h| h.date != d(2026, 12, 24)));
        let c = c.with_extra_holidays(&[d(2026, 12, 24)]);
        assert_eq!(
            c.holiday(d(2026, 12, 24)).unwrap().kind,
            HolidayKind::CutiBersama
        );
    }

    #[test]
    fn holiday_list_parse_errors_name_the_item() {
        assert_eq!(parse_holiday_list("").unwrap(), vec![]);
        assert_eq!(parse_holiday_list("  ").unwrap(), vec![]);
        assert_eq!(
            parse_holiday_list("2026-03-20,2026-03-21").unwrap(),
            vec![d(2026, 3, 20), d(2026, 3, 21)]
        );
        let err = parse_holiday_list("2026-03-20,2026-02-30").unwrap_err();
        assert_eq!(
            err,
            CalendarError::InvalidDate {
                position: 2,
                value: "2026-02-30".to_string()
            }
        );
        assert_eq!(
            err.to_string(),
            "holiday list item 2 \"2026-02-30\" is not a date (expected YYYY-MM-DD, e.g. 2026-03-20)"
        );
        for (text, position) in [
            ("20-03-2026", 1),
            ("2026-03-20,", 2),
            ("2026-03-20;2026-03-21", 1),
            ("2026-3-20", 1),
            ("2026-03-20,,2026-03-21", 2),
        ] {
            match parse_holiday_list(text) {
                Err(CalendarError::InvalidDate { position: p, .. }) => {
                    assert_eq!(p, position, "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn holiday_data_errors_name_the_line() {
        let header = "date,kind,name,source\n";
        let cases = [
            (
                format!("{header}2026-01-01,national,Tahun Baru,SKB\n2026-13-01,national,X,SKB\n"),
                "line 3",
                "not YYYY-MM-DD",
            ),
            (
                format!("{header}2026-01-01,regional,X,SKB\n"),
                "line 2",
                "national or cuti_bersama",
            ),
            (
                format!("{header}2026-01-01,national,X,SKB\n2026-01-01,national,Y,SKB\n"),
                "line 3",
                "listed twice",
            ),
            (
                format!("{header}2026-01-01,national,,SKB\n"),
                "line 2",
                "empty",
            ),
            ("day,kind,name,source\n".to_string(), "line 1", "header"),
        ];
        for (text, line, what) in cases {
            let err = WorkingCalendar::from_csv(&text).unwrap_err().to_string();
            assert!(err.contains(line) && err.contains(what), "{err}");
        }
        let ok = WorkingCalendar::from_csv(&format!(
            "{header}2030-01-01,national,Tahun Baru,provisional: a guess\n"
        ))
        .unwrap();
        assert_eq!(ok.coverage(2030), Coverage::Provisional);
    }
}
