from datetime import timedelta

import pytest

from domain.events import (
    ERASED,
    CustomerAddressChanged,
    CustomerEmailChanged,
    CustomerEmailVerified,
    CustomerErased,
    CustomerRegistered,
)
from projections.customer_profiles import PROJECTION
from tests.projections.given import START, fold, log
from tests.projections.history import ADDRESS, ANN, MOVED

REGISTERED = CustomerRegistered(name="Ann Lee", email="ann@example.com")
VERIFIED = CustomerEmailVerified(email="ann@example.com")
CHANGED = CustomerEmailChanged(email="ann@lee.example", previous_email="ann@example.com")


def minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def test_a_registered_customer_has_an_unverified_email() -> None:
    documents = fold(PROJECTION, log((ANN, REGISTERED, START)))

    assert documents == {
        str(ANN): {
            "_id": str(ANN),
            "_position": 1,
            "name": "Ann Lee",
            "email": "ann@example.com",
            "emailVerified": False,
            "address": None,
            "version": 1,
            "createdAt": START,
            "updatedAt": START,
            "words": ["ann", "lee", "example", "com"],
        }
    }


def test_a_registered_address_is_shown_in_camel_case() -> None:
    registered = REGISTERED.model_copy(update={"address": ADDRESS})

    [document] = fold(PROJECTION, log((ANN, registered, START))).values()

    assert document["address"] == {
        "street": "1 Main St",
        "city": "Berlin",
        "postalCode": "10115",
        "country": "DE",
    }


def test_changes_keep_the_creation_time_and_count_versions() -> None:
    documents = fold(
        PROJECTION,
        log(
            (ANN, REGISTERED, START),
            (ANN, VERIFIED, START + minutes(1)),
            (ANN, CustomerAddressChanged(address=MOVED), START + minutes(2)),
        ),
    )

    assert documents[str(ANN)] == {
        "_id": str(ANN),
        "_position": 3,
        "name": "Ann Lee",
        "email": "ann@example.com",
        "emailVerified": True,
        "address": {"street": "2 Side St", "city": "Paris", "postalCode": "75001", "country": "FR"},
        "version": 3,
        "createdAt": START,
        "updatedAt": START + minutes(2),
        "words": ["ann", "lee", "example", "com"],
    }


def test_a_changed_email_is_unverified_until_it_is_verified_again() -> None:
    events = log(
        (ANN, REGISTERED, START),
        (ANN, VERIFIED, START + minutes(1)),
        (ANN, CHANGED, START + minutes(2)),
        (ANN, CustomerEmailVerified(email="ann@lee.example"), START + minutes(3)),
    )

    changed = fold(PROJECTION, events[:3])[str(ANN)]
    verified = fold(PROJECTION, events)[str(ANN)]

    assert (changed["email"], changed["emailVerified"], changed["version"]) == ("ann@lee.example", False, 3)
    # Found by the new email only.
    assert changed["words"] == ["ann", "lee", "example"]
    assert (verified["email"], verified["emailVerified"], verified["version"]) == ("ann@lee.example", True, 4)


def test_a_change_to_a_customer_it_has_never_seen_registered_is_an_error() -> None:
    with pytest.raises(ValueError, match=f"CustomerEmailChanged at position 1 changes Customer {ANN}"):
        fold(PROJECTION, log((ANN, CHANGED, START)))


def test_an_erased_customer_keeps_its_facts_but_not_its_name_email_or_address() -> None:
    moved = CustomerAddressChanged(address=ADDRESS)
    events = log(
        (ANN, REGISTERED, START),
        (ANN, moved, START + minutes(1)),
        (ANN, CustomerErased(), START + minutes(2)),
    )

    documents = fold(PROJECTION, events)

    assert documents[str(ANN)] == {
        **fold(PROJECTION, events[:2])[str(ANN)],
        "_position": 3,
        "name": ERASED,
        "email": ERASED,
        "address": None,
        "erased": True,
        "words": [],
        "version": 3,
        "updatedAt": START + minutes(2),
    }
