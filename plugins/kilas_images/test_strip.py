"""strip.py: metadata goes, the picture's bytes stay."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, PngImagePlugin

from .strip import ORIENTATION, stripped

GPS_IFD = 0x8825


def _exif(orientation: int | None = 6) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    exif[0x010F] = "KameraBerita"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 6.0, 1.0)})
    return exif.tobytes()


def _picture() -> Image.Image:
    return Image.effect_noise((64, 48), 40).convert("RGB")


def _jpeg(**options) -> bytes:
    out = io.BytesIO()
    _picture().save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def _same_pixels(before: bytes, after: bytes) -> bool:
    with Image.open(io.BytesIO(before)) as a, Image.open(io.BytesIO(after)) as b:
        return (
            ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None
        )


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><GPSLatitude>40,6N</GPSLatitude></x:xmpmeta>'
)


@pytest.mark.parametrize("progressive", [False, True])
def test_a_jpeg_loses_exif_xmp_and_comments_and_keeps_its_picture(progressive):
    data = _jpeg(
        exif=_exif(), xmp=XMP, comment=b"dari KameraBerita", progressive=progressive
    )
    # A phone's second picture (a preview with EXIF of its own) after the end.
    data += _jpeg(exif=_exif())
    result = stripped(data)
    assert result is not None
    assert b"KameraBerita" not in result and b"GPSLatitude" not in result
    assert _same_pixels(data, result)
    with Image.open(io.BytesIO(result)) as image:
        exif = image.getexif()
        assert dict(exif) == {ORIENTATION: 6}  # the one tag a viewer needs
        assert not exif.get_ifd(GPS_IFD)
        assert "comment" not in image.info and "xmp" not in image.info
    assert result.endswith(b"\xff\xd9") and result.count(b"\xff\xd8") == 1
    # The scans themselves are the original's bytes.
    start = data.index(b"\xff\xda")
    assert data[start : data.index(b"\xff\xd9", start)] in result
    assert stripped(result) is None  # nothing left to take


def test_a_jpeg_without_metadata_is_left_alone():
    assert stripped(_jpeg()) is None
    assert stripped(_jpeg(exif=_exif(orientation=None))) is not None


def test_a_png_and_a_webp_lose_their_metadata():
    picture = _picture()
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "KameraBerita di 40,6N")
    picture.save(out, "PNG", pnginfo=info, exif=_exif())
    png = out.getvalue()
    out = io.BytesIO()
    picture.save(out, "WEBP", lossless=True, exif=_exif(), xmp=XMP)
    webp = out.getvalue()
    for data in (png, webp):
        result = stripped(data)
        assert result is not None, data[:16]
        assert b"KameraBerita" not in result and b"GPSLatitude" not in result
        assert _same_pixels(data, result)
        with Image.open(io.BytesIO(result)) as image:
            assert not image.getexif()
            assert "xmp" not in image.info


@pytest.mark.parametrize(
    "data", [b"", b"GIF89a", b"\xff\xd8\xff\xe1\x00\x10Exif", b"\x89PNG\r\n\x1a\nrusak"]
)
def test_what_it_cannot_read_is_published_as_it_is(data):
    assert stripped(data) is None
