"""Build benchmark: a synthetic Kilas corpus, Kilas builds vs. stock Pelican.

    python -m kilas.bench --articles 1000            # Kilas builds + Pelican
    python -m kilas.bench --articles 1000 --pelican-only

On one corpus, in one run, each a whole process: a clean Kilas build; then a
rebuild after each of these changes, in order: one item's body edited, a new
item dated latest added, one item retitled, one item deleted, nothing
changed; then a livereload save; then stock Pelican's clean build. The
livereload save is timed on the server ``invoke livereload`` runs
(``python -m kilas.live``, started on the corpus and given time to build):
the benchmark connects to it as a browser does (livereload's websocket),
appends a sentence to another item's body, and stops the clock when the
server tells the browser to reload; the page on disk must then hold the
sentence (``kilas_live_s``; ``live_s`` is the same figure). The last line
is machine-readable:

``bench articles=N kilas_full_s= kilas_edit_s= kilas_add_s= kilas_retitle_s=
kilas_delete_s= kilas_noop_s= kilas_live_s= pelican_full_s= full_ratio=
edit_ratio= add_ratio= retitle_ratio= delete_ratio= noop_ratio= live_s=
peak_mib=`` (each ratio is that time over pelican_full_s; peak_mib: peak
memory of the Kilas clean build, all its processes together; see Measure).
"""

from __future__ import annotations

import argparse
import compileall
import logging
import os
import random
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)

_SITE_ARGS = (
    "--settings",
    "pelicanconf.py",
    "--content",
    "{content}",
    "--output",
    "{output}",
)
KILAS_CMD: tuple[str, ...] = ("{python}", "-m", "kilas.build", *_SITE_ARGS)
"""Default Kilas build command, run from the project root; fields are
{python} (this interpreter), {content} and {output} (absolute paths)."""
LIVE_CMD: tuple[str, ...] = (
    "{python}",
    "-m",
    "kilas.live",
    *_SITE_ARGS,
    "--port",
    "{port}",
)
"""The livereload server's command; {port} is a free port on 127.0.0.1."""
LIVE_READY = "the site is in memory; watching for saves"
LIVE_START_SECONDS = 900.0
ITEMS_DIR = "items"
"""bench(): the items' folder under content/, as the project's ARTICLE_PATHS."""


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|"))


