//! What a message means. People type these by SMS or DM, in Indonesian, in any case:
//!
//! | Message                                   | Command                                   |
//! |-------------------------------------------|-------------------------------------------|
//! | `CEK ABCDE-FGHJK`, `cek: abcdefghjk`,     | [`Command::Status`]                       |
//! | `CEK#ABCDE FGHJK`, `CEK-ABCDE-FGHJK`,     |                                           |
//! | `STATUS ABCDE-FGHJK`, `CEK LAPORAN ...`   |                                           |
//! | `LIHAT ABCDE-FGHJK`                       | [`Command::Show`]                         |
//! | `BALAS ABCDE-FGHJK Sudah saya lampirkan`  | [`Command::Reply`]                        |
//! | `BALAS ABCDE-FGHJK` (no text)             | [`Command::Reply`] of the text kept back  |
//! | `NILAI ABCDE-FGHJK 5 Cepat ditangani`     | [`Command::Rate`]                         |
//! | `DUKUNG ABCDE-FGHJK`                      | [`Command::Support`]                      |
//! | `BANTUAN`, `HELP`, `INFO`, `MENU`, `?`    | [`Command::Help`] (alone in the message)  |
//! | `LAPOR`, `ASPIRASI`... alone              | [`Command::ReportKept`]                   |
//! | anything else                             | [`Command::Report`]                       |
//!
//! A report may start with keywords, in any order, each followed by a space, `#`, `:`, `,` or
//! `.`; they are removed from the text: `LAPOR`/`ADUAN` (a complaint), `ASPIRASI` (an
//! aspiration), `TANYA`/`INFORMASI` (an information request), `RAHASIA` (confidential),
//! `ANONIM` (anonymous). The kind keywords also mark the message as a new report
//! (`explicit_new`), not an answer to a question asked about an earlier one. When a message
//! names two kinds, the specific one (aspiration, information request) wins over
//! `LAPOR`/`ADUAN`: `LAPOR ASPIRASI ...` is an aspiration. Without a kind keyword a report is a
//! complaint.
//!
//! Choices, for messages that do not quite follow the format:
//!
//! - `CEK`/`STATUS`/`LIHAT`/`BALAS`/`NILAI`/`DUKUNG` followed by something shaped like a tracking id
//!   that does not read (a typo: the id has a check symbol) is [`Command::InvalidId`], so the
//!   person is told the number is wrong rather than handed the general help.
//! - `CEK`/`STATUS`/`LIHAT` with nothing after them, or followed by words that are no id
//!   (`CEK LAPORAN saya yang kemarin`), is [`Command::Help`]. The exception is an ordinary
//!   sentence (more than two words, the first not shaped like an id, no `LAPORAN`): `Cek jalan
//!   di depan SDN 3, rusak parah` and `Lihat, lampu jalan mati` are Indonesian for "look
//!   at...", reports. The same holds for `NILAI`: `Nilai rapor anak saya dipotong sekolah` is a
//!   report. So is `DUKUNG` followed by a sentence (`Dukung program posyandu di desa kami`,
//!   an aspiration).
//! - `BALAS` with no id is [`Command::Help`]: a reply cannot be filed without its report.
//! - `NILAI <id>` without a mark from 1 to 5 is [`Command::Rate`] with no `stars`: the answer
//!   explains the format.
//! - Keywords alone (`LAPOR`, `ANONIM LAPOR:`) are [`Command::ReportKept`]: the sender's answer
//!   to "is this a reply or a new report?" (`service::channels`); an empty message is
//!   [`Command::Help`].
//! - A keyword must be a whole word: `LAPORAN jalan rusak` and `Cekungan di jalan` are reports
//!   with their text intact.

