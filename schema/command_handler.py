"""Command handling: load the aggregate's events, fold them, decide, append.

A lost race (another writer appended first) is retried from a fresh load, a bounded number of times,
only when the client did not pin an `expectedVersion`: with one, the client asked to be told.
Retries wait a short random time, so writers that collided once do not collide again in lockstep.
"""

import asyncio
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain import customer, order, product
from domain.commands import (
    CancelOrder,
    ChangeCustomerAddress,
    ChangeCustomerEmail,
    ChangeProductPrice,
    CreateProduct,
    PlaceOrder,
    RegisterCustomer,
    ShipOrder,
    VerifyCustomerEmail,
)
from domain.errors import Conflict, NotFound
from domain.events import Event
from store.events import EventStore, RecordedEvent, StreamVersionConflict

MAX_ATTEMPTS = 10
FIRST_BACKOFF_SECONDS = 0.002
MAX_BACKOFF_SECONDS = 0.1

type Evolve[S] = Callable[[S | None, Any, UUID, datetime], S]


def fold[S](evolve: Evolve[S], history: Sequence[RecordedEvent], state: S | None = None) -> S | None:
    for recorded in history:
        state = evolve(state, recorded.event, recorded.stream_id, recorded.recorded_at)
    return state


def fold_entity[S](kind: str, evolve: Evolve[S], history: Sequence[RecordedEvent]) -> S | None:
    """The entity a stream holds, or None when there is none of that kind: an id of another kind of
    entity (an order's id sent as a customer's) names no such entity."""
    if history and history[0].stream_type != kind:
        return None
    return fold(evolve, history)


@dataclass(frozen=True, slots=True)
class Outcome[S]:
    """The aggregate as the write side now knows it, and what this command recorded."""

    state: S
    events: list[RecordedEvent]


class CommandHandler:
    def __init__(self, events: EventStore) -> None:
        self._events = events

    async def register_customer(
        self, command: RegisterCustomer, metadata: Mapping[str, str]
    ) -> Outcome[customer.Customer]:
        return await self._handle(
            "Customer",
            command.customer_id,
            None,
            customer.evolve,
            lambda state: customer.decide(command, state),
            metadata,
            command,
        )

    async def change_customer(
        self,
        command: ChangeCustomerAddress | ChangeCustomerEmail | VerifyCustomerEmail,
        metadata: Mapping[str, str],
    ) -> Outcome[customer.Customer]:
        return await self._handle(
            "Customer",
            command.customer_id,
            command.expected_version,
            customer.evolve,
            lambda state: customer.decide(command, state),
            metadata,
            command,
        )

    async def create_product(
        self, command: CreateProduct, metadata: Mapping[str, str]
    ) -> Outcome[product.Product]:
        return await self._handle(
            "Product",
            command.product_id,
            None,
            product.evolve,
            lambda state: product.decide(command, state),
            metadata,
            command,
        )

    async def change_product_price(
        self, command: ChangeProductPrice, metadata: Mapping[str, str]
    ) -> Outcome[product.Product]:
        return await self._handle(
            "Product",
            command.product_id,
            command.expected_version,
            product.evolve,
            lambda state: product.decide(command, state),
            metadata,
            command,
        )

    async def change_order(
        self, command: ShipOrder | CancelOrder, metadata: Mapping[str, str]
    ) -> Outcome[order.Order]:
        return await self._handle(
            "Order",
            command.order_id,
            command.expected_version,
            order.evolve,
            lambda state: order.decide(command, state),
            metadata,
            command,
        )

    async def place_order(self, command: PlaceOrder, metadata: Mapping[str, str]) -> Outcome[order.Order]:
        product_ids = [line.product_id for line in command.lines]
        for attempt in range(MAX_ATTEMPTS):
            await _back_off(attempt)
            # Everything the decision needs, in one read.
            streams = await self._events.read_streams([command.order_id, command.customer_id, *product_ids])
            history = streams.get(command.order_id, [])
            state = fold_entity("Order", order.evolve, history)
            products = {
                product_id: found
                for product_id in product_ids
                if (found := fold_entity("Product", product.evolve, streams.get(product_id, []))) is not None
            }
            buyer = fold_entity("Customer", customer.evolve, streams.get(command.customer_id, []))
            decided = order.place(command, state, buyer, products)
            if not decided:
                # An idempotent repeat: answer exactly what the first placement answered.
                first = history[:1]
                placed = fold(order.evolve, first)
                assert placed is not None
                return Outcome(placed, first)
            try:
                recorded = await self._events.append(
                    command.order_id, 0, decided, _with_causation(metadata, command)
                )
            except StreamVersionConflict:
                continue
            placed = fold(order.evolve, recorded)
            assert placed is not None
            return Outcome(placed, recorded)
        raise Conflict(f"order {command.order_id} kept changing; try again")

    async def _handle[S](
        self,
        kind: str,
        stream_id: UUID,
        expected_version: int | None,
        evolve: Evolve[S],
        decide: Callable[[S | None], Sequence[Event]],
        metadata: Mapping[str, str],
        command: object,
    ) -> Outcome[S]:
        for attempt in range(MAX_ATTEMPTS):
            await _back_off(attempt)
            history = await self._events.read_stream(stream_id)
            if history and history[0].stream_type != kind:
                raise NotFound(kind.lower(), stream_id)
            state = fold(evolve, history)
            version = len(history)
            if expected_version is not None and state is not None and expected_version != version:
                raise Conflict(
                    f"expectedVersion is {expected_version} but {stream_id} is at version {version}; "
                    "reload it and try again"
                )
            decided = decide(state)
            if not decided:
                assert state is not None
                return Outcome(state, [])
            try:
                recorded = await self._events.append(
                    stream_id, version, decided, _with_causation(metadata, command)
                )
            except StreamVersionConflict:
                if expected_version is not None:
                    raise Conflict(
                        f"{stream_id} changed while this command ran (expectedVersion {expected_version}); "
                        "reload it and try again"
                    ) from None
                continue
            new_state = fold(evolve, recorded, state)
            assert new_state is not None
            return Outcome(new_state, recorded)
        raise Conflict(f"{stream_id} kept changing while this command ran; try again")


def _with_causation(metadata: Mapping[str, str], command: object) -> dict[str, str]:
    """Each command gets an id of its own; the events it records name it as their cause."""
    return {**metadata, "causationId": str(uuid.uuid4()), "command": type(command).__name__}


async def _back_off(attempt: int) -> None:
    if attempt:
        ceiling = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**attempt)
        await asyncio.sleep(random.uniform(0, ceiling))
