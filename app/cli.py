"""The `eventfold` command."""

import argparse
import logging
import sys

import uvicorn

from app.settings import Settings
from app.web import create_app
from schema import build_schema


def _serve(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="eventfold", description="GraphQL API for orders, event-sourced.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server (GraphiQL at /graphql)")
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    args = parser.parse_args(argv)

    if args.command == "schema":
        sys.stdout.write(build_schema().as_str() + "\n")
        return
    overrides = {key: value for key in ("host", "port") if (value := getattr(args, key)) is not None}
    _serve(Settings(**overrides))
