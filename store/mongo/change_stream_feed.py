"""A feed driven by a MongoDB change stream on the events collection (inserts only).

With a resume token it resumes right after the last change applied. Without one (first start, after a
rebuild, or when the server no longer has the token's history) it opens the stream first, then reads
by position up to the present, then follows the stream, dropping what the catch-up already handed out:
opening the stream before catching up is what leaves no gap between the two.

Written to the subset of the change stream API that PyMongo and mongoeco's in-process client share
(`try_next` with `max_await_time_ms`, the change's `_id` as resume token, `close` sync or async).
"""

import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any

from pymongo.errors import ConnectionFailure, OperationFailure

from store.decoding import EventDecoder
from store.events import EventStore
from store.feeds import Batch, Checkpoint
from store.mongo.event_store import decode_page
from store.sealing import Sealer
from store.unavailable import StoreUnavailable

logger = logging.getLogger("eventfold.feeds")

INSERTS = [{"$match": {"operationType": "insert"}}]
CHANGE_STREAM_HISTORY_LOST = 286
MAX_AWAIT_MS = 500


class ChangeStreamFeed:
    kind = "change_stream"

    def __init__(self, collection: Any, events: EventStore, decoder: EventDecoder, sealer: Sealer) -> None:
        self._collection = collection
        self._events = events
        self._decoder = decoder
        self._sealer = sealer

    async def batches(self, after: Checkpoint, max_events: int) -> AsyncGenerator[Batch]:
        checkpoint = after
        while True:
            try:
                async for batch in self._follow(checkpoint, max_events):
                    checkpoint = batch.checkpoint
                    yield batch
            except OperationFailure as error:
                if error.code != CHANGE_STREAM_HISTORY_LOST or checkpoint.resume_token is None:
                    raise
                logger.warning(
                    "change stream history lost; catching up from position %d", checkpoint.position
                )
                checkpoint = Checkpoint(checkpoint.position)
            except ConnectionFailure as error:
                raise StoreUnavailable(str(error)) from error

    async def _follow(self, after: Checkpoint, max_events: int) -> AsyncIterator[Batch]:
        options: dict[str, Any] = {"max_await_time_ms": MAX_AWAIT_MS}
        if after.resume_token is not None:
            options["resume_after"] = after.resume_token
        stream = await self._collection.watch(INSERTS, **options)
        try:
            position = after.position
            if after.resume_token is None:
                while caught_up := await self._events.read_all(position, limit=max_events):
                    position = caught_up[-1].position
                    yield Batch(caught_up, Checkpoint(position))
            token: Mapping[str, Any] | None = after.resume_token
            while True:
                documents: list[dict[str, Any]] = []
                while len(documents) < max_events and (change := await stream.try_next()) is not None:
                    token = change["_id"]
                    if change["fullDocument"]["position"] > position:
                        documents.append(change["fullDocument"])
                # The batch's keys are looked up once it is taken, as a page of the log's are.
                events = await decode_page(documents, self._decoder, self._sealer)
                if events:
                    position = events[-1].position
                    yield Batch(events, Checkpoint(position, token))
        finally:
            closed = stream.close()
            if inspect.isawaitable(closed):
                await closed


async def supports_change_streams(collection: Any) -> bool:
    """Whether the server can watch a collection (a replica set or sharded cluster can)."""
    try:
        stream = await collection.watch(INSERTS, max_await_time_ms=1)
    except OperationFailure:
        return False
    closed = stream.close()
    if inspect.isawaitable(closed):
        await closed
    return True
