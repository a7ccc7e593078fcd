//! The console's words for the domain's values: statuses as LAPOR's buckets, timeline events,
//! kinds, channels and dates as Indonesian offices write them ("11 Desember 2026, 23.59 WIB").

use crate::deadlines::zones::{zone_for_institution, TimeZone};
use crate::directory::Directory;
use crate::domain::{ReportKind, Status};
use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::deadlines::zones::MONTHS;

/// `11 Desember 2026, 23.59 WIB`.
pub fn datetime(at: DateTime<Utc>, zone: TimeZone) -> String {
    let local = zone.local(at);
    format!(
        "{} {} {}, {:02}.{:02} {}",
        local.day(),
        MONTHS[local.month0() as usize],
        local.year(),
        local.hour(),
        local.minute(),
        zone.abbreviation()
    )
}

/// `11 Desember 2026`.
pub fn date(at: DateTime<Utc>, zone: TimeZone) -> String {
    let local = zone.local(at);
    format!(
        "{} {} {}",
        local.day(),
        MONTHS[local.month0() as usize],
        local.year()
    )
}

/// The zone deadlines of a report held by `agency_id` end in: the institution's (WIB for a
/// central one, and for a report no institution holds yet: the national verifiers are in
/// Jakarta).
pub fn zone_of(directory: &Directory, agency_id: Option<&str>) -> TimeZone {
    agency_id
        .and_then(|id| directory.get(id))
        .and_then(|a| zone_for_institution(a.region_code.as_deref()))
        .unwrap_or(TimeZone::CENTRAL)
}

/// An institution's name, or its id when the directory does not know it (a unit removed since).
pub fn agency_name(directory: &Directory, id: &str) -> String {
    directory
        .get(id)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| id.to_string())
}

/// A region's name from its Kemendagri code, with its kabupaten/kota for a kecamatan.
pub fn place(region_code: Option<&str>) -> Option<String> {
    let regions = crate::domain::regions::Regions::get();
    let region = regions.find(region_code?)?;
    match region
        .parent_code
        .as_deref()
        .and_then(|p| regions.find(p))
        .filter(|_| region.level == crate::domain::regions::RegionLevel::District)
    {
        Some(parent) => Some(format!("Kec. {}, {}", region.name, parent.name)),
        None => Some(region.name.clone()),
    }
}

pub fn kind(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Complaint => "Pengaduan",
        ReportKind::Aspiration => "Aspirasi",
        ReportKind::InformationRequest => "Permintaan Informasi",
    }
}

/// The inbox's filters: LAPOR's buckets, each one status of the lifecycle, by the word the
/// page's address uses (`?status=diproses`).
pub const BUCKETS: [(&str, Status); 7] = [
    ("belum-terverifikasi", Status::NeedsTriage),
    ("belum-ditindaklanjuti", Status::Dispositioned),
    ("diproses", Status::InProgress),
    ("sudah-ditindaklanjuti", Status::Responded),
    ("tertunda", Status::Deferred),
    ("selesai", Status::Closed),
    ("arsip", Status::Archived),
];

pub fn bucket_slug(status: Status) -> &'static str {
    BUCKETS
        .iter()
        .find(|(_, s)| *s == status)
        .map(|(slug, _)| *slug)
        .unwrap_or("belum-terverifikasi")
}

pub fn bucket_from_slug(slug: &str) -> Option<Status> {
    BUCKETS.iter().find(|(s, _)| *s == slug).map(|(_, st)| *st)
}

/// What a timeline event says happened.
pub fn event(action: &str) -> &'static str {
    match action {
        "submitted" => "Laporan dikirim",
        "routed" => "Diteruskan otomatis ke instansi",
        "sent_to_triage" => "Menunggu verifikasi",
        "verified" => "Diverifikasi dan diteruskan",
        "deferred" => "Ditunda: verifikator bertanya kepada pelapor",
        "archived" => "Diarsipkan",
        "marked_duplicate" => "Ditandai sebagai laporan ganda",
        "accepted" => "Diterima instansi",
        "assigned_to_unit" => "Diserahkan ke unit kerja",
        "followed_up" => "Ditindaklanjuti",
        "info_requested" => "Instansi meminta informasi kepada pelapor",
        "forwarded" => "Diteruskan ke instansi lain",
        "closed" => "Diselesaikan",
        "reporter_replied" => "Pelapor menanggapi",
        "rated" => "Pelapor memberi penilaian",
        "withdrawn" => "Dicabut pelapor",
        "auto_closed" => "Selesai otomatis (tidak ada tanggapan pelapor)",
        "archived_unanswered" => "Diarsipkan (pelapor tidak menjawab)",
        "escalated" => "Lewat tenggat: diawasi instansi di atasnya",
        "reminded" => "Ditegur oleh instansi pengawas",
        "taken_over" => "Diambil alih oleh instansi pengawas",
        "deadline_extended" => "Batas waktu diperpanjang",
        "contact_confirmed" => "Kontak pelapor dikonfirmasi",
        _ => "Perubahan pada laporan",
    }
}

