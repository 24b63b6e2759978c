"""HTTP POSTs to webhook receivers, safe against server-side request forgery.

The host is resolved here, every address it resolves to is checked, and the connection goes to
the checked address (TLS still verifies the host name): a DNS answer that changes between the
check and the connect cannot steer us to a private address. Connections are kept alive per
receiver for the life of a Sender (one worker batch). Redirects are not followed.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from homeward.events.domain import Receiver, parse_url, refuse_private
from homeward.kit.errors import HomewardError

RESPONSE_READ_MAX = 64 * 1024
# A subscription's URL is parsed once, not on every POST (the parts never change).
_receiver = lru_cache(maxsize=4096)(parse_url)


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"{host} does not resolve ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_address(receiver: Receiver, allow_private: bool) -> str:
    """The address to connect to; raises RuleViolation for a private one (unless allowed)."""
    addresses = resolve(receiver.host, receiver.port)
    if not allow_private:
        refuse_private(receiver.host, addresses)
    return addresses[0]


class _OneWrite(http.client.HTTPConnection):
    """Sends a request's head and body in one write: http.client writes them apart, and with
    TCP_NODELAY (which keep-alive needs, or Nagle holds every body back for the receiver's delayed
    ACK) that is two packets per delivery, and two wake-ups of the receiver, for a body of a few
    hundred bytes."""

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if not isinstance(message_body, bytes) or encode_chunked:
            super()._send_output(message_body, encode_chunked)  # type: ignore[misc]  # http.client's own
            return
        head: list[bytes] = self._buffer  # type: ignore[attr-defined]  # http.client's own
        head.extend((b"", message_body))  # joined: the head, a blank line, the body
        message = b"\r\n".join(head)
        del head[:]
        self.send(message)


class _PinnedHTTP(_OneWrite):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection, _OneWrite):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str | None


class Sender:
    def __init__(self, *, timeout: float, allow_private: bool) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        started = time.perf_counter()
        try:
            receiver = _receiver(url)
            status = self._post(receiver, body, headers, retry_stale=True)
            return Outcome(status, _ms(started), None)
        except HomewardError as exc:  # refused address or URL
            return Outcome(None, _ms(started), "; ".join(str(e) for e in exc.errors) or exc.message)
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])

    def _post(self, receiver: Receiver, body: bytes, headers: dict[str, str], *, retry_stale: bool) -> int:
        key = (receiver.scheme, receiver.host, receiver.port)
        connection = self._connections.get(key)
        reused = connection is not None
        if connection is None:
            address = checked_address(receiver, self.allow_private)
            kind = _PinnedHTTPS if receiver.scheme == "https" else _PinnedHTTP
            connection = kind(receiver.host, receiver.port, address, self.timeout)
            self._connections[key] = connection
        try:
            connection.request("POST", receiver.target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(RESPONSE_READ_MAX)
            if response.will_close:
                self._drop(key)
            return response.status
        except (OSError, http.client.HTTPException):
            self._drop(key)
            if reused and retry_stale:  # the receiver closed a kept-alive connection: reconnect once
                return self._post(receiver, body, headers, retry_stale=False)
            raise

    def _drop(self, key: tuple[str, str, int]) -> None:
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
