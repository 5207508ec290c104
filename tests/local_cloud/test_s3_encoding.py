"""S3 listings with EncodingType=url: keys holding '+', spaces and non-ASCII survive the trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from orchestrator.local_cloud.control import LocalCloud
from tests.local_cloud.conftest import unique

KEYS = ["a+b.csv", "with space.csv", "ünïcödé.csv", "plus+and space+.csv", "dir+x/in dir.csv"]


def test_listings_decode_to_the_real_keys_and_a_versioned_bucket_empties(
    aws: Callable[[str], Any],
) -> None:
    # GIVEN a versioned bucket whose keys need URL encoding (one key with two versions)
    s3 = aws("s3")
    bucket = unique("encoded-keys")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for key in KEYS + ["a+b.csv"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.delete_object(Bucket=bucket, Key="with space.csv")  # a delete marker

    # WHEN it is listed by boto3 (which asks for EncodingType=url and decodes)
    v1 = [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]]
    v2 = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    versions = s3.list_object_versions(Bucket=bucket)
    by_prefix = s3.list_objects_v2(Bucket=bucket, Prefix="plus+", StartAfter="a+b.csv")
    folders = s3.list_objects(Bucket=bucket, Delimiter="/", Prefix="dir+")

    # THEN every listing gives the real keys
    present = sorted(k for k in KEYS if k != "with space.csv")
    assert sorted(v1) == present and sorted(v2) == present
    assert sorted(v["Key"] for v in versions["Versions"]) == sorted(KEYS + ["a+b.csv"])
    assert [m["Key"] for m in versions["DeleteMarkers"]] == ["with space.csv"]
    assert [o["Key"] for o in by_prefix["Contents"]] == ["plus+and space+.csv"]
    assert by_prefix["Prefix"] == "plus+" and by_prefix["StartAfter"] == "a+b.csv"
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == ["dir+x/"]
    assert folders["Prefix"] == "dir+"

    # AND deleting what ListObjectVersions gave (what force_destroy does) empties the bucket
    objects = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in versions["Versions"] + versions["DeleteMarkers"]
    ]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    assert s3.list_object_versions(Bucket=bucket).get("Versions", []) == []
    s3.delete_bucket(Bucket=bucket)


def test_the_raw_version_listing_is_url_encoded(
    aws: Callable[[str], Any], cloud: LocalCloud
) -> None:
    # GIVEN a key holding '+' (Terraform's provider decodes it with url.QueryUnescape)
    bucket = unique("raw-listing")
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key="a+b c.csv", Body=b"x")

    # WHEN versions are listed with encoding-type=url (signed: the local cloud enforces IAM)
    url = f"{cloud.endpoint_url}/{bucket}?versions&encoding-type=url"
    signed = AWSRequest(method="GET", url=url)
    S3SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(signed)
    body = requests.get(url, headers=dict(signed.headers), timeout=10).text

    # THEN the key is encoded, and the answer says so
    assert "<Key>a%2Bb%20c.csv</Key>" in body
    assert "<EncodingType>url</EncodingType>" in body
