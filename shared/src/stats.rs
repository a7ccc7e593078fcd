//! Statistics per institution, per region and nationally, kept as counters that every write of
//! a report moves, never computed by reading reports.
//!
//! A report *contributes* to counters: [`Facts`] says what it is (its month, institution,
//! region, status, kind, channel, times to first response and to closing, escalations, rating),
//! [`contribution`] turns that into counter increments per scope. A write stores the report's
//! facts beside it and applies `contribution(new) - contribution(stored)` in the same
//! transaction as the conditional write ([`delta`]): a retried or redelivered change fails its
//! condition and counts nothing, a forward moves the report's counts from one institution to
//! the other, and a recount over the stored reports equals the counters (a test checks, on both
//! storage families).
//!
//! Cohorts: a report counts in the month (WIB) it was received, in every figure, so a month's
//! row says how the reports of that month fared; its figures settle as those reports close.

use crate::domain::{Channel, Report, ReportKind, Status};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The scope of national figures.
pub const NATIONAL: &str = "national";
/// Durations count in whole hours up to a year; longer ones count as a year.
const MAX_HOURS: i64 = 24 * 366;

/// The upper bounds (hours) of the duration buckets the counters keep: coarse where a day more
/// or less says little, so a scope's item stays small (about 24 counters per duration).
const HOUR_BUCKETS: [i64; 24] = [
    1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720, 1080, 1440, 2160,
    4320, MAX_HOURS,
];

/// The bucket of a duration: the smallest bound at or above it ("within N hours").
fn bucket(hours: i64) -> i64 {
    HOUR_BUCKETS
        .into_iter()
        .find(|bound| hours <= *bound)
        .unwrap_or(MAX_HOURS)
}

/// What a report contributes to the statistics. Stored beside the report (as JSON), so that
/// what a write subtracts is exactly what an earlier write added, whatever the code computes
/// today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// `YYYY-MM` of `created_at` in WIB.
    pub period: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regency: Option<String>,
    pub status: Status,
    pub kind: ReportKind,
    pub channel: Channel,
    /// Hours from submission to the institution's first follow-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_hours: Option<i64>,
    /// Whether the follow-up deadline was met: `Some(false)` also for a report that missed it
    /// and has no follow-up yet; `None` while it is still open to be met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_deadline: Option<bool>,
    /// Hours from submission to closing (closed or auto-closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing_hours: Option<i64>,
    #[serde(default)]
    pub escalations: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
}

impl Facts {
    /// The stored form (the `stats` attribute or column).
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("facts serialise")
    }

    /// `None` for a stored form this code cannot read (then nothing is subtracted for it).
    pub fn decode(text: &str) -> Option<Facts> {
        serde_json::from_str(text).ok()
    }
}

/// The month a moment falls in, in WIB (the national figures' zone).
pub fn period_of(at: DateTime<Utc>) -> String {
    let wib = FixedOffset::east_opt(7 * 3600).expect("WIB is UTC+7");
    let local = at.with_timezone(&wib);
    format!("{:04}-{:02}", local.year(), local.month())
}

/// What `report` contributes now.
pub fn facts(report: &Report) -> Facts {
    let hours = |at: DateTime<Utc>| ((at - report.created_at).num_hours()).clamp(0, MAX_HOURS);
    let (province, regency) = region_of(report);
    let closed_at = report
        .timeline
        .iter()
        .find(|e| e.action == "closed" || e.action == "auto_closed")
        .map(|e| e.at);
    let escalations = report
        .timeline
        .iter()
        .filter(|e| e.action == "escalated")
        .count() as i64;
    // A report followed up before the statistics has no `first_response`: its first
    // `followed_up` event says when, and whether it was in time is not known.
    let first_follow_up = report.first_response.map(|r| r.at).or_else(|| {
        report
            .timeline
            .iter()
            .find(|e| e.action == "followed_up")
            .map(|e| e.at)
    });
    // A report held by an institution that missed its follow-up without answering is late;
    // the escalation pass records the miss as `escalated` while an institution holds it.
    let missed_unanswered = first_follow_up.is_none()
        && report
            .timeline
            .iter()
            .any(|e| e.action == "escalated" && e.agency_id.is_some());
    Facts {
        period: period_of(report.created_at),
        agency: report.agency_id.clone(),
        province,
        regency,
        status: report.status,
        kind: report.kind,
        channel: report.channel,
        first_response_hours: first_follow_up.map(hours),
        within_deadline: match report.first_response {
            Some(r) => Some(r.within_deadline),
            None if missed_unanswered => Some(false),
            None => None,
        },
        closing_hours: closed_at.map(hours),
        escalations,
        rating: report.rating.as_ref().map(|r| r.stars),
    }
}

