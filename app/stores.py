"""Opening the backend and the projector from settings, shared by the server and the CLI."""

import contextlib
import logging
import os
import socket
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from app.collector import collect_less_often
from app.settings import Settings
from app.wakeups import Wakeups
from projections.progress import Progress
from projections.projector import Projector
from projections.read_models import ALL, BY_NAME
from store.connect import Stores, open_stores
from store.events import Clock, system_clock

if TYPE_CHECKING:
    from pymongo.monitoring import CommandListener


async def open_from(
    settings: Settings, command_listeners: tuple["CommandListener", ...] = (), clock: Clock = system_clock
) -> Stores:
    return await open_stores(
        clock=clock,
        mongodb_uri=settings.mongodb_uri,
        mongodb_database=settings.mongodb_database,
        data_dir=settings.data_dir,
        feed=settings.feed,
        command_listeners=command_listeners,
        mongodb_timeout_seconds=settings.mongodb_timeout_seconds,
        mongodb_write_concern=settings.mongodb_write_concern,
        sqlite_lock_seconds=settings.sqlite_lock_seconds,
        deployment=settings.deployment,
        encrypt_personal_data=settings.encrypt_personal_data,
    )


def projector_for(settings: Settings, stores: Stores, progress: Progress) -> Projector:
    return Projector(
        ALL,
        stores.documents,
        stores.states,
        stores.leases,
        stores.feed,
        progress,
        # Names the process in the lease, so an operator can tell who leads.
        owner=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
        lease_seconds=settings.lease_seconds,
        settle_seconds=settings.rebuild_settle_seconds,
    )


async def project(settings: Settings, wake_dir: Path | None = None) -> None:
    """The projector alone, until cancelled: `eventfold project`, and the projector process of
    `eventfold serve --workers N`, which the workers' appends wake through `wake_dir`
    (app/wakeups.py)."""
    collect_less_often()
    stores = await open_from(settings)
    logging.getLogger("eventfold").info(
        "projector on %s at %s, fed by %s", stores.backend, stores.location, stores.feed.kind
    )
    try:
        with Wakeups(wake_dir, stores) if wake_dir else contextlib.nullcontext():
            progress = Progress(BY_NAME, stores.states)
            await projector_for(settings, stores, progress).run()
    finally:
        await stores.close()
