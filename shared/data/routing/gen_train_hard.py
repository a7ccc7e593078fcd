#!/usr/bin/env python3
"""Generates train-hard.csv: labelled reports for the cases the router found hard (issue 15).

- everyday words that are also kecamatan names ("butuh", "alas", "kembang", "subur"...) used as
  words, beside a real place or none;
- roads of every status: city and kabupaten streets (named streets inside a named city), village
  roads, provincial roads, national routes, toll roads on Java and on Sumatra;
- reports in regional languages and slang: Javanese, Sundanese, Betawi, Minang, Banjar,
  Bugis-Makassar, Manado Malay.

Templates written for this project (no real reports, nothing from the dev files). Places come from
../idn-area (Kemendagri area data, idn-area-data 4.0.1, ODbL). Deterministic (fixed seed):
    python3 shared/data/routing/gen_train_hard.py > shared/data/routing/train-hard.csv
"""
import csv, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
AREA = os.path.join(HERE, "..", "idn-area")
rnd = random.Random(15015)

provinces = {r["code"]: r["name"] for r in csv.DictReader(open(os.path.join(AREA, "provinces.csv")))}
regencies = [r for r in csv.DictReader(open(os.path.join(AREA, "regencies.csv")))]
non_dki = [r for r in regencies if r["province_code"] != "31"]
SUMATRA = {"11", "12", "13", "14", "15", "16", "17", "18", "19", "21"}
# Regencies where each language is spoken, by province code.
LANG_PROVINCES = {
    "jawa": ["33", "34", "35"], "sunda": ["32", "36"], "betawi": ["31"], "minang": ["13"],
    "banjar": ["63", "62"], "bugis": ["73", "76"], "manado": ["71"],
}


def bare(reg):
    n = reg["name"]
    for p in ("Kota Administrasi ", "Kabupaten Administrasi ", "Kota ", "Kabupaten "):
        if n.startswith(p):
            return n[len(p):]
    return n


def short(reg):
    return ("Kota " if reg["name"].startswith("Kota") else "Kab. ") + bare(reg)


def local_id(reg):
    return "pemda-31" if reg["province_code"] == "31" else "pemda-" + reg["code"]


def place(reg):
    """A place phrase naming the kabupaten/kota, and the region_code column (sometimes)."""
    style = rnd.randrange(4)
    if style == 0:
        return f"di {short(reg)}", ""
    if style == 1:
        return f"di {reg['name']}", ""
    if style == 2:
        return "", reg["code"]
    return f"di {short(reg)}, {provinces[reg['province_code']]}", ""


rows = []


def add(kind, title, body, code, expected, alternates="", note=""):
    rows.append((kind, title, body, code, expected, alternates, note))


def pick(province_codes=None):
    pool = non_dki if not province_codes else [r for r in regencies if r["province_code"] in province_codes]
    return rnd.choice(pool)


