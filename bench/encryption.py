"""The cost of sealing personal data (crypto-shredding): `registerCustomer` and `placeOrder` through
the command layer (`CommandHandler` on the SQLite default, no HTTP), with EVENTFOLD_ENCRYPT_PERSONAL_DATA
on and off, side by side in one run.

    uv run python -m bench.encryption [--commands 2000] [--clients 1 8] [--rounds 3]

With it on, a registration makes the customer's data key (one more write, in a transaction of its
own) and seals its event; a placement reads the customer's stream (one key lookup to open it) and
looks the key up again to seal the order's copy of the name and email. Off, events are recorded in
plaintext as before. Each mode runs `rounds` times, alternating, in a fresh data directory; the best
round counts (the least disturbed by the other work on the machine), for the time elapsed and for the
CPU time of the process.
"""

import asyncio
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from bench.report import Figures, arguments, show
from commands.handler import CommandHandler
from domain.commands import Command, CreateProduct, OrderLineInput, PlaceOrder, RegisterCustomer
from store.connect import open_stores

META = {"correlationId": "bench"}


async def _timed(commands: list[Command], handler: CommandHandler, clients: int) -> tuple[float, float]:
    """Seconds per command, `clients` of them in flight at a time: elapsed, and of this process's CPU
    (which other work on the machine disturbs less)."""
    started, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(commands), clients):
        await asyncio.gather(
            *(handler.handle(command, META) for command in commands[first : first + clients])
        )
    return (time.perf_counter() - started) / len(commands), (time.process_time() - cpu) / len(commands)


async def _round(encrypt: bool, count: int, clients: int) -> list[tuple[float, float]]:
    """Seconds per registerCustomer and per placeOrder, elapsed and of CPU."""
    with tempfile.TemporaryDirectory() as data_dir:
        stores = await open_stores(mongodb_uri=None, data_dir=Path(data_dir), encrypt_personal_data=encrypt)
        try:
            handler = CommandHandler(stores.events)
            created = await handler.handle(
                CreateProduct(
                    product_id=uuid.uuid4(), sku="W-1", name="Widget", price=Decimal("19.90"), currency="EUR"
                ),
                META,
            )
            # The handler names a product after its SKU.
            product = created.state.id
            customers = [uuid.uuid4() for _ in range(count)]
            registering: list[Command] = [
                RegisterCustomer(customer_id=customer, name=f"Buyer {n}", email=f"buyer{n}@example.com")
                for n, customer in enumerate(customers)
            ]
            placing: list[Command] = [
                PlaceOrder(
                    order_id=uuid.uuid4(),
                    customer_id=customer,
                    lines=(OrderLineInput(product_id=product, quantity=1),),
                )
                for customer in customers
            ]
            return [await _timed(registering, handler, clients), await _timed(placing, handler, clients)]
        finally:
            await stores.close()


def compare(count: int, clients: list[int], rounds: int) -> Figures:
    figures: Figures = {}
    for concurrent in clients:
        best: dict[bool, list[tuple[float, float]]] = {}
        for _ in range(rounds):
            for encrypt in (True, False):
                measured = asyncio.run(_round(encrypt, count, concurrent))
                kept = best.get(encrypt, measured)
                best[encrypt] = [
                    (min(a[0], b[0]), min(a[1], b[1])) for a, b in zip(kept, measured, strict=True)
                ]
        for index, command in enumerate(("registerCustomer", "placeOrder")):
            (sealed, sealed_cpu), (plain, plain_cpu) = best[True][index], best[False][index]
            figures |= {
                f"{command}, {concurrent} clients: encrypted µs": sealed * 1e6,
                f"{command}, {concurrent} clients: plaintext µs": plain * 1e6,
                f"{command}, {concurrent} clients: ratio encrypted / plaintext": sealed / plain,
                f"{command}, {concurrent} clients: CPU µs encrypted": sealed_cpu * 1e6,
                f"{command}, {concurrent} clients: CPU µs plaintext": plain_cpu * 1e6,
            }
    return figures


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--commands", type=int, default=2_000, help="of each kind, per round")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    show(compare(args.commands, args.clients, args.rounds))
