"""`projections { owner }`: which projector process holds each read model's lease."""

import os
import socket

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient, serving
from tests.e2e.operations import register_customer

OWNERS = "{ projections { name owner } }"


async def test_each_read_model_names_the_projector_that_holds_it(graphql: GraphQLClient) -> None:
    await register_customer(graphql)

    statuses = (await graphql.data(OWNERS))["projections"]

    assert len(statuses) == 6
    owners = {status["owner"] for status in statuses}
    assert len(owners) == 1
    host, pid, _ = owners.pop().split(":")
    assert (host, int(pid)) == (socket.gethostname(), os.getpid())


async def test_read_models_nobody_runs_have_no_owner(settings: Settings) -> None:
    async with serving(create_app(settings)) as projecting:
        await register_customer(projecting)
        assert len((await projecting.data(OWNERS))["projections"]) == 6
    # That server released its leases as it stopped; this one runs no projector.
    async with serving(create_app(settings.model_copy(update={"projector": False}))) as apart:
        statuses = (await apart.data(OWNERS))["projections"]

    assert len(statuses) == 6
    assert {status["owner"] for status in statuses} == {None}
