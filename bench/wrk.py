"""wrk (C, one event loop a thread) as the load generator: it costs a fraction of the CPU per request of
bench/load.py's Python client, which topped out near 700 requests/s here and so compressed every
ratio. Installed from Debian's package when missing (the benchmarks run as root on these machines).
"""

import json
import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import tree_cpu_seconds

SCRIPT = Path(__file__).with_name("graphql_post.lua")


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failed: int
    wrk_cpu_seconds: float
    server_cpu_seconds: float
    """Of the server's processes (all its workers and its projector)."""
    load_average: float
    """The machine's 1-minute load average as the run ended: others share these cores."""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def wrk_cores(self) -> float:
        """How many cores wrk kept busy on average."""
        return self.wrk_cpu_seconds / self.seconds

    @property
    def server_cores(self) -> float:
        return self.server_cpu_seconds / self.seconds


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        print("wrk is missing: installing Debian's package")
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed and `apt-get install -y wrk` did not install it")
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def post(
    url: str, body: dict[str, Any], connections: int, seconds: float, server: int, threads: int = 2
) -> Run:
    """`body` POSTed to `url` over `connections` kept-alive connections for `seconds`; every answer
    must be a 200 without GraphQL errors. `server`: the process id of the server (tree) answering."""
    wrk = ensure_wrk()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(body, file)
        file.flush()
        before, server_before = _children_cpu(), tree_cpu_seconds(server)
        # wrk is reaped here, before the servers it loads: this difference is its CPU alone.
        done = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "30s",
                "-s",
                str(SCRIPT),
                url,
            ],
            env={**os.environ, "EVENTFOLD_WRK_BODY": file.name},
            capture_output=True,
            text=True,
            check=True,
        )
        cpu, server_cpu = _children_cpu() - before, tree_cpu_seconds(server) - server_before
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["failed"] or figures["socket_errors"]:
        raise RuntimeError(f"wrk saw failures: {figures}\n{done.stdout}")
    return Run(
        figures["requests"],
        figures["seconds"],
        figures["p50_us"] / 1000,
        figures["p99_us"] / 1000,
        figures["failed"],
        cpu,
        server_cpu,
        os.getloadavg()[0],
    )
