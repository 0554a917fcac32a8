"""Command monitoring for tests: the event documents MongoDB sends back, and the queries the app sends."""

from typing import Any

from pymongo import monitoring

QUERIES = frozenset({"find", "aggregate"})


def _collection(event: monitoring.CommandStartedEvent) -> Any:
    if event.command_name == "getMore":
        return event.command.get("collection")
    return event.command.get(event.command_name)


class EventDocumentsRead(monitoring.CommandListener):
    """Counts the event documents read whole: those of `find` (and its `getMore`s) on `events` without a
    projection. A projected find, as the event store's `head`, reads one field of one document."""

    def __init__(self) -> None:
        self.count = 0
        self._cursors: set[int] = set()
        self._requests: set[int] = set()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if _collection(event) != "events":
            return
        whole = event.command_name == "find" and "projection" not in event.command
        if whole or (event.command_name == "getMore" and event.command["getMore"] in self._cursors):
            self._requests.add(event.request_id)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.request_id not in self._requests:
            return
        self._requests.discard(event.request_id)
        cursor = event.reply["cursor"]
        self.count += len(cursor.get("firstBatch", cursor.get("nextBatch", [])))
        if cursor["id"]:
            self._cursors.add(cursor["id"])

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._requests.discard(event.request_id)


class CapturedQueries(monitoring.CommandListener):
    """Every `find` and `aggregate` sent, as sent (to explain them afterwards)."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in QUERIES:
            self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
