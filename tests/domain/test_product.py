import uuid
from decimal import Decimal

import pytest

from domain import product
from domain.commands import ChangeProductPrice, CreateProduct
from domain.errors import InvalidInput, NotFound
from domain.events import ProductCreated, ProductPriceChanged
from tests.domain.given import given

ID = uuid.uuid4()
CREATED = ProductCreated(currency="EUR", sku="W-1", name="Widget", price=Decimal("19.90"))


def test_create_a_product_with_its_price_in_cents() -> None:
    command = CreateProduct(currency="EUR", product_id=ID, sku="W-1", name="Widget", price=Decimal("19.9"))
    assert product.decide(command, None) == [CREATED]


def test_a_second_product_with_the_same_sku_is_refused_naming_the_sku() -> None:
    state = given(product.evolve, ID, CREATED)
    with pytest.raises(InvalidInput) as refused:
        product.decide(
            CreateProduct(currency="EUR", product_id=ID, sku="W-1", name="Other", price=Decimal(1)), state
        )
    assert refused.value.field == "sku"


def test_the_product_decider_reprices_what_it_created() -> None:
    state = given(product.DECIDER.evolve, ID, CREATED)
    decided = product.DECIDER.decide(ChangeProductPrice(product_id=ID, price=Decimal(1)), state)
    assert decided == [
        ProductPriceChanged(currency="EUR", price=Decimal("1.00"), previous_price=Decimal("19.90"))
    ]


def test_change_price() -> None:
    state = given(product.evolve, ID, CREATED)
    decided = product.decide(ChangeProductPrice(product_id=ID, price=Decimal("24.50")), state)
    assert decided == [
        ProductPriceChanged(currency="EUR", price=Decimal("24.50"), previous_price=Decimal("19.90"))
    ]
    after = given(product.evolve, ID, CREATED, *decided)
    assert after is not None
    assert (after.price, after.version) == (Decimal("24.50"), 2)


def test_the_same_price_records_nothing() -> None:
    state = given(product.evolve, ID, CREATED)
    assert product.decide(ChangeProductPrice(product_id=ID, price=Decimal("19.90")), state) == []


def test_changing_the_price_of_an_unknown_product_is_not_found() -> None:
    with pytest.raises(NotFound):
        product.decide(ChangeProductPrice(product_id=ID, price=Decimal(1)), None)
