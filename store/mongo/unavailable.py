"""Which PyMongo errors mean the MongoDB server is away rather than that a request is wrong."""

from pymongo.errors import ConnectionFailure


def is_away(error: Exception) -> bool:
    # ConnectionFailure covers refused and reset connections, network timeouts, a server selection that
    # timed out, and a primary stepping down (NotPrimaryError) while a replica set elects another.
    return isinstance(error, ConnectionFailure)
