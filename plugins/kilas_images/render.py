"""Drawing and encoding, run in the plugin's worker processes.

Everything here is a pure function of its job: a photo's bytes and the
settings, or a card's text and design. Results are files written into the
cache folder under a new name, then renamed into place, so a reader of the
cache never sees half a file. Nothing is logged here: problems are returned
to the build, which reports them.

Cards are drawn cheaply on purpose (a clean build draws one per item):

- one grey ("L") image whose values are palette indexes: 0-127 run from the
  background colour to the text colour, 128-255 from the band colour to the
  band's text colour. Text is pasted as coverage masks, so antialiasing stays
  on its ramp; the image becomes a palette PNG without any conversion.
- glyphs are rasterised once per process, font and size, then pasted; the
  fixed parts of the design are drawn once per process.
- the PNG is written here, compressed with zlib-ng (``zlib_ng``) at level
  2: Pillow's PNG writer compresses with zlib, seven times slower here, and
  a clean build writes a card per item. Each image row starts with its PNG
  filter byte already in place (column 0 of the canvas, always 0).
- zlib-ng, like zlib, gives the same bytes for the same rows every time.
  ISA-L's deflate (``isal``), used before, was twice as fast but now and
  then compressed the same rows to other bytes in another process, which
  breaks "an incremental build equals a clean one" (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import os
import struct
import tempfile
import unicodedata
import zlib
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageDraw, ImageFont
from zlib_ng import zlib_ng

CARD_SIZE = (1200, 630)
# Workers run this much nicer than the build (0 to 19): they use what is idle.
_NICENESS = 10
# Bump when the card's drawing changes: every card is drawn again.
CARD_DESIGN = 5
# Bump when the copies' making changes: every photo is made again.
PHOTO_DESIGN = 2
# Column 0 of the canvas is each row's PNG filter byte (0: none).
_LEFT = 1
_MARGIN = _LEFT + 72
_BAND_TOP = 536
# zlib-ng's level for cards: 0.4 ms a card, smaller than level 1's output.
_LEVEL = 2
# Rows of a card compressed at a time (small enough for reused memory).
_STRIP = 64
# Headline sizes tried in turn: (pixels, most lines).
HEADLINE_SIZES = ((72, 3), (64, 4), (56, 4), (48, 5))
_ELLIPSIS = "…"
# Dropped before an ellipsis: "banjir,…" reads badly.
_TRAILING = " ,;:–—-"
# Word masks kept per font and size in each worker (20 MB at most).
_WORDS_KEPT = 1024
_MIME = {"webp": "image/webp", "avif": "image/avif", "jpeg": "image/jpeg"}
_PIL_FORMAT = {"webp": "WEBP", "avif": "AVIF", "jpeg": "JPEG"}
_EXTENSION = {"webp": ".webp", "avif": ".avif", "jpeg": ".jpg"}
# JSON-LD crops (Google's Article guidance) and the share card, by name.
CROPS = {"16x9": (16, 9), "4x3": (4, 3), "1x1": (1, 1)}
CROP_WIDTH = 1200


def start_worker() -> None:
    """A worker process starts: it gives way to the build's own processes
    (what it makes is needed only at the end), and its garbage collector
    leaves alone the objects it shares with the build (touching them would
    copy their memory)."""
    gc.freeze()
    with contextlib.suppress(OSError):
        os.nice(_NICENESS)


def extension(image_format: str) -> str:
    return _EXTENSION[image_format]


def mime(image_format: str) -> str:
    return _MIME[image_format]


def _write(path: str, save) -> None:
    """Write through ``save(handle)`` into a new file, renamed into place."""
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o644)  # published: readable by all
            save(handle)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# -- photos ---------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoJob:
    """One local photo: its file, its key, and what to make of it."""

    source: str
    target: str  # cache file prefix: <cache>/<key>
    size: tuple[int, int]  # upright width and height
    widths: tuple[int, ...]
    formats: tuple[str, ...]
    quality: tuple[tuple[str, int], ...]


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1: upright; also for a damaged EXIF block)."""
    try:
        return int(image.getexif().get(0x0112, 1))
    except (OSError, ValueError, SyntaxError, TypeError):
        return 1


