"""The shard keys eventfold is laid out for (README, "Running on MongoDB": the sharding plan).

Nothing shards today; these are the keys every query is written to suit: each read of one stream
names `streamId` (so it would go to one shard), and each read of one document names `_id`. Only
reads of the log by position, and listings, would go to every shard.
"""

from typing import Literal

ShardKey = tuple[tuple[str, Literal["hashed", 1]], ...]

EVENTS_SHARD_KEY: ShardKey = (("streamId", "hashed"),)
READ_MODEL_SHARD_KEY: ShardKey = (("_id", "hashed"),)
"""Every read model and its history; small collections (projection_state, leases, api_keys,
sales_report) stay unsharded on the primary shard."""
