//! Indonesian text normalisation for routing: folding, informal spelling, a light stemmer and
//! the word n-gram features the text model reads.
//!
//! Citizens write reports the way they write chat messages ("sdh 3 bln gak ada air, tlg
//! dicek"), so the model must see "sudah", "tidak" and "tolong" whatever the spelling. The
//! stemmer is deliberately light (no root dictionary): it only has to map a word's inflected
//! forms onto one feature, not to produce linguistically correct roots.

/// Lowercases, removes diacritics and turns everything that is not a letter or digit into a
/// single space. `"Pemkab Garut!!  😡"` -> `"pemkab garut"`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars() {
        let mapped = fold_char(ch);
        match mapped {
            Some(c) => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
            None => pending_space = true,
        }
    }
    out
}

fn fold_char(ch: char) -> Option<char> {
    if ch.is_ascii_alphanumeric() {
        return Some(ch.to_ascii_lowercase());
    }
    let c = match ch {
        'À'..='Å' | 'à'..='å' | 'ā' | 'Ā' => 'a',
        'Ç' | 'ç' => 'c',
        'È'..='Ë' | 'è'..='ë' | 'ē' | 'Ē' => 'e',
        'Ì'..='Ï' | 'ì'..='ï' => 'i',
        'Ñ' | 'ñ' => 'n',
        'Ò'..='Ö' | 'ò'..='ö' | 'Ø' | 'ø' => 'o',
        'Ù'..='Ü' | 'ù'..='ü' => 'u',
        'Ý' | 'ý' | 'ÿ' => 'y',
        _ => return None,
    };
    Some(c)
}