/// The province and kabupaten/kota: the report's own region code, else the region of the
/// regional government holding it (`pemda-32.73`).
fn region_of(report: &Report) -> (Option<String>, Option<String>) {
    let code = report
        .location
        .region_code
        .as_deref()
        .or_else(|| report.agency_id.as_deref()?.strip_prefix("pemda-"));
    let Some(code) = code.filter(|c| c.len() >= 2 && c.is_char_boundary(2)) else {
        return (None, None);
    };
    let province = Some(code[..2].to_string());
    let regency = (code.len() >= 5 && code.is_char_boundary(5)).then(|| code[..5].to_string());
    (province, regency)
}

/// The scope key of an institution, a province (`32`) or a kabupaten/kota (`32.73`).
pub fn agency_scope(agency_id: &str) -> String {
    format!("agency:{agency_id}")
}

pub fn region_scope(code: &str) -> String {
    match code.len() {
        2 => format!("province:{code}"),
        _ => format!("regency:{code}"),
    }
}

/// One scope's counters in one month.
pub type Counters = BTreeMap<String, i64>;

/// `(scope, period)` -> counters.
pub type Contribution = BTreeMap<(String, String), Counters>;

/// The counters `facts` adds, in every scope it counts in.
pub fn contribution(facts: &Facts) -> Contribution {
    let mut counters = Counters::new();
    let mut add = |name: String, n: i64| {
        if n != 0 {
            *counters.entry(name).or_default() += n;
        }
    };
    add("received".into(), 1);
    add(format!("status_{}", facts.status.as_str()), 1);
    add(format!("kind_{}", facts.kind.as_str()), 1);
    add(format!("channel_{}", channel_name(facts.channel)), 1);
    if let Some(h) = facts.first_response_hours {
        add("answered".into(), 1);
        add(format!("first_response_le_{}", bucket(h)), 1);
    }
    match facts.within_deadline {
        Some(true) => add("within_deadline".into(), 1),
        Some(false) => add("late".into(), 1),
        None => {}
    }
    if let Some(h) = facts.closing_hours {
        add("closed".into(), 1);
        add(format!("closing_le_{}", bucket(h)), 1);
    }
    add("escalations".into(), facts.escalations);
    if let Some(stars) = facts.rating {
        add("rating_count".into(), 1);
        add("rating_sum".into(), i64::from(stars));
    }
    let mut scopes = vec![NATIONAL.to_string()];
    scopes.extend(facts.agency.as_deref().map(agency_scope));
    scopes.extend(facts.province.as_deref().map(region_scope));
    scopes.extend(facts.regency.as_deref().map(region_scope));
    scopes
        .into_iter()
        .map(|scope| ((scope, facts.period.clone()), counters.clone()))
        .collect()
}

/// What a write must add to the counters: the new contribution minus the stored one (none for
/// a new report, or one stored before the statistics). Only non-zero counters, only scopes
/// with a change.
pub fn delta(stored: Option<&Facts>, new: &Facts) -> Contribution {
    let mut out = contribution(new);
    if let Some(stored) = stored {
        for (key, counters) in contribution(stored) {
            let entry = out.entry(key).or_default();
            for (name, n) in counters {
                *entry.entry(name).or_default() -= n;
            }
        }
    }
    for counters in out.values_mut() {
        counters.retain(|_, n| *n != 0);
    }
    out.retain(|_, counters| !counters.is_empty());
    out
}

