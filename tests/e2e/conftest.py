"""A server on a clock the test sets (`client`, `clock`)."""

from collections.abc import AsyncIterator

import pytest

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient, serving
from tests.e2e.clock import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(settings: Settings, clock: Clock) -> AsyncIterator[GraphQLClient]:
    async with serving(create_app(settings, clock=clock)) as served:
        yield served
