"""SMTP delivery of the core's mails, configured by the settings document at send time.

``smtp.{enabled, host, port, username, password, authMethod, tls, localName}`` choose the
server and ``meta.{senderName, senderAddress}`` the sender, read anew for each mail so a
``PATCH /api/settings`` applies at once. As PocketBase: ``tls`` means implicit TLS, otherwise
STARTTLS is used whenever the server offers it; ``authMethod`` is ``PLAIN`` (the default) or
``LOGIN``, and credentials are only sent over TLS or to a local server.

Where PocketBase falls back to the local ``sendmail`` binary while SMTP is disabled, Ferrybase
logs a warning (recipient domain and subject only) and drops the mail: a server rarely has a
configured ``sendmail``, and a silent attempt hides the misconfiguration.

Nothing logged here carries a password or a mail body (bodies hold sign-in tokens).
"""

from __future__ import annotations

import logging
import secrets
import ssl
import string
from email.charset import QP, Charset
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate
from typing import Any, Protocol

import aiosmtplib

from ferrybase.core.ports import Mail

log = logging.getLogger("ferrybase.mail")

TIMEOUT = 30.0
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_ALNUM = string.ascii_letters + string.digits


class SettingsSource(Protocol):
    async def load(self) -> dict[str, Any]: ...


class MailNotSentError(Exception):
    """SMTP refused or failed; the message says why without any secret."""


class SmtpMailer:
    """The :class:`~ferrybase.core.ports.Mailer` of a running server.

    >>> mailer = SmtpMailer(Settings(store))
    >>> await mailer.send(Mail("ann@example.com", "Hello", "<p>Hi</p>"))
    """

    def __init__(self, settings: SettingsSource, *, timeout: float = TIMEOUT) -> None:
        self.settings = settings
        self.timeout = timeout

    async def send(self, mail: Mail) -> None:
        settings = await self.settings.load()
        smtp, meta = settings["smtp"], settings["meta"]
        if not smtp.get("enabled"):
            log.warning(
                "mail to @%s not sent (%r): SMTP is disabled in the settings",
                mail.to.rpartition("@")[2],
                mail.subject,
            )
            return
        message = build_message(mail, str(meta["senderName"]), str(meta["senderAddress"]))
        await self._deliver(smtp, message)

    async def _deliver(self, smtp: dict[str, Any], message: MIMEMultipart) -> None:
        host, tls = str(smtp["host"]), bool(smtp.get("tls"))
        client = aiosmtplib.SMTP(
            hostname=host,
            port=int(smtp["port"]),
            use_tls=tls,
            start_tls=False if tls else None,  # None: upgrade when the server offers it
            local_hostname=str(smtp.get("localName") or "") or None,
            timeout=self.timeout,
            tls_context=ssl.create_default_context(),
        )
        try:
            async with client:
                username, password = (
                    str(smtp.get("username") or ""),
                    str(smtp.get("password") or ""),
                )
                if username or password:
                    encrypted = client.get_transport_info("sslcontext") is not None
                    if not encrypted and host not in _LOCAL_HOSTS:
                        raise MailNotSentError("refusing to send credentials unencrypted")
                    if str(smtp.get("authMethod") or "").upper() == "LOGIN":
                        await client.auth_login(username, password)
                    else:
                        await client.auth_plain(username, password)
                await client.send_message(message)
        except aiosmtplib.SMTPException as exc:
            # aiosmtplib's messages are the server's replies: no credentials in them.
            raise MailNotSentError(f"{type(exc).__name__}: {exc}") from exc


def build_message(mail: Mail, sender_name: str, sender_address: str) -> MIMEMultipart:
    """A multipart/alternative message: the plain text first, then the HTML, both
    quoted-printable UTF-8 and left exactly as given (no trailing newline added)."""
    charset = Charset("utf-8")
    charset.body_encoding = QP
    message = MIMEMultipart("alternative", policy=SMTP_POLICY)
    message["From"] = formataddr((sender_name, sender_address))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender_address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{''.join(secrets.choice(_ALNUM) for _ in range(15))}@{domain}>"
    for subtype, content in (("plain", mail.text), ("html", mail.html)):
        part = MIMENonMultipart("text", subtype)
        part.set_payload(content, charset)
        message.attach(part)
    return message
