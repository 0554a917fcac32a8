"""Subscriptions that ask the same thing share one execution.

Executing a subscription's selection costs far more than sending its result, and most dashboards
subscribe with the same document and variables. So the first such subscription starts the real
execution, and every later one with the same (document, operation, variables) joins it: each result
is computed once and handed to all of them through bounded buffers. A member that falls behind gets an
error telling it to resubscribe and is closed; the others go on. Subscriptions with `afterPosition`
rarely share (their positions differ), and lose nothing when they do not: each joins a group that
started from its own position.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from projections.buffer import BoundedBuffer, Overflowed

BUFFER = 1000
FELL_BEHIND = (
    f"this subscription fell more than {BUFFER} results behind and was closed; subscribe again "
    "(with afterPosition set to the last position received, to miss nothing)"
)

Key = tuple[str, str | None, str]


def key_of(query: str, operation_name: str | None, variables: dict[str, Any] | None) -> Key:
    return query, operation_name, json.dumps(variables or {}, sort_keys=True, default=str)


_Member = BoundedBuffer[ExecutionResult]


class _Group:
    def __init__(self) -> None:
        self.members: set[_Member] = set()
        self.task: asyncio.Task[None] | None = None

    async def run(self, source: AsyncIterator[ExecutionResult], forget: Callable[[], None]) -> None:
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


class Multiplexer:
    def __init__(self) -> None:
        self._groups: dict[Key, _Group] = {}

    @property
    def executions(self) -> int:
        return len(self._groups)

    @property
    def subscribers(self) -> int:
        return sum(len(group.members) for group in self._groups.values())

    def _forget(self, key: Key, group: _Group) -> None:
        if self._groups.get(key) is group:
            del self._groups[key]

    async def stream(
        self, key: Key, start: Callable[[], Awaitable[AsyncIterator[ExecutionResult]]]
    ) -> AsyncGenerator[ExecutionResult]:
        member = _Member(BUFFER)
        group = self._groups.get(key)
        if group is None:
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
        else:
            group.members.add(member)
        try:
            async for result in member.items():
                yield result
        except Overflowed:
            yield ExecutionResult(
                data=None, errors=[GraphQLError(FELL_BEHIND, extensions={"code": "BAD_USER_INPUT"})]
            )
        finally:
            group.members.discard(member)
            if not group.members:
                self._forget(key, group)
                if group.task is not None:
                    group.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await group.task
