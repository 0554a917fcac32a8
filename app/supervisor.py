"""`eventfold serve --workers N`: N worker processes answering on one port, and the projector once.

uvicorn's supervisor binds the port, starts the workers (app/worker.py) and replaces one that dies
or stops answering its health pings; on SIGTERM or SIGINT it stops them (each finishes its requests and
closes its sockets with 1012) and exits. This one adds what eventfold needs around it:

- the projector runs once, in a process of its own, replaced when it dies; the workers run none. Each
  read model's lease would keep two projectors from applying to it anyway (README, Processes), but a
  projector per worker would decode the whole log once per worker for nothing.
- a temporary directory, made before the first worker starts and removed after the last stops,
  where the workers share their metrics (prometheus_client's multiprocess mode; the files of a worker
  that died are marked dead, so the gauges summed over live workers drop it) and the processes wake
  each other's feeds after appends (app/wakeups.py).
"""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.context import SpawnProcess
from pathlib import Path

from prometheus_client import multiprocess
from uvicorn import Config
from uvicorn._subprocess import spawn
from uvicorn.supervisors import Multiprocess

from app import logs
from app.http_server import uvicorn_options
from app.metrics import METRICS
from app.settings import Settings
from app.stores import project
from app.wakeups import WAKEUPS
from app.worker import WORKERS_DIR
from schema.persisted import ManifestError, load_manifest

logger = logging.getLogger("eventfold")
PROJECTOR_RESTART_SECONDS = 5.0
"""A projector process is started again at most this often: one that cannot start (the database
unreachable, say) is retried without spinning."""


def serve_workers(settings: Settings) -> int:
    """Runs until told to stop; the exit status."""
    if settings.trusted_documents:
        try:
            load_manifest(settings.trusted_documents)
        except ManifestError as unusable:
            print(f"eventfold serve: {unusable}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="eventfold-workers-") as workers_dir:
        metrics_dir = Path(workers_dir) / METRICS
        metrics_dir.mkdir()
        # Spawned processes inherit this environment: the workers build their settings from it, and
        # prometheus_client reads its directory when imported.
        os.environ |= {
            WORKERS_DIR: workers_dir,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "EVENTFOLD_HOST": settings.host,
            "EVENTFOLD_PORT": str(settings.port),
            "EVENTFOLD_WORKERS": str(settings.workers),
            "EVENTFOLD_PROJECTOR": "false",
        }
        config = Config(
            "app.worker:create",
            factory=True,
            workers=settings.workers,
            http="app.worker:H11",
            **uvicorn_options(settings),
        )
        listening = config.bind_socket()
        try:
            Supervisor(config, [listening], Path(workers_dir), settings).run()
        finally:
            listening.close()
    return 0


class Supervisor(Multiprocess):
    def __init__(
        self, config: Config, sockets: list[socket.socket], workers_dir: Path, settings: Settings
    ) -> None:
        super().__init__(config, sockets)
        self._workers_dir = workers_dir
        self._settings = settings
        self._projector: SpawnProcess | None = None
        self._projector_started = 0.0

    def init_processes(self) -> None:
        if self._settings.projector:
            self._start_projector()
        else:
            logger.info("projector not started here: run `eventfold project` beside this server")
        super().init_processes()

    def _start_projector(self) -> None:
        self._projector = spawn.Process(
            target=_project_until_stopped, args=(self._workers_dir / WAKEUPS,), name="eventfold-projector"
        )
        self._projector.start()
        self._projector_started = time.monotonic()
        logger.info("projector process [%s] started", self._projector.pid)

    def keep_subprocess_alive(self) -> None:
        projector = self._projector
        if (
            projector is not None
            and not projector.is_alive()
            and not self.should_exit.is_set()
            and time.monotonic() - self._projector_started >= PROJECTOR_RESTART_SECONDS
        ):
            logger.warning("projector process [%s] died (exit code %s)", projector.pid, projector.exitcode)
            projector.join()
            self._start_projector()
        self._retiring(super().keep_subprocess_alive)

    def handle_hup(self) -> None:
        self._retiring(super().handle_hup)

    def handle_ttou(self) -> None:
        self._retiring(super().handle_ttou)

    def _retiring(self, replace: Callable[[], None]) -> None:
        """Runs `replace`, then marks the metric files of the workers it ended dead."""
        before = {process.pid for process in self.processes}
        replace()
        for pid in before - {process.pid for process in self.processes}:
            if pid is not None:
                multiprocess.mark_process_dead(pid, str(self._workers_dir / METRICS))  # type: ignore[no-untyped-call]

    def terminate_all(self) -> None:
        super().terminate_all()
        if self._projector is not None and self._projector.is_alive():
            self._projector.terminate()

    def join_all(self) -> None:
        super().join_all()
        if self._projector is not None:
            self._projector.join()


def _project_until_stopped(wake_dir: Path) -> None:
    """The projector process: `eventfold project`, stopped by SIGTERM or SIGINT as by Ctrl-C (its
    leases handed back, so that the next server takes the read models over at once)."""
    settings = Settings()
    logs.configure(settings)
    asyncio.run(_project(settings, wake_dir))


async def _project(settings: Settings, wake_dir: Path) -> None:
    running = asyncio.current_task()
    assert running is not None
    loop = asyncio.get_running_loop()
    for stop in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop, running.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await project(settings, wake_dir)
