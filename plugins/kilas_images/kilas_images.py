"""Kilas images: credited, responsive news photos and a share card for every page.

- An item's local photo (``Image``: a JPEG, PNG or WebP under
  ``content/images/``) is published only as copies made here: every width of
  ``KILAS_IMAGES_WIDTHS`` up to the photo's own, in every format of
  ``KILAS_IMAGES_FORMATS``, upright (EXIF orientation applied) and without
  EXIF, GPS or XMP; plus 16:9, 4:3 and 1:1 crops for JSON-LD and a 1200x630
  share card. The original file is not copied.
- Every item, translation, page, term page (region, source, story) and the
  rest of the site gets a 1200x630 share card (``og:image``): the photo's,
  a remote https photo as it is, or one drawn here (headline, source, date,
  places, the site's name and colours, in the theme's font).
- Each file is made once per input: its name in the cache holds the hash of
  what it shows (a photo's bytes and the settings; a card's words and
  design). Missing ones are made by a pool of processes started with the
  build, while Pelican reads and writes; at the end they are copied into the
  site's ``KILAS_IMAGES_DIR`` folder.

Templates get ``item.photo`` (a ``Photo``), ``item.share_card`` and the global
``share_card()`` (the card of the page being rendered).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import json
import logging
import os
import re
import resource
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit

from blinker import signal
from jinja2 import pass_context
from kilas_settings import (
    SettingError,
    apply_defaults,
    check,
    optional,
    rule,
    state,
    text,
    whole,
)
from markupsafe import Markup
from pelican import signals
from pelican.contents import Article
from PIL import Image

from . import render
from .render import CardDesign, CardJob, PhotoJob
from .strip import strip_file

logger = logging.getLogger(__name__)
# Photos narrower than this (in pixels) are shown at their own width.
_NARROW = 800

DEFAULTS: dict[str, object] = {
    # Folder of the published photos and cards, inside the output.
    "KILAS_IMAGES_DIR": "gambar",
    # Widths of a photo's copies (never wider than the photo itself).
    # 1200 covers the article column (42rem) at 1.8x and a phone at 3x.
    "KILAS_IMAGES_WIDTHS": (240, 480, 800, 1200),
    # Formats of the copies, preferred first; the last is the fallback.
    "KILAS_IMAGES_FORMATS": ("webp", "jpeg"),
    # Encoder quality per format (0-100).
    "KILAS_IMAGES_QUALITY": {"webp": 75, "avif": 55, "jpeg": 80},
    # The `sizes` of an item page's photo and of a list entry's small one.
    "KILAS_IMAGES_SIZES": "(min-width: 44rem) 42rem, calc(100vw - 2rem)",
    "KILAS_IMAGES_THUMB_SIZES": "5.5rem",
    # Colours of generated cards: the page header's red, the footer's ink.
    "KILAS_IMAGES_CARD_COLORS": {
        "background": "#9b1c1c",
        "text": "#ffffff",
        "band": "#1a1a1a",
        "band_text": "#f2efe8",
    },
    # Fonts of generated cards, inside the theme (OFL: theme/fonts/OFL.txt).
    "KILAS_IMAGES_CARD_FONTS": {
        "bold": "fonts/NotoSans-Bold.ttf",
        "regular": "fonts/NotoSans-Regular.ttf",
    },
    # Processes making images; None: one per core.
    "KILAS_IMAGES_WORKERS": None,
}

FORMATS = ("avif", "webp", "jpeg")
# Cards drawn per task sent to a worker (fewer messages between processes).
_CARDS_PER_TASK = 48
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

build_failed = signal("kilas_build_failed")


class ImageSettingError(SettingError):
    """A KILAS_IMAGES_* setting has a value the plugin cannot use."""


@dataclass(frozen=True)
class Photo:
    """A photo as templates show it. URLs carry SITEURL."""

    src: str  # the fallback copy (or the remote address)
    srcset: str  # the fallback format's copies, "url 480w, ..."
    sources: tuple[tuple[str, str], ...]  # (MIME type, srcset), preferred first
    thumb: str  # the smallest copy, and the copies a list entry may use
    thumb_srcset: str
    thumb_sources: tuple[tuple[str, str], ...]
    width: int | None
    height: int | None
    sizes: str
    thumb_sizes: str
    alt: str
    caption: str
    credit: str
    remote: bool
    # JSON-LD crops: (absolute URL, width, height), 16:9, 4:3, 1:1.
    crops: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class ShareCard:
    """The picture a shared link shows (og:image, twitter:image)."""

    url: str
    width: int | None
    height: int | None
    type: str | None
    alt: str


# -- settings ------------------------------------------------------------------
def _rules(settings: dict) -> dict:
    """What each setting may be (the qualities follow the formats chosen, the
    fonts are looked up in the theme)."""
    formats = settings.get("KILAS_IMAGES_FORMATS")
    names = ("background", "text", "band", "band_text")
    return {
        "KILAS_IMAGES_DIR": rule(
            lambda folder: folder.strip("/") and ".." not in folder,
            'a folder name such as "gambar"',
        ),
        "KILAS_IMAGES_WIDTHS": rule(
            lambda widths: (
                isinstance(widths, list | tuple)
                and widths
                and all(isinstance(w, int) and 16 <= w <= 8000 for w in widths)
            ),
            "a list of widths from 16 to 8000",
        ),
        "KILAS_IMAGES_FORMATS": rule(
            lambda chosen: (
                isinstance(chosen, list | tuple)
                and all(f in FORMATS for f in chosen)
                and chosen[-1] == "jpeg"
            ),
            f"formats from {', '.join(FORMATS)}, ending with the fallback jpeg",
        ),
        "KILAS_IMAGES_QUALITY": rule(
            lambda quality: all(
                isinstance(quality.get(f), int) and 1 <= quality[f] <= 100
                for f in formats
            ),
            "a quality from 1 to 100 per format",
        ),
        "KILAS_IMAGES_SIZES": text(),
        "KILAS_IMAGES_THUMB_SIZES": text(),
        "KILAS_IMAGES_CARD_COLORS": rule(
            lambda colors: all(_HEX.match(str(colors.get(n, ""))) for n in names),
            f"#rrggbb colours for {names}",
        ),
        "KILAS_IMAGES_CARD_FONTS": rule(
            lambda fonts: all(
                os.path.isfile(_font_path(settings, fonts.get(name)))
                for name in ("bold", "regular")
            ),
            "bold and regular TrueType font files inside the theme",
        ),
        "KILAS_IMAGES_WORKERS": optional(whole(1)),
    }


def check_settings(settings: dict) -> None:
    """Defaults filled in, every value checked once."""
    apply_defaults(settings, DEFAULTS)  # the rules read the formats chosen
    check(settings, _rules(settings), "kilas_images", ImageSettingError)


def _font_path(settings: dict, name: str | None) -> str:
    return os.path.join(settings["THEME"], name or "")


def _rgb(value: str) -> tuple[int, int, int]:
    return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))


def _plain(value) -> str:
    """Text of an HTML value (a title after typogrify, an escaped field)."""
    return " ".join(Markup(str(value or "")).striptags().split())


def _words_of(text) -> str:
    """A text value (a region's, source's or story's name, a setting) on one
    line: its ``<`` and ``&`` are characters, not markup."""
    return " ".join(str(text or "").split())


def _hash(*parts: object) -> str:
    return hashlib.sha1(
        json.dumps(parts, ensure_ascii=False, default=str).encode()
    ).hexdigest()


# -- one build -------------------------------------------------------------------
class _Run:
    """What one build knows: the pool, the files wanted, the cards made."""

    INDEX = "index.json"

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.siteurl = settings.get("SITEURL", "")
        self.folder = settings["KILAS_IMAGES_DIR"].strip("/")
        cache = settings.get("KILAS_CACHE_DIR") or settings.get("CACHE_PATH", "cache")
        self.cache = Path(cache) / "images"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.index = self._load_index()
        self.present = {entry.name for entry in os.scandir(self.cache)}
        # published path (inside the output) -> cache file
        self.wanted: dict[str, str] = {}
        self.photo_sources: set[str] = set()
        # The items showing each local photo (``Image`` as written): a photo
        # that cannot be made is reported on their ``Image`` lines.
        self.photo_users: dict[str, list[str]] = {}
        # Images published as they are (a text links them), by address.
        self.published_as_they_are: list[str] = []
        self.cards_by_page: dict[str, ShareCard] = {}
        self.site_card: ShareCard | None = None
        self.tasks: list[tuple[Future, list[str]]] = []
        self.batch: list[tuple[CardJob, str]] = []
        self.queued: set[str] = set()
        # Cards of items with a photo, by id(item), until the item takes it.
        self.photo_cards: dict[int, ShareCard] = {}
        # Each item's card text is made twice (read, then planned): what is
        # pure of its text is computed once. Headlines as plain text, and
        # each card's cache file by its (kicker, headline, band).
        self.plain_texts: dict[str, str] = {}
        self.card_files: dict[tuple[str, str, str], str] = {}
        self.pool: ProcessPoolExecutor | None = None
        # What this build asked the pool for: photos, cards.
        self.made = {"photos": 0, "cards": 0}
        # CPU seconds the workers used (counted when they stop).
        self.worker_seconds = 0.0
        # The generator that reads items (its Jinja environment formats dates).
        self.articles = None
        colors = settings["KILAS_IMAGES_CARD_COLORS"]
        fonts = settings["KILAS_IMAGES_CARD_FONTS"]
        bold = _font_path(settings, fonts["bold"])
        regular = _font_path(settings, fonts["regular"])
        self.design = CardDesign(
            bold=os.path.abspath(bold),
            regular=os.path.abspath(regular),
            background=_rgb(colors["background"]),
            text=_rgb(colors["text"]),
            band=_rgb(colors["band"]),
            band_text=_rgb(colors["band_text"]),
            site=str(settings.get("SITENAME", "")),
        )
        fonts_hash = hashlib.sha1(
            Path(bold).read_bytes() + Path(regular).read_bytes()
        ).hexdigest()
        self.design_key = _hash(
            render.CARD_DESIGN, colors, fonts_hash, self.design.site
        )
        widths = sorted(set(settings["KILAS_IMAGES_WIDTHS"]))
        self.widths = tuple(widths)
        self.formats = tuple(settings["KILAS_IMAGES_FORMATS"])
        self.quality = tuple(
            (f, settings["KILAS_IMAGES_QUALITY"][f]) for f in self.formats
        )
        if "jpeg" not in dict(self.quality):
            self.quality += (("jpeg", settings["KILAS_IMAGES_QUALITY"]["jpeg"]),)
        self.photo_key = _hash(
            render.PHOTO_DESIGN, self.widths, self.formats, self.quality
        )

    # -- the pool ---------------------------------------------------------------
    def start(self) -> None:
        """Fork the workers, at the first thing to make (never when the cache
        has everything). They run at a lower priority: they take what the
        build leaves idle (one core while Pelican reads) and give way to
        the processes that read and write pages."""
        workers = self.settings["KILAS_IMAGES_WORKERS"] or os.cpu_count() or 1
        logger.info("kilas_images: %d worker(s) started", workers)
        self.pool = ProcessPoolExecutor(
            workers, mp_context=get_context("fork"), initializer=render.start_worker
        )

    def submit(self, function, argument, labels: list[str]) -> None:
        """Queue ``function(*argument)``; ``labels`` name what it makes, one
        per result (a list of results, or one)."""
        if self.pool is None:
            self.start()
        self.tasks.append((self.pool.submit(function, *argument), labels))

    def stop(self) -> None:
        """Stop the workers; what they cost is added to ``worker_seconds``."""
        if self.pool is not None:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            self.worker_seconds += (after.ru_utime - before.ru_utime) + (
                after.ru_stime - before.ru_stime
            )

    # -- the cache ----------------------------------------------------------------
    def _load_index(self) -> dict:
        """Photo files seen before: size, time, hash and upright size, so an
        unchanged photo is not read again."""
        try:
            return json.loads((self.cache / self.INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def photo_facts(self, path: str) -> tuple[str, int, int]:
        """(hash of the bytes, upright width, upright height) of a photo."""
        stat = os.stat(path)
        known = self.index.get(path)
        if known and known[:2] == [stat.st_size, stat.st_mtime_ns]:
            return known[2], known[3], known[4]
        digest = hashlib.sha1(Path(path).read_bytes()).hexdigest()
        with Image.open(path) as image:
            width, height = image.size
            if render.exif_orientation(image) in (5, 6, 7, 8):
                width, height = height, width
        self.index[path] = [stat.st_size, stat.st_mtime_ns, digest, width, height]
        return digest, width, height

    def url(self, published: str) -> str:
        return f"{self.siteurl}/{published}"

    def want(self, published: str, cached: str) -> str:
        self.wanted[published] = cached
        return self.url(published)

    # -- photos ---------------------------------------------------------------------
    def photo(self, item) -> Photo | None:
        image = getattr(item, "image", None)
        if not image:
            return None
        text = {
            name: html.unescape(str(getattr(item, f"image_{name}", "") or ""))
            for name in ("alt", "caption", "credit")
        }
        sizes = self.settings["KILAS_IMAGES_SIZES"]
        thumb_sizes = self.settings["KILAS_IMAGES_THUMB_SIZES"]
        image = str(image)
        if re.match(r"^https://", image, re.IGNORECASE):
            return Photo(
                image, "", (), image, "", (), None, None, sizes, thumb_sizes,
                **text, remote=True,
            )  # fmt: skip
        source, key, size, widths = self._photo_plan(image)
        # Short names: every byte of a srcset is in the page's weight.
        base = f"{self.folder}/foto/{key[:12]}"

        def name(suffix: str) -> str:
            return self.want(f"{base}-{suffix}", str(self.cache / f"{key}-{suffix}"))

        urls = {
            (f, w): name(f"{w}{render.extension(f)}")
            for f in self.formats
            for w in widths
        }
        # An item's page needs the copies from 480 up; a list entry the two
        # smallest.
        lead = [w for w in widths if w >= 480] or widths
        small = widths[:2]

        def srcset(image_format: str, chosen: list[int]) -> str:
            return ", ".join(f"{urls[image_format, w]} {w}w" for w in chosen)

        modern = [f for f in self.formats if f != "jpeg"]
        crops = []
        crop_source = render.crop_source(size)
        for label, ratio in render.CROPS.items():
            crop = render.crop_box(crop_source, ratio)
            crops.append((name(f"{label}.jpg"), crop[2] - crop[0], crop[3] - crop[1]))
        card = name("card.jpg")
        self.photo_sources.add(os.path.normpath(image))
        self.photo_users.setdefault(image, []).append(item.source_path)
        self._queue_photo(image, source, key, size, widths)
        middle = next((w for w in lead if w >= 800), lead[-1])
        photo = Photo(
            src=urls["jpeg", middle],
            srcset=srcset("jpeg", lead),
            sources=tuple((render.mime(f), srcset(f, lead)) for f in modern),
            thumb=urls["jpeg", small[0]],
            thumb_srcset=srcset("jpeg", small),
            thumb_sources=tuple((render.mime(f), srcset(f, small)) for f in modern),
            width=widths[-1],
            height=render.height_at(size, widths[-1]),
            # A photo narrower than a column is shown at its own width, not
            # blown up to the column's (the theme's CSS keeps it so).
            sizes=sizes if widths[-1] >= _NARROW else f"{widths[-1]}px",
            thumb_sizes=thumb_sizes,
            **text,
            remote=False,
            crops=tuple(crops),
        )
        # The photo's card, until _item_card() gives it to the item.
        self.photo_cards[id(item)] = ShareCard(
            card, *render.CARD_SIZE, "image/jpeg", text["alt"]
        )
        return photo

    def _photo_plan(self, image: str) -> tuple[str, str, tuple[int, int], list[int]]:
        """(source file, key, upright size, widths) of a local photo."""
        source = os.path.join(self.settings["PATH"], image)
        digest, width, height = self.photo_facts(source)
        key = _hash(self.photo_key, digest)[:20]
        top = max(self.widths)
        widths = sorted({w for w in self.widths if w < width} | {min(width, top)})
        return source, key, (width, height), widths

    def _queue_photo(self, image, source, key, size, widths) -> None:
        """Make the photo's files unless the cache has them all or they are
        queued."""
        if key in self.queued:
            return
        suffixes = [
            *(f"{w}{render.extension(f)}" for f in self.formats for w in widths),
            *(f"{label}.jpg" for label in render.CROPS),
            "card.jpg",
        ]
        if all(f"{key}-{suffix}" in self.present for suffix in suffixes):
            return
        self.queued.add(key)
        self.made["photos"] += 1
        job = PhotoJob(
            source, str(self.cache / key), size, tuple(widths), self.formats,
            self.quality,
        )  # fmt: skip
        self.submit(render.make_photo, (job,), [image])

    def early(self, item) -> None:
        """An item just read: what it needs is queued now, so that the pool
        works while Pelican reads the rest. Nothing is published from here:
        ``add_item_images`` plans every item again once all are read (an
        item changed or dropped meanwhile costs one wasted image, which the
        cache then forgets)."""
        image = str(getattr(item, "image", "") or "")
        if re.match(r"^https://", image, re.IGNORECASE):
            return
        if image:
            # A photo that cannot be read is reported when items are planned.
            with contextlib.suppress(OSError, ValueError, Image.DecompressionBombError):
                self._queue_photo(image, *self._photo_plan(image))
        elif self.articles is not None:
            kicker, headline, band = _item_card_text(self, self.articles, item)[1:]
            if self.drawable(headline):
                self._queue_card(kicker, headline, band)

    # -- cards --------------------------------------------------------------------------
    def plain(self, value) -> str:
        """``_plain(value)``, once per text this build."""
        html_text = str(value or "")
        text = self.plain_texts.get(html_text)
        if text is None:
            text = self.plain_texts[html_text] = _plain(html_text)
        return text

    def _card_key(self, kicker: str, headline: str, band: str) -> str:
        return _hash(self.design_key, kicker, headline, band)[:20]

    def _queue_card(self, kicker: str, headline: str, band: str) -> str:
        """Draw the card unless the cache has it or it is queued; its cache
        file's name."""
        cached = self.card_files.get((kicker, headline, band))
        if cached is None:
            cached = f"{self._card_key(kicker, headline, band)}.png"
            self.card_files[kicker, headline, band] = cached
        if cached not in self.present and cached not in self.queued:
            self.queued.add(cached)
            self.made["cards"] += 1
            job = CardJob(str(self.cache / cached), kicker, headline, band)
            self.batch.append((job, cached))
            if len(self.batch) >= _CARDS_PER_TASK:
                self.flush()
        return cached

    def card(self, name: str, kicker: str, headline: str, band: str) -> ShareCard:
        """A generated card; drawn by the pool unless the cache has it."""
        cached = self._queue_card(kicker, headline, band)
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:60] or "kartu"
        url = self.want(
            f"{self.folder}/kartu/{slug}-{cached[:10]}.png", str(self.cache / cached)
        )
        return ShareCard(url, *render.CARD_SIZE, "image/png", headline)

    def own_card(self) -> ShareCard:
        """The site's own card: its subtitle (or name) over its address."""
        band = _words_of(self.settings.get("SITESUBTITLE", ""))
        site = _words_of(self.settings.get("SITENAME", ""))
        parts = urlsplit(self.siteurl)
        address = f"{parts.netloc}{parts.path}".rstrip("/") or site
        return self.card("situs", "", band or site, address)

    def drawable(self, headline: str) -> bool:
        """Whether the cards' font draws ``headline`` (render.drawable): a
        headline of emoji alone, or in a script the font lacks (Arabic,
        Chinese...), would leave a card without words."""
        if headline.isascii():
            return True
        glyphs = render.headline_glyphs(self.design.bold)
        return bool(render.drawable(glyphs, headline))

    def item_card(self, name: str, kicker: str, headline: str, band: str) -> ShareCard:
        """An item's drawn card; the site's own when its headline cannot
        be drawn."""
        if not self.drawable(headline):
            return self.own_card()
        return self.card(name, kicker, headline, band)

    def flush(self) -> None:
        if self.batch:
            jobs = [job for job, _ in self.batch]
            files = [cached for _, cached in self.batch]
            self.submit(render.make_cards, (self.design, jobs), files)
            self.batch = []

    # -- the end -------------------------------------------------------------------------
    def finish(self, output: Path) -> int:
        """Wait for the pool, report problems, link the files into the site.
        Returns the number of problems."""
        self.flush()
        problems = 0
        for future, labels in self.tasks:
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker died
                result = f"{type(exc).__name__}: {exc}"
            results = result if isinstance(result, list) else [result] * len(labels)
            for outcome, label in zip(results, labels, strict=False):
                if outcome:
                    problems += 1
                    self._report(label, outcome)
        self.stop()
        if problems:
            return problems
        if any(self.made.values()):
            logger.info(
                "kilas_images: made %d photo(s) and %d card(s) in %.1f s of CPU;"
                " %d file(s) in the site",
                self.made["photos"],
                self.made["cards"],
                self.worker_seconds,
                len(self.wanted),
            )
        else:
            logger.info(
                "kilas_images: nothing to make; all %d file(s) came from the cache",
                len(self.wanted),
            )
        _link_folder(output, self.folder, self.wanted)
        self._save(set(self.wanted.values()))
        return 0

    def _report(self, label: str, outcome: str) -> None:
        """What could not be made: a photo on the ``Image`` line of each
        item showing it (``path:line: Image: ...``), else by its name."""
        users = self.photo_users.get(label)
        if not users:
            logger.error("kilas_images: could not make %s: %s", label, outcome)
            return
        why = outcome.split(": ", 1)[-1]
        for path in sorted(set(users)):
            line = _field_line(path, "Image")
            where = f"{_display(path)}:{line}" if line else _display(path)
            logger.error(
                "%s: Image: %s",
                where,
                f'"{label}" cannot be made into the site\'s copies ({why}): the'
                " file is damaged or cut short; open it in an image editor and"
                " export it again, or copy it again from where it came",
            )

    def _save(self, used: set[str]) -> None:
        """Keep the index and the files this build used; drop the rest."""
        keep = {os.path.basename(path) for path in used}
        for entry in os.scandir(self.cache):
            if entry.name not in keep and entry.name != self.INDEX:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
        index = {p: v for p, v in self.index.items() if os.path.exists(p)}
        temporary = self.cache / f"{self.INDEX}.tmp"
        temporary.write_text(json.dumps(index), encoding="utf-8")
        temporary.replace(self.cache / self.INDEX)


