"""A small asyncio HTTP/1.1 keep-alive client, cheap enough not to be what the benchmark measures.

The server and this client share a 2-core machine, so every microsecond the client spends is one
the server may not get; requests/httpx cost several times more per request than these few lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Request = tuple[str, str, Mapping[str, str], bytes]  # method, path+query, headers, body


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, target: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> Response:
        reused = self._writer is not None
        try:
            return await self._exchange(method, target, headers, body)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            if not reused:
                raise
            # The server may close an idle keep-alive connection; try once more on a fresh one.
            return await self._exchange(method, target, headers, body)

    async def _exchange(
        self, method: str, target: str, headers: Mapping[str, str] | None, body: bytes
    ) -> Response:
        if self._writer is None or self._reader is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        response_headers = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                response_headers[name.strip().lower()] = value.strip()
        if "content-length" in response_headers:
            content = await reader.readexactly(int(response_headers["content-length"]))
        elif response_headers.get("transfer-encoding", "").lower() == "chunked":
            content = await _read_chunked(reader)
        else:
            content = await reader.read()
            response_headers["connection"] = "close"
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, response_headers, content)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


@dataclass(frozen=True)
class Burst:
    requests: int
    seconds: float
    statuses: Counter[int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


async def burst(connections: list[Connection], count: int, make: Callable[[int], Request]) -> Burst:
    """Send `count` requests (make(0)..make(count-1)) over all connections at once; time the whole."""
    statuses: Counter[int] = Counter()
    next_index = 0

    async def worker(connection: Connection) -> None:
        nonlocal next_index
        while next_index < count:
            index, next_index = next_index, next_index + 1
            method, target, headers, body = make(index)
            statuses[(await connection.request(method, target, headers, body)).status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    return Burst(count, time.perf_counter() - started, statuses)


async def timed(connection: Connection, request: Request) -> tuple[float, Response]:
    """One request on an idle connection; returns (milliseconds, response)."""
    method, target, headers, body = request
    started = time.perf_counter()
    response = await connection.request(method, target, headers, body)
    return (time.perf_counter() - started) * 1000, response
