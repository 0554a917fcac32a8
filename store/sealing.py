"""Sealing personal fields: what an event declares personal (`Event.personal`) is stored encrypted
with its customer's data key (AES-256-GCM), and opened again, when read, with the keys of a whole page
of events looked up at once. A field whose key is gone (the customer is erased) reads as the value the
event declares for it then.

A sealed payload holds every other field as it is, plus `sealed`: the customer (`subject`) and `box`,
the nonce and the ciphertext of the personal fields' JSON, in base64. The event's type and the subject
are authenticated with it, so a box copied into another event or customer's payload does not open.

Keys are looked up for each read, never remembered between reads: a key erased by another process
stops opening that customer's fields at this process's next read. Sealing, though, takes a key this
process saw lately (`SEALING_KEYS` of them) without looking it up again: a placement seals with the
key its read of the customer just found. That is safe after an erasure too: what is sealed with a
deleted key opens nowhere, and no key is ever made again for an erased customer (`DataKeys`).
"""

import asyncio
import base64
import binascii
import functools
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import InvalidState
from domain.events import EVENT_TYPES, Event
from store.data_keys import DataKeys

SEALED = "sealed"
SEALING_KEYS = 10_000
SUBJECTS_PARSED = 10_000
"""Customer ids of sealed payloads kept parsed (`subject`)."""
NONCE_BYTES = 12

type Payload = dict[str, Any]
type Stored = tuple[int, Payload]
"""The schema version an event is stored at, and its payload then."""

SEALED_TYPES: dict[str, int] = {name: cls.schema_version for name, cls in EVENT_TYPES.items() if cls.personal}
"""The types whose current version seals personal fields, and that version."""


def subject_of(event: Event, stream_id: UUID) -> UUID:
    """Whose personal data an event holds: its `customer_id`, else its stream's (a customer's own)."""
    customer_id = getattr(event, "customer_id", None)
    return customer_id if isinstance(customer_id, UUID) else stream_id


def _associated(type_name: str, subject: str) -> bytes:
    return f"{type_name}/{subject}".encode()


def seal(event: Event, payload: Payload, subject: UUID, key: bytes) -> Payload:
    personal = {name: payload[name] for name in event.personal if name in payload}
    nonce = secrets.token_bytes(NONCE_BYTES)
    box = AESGCM(key).encrypt(nonce, orjson.dumps(personal), _associated(event.type_name, str(subject)))
    kept = {name: value for name, value in payload.items() if name not in personal}
    return {SEALED: {"subject": str(subject), "box": base64.b64encode(nonce + box).decode()}, **kept}


@functools.lru_cache(maxsize=SUBJECTS_PARSED)
def subject(text: str) -> UUID:
    """UUID(text), parsed once for a customer whose events a page holds many of (its checks cost as
    much as opening the box)."""
    return UUID(text)


def sealed_subject(type_name: str, schema_version: int, data: object) -> UUID | None:
    """The subject whose key opens a stored payload; None for one that is not sealed (or not a payload
    at all: the decoding step says why it cannot be read)."""
    if SEALED_TYPES.get(type_name) != schema_version or not isinstance(data, (dict, Mapping)):
        return None
    sealed = data.get(SEALED)
    try:
        return subject(sealed["subject"]) if isinstance(sealed, (dict, Mapping)) else None
    except (KeyError, TypeError, ValueError):
        return None


def opened(
    type_name: str,
    data: Mapping[str, Any],
    keys: Mapping[UUID, bytes],
    ciphers: dict[bytes, AESGCM] | None = None,
) -> Payload:
    """The payload with its personal fields opened, or as erased when their key is gone. Raises
    ValueError when the box does not open with the key (it was altered, or is another's).
    `ciphers`: those made for a page's keys so far (making one costs more than opening a box)."""
    sealed = data.get(SEALED)
    if not isinstance(sealed, (dict, Mapping)):
        raise ValueError(f"a {type_name} of this version holds its personal fields sealed; this one does not")
    kept = {name: value for name, value in data.items() if name != SEALED}
    whose = str(sealed.get("subject"))
    try:
        key = keys.get(subject(whose))
    except ValueError as error:
        raise ValueError(f"its sealed fields name no customer ({whose!r})") from error
    if key is None:
        return {**kept, **EVENT_TYPES[type_name].personal}
    try:
        personal = orjson.loads(_opened_box(_cipher(key, ciphers), type_name, whose, str(sealed.get("box"))))
    except (InvalidTag, ValueError) as error:
        raise ValueError(f"its personal fields do not open with {whose}'s key") from error
    return {**kept, **personal}