use crate::domain::{ReportKind, TrackingId};

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `CEK <id>` (also `CEK#<id>`, `cek: <id>`, `STATUS <id>`, `CEK LAPORAN <id>`): the status
    /// of a report (and, to its reporter, the institution's latest question or answer).
    Status(TrackingId),
    /// `LIHAT <id>`: the institution's latest question or answer, to the report's reporter.
    Show(TrackingId),
    /// `BALAS <id> <text>`: a reply to one of the sender's reports. No text: the sender's
    /// message kept back while they were asked which report it was for.
    Reply {
        tracking_id: TrackingId,
        text: Option<String>,
    },
    /// `NILAI <id> <1-5> [komentar]`: the reporter's rating of the follow-up. `stars` is none
    /// when the message has no mark from 1 to 5 after the id.
    Rate {
        tracking_id: TrackingId,
        stars: Option<u8>,
        comment: Option<String>,
    },
    /// `DUKUNG <id>`: the sender supports that report ("me too") and hears its answers.
    Support(TrackingId),
    /// A command whose tracking id does not read (a typo): the command's keyword, as the
    /// answer names it (`CEK`, `LIHAT`, `BALAS`, `NILAI`, `DUKUNG`).
    InvalidId { keyword: &'static str },
    /// `BANTUAN`, `HELP`, `INFO`, `MENU`, `?` alone: how to use the service.
    Help,
    /// Anything else: a report, its leading keywords removed from `text`.
    Report {
        text: String,
        kind: ReportKind,
        anonymous: bool,
        confidential: bool,
        explicit_new: bool,
    },
    /// Report keywords alone (`LAPOR`, `RAHASIA ASPIRASI`): the message kept back becomes a new
    /// report of this kind.
    ReportKept {
        kind: ReportKind,
        anonymous: bool,
        confidential: bool,
    },
}

/// Reads a message (see the module documentation).
pub fn parse(text: &str) -> Command {
    let text = text.trim();
    if text.is_empty() || is_help(text) {
        return Command::Help;
    }
    for (keywords, name) in [(&["CEK", "STATUS"][..], "CEK"), (&["LIHAT"][..], "LIHAT")] {
        let Some(rest) = strip_keyword(text, keywords, true) else {
            continue;
        };
        let (rest, named_report) = match strip_keyword(rest, &["LAPORAN"], false) {
            Some(r) => (r, true),
            None => (rest, false),
        };
        if let Some((id, _)) = take_tracking_id(rest) {
            return if name == "CEK" {
                Command::Status(id)
            } else {
                Command::Show(id)
            };
        }
        if attempts_an_id(rest) {
            return Command::InvalidId { keyword: name };
        }
        if named_report || !reads_as_sentence(rest) {
            return Command::Help;
        }
        // "Cek jalan di depan..." is a report; fall through.
        return report(text);
    }
    if let Some(rest) = strip_keyword(text, &["BALAS"], true) {
        return match take_tracking_id(rest) {
            Some((tracking_id, after)) => {
                let reply = trim_separators(after);
                Command::Reply {
                    tracking_id,
                    text: (!reply.is_empty()).then(|| reply.to_string()),
                }
            }
            None if attempts_an_id(rest) => Command::InvalidId { keyword: "BALAS" },
            None => Command::Help,
        };
    }
    if let Some(rest) = strip_keyword(text, &["NILAI"], true) {
        if let Some((tracking_id, after)) = take_tracking_id(rest) {
            let (stars, comment) = take_stars(trim_separators(after));
            return Command::Rate {
                tracking_id,
                stars,
                comment,
            };
        }
        if attempts_an_id(rest) {
            return Command::InvalidId { keyword: "NILAI" };
        }
        if !reads_as_sentence(rest) {
            return Command::Help;
        }
        // "Nilai rapor anak saya..." is a report; fall through.
    }
    if let Some(rest) = strip_keyword(text, &["DUKUNG"], true) {
        if let Some((tracking_id, _)) = take_tracking_id(rest) {
            return Command::Support(tracking_id);
        }
        if attempts_an_id(rest) {
            return Command::InvalidId { keyword: "DUKUNG" };
        }
        if !reads_as_sentence(rest) {
            return Command::Help;
        }
        // "Dukung program posyandu..." is an aspiration; fall through.
    }
    report(text)
}

fn trim_separators(text: &str) -> &str {
    text.trim_start_matches(|c: char| c.is_whitespace() || ":#-,.".contains(c))
        .trim_end()
}

/// A mark from 1 to 5 at the start of `text` (`5`, `5/5`, `4.`, `bintang 4`) and the comment
/// after it.
fn take_stars(text: &str) -> (Option<u8>, Option<String>) {
    let text = strip_keyword(text, &["BINTANG"], false).unwrap_or(text);
    let Some(first) = text.chars().next() else {
        return (None, None);
    };
    let rest = &text[first.len_utf8()..];
    let rest = rest.strip_prefix("/5").unwrap_or(rest);
    let stars = first.to_digit(10).filter(|d| (1..=5).contains(d));
    let ends_token = rest
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || ":#-,.!".contains(c));
    match stars {
        Some(stars) if ends_token => {
            let comment = trim_separators(rest);
            (
                Some(stars as u8),
                (!comment.is_empty()).then(|| comment.to_string()),
            )
        }
        _ => (None, None),
    }
}

