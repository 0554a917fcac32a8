"""The GraphQL endpoint over HTTP and WebSocket: Strawberry's ASGI app with eventfold's context,
authentication of WebSocket connections, and refusals that say which limit was hit."""

import json
import uuid
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol
from strawberry.schema.base import BaseSchema
from strawberry.types.unset import UNSET, UnsetType

from access.authentication import Authenticator
from app import assets, correlation
from schema.access import refusal
from schema.context import Context
from store.connect import Stores


class EventfoldGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, max_batch: int, **options: Any) -> None:
        super().__init__(schema, **options)
        self._max_batch = max_batch

    async def render_graphql_ide(self, request: Request) -> Response:
        return await assets.graphiql(request)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError:
            # JSON nested deeper than Python's recursion limit is as unreadable as malformed JSON, and
            # gets the same answer (400 over HTTP, close 4400 on a WebSocket) instead of a 500.
            raise json.JSONDecodeError("nested too deeply", str(data[:100]), 0) from None

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state = request.app.state
        stores: Stores = state.stores
        authenticator: Authenticator = state.authenticator
        correlation_id = correlation.current.get() or str(uuid.uuid4())
        return Context(
            events=stores.events,
            commands=state.commands,
            documents=stores.documents,
            collections=state.collections,
            states=stores.states,
            progress=state.progress,
            broadcaster=state.broadcaster,
            correlation_id=correlation_id,
            api_keys=state.api_keys,
            caller=await authenticator.caller(request.headers.get("authorization")),
            authenticate=authenticator.caller,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a WebSocket, so the token comes in connection_init."""
        params = context.connection_params
        if isinstance(params, dict):
            token = params.get("authorization", params.get("Authorization"))
            if isinstance(token, str):
                context.caller = await context.authenticate(token)
        if (refused := refusal(context.caller)) is not None:
            raise ConnectionRejectionError({"message": refused.message})
        unset: UnsetType = UNSET
        return unset

    def _validate_batch_request(
        self, request_data: list[GraphQLRequestData], protocol: GraphQLRequestProtocol
    ) -> None:
        # Strawberry's own refusal does not say what the limit is.
        if len(request_data) > self._max_batch:
            raise HTTPException(
                400,
                f"a batch may hold at most {self._max_batch} operations (EVENTFOLD_MAX_BATCH), "
                f"this one has {len(request_data)}",
            )
        super()._validate_batch_request(request_data, protocol)
