"""What every resolver can reach for one request."""

from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader

from domain import customer
from schema.command_handler import CommandHandler, fold
from store.events import EventStore


@dataclass
class Context:
    events: EventStore
    commands: CommandHandler
    correlation_id: str
    customers: DataLoader[UUID, customer.Customer | None] = field(init=False)

    def __post_init__(self) -> None:
        self.customers = DataLoader(self._load_customers)

    def metadata(self) -> dict[str, str]:
        return {"correlationId": self.correlation_id}

    async def _load_customers(self, ids: list[UUID]) -> list[customer.Customer | None]:
        streams = await self.events.read_streams(ids)
        return [fold(customer.evolve, streams.get(customer_id, [])) for customer_id in ids]
