"""Subscriptions asking the same thing share one execution; each member still gets every result."""

import asyncio
from collections.abc import AsyncIterator

from strawberry.types import ExecutionResult

from live.buffer import BUFFER
from live.multiplex import key_of
from schema.subscriptions import SharedSubscriptions as Multiplexer


class Source:
    """An execution that counts its starts and yields what the test feeds it."""

    def __init__(self) -> None:
        self.starts = 0
        self.queue: asyncio.Queue[ExecutionResult | None] = asyncio.Queue()

    async def start(self) -> AsyncIterator[ExecutionResult]:
        self.starts += 1
        return self.results()

    async def results(self) -> AsyncIterator[ExecutionResult]:
        while (result := await self.queue.get()) is not None:
            yield result


def result(n: int) -> ExecutionResult:
    return ExecutionResult(data={"n": n}, errors=None)


async def take(stream: AsyncIterator[ExecutionResult], count: int) -> list[ExecutionResult]:
    return [await anext(stream) for _ in range(count)]


async def test_the_same_document_and_variables_execute_once_for_every_subscriber() -> None:
    multiplexer, source = Multiplexer(), Source()
    key = key_of("subscription { x }", None, {"a": 1})
    first, second = multiplexer.stream(key, source.start), multiplexer.stream(key, source.start)
    taking = [asyncio.create_task(take(first, 2)), asyncio.create_task(take(second, 2))]
    while multiplexer.executions == 0 or source.starts == 0:  # noqa: ASYNC110 - only counts show it
        await asyncio.sleep(0.01)
    for n in (1, 2):
        source.queue.put_nowait(result(n))

    one, two = await asyncio.gather(*taking)

    assert [r.data for r in one] == [r.data for r in two] == [{"n": 1}, {"n": 2}]
    assert (source.starts, multiplexer.executions) == (1, 1)
    for stream in (first, second):
        await stream.aclose()
    assert multiplexer.executions == 0


async def test_other_variables_are_another_execution() -> None:
    multiplexer, source = Multiplexer(), Source()
    streams = [multiplexer.stream(key_of("subscription { x }", None, {"a": a}), source.start) for a in (1, 2)]
    pending = [asyncio.create_task(anext(stream)) for stream in streams]
    while source.starts < 2:  # noqa: ASYNC110 - only counts show it
        await asyncio.sleep(0.01)
    assert multiplexer.executions == 2
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def test_a_member_that_falls_behind_is_told_and_closed_while_the_others_go_on() -> None:
    multiplexer, source = Multiplexer(), Source()
    key = key_of("subscription { x }", None, None)
    slow, fast = multiplexer.stream(key, source.start), multiplexer.stream(key, source.start)
    slow_first = asyncio.create_task(anext(slow))
    fast_reading = asyncio.create_task(take(fast, BUFFER + 5))
    while source.starts == 0:  # noqa: ASYNC110 - only counts show it
        await asyncio.sleep(0.01)
    source.queue.put_nowait(result(0))
    assert (await slow_first).data == {"n": 0}
    for n in range(1, BUFFER + 5):
        source.queue.put_nowait(result(n))
        if n % 50 == 0:
            # A steady stream, not a burst: the reading member keeps up, the other does not read.
            await asyncio.sleep(0.001)

    assert len(await asyncio.wait_for(fast_reading, timeout=10)) == BUFFER + 5
    delivered = [r async for r in slow]
    assert len(delivered) == BUFFER + 1
    assert delivered[-1].errors is not None
    assert delivered[-1].errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert "subscribe again" in delivered[-1].errors[0].message
    await fast.aclose()


async def test_when_the_execution_ends_every_member_completes_and_the_next_starts_afresh() -> None:
    multiplexer, source = Multiplexer(), Source()
    key = key_of("subscription { x }", None, None)
    members = [multiplexer.stream(key, source.start) for _ in range(3)]
    draining = [asyncio.create_task(take_all(member)) for member in members]
    while source.starts == 0:  # noqa: ASYNC110 - only counts show it
        await asyncio.sleep(0.01)
    source.queue.put_nowait(result(1))
    source.queue.put_nowait(None)

    assert [len(results) for results in await asyncio.gather(*draining)] == [1, 1, 1]
    later = multiplexer.stream(key, source.start)
    waiting = asyncio.create_task(anext(later))
    while source.starts < 2:  # noqa: ASYNC110 - only counts show it
        await asyncio.sleep(0.01)
    source.queue.put_nowait(result(2))
    assert (await waiting).data == {"n": 2}
    await later.aclose()


async def take_all(stream: AsyncIterator[ExecutionResult]) -> list[ExecutionResult]:
    return [item async for item in stream]
