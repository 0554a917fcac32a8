"""Counting the database round trips that requests cost, with PyMongo's command monitoring."""

from pymongo import monitoring

UPKEEP = frozenset({"hello", "ismaster", "isMaster", "endSessions", "saslStart", "saslContinue", "ping"})
"""Connection upkeep, not work done for a request."""


class RoundTripCounter(monitoring.CommandListener):
    """The names of the commands sent, in order, leaving out upkeep."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        # A server refreshes where each read model lives once a second, whatever the requests.
        refresh = event.command.get(event.command_name) == "projection_state"
        if event.command_name not in UPKEEP and not refresh:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
