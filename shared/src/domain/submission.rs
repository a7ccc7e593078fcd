//! A submitted report as the API receives it, and its validation into a `NewReport`.
//!
//! Types that do not parse (a number where text belongs, unknown fields) are the caller's
//! malformed request (400); values that parse but break a rule are named field by field (422).

use super::regions::Regions;
use super::report::{Channel, Location, ReportKind, ReporterContact};
use crate::api::limits;
use crate::directory::Directory;
use crate::error::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({
        "kind": "complaint",
        "title": "Lampu jalan mati",
        "body": "Lampu penerangan di Jalan Merdeka mati dua minggu.",
        "region_code": "32.73.01"
    }))
)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    #[cfg_attr(feature = "openapi", schema(value_type = super::report::ReportKind, required = true))]
    pub kind: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, required = true, min_length = 5, max_length = 150))]
    pub title: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, required = true, min_length = 20, max_length = 8000))]
    pub body: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*[a-z0-9_./-]{0,64}\s*$"))]
    pub category: Option<String>,
    pub region_code: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub location_text: Option<String>,
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub lat: Option<f64>,
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub lon: Option<f64>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub incident_date: Option<String>,
    pub target_agency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SubmissionChannel>))]
    pub channel: Option<String>,
    pub reporter: Option<ReporterInput>,
    pub anonymous: Option<bool>,
    pub confidential: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReporterInput {
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: Option<String>,
    pub phone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: Option<String>,
    /// NIK: 16 digits (spaces and dots are ignored).
    pub id_number: Option<String>,
}

/// The channels a client names in a submission (the others are the providers' webhooks).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionChannel {
    Web,
    Mobile,
}

/// A submission that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub kind: ReportKind,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub location: Location,
    pub incident_date: Option<NaiveDate>,
    pub target_agency: Option<String>,
    pub channel: Channel,
    pub reporter: ReporterContact,
    pub anonymous: bool,
    pub confidential: bool,
}

impl Submission {
    /// The submission as a new report, or every failing field. `directory` is the process's:
    /// `target_agency` must name one of its institutions.
    pub fn validate(
        self,
        now: DateTime<Utc>,
        directory: &Directory,
    ) -> Result<NewReport, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = match self.kind.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldError::new("kind", "is required"));
                None
            }
            Some(k) => ReportKind::parse(k).or_else(|| {
                errors.push(FieldError::new(
                    "kind",
                    "must be complaint, aspiration or information_request",
                ));
                None
            }),
        };
        let title = required_text(&mut errors, "title", self.title, limits::TITLE_CHARS, false);
        let body = required_text(&mut errors, "body", self.body, limits::BODY_CHARS, true);
        let category = self.category.and_then(|c| {
            let c = c.trim().to_string();
            if c.is_empty() {
                return None;
            }
            let slug_ok = c.len() <= limits::CATEGORY_CHARS
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_./".contains(&b));
            if !slug_ok {
                errors.push(FieldError::new(
                    "category",
                    format!(
                        "must be a category code of at most {} characters: a-z, 0-9, - _ . /",
                        limits::CATEGORY_CHARS
                    ),
                ));
            }
            Some(c)
        });
        let region_code = self.region_code.and_then(|code| {
            let code = code.trim().to_string();
            if code.is_empty() {
                return None;
            }
            if Regions::get().find(&code).is_none() {
                errors.push(FieldError::new(
                    "region_code",
                    "is not a Kemendagri province, kabupaten/kota or kecamatan code",
                ));
            }
            Some(code)
        });
        let location_text = optional_text(
            &mut errors,
            "location_text",
            self.location_text,
            limits::LOCATION_TEXT_CHARS,
            true,
        );
        if self.lat.is_some_and(|lat| !(-90.0..=90.0).contains(&lat)) {
            errors.push(FieldError::new("lat", "must be between -90 and 90"));
        }
        if self.lon.is_some_and(|lon| !(-180.0..=180.0).contains(&lon)) {
            errors.push(FieldError::new("lon", "must be between -180 and 180"));
        }
        match (self.lat, self.lon) {
            (Some(_), None) => errors.push(FieldError::new("lon", "is required with lat")),
            (None, Some(_)) => errors.push(FieldError::new("lat", "is required with lon")),
            _ => {}
        }
        let incident_date = self.incident_date.and_then(|d| {
            match NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
                Err(_) => {
                    errors.push(FieldError::new(
                        "incident_date",
                        "must be a date YYYY-MM-DD",
                    ));
                    None
                }
                Ok(date) => {
                    // A day of slack: the reporter's local date (up to UTC+9) may be ahead of UTC.
                    let latest = (now + chrono::Duration::days(1)).date_naive();
                    let earliest = NaiveDate::from_ymd_opt(1945, 8, 17).expect("valid date");
                    if date > latest {
                        errors.push(FieldError::new("incident_date", "is in the future"));
                    } else if date < earliest {
                        errors.push(FieldError::new("incident_date", "is before 1945-08-17"));
                    }
                    Some(date)
                }
            }
        });
        let target_agency = self.target_agency.and_then(|t| {
            let t = t.trim().to_string();
            if t.is_empty() {
                return None;
            }
            if directory.get(&t).is_none() {
                errors.push(FieldError::new(
                    "target_agency",
                    "is not an institution id of the directory (GET /v1/agencies)",
                ));
            }
            Some(t)
        });
        let channel = match self.channel.as_deref().map(str::trim) {
            None | Some("") | Some("web") => Channel::Web,
            Some("mobile") => Channel::Mobile,
            Some(_) => {
                errors.push(FieldError::new(
                    "channel",
                    "must be web or mobile (other channels come in through their gateways)",
                ));
                Channel::Web
            }
        };
        let reporter = self
            .reporter
            .map(|r| validate_reporter(&mut errors, r))
            .unwrap_or_default();

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewReport {
            kind: kind.expect("checked"),
            title: title.expect("checked"),
            body: body.expect("checked"),
            category,
            location: Location {
                region_code,
                text: location_text,
                lat: self.lat,
                lon: self.lon,
            },
            incident_date,
            target_agency,
            channel,
            reporter,
            anonymous: self.anonymous.unwrap_or(false),
            confidential: self.confidential.unwrap_or(false),
        })
    }
}

