"""A small closed-loop HTTP load generator: N clients posting back to back, bounded in count and time."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.report import percentile


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def quantile(self, percent: int) -> float:
        return percentile(self.latencies, percent)


async def post_load(
    base: str, payload: dict[str, Any], clients: int, seconds: float, max_requests: int
) -> Load:
    """Every response must be a GraphQL answer without errors."""
    budget = [max_requests]
    deadline = time.monotonic() + seconds

    async def client() -> list[float]:
        latencies = []
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while time.monotonic() < deadline and budget[0] > 0:
                budget[0] -= 1
                started = time.perf_counter()
                response = await http.post("/graphql", json=payload)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "errors" in response.json():
                    raise RuntimeError(response.text)
        return latencies

    started = time.perf_counter()
    results = await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for result in results for latency in result)
    return Load(len(latencies), elapsed, latencies)
