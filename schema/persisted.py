"""Persisted documents: a client names a document by its SHA-256 hash instead of sending its text.

Two ways, as production GraphQL servers have them:
- Automatic persisted queries (Apollo's protocol): `extensions.persistedQuery = {version: 1,
  sha256Hash}` without `query` runs the document registered under that hash, or answers
  PERSISTED_QUERY_NOT_FOUND; the client then sends text and hash together, which registers it. GET
  requests can then name a query by its hash alone, which CDNs cache.
- Trusted documents (EVENTFOLD_TRUSTED_DOCUMENTS): a manifest of the documents a deployment's own
  frontends send; only those run, named by hash or sent as identical text, and anything else
  (introspection included, unless the manifest holds it) is refused with PERSISTED_QUERY_NOT_IN_LIST.
  Nothing is registered at run time then.

A hash may also come as the request's `documentId` (`sha256:<hash>` or the bare hash), as GraphQL
Code Generator's persisted documents and the GraphQL over HTTP draft name it.
"""

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HASH = re.compile(r"[0-9a-f]{64}")
APOLLO_MANIFEST = "apollo-persisted-query-manifest"


class PersistedRefusal(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ManifestError(ValueError):
    """The trusted documents file cannot be used; the message says why."""


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def with_document_id(operation: dict[str, Any]) -> dict[str, Any]:
    """An operation whose `documentId` is moved to where Apollo's protocol names a hash, so that one
    path serves both. A malformed one is left for `PersistedDocuments.document` to refuse."""
    document_id = operation.get("documentId")
    if document_id is None:
        return operation
    hashed = document_id.removeprefix("sha256:") if isinstance(document_id, str) else document_id
    extensions = operation.get("extensions") or {}
    if not isinstance(extensions, dict):
        return operation
    persisted = {"version": 1, "sha256Hash": hashed}
    return {**operation, "extensions": {**extensions, "persistedQuery": persisted}}


def load_manifest(path: Path) -> dict[str, str]:
    """hash -> document, from Apollo's persisted query manifest or a JSON object of hash -> document
    (GraphQL Code Generator's `persisted-documents.json`). Every hash must be its document's SHA-256."""
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ManifestError(f"cannot read the trusted documents file {path}: {error}") from None
    if isinstance(manifest, dict) and manifest.get("format") == APOLLO_MANIFEST:
        operations = manifest.get("operations")
        if manifest.get("version") != 1 or not isinstance(operations, list):
            raise ManifestError(f"{path}: an {APOLLO_MANIFEST} of version 1 with a list of operations")
        pairs = [(entry.get("id"), entry.get("body")) for entry in operations if isinstance(entry, dict)]
        if len(pairs) != len(operations):
            raise ManifestError(f"{path}: every operation must be an object with `id` and `body`")
    elif isinstance(manifest, dict):
        pairs = list(manifest.items())
    else:
        raise ManifestError(f"{path}: neither an {APOLLO_MANIFEST} nor a JSON object of hash -> document")
    documents: dict[str, str] = {}
    for hashed, document in pairs:
        if not isinstance(hashed, str) or not isinstance(document, str):
            raise ManifestError(f"{path}: every hash and document must be strings, got {hashed!r}")
        hashed = hashed.removeprefix("sha256:")
        if sha256(document) != hashed:
            raise ManifestError(f"{path}: {hashed} is not the SHA-256 of its document")
        documents[hashed] = document
    return documents


class PersistedDocuments:
    def __init__(
        self, trusted: Mapping[str, str] | None = None, capacity: int = 1000, max_chars: int = 20_000
    ) -> None:
        """`trusted`: hash -> document, the only ones that run (None: any document runs, and automatic
        persisted queries register up to `capacity` documents of at most `max_chars`)."""
        self._trusted = dict(trusted) if trusted is not None else None
        self._texts = frozenset(self._trusted.values()) if self._trusted is not None else frozenset()
        self._registered: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity
        self._max_chars = max_chars

    def document(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The document to run for `query` and `extensions` (None: there is none; GraphQL says so).
        Raises PersistedRefusal."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if self._trusted is not None and query is not None and query not in self._texts:
                raise PersistedRefusal(
                    "PERSISTED_QUERY_NOT_IN_LIST",
                    "this server runs only its trusted documents (EVENTFOLD_TRUSTED_DOCUMENTS), "
                    "named by hash or sent as their exact text; this document is not one of them",
                )
            return query
        hashed = _hash_of(persisted)
        if query is None:
            return self._known(hashed)
        if sha256(query) != hashed:
            raise PersistedRefusal("BAD_USER_INPUT", "persistedQuery.sha256Hash is not the SHA-256 of query")
        if self._trusted is not None:
            return self._known(hashed)
        if len(query) <= self._max_chars:
            self._registered[hashed] = query
            self._registered.move_to_end(hashed)
            while len(self._registered) > self._capacity:
                self._registered.popitem(last=False)
        return query

    def peek(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The document `document` would run, registering nothing; None where it would refuse."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None or query is not None:
            return query
        try:
            hashed = _hash_of(persisted)
        except PersistedRefusal:
            return None
        return (self._trusted or self._registered).get(hashed)

    def _known(self, hashed: str) -> str:
        if self._trusted is not None:
            if (trusted := self._trusted.get(hashed)) is None:
                raise PersistedRefusal(
                    "PERSISTED_QUERY_NOT_IN_LIST",
                    f"no trusted document has the hash {hashed} (EVENTFOLD_TRUSTED_DOCUMENTS)",
                )
            return trusted
        if (registered := self._registered.get(hashed)) is None:
            raise PersistedRefusal(
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound: send the query with its hash to register it",
            )
        self._registered.move_to_end(hashed)
        return registered


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedRefusal(
            "BAD_USER_INPUT", "extensions.persistedQuery must be {version: 1, sha256Hash: <hex SHA-256>}"
        )
    hashed = persisted.get("sha256Hash")
    if not isinstance(hashed, str) or not HASH.fullmatch(hashed):
        raise PersistedRefusal("BAD_USER_INPUT", "persistedQuery.sha256Hash must be 64 lowercase hex digits")
    return hashed
