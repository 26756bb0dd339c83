"""Stored file names, content sniffing and thumbnails: PocketBase's rules, no I/O."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from ferrybase.core import sniff
from ferrybase.core.files import is_plain_name, normalize_name, snakecase
from ferrybase.files.thumbs import make_thumb

RANDOM = r"[a-z0-9]{10}"


@pytest.mark.parametrize(
    ("original", "pattern"),
    [
        ("My Photo.PNG", rf"my_photo_{RANDOM}\.PNG"),
        ("archive.tar.gz", rf"archive_{RANDOM}\.tar\.gz"),
        ("helloWorld.txt", rf"hello_world_{RANDOM}\.txt"),
        ("a.txt", rf"a{RANDOM}_{RANDOM}\.txt"),
        ("héllo wörld.jpg", rf"h_llo_w_rld_{RANDOM}\.jpg"),
        ("weird.ex t!", rf"weird_{RANDOM}\.ext"),
        ("x" * 150 + ".txt", rf"x{{100}}_{RANDOM}\.txt"),
        ("noext", rf"noext_{RANDOM}\.txt"),  # no bytes given: empty is text
    ],
)
def test_normalize_name(original: str, pattern: str) -> None:
    assert re.fullmatch(pattern, normalize_name(original)), normalize_name(original)


def test_a_missing_extension_comes_from_the_bytes() -> None:
    assert normalize_name("image", b"\x89PNG\r\n\x1a\n....").endswith(".png")
    assert normalize_name("notes", b"plain words").endswith(".txt")


def test_snakecase() -> None:
    assert snakecase("FooBar baz_QUX") == "foo_bar_baz_qux"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "a\x00b"])
def test_names_that_could_leave_a_folder(name: str) -> None:
    assert not is_plain_name(name)


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7", "application/pdf"),
        (b"hello", "text/plain; charset=utf-8"),
        (b"  <html><body>x", "text/html; charset=utf-8"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b'{"a": 1}', "application/json"),
        (b"\x00\x01\x02binary", "application/octet-stream"),
    ],
)
def test_sniff(head: bytes, mime: str) -> None:
    assert sniff.detect(head) == mime


def test_mime_matches_ignore_parameters_and_know_aliases() -> None:
    assert sniff.matches("text/plain; charset=utf-8", "text/plain")
    assert sniff.matches("image/jpeg", "image/jpg")
    assert not sniff.matches("application/json", "text/plain")


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), "green").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("100x100", (100, 100)),
        ("50x0", (50, 30)),
        ("0x60", (100, 60)),
        ("20x20f", (20, 12)),
        ("500x500f", (200, 120)),
        ("40x10t", (40, 10)),
        ("40x10b", (40, 10)),
    ],
)
def test_thumb_sizes(size: str, expected: tuple[int, int]) -> None:
    data, mime = make_thumb(_png(200, 120), size, "image/png")
    assert mime == "image/png"
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == expected


def test_thumb_formats_and_failures() -> None:
    out = io.BytesIO()
    Image.new("RGB", (30, 30), "blue").save(out, format="JPEG")
    data, mime = make_thumb(out.getvalue(), "10x10", "image/jpeg")
    assert mime == "image/jpeg" and data.startswith(b"\xff\xd8")
    webp = io.BytesIO()
    Image.new("RGB", (30, 30), "blue").save(webp, format="WEBP")
    assert make_thumb(webp.getvalue(), "10x10", "image/webp")[1] == "image/png"
    with pytest.raises(ValueError):
        make_thumb(b"not an image", "10x10", "image/png")
    with pytest.raises(ValueError):
        make_thumb(_png(10, 10), "0x0", "image/png")
