"""A bucket with a website configuration is served under /_website/<bucket>/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from orchestrator.local_cloud.control import LocalCloud
from tests.local_cloud.conftest import unique


@pytest.fixture(scope="module")
def site(aws: Callable[[str], Any]) -> str:
    s3 = aws("s3")
    bucket = unique("website")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": "error.html"},
        },
    )
    files = {
        "index.html": ("<h1>Inventory</h1>", "text/html"),
        "app.js": ("console.log('hi')", "application/javascript"),
        "error.html": ("<h1>Gone</h1>", "text/html"),
        "docs/index.html": ("<h1>Docs</h1>", "text/html"),
    }
    for key, (body, content_type) in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType=content_type)
    return bucket


def test_the_root_serves_the_index_document(site: str, cloud: LocalCloud) -> None:
    response = requests.get(cloud.website_url(site), timeout=30)

    assert cloud.website_url(site) == f"{cloud.endpoint_url}/_website/{site}/"
    assert response.status_code == 200
    assert response.text == "<h1>Inventory</h1>"
    assert response.headers["Content-Type"] == "text/html"


def test_objects_keep_their_content_type(site: str, cloud: LocalCloud) -> None:
    response = requests.get(cloud.website_url(site) + "app.js", timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/javascript"
    assert response.text == "console.log('hi')"


def test_a_missing_key_gets_the_error_document_with_404(site: str, cloud: LocalCloud) -> None:
    response = requests.get(cloud.website_url(site) + "nothing.html", timeout=30)

    assert response.status_code == 404
    assert response.text == "<h1>Gone</h1>"


def test_folders_serve_their_index_and_redirect_without_slash(site: str, cloud: LocalCloud) -> None:
    folder = requests.get(cloud.website_url(site) + "docs/", timeout=30)
    bare = requests.get(cloud.website_url(site) + "docs", allow_redirects=False, timeout=30)
    root = requests.get(f"{cloud.endpoint_url}/_website/{site}", allow_redirects=False, timeout=30)

    assert folder.text == "<h1>Docs</h1>"
    assert (bare.status_code, bare.headers["Location"]) == (302, f"/_website/{site}/docs/")
    assert (root.status_code, root.headers["Location"]) == (302, f"/_website/{site}/")


def test_a_bucket_without_website_configuration_is_404_with_a_reason(
    aws: Callable[[str], Any], cloud: LocalCloud
) -> None:
    bucket = unique("not-a-website")
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key="index.html", Body=b"x")

    response = requests.get(cloud.website_url(bucket), timeout=30)
    missing = requests.get(cloud.website_url(unique("no-bucket")), timeout=30)

    assert response.status_code == 404
    assert "NoSuchWebsiteConfiguration" in response.text
    assert missing.status_code == 404 and "NoSuchBucket" in missing.text


def test_host_header_style_and_path_style_s3_still_work(
    site: str, cloud: LocalCloud, aws: Callable[[str], Any]
) -> None:
    by_host = requests.get(
        f"{cloud.endpoint_url}/app.js",
        headers={"Host": f"{site}.s3-website.localhost:{cloud.port}"},
        timeout=30,
    )
    through_s3 = aws("s3").get_object(Bucket=site, Key="docs/index.html")

    assert by_host.text == "console.log('hi')"
    assert through_s3["Body"].read() == b"<h1>Docs</h1>"
