import uuid

import pytest

from domain import customer
from domain.commands import (
    AddressInput,
    ChangeCustomerAddress,
    ChangeCustomerEmail,
    EraseCustomer,
    RegisterCustomer,
    VerifyCustomerEmail,
)
from domain.errors import InvalidState, NotFound
from domain.events import (
    ERASED,
    CustomerAddressChanged,
    CustomerEmailChanged,
    CustomerEmailVerified,
    CustomerErased,
    CustomerRegistered,
)
from domain.values import Address
from tests.domain.given import START, given

ID = uuid.uuid4()
ADDRESS = AddressInput(street="1 Main St", city="Berlin", postal_code="10115", country="DE")
REGISTERED = CustomerRegistered(name="Ann", email="ann@example.com")


def test_register_a_new_customer() -> None:
    command = RegisterCustomer(customer_id=ID, name="Ann", email="ann@example.com", address=ADDRESS)

    assert customer.decide(command, None) == [
        CustomerRegistered(name="Ann", email="ann@example.com", address=ADDRESS.to_address())
    ]


def test_registering_an_existing_customer_again_is_refused() -> None:
    state = given(customer.evolve, ID, REGISTERED)
    with pytest.raises(InvalidState):
        customer.decide(RegisterCustomer(customer_id=ID, name="Ann", email="ann@example.com"), state)


@pytest.mark.parametrize(
    "command",
    [
        ChangeCustomerAddress(customer_id=ID, address=ADDRESS),
        ChangeCustomerEmail(customer_id=ID, email="new@example.com"),
        VerifyCustomerEmail(customer_id=ID),
    ],
)
def test_changing_a_customer_that_does_not_exist_is_not_found(command: customer.CustomerCommand) -> None:
    with pytest.raises(NotFound):
        customer.decide(command, None)


def test_change_address() -> None:
    state = given(customer.evolve, ID, REGISTERED)
    decided = customer.decide(ChangeCustomerAddress(customer_id=ID, address=ADDRESS), state)
    assert decided == [CustomerAddressChanged(address=ADDRESS.to_address())]


def test_changing_to_the_same_address_records_nothing() -> None:
    state = given(customer.evolve, ID, REGISTERED, CustomerAddressChanged(address=ADDRESS.to_address()))
    assert customer.decide(ChangeCustomerAddress(customer_id=ID, address=ADDRESS), state) == []


def test_change_email_remembers_the_previous_one_and_unverifies() -> None:
    state = given(customer.evolve, ID, REGISTERED, CustomerEmailVerified(email="ann@example.com"))
    decided = customer.decide(ChangeCustomerEmail(customer_id=ID, email="ann@work.example"), state)
    assert decided == [CustomerEmailChanged(email="ann@work.example", previous_email="ann@example.com")]

    after = given(customer.evolve, ID, REGISTERED, CustomerEmailVerified(email="ann@example.com"), *decided)
    assert after is not None
    assert (after.email, after.email_verified, after.version) == ("ann@work.example", False, 3)


def test_verify_email_once() -> None:
    state = given(customer.evolve, ID, REGISTERED)
    assert customer.decide(VerifyCustomerEmail(customer_id=ID), state) == [
        CustomerEmailVerified(email="ann@example.com")
    ]
    verified = given(customer.evolve, ID, REGISTERED, CustomerEmailVerified(email="ann@example.com"))
    assert customer.decide(VerifyCustomerEmail(customer_id=ID), verified) == []


def test_state_tracks_creation_and_last_change() -> None:
    state = given(
        customer.evolve,
        ID,
        REGISTERED,
        CustomerAddressChanged(address=Address(street="s", city="c", postal_code="p", country="FR")),
    )
    assert state is not None
    assert state.created_at == START
    assert state.updated_at > START
    assert state.version == 2
    assert state.address is not None
    assert state.address.country == "FR"


def test_the_customer_decider_verifies_a_registered_email() -> None:
    state = given(customer.DECIDER.evolve, ID, REGISTERED)
    assert customer.DECIDER.decide(VerifyCustomerEmail(customer_id=ID), state) == [
        CustomerEmailVerified(email="ann@example.com")
    ]


def test_erase_a_customer() -> None:
    state = given(customer.evolve, ID, REGISTERED)

    assert customer.decide(EraseCustomer(customer_id=ID), state) == [CustomerErased()]


def test_an_erased_customer_keeps_its_facts_without_its_personal_data() -> None:
    state = given(
        customer.evolve, ID, REGISTERED, CustomerEmailVerified(email="ann@example.com"), CustomerErased()
    )

    assert state is not None
    assert (state.name, state.email, state.address, state.erased) == (ERASED, ERASED, None, True)
    assert (state.email_verified, state.version, state.created_at) == (True, 3, START)


def test_erasing_twice_is_refused() -> None:
    state = given(customer.evolve, ID, REGISTERED, CustomerErased())

    with pytest.raises(InvalidState, match="erased"):
        customer.decide(EraseCustomer(customer_id=ID), state)


def test_erasing_an_unknown_customer_is_refused() -> None:
    with pytest.raises(NotFound):
        customer.decide(EraseCustomer(customer_id=ID), None)


def test_an_erased_customer_records_no_new_personal_data() -> None:
    state = given(customer.evolve, ID, REGISTERED, CustomerErased())

    with pytest.raises(InvalidState, match="erased"):
        customer.decide(ChangeCustomerEmail(customer_id=ID, email="new@example.com"), state)
