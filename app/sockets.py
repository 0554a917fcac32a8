"""Strawberry's two WebSocket protocols, with each message's types checked before it is handled, and
the legacy `graphql-ws` one closed (4408) when no `connection_init` comes in time, as
`graphql-transport-ws` already is."""

import asyncio
import contextlib
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    OperationMessage,
)

from app.envelope import message_problem
from schema.context import Context

INVALID = 4400
INIT_TIMEOUT = 4408


class TransportWsProtocol(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_message(self, message: Message) -> None:
        # The protocol's answer to an invalid message is closing the socket with 4400.
        if (problem := message_problem(message, "subscribe")) is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)


class LegacyWsProtocol(BaseGraphQLWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialised = False

    async def handle(self) -> None:
        deadline = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
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

    async def handle_message(self, message: OperationMessage) -> None:
        problem = message_problem(message, "start")
        if problem is None:
            await super().handle_message(message)
            return
        fields: object = message
        identity = fields.get("id") if isinstance(fields, dict) else None
        if isinstance(fields, dict) and fields.get("type") == "start" and isinstance(identity, str):
            # A fault in an operation's payload ends that operation only, as its errors do.
            await self.send_message(ErrorMessage(type="error", id=identity, payload={"message": problem}))
        else:
            await self.websocket.close(INVALID, problem)
