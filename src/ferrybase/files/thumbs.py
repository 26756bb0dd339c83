"""Thumbnails with Pillow, PocketBase's sizes and formats, in a worker thread.

``WxH`` crops to fill the box from the centre (``t``: from the top, ``b``: from the bottom),
``WxHf`` fits inside it without enlarging, ``0xH``/``Wx0`` keep the aspect ratio. EXIF
orientation is applied first. JPEG, GIF, TIFF and BMP originals keep their format; anything
else (PNG, WebP) becomes PNG.
"""

from __future__ import annotations

import asyncio
import io
import math

from PIL import Image, ImageOps

from ferrybase.core.files import THUMB_SIZE

_FORMATS = {
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/tiff": "TIFF",
    "image/bmp": "BMP",
}
_FILTER = Image.Resampling.BILINEAR  # imaging.Linear


class PillowThumbnailer:
    """The :class:`~ferrybase.core.files.Thumbnailer` of ``server.py``."""

    async def make(self, original: bytes, size: str, content_type: str) -> tuple[bytes, str]:
        return await asyncio.to_thread(make_thumb, original, size, content_type)


def make_thumb(original: bytes, size: str, content_type: str) -> tuple[bytes, str]:
    """The thumbnail of an image and its content type; ``ValueError`` when it cannot be."""
    match = THUMB_SIZE.match(size)
    if match is None:
        raise ValueError("thumb size must be in WxH, WxHt, WxHb or WxHf format")
    width, height, mode = int(match[1]), int(match[2]), match[3] or ""
    if width == 0 and height == 0:
        raise ValueError("thumb width and height cannot be zero at the same time")
    try:
        with Image.open(io.BytesIO(original)) as opened:
            opened.seek(0)
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError(f"cannot decode the image: {exc}") from exc
    if width == 0 or height == 0:
        thumb = _resize(image, width, height)
    elif mode == "f":
        thumb = _fit(image, width, height)
    else:
        centering = {"t": (0.5, 0.0), "b": (0.5, 1.0)}.get(mode, (0.5, 0.5))
        thumb = ImageOps.fit(image, (width, height), method=_FILTER, centering=centering)
    target = _FORMATS.get(content_type, "PNG")
    if target in ("JPEG", "BMP") and thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    out = io.BytesIO()
    thumb.save(out, format=target, **({"quality": 95} if target == "JPEG" else {}))
    return out.getvalue(), content_type if target != "PNG" else "image/png"


def _resize(image: Image.Image, width: int, height: int) -> Image.Image:
    """imaging.Resize with one side 0: that side follows the aspect ratio."""
    src_w, src_h = image.size
    if width == 0:
        width = max(1, math.floor(height * src_w / src_h + 0.5))
    if height == 0:
        height = max(1, math.floor(width * src_h / src_w + 0.5))
    return image.resize((width, height), _FILTER)


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """imaging.Fit: scaled down to fit the box, aspect kept; smaller images as they are."""
    src_w, src_h = image.size
    if src_w <= width and src_h <= height:
        return image.copy()
    src_aspect, box_aspect = src_w / src_h, width / height
    if src_aspect > box_aspect:
        new_w, new_h = width, int(width / src_aspect + 0.5)
    else:
        new_w, new_h = int(height * src_aspect + 0.5), height
    return image.resize((max(new_w, 1), max(new_h, 1)), _FILTER)
