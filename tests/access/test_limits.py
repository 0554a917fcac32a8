"""Limits on what one request may ask for: each refusal names the limit and its value."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import graphql
import httpx

from app.settings import Settings
from app.web import create_app

ORDERS = "{ orders(first: 100) { edges { node { id total status customer { id name email } } } } }"
PRODUCT = 'mutation { createProduct(input: {sku: "S-1", name: "Lamp", price: "9.90"}) { product { id } } }'


@contextlib.asynccontextmanager
async def client(tmp_path: Path, **limits: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(mongodb_uri=None, data_dir=tmp_path, **limits))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http


async def refusal(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    assert body.get("data") is None, body
    assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}, body
    return dict(body["errors"][0])


async def test_depth_aliases_and_document_size_are_limited(tmp_path: Path) -> None:
    async with client(tmp_path, max_depth=3, max_aliases=2, max_tokens=60) as http:
        deep = await refusal(http, "{ orders { edges { node { customer { name } } } } }")
        assert "exceeds maximum operation depth of 3" in deep["message"]

        aliased = await refusal(
            http, "{ a: projections { name } b: projections { name } c: projections { name } }"
        )
        assert "3 aliases found. Allowed: 2" in aliased["message"]

        long = await refusal(http, "{ " + " ".join(["projections { name }"] * 20) + " }")
        assert "more than 60 tokens" in long["message"]

        ok = (await http.post("/graphql", json={"query": "{ projections { name } }"})).json()
        assert "errors" not in ok


async def test_cost_counts_each_field_once_per_node_of_its_page(tmp_path: Path) -> None:
    async with client(tmp_path, max_cost=900) as http:
        costly = await refusal(http, ORDERS)
        assert "costs 901, above the limit of 900" in costly["message"]
        assert costly["extensions"]["limit"] == "max_cost"

        # A page size given by a variable counts as the largest page.
        by_variable = await refusal(
            http, ORDERS.replace("{ orders(first: 100)", "query($n: Int!) { orders(first: $n)"), n=5
        )
        assert "costs 901" in by_variable["message"]

        cheaper = (await http.post("/graphql", json={"query": ORDERS.replace("100", "99")})).json()
        assert "errors" not in cheaper


async def test_the_default_limits_let_graphiql_introspect(tmp_path: Path) -> None:
    async with client(tmp_path) as http:
        body = (await http.post("/graphql", json={"query": graphql.get_introspection_query()})).json()
        assert "errors" not in body
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_can_be_switched_off(tmp_path: Path) -> None:
    async with client(tmp_path, introspection=False) as http:
        refused = await refusal(http, "{ __schema { queryType { name } } }")
        assert "introspection" in refused["message"].lower()
        body = (await http.post("/graphql", json={"query": "{ __typename projections { name } }"})).json()
        assert body["data"]["__typename"] == "Query"


async def test_request_bodies_are_limited_before_they_are_parsed(tmp_path: Path) -> None:
    async with client(tmp_path, max_body_bytes=1_000) as http:
        padded = "{ projections { name } }" + " " * 2_000
        response = await http.post("/graphql", json={"query": padded})
        assert response.status_code == 413
        [error] = response.json()["errors"]
        assert "larger than the limit of 1000 bytes" in error["message"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": "max_body_bytes", "max": 1000}

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(3):
                yield b"x" * 500

        chunked = await http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
        assert chunked.status_code == 413

        assert (await http.post("/graphql", json={"query": "{ projections { name } }"})).status_code == 200


async def test_batches_are_answered_up_to_their_limit(tmp_path: Path) -> None:
    async with client(tmp_path, max_batch=3) as http:
        batch = [{"query": "{ projections { name } }"}, {"query": PRODUCT}]
        answers = (await http.post("/graphql", json=batch)).json()
        assert [sorted(answer["data"]) for answer in answers] == [["projections"], ["createProduct"]]

        too_many = await http.post("/graphql", json=[{"query": "{ projections { name } }"}] * 4)
        assert too_many.status_code == 400
        assert "at most 3 operations" in too_many.text


async def test_mutations_are_never_run_over_get(tmp_path: Path) -> None:
    async with client(tmp_path) as http:
        refused = await http.get("/graphql", params={"query": PRODUCT})
        assert refused.status_code in (400, 405)
        assert "mutations are not allowed" in refused.text.lower()

        events = await http.get("/graphql", params={"query": "{ events { edges { node { id } } } }"})
        assert events.json()["data"]["events"]["edges"] == []


async def test_cors_answers_only_the_configured_origins(tmp_path: Path) -> None:
    async with client(tmp_path, cors_origins=["https://shop.example"]) as http:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        }
        allowed = await http.options("/graphql", headers={"Origin": "https://shop.example", **preflight})
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()

        other = await http.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers


async def test_without_configured_origins_no_cross_origin_reads_are_allowed(tmp_path: Path) -> None:
    async with client(tmp_path) as http:
        response = await http.post(
            "/graphql", json={"query": "{ projections { name } }"}, headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in response.headers
