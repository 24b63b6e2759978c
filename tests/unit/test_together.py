"""A caller's writes that arrive together are written together, each answered for itself."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from homeward.doors.http.together import Together


class Writer:
    """A use case that takes many items; each call is held until the test lets it finish."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []
        self.release = asyncio.Event()

    async def write_many(self, items: list[Any]) -> Sequence[Any]:
        self.calls.append(items)
        await self.release.wait()
        return [
            ValueError(f"refused {item}") if str(item).startswith("bad") else f"done {item}" for item in items
        ]


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


class Scene:
    """A Together and a held Writer; send() starts a request's write."""

    def __init__(self, limit: int = 50) -> None:
        self.together, self.writer = Together(limit=limit), Writer()

    def send(self, item: Any, key: str = "caller") -> asyncio.Task[Any]:
        return asyncio.create_task(self.together.write(key, item, self.writer.write_many))

    async def a_batch_in_flight(self) -> asyncio.Task[Any]:
        first = self.send("a")
        await _settle()
        return first


def test_a_write_alone_starts_at_once() -> None:
    async def scenario() -> None:
        together, writer = Together(), Writer()
        writer.release.set()
        assert await together.write("caller", 1, writer.write_many) == "done 1"
        assert writer.calls == [[1]]

    asyncio.run(scenario())


def test_writes_arriving_meanwhile_go_together_in_order_each_with_its_answer() -> None:
    async def scenario() -> None:
        scene = Scene()
        first = await scene.a_batch_in_flight()
        rest = [scene.send(item) for item in "bcd"]
        await _settle()
        scene.writer.release.set()
        answers = await asyncio.gather(first, *rest)
        assert scene.writer.calls == [["a"], ["b", "c", "d"]]
        assert answers == ["done a", "done b", "done c", "done d"]

    asyncio.run(scenario())


def test_a_refusal_is_its_own_requests_answer_only() -> None:
    async def scenario() -> None:
        scene = Scene()
        first = await scene.a_batch_in_flight()
        bad, good = scene.send("bad-b"), scene.send("c")
        await _settle()
        scene.writer.release.set()
        assert await first == "done a" and await good == "done c"
        with pytest.raises(ValueError, match="refused bad-b"):
            await bad

    asyncio.run(scenario())


def test_when_the_whole_call_fails_every_request_in_it_hears_why() -> None:
    async def scenario() -> None:
        together = Together()

        async def down(items: list[Any]) -> Sequence[Any]:
            await asyncio.sleep(0.01)
            raise ConnectionError("the database is away")

        tasks = [asyncio.create_task(together.write("caller", n, down)) for n in range(4)]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, ConnectionError) for r in results)

        ok = Writer()
        ok.release.set()
        assert await together.write("caller", 9, ok.write_many) == "done 9"  # the key is free again

    asyncio.run(scenario())


def test_callers_are_never_mixed_and_a_batch_takes_at_most_the_limit() -> None:
    async def scenario() -> None:
        together, writer = Together(limit=2), Writer()
        firsts = [
            asyncio.create_task(together.write(key, f"{key}0", writer.write_many)) for key in ("x", "y")
        ]
        await _settle()
        later = [asyncio.create_task(together.write("x", f"x{n}", writer.write_many)) for n in range(1, 6)]
        await _settle()
        writer.release.set()
        await asyncio.gather(*firsts, *later)
        assert writer.calls == [["x0"], ["y0"], ["x1", "x2"], ["x3", "x4"], ["x5"]]

    asyncio.run(scenario())


def test_a_request_that_went_away_does_not_stop_the_others() -> None:
    async def scenario() -> None:
        scene = Scene()
        first = await scene.a_batch_in_flight()
        gone, stays = scene.send("b"), scene.send("c")
        await _settle()
        gone.cancel()
        scene.writer.release.set()
        assert await first == "done a" and await stays == "done c"
        assert gone.cancelled()

    asyncio.run(scenario())
