#!/usr/bin/env python3
"""Generates train-sample.csv: synthetic labelled reports for the routing model.

Templates written for LAPOR (no real reports). Places are drawn from ../idn-area (Kemendagri area
data, idn-area-data 4.0.1, ODbL). Deterministic (fixed seed):
    python3 shared/data/routing/gen_train_sample.py > shared/data/routing/train-sample.csv
"""
import csv, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
AREA = os.path.join(HERE, "..", "idn-area")
rnd = random.Random(20240611)

provinces = {r["code"]: r["name"] for r in csv.DictReader(open(os.path.join(AREA, "provinces.csv")))}
regencies = list(csv.DictReader(open(os.path.join(AREA, "regencies.csv"))))
districts = {}
for r in csv.DictReader(open(os.path.join(AREA, "districts.csv"))):
    districts.setdefault(r["regency_code"], []).append(r)
non_dki = [r for r in regencies if r["province_code"] != "31"]
SUMATRA = {"11", "12", "13", "14", "15", "16", "17", "18", "19", "21"}
PROV_SHORT = {"32": "Jabar", "33": "Jateng", "35": "Jatim", "13": "Sumbar", "12": "Sumut",
              "16": "Sumsel", "53": "NTT", "52": "NTB", "73": "Sulsel", "64": "Kaltim",
              "34": "DIY", "61": "Kalbar", "71": "Sulut", "63": "Kalsel"}

def bare(reg):
    n = reg["name"]
    for p in ("Kota Administrasi ", "Kabupaten Administrasi ", "Kota ", "Kabupaten "):
        if n.startswith(p):
            return n[len(p):]
    return n

def place(reg, level):
    """A place phrase and the region_code column for a kabupaten/kota (or its province)."""
    ds = districts.get(reg["code"], [])
    d = rnd.choice(ds) if ds else None
    is_city = reg["name"].startswith("Kota")
    short = ("Pemkot " if is_city else "Pemkab ") + bare(reg)
    kab = reg["name"]
    kab_short = ("Kota " if is_city else "Kab. ") + bare(reg)
    prov = provinces[reg["province_code"]]
    style = rnd.randrange(9)
    code = ""
    if style == 0:
        text, code = f"di Kecamatan {d['name']}, {kab}" if d else f"di {kab}", ""
    elif style == 1:
        text = f"di {kab_short}"
    elif style == 2:
        text, code = (f"di kec. {d['name']}" if d else ""), reg["code"]
    elif style == 3:
        text, code = "", (d["code"] if d and rnd.random() < 0.5 else reg["code"])
    elif style == 4:
        text = f"di {kab}, {prov}"
    elif style == 5:
        text = f"di wilayah {short}"
    elif style == 6:
        text, code = f"di {bare(reg)}", reg["code"]
    elif style == 7:
        text = f"di Kecamatan {d['name']} {kab_short}" if d else f"di {kab_short}"
    else:
        text = f"di daerah {bare(reg)} {PROV_SHORT.get(reg['province_code'], prov)}"
    if level == "province" and style in (3,) and rnd.random() < 0.5:
        code = reg["province_code"]
    return text, code

def informal(s):
    rep = {"tidak": ["gak", "tdk", "ga", "nggak"], "yang": ["yg"], "sudah": ["udah", "sdh"],
           "dengan": ["dgn"], "untuk": ["utk"], "tolong": ["tlg"], "belum": ["blm"],
           "karena": ["krn"], "juga": ["jg"], "sampai": ["sampe"], "bagaimana": ["gimana", "gmn"],
           "saya": ["sy", "aku"], "kapan": ["kpn"], "bulan": ["bln"], "sekarang": ["skrg"],
           "orang": ["org"], "banyak": ["byk"], "sangat": ["bgt"], "jalan": ["jln", "jl"],
           "tahun": ["thn"], "sama": ["sm"], "lagi": ["lg"], "masih": ["msh"]}
    out = []
    for w in s.replace(",", "").replace(".", "").split(" "):
        lw = w.lower()
        out.append(rnd.choice(rep[lw]) if lw in rep and rnd.random() < 0.7 else lw)
    return " ".join(out)

# sector: (expected resolver, alternates resolver, level, [titles], [bodies])
# Body fragments: {p} = place phrase. Each sector mixes complaints, aspirations, questions.
L, P, C, T = "local", "province", "central", "triage"
S = {}
def sector(name, level, target, titles, bodies, alternates=""):
    S[name] = (level, target, titles, bodies, alternates)

