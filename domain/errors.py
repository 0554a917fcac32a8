"""Domain errors. Each maps to exactly one GraphQL error code (the README lists them)."""

from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    code = "BAD_USER_INPUT"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, kind: str, entity_id: object) -> None:
        super().__init__(f"{kind} {entity_id} does not exist")
        self.kind = kind
        self.entity_id = entity_id


class InvalidState(DomainError):
    code = "INVALID_STATE"


class Conflict(DomainError):
    code = "CONFLICT"
