//! The words the citizens' pages show for the domain's codes, in Bahasa Indonesia.

use crate::api::FieldError;
use crate::domain::ReportKind;

/// The three kinds, as LAPOR! names them, with a line each for the home page.
pub const KINDS: [(&str, &str, &str); 3] = [
    (
        "complaint",
        "Pengaduan",
        "Keluhan tentang pelayanan publik yang tidak berjalan semestinya: jalan rusak, \
         pungutan liar, layanan yang lambat.",
    ),
    (
        "aspiration",
        "Aspirasi",
        "Usulan atau saran untuk perbaikan kebijakan dan pelayanan publik.",
    ),
    (
        "information_request",
        "Permintaan informasi",
        "Pertanyaan tentang kebijakan, prosedur atau layanan instansi pemerintah.",
    ),
];

pub fn kind(kind: ReportKind) -> &'static str {
    KINDS
        .iter()
        .find(|(code, _, _)| *code == kind.as_str())
        .map(|(_, name, _)| *name)
        .unwrap_or("Laporan")
}

/// A timeline event's action, as a sentence fragment.
pub fn event(action: &str) -> &str {
    match action {
        "submitted" => "Laporan diterima",
        "routed" => "Diteruskan ke instansi",
        "sent_to_triage" => "Menunggu verifikasi petugas",
        "verified" => "Diverifikasi dan diteruskan ke instansi",
        "deferred" => "Ditunda: pelapor diminta melengkapi",
        "archived" => "Diarsipkan",
        "marked_duplicate" => "Ditandai sebagai laporan ganda",
        "accepted" => "Diterima instansi untuk diproses",
        "assigned_to_unit" => "Diteruskan ke unit kerja",
        "followed_up" => "Ditindaklanjuti instansi",
        "info_requested" => "Instansi meminta keterangan",
        "forwarded" => "Dilimpahkan ke instansi lain",
        "closed" => "Selesai",
        "reporter_replied" => "Tanggapan pelapor",
        "rated" => "Pelapor memberi penilaian",
        "withdrawn" => "Ditarik oleh pelapor",
        "auto_closed" => "Selesai otomatis (tanpa tanggapan pelapor)",
        "archived_unanswered" => "Diarsipkan: pertanyaan tidak dijawab",
        "escalated" => "Lewat batas waktu: kini diawasi instansi di atasnya",
        "reminded" => "Instansi pengawas menegur instansi yang menangani",
        "taken_over" => "Diambil alih oleh instansi pengawas",
        "deadline_extended" => "Batas waktu diperpanjang",
        "contact_confirmed" => "Kontak pelapor dikonfirmasi",
        other => other,
    }
}

/// Who acted, as the public may know it (a role, never a person).
pub fn actor(actor: &str) -> &'static str {
    match actor {
        "reporter" => "Pelapor",
        "officer" => "Instansi",
        "verifier" => "Verifikator",
        _ => "Sistem",
    }
}

/// A deadline's step.
pub fn deadline_step(step: crate::deadlines::Step) -> &'static str {
    use crate::deadlines::Step;
    match step {
        Step::Verification => "batas verifikasi",
        Step::FollowUp => "batas tindak lanjut instansi",
        Step::DeferredAnswer => "batas jawaban pelapor",
        Step::AutoClose => "selesai otomatis bila tidak ditanggapi",
    }
}

/// A submission field's label on the form.
pub fn field(field: &str) -> &str {
    match field {
        "kind" => "Jenis laporan",
        "title" => "Judul",
        "body" => "Isi laporan",
        "region_code" => "Wilayah",
        "location_text" => "Lokasi",
        "incident_date" => "Tanggal kejadian",
        "reporter.name" => "Nama",
        "reporter.phone" => "Nomor telepon",
        "reporter.email" => "E-mail",
        "reporter.id_number" => "NIK",
        "message" => "Pesan",
        "stars" => "Nilai",
        "comment" => "Komentar",
        "reason" => "Alasan",
        "code" => "Kode konfirmasi",
        other => other,
    }
}

/// A field error's message in Indonesian where the service's words are known; else the
/// service's own (English) message.
pub fn field_message(error: &FieldError) -> String {
    let m = error.message.as_str();
    if m == "is required" {
        return "wajib diisi".into();
    }
    if m == "is in the future" {
        return "tidak boleh di masa depan".into();
    }
    if let Some(rest) = m.strip_prefix("must be at most ") {
        if let Some(n) = rest.strip_suffix(" characters") {
            return format!("paling banyak {n} karakter");
        }
    }
    if let Some(rest) = m.strip_prefix("must be ") {
        // "must be 5 to 150 characters (got 3)"
        if let Some((range, got)) = rest.split_once(" characters") {
            if let Some((low, high)) = range.split_once(" to ") {
                let got = got
                    .trim()
                    .strip_prefix("(got ")
                    .and_then(|g| g.strip_suffix(')'))
                    .map(|g| format!(", sekarang {g}"))
                    .unwrap_or_default();
                return format!("harus {low} sampai {high} karakter{got}");
            }
        }
    }
    if m.contains("Kemendagri") {
        return "wilayah tidak dikenal".into();
    }
    m.to_string()
}

/// A field error as the form shows it.
#[derive(Debug, Clone)]
pub struct ShownError {
    pub field: String,
    pub label: String,
    pub message: String,
}

pub fn shown(errors: &[FieldError]) -> Vec<ShownError> {
    errors
        .iter()
        .map(|e| ShownError {
            field: e.field.clone(),
            label: field(&e.field).to_string(),
            message: field_message(e),
        })
        .collect()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
];

/// A time as people read it where the report is: `6 Des 2025, 15.09 WIB` (the region's zone,
/// WIB when the report has none).
pub fn when(at: chrono::DateTime<chrono::Utc>, region_code: Option<&str>) -> String {
    use chrono::{Datelike, Timelike};
    let zone = region_code
        .and_then(crate::deadlines::zone_for_region)
        .unwrap_or(crate::deadlines::TimeZone::CENTRAL);
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

/// `2025-12` as `Des 2025`; anything else as it is.
pub fn month(period: &str) -> String {
    match crate::stats::Months::parse_month(period) {
        Some(d) => {
            use chrono::Datelike;
            format!("{} {}", MONTHS[d.month0() as usize], d.year())
        }
        None => period.to_string(),
    }
}

/// A duration in whole hours as people say it: `5 jam` under two days, `3 hari` from then.
pub fn hours(h: i64) -> String {
    if h < 48 {
        format!("{h} jam")
    } else {
        format!("{} hari", (h + 12) / 24)
    }
}

/// A region's name with its parents: `Kec. Coblong, Kota Bandung, Jawa Barat`.
pub fn region(code: &str) -> Option<String> {
    let regions = crate::domain::regions::Regions::get();
    let mut names = Vec::new();
    let mut next = regions.find(code);
    while let Some(r) = next {
        names.push(match r.level {
            crate::domain::regions::RegionLevel::District => format!("Kec. {}", r.name),
            _ => r.name.clone(),
        });
        next = r.parent_code.as_deref().and_then(|p| regions.find(p));
    }
    (!names.is_empty()).then(|| names.join(", "))
}

#[cfg(test)]
mod tests {
    /// A citizen never reads an internal event name: every event of the lifecycle has words.
    #[test]
    fn every_lifecycle_event_has_indonesian_words() {
        use crate::lifecycle::ActionKind;
        use strum::IntoEnumIterator;
        for kind in ActionKind::iter() {
            let name = kind.rule().event;
            assert_ne!(super::event(name), name, "{name}");
        }
    }
}