/// Informal spellings and abbreviations mapped to the standard word. Place qualifiers
/// ("kab", "kec") are expanded too, so the gazetteer sees one form.
fn standard_form(word: &str) -> Option<&'static str> {
    Some(match word {
        "yg" | "yng" => "yang",
        "tdk" | "gak" | "ga" | "nggak" | "ngga" | "enggak" | "gk" | "ngak" | "tak" | "g" => "tidak",
        "sdh" | "udah" | "udh" | "dah" | "sudh" => "sudah",
        "blm" | "belom" | "blom" => "belum",
        "bgt" | "bngt" => "banget",
        "tlg" | "tolongin" => "tolong",
        "dgn" | "dg" | "dng" => "dengan",
        "sm" | "ama" => "sama",
        "utk" | "untk" => "untuk",
        "krn" | "karna" | "krna" => "karena",
        "jg" | "jga" => "juga",
        "org" | "orng" => "orang",
        "dr" => "dari",
        "pd" => "pada",
        "bs" | "bisa2" => "bisa",
        "aja" | "ae" => "saja",
        "gmn" | "gimana" | "gmana" => "bagaimana",
        "kpn" => "kapan",
        "tp" | "tpi" => "tapi",
        "sy" | "aku" | "gue" | "gw" | "sya" => "saya",
        "kmrn" | "kemaren" => "kemarin",
        "skrg" | "skr" | "skarang" => "sekarang",
        "bln" => "bulan",
        "thn" | "th" | "taun" | "setaun" => "tahun",
        "hr" => "hari",
        "mgg" | "minggu2" => "minggu",
        "jln" | "jl" | "jalanan" => "jalan",
        "msh" | "masi" => "masih",
        "lg" | "lgi" => "lagi",
        "kalo" | "klo" | "kl" | "klu" => "kalau",
        "dlm" => "dalam",
        "trs" | "trus" => "terus",
        "bnyk" | "byk" => "banyak",
        "sgt" => "sangat",
        "mrk" => "mereka",
        "lbh" => "lebih",
        "bpk" | "pak" => "bapak",
        "bu" => "ibu",
        "sblm" => "sebelum",
        "stlh" => "setelah",
        "hrs" => "harus",
        "sampe" | "smp2" => "sampai",
        "emg" | "emang" => "memang",
        "knp" | "kenapa" => "mengapa",
        "gitu" => "begitu",
        "kyk" | "kayak" | "kaya" => "seperti",
        "ngurus" | "ngurusin" => "mengurus",
        "nunggu" | "nungguin" => "menunggu",
        "bayar2" => "bayar",
        "duit" => "uang",
        "kec" | "kecamatn" => "kecamatan",
        "kab" | "kabupatn" => "kabupaten",
        "kel" | "kelurhan" => "kelurahan",
        "prov" | "propinsi" | "provinsi2" => "provinsi",
        "ds" => "desa",
        "kt" | "kot" => "kota",
        "rs2" => "rs",
        "listrk" => "listrik",
        "pdhl" => "padahal",
        "sklh" | "skolah" => "sekolah",
        "mhn" => "mohon",
        "trims" | "tq" | "thx" | "makasih" => "terima kasih",
        // Regional languages and slang (Javanese, Sundanese, Betawi, Minang, Banjar,
        // Bugis-Makassar, Manado Malay): the everyday words of a complaint, onto the
        // Indonesian word the model knows.
        "ora" | "kagak" | "kaga" | "teu" | "henteu" | "indak" | "ndak" | "nyanda" | "nda"
        | "kada" | "tena" | "tara" => "tidak",
        "wis" | "wes" | "udeh" | "sampun" => "sudah",
        "durung" | "acan" | "alun" | "balum" => "belum",
        "banyu" | "cai" | "aia" | "aer" | "wai" => "air",
        "dalan" | "labuah" => "jalan",
        "omah" | "imah" => "rumah",
        "sakola" | "sikola" | "sekolahan" => "sekolah",
        "runtah" | "rereged" | "sarok" => "sampah",
        "caah" => "banjir",
        "bolong" | "lobang" | "lubang2" | "legok" => "lubang",
        "ruksak" | "ancur" | "hancur" => "rusak",
        "pareum" | "pet" | "byarpet" => "padam",
        "tulung" | "tulungi" | "tulong" | "tolongi" => "tolong",
        "njaluk" | "menta" | "mintak" | "minto" => "minta",
        "pitis" | "picis" => "uang",
        "gede" | "ageung" | "gadang" | "lompo" => "besar",
        "cilik" | "leutik" | "ketek" | "caddi" => "kecil",
        "bocah" | "budak" | "barudak" => "anak",
        "kulo" | "abdi" | "ambo" | "ulun" | "ane" | "gua" | "sayah" => "saya",
        "kite" | "torang" | "kami2" => "kami",
        "lara" | "gering" => "sakit",
        "gak2" => "tidak",
        _ => return None,
    })
}

