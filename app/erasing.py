"""`eventfold erasures`: which customers the log records as erased, and erasing them again after a
backup was restored (a restored backup holds the data keys of customers erased since it was taken)."""

import argparse
import sys
from pathlib import Path
from uuid import UUID

from app.settings import Settings
from app.stores import open_from
from commands.erasure import Erasure
from commands.handler import CommandHandler
from domain.errors import InvalidState, NotFound

METADATA = {"correlationId": "eventfold-erasures-apply", "actor": "eventfold erasures apply"}


def add_erasures_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    erasures = commands.add_parser(
        "erasures", help="list the customers erased, or erase them again after restoring a backup"
    )
    erasure_commands = erasures.add_subparsers(dest="erasures_command", required=True)
    erasure_commands.add_parser("list", help="print the id of every customer the log records as erased")
    apply = erasure_commands.add_parser(
        "apply",
        help="delete the data key of every customer the log records as erased; with FILE, also erase "
        "each customer it lists (one id a line, as `list` prints them) that the log does not",
    )
    apply.add_argument("file", metavar="FILE", type=Path, nargs="?")


def _listed(file: Path) -> list[UUID]:
    return [UUID(line.strip()) for line in file.read_text().splitlines() if line.strip()]


async def erasures(settings: Settings, args: argparse.Namespace) -> int:
    try:
        listed = _listed(args.file) if getattr(args, "file", None) else []
    except (OSError, ValueError) as error:
        print(f"eventfold erasures apply: {error}", file=sys.stderr)
        return 2
    stores = await open_from(settings)
    erasure = Erasure(
        CommandHandler(stores.events), stores.events, stores.sealer, stores.documents, stores.feed
    )
    try:
        if args.erasures_command == "list":
            for customer in await erasure.recorded():
                print(customer)
            return 0
        deleted = await erasure.reapply()
        print(f"deleted the data keys of {len(deleted)} customers the log records as erased")
        for customer in listed:
            try:
                await erasure.erase(customer, METADATA)
            except InvalidState:
                continue
            except NotFound:
                print(f"eventfold erasures apply: no customer {customer} in this store", file=sys.stderr)
                continue
            print(f"erased {customer}, which the log did not record as erased")
        return 0
    finally:
        await stores.close()