def _link_folder(output: Path, folder: str, wanted: dict[str, str]) -> None:
    """Make ``output/folder`` hold exactly the wanted files, as copies of
    the cache's (not hard links: the site's files share nothing with the
    cache, see kilas/output.py); a copy with its cache file's size and time
    is left alone."""
    top = output / folder
    present: dict[str, tuple[int, int]] = {}
    if top.is_dir():
        for root, _, names in os.walk(top):
            for file in names:
                path = os.path.join(root, file)
                stat = os.stat(path)
                present[os.path.relpath(path, output)] = (
                    stat.st_size,
                    stat.st_mtime_ns,
                )
    emptied = set()  # folders that lost a file
    for name in present.keys() - wanted.keys():
        os.unlink(os.path.join(output, name))
        emptied.add(os.path.dirname(name))
    folders: set[str] = set()
    for name, cached in wanted.items():
        stat = os.stat(cached)
        if present.get(name) == (stat.st_size, stat.st_mtime_ns):
            continue
        target = os.path.join(output, name)
        parent = os.path.dirname(target)
        if parent not in folders:
            os.makedirs(parent, exist_ok=True)
            folders.add(parent)
        if name in present:
            os.unlink(target)
        shutil.copy2(cached, target)
    # A folder left empty (the last photo dropped: gambar/foto/) goes, as
    # a clean build never makes it (nor its parents, up to ``folder``'s).
    above = os.path.dirname(folder.strip("/"))
    for emptied_folder in sorted(emptied, key=len, reverse=True):
        name = emptied_folder
        while name and name != above:
            with contextlib.suppress(OSError):  # not empty
                os.rmdir(output / name)
            name = os.path.dirname(name)


