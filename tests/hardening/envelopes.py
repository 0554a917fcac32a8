"""Generated request envelopes: every field of a JSON HTTP body (single and batched) and of a WebSocket
message of either protocol, filled with any JSON value, and query variables spoiled the same way.

Each case comes from `random.Random(f"{seed}/{family}/{index}")`, so one failing case is rebuilt from
the three numbers a failure prints, without running the cases before it."""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DOCUMENTS = [
    "{ __typename }",
    "query Q { __typename } query R { projections { name } }",
    "query($id: ID!) { order(id: $id) { id status } }",
    "query($first: Int!, $after: String) { products(first: $first, after: $after) { edges { cursor } } }",
    "query($text: String!) { searchOrders(text: $text) { edges { cursor } } }",
    "query($at: DateTime) { salesReport(asOf: $at) { ordersPlaced } }",
    "query($after: Int!, $first: Int!) { events(afterPosition: $after, first: $first) { edges { cursor } } }",
    "query($id: ID!, $first: Int!) { history(id: $id, first: $first) { edges { cursor } } }",
]
"""Documents the fuzz puts in the `query` field when it is not spoiling that field itself: queries
only, so a socket that runs one answers at once (a subscription would wait for events)."""
LEGACY_DOCUMENTS = [
    'subscription { orderEvents(types: ["NoSuchEvent"]) { position } }',
    'subscription S { orderEvents(orderId: "not-an-id") { position } }',
    "subscription { noSuchField }",
]
"""The legacy protocol runs subscriptions only: these are refused at once (a subscription that
works would wait for events, and leave nothing to check)."""
VARIABLES = ["id", "first", "after", "text", "at"]
NAMES = ["Q", "R", "", "Nope", "__typename"]
TRANSPORT_TYPES = ["connection_init", "ping", "pong", "subscribe", "next", "error", "complete"]
LEGACY_TYPES = ["connection_init", "start", "stop", "connection_terminate", "data", "error", "ka"]


@dataclass(frozen=True)
class Deep:
    """A list nested `depth` deep, which `dumps` writes out without Python's recursion."""

    depth: int


def scalar(rng: random.Random) -> Any:
    kind = rng.randrange(12)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 1, 20, 101, 2**31, -(2**31) - 1, 2**63])
    if kind == 3:
        return rng.randint(-(2**200), 2**200)
    if kind == 4:
        return rng.choice([0.0, -0.0, 1.5, 1e308, -1e-308, 3.14159])
    if kind == 5:
        return "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(12)))
    if kind == 6:
        return rng.choice(["", " ", "null", "{", "query", "é€😀", "\u0000", "\ufeff{}", "1e400", "-1"])
    if kind == 7:
        return "x" * rng.choice([1_000, 100_000])
    if kind == 8:
        return rng.choice(DOCUMENTS + NAMES + TRANSPORT_TYPES + LEGACY_TYPES)
    if kind == 9:
        return Deep(rng.choice([5, 100, 1_000, 10_000]))
    if kind == 10:
        return "\ud800 lone surrogate"
    return rng.choice(["00000000-0000-0000-0000-000000000000", "2026-11-28T10:00:00+00:00", "abc"])


def value(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value: scalars of every type, lists and objects (nested a few levels)."""
    kind = rng.randrange(10)
    if kind < 7 or depth > 3:
        return scalar(rng)
    if kind < 9:
        return {
            rng.choice([*VARIABLES, "query", "id", "type", "payload", "", "é"]): value(rng, depth + 1)
            for _ in range(rng.randrange(4))
        }
    return [value(rng, depth + 1) for _ in range(rng.randrange(4))]


def dumps(item: Any) -> str:
    """JSON text, lone surrogates written as escapes and `Deep` nesting written out flat."""
    if isinstance(item, Deep):
        return "[" * item.depth + "1" + "]" * item.depth
    if isinstance(item, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {dumps(field)}" for key, field in item.items()) + "}"
    if isinstance(item, list):
        return "[" + ", ".join(dumps(field) for field in item) + "]"
    return json.dumps(item)


def sometimes(rng: random.Random, good: Any) -> Any:
    """`good` half the time, else anything."""
    return good if rng.random() < 0.5 else value(rng)


def variables(rng: random.Random) -> Any:
    """Values for the documents' variables, each valid-looking or anything; now and then not an object."""
    if rng.random() < 0.15:
        return value(rng)
    good = {"id": "00000000-0000-0000-0000-000000000000", "first": 5, "after": None, "text": "a", "at": None}
    return {name: sometimes(rng, good[name]) for name in VARIABLES if rng.random() < 0.8}


def envelope(rng: random.Random, spoil: str, documents: list[str] = DOCUMENTS) -> dict[str, Any]:
    """A GraphQL request object with the field `spoil` filled with anything, the others plausible."""
    request: dict[str, Any] = {"query": rng.choice(documents)}
    if "$" in request["query"] or rng.random() < 0.3:
        request["variables"] = variables(rng)
    if rng.random() < 0.3:
        request["operationName"] = rng.choice(NAMES)
    if rng.random() < 0.2:
        request["extensions"] = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    if spoil == "extensions" and rng.random() < 0.5:
        request["extensions"] = {"persistedQuery": value(rng)} | (
            {"persistedQuery": {"version": value(rng), "sha256Hash": value(rng)}}
            if rng.random() < 0.5
            else {}
        )
    elif spoil == "keys":
        request[rng.choice(["Query", "QUERY", "", "query ", "id", "type"])] = value(rng)
        if rng.random() < 0.3:
            del request["query"]
    elif spoil != "variables" or rng.random() < 0.5:
        request[spoil] = value(rng)
    return request


@dataclass(frozen=True)
class HttpCase:
    body: bytes
    content_type: str = "application/json"


def http_field(spoil: str) -> Callable[[random.Random], HttpCase]:
    return lambda rng: HttpCase(dumps(envelope(rng, spoil)).encode("utf-8", "surrogatepass"))


def http_batch(rng: random.Random) -> HttpCase:
    spoils = ["query", "operationName", "variables", "extensions", "keys"]
    items = [
        envelope(rng, rng.choice(spoils)) if rng.random() < 0.7 else value(rng)
        for _ in range(rng.choice([0, 1, 2, 5, 10, 11, 50]))
    ]
    return HttpCase(dumps(items).encode("utf-8", "surrogatepass"))


def http_raw(rng: random.Random) -> HttpCase:
    """Bodies that are not a JSON object in UTF-8: other encodings, broken or bare JSON, odd types."""
    good = dumps(envelope(rng, "query"))
    body = rng.choice(
        [
            good.encode("utf-16"),
            good.encode("utf-8")[: rng.randrange(1, len(good) + 1)],
            b'{"query": "{ __typename }", "operationName": "\xff\xfe"}',
            bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))),
            b"\xef\xbb\xbf" + good.encode(),
            dumps(value(rng)).encode("utf-8", "surrogatepass"),
            b'{"query": "{ __typename }", "query": {"a": 1}}',
            b"",
        ]
    )
    content_type = rng.choice(["application/json", "application/json; charset=latin-1", "text/plain"])
    return HttpCase(body, content_type)


