"""A differential check of incremental builds: after any change, an
incremental build writes output/ byte for byte as a clean build of the same
files does.

A site of about 60 items (the project's own content, with its photo, its
translation, its about page and its registries, and 50 items of the bench's
corpus) is built once; then changes of every kind an editor makes are made
in turn, each followed by an incremental build and a clean build of the same
files in another folder, and the two ``output/`` folders are compared file
by file (and folder by folder). Each step prints the pages rendered, the
files that changed and the pages of the site. Random sequences of 5 to 10
changes (seeded: the seed is printed; ``KILAS_FUZZ_SEEDS=1,2,3`` runs
others) compare the site at their end.

A difference is a page a reader would see stale (or a file left behind, or
one missing): every one is a fault.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import copy_project, snapshot
from PIL import Image

from kilas.bench import write_corpus
from kilas.build import BuildFailed, build

CORPUS_ITEMS = 50
# The build's "now": after every item of the corpus (2022 to 2024).
NOW = datetime.fromisoformat("2025-01-10T12:00+07:00")
# The named kinds are compared with a clean build in groups of this many
# (every one with KILAS_FUZZ_EVERY=1: slower; a stale page stays stale).
COMPARE_EVERY = int(os.environ.get("KILAS_FUZZ_EVERY", "3"))
SEEDS = [int(s) for s in os.environ.get("KILAS_FUZZ_SEEDS", "1,2,3").split(",")]
SOURCES = ["SinarHarapan.id", "KCNA", "Reuters", "Kabar Nusantara", "Warta Harian"]
REGIONS = ["ID", "KP", "Rusia", "Jepang", "Brasil", "Amerika Serikat", "DMZ Korea"]
STORIES = ["Banjir Korea Utara 2024", "Pemilu Daerah", "Krisis Pangan Baru"]


# -- the site -----------------------------------------------------------------


class Site:
    """A project copy built incrementally in ``output/``; ``now`` is the
    build's "now" (the environment variable KILAS_NOW, as the clock)."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.output = project / "output"
        self.now = NOW
        self.serial = 0  # for new names

    @property
    def content(self) -> Path:
        return self.project / "content"

    def env(self) -> dict:
        return {"KILAS_NOW": self.now.isoformat()}

    def build(self, output: Path | None = None) -> dict:
        saved = os.environ.get("KILAS_NOW")
        os.environ["KILAS_NOW"] = self.now.isoformat()
        try:
            settings = build(
                settings_file=self.project / "pelicanconf.py",
                output=output or self.output,
            )
        finally:
            if saved is None:
                os.environ.pop("KILAS_NOW", None)
            else:
                os.environ["KILAS_NOW"] = saved
        return settings["KILAS_STATS"]

    def clean_build(self) -> Path:
        """A clean build of the same files, in a folder of its own."""
        root = self.project / "clean"
        shutil.rmtree(root, ignore_errors=True)
        self.build(root / "output")
        return root / "output"

    def items(self) -> list[Path]:
        return sorted((self.content / "items").rglob("*.md"))

    def originals(self) -> list[Path]:
        """Items that are no translation and not held back."""
        return [
            p
            for p in self.items()
            if header(p, "Translation") is None and p.parent.name != "en"
        ]

    def new_name(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}-{self.serial}"


def tree(folder: Path) -> tuple[dict[str, bytes], set[str]]:
    """Every file of a built site with its bytes, and every folder."""
    folders = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_dir()}
    return snapshot(folder), folders


def differences(built: Path, clean: Path) -> list[str]:
    files, folders = tree(built)
    made, made_folders = tree(clean)
    found = []
    for name in sorted({*files, *made}):
        if name not in made:
            found.append(f"{name}: only in the incremental build")
        elif name not in files:
            found.append(f"{name}: missing from the incremental build")
        elif files[name] != made[name]:
            found.append(f"{name}: differs{_first_difference(files[name], made[name])}")
    for name in sorted(folders ^ made_folders):
        where = "incremental" if name in folders else "clean"
        found.append(f"{name}/: a folder only in the {where} build")
    return found


def _first_difference(old: bytes, new: bytes) -> str:
    at = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
        min(len(old), len(new)),
    )
    start = max(0, at - 60)
    return (
        f" at byte {at}: incremental {old[start : at + 60]!r}"
        f" clean {new[start : at + 60]!r}"
    )


# -- the header of a file -------------------------------------------------------


def _split(path: Path) -> tuple[list[str], str]:
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    return head.split("\n"), body


def _field_lines(lines: list[str], field: str) -> tuple[int, int] | None:
    """Where a field's lines are (its first and past its continuations)."""
    for i, line in enumerate(lines):
        if line.lower().startswith(f"{field.lower()}:"):
            end = i + 1
            while end < len(lines) and lines[end][:1] in (" ", "\t"):
                end += 1
            return i, end
    return None


def header(path: Path, field: str) -> str | None:
    lines, _ = _split(path)
    found = _field_lines(lines, field)
    if found is None:
        return None
    text = " ".join(line.strip() for line in lines[found[0] : found[1]])
    return text.partition(":")[2].strip()


