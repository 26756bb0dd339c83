"""Mail rendering: PocketBase's placeholders, escaping, layout and plain-text alternative."""

from __future__ import annotations

from typing import Any

import pytest

from ferrybase.core.collections import Collection, auth_system_fields
from ferrybase.core.fields import Field
from ferrybase.core.mails import (
    PASSWORD_RESET,
    VERIFICATION,
    html_to_text,
    render_mail,
    resolve,
)
from ferrybase.core.records import Record
from ferrybase.core.settings import DEFAULTS

SETTINGS: dict[str, Any] = {**DEFAULTS, "meta": {**DEFAULTS["meta"], "appName": "Ferry"}}


def user(**data: Any) -> Record:
    fields = [*auth_system_fields(), Field("name", "text"), Field("age", "number")]
    collection = Collection(
        "users",
        type="auth",
        fields=fields,
        options={
            "verificationTemplate": {
                "subject": "Hi {RECORD:name} from {APP_NAME}",
                "body": "<p>{RECORD:name} {RECORD:age} {RECORD:verified} {TOKEN}</p>"
                "<p>{RECORD:tokenKey}{RECORD:password}</p>",
            }
        },
    )
    base = {
        "id": "abcdefghij12345",
        "email": "ann@example.com",
        "tokenKey": "secret-token-key",
        "password": "$2a$hash",
        "verified": False,
        "name": "Ann",
        "age": 7,
    }
    return Record(collection, {**base, **data})


def test_record_values_are_escaped_and_hidden_fields_left_alone() -> None:
    mail = render_mail(user(name='<b>"Ann"</b>'), VERIFICATION, SETTINGS, {"{TOKEN}": "T.K"})
    assert mail.to == "ann@example.com"
    assert mail.subject == "Hi &lt;b&gt;&#34;Ann&#34;&lt;/b&gt; from Ferry"
    assert "<p>&lt;b&gt;&#34;Ann&#34;&lt;/b&gt; 7 false T.K</p>" in mail.html
    # Hidden fields (tokenKey, password) have no placeholder: their text stays as written.
    assert "<p>{RECORD:tokenKey}{RECORD:password}</p>" in mail.html
    assert "secret-token-key" not in mail.html


def test_placeholder_values_are_not_searched_for_placeholders() -> None:
    mail = render_mail(user(name="{TOKEN}"), VERIFICATION, SETTINGS, {"{TOKEN}": "T"})
    assert "<p>{TOKEN} 7 false T</p>" in mail.html


def test_default_template_in_pocketbase_layout_with_plain_text() -> None:
    collection = Collection("users", type="auth", fields=auth_system_fields())
    record = Record(collection, {"id": "x" * 15, "email": "ann@example.com", "tokenKey": "k"})
    mail = render_mail(record, PASSWORD_RESET, SETTINGS, {"{TOKEN}": "tok"}, to="b@example.com")
    assert mail.to == "b@example.com"
    assert mail.subject == "Reset your Ferry password"
    assert mail.html.startswith('\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"')
    assert mail.html.endswith("</p>\n</body>\n</html>\n")
    link = "http://localhost:8090/_/#/auth/confirm-password-reset/tok"
    assert f'href="{link}"' in mail.html
    # PocketBase's plain text of the same template, byte for byte (captured from 0.40.6).
    assert mail.text == (
        "Hello, \r\n"
        "Click on the button below to reset your password. \r\n"
        f"[Reset password]({link})  \r\n"
        "If you didn't ask to reset your password, please ignore this email. \r\n"
        "Thanks,\r\n"
        "Ferry team"
    )


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>a</p><p>b</p>", "a\r\nb"),
        ("<ul><li>one</li><li>two</li></ul>", "- one\r\n- two"),
        ('<p>go <a href="https://x.io">there</a> now</p>', "go [there](https://x.io) now"),
        ('<a href="https://x.io"></a>', "[LINK](https://x.io)"),
        ("<style>p {}</style><script>x()</script><p>shown</p>", "shown"),
        ("<p>a<br>b</p>", "a\r\nb"),
        ("<p>&lt;tag&gt; &amp;</p>", "<tag> &"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_resolve_prefers_the_longest_placeholder() -> None:
    assert resolve("{OTP_ID}/{OTP}", {"{OTP}": "1", "{OTP_ID}": "2"}) == "2/1"
