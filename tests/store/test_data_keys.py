"""The data keys contract, on SQLite and on MongoDB: a key per subject, made once, deleted for good."""

import asyncio
import uuid

from store.connect import Stores


async def test_a_subject_gets_one_key_made_once_and_found_after(stores: Stores) -> None:
    ann, bob = uuid.uuid4(), uuid.uuid4()

    made = await stores.data_keys.keys_for({ann, bob})
    again = await stores.data_keys.keys_for({ann})

    assert again[ann] == made[ann] != made[bob]
    assert all(len(key or b"") == 32 for key in made.values())
    assert await stores.data_keys.find({ann, bob, uuid.uuid4()}) == made


async def test_subjects_asking_at_once_share_the_key_made_first(stores: Stores) -> None:
    ann = uuid.uuid4()

    answers = await asyncio.gather(*(stores.data_keys.keys_for({ann}) for _ in range(5)))

    assert len({answer[ann] for answer in answers}) == 1


async def test_an_erased_key_is_gone_and_never_made_again(stores: Stores) -> None:
    ann, bob = uuid.uuid4(), uuid.uuid4()
    await stores.data_keys.keys_for({ann, bob})

    assert await stores.data_keys.erase(ann) is True
    assert await stores.data_keys.erase(ann) is False

    assert await stores.data_keys.find({ann, bob}) == {bob: (await stores.data_keys.find({bob}))[bob]}
    assert (await stores.data_keys.keys_for({ann}))[ann] is None


async def test_a_subject_erased_before_it_had_a_key_gets_none(stores: Stores) -> None:
    ann = uuid.uuid4()

    assert await stores.data_keys.erase(ann) is False
    assert await stores.data_keys.keys_for({ann}) == {ann: None}