def _display(path: str) -> str:
    """A path as the editor typed it: from where they stand, when it lies
    there (as kilas_contract shows paths)."""
    path = os.path.abspath(path)
    here = os.path.join(os.getcwd(), "")
    return path[len(here) :] if path.startswith(here) else path


def _field_line(path: str, field: str) -> int | None:
    """The line of ``field`` in the header (the lines up to the first blank
    one) of the Markdown file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"{re.escape(field)}\s*:", re.IGNORECASE)
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            return None
        if pattern.match(line):
            return number
    return None


def _run(settings: dict) -> _Run | None:
    """This build's run (None in a check-only build, which makes no images)."""
    return state(settings).get(__name__)


# -- texts of generated cards --------------------------------------------------------
def _words(generator) -> dict:
    """The interface words of cards, from the theme (partials/share_card.html)."""
    try:
        module = generator.env.get_template("partials/share_card.html").module
    except Exception:  # noqa: BLE001 - a theme without the partial
        return {}
    return dict(getattr(module, "words", {}) or {})


def _when(generator, item) -> str:
    """The item's date and time as its page shows them: the theme's
    ``long_datetime`` filter, in the page's interface language."""
    date_filter = generator.env.filters.get("long_datetime")
    if date_filter is None:
        return item.date.isoformat()
    if getattr(date_filter, "jinja_pass_arg", None):  # reads the page's context
        return date_filter({"article": item}, item.date)
    return date_filter(item.date)


