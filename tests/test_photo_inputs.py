"""Photos as editors really get them (plugin kilas_images): from a phone, a
wire agency or a web page, in every colour mode, profile and shape, and
headlines a card cannot draw. Each published copy must show the photo."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from conftest import copy_project, page, run_build
from kilas_images import render
from PIL import Image, ImageChops, ImageCms

from kilas.browser import chromium, served

ITEMS = "content/items/2024/09"
NOW = {"KILAS_NOW": "2024-09-30T12:00+07:00"}


# -- inputs made here ----------------------------------------------------------------
def sixteen_bit_grey_png(path: Path, size: tuple[int, int]) -> None:
    """A 16-bit greyscale PNG (a scanner's or a raw converter's): a ramp
    from black at the left to white at the right."""
    width, height = size
    row = b"\x00" + b"".join(
        struct.pack(">H", x * 65535 // (width - 1)) for x in range(width)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def grey_profile(gamma: float = 1.0) -> bytes:
    """An ICC v2 greyscale profile (a monochrome scan's, a grey JPEG's from
    Photoshop): a tone curve of ``gamma``; 1.0 is linear, so its mid grey
    128 is sRGB's 188."""
    text = b"Kilas test grey\x00"
    tags = [
        (b"desc", b"desc" + bytes(4) + struct.pack(">I", len(text)) + text
         + bytes(4 + 4 + 2 + 1 + 67)),
        (b"wtpt", b"XYZ " + bytes(4) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)),
        (b"kTRC", b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256))),
        (b"cprt", b"text" + bytes(4) + b"No copyright\x00"),
    ]  # fmt: skip
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        padded = body + bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(padded))
        data += padded
    header = (
        struct.pack(">I", offset + len(data))
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + b"mntrGRAYXYZ "
        + bytes(12)
        + b"acsp"
        + bytes(24)
        + bytes(4)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
    )
    return header + bytes(128 - len(header)) + table + data