def set_header(path: Path, field: str, value: str | None) -> None:
    """Set a field (None: remove it); a new field goes last."""
    lines, body = _split(path)
    found = _field_lines(lines, field)
    new = [] if value is None else [f"{field}: {value}"]
    if found is None:
        lines += new
    else:
        lines[found[0] : found[1]] = new
    path.write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")


def _date(path: Path) -> datetime:
    """An item's date, in the site's zone when it names none."""
    when = datetime.fromisoformat(header(path, "Date"))
    return when if when.tzinfo else when.replace(tzinfo=NOW.tzinfo)


# -- changes: each makes one edit an editor makes and says what it did ------------

Change = Callable[[Site, random.Random], str]


class NotApplicable(Exception):
    """The site holds nothing a change can be made to (no photo to drop)."""


def _pick(rng: random.Random, found: list):
    if not found:
        raise NotApplicable
    return rng.choice(found)


def _item(site: Site, rng: random.Random, test=None) -> Path:
    found = [p for p in site.originals() if test is None or test(p)]
    if not found:
        raise NotApplicable
    return rng.choice(found)


def _recent(site: Site) -> Callable[[Path], bool]:
    """Among the newest items shown (the home page's days)."""
    shown = [p for p in site.originals() if _date(p) <= site.now]
    newest = set(sorted(shown, key=_date)[-8:])
    return lambda p: p in newest


def _name(site: Site, path: Path) -> str:
    return str(path.relative_to(site.content))


def _field(
    field: str, values: list[str] | Callable, test=None, recent: bool = False
) -> Change:
    def change(site: Site, rng: random.Random) -> str:
        near = _recent(site) if recent else None
        item = _item(
            site,
            rng,
            lambda p: (test is None or test(p)) and (near is None or near(p)),
        )
        old = header(item, field)
        choices = values(site, rng) if callable(values) else values
        value = rng.choice([v for v in choices if v != old] or [None])
        set_header(item, field, value)
        return f"{_name(site, item)}: {field} {old!r} -> {value!r}"

    return change


def _some(pool: list[str], most: int = 3):
    def pick(site: Site, rng: random.Random) -> list[str]:
        return ["; ".join(rng.sample(pool, rng.randint(1, most))) for _ in range(4)]

    return pick


def _title(site, rng, recent=False):
    item = _item(site, rng, _recent(site) if recent else None)
    set_header(
        item, "Title", f"Judul Baru {site.new_name('x')} {header(item, 'Title')}"
    )
    return f"{_name(site, item)}: retitled"


def _body(site, rng):
    item = _item(site, rng)
    text = item.read_text(encoding="utf-8")
    item.write_text(text + "\nKalimat tambahan di akhir isi.\n", encoding="utf-8")
    return f"{_name(site, item)}: a sentence added to its body"


def _summary(site, rng):
    item = _item(site, rng)
    set_header(item, "Summary", f"Ringkasan baru nomor {site.new_name('s')}.")
    return f"{_name(site, item)}: new summary"


def _story_off(site, rng):
    item = _item(site, rng, lambda p: header(p, "Story"))
    set_header(item, "Story", None)
    return f"{_name(site, item)}: Story removed"


def _date_to(moment: Callable[[datetime, Site], datetime], what: str) -> Change:
    def change(site: Site, rng: random.Random) -> str:
        item = _item(site, rng, lambda p: _date(p) < NOW - timedelta(days=40))
        old = _date(item)
        new = moment(old, site)
        text = new.strftime("%Y-%m-%d %H:%M") + (
            new.strftime("%z")[:3] + ":" + new.strftime("%z")[3:] if new.tzinfo else ""
        )
        set_header(item, "Date", text)
        return f"{_name(site, item)}: Date {old} -> {text} ({what})"

    return change


def _next_week(old, site):
    monday = old + timedelta(days=7 - old.weekday())
    return monday.replace(hour=0, minute=30)


def _next_month(old, site):
    first = (old.replace(day=28) + timedelta(days=5)).replace(day=1)
    return first.replace(hour=0, minute=15)


def _new_year(old, site):
    return old.replace(year=old.year - 1, month=12, day=31, hour=23, minute=50)


def _scheduled(old, site):
    return (site.now + timedelta(hours=3)).replace(tzinfo=None)


def _offset_midnight(old, site):
    # 23:30 in London is 06:30 the next day in Jakarta: another day's edition.
    return datetime.fromisoformat(f"{old:%Y-%m-%d}T23:30+00:00")


def _status_draft(site, rng):
    item = _item(site, rng, lambda p: header(p, "Status") != "draft")
    set_header(item, "Status", "draft")
    return f"{_name(site, item)}: Status draft"


def _status_published(site, rng):
    drafts = [p for p in site.items() if header(p, "Status") == "draft"]
    if not drafts:
        return _status_draft(site, rng)
    item = rng.choice(drafts)
    set_header(item, "Status", rng.choice(["published", None]))
    return f"{_name(site, item)}: published again"


def _image_on(site, rng):
    item = _item(site, rng, lambda p: header(p, "Image") is None)
    images = sorted((site.content / "images").glob("*.*"))
    image = _pick(rng, images).name
    set_header(item, "Image", f"images/{image}")
    set_header(item, "Image_Alt", "Gambar ilustrasi untuk butir ini")
    set_header(item, "Image_Credit", "Redaksi Kilas")
    return f"{_name(site, item)}: Image {image}"


