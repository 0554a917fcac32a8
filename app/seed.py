"""Demo data: customers, products and orders with histories spread over past weeks, recorded through
the same commands and rules as the API, each at the instant it is meant to have happened.

The plan (who registers when, which orders are placed, shipped or cancelled, which prices and
addresses change) is drawn first; then the commands run in the order of their instants, with the
event store's clock set to each. The log's `recordedAt` never runs backwards, so on a store that
already holds events the seeded history starts after the last of them.
"""

import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from faker import Faker

from commands.handler import CommandHandler
from commands.identity import product_id_for_sku
from domain.commands import (
    AddressInput,
    CancelOrder,
    ChangeCustomerAddress,
    ChangeProductPrice,
    CreateProduct,
    OrderLineInput,
    PlaceOrder,
    RegisterCustomer,
    ShipOrder,
    VerifyCustomerEmail,
)
from domain.upcasting import DEFAULT_CURRENCY
from store.events import EventStore

LOCALES = {"en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "nl_NL": "NL", "it_IT": "IT"}
KINDS = ["Desk Lamp", "Notebook", "Coffee Mug", "Backpack", "Water Bottle", "Headphones", "Keyboard"]
KINDS += ["Chair Cushion", "Umbrella", "Scarf", "Tea Set", "Phone Stand", "Plant Pot", "Wall Clock"]
STYLES = ["Classic", "Compact", "Deluxe", "Eco", "Nordic", "Studio", "Travel", "Vintage"]
CARRIERS = ["DHL", "UPS", "FedEx", "DPD", "GLS"]
REASONS = ["customer changed their mind", "found a better price", "ordered by mistake", "out of stock"]
METADATA = {"correlationId": "eventfold-seed"}


class SeedClock:
    """The instant the next command is recorded at: the seed moves it along its plan."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


type SeedCommand = (
    RegisterCustomer
    | VerifyCustomerEmail
    | ChangeCustomerAddress
    | CreateProduct
    | ChangeProductPrice
    | PlaceOrder
    | ShipOrder
    | CancelOrder
)


@dataclass(order=True)
class _Planned:
    at: datetime
    sequence: int
    command: SeedCommand = field(compare=False)


@dataclass(frozen=True, slots=True)
class Seeded:
    start: datetime
    end: datetime
    commands: int
    after_existing: bool


class _Plan:
    """The commands drawn so far, each at its instant, and what drawing them needs."""

    def __init__(self, rng: random.Random, start: datetime, end: datetime, currency: str) -> None:
        self.rng = rng
        self.currency = currency
        self.start = start
        self.end = end
        # Not drawn from `rng`: seeding the same store twice with the same seed must not repeat SKUs.
        self.run = uuid.uuid4().hex[:6].upper()
        self.steps: list[_Planned] = []

    def at(self, instant: datetime, command: SeedCommand) -> None:
        # The sequence breaks ties in the order things were planned: a registration before its orders.
        self.steps.append(_Planned(instant, len(self.steps), command))

    def instant(self, after: datetime, before: datetime | None = None) -> datetime:
        return after + ((self.end if before is None else before) - after) * self.rng.random()

    @property
    def span(self) -> timedelta:
        return self.end - self.start


async def history_start(events: EventStore, weeks: float, end: datetime) -> tuple[datetime, bool]:
    """Where the seeded history can begin: `weeks` before `end`, or after the last recorded event."""
    start = end - timedelta(weeks=weeks)
    head = await events.head()
    if not head:
        return start, False
    last = (await events.read_all(head - 1, 1))[0].recorded_at + timedelta(milliseconds=1)
    return max(start, min(last, end)), True


def plan(
    rng: random.Random,
    customers: int,
    orders: int,
    start: datetime,
    end: datetime,
    currency: str = DEFAULT_CURRENCY,
) -> _Plan:
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for faker in fakers.values():
        faker.seed_instance(rng.getrandbits(32))
    planned = _Plan(rng, start, end, currency)
    products = _products(planned, min(len(KINDS), 4 + customers // 3))
    registered = [_customer(planned, fakers, number) for number in range(customers)]
    # A few customers place most of the orders, as in any shop.
    loyalty = [rng.paretovariate(1.2) for _ in registered]
    for _ in range(orders if registered else 0):
        _order(planned, rng.choices(registered, loyalty)[0], products)
    planned.steps.sort()
    return planned


def _products(planned: _Plan, count: int) -> list[uuid.UUID]:
    rng = planned.rng
    products: list[uuid.UUID] = []
    for number in range(count):
        sku = f"{planned.run}-{number + 1:03d}"
        name = f"{rng.choice(STYLES)} {KINDS[number]}"
        price = Decimal(rng.choice([5, 9, 12, 19, 24, 29, 39, 49, 79])) - Decimal("0.01")
        product_id = product_id_for_sku(sku)
        products.append(product_id)
        created = planned.start + planned.span * 0.01 * rng.random()
        planned.at(
            created,
            CreateProduct(product_id=product_id, sku=sku, name=name, price=price, currency=planned.currency),
        )
        if rng.random() < 0.3:
            change = ChangeProductPrice(product_id=product_id, price=price + Decimal(rng.choice([-3, 2, 5])))
            planned.at(planned.instant(created), change)
    return products


def _customer(planned: _Plan, fakers: dict[str, Faker], number: int) -> tuple[uuid.UUID, datetime]:
    """A registration, maybe a verified email and a move; returns who registered and when."""
    rng = planned.rng
    locale = rng.choice(list(LOCALES))
    faker = fakers[locale]
    name = faker.name()
    customer_id = uuid.uuid4()
    address = AddressInput(
        street=faker.street_address().replace("\n", ", "),
        city=faker.city(),
        postal_code=faker.postcode(),
        country=LOCALES[locale],
    )
    registration = RegisterCustomer(
        customer_id=customer_id, name=name, email=_email(name, planned.run, number), address=address
    )
    # Most customers arrive early, so the weeks show a growing shop rather than an empty start.
    joined = planned.start + planned.span * 0.02 + planned.span * 0.7 * rng.random() ** 2
    planned.at(joined, registration)
    if rng.random() < 0.6:
        verify = VerifyCustomerEmail(customer_id=customer_id)
        planned.at(planned.instant(joined, min(planned.end, joined + timedelta(days=3))), verify)
    if rng.random() < 0.15:
        moved = ChangeCustomerAddress(
            customer_id=customer_id,
            address=address.model_copy(update={"street": faker.street_address().replace("\n", ", ")}),
        )
        planned.at(planned.instant(joined), moved)
    return customer_id, joined


def _order(planned: _Plan, buyer: tuple[uuid.UUID, datetime], products: list[uuid.UUID]) -> None:
    """An order placed after its buyer joined, then most likely shipped, perhaps cancelled."""
    rng = planned.rng
    customer_id, joined = buyer
    placed = planned.instant(joined)
    chosen = rng.sample(products, rng.choices([1, 2, 3, 4], [50, 30, 15, 5])[0])
    order_id = uuid.uuid4()
    placement = PlaceOrder(
        order_id=order_id,
        customer_id=customer_id,
        lines=[OrderLineInput(product_id=p, quantity=rng.choice([1, 1, 1, 2, 2, 3, 5])) for p in chosen],
    )
    planned.at(placed, placement)
    fate = rng.random()
    shipped = placed + timedelta(hours=rng.uniform(2, 72))
    cancelled = placed + timedelta(hours=rng.uniform(0.2, 24))
    if fate < 0.75 and shipped < planned.end:
        ship = ShipOrder(
            order_id=order_id, carrier=rng.choice(CARRIERS), tracking_number=f"{rng.getrandbits(40):010X}"
        )
        planned.at(shipped, ship)
    elif fate < 0.87 and cancelled < planned.end:
        cancel = CancelOrder(order_id=order_id, reason=rng.choice(REASONS))
        planned.at(cancelled, cancel)


def _email(name: str, run: str, number: int) -> str:
    """A valid, unique address for a name in any alphabet Faker uses."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    local = ".".join(part for part in "".join(c if c.isalnum() else " " for c in ascii_name).split()[:2])
    return f"{local or 'customer'}.{run.lower()}{number}@example.com"


async def seed(
    events: EventStore,
    clock: SeedClock,
    *,
    customers: int,
    orders: int,
    weeks: float,
    rng: random.Random,
    progress: Callable[[int, int], None],
    currency: str = DEFAULT_CURRENCY,
) -> Seeded:
    """Records the plan's commands at their instants (`events` must read the time from `clock`),
    telling `progress` how many of how many are done."""
    end = datetime.now(UTC)
    start, after_existing = await history_start(events, weeks, end)
    planned = plan(rng, customers, orders, start, end, currency)
    handler = CommandHandler(events)
    for done, step in enumerate(planned.steps):
        clock.now = step.at
        await handler.handle(step.command, METADATA)
        progress(done + 1, len(planned.steps))
    clock.now = datetime.now(UTC)
    return Seeded(start, end, len(planned.steps), after_existing)