CATEGORIES: dict[str, tuple[str, ...]] = {
    "Nasional": _split("data kependudukan|pelayanan publik|dana desa|mudik lebaran"),
    "Internasional": _split(
        "kerja sama maritim|perundingan dagang|pekerja migran|bantuan kemanusiaan"
    ),
    "Ekonomi": _split("harga beras|ekspor sawit|inflasi pangan|produksi nikel"),
    "Politik": _split(
        "revisi undang-undang|koalisi partai|daftar pemilih|anggaran daerah"
    ),
    "Hukum": _split("kasus korupsi|sengketa lahan|putusan banding|perlindungan saksi"),
    "Teknologi": _split("platform digital|kebocoran data|serat optik|layanan satelit"),
    "Sains": _split("riset vaksin|pengamatan gerhana|bank benih|terumbu karang"),
    "Kesehatan": _split(
        "program vaksinasi|layanan puskesmas|stunting anak|demam berdarah"
    ),
    "Lingkungan": _split("kualitas udara|hutan mangrove|sampah plastik|air tanah"),
    "Olahraga": _split("jadwal liga|atlet muda|renovasi stadion|tim nasional"),
    "Budaya": _split("festival budaya|naskah kuno|museum daerah|bahasa daerah"),
    "Bencana": _split("banjir bandang|erupsi gunung api|peringatan dini|gempa bumi"),
}
REGIONS = _split(
    "ID|MY|SG|TH|VN|PH|BN|KH|LA|MM|TL|AU|NZ|PG|CN|JP|KR|IN|PK|BD"
    "|LK|SA|AE|QA|TR|EG|US|CA|BR|MX|GB|FR|DE|NL|IT|ES|RU|UA|ZA|NG"
)
# name, alias/domain, kind, country, language
SOURCES: tuple[tuple[str, ...], ...] = tuple(
    _split(row)
    for row in (
        "Kabar Nusantara|kabarnusantara.id|outlet|ID|id",
        "Warta Harian|wartaharian.id|outlet|ID|id",
        "Suara Timur|suaratimur.id|outlet|ID|id",
        "Lintas Borneo|lintasborneo.id|outlet|ID|id",
        "Pos Sumatra|possumatra.id|outlet|ID|id",
        "Jurnal Khatulistiwa|jurnalkhatulistiwa.id|outlet|ID|id",
        "Berita Pesisir|beritapesisir.id|outlet|ID|id",
        "Gema Sulawesi|gemasulawesi.id|outlet|ID|id",
        "Tribun Rakyat|tribunrakyat.id|outlet|ID|id",
        "Kantor Berita Antarnusa|antarnusa.id|agency|ID|id",
        "Agensi Warta Asia|wartaasia.com|agency|SG|en",
        "Nusa Press Agency|nusapress.com|agency|MY|en",
        "Kementerian Dalam Negeri|kemendagri.go.id|government|ID|id",
        "Badan Meteorologi Nasional|bmn.go.id|government|ID|id",
        "Kementerian Kesehatan|kemenkes.go.id|government|ID|id",
        "Badan Pusat Data|pusatdata.go.id|government|ID|id",
        "Yayasan Lestari Bumi|lestaribumi.or.id|ngo|ID|id",
        "Lembaga Bantuan Warga|bantuanwarga.or.id|ngo|ID|id",
        "Koalisi Pantau Anggaran|pantauanggaran.or.id|ngo|ID|id",
        "Asia Pacific Monitor|apmonitor.com|outlet|AU|en",
        "Straits Daily Review|straitsreview.com|outlet|SG|en",
        "Global Wire Service|globalwire.com|agency|GB|en",
        "Forum Akademisi Terbuka|akademisiterbuka.ac.id|other|ID|id",
        "Blog Data Publik|datapublik.id|other|ID|id",
        "Radio Komunitas Merapi|rkmerapi.id|other|ID|id",
    )
)
STORIES = _split(
    "Krisis Beras Nasional|Skandal Tambang Timur|Polemik Kursi Dewan|Jejak Dana Hibah"
    "|Babak Pelabuhan Baru|Gelombang Banjir Utara|Misteri Data Pemilih|Kisruh Lahan Adat"
    "|Proyek Kereta Cepat|Perjuangan Atlet Muda|Krisis Air Bersih|Skandal Impor Gula"
    "|Polemik Laut Natuna|Jejak Kabut Asap|Babak Vaksin Lokal|Gelombang Tanggul Pesisir"
    "|Misteri Bandara Selatan|Kisruh Pupuk Subsidi|Proyek Gempa Barat|Hutan Lindung Terakhir"
    "|Polemik Pajak Digital|Jejak Naskah Kuno|Babak Liga Daerah|Listrik Desa Terpencil"
    "|Nasib Guru Honorer|Proyek Satelit Nusantara|Rumah Sakit Rujukan|Kawasan Industri Baru"
    "|Jalur Mudik Selatan|Sungai Tercemar"
)
PEOPLE = _split(
    "Budi Santoso|Siti Rahmawati|Andi Pratama|Dewi Lestari|Rizky Hidayat|Nur Aini"
    "|Agus Salim|Maria Simanjuntak|Yohanes Kurniawan|Ketut Arsana|Fitri Handayani"
    "|Hendra Gunawan|Ratna Sari|Made Wirawan|Intan Permata"
)
ROLES = _split(
    "juru bicara|kepala dinas|peneliti senior|ketua komisi|direktur eksekutif"
    "|analis kebijakan|warga setempat|koordinator lapangan"
)
INSTITUTIONS = _split(
    "pemerintah daerah|kementerian terkait|dewan perwakilan|badan pengawas"
    "|lembaga swadaya|pihak kepolisian|otoritas pelabuhan|tim gabungan"
    "|asosiasi pengusaha|perguruan tinggi negeri"
)
CITIES = _split(
    "Jakarta|Surabaya|Medan|Makassar|Bandung|Semarang|Palembang|Pontianak|Balikpapan"
    "|Manado|Denpasar|Kupang|Jayapura|Ambon|Padang|Pekanbaru|Yogyakarta|Mataram"
    "|Banjarmasin|Kendari"
)
VERBS = _split(
    "meninjau ulang|mengumumkan|menunda|mempercepat|mengevaluasi|membahas|menolak"
    "|menyetujui|memperketat|mengkaji"
)
WHEN = _split(
    "pekan ini|sejak awal tahun|dalam beberapa bulan terakhir|pada Selasa pagi"
    "|menjelang akhir pekan|pada Kamis malam|bulan depan|akhir pekan lalu"
)
TAILS = _split(
    "Jadi Sorotan|Memicu Perdebatan|Mulai Membaik|Kembali Naik|Belum Tuntas"
    "|Dikaji Ulang|Tuai Kritik"
)
WORDS = _split("zona merah|angka|prosedur|birokrasi|citra|anggaran|tenggat")
LINK_TEXT = _split(
    "laporan lengkap|dokumen resmi|data pendukung|siaran pers|catatan rapat|peta interaktif"
)
HEADINGS = _split(
    "Latar Belakang|Tanggapan Pemerintah|Dampak bagi Warga|Langkah Selanjutnya"
    "|Suara dari Lapangan|Catatan Redaksi"
)
COMMON_TAGS = ("daerah", "kebijakan", "warga", "investigasi", "data", "anggaran")
SENTENCES = (
    "{Inst} {verb} rencana terkait {topic} di {city} {when}.",
    (
        '"Kami {verb} semua masukan dari masyarakat, dan keputusan akhir akan diumumkan segera," kata {person},'
        " {role}, kepada wartawan."
    ),
    "Menurut {person}, persoalan {topic} -- yang sudah dibahas sejak {year} -- belum menemukan titik terang.",
    "Data terbaru menunjukkan kenaikan sekitar {pct} persen dibandingkan periode yang sama tahun lalu.",
    "Warga di {city} menyebut kondisi ini sebagai 'ujian berat' bagi {inst} dan para pemangku kepentingan.",
    "Rincian temuan dapat dibaca dalam [{link}](https://contoh.id/{path}/{n}), yang dirilis {when}.",
    "{Inst} memperkirakan dampak terhadap {topic} akan terasa hingga {months} bulan ke depan.",
    "Sejumlah pengamat menilai langkah itu terlambat, namun {inst} bersikeras bahwa prosedur sudah diikuti.",
    "\"Ini bukan soal '{word}' semata, melainkan soal kepercayaan publik,\" ujar {person}.",
    "Sebanyak {n} orang tercatat terdampak, sementara {m} lainnya masih menunggu kepastian dari {inst}.",
    "Di sisi lain, {inst} meminta masyarakat tetap tenang dan mengikuti informasi resmi.",
    "Rapat lanjutan dijadwalkan {when}, dengan agenda utama membahas {topic} dan {topic2}.",
    (
        "Ringkasan kebijakan juga tersedia di [{link}](https://contoh.id/{path}/{n}) bagi pembaca yang ingin"
        " menelusuri angka-angkanya."
    ),
    "Hasil survei {inst} -- melibatkan {n} responden -- menunjukkan mayoritas warga mendukung perubahan tersebut.",
    "{Person}, {role} di {city}, mengatakan bahwa {topic} harus ditangani secara terbuka dan terukur.",
    "Keputusan soal {topic} sempat tertunda {months} kali karena perbedaan data antarinstansi.",
    "Pemantauan di lapangan -- terutama di pinggiran {city} -- masih dilakukan setiap hari.",
    "Anggaran sebesar Rp{n} miliar disiapkan, meski {inst} menilai jumlah itu belum memadai.",
    "\"Kami tidak ingin warga menjadi korban '{word}' lagi,\" tutur {person}, {role}.",
    "Catatan {inst2} sejak {year} memperlihatkan pola serupa di sejumlah provinsi lain.",
    "Redaksi telah meminta tanggapan {inst}, namun hingga berita ini diturunkan belum ada jawaban.",
)
BULLETS = (
    "{Topic}: {inst} {verb} usulan baru",
    "Lokasi: {city} dan sekitarnya",
    "Anggaran: sekitar Rp{n} miliar untuk tahap pertama",
    "Pihak terlibat: {inst} dan {inst2}",
    "Tenggat: {months} bulan sejak diumumkan",
    "Narasumber: {person}, {role}",
)
STEPS = (
    "Warga mendaftar melalui kantor {inst} di {city}.",
    "Petugas memverifikasi data dalam waktu {months} hari kerja.",
    "Hasil verifikasi diumumkan lewat [{link}](https://contoh.id/{path}/{n}).",
    "Keberatan dapat diajukan paling lambat {months} pekan setelah pengumuman.",
    "{Inst} menyalurkan bantuan secara bertahap.",
)


