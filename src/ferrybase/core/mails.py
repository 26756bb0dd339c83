"""Mails: PocketBase's e-mail templates rendered into :class:`Mail` values.

Each auth collection keeps its templates in its options (``verificationTemplate``,
``resetPasswordTemplate``, ``confirmEmailChangeTemplate``, ``otp.emailTemplate``,
``authAlert.emailTemplate``), each a ``{subject, body}`` with placeholders: ``{APP_NAME}``,
``{APP_URL}``, ``{TOKEN}``, ``{OTP}``, ``{OTP_ID}``, ``{ALERT_INFO}`` and ``{RECORD:field}``
for every visible field of the record. The body is wrapped in PocketBase's HTML layout and a
plain-text alternative is derived from it, as PocketBase's mailer does.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

from ferrybase.core.ports import Mail
from ferrybase.core.records import Record
from ferrybase.core.values import to_json

VERIFICATION = "verificationTemplate"
PASSWORD_RESET = "resetPasswordTemplate"
EMAIL_CHANGE = "confirmEmailChangeTemplate"
OTP = ("otp", "emailTemplate")
AUTH_ALERT = ("authAlert", "emailTemplate")

# PocketBase leaves these unescaped: their text cannot carry markup.
_UNESCAPED_TYPES = frozenset({"autodate", "date", "bool", "number"})

LAYOUT_HEAD = """
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <meta name="viewport" content="width=device-width,initial-scale=1" />
    <style>
        body, html {
            padding: 0;
            margin: 0;
            border: 0;
            color: #16161a;
            background: #fff;
            font-size: 14px;
            line-height: 20px;
            font-weight: normal;
            font-family: Source Sans Pro, sans-serif, emoji;
        }
        body {
            padding: 20px 30px;
        }
        strong {
            font-weight: bold;
        }
        em, i {
            font-style: italic;
        }
        p {
            display: block;
            margin: 10px 0;
            font-family: inherit;
        }
        small {
            font-size: 12px;
            line-height: 16px;
        }
        hr {
            display: block;
            height: 1px;
            border: 0;
            width: 100%;
            background: #e1e6ea;
            margin: 10px 0;
        }
        a {
            color: inherit;
        }
        .hidden {
            display: none !important;
        }
        .btn {
            display: inline-block;
            vertical-align: top;
            border: 0;
            cursor: pointer;
            color: #fff !important;
            background: #16161a !important;
            text-decoration: none !important;
            line-height: 40px;
            width: auto;
            min-width: 150px;
            text-align: center;
            padding: 0 20px;
            margin: 5px 0;
            font-family: Source Sans Pro, sans-serif, emoji;
            font-size: 14px;
            font-weight: bold;
            border-radius: 6px;
            box-sizing: border-box;
        }
    </style>
</head>
<body>
    """
LAYOUT_TAIL = "\n</body>\n</html>\n"


def render_mail(
    record: Record,
    template: str | tuple[str, str],
    settings: dict[str, Any],
    placeholders: dict[str, str],
    *,
    to: str | None = None,
) -> Mail:
    """The mail of one of ``record``'s collection templates, addressed to the record's email
    (or ``to``).

    ``placeholders`` are the flow's own (``{TOKEN}``, ``{OTP}``, ...): their values are put in
    as given. ``{RECORD:field}`` values are HTML-escaped (except dates, bools and numbers).

    >>> mail = render_mail(user, VERIFICATION, settings, {"{TOKEN}": token})
    """
    options = record.collection.options
    found = options[template[0]][template[1]] if isinstance(template, tuple) else options[template]
    values = {
        "{APP_NAME}": str(settings["meta"]["appName"]),
        "{APP_URL}": str(settings["meta"]["appURL"]),
        **record_placeholders(record),
        **placeholders,
    }
    subject = resolve(str(found.get("subject", "")), values)
    body = LAYOUT_HEAD + resolve(str(found.get("body", "")), values) + LAYOUT_TAIL
    return Mail(to or str(record.get("email")), subject, body, html_to_text(body))


def record_placeholders(record: Record) -> dict[str, str]:
    out: dict[str, str] = {}
    for field in record.collection.fields:
        if field.hidden:
            continue
        text = _as_text(to_json(field, record.get(field.name)))
        out["{RECORD:" + field.name + "}"] = (
            text if field.type in _UNESCAPED_TYPES else escape(text)
        )
    return out


def escape(text: str) -> str:
    """HTML-escape as Go's ``html.EscapeString`` (PocketBase's): ``&#39;`` and ``&#34;``."""
    return html.escape(text, quote=False).replace("'", "&#39;").replace('"', "&#34;")


def resolve(text: str, placeholders: dict[str, str]) -> str:
    """Replace every placeholder in one pass, so no value is itself searched for placeholders."""
    if not placeholders:
        return text
    pattern = re.compile(
        "|".join(re.escape(k) for k in sorted(placeholders, key=len, reverse=True))
    )
    return pattern.sub(lambda m: placeholders[m.group(0)], text)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value)  # cast.ToString of a slice is ""-ish
    return str(value)


# -- plain text alternative (PocketBase's tools/mailer/html2text.go) ------------------------

_SKIPPED = frozenset(
    {
        "style",
        "script",
        "iframe",
        "applet",
        "object",
        "svg",
        "img",
        "button",
        "form",
        "textarea",
        "input",
        "select",
        "option",
        "template",
        "head",
    }
)
_INLINE = frozenset({"a", "span", "small", "strike", "strong", "sub", "sup", "em", "b", "u", "i"})
_VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "col", "area", "base", "wbr"})
_SPACES = re.compile(r"\s+")


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.link: list[str] | None = None
        self.href = ""
        self.skipping = 0
        self.can_break = False

    def _write(self, text: str) -> None:
        (self.link if self.link is not None else self.out).append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping or tag in _SKIPPED:
            if tag not in _VOID:
                self.skipping += 1
            return
        # <br> always breaks; any other block element breaks after text.
        if tag == "br" or (self.can_break and tag not in _INLINE):
            self._write("\r\n")
            self.can_break = False
        if tag == "li":
            self._write("- ")
        if tag == "a" and self.link is None:
            self.link = []
            self.href = next((v or "" for k, v in attrs if k == "href"), "")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag in _SKIPPED and tag not in _VOID:
                self.skipping -= 1
            return
        if tag == "a" and self.link is not None:
            label = "".join(self.link).strip() or "LINK"
            self.link = None
            self.out.append(f"[{label}]" + (f"({self.href})" if self.href else ""))

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = _SPACES.sub(" ", data)
        if not self.can_break:
            text = text.lstrip(" ")
        if text:
            self._write(text)
            self.can_break = True


def html_to_text(document: str) -> str:
    """A rough plain-text rendering: links as ``[label](href)``, list items as ``- ``."""
    parser = _TextOf()
    parser.feed(document)
    parser.close()
    return "".join(parser.out).strip()
