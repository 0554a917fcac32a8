"""Concurrent clients placing, shipping and cancelling orders over HTTP, and what each was told.

The clients share a pool of orders: every placement replaces one of them, so shipments and
cancellations keep racing each other on the same few orders for the whole run. Placements draw
their idempotency key from a small range, so repeats of one key race each other too.
"""

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.e2e.operations import CREATE_PRODUCT, REGISTER_CUSTOMER

EVENT = "events { id streamId version position type }"
PLACE = f"""mutation($input: PlaceOrderInput!) {{
  placeOrder(input: $input) {{ order {{ id version }} {EVENT} }}
}}"""
SHIP = f"""mutation($input: ShipOrderInput!) {{
  shipOrder(input: $input) {{ order {{ id version }} {EVENT} }}
}}"""
CANCEL = f"""mutation($input: CancelOrderInput!) {{
  cancelOrder(input: $input) {{ order {{ id version }} {EVENT} }}
}}"""

REFUSALS = frozenset({"CONFLICT", "INVALID_STATE"})
"""What a lost race is answered with: the entity moved on (CONFLICT) or left PLACED (INVALID_STATE)."""
UNAVAILABLE = "SERVICE_UNAVAILABLE"
RETRY_SECONDS = 60.0
"""How long a client keeps repeating a request the server could not answer (while it is down)."""


