"""GraphiQL and the dashboard are served with everything they load from the app itself."""

import re
from pathlib import Path

import pytest

from app import assets
from tests.conftest import GraphQLClient

REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(("path", "headers"), [("/graphql", {"Accept": "text/html"}), ("/dashboard", {})])
async def test_pages_load_nothing_from_elsewhere(
    graphql: GraphQLClient, path: str, headers: dict[str, str]
) -> None:
    page = await graphql.http.get(path, headers=headers)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = [r for r in REFERENCE.findall(page.text) if not r.startswith(("data:", "#"))]
    assert any(r.startswith("/static/vendor/") for r in references)
    for reference in references:
        assert reference.startswith("/"), f"{path} loads {reference} from elsewhere"
        assert (await graphql.http.get(reference)).status_code == 200, reference


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_missing_built_assets_are_explained(
    graphql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(assets, "VENDOR", tmp_path)
    page = await graphql.http.get("/dashboard")
    assert page.status_code == 503
    assert "uv sync --reinstall-package eventfold" in page.text