/// Words the stemmer leaves alone: stripping an apparent affix would merge them with unrelated
/// words ("dinas" is not di- + "nas", "sekolah" is not "seko" + -lah).
fn is_protected(word: &str) -> bool {
    matches!(
        word,
        "sekolah"
            | "dinas"
            | "desa"
            | "kelas"
            | "pajak"
            | "perum"
            | "perumahan"
            | "pesawat"
            | "penjara"
            | "pelabuhan"
            | "pemda"
            | "pemkab"
            | "pemkot"
            | "pemprov"
            | "pertamina"
            | "perhutani"
            | "pelni"
            | "pegadaian"
            | "kereta"
            | "sertifikat"
            | "semen"
            | "selatan"
            | "selokan"
            | "bersih"
            | "berat"
            | "beras"
            | "tertib"
            | "teras"
            | "pemilu"
            | "menteri"
            | "kementerian"
            | "medan"
            | "mesin"
            | "meter"
            | "depan"
            | "dian"
            | "kemarin"
            | "terminal"
            | "tersangka"
            | "pelantikan"
            | "kecamatan"
            | "kelurahan"
            | "kabupaten"
            | "provinsi"
    )
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// A light Indonesian stemmer: particles, possessives and derivational suffixes, then one or two
/// prefixes (with the nasal assimilation of me-/pe-: "menanam" -> "tanam", "mengambil" -> "ambil",
/// "menyapu" -> "sapu", "memukul" -> "pukul"). Words with digits and short words are kept.
pub fn stem(word: &str) -> String {
    if word.len() < 5 || !word.bytes().all(|b| b.is_ascii_lowercase()) || is_protected(word) {
        return word.to_string();
    }
    let mut w = word.to_string();
    for suffix in ["lah", "kah", "pun", "tah"] {
        if w.len() > suffix.len() + 3 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    for suffix in ["nya", "ku", "mu"] {
        if w.len() > suffix.len() + 3 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    for suffix in ["kan", "an", "i"] {
        if w.len() > suffix.len() + 3 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    for _ in 0..2 {
        match strip_prefix(&w) {
            Some(rest) if rest.len() >= 3 => w = rest,
            _ => break,
        }
    }
    w
}

fn strip_prefix(w: &str) -> Option<String> {
    let b = w.as_bytes();
    let after = |n: usize| -> Option<u8> { b.get(n).copied() };
    for (prefix, nasal) in [
        ("meng", true),
        ("meny", true),
        ("mem", true),
        ("men", true),
        ("me", false),
        ("peng", true),
        ("peny", true),
        ("pem", true),
        ("pen", true),
        ("per", false),
        ("pe", false),
        ("ber", false),
        ("ter", false),
        ("di", false),
        ("ke", false),
        ("se", false),
    ] {
        if !w.starts_with(prefix) || w.len() < prefix.len() + 3 {
            continue;
        }
        let next = after(prefix.len())?;
        if nasal && is_vowel(next) {
            // Nasal assimilation dropped the root's first consonant: restore it.
            let restored = match prefix {
                "meny" | "peny" => "s",
                "mem" | "pem" => "p",
                "men" | "pen" => "t",
                _ => "k",
            };
            let rest = &w[prefix.len()..];
            // meng-/peng- before a vowel is mostly a vowel-initial root ("mengambil" ->
            // "ambil"), rarely a dropped k ("mengirim"): keep the vowel-initial form.
            if prefix.ends_with("ng") {
                return Some(rest.to_string());
            }
            return Some(format!("{restored}{rest}"));
        }
        return Some(w[prefix.len()..].to_string());
    }
    None
}

/// The normalised words of a text: folded, informal spellings replaced, reduplication ("anak2")
/// collapsed. Not stemmed: the gazetteer reads these.
pub fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::with_capacity(folded.len() / 5 + 1);
    for raw in folded.split(' ') {
        if raw.is_empty() {
            continue;
        }
        let mut word = raw;
        // "anak2", "jalan2": Indonesian reduplication written with a 2.
        if word.len() > 3
            && word.ends_with('2')
            && word[..word.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_lowercase())
        {
            word = &word[..word.len() - 1];
        }
        match standard_form(word) {
            Some(std) => out.extend(std.split(' ').map(str::to_string)),
            None => out.push(word.to_string()),
        }
    }
    out
}

/// How a word was written: whether it started with a capital letter, and whether it began a
/// sentence (the text's first word, or the first after `.`, `!`, `?`, `:` or a line break).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    pub capitalised: bool,
    pub sentence_start: bool,
}

/// [`words`] with how each word was written, for telling a place name ("warga Butuh") from the
/// same everyday word ("warga butuh obat"). `expanded` informal forms ("makasih" -> "terima
/// kasih") carry the flags of their source word.
pub fn cased_words(text: &str) -> Vec<(String, Written)> {
    let mut out = Vec::with_capacity(text.len() / 5 + 1);
    let mut token = String::new();
    let mut written = Written {
        capitalised: false,
        sentence_start: true,
    };
    let mut next_starts_sentence = true;
    // The last word written, to tell an abbreviation's dot ("Kec. Alas") from a full stop.
    let mut last = String::new();
    fn flush(
        token: &mut String,
        written: Written,
        out: &mut Vec<(String, Written)>,
        last: &mut String,
    ) {
        if token.is_empty() {
            return;
        }
        for word in words(token) {
            out.push((word, written));
        }
        *last = fold(token);
        token.clear();
    }
    for ch in text.chars() {
        match fold_char(ch) {
            Some(_) => {
                if token.is_empty() {
                    written = Written {
                        capitalised: ch.is_uppercase(),
                        sentence_start: next_starts_sentence,
                    };
                    next_starts_sentence = false;
                }
                token.push(ch);
            }
            None => {
                let was_word = !token.is_empty();
                flush(&mut token, written, &mut out, &mut last);
                let abbreviation = ch == '.' && was_word && is_abbreviation(&last);
                if matches!(ch, '.' | '!' | '?' | ':' | '\n' | ';') && !abbreviation {
                    next_starts_sentence = true;
                }
            }
        }
    }
    flush(&mut token, written, &mut out, &mut last);
    out
}

/// Abbreviations written with a dot that does not end a sentence.
fn is_abbreviation(word: &str) -> bool {
    matches!(
        word,
        "kab"
            | "kec"
            | "kel"
            | "ds"
            | "jl"
            | "jln"
            | "gg"
            | "no"
            | "rt"
            | "rw"
            | "dr"
            | "drs"
            | "ir"
            | "h"
            | "hj"
            | "yth"
            | "sdr"
            | "bpk"
            | "st"
            | "pt"
            | "cv"
            | "prov"
            | "kp"
            | "dk"
            | "dsn"
            | "kota"
            | "kt"
            | "pak"
            | "bu"
            | "ny"
            | "tn"
            | "sd"
            | "smp"
            | "sma"
    )
}

/// Whether capitals in this text say anything: not when most words are capitalised (a title
/// in Title Case, a message in capitals).
pub fn capitals_are_informative(words: &[(String, Written)]) -> bool {
    let letters: Vec<&(String, Written)> = words
        .iter()
        .filter(|(w, _)| w.len() > 2 && w.bytes().all(|b| b.is_ascii_lowercase()))
        .collect();
    if letters.len() < 3 {
        return false;
    }
    let capitalised = letters.iter().filter(|(_, c)| c.capitalised).count();
    (capitalised as f32) < 0.5 * letters.len() as f32
}

/// Function words that carry no routing signal.
fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "yang"
            | "dan"
            | "di"
            | "ke"
            | "dari"
            | "ini"
            | "itu"
            | "untuk"
            | "dengan"
            | "pada"
            | "saya"
            | "kami"
            | "kita"
            | "ada"
            | "atau"
            | "juga"
            | "sudah"
            | "akan"
            | "karena"
            | "sama"
            | "saja"
            | "lagi"
            | "tapi"
            | "oleh"
            | "dalam"
            | "sebagai"
            | "bisa"
            | "para"
            | "nya"
            | "pun"
            | "lah"
            | "dong"
            | "deh"
            | "sih"
            | "nih"
            | "kok"
            | "ya"
            | "yg"
            | "mohon"
            | "tolong"
            | "bapak"
            | "ibu"
            | "kepada"
            | "the"
            | "of"
            | "and"
            // Everyday words of any complaint: they must not vote for a sector.
            | "tidak"
            | "belum"
            | "bulan"
            | "hari"
            | "minggu"
            | "tahun"
            | "jam"
            | "warga"
            | "masyarakat"
            | "baru"
            | "lama"
            | "masih"
            | "sangat"
            | "banget"
            | "banyak"
            | "kurang"
            | "lebih"
            | "mau"
            | "ingin"
            | "harus"
            | "sering"
            | "selalu"
            | "setiap"
            | "tiap"
            | "semua"
            | "sekarang"
            | "kemarin"
            | "tanpa"
            | "hanya"
            | "padahal"
            | "namun"
            | "tetapi"
            | "kalau"
            | "jika"
            | "agar"
            | "supaya"
            | "segera"
            | "nah"
            | "hal"
            | "orang"
            | "sendiri"
            | "terus"
            | "sampai"
            | "telah"
            | "pernah"
            | "sejak"
            | "kali"
            | "begitu"
            | "seperti"
            | "mereka"
            | "dia"
            | "kapan"
            | "mengapa"
    )
}

