"""The media type of GraphQL answers over HTTP, as the GraphQL-over-HTTP specification negotiates it.

`application/graphql-response+json` lets the status code tell: a request that fails before execution
(it does not parse or validate, or is malformed) answers 4xx without a `data` entry. Clients that ask
for `application/json` (or anything else, or nothing) get 200 for every well-formed request, as
GraphQL over HTTP has done for years.
"""

import json

from starlette.responses import Response

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
HTML = "text/html"


def _quality(accept: str, media_type: str) -> float:
    """The q-value `accept` gives to `media_type` itself (wildcards not counted), 0 when absent."""
    for entry in accept.split(","):
        name, *parameters = (part.strip() for part in entry.split(";"))
        if name.lower() == media_type:
            for parameter in parameters:
                key, _, value = parameter.partition("=")
                if key.strip().lower() == "q":
                    try:
                        return float(value)
                    except ValueError:
                        return 0.0
            return 1.0
    return 0.0


def negotiated(accept: str | None) -> str:
    """`application/graphql-response+json` when the client asks for it at least as much as for JSON."""
    if not accept:
        return JSON
    wanted = _quality(accept, GRAPHQL_RESPONSE)
    return GRAPHQL_RESPONSE if wanted > 0 and wanted >= _quality(accept, JSON) else JSON


def prefers_html(accept: str | None) -> bool:
    """Whether the client asks for an HTML page more than for either JSON answer, as a browser
    opening a link does (a wildcard counts for neither)."""
    if not accept:
        return False
    return _quality(accept, HTML) > max(_quality(accept, JSON), _quality(accept, GRAPHQL_RESPONSE))


def request_error(status: int, message: str, media_type: str) -> Response:
    """A request refused before execution, as a GraphQL response without `data`."""
    body = {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}
    return Response(json.dumps(body), status_code=status, media_type=media_type)