fn is_help(text: &str) -> bool {
    if !text.is_empty() && text.chars().all(|c| c == '?') {
        return true;
    }
    let word = text.trim_end_matches(['.', '!', '?']).trim();
    ["BANTUAN", "HELP", "INFO", "MENU"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(word))
}

#[derive(Clone, Copy)]
enum Keyword {
    Complaint,
    Aspiration,
    InformationRequest,
    Confidential,
    Anonymous,
}

const REPORT_KEYWORDS: &[(&str, Keyword)] = &[
    ("LAPOR", Keyword::Complaint),
    ("ADUAN", Keyword::Complaint),
    ("ASPIRASI", Keyword::Aspiration),
    ("TANYA", Keyword::InformationRequest),
    ("INFORMASI", Keyword::InformationRequest),
    ("RAHASIA", Keyword::Confidential),
    ("ANONIM", Keyword::Anonymous),
];

fn report(text: &str) -> Command {
    let mut rest = text;
    let mut kind = None;
    let mut anonymous = false;
    let mut confidential = false;
    let mut explicit_new = false;
    'keywords: loop {
        for (word, keyword) in REPORT_KEYWORDS {
            if let Some(r) = strip_keyword(rest, &[word], false) {
                rest = r;
                match keyword {
                    Keyword::Complaint => {
                        kind.get_or_insert(ReportKind::Complaint);
                        explicit_new = true;
                    }
                    Keyword::Aspiration => {
                        kind = Some(ReportKind::Aspiration);
                        explicit_new = true;
                    }
                    Keyword::InformationRequest => {
                        kind = Some(ReportKind::InformationRequest);
                        explicit_new = true;
                    }
                    Keyword::Confidential => confidential = true,
                    Keyword::Anonymous => anonymous = true,
                }
                continue 'keywords;
            }
        }
        break;
    }
    let rest = rest.trim();
    if rest.is_empty() {
        // Nothing but keywords: the answer to "a reply or a new report?" (or, with nothing
        // kept, a request for help).
        return Command::ReportKept {
            kind: kind.unwrap_or(ReportKind::Complaint),
            anonymous,
            confidential,
        };
    }
    Command::Report {
        text: rest.to_string(),
        kind: kind.unwrap_or(ReportKind::Complaint),
        anonymous,
        confidential,
        explicit_new,
    }
}

/// Characters that may follow a keyword (and are skipped after it).
fn is_separator(c: char, dash: bool) -> bool {
    c.is_whitespace() || matches!(c, '#' | ':' | ',' | '.') || (dash && c == '-')
}

/// When `text` starts (after an optional `#`) with one of `keywords` as a whole word, in any
/// case, the text after it and its separators.
fn strip_keyword<'a>(text: &'a str, keywords: &[&str], dash: bool) -> Option<&'a str> {
    let text = text.strip_prefix('#').unwrap_or(text);
    keywords.iter().find_map(|keyword| {
        let n = keyword.len();
        let head = text.as_bytes().get(..n)?;
        if !head.eq_ignore_ascii_case(keyword.as_bytes()) {
            return None;
        }
        // The keyword is ASCII, so `n` is a character boundary.
        let rest = &text[n..];
        match rest.chars().next() {
            None => Some(rest),
            Some(c) if is_separator(c, dash) => {
                Some(rest.trim_start_matches(|c: char| is_separator(c, dash)))
            }
            Some(_) => None,
        }
    })
}

fn is_token_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '#' | ':' | ',')
}

/// The byte offsets where each of the first `max` tokens of `text` ends.
fn token_ends(text: &str, max: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut in_token = false;
    for (i, c) in text.char_indices() {
        let sep = is_token_separator(c);
        if in_token && sep {
            ends.push(i);
            if ends.len() == max {
                return ends;
            }
        }
        in_token = !sep;
    }
    if in_token {
        ends.push(text.len());
    }
    ends
}

/// A tracking id at the start of `text`, written in up to four pieces (`ABCDE FGHJK`,
/// `ABCDE - FGHJK`), and the text after it.
fn take_tracking_id(text: &str) -> Option<(TrackingId, &str)> {
    let text = text.trim_start_matches(|c: char| is_separator(c, true));
    token_ends(text, 4).into_iter().find_map(|end| {
        let candidate = text[..end].trim_end_matches(['.', '!', '?', '-']);
        TrackingId::parse(candidate).map(|id| (id, &text[end..]))
    })
}