# How to make a photo upright for each EXIF orientation (as ImageOps does).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def height_at(size: tuple[int, int], width: int) -> int:
    """Height of a photo of ``size`` shown ``width`` wide."""
    return max(1, round(size[1] * width / size[0]))


def crop_source(size: tuple[int, int]) -> tuple[int, int]:
    """The upright photo's size when the crops are cut from it: as large as
    the photo allows, with its widest cut (the share card's 1.91:1) at most
    CROP_WIDTH wide. A panorama's crops come from its whole height, not from
    its 1200-pixel copy (38 pixels high for a 16000x500 photo)."""
    width, height = size
    widest = min(width, height * CARD_SIZE[0] / CARD_SIZE[1])
    if widest <= CROP_WIDTH:
        return size
    scaled = max(1, round(width * CROP_WIDTH / widest))
    return scaled, height_at(size, scaled)


def crop_box(size: tuple[int, int], ratio: tuple[int, int]) -> tuple[int, ...]:
    """The centre of an image of ``size`` at ``ratio`` (width, height)."""
    width, height = size
    if width * ratio[1] > height * ratio[0]:
        new = round(height * ratio[0] / ratio[1])
        left = (width - new) // 2
        return (left, 0, left + new, height)
    new = round(width * ratio[1] / ratio[0])
    top = (height - new) // 2
    return (0, top, width, top + new)


