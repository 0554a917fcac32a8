"""`customers(search:)` as a lookup types it, on SQLite: the reader behind the field over a catalogue
of customers with Faker's names and emails.

    uv run python -m bench.lookups [--customers 50000]

Writes `--customers` profiles with their words into a fresh database, then reads the first page (21
profiles, as `customers(first: 20)` asks) for searches from a rare prefix to one every customer
matches, the median of 20 reads each. A search reads its matches through the words' primary key and
sorts them by name, so it costs in proportion to how many customers it matches.
"""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from faker import Faker

from bench.report import Figures, arguments, show
from projections import customer_profiles
from projections.collections import CollectionNames
from projections.read_models import ALL
from projections.words import WORDS
from store.connect import open_stores
from store.documents import Document, words_of

SEARCHES = ("zz", "smi", "john smi", "a", "example")
"""A prefix nobody's word starts with, a surname's start, two words, one letter, every email's domain."""
READS = 20
BATCH = 5_000


def profiles(count: int) -> list[Document]:
    fake = Faker()
    Faker.seed(1)
    found = []
    for index in range(count):
        name, email = fake.name(), fake.email()
        found.append(
            {
                "_id": f"c{index:08d}",
                "_position": 1,
                "name": name,
                "email": email,
                WORDS: words_of(name, email),
            }
        )
    return found


async def measure(count: int) -> Figures:
    with tempfile.TemporaryDirectory() as directory:
        stores = await open_stores(mongodb_uri=None, data_dir=Path(directory))
        try:
            documents, collections = stores.documents, CollectionNames(ALL, stores.states)
            await documents.ensure(customer_profiles.PROJECTION.collection)
            written = profiles(count)
            started = time.perf_counter()
            for start in range(0, count, BATCH):
                await documents.bulk_upsert("customer_profiles", written[start : start + BATCH])
            figures: Figures = {"customers": count, "write seconds": time.perf_counter() - started}
            for search in SEARCHES:
                timings, found = [], 0
                for _ in range(READS):
                    started = time.perf_counter()
                    found = len(await customer_profiles.listing(documents, collections, search, None, 21))
                    timings.append(time.perf_counter() - started)
                figures[f"{search!r}: first page ms ({found} found)"] = statistics.median(timings) * 1000
            return figures
        finally:
            await stores.close()


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    show(asyncio.run(measure(parser.parse_args().customers)))
