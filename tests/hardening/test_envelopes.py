"""Fuzz of request envelopes against a real `eventfold serve` process: generated JSON HTTP bodies
(single and batched) and WebSocket messages of both protocols (tests/hardening/envelopes.py).

Whatever a client sends, the server answers: over HTTP never a 5xx, always JSON whose errors carry a
code other than INTERNAL_SERVER_ERROR; on a socket an answer to each message that asks for one (a
result, an `error`, or a close with a code in 4400-4499), never a bare `complete`, never silence. And
/healthz still answers afterwards. The default run tries a few cases per family; `-m slow` tries
enough for more than 10,000 in all. EVENTFOLD_FUZZ_SEED picks other cases."""

import asyncio
import json
import os
import random
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
import websockets
from websockets.typing import Subprotocol

from app.settings import Settings
from tests.app.test_serve import environment
from tests.hardening.envelopes import HTTP_FAMILIES, SOCKET_FAMILIES, HttpCase, SocketCase, probe
from tests.hardening.server_process import EventfoldProcess

SEED = int(os.environ.get("EVENTFOLD_FUZZ_SEED", "13"))
DEFAULT_CASES, SLOW_CASES = 20, 800
ANSWER_SECONDS, GRACE_SECONDS = 5.0, 0.5
ENDS = ("complete", "error")


def families(cases: int, *marks: pytest.MarkDecorator) -> list[Any]:
    return [
        pytest.param(
            family,
            cases,
            marks=list(marks),
            id=family,
        )
        for family in [*HTTP_FAMILIES, *SOCKET_FAMILIES]
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventfoldProcess]:
    data = tmp_path_factory.mktemp("envelopes")
    env = {**environment(Settings(data_dir=data)), "EVENTFOLD_LOG_LEVEL": "warning"}
    process = EventfoldProcess(env, data, "serve")
    process.start()
    yield process
    process.stop()


def errors_problem(errors: Any) -> str | None:
    """What is wrong with a list of GraphQL errors, if anything: each needs a code, not an internal one."""
    if not isinstance(errors, list) or not errors:
        return f"errors is not a non-empty list: {errors!r:.200}"
    for error in errors:
        code = error.get("extensions", {}).get("code") if isinstance(error, dict) else None
        if code in (None, "INTERNAL_SERVER_ERROR"):
            return f"error without a client code: {error!r:.300}"
    return None


def result_problem(result: Any, status: int) -> str | None:
    if not isinstance(result, dict):
        return f"answer is not an object: {result!r:.200}"
    if "errors" in result or status >= 400:
        return errors_problem(result.get("errors"))
    return None if "data" in result else f"neither data nor errors: {result!r:.200}"


async def http_problem(http: aiohttp.ClientSession, case: HttpCase) -> str | None:
    headers = {"Content-Type": case.content_type}
    try:
        async with http.post("/graphql", data=case.body, headers=headers) as response:
            status, body, kind = response.status, await response.read(), response.content_type
    except aiohttp.ClientError as dropped:
        return f"no HTTP answer: {dropped!r}"
    if status >= 500:
        return f"HTTP {status}: {body[:300]!r}"
    if kind != "application/json":
        return f"HTTP {status} answered {kind}, not JSON: {body[:200]!r}"
    try:
        answer = json.loads(body)
    except ValueError:
        return f"HTTP {status} answered invalid JSON: {body[:200]!r}"
    if isinstance(answer, list) and status < 400:
        return next((p for item in answer if (p := result_problem(item, status))), None)
    return result_problem(answer, status)


def about_fuzz(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in received if m.get("id") != "probe" and m.get("type") not in ("ka", "connection_ack")]


async def receive_all(
    socket: websockets.ClientConnection, silent: bool
) -> tuple[list[dict[str, Any]], int | None]:
    """Messages until the probe has ended and the fuzzed message has been answered (a moment longer
    at most: operations run side by side, a slow one may end after the probe), and the close code if
    the server closed instead; -1 if the probe got no answer in time."""
    received: list[dict[str, Any]] = []
    probed = False
    try:
        async with asyncio.timeout(ANSWER_SECONDS):
            while not probed or not (silent or about_fuzz(received)):
                async with asyncio.timeout(GRACE_SECONDS if probed else None):
                    message = json.loads(await socket.recv())
                received.append(message)
                probed = probed or (message.get("id") == "probe" and message.get("type") in ENDS)
    except websockets.ConnectionClosed as closed:
        # 1006: the connection ended without a close frame.
        return received, closed.rcvd.code if closed.rcvd else 1006
    except TimeoutError:
        return received, None if probed else -1
    return received, None


