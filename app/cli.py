"""The `eventfold` command."""

import argparse
import asyncio
import functools
import random
import sys
from datetime import UTC, datetime
from uuid import UUID

from tqdm import tqdm

from access.principals import Role
from app import logs
from app.collector import collect_less_often
from app.erasing import add_erasures_parser, erasures
from app.progress_bars import show
from app.settings import Settings
from app.stores import open_from, project
from domain.errors import InvalidInput
from projections.read_models import BY_NAME
from projections.skipping import skip
from store.api_keys import KeyNameTaken


async def _keys(settings: Settings, args: argparse.Namespace) -> int:
    # Imported here: it brings GraphQL's parser (access rules read documents), which no other command
    # needs (see _serve).
    from access.api_keys import is_customer, issue, key_name

    stores = await open_from(settings)
    now = datetime.now(UTC)
    try:
        if args.keys_command == "create":
            role = Role(args.role)
            if (
                role is Role.CUSTOMER
                and args.customer
                and not await is_customer(stores.events, args.customer)
            ):
                print(f"eventfold keys create: customer {args.customer} does not exist", file=sys.stderr)
                return 1
            try:
                key, token = await issue(stores.api_keys, key_name(args.name), role, now, args.customer)
            except (KeyNameTaken, InvalidInput) as error:
                print(f"eventfold keys create: {error}", file=sys.stderr)
                return 2
            print(f"created {key.role} key {key.name!r} ({key.id}); its token, shown only this once:")
            print(token)
        elif args.keys_command == "revoke":
            revoked = await stores.api_keys.revoke(args.key, now)
            if revoked is None:
                print(f"eventfold keys revoke: no key with the id or name {args.key!r}", file=sys.stderr)
                return 1
            print(f"revoked {revoked.role} key {revoked.name!r} ({revoked.id}) at {revoked.revoked_at}")
        else:
            for key in await stores.api_keys.list():
                state = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
                acts_for = f"  (customer {key.customer_id})" if key.customer_id else ""
                print(f"{key.id}  {key.role:<8}  {state:<40}  {key.name}{acts_for}")
    finally:
        await stores.close()
    return 0


async def _projections(settings: Settings, args: argparse.Namespace) -> int:
    stores = await open_from(settings)
    try:
        if args.projections_command == "skip":
            try:
                state = await skip(stores.states, BY_NAME, args.name, args.position)
            except InvalidInput as error:
                print(f"eventfold projections skip: {error}", file=sys.stderr)
                return 2
            print(f"{state.name}: position {args.position} skipped; it goes on after it")
            return 0
        head = await stores.events.head()
        for state in await stores.states.load_all():
            where = f"stopped before {state.stopped_at}" if state.stopped_at is not None else "running"
            if state.stopped_at is None and state.error:
                where = "failed"
            skipped = f"  skipped {', '.join(map(str, state.skipped))}" if state.skipped else ""
            lag = max(head - state.checkpoint.position, 0)
            print(f"{state.name:<18} at {state.checkpoint.position:>8}  lag {lag:>6}  {where}{skipped}")
            if state.error:
                print(f"    {state.error}")
    finally:
        await stores.close()
    return 0


async def _seed(settings: Settings, args: argparse.Namespace) -> None:
    from app.seed import SeedClock, seed  # imported here: see _serve

    clock = SeedClock()
    stores = await open_from(settings, clock=clock)
    try:
        with tqdm(desc="seed", unit=" commands", dynamic_ncols=True) as bar:
            seeded = await seed(
                stores.events,
                clock,
                customers=args.customers,
                orders=args.orders,
                weeks=args.weeks,
                rng=random.Random(args.random_seed),
                progress=functools.partial(show, bar),
                currency=settings.currency,
            )
    finally:
        await stores.close()
    if seeded.after_existing:
        print("the store already held events: the seeded history starts after the last of them")
    span = f"{seeded.start:%Y-%m-%d %H:%M} to {seeded.end:%Y-%m-%d %H:%M} UTC"
    print(f"recorded {seeded.commands} commands from {span}")


def _at_least(least: int, text: str) -> int:
    # argparse would say "invalid _count value" of a word: the function's name, not what is wanted.
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if number < least:
        raise argparse.ArgumentTypeError(f"must be {least} or more, got {number}")
    return number


_count = functools.partial(_at_least, 0)
_positive = functools.partial(_at_least, 1)


def _customer_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a customer's id (a UUID), got {text!r}") from None


