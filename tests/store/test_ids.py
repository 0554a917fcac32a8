"""Event and causation ids drawn from batches of the OS's random bytes are uuid4s all the same."""

import threading
import uuid

from store.ids import BATCH, uuid4


def test_ids_are_version_4_rfc_4122_uuids_that_read_back_as_written() -> None:
    for _ in range(BATCH + 1):
        made = uuid4()
        assert (made.version, made.variant) == (4, uuid.RFC_4122)
        assert uuid.UUID(str(made)) == made
        assert hash(uuid.UUID(str(made))) == hash(made)


def test_ids_are_distinct_across_batches_and_threads() -> None:
    drawn: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def draw(into: list[uuid.UUID]) -> None:
        into.extend(uuid4() for _ in range(3 * BATCH))

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [made for into in drawn for made in into]
    assert len(set(every)) == len(every) == 4 * 3 * BATCH