class _IndentedDumper(yaml.SafeDumper):
    """Indent block sequences under their key (``sources:\n  - name: ...``)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


_MARKER = re.compile(r"^\s*(?:[-*]|\d+\.|#+)\s+", re.MULTILINE)


@dataclass(frozen=True)
class Measure:
    """Wall-clock seconds and peak memory (MiB) of one command.

    ``peak_mib`` is the larger of the kernel's peak resident memory of the
    largest process (``ru_maxrss``) and the highest sum, sampled every 50 ms,
    of the proportional memory (PSS) of the command and all its descendants,
    running at once: forked writers and parallel Pagefind runs count together,
    pages they share count once.
    """

    seconds: float
    peak_mib: float
    largest_mib: float = 0.0
    together_mib: float = 0.0


def _tree_pss_kib(pid: int) -> int:
    """PSS of ``pid`` and its descendants now, in KiB (0 where /proc lacks it)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                path = f"/proc/{current}/task/{task}/children"
                with open(path, encoding="ascii") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


class _Sampler(threading.Thread):
    """Highest PSS of a process tree, sampled until ``stop`` is set."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak_kib = max(self.peak_kib, _tree_pss_kib(self.pid))


def word_count(markdown: str) -> int:
    """Words of a Markdown body: link targets, list/heading markers and bare `--` are not words."""
    text = _MARKER.sub("", re.sub(r"\]\([^)]*\)", "]", markdown))
    return sum(1 for tok in text.split() if any(c.isalnum() for c in tok))


def slugify(text: str) -> str:
    """Same result as Pelican's default slugify for the ASCII titles generated here."""
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text.lower())).strip("-")


