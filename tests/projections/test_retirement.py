"""Collections a rebuild replaced are dropped once they settled, by a projector on its rounds or by the
next rebuild; never before. On both backends."""

import asyncio

from projections.progress import Progress
from projections.projector import Projector
from projections.read_models import ALL
from projections.retirement import drop_settled, retire
from store.connect import Stores
from store.documents import Query


async def test_a_retired_collection_is_dropped_only_once_it_settled(stores: Stores) -> None:
    documents = stores.documents
    await documents.bulk_upsert("old_v1", [{"_id": "a", "_position": 1}])
    await documents.bulk_upsert("kept_v2", [{"_id": "a", "_position": 2}])
    await retire(documents, ["old_v1"])

    assert await drop_settled(documents, settle_seconds=60) == []
    assert len(await documents.find("old_v1", Query())) == 1

    assert await drop_settled(documents, settle_seconds=0) == ["old_v1"]
    assert await documents.find("old_v1", Query()) == []
    assert len(await documents.find("kept_v2", Query())) == 1
    assert await drop_settled(documents, settle_seconds=0) == []


async def test_a_projector_drops_what_rebuilds_retired_on_its_rounds(stores: Stores) -> None:
    await stores.documents.bulk_upsert("order_summaries_v7", [{"_id": "a", "_position": 1}])
    await retire(stores.documents, ["order_summaries_v7"])
    projector = Projector(
        ALL[:1],
        stores.documents,
        stores.states,
        stores.leases,
        stores.feed,
        Progress([ALL[0].name], stores.states),
        owner="test",
        lease_seconds=0.3,
        settle_seconds=0.2,
    )
    task = asyncio.create_task(projector.run())
    try:
        for _ in range(200):
            if not await stores.documents.find("order_summaries_v7", Query()):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await stores.documents.find("order_summaries_v7", Query()) == []