/// The sum of many reports' contributions: what the counters must hold (the tests' recount).
pub fn recount<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Contribution {
    let mut out = Contribution::new();
    for report in reports {
        for (key, counters) in contribution(&facts(report)) {
            let entry = out.entry(key).or_default();
            for (name, n) in counters {
                *entry.entry(name).or_default() += n;
            }
        }
    }
    out
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Web => "web",
        Channel::Mobile => "mobile",
        Channel::Sms => "sms",
        Channel::X => "x",
        Channel::Whatsapp => "whatsapp",
        Channel::Messenger => "messenger",
        Channel::Email => "email",
    }
}

const CHANNELS: [Channel; 7] = [
    Channel::Web,
    Channel::Mobile,
    Channel::Sms,
    Channel::X,
    Channel::Whatsapp,
    Channel::Messenger,
    Channel::Email,
];
const KINDS: [ReportKind; 3] = [
    ReportKind::Complaint,
    ReportKind::Aspiration,
    ReportKind::InformationRequest,
];

/// A month's stored counters of one scope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsRow {
    pub period: String,
    pub counters: Counters,
}

/// A period of whole months, `from..=to` (`YYYY-MM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Months {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Months {
    /// At most this many months per request (five years): a read of one item per month.
    pub const MAX: u32 = 60;

    /// `YYYY-MM` with a year from 2000 to 2099 (the API's pattern).
    pub fn parse_month(text: &str) -> Option<NaiveDate> {
        let (y, m) = text.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.starts_with("20") {
            return None;
        }
        NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
    }

    pub fn count(&self) -> u32 {
        let months = |d: NaiveDate| d.year() as u32 * 12 + d.month0();
        (months(self.to) + 1).saturating_sub(months(self.from))
    }

    pub fn from_key(&self) -> String {
        self.from.format("%Y-%m").to_string()
    }

    pub fn to_key(&self) -> String {
        self.to.format("%Y-%m").to_string()
    }

    /// The `YYYY-MM` keys, oldest first.
    pub fn keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut month = self.from;
        while month <= self.to {
            out.push(month.format("%Y-%m").to_string());
            month = month
                .checked_add_months(chrono::Months::new(1))
                .expect("a month within range");
        }
        out
    }
}

/// A duration's figures: nearest-rank percentiles over the reports, each the upper bound of its
/// bucket (1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168... hours): "half within N
/// hours".
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DurationFigures {
    /// Reports measured.
    pub count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_hours: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90_hours: Option<i64>,
}

/// One LAPOR status bucket and its reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketCount {
    /// LAPOR's published name of the bucket (e.g. `Terdisposisi Selesai`).
    pub label: &'static str,
    pub count: i64,
}

/// The figures of a set of months: the reports received in them and how they fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub received: i64,
    /// By LAPOR status bucket, in the order LAPOR publishes them.
    pub by_lapor_status: Vec<BucketCount>,
    /// By status (the API's names).
    pub by_status: BTreeMap<String, i64>,
    pub by_kind: BTreeMap<String, i64>,
    pub by_channel: BTreeMap<String, i64>,
    /// Reports the institution followed up.
    pub answered: i64,
    /// Follow-ups that met their deadline.
    pub answered_within_deadline: i64,
    /// Follow-ups that did not, and reports still unanswered past it.
    pub late: i64,
    /// `answered_within_deadline / (answered_within_deadline + late)`, when any deadline was due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_within_deadline: Option<f64>,
    pub time_to_first_response: DurationFigures,
    pub time_to_closing: DurationFigures,
    /// Missed deadlines the escalation pass acted on.
    pub escalations: i64,
    pub ratings: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_rating: Option<f64>,
}