/// The model's features: stemmed unigrams and adjacent stemmed bigrams (stopwords removed), plus
/// the document's kind. Bigrams are what separate "jalan nasional" from "jalan desa".
pub fn features(kind: &str, text: &str) -> Vec<String> {
    features_of_words(kind, words(text))
}

/// [`features`] of already normalised words (e.g. with place names removed).
pub fn features_of_words(kind: &str, words: Vec<String>) -> Vec<String> {
    let stems: Vec<String> = words
        .into_iter()
        .filter(|w| !is_stopword(w))
        .map(|w| stem(&w))
        .collect();
    let mut out = Vec::with_capacity(stems.len() * 2 + 1);
    out.push(format!("#kind:{kind}"));
    for (i, s) in stems.iter().enumerate() {
        out.push(s.clone());
        if let Some(next) = stems.get(i + 1) {
            out.push(format!("{s} {next}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_diacritics_punctuation_and_emoji() {
        assert_eq!(fold("Pemkab GARUT!!  😡 Café"), "pemkab garut cafe");
        assert_eq!(fold("Kec. Siberut-Selatan"), "kec siberut selatan");
    }

    #[test]
    fn informal_spelling_is_normalised() {
        assert_eq!(
            words("yg ini gak bs, sdh 3 bln tdk ada air, tlg dicek dgn cepat. anak2 sm org tua"),
            vec![
                "yang", "ini", "tidak", "bisa", "sudah", "3", "bulan", "tidak", "ada", "air",
                "tolong", "dicek", "dengan", "cepat", "anak", "sama", "orang", "tua"
            ]
        );
        assert_eq!(words("kec. siberut"), vec!["kecamatan", "siberut"]);
    }

    #[test]
    fn stemmer_strips_common_affixes() {
        assert_eq!(stem("pembangunan"), "bangun");
        assert_eq!(stem("membangun"), "bangun");
        assert_eq!(stem("menanam"), "tanam");
        assert_eq!(stem("menyapu"), "sapu");
        assert_eq!(stem("memukul"), "pukul");
        assert_eq!(stem("dibuang"), "buang");
        assert_eq!(stem("bantuannya"), "bantu");
        assert_eq!(stem("rusaknya"), "rusak");
        assert_eq!(stem("pelayanan"), "layan");
        assert_eq!(stem("ditutup"), "tutup");
        assert_eq!(stem("berjualan"), "jual");
        // Protected and short words stay whole.
        assert_eq!(stem("sekolah"), "sekolah");
        assert_eq!(stem("dinas"), "dinas");
        assert_eq!(stem("smpn"), "smpn");
    }

    #[test]
    fn cased_words_know_capitals_and_sentence_starts() {
        let ws = cased_words("Ibu-ibu di sini. Warga Butuh mengeluh, tdk ada obat");
        let names: Vec<&str> = ws.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(
            names,
            words("Ibu-ibu di sini. Warga Butuh mengeluh, tdk ada obat")
        );
        assert!(ws[0].1.capitalised && ws[0].1.sentence_start);
        assert!(!ws[1].1.capitalised && !ws[1].1.sentence_start);
        let butuh = ws.iter().find(|(w, _)| w == "butuh").unwrap().1;
        assert!(butuh.capitalised && !butuh.sentence_start);
        assert!(
            ws.iter()
                .find(|(w, _)| w == "warga")
                .unwrap()
                .1
                .sentence_start
        );
        assert!(capitals_are_informative(&ws));
        assert!(!capitals_are_informative(&cased_words(
            "Warga Butuh Obat Di Puskesmas"
        )));
        assert!(!capitals_are_informative(&cased_words(
            "WARGA BUTUH OBAT DI PUSKESMAS"
        )));
        let kec = cased_words("di Kec. Alas sini");
        assert!(!kec[2].1.sentence_start, "{kec:?}");
    }

    #[test]
    fn features_include_bigrams_and_kind() {
        let f = features("complaint", "Jalan nasional rusak");
        assert!(f.contains(&"#kind:complaint".to_string()));
        assert!(f.contains(&"jalan nasional".to_string()));
        assert!(f.contains(&"rusak".to_string()));
    }
}
