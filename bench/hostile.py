"""Hostile documents: what the worst requests known cost the server, in CPU time of its process.

    uv run python -m bench.hostile [--orders 30] [--repeat 30]

One `eventfold serve` on SQLite with a few orders; each request is sent alone and the server
process's user + system CPU time (/proc/<pid>/stat, clock-tick resolution) is read before it and
once the server has gone quiet after it (so idle work of up to 20 ms in 0.2 s may be billed to a
row). A row costing more than 50 ms is flagged: a client could keep a core busy with a handful of
such requests. The changing-comment documents are sent `--repeat` times (each unlike the
others, so no cache helps) and reported in total and per request. Linux only.
"""

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.report import arguments
from bench.servers import running_server
from bench.subscriptions import server_pid

FLAG_MS = 50.0
REPEATED_FIELD = "{ " + "projections { name } " * 180 + "}"
NESTED_COPIES = "{ " + ("projections { " + "name " * 20 + "} ") * 20 + "}"
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
LISTS = """{
  orders(first: 100) { edges { node { id total lines { sku quantity unitPrice lineTotal }
    customer { id name email address { city } } } } }
  products(first: 100) { edges { node { id sku name price } } }
  events(first: 100) { edges { node { id type position data } } }
}"""
REGISTER = "mutation($i: RegisterCustomerInput!) { registerCustomer(input: $i) { customer { id } } }"
CREATE = "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }"
PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"


def cpu_ms(pid: int) -> float:
    # Fields after the command name, which is in parentheses and may hold spaces: utime, stime are
    # the 14th and 15th of the whole line.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS


def fragment_bomb(depth: int = 20) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(1, depth)]
    return "{ ...F1 } " + " ".join(fragments) + f" fragment F{depth} on Query {{ __typename }}"


def token_document(size: int = 980_000) -> str:
    return "{ " + "__typename " * ((size - 4) // 11) + "}"


def commented(index: int, size: int = 1_000_000) -> str:
    return f"# {index}\n#" + "x" * (size - 40) + "\n{ __typename }"


def deep_fragments(depth: int = 2_000) -> str:
    return "{ " + "... on Query { " * depth + "__typename" + " }" * depth + " }"


def deep_argument(depth: int = 50_000) -> str:
    return "{ order(id: " + "[" * depth + '"x"' + "]" * depth + ") { id } }"


def aliases(count: int, field: str) -> str:
    return "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"


def cases() -> list[tuple[str, Any, dict[str, str]]]:
    """(name, JSON body, extra headers) of each hostile request but the repeated comment documents."""
    big_object = {f"k{i}": [i, str(i), {"n": None}] for i in range(30_000)}
    return [
        ("control: { __typename }", {"query": "{ __typename }"}, {}),
        ("fragment bomb, 20 deep", {"query": fragment_bomb()}, {}),
        ("980 KB of tokens", {"query": token_document()}, {}),
        ("list-heavy (cost undercount)", {"query": LISTS}, {}),
        ("batch of 10 list-heavy", [{"query": LISTS}] * 10, {}),
        ("inline fragments 2,000 deep", {"query": deep_fragments()}, {}),
        ("argument list 50,000 deep", {"query": deep_argument()}, {}),
        ("5,000 aliases of __typename", {"query": aliases(5_000, "__typename")}, {}),
        (
            "100 aliases of products(first: 100)",
            {"query": aliases(100, "products(first: 100) { edges { node { id sku } } }")},
            {},
        ),
        ("one field 180 times (field merging)", {"query": REPEATED_FIELD}, {}),
        ("20 x 20 copies of nested fields", {"query": NESTED_COPIES}, {}),
        ("huge variables: 900 KB string", {"query": "{ __typename }", "variables": {"x": "x" * 900_000}}, {}),
        ("huge variables: 30,000 keys", {"query": "{ __typename }", "variables": big_object}, {}),
        ("variables 100,000 deep", {"query": "{ __typename }", "variables": {"x": Deep(100_000)}}, {}),
        (
            "header: Authorization 60 KB",
            {"query": "{ __typename }"},
            {"Authorization": "Bearer " + "x" * 60_000},
        ),
        (
            "header: X-Eventfold-Position 8 KB",
            {"query": "{ __typename }"},
            {"X-Eventfold-Position": "9" * 8_000},
        ),
    ]


class Deep:
    """A list nested `depth` deep: json.dumps would recurse, so it is written out by `encode`."""

    def __init__(self, depth: int) -> None:
        self.depth = depth


def encode(body: Any) -> bytes:
    if isinstance(body, dict) and isinstance(body.get("variables", {}).get("x"), Deep):
        depth: int = body["variables"]["x"].depth
        nested = "[" * depth + "1" + "]" * depth
        return ('{"query": ' + json.dumps(body["query"]) + ', "variables": {"x": ' + nested + "}}").encode()
    return json.dumps(body).encode()


def outcome(response: httpx.Response) -> str:
    """The status and the first error code of an answer (or of each item of a batch's)."""
    try:
        answer = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:40]!r}"
    items = answer if isinstance(answer, list) else [answer]
    codes = sorted(
        {
            (error.get("extensions") or {}).get("code", "no code")
            for item in items
            for error in (item.get("errors") or [] if isinstance(item, dict) else [])
        }
    )
    return f"{response.status_code} {','.join(codes) or 'data'}"


