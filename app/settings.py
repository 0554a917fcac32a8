"""Settings from the environment (prefix EVENTFOLD_), with defaults that need no setup."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.commands import Currency
from domain.upcasting import DEFAULT_CURRENCY, Deployment


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTFOLD_", extra="ignore")

    mongodb_uri: str | None = None
    """When set, MongoDB is the backend; otherwise SQLite under `data_dir`."""
    mongodb_database: str | None = None
    """Defaults to the URI's database, else "eventfold"."""
    mongodb_timeout_seconds: float = 5.0
    """How long an operation waits for an unreachable MongoDB before it fails with SERVICE_UNAVAILABLE."""
    mongodb_write_concern: Literal["majority"] | Annotated[int, Field(ge=0)] = "majority"
    """Write concern of appends: "majority" (an acknowledged event survives a failover) or a number of
    members."""
    data_dir: Path = Path(".eventfold")
    rebuild_settle_seconds: float = 3.0
    """How long `eventfold rebuild` leaves a replaced collection for readers still using it before it
    drops it (servers look up where each read model lives once a second)."""
    currency: Currency = DEFAULT_CURRENCY
    """ISO 4217: of products created without one, of sales reports asked for without one, and of every
    price recorded before events carried their currency (schema version 1). Never change it on a store
    that holds such events: they would be read in the new currency."""
    encrypt_personal_data: bool = True
    """Seal the personal fields of events with each customer's data key, which `eraseCustomer` deletes
    (README: "Erasure and data keys"). False records them in plaintext, as releases before did: those
    customers can still be erased from the read models and search, but not from the log."""
    sqlite_lock_seconds: float = 30.0
    """How long a SQLite operation waits for another process's lock before it fails with
    SERVICE_UNAVAILABLE (writers of several processes queue for one lock)."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)
    """Processes of `eventfold serve` answering on the one port, each with its own event loop, store
    connections and subscription feed; with more than one, a supervisor starts them, replaces any that
    dies, and runs the projector once, in a process of its own (app/supervisor.py)."""
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"
    """`json`: one JSON object a line, with the request's correlation id."""
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
    """How long a WebSocket may stay open without `connection_init` before it is closed (4408), with
    either protocol."""
    max_header_bytes: int = 16_384
    """Largest request line and headers of an HTTP request (a WebSocket handshake included): larger
    ones are refused with 400 before the application sees them."""
    header_timeout_seconds: float = 10.0
    """How long a connection may take to send a request's headers, from when it opened or its last
    answer went out; then it is closed."""
    max_connections: int = 20_000
    """Connections (WebSockets included) beyond which HTTP requests are answered 503."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Host names (the `Host` header, without port) the server answers to, as JSON: ["api.example"].
    A server on loopback answers only to loopback names and these; elsewhere, when set, to these
    (and loopback names) only."""
    lease_seconds: float = 10.0
    """How long the projector lease lasts unless renewed: how soon a standby takes over."""

    auth: Literal["auto", "on", "off"] = "auto"
    """auto: a bearer token is required unless the server listens on loopback; on: always; off:
    never (logged as a warning at start). A token presented is always checked and its role applied."""
    api_key_cache_seconds: float = 5.0
    """How long a looked-up API key is remembered: how soon a revocation made elsewhere bites."""
    jwt_key_file: Path | None = None
    """A PEM public key (or, for HS* algorithms, a shared secret) that verifies JWTs."""
    jwt_jwks_file: Path | None = None
    """A JWKS file (JSON Web Key Set) to verify JWTs with, chosen by the token's `kid`."""
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    jwt_issuer: str | None = None
    """When set, a JWT's `iss` must equal it."""
    jwt_audience: str | None = None
    """When set, a JWT's `aud` must contain it."""
    jwt_role_claim: str = "role"
    """The JWT claim that holds the caller's role: admin, clerk, viewer or customer."""
    jwt_customer_claim: str = "customer_id"
    """The JWT claim that holds, in a token of the customer role, the id of the one customer it acts for."""

    max_depth: int = 12
    """Deepest selection an operation may nest."""
    max_aliases: int = 20
    max_tokens: int = 2_000
    """Size of a GraphQL document, in tokens."""
    max_document_chars: int = 20_000
    """Length of a GraphQL document, in characters, comments and blanks included."""
    max_cost: int = 5_000
    """Estimated fields resolved: each field 1, times the page size of the connections it is in."""
    max_body_bytes: int = 1_000_000
    """Largest HTTP request body, and largest WebSocket message."""
    trusted_documents: Path | None = None
    """A manifest of the documents this deployment's frontends send (Apollo's persisted query manifest,
    or a JSON object of SHA-256 -> document): with it, only those run (app/persisted.py)."""
    persisted_queries: int = 1_000
    """How many documents automatic persisted queries remember (per process, least recently used go)."""
    max_batch: int = 10
    """Most operations in one batched HTTP request (a JSON array)."""
    introspection: bool = True
    """Answer introspection queries (GraphiQL and code generators need them)."""
    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed to call the API from other sites, as JSON: ["https://app.example"]."""

    @property
    def deployment(self) -> Deployment:
        return Deployment(currency=self.currency)
