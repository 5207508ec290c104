"""Swagger UI and ReDoc work with no internet: pages and assets come from the app itself."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("page_url", ["/docs", "/redoc"])
def test_docs_page_loads_its_assets_from_the_app(client: TestClient, page_url: str) -> None:
    page = client.get(page_url)

    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets, "the page names its assets"
    assert all(url.startswith("/") for url in assets), f"an asset from elsewhere: {assets}"
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url


def test_openapi_schema_is_what_the_page_reads(client: TestClient) -> None:
    assert "/openapi.json" in client.get("/docs").text
    assert client.get("/openapi.json").json()["info"]["title"]