/// True when what follows `CEK`/`STATUS` is an ordinary sentence rather than a mistyped id.
fn reads_as_sentence(rest: &str) -> bool {
    let ends = token_ends(rest, 3);
    if ends.len() < 3 {
        return false;
    }
    let first = rest[..ends[0]].trim_end_matches(['.', '!', '?']);
    !looks_like_id(first)
}

/// True when `rest` starts with something a person meant as a tracking id: shaped like one
/// ([`looks_like_id`]), a number of four digits or more, or a lone word of 8 to 12 letters and
/// digits where no sentence follows.
fn attempts_an_id(rest: &str) -> bool {
    let rest = rest.trim_start_matches(|c: char| is_separator(c, true));
    let Some(&end) = token_ends(rest, 1).first() else {
        return false;
    };
    let first = rest[..end].trim_end_matches(['.', '!', '?']);
    let symbols = first.chars().filter(char::is_ascii_alphanumeric).count();
    looks_like_id(first)
        || (symbols >= 4 && first.chars().all(|c| c.is_ascii_digit()))
        || (first.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && (8..=12).contains(&symbols)
            && !reads_as_sentence(rest))
}

/// Shaped like a tracking id someone tried to type: digits among letters (`7Q3ZB-K4P2X`), or
/// two dash-separated groups of letters (`ABCDE-FGHJK`).
fn looks_like_id(token: &str) -> bool {
    let symbols = token.chars().filter(char::is_ascii_alphanumeric).count();
    let only_id_chars = token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let has_digit = token.chars().any(|c| c.is_ascii_digit());
    let has_letter = token.chars().any(|c| c.is_ascii_alphabetic());
    only_id_chars
        && ((has_digit && has_letter && symbols >= 5)
            || (token.contains('-') && (8..=12).contains(&symbols)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid id (with its check symbol), grouped and compact.
    fn id() -> TrackingId {
        let id = TrackingId::generate();
        assert_eq!(TrackingId::parse(&id.display_grouped()), Some(id.clone()));
        id
    }

    fn report(
        text: &str,
        kind: ReportKind,
        anonymous: bool,
        confidential: bool,
        explicit_new: bool,
    ) -> Command {
        Command::Report {
            text: text.into(),
            kind,
            anonymous,
            confidential,
            explicit_new,
        }
    }

    #[test]
    fn status_commands() {
        let id = id();
        let g = id.display_grouped();
        let c = id.as_str().to_string();
        let lower = g.to_lowercase();
        let spaced = g.replace('-', " ");
        let forms = [
            format!("CEK {g}"),
            format!("cek {c}"),
            format!("CEK#{g}"),
            format!("cek: {lower}"),
            format!("Cek : {spaced}"),
            format!("CEK-{g}"),
            format!("  STATUS   {g}  "),
            format!("status {c}."),
            format!("CEK LAPORAN {g}"),
            format!("cek laporan: {c}"),
            format!("CEK {g} terima kasih"),
            format!("CEK {} - {}", &g[..5], &g[6..]),
            format!("#CEK {g}"),
        ];
        for form in forms {
            assert_eq!(parse(&form), Command::Status(id.clone()), "{form:?}");
        }
    }

    #[test]
    fn replies() {
        let id = id();
        let g = id.display_grouped();
        let cases = [
            (
                format!("BALAS {g} Sudah saya kirim fotonya"),
                "Sudah saya kirim fotonya",
            ),
            (
                format!("balas {} lokasinya di RT 04", id.as_str().to_lowercase()),
                "lokasinya di RT 04",
            ),
            (format!("BALAS#{g}#Jalan Melati no 5"), "Jalan Melati no 5"),
            (
                format!("Balas: {} : kemarin sore", g.replace('-', " ")),
                "kemarin sore",
            ),
            (
                format!("BALAS {g}\nBaris satu\nBaris dua"),
                "Baris satu\nBaris dua",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse(&text),
                Command::Reply {
                    tracking_id: id.clone(),
                    text: Some(want.into())
                },
                "{text:?}"
            );
        }
    }

    #[test]
    fn help() {
        for text in [
            "BANTUAN",
            "help",
            "Info",
            "menu",
            "?",
            "??",
            " bantuan! ",
            "MENU.",
            "",
            "   ",
        ] {
            assert_eq!(parse(text), Command::Help, "{text:?}");
        }
    }

    /// `id` with its last (check) symbol changed: a typo the check symbol catches.
    fn typo(id: &TrackingId) -> String {
        let g = id.display_grouped();
        let last = g.chars().last().unwrap();
        format!(
            "{}{}",
            &g[..g.len() - 1],
            if last == 'A' { 'B' } else { 'A' }
        )
    }

    #[test]
    fn mistyped_ids_are_named_invalid() {
        let typo = typo(&id());
        let cases = [
            (format!("CEK {typo}"), "CEK"),
            (format!("STATUS {typo} tolong"), "CEK"),
            (format!("CEK {typo} tolong dicek"), "CEK"),
            (format!("cek {}", typo.replace('-', "")), "CEK"),
            ("CEK 12345".to_string(), "CEK"),
            (format!("LIHAT {typo}"), "LIHAT"),
            (format!("BALAS {typo} ini jawabannya"), "BALAS"),
            (format!("NILAI {typo} 5"), "NILAI"),
            (format!("DUKUNG {typo}"), "DUKUNG"),
            (format!("nilai {} 4 bagus", typo.to_lowercase()), "NILAI"),
        ];
        for (text, keyword) in cases {
            assert_eq!(parse(&text), Command::InvalidId { keyword }, "{text:?}");
        }
    }

    #[test]
    fn commands_without_an_id_get_help() {
        for text in [
            "CEK",
            "cek:",
            "LIHAT",
            "CEK LAPORAN saya yang kemarin bagaimana?",
            "BALAS",
            "BALAS terima kasih pak",
            "NILAI",
            "NILAI 5",
        ] {
            assert_eq!(parse(text), Command::Help, "{text:?}");
        }
    }

    #[test]
    fn balas_without_text_takes_the_text_kept_back() {
        let id = id();
        for text in [
            format!("BALAS {}", id.display_grouped()),
            format!("balas {} :", id.as_str().to_lowercase()),
        ] {
            assert_eq!(
                parse(&text),
                Command::Reply {
                    tracking_id: id.clone(),
                    text: None
                },
                "{text:?}"
            );
        }
    }

    #[test]
    fn show_commands() {
        let id = id();
        let g = id.display_grouped();
        for text in [
            format!("LIHAT {g}"),
            format!("lihat: {}", id.as_str().to_lowercase()),
            format!("Lihat laporan {g}"),
        ] {
            assert_eq!(parse(&text), Command::Show(id.clone()), "{text:?}");
        }
    }

    #[test]
    fn support_commands() {
        let id = id();
        let g = id.display_grouped();
        for text in [
            format!("DUKUNG {g}"),
            format!("dukung: {}", id.as_str().to_lowercase()),
            format!("Dukung {g} saya juga mengalami"),
        ] {
            assert_eq!(parse(&text), Command::Support(id.clone()), "{text:?}");
        }
        assert_eq!(parse("DUKUNG"), Command::Help);
        // A sentence is an aspiration, its words kept.
        assert!(matches!(
            parse("Dukung program posyandu di desa kami agar lebih sering"),
            Command::Report { .. }
        ));
    }

    #[test]
    fn ratings() {
        let id = id();
        let g = id.display_grouped();
        let rate = |stars: Option<u8>, comment: Option<&str>| Command::Rate {
            tracking_id: id.clone(),
            stars,
            comment: comment.map(str::to_string),
        };
        let cases = [
            (format!("NILAI {g} 5"), rate(Some(5), None)),
            (
                format!("nilai {} 4 Cepat ditangani, terima kasih", id.as_str()),
                rate(Some(4), Some("Cepat ditangani, terima kasih")),
            ),
            (format!("NILAI {g} 3/5"), rate(Some(3), None)),
            (
                format!("NILAI {g} bintang 2. Lambat sekali"),
                rate(Some(2), Some("Lambat sekali")),
            ),
            (format!("NILAI {g}"), rate(None, None)),
            (format!("NILAI {g} 9"), rate(None, None)),
            (format!("NILAI {g} 45"), rate(None, None)),
            (format!("NILAI {g} bagus"), rate(None, None)),
        ];
        for (text, want) in cases {
            assert_eq!(parse(&text), want, "{text:?}");
        }
    }

    #[test]
    fn reports() {
        use ReportKind::*;
        let cases = [
            (
                "Jalan rusak di depan SDN 3",
                report("Jalan rusak di depan SDN 3", Complaint, false, false, false),
            ),
            (
                "LAPOR Jalan rusak",
                report("Jalan rusak", Complaint, false, false, true),
            ),
            (
                "lapor#jalan rusak",
                report("jalan rusak", Complaint, false, false, true),
            ),
            (
                "ADUAN: Pungli di kelurahan",
                report("Pungli di kelurahan", Complaint, false, false, true),
            ),
            (
                "ASPIRASI Tambah halte",
                report("Tambah halte", Aspiration, false, false, true),
            ),
            (
                "tanya: syarat KTP apa saja?",
                report(
                    "syarat KTP apa saja?",
                    InformationRequest,
                    false,
                    false,
                    true,
                ),
            ),
            (
                "INFORMASI jadwal vaksin",
                report("jadwal vaksin", InformationRequest, false, false, true),
            ),
            (
                "RAHASIA LAPOR pungli",
                report("pungli", Complaint, false, true, true),
            ),
            (
                "anonim rahasia aduan: pungli",
                report("pungli", Complaint, true, true, true),
            ),
            (
                "ANONIM Jalan rusak",
                report("Jalan rusak", Complaint, true, false, false),
            ),
            (
                "LAPOR ASPIRASI tambah bus",
                report("tambah bus", Aspiration, false, false, true),
            ),
            (
                "ASPIRASI LAPOR tambah bus",
                report("tambah bus", Aspiration, false, false, true),
            ),
            (
                "LAPOR, pak. Jalan rusak",
                report("pak. Jalan rusak", Complaint, false, false, true),
            ),
            // Keywords must be whole words; later keywords stay in the text.
            (
                "LAPORAN jalan rusak",
                report("LAPORAN jalan rusak", Complaint, false, false, false),
            ),
            (
                "Cekungan di jalan",
                report("Cekungan di jalan", Complaint, false, false, false),
            ),
            (
                "Informasinya kurang",
                report("Informasinya kurang", Complaint, false, false, false),
            ),
            (
                "Jalan rusak, LAPOR segera",
                report("Jalan rusak, LAPOR segera", Complaint, false, false, false),
            ),
            (
                "INFO jadwal puskesmas",
                report("INFO jadwal puskesmas", Complaint, false, false, false),
            ),
            // CEK followed by a sentence is Indonesian for "look at": a report.
            (
                "Cek jalan di depan SDN 3, rusak parah",
                report(
                    "Cek jalan di depan SDN 3, rusak parah",
                    Complaint,
                    false,
                    false,
                    false,
                ),
            ),
            (
                "Lihat, lampu jalan di gang kami mati semua",
                report(
                    "Lihat, lampu jalan di gang kami mati semua",
                    Complaint,
                    false,
                    false,
                    false,
                ),
            ),
            (
                "Nilai rapor anak saya dipotong sekolah tanpa alasan",
                report(
                    "Nilai rapor anak saya dipotong sekolah tanpa alasan",
                    Complaint,
                    false,
                    false,
                    false,
                ),
            ),
            (
                "Status tanah warga belum jelas sejak 2019",
                report(
                    "Status tanah warga belum jelas sejak 2019",
                    Complaint,
                    false,
                    false,
                    false,
                ),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn keywords_alone_make_the_kept_text_a_report() {
        use ReportKind::*;
        let kept = |kind, anonymous, confidential| Command::ReportKept {
            kind,
            anonymous,
            confidential,
        };
        let cases = [
            ("LAPOR", kept(Complaint, false, false)),
            ("lapor:", kept(Complaint, false, false)),
            ("ANONIM LAPOR", kept(Complaint, true, false)),
            ("#ASPIRASI", kept(Aspiration, false, false)),
            ("RAHASIA .", kept(Complaint, false, true)),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn non_ascii_text_does_not_panic() {
        for text in ["Ç", "CEKé", "LAPOR🚧 jalan", "🚧", "BALAS é", "CEK 🚧🚧 🚧"] {
            let _ = parse(text);
        }
        assert_eq!(
            parse("LAPOR 🚧 jalan"),
            report("🚧 jalan", ReportKind::Complaint, false, false, true)
        );
    }

    #[test]
    fn id_shapes() {
        assert!(looks_like_id("7Q3ZB-K4P2X"));
        assert!(looks_like_id("ABCDE-FGHJK"));
        assert!(looks_like_id("7q3zbk4p2x"));
        assert!(!looks_like_id("jalan"));
        assert!(!looks_like_id("perbaikan"));
        assert!(!looks_like_id("RT-05"));
        assert!(!looks_like_id("2019"));
    }
}
