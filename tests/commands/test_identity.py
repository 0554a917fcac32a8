import uuid
from decimal import Decimal

from commands.identity import identified, order_id_for_idempotency_key, product_id_for_sku
from domain.commands import CreateProduct, OrderLineInput, PlaceOrder

LINES = (OrderLineInput(product_id=uuid.uuid4(), quantity=1),)


def test_skus_are_one_product_whatever_their_case() -> None:
    assert product_id_for_sku("w-1") == product_id_for_sku("W-1")
    assert product_id_for_sku("W-1") != product_id_for_sku("W-2")


def test_a_new_product_is_named_by_its_sku_whatever_id_it_came_with() -> None:
    command = CreateProduct(
        currency="EUR", product_id=uuid.uuid4(), sku="W-1", name="Widget", price=Decimal(1)
    )
    assert identified(command).product_id == product_id_for_sku("W-1")


def test_an_order_is_named_by_its_idempotency_key_when_it_has_one() -> None:
    keyed = PlaceOrder(order_id=uuid.uuid4(), customer_id=uuid.uuid4(), lines=LINES, idempotency_key="k-1")
    assert identified(keyed).order_id == order_id_for_idempotency_key("k-1")
    unkeyed = keyed.model_copy(update={"idempotency_key": None})
    assert identified(unkeyed) == unkeyed


def test_a_key_names_another_order_for_each_caller() -> None:
    keyed = PlaceOrder(order_id=uuid.uuid4(), customer_id=uuid.uuid4(), lines=LINES, idempotency_key="k-1")
    ids = {
        identified(keyed.model_copy(update={"idempotency_scope": scope})).order_id
        for scope in (None, "key:shop-a", "key:shop-b", "jwt:shop-a")
    }
    assert len(ids) == 4
    assert identified(keyed.model_copy(update={"idempotency_scope": "key:shop-a"})).order_id == (
        order_id_for_idempotency_key("k-1", "key:shop-a")
    )