# 1. Everyday words that are kecamatan names, used as words. (sector, template with {p})
LOCAL_EVERYDAY = [
    ("Obat kosong", "warga butuh obat darah tinggi tapi puskesmas {p} bilang stok habis terus"),
    ("Posyandu", "ibu-ibu di kampung kami kecewa, posyandu {p} sudah tiga bulan tidak buka"),
    ("Pasien ditolak", "puskesmas {p} nolak ibu saya yang mau periksa padahal sudah antre dari subuh"),
    ("Jalan licin", "jalan lingkungan {p} licin dan berlumut, banyak motor jatuh, butuh perbaikan"),
    ("Sampah", "tumpukan sampah di pinggir pasar {p} sudah luas sekali, baunya sampai ke rumah warga"),
    ("Lampu jalan", "lampu PJU di simpang dekat sekolah {p} mati, warga butuh penerangan"),
    ("Drainase", "saluran air {p} tersumbat sampah, kalau hujan sedikit air naik ke rumah, kami butuh normalisasi"),
    ("Pohon tumbang", "batang pohon besar tumbang ke jalan {p} dan belum diangkut dinas, menghalangi kendaraan"),
    ("PDAM", "air PDAM {p} keruh dan bau, kami tetap bayar tagihan penuh tiap bulan"),
    ("Pasar", "atap los pasar {p} bocor, pedagang kembang dan sayur basah kalau hujan"),
    ("Taman kota", "taman {p} tidak terurus, bangku rusak dan lampunya mati, padahal baru selesai dibangun"),
    ("Banjir", "tanggul kali {p} jebol lagi, rumah warga kebanjiran, kami butuh bantuan pemkab"),
    ("KTP", "urus KTP di disdukcapil {p} katanya selesai seminggu, sudah sebulan belum juga selesai"),
    ("Guru SD", "SD negeri {p} kekurangan guru, anak kami butuh guru kelas yang tetap"),
    ("Parkir liar", "parkir liar di depan ruko {p} bikin macet, juru parkir minta uang lebih"),
]
CENTRAL_EVERYDAY = [
    ("pln", "Listrik padam", "listrik padam terus tiap malam, warga butuh kepastian dari PLN kapan selesai"),
    ("pln", "Token", "token listrik yang saya beli tidak masuk, sudah lapor ke PLN tapi tetap saja"),
    ("bpjs-kesehatan", "BPJS", "kartu BPJS ibu saya tiba-tiba nonaktif padahal iuran tetap dibayar"),
    ("pertamina", "Gas elpiji", "gas melon kosong di pangkalan, ibu-ibu antre dari pagi, butuh gas buat masak"),
    ("kemensos", "Bansos", "nama ibu saya hilang dari daftar PKH padahal kondisi masih sama, kami butuh bantuan itu"),
    ("polri", "SIM", "perpanjang SIM di satpas lama sekali, sudah selesai tes tapi kartu belum dicetak"),
    ("telkomsel", "Sinyal", "sinyal hilang di rumah, susah kerja dan anak butuh internet buat sekolah"),
    ("atr-bpn", "Sertifikat", "sertifikat tanah waris keluarga kami tidak selesai di kantor pertanahan sudah dua tahun"),
    ("imigrasi", "Paspor", "paspor saya belum selesai padahal sudah wawancara, katanya blanko habis"),
    ("kemenag", "KUA", "pendaftaran nikah di KUA diminta biaya tambahan, padahal di kantor kan gratis"),
    ("ojk", "Pinjol", "pinjol ilegal sebar data saya ke kontak, mereka teriak-teriak di telepon"),
    ("bpom", "Kosmetik", "krim pemutih dijual bebas tanpa merek dan izin, banyak ibu-ibu kulitnya rusak"),
]
TRIAGE_EVERYDAY = [
    "ibu saya dan tetangga bertengkar soal batas pagar, saling lapor terus",
    "halo min, saya butuh info lowongan kerja di toko kue kakak saya",
    "teman saya pinjam uang buat beli kembang dan tidak mau bayar, malah kabur",
    "selamat pagi bapak ibu admin, semoga sehat selalu",
    "mantan pacar saya sebar foto pribadi, saya butuh saran harus gimana",
    "warga kampung kami saling ejek di grup WA, bikin gaduh saja",
]

for _ in range(3):
    for title, body in LOCAL_EVERYDAY:
        reg = pick()
        p, code = place(reg)
        add("complaint", rnd.choice([title, ""]), body.format(p=p).replace("  ", " "), code,
            local_id(reg), "", "everyday words beside a real place -> kab/kota")
for _ in range(2):
    for agency, title, body in CENTRAL_EVERYDAY:
        add("complaint", rnd.choice([title, ""]), body, "", agency, "", "everyday words, central sector")
    for body in TRIAGE_EVERYDAY:
        add("complaint", "", body, "", "triage", "", "no public service")

# 2. Roads of every status.
STREETS = ["Jl. Merdeka", "Jl. Sudirman", "Jl. Diponegoro", "Jl. Pahlawan", "Jalan Veteran", "Jl. Ahmad Yani",
           "Jalan Gatot Subroto", "Jl. Pemuda", "Jl. Kartini", "Jl. Imam Bonjol", "Jl. Hasanuddin", "Jl. Cendrawasih"]
CITY_STREET = [
    "Jalan berlubang dalam di {s}, {c}, sudah bikin dua pengendara jatuh minggu ini",
    "aspal {s} {c} ngelupas dan ada lubang gede, tolong ditambal sebelum musim hujan",
    "trotoar di {s} {c} rusak dan banyak lubang, pejalan kaki terpaksa turun ke jalan",
    "{s} di {c} ambles di dekat jembatan kecil, retakannya makin lebar",
    "Lubang besar di tengah {s} {c} tergenang air, tidak kelihatan kalau malam",
    "perbaikan {s} {c} asal-asalan, baru sebulan ditambal sudah berlubang lagi",
    "gorong-gorong di bawah {s} {c} amblas, jalannya jadi bergelombang",
]
for _ in range(2):
    for t in CITY_STREET:
        reg = pick()
        add("complaint", rnd.choice(["Jalan berlubang", "Jalan rusak", ""]),
            t.format(s=rnd.choice(STREETS), c=short(reg)), rnd.choice(["", reg["code"]]),
            local_id(reg), ("pemda-" + reg["province_code"] + "|kemenpu") if reg["province_code"] != "31" else "kemenpu",
            "street of unknown status in a named kab/kota -> kab/kota")