def blocks(size: tuple[int, int]) -> Image.Image:
    """Blue, a red block at the top left, a green one at the bottom right."""
    picture = Image.new("RGB", size, (20, 40, 200))
    width, height = size
    picture.paste((220, 20, 20), (0, 0, width // 3, height // 3))
    picture.paste((20, 200, 40), (width * 2 // 3, height * 2 // 3, width, height))
    return picture


def panorama() -> Image.Image:
    """16000x500, with black and white stripes 10 pixels wide in its middle."""
    picture = blocks((16000, 500))
    for left in range(7000, 9000, 20):
        picture.paste((0, 0, 0), (left, 0, left + 10, 500))
        picture.paste((255, 255, 255), (left + 10, 0, left + 20, 500))
    return picture


def _item(name: str, title: str, image: str | None, hour: int) -> str:
    photo = (
        f"Image: {image}\nImage_Alt: Foto {name}\nImage_Credit: Kantor Berita Uji\n"
        if image
        else ""
    )
    return (
        f"Title: {title}\nDate: 2024-09-06 {hour:02d}:15\nCategory: Bencana\n"
        f"Region: Korea Utara\nSource: SinarHarapan.id\n{photo}"
        f"Summary: Ringkasan butir {name} tentang banjir yang merendam rumah.\n\n"
        f"Isi butir {name}.\n"
    )


# Headlines the cards' font (Noto Sans) cannot draw, by item name.
UNDRAWABLE = {
    "kartu-emoji": "🌊🌊🔥",
    "kartu-arab": "فيضانات تغمر كوريا الشمالية",
    "kartu-cina": "朝鲜洪水淹没数百所房屋",
    "kartu-campur": "Banjir Besar di 新义州",
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """A site with one item per kind of photo (and of headline)."""
    project = copy_project(tmp_path_factory.mktemp("inputs") / "project")
    images = project / "content" / "images"
    items = project / ITEMS
    items.mkdir(parents=True, exist_ok=True)
    sixteen_bit_grey_png(images / "pindaian-16bit.png", (900, 600))
    # A grey JPEG with its linear grey profile, and an RGB one carrying a
    # grey profile that does not fit its pixels (a tool's mistake).
    Image.new("L", (900, 600), 128).save(
        images / "abu-berprofil.jpg", quality=95, icc_profile=grey_profile()
    )
    Image.new("RGB", (900, 600), (128, 128, 128)).save(
        images / "profil-salah.jpg", quality=95, icc_profile=grey_profile()
    )
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    blocks((900, 600)).save(images / "srgb.jpg", quality=95, icc_profile=srgb)
    panorama().save(images / "panorama.jpg", quality=90)
    blocks((200, 150)).save(images / "kecil.jpg", quality=90)
    blocks((300, 3000)).save(images / "tinggi.jpg", quality=90)
    photos = {
        "kecil": "images/kecil.jpg",
        "tinggi": "images/tinggi.jpg",
        "pindaian-16bit": "images/pindaian-16bit.png",
        "abu-berprofil": "images/abu-berprofil.jpg",
        "profil-salah": "images/profil-salah.jpg",
        "srgb": "images/srgb.jpg",
        "panorama": "images/panorama.jpg",
    }
    for hour, (name, image) in enumerate(photos.items()):
        (items / f"{name}.md").write_text(
            _item(name, f"Foto {name}", image, hour), encoding="utf-8"
        )
    for hour, (name, title) in enumerate(UNDRAWABLE.items(), 10):
        (items / f"{name}.md").write_text(
            _item(name, title, None, hour), encoding="utf-8"
        )
    (items / "kartu-latin.md").write_text(
        _item("latin", "Banjir Besar di Sinuiju", None, 20), encoding="utf-8"
    )
    output = project / "output"
    result = run_build("--output", str(output), cwd=project, env=NOW)
    assert result.returncode == 0, result.stderr
    return output


def _article(site: Path, name: str):
    return page(site, f"2024/09/{name}/")


def _jsonld_images(tree) -> list:
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        for data in json.loads(script):
            if data.get("@type") == "NewsArticle":
                return data["image"]
    raise AssertionError("no NewsArticle")


def _published(site: Path, tree) -> dict[str, Path]:
    """Every file of the item's photo the page names (copies in each
    format, JSON-LD crops, share card), by address."""
    urls = {tree.xpath("//meta[@property='og:image']/@content")[0]}
    for srcset in tree.xpath(
        "//figure[@class='photo']//source/@srcset"
        " | //figure[@class='photo']//img/@srcset"
    ):
        urls |= {part.split()[0] for part in srcset.split(",")}
    for image in _jsonld_images(tree):
        urls.add(image["url"] if isinstance(image, dict) else image)
    files = {url: site / url.lstrip("/") for url in urls}
    for url, file in files.items():
        assert file.is_file(), url
    return files


# -- colour modes and profiles ----------------------------------------------------------
def test_a_16_bit_grey_png_keeps_its_greys(inputs):
    """Pillow reads a 16-bit grey PNG in a mode whose plain conversion to
    RGB clips every value above 255: every copy came out white."""
    files = _published(inputs, _article(inputs, "pindaian-16bit"))
    for url, file in files.items():
        with Image.open(file) as copy:
            grey = copy.convert("L")
        width, height = grey.size
        row = height // 2
        left, middle = grey.getpixel((2, row)), grey.getpixel((width // 2, row))
        right = grey.getpixel((width - 3, row))
        # The ramp's own greys (a crop shows its middle part of the ramp).
        assert left < middle < right, (url, left, middle, right)
        assert 100 < middle < 156, (url, middle)


def _profile_space(file: Path) -> str | None:
    with Image.open(file) as image:
        icc = image.info.get("icc_profile")
    if not icc:
        return None
    return ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space.strip()


def test_a_grey_profile_is_applied_and_never_attached_to_rgb_copies(inputs):
    """A grey photo's profile says what its greys mean: the copies (RGB)
    show them in sRGB and carry no grey profile (an RGB picture with a grey
    or CMYK profile is a broken file: shown wrongly, or not at all)."""
    for url, file in _published(inputs, _article(inputs, "abu-berprofil")).items():
        assert _profile_space(file) is None, url
        with Image.open(file) as copy:
            red, green, blue = copy.convert("RGB").getpixel((10, 10))
        # The linear profile's mid grey 128 is sRGB 188 (not 128 as typed).
        assert abs(red - 188) <= 3 and red == green == blue, (url, red, green, blue)
    # A profile that does not fit the pixels is dropped; they stay as typed.
    for url, file in _published(inputs, _article(inputs, "profil-salah")).items():
        assert _profile_space(file) is None, url
        with Image.open(file) as copy:
            assert abs(copy.convert("L").getpixel((10, 10)) - 128) <= 3, url
    # An RGB profile (sRGB here; Display P3, Adobe RGB alike) is kept.
    for url, file in _published(inputs, _article(inputs, "srgb")).items():
        assert _profile_space(file) == "RGB", url


# -- shapes --------------------------------------------------------------------------------
def test_a_panoramas_crops_and_card_come_from_its_whole_height(inputs):
    """A 16000x500 panorama: its crops were cut from its 1200-pixel copy
    (38 pixels high): a 68x38 16:9 crop for search engines and a card
    blown up 16 times. They come from the photo's whole height now."""
    tree = _article(inputs, "panorama")
    files = _published(inputs, tree)
    sizes = {}
    for image in _jsonld_images(tree):
        url = image["url"] if isinstance(image, dict) else image
        with Image.open(files[url]) as crop:
            sizes[url.rsplit("-", 1)[1]] = crop.size
    assert sizes == {
        "16x9.jpg": (889, 500),
        "4x3.jpg": (667, 500),
        "1x1.jpg": (500, 500),
    }
    assert tree.xpath("//meta[@property='og:image:width']/@content") == ["1200"]
    card_url = tree.xpath("//meta[@property='og:image']/@content")[0]
    with Image.open(files[card_url]) as card:
        assert card.size == (1200, 630)
        # The panorama's middle, its stripes sharp (from a 38-pixel-high
        # copy they were a grey blur).
        box = render.crop_box((16000, 500), render.CARD_SIZE)
        expected = panorama().crop(box).resize(card.size, Image.Resampling.BICUBIC)
        difference = ImageChops.difference(card.convert("L"), expected.convert("L"))
        histogram = difference.histogram()
        mean = sum(value * count for value, count in enumerate(histogram))
        assert mean / (card.width * card.height) < 12


# -- damaged files -----------------------------------------------------------------------
def test_a_damaged_photo_fails_the_build_on_each_items_image_line(tmp_path):
    """A photo cut short (a copy interrupted): its header reads, so the
    contract lets it through, but its pixels cannot be decoded. The build
    fails naming each item that shows it, on its Image line."""
    project = copy_project(tmp_path / "project")
    whole = io.BytesIO()
    blocks((1600, 1000)).save(whole, "JPEG", quality=90)
    data = whole.getvalue()
    (project / "content" / "images" / "terpotong.jpg").write_bytes(
        data[: len(data) // 2]
    )
    items = project / ITEMS
    items.mkdir(parents=True, exist_ok=True)
    for hour, name in enumerate(("terpotong", "terpotong-lagi")):
        (items / f"{name}.md").write_text(
            _item(name, f"Foto {name}", "images/terpotong.jpg", hour + 8),
            encoding="utf-8",
        )
    output = project / "output"
    result = run_build("--output", str(output), cwd=project, env=NOW)
    assert result.returncode == 1, result.stderr
    assert not output.exists()
    for name in ("terpotong", "terpotong-lagi"):
        prefix = f"{ITEMS}/{name}.md:6: Image: "
        found = [line for line in result.stderr.splitlines() if prefix in line]
        assert found, result.stderr
        assert '"images/terpotong.jpg"' in found[0] and "truncated" in found[0]
        assert "export it again" in found[0]


# -- cards ---------------------------------------------------------------------------------
def test_a_headline_the_cards_font_cannot_draw_shares_the_sites_card(inputs):
    """Emoji alone, Arabic, Chinese, or a Latin headline with a Chinese
    name: the card drew no headline at all (a red card with a date). Such
    an item shares the site's own card; a Latin headline keeps its own."""
    home = page(inputs, "")
    site_card = home.xpath("//meta[@property='og:image']/@content")[0]
    for name in UNDRAWABLE:
        tree = _article(inputs, name)
        assert tree.xpath("//meta[@property='og:image']/@content") == [site_card]
    own = _article(inputs, "kartu-latin").xpath("//meta[@property='og:image']/@content")
    assert own != [site_card]
    with Image.open(inputs / site_card.lstrip("/")) as card:
        assert card.size == (1200, 630)
    # Nothing was drawn for them: only cards some page names are published.
    published = {p.name for p in (inputs / "gambar" / "kartu").iterdir()}
    assert not any(name.startswith("kartu-emoji") for name in published)


def test_a_small_photo_is_not_blown_up_nor_a_tall_one_taller_than_the_screen(inputs):
    """A 200x150 photo was stretched to the column's width (its `sizes` said
    the column's), a 300x3000 strip shown about 6,700 pixels tall."""
    small = _article(inputs, "kecil").xpath("//figure[@class='photo']//img")[0]
    assert small.get("sizes") == "200px"
    with served(inputs) as base, chromium() as browser:
        view = browser.new_page(viewport={"width": 1280, "height": 800})
        shown = {}
        for name in ("kecil", "tinggi", "srgb"):
            view.goto(f"{base}2024/09/{name}/")
            shown[name] = view.eval_on_selector(
                ".photo img",
                "i => [i.getBoundingClientRect().width, i.getBoundingClientRect().height]",
            )
        view.close()
    assert shown["kecil"] == [200, 150], shown
    width, height = shown["tinggi"]
    assert height <= 0.85 * 800 + 1 and abs(width / height - 0.1) < 0.01, shown
    # A photo wider than the column fills it, as before.
    assert shown["srgb"][0] > 600, shown
