"""Database round trips per operation on MongoDB, counted with PyMongo's command monitoring.

    uv run python -m bench.round_trips

Exact and machine-independent. Runs against mongoeco's wire-protocol server started here (or the
replica set in EVENTFOLD_TEST_MONGODB_URI): one app with a projector fills the read models, a second
one without a projector answers the operations that are counted.
"""

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from mongoeco.wire import AsyncMongoEcoProxyServer

from app.settings import Settings
from app.web import create_app
from bench.report import Figures, show
from store.mongo.round_trips import RoundTripCounter

OPERATIONS: list[tuple[str, str, int]] = [
    (
        "registerCustomer",
        'mutation { registerCustomer(input: {name: "Bo", email: "bo@example.com"}) { customer { id } } }',
        3,
    ),
    (
        "createProduct",
        'mutation { createProduct(input: {sku: "RT-2", name: "RT", price: "2.00"}) { product { id } } }',
        3,
    ),
    (
        "changeCustomerEmail",
        'mutation { changeCustomerEmail(input: {customerId: "$customer", email: "n@example.com"}) '
        "{ customer { id } } }",
        3,
    ),
    (
        "changeProductPrice",
        'mutation { changeProductPrice(input: {productId: "$product", price: "3.00"}) { product { id } } }',
        3,
    ),
    (
        "placeOrder, 1 line",
        'mutation { placeOrder(input: {customerId: "$customer", lines: '
        '[{productId: "$product", quantity: 1}]}) { order { id } } }',
        4,
    ),
    (
        "shipOrder",
        'mutation { shipOrder(input: {orderId: "$order", carrier: "DHL", trackingNumber: "1"}) '
        "{ order { id } } }",
        3,
    ),
    ("order", 'query { order(id: "$order") { id status total } }', 1),
    ("order with asOf", 'query { order(id: "$order", asOf: "2030-01-01T00:00:00Z") { id status } }', 1),
    (
        "orders, page with customers",
        "query { orders(first: 20) { edges { node { id customer { name } } } } }",
        2,
    ),
    ("customer", 'query { customer(id: "$customer") { id name } }', 1),
    ("product", 'query { product(id: "$product") { id price } }', 1),
    ("products", "query { products(first: 20) { edges { node { sku } } } }", 1),
    ("searchOrders", 'query { searchOrders(text: "RT-1") { edges { node { id } } } }', 2),
    ("customers, search", 'query { customers(search: "an") { edges { node { id } } } }', 1),
    ("products, search", 'query { products(search: "rt") { edges { node { sku } } } }', 1),
    (
        "products with asOf, search",
        'query { products(search: "rt", asOf: "2026-01-01T00:00:00Z") { edges { node { sku } } } }',
        1,
    ),
    ("salesReport", "query { salesReport { ordersPlaced revenue } }", 1),
    ("orders with asOf", 'query { orders(asOf: "2026-01-01T00:00:00Z") { edges { node { id } } } }', 1),
    (
        "orders with asOf, PLACED",
        'query { orders(asOf: "2026-01-01T00:00:00Z", filter: {status: PLACED}) { edges { node { id } } } }',
        4,
    ),
    ("salesReport with asOf", 'query { salesReport(asOf: "2026-01-01T00:00:00Z") { ordersPlaced } }', 2),
    ("history", 'query { history(id: "$order") { edges { node { type } } } }', 1),
    ("events", "query { events(first: 10) { edges { node { type } } } }", 1),
]


@contextlib.contextmanager
def mongodb() -> Iterator[str]:
    if uri := os.environ.get("EVENTFOLD_TEST_MONGODB_URI"):
        yield uri
        return
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=0)
    address = asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=30)
    try:
        yield f"mongodb://{address.host}:{address.port}/?directConnection=true"
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)


@contextlib.asynccontextmanager
async def client(
    settings: Settings, counter: RoundTripCounter | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, command_listeners=(counter,) if counter else ())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as http,
    ):
        yield http


async def post(http: httpx.AsyncClient, query: str, position: int = 0) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query}, headers={"X-Eventfold-Position": str(position)}
    )
    body: dict[str, Any] = response.json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    data: dict[str, Any] = body["data"]
    return data


async def count(uri: str) -> Figures:
    settings = Settings(mongodb_uri=uri, mongodb_database=f"bench_{uuid.uuid4().hex[:8]}")
    counter = RoundTripCounter()
    async with (
        client(settings) as filling,
        client(settings.model_copy(update={"projector": False}), counter) as counted,
    ):
        ids = {
            "customer": (await post(filling, OPERATIONS[0][1]))["registerCustomer"]["customer"]["id"],
            "product": (await post(filling, OPERATIONS[1][1].replace("RT-2", "RT-1")))["createProduct"][
                "product"
            ]["id"],
        }
        placed = await post(
            filling,
            OPERATIONS[4][1].replace("$customer", ids["customer"]).replace("$product", ids["product"]),
        )
        ids["order"] = placed["placeOrder"]["order"]["id"]
        await post(filling, "{ events(first: 1) { edges { node { id } } } }", position=3)
        figures: Figures = {}
        for name, query, budget in OPERATIONS:
            for key, value in ids.items():
                query = query.replace(f"${key}", value)
            if name == "shipOrder":
                placed = await post(
                    counted,
                    OPERATIONS[4][1]
                    .replace("$customer", ids["customer"])
                    .replace("$product", ids["product"]),
                )
                query = query.replace(ids["order"], placed["placeOrder"]["order"]["id"])
            counter.names.clear()
            await post(counted, query)
            figures[f"{name} (budget {budget})"] = len(counter.names)
    return figures


def measure() -> Figures:
    with mongodb() as uri:
        return asyncio.run(count(uri))


if __name__ == "__main__":
    show(measure())