VILLAGE = [
    "jalan desa menuju sawah {p} rusak parah, truk panen tidak bisa lewat",
    "jalan kampung {p} masih tanah, kalau hujan lumpur setinggi betis",
    "jembatan gantung penghubung dua dusun {p} talinya putus, anak sekolah memutar jauh",
    "jalan lingkungan di perumahan {p} rusak bertahun-tahun tidak pernah diaspal",
]
PROVINCIAL = [
    "Ruas jalan provinsi yang melintasi {p} rusak berat sepanjang 8 km",
    "jalan provinsi penghubung dua kabupaten {p} berlubang, dinas PU provinsi diam saja",
    "Kapan jalan provinsi {p} diperbaiki? Sudah tiga tahun rusak",
]
NATIONAL = [
    "Jalan nasional {p} bergelombang dan banyak lubang, truk besar sering terguling",
    "jalur pantura {p} rusak lagi menjelang mudik, lubangnya dalam",
    "Jalan lintas timur {p} rusak parah, perjalanan antar kota jadi dua kali lipat",
    "jembatan di jalan nasional {p} retak dan bergoyang kalau dilewati truk",
    "jalan negara {p} longsor separuh badan jalan, belum ada perbaikan dari balai jalan",
]
TOLL_JAVA = [
    "Jalan tol {p} berlubang di lajur kiri, mobil saya pecah ban",
    "antrean di gerbang tol {p} panjang sekali karena mesin kartu rusak",
    "lampu penerangan jalan tol {p} banyak yang mati, rawan kecelakaan",
]
for _ in range(2):
    for t in VILLAGE:
        reg = pick()
        p, code = place(reg)
        add("complaint", "", t.format(p=p), code, local_id(reg), "", "village/kab road -> kab/kota")
    for t in PROVINCIAL:
        reg = pick()
        p, code = place(reg)
        if code:
            code = reg["province_code"]
        add("complaint", "Jalan provinsi", t.format(p=p), code, "pemda-" + reg["province_code"], "",
            "provincial road -> province")
    for t in NATIONAL:
        reg = pick()
        p, code = place(reg)
        add("complaint", rnd.choice(["Jalan nasional rusak", ""]), t.format(p=p), code, "kemenpu", "bina-marga",
            "national road -> Kemen PU")
    for t in TOLL_JAVA:
        reg = pick(["32", "33", "35", "36"])
        p, code = place(reg)
        add("complaint", "Jalan tol", t.format(p=p), code, "jasa-marga", "", "toll road on Java -> Jasa Marga")
        reg = pick(["12", "14", "16", "18"])
        p, code = place(reg)
        add("complaint", "Jalan tol", t.format(p=p), code, "hutama-karya", "", "Trans-Sumatra toll -> Hutama Karya")