def _cipher(key: bytes, ciphers: dict[bytes, AESGCM] | None) -> AESGCM:
    """Raises ValueError for a key of no AES size."""
    if ciphers is None:
        return AESGCM(key)
    cipher = ciphers.get(key)
    if cipher is None:
        cipher = ciphers[key] = AESGCM(key)
    return cipher


def _opened_box(cipher: AESGCM, type_name: str, whose: str, box: str) -> bytes:
    # What base64.b64decode(box, validate=True) calls, without its Python wrapper (the same errors).
    raw = binascii.a2b_base64(box, strict_mode=True)
    return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(type_name, whose))


SEALED_START = '{"sealed":{"subject":"'
_BOX_START = '","box":"'
_WHOSE_END = len(SEALED_START) + len("00000000-0000-0000-0000-000000000000")
_BOX_AT = _WHOSE_END + len(_BOX_START)
_ERASED_JSON = {name: orjson.dumps(dict(cls.personal)).decode() for name, cls in EVENT_TYPES.items()}

type SealedText = tuple[UUID, str, str, str]
"""A sealed payload's text cut into its subject, that subject as stored, its box and the rest: `}`, or
the other fields' text after a comma (`,"customerId":...}`)."""


def sealed_text(text: str) -> SealedText | None:
    """The pieces of a sealed payload laid out as `seal` makes it and orjson writes it (the sealed
    object first, holding the subject then the box), found without parsing the payload. None for any
    other text, which is read by parsing it: one whose subject is no UUID, or that could mean something
    else parsed (a backslash, which may escape anything, or a second `sealed` key, which would win).
    The fields read from the text read as pydantic reads any event's JSON: an integer beyond 64 bits
    too, which orjson would parse as a float."""
    if not text.startswith(SEALED_START) or text[_WHOSE_END:_BOX_AT] != _BOX_START:
        return None
    box_end = text.find('"}', _BOX_AT)
    if box_end < 0:
        return None
    whose, box, rest = text[len(SEALED_START) : _WHOSE_END], text[_BOX_AT:box_end], text[box_end + 2 :]
    if (
        '"' in box
        or "\\" in box
        or (rest != "}" and not (rest.startswith(",") and rest.endswith("}")))
        or "\\" in rest
        or '"sealed"' in rest
    ):
        return None
    try:
        return subject(whose), whose, box, rest
    except ValueError:
        return None


def opened_text(
    type_name: str, sealed: SealedText, key: bytes | None, ciphers: dict[bytes, AESGCM]
) -> str | None:
    """The JSON text of the payload `opened` makes of the same sealed text: the personal fields after
    the others (so that they win over a field of the same name, as they do there), opened with the
    subject's key, or as erased without one, with `ciphers` as `opened` takes them. None where `opened`
    would raise, or cannot be followed without parsing: the payload is then read by `opened`, which
    says why."""
    _, whose, box, rest = sealed
    if key is None:
        personal = _ERASED_JSON[type_name]
    else:
        try:
            personal = _opened_box(_cipher(key, ciphers), type_name, whose, box).decode()
        except (InvalidTag, ValueError):
            return None
        if not (personal.startswith("{") and personal.endswith("}")):
            return None
    if rest == "}":
        return personal
    if personal == "{}":
        return "{" + rest[1:]
    return "{" + rest[1:-1] + "," + personal[1:]


def _plaintext(events: Sequence[Event], dump: Callable[[Event], Payload]) -> list[Stored | None]:
    """How events are stored with sealing off: personal ones at the version before sealing."""
    return [(event.schema_version - 1, dump(event)) if event.personal else None for event in events]