def _item_card(run: _Run, generator, item) -> ShareCard:
    photo_card = run.photo_cards.pop(id(item), None)
    if photo_card is not None:
        return photo_card
    photo = getattr(item, "photo", None)
    if photo is not None and photo.remote:
        return ShareCard(photo.src, None, None, None, photo.alt)
    return run.item_card(*_item_card_text(run, generator, item))


def _item_card_text(run: _Run, generator, item) -> tuple[str, str, str, str]:
    """(name, kicker, headline, band) of an item's drawn card."""
    category = getattr(item, "category", None)
    regions = getattr(item, "regions", None) or []
    kicker = " · ".join(
        part
        for part in (
            category.name.upper() if category else "",
            ", ".join(str(r.name) for r in regions),
        )
        if part
    )
    source = getattr(item, "source", None)
    band = " · ".join(
        part for part in (source.name if source else "", _when(generator, item)) if part
    )
    name = f"{item.slug}-{item.lang}" if item.lang else item.slug
    return name, kicker, run.plain(item.title), band


# -- signal receivers ---------------------------------------------------------------
def start_run(pelican) -> None:
    """Settings checked. A check-only build (``--check``) makes no images.
    The pool is forked at the first thing to make."""
    old = state(pelican.settings).pop(__name__)
    if old is not None:
        old.stop()
    check_settings(pelican.settings)
    if getattr(pelican, "check_only", False):
        return
    state(pelican.settings).set(__name__, _Run(pelican.settings))


