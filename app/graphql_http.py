"""The GraphQL endpoint over HTTP and WebSocket: Strawberry's ASGI app with eventfold's context,
authentication of WebSocket connections (and of each operation sent over them), batches priced as
a whole, and refusals that say which limit was hit."""

import json
import uuid
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from access.authentication import Authenticator
from app import assets, correlation, envelope, media
from app.sockets import LegacyWsProtocol, SocketAdapter, TransportWsProtocol
from schema import EventfoldSchema
from schema.access import refusal
from schema.context import Context
from schema.persisted import with_document_id
from store.connect import Stores


class EventfoldGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWsProtocol
    graphql_ws_handler_class = LegacyWsProtocol
    websocket_adapter_class = SocketAdapter

    def __init__(self, schema: EventfoldSchema, max_batch: int, **options: Any) -> None:
        super().__init__(schema, **options)
        self._schema = schema
        self._max_batch = max_batch

    async def render_graphql_ide(self, request: Request) -> Response:
        return await assets.graphiql(request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as refused:
            # As a GraphQL error, where Strawberry answers in plain text.
            accept = media.negotiated(request.headers.get("accept"))
            response = media.request_error(refused.status_code, refused.reason, accept)
        if request.method == "GET":
            # One URL answers GraphiQL or JSON, and which JSON, by the Accept header: caches must know.
            response.headers.add_vary_header("Accept")
        await response(scope, receive, send)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        content_type, _ = parse_content_type(request.content_type or "")
        if request.method != "POST" or "application/json" not in content_type:
            return await super().parse_http_body(request)
        # Strawberry uses some fields of a JSON body unchecked: every one is checked here first.
        try:
            parsed = envelope.operations(self.parse_json(await request.get_body()))
        except envelope.WrongType as wrong:
            raise HTTPException(400, str(wrong)) from None
        if isinstance(parsed, list):
            self._validate_batch_request(parsed, protocol="http")
        return parsed

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET naming its document by hash asks for an answer, not for the IDE.
        params = request.query_params
        if params.get("extensions") is not None or params.get("documentId") is not None:
            return False
        # A browser following a link to a query opens it in GraphiQL, which reads it from the URL
        # (app/static/graphiql.js); any other client gets the answer, as before.
        if request.method == "GET" and params.get("query") is not None:
            return media.prefers_html(request.headers.get("accept"))
        return super().should_render_graphql_ide(request)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        # A GET may name its document by `documentId` too (schema/persisted.py).
        return with_document_id(super().parse_query_params(params))

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        answer = await super().get_sub_response(request)
        answer.media_type = media.negotiated(request.headers.get("accept"))
        return answer

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        # Nothing ran when no error has a path: the document or its variables were refused.
        refused = result.data is None and all(error.path is None for error in result.errors or ())
        if refused and media.negotiated(request.headers.get("accept")) == media.GRAPHQL_RESPONSE:
            del processed["data"]
        return processed

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == media.GRAPHQL_RESPONSE:
            response.headers["content-type"] = media.GRAPHQL_RESPONSE
            # Without `data` the request failed before execution (GraphQL over HTTP, 6.4.2).
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except UnicodeDecodeError:
            raise HTTPException(400, "the request body is not UTF-8, as JSON must be") from None
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
            erasure=state.erasure,
            documents=stores.documents,
            collections=state.collections,
            states=stores.states,
            leases=stores.leases,
            progress=state.progress,
            broadcaster=state.broadcaster,
            correlation_id=correlation_id,
            api_keys=state.api_keys,
            caller=await authenticator.caller(credential),
            authenticate=authenticator.caller,
            credential=credential,
            currency=state.currency,
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
            operations = [(data.query, data.operation_name, data.extensions) for data in request_data]
            if (error := self._schema.batch_refusal(context.caller, operations)) is not None:
                return [ExecutionResult(data=None, errors=[error]) for _ in request_data]
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
