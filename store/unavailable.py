"""The database being away, as one error every adapter raises, so callers need not know the driver.

An adapter marks itself with `@raises_unavailable(is_away)`: each of its public coroutine methods then
raises `StoreUnavailable` for the driver errors `is_away` recognises (a refused connection, a timed
out server selection, a file locked by another process for too long). Anything else passes through.
"""

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any


class StoreUnavailable(Exception):
    """The database cannot be reached right now; the same request may succeed once it is back."""


def raises_unavailable[C: type](is_away: Callable[[Exception], bool]) -> Callable[[C], C]:
    def decorate(cls: C) -> C:
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(member):
                setattr(cls, name, _translated(member, is_away))
        return cls

    return decorate


def _translated(
    method: Callable[..., Coroutine[Any, Any, Any]], is_away: Callable[[Exception], bool]
) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except Exception as error:
            if is_away(error):
                raise StoreUnavailable(str(error)) from error
            raise

    return call