def _fill(rng: random.Random, template: str, topics: Sequence[str]) -> str:
    inst, inst2 = rng.sample(INSTITUTIONS, 2)
    topic, topic2 = rng.sample(topics, 2)
    values: dict[str, object] = {
        "inst": inst, "inst2": inst2, "topic": topic, "topic2": topic2,
        "person": rng.choice(PEOPLE), "role": rng.choice(ROLES),
        "city": rng.choice(CITIES), "verb": rng.choice(VERBS), "when": rng.choice(WHEN),
        "word": rng.choice(WORDS), "link": rng.choice(LINK_TEXT), "path": slugify(topic),
        "year": rng.randint(2015, 2021), "pct": rng.randint(2, 40),
        "n": rng.randint(120, 9800), "m": rng.randint(10, 900), "months": rng.randint(2, 12),
    }  # fmt: skip
    # {Inst}, {Topic}, {Person}: the same value with a capital first letter
    caps = {k.capitalize(): f"{v}"[:1].upper() + f"{v}"[1:] for k, v in values.items()}
    return template.format(**values, **caps)


def _body(rng: random.Random, topics: Sequence[str]) -> str:
    def para(k: int) -> str:
        return " ".join(_fill(rng, rng.choice(SENTENCES), topics) for _ in range(k))

    dateline = rng.choice(CITIES).upper() + " -- "
    quote = _fill(rng, rng.choice([t for t in SENTENCES if t.startswith('"')]), topics)
    blocks = [dateline + para(rng.randint(2, 3)), quote + " " + para(rng.randint(1, 3))]
    blocks.append(
        "\n".join(
            "- " + _fill(rng, b, topics) for b in rng.sample(BULLETS, rng.randint(3, 5))
        )
    )
    blocks.append(para(rng.randint(2, 3)))
    if rng.random() < 0.4:
        blocks.append("## " + rng.choice(HEADINGS))
    blocks.append(para(2))
    steps = STEPS[: rng.randint(3, 5)]
    blocks.append(
        "\n".join(f"{i}. {_fill(rng, s, topics)}" for i, s in enumerate(steps, 1))
    )
    words, target = sum(word_count(b) for b in blocks), rng.randint(430, 650)
    current: list[str] = []
    # one sentence at a time: never overshoots the target by more than ~30 words
    while words < target:
        sentence = _fill(rng, rng.choice(SENTENCES), topics)
        current.append(sentence)
        words += word_count(sentence)
        if len(current) >= 4 or (len(current) >= 2 and rng.random() < 0.3):
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return "\n\n".join(blocks) + "\n"


