"""Photos and share cards (plugin kilas_images): responsive, credited photos
without their camera's metadata, a 1200x630 card for every page, and the
contract's checks of `Image`."""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path

import pytest
from conftest import build_published, copy_project, page, run_build
from fontTools.ttLib import TTFont
from lxml import html
from PIL import Image, ImageChops, ImageFilter

from kilas import browser

SITE_URL = "https://kilas.example.org/berita"
PHOTO_ITEM = "2024/09/foto-banjir-sinuiju/"
PLAIN_ITEM = "2024/09/kafe-kopi-tutup/"
REMOTE_ITEM = "2024/09/foto-dari-kantor-berita/"
HIDDEN_ITEM = "2024/09/foto-tersembunyi/"
# A headline with an accent, an en dash and curly quotes, long enough to wrap.
TRICKY_TITLE = (
    "Café “Kopi Kenangan” di Sinŭiju Tutup – Pemilik Menyebut Banjir "
    "dan ‘Kebijakan Baru’ sebagai Penyebab"
)
FONTS = Path(__file__).resolve().parent.parent / "theme" / "fonts"
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def camera_photo(path: Path, size=(4000, 3000), orientation: int = 6) -> None:
    """A camera-like JPEG: smooth colour areas, grain, EXIF with GPS and an
    orientation tag (6: the camera was turned; upright it is portrait)."""
    rng = random.Random(15)
    small = Image.new("RGB", (40, 30))
    small.putdata(
        [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            for _ in range(1200)
        ]
    )
    picture = small.resize(size, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(size, 30).convert("RGB")
    picture = Image.blend(picture, grain, 0.15).filter(ImageFilter.SMOOTH)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "KameraBerita"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (40.0, 6.0, 1.0), 3: "E", 4: (124.0, 23.0, 2.0)})
    picture.save(path, "JPEG", quality=88, exif=exif.tobytes())


def _item(name: str, title: str, extra: str = "", day: int = 6) -> str:
    return (
        f"Title: {title}\nDate: 2024-09-{day:02d} 09:15\nCategory: Bencana\n"
        f"Region: Korea Utara\nSource: SinarHarapan.id\n{extra}"
        f"Summary: Ringkasan {name}: banjir merendam ratusan rumah dan memaksa"
        " warga mengungsi ke sekolah serta balai desa terdekat.\n\n"
        f"Isi butir {name}.\n"
    )


@pytest.fixture(scope="module")
def photo_project(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("images") / "project")
    camera_photo(project / "content" / "images" / "sinuiju.jpg")
    items = project / "content" / "items" / "2024" / "08"
    (items / "foto-banjir-sinuiju.md").write_text(
        _item(
            "foto",
            "Banjir Merendam Sinuiju",
            "Image: images/sinuiju.jpg\n"
            "Image_Alt: Jalan kota yang terendam air setinggi lutut\n"
            "Image_Caption: Warga menembus banjir di pusat kota.\n"
            "Image_Credit: Fotografer Uji/Kilas\nStory: Banjir Korea Utara 2024\n",
            day=10,
        ),
        encoding="utf-8",
    )
    (items / "kafe-kopi-tutup.md").write_text(
        _item("kafe", TRICKY_TITLE, day=10), encoding="utf-8"
    )
    # A hidden item (a page, not listed) with a photo of its own.
    camera_photo(project / "content" / "images" / "tersembunyi.jpg", (2400, 1600), 1)
    (items / "foto-tersembunyi.md").write_text(
        _item(
            "tersembunyi",
            "Foto Tersembunyi",
            "Status: hidden\nImage: images/tersembunyi.jpg\n"
            "Image_Alt: Tanggul sungai yang jebol\n"
            "Image_Credit: Fotografer Uji/Kilas\n",
            day=8,
        ),
        encoding="utf-8",
    )
    (items / "foto-dari-kantor-berita.md").write_text(
        _item(
            "remote",
            "Foto dari Kantor Berita",
            "Image: https://foto.example.net/banjir/utama.jpg?w=1200\n"
            "Image_Alt: Perahu karet di jalan yang banjir\n"
            "Image_Credit: Kantor Berita Contoh\n",
            day=9,
        ),
        encoding="utf-8",
    )
    return project


