"""Images published as they are, without what cameras and tools wrote in them.

A JPEG, PNG or WebP that a text links (``{static}/images/x.jpg``) is
published as its file, not as copies made by ``kilas_images``. What its
camera or an editor's tools wrote in it goes: EXIF (GPS position, camera,
times), XMP, IPTC, comments, a JPEG's second pictures (a phone's depth map
or preview, with EXIF of their own) and anything after the picture's end.
The picture's own bytes are kept as they are (nothing is decoded or
compressed again); so are a JPEG's JFIF, colour profile and Adobe segments
and a PNG's colour chunks. A JPEG turned by its EXIF orientation keeps that
one tag.
"""

from __future__ import annotations

import os
import struct

from PIL import Image

ORIENTATION = 0x0112
_JPEG = b"\xff\xd8"
_PNG = b"\x89PNG\r\n\x1a\n"
# JPEG segments kept: JFIF (APP0), Adobe (APP14, its colour transform) and
# the frame, tables and scans; APP2 only for an ICC profile.
_KEPT_APPS = {0xE0, 0xEE}
_ICC = b"ICC_PROFILE\x00"
# PNG chunks of text, EXIF and time.
_PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
# WebP chunks of EXIF and XMP, and their flags in the VP8X chunk.
_WEBP_DROPPED = {b"EXIF", b"XMP "}
_WEBP_FLAGS = 0x08 | 0x04


def stripped(data: bytes) -> bytes | None:
    """``data`` without metadata; None when it holds none (or is not a
    JPEG, PNG or WebP this can read: it is published as it is)."""
    if data.startswith(_JPEG):
        result = _jpeg(data)
    elif data.startswith(_PNG):
        result = _png(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        result = _webp(data)
    else:
        return None
    return result if result is not None and result != data else None


def _jpeg(data: bytes) -> bytes | None:
    out = [_JPEG]
    at, size = 2, len(data)
    orientation = None
    while at + 2 <= size:
        if data[at] != 0xFF:
            return None  # not a marker where one must be: leave the file
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:  # end of image: what follows is dropped
            out.append(data[at : at + 2])
            break
        length = struct.unpack(">H", data[at + 2 : at + 4])[0] if at + 4 <= size else 0
        end = at + 2 + length
        if length < 2 or end > size:
            return None
        segment = data[at:end]
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if marker == 0xE1 and segment[4:10] == b"Exif\x00\x00":
                orientation = _orientation(segment[4:]) or orientation
            keep = marker in _KEPT_APPS or (
                marker == 0xE2 and segment[4 : 4 + len(_ICC)] == _ICC
            )
            if keep:
                out.append(segment)
            at = end
            continue
        out.append(segment)
        at = end
        if marker == 0xDA:  # a scan: its coded data, up to the next marker
            scan = at
            while True:
                at = data.find(b"\xff", at)
                if at == -1 or at + 1 >= size:
                    return None
                following = data[at + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    at += 2
                    continue
                break
            out.append(data[scan:at])
    else:
        return None
    if orientation not in (None, 1):
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        payload = exif.tobytes()
        app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
        first = out[1] if len(out) > 1 and out[1][:2] == b"\xff\xe0" else None
        out.insert(2 if first else 1, app1)
    return b"".join(out)


def _orientation(payload: bytes) -> int | None:
    try:
        exif = Image.Exif()
        exif.load(payload)
        return exif.get(ORIENTATION)
    except Exception:  # noqa: BLE001  (damaged EXIF: no orientation)
        return None


def _png(data: bytes) -> bytes | None:
    out = [_PNG]
    at, size = len(_PNG), len(data)
    while at + 12 <= size:
        length = struct.unpack(">I", data[at : at + 4])[0]
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > size:
            return None
        if kind not in _PNG_DROPPED:
            out.append(data[at:end])
        at = end
        if kind == b"IEND":
            return b"".join(out)
    return None


def _webp(data: bytes) -> bytes | None:
    chunks = []
    at, size = 12, min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    while at + 8 <= size:
        kind = data[at : at + 4]
        length = struct.unpack("<I", data[at + 4 : at + 8])[0]
        end = at + 8 + length + (length & 1)
        if end > size:
            return None
        if kind not in _WEBP_DROPPED:
            chunk = data[at:end]
            if kind == b"VP8X":
                flags = chunk[8] & ~_WEBP_FLAGS
                chunk = chunk[:8] + bytes([flags]) + chunk[9:]
            chunks.append(chunk)
        at = end
    body = b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def strip_file(path: str) -> bool:
    """Rewrite the file at ``path`` without its metadata (in one step);
    whether it held any."""
    with open(path, "rb") as handle:
        data = handle.read()
    result = stripped(data)
    if result is None:
        return False
    temporary = f"{path}.kilas-strip"
    with open(temporary, "wb") as handle:
        handle.write(result)
    os.replace(temporary, path)
    return True
