"""Subscriptions that ask the same thing share one execution.

Executing a subscription costs far more than sending its result, and most dashboards subscribe with
the same document and variables. So the first such subscription starts the real execution, and every
later one with the same (document, operation, variables) joins it: each result is computed once and
handed to all of them, each through its own bounded buffer; a member that falls behind is closed with
`FellBehind` while the others go on. Subscriptions with `afterPosition` rarely share (their
positions differ), and lose nothing when they do not: each joins a group that started from its own
position. What an execution is stays with the caller, which hands over a coroutine that starts one.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from live.buffer import BoundedBuffer

Key = tuple[str, str | None, str, str]


def key_of(
    query: str, operation_name: str | None, variables: dict[str, Any] | None, audience: str = ""
) -> Key:
    """`audience`: who the results are for, where callers see different things (a customer sees its
    own orders only): only subscriptions with the same audience share an execution."""
    return query, operation_name, json.dumps(variables or {}, sort_keys=True, default=str), audience


class _Group[T]:
    def __init__(self) -> None:
        self.members: set[BoundedBuffer[T]] = set()
        self.task: asyncio.Task[None] | None = None

    async def run(self, source: AsyncIterator[T], forget: Callable[[], None]) -> None:
        try:
            async for result in source:
                for member in list(self.members):
                    member.offer(result)
        finally:
            # Whoever subscribes from now on starts afresh rather than joining what has ended.
            forget()
            closing = getattr(source, "aclose", None)
            if closing is not None:
                await closing()
            for member in self.members:
                member.end()


class Multiplexer[T]:
    def __init__(self) -> None:
        self._groups: dict[Key, _Group[T]] = {}

    @property
    def executions(self) -> int:
        return len(self._groups)

    @property
    def subscribers(self) -> int:
        return sum(len(group.members) for group in self._groups.values())

    def _forget(self, key: Key, group: _Group[T]) -> None:
        if self._groups.get(key) is group:
            del self._groups[key]

    async def _join(
        self, key: Key, member: BoundedBuffer[T], start: Callable[[], Awaitable[AsyncIterator[T]]]
    ) -> _Group[T]:
        group = self._groups.get(key)
        if group is not None:
            group.members.add(member)
            return group
        group = self._groups[key] = _Group()
        group.members.add(member)
        try:
            source = await start()
        except BaseException:
            self._forget(key, group)
            for waiting in group.members:
                waiting.end()
            raise
        group.task = asyncio.create_task(group.run(source, lambda: self._forget(key, group)))
        return group

    async def stream(self, key: Key, start: Callable[[], Awaitable[AsyncIterator[T]]]) -> AsyncGenerator[T]:
        """Every result of the execution under `key`, started by `start` unless one is running;
        raises FellBehind if this member falls behind."""
        member = BoundedBuffer[T]()
        group = await self._join(key, member, start)
        try:
            async for result in member.items():
                yield result
        finally:
            group.members.discard(member)
            if not group.members:
                self._forget(key, group)
                if group.task is not None:
                    group.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await group.task
