"""`eventfold` processes on loopback ports, which a test may kill and start again, and a rebuild."""

import asyncio
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from app.settings import Settings
from app.stores import open_from
from projections.read_models import ALL
from projections.rebuild import rebuild
from tests.app.test_serve import start, wait_until_healthy
from tests.hardening.audit import read_models, wait_until_projected
from tests.hardening.workload import session
from tests.live_server import free_port


class EventfoldProcess:
    """`eventfold serve` (answering on `base`), or `eventfold project` when `serving` is false."""

    def __init__(
        self, env: dict[str, str], logs: Path, name: str, serving: bool = True, projector: bool = True
    ):
        self._env = env
        self._logs = logs
        self._name = name
        port = free_port()
        self._command = ["serve", "--port", str(port)] if serving else ["project"]
        if serving and not projector:
            self._command.append("--no-projector")
        self.serving = serving
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.base = f"http://127.0.0.1:{port}"

    @property
    def log(self) -> Path:
        return self._logs / f"{self._name}-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        self._process = start(self._command, self._env, self.log)
        if self.serving:
            wait_until_healthy(self.base, self._process, self.log)

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far, from /proc (Linux)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rpartition(")")[2].split()
        # utime and stime, the 14th and 15th fields, counted from after the command name's ")".
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def resident_bytes(self) -> int:
        """The process's resident memory (VmRSS), from /proc (Linux)."""
        assert self._process is not None
        for line in Path(f"/proc/{self._process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing the process could still do."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=30)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=30)


async def rebuild_all(settings: Settings) -> None:
    """Every read model replayed from the events into a fresh collection and swapped in, as `eventfold
    rebuild` does; with no server running, the old collections can go at once."""
    stores = await open_from(settings)
    try:
        await asyncio.gather(
            *(rebuild(p, stores.events, stores.documents, stores.states, settle_seconds=0) for p in ALL)
        )
    finally:
        await stores.close()


async def read_models_rebuilt(
    settings: Settings, processes: list[EventfoldProcess], head: int, seconds: float = 60
) -> dict[str, Any]:
    """The read models as a rebuild from the events makes them: `processes` stopped, every read model
    rebuilt, the processes started again, and the read models caught up to `head`."""
    for process in processes:
        process.stop()
    await rebuild_all(settings)
    for process in processes:
        process.start()
    serving = next(process for process in processes if process.serving)
    async with session(serving.base) as http:
        await wait_until_projected(http, head, seconds)
        return await read_models(http)
