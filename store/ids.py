"""Random (version 4) UUIDs as `uuid.uuid4` makes them, from one read of the OS's random source per
256 of them instead of one each: that read, a system call, was a twentieth of an append's time."""

import os
import threading
from collections.abc import Iterator
from uuid import UUID, SafeUUID

BATCH = 256
_VERSION_4 = 4 << 76
_VARIANT_RFC_4122 = 0x8000 << 48
_CLEARED = ~((0xF000 << 64) | (0xC000 << 48))

_new = object.__new__
_set = object.__setattr__


def _ids() -> Iterator[UUID]:
    while True:
        random = os.urandom(16 * BATCH)
        for start in range(0, 16 * BATCH, 16):
            number = int.from_bytes(random[start : start + 16]) & _CLEARED | _VERSION_4 | _VARIANT_RFC_4122
            # What UUID(int=...) builds, without re-checking a number built to be valid.
            made = _new(UUID)
            _set(made, "int", number)
            _set(made, "is_safe", SafeUUID.unknown)
            yield made


class _PerThread(threading.local):
    """A generator runs on one thread at a time: each thread draws from a batch of its own."""

    def __init__(self) -> None:
        self.ids = _ids()


_local = _PerThread()


def _forget_after_fork() -> None:
    # A child process must not hand out the ids left in its parent's batch.
    global _local
    _local = _PerThread()


os.register_at_fork(after_in_child=_forget_after_fork)


def uuid4() -> UUID:
    return next(_local.ids)
