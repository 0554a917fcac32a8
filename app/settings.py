"""Settings from the environment (prefix EVENTFOLD_), with defaults that need no setup."""

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTFOLD_", extra="ignore")

    mongodb_uri: str | None = None
    """When set, MongoDB is the backend; otherwise SQLite under `data_dir`."""
    mongodb_database: str | None = None
    """Defaults to the URI's database, else "eventfold"."""
    mongodb_timeout_seconds: float = 5.0
    """How long an operation waits for an unreachable MongoDB before it fails with SERVICE_UNAVAILABLE."""
    data_dir: Path = Path(".eventfold")
    sqlite_lock_seconds: float = 30.0
    """How long a SQLite operation waits for another process's lock before it fails with
    SERVICE_UNAVAILABLE (writers of several processes queue for one lock)."""
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    feed: Literal["auto", "change_stream", "tail"] = "auto"
    """What drives projections on MongoDB: a change stream where the server has them, else a tail."""
    projector: bool = True
    """Run the projector inside `serve` (set false when `eventfold project` runs apart)."""
    read_your_writes_seconds: float = 2.0
    """How long a request with X-Eventfold-Position waits for projections at most."""
    websocket_compression: bool = False
    """permessage-deflate on WebSockets: small JSON events gain little from it, and it costs CPU and
    a compressor per connection."""
    keep_alive_seconds: float = 15.0
    """How often subscriptions over the legacy graphql-ws protocol get a keep-alive message."""
    connection_init_seconds: float = 10.0
    """How long a WebSocket may stay open without `connection_init` before it is closed."""
    lease_seconds: float = 10.0
    """How long the projector lease lasts unless renewed: how soon a standby takes over."""