def _item(rng: random.Random, taken: set[str], when: datetime) -> tuple[str, str]:
    """Return (slug, file text) for one item."""
    story = rng.choice(STORIES) if rng.random() < 0.3 else None
    category = (
        list(CATEGORIES)[STORIES.index(story) % len(CATEGORIES)]
        if story
        else rng.choice(list(CATEGORIES))
    )
    topics = CATEGORIES[category]
    for attempt in range(100):
        pattern = rng.choice(
            (
                "{Inst} {verb} {topic} di {city}",
                "{Topic} di {city} " + rng.choice(TAILS),
            )
        )
        title = _fill(rng, pattern, topics)
        # practically never: the vocabulary allows well over 10k titles per category
        if attempt > 20:
            title += f" {attempt}"
        if (slug := slugify(title)) not in taken:
            break
    taken.add(slug)
    regions = ["ID"] if rng.random() < 0.6 else [rng.choice(REGIONS)]
    regions += [r for r in rng.sample(REGIONS, rng.randint(0, 2)) if r not in regions]
    source, *cites = rng.sample(
        [s[0] for s in SOURCES], 1 + rng.choice((0, 0, 1, 1, 2))
    )
    pool = list(
        dict.fromkeys(
            [*(t for p in topics for t in p.split() if len(t) > 4), *COMMON_TAGS]
        )
    )
    tags = rng.sample(pool, rng.randint(2, 4))
    summary = _fill(
        rng,
        "{Inst} {verb} kebijakan soal {topic} di {city} {when}, sementara {inst2} meminta warga mengikuti"
        " perkembangan dan menunggu keputusan resmi"
        + rng.choice(("", " yang diperkirakan keluar dalam waktu dekat")),
        topics,
    )
    header = [
        f"Title: {title}",
        f"Date: {when:%Y-%m-%d %H:%M}",
        f"Category: {category}",
        f"Region: {'; '.join(regions)}",
        f"Source: {source}",
        *([f"Cites: {'; '.join(cites)}"] if cites else []),
        *([f"Story: {story}"] if story else []),
        f"Tags: {', '.join(tags)}",
        f"Summary: {summary}.",
    ]
    return slug, "\n".join(header) + "\n\n" + _body(rng, topics)


def write_corpus(root: Path, articles: int, seed: int = 1, items: str = "") -> None:
    """Write `articles` synthetic items to root/content/[items/]<yyyy>/<mm>/<slug>.md
    plus root/content/sources.yaml.

    Deterministic: same bytes for the same (articles, seed). Refuses a non-empty
    root/content. `items` is a subfolder for the item files (Kilas: "items").
    """
    content = root / "content"
    if content.exists() and any(content.iterdir()):
        raise FileExistsError(f"{content} is not empty")
    content.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    taken: set[str] = set()
    start, span = (
        datetime(2022, 1, 1),
        (datetime(2025, 1, 1) - datetime(2022, 1, 1)) // timedelta(minutes=1),
    )
    for _ in range(articles):
        when = start + timedelta(minutes=rng.randrange(span))
        slug, text = _item(rng, taken, when)
        path = content / items / f"{when:%Y}" / f"{when:%m}" / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    sources = [
        {"name": n, "aliases": [a], "homepage": f"https://{a.split('.')[0]}.example/",
         "kind": k, "country": c, "language": lang}
        for n, a, k, c, lang in SOURCES
    ]  # fmt: skip
    dumped = yaml.dump(
        {"sources": sources},
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
    )
    (content / "sources.yaml").write_bytes(dumped.encode("utf-8"))
    logger.info("wrote %d items to %s", articles, content)