def _image_off(site, rng):
    item = _item(site, rng, lambda p: header(p, "Image"))
    for field in ("Image", "Image_Alt", "Image_Caption", "Image_Credit"):
        set_header(item, field, None)
    return f"{_name(site, item)}: Image removed"


def _image_caption(site, rng):
    item = _item(site, rng, lambda p: header(p, "Image"))
    set_header(item, "Image_Caption", f"Keterangan baru {site.new_name('c')}.")
    return f"{_name(site, item)}: Image_Caption changed"


def _translation_add(site, rng):
    item = _item(site, rng, lambda p: header(p, "Lang") in (None, "id"))
    folder = site.content / "items" / "en"
    folder.mkdir(exist_ok=True)
    copy = folder / f"{item.stem}-en.md"
    shutil.copyfile(item, copy)
    set_header(copy, "Title", f"English: {header(item, 'Title')}")
    set_header(copy, "Lang", "en")
    set_header(copy, "Translation", "true")
    set_header(copy, "Slug", header(item, "Slug") or item.stem)
    set_header(copy, "Pin", None)
    return f"{_name(site, copy)}: a translation of {_name(site, item)}"


def _translation_remove(site, rng):
    found = [p for p in site.items() if header(p, "Translation") == "true"]
    if not found:
        return _translation_add(site, rng)
    item = rng.choice(found)
    item.unlink()
    return f"{_name(site, item)}: translation deleted"


def _original_delete(site, rng):
    """A translation's original deleted: the translation stays."""
    found = [p for p in site.items() if header(p, "Translation") == "true"]
    if not found:
        _translation_add(site, rng)
        found = [p for p in site.items() if header(p, "Translation") == "true"]
    translation = rng.choice(found)
    slug = header(translation, "Slug")
    (original,) = [p for p in site.originals() if (header(p, "Slug") or p.stem) == slug]
    original.unlink()
    translation.unlink()  # alone, it would be refused (no original)
    return f"{_name(site, original)} and its translation deleted"


def _lang_en(site, rng):
    item = _item(site, rng, lambda p: header(p, "Lang") in (None, "id"))
    set_header(item, "Lang", "en")
    return f"{_name(site, item)}: Lang en"


def _new_item(site, rng):
    source = _item(site, rng)
    when = site.now - timedelta(hours=rng.randint(1, 40))
    folder = site.content / "items" / f"{when:%Y}" / f"{when:%m}"
    folder.mkdir(parents=True, exist_ok=True)
    item = folder / f"{site.new_name('butir-baru')}.md"
    shutil.copyfile(source, item)
    set_header(item, "Title", f"Butir Baru {item.stem}")
    set_header(item, "Date", f"{when:%Y-%m-%d %H:%M}")
    set_header(item, "Slug", None)
    set_header(item, "Pin", None)
    return f"{_name(site, item)}: new item"


def _delete_item(site, rng, recent=False):
    near = _recent(site) if recent else None
    item = _item(
        site,
        rng,
        lambda p: (
            p.stem != "putin-tawarkan-bantuan-banjir-korea-utara"
            and (near is None or near(p))
        ),
    )
    item.unlink()
    return f"{_name(site, item)}: deleted"


def _rename_item(site, rng):
    item = _item(site, rng, lambda p: header(p, "Slug") is None)
    new = item.with_name(f"{site.new_name('nama-baru')}.md")
    item.rename(new)
    return f"{_name(site, item)} -> {new.name}"


def _move_item(site, rng):
    item = _item(site, rng)
    folder = site.content / "items" / "arsip"
    folder.mkdir(exist_ok=True)
    new = folder / item.name
    if new.exists():
        return _body(site, rng)
    item.rename(new)
    return f"{_name(site, item)} moved to items/arsip/"


def _swap_items(site, rng):
    one, two = rng.sample([p for p in site.originals() if header(p, "Slug") is None], 2)
    temporary = one.with_name("swap.tmp")
    one.rename(temporary)
    two.rename(one)
    temporary.rename(two)
    return f"{_name(site, one)} and {_name(site, two)} swapped names"


def _same_slug(site, rng):
    """An item takes another month's item's file name: refused (items are
    told apart by their slug), then given a Slug of its own."""
    one = _item(site, rng, lambda p: header(p, "Slug") is None)
    two = _item(
        site,
        rng,
        lambda p: (
            p.parent != one.parent
            and header(p, "Slug") is None
            and not (one.parent / p.name).exists()
        ),
    )
    new = one.parent / two.name
    one.rename(new)
    with pytest.raises(BuildFailed):
        site.build()
    set_header(new, "Slug", f"{two.stem}-{site.new_name('lain')}")
    return f"{_name(site, one)} renamed as {_name(site, two)} (refused), then a Slug"


