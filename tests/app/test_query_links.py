"""A link to `/graphql?query=…` opens GraphiQL in a browser and answers JSON to anything else."""

import pytest

from tests.conftest import GraphQLClient

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
HOSTILE = "{ __typename } # </script><script>window.broken = true</script> \"' &amp;"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_browser_following_a_query_link_gets_graphiql(graphql: GraphQLClient) -> None:
    plain = await graphql.http.get("/graphql", headers={"Accept": BROWSER})
    linked = await graphql.http.get(
        "/graphql",
        params={"query": "query Kind { __typename }", "variables": '{"a": 1}', "operationName": "Kind"},
        headers={"Accept": BROWSER},
    )
    assert linked.status_code == 200
    assert linked.headers["content-type"].startswith("text/html")
    # The page reads the query from its URL: nothing of it is put into the HTML.
    assert linked.text == plain.text
    assert "graphiql.js" in linked.text
    assert linked.headers["vary"] == "Accept"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_query_link_is_never_written_into_the_page(graphql: GraphQLClient) -> None:
    plain = await graphql.http.get("/graphql", headers={"Accept": "text/html"})
    linked = await graphql.http.get("/graphql", params={"query": HOSTILE}, headers={"Accept": "text/html"})
    assert linked.text == plain.text
    assert "window.broken" not in linked.text


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/graphql-response+json",
        "*/*",
        "text/html;q=0.5, application/json",
        "text/html, application/graphql-response+json",
    ],
)
async def test_other_clients_get_the_answer_to_a_get(graphql: GraphQLClient, accept: str) -> None:
    answer = await graphql.http.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"Accept": accept}
    )
    assert answer.status_code == 200
    assert "html" not in answer.headers["content-type"]
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert answer.headers["vary"] == "Accept"
