"""The browser pages, served by the app itself: GraphiQL at /graphql and the live dashboard at
/dashboard, a plain client of the public GraphQL API and its subscriptions.

GraphiQL's own build (and React's) is in `static/vendor/`, put there by the build step in
`hatch_build.py` from the npm packages `frontend/package-lock.json` pins; nothing comes from a CDN.
"""

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
VENDOR = STATIC / "vendor"
VENDORED = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql.min.css",
    "plugin-explorer.umd.js",
    "plugin-explorer.css",
    "graphql-ws.min.js",
    "chart.umd.min.js",
)
MISSING = (
    "GraphiQL's assets are missing from {vendor}: they are built when the project is installed. "
    "Run `uv sync --reinstall-package eventfold` to build them again."
)


def routes() -> list[BaseRoute]:
    return [
        Route("/dashboard", dashboard),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def page(name: str) -> Response:
    if not all((VENDOR / asset).is_file() for asset in VENDORED):
        return PlainTextResponse(MISSING.format(vendor=VENDOR), status_code=503)
    return HTMLResponse((STATIC / name).read_text())


async def graphiql(request: Request) -> Response:
    return page("graphiql.html")


async def dashboard(request: Request) -> Response:
    return page("dashboard.html")