def _write_image(path: Path, rng: random.Random) -> None:
    size = (rng.randint(300, 1400), rng.randint(200, 900))
    colour = tuple(rng.randrange(256) for _ in range(3))
    picture = Image.new("RGB", size, colour)
    for x in range(0, size[0], 37):
        for y in range(0, size[1], 41):
            picture.putpixel((x, y), (255 - colour[0], 0, colour[2]))
    data = io.BytesIO()
    picture.save(data, "JPEG" if path.suffix == ".jpg" else "PNG")
    path.write_bytes(data.getvalue())


def _static_add(site, rng):
    name = site.new_name("foto")
    path = site.content / "images" / f"{name}.{rng.choice(['jpg', 'png'])}"
    _write_image(path, rng)
    note = site.content / "extra" / f"{name}.txt"
    note.write_text(f"catatan {name}\n", encoding="utf-8")
    return f"{_name(site, path)} and {_name(site, note)} added"


def _static_replace(site, rng):
    """An image replaced by another of other dimensions (an item's photo, or
    not), with an older time."""
    path = _pick(rng, sorted((site.content / "images").glob("*.*")))
    stat = path.stat()
    _write_image(path, rng)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**10))
    return f"{_name(site, path)} replaced (older time)"


def _favicon(site, rng):
    path = site.content / "extra" / "favicon.svg"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("<svg", "<svg data-v='2'", 1), encoding="utf-8")
    return "content/extra/favicon.svg changed"


def _static_remove(site, rng):
    used = {header(p, "Image") for p in site.items()}
    found = [
        p
        for p in sorted((site.content / "images").glob("*.*"))
        if f"images/{p.name}" not in used
    ] + sorted((site.content / "extra").glob("*.txt"))
    if not found:
        return _static_add(site, rng)
    path = rng.choice(found)
    path.unlink()
    return f"{_name(site, path)} removed"


def _photo_new_file(site, rng):
    """A new image file, made an item's photo in the same save."""
    name = site.new_name("foto-butir")
    path = site.content / "images" / f"{name}.jpg"
    _write_image(path, rng)
    item = _item(site, rng, lambda p: header(p, "Image") is None)
    set_header(item, "Image", f"images/{path.name}")
    set_header(item, "Image_Alt", "Gambar ilustrasi")
    set_header(item, "Image_Credit", "Redaksi Kilas")
    return f"{_name(site, item)}: photo {_name(site, path)} (a new file)"


def _photo_dropped(site, rng):
    """An item's photo dropped: its file stays (copied as it is from now)."""
    item = _item(site, rng, lambda p: header(p, "Image"))
    image = header(item, "Image")
    for other in site.items():
        if header(other, "Image") == image:
            for field in ("Image", "Image_Alt", "Image_Caption", "Image_Credit"):
                set_header(other, field, None)
    return f"{image}: no longer any item's photo (the file stays)"


def _linked_item_moves(site, rng):
    """An item's summary and body link to another item ({filename}); that
    item then moves to another month (its address changes)."""
    one = _item(site, rng)
    two = _item(site, rng, lambda p: p != one and _date(p) < NOW - timedelta(days=40))
    target = "{filename}/" + _name(site, two)
    summary = f"Lanjutan [laporan sebelumnya]({target}). {header(one, 'Summary')}"
    set_header(one, "Summary", summary)
    one.write_text(
        one.read_text(encoding="utf-8") + f"\nBaca juga [laporan itu]({target}).\n",
        encoding="utf-8",
    )
    site.build()
    old = _date(two)
    set_header(two, "Date", f"{_next_month(old, site):%Y-%m-%d %H:%M}")
    return f"{_name(site, one)} links to {_name(site, two)}, which moves a month"


def _static_same_size(site, rng):
    """An image replaced by another of the same size (other pixels)."""
    path = _pick(rng, sorted((site.content / "images").glob("*.*")))
    with Image.open(path) as old:
        size, kind = old.size, old.format
    picture = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    data = io.BytesIO()
    picture.save(data, kind)
    path.write_bytes(data.getvalue())
    return f"{_name(site, path)} replaced (same size)"


def _swap_dates(site, rng):
    one, two = rng.sample(site.originals(), 2)
    first, second = header(one, "Date"), header(two, "Date")
    set_header(one, "Date", second)
    set_header(two, "Date", first)
    return f"{_name(site, one)} and {_name(site, two)} swapped dates"


def _hidden_status(site, rng):
    item = _item(site, rng, lambda p: header(p, "Status") in (None, "published"))
    set_header(item, "Status", "hidden")
    return f"{_name(site, item)}: Status hidden"


def _page_template(site, rng):
    """A page given a template of its own (a new file of the theme)."""
    name = site.new_name("khusus")
    template = site.project / "theme" / "templates" / f"{name}.html"
    page = site.project / "theme" / "templates" / "page.html"
    template.write_text(
        page.read_text(encoding="utf-8").replace(
            '<div class="page-body">', f'<div class="page-body" data-t="{name}">'
        ),
        encoding="utf-8",
    )
    target = site.content / "pages" / "tentang.md"
    set_header(target, "Template", name)
    return f"pages/tentang.md: Template {name}"


