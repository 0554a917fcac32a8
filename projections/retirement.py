"""Collections a rebuild replaced, dropped once readers have had time to move off them.

A rebuild swaps its new collection in at once. API processes see the swap when they next refresh the
collection names (every second) and may have a query running on the old one meanwhile, so the old
collection is not dropped then: it is recorded here as retired, and dropped once it has been retired
for the settling time, by a projector on its rounds or by the next rebuild. A rebuild never waits for
it, and a retired collection outlives a crash of whoever retired it.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from store.documents import DocumentStore, Query, Range, find_all

RETIRED = "retired_collections"
"""A handful of documents at a time, scanned whole: no index to declare (nor `ensure` to call)."""
RETIRED_AT = "retiredAt"


async def retire(documents: DocumentStore, collections: Sequence[str]) -> None:
    now = datetime.now(UTC)
    await documents.bulk_upsert(
        RETIRED, [{"_id": name, "_position": 0, RETIRED_AT: now} for name in collections]
    )


async def drop_settled(documents: DocumentStore, settle_seconds: float) -> list[str]:
    """Drop the collections retired at least `settle_seconds` ago; their names."""
    settled_before = datetime.now(UTC) - timedelta(seconds=settle_seconds)
    settled = await find_all(
        documents,
        RETIRED,
        Query(range=Range(RETIRED_AT, lte=settled_before), sort=RETIRED_AT, limit=100),
    )
    names = [document["_id"] for document in settled]
    for name in names:
        await documents.drop(name)
    # Only once they are gone: a crash in between leaves them retired, to be dropped next time.
    await documents.delete(RETIRED, names)
    return names
