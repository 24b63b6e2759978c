"""Writes of one caller that arrive together are written together: one transaction, one commit.

A worker answering many creates of one caller at once used to write each in a transaction of its
own, on a thread of its own: per create a thread hop, three round trips and a commit (a flush to
disk on PostgreSQL), with the threads and the event loop taking turns at the GIL after every
round trip. Instead, the writes that arrive while an earlier batch of the same caller is being
written wait for it, then go in one call to a use case that takes many (returns.service.
create_returns judges each request as if it came alone and answers each on its own).

A caller alone never waits: its first write starts at once. Nothing is held back to fill a batch;
a batch is what piled up meanwhile, at most LIMIT. Every waiting request has its own result: a
refusal of one request is that request's answer only; what fails the whole call (the token, the
channel, the database) is every request's answer, and stores nothing for any of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

# The most writes one batch takes: a transaction stays short, and one caller's burst cannot make
# a single request wait behind hundreds of others.
LIMIT = 50

# Writes the batch: given the waiting items, one result (or exception) per item, in order.
WriteMany = Callable[[list[Any]], Awaitable[Sequence[Any]]]


@dataclass
class _Waiting:
    item: Any
    answer: asyncio.Future[Any]
    # The waiting request's own way to write a batch (its own authentication): a batch is
    # written by its first request's.
    write_many: WriteMany


@dataclass
class Together:
    """Per key (a caller and what their writes share), the writes waiting for the batch before."""

    limit: int = LIMIT
    _waiting: dict[Hashable, list[_Waiting]] = field(default_factory=dict)
    _batches: set[asyncio.Task[None]] = field(default_factory=set)  # kept: a task is only weakly held

    async def write(self, key: Hashable, item: Any, write_many: WriteMany) -> Any:
        """Write `item` with those of the same key that arrive meanwhile; its own result."""
        loop = asyncio.get_running_loop()
        key = (id(loop), key)  # a future belongs to its loop (tests run one app on several)
        waiting = _Waiting(item, loop.create_future(), write_many)
        queue = self._waiting.get(key)
        if queue is not None:  # a batch of this key is being written: go with the next one
            queue.append(waiting)
        else:
            self._waiting[key] = []
            batches = loop.create_task(self._write_batches(key, [waiting]))
            self._batches.add(batches)
            batches.add_done_callback(self._batches.discard)
        return await waiting.answer

    async def _write_batches(self, key: Hashable, batch: list[_Waiting]) -> None:
        try:
            while batch:
                await self._write_one(batch)
                queue = self._waiting[key]
                batch, self._waiting[key] = queue[: self.limit], queue[self.limit :]
        finally:
            for left in self._waiting.pop(key, []):  # only if this task was cancelled
                left.answer.cancel()

    async def _write_one(self, batch: list[_Waiting]) -> None:
        try:
            results: Sequence[Any] = await batch[0].write_many([waiting.item for waiting in batch])
        except Exception as failed:  # the whole call failed: so did each request in it
            results = [failed] * len(batch)
        except BaseException:
            for waiting in batch:
                waiting.answer.cancel()
            raise
        for waiting, result in zip(batch, results, strict=True):
            if waiting.answer.done():  # its request went away (the client hung up)
                continue
            if isinstance(result, BaseException):
                waiting.answer.set_exception(result)
            else:
                waiting.answer.set_result(result)