def socket_problem(case: SocketCase, received: list[dict[str, Any]], code: int | None) -> str | None:
    if code == -1:
        return f"no answer in {ANSWER_SECONDS:.0f} s; got {received!r:.300}"
    if code is not None and not 4400 <= code < 4500:
        terminated = case.protocol == "graphql-ws" and "connection_terminate" in case.message
        # The legacy protocol refuses a connection with connection_error, then closes as it likes.
        refused = any(m.get("type") in ("error", "connection_error") for m in received)
        if not (terminated or refused):
            return f"closed with {code} unexplained; got {received!r:.300}"
    for message in received:
        if message.get("type") in ("error", "connection_error", "next", "data"):
            payload = message.get("payload")
            errors = payload if message["type"] == "error" else (payload or {}).get("errors", [])
            # The legacy protocol's error message carries one error, the newer one a list.
            errors = [errors] if isinstance(errors, dict) else errors
            if message["type"] != "connection_error" and errors and (p := errors_problem(errors)):
                return f"{message['type']}: {p}"
    about_fuzz = [
        m for m in received if m.get("id") != "probe" and m.get("type") not in ("ka", "connection_ack")
    ]
    if about_fuzz[:1] and about_fuzz[0].get("type") == "complete":
        return f"a bare complete: {received!r:.300}"
    if code is None and not about_fuzz and not case.silent:
        return f"no answer to the message, the probe was answered: {received!r:.300}"
    return None


async def socket_case_problem(base: str, case: SocketCase) -> str | None:
    url = base.replace("http", "ws", 1) + "/graphql"
    async with websockets.connect(url, subprotocols=[Subprotocol(case.protocol)], max_size=None) as socket:
        await socket.send(case.init or '{"type": "connection_init"}')
        if case.init is None:
            acked, _ = await receive_one(socket)
            if acked != "connection_ack":
                return f"no connection_ack to a plain connection_init: {acked}"
        await socket.send(case.message)
        await socket.send(probe(case.protocol, "probe"))
        received, code = await receive_all(socket, case.silent)
    return socket_problem(case, received, code)


async def receive_one(socket: websockets.ClientConnection) -> tuple[str, Any]:
    async with asyncio.timeout(ANSWER_SECONDS):
        message = json.loads(await socket.recv())
    return message.get("type"), message


async def healthy(base: str) -> bool:
    async with aiohttp.ClientSession(base) as http, http.get("/healthz") as response:
        return response.status == 200


async def fuzz(base: str, family: str, cases: int) -> list[str]:
    """Every case of `family`, each problem as `seed/family/index: what, case`; stops if unhealthy."""
    makers: dict[str, Callable[[random.Random], HttpCase | SocketCase]] = {**HTTP_FAMILIES, **SOCKET_FAMILIES}
    make = makers[family]
    problems: list[str] = []
    # A connection of its own for each case, so that one case's dropped connection is not the next's.
    connector = aiohttp.TCPConnector(force_close=True)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        for index in range(cases):
            case = make(random.Random(f"{SEED}/{family}/{index}"))
            if isinstance(case, HttpCase):
                problem = await http_problem(http, case)
            else:
                problem = await socket_case_problem(base, case)
            if problem:
                problems.append(f"{SEED}/{family}/{index}: {problem}\n    case: {case!r:.500}")
            if (index % 50 == 49 or index == cases - 1) and not await healthy(base):
                problems.append(f"{SEED}/{family}/{index}: /healthz fails after this case")
                break
    return problems


async def check(server: EventfoldProcess, family: str, cases: int) -> None:
    if not await healthy(server.base):
        # An earlier family took the server down (and failed for it); this one gets a fresh one.
        server.stop()
        server.start()
    problems = await fuzz(server.base, family, cases)
    print(f"\n{family}: {cases} cases (seed {SEED}), {len(problems)} problems")
    assert not problems, f"{len(problems)} of {cases} cases:\n" + "\n".join(problems[:5])


@pytest.mark.parametrize(("family", "cases"), families(DEFAULT_CASES))
async def test_generated_envelopes(server: EventfoldProcess, family: str, cases: int) -> None:
    await check(server, family, cases)


@pytest.mark.parametrize(("family", "cases"), families(SLOW_CASES, pytest.mark.slow))
async def test_many_generated_envelopes(server: EventfoldProcess, family: str, cases: int) -> None:
    await check(server, family, cases)
