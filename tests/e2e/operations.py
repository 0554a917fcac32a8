"""The GraphQL documents the end-to-end tests send, and small helpers to set the scene."""

from typing import Any

from tests.conftest import GraphQLClient

EVENT_FIELDS = "id streamId streamType type version position recordedAt data metadata"

REGISTER_CUSTOMER = f"""
mutation($input: RegisterCustomerInput!) {{
  registerCustomer(input: $input) {{
    customer {{
      id name email emailVerified address {{ street city postalCode country }} version createdAt updatedAt
    }}
    events {{ {EVENT_FIELDS} }}
  }}
}}"""

CHANGE_CUSTOMER_ADDRESS = f"""
mutation($input: ChangeCustomerAddressInput!) {{
  changeCustomerAddress(input: $input) {{
    customer {{ id address {{ street city postalCode country }} version }} events {{ {EVENT_FIELDS} }}
  }}
}}"""

CHANGE_CUSTOMER_EMAIL = f"""
mutation($input: ChangeCustomerEmailInput!) {{
  changeCustomerEmail(input: $input) {{
    customer {{ id email emailVerified version }} events {{ {EVENT_FIELDS} }}
  }}
}}"""

VERIFY_CUSTOMER_EMAIL = f"""
mutation($input: VerifyCustomerEmailInput!) {{
  verifyCustomerEmail(input: $input) {{ customer {{ id emailVerified version }} events {{ {EVENT_FIELDS} }} }}
}}"""

CREATE_PRODUCT = f"""
mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ id sku name price version }} events {{ {EVENT_FIELDS} }} }}
}}"""

CHANGE_PRODUCT_PRICE = f"""
mutation($input: ChangeProductPriceInput!) {{
  changeProductPrice(input: $input) {{ product {{ id price version }} events {{ {EVENT_FIELDS} }} }}
}}"""

ORDER_FIELDS = """
id customerId customer { id name } total status placedAt shippedAt carrier trackingNumber
cancelledAt cancelReason version
lines { productId sku name quantity unitPrice lineTotal }
"""

PLACE_ORDER = f"""
mutation($input: PlaceOrderInput!) {{
  placeOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} events {{ {EVENT_FIELDS} }} }}
}}"""

SHIP_ORDER = f"""
mutation($input: ShipOrderInput!) {{
  shipOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} events {{ {EVENT_FIELDS} }} }}
}}"""

CANCEL_ORDER = f"""
mutation($input: CancelOrderInput!) {{
  cancelOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} events {{ {EVENT_FIELDS} }} }}
}}"""

HISTORY = f"""
query($id: ID!, $first: Int, $after: String) {{
  history(id: $id, first: $first, after: $after) {{
    edges {{ cursor node {{ {EVENT_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}"""

EVENTS = f"""
query($afterPosition: Int, $first: Int) {{
  events(afterPosition: $afterPosition, first: $first) {{
    edges {{ cursor node {{ {EVENT_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}"""


async def register_customer(graphql: GraphQLClient, name: str = "Ann Lee") -> dict[str, Any]:
    email = name.lower().replace(" ", ".") + "@example.com"
    data = await graphql.data(REGISTER_CUSTOMER, input={"name": name, "email": email})
    customer: dict[str, Any] = data["registerCustomer"]["customer"]
    return customer


async def create_product(graphql: GraphQLClient, sku: str, price: str, name: str = "") -> dict[str, Any]:
    data = await graphql.data(
        CREATE_PRODUCT, input={"sku": sku, "name": name or f"Product {sku}", "price": price}
    )
    product: dict[str, Any] = data["createProduct"]["product"]
    return product


async def place_order(graphql: GraphQLClient, **extra: Any) -> dict[str, Any]:
    """An order of three widgets for a new customer."""
    customer = await register_customer(graphql)
    widget = await create_product(graphql, extra.pop("sku", "W-1"), "19.90", "Widget")
    data = await graphql.data(
        PLACE_ORDER,
        input={"customerId": customer["id"], "lines": [{"productId": widget["id"], "quantity": 3}], **extra},
    )
    order: dict[str, Any] = data["placeOrder"]["order"]
    return order