def _hand_edits(site, rng):
    """Files of output/ changed, deleted and added by hand (no content
    change): the next build puts them right."""
    pages = sorted(site.output.rglob("index.html"))
    changed, deleted = rng.sample(pages, 2)
    changed.write_text("<p>diubah tangan</p>", encoding="utf-8")
    deleted.unlink()
    (site.output / "catatan-tangan.txt").write_text("x", encoding="utf-8")
    staged = sorted(
        (site.project / ".kilas-cache" / "output" / "staging").rglob("*.xml")
    )
    rng.choice(staged).write_text("<feed/>", encoding="utf-8")
    return f"output/: {changed.relative_to(site.output)} changed, {deleted.relative_to(site.output)} deleted, a file added; a staged feed changed"


def _no_photos(site, rng):
    """Every item's photo dropped (their files stay)."""
    for item in site.items():
        for field in ("Image", "Image_Alt", "Image_Caption", "Image_Credit"):
            set_header(item, field, None)
    return "no item has a photo any more"


def _feed_template(site, rng):
    """The newest item gets a Source_URL (its feeds' entries end with the
    source link, partials/source_link.html); then that template changes."""
    newest = max((p for p in site.originals() if _date(p) <= site.now), key=_date)
    set_header(newest, "Source_URL", f"https://contoh.example/{site.new_name('asli')}")
    site.build()
    KINDS["template include"](site, rng)
    return f"{_name(site, newest)}: Source_URL; then partials/source_link.html changed"


def _registry(site: Site, name: str) -> tuple[Path, dict]:
    path = site.content / name
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def _save(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def _used_sources(site: Site) -> list[str]:
    used = set()
    for item in site.items():
        used.add(header(item, "Source"))
        used.update(c.strip() for c in re.split("[;,]", header(item, "Cites") or ""))
    return sorted(used - {""})


def _source_entry(site, rng) -> tuple[Path, dict, dict]:
    path, data = _registry(site, "sources.yaml")
    used = _used_sources(site)
    entries = [s for s in data["sources"] if s["name"] in used]
    return path, data, rng.choice(entries)


def _source_rename(site, rng):
    path, data, entry = _source_entry(site, rng)
    old = entry["name"]
    entry["name"] = f"{old} Baru"
    entry["aliases"] = [*entry.get("aliases", []), old]
    _save(path, data)
    return f"sources.yaml: {old} renamed {entry['name']} (old name an alias)"


def _source_homepage(site, rng):
    path, data, entry = _source_entry(site, rng)
    entry["homepage"] = f"https://{site.new_name('laman')}.example/"
    _save(path, data)
    return f"sources.yaml: {entry['name']}'s homepage {entry['homepage']}"


def _source_kind(site, rng):
    path, data, entry = _source_entry(site, rng)
    entry["kind"] = rng.choice(
        [k for k in ("outlet", "agency", "government", "ngo") if k != entry["kind"]]
    )
    entry["country"] = rng.choice(
        [c for c in ("ID", "JP", "GB") if c != entry["country"]]
    )
    _save(path, data)
    return f"sources.yaml: {entry['name']}'s kind and country changed"


def _region_parent(site, rng):
    path, data = _registry(site, "regions.yaml")
    entry = data["regions"][0]
    old = entry.get("parent")
    entry["parent"] = "Korea Selatan" if old != "Korea Selatan" else "Semenanjung Korea"
    _save(path, data)
    return f"regions.yaml: {entry['code']}'s parent {old} -> {entry['parent']}"


def _region_name(site, rng):
    path, data = _registry(site, "regions.yaml")
    entry = data["regions"][0]
    entry["name"]["id"] = f"Zona Demiliterisasi {site.new_name('z')}"
    _save(path, data)
    return f"regions.yaml: {entry['code']} renamed {entry['name']['id']}"


def _page_add(site, rng):
    name = site.new_name("halaman")
    page = site.content / "pages" / f"{name}.md"
    page.write_text(f"Title: Halaman {name}\n\nIsi halaman {name}.\n", encoding="utf-8")
    return f"{_name(site, page)} added"


def _page_edit(site, rng):
    page = rng.choice(sorted((site.content / "pages").glob("*.md")))
    if rng.random() < 0.5:
        set_header(page, "Title", f"{header(page, 'Title')} Baru")
        return f"{_name(site, page)}: retitled"
    page.write_text(page.read_text(encoding="utf-8") + "\nKalimat baru.\n", "utf-8")
    return f"{_name(site, page)}: body edited"


def _page_remove(site, rng):
    pages = [
        p for p in sorted((site.content / "pages").glob("*.md")) if p.stem != "tentang"
    ]
    if not pages:
        return _page_add(site, rng)
    page = rng.choice(pages)
    page.unlink()
    return f"{_name(site, page)} removed"


def _theme_edit(name: str, old: str, new: str) -> Change:
    def change(site: Site, rng: random.Random) -> str:
        path = site.project / "theme" / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new.format(n=site.new_name("v")), 1), "utf-8")
        return f"theme/{name} changed"

    return change


def _setting(line: Callable[[Site, random.Random], str]) -> Change:
    def change(site: Site, rng: random.Random) -> str:
        text = line(site, rng)
        with (site.project / "pelicanconf.py").open("a", encoding="utf-8") as f:
            f.write(f"\n{text}\n")
        return f"pelicanconf.py: {text}"

    return change