def note_generator(generator) -> None:
    """The generator that reads items: cards of items read are queued with
    its date filter (see ``queue_item_images``)."""
    run = _run(generator.settings)
    if run is not None:
        run.articles = generator


def queue_item_images(content) -> None:
    """An item was read: its photo or card goes to the pool now."""
    if not isinstance(content, Article):
        return
    run = _run(content.settings)
    if run is not None:
        run.early(content)


def add_item_images(generator) -> None:
    """Every item and translation (hidden ones and drafts too) gets its
    photo and card."""
    run = _run(generator.settings)
    if run is None:
        return
    kinds = ("articles", "translations", "hidden_articles", "hidden_translations")
    for attr in (*kinds, "drafts", "drafts_translations"):
        for item in getattr(generator, attr, []) or []:
            item.photo = run.photo(item)
            item.share_card = _item_card(run, generator, item)
            # The page's key changes with the photo's bytes and the card.
            item.metadata["kilas_share_card"] = item.share_card.url
            run.cards_by_page[item.save_as] = item.share_card


def add_page_images(generator) -> None:
    """Pages (the about page...) get a card with their title."""
    run = _run(generator.settings)
    if run is None:
        return
    band = str(generator.settings.get("SITESUBTITLE", ""))
    for attr in ("pages", "hidden_pages", "draft_pages"):
        for page in getattr(generator, attr, []) or []:
            page.photo = None
            page.share_card = run.card(page.slug, "", _plain(page.title), band)
            page.metadata["kilas_share_card"] = page.share_card.url
            run.cards_by_page[page.save_as] = page.share_card


