"""Type checks of what wraps a GraphQL operation (the JSON body over HTTP, the messages on a WebSocket)
before any of it is used: a field of the wrong type is the client's mistake, answered as such."""

from typing import Any

from strawberry.http import GraphQLRequestData

from schema.persisted import with_document_id

FIELDS: dict[str, tuple[type, ...]] = {
    "query": (str,),
    "operationName": (str,),
    "variables": (dict,),
    "extensions": (dict,),
    "documentId": (str,),
}
"""Each field of an operation, with the types it may have besides null."""
JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


class WrongType(ValueError):
    """The message says which field is wrong and what it should be."""


def described(value: object) -> str:
    return JSON_TYPES.get(type(value), "a number")


def operation_problem(value: object) -> str | None:
    """What is wrong with the types of an operation's fields, or None."""
    if not isinstance(value, dict):
        return f"an operation must be a JSON object, not {described(value)}"
    for name, types in FIELDS.items():
        field = value.get(name)
        if field is not None and not isinstance(field, types):
            expected = JSON_TYPES[types[0]]
            return f"`{name}` must be {expected} or null, not {described(field)}"
    return None


def operation(value: object, where: str = "") -> GraphQLRequestData:
    if (problem := operation_problem(value)) is not None:
        raise WrongType(f"{where}{problem}")
    fields: dict[str, Any] = with_document_id(value)  # type: ignore[arg-type]
    return GraphQLRequestData(
        query=fields.get("query"),
        variables=fields.get("variables"),
        operation_name=fields.get("operationName"),
        extensions=fields.get("extensions"),
    )


def operations(body: object) -> GraphQLRequestData | list[GraphQLRequestData]:
    """The operation of an HTTP request's JSON body, or those of a batch (a JSON array)."""
    if isinstance(body, list):
        return [operation(item, f"operation {index} of the batch: ") for index, item in enumerate(body)]
    return operation(body)


def names_a_hash(operation: dict[str, Any]) -> bool:
    """It names its document by hash (schema/persisted.py) rather than sending its text."""
    extensions = operation.get("extensions")
    return operation.get("documentId") is not None or (
        isinstance(extensions, dict) and "persistedQuery" in extensions
    )


def message_problem(message: object, operation_type: str) -> str | None:
    """What is wrong with a WebSocket message's types, or None; `operation_type` is the type of the
    message that starts an operation (`subscribe`, or `start` in the legacy protocol)."""
    if not isinstance(message, dict):
        return f"a message must be a JSON object, not {described(message)}"
    kind = message.get("type")
    if not isinstance(kind, str):
        return f"a message's `type` must be a string, not {described(kind)}"
    # The messages that start or stop an operation name it; others may carry no id.
    if (kind in (operation_type, "stop", "complete") or "id" in message) and not isinstance(
        message.get("id"), str
    ):
        return f"a message's `id` must be a string, not {described(message.get('id'))}"
    if kind == operation_type:
        if (problem := operation_problem(message.get("payload"))) is not None:
            return f"the payload of `{operation_type}`: {problem}"
        payload = message["payload"]
        if not isinstance(payload.get("query"), str) and not names_a_hash(payload):
            return f"the payload of `{operation_type}` must hold a `query` string or a persisted query's hash"
    return None
