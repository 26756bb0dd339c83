"""Differential cases: one request sent to the real PocketBase and to Ferrybase, answers compared.

A :class:`Side` is one server with signed-in clients for the actors ``guest``, ``superuser``
and any users the test module created. A :class:`Case` is a named request (plus optional
setup and teardown requests, sent as superuser) and :func:`answer` gives the status and the
body with the values that differ by nature masked: timestamps, tokens, and ids the server
generated. Ids the test chose itself (client-chosen record ids, collection ids derived from
names) are kept, so relations and ids are still compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest

SU_EMAIL = "admin@example.com"
SU_PASSWORD = "pass12345678"
DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$")
GENERATED_ID = re.compile(r"^[a-z0-9]{15}$")
# PocketBase names the indexes of a scaffold (a collection without id yet) with a random suffix.
SCAFFOLD_INDEX = re.compile(r"`idx_(\w+?)_[a-z0-9]{10}` ON ``")


@dataclass(frozen=True)
class Req:
    """One HTTP request as ``actor`` (``guest``, ``superuser`` or a user name)."""

    method: str
    path: str
    body: Any = None
    actor: str = "superuser"
    raw: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Case:
    """A named request with setup and teardown requests (sent before and after, on each side)."""

    id: str
    request: Req
    setup: tuple[Req, ...] = ()
    teardown: tuple[Req, ...] = ()
    # Follow-up requests whose answers are compared too (e.g. "the record is gone now").
    then: tuple[Req, ...] = ()


@dataclass
class Side:
    name: str
    url: str
    client: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)
    known_ids: set[str] = field(default_factory=set)
    # Mask 15-character ids the server generated (records); off where such strings are
    # deterministic (collection JSON: field ids such as ``email3885137012``).
    mask_generated_ids: bool = True

    def send(self, req: Req) -> httpx.Response:
        headers = dict(req.headers)
        if req.actor != "guest":
            headers["Authorization"] = self.tokens[req.actor]
        if req.raw is not None:
            return self.client.request(req.method, req.path, content=req.raw, headers=headers)
        if req.body is None:
            return self.client.request(req.method, req.path, headers=headers)
        return self.client.request(req.method, req.path, json=req.body, headers=headers)

    def must(self, req: Req) -> Any:
        """Send a setup request that has to succeed; its JSON body (or None)."""
        response = self.send(req)
        assert response.status_code < 300, (
            f"{self.name}: setup {req.method} {req.path} -> {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def sign_in(self, actor: str, collection: str, email: str, password: str) -> None:
        response = self.client.post(
            f"/api/collections/{collection}/auth-with-password",
            json={"identity": email, "password": password},
        )
        assert response.status_code == 200, f"{self.name}: sign in {email}: {response.text}"
        self.tokens[actor] = response.json()["token"]

    def answer(self, req: Req) -> tuple[int, Any]:
        response = self.send(req)
        if not response.content:
            return response.status_code, None
        try:
            body = response.json()
        except ValueError:
            return response.status_code, response.text
        known = self.known_ids if self.mask_generated_ids else None
        return response.status_code, mask(body, known)


def connect(name: str, url: str) -> Side:
    side = Side(name, url, httpx.Client(base_url=url, timeout=30))
    side.sign_in("superuser", "_superusers", SU_EMAIL, SU_PASSWORD)
    return side


def mask(value: Any, known_ids: set[str] | None, key: str = "") -> Any:
    """``value`` with timestamps, tokens and server-generated ids (any 15-character id not in
    ``known_ids``; none when it is ``None``) replaced by placeholders."""
    if isinstance(value, dict):
        return {k: mask(v, known_ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, known_ids, key) for v in value]
    if isinstance(value, str) and value:
        if key == "token":
            return "<token>"
        if DATETIME.match(value):
            return "<datetime>"
        if SCAFFOLD_INDEX.search(value):
            return SCAFFOLD_INDEX.sub(r"`idx_\1_<random>` ON ``", value)
        if known_ids is not None and GENERATED_ID.match(value) and value not in known_ids:
            return "<generated id>"
    return value


def run_case(sides: tuple[Side, Side], case: Case) -> list[tuple[str, Any, Any]]:
    """Send ``case`` to both sides; the requests whose masked answers differ, as
    ``(request, PocketBase's answer, Ferrybase's answer)``."""
    answers: list[list[tuple[int, Any]]] = []
    for side in sides:
        for req in case.setup:
            side.must(req)
        try:
            answers.append([side.answer(req) for req in (case.request, *case.then)])
        finally:
            for req in case.teardown:
                side.send(req)
    differences = []
    for req, expected, actual in zip(
        (case.request, *case.then), answers[0], answers[1], strict=True
    ):
        if expected != actual:
            body = req.raw if req.raw is not None else req.body
            label = f"{req.actor}: {req.method} {req.path} {body!r}"
            differences.append((label, expected, actual))
    return differences


def diff_paths(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as ``path: PocketBase's value != Ferrybase's value``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(expected.keys() | actual.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: missing in Ferrybase (PocketBase: {expected[key]!r:.120})")
            elif key not in expected:
                out.append(f"{sub}: only in Ferrybase ({actual[key]!r:.120})")
            else:
                out += diff_paths(expected[key], actual[key], sub)
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        out = []
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            out += diff_paths(a, b, f"{path}[{i}]")
        return out
    if expected == actual:
        return []
    return [f"{path or '<body>'}: {expected!r:.300} != {actual!r:.300}"]


def explain(differences: list[tuple[str, Any, Any]]) -> str:
    lines = []
    for request, expected, actual in differences:
        lines.append(request)
        if expected[0] != actual[0]:
            lines.append(f"  status: {expected[0]} != {actual[0]}")
        else:
            lines += [f"  {line}" for line in diff_paths(expected[1], actual[1])[:20]]
        lines += [f"  PocketBase: {expected!r:.2000}", f"  Ferrybase:  {actual!r:.2000}"]
    return "\n".join(lines)


def q(value: str) -> str:
    """``value`` encoded for a query string."""
    return quote(value, safe="")


# Requests as a named actor (``superuser`` unless given).
def get(path: str, actor: str = "superuser") -> Req:
    return Req("GET", path, actor=actor)


def post(path: str, body: Any, actor: str = "superuser") -> Req:
    return Req("POST", path, body, actor=actor)


def patch(path: str, body: Any, actor: str = "superuser") -> Req:
    return Req("PATCH", path, body, actor=actor)


def delete(path: str, actor: str = "superuser") -> Req:
    return Req("DELETE", path, actor=actor)


def case_params(cases: list[Case], known: dict[str, str]) -> list[Any]:
    """Cases as pytest params, the known differences skipped with their reason."""
    assert known.keys() <= {c.id for c in cases}, known.keys() - {c.id for c in cases}
    return [
        pytest.param(
            c,
            id=c.id,
            marks=[pytest.mark.skip(reason=f"known difference: {known[c.id]}")]
            if c.id in known
            else [],
        )
        for c in cases
    ]
