"""Key management over GraphQL, for admins: the same operations as `eventfold keys`."""

from datetime import UTC, datetime
from typing import Self

import strawberry
from strawberry import Info

from access.api_keys import is_customer, issue, key_name
from access.principals import Role
from domain.errors import InvalidInput, NotFound
from schema.context import Context
from schema.validation import parse_id
from store import api_keys
from store.api_keys import KeyNameTaken

ContextInfo = Info[Context, None]

# One enum for the whole code base: GraphQL shows its names, everything else uses its values.
strawberry.enum(Role, description=Role.__doc__)


@strawberry.type
class ApiKey:
    id: strawberry.ID
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    customer_id: strawberry.ID | None = strawberry.field(
        description="The one customer a key of the customer role acts for."
    )

    @classmethod
    def from_key(cls, key: api_keys.ApiKey) -> Self:
        return cls(
            id=strawberry.ID(str(key.id)),
            name=key.name,
            role=Role(key.role),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            customer_id=strawberry.ID(str(key.customer_id)) if key.customer_id else None,
        )


@strawberry.input
class CreateApiKeyInput:
    name: str
    role: Role
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="For the customer role (and only for it): the customer the key acts for."
    )


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey
    token: str = strawberry.field(description="The bearer token: shown this once, stored only as a hash.")


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID = strawberry.field(description="The key's id or its name.")


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="Every API key, revoked ones too (admin only).")
    async def api_keys(self, info: ContextInfo) -> list[ApiKey]:
        return [ApiKey.from_key(key) for key in await info.context.api_keys.list()]


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(description="A new API key (admin only).")
    async def create_api_key(self, info: ContextInfo, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        customer_id = parse_id(input.customer_id, "customerId") if input.customer_id is not None else None
        if (
            input.role is Role.CUSTOMER
            and customer_id
            and not await is_customer(info.context.events, customer_id)
        ):
            raise NotFound("customer", customer_id)
        try:
            key, token = await issue(
                info.context.api_keys, key_name(input.name), input.role, datetime.now(UTC), customer_id
            )
        except KeyNameTaken as taken:
            raise InvalidInput("name", str(taken)) from None
        return CreateApiKeyPayload(api_key=ApiKey.from_key(key), token=token)

    @strawberry.mutation(
        description=(
            "Revoke an API key by id or name (admin only). This server refuses it at once; other "
            "processes within the key cache time (EVENTFOLD_API_KEY_CACHE_SECONDS)."
        )
    )
    async def revoke_api_key(self, info: ContextInfo, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        revoked = await info.context.api_keys.revoke(str(input.id), datetime.now(UTC))
        if revoked is None:
            raise NotFound("API key", input.id)
        return RevokeApiKeyPayload(api_key=ApiKey.from_key(revoked))
