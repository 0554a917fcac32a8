"""What the server opens when it starts and closes when it stops: the stores, the write side, the
live feed, authentication and, unless told otherwise, the projector."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from pymongo.monitoring import CommandListener
from starlette.applications import Starlette

from access.api_keys import CachedApiKeys
from access.authentication import Authenticator
from app.authentication import auth_required, jwt_verifier
from app.metrics import Metrics
from app.settings import Settings
from app.stores import open_from, projector_for
from app.wakeups import Wakeups
from commands.erasure import Erasure
from commands.handler import CommandHandler
from live.broadcast import Broadcaster
from projections.collections import CollectionNames
from projections.progress import Progress
from projections.read_models import ALL
from store.connect import Stores
from store.events import Clock, RecordedEvent

logger = logging.getLogger("eventfold")

type Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def lifespan_for(
    settings: Settings,
    metrics: Metrics,
    command_listeners: tuple[CommandListener, ...],
    clock: Clock,
    wake_dir: Path | None,
) -> Lifespan:
    """`wake_dir`: where the processes of a server of several workers wake each other (app/wakeups.py)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stores = await open_from(settings, command_listeners, clock)
        logger.info(
            "backend: %s at %s; projections fed by %s", stores.backend, stores.location, stores.feed.kind
        )
        woken = Wakeups(wake_dir, stores) if wake_dir else None
        _wire(app, settings, stores, metrics, woken)
        if deleted := await app.state.erasure.reapply():
            logger.warning("deleted the data keys of %d customers the log records as erased", len(deleted))
        projector = None
        if settings.projector:
            projector = asyncio.create_task(projector_for(settings, stores, app.state.progress).run())
        else:
            logger.info(
                "projector not started here: run `eventfold project` beside this server"
                " (`serve --workers` starts one itself)"
            )
        try:
            with woken or contextlib.nullcontext():
                async with app.state.collections.kept_fresh(), metrics.shared():
                    yield
        finally:
            await app.state.broadcaster.close()
            if projector is not None:
                projector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await projector
            await stores.close()

    return lifespan


def _wire(
    app: Starlette, settings: Settings, stores: Stores, metrics: Metrics, woken: Wakeups | None
) -> None:
    """Everything a request reads from `app.state`, built once per process."""
    app.state.stores = stores
    app.state.currency = settings.currency
    app.state.metrics = metrics

    def recorded(events: Sequence[RecordedEvent]) -> None:
        metrics.count_appended(events)
        if woken is not None:
            woken.appended()

    app.state.commands = CommandHandler(stores.events, on_recorded=recorded)
    app.state.erasure = Erasure(
        app.state.commands, stores.events, stores.sealer, stores.documents, stores.feed
    )
    app.state.collections = CollectionNames(ALL, stores.states)
    app.state.progress = Progress((p.name for p in ALL), stores.states)
    app.state.broadcaster = Broadcaster(stores.events, stores.feed)
    app.state.api_keys = CachedApiKeys(stores.api_keys, settings.api_key_cache_seconds)
    app.state.authenticator = Authenticator(
        app.state.api_keys, jwt_verifier(settings), auth_required(settings)
    )
    if not app.state.authenticator.required:
        logger.info("authentication not required here; presented tokens are still checked")