impl Figures {
    /// The figures of the summed `rows`.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a Counters>) -> Figures {
        let mut sum = Counters::new();
        for row in rows {
            for (name, n) in row {
                *sum.entry(name.clone()).or_default() += n;
            }
        }
        let get = |name: &str| sum.get(name).copied().unwrap_or(0);
        let by_status: BTreeMap<String, i64> = Status::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    get(&format!("status_{}", s.as_str())),
                )
            })
            .collect();
        let mut by_lapor_status: Vec<BucketCount> = Vec::new();
        for status in Status::ALL {
            let label = status.label().id;
            let n = by_status[status.as_str()];
            match by_lapor_status.iter_mut().find(|b| b.label == label) {
                Some(bucket) => bucket.count += n,
                None => by_lapor_status.push(BucketCount { label, count: n }),
            }
        }
        let within = get("within_deadline");
        let late = get("late");
        let ratings = get("rating_count");
        Figures {
            received: get("received"),
            by_lapor_status,
            by_status,
            by_kind: KINDS
                .iter()
                .map(|k| (k.as_str().to_string(), get(&format!("kind_{}", k.as_str()))))
                .collect(),
            by_channel: CHANNELS
                .iter()
                .map(|c| {
                    let name = channel_name(*c);
                    (name.to_string(), get(&format!("channel_{name}")))
                })
                .collect(),
            answered: get("answered"),
            answered_within_deadline: within,
            late,
            share_within_deadline: (within + late > 0)
                .then(|| round3(within as f64 / (within + late) as f64)),
            time_to_first_response: durations(&sum, "first_response_le_"),
            time_to_closing: durations(&sum, "closing_le_"),
            escalations: get("escalations"),
            ratings,
            average_rating: (ratings > 0)
                .then(|| round3(get("rating_sum") as f64 / ratings as f64)),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Nearest-rank median and 90th percentile over the bucketed histogram `prefix<bound>`: the
/// bound of the bucket the rank falls in ("half within N hours").
fn durations(sum: &Counters, prefix: &str) -> DurationFigures {
    let mut histogram: Vec<(i64, i64)> = sum
        .iter()
        .filter_map(|(name, n)| Some((name.strip_prefix(prefix)?.parse().ok()?, *n)))
        .filter(|(_, n)| *n > 0)
        .collect();
    histogram.sort_unstable();
    let count: i64 = histogram.iter().map(|(_, n)| n).sum();
    let percentile = |p: f64| {
        let rank = ((p * count as f64).ceil() as i64).max(1);
        let mut seen = 0;
        histogram.iter().find_map(|(h, n)| {
            seen += n;
            (seen >= rank).then_some(*h)
        })
    };
    DurationFigures {
        count,
        median_hours: percentile(0.5),
        p90_hours: percentile(0.9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::{FirstResponse, Rating, TimelineEvent};
    use crate::domain::Actor;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).unwrap() + chrono::Duration::hours(h)
    }

    fn event(action: &str, h: i64, agency: Option<&str>) -> TimelineEvent {
        TimelineEvent {
            at: at(h),
            actor: Actor::System {
                component: "test".into(),
            },
            action: action.into(),
            agency_id: agency.map(str::to_string),
            status: None,
            note: None,
            action_id: None,
        }
    }

    #[test]
    fn a_month_is_counted_in_wib() {
        let late_utc = Utc.with_ymd_and_hms(2026, 3, 31, 18, 0, 0).unwrap();
        assert_eq!(period_of(late_utc), "2026-04");
        assert_eq!(period_of(late_utc - chrono::Duration::hours(2)), "2026-03");
    }

    #[test]
    fn a_new_report_counts_once_in_every_scope_it_belongs_to() {
        let mut report = Report::sample(at(0));
        report.location.region_code = Some("32.73.01".into());
        let d = delta(None, &facts(&report));
        let scopes: Vec<&str> = d.keys().map(|(s, _)| s.as_str()).collect();
        assert_eq!(scopes, ["national", "province:32", "regency:32.73"]);
        for counters in d.values() {
            assert_eq!(counters["received"], 1);
            assert_eq!(counters["status_received"], 1);
            assert_eq!(counters["channel_web"], 1);
        }
    }

    #[test]
    fn a_forward_moves_the_counts_between_institutions_and_an_unchanged_write_adds_nothing() {
        let mut report = Report::sample(at(0));
        report.agency_id = Some("pemda-32.73".into());
        report.status = Status::Dispositioned;
        let before = facts(&report);
        assert!(delta(Some(&before), &before).is_empty());
        report.agency_id = Some("kemenkes".into());
        let d = delta(Some(&before), &facts(&report));
        assert_eq!(
            d[&("agency:pemda-32.73".into(), "2026-03".into())]["received"],
            -1
        );
        assert_eq!(
            d[&("agency:kemenkes".into(), "2026-03".into())]["received"],
            1
        );
        // The region came from the regional government that held it: gone with it.
        assert_eq!(
            d[&("regency:32.73".into(), "2026-03".into())]["received"],
            -1
        );
        assert!(!d.contains_key(&(NATIONAL.into(), "2026-03".into())));
    }

    #[test]
    fn follow_up_closing_escalation_and_rating_are_counted() {
        let mut report = Report::sample(at(0));
        report.agency_id = Some("kemenkes".into());
        report
            .timeline
            .push(event("escalated", 80, Some("kemenkes")));
        // Unanswered past its deadline: late already.
        assert_eq!(facts(&report).within_deadline, Some(false));
        report.first_response = Some(FirstResponse {
            at: at(100),
            within_deadline: false,
        });
        report.timeline.push(event("closed", 130, Some("kemenkes")));
        report.status = Status::Closed;
        report.rating = Some(Rating {
            stars: 4,
            comment: None,
            at: at(131),
        });
        let f = facts(&report);
        assert_eq!(f.first_response_hours, Some(100));
        assert_eq!(f.closing_hours, Some(130));
        assert_eq!(f.escalations, 1);
        let figures = Figures::of(contribution(&f).values().take(1));
        assert_eq!(figures.answered, 1);
        assert_eq!(figures.late, 1);
        assert_eq!(figures.share_within_deadline, Some(0.0));
        assert_eq!(figures.average_rating, Some(4.0));
        // 130 hours: within the 168-hour bucket; 100 within 120.
        assert_eq!(figures.time_to_closing.median_hours, Some(168));
        assert_eq!(figures.time_to_first_response.median_hours, Some(120));
    }

    #[test]
    fn percentiles_are_nearest_rank_over_the_buckets() {
        let mut counters = Counters::new();
        for h in 1..=10 {
            *counters
                .entry(format!("first_response_le_{}", bucket(h)))
                .or_default() += 1;
        }
        counters.insert("first_response_le_720".into(), 0);
        let d = durations(&counters, "first_response_le_");
        // 1, 2, 3, 4, 5-6, 7-8, 9-10: the 5th report is within 6 hours, the 9th within 12.
        assert_eq!(
            (d.count, d.median_hours, d.p90_hours),
            (10, Some(6), Some(12))
        );
        let empty = durations(&Counters::new(), "closing_le_");
        assert_eq!((empty.count, empty.median_hours), (0, None));
        assert_eq!(
            (bucket(0), bucket(1), bucket(25), bucket(9000)),
            (1, 1, 36, MAX_HOURS)
        );
    }

    #[test]
    fn a_follow_up_stored_before_the_statistics_counts_with_its_time_unknown_if_in_time() {
        let mut report = Report::sample(at(0));
        report.agency_id = Some("kemenkes".into());
        report
            .timeline
            .push(event("followed_up", 30, Some("kemenkes")));
        let f = facts(&report);
        assert_eq!(
            (f.first_response_hours, f.within_deadline),
            (Some(30), None)
        );
    }

    #[test]
    fn buckets_follow_lapor_and_shares_need_a_due_deadline() {
        let mut counters = Counters::new();
        counters.insert("status_received".into(), 2);
        counters.insert("status_needs_triage".into(), 1);
        counters.insert("status_closed".into(), 3);
        let f = Figures::of([&counters]);
        assert_eq!(f.by_lapor_status[0].label, "Belum Terverifikasi");
        assert_eq!(f.by_lapor_status[0].count, 3);
        assert_eq!(f.share_within_deadline, None);
        assert_eq!(f.average_rating, None);
    }

    #[test]
    fn months_parse_and_count() {
        let m = Months {
            from: Months::parse_month("2025-11").unwrap(),
            to: Months::parse_month("2026-02").unwrap(),
        };
        assert_eq!(m.count(), 4);
        assert_eq!(m.keys(), ["2025-11", "2025-12", "2026-01", "2026-02"]);
        for bad in [
            "2026-13", "2026-1", "26-01", "2026/01", "", "1999-12", "2026-00",
        ] {
            assert_eq!(Months::parse_month(bad), None, "{bad}");
        }
    }

    #[test]
    fn stored_facts_read_back_and_garbage_is_ignored() {
        let f = facts(&Report::sample(at(0)));
        assert_eq!(Facts::decode(&f.encode()), Some(f));
        assert_eq!(Facts::decode("{not json"), None);
    }
}
