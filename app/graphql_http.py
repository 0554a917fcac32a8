"""The GraphQL endpoint over HTTP and WebSocket: Strawberry's ASGI app with eventfold's context,
authentication of WebSocket connections (and of each operation sent over them), batches priced as
a whole, and refusals that say which limit was hit."""

import json
import uuid
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from access.authentication import Authenticator
from app import assets, correlation
from schema import EventfoldSchema
from schema.access import refusal
from schema.context import Context
from store.connect import Stores

FORBIDDEN = 4403
"""How a socket whose credential no longer stands is closed, as graphql-transport-ws closes one
refused at connection_init."""


async def still_allowed(context: Context) -> bool:
    """Whether the socket's credential still stands (a key revoked or a JWT expired since it was
    opened does not). One that cannot be checked now, the database being away, keeps the caller it
    had, as a key seen before keeps working over HTTP."""
    caller = await context.authenticate(context.credential)
    if caller.unverified:
        return True
    context.caller = caller
    return refusal(caller) is None


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and not await still_allowed(self.context):
            await self.websocket.close(code=FORBIDDEN, reason="Forbidden")
            return
        await super().handle_subscribe(message)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged and not await still_allowed(self.context):
            await self.websocket.close(code=FORBIDDEN, reason="Forbidden")
            return
        await super().handle_start(message)


class EventfoldGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, schema: EventfoldSchema, max_batch: int, **options: Any) -> None:
        super().__init__(schema, **options)
        self._schema = schema
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
        credential = request.headers.get("authorization")
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
            caller=await authenticator.caller(credential),
            authenticate=authenticator.caller,
            credential=credential,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a WebSocket, so the token comes in connection_init."""
        params = context.connection_params
        if isinstance(params, dict):
            token = params.get("authorization", params.get("Authorization"))
            if isinstance(token, str):
                context.caller = await context.authenticate(token)
                context.credential = token
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

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        """A batch is priced as a whole: a batch of operations each just under the cost limit would
        otherwise cost as much as that many requests. One over the limit runs none of them."""
        if isinstance(request_data, list):
            operations = [(data.query, data.operation_name) for data in request_data]
            if (error := self._schema.batch_refusal(context.caller, operations)) is not None:
                return [ExecutionResult(data=None, errors=[error]) for _ in request_data]
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