@dataclass
class Tally:
    """Everything the clients were told, to hold against the event log afterwards."""

    operations: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    """Error codes answered, by code (every answer counts, retries included)."""
    interrupted: int = 0
    """Requests that got no answer at all: the server went away under them."""
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Every event a client was told was recorded, by id, as it was told."""
    placed: dict[str, str] = field(default_factory=dict)
    """The order each idempotency key was answered with."""
    unexpected: list[str] = field(default_factory=list)
    """Answers that are neither a payload nor an expected refusal, or that contradict an earlier one."""

    @property
    def conflicts(self) -> int:
        return self.codes["CONFLICT"]

    def summary(self) -> str:
        return (
            f"{self.operations} operations, {self.conflicts} conflicts, "
            f"{self.codes['INVALID_STATE']} invalid state, {self.codes[UNAVAILABLE]} unavailable, "
            f"{self.interrupted} interrupted, {len(self.acknowledged)} events acknowledged"
        )


@dataclass
class Scene:
    customers: list[str]
    products: list[str]
    orders: list[str]
    """The shared pool: shipments and cancellations pick from it, placements replace its members."""
    recorded: int = 0
    """Events recorded setting the scene."""


async def mutate(http: aiohttp.ClientSession, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with http.post("/graphql", json={"query": query, "variables": variables}) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def set_scene(http: aiohttp.ClientSession, orders: int, prefix: str) -> Scene:
    """A few customers and products, and `orders` placed orders to share."""
    customers = []
    for number in range(4):
        body = await mutate(
            http,
            REGISTER_CUSTOMER,
            {"input": {"name": f"Client {number}", "email": f"c{number}@example.com"}},
        )
        customers.append(body["data"]["registerCustomer"]["customer"]["id"])
    products = []
    for number in range(4):
        body = await mutate(
            http,
            CREATE_PRODUCT,
            {"input": {"sku": f"{prefix}-{number}", "name": f"Gadget {number}", "price": f"{number + 1}.25"}},
        )
        products.append(body["data"]["createProduct"]["product"]["id"])
    scene = Scene(customers, products, [])
    for number in range(orders):
        body = await mutate(http, PLACE, {"input": placement(scene, f"{prefix}-shared-{number}")})
        scene.orders.append(body["data"]["placeOrder"]["order"]["id"])
    scene.recorded = len(customers) + len(products) + orders
    return scene


def placement(scene: Scene, key: str) -> dict[str, Any]:
    """What a key orders is fixed by the key, so every repeat of it asks for the same thing."""
    pick = random.Random(key)
    chosen = pick.sample(scene.products, pick.randint(1, 2))
    return {
        "customerId": pick.choice(scene.customers),
        "lines": [{"productId": product, "quantity": pick.randint(1, 5)} for product in chosen],
        "idempotencyKey": key,
    }


class Client:
    """One client: `operations` mutations back to back, each repeated while the server cannot answer."""

    def __init__(
        self, http: aiohttp.ClientSession, scene: Scene, tally: Tally, seed: str, keys: int, guarded: bool
    ) -> None:
        self._http = http
        self._scene = scene
        self._tally = tally
        self._random = random.Random(seed)
        self._seed = seed
        self._keys = keys
        # Guarded: every placement has a key and every change an expectedVersion, so a request
        # repeated after an unknown outcome cannot be applied twice.
        self._guarded = guarded

    async def run(self, operations: int) -> None:
        for _ in range(operations):
            kind = self._random.choices(("place", "ship", "cancel"), weights=(4, 3, 3))[0]
            if kind == "place":
                await self._place()
            else:
                await self._change(kind)

    async def _place(self) -> None:
        if self._guarded or self._random.random() < 0.7:
            key = f"key-{self._random.randrange(self._keys)}"
        else:
            key = f"once-{self._seed}-{self._random.getrandbits(64)}"
        input = placement(self._scene, key)
        if not self._guarded and key.startswith("once-"):
            del input["idempotencyKey"]
        payload = await self._send(PLACE, input)
        if payload is not None:
            order = payload["order"]["id"]
            if "idempotencyKey" in input and self._tally.placed.setdefault(key, order) != order:
                self._tally.unexpected.append(
                    f"key {key} answered {order}, earlier {self._tally.placed[key]}"
                )
            self._scene.orders[self._random.randrange(len(self._scene.orders))] = order

    async def _change(self, kind: str) -> None:
        order = self._random.choice(self._scene.orders)
        input: dict[str, Any] = {"orderId": order}
        if kind == "ship":
            input |= {"carrier": "DHL", "trackingNumber": f"T{self._random.getrandbits(32)}"}
        else:
            input["reason"] = "changed my mind"
        if self._guarded or self._random.random() < 0.5:
            # Every order in the pool was PLACED (version 1) when it joined it.
            input["expectedVersion"] = 1
        await self._send(SHIP if kind == "ship" else CANCEL, input)

    async def _send(self, query: str, input: dict[str, Any]) -> dict[str, Any] | None:
        """The payload, or None for an expected refusal."""
        self._tally.operations += 1
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            try:
                body = await mutate(self._http, query, {"input": input})
            except aiohttp.ClientError:
                self._tally.interrupted += 1
                body = None
            if body is not None:
                if body.get("data"):
                    payload: dict[str, Any] = next(iter(body["data"].values()))
                    for event in payload["events"]:
                        self._tally.acknowledged[event["id"]] = event
                    return payload
                codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
                self._tally.codes.update(str(code) for code in codes)
                if codes != [UNAVAILABLE]:
                    if not REFUSALS.issuperset(codes):
                        self._tally.unexpected.append(f"{input} answered {body}")
                    return None
            if time.monotonic() > deadline:
                self._tally.unexpected.append(f"{input} got no answer for {RETRY_SECONDS} s")
                return None
            await asyncio.sleep(0.05)


async def run_clients(
    bases: list[str], scene: Scene, tally: Tally, clients: int, operations: int, guarded: bool = False
) -> None:
    """`clients` clients, spread over the servers at `bases`, each doing `operations` mutations."""
    keys = max(1, clients * operations // 8)

    async def one(number: int) -> None:
        async with session(bases[number % len(bases)]) as http:
            await Client(http, scene, tally, f"client-{number}", keys, guarded).run(operations)

    await asyncio.gather(*(one(number) for number in range(clients)))


def session(base: str) -> aiohttp.ClientSession:
    """An HTTP client (aiohttp: the load test needs one that costs little CPU per request)."""
    return aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=30))