fn validate_reporter(errors: &mut Vec<FieldError>, r: ReporterInput) -> ReporterContact {
    let name = optional_text(errors, "reporter.name", r.name, limits::NAME_CHARS, false);
    let phone = r.phone.and_then(|p| {
        if p.trim().is_empty() {
            return None;
        }
        normalise_phone(&p).or_else(|| {
            errors.push(FieldError::new(
                "reporter.phone",
                "must be a phone number such as 0812-3456-7890 or +62 812 3456 7890",
            ));
            None
        })
    });
    let email = r.email.and_then(|e| {
        let e = e.trim().to_string();
        if e.is_empty() {
            return None;
        }
        if !is_plausible_email(&e) {
            errors.push(FieldError::new(
                "reporter.email",
                "must be an e-mail address",
            ));
            return None;
        }
        Some(e)
    });
    let id_number = r.id_number.and_then(|n| {
        let digits: String = n
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect();
        if digits.is_empty() {
            return None;
        }
        if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::new(
                "reporter.id_number",
                "must be a 16-digit NIK",
            ));
            return None;
        }
        Some(digits)
    });
    ReporterContact {
        name,
        phone,
        email,
        id_number,
        ..ReporterContact::default()
    }
}

/// Indonesian numbers to E.164: `0812...`, `62812...`, `+62 812-...` all become `+62812...`.
/// Other countries' numbers are accepted in full international form (`+<country><number>`).
pub fn normalise_phone(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let plus = trimmed.starts_with('+');
    let mut digits = String::with_capacity(16);
    for c in trimmed.chars().skip(usize::from(plus)) {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("62{rest}")
    } else if digits.starts_with("62") {
        digits
    } else {
        return None;
    };
    let ok = if let Some(national) = international.strip_prefix("62") {
        // Indonesian subscriber numbers: 8 to 12 digits after the country code, no leading 0.
        (8..=12).contains(&national.len()) && !national.starts_with('0')
    } else {
        (8..=15).contains(&international.len()) && !international.starts_with('0')
    };
    ok.then(|| format!("+{international}"))
}