/// Who acted, as a role: officers are never named on a page (their ids stay in the store).
pub fn actor_role(actor: &crate::domain::Actor) -> &'static str {
    use crate::domain::Actor;
    match actor {
        Actor::Reporter => "Pelapor",
        Actor::System { .. } => "Sistem",
        Actor::Officer { .. } => "Petugas instansi",
        Actor::Verifier { .. } => "Verifikator",
    }
}

pub fn channel(channel: crate::domain::Channel) -> &'static str {
    use crate::domain::Channel;
    match channel {
        Channel::Web => "Situs web",
        Channel::Mobile => "Aplikasi",
        Channel::Sms => "SMS 1708",
        Channel::X => "X",
        Channel::Whatsapp => "WhatsApp",
        Channel::Messenger => "Messenger",
        Channel::Email => "Surel",
    }
}

/// What each action's button says.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "accept" => "Terima laporan",
        "assign" => "Serahkan ke unit kerja",
        "follow_up" => "Kirim tindak lanjut",
        "request_info" => "Minta informasi kepada pelapor",
        "forward" => "Teruskan ke instansi lain",
        "close" => "Selesaikan laporan",
        "verify" => "Verifikasi dan teruskan",
        "defer" => "Tunda dan tanya pelapor",
        "archive" => "Arsipkan",
        "mark_duplicate" => "Tandai sebagai laporan ganda",
        "remind" => "Tegur instansi yang menangani",
        "take_over" => "Ambil alih laporan",
        "extend" => "Perpanjang batas waktu",
        _ => "Lakukan",
    }
}

/// What the page says after an action was done.
pub fn action_done(action: &str) -> Option<&'static str> {
    Some(match action {
        "accept" => {
            "Laporan diterima. Langkah berikutnya: tindak lanjuti atau serahkan ke unit kerja."
        }
        "assign" => "Laporan diserahkan ke unit kerja.",
        "follow_up" => "Tindak lanjut terkirim kepada pelapor.",
        "request_info" => {
            "Pertanyaan terkirim kepada pelapor. Laporan tertunda sampai pelapor menjawab."
        }
        "close" => "Laporan diselesaikan.",
        "verify" => "Laporan diverifikasi dan diteruskan ke instansi.",
        "defer" => "Pertanyaan terkirim kepada pelapor.",
        "archive" => "Laporan diarsipkan.",
        "mark_duplicate" => "Laporan ditandai sebagai laporan ganda dan diarsipkan.",
        "remind" => "Teguran terkirim kepada instansi yang menangani.",
        "take_over" => "Laporan kini ditangani instansi Anda.",
        "extend" => "Batas waktu diperpanjang; pelapor diberi tahu alasannya.",
        "lampiran" => {
            "Lampiran diterima dan sedang diperiksa. Lampiran tampil di halaman ini setelah lolos \
             pemeriksaan keamanan, biasanya dalam beberapa saat."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn dates_read_as_indonesian_offices_write_them() {
        let at = Utc.with_ymd_and_hms(2026, 12, 11, 16, 59, 59).unwrap();
        assert_eq!(datetime(at, TimeZone::Wib), "11 Desember 2026, 23.59 WIB");
        assert_eq!(datetime(at, TimeZone::Wit), "12 Desember 2026, 01.59 WIT");
        assert_eq!(date(at, TimeZone::Wita), "12 Desember 2026");
    }

    #[test]
    fn every_bucket_round_trips() {
        for (slug, status) in BUCKETS {
            assert_eq!(bucket_from_slug(slug), Some(status));
            assert_eq!(bucket_slug(status), slug);
        }
        assert_eq!(bucket_from_slug("dispositioned"), None);
    }

    #[test]
    fn every_lifecycle_event_has_words() {
        use crate::lifecycle::ActionKind;
        use strum::IntoEnumIterator;
        for kind in ActionKind::iter() {
            assert_ne!(
                event(kind.rule().event),
                "Perubahan pada laporan",
                "{}",
                kind.rule().event
            );
        }
    }
}