sector("ktp", L, None, ["KTP-el belum jadi", "Blanko KTP habis", "Urus KK lama", "Akta kelahiran anak", "Pindah domisili ribet", "Layanan Disdukcapil"], [
    "Sudah 4 bulan rekam KTP elektronik {p} tapi KTP belum dicetak, alasannya blanko habis.",
    "Antrean di kantor Disdukcapil {p} sangat panjang, nomor antrean habis jam 8 pagi.",
    "Saya mengurus perubahan Kartu Keluarga {p} sudah 3 minggu belum selesai padahal katanya 3 hari.",
    "Pembuatan akta kelahiran anak saya {p} dipersulit dan diminta uang pelicin oleh petugas Dukcapil.",
    "Surat pindah domisili {p} tidak bisa diproses karena petugas bilang sistem offline terus.",
    "Petugas pelayanan KTP {p} tidak ramah dan sering tidak ada di tempat.",
    "Bagaimana cara mengurus akta kematian orang tua {p}? Apa saja syaratnya?",
    "Usul agar Dukcapil {p} membuka layanan jemput bola KTP untuk lansia dan disabilitas.",
    "KK baru setelah menikah belum jadi, sudah bolak balik ke kantor capil {p}.",
    "Perekaman KTP-el untuk pemula di sekolah {p} tidak pernah ada lagi.",
])
sector("dukcapil_central", C, "dukcapil", ["NIK tidak terdaftar", "NIK dipakai orang lain", "Data kependudukan ganda", "Aplikasi IKD error"], [
    "NIK saya terdaftar ganda di database kependudukan nasional sehingga tidak bisa daftar BPJS dan bank.",
    "Saat verifikasi NIK muncul keterangan NIK tidak ditemukan di data Dukcapil pusat padahal KTP saya asli.",
    "Aplikasi Identitas Kependudukan Digital (IKD) error terus saat aktivasi, tidak bisa scan QR.",
    "Data NIK saya dipakai orang lain untuk registrasi kartu SIM dan pinjaman, mohon sistem Dukcapil diperbaiki.",
    "Nama di database NIK nasional berbeda dengan KTP sehingga gagal validasi di semua layanan online.",
    "Server data kependudukan nasional sering down sehingga layanan di seluruh daerah terganggu.",
])
sector("school_primary", L, None, ["SD rusak", "Pungutan di SMP negeri", "Guru SD kurang", "PPDB SMP curang", "Atap kelas SD bocor", "PAUD"], [
    "Atap ruang kelas SD Negeri {p} roboh sejak bulan lalu dan murid belajar di teras.",
    "SMP Negeri {p} menarik pungutan uang gedung Rp 1,5 juta untuk siswa baru.",
    "Di SDN {p} hanya ada 3 guru untuk 6 kelas, anak-anak sering dipulangkan cepat.",
    "Penerimaan murid baru SMP negeri {p} zonasi tidak transparan, anak tetangga yang dekat sekolah tidak diterima.",
    "Kepala sekolah SD {p} mewajibkan beli seragam dan buku LKS di koperasi sekolah.",
    "Toilet di SMPN {p} rusak dan tidak ada air, siswa harus pulang ke rumah.",
    "Usul dibangun SD baru {p} karena anak-anak harus jalan 5 km ke sekolah.",
    "Gaji guru honorer SD {p} belum dibayar 4 bulan oleh dinas pendidikan kabupaten.",
    "Gedung PAUD dan TK negeri {p} tidak terawat, mainan rusak.",
    "Bagaimana syarat pendaftaran sekolah dasar negeri {p} untuk anak usia 6 tahun?",
    "Ada perundungan di SMP negeri {p} dan guru membiarkan saja.",
    "Mutasi guru SMP {p} tidak adil, guru dipindah jauh tanpa alasan.",
])
sector("school_secondary", P, None, ["SMA kekurangan guru", "Pungutan SMK negeri", "SLB rusak", "PPDB SMA", "Ijazah SMA ditahan"], [
    "SMA Negeri {p} tidak punya guru kimia dan fisika sejak awal semester.",
    "SMK Negeri {p} memungut biaya praktik dan uang komite yang memberatkan orang tua.",
    "Ijazah anak saya ditahan oleh SMA negeri {p} karena masih menunggak SPP.",
    "Gedung SLB negeri {p} rusak dan tidak ada fasilitas untuk anak berkebutuhan khusus.",
    "Seleksi penerimaan siswa baru SMA negeri {p} jalur zonasi diduga ada titipan.",
    "Laboratorium SMKN {p} tidak bisa dipakai, alat praktik rusak semua.",
    "Usul dinas pendidikan provinsi membuka SMA negeri baru {p} karena jarak terlalu jauh.",
    "Guru honorer SMA {p} belum menerima gaji dari dinas pendidikan provinsi.",
    "Bagaimana cara daftar ulang SMK negeri {p} jika kartu keluarga belum diperbarui?",
    "Kepala SMAN {p} memaksa siswa ikut study tour dengan biaya jutaan.",
])
sector("madrasah", C, "kemenag", ["Madrasah rusak", "Buku nikah", "KUA pungli", "Tunjangan guru madrasah"], [
    "Gedung Madrasah Ibtidaiyah Negeri {p} rusak berat, kelas bocor saat hujan.",
    "Petugas KUA {p} meminta biaya nikah di luar ketentuan padahal nikah di kantor gratis.",
    "Buku nikah kami salah cetak nama dan sudah 2 bulan belum diperbaiki KUA.",
    "Tunjangan guru MTs {p} belum cair dari Kementerian Agama.",
    "Bagaimana cara mendaftar pernikahan di KUA {p}, apa syaratnya?",
    "Penyuluh agama di kecamatan tidak pernah datang, usul agar Kemenag menambah penyuluh.",
    "Pendaftaran siswa MAN {p} dipungut biaya, bukankah madrasah negeri gratis?",
    "Sertifikasi guru madrasah dan PPG dari Kemenag tidak jelas jadwalnya.",
])
sector("hajj", C, "kemenhaj", ["Antrean haji", "Travel umrah bodong", "Pelunasan haji"], [
    "Travel umrah di kota kami menelantarkan jamaah, sudah bayar lunas tapi tidak diberangkatkan.",
    "Nomor porsi haji ibu saya tidak muncul di aplikasi, bagaimana cek estimasi keberangkatan haji?",
    "Pelunasan biaya haji reguler tahun ini membingungkan, informasi dari kantor haji berubah-ubah.",
    "Jamaah haji lansia tidak didampingi petugas haji di embarkasi.",
    "Mohon izin penyelenggara perjalanan ibadah umrah yang menipu jamaah dicabut.",
    "Katering jamaah haji di Arab Saudi terlambat dan makanan basi.",
])
sector("university", C, "kemendiktisaintek", ["KIP Kuliah", "UKT mahal", "Dosen", "Ijazah kampus"], [
    "KIP Kuliah saya belum cair satu semester, kampus bilang menunggu pusat.",
    "Uang Kuliah Tunggal di universitas negeri naik dua kali lipat tanpa sosialisasi.",
    "Dosen pembimbing skripsi di universitas tidak pernah membalas dan mempersulit mahasiswa.",
    "Kampus swasta menahan ijazah alumni karena ada tunggakan yang tidak jelas.",
    "Tunjangan kinerja dan serdos dosen belum dibayarkan.",
    "Bagaimana cara mengajukan beasiswa KIP Kuliah untuk mahasiswa baru?",
    "Perguruan tinggi abal-abal mengeluarkan ijazah tanpa kuliah, mohon ditindak.",
])
sector("education_national", C, "kemendikdasmen", ["TPG belum cair", "Dana PIP", "Kurikulum", "Sertifikasi guru"], [
    "Tunjangan profesi guru (TPG) triwulan ini belum cair, info GTK tidak valid.",
    "Dana Program Indonesia Pintar (PIP) anak saya dipotong oleh pihak sekolah.",
    "Kurikulum Merdeka berubah-ubah, mohon kementerian memberi panduan yang jelas.",
    "Data Dapodik guru tidak sinkron sehingga sertifikasi guru gagal.",
    "Bagaimana cara mengecek penerima PIP dan kapan pencairan tahap berikutnya?",
    "Pendaftaran PPG guru dalam jabatan ditutup tanpa pemberitahuan.",
    "Soal asesmen nasional bocor dan aplikasinya error saat ujian.",
])
sector("puskesmas", L, None, ["Puskesmas", "Obat kosong", "Bidan desa", "Nakes puskesmas"], [
    "Puskesmas {p} tutup jam 11 siang, pasien yang datang disuruh pulang.",
    "Stok obat di Puskesmas {p} kosong, pasien disuruh beli sendiri di apotek.",
    "Petugas puskesmas {p} kasar kepada pasien lansia dan antre sangat lama.",
    "Tidak ada dokter di Puskesmas {p} sudah sebulan, hanya perawat.",
    "Ambulans puskesmas {p} tidak bisa dipakai warga untuk rujukan malam hari.",
    "Usul posyandu dan puskesmas pembantu dibangun {p}, warga jauh dari layanan kesehatan.",
    "Dinas kesehatan {p} tidak melakukan fogging padahal kasus DBD banyak.",
    "Pelayanan imunisasi di puskesmas {p} dihentikan karena vaksin habis.",
])
sector("rsud_local", L, None, ["RSUD", "Pelayanan rumah sakit daerah", "IGD RSUD"], [
    "IGD RSUD {p} menolak pasien dengan alasan kamar penuh.",
    "Pasien di RSUD {p} harus menunggu 8 jam untuk dapat kamar rawat inap.",
    "Toilet dan ruang rawat RSUD {p} kotor dan bau.",
    "Dokter spesialis di rumah sakit umum daerah {p} jarang datang, poli sering tutup.",
    "Parkir di RSUD {p} dipungut liar oleh oknum.",
    "Usul RSUD {p} menambah ruang ICU karena pasien sering dirujuk ke luar daerah.",
])
sector("rsud_province", P, None, ["RSUD provinsi", "Rumah sakit milik pemprov"], [
    "Pelayanan di RSUD milik pemerintah provinsi {p} sangat lambat dan antrean poli panjang.",
    "Rumah sakit umum daerah provinsi {p} menolak pasien rujukan dari kabupaten.",
    "Fasilitas RSUD provinsi {p} rusak, lift tidak berfungsi.",
    "Usul dinas kesehatan provinsi menambah dokter spesialis di RSUD provinsi {p}.",
])
sector("rsup", C, "kemenkes", ["RSUP", "Rumah sakit vertikal", "Program kesehatan nasional"], [
    "Antrean operasi di RSUP {p} sampai 6 bulan untuk pasien jantung.",
    "Dokter di RS vertikal Kementerian Kesehatan {p} kasar dan tidak menjelaskan tindakan.",
    "Rumah sakit umum pusat menolak pasien rujukan dengan alasan alat rusak.",
    "Program cek kesehatan gratis nasional belum berjalan, warga tidak tahu cara daftar.",
    "Vaksin program imunisasi nasional kosong secara nasional, mohon Kemenkes menjelaskan.",
    "Surat tanda registrasi tenaga kesehatan lama keluar dari Kemenkes.",
    "Internship dokter ditunda tanpa kepastian dari Kementerian Kesehatan.",
])
sector("bpjs_kes", C, "bpjs-kesehatan", ["BPJS Kesehatan", "Kartu JKN", "Klaim JKN ditolak", "Iuran BPJS"], [
    "Kartu BPJS Kesehatan saya tiba-tiba nonaktif padahal iuran dibayar rutin.",
    "Rumah sakit menolak pasien peserta JKN dengan alasan kuota BPJS habis.",
    "Pasien BPJS disuruh bayar obat sendiri karena tidak ditanggung JKN.",
    "Pindah faskes tingkat pertama BPJS Kesehatan tidak bisa lewat aplikasi Mobile JKN.",
    "Status PBI BPJS saya dicabut tanpa pemberitahuan, sekarang harus bayar mandiri.",
    "Denda BPJS Kesehatan setelah menunggak terlalu besar, mohon keringanan.",
    "Bagaimana cara mengaktifkan kembali kepesertaan BPJS Kesehatan yang menunggak?",
    "Klaim rawat inap JKN ditolak dan pasien diminta membayar selisih.",
])
sector("bpjs_tk", C, "bpjs-ketenagakerjaan", ["Klaim JHT", "BPJS Ketenagakerjaan", "JKK kecelakaan kerja"], [
    "Pencairan JHT BPJS Ketenagakerjaan saya ditolak karena data perusahaan belum update.",
    "Klaim jaminan kecelakaan kerja (JKK) suami saya belum dibayar sudah 3 bulan.",
    "Perusahaan memotong gaji untuk BPJS Ketenagakerjaan tapi tidak disetor.",
    "Aplikasi JMO error terus saat mau klaim JHT online.",
    "Bagaimana cara klaim Jaminan Kehilangan Pekerjaan setelah kena PHK?",
    "Saldo JHT di BPJamsostek tidak sesuai dengan potongan gaji.",
])
sector("bpom", C, "bpom", ["Kosmetik ilegal", "Obat palsu", "Makanan kedaluwarsa", "Izin edar"], [
    "Banyak krim pemutih tanpa izin edar BPOM dijual di pasar dan online, mengandung merkuri.",
    "Toko menjual makanan kedaluwarsa dan minuman tanpa nomor registrasi BPOM.",
    "Obat tradisional dicampur bahan kimia obat dijual bebas di warung.",
    "Jajanan anak di depan sekolah mengandung pewarna berbahaya dan boraks.",
    "Apotek menjual obat keras tanpa resep dan obat palsu.",
    "Bagaimana cara cek nomor izin edar BPOM sebuah produk kosmetik?",
    "Suplemen impor dijual tanpa label bahasa Indonesia dan izin BPOM.",
])
sector("mbg", C, "bgn", ["Makan bergizi gratis", "MBG basi", "SPPG", "Keracunan MBG"], [
    "Menu makan bergizi gratis di sekolah anak saya basi dan berbau.",
    "Puluhan siswa keracunan setelah makan MBG dari dapur SPPG.",
    "Porsi Makan Bergizi Gratis sangat sedikit dan tidak sesuai standar gizi.",
    "Dapur SPPG program MBG tidak bersih dan pekerjanya belum dibayar.",
    "Sekolah kami belum pernah menerima makan bergizi gratis padahal sekolah lain sudah.",
    "Bagaimana cara mendaftar menjadi mitra dapur MBG Badan Gizi Nasional?",
])
sector("road_national", C, "kemenpu", ["Jalan nasional rusak", "Jembatan nasional", "Lubang jalan nasional"], [
    "Jalan nasional lintas {p} berlubang besar dan sudah banyak korban kecelakaan.",
    "Jembatan di jalan nasional {p} retak dan miring, truk besar masih lewat.",
    "Perbaikan jalan nasional jalur pantura {p} tidak selesai-selesai.",
    "Longsor menutup jalan nasional {p}, belum ada alat berat dari Balai Jalan Nasional.",
    "Jalan trans nasional {p} rusak parah dan tidak ada rambu.",
    "Usul pelebaran jalan nasional {p} yang sering macet.",
    "Drainase jalan nasional {p} tersumbat sehingga jalan tergenang.",
], alternates="bina-marga")
sector("road_province", P, None, ["Jalan provinsi rusak", "Ruas jalan provinsi"], [
    "Ruas jalan provinsi {p} rusak parah, aspal mengelupas dan berlubang.",
    "Jalan provinsi penghubung antar kabupaten {p} tidak pernah diperbaiki dinas PU provinsi.",
    "Jembatan di jalan provinsi {p} putus diterjang banjir.",
    "Usul dinas bina marga provinsi memperbaiki jalan provinsi {p}.",
])
sector("road_local", L, None, ["Jalan rusak", "Jalan desa berlubang", "Lampu jalan mati", "Drainase", "Banjir"], [
    "Jalan kabupaten {p} rusak dan berlubang, warga sering jatuh dari motor.",
    "Jalan desa {p} belum pernah diaspal, kalau hujan becek dan licin.",
    "Lampu penerangan jalan umum (PJU) {p} mati sudah 2 bulan, rawan begal.",
    "Saluran drainase {p} tersumbat sampah sehingga setiap hujan banjir.",
    "Banjir merendam permukiman {p} karena gorong-gorong tidak pernah dibersihkan.",
    "Jalan lingkungan {p} rusak akibat galian pipa yang tidak ditutup kembali.",
    "Trotoar {p} rusak dan dipakai parkir motor.",
    "Taman kota {p} tidak terawat dan lampunya mati.",
    "Usul pengaspalan jalan poros kecamatan {p}.",
    "Jalan kota {p} penuh lubang, kapan diperbaiki dinas PUPR?",
    "Jembatan gantung penghubung desa {p} rusak, anak sekolah harus menyeberang sungai.",
], alternates="")
sector("road_unknown", L, None, ["Jalan berlubang", "Jalan rusak parah"], [
    "Jalan {p} berlubang dan rusak parah, sudah lama tidak diperbaiki.",
    "Aspal jalan {p} hancur setelah dilewati truk tambang.",
    "Jalan utama {p} rusak, mohon segera diperbaiki.",
], alternates="@province;kemenpu")
sector("toll", C, "jasa-marga", ["Jalan tol", "Tarif tol", "Macet di gerbang tol", "E-toll"], [
    "Jalan tol {p} banyak lubang dan lampu penerangan mati.",
    "Antrean di gerbang tol {p} sangat panjang karena mesin e-toll error.",
    "Saldo kartu e-toll terpotong dua kali di gerbang tol.",
    "Rest area jalan tol {p} toiletnya kotor dan rusak.",
    "Tarif tol naik tetapi kondisi jalan tol tetap rusak.",
    "Derek di jalan tol memungut biaya mahal.",
])
sector("toll_sumatra", C, "hutama-karya", ["Tol Trans Sumatera", "Jalan tol Sumatera"], [
    "Jalan Tol Trans Sumatera ruas {p} bergelombang dan membahayakan.",
    "Rest area tol trans Sumatera {p} belum ada SPBU.",
    "Gerbang tol JTTS {p} sering error saat tap kartu.",
    "Lampu penerangan Tol Trans Sumatera {p} mati, gelap gulita di malam hari.",
])
sector("garbage", L, None, ["Sampah menumpuk", "TPS penuh", "Sampah tidak diangkut"], [
    "Sampah di TPS {p} tidak diangkut sudah seminggu, bau dan banyak lalat.",
    "Warga membuang sampah di pinggir sungai {p} karena tidak ada TPS.",
    "Truk sampah dinas lingkungan hidup {p} jarang datang padahal retribusi dibayar.",
    "TPA {p} penuh dan asap pembakaran sampah mengganggu warga.",
    "Usul bank sampah dan pengolahan sampah organik di setiap kelurahan {p}.",
])
sector("market_order", L, None, ["Parkir liar", "PKL", "Pasar becek", "Anjing liar", "Satpol PP"], [
    "Parkir liar di depan pasar {p} membuat macet dan juru parkir memaksa bayar dua kali.",
    "Pedagang kaki lima menutup trotoar {p}, pejalan kaki harus lewat jalan raya.",
    "Pasar tradisional {p} becek, atap bocor dan retribusi tetap ditarik.",
    "Banyak anjing liar berkeliaran {p} dan sudah menggigit anak-anak.",
    "Satpol PP {p} membongkar lapak pedagang dengan kasar.",
    "Tempat hiburan malam {p} buka sampai subuh dan berisik, mohon ditertibkan.",
    "Izin PBG/IMB di dinas perizinan {p} dipersulit dan lama.",
    "Reklame liar dan baliho menutupi rambu lalu lintas {p}.",
    "Angkot {p} ngetem sembarangan dan dishub diam saja.",
    "Pengelolaan alun-alun dan taman {p} buruk, banyak pungutan liar.",
])
sector("pdam", L, None, ["Air PDAM mati", "Tagihan PDAM", "Air keruh"], [
    "Air PDAM {p} mati sudah 5 hari tanpa pemberitahuan.",
    "Tagihan PDAM {p} naik drastis padahal air sering tidak mengalir.",
    "Air dari PDAM {p} keruh dan berbau, tidak layak pakai.",
    "Pipa PDAM bocor {p} dan air terbuang di jalan berhari-hari.",
    "Pemasangan sambungan baru Perumda air minum {p} lama sekali.",
])
sector("local_tax", L, None, ["PBB naik", "BPHTB", "Retribusi daerah"], [
    "Tagihan PBB-P2 rumah saya {p} naik 300 persen tahun ini tanpa penjelasan.",
    "Pengurusan BPHTB jual beli tanah di Bapenda {p} berbelit.",
    "SPPT PBB {p} salah luas tanah dan nama pemilik.",
    "Retribusi pasar dan kebersihan {p} ditarik tanpa karcis resmi.",
], alternates="djp")
sector("vehicle_tax", P, None, ["Pajak kendaraan", "PKB", "Samsat"], [
    "Bayar pajak kendaraan bermotor tahunan di Samsat {p} antre seharian.",
    "Denda pajak kendaraan (PKB) motor saya dihitung salah oleh Bapenda provinsi.",
    "Usul pemutihan denda pajak kendaraan bermotor {p}.",
    "Aplikasi Samsat online provinsi {p} tidak bisa bayar PKB.",
], alternates="polri")
sector("sim_stnk", C, "polri", ["SIM", "Tilang", "STNK"], [
    "Ujian praktik SIM C di Satpas Polres {p} dipersulit supaya lewat calo.",
    "Perpanjangan SIM lama karena blanko habis.",
    "Tilang elektronik (ETLE) salah kirim, plat nomor bukan kendaraan saya.",
    "BPKB motor saya belum jadi sudah 6 bulan.",
    "Polisi lalu lintas {p} meminta uang damai saat razia.",
], alternates="korlantas")
sector("police_conduct", C, "polri", ["Oknum polisi", "Laporan polisi tidak diproses", "Pungli polisi"], [
    "Laporan polisi saya di Polsek {p} tidak diproses berbulan-bulan.",
    "Oknum polisi {p} meminta uang agar laporan ditindaklanjuti.",
    "Pembuatan SKCK di Polres {p} dipungut biaya tambahan.",
    "Anggota polisi melakukan kekerasan saat menangkap warga {p}.",
    "Peredaran narkoba dan judi di kampung {p} dibiarkan aparat kepolisian.",
    "Maraknya pencurian motor dan begal {p}, mohon patroli polisi ditingkatkan.",
], alternates="divpropam")
sector("tax", C, "djp", ["NPWP", "Coretax error", "Lapor SPT", "Kantor pajak"], [
    "Aplikasi Coretax DJP error saat lapor SPT tahunan.",
    "Restitusi pajak saya di KPP belum diproses lebih dari setahun.",
    "Pembuatan NPWP online gagal terus, kode verifikasi tidak dikirim.",
    "Petugas kantor pelayanan pajak meminta imbalan untuk mempercepat proses.",
    "Bagaimana cara menonaktifkan NPWP karena penghasilan di bawah PTKP?",
    "Bukti potong PPh 21 dari kantor tidak muncul di e-filing.",
])
sector("customs", C, "djbc", ["Bea cukai paket", "Barang impor ditahan", "Rokok ilegal"], [
    "Paket kiriman dari luar negeri ditahan bea cukai dan dikenakan bea masuk sangat mahal.",
    "Barang bawaan penumpang dari luar negeri disita petugas bea cukai bandara.",
    "Peredaran rokok ilegal tanpa pita cukai di warung-warung {p}.",
    "Status paket impor tertahan di kantor pos lalu bea cukai tanpa kejelasan.",
    "Bagaimana cara menghitung pajak impor untuk barang belanja online luar negeri?",
])
sector("land", C, "atr-bpn", ["Sertifikat tanah", "Pengukuran tanah", "PTSL", "Kantor pertanahan"], [
    "Sertifikat tanah program PTSL {p} belum dibagikan padahal sudah bayar.",
    "Pengukuran ulang tanah di kantor pertanahan {p} tertunda berbulan-bulan.",
    "Balik nama sertifikat di BPN {p} dipersulit dan diminta biaya tambahan.",
    "Sertifikat ganda atas tanah saya, diduga ada mafia tanah.",
    "Bagaimana cara mengurus sertifikat tanah warisan di kantor BPN?",
    "Pemecahan sertifikat tanah sudah setahun tidak selesai.",
])
sector("social_aid", C, "kemensos", ["Bansos PKH", "BPNT tidak cair", "DTKS", "BLT"], [
    "Bantuan PKH keluarga saya dihentikan padahal kami masih miskin.",
    "Bansos sembako BPNT {p} tidak tepat sasaran, yang mampu malah dapat.",
    "Nama saya hilang dari DTKS sehingga tidak dapat bantuan sosial.",
    "Pendamping PKH {p} memotong uang bantuan penerima.",
    "BLT tahap ini belum cair padahal tetangga sudah terima.",
    "Bagaimana cara mendaftar sebagai penerima bantuan sosial PKH?",
], alternates="@local")
sector("village_fund", L, None, ["Dana desa", "Kepala desa korupsi", "BUMDes"], [
    "Kepala desa {p} diduga menyelewengkan dana desa untuk kepentingan pribadi.",
    "Pembangunan dari dana desa {p} tidak sesuai RAB, kualitas buruk.",
    "Perangkat desa {p} meminta uang untuk surat keterangan.",
    "BUMDes {p} tidak pernah melaporkan keuangan kepada warga.",
    "BLT dana desa {p} dibagikan hanya kepada keluarga perangkat desa.",
], alternates="kemendes")
sector("disaster", L, None, ["Bantuan banjir", "Korban longsor", "Pengungsi"], [
    "Korban banjir {p} belum menerima bantuan logistik sudah 3 hari.",
    "Pengungsi longsor {p} kekurangan air bersih dan selimut.",
    "Rumah warga rusak akibat gempa {p} belum didata BPBD.",
    "Tenda pengungsian kebakaran {p} tidak layak, anak-anak sakit.",
], alternates="bnpb")
sector("labour", C, "kemnaker", ["THR belum dibayar", "Gaji di bawah UMR", "PHK sepihak"], [
    "Perusahaan tempat saya bekerja belum membayar THR sampai lebaran lewat.",
    "Gaji karyawan di pabrik {p} dibayar di bawah UMK dan lembur tidak dibayar.",
    "Saya di-PHK sepihak tanpa pesangon setelah bekerja 8 tahun.",
    "Perusahaan tidak memberikan cuti hamil dan alat keselamatan kerja.",
    "Kontrak kerja outsourcing diperpanjang terus tanpa pengangkatan.",
    "Pengawas ketenagakerjaan tidak menindaklanjuti laporan pelanggaran upah.",
], alternates="@local;@province")
sector("migrant", C, "kp2mi", ["PMI ilegal", "Agen penyalur TKI", "Pekerja migran"], [
    "Adik saya bekerja di Malaysia lewat calo, sekarang paspor ditahan majikan dan tidak digaji.",
    "Perusahaan penyalur pekerja migran memungut biaya penempatan sangat besar.",
    "Calon PMI {p} ditampung di tempat tidak layak oleh agen penyalur.",
    "Bagaimana cara mendaftar kerja ke luar negeri secara resmi sebagai PMI?",
    "Jenazah pekerja migran asal {p} belum dipulangkan dari Taiwan.",
])
sector("abroad", C, "kemlu", ["WNI di luar negeri", "KBRI", "Paspor hilang di luar negeri"], [
    "Anak saya yang kuliah di luar negeri ditahan polisi setempat, KBRI belum membantu.",
    "WNI korban penipuan kerja online di Kamboja minta dipulangkan.",
    "Layanan konsuler di KBRI sangat lambat untuk perpanjangan dokumen.",
    "Saya kehilangan paspor saat liburan di luar negeri, bagaimana mengurus SPLP di kedutaan?",
])
sector("train", C, "kai", ["Kereta api terlambat", "Tiket kereta", "Refund KAI"], [
    "Kereta api jarak jauh terlambat 3 jam tanpa kompensasi.",
    "Refund tiket kereta di aplikasi Access by KAI belum masuk sebulan.",
    "Toilet kereta ekonomi kotor dan AC mati.",
    "Calo tiket kereta lebaran masih berkeliaran di stasiun {p}.",
])
sector("krl", C, "kai-commuter", ["KRL", "Commuter line", "Stasiun KRL"], [
    "KRL commuter line jurusan Bogor sering gangguan dan penumpang berdesakan.",
    "Eskalator di stasiun KRL rusak, lansia susah naik.",
    "Jadwal KRL berubah tanpa pengumuman, penumpang telat kerja.",
    "Kartu multi trip tidak bisa tap di gate stasiun KRL.",
], alternates="kai")
sector("ferry", C, "asdp", ["Kapal ferry", "Tiket penyeberangan", "Pelabuhan penyeberangan"], [
    "Antrean kendaraan di pelabuhan penyeberangan Merak-Bakauheni mengular sampai 10 km.",
    "Tiket ferry online Ferizy tidak bisa dipakai, harus beli ulang.",
    "Kapal ferry penyeberangan ASDP {p} sering terlambat berangkat.",
])
sector("pelni", C, "pelni", ["Kapal Pelni", "Tiket kapal laut"], [
    "Kapal Pelni tujuan Indonesia timur penuh sesak melebihi kapasitas.",
    "Tiket kapal Pelni online sering habis, dijual calo lebih mahal.",
    "Fasilitas kamar kapal Pelni rusak dan kotor.",
])
sector("airport", C, "angkasa-pura", ["Bandara", "Fasilitas bandara", "Parkir bandara"], [
    "Troli bandara {p} rusak dan toilet terminal kotor.",
    "Tarif parkir bandara {p} terlalu mahal dan antre keluar lama.",
    "AC di ruang tunggu bandara {p} mati, penumpang kepanasan.",
], alternates="injourney")
sector("garuda", C, "garuda", ["Garuda delay", "Bagasi hilang", "Refund tiket pesawat"], [
    "Penerbangan Garuda Indonesia delay 5 jam tanpa kompensasi.",
    "Bagasi saya hilang di penerbangan Garuda dan klaim tidak ditanggapi.",
    "Refund tiket Citilink yang dibatalkan belum dikembalikan.",
])
sector("damri", C, "damri", ["Bus DAMRI", "DAMRI bandara"], [
    "Bus DAMRI bandara {p} tidak sesuai jadwal dan sopir ugal-ugalan.",
    "Bus perintis DAMRI {p} berhenti beroperasi tanpa pemberitahuan.",
    "AC bus DAMRI rusak dan tiket online tidak bisa dibeli.",
])
sector("pos", C, "pos", ["Paket Pos", "Kantor pos", "Kiriman hilang"], [
    "Paket yang saya kirim lewat Pos Indonesia hilang dan tidak ada ganti rugi.",
    "Kiriman kilat khusus Pos Indonesia sudah 3 minggu belum sampai.",
    "Kantor pos {p} sering tutup di jam kerja.",
])
sector("telco", C, "telkomsel", ["Sinyal hilang", "IndiHome gangguan", "Kuota internet"], [
    "Sinyal Telkomsel {p} hilang total sejak seminggu, tidak bisa telepon.",
    "Internet IndiHome mati 4 hari, teknisi tidak datang-datang.",
    "Kuota internet habis padahal tidak dipakai, pulsa tersedot.",
    "Tagihan IndiHome naik tanpa pemberitahuan dan susah berhenti langganan.",
    "Desa kami {p} belum ada sinyal HP sama sekali, usul dibangun BTS.",
], alternates="telkom")
sector("telkom", C, "telkom", ["Telepon rumah", "Telkom"], [
    "Telepon rumah Telkom mati dan tagihan tetap datang.",
    "Layanan jaringan data korporat Telkom untuk kantor kami sering putus.",
])
sector("komdigi", C, "komdigi", ["Judi online", "Hoaks", "Kebocoran data", "Situs ilegal"], [
    "Iklan judi online muncul di banyak situs dan media sosial, mohon diblokir.",
    "Beredar hoaks tentang vaksin di grup WhatsApp, mohon ditindak.",
    "Data pribadi penduduk bocor dari situs pemerintah dan dijual online.",
    "Situs web pemerintah daerah diretas dan berisi judi online.",
    "Konten pornografi mudah diakses anak-anak, mohon diblokir Komdigi.",
    "SMS penipuan berhadiah terus masuk, mohon nomor diblokir.",
])
sector("ojk", C, "ojk", ["Pinjol ilegal", "Debt collector", "Asuransi", "Bank"], [
    "Saya diteror debt collector pinjol ilegal, data kontak saya disebar.",
    "Klaim asuransi jiwa ayah saya ditolak perusahaan asuransi tanpa alasan jelas.",
    "Bunga pinjaman online sangat tinggi dan penagihannya mengancam.",
    "Saldo tabungan saya di bank berkurang tanpa transaksi, bank lepas tangan.",
    "Leasing menarik motor saya paksa di jalan oleh mata elang.",
    "Investasi bodong menawarkan keuntungan tinggi, banyak warga tertipu.",
])
sector("housing", C, "kemenpkp", ["Rumah subsidi", "Bedah rumah", "Rusun"], [
    "Rumah subsidi yang saya beli retak dan bocor padahal baru setahun.",
    "Bantuan bedah rumah (BSPS) {p} tidak tepat sasaran.",
    "Pengembang rumah subsidi FLPP tidak membangun fasilitas umum sesuai janji.",
    "Bagaimana syarat mendapatkan rumah subsidi untuk pekerja berpenghasilan rendah?",
])
sector("civil_service", C, "bkn", ["CPNS", "PPPK", "Seleksi ASN"], [
    "Hasil seleksi PPPK guru tidak transparan, nilai saya tinggi tapi tidak lolos.",
    "Akun SSCASN error saat pendaftaran CPNS.",
    "NIP PPPK saya belum terbit padahal sudah lulus sejak tahun lalu.",
    "Data di MyASN salah dan tidak bisa diperbaiki.",
], alternates="kemenpanrb")
sector("election", C, "kpu", ["Pemilu", "DPT", "KPPS"], [
    "Nama saya tidak terdaftar di DPT padahal pemilu sebelumnya terdaftar.",
    "Honor petugas KPPS belum dibayarkan.",
    "Bagaimana cara pindah memilih untuk pilkada?",
    "Rekapitulasi suara di PPK {p} tidak transparan.",
])
sector("election_violation", C, "bawaslu", ["Politik uang", "Pelanggaran kampanye", "ASN tidak netral"], [
    "Ada politik uang oleh tim sukses calon kepala daerah {p}.",
    "Kampanye di tempat ibadah dan sekolah {p}, mohon ditindak pengawas pemilu.",
    "Kepala desa dan ASN ikut kampanye salah satu calon, tidak netral.",
    "Alat peraga kampanye dipasang di pohon dan fasilitas umum {p}.",
])
sector("trade", C, "kemendag", ["Timbangan curang", "Harga minyak goreng", "Belanja online"], [
    "Pedagang di pasar {p} memakai timbangan curang yang kurang dari seharusnya.",
    "Harga minyak goreng Minyakita di atas HET.",
    "Barang belanja online tidak sesuai pesanan dan penjual tidak mau mengembalikan uang.",
    "Produk elektronik dijual tanpa label SNI dan kartu garansi berbahasa Indonesia.",
])
sector("forest", C, "kemenhut", ["Kebakaran hutan", "Pembalakan liar", "Satwa dilindungi"], [
    "Kebakaran hutan dan lahan {p} membuat asap tebal, sekolah diliburkan.",
    "Pembalakan liar di kawasan hutan lindung {p} dibiarkan.",
    "Orangutan dan satwa dilindungi dijual bebas di pasar burung.",
    "Perambahan taman nasional {p} untuk kebun sawit.",
])
sector("environment", C, "klh", ["Pencemaran sungai", "Limbah pabrik", "Polusi udara"], [
    "Limbah pabrik dibuang ke sungai {p}, air menjadi hitam dan ikan mati.",
    "Asap cerobong pabrik {p} menyebabkan warga sesak napas.",
    "Tambang batu bara {p} tidak punya izin lingkungan dan mencemari sawah.",
    "Limbah B3 rumah sakit dibuang sembarangan.",
])
sector("fisheries", C, "kkp", ["Nelayan", "Kapal ikan asing", "Bantuan nelayan"], [
    "Kapal ikan asing mencuri ikan di perairan {p}, nelayan lokal dirugikan.",
    "Bantuan kapal dan alat tangkap untuk nelayan {p} tidak tepat sasaran.",
    "Penggunaan pukat harimau dan bom ikan di laut {p} merusak terumbu karang.",
    "Kartu KUSUKA nelayan belum jadi, tidak bisa beli solar subsidi.",
])
sector("farming", C, "kementan", ["Pupuk subsidi langka", "Bantuan alsintan", "Penyakit ternak"], [
    "Pupuk subsidi {p} langka saat musim tanam, petani harus beli non subsidi mahal.",
    "Kartu Tani tidak bisa dipakai tebus pupuk bersubsidi.",
    "Bantuan traktor dan alat pertanian dari Kementan dikuasai kelompok tertentu.",
    "Penyakit mulut dan kuku menyerang sapi {p}, vaksin ternak belum datang.",
    "Harga gabah anjlok saat panen dan penyuluh pertanian tidak ada.",
], alternates="pupuk-indonesia")
sector("rice", C, "bapanas", ["Harga beras naik", "Stok beras", "Beras SPHP"], [
    "Harga beras medium di pasar {p} naik terus melebihi HET.",
    "Beras SPHP langka di pasaran, warga kesulitan membeli.",
    "Stok beras di gudang kosong, operasi pasar beras murah tidak ada.",
    "Bantuan pangan beras 10 kg kualitasnya buruk dan berkutu.",
], alternates="bulog")
sector("pln", C, "pln", ["Listrik padam", "Token listrik", "Tagihan listrik", "Meteran PLN"], [
    "Listrik {p} padam berkali-kali setiap hari tanpa pemberitahuan PLN.",
    "Token listrik sudah dibeli tapi tidak masuk ke meteran.",
    "Tagihan listrik pascabayar bulan ini melonjak tiga kali lipat.",
    "Pasang baru listrik PLN sudah bayar tapi petugas belum datang 2 bulan.",
    "Tiang listrik PLN {p} miring hampir roboh dan kabel menjuntai.",
    "Desa kami {p} belum teraliri listrik PLN sampai sekarang.",
])
sector("fuel", C, "pertamina", ["LPG 3 kg langka", "BBM subsidi", "SPBU curang", "Solar langka"], [
    "Gas LPG 3 kg langka {p} dan harganya di pengecer Rp 35 ribu.",
    "SPBU {p} menjual pertalite dengan takaran kurang.",
    "Solar subsidi habis terus di SPBU {p}, antrean truk panjang.",
    "Kualitas pertalite buruk, banyak motor mogok setelah isi di SPBU.",
    "Pendaftaran QR code MyPertamina untuk BBM subsidi gagal terus.",
], alternates="pertamina-patra-niaga")
sector("immigration", C, "imigrasi", ["Paspor", "Kantor imigrasi", "Antrean paspor"], [
    "Antrean online paspor di aplikasi M-Paspor selalu penuh.",
    "Pembuatan paspor di kantor imigrasi {p} dipersulit dan diarahkan ke calo.",
    "Paspor saya belum jadi padahal sudah lewat jadwal.",
    "Warga negara asing bekerja tanpa izin tinggal {p}, mohon imigrasi menindak.",
    "Bagaimana cara perpanjang paspor yang hilang?",
], alternates="kemenimipas")
sector("prison", C, "ditjenpas", ["Lapas", "Rutan", "Kunjungan napi"], [
    "Keluarga narapidana dimintai uang saat besuk di lapas {p}.",
    "Rutan {p} sangat penuh dan makanan tahanan tidak layak.",
    "Pengajuan pembebasan bersyarat suami saya di lapas tidak diproses.",
    "Peredaran narkoba di dalam lapas {p} dikendalikan napi.",
], alternates="kemenimipas")
sector("triage", T, None, ["Halo", "Tes", "Selamat pagi", "Minta tolong", "Sengketa warisan", "Utang tetangga", "Promo", "asdfgh"], [
    "Tetangga saya meminjam uang 5 juta dan tidak mau mengembalikan.",
    "Saudara saya menguasai tanah warisan orang tua dan tidak mau membagi.",
    "Halo admin, selamat pagi, semoga sehat selalu.",
    "Tes tes coba aplikasi.",
    "Pacar saya selingkuh dan memblokir nomor saya.",
    "Teman kerja menyebarkan gosip tentang saya di kantor swasta.",
    "Jual pulsa murah dan followers, hubungi nomor ini.",
    "Dapatkan penghasilan jutaan rupiah dari rumah, klik link berikut.",
    "asdf qwerty jkl zxcv",
    "Mantan suami tidak mau memberi nafkah anak.",
    "Tetangga memelihara ayam dan berisik setiap pagi, kami bertengkar.",
    "Saya ditipu teman sendiri dalam jual beli motor bekas.",
    "Terima kasih atas pelayanannya, sangat memuaskan.",
    "Bagaimana cara menjadi kaya dengan cepat?",
    "Kucing saya hilang, mohon bantu cari.",
    "Minta nomor WhatsApp admin LAPOR.",
    "Adik ipar saya berhutang dan kabur ke luar kota.",
    "Siapa presiden pertama Indonesia?",
    "Majikan saya di rumah tangga pribadi marah-marah terus, saya mau berhenti.",
    "Ok", "Ping", "Assalamualaikum admin", "mohon maaf salah kirim",
])

