"""Settings from the environment (prefix EVENTFOLD_), with defaults that need no setup."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTFOLD_", extra="ignore")

    mongodb_uri: str | None = None
    """When set, MongoDB is the backend; otherwise SQLite under `data_dir`."""
    mongodb_database: str | None = None
    """Defaults to the URI's database, else "eventfold"."""
    data_dir: Path = Path(".eventfold")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