def compile_project(root: Path) -> None:
    """Compile the project's own modules (``kilas/``, ``plugins/``) to
    bytecode before timing, as Pelican's are in site-packages. Where
    ``PYTHONDONTWRITEBYTECODE`` is set (the development machine sets it),
    every Kilas process would otherwise compile them from source again:
    about 0.15 s of CPU a build that stock Pelican does not pay."""
    for name in ("kilas", "plugins"):
        if (root / name).is_dir():
            compileall.compile_dir(root / name, quiet=1)
    print("bytecode of kilas/ and plugins/ compiled", flush=True)


def run_command(
    cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> Measure:
    """Run `cmd` to completion; time it and read the child's own peak RSS from wait4()."""
    logger.debug("running %s (cwd=%s)", shlex.join(cmd), cwd)
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        sampler = _Sampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            sampler.stop.set()
            sampler.join()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            log.seek(0)
            tail = log.read()[-4000:].decode("utf-8", "replace")
            raise RuntimeError(f"exit {proc.returncode}: {shlex.join(cmd)}\n{tail}")
    # ru_maxrss: KiB on Linux, bytes on macOS
    kib = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)
    largest, together = kib / 1024, sampler.peak_kib / 1024
    return Measure(seconds, max(largest, together), largest, together)


PELICAN_SETTINGS = """\
# Stock Pelican 4.12 for the Kilas benchmark: default theme, default MARKDOWN, no plugins, no cache.
AUTHOR = "Kilas Bench"
SITENAME = "Kilas Bench"
SITEURL = ""
TIMEZONE = "Asia/Jakarta"
DEFAULT_LANG = "id"
PLUGINS = []
TYPOGRIFY = True
TYPOGRIFY_DASHES = "oldschool"
YEAR_ARCHIVE_SAVE_AS = "posts/{date:%Y}/index.html"
MONTH_ARCHIVE_SAVE_AS = "posts/{date:%Y}/{date:%m}/index.html"
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
"""


def run_stock_pelican(content: Path, output: Path) -> Measure:
    """Full build of `content` with stock Pelican into `output`, as a separate process."""
    with tempfile.TemporaryDirectory(prefix="kilas-pelican-") as tmp:
        settings = Path(tmp) / "pelicanconf.py"
        settings.write_text(PELICAN_SETTINGS, encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "pelican",
            str(content.resolve()),
            "-s",
            str(settings),
        ]
        return run_command([*cmd, "-o", str(output.resolve()), "-q"], cwd=Path(tmp))