def pick_reg(level):
    if level == P:
        return rnd.choice(non_dki)
    return rnd.choice(regencies if rnd.random() < 0.12 else non_dki)

def resolve(level, target, reg, alternates):
    alts = []
    for a in filter(None, alternates.split(";")):
        if a == "@local":
            alts.append(local_id(reg))
        elif a == "@province":
            alts.append("pemda-" + reg["province_code"])
        else:
            alts.append(a)
    if level == L:
        return local_id(reg), alts
    if level == P:
        return "pemda-" + reg["province_code"], alts
    if level == T:
        return "triage", alts
    return target, alts

def local_id(reg):
    return "pemda-31" if reg["province_code"] == "31" else "pemda-" + reg["code"]

rows = []
n = 0
for name, (level, target, titles, bodies, alternates) in S.items():
    per_body = 4 if level in (L, P) else 3
    if name == "triage":
        per_body = 2
    for body in bodies:
        for _ in range(per_body):
            n += 1
            reg = rnd.choice(regencies if name != "toll_sumatra" else [r for r in regencies if r["province_code"] in SUMATRA])
            if level == P:
                reg = rnd.choice(non_dki)
            if name == "toll":
                reg = rnd.choice([r for r in regencies if r["province_code"] not in SUMATRA])
            text, code = ("", "")
            if "{p}" in body:
                text, code = place(reg, level)
                if level not in (L, P) and rnd.random() < 0.5:
                    text, code = ("", "")
            elif level in (L, P):
                code = reg["code"]
            if level in (L, P) and not text and not code:
                code = reg["code"]
            b = body.replace(" {p}", " " + text if text else "").replace("{p}", text)
            if level in (C, T) and not text:
                code = code if rnd.random() < 0.3 else ""
            kind = "complaint"
            if b.startswith(("Bagaimana", "Apa", "Siapa", "Kapan")):
                kind = "information_request"
            elif b.startswith(("Usul", "Mohon")):
                kind = "aspiration"
            title = rnd.choice(titles) if rnd.random() < 0.8 else ""
            if rnd.random() < 0.35:
                b = informal(b)
                title = informal(title)
            expected, alts = resolve(level, target, reg, alternates)
            if name == "rsud_province" and reg["province_code"] == "31":
                continue
            if level == C and target == "jasa-marga" and reg["province_code"] in SUMATRA:
                continue
            rows.append([f"gen-{n:04d}", kind, title, b, code, expected, ";".join(alts), name])

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["id", "kind", "title", "body", "region_code", "expected", "alternates", "note"])
for r in rows:
    w.writerow(r)
