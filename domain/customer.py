"""The Customer aggregate: its state, how events evolve it, and what commands decide."""

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from domain.commands import (
    ChangeCustomerAddress,
    ChangeCustomerEmail,
    EraseCustomer,
    RegisterCustomer,
    VerifyCustomerEmail,
)
from domain.decider import Decider
from domain.errors import InvalidState, NotFound
from domain.events import (
    ERASED,
    CustomerAddressChanged,
    CustomerEmailChanged,
    CustomerEmailVerified,
    CustomerErased,
    CustomerEvent,
    CustomerRegistered,
)
from domain.values import Address

CustomerCommand = (
    RegisterCustomer | ChangeCustomerAddress | ChangeCustomerEmail | VerifyCustomerEmail | EraseCustomer
)


@dataclass(frozen=True, slots=True)
class Customer:
    id: UUID
    name: str
    email: str
    email_verified: bool
    address: Address | None
    version: int
    created_at: datetime
    updated_at: datetime
    erased: bool = False


def evolve(state: Customer | None, event: CustomerEvent, stream_id: UUID, at: datetime) -> Customer:
    if isinstance(event, CustomerRegistered):
        return Customer(
            id=stream_id,
            name=event.name,
            email=event.email,
            email_verified=False,
            address=event.address,
            version=1,
            created_at=at,
            updated_at=at,
        )
    if state is None:
        raise ValueError(f"{event.type_name} before CustomerRegistered in stream {stream_id}")
    # One `replace` an event: each costs as much as the rest of folding one (a stream is folded at
    # every command on it).
    version = state.version + 1
    match event:
        case CustomerAddressChanged(address=address):
            return replace(state, version=version, updated_at=at, address=address)
        case CustomerEmailChanged(email=email):
            return replace(state, version=version, updated_at=at, email=email, email_verified=False)
        case CustomerEmailVerified():
            return replace(state, version=version, updated_at=at, email_verified=True)
        case CustomerErased():
            return replace(
                state, version=version, updated_at=at, name=ERASED, email=ERASED, address=None, erased=True
            )
    raise TypeError(f"unexpected customer event {event.type_name}")


def decide(command: CustomerCommand, state: Customer | None) -> list[CustomerEvent]:
    if isinstance(command, RegisterCustomer):
        if state is not None:
            raise InvalidState(f"customer {command.customer_id} is already registered")
        address = command.address.to_address() if command.address else None
        return [CustomerRegistered(name=command.name, email=command.email, address=address)]
    if state is None:
        raise NotFound("customer", command.customer_id)
    if state.erased:
        raise InvalidState(f"customer {command.customer_id} is erased")
    match command:
        case ChangeCustomerAddress(address=address_input):
            address = address_input.to_address()
            return [] if address == state.address else [CustomerAddressChanged(address=address)]
        case ChangeCustomerEmail(email=email):
            if email == state.email:
                return []
            return [CustomerEmailChanged(email=email, previous_email=state.email)]
        case VerifyCustomerEmail():
            return [] if state.email_verified else [CustomerEmailVerified(email=state.email)]
        case EraseCustomer():
            return [CustomerErased()]
    raise TypeError(f"unexpected customer command {type(command).__name__}")


DECIDER = Decider[CustomerCommand, CustomerEvent, Customer]("Customer", decide, evolve)