def add_term_images(generators) -> None:
    """Region, source and story pages, and the site's own card."""
    run = _run(generators[0].settings)
    if run is None:
        return
    context = generators[0].context
    words = _words(generators[0])
    settings = run.settings
    band = str(settings.get("SITESUBTITLE", ""))
    for name, taxonomy in (context.get("taxonomies") or {}).items():
        label = str(words.get(name, name.capitalize())).upper()
        for entry in context.get(taxonomy.plural, ()) or ():
            term = entry.term
            card = run.card(f"{name}-{term.slug}", label, _words_of(term.name), band)
            run.cards_by_page[entry.save_as] = card
            # The keys of the term's pages change with their card (its
            # words come from a template no page loads: share_card.html).
            entry.share_card = card
    run.site_card = run.own_card()
    run.flush()


def drop_original_photos(generator) -> None:
    """A photo is published only as its copies (no EXIF, no GPS): the
    original is not copied, unless a text links to it."""
    run = _run(generator.settings)
    if run is None:
        return
    content = generator.settings["PATH"]
    linked = {os.path.normpath(p) for p in generator.context.get("static_links", ())}
    dropped = run.photo_sources - linked
    generator.staticfiles = [
        static
        for static in generator.staticfiles
        if os.path.normpath(os.path.relpath(static.source_path, content)) not in dropped
    ]
    # Pelican copies the files of the context's list (set before this signal).
    generator.context["staticfiles"] = generator.staticfiles
    run.published_as_they_are = [
        static.save_as
        for static in generator.staticfiles
        if static.save_as.lower().endswith((".jpg", ".jpeg", ".png", ".webp"))
    ]