def _now_by(delta: timedelta, what: str) -> Change:
    def change(site: Site, rng: random.Random) -> str:
        site.now += delta
        return f"now {site.now.isoformat()} ({what})"

    return change


def _now_past_schedule(site, rng):
    scheduled = [p for p in site.items() if _date(p) > site.now]
    if not scheduled:
        _date_to(_scheduled, "scheduled")(site, rng)
        scheduled = [p for p in site.items() if _date(p) > site.now]
    first = min(_date(p) for p in scheduled)
    site.now = first + timedelta(minutes=1)
    return f"now {site.now.isoformat()}: past a scheduled item's time"


def _now_past_midnight(site, rng):
    tomorrow = (site.now + timedelta(days=1)).replace(hour=0, minute=5)
    site.now = tomorrow
    return f"now {site.now.isoformat()} (past midnight)"


def _failed_then_fixed(site, rng):
    """A save with a mistake beside a retitle: the build fails; then the
    mistake is put right."""
    done = _title(site, rng)
    item = _item(site, rng)
    good = item.read_text(encoding="utf-8")
    set_header(item, "Region", "Atlantis")
    with pytest.raises(BuildFailed):
        site.build()
    item.write_text(good, encoding="utf-8")
    return f"{done}; a failed build (Region Atlantis in {_name(site, item)}) first"


def _slug_collision(site, rng):
    """An item given another's slug in the same month (two pages at one
    address): refused, then its Slug removed again."""
    one = _item(site, rng, lambda p: header(p, "Slug") is None)
    others = [p for p in site.originals() if p.parent == one.parent and p != one]
    if not others:
        return _title(site, rng)
    two = rng.choice(others)
    _title(site, rng)
    set_header(one, "Slug", header(two, "Slug") or two.stem)
    with pytest.raises(BuildFailed):
        site.build()
    set_header(one, "Slug", None)
    return f"{_name(site, one)} took {two.stem}'s slug (refused), then let go"


def _template_error(site, rng):
    path = site.project / "theme" / "templates" / "partials" / "source_link.html"
    good = path.read_text(encoding="utf-8")
    done = _summary(site, rng)
    path.write_text(good + "{{ item.nothing.here }}", encoding="utf-8")
    with pytest.raises(BuildFailed):
        site.build()
    path.write_text(good, encoding="utf-8")
    return f"{done}; a template error first"


