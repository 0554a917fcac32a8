"""What every resolver can reach for one request."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from strawberry.dataloader import DataLoader

from access.principals import Caller
from commands.erasure import Erasure
from commands.fold import fold
from commands.handler import CommandHandler
from domain import customer
from live.broadcast import Broadcaster
from projections import customer_profiles
from projections.collections import CollectionNames
from projections.progress import Progress
from store.api_keys import ApiKeys
from store.documents import Document, DocumentStore
from store.events import EventStore
from store.projection_state import Leases, ProjectionStates


@dataclass
class Context:
    events: EventStore
    commands: CommandHandler
    erasure: Erasure
    documents: DocumentStore
    collections: CollectionNames
    states: ProjectionStates
    leases: Leases
    progress: Progress
    broadcaster: Broadcaster
    correlation_id: str
    api_keys: ApiKeys
    caller: Caller
    authenticate: Callable[[str | None], Awaitable[Caller]]
    """Who a token stands for: WebSocket clients present theirs in connection_init."""
    currency: str
    """The deployment's currency (EVENTFOLD_CURRENCY): of new products and reports, unless they name one."""
    credential: str | None = None
    """The `Authorization` value `caller` was made of: a socket checks it again for each operation."""
    connection_params: object = None
    customers: DataLoader[str, Document | None] = field(init=False)

    def __post_init__(self) -> None:
        # One read for all the customers of a page of orders, however many orders name them.
        self.customers = DataLoader(self._load_customers)

    async def customer_as_of(self, customer_id: UUID, instant: datetime) -> customer.Customer | None:
        return fold(customer.evolve, await self.events.read_stream(customer_id, as_of=instant))

    def metadata(self) -> dict[str, str]:
        metadata = {"correlationId": self.correlation_id}
        if self.caller.principal is not None:
            metadata["actor"] = self.caller.principal.name
        return metadata

    async def _load_customers(self, ids: list[str]) -> list[Document | None]:
        found = await customer_profiles.profiles(self.documents, self.collections, ids)
        return [found.get(customer_id) for customer_id in ids]