# 3. Regional languages and slang. (language, sector, level, text)
REGIONAL = [
    ("jawa", "pln", "listrike mati terus saben bengi, PLN ora tau ngabari, kulkas nganti rusak"),
    ("jawa", "local", "sampah neng pinggir dalan ora diangkut wis seminggu, mambu banget"),
    ("jawa", "local", "dalane bolong-bolong gede, wis akeh wong tiba, tulung didandani pemkab"),
    ("jawa", "local", "banyu PDAM ora mili wis telung dina, warga kudu tuku banyu galon"),
    ("jawa", "local", "puskesmas ora ana dokter, simbah kudu ngenteni nganti awan"),
    ("jawa", "province", "SMA negeri njaluk duit gedung larang banget, wong tuwa ora kuat mbayar"),
    ("jawa", "kemensos", "bansos PKH ibuku ora cair maneh, jare jenenge ilang seka data"),
    ("jawa", "polri", "ngurus SIM neng satpas dikon mbayar luwih liwat calo"),
    ("jawa", "triage", "tanggaku utang duit ora gelem mbayar, malah nesu-nesu"),
    ("sunda", "pln", "listrik pareum wae unggal peuting, teu aya beja ti PLN"),
    ("sunda", "local", "runtah numpuk di sisi jalan teu diangkut-angkut, bau pisan"),
    ("sunda", "local", "jalan ruksak loba nu bolong, barudak sakola sok labuh tina motor"),
    ("sunda", "local", "cai PDAM teu ngocor geus saminggu, abdi kapaksa meuli cai"),
    ("sunda", "local", "caah deui di lembur kami, solokan teu pernah dikeruk"),
    ("sunda", "province", "SMK negeri menta duit seragam mahal pisan, kolot teu sanggup"),
    ("sunda", "bpjs-kesehatan", "kartu BPJS abdi teu aktif padahal iuran dibayar terus"),
    ("sunda", "triage", "tatangga abdi ngahutang teu mayar-mayar, kumaha atuh"),
    ("betawi", "local", "sampah di kali numpuk kagak diangkut-angkut, bau banget dah"),
    ("betawi", "local", "jalanan depan gang bolong gede, motor pada jatoh mulu"),
    ("betawi", "pln", "listrik mati mulu tiap sore, PLN kagak ada kabarnya"),
    ("betawi", "local", "parkir liar di depan pasar bikin macet, jukirnya galak banget"),
    ("betawi", "local", "air got meluap tiap ujan, kite kebanjiran mulu"),
    ("betawi", "polri", "gue ditilang terus dimintain duit damai ame oknum polisi"),
    ("betawi", "triage", "tetangga gue nyetel musik kenceng tiap malem, kagak bisa tidur"),
    ("minang", "pln", "listrik padam taruih tiok malam, PLN indak ado kaba"),
    ("minang", "local", "sarok indak diangkuik alah saminggu, baunyo sampai ka rumah"),
    ("minang", "local", "labuah ka nagari kami rusak parah, banyak lubang gadang"),
    ("minang", "local", "aia PDAM indak mangalia alah tigo hari"),
    ("minang", "local", "puskesmas indak ado dokter, urang gaek harus manunggu lamo"),
    ("minang", "province", "SMA negeri mamintak pitih pembangunan, urang tuo indak talok"),
    ("minang", "triage", "dunsanak ambo mamakai pitih ambo indak dibaliakkan"),
    ("banjar", "pln", "listrik pet tarus tiap malam, PLN kada suah bapadah"),
    ("banjar", "local", "sampah di pinggir jalan kada diangkut, bau banar"),
    ("banjar", "local", "jalan di kampung kami rusak banar, banyak lubang ganal"),
    ("banjar", "local", "banyu PDAM kada mengalir sudah saminggu"),
    ("banjar", "local", "puskesmas kada ada dokter, urang tuha menunggu lawas"),
    ("banjar", "triage", "kawan ulun bahutang kada mambayar sampai wayahini"),
    ("bugis", "pln", "listrik mati terus tiap malam, PLN tena na kasi kabar"),
    ("bugis", "local", "sampah tena na angkut sudah seminggu, bau sekali mi"),
    ("bugis", "local", "jalan rusak parah ki, banyak lubang lompo, motor jatuh terus"),
    ("bugis", "local", "air PDAM tena mengalir sudah tiga hari mi"),
    ("bugis", "local", "puskesmas tena dokter na, orang tua lama menunggu"),
    ("bugis", "polri", "pak polisi minta uang damai ji waktu tilang"),
    ("bugis", "triage", "sepupu ku pinjam doe tena na bayar-bayar"),
    ("manado", "pln", "lampu mati trus tiap malam, PLN nyanda kase kabar"),
    ("manado", "local", "sampah nyanda diangkut so satu minggu, bau skali"),
    ("manado", "local", "jalan rusak skali, banyak lubang, torang pe motor jatuh"),
    ("manado", "local", "aer PDAM nyanda mangalir so tiga hari"),
    ("manado", "local", "puskesmas nyanda ada dokter, orang tua musti tunggu lama"),
    ("manado", "bpjs-kesehatan", "kartu BPJS kita nyanda aktif padahal so bayar iuran"),
    ("manado", "triage", "tetangga pinjam doi nyanda mo bayar"),
]
for _ in range(2):
    for lang, sector, text in REGIONAL:
        if sector in ("local", "province"):
            reg = pick(LANG_PROVINCES[lang])
            p, code = place(reg)
            body = f"{text} {p}".strip() if p else text
            expected = local_id(reg) if sector == "local" else "pemda-" + reg["province_code"]
            if sector == "province" and code:
                code = reg["province_code"]
            if reg["province_code"] == "31":
                expected = "pemda-31"
            add("complaint", "", body, code, expected, "", f"{lang}: {sector}")
        else:
            add("complaint", "", text, "", sector, "polri" if False else "", f"{lang}: {sector}")

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["id", "kind", "title", "body", "region_code", "expected", "alternates", "note"])
for i, (kind, title, body, code, expected, alternates, note) in enumerate(rows, 1):
    w.writerow([f"hard-{i:05d}", kind, title, body, code, expected, alternates, note])
