"""The runner, the projector and rebuild against real stores, on both backends."""

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from domain.events import OrderCancelled
from projections import runner as runner_module
from projections.progress import Progress
from projections.projection import Projection
from projections.projector import Projector, owners
from projections.read_models import ALL, BY_NAME
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from projections.words import WORDS
from store.connect import Stores
from store.documents import Document, DocumentStore, Query, Words
from store.unavailable import StoreUnavailable
from tests.projections.scenario import write_history

SMALL_BATCH = 7


async def everything(documents: DocumentStore, collection: str) -> list[Document]:
    return await documents.find(collection, Query(limit=100_000))


def ids(documents: list[Document]) -> set[str]:
    return {document["_id"] for document in documents}


@contextlib.asynccontextmanager
async def running(*coroutines: Any) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def runner(
    stores: Stores, projection: Projection, progress: Progress, documents: DocumentStore | None = None
) -> ProjectionRunner:
    return ProjectionRunner(
        projection,
        documents or stores.documents,
        stores.states,
        stores.feed,
        progress,
        batch_size=SMALL_BATCH,
        catch_up_batch_size=SMALL_BATCH,
    )


class DiesMidBatch:
    """A document store whose process dies half-way through its Nth bulk write."""

    def __init__(self, inner: DocumentStore, dies_on_write: int) -> None:
        self._inner = inner
        self._dies_on = dies_on_write
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        self.writes += 1
        if self.writes == self._dies_on:
            # What MongoDB may leave (SQLite writes all or nothing): part of each collection's writes.
            for collection, documents in writes.items():
                await self._inner.bulk_upsert(collection, documents[: len(documents) // 2])
            raise asyncio.CancelledError
        await self._inner.upsert_all(writes)


@pytest.mark.parametrize("projection", ALL, ids=lambda p: p.name)
async def test_a_projector_killed_mid_batch_resumes_to_what_a_rebuild_gives(
    stores: Stores, projection: Projection
) -> None:
    head = await write_history(stores.events)
    progress = Progress([projection.name], stores.states)
    # Every read model writes at least twice over this history.
    dying = DiesMidBatch(stores.documents, dies_on_write=2)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(runner(stores, projection, progress, dying).run_until_stopped(), timeout=30)
    assert dying.writes == 2

    async with running(runner(stores, projection, progress).run_until_stopped()):
        assert await progress.wait_for(head, seconds=30)
    state = await stores.states.load(projection.name)
    assert state is not None
    assert state.checkpoint.position == head
    resumed = await everything(stores.documents, state.collection)

    rebuilt = await rebuild(projection, stores.events, stores.documents, stores.states, settle_seconds=0)
    assert rebuilt.collection != state.collection
    assert resumed
    assert await everything(stores.documents, rebuilt.collection) == resumed


async def test_an_event_a_read_model_cannot_apply_stops_it_just_before_that_event(stores: Stores) -> None:
    head = await write_history(stores.events, orders=6)
    summaries = next(p for p in ALL if p.name == "order_summaries")

    def evolve(document: Document | None, recorded: Any) -> Document | None:
        if isinstance(recorded.event, OrderCancelled):
            raise ValueError("cannot cancel here")
        return summaries.evolve(document, recorded)

    broken = replace(summaries, evolve=evolve)
    progress = Progress([broken.name], stores.states)
    await asyncio.wait_for(runner(stores, broken, progress).run_until_stopped(), timeout=30)

    first_cancel = next(
        r for r in await stores.events.read_all(limit=head) if isinstance(r.event, OrderCancelled)
    )
    state = await stores.states.load(broken.name)
    assert state is not None
    assert state.checkpoint.position == first_cancel.position - 1
    assert state.error is not None
    assert f"position {first_cancel.position}" in state.error
    assert str(first_cancel.id) in state.error
    written = await everything(stores.documents, state.collection)
    assert written
    assert max(document["_position"] for document in written) < first_cancel.position
    # Waiting for the stopped projection would never end; it is not waited for.
    assert await progress.wait_for(head, seconds=1)


async def eventually(holds: Callable[[], bool], seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.05)):
        if holds():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


class DiesWithoutReleasing:
    """Leases of a process that dies: it never gets to release its lease."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def acquire(self, name: str, owner: str, seconds: float) -> bool:
        held: bool = await self._inner.acquire(name, owner, seconds)
        return held

    async def release(self, name: str, owner: str) -> None:
        pass

    async def holders(self) -> Mapping[str, str]:
        held: Mapping[str, str] = await self._inner.holders()
        return held


async def test_two_projectors_share_the_read_models_and_one_takes_all_over_when_the_other_dies(
    stores: Stores,
) -> None:
    head = await write_history(stores.events, orders=3)
    names = [p.name for p in ALL]

    def projector(owner: str, progress: Progress) -> Projector:
        return Projector(
            ALL,
            stores.documents,
            stores.states,
            DiesWithoutReleasing(stores.leases),
            stores.feed,
            progress,
            owner=owner,
            lease_seconds=2.0,
        )

    first, second = (
        projector("first", Progress(names, stores.states)),
        projector("second", Progress(names, stores.states)),
    )
    dying = asyncio.create_task(first.run())
    survivor_progress = Progress(names, stores.states)
    async with running(second.run()):

        def cost(held: frozenset[str]) -> int:
            return sum(BY_NAME[name].cost for name in held)

        # Dealt out by cost: each holds about half of the work, whatever the number of read models.
        await eventually(
            lambda: (
                len(first.holding) + len(second.holding) == len(names)
                and abs(cost(first.holding) - cost(second.holding)) <= max(p.cost for p in ALL)
            )
        )
        assert first.holding | second.holding == set(names)
        assert owners(await stores.leases.holders()) == {
            **dict.fromkeys(first.holding, "first"),
            **dict.fromkeys(second.holding, "second"),
        }
        assert await survivor_progress.wait_for(head, seconds=30)

        dying.cancel()
        await asyncio.gather(dying, return_exceptions=True)
        more = await write_history(stores.events, orders=2)
        await eventually(lambda: second.holding == set(names))
        assert await survivor_progress.wait_for(more, seconds=30)


async def test_rebuild_swaps_in_while_a_projector_runs_and_the_projector_follows(stores: Stores) -> None:
    head = await write_history(stores.events, orders=5)
    profiles = next(p for p in ALL if p.name == "customer_profiles")
    progress = Progress([profiles.name], stores.states)
    async with running(runner(stores, profiles, progress).run_until_stopped()):
        assert await progress.wait_for(head, seconds=30)
        before = await stores.states.load(profiles.name)
        assert before is not None

        swapped = await rebuild(profiles, stores.events, stores.documents, stores.states, settle_seconds=0)
        more = await write_history(stores.events, orders=1)
        assert await progress.wait_for(more, seconds=30)

    after = await stores.states.load(profiles.name)
    assert after is not None
    assert (after.collection, after.generation) == (swapped.collection, before.generation + 1)
    assert after.checkpoint.position == more
    found = await everything(stores.documents, after.collection)
    assert len(found) == 8
    # Its words, made once the rebuild was complete and kept since by the projector, find each one.
    for profile in found:
        words = Words(WORDS, whole=tuple(profile[WORDS]))
        assert profile["_id"] in ids(await stores.documents.find(after.collection, Query(words=words)))


class AwayForWrites:
    """A document store whose database is unreachable for its next `away` bulk writes."""

    def __init__(self, inner: DocumentStore) -> None:
        self._inner = inner
        self.away = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        if self.away:
            self.away -= 1
            raise StoreUnavailable("connection refused")
        await self._inner.upsert_all(writes)


async def test_an_outage_is_retried_with_backoff_that_starts_over_once_it_ends(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runner_module, "FIRST_RETRY_SECONDS", 0.01)
    projection = next(p for p in ALL if p.name == "customer_profiles")
    progress = Progress([projection.name], stores.states)
    flaky = AwayForWrites(stores.documents)
    flaky.away = 3
    with caplog.at_level(logging.WARNING, logger="eventfold.projections"):
        async with running(runner(stores, projection, progress, flaky).run_until_stopped()):
            assert await progress.wait_for(await write_history(stores.events, orders=2), seconds=30)
            flaky.away = 1
            assert await progress.wait_for(await write_history(stores.events, orders=2), seconds=30)

    retries = [
        re.findall(r"database unreachable \(connection refused\); retrying in (\S+) s", r.message)
        for r in caplog.records
    ]
    assert [delay for found in retries for delay in found] == ["0.01", "0.02", "0.04", "0.01"]
