"""Appends in one worker wake the tail feeds of the others at once.

On SQLite (and MongoDB without change streams) each process follows the log with a tail feed, woken
at once by its own appends but only polling, once a second, for those of other processes. The
workers and the projector of `eventfold serve --workers N` are such processes: without this, a
subscription on one worker would hear of a mutation sent through another up to a second late, and
a read-your-writes request would wait as long for the projector. Each process binds a datagram
socket named after a directory the supervisor made, and says so by a file there; after an append a
worker sends one byte to every other process's socket (once per turn of its event loop, however many
commands it recorded in it), and a process that receives one wakes its feed as its own append would.
A lost datagram costs no more than the poll it replaces.
"""

import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import Self

from store.connect import Stores
from store.feeds import TailFeed
from store.signal import AppendSignal

WAKEUPS = "wakeups"
"""The subdirectory of a server's workers directory where its processes bind their sockets."""


class Wakeups:
    """This process's socket, open while in `with`."""

    def __init__(self, directory: Path, stores: Stores) -> None:
        self._directory = directory
        self._signal = _tail_signal(stores)
        self._name = str(os.getpid())
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self._loop = asyncio.get_running_loop()
        self._sending = False

    def _address(self, name: str) -> str:
        """Where the process `name` (its pid) listens. On Linux, in the abstract namespace: a socket's
        path may not exceed 108 bytes, which a long TMPDIR would; there, the file of the same name in
        the directory only says that the process is there."""
        if sys.platform == "linux":
            return f"\0{self._directory.parent.name}/{name}"
        return str(self._directory / name)

    def __enter__(self) -> Self:
        self._directory.mkdir(exist_ok=True)
        self._socket.bind(self._address(self._name))
        if sys.platform == "linux":
            (self._directory / self._name).touch()
        self._loop.add_reader(self._socket.fileno(), self._woken)
        return self

    def __exit__(self, *exception: object) -> None:
        self._loop.remove_reader(self._socket.fileno())
        self._socket.close()
        (self._directory / self._name).unlink(missing_ok=True)

    def _woken(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._socket.recv(16):
                pass
        if self._signal is not None:
            self._signal.notify()

    def appended(self) -> None:
        """This process recorded events: the others hear of it once this turn of the loop is over."""
        if not self._sending:
            self._sending = True
            self._loop.call_soon(self._tell_others)

    def _tell_others(self) -> None:
        self._sending = False
        for entry in os.scandir(self._directory):
            if entry.name == self._name:
                continue
            try:
                self._socket.sendto(b"!", self._address(entry.name))
            except (ConnectionRefusedError, FileNotFoundError):
                # A process that died without removing its socket.
                Path(entry.path).unlink(missing_ok=True)
            except OSError:
                # Its queue is full: it has been woken already and has not read since.
                pass


def _tail_signal(stores: Stores) -> AppendSignal | None:
    """What wakes this process's feed, when it is a tail (a change stream needs no waking)."""
    upstream = stores.feed.upstream
    return upstream.appended if isinstance(upstream, TailFeed) else None