def send(http: httpx.Client, pid: int, body: bytes, headers: dict[str, str]) -> tuple[str, float]:
    before = cpu_ms(pid)
    try:
        response = http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json", **headers}
        )
        result = outcome(response)
    except httpx.HTTPError as failed:
        result = f"no answer: {type(failed).__name__}"
    return result, settled(pid) - before


def settled(pid: int, limit_seconds: float = 120) -> float:
    """The server's CPU time once it has gone quiet: what it still does after answering (or after the
    client gave up waiting) is part of the request's cost, and must not be billed to the next one."""
    deadline = time.monotonic() + limit_seconds
    last = cpu_ms(pid)
    while True:
        time.sleep(0.2)
        now = cpu_ms(pid)
        if now - last <= 2 * TICK_MS or time.monotonic() > deadline:
            return now
        last = now


def seed(http: httpx.Client, orders: int) -> None:
    """Customers, products and orders for the list-heavy queries to walk."""
    for index in range(orders):
        customer = http.post(
            "/graphql",
            json={
                "query": REGISTER,
                "variables": {"i": {"name": f"Hostile {index}", "email": f"h{index}@example.com"}},
            },
        ).json()["data"]["registerCustomer"]["customer"]["id"]
        product = http.post(
            "/graphql",
            json={
                "query": CREATE,
                "variables": {"i": {"sku": f"HOSTILE-{index}", "name": "Hostile", "price": "1.00"}},
            },
        ).json()["data"]["createProduct"]["product"]["id"]
        lines = [{"productId": product, "quantity": 1}] * 5
        http.post(
            "/graphql",
            json={"query": PLACE, "variables": {"input": {"customerId": customer, "lines": lines}}},
        )


def row(name: str, result: str, cost: float, flagged: bool = True) -> None:
    flag = "  !! over 50 ms" if flagged and cost > FLAG_MS else ""
    print(f"{name:<42} {result:<44} {cost:>9.0f}{flag}")


def measure(orders: int, repeat: int) -> None:
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_server(data_dir) as base,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        pid = server_pid(int(base.rsplit(":", 1)[1]))
        seed(http, orders)
        time.sleep(1)
        print(f"{'request':<42} {'answer':<44} {'CPU ms':>9}")
        for name, body, headers in cases():
            row(name, *send(http, pid, encode(body), headers))
        results: dict[str, int] = {}
        costs = []
        for index in range(repeat):
            result, cost = send(http, pid, json.dumps({"query": commented(index)}).encode(), {})
            results[result] = results.get(result, 0) + 1
            costs.append(cost)
        summary = ", ".join(f"{count}x {result}" for result, count in results.items())
        row(f"1 MB, changing comment: {repeat} in total", summary, sum(costs), flagged=False)
        row("1 MB, changing comment: per request (mean)", "", sum(costs) / repeat)
        row("1 MB, changing comment: per request (max)", "", max(costs))
        healthy = http.get("/healthz").status_code
        print(f"\n/healthz afterwards: {healthy}; CPU of the server since it started: {cpu_ms(pid):.0f} ms")


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--orders", type=int, default=30, help="orders (each with its customer, product)")
    parser.add_argument("--repeat", type=int, default=30, help="how many changing-comment documents")
    args = parser.parse_args()
    measure(args.orders, args.repeat)