HTTP_FAMILIES: dict[str, Callable[[random.Random], HttpCase]] = {
    "http-query": http_field("query"),
    "http-operationName": http_field("operationName"),
    "http-variables": http_field("variables"),
    "http-extensions": http_field("extensions"),
    "http-keys": http_field("keys"),
    "http-batch": http_batch,
    "http-raw-body": http_raw,
}


@dataclass(frozen=True)
class SocketCase:
    """What one connection sends: `init` instead of a plain connection_init, then `message`."""

    protocol: str
    message: str
    init: str | None = None
    silent: bool = False
    """A well-formed message that the protocol answers with nothing (a client's complete or stop)."""


def subscribe_type(protocol: str) -> str:
    return "subscribe" if protocol == "graphql-transport-ws" else "start"


def documents(protocol: str) -> list[str]:
    return DOCUMENTS if protocol == "graphql-transport-ws" else LEGACY_DOCUMENTS


def probe(protocol: str, id: str, choice: int = 0) -> str:
    """An operation the server answers at once with a result or an error that ends it."""
    document = documents(protocol)[choice]
    return json.dumps({"type": subscribe_type(protocol), "id": id, "payload": {"query": document}})


def socket_init(protocol: str) -> Callable[[random.Random], SocketCase]:
    def case(rng: random.Random) -> SocketCase:
        init = {"type": "connection_init", "payload": value(rng)}
        if rng.random() < 0.2:
            init = {"type": value(rng), "payload": {}}
        return SocketCase(protocol, probe(protocol, "fuzz", 1), init=dumps(init))

    return case


def socket_message(protocol: str) -> Callable[[random.Random], SocketCase]:
    """Any type (the protocol's own, the other protocol's, anything), id and payload."""

    def case(rng: random.Random) -> SocketCase:
        types = TRANSPORT_TYPES + LEGACY_TYPES
        message: dict[str, Any] = {"type": rng.choice(types) if rng.random() < 0.7 else value(rng)}
        if rng.random() < 0.8:
            message["id"] = sometimes(rng, "fuzz")
        if rng.random() < 0.8:
            message["payload"] = sometimes(rng, {"query": rng.choice(documents(protocol))})
        kind, named = message["type"], isinstance(message.get("id"), str)
        if protocol == "graphql-transport-ws":
            silent = kind == "pong" or (kind == "complete" and named)
        else:
            silent = kind == "connection_init" or (kind == "stop" and named)
        if rng.random() < 0.05:
            return SocketCase(protocol, rng.choice(["", "{", "[]", "null", "42", '"subscribe"']))
        return SocketCase(protocol, dumps(message), silent=silent)

    return case


def socket_subscribe(protocol: str) -> Callable[[random.Random], SocketCase]:
    """A subscribe (start) with a good id and the fields of its payload spoiled as over HTTP."""

    def case(rng: random.Random) -> SocketCase:
        spoil = rng.choice(["query", "operationName", "variables", "extensions", "keys", "payload"])
        payload = value(rng) if spoil == "payload" else envelope(rng, spoil, documents(protocol))
        message = {"type": subscribe_type(protocol), "id": "fuzz", "payload": payload}
        return SocketCase(protocol, dumps(message))

    return case


SOCKET_FAMILIES: dict[str, Callable[[random.Random], SocketCase]] = {
    f"{short}-{kind}": make(protocol)
    for short, protocol in [("ws", "graphql-transport-ws"), ("legacy-ws", "graphql-ws")]
    for kind, make in [("init", socket_init), ("message", socket_message), ("subscribe", socket_subscribe)]
}
