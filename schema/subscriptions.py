"""Subscriptions: live order events and the order read model after each change, over WebSocket,
and the sharing of one execution between identical subscriptions as GraphQL results."""

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import Info
from strawberry.types import ExecutionResult

from access.ownership import Owners
from access.rules import customer_scope, sees
from commands.fold import fold
from domain import customer, order, product
from domain.decider import Evolve
from domain.errors import DomainError, InvalidInput
from domain.events import EVENT_TYPES, UndecodedEvent
from live.broadcast import BroadcastClosed, Interest
from live.buffer import FellBehind, SubscriberTooSlow
from live.multiplex import Key, Multiplexer
from schema.context import Context
from schema.errors import coded, unavailable
from schema.read_queries import projection_statuses, report, sales_window
from schema.types import Customer, Event, Order, Product, ProjectionStatus, SalesReport
from schema.validation import parse_id
from store.documents import Document
from store.events import RecordedEvent
from store.unavailable import StoreUnavailable

ContextInfo = Info[Context, None]

ORDER_EVENT_TYPES = frozenset(name for name, cls in EVENT_TYPES.items() if cls.stream_type == "Order")
ORDER_STREAM = frozenset({"Order"})
SALES = Interest(types=frozenset({"OrderPlaced", "OrderShipped", "OrderCancelled"}))
"""The events that change the sales report."""
PUSH_SECONDS = 1.0
"""The least time between two pushes of a sales report or projections subscription."""


def _order_filter(order_id: strawberry.ID | None, field: str, types: list[str] | None = None) -> Interest:
    """Every event of order streams, or only those of `types`: one filter each, so that a replay reads
    through the one index that fits it best, (streamType, position) or (type, position)."""
    stream = parse_id(order_id, field) if order_id is not None else None
    if types is None:
        return Interest(stream_id=stream, stream_types=ORDER_STREAM)
    unknown = sorted(set(types) - ORDER_EVENT_TYPES)
    if unknown:
        raise InvalidInput(
            "types",
            f"{', '.join(unknown)} is not an order event type ({', '.join(sorted(ORDER_EVENT_TYPES))})",
        )
    return Interest(stream_id=stream, types=frozenset(types))


def _stream_filter(entity_id: strawberry.ID, stream_type: str) -> Interest:
    """Every event of one customer's or product's stream; a malformed id is BAD_USER_INPUT."""
    try:
        return Interest(stream_id=parse_id(entity_id, "id"), stream_types=frozenset({stream_type}))
    except DomainError as error:
        raise coded(error) from None


async def _events(
    info: ContextInfo, interest: Interest, after_position: int | None
) -> AsyncGenerator[RecordedEvent]:
    try:
        async for recorded in info.context.broadcaster.events(interest, after_position):
            yield recorded
    except BroadcastClosed:
        # The server is shutting down: the subscription completes.
        return
    except SubscriberTooSlow as error:
        raise coded(InvalidInput("afterPosition", str(error))) from None


async def _own(info: ContextInfo, events: AsyncGenerator[RecordedEvent]) -> AsyncGenerator[RecordedEvent]:
    """The events a caller may see: to a customer, those of its own orders only (another's pass by
    unseen, as if they did not exist); to any other caller, all of them."""
    caller = info.context.caller
    async with contextlib.aclosing(events):
        if customer_scope(caller) is None:
            async for recorded in events:
                yield recorded
            return
        owners = Owners(info.context.events)
        async for recorded in events:
            if sees(caller, await owners.of(recorded)):
                yield recorded