def _smaller(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` shrunk to ``size``: an exact half by averaging 2x2 pixels,
    anything else bicubic (after a box reduction by a whole factor when it
    shrinks three times or more, as Pillow's ``reducing_gap`` does)."""
    if image.size == size:
        return image
    if image.size == (size[0] * 2, size[1] * 2):
        return image.reduce(2)
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


def _save(image: Image.Image, path: str, image_format: str, quality: int) -> None:
    """Only pixels (and the colour profile) are published: no EXIF, no XMP.
    Encoders at their fastest settings: WebP method 0, baseline JPEG
    without Huffman optimisation (each a few per cent larger, two to five
    times faster; see the plugin's README)."""
    options = {"quality": quality}
    if image_format == "webp":
        options["method"] = 0
    elif image_format == "avif":
        options["speed"] = 10
    icc = image.info.get("icc_profile")
    if icc:
        options["icc_profile"] = icc
    _write(
        path, lambda handle: image.save(handle, _PIL_FORMAT[image_format], **options)
    )


def _flat(image: Image.Image) -> Image.Image:
    """RGB pixels; a transparent PNG or WebP laid on white (JPEG has no
    transparency)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _eight_bits(image: Image.Image) -> Image.Image:
    """A 16-bit greyscale PNG (Pillow's "I;16" or "I") as 8-bit grey:
    Pillow's own conversion clips every value above 255 to white."""
    if image.mode not in ("I", "F") and not image.mode.startswith("I;16"):
        return image
    grey = image.convert("I") if image.mode != "F" else image
    eight = grey.point(lambda value: value / 257).convert("L")
    eight.info.pop("transparency", None)  # a 16-bit value
    return eight


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


# What a colour profile's space must be for pixels of each mode (Pillow's
# modes of JPEG, PNG and WebP pictures); its conversion to sRGB's pixels.
_PROFILE_SPACES = {"CMYK": "CMYK", "L": "GRAY", "LA": "GRAY"}


def _colours(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """The pixels and the profile the copies are made with. A picture of
    RGB colours keeps its profile (Display P3, Adobe RGB: browsers show it
    as it was taken). A CMYK (a wire agency's print file) or grey picture
    with its own profile is converted through it to sRGB and goes without
    one: an RGB copy carrying a CMYK or grey profile is a broken file,
    shown with wrong colours or not at all. A profile that cannot be read,
    or that does not fit the pixels, is dropped."""
    if not icc:
        return image, None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
    except (OSError, ValueError, ImageCms.PyCMSError):
        return image, None
    if space == "RGB":
        return (image, icc) if image.mode not in _PROFILE_SPACES else (image, None)
    if _PROFILE_SPACES.get(image.mode) != space:
        return image, None
    alpha = image.getchannel("A") if image.mode == "LA" else None
    pixels = image.convert("L") if alpha is not None else image
    try:
        converted = ImageCms.profileToProfile(
            pixels, profile, _srgb(), outputMode="RGB"
        )
    except (OSError, ValueError, ImageCms.PyCMSError):
        return image, None
    if alpha is not None:
        converted.putalpha(alpha)
    return converted, None


def _open_photo(job: PhotoJob, width: int) -> Image.Image:
    """The photo's largest copy, ``width`` wide: upright (EXIF orientation
    applied), RGB, with only its colour profile.

    Work is done on as few pixels as possible: a JPEG is decoded straight
    at 1/2, 1/4 or 1/8 of its size when that is still at least the copy's
    size (``draft``: the scaling happens in the DCT, almost free), the
    photo is shrunk before it is turned, and turned once."""
    upright = (width, height_at(job.size, width))
    with Image.open(job.source) as image:
        orientation = exif_orientation(image)
        method = _TRANSPOSE.get(orientation)
        stored = upright[::-1] if orientation in (5, 6, 7, 8) else upright
        if image.format == "JPEG":
            image.draft("RGB", stored)
        image.load()
        pixels, icc = _colours(_eight_bits(image), image.info.get("icc_profile"))
        copy = _smaller(_flat(pixels), stored)
    if method is not None:
        copy = copy.transpose(method)
    copy.info = {"icc_profile": icc} if icc else {}
    return copy


def make_photo(job: PhotoJob) -> str | None:
    """Every width in every format, the JSON-LD crops and the share card.
    None when done; else what went wrong."""
    try:
        quality = dict(job.quality)
        widths = sorted(job.widths, reverse=True)
        current = _open_photo(job, widths[0])
        made = {}
        # Each copy from the one before: a fraction of the work of shrinking
        # the original each time.
        for width in widths:
            current = made[width] = _smaller(
                current, (width, height_at(job.size, width))
            )
            for image_format in job.formats:
                path = f"{job.target}-{width}{extension(image_format)}"
                _save(current, path, image_format, quality[image_format])
        # Crops of the photo at crop_source's size: one of the copies (most
        # photos), else the photo opened again at that size.
        crop_width = crop_source(job.size)[0]
        source = made.get(crop_width) or _open_photo(job, crop_width)
        for name, ratio in CROPS.items():
            crop = source.crop(crop_box(source.size, ratio))
            _save(crop, f"{job.target}-{name}.jpg", "jpeg", quality["jpeg"])
        card = source.crop(crop_box(source.size, CARD_SIZE))
        if card.size != CARD_SIZE:
            card = card.resize(CARD_SIZE, Image.Resampling.BICUBIC)
        _save(card, f"{job.target}-card.jpg", "jpeg", quality["jpeg"])
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# -- cards ------------------------------------------------------------------------
@dataclass(frozen=True)
class CardDesign:
    """What every card of a site shares: fonts, colours, the site's name."""

    bold: str
    regular: str
    background: tuple[int, int, int]
    text: tuple[int, int, int]
    band: tuple[int, int, int]
    band_text: tuple[int, int, int]
    site: str


@dataclass(frozen=True)
class CardJob:
    """One generated card: a kicker over a headline, a line in the band."""

    target: str
    kicker: str
    headline: str
    band: str


class _Glyphs:
    """Glyph masks of one font at one size, rasterised once per process, and
    the masks of whole words made from them (a headline's words recur from
    card to card: one paste per word instead of one per letter)."""

    def __init__(self, path: str, size: int) -> None:
        self.font = ImageFont.truetype(path, size)
        self._glyphs: dict[str, tuple] = {}
        self._kerning: dict[tuple[str, str], float] = {}
        self._words: dict[str, tuple] = {}
        self._advances: dict[str, float] = {}
        self._has: dict[str, bool] = {}
        missing = self.font.getmask("\uffff")  # a noncharacter: never in a font
        self._missing = (missing.size, bytes(missing))

    def glyph(self, char: str) -> tuple:
        found = self._glyphs.get(char)
        if found is None:
            box = self.font.getbbox(char, anchor="ls")
            width, height = max(1, box[2] - box[0]), max(1, box[3] - box[1])
            mask = Image.new("L", (width, height), 0)
            ImageDraw.Draw(mask).text(
                (-box[0], -box[1]), char, font=self.font, fill=255, anchor="ls"
            )
            advance = self.font.getlength(char)
            found = self._glyphs[char] = (mask, box[0], box[1], advance)
        return found

    def has(self, char: str) -> bool:
        """Whether the font draws ``char`` (not its "missing" box)."""
        found = self._has.get(char)
        if found is None:
            mask = self.font.getmask(char)
            found = self._has[char] = (mask.size, bytes(mask)) != self._missing
        return found

    def kerning(self, left: str, right: str) -> float:
        pair = (left, right)
        found = self._kerning.get(pair)
        if found is None:
            whole = self.font.getlength(left + right)
            found = whole - self.glyph(left)[3] - self.glyph(right)[3]
            self._kerning[pair] = found
        return found

    def advance(self, word: str) -> float:
        """How far ``word`` moves the pen, kerning between its letters included."""
        found = self._advances.get(word)
        if found is None:
            if len(self._advances) >= _WORDS_KEPT * 8:
                self._advances.clear()
            found, previous = 0.0, None
            for char in word:
                if previous is not None:
                    found += self.kerning(previous, char)
                found += self.glyph(char)[3]
                previous = char
            self._advances[word] = found
        return found

    def word(self, word: str) -> tuple:
        """(mask or None, left, top) of ``word`` (no spaces): its letters
        placed as if pasted one by one at whole pixels, kerning included."""
        found = self._words.get(word)
        if found is None:
            if len(self._words) >= _WORDS_KEPT:
                self._words.clear()
            placed, pen, previous = [], 0.0, None
            for char in word:
                mask, left, top, advance = self.glyph(char)
                if previous is not None:
                    pen += self.kerning(previous, char)
                if not char.isspace():
                    placed.append((mask, round(pen) + left, top))
                pen += advance
                previous = char
            if not placed:
                found = (None, 0, 0)
            else:
                left = min(x for _, x, _ in placed)
                top = min(y for _, _, y in placed)
                right = max(x + mask.width for mask, x, _ in placed)
                bottom = max(y + mask.height for mask, _, y in placed)
                whole = Image.new("L", (right - left, bottom - top), 0)
                for mask, x, y in placed:
                    whole.paste(255, (x - left, y - top), mask)
                found = (whole, left, top)
            self._words[word] = found
        return found

    def _layout(self, text: str):
        """(pen offset, word) for each word of ``text``, and its length."""
        pen, previous, placed = 0.0, None, []
        for index, word in enumerate(text.split(" ")):
            if index:
                if previous is not None:
                    pen += self.kerning(previous, " ")
                pen += self.glyph(" ")[3]
                previous = " "
            if word:
                if previous is not None:
                    pen += self.kerning(previous, word[0])
                placed.append((pen, word))
                pen += self.advance(word)
                previous = word[-1]
        return placed, pen

    def length(self, text: str) -> float:
        return self._layout(text)[1]

    def then(self, length: float, last: str, word: str) -> float:
        """The length of a line ``length`` long ending in the letter ``last``
        ("" for an empty line) once a space and ``word`` follow: what
        ``length`` gives for the longer line, without measuring it again."""
        if last:
            length += self.kerning(last, " ")
            length += self.glyph(" ")[3]
            length += self.kerning(" ", word[0])
        return length + self.advance(word)

    def draw(self, image: Image.Image, x: int, baseline: int, text: str, value: int):
        """Paste ``text`` with its left end at ``x`` on ``baseline``."""
        for pen, word in self._layout(text)[0]:
            mask, left, top = self.word(word)
            if mask is not None:
                image.paste(value, (round(x + pen) + left, baseline + top), mask)


@functools.lru_cache(maxsize=16)
def _glyphs(path: str, size: int) -> _Glyphs:
    return _Glyphs(path, size)


def headline_glyphs(path: str) -> _Glyphs:
    """The glyphs of headlines at their largest size (what ``drawable`` tries)."""
    return _glyphs(path, HEADLINE_SIZES[0][0])


# Letters of scripts written right to left: drawn one by one from the left,
# they would read backwards and unjoined.
_RIGHT_TO_LEFT = frozenset(("R", "AL", "AN"))
# What joins the parts of a kicker or a band (kilas_images._item_card_text).
_PARTS = " · "


def drawable(glyphs: _Glyphs, text: str) -> str:
    """``text`` as the card can draw it, never with a "missing" box: a
    symbol or emoji the font lacks is left out; a text with a letter, digit
    or mark the font lacks, or written right to left, is not drawn at all
    ("") rather than shown with holes or backwards."""
    kept = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace() or glyphs.has(char):
            if unicodedata.bidirectional(char) in _RIGHT_TO_LEFT:
                return ""
            kept.append(char)
        elif unicodedata.category(char)[0] in "LNM":
            return ""
    return " ".join("".join(kept).split())


def _drawable_parts(glyphs: _Glyphs, text: str) -> str:
    """``drawable`` of each part of a kicker or band ("category · regions",
    "source · date"): a part the card cannot draw leaves the others."""
    return _PARTS.join(
        p for p in (drawable(glyphs, p) for p in text.split(_PARTS)) if p
    )


def wrap(glyphs: _Glyphs, text: str, width: float, lines: int) -> list[str] | None:
    """``text`` in at most ``lines`` lines no wider than ``width``, broken
    between words; None when it does not fit (a word too long, or too many
    lines)."""
    words = text.split()
    result: list[str] = []
    current, length = "", 0.0
    for word in words:
        trial = glyphs.then(length, current[-1:], word)
        if trial <= width:
            current, length = f"{current} {word}" if current else word, trial
            continue
        if not current or glyphs.advance(word) > width:
            return None
        result.append(current)
        current, length = word, glyphs.advance(word)
        if len(result) == lines:
            return None
    if current:
        result.append(current)
    return result


def _broken(glyphs: _Glyphs, word: str, width: float) -> list[str]:
    """A word wider than a line (a long name, an address) in pieces that
    fit, each but the last ending in a hyphen."""
    pieces = []
    while glyphs.advance(word) > width:
        cut = len(word) - 1
        while cut > 1 and glyphs.advance(word[:cut] + "-") > width:
            cut -= 1
        pieces.append(word[:cut] + "-")
        word = word[cut:]
    return [*pieces, word]


def shorten(glyphs: _Glyphs, text: str, width: float, lines: int) -> list[str]:
    """As many whole words as fit in ``lines`` lines, then an ellipsis. A
    single word wider than a whole line is broken over lines (with a
    hyphen), not cut: the words after it are shown too."""
    words = [piece for word in text.split() for piece in _broken(glyphs, word, width)]
    result: list[str] = []
    current, length = "", 0.0
    index = 0
    while index < len(words):
        word = words[index]
        trial = glyphs.then(length, current[-1:], word)
        if trial <= width:
            current = f"{current} {word}" if current else word
            length, index = trial, index + 1
        elif current and len(result) < lines - 1 and glyphs.advance(word) <= width:
            result.append(current)
            current, length = "", 0.0
        else:
            break
    else:
        return [*result, current] if current else result
    current = (current or words[index]).rstrip(_TRAILING)
    while " " in current and glyphs.length(current + _ELLIPSIS) > width:
        current = current.rsplit(" ", 1)[0].rstrip(_TRAILING)
    while len(current) > 1 and glyphs.length(current + _ELLIPSIS) > width:
        current = current[:-1]  # one word (or a piece of one) too wide
    return [*result, current + _ELLIPSIS]


def _ramp(start: tuple, end: tuple) -> list[int]:
    return [
        round(a + (b - a) * step / 127)
        for step in range(128)
        for a, b in zip(start, end, strict=True)
    ]


@functools.lru_cache(maxsize=4)
def _background(design: CardDesign) -> tuple[Image.Image, bytes]:
    """The fixed parts of a card (logo, site name, band) and its palette."""
    image = Image.new("L", (_LEFT + CARD_SIZE[0], CARD_SIZE[1]), 0)
    draw = ImageDraw.Draw(image)
    draw.rectangle((_LEFT, _BAND_TOP, CARD_SIZE[0], CARD_SIZE[1]), fill=128)
    # The site's mark: a light square with a K, as in the page header.
    top, size = 56, 60
    draw.rounded_rectangle(
        (_MARGIN, top, _MARGIN + size, top + size), radius=11, fill=127
    )
    scale = size / 32
    points = [(10, 7), (10, 25), (10, 16), (20, 7), (13, 14), (21, 25)]
    x, y = (
        (_MARGIN + p[0] * scale for p in points),
        (top + p[1] * scale for p in points),
    )
    spots = list(zip(x, y, strict=True))
    stroke = round(3 * scale)
    for start, end in ((0, 1), (2, 3), (4, 5)):
        draw.line((spots[start], spots[end]), fill=0, width=stroke)
        for spot in (spots[start], spots[end]):
            half = stroke / 2
            draw.ellipse(
                (spot[0] - half, spot[1] - half, spot[0] + half, spot[1] + half),
                fill=0,
            )
    site = _glyphs(design.bold, 40)
    site.draw(image, _MARGIN + size + 20, top + 44, design.site, 127)
    palette = _ramp(design.background, design.text) + _ramp(
        design.band, design.band_text
    )
    return image, bytes(palette)


def draw_card(design: CardDesign, job: CardJob) -> Image.Image:
    """The card of one page: palette indexes, after a column of zeros."""
    return _draw(_background(design)[0].copy(), design, job)


@functools.lru_cache(maxsize=4)
def _canvas(design: CardDesign) -> Image.Image:
    """The image each card of this process is drawn on in turn: a new image
    per card would cost more in fresh memory than the drawing itself."""
    return _background(design)[0].copy()


def _draw(image: Image.Image, design: CardDesign, job: CardJob) -> Image.Image:
    """Draw ``job``'s words on ``image``, a copy of the design's background."""
    width = CARD_SIZE[0] + 2 * _LEFT - 2 * _MARGIN
    kicker = _glyphs(design.regular, 30)
    baseline = 188
    text = _drawable_parts(kicker, job.kicker)
    if text:
        line = shorten(kicker, text, width, 1)[0]
        kicker.draw(image, _MARGIN, baseline, line, 96)
    headline = drawable(_glyphs(design.bold, HEADLINE_SIZES[0][0]), job.headline)
    for size, most in HEADLINE_SIZES:
        glyphs = _glyphs(design.bold, size)
        lines = wrap(glyphs, headline, width, most)
        if lines is not None:
            break
    else:
        lines = shorten(glyphs, headline, width, most)
    step = round(size * 1.18)
    baseline += 24 + size
    for line in lines:
        glyphs.draw(image, _MARGIN, baseline, line, 127)
        baseline += step
    band = _glyphs(design.regular, 30)
    text = _drawable_parts(band, job.band)
    if text:
        line = shorten(band, text, width, 1)[0]
        band.draw(image, _MARGIN, _BAND_TOP + 58, line, 255)
    return image


def card_png(design: CardDesign, job: CardJob) -> bytes:
    """The card as a PNG file's bytes (8-bit palette)."""
    background, palette = _background(design)
    canvas = _canvas(design)
    canvas.paste(background)
    _draw(canvas, design, job)
    # Compressed a strip of rows (each row: its filter byte, then the
    # pixels) at a time: small pieces of memory, reused from card to card.
    compressor = zlib_ng.compressobj(_LEVEL)
    width, height = canvas.size
    idat = [
        compressor.compress(
            canvas.crop((0, top, width, min(height, top + _STRIP))).tobytes()
        )
        for top in range(0, height, _STRIP)
    ]
    idat.append(compressor.flush())

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", *CARD_SIZE, 8, 3, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"PLTE", palette),
            chunk(b"IDAT", b"".join(idat)),
            chunk(b"IEND", b""),
        )
    )


def make_cards(design: CardDesign, jobs: list[CardJob]) -> list[str | None]:
    """Draw and write each card; None for each one done, else the problem."""
    results: list[str | None] = []
    for job in jobs:
        try:
            data = card_png(design, job)
            _write(job.target, lambda handle, data=data: handle.write(data))
            results.append(None)
        except (OSError, ValueError) as exc:
            results.append(f"{type(exc).__name__}: {exc}")
    return results
