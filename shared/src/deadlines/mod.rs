//! Deadlines: working days, Indonesia's time zones and the time limits of the lifecycle.
//!
//! Plain domain code, no I/O and no clock: every function takes the instant it works from, so
//! callers pass `Clock::now()` and tests pass fixed dates.
//!
//! - [`calendar`]: [`WorkingCalendar`], the working days of government offices (weekends,
//!   national holidays and cuti bersama of 2025-2027 compiled in, more from configuration), and
//!   how `n` working days are counted from an instant.
//! - [`zones`]: [`TimeZone`] (WIB, WITA, WIT) and the zone of a region or institution.
//! - [`policy`]: [`DeadlinePolicy`], the limit of each [`Step`] with overrides by report kind and
//!   by institution, read from configuration text, and [`DeadlinePolicy::deadline_for`].
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use lapor::deadlines::{zone_for_institution, DeadlinePolicy, Step, WorkingCalendar};
//! use lapor::domain::ReportKind;
//!
//! let calendar = WorkingCalendar::builtin();
//! let policy = DeadlinePolicy::default();
//! // Forwarded to Kota Makassar (73.71) on Friday 9 January 2026, 16:00 WITA.
//! let zone = zone_for_institution(Some("73.71")).unwrap();
//! let start: DateTime<Utc> = "2026-01-09T08:00:00Z".parse().unwrap();
//! let due = policy.deadline_for(calendar, Step::FollowUp, ReportKind::Complaint, None, zone, start);
//! // Five working days: Mon 12 - Thu 15, and Monday 19 (Friday 16 is Isra Mikraj).
//! assert_eq!(zone.local(due).to_rfc3339(), "2026-01-19T23:59:59.999+08:00");
//! ```

pub mod calendar;
pub mod policy;
pub mod schedule;
pub mod zones;

pub use calendar::{
    parse_holiday_list, CalendarError, Coverage, Holiday, HolidayKind, WorkingCalendar,
};
pub use policy::{DeadlinePolicy, Limit, LimitSource, Limits, PolicyError, Step, MAX_LIMIT_DAYS};
pub use schedule::{due_at, Deadlines};
pub use zones::{zone_for_institution, zone_for_region, TimeZone};