class Together[V]:
    """Key lookups asked for while one is in flight wait for the next, which asks for all of them at
    once: a burst of commands gets its keys in one round trip and goes on together, so that its appends
    still share one write. Each is answered by a lookup that started after it was asked, never by an
    earlier one (whose key may have been erased since)."""

    def __init__(self, look_up: Callable[[set[UUID]], Awaitable[Mapping[UUID, V]]]) -> None:
        self._look_up = look_up
        self._wanted: list[tuple[set[UUID], asyncio.Future[Mapping[UUID, V]]]] = []
        self._running: asyncio.Task[None] | None = None

    async def __call__(self, subjects: set[UUID]) -> Mapping[UUID, V]:
        wanted: asyncio.Future[Mapping[UUID, V]] = asyncio.get_running_loop().create_future()
        self._wanted.append((subjects, wanted))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._look_up_wanted())
        return await wanted

    async def _look_up_wanted(self) -> None:
        while self._wanted:
            batch, self._wanted = self._wanted, []
            try:
                found = await self._look_up(set().union(*(subjects for subjects, _ in batch)))
            except Exception as error:  # noqa: BLE001 - each one waiting gets it, as if it looked alone
                for _, wanted in batch:
                    if not wanted.done():
                        wanted.set_exception(error)
                continue
            for _, wanted in batch:
                if not wanted.done():
                    wanted.set_result(found)


class Sealer:
    """What the event stores seal events with when they record them. With `enabled` false, events are
    recorded as a release before sealing did (their previous version, in plaintext), which is what the
    benchmark compares with; they are read back the same either way."""

    def __init__(self, keys: DataKeys, enabled: bool = True, shared_lookups: bool = False) -> None:
        """The keys that the appends of one moment make go as one (`Together`): one write for a burst
        of registrations. `shared_lookups`: so do the lookups that open events, for a backend where
        each is a round trip; SQLite answers them at once, where sharing would only cost a task each."""
        self.keys = keys
        self.enabled = enabled
        self._last: dict[UUID, asyncio.Future[None]] = {}
        """Per stream, the turn of the append sealed last."""
        self._keys_for = Together(keys.keys_for)
        self._find = Together(keys.find) if shared_lookups else keys.find
        self._seen: OrderedDict[UUID, bytes] = OrderedDict()
        """Keys this process found or made lately, for sealing only (never for opening)."""

    def _saw(self, keys: Mapping[UUID, bytes | None]) -> None:
        for subject, key in keys.items():
            if key is None:
                self._seen.pop(subject, None)
                continue
            self._seen[subject] = key
            self._seen.move_to_end(subject)
        while len(self._seen) > SEALING_KEYS:
            self._seen.popitem(last=False)

    async def erase(self, subject: UUID) -> bool:
        """Delete the subject's key (`DataKeys.erase`): this process seals nothing more with it."""
        self._seen.pop(subject, None)
        return await self.keys.erase(subject)

    async def queued[T](
        self,
        stream_id: UUID,
        events: Sequence[Event],
        dump: Callable[[Event], Payload],
        queue: Callable[[list[Stored | None] | None], T],
    ) -> T:
        """`queue` called with how the events are stored, in the order the appends to one stream were
        called, however long each one's keys took to find: a second command on a stream must reach the
        writer after the first, which decides whether its expected version holds."""
        if not any(event.personal for event in events):
            return queue(None)
        if not self.enabled:
            # Nothing to look up: queued at once, so in call order, without taking a turn.
            return queue(_plaintext(events, dump))
        previous = self._last.get(stream_id)
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[stream_id] = turn
        try:
            if previous is not None:
                await previous
            return queue(await self._sealed(stream_id, events, dump))
        finally:
            turn.set_result(None)
            if self._last.get(stream_id) is turn:
                del self._last[stream_id]

    async def _sealed(
        self, stream_id: UUID, events: Sequence[Event], dump: Callable[[Event], Payload]
    ) -> list[Stored | None]:
        """How each event is stored, sealing on and some event personal (`queued` decided both): None
        for one stored as its type's current version by the store's own encoding. Raises InvalidState
        for a customer already erased, whose fields no key may seal again."""
        subjects = {subject_of(event, stream_id) for event in events if event.personal}
        keys: Mapping[UUID, bytes | None] = {
            subject: self._seen[subject] for subject in subjects if subject in self._seen
        }
        if len(keys) < len(subjects):
            keys = await self._keys_for(subjects)
            self._saw(keys)
        stored: list[Stored | None] = []
        for event in events:
            if not event.personal:
                stored.append(None)
                continue
            subject = subject_of(event, stream_id)
            key = keys.get(subject)
            if key is None:
                raise InvalidState(f"customer {subject} is erased: no personal data of it is recorded again")
            stored.append((event.schema_version, seal(event, dump(event), subject, key)))
        return stored

    async def keys_of(self, subjects: set[UUID]) -> Mapping[UUID, bytes]:
        """The keys that open a page's sealed payloads: one lookup for the page."""
        if not subjects:
            return {}
        found = await self._find(subjects)
        self._saw(found)
        return found