fn is_plausible_email(e: &str) -> bool {
    if e.len() > limits::EMAIL_CHARS || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// Characters a report must not carry: control characters other than newline and tab, and the
/// bidirectional overrides that make text display differently from what it is.
pub(crate) fn forbidden_char(c: char, multiline: bool) -> bool {
    if multiline && (c == '\n' || c == '\t') {
        return false;
    }
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn clean_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: String,
    multiline: bool,
) -> Option<String> {
    let value = if multiline {
        value.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        value
    };
    let value = value.trim().to_string();
    if value.chars().any(|c| forbidden_char(c, multiline)) {
        let allowed = if multiline {
            "control characters other than newline and tab"
        } else {
            "control characters or line breaks"
        };
        errors.push(FieldError::new(
            field,
            format!("must not contain {allowed}"),
        ));
        return None;
    }
    Some(value)
}

fn required_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<String>,
    chars: std::ops::RangeInclusive<usize>,
    multiline: bool,
) -> Option<String> {
    let Some(value) = value else {
        errors.push(FieldError::new(field, "is required"));
        return None;
    };
    let value = clean_text(errors, field, value, multiline)?;
    let n = value.chars().count();
    if n == 0 {
        errors.push(FieldError::new(field, "is required"));
        return None;
    }
    if !chars.contains(&n) {
        errors.push(FieldError::new(
            field,
            format!(
                "must be {} to {} characters (got {n})",
                chars.start(),
                chars.end()
            ),
        ));
        return None;
    }
    Some(value)
}

fn optional_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<String>,
    max_chars: usize,
    multiline: bool,
) -> Option<String> {
    let value = clean_text(errors, field, value?, multiline)?;
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > max_chars {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // tests use the compiled-in directory
    use super::*;

    fn valid() -> Submission {
        Submission {
            kind: Some("complaint".into()),
            title: Some("Jalan rusak parah".into()),
            body: Some("Jalan di depan pasar berlubang besar sejak bulan lalu.".into()),
            region_code: Some("32.73".into()),
            ..Default::default()
        }
    }

    fn fields(r: Result<NewReport, Vec<FieldError>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_valid_submission_passes() {
        let r = valid().validate(Utc::now(), &Directory::builtin()).unwrap();
        assert_eq!(r.kind, ReportKind::Complaint);
        assert_eq!(r.channel, Channel::Web);
        assert!(!r.anonymous && !r.confidential);
    }

    #[test]
    fn every_failing_field_is_named() {
        let s = Submission {
            kind: Some("rant".into()),
            title: Some("a".into()),
            body: None,
            region_code: Some("99.99".into()),
            lat: Some(91.0),
            incident_date: Some("2999-01-01".into()),
            target_agency: Some("no-such-agency".into()),
            channel: Some("sms".into()),
            reporter: Some(ReporterInput {
                phone: Some("12ab".into()),
                email: Some("not-an-email".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let f = fields(s.validate(Utc::now(), &Directory::builtin()));
        for expected in [
            "kind",
            "title",
            "body",
            "region_code",
            "lat",
            "lon",
            "incident_date",
            "target_agency",
            "channel",
            "reporter.phone",
            "reporter.email",
        ] {
            assert!(f.contains(&expected.to_string()), "{expected} in {f:?}");
        }
    }

    #[test]
    fn control_characters_are_refused() {
        let mut s = valid();
        s.title = Some("Jalan\u{0007} rusak".into());
        assert_eq!(
            fields(s.validate(Utc::now(), &Directory::builtin())),
            vec!["title"]
        );
        let mut s = valid();
        s.body = Some("Isi laporan yang cukup panjang \u{202E}dibalik".into());
        assert_eq!(
            fields(s.validate(Utc::now(), &Directory::builtin())),
            vec!["body"]
        );
        let mut s = valid();
        s.body = Some("Baris satu yang cukup panjang\r\nbaris dua\tdengan tab".into());
        assert_eq!(
            s.validate(Utc::now(), &Directory::builtin()).unwrap().body,
            "Baris satu yang cukup panjang\nbaris dua\tdengan tab"
        );
    }

    #[test]
    fn oversized_fields_are_refused() {
        let mut s = valid();
        s.body = Some("x".repeat(8_001));
        assert_eq!(
            fields(s.validate(Utc::now(), &Directory::builtin())),
            vec!["body"]
        );
        let mut s = valid();
        s.location_text = Some("x".repeat(301));
        assert_eq!(
            fields(s.validate(Utc::now(), &Directory::builtin())),
            vec!["location_text"]
        );
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            normalise_phone("0812-3456-7890").as_deref(),
            Some("+6281234567890")
        );
        assert_eq!(
            normalise_phone("+62 812 3456 7890").as_deref(),
            Some("+6281234567890")
        );
        assert_eq!(
            normalise_phone("6281234567890").as_deref(),
            Some("+6281234567890")
        );
        assert_eq!(
            normalise_phone("+60 12-345 6789").as_deref(),
            Some("+60123456789")
        );
        assert_eq!(normalise_phone("12345"), None);
        assert_eq!(normalise_phone("0812abc"), None);
        assert_eq!(normalise_phone("+620812345678"), None);
    }
}
