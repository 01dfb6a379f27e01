"""Drawing, cropping and settings of kilas_images, without a build."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kilas_images import kilas_images, render

FONTS = Path(__file__).resolve().parents[2] / "theme" / "fonts"
BOLD, REGULAR = str(FONTS / "NotoSans-Bold.ttf"), str(FONTS / "NotoSans-Regular.ttf")
DESIGN = render.CardDesign(
    BOLD,
    REGULAR,
    (155, 28, 28),
    (255, 255, 255),
    (26, 26, 26),
    (242, 239, 232),
    "Kilas",
)


@pytest.mark.parametrize(
    ("size", "ratio", "expected"),
    [
        ((1200, 800), (16, 9), (1200, 675)),
        ((1200, 800), (4, 3), (1067, 800)),
        ((1200, 800), (1, 1), (800, 800)),
        ((800, 1200), (1200, 630), (800, 420)),
        ((1200, 800), (1200, 630), (1200, 630)),
    ],
)
def test_crops_are_centred_at_their_ratio(size, ratio, expected):
    left, top, right, bottom = render.crop_box(size, ratio)
    assert (right - left, bottom - top) == expected
    assert abs(left - (size[0] - right)) <= 1 and abs(top - (size[1] - bottom)) <= 1


def test_crops_come_from_the_photo_with_its_widest_cut_up_to_1200():
    assert render.crop_source((4000, 3000)) == (1200, 900)
    assert render.crop_source((700, 500)) == (700, 500)
    assert render.crop_source((3000, 2000)) == (1200, 800)
    # A panorama's cuts come from its whole height (the card's 1.91:1 is
    # 955 wide), a strip's from its whole width.
    assert render.crop_source((16000, 500)) == (16000, 500)
    assert render.crop_source((30000, 1000)) == (18900, 630)
    assert render.crop_source((300, 3000)) == (300, 3000)


def test_card_is_a_1200x630_palette_png_in_the_sites_colours():
    job = render.CardJob("", "NASIONAL · JAWA BARAT", "Harga Beras Naik", "Sumber")
    image = Image.open(io.BytesIO(render.card_png(DESIGN, job)))
    image.load()
    assert (image.format, image.mode, image.size) == ("PNG", "P", (1200, 630))
    rgb = image.convert("RGB")
    assert rgb.getpixel((600, 20)) == (155, 28, 28)  # background
    assert rgb.getpixel((600, 620)) == (26, 26, 26)  # band
    assert rgb.getpixel((0, 300)) == (155, 28, 28)  # no filter byte shows


def test_headlines_wrap_between_words_and_shorten_after_a_word():
    glyphs = render._glyphs(BOLD, 64)
    text = "Pemerintah Menetapkan Peraturan Baru tentang Pelayanan Publik " * 3
    assert render.wrap(glyphs, text, 1056, 4) is None  # too long for 4 lines
    lines = render.shorten(glyphs, text, 1056, 4)
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert " ".join(lines)[:-1].split() == text.split()[: len(" ".join(lines).split())]
    assert render.wrap(glyphs, "Banjir Merendam Sinuiju", 1056, 3) == [
        "Banjir Merendam Sinuiju"
    ]
    # "kata,…" reads badly: the comma goes.
    short = render.shorten(glyphs, "Satu, dua, tiga, empat, lima, enam " * 6, 700, 1)
    assert short[0].endswith("…") and not short[0].endswith(",…")


def test_a_word_wider_than_a_line_is_broken_not_cut():
    """A name or an address wider than the card's line was cut with an
    ellipsis and the rest of the headline dropped."""
    glyphs = render._glyphs(BOLD, 64)
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    lines = render.shorten(glyphs, f"{word} Ditemukan di Bandung Barat", 1056, 4)
    assert all(glyphs.length(line) <= 1056 for line in lines), lines
    assert lines[0].endswith("-") and "…" not in "".join(lines), lines
    joined = "".join(line + (" " if not line.endswith("-") else "") for line in lines)
    assert joined.replace("- ", "").replace("-", "").split() == [
        word,
        "Ditemukan",
        "di",
        "Bandung",
        "Barat",
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("KILAS_IMAGES_WIDTHS", []),
        ("KILAS_IMAGES_WIDTHS", [480, "800"]),
        ("KILAS_IMAGES_FORMATS", ["webp"]),
        ("KILAS_IMAGES_FORMATS", ["gif", "jpeg"]),
        ("KILAS_IMAGES_QUALITY", {"webp": 0, "jpeg": 80}),
        ("KILAS_IMAGES_CARD_COLORS", {"background": "red"}),
        ("KILAS_IMAGES_CARD_FONTS", {"bold": "tidak-ada.ttf", "regular": "x.ttf"}),
        ("KILAS_IMAGES_DIR", "../luar"),
        ("KILAS_IMAGES_WORKERS", 0),
    ],
)
def test_bad_settings_name_the_key(key, value):
    settings = {"THEME": str(FONTS.parent), key: value}
    with pytest.raises(kilas_images.ImageSettingError, match=key):
        kilas_images.check_settings(settings)


def test_default_settings_pass():
    settings = {"THEME": str(FONTS.parent)}
    kilas_images.check_settings(settings)
    assert settings["KILAS_IMAGES_FORMATS"][-1] == "jpeg"


# How a camera stores an upright picture for each EXIF orientation: the
# inverse of what the plugin applies.
_STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _upright_picture(size: tuple[int, int]) -> Image.Image:
    """Blue, a red block at the top left, a green one at the bottom right."""
    picture = Image.new("RGB", size, (20, 40, 200))
    width, height = size
    picture.paste((220, 20, 20), (0, 0, width // 3, height // 3))
    picture.paste((20, 200, 40), (width * 2 // 3, height * 2 // 3, width, height))
    return picture


@pytest.mark.parametrize("orientation", sorted(_STORED))
@pytest.mark.parametrize("size", [(2400, 1600), (1000, 1500)])
def test_every_copy_is_upright_and_sized_whatever_the_orientation(
    tmp_path, orientation, size
):
    """Decoded small (DCT scaling), shrunk, then turned: each copy and crop
    is the upright photo at its width, without EXIF."""
    upright = _upright_picture(size)
    turn = _STORED[orientation]
    stored = upright.transpose(turn) if turn is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    source = tmp_path / "foto.jpg"
    stored.save(source, quality=95, exif=exif.tobytes())
    widths = (240, 480, 800, 1200)
    job = render.PhotoJob(
        str(source), str(tmp_path / "k"), size, widths, ("webp", "jpeg"),
        (("webp", 75), ("jpeg", 80)),
    )  # fmt: skip
    assert render.make_photo(job) is None
    for width in widths:
        for suffix in (".webp", ".jpg"):
            with Image.open(tmp_path / f"k-{width}{suffix}") as copy:
                assert copy.size == (width, render.height_at(size, width))
                assert not copy.getexif()
                expected = upright.resize(copy.size, Image.Resampling.LANCZOS)
                pixels = zip(
                    copy.convert("RGB").tobytes(), expected.tobytes(), strict=True
                )
                difference = sum(abs(a - b) for a, b in pixels) / len(
                    expected.tobytes()
                )
                assert difference < 6, (orientation, width, suffix, difference)
    with Image.open(tmp_path / "k-card.jpg") as card:
        assert card.size == render.CARD_SIZE


def test_cards_drawn_from_remembered_words_match_fresh_ones(monkeypatch):
    """A card is the same whether its words' masks were made for it, kept
    from earlier cards, or made again after the memory was emptied."""
    job = render.CardJob(
        "", "EKONOMI · JAWA BARAT",
        "Harga Beras Naik di Pasar Induk, Pedagang “Menunggu” Operasi Pasar",
        "Kabar Nusantara · Senin, 1 Juli 2024 · 10.30 WIB",
    )  # fmt: skip
    render._glyphs.cache_clear()
    first = render.card_png(DESIGN, job)
    assert render.card_png(DESIGN, job) == first
    monkeypatch.setattr(render, "_WORDS_KEPT", 1)
    others = render.CardJob("", "X", "Banjir Bandang Melanda Kota Lama", "Y")
    render.card_png(DESIGN, others)
    assert render.card_png(DESIGN, job) == first
    # Measured lengths are the letters' advances and kerning, word by word.
    glyphs = render._glyphs(BOLD, 72)
    line = "Pedagang “Menunggu” AVATAR"
    assert abs(glyphs.length(line) - glyphs.font.getlength(line)) < 2


_ANOTHER_PROCESS = """
import hashlib, sys
from kilas_images.test_kilas_images import DESIGN, render
for n in range(int(sys.argv[1])):
    render.card_png(DESIGN, render.CardJob("", "X", f"Berita lain nomor {n}", "Y"))
