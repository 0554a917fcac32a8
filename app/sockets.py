"""Strawberry's two WebSocket protocols, with each message's types checked before it is handled, the
caller checked again before each operation starts, and the legacy `graphql-ws` one closed (4408) when
no `connection_init` comes in time, as `graphql-transport-ws` already is. The legacy protocol runs
queries and mutations too (`EventfoldSchema.subscribe`)."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import Any, cast

from graphql import GraphQLFormattedError
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message, SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    OperationMessage,
    StartMessage,
)

from app.envelope import message_problem
from schema import EventfoldSchema
from schema.access import refusal
from schema.context import Context
from schema.persisted import PersistedRefusal, with_document_id

INVALID = 4400
INIT_TIMEOUT = 4408
FORBIDDEN = 4403
"""How a socket whose credential no longer stands is closed, as graphql-transport-ws closes one
refused at connection_init."""
CLOSE_REASON_BYTES = 123
LEGACY_CLIENT_MESSAGES = frozenset({"connection_init", "connection_terminate", "start", "stop"})


def refusal_payload(message: str) -> GraphQLFormattedError:
    return {"message": message, "extensions": {"code": "BAD_USER_INPUT"}}


class SocketAdapter(ASGIWebSocketAdapter):
    async def close(self, code: int, reason: str) -> None:
        # A close reason is at most 123 bytes of UTF-8 (RFC 6455, 5.5); one that echoes a client's
        # text may be longer or hold lone surrogates, which would fail the close and drop the socket.
        encoded = reason.encode("utf-8", "backslashreplace")[:CLOSE_REASON_BYTES]
        await super().close(code, encoded.decode("utf-8", "ignore"))

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        # Strawberry lets the legacy protocol pass over a message that is not JSON (or nested too
        # deeply to read) without a word, and its client waits forever: both protocols refuse it.
        async for message in super().iter_json(ignore_parsing_errors=False):
            yield message


async def closed_as_stale(
    handler: "BaseGraphQLTransportWSHandler[Context, None] | BaseGraphQLWSHandler[Context, None]",
) -> bool:
    """Closes the socket (4403) when its credential no longer stands (a key revoked or a JWT expired
    since it was opened); True if it did. One that cannot be checked now, the database being away,
    keeps the caller it had, as a key seen before keeps working over HTTP."""
    if not handler.connection_acknowledged:
        return False
    context = handler.context
    caller = await context.authenticate(context.credential)
    if caller.unverified:
        return False
    context.caller = caller
    if refusal(caller) is None:
        return False
    await handler.websocket.close(code=FORBIDDEN, reason="Forbidden")
    return True


def named_document(schema: object, payload: Mapping[str, Any]) -> str | GraphQLFormattedError:
    """The document an operation sent over a socket names, by its text or its hash
    (schema/persisted.py), or the error to answer it with."""
    operation = with_document_id(dict(payload))
    persisted = cast("EventfoldSchema", schema).persisted
    try:
        found = persisted.document(operation.get("query"), operation.get("extensions"))
    except PersistedRefusal as refused:
        return {"message": str(refused), "extensions": {"code": refused.code}}
    return found if found is not None else refusal_payload("the operation names no document")


class TransportWsProtocol(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_message(self, message: Message) -> None:
        # The protocol's answer to an invalid message is closing the socket with 4400.
        if (problem := message_problem(message, "subscribe")) is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if await closed_as_stale(self):
            return
        named = named_document(self.schema, message["payload"])
        if isinstance(named, str):
            await super().handle_subscribe({**message, "payload": {**message["payload"], "query": named}})
            return
        await self.send_message({"id": message["id"], "type": "error", "payload": [named]})


class LegacyWsProtocol(BaseGraphQLWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialised = False

    async def handle(self) -> None:
        deadline = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
        except NonJsonMessageReceived:
            await self.websocket.close(INVALID, "a message must be JSON")
        finally:
            deadline.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await deadline

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self._initialised:
            await self.websocket.close(INIT_TIMEOUT, "Connection initialisation timeout")

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        self._initialised = True
        await super().handle_connection_init(message)

    async def handle_start(self, message: StartMessage) -> None:
        if await closed_as_stale(self):
            return
        named = named_document(self.schema, message["payload"])
        if isinstance(named, str):
            await super().handle_start({**message, "payload": {**message["payload"], "query": named}})
            return
        await self.send_message(ErrorMessage(type="error", id=message["id"], payload=named))

    async def handle_message(self, message: OperationMessage) -> None:
        problem = message_problem(message, "start")
        if problem is None and message["type"] not in LEGACY_CLIENT_MESSAGES:
            # Strawberry passes over a message of a type the protocol does not know, and the client
            # waits for an answer forever; subscriptions-transport-ws answers it with an `error`.
            identity = message.get("id")
            payload = refusal_payload(f"a client sends no message of type {message['type']!r}"[:200])
            await self.send_message(ErrorMessage(type="error", id=identity, payload=payload))  # type: ignore[typeddict-item]
            return
        if problem is None:
            await super().handle_message(message)
            return
        fields: object = message
        identity = fields.get("id") if isinstance(fields, dict) else None
        if isinstance(fields, dict) and fields.get("type") == "start" and isinstance(identity, str):
            # A fault in an operation's payload ends that operation only, as its errors do.
            await self.send_message(ErrorMessage(type="error", id=identity, payload=refusal_payload(problem)))
        else:
            await self.websocket.close(INVALID, problem)