def _killed(site, rng):
    """A build killed part of the way (a new process), then run again."""
    heavy = _theme_edit("static/css/kilas.css", "\n", "\n/* {n} */\n")
    done = rng.choice([_title, _new_item, _delete_item, _static_add, heavy])(site, rng)
    process = subprocess.Popen(
        [sys.executable, "-m", "kilas.build", "--output", str(site.output)],
        cwd=site.project,
        env={**os.environ, **site.env()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    delay = rng.uniform(0.3, 2.0)
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):  # it may have ended
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return f"{done}; a build killed after {delay:.1f} s first"


KINDS: dict[str, Change] = {
    "nothing": lambda site, rng: "no change",
    "title": _title,
    "title latest": lambda site, rng: _title(site, rng, recent=True),
    "pin latest": _field("Pin", ["yes"], recent=True),
    "category latest": _field("Category", ["Ekonomi", "Sains", "Budaya"], recent=True),
    "story latest": _field("Story", STORIES, recent=True),
    "summary latest": _field("Summary", ["Ringkasan A.", "Ringkasan B."], recent=True),
    "delete latest": lambda site, rng: _delete_item(site, rng, recent=True),
    "body": _body,
    "summary": _summary,
    "source": _field("Source", SOURCES),
    "source_url add": _field(
        "Source_URL", ["https://contoh.example/berita/1", "https://contoh.example/b/2"]
    ),
    "source_url remove": _field(
        "Source_URL", [None], lambda p: header(p, "Source_URL")
    ),
    "cites": _field("Cites", _some(SOURCES[1:], 2)),
    "cites remove": _field("Cites", [None], lambda p: header(p, "Cites")),
    "region": _field("Region", _some(REGIONS)),
    "region dmz": _field("Region", ["DMZ Korea", "DMZ Korea; ID"]),
    "category": _field("Category", ["Ekonomi", "Sains", "Bencana", "Budaya"]),
    "tags": _field("Tags", ["banjir, cuaca", "pangan", "pemilu, banjir, baru"]),
    "tags remove": _field("Tags", [None], lambda p: header(p, "Tags")),
    "story": _field("Story", STORIES),
    "story remove": _story_off,
    "pin": _field("Pin", ["yes"]),
    "pin remove": _field("Pin", [None], lambda p: header(p, "Pin")),
    "draft": _status_draft,
    "published": _status_published,
    "image": _image_on,
    "image caption": _image_caption,
    "photo new file": _photo_new_file,
    "photo dropped": _photo_dropped,
    "no photos": _no_photos,
    "linked item moves": _linked_item_moves,
    "image remove": _image_off,
    "translation": _translation_add,
    "translation remove": _translation_remove,
    "original deleted": _original_delete,
    "lang": _lang_en,
    "modified": _field("Modified", ["2024-12-30 08:00", "2025-01-02 09:15"]),
    "modified remove": _field("Modified", [None], lambda p: header(p, "Modified")),
    "author": _field("Author", ["Redaksi Kilas", "Tim Kilas", "Ani Wijaya"]),
    "correction": _field("Correction", ["Judul diperbaiki.", "Angka korban diralat."]),
    "date week": _date_to(_next_week, "into the next week"),
    "date month": _date_to(_next_month, "into the next month"),
    "date year": _date_to(_new_year, "into the year before"),
    "date offset": _date_to(_offset_midnight, "an offset across midnight in WIB"),
    "date scheduled": _date_to(_scheduled, "scheduled"),
    "new item": _new_item,
    "deleted item": _delete_item,
    "renamed file": _rename_item,
    "moved file": _move_item,
    "swapped files": _swap_items,
    "same slug": _same_slug,
    "source renamed": _source_rename,
    "source homepage": _source_homepage,
    "source kind": _source_kind,
    "region parent": _region_parent,
    "region name": _region_name,
    "page added": _page_add,
    "page edited": _page_edit,
    "page removed": _page_remove,
    "static added": _static_add,
    "static replaced": _static_replace,
    "favicon": _favicon,
    "static same size": _static_same_size,
    "swapped dates": _swap_dates,
    "hidden": _hidden_status,
    "page template": _page_template,
    "hand edits": _hand_edits,
    "static removed": _static_remove,
    "template include": _theme_edit(
        "templates/partials/source_link.html",
        '<p class="source-link"',
        '<p class="source-link" data-v="{n}"',
    ),
    "feed template": _feed_template,
    "card words": _theme_edit(
        "templates/partials/share_card.html", '_("Region")', '"Daerah {n}"'
    ),
    "template partial": _theme_edit(
        "templates/partials/article_meta.html",
        '<dl class="article-meta">',
        '<dl class="article-meta" data-v="{n}">',
    ),
    "css": _theme_edit("static/css/kilas.css", "\n", "\n/* {n} */\n"),
    "sitename": _setting(lambda s, r: f'SITENAME = "Kilas {s.new_name("n")}"'),
    "pagination": _setting(lambda s, r: f"DEFAULT_PAGINATION = {r.choice([4, 7, 12])}"),
    "timeline url": _setting(
        lambda s, r: 'TIMELINE_URL = "arsip/"\nTIMELINE_SAVE_AS = "arsip/index.html"'
    ),
    "default lang": _setting(lambda s, r: 'DEFAULT_LANG = "en"'),
    "feed size": _setting(lambda s, r: f"FEED_MAX_ITEMS = {r.choice([5, 10])}"),
    "home days": _setting(lambda s, r: f"TIMELINE_HOME_DAYS = {r.choice([1, 3, 9])}"),
    "timezone": _setting(lambda s, r: 'TIMEZONE = "Asia/Makassar"'),
    "menu pages": _setting(lambda s, r: "MENU_PAGES = []"),
    "category order": _setting(
        lambda s, r: 'TIMELINE_CATEGORY_ORDER = ["Sains", "Ekonomi", "Nasional"]'
    ),
    "now back": _now_by(timedelta(hours=-30), "a day and more back"),
    "now hour": _now_by(timedelta(hours=1), "an hour later"),
    "now scheduled": _now_past_schedule,
    "now midnight": _now_past_midnight,
    "now week": _now_by(timedelta(days=8), "eight days later"),
    "failed then fixed": _failed_then_fixed,
    "slug collision": _slug_collision,
    "template error": _template_error,
    "killed": _killed,
}
# The kinds the suite runs by name (``KILAS_FUZZ_KINDS=all``: every kind,
# about four minutes; or a list of names): one or more of each group.
SUITE_KINDS = [
    "nothing",
    "title latest",
    "source_url add",
    "cites remove",
    "region dmz",
    "story remove",
    "pin latest",
    "draft",
    "translation",
    "original deleted",
    "modified",
    "date offset",
    "date scheduled",
    "now scheduled",
    "swapped files",
    "linked item moves",
    "source renamed",
    "region parent",
    "page added",
    "static replaced",
    "photo new file",
    "no photos",
    "template include",
    "card words",
    "home days",
    "hand edits",
    "failed then fixed",
    "killed",
]
# Changes a random sequence may make (settings that change every page, and
# the slow ones, only in the named run).
SEQUENCE_KINDS = [
    k
    for k in KINDS
    if k not in {"default lang", "timeline url", "sitename", "killed", "template error"}
]


# -- the fixture site -----------------------------------------------------------------


def _fixture(root: Path) -> Site:
    project = copy_project(root / "site")
    corpus = root / "corpus"
    write_corpus(corpus, CORPUS_ITEMS, seed=7, items="items")
    shutil.copytree(
        corpus / "content" / "items", project / "content" / "items", dirs_exist_ok=True
    )
    registry = project / "content" / "sources.yaml"
    sources = yaml.safe_load(registry.read_text(encoding="utf-8"))
    known = {s["name"] for s in sources["sources"]}
    added = yaml.safe_load((corpus / "content" / "sources.yaml").read_text("utf-8"))
    sources["sources"] += [s for s in added["sources"] if s["name"] not in known]
    _save(registry, sources)
    shutil.rmtree(corpus)
    # One item in the site's own region (regions.yaml), one pinned.
    items = sorted((project / "content" / "items").rglob("*.md"))
    set_header(items[10], "Region", "DMZ Korea; KP")
    set_header(items[20], "Pin", "yes")
    with (project / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\n# The fuzz test's site.\nSEARCH_INDEX = False\n")
    return Site(project)


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> tuple[Site, Path]:
    """The site built once and kept aside: each test starts from a copy at
    the same place (the settings name the project's folder: a site built
    elsewhere renders every page again)."""
    root = tmp_path_factory.mktemp("fuzz")
    site = _fixture(root)
    first = site.build()
    assert first["rendered"] == first["pages"] > 300
    pristine = root / "pristine"
    shutil.copytree(site.project, pristine, symlinks=True)
    return site, pristine


def _fresh(fixture_site) -> Site:
    site, pristine = fixture_site
    shutil.rmtree(site.project)
    shutil.copytree(pristine, site.project, symlinks=True)
    return Site(site.project)


def _pages(site: Site) -> dict[str, bytes]:
    return {
        k: v for k, v in snapshot(site.output).items() if k.endswith((".html", ".xml"))
    }


def _step(site: Site, name: str, rng: random.Random, compare: bool = True) -> list[str]:
    """One change, an incremental build, and (``compare``) a clean build
    compared with it; the differences found."""
    before = _pages(site)
    try:
        what = KINDS[name](site, rng)
    except NotApplicable:
        what = f"nothing to change; instead {KINDS['title'](site, rng)}"
    started = time.perf_counter()
    stats = site.build()
    seconds = time.perf_counter() - started
    after = _pages(site)
    changed = sum(1 for k, v in after.items() if before.get(k) != v)
    changed += sum(1 for k in before if k not in after)
    print(
        f"{name}: {what}: {stats['rendered']} rendered, {changed} changed,"
        f" of {stats['pages']} ({seconds:.1f} s)"
    )
    found = []
    if compare:
        found += differences(site.output, site.clean_build())
        shutil.rmtree(site.project / "clean")
    if not site.build().get("unchanged"):
        # The record of the site disagrees with output/ (or the build
        # changed something it then found changed again).
        found.append("a second build with nothing changed was not skipped")
    return [f"{name} ({what}): {d}" for d in found]


def _heal(site: Site) -> None:
    """After a difference: start again from a clean build (the next kinds
    are then checked on their own)."""
    shutil.rmtree(site.project / ".kilas-cache", ignore_errors=True)
    shutil.rmtree(site.output, ignore_errors=True)
    site.build()


def test_every_kind_of_change_in_turn(fixture_site):
    """Each kind of change in turn on one site, each compared with a clean
    build: every difference is reported (the site is built clean again after
    one, so that the next kinds are checked on their own)."""
    site = _fresh(fixture_site)
    only = os.environ.get("KILAS_FUZZ_KINDS", "")
    names = list(KINDS) if only == "all" else only.split(",") if only else SUITE_KINDS
    found = []
    for n, name in enumerate(names):
        compare = (n + 1) % COMPARE_EVERY == 0 or n == len(names) - 1
        step = _step(site, name, random.Random(n), compare)
        if step:
            if not compare:  # what differs is told by a clean build
                step += _step(site, "nothing", random.Random(n))
            found += step
            _heal(site)
    assert not found, "\n".join(found[:40])


def test_a_template_a_feed_loads(fixture_site):
    """A feed's entries end with their item's source link, rendered from
    partials/source_link.html by kilas_contract: a change to that template
    changes the feeds (they were kept: their keys knew no template)."""
    site = _fresh(fixture_site)
    found = _step(site, "feed template", random.Random(0))
    assert not found, "\n".join(found)


def test_the_words_of_term_cards(fixture_site):
    """The label a region's share card draws comes from
    partials/share_card.html, which no page loads: a change to it gave the
    region pages new cards, but the pages (kept) still named the old ones,
    deleted by then (a broken og:image)."""
    site = _fresh(fixture_site)
    found = _step(site, "card words", random.Random(0))
    assert not found, "\n".join(found[:5])


def test_the_last_photo_dropped(fixture_site):
    """No item shows a photo any more: the photos' folder goes, as a clean
    build never makes it (it stayed, empty; and output/ then never matched
    its record: no later build took the no-change shortcut)."""
    site = _fresh(fixture_site)
    found = _step(site, "no photos", random.Random(0))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sequences_of_changes(fixture_site, seed):
    """5 to 10 random changes, each built incrementally; the end compared
    with a clean build."""
    rng = random.Random(seed)
    site = _fresh(fixture_site)
    steps = rng.randint(5, 10)
    names = [rng.choice(SEQUENCE_KINDS) for _ in range(steps)]
    print(f"seed {seed}: {names}")
    for name in names[:-1]:
        _step(site, name, rng, compare=False)
    found = _step(site, names[-1], rng)
    assert not found, f"seed {seed}: " + "\n".join(found[:40])