def bench(
    articles: int,
    project_root: Path,
    workdir: Path | None = None,
    *,
    kilas_cmd: Sequence[str] = KILAS_CMD,
    seed: int = 1,
    items_dir: str = ITEMS_DIR,
) -> dict[str, float]:
    """A Kilas clean build, its rebuilds after each change (see the module's
    docstring) and a stock Pelican clean build, on one corpus.

    Uses workdir (its corpus/, kilas-out/ and pelican-out/ are recreated) or a temporary
    folder. Items go to content/<items_dir>/ (Kilas reads ARTICLE_PATHS = ["items"]).
    """
    if articles < 5:
        raise ValueError("articles must be >= 5 (each change takes another item)")
    with tempfile.TemporaryDirectory(prefix="kilas-bench-") as tmp:
        work = Path(workdir or tmp).resolve()
        for sub in ("corpus", "kilas-out", "pelican-out"):
            shutil.rmtree(work / sub, ignore_errors=True)
        content, out = work / "corpus" / "content", work / "kilas-out"
        write_corpus(work / "corpus", articles, seed, items_dir)
        fields = {"python": sys.executable, "content": str(content), "output": str(out)}
        cmd = [part.format(**fields) for part in kilas_cmd]

        def step(label: str, run: Measure) -> Measure:
            print(
                f"{label}: {run.seconds:.2f} s, peak {run.peak_mib:.1f} MiB"
                f" (largest process {run.largest_mib:.1f} MiB,"
                f" all processes together {run.together_mib:.1f} MiB)",
                flush=True,
            )
            return run

        compile_project(project_root)
        full = step("kilas full build", run_command(cmd, project_root))
        if (pages := sum(1 for _ in out.rglob("*.html"))) < articles:
            logger.warning("Kilas wrote %d HTML files for %d items", pages, articles)
        items = sorted(content.rglob("*.md"))
        times = {}
        for name, label, change in (
            ("edit", "body edited", lambda: append_sentence(items[articles // 2])),
            ("add", "new item dated latest", lambda: add_latest(content, items)),
            ("retitle", "item retitled", lambda: retitle(items[articles // 3])),
            ("delete", "item deleted", lambda: delete(items[(articles * 2) // 3])),
            ("noop", "nothing changed", lambda: ""),
        ):
            what = change()
            run = step(f"kilas {label} {what}".rstrip(), run_command(cmd, project_root))
            times[name] = run.seconds
        live_cmd = [part.format(**fields, port="{port}") for part in LIVE_CMD]
        item = items[articles // 5]
        times["live"] = live_save(live_cmd, project_root, item, out)
        print(f"kilas livereload save ({item.name}): {times['live']:.2f} s", flush=True)
        pelican = step(
            "stock pelican full build", run_stock_pelican(content, work / "pelican-out")
        )
    changes = ("edit", "add", "retitle", "delete", "noop")
    result = {
        "articles": articles,
        "kilas_full_s": full.seconds,
        **{f"kilas_{name}_s": times[name] for name in (*changes, "live")},
        "pelican_full_s": pelican.seconds,
        "full_ratio": full.seconds / pelican.seconds,
        **{f"{name}_ratio": times[name] / pelican.seconds for name in changes},
        "live_s": times["live"],
        "peak_mib": full.peak_mib,
        "pelican_peak_mib": pelican.peak_mib,
    }
    keys = [k for k in result if k not in ("articles", "pelican_peak_mib")]
    print(
        f"bench articles={articles} " + " ".join(f"{k}={result[k]:.2f}" for k in keys),
        flush=True,
    )
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def live_save(cmd: Sequence[str], cwd: Path, item: Path, site: Path) -> float:
    """Start the livereload server, connect as a browser, append
    LIVE_SENTENCE to ``item``, and return the seconds until the server says
    reload; the item's page in ``site`` must hold the sentence by then."""
    import asyncio  # noqa: PLC0415

    from tornado.websocket import websocket_connect  # noqa: PLC0415

    port = free_port()
    command = [part.replace("{port}", str(port)) for part in cmd]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)

        def said() -> str:
            log.seek(0)
            return log.read().decode("utf-8", "replace")

        try:
            deadline = time.monotonic() + LIVE_START_SECONDS
            while LIVE_READY not in said():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the livereload server did not start:\n{said()[-4000:]}"
                    )
                time.sleep(0.1)

            async def save() -> float:
                url = f"ws://127.0.0.1:{port}/livereload"
                for _ in range(100):
                    try:
                        socket_ = await websocket_connect(url)
                        break
                    except OSError:
                        await asyncio.sleep(0.1)
                hello = '{"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}'
                await socket_.write_message(hello)
                await socket_.read_message()
                await socket_.write_message(
                    f'{{"command": "info", "url": "http://127.0.0.1:{port}/"}}'
                )
                await asyncio.sleep(0.5)  # the server counts this browser
                started = time.perf_counter()
                append_sentence(item, LIVE_SENTENCE)
                message = await asyncio.wait_for(socket_.read_message(), 600)
                seconds = time.perf_counter() - started
                if message is None or '"reload"' not in message:
                    raise RuntimeError(
                        f"no reload from the server: {message!r}\n{said()[-4000:]}"
                    )
                socket_.close()
                return seconds

            seconds = asyncio.run(save())
            pages = [
                page
                for page in site.rglob(f"{item.stem}/index.html")
                # its first words: typogrify joins the last two with &nbsp;
                if LIVE_SENTENCE[:24] in page.read_text(encoding="utf-8")
            ]
            if not pages:
                raise RuntimeError(
                    f"the saved sentence is not on the page:\n{said()[-4000:]}"
                )
            kilas = [line for line in said().splitlines() if line.startswith("kilas:")]
            logger.info("livereload server said:\n%s", "\n".join(kilas[-5:]))
            return seconds
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


SENTENCE = (
    "Pembaruan: redaksi menambahkan satu kalimat untuk menguji pembangunan ulang."
)
LIVE_SENTENCE = "Simpan langsung: kalimat ini ditambahkan untuk menguji livereload."


def append_sentence(item: Path, sentence: str = SENTENCE) -> str:
    """Edit an item's body: one sentence more at its end."""
    with item.open("a", encoding="utf-8") as fh:
        fh.write(f"\n{sentence}\n")
    return f"({item.name})"


def retitle(item: Path) -> str:
    """Change an item's headline (its file name, so its URL, stays)."""
    text = item.read_text(encoding="utf-8")
    item.write_text(text.replace("Title: ", "Title: Diperbarui: ", 1), encoding="utf-8")
    return f"({item.name})"


def delete(item: Path) -> str:
    item.unlink()
    return f"({item.name})"


def add_latest(content: Path, items: Sequence[Path]) -> str:
    """A new item one minute after the latest one, as a newsroom adds one."""
    dates = []
    for item in items:
        head = item.read_text(encoding="utf-8").split("\n\n", 1)[0]
        when = re.search(r"^Date: (.+)$", head, re.MULTILINE)
        dates.append(datetime.strptime(when.group(1), "%Y-%m-%d %H:%M"))
    when = max(dates) + timedelta(minutes=1)
    source = items[len(items) // 4].read_text(encoding="utf-8")
    source = re.sub(
        r"^Title: .*$", "Title: Berita Terbaru Sore Ini", source, count=1, flags=re.M
    )
    source = re.sub(
        r"^Date: .*$", f"Date: {when:%Y-%m-%d %H:%M}", source, count=1, flags=re.M
    )
    path = (
        content / ITEMS_DIR / f"{when:%Y}" / f"{when:%m}" / "berita-terbaru-sore-ini.md"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return f"({path.name}, {when:%Y-%m-%d %H:%M})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kilas.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--project-root", type=Path, default=Path.cwd(), help="cwd of the Kilas command"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep corpus and outputs here (default: a temp folder)",
    )
    parser.add_argument(
        "--kilas-cmd",
        default=shlex.join(KILAS_CMD),
        help="command template with {python} {content} {output}",
    )
    parser.add_argument(
        "--items-dir", default=ITEMS_DIR, help="items folder under content/ ('' = none)"
    )
    parser.add_argument(
        "--pelican-only", action="store_true", help="only the stock Pelican full build"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.pelican_only:
        bench(
            args.articles,
            args.project_root.resolve(),
            args.workdir,
            kilas_cmd=shlex.split(args.kilas_cmd),
            seed=args.seed,
            items_dir=args.items_dir,
        )
        return 0
    with tempfile.TemporaryDirectory(prefix="kilas-bench-") as tmp:
        work = Path(args.workdir or tmp)
        shutil.rmtree(work / "corpus", ignore_errors=True)
        shutil.rmtree(work / "pelican-out", ignore_errors=True)
        write_corpus(work / "corpus", args.articles, args.seed, args.items_dir)
        run = run_stock_pelican(work / "corpus" / "content", work / "pelican-out")
    print(
        f"pelican articles={args.articles} pelican_full_s={run.seconds:.2f}"
        f" pelican_peak_mib={run.peak_mib:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