class SharedSubscriptions(Multiplexer[ExecutionResult]):
    async def stream(
        self, key: Key, start: Callable[[], Awaitable[AsyncIterator[ExecutionResult]]]
    ) -> AsyncGenerator[ExecutionResult]:
        """A member that falls behind gets the reason as its last result, as GraphQL clients expect."""
        async with contextlib.aclosing(super().stream(key, start)) as results:
            try:
                async for result in results:
                    yield result
            except FellBehind as error:
                yield ExecutionResult(
                    data=None, errors=[GraphQLError(str(error), extensions={"code": "BAD_USER_INPUT"})]
                )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Order events as they are recorded; `afterPosition` first replays those after it."
    )
    async def order_events(
        self,
        info: ContextInfo,
        order_id: strawberry.ID | None = None,
        types: list[str] | None = None,
        after_position: int | None = None,
    ) -> AsyncGenerator[Event]:
        try:
            interest = _order_filter(order_id, "orderId", types)
            if after_position is not None and after_position < 0:
                raise InvalidInput("afterPosition", f"must be 0 or more, got {after_position}")
            async for recorded in _own(info, _events(info, interest, after_position)):
                yield Event.from_recorded(recorded)
        except DomainError as error:
            raise coded(error) from None
        except StoreUnavailable:
            raise unavailable() from None

    @strawberry.subscription(description="The order read model after each change (of one order, or of all).")
    async def order_changed(
        self, info: ContextInfo, id: strawberry.ID | None = None
    ) -> AsyncGenerator[Order]:
        try:
            interest = _order_filter(id, "id")
        except DomainError as error:
            raise coded(error) from None
        async for changed in _changed(info, interest, _ORDERS):
            yield changed

    @strawberry.subscription(description="A customer as its read model shows it, after each change.")
    async def customer_changed(self, info: ContextInfo, id: strawberry.ID) -> AsyncGenerator[Customer]:
        async for changed in _changed(info, _stream_filter(id, "Customer"), _CUSTOMERS):
            yield changed

    @strawberry.subscription(description="A product as its read model shows it, after each change.")
    async def product_changed(self, info: ContextInfo, id: strawberry.ID) -> AsyncGenerator[Product]:
        async for changed in _changed(info, _stream_filter(id, "Product"), _PRODUCTS):
            yield changed

    @strawberry.subscription(
        description="The sales report now, then again after the events that change it: at most once "
        "a second, a burst of orders being one push. Same arguments as salesReport but asOf."
    )
    async def sales_report_changed(
        self,
        info: ContextInfo,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        top: int = 10,
        currency: str | None = None,
    ) -> AsyncGenerator[SalesReport]:
        context = info.context
        try:
            window = sales_window(context, from_, to, top, currency)
        except DomainError as error:
            raise coded(error) from None
        try:
            shown_through = await context.events.head()
            await context.progress.wait_for(shown_through, seconds=2)
            yield await report(context, window, top)
            pushed_at = time.monotonic()
            async for recorded in _events(info, SALES, None):
                if recorded.position <= shown_through:
                    continue  # what arrived meanwhile was already in the last push
                # Coalesce: whatever else is recorded within the second is in the same push.
                await asyncio.sleep(max(0.0, pushed_at + PUSH_SECONDS - time.monotonic()))
                shown_through = max(recorded.position, await context.events.head())
                await context.progress.wait_for(shown_through, seconds=2)
                yield await report(context, window, top)
                pushed_at = time.monotonic()
        except StoreUnavailable:
            raise unavailable() from None

    @strawberry.subscription(
        description="Where each read model stands: now, then whenever that changes (looked at once a second)."
    )
    async def projections_changed(self, info: ContextInfo) -> AsyncGenerator[list[ProjectionStatus]]:
        shown: list[ProjectionStatus] | None = None
        try:
            while True:
                statuses = await projection_statuses(info.context)
                if statuses != shown:
                    yield statuses
                    shown = statuses
                await asyncio.sleep(PUSH_SECONDS)
        except StoreUnavailable:
            raise unavailable() from None


@dataclass(frozen=True, slots=True)
class _Shown[S, T]:
    """How an entity's changes are shown: its read model, and its own fold where that lags."""

    read_model: str
    evolve: Evolve[S]
    from_document: Callable[[Document], T]
    from_state: Callable[[S], T]


_ORDERS = _Shown("order_summaries", order.evolve, Order.from_document, Order.from_state)
_CUSTOMERS = _Shown("customer_profiles", customer.evolve, Customer.from_document, Customer.from_state)
_PRODUCTS = _Shown("product_catalogue", product.evolve, Product.from_document, Product.from_state)


async def _changed[S, T](info: ContextInfo, interest: Interest, shown: _Shown[S, T]) -> AsyncGenerator[T]:
    """The entity after each event of `interest`: as its read model shows it once it has applied
    the event, or, if it has not within two seconds, folded from its own events up to that one, which
    is what the read model will say."""
    context = info.context
    try:
        async for recorded in _own(info, _events(info, interest, None)):
            if isinstance(recorded.event, UndecodedEvent):
                # Not applied by the read model (it stops before it), nor foldable: nothing changed.
                continue
            await context.progress.wait_for(recorded.position, seconds=2)
            key = str(recorded.stream_id)
            found = await context.documents.get_many(context.collections[shown.read_model], [key])
            document = found.get(key)
            if document is not None and document["_position"] == recorded.position:
                yield shown.from_document(document)
                continue
            history = await context.events.read_stream(recorded.stream_id, to_version=recorded.version)
            if (state := fold(shown.evolve, history)) is not None:
                yield shown.from_state(state)
    except StoreUnavailable:
        raise unavailable() from None
