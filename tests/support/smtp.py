"""A real SMTP server for tests (aiosmtpd, on a free local port) that keeps what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.servers import free_port


class ReceivedMail:
    """One delivered message: envelope and parsed content."""

    def __init__(self, envelope: Envelope) -> None:
        self.sender = str(envelope.mail_from)
        self.recipients = [str(r) for r in envelope.rcpt_tos]
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.message = parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        content = body.get_content()
        assert isinstance(content, str)
        return content

    def link(self) -> str:
        """The href of the mail's button (``<a class="btn" href="...">``)."""
        found = re.search(r'<a class="btn" href="([^"]+)"', self.part("html"))
        assert found is not None, "no link in the mail"
        return found.group(1)

    def token(self) -> str:
        """The token at the end of the mail's link."""
        return self.link().rsplit("/", 1)[1]


class _Handler:
    def __init__(self, inbox: SmtpInbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.inbox.add(ReceivedMail(envelope))
        return "250 Message accepted for delivery"


class _CountedSMTP(SMTP):
    """Keeps the inbox's set of open client sessions."""

    def __init__(self, inbox: SmtpInbox, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox = inbox

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        with self._inbox._lock:
            self._inbox.sessions.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        with self._inbox._lock:
            self._inbox.sessions.discard(self)
        super().connection_lost(error)


class _Controller(Controller):
    def __init__(self, inbox: SmtpInbox, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox = inbox

    def factory(self) -> SMTP:
        return _CountedSMTP(self._inbox, self.handler, **self.SMTP_kwargs)


class SmtpInbox:
    """The mails the server received, in order (and the sign-ins it saw, when it wants one)."""

    def __init__(self, port: int, credentials: tuple[str, str] | None = None) -> None:
        self.port = port
        self.host = "127.0.0.1"
        self.credentials = credentials
        # (mechanism, accepted) of every AUTH attempt
        self.sign_ins: list[tuple[str, bool]] = []
        self._mails: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self.sessions: set[SMTP] = set()  # open client connections (the server's thread)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        accepted = (
            isinstance(data, LoginPassword)
            and self.credentials is not None
            and (data.login.decode(), data.password.decode()) == self.credentials
        )
        self.sign_ins.append((mechanism, accepted))
        return AuthResult(success=accepted, handled=False)

    def add(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._mails.append(mail)

    @property
    def mails(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._mails)

    def settings(self) -> dict[str, Any]:
        """The ``smtp`` settings section that points at this server."""
        return {"enabled": True, "host": self.host, "port": self.port, "tls": False}

    async def next_mail(self, after: int, wait: float = 5.0) -> ReceivedMail:
        """The mail number ``after`` (0-based), waiting for it to arrive."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while loop.time() < deadline:
            mails = self.mails
            if len(mails) > after:
                return mails[after]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no mail #{after} within {wait}s ({len(self.mails)} received)")


@contextmanager
def running_inbox(credentials: tuple[str, str] | None = None) -> Iterator[SmtpInbox]:
    """A server on a free port; with ``credentials`` it requires AUTH (PLAIN or LOGIN,
    allowed without TLS because it listens on 127.0.0.1 only)."""
    inbox = SmtpInbox(free_port(), credentials)
    options: dict[str, Any] = {}
    if credentials is not None:
        options = {
            "authenticator": inbox.authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = _Controller(
        inbox, _Handler(inbox), hostname=inbox.host, port=inbox.port, **options
    )
    controller.start()
    try:
        yield inbox
    finally:
        # A mail is in the inbox at DATA, before the client's QUIT: a session still open when
        # the server's loop stops would leave its socket to the garbage collector (a
        # ResourceWarning that fails whichever test runs then). Close them on that loop.
        def hang_up() -> None:
            for session in list(inbox.sessions):
                if session.transport is not None:
                    session.transport.close()

        if inbox.sessions:
            controller.loop.call_soon_threadsafe(hang_up)
            deadline = time.monotonic() + 5
            while inbox.sessions and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.05)  # their handler tasks see the cancellation through
        controller.stop()


@pytest.fixture
def smtp_inbox() -> Iterator[SmtpInbox]:
    with running_inbox() as inbox:
        yield inbox
