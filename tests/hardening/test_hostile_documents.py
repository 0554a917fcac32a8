"""Hostile GraphQL documents against a real server process: each costs the server little CPU and
memory, and is refused with the limit it breaks, before the server spends more than that."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.app.test_serve import environment
from tests.hardening.server_process import EventfoldProcess

BOMB = "query { ...F0 }\n" + "".join(
    f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}\n" for n in range(20)
)
BOMB += "fragment F20 on Query { projections { name } }\n"
"""Twenty fragments each spreading the next twice: 2^20 spreads of the last one, in 1 KB."""
TOKENS = "{ " + "projections { name } " * 46_000 + "}"
SHORT_TOKENS = "{ " + "a " * 5_000 + "}"
COMMENT = "#" + "x" * 990_000 + "\n{ __typename }"
"""980 KB of tokens, far above the token limit."""
ORDERS = "{ orders(first: 100) { edges { node { id total status customer { id name email } } } } }"
"""Costs 901: 1 for `orders`, 9 for each of its 100 nodes."""


def server(tmp_path: Path, **env: str) -> Iterator[EventfoldProcess]:
    process = EventfoldProcess(
        {**environment(Settings(data_dir=tmp_path)), **env}, tmp_path, "hostile", projector=False
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventfoldProcess]:
    yield from server(tmp_path_factory.mktemp("open"))


@pytest.fixture(scope="module")
def closed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventfoldProcess]:
    yield from server(tmp_path_factory.mktemp("closed"), EVENTFOLD_AUTH="on")


def post(process: EventfoldProcess, body: object) -> tuple[Any, float]:
    """The answer to `body`, and the server CPU seconds spent meanwhile."""
    before = process.cpu_seconds()
    response = httpx.post(f"{process.base}/graphql", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json(), process.cpu_seconds() - before


def refused(answer: dict[str, Any]) -> list[dict[str, Any]]:
    assert answer.get("data") is None, answer
    return list(answer["errors"])


async def test_a_fragment_bomb_costs_little_and_blocks_nothing(open_server: EventfoldProcess) -> None:
    async with httpx.AsyncClient(base_url=open_server.base, timeout=120) as http:
        before = open_server.cpu_seconds()
        bomb = asyncio.create_task(http.post("/graphql", json={"query": BOMB}))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        assert (await http.get("/healthz")).status_code == 200
        health_seconds = time.monotonic() - started
        [error] = refused((await bomb).json())
    cpu = open_server.cpu_seconds() - before
    print(f"fragment bomb: {cpu:.3f} s of server CPU")
    assert error["extensions"]["limit"] == "max_cost"
    assert cpu < 0.5
    assert health_seconds < 1


def test_an_anonymous_caller_where_a_token_is_required_costs_a_header_check(
    closed_server: EventfoldProcess,
) -> None:
    for query in (BOMB, TOKENS):
        answer, cpu = post(closed_server, {"query": query})
        print(f"anonymous, {len(query)} characters: {cpu:.3f} s of server CPU")
        assert [error["extensions"]["code"] for error in refused(answer)] == ["UNAUTHENTICATED"]
        assert cpu < 0.2


def test_a_document_is_parsed_no_further_than_the_token_limit(open_server: EventfoldProcess) -> None:
    answer, cpu = post(open_server, {"query": SHORT_TOKENS})
    print(f"{len(SHORT_TOKENS)} characters of tokens: {cpu:.3f} s of server CPU")
    [error] = refused(answer)
    assert "more than 2000 tokens" in error["message"]


@pytest.mark.parametrize(
    ("name", "query"), [("980 KB of tokens", TOKENS), ("1 MB of comment", COMMENT)], ids=["tokens", "comment"]
)
def test_a_long_document_is_refused_unread(open_server: EventfoldProcess, name: str, query: str) -> None:
    answer, cpu = post(open_server, {"query": query})
    print(f"{name}: {cpu:.3f} s of server CPU")
    [error] = refused(answer)
    assert error["message"] == f"this document has {len(query)} characters, above the limit of 20000"
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": "max_document_chars", "max": 20000}
    assert cpu < 0.3


@pytest.mark.parametrize(
    "query",
    [
        '{ searchOrders(text: "lamp", first: 100) { edges { node { id lines { sku name quantity } } } } }',
        "{ orders(first: 100) { edges { node { lines { sku name quantity unitPrice } } } } }",
    ],
)
def test_list_fields_cost_their_largest_length(open_server: EventfoldProcess, query: str) -> None:
    answer, _ = post(open_server, {"query": query})
    [error] = refused(answer)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": "max_cost", "max": 5000}


def test_a_page_size_out_of_bounds_is_refused_even_where_it_is_skipped(open_server: EventfoldProcess) -> None:
    query = "{ projections { name } orders(first: -100000) @skip(if: true) { edges { node { id } } } }"
    answer, _ = post(open_server, {"query": query})
    [error] = refused(answer)
    assert error["message"] == "first: must be between 1 and 100, got -100000"
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


def test_a_batch_is_priced_as_a_whole(open_server: EventfoldProcess) -> None:
    answers, cpu = post(open_server, [{"query": ORDERS}] * 10)
    print(f"a batch of 10 operations costing 901 each: {cpu:.3f} s of server CPU")
    for answer in answers:
        [error] = refused(answer)
        assert "this batch costs 9010, above the limit of 5000" in error["message"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": "max_cost", "max": 5000}

    cheap, _ = post(open_server, [{"query": ORDERS}] * 5)
    assert [answer["data"]["orders"]["edges"] for answer in cheap] == [[]] * 5


@pytest.mark.parametrize(
    "query",
    [
        "{ " + "projections { name } " * 180 + "}",
        "{ " + ("projections { " + "name " * 20 + "} ") * 20 + "}",
        "{ " + "... on Query { projections { name } } " * 100 + "}",
    ],
    ids=["one field 180 times", "20 x 20 nested copies", "copies in inline fragments"],
)
def test_copies_of_a_field_are_refused_before_they_are_compared(
    open_server: EventfoldProcess, query: str
) -> None:
    """GraphQL's field-merging rule compares every pair of fields at one path: quadratic."""
    answer, cpu = post(open_server, {"query": query})
    print(f"{len(query)} characters of copied fields: {cpu:.3f} s of server CPU")
    [error] = refused(answer)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": "max_repeats", "max": 10}
    assert cpu < 0.1


def test_distinct_documents_do_not_fill_memory(open_server: EventfoldProcess) -> None:
    """Before, 300 distinct 1 MB documents (a comment changed) took the server from 394 to 1,224 MB:
    every cache kept each whole document. Now a long one is refused unread, and only short ones are
    remembered, 250 of them at most."""
    with httpx.Client(base_url=open_server.base, timeout=120) as http:
        http.post("/graphql", json={"query": COMMENT})
        before = open_server.resident_bytes()
        for n in range(100):
            http.post("/graphql", json={"query": f"#{n}{COMMENT}"})
        for n in range(300):
            # As long as a remembered document may be, and as many tokens as it can hold.
            http.post("/graphql", json={"query": f"#{n}\n{{ {'projections { name } ' * 180}}}"})
        grown = open_server.resident_bytes() - before
    print(f"resident memory grew {grown / 2**20:.0f} MiB after 400 distinct documents")
    assert grown < 150 * 2**20