job = render.CardJob("", "WILAYAH", "Semenanjung Korea", "7 berita")
print(hashlib.sha256(render.card_png(DESIGN, job)).hexdigest())
"""


def test_a_card_has_the_same_bytes_in_every_process():
    """Cards are compared byte for byte between builds: the same card, drawn
    in processes that did different work before, compresses to the same
    bytes (ISA-L's deflate, used before zlib-ng, did not always)."""
    digests = {
        subprocess.run(
            [sys.executable, "-c", _ANOTHER_PROCESS, str(others)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for others in (0, 7, 40)
    }
    job = render.CardJob("", "WILAYAH", "Semenanjung Korea", "7 berita")
    data = render.card_png(DESIGN, job)
    assert digests == {hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize(
    ("written", "drawn"),
    [
        # An emoji or symbol the fonts lack is left out of its line.
        (
            ("BENCANA · Jakarta", "Banjir 🔥 Melanda Jakarta ✅", "Sumber · Senin"),
            ("BENCANA · Jakarta", "Banjir Melanda Jakarta", "Sumber · Senin"),
        ),
        # Right-to-left text would be drawn backwards and unjoined, letters
        # of another script as boxes: that text is not drawn, its line's
        # other parts are.
        (
            ("INTERNASIONAL · مدينة عربية", "هل تنحسر الفيضانات؟", "الجزيرة · Selasa"),
            ("INTERNASIONAL", "", "Selasa"),
        ),
        (("EKONOMI", "Harga Beras di 中国 Naik", "Sumber"), ("EKONOMI", "", "Sumber")),
        # A letter and its accent typed apart (as macOS writes file names)
        # are drawn as the one letter.
        (("X", "Cafe\u0301 Baru", "Y"), ("X", "Café Baru", "Y")),
    ],
)
def test_cards_never_draw_a_missing_glyph(written, drawn):
    """A card shows no "missing glyph" box, nor text it would draw wrong."""
    card = render.card_png(DESIGN, render.CardJob("", *written))
    assert card == render.card_png(DESIGN, render.CardJob("", *drawn))
