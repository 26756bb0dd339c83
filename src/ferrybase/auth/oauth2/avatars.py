"""The download of a provider's picture of the user (``core/oauth2.py``'s ``AvatarDownloads``).

The URL comes from the provider's user data, so it is fetched the way PocketBase fetches it:
only from public addresses (no loopback, private, link-local, multicast or unspecified one),
checked on the address actually connected to, so a name that resolves elsewhere later (DNS
rebinding) gains nothing; redirects are followed (10 at most), each hop checked alike.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpcore2
import httpx2

MAX_REDIRECTS = 10


class AddressNotAllowed(httpcore2.ConnectError):
    """The host resolves to no address a download may connect to."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback or ip.is_unspecified or ip.is_private or ip.is_link_local or ip.is_multicast
    )


class _CheckedBackend(httpcore2.AsyncNetworkBackend):
    """Resolves the host itself and connects only to an allowed address of it."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.backend = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [str(info[4][0]) for info in infos]
        allowed = [a for a in addresses if self.allow_private or is_public(a)]
        if not allowed:
            raise AddressNotAllowed(f"{host} resolves to no allowed address: {addresses}")
        failure: Exception | None = None
        for address in dict.fromkeys(allowed):
            try:
                # TLS still verifies (and sends SNI for) ``host``: httpcore2 takes the name
                # from the request, not from the address connected to.
                return await self.backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore2.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise AddressNotAllowed("no Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class _Body(httpx2.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self.stream:
            yield part

    async def aclose(self) -> None:
        if hasattr(self.stream, "aclose"):
            await self.stream.aclose()


class _CheckedTransport(httpx2.AsyncBaseTransport):
    """httpx2's default transport, with :class:`_CheckedBackend` as its network."""

    def __init__(self, allow_private: bool) -> None:
        self.pool = httpcore2.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(),
            network_backend=_CheckedBackend(allow_private),
        )

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        core_request = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self.pool.handle_async_request(core_request)
        return httpx2.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.pool.aclose()


class AvatarDownloads:
    """:class:`ferrybase.core.oauth2.AvatarDownloads` over HTTP(S).

    ``allow_private`` lifts the address check, for tests serving pictures on loopback.
    """

    def __init__(self, *, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    async def download(self, url: str, max_size: int) -> bytes:
        scheme = url.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"not an HTTP URL: {url}")
        async with (
            httpx2.AsyncClient(
                transport=_CheckedTransport(self.allow_private),
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                trust_env=False,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if not 200 <= response.status_code <= 399:
                raise ValueError(f"failed to download {url} ({response.status_code})")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_size:
                    raise ValueError(f"{url} is larger than {max_size} bytes")
            return bytes(body)