def _weeks(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of weeks, got {text!r}") from None
    if not 0 < number <= 520:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 520, got {text}")
    return number


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "rebuild" and (unknown := set(args.names) - set(BY_NAME)):
        parser.error(f"no read model named {', '.join(sorted(unknown))}; there are {', '.join(BY_NAME)}")
    if args.command == "schema":
        from schema import build_schema  # imported here: see _serve

        sys.stdout.write(build_schema().as_str() + "\n")
        return
    overrides = {
        key: value
        for key in ("host", "port", "projector", "workers")
        if (value := getattr(args, key, None)) is not None
    }
    settings = Settings(**overrides)
    logs.configure(settings)
    if args.command == "serve":
        _serve(settings)
    elif args.command == "keys":
        sys.exit(asyncio.run(_keys(settings, args)))
    elif args.command == "erasures":
        sys.exit(asyncio.run(erasures(settings, args)))
    elif args.command == "projections":
        if code := asyncio.run(_projections(settings, args)):
            sys.exit(code)
    elif args.command == "project":
        asyncio.run(project(settings))
    elif args.command == "seed":
        asyncio.run(_seed(settings, args))
    else:
        from app.rebuilding import rebuild_all  # imported here: see _serve

        rebuilt = rebuild_all(settings, args.names or list(BY_NAME), args.processes)
        if any(each.collection is None for each in rebuilt):
            sys.exit(1)


def _serve(settings: Settings) -> None:
    # Imported here, not at the top: the server, the schema and Faker take seconds to import, which
    # `eventfold keys` and `eventfold project` would pay on every run for nothing.
    import uvicorn

    from app.http_server import uvicorn_options, with_header_timeout
    from app.web import create_app
    from schema.persisted import ManifestError

    if settings.workers > 1:
        from app.supervisor import serve_workers

        sys.exit(serve_workers(settings))
    try:
        app = create_app(settings)
    except ManifestError as unusable:
        print(f"eventfold serve: {unusable}", file=sys.stderr)
        sys.exit(2)
    collect_less_often()
    uvicorn.run(app, http=with_header_timeout(settings.header_timeout_seconds), **uvicorn_options(settings))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eventfold", description="GraphQL API for orders, event-sourced.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server (GraphiQL at /graphql) and the projector")
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument(
        "--no-projector",
        dest="projector",
        action="store_false",
        default=None,
        help="serve only; run `eventfold project` apart to keep the read models current",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        help="processes answering on the port (default 1; about one per core): see README, Processes",
    )
    commands.add_parser("project", help="run only the projector (several share the read models)")
    rebuild_parser = commands.add_parser(
        "rebuild", help="replay the events into fresh read models and swap them in, while the API serves"
    )
    rebuild_parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"read models to rebuild (default: all): {', '.join(BY_NAME)}",
    )
    rebuild_parser.add_argument(
        "--processes",
        type=_positive,
        metavar="N",
        help="processes to rebuild in (default: one per core on MongoDB, one on SQLite, whose writes"
        " all wait for one lock)",
    )
    seed_parser = commands.add_parser(
        "seed", help="record demo customers, products and orders with histories over past weeks"
    )
    seed_parser.add_argument("--customers", type=_count, default=50, help="customers to register (50)")
    seed_parser.add_argument("--orders", type=_count, default=200, help="orders to place (200)")
    seed_parser.add_argument("--weeks", type=_weeks, default=6, help="how far back the history goes (6)")
    seed_parser.add_argument(
        "--random-seed", type=int, help="the same seed draws the same history (under new SKUs and emails)"
    )
    commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    _add_keys_parser(commands)
    _add_projections_parser(commands)
    add_erasures_parser(commands)
    return parser


def _add_projections_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    projections = commands.add_parser(
        "projections", help="where each read model stands; skip an event one stopped at (default: list)"
    )
    projection_commands = projections.add_subparsers(dest="projections_command")
    projection_commands.add_parser(
        "list", help="each read model's position, lag, and why it stopped if it did"
    )
    skip_parser = projection_commands.add_parser(
        "skip",
        help="skip the event a read model stopped at because this release cannot read it; it goes on",
    )
    skip_parser.add_argument("name", metavar="NAME", help=f"the read model: {', '.join(BY_NAME)}")
    skip_parser.add_argument("position", metavar="POSITION", type=int, help="the position it stopped at")


def _add_keys_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = commands.add_parser("keys", help="manage API keys (in the database the server uses)")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create a key and print its token (shown only once)")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--name", required=True, help="who or what the key is for; unique")
    create.add_argument(
        "--customer",
        type=_customer_id,
        metavar="ID",
        help="with --role customer (and only with it): the id of the customer the key acts for",
    )
    revoke = key_commands.add_parser("revoke", help="revoke a key: it stops working")
    revoke.add_argument("key", metavar="ID_OR_NAME")
    key_commands.add_parser("list", help="list every key, revoked ones too")