@pytest.fixture(scope="module")
def photo_site(photo_project) -> Path:
    output = photo_project / "output"
    result = run_build("--output", str(output), cwd=photo_project)
    assert result.returncode == 0, result.stdout + result.stderr
    return output


@pytest.fixture(scope="module")
def published(photo_project, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("published") / "output"
    build_published(photo_project, output, SITE_URL)
    return output


def _meta(tree, name: str) -> list[str]:
    return tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content")


def _local(site: Path, url: str, prefix: str = "") -> Path:
    path = url.removeprefix(prefix).split("?")[0]
    assert path.startswith("/"), url
    return site / path.lstrip("/")


def _srcset(value: str) -> list[tuple[str, int]]:
    entries = []
    for part in value.split(","):
        url, width = part.split()
        entries.append((url, int(width.removesuffix("w"))))
    return entries


def _jsonld_article(tree) -> dict:
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        for data in json.loads(script):
            if data.get("@type") == "NewsArticle":
                return data
    raise AssertionError("no NewsArticle")


# -- photos --------------------------------------------------------------------------
def test_photo_offers_widths_formats_and_files_that_exist(photo_site):
    tree = page(photo_site, PHOTO_ITEM)
    picture = tree.xpath("//figure[@class='photo']/picture")[0]
    formats = {}
    for source in picture.xpath(".//source"):
        formats[source.get("type")] = _srcset(source.get("srcset"))
        assert source.get("sizes")
    img = picture.xpath(".//img")[0]
    formats["image/jpeg"] = _srcset(img.get("srcset"))
    assert len(formats) >= 2, formats
    for kind, entries in formats.items():
        widths = [width for _, width in entries]
        assert len(widths) >= 3, (kind, widths)
        assert max(widths) <= 3000  # never wider than the (upright) photo
        for url, width in entries:
            file = _local(photo_site, url)
            assert file.is_file(), url
            with Image.open(file) as copy:
                assert copy.width == width, (url, copy.size)
                assert copy.format == {"image/webp": "WEBP", "image/jpeg": "JPEG"}[kind]
                # Upright: the camera's orientation tag was applied (portrait).
                assert copy.height > copy.width, (url, copy.size)
    assert _local(photo_site, img.get("src")).is_file()
    # Space reserved before it loads, at the photo's upright proportions.
    width, height = int(img.get("width")), int(img.get("height"))
    assert abs(width / height - 3 / 4) < 0.01, (width, height)
    # The lead photo loads at once, first.
    assert img.get("fetchpriority") == "high"
    assert img.get("loading") is None
    assert img.get("alt") == "Jalan kota yang terendam air setinggi lutut"


def test_photo_has_caption_and_credit(photo_site):
    tree = page(photo_site, PHOTO_ITEM)
    caption = tree.xpath("//figure[@class='photo']/figcaption")[0]
    text = " ".join(caption.text_content().split())
    assert "Warga menembus banjir di pusat kota." in text
    assert "Foto: Fotografer Uji/Kilas" in text


def test_no_published_file_carries_exif_gps_or_the_original(photo_site, photo_project):
    original = (photo_project / "content" / "images" / "sinuiju.jpg").read_bytes()
    images = [p for p in photo_site.rglob("*") if p.suffix in (".jpg", ".webp", ".png")]
    photos = [p for p in images if "foto" in p.parts]
    assert len(photos) >= 10, photos
    for path in images:
        data = path.read_bytes()
        assert data != original, f"{path} is the original photo"
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            assert not exif.get_ifd(GPS_IFD), f"{path}: GPS {exif.get_ifd(GPS_IFD)}"
            assert ORIENTATION not in exif and 0x010F not in exif, path
            assert "exif" not in image.info and "xmp" not in image.info, path
        assert b"KameraBerita" not in data, path
    assert not (photo_site / "images" / "sinuiju.jpg").exists()


def test_phone_downloads_at_most_120_kb_of_the_photo(photo_site):
    with browser.served(photo_site) as base, browser.chromium() as chromium:
        context = chromium.new_context(
            viewport={"width": 375, "height": 667}, device_scale_factor=2
        )
        page_ = context.new_page()
        loaded = []
        page_.on("requestfinished", lambda request: _record(loaded, request))
        page_.goto(base + PHOTO_ITEM, wait_until="load")
        page_.wait_for_load_state("networkidle")
        photo = [r for r in loaded if "/gambar/foto/" in r.url]
        sizes = {r.url: len(r.response().body()) for r in photo}
        context.close()
    assert photo, "the photo was not loaded"
    total = sum(sizes.values())
    assert total <= 120 * 1024, sizes
    # The phone got one copy, sized for its 750 device pixels.
    assert len(sizes) == 1, sizes
    with Image.open(_local(photo_site, urlpath(next(iter(sizes))))) as copy:
        assert 700 <= copy.width <= 1200, copy.size


def _record(requests: list, request) -> None:
    requests.append(request)


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_hidden_item_gets_its_photo_and_card_not_the_original(photo_site):
    """A hidden item has a page: it shows its photo's copies, shares the
    photo's card, and its camera file (EXIF, GPS) is not published."""
    tree = page(photo_site, HIDDEN_ITEM)
    img = tree.xpath("//figure[@class='photo']//img")[0]
    assert img.get("alt") == "Tanggul sungai yang jebol"
    sources = tree.xpath("//figure[@class='photo']//source")
    assert sources, "no modern format offered"
    for value in [img.get("srcset"), *(s.get("srcset") for s in sources)]:
        for url, width in _srcset(value):
            with Image.open(_local(photo_site, url)) as copy:
                assert copy.width == width, (url, copy.size)
                assert not copy.getexif(), url
    url, card = _card(photo_site, HIDDEN_ITEM)
    assert card.format == "JPEG" and "/gambar/foto/" in url, url
    assert not (photo_site / "images" / "tersembunyi.jpg").exists()
    published = list(photo_site.rglob("*"))
    assert not [p for p in published if p.name == "tersembunyi.jpg"], published


def test_list_entries_show_a_small_lazy_photo(photo_site):
    tree = page(photo_site, "wilayah/korea-utara/")
    entries = "//article[contains(@class, 'digest-item')]"
    thumbs = tree.xpath(f"{entries}//picture[@class='photo-thumb']//img")
    assert thumbs, "no small photo in the region's list"
    for img in thumbs:
        assert img.get("loading") == "lazy"
        assert img.get("alt") == ""  # the headline beside it says it all
        assert _local(photo_site, img.get("src")).is_file()


def test_small_photos_push_no_headline_off_a_phones_first_screen(photo_site):
    """At 375x667 the headlines a reader sees first without the small photos
    are all there with them, where they were or a summary line lower."""
    script = """() => [...document.querySelectorAll('.digest-title')].map(h => {
        const box = h.getBoundingClientRect();
        return [h.textContent.trim(), Math.round(box.top), Math.round(box.bottom)];
    })"""
    with browser.served(photo_site) as base, browser.chromium() as chromium:
        # The test hides the photos with an inline style, which the pages' CSP
        # forbids: this context lets the test's own style in.
        page_ = chromium.new_context(
            bypass_csp=True, viewport={"width": 375, "height": 667}
        ).new_page()
        for path in ("", "wilayah/korea-utara/", "cerita/banjir-korea-utara-2024/"):
            page_.goto(base + path, wait_until="load")
            assert page_.locator(".digest-item .photo-thumb").count(), path
            shown = page_.evaluate(script)
            page_.add_style_tag(content=".photo-thumb { display: none !important; }")
            plain = page_.evaluate(script)
            first = [title for title, _, bottom in plain if bottom <= 667]
            assert first, (path, plain)
            for (title, top, bottom), (_, plain_top, _) in zip(
                shown, plain, strict=True
            ):
                if title in first:
                    assert bottom <= 667, (path, title, shown)
                    assert top - plain_top <= 30, (path, title, top, plain_top)


# -- share cards -----------------------------------------------------------------------
def _card(site: Path, path: str, prefix: str = "") -> tuple[str, Image.Image]:
    tree = (
        page(site, path)
        if not path.endswith(".html")
        else html.fromstring((site / path).read_bytes())
    )
    (url,) = _meta(tree, "og:image")
    assert _meta(tree, "twitter:card") == ["summary_large_image"]
    # X reads og:image; a twitter:image, if any, is the same.
    assert _meta(tree, "twitter:image") in ([], [url])
    assert _meta(tree, "og:image:width") == ["1200"]
    assert _meta(tree, "og:image:height") == ["630"]
    assert _meta(tree, "og:image:alt")[0].strip()
    file = _local(site, url, prefix)
    assert file.is_file(), url
    image = Image.open(file)
    assert image.size == (1200, 630), (path, image.size)
    assert image.format in ("PNG", "JPEG"), image.format
    assert url.endswith({"PNG": ".png", "JPEG": ".jpg"}[image.format])
    return url, image


def test_every_kind_of_page_has_a_1200x630_card(photo_site):
    pages = {
        "photo item": PHOTO_ITEM,
        "plain item": PLAIN_ITEM,
        "translation": "en/2024/08/putin-tawarkan-bantuan-banjir-korea-utara/",
        "page": "tentang/",
        "story": "cerita/banjir-korea-utara-2024/",
        "region": "wilayah/korea-utara/",
        "home": "",
        "timeline": "linimasa/",
        "404": "404.html",
    }
    urls = {name: _card(photo_site, path)[0] for name, path in pages.items()}
    # Each item, page, story and region has its own card.
    own = [urls[name] for name in list(pages)[:6]]
    assert len(set(own)) == len(own), urls
    assert urls["photo item"].endswith(".jpg")
    assert urls["plain item"].endswith(".png")


def test_photo_card_is_the_photo_cropped(photo_site):
    _, card = _card(photo_site, PHOTO_ITEM)
    assert card.format == "JPEG"
    tree = page(photo_site, PHOTO_ITEM)
    src = tree.xpath("//figure[@class='photo']//img/@src")[0]
    with Image.open(_local(photo_site, src)) as photo:
        # The card is the middle of the photo: compare a downscaled centre.
        middle = photo.crop(
            (0, (photo.height - photo.width * 630 // 1200) // 2, photo.width,
             (photo.height + photo.width * 630 // 1200) // 2)
        ).resize((60, 32)).convert("L")  # fmt: skip
    small = card.resize((60, 32)).convert("L")
    pairs = zip(middle.tobytes(), small.tobytes(), strict=True)
    difference = sum(abs(a - b) for a, b in pairs)
    assert difference / (60 * 32) < 12, difference / (60 * 32)


def test_generated_card_fonts_cover_indonesian_text():
    """Every character a card may draw from the tricky headline (and the
    Indonesian alphabet, dates and punctuation) has a glyph in both fonts."""
    needed = set(TRICKY_TITLE + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    needed |= set("0123456789 ·.,:;!?()/&%'’‘“”–—-…éÉèàâäçöüñŭ")
    for name in ("NotoSans-Bold.ttf", "NotoSans-Regular.ttf"):
        cmap = TTFont(FONTS / name).getBestCmap()
        missing = sorted(char for char in needed if ord(char) not in cmap)
        assert missing == [], (name, missing)


def test_generated_card_draws_every_glyph_and_wraps_whole_words(photo_site):
    from kilas_images import render

    _, card = _card(photo_site, PLAIN_ITEM)
    assert card.format == "PNG"
    bold = render._glyphs(str(FONTS / "NotoSans-Bold.ttf"), 64)
    notdef = bold.font.getmask("\uffff").getbbox()
    for char in set(TRICKY_TITLE) - {" "}:
        mask = bold.glyph(char)[0]
        assert mask.getbbox(), char  # ink
        assert bold.font.getmask(char).getbbox() != notdef or char == "\uffff", char
    # The headline is drawn: the card's text area holds light (text) pixels.
    rgb = card.convert("RGB")
    green = rgb.crop((72, 200, 1128, 530)).getchannel("G").tobytes()
    light = sum(1 for value in green if value > 200)
    assert light > 5000, light
    # Wrapped between words, shortened with an ellipsis after a whole word.
    words = TRICKY_TITLE.split()
    for size, most in ((64, 2), (48, 1)):
        glyphs = render._glyphs(str(FONTS / "NotoSans-Bold.ttf"), size)
        lines = render.shorten(glyphs, TRICKY_TITLE, 1056, most)
        assert len(lines) == most and lines[-1].endswith("…"), lines
        shown = " ".join(lines)[:-1].split()
        assert shown == words[: len(shown)], lines
        assert all(glyphs.length(line) <= 1056 for line in lines)
    # A word wider than a line is broken over the lines (with hyphens).
    one_word = render.shorten(bold, "Sangat" * 40, 1056, 3)
    assert len(one_word) == 3 and one_word[-1].endswith("…"), one_word
    assert all(line.endswith("-") for line in one_word[:-1]), one_word
    assert all(bold.length(line) <= 1056 for line in one_word), one_word


def test_published_cards_and_photo_urls_are_absolute(published):
    tree = page(published, PHOTO_ITEM)
    url, _ = _card(published, PHOTO_ITEM, SITE_URL)
    assert url.startswith(SITE_URL + "/gambar/")
    article = _jsonld_article(tree)
    first, *others = article["image"]
    assert first["creditText"] == "Fotografer Uji/Kilas"
    ratios = []
    for url in [first["url"], *others]:
        assert url.startswith(SITE_URL + "/gambar/foto/")
        with Image.open(_local(published, url, SITE_URL)) as crop:
            assert crop.width * crop.height >= 50_000
            if url == first["url"]:
                assert crop.size == (first["width"], first["height"])
            ratios.append(round(crop.width / crop.height, 2))
    assert ratios == [1.78, 1.33, 1.0]
    url, _ = _card(published, PLAIN_ITEM, SITE_URL)
    assert url.startswith(SITE_URL + "/gambar/kartu/")
    article = _jsonld_article(page(published, PLAIN_ITEM))
    assert [i["url"] for i in article["image"]] == [url]


def test_remote_photo_is_used_as_it_is(published):
    remote = "https://foto.example.net/banjir/utama.jpg?w=1200"
    tree = page(published, REMOTE_ITEM)
    assert _meta(tree, "og:image") == [remote]
    assert _meta(tree, "twitter:image") in ([], [remote])
    assert _meta(tree, "twitter:card") == ["summary_large_image"]
    article = _jsonld_article(tree)
    assert [i["url"] for i in article["image"]] == [remote]
    assert article["image"][0]["creditText"] == "Kantor Berita Contoh"
    assert "/https:" not in html.tostring(tree, encoding="unicode")
    link = tree.xpath("//figure[@class='photo']/a")[0]
    assert link.get("href") == remote
    assert (
        "Kantor Berita Contoh"
        in tree.xpath("//figure[@class='photo']")[0].text_content()
    )


# -- built once per input -----------------------------------------------------------------
def test_images_are_made_once_and_follow_the_photo(photo_project, tmp_path):
    project = copy_project(tmp_path / "again")
    camera_photo(project / "content" / "images" / "sinuiju.jpg", (1600, 1200), 1)
    items = project / "content" / "items" / "2024" / "08"
    (items / "foto-banjir-sinuiju.md").write_text(
        (
            photo_project
            / "content"
            / "items"
            / "2024"
            / "08"
            / "foto-banjir-sinuiju.md"
        ).read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    output = project / "output"
    result = run_build("--output", str(output), "-v", cwd=project)
    assert result.returncode == 0
    # output/ holds copies (never hard links) of the image cache's files.
    cache = project / ".kilas-cache" / "output" / "images"
    made = {p: p.stat().st_ino for p in cache.iterdir()}
    first = {p: p.read_bytes() for p in (output / "gambar").rglob("*") if p.is_file()}
    outputs = {p.stat().st_ino for p in (output / "gambar").rglob("*") if p.is_file()}
    assert not outputs & set(made.values())
    src = page(output, PHOTO_ITEM).xpath("//figure//img/@src")[0]
    # Every photo and card was made once, whether queued while its item was
    # read or after: as many as the site shows, and the cache keeps only those.
    photos = len(list((output / "gambar" / "foto").glob("*-card.jpg")))
    cards = len(list((output / "gambar" / "kartu").glob("*.png")))
    assert re.search(r"kilas_images: \d+ worker\(s\) started", result.stderr)
    made_line = f"kilas_images: made {photos} photo(s) and {cards} card(s)"
    assert made_line in result.stderr, result.stderr[-2000:]
    kept = sorted(p.read_bytes() for p in cache.iterdir() if p.name != "index.json")
    assert kept == sorted(first.values())
    # Again from nothing but the cache: the same files, not made again.
    import shutil

    shutil.rmtree(output)
    result = run_build("--output", str(output), "-v", cwd=project)
    assert result.returncode == 0
    second = {p: p.read_bytes() for p in (output / "gambar").rglob("*") if p.is_file()}
    assert second == first
    assert {p: p.stat().st_ino for p in cache.iterdir() if p.name != "index.json"} == {
        p: i for p, i in made.items() if p.name != "index.json"
    }
    # No worker was even started.
    assert "worker(s) started" not in result.stderr
    assert (
        f"kilas_images: nothing to make; all {len(first)} file(s) came from the cache"
        in result.stderr
    ), result.stderr[-2000:]
    # A new photo under the same name: new copies, the page follows.
    camera_photo(project / "content" / "images" / "sinuiju.jpg", (1600, 1200), 3)
    Image.open(project / "content" / "images" / "sinuiju.jpg").rotate(90).save(
        project / "content" / "images" / "sinuiju.jpg", quality=80
    )
    result = run_build("--output", str(output), "-v", cwd=project)
    assert result.returncode == 0
    # Only the changed photo is made again; no card's words changed.
    assert "kilas_images: made 1 photo(s) and 0 card(s)" in result.stderr
    new_src = page(output, PHOTO_ITEM).xpath("//figure//img/@src")[0]
    assert new_src != src
    assert _local(output, new_src).is_file()
    assert not _local(output, src).exists()


# -- the contract ---------------------------------------------------------------------------
BAD_IMAGES = {
    "hilang": ("Image: images/tidak-ada.jpg\nImage_Alt: a\nImage_Credit: b\n",
               "Image", "names no file"),
    "tanpa-kredit": ("Image: images/sinuiju.jpg\nImage_Alt: a\n",
                     "Image_Credit", "is missing"),
    "tanpa-alt": ("Image: images/sinuiju.jpg\nImage_Credit: b\n",
                  "Image_Alt", "is missing"),
    "http": ("Image: http://foto.example.net/a.jpg\nImage_Alt: a\nImage_Credit: b\n",
             "Image", 'Did you mean "https://foto.example.net/a.jpg"'),
    "javascript": ("Image: javascript:alert(1)\nImage_Alt: a\nImage_Credit: b\n",
                   "Image", "refused (javascript:)"),
    "data": ("Image: data:image/png;base64,iVBORw0KGgo=\nImage_Alt: a\nImage_Credit: b\n",
             "Image", "refused (data:)"),
    "ftp": ("Image: ftp://foto.example.net/a.jpg\nImage_Alt: a\nImage_Credit: b\n",
            "Image", "refused (ftp:)"),
    "tanpa-skema": ("Image: //foto.example.net/a.jpg\nImage_Alt: a\nImage_Credit: b\n",
                    "Image", "refused"),
    "svg": ("Image: images/gambar.svg\nImage_Alt: a\nImage_Credit: b\n",
            "Image", "export it as PNG"),
    "bukan-foto": ("Image: images/palsu.jpg\nImage_Alt: a\nImage_Credit: b\n",
                   "Image", "cannot be read as an image"),
    "di-luar": ("Image: images/../pages/tentang.md\nImage_Alt: a\nImage_Credit: b\n",
                "Image", "not under content/images/"),
    "dari-butir": ("Image: ../../../images/sinuiju.jpg\nImage_Alt: a\nImage_Credit: b\n",
                   "Image", 'content/images/ (paths start at content/). Allowed: a JPEG'),
    "dari-butir-saran": ("Image: ../../../images/sinuiju.jpg\nImage_Alt: a\nImage_Credit: b\n",
                         "Image", 'Did you mean "images/sinuiju.jpg"'),
    "kredit-saja": ("Image_Credit: b\n", "Image_Credit", "has no photo"),
    "gif": ("Image: images/animasi.jpg\nImage_Alt: a\nImage_Credit: b\n",
            "Image", "holds a GIF image"),
    "huruf-besar": ("Image: Images/Sinuiju.JPG\nImage_Alt: a\nImage_Credit: b\n",
                    "Image", "Did you mean \"images/sinuiju.jpg\""),
    "alt-kosong": ("Image: images/sinuiju.jpg\nImage_Credit: b\nImage_Alt:\n",
                   "Image_Alt", "is missing"),
}  # fmt: skip
# The line a problem names, when not the first header line after Source.
PROBLEM_LINES = {"alt-kosong": 8}


def test_bad_images_fail_the_build_with_path_line_field(tmp_path):
    project = copy_project(tmp_path / "bad")
    images = project / "content" / "images"
    camera_photo(images / "sinuiju.jpg", (800, 600), 1)
    (images / "gambar.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (images / "palsu.jpg").write_text("bukan gambar", encoding="utf-8")
    Image.new("RGB", (40, 30)).save(images / "animasi.jpg", "GIF")
    items = project / "content" / "items" / "2024" / "08"
    for name, (lines, _, _) in BAD_IMAGES.items():
        (items / f"gambar-{name}.md").write_text(
            _item(name, f"Butir {name}", lines), encoding="utf-8"
        )
    output = project / "output"
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 1
    assert not output.exists()
    for name, (_, field, words) in BAD_IMAGES.items():
        path = f"content/items/2024/08/gambar-{name}.md"
        # The first line after Title, Date, Category, Region and Source.
        line = PROBLEM_LINES.get(name, 6)
        found = [
            message
            for message in result.stderr.splitlines()
            if message.startswith(f"{path}:") and f": {field}: " in message
        ]
        assert found, f"{name}: nothing about {field} in\n{result.stderr}"
        assert any(words in message for message in found), (name, found)
        assert re.match(rf"{re.escape(path)}:{line}: {field}: ", found[0]), found


def test_a_photo_a_text_links_goes_out_without_its_camera_data(tmp_path):
    """A photo linked in a body ({static}) is published as its file: with
    its picture as it was, its orientation, and nothing else its camera
    wrote (GPS position, camera, XMP)."""
    project = copy_project(tmp_path / "project")
    source = project / "content" / "images" / "lokasi-rahasia.jpg"
    camera_photo(source, size=(320, 240))
    items = project / "content" / "items" / "2024" / "08"
    (items / "foto-dalam-teks.md").write_text(
        _item("teks", "Foto dalam Teks", day=1).replace("2024-09-", "2024-08-")
        + "\n![Posko pengungsi]({static}/images/lokasi-rahasia.jpg)\n",
        encoding="utf-8",
    )
    output = project / "output"
    result = run_build(
        "--output",
        str(output),
        cwd=project,
        env={"KILAS_NOW": "2024-09-30T12:00+07:00"},
    )
    assert result.returncode == 0, result.stderr
    page = (output / "2024/08/foto-dalam-teks/index.html").read_text("utf-8")
    assert 'src="/images/lokasi-rahasia.jpg"' in page
    published = (output / "images" / "lokasi-rahasia.jpg").read_bytes()
    original = source.read_bytes()
    assert b"KameraBerita" in original and b"KameraBerita" not in published
    with Image.open(io.BytesIO(published)) as image:
        exif = image.getexif()
        assert dict(exif) == {ORIENTATION: 6}
        assert not exif.get_ifd(GPS_IFD)
        with Image.open(source) as camera:
            assert ImageChops.difference(image, camera).getbbox() is None
    # The next build (nothing changed) leaves it so; so does a clean one.
    again = run_build("--output", str(output), cwd=project,
                      env={"KILAS_NOW": "2024-09-30T12:00+07:00"})  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert (output / "images" / "lokasi-rahasia.jpg").read_bytes() == published