def _share_card(run: _Run | None, context) -> ShareCard | None:
    """The card of the page being rendered: its item's or page's, its term's
    (every page of a region, source or story), else the site's."""
    if run is None:
        return None
    card = run.cards_by_page.get(context.get("output_file"))
    if card is None:
        term = context.get("term")
        card = run.cards_by_page.get(getattr(term, "save_as", None))
    return card or run.site_card


def add_template_globals(generator) -> None:
    """``share_card()`` in every template: this build's cards."""
    share_card = functools.partial(_share_card, _run(generator.settings))
    generator.env.globals["share_card"] = pass_context(share_card)


def link_images(pelican) -> None:
    """Every page is written: wait for the last images and put them in place."""
    run = state(pelican.settings).pop(__name__)
    if run is None:
        return
    output = pelican.settings["OUTPUT_PATH"]
    for name in run.published_as_they_are:
        # A photo a text links goes out as it is, but for what its camera
        # wrote in it (GPS position and all): see strip.py.
        with contextlib.suppress(FileNotFoundError):
            strip_file(os.path.join(output, name))
    problems = run.finish(Path(output))
    if problems:
        logger.error("kilas_images: %d image(s) could not be made", problems)


def stop_pool(pelican, **kwargs) -> None:
    """The build failed: the pool stops, this build's run is dropped."""
    run = state(pelican.settings).pop(__name__)
    if run is not None:
        run.stop()


def register() -> None:
    # initialized: settings checked, a new run (autoreload rebuilds too).
    signals.initialized.connect(start_run)
    # generator_init: templates get share_card() in every generator.
    signals.generator_init.connect(add_template_globals)
    # article_generator_init: the items' generator, whose date filter cards use.
    signals.article_generator_init.connect(note_generator)
    # content_object_init: an item just read; its images start while the
    # rest is read (one core is idle then).
    signals.content_object_init.connect(queue_item_images)
    # article_generator_finalized: items are read; photos and cards are queued
    # before kilas_seo writes JSON-LD (listed before it in PLUGINS).
    signals.article_generator_finalized.connect(add_item_images)
    # page_generator_finalized: pages are read.
    signals.page_generator_finalized.connect(add_page_images)
    # static_generator_finalized: photos used as Image are not copied as they are.
    signals.static_generator_finalized.connect(drop_original_photos)
    # all_generators_finalized: taxonomy terms exist; the last cards queued.
    signals.all_generators_finalized.connect(add_term_images)
    # finalized: pages written; images linked into the site.
    signals.finalized.connect(link_images)
    # kilas_build_failed: a failed build stops the pool.
    build_failed.connect(stop_pool)
