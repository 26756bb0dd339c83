"""Content types from the bytes, never from the client: the formats PocketBase's detector
(gabriel-vasile/mimetype) tells apart that matter for uploads and for serving files.

``detect`` reads at most :data:`READ_LIMIT` bytes, as the detector does, and answers with the
parameters the detector adds (``text/plain; charset=utf-8``); :func:`matches` compares the
``type/subtype`` part and the aliases, as ``mimetype.MIME.Is`` does for ``mimeTypes``.
"""

from __future__ import annotations

import json

READ_LIMIT = 3072
OCTET_STREAM = "application/octet-stream"

# (prefix at offset 0, content type, extension)
_PREFIXES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"BM", "image/bmp", ".bmp"),
    (b"\x00\x00\x01\x00", "image/x-icon", ".ico"),
    (b"II*\x00", "image/tiff", ".tiff"),
    (b"MM\x00*", "image/tiff", ".tiff"),
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x1f\x8b", "application/gzip", ".gz"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", ".7z"),
    (b"Rar!\x1a\x07", "application/x-rar-compressed", ".rar"),
    (b"fLaC", "audio/flac", ".flac"),
    (b"OggS", "application/ogg", ".ogg"),
    (b"ID3", "audio/mpeg", ".mp3"),
    (b"\x1a\x45\xdf\xa3", "video/webm", ".webm"),
    (b"wOFF", "font/woff", ".woff"),
    (b"wOF2", "font/woff2", ".woff2"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3", ".sqlite"),
)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_FTYP = {
    b"avif": ("image/avif", ".avif"),
    b"avis": ("image/avif", ".avif"),
    b"heic": ("image/heic", ".heic"),
    b"heix": ("image/heic", ".heic"),
    b"mif1": ("image/heif", ".heif"),
    b"qt  ": ("video/quicktime", ".mov"),
    b"3gp4": ("video/3gpp", ".3gp"),
    b"3gp5": ("video/3gpp", ".3gp"),
    b"M4A ": ("audio/x-m4a", ".m4a"),
}
_HTML_TAGS = (
    b"<!DOCTYPE HTML",
    b"<HTML",
    b"<HEAD",
    b"<SCRIPT",
    b"<IFRAME",
    b"<H1",
    b"<DIV",
    b"<FONT",
    b"<TABLE",
    b"<A",
    b"<STYLE",
    b"<TITLE",
    b"<B",
    b"<BODY",
    b"<BR",
    b"<P",
    b"<!--",
)
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/xml": ".xml",
    "image/svg+xml": ".svg",
    "application/json": ".json",
    "audio/wav": ".wav",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/x-msvideo": ".avi",
    "application/zip": ".zip",
}
_ALIASES = {
    "image/jpeg": ("image/jpg", "image/pjpeg"),
    "image/x-icon": ("image/vnd.microsoft.icon",),
    "application/gzip": ("application/x-gzip", "application/gzip-compressed"),
    "application/pdf": ("application/x-pdf",),
    "audio/mpeg": ("audio/x-mpeg", "audio/mp3", "audio/x-mp3"),
    "audio/wav": ("audio/x-wav", "audio/vnd.wave", "audio/wave"),
    "application/zip": ("application/x-zip", "application/x-zip-compressed"),
    "text/xml": ("application/xml",),
    "audio/flac": ("audio/x-flac",),
    "image/bmp": ("image/x-bmp", "image/x-ms-bmp"),
}


def detect(head: bytes) -> str:
    """The content type of data starting with ``head`` (the first :data:`READ_LIMIT` bytes)."""
    head = head[:READ_LIMIT]
    for prefix, mime, _ in _PREFIXES:
        if head.startswith(prefix):
            return mime
    if head.startswith(_ZIP):
        return "application/zip"
    if head[:4] == b"RIFF" and len(head) >= 12:
        kind = head[8:12]
        if kind == b"WEBP":
            return "image/webp"
        if kind == b"WAVE":
            return "audio/wav"
        if kind == b"AVI ":
            return "video/x-msvideo"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        return _FTYP.get(head[8:12], ("video/mp4", ".mp4"))[0]
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "audio/mpeg"  # an MPEG audio frame without an ID3 tag
    if not _is_text(head):
        return OCTET_STREAM
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b"\t\n\x0c\r ")
    if _is_html(text):
        return "text/html; charset=utf-8"
    if b"<svg" in head:
        return "image/svg+xml"
    if text[:5].upper() == b"<?XML":
        return "text/xml; charset=utf-8"
    if _is_json(text, complete=len(head) < READ_LIMIT):
        return "application/json"
    return "text/plain; charset=utf-8"


def extension(mime: str) -> str:
    """The extension the detector gives a content type (``""`` when it knows none)."""
    base = essence(mime)
    for _, known, ext in _PREFIXES:
        if known == base:
            return ext
    for known, ext in _FTYP.values():
        if known == base:
            return ext
    return _EXTENSIONS.get(base, "")


def essence(mime: str) -> str:
    """``type/subtype`` without parameters, lower case."""
    return mime.split(";", 1)[0].strip().lower()


def matches(detected: str, wanted: str) -> bool:
    """Whether the detected type, or one of its aliases, is ``wanted`` (parameters ignored)."""
    base, target = essence(detected), essence(wanted)
    return target == base or target in _ALIASES.get(base, ())


def _is_text(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")):
        return True
    # WHATWG's binary data bytes: any of them makes the data binary.
    return not any(b <= 0x08 or b == 0x0B or 0x0E <= b <= 0x1A or 0x1C <= b <= 0x1F for b in head)


def _is_html(text: bytes) -> bool:
    upper = text[:32].upper()
    for tag in _HTML_TAGS:
        if upper.startswith(tag) and len(text) > len(tag) and text[len(tag)] in b" >":
            return True
    return False


def _is_json(text: bytes, *, complete: bool) -> bool:
    if len(text) < 2 or text[:1] not in (b"[", b"{"):
        return False
    if not complete:
        return False  # a partial document cannot be checked here; call it text
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
