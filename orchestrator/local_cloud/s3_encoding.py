"""S3 listings honour EncodingType=url for every field AWS encodes, as clients expect.

With ``encoding-type=url`` AWS URL-encodes keys, prefixes, delimiters and markers, and clients
(botocore, Terraform's provider) decode them. moto encodes only some of them in ListObjects and
ListObjectsV2, and nothing in ListObjectVersions, so a key holding ``+`` came back decoded as a
space: Terraform's ``force_destroy`` deleted a key that did not exist and looped forever.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from orchestrator.local_cloud.monkeypatch import replace

# Per operation: (top-level fields, (list field, item field) pairs) that moto leaves unencoded.
_UNENCODED: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    # S3 leaves ListObjects' Prefix as sent (botocore does not decode it there either).
    "list_objects": (("Delimiter", "Marker", "NextMarker"), (("CommonPrefixes", "Prefix"),)),
    "list_objects_v2": (("Delimiter", "StartAfter"), ()),
    "list_object_versions": (
        ("Prefix", "Delimiter", "KeyMarker", "NextKeyMarker"),
        (("Versions", "Key"), ("DeleteMarkers", "Key"), ("CommonPrefixes", "Prefix")),
    ),
}


def install() -> None:
    from moto.s3.responses import S3Response

    for operation, (fields, nested) in _UNENCODED.items():
        replace(S3Response, operation, _encoding(getattr(S3Response, operation), fields, nested))


def _encoding(
    original: Callable[[Any], Any],
    fields: tuple[str, ...],
    nested: tuple[tuple[str, str], ...],
) -> Callable[[Any], Any]:
    def listing(self: Any) -> Any:
        if self.querystring.get("encoding-type", [None])[0] != "url":
            return original(self)
        serialized = self.serialized  # moto makes one response object per request

        def serialize_encoded(action_result: Any) -> Any:
            result = action_result.result
            if isinstance(result, dict):
                _encode(result, fields, nested)
            return serialized(action_result)

        self.serialized = serialize_encoded
        try:
            return original(self)
        finally:
            del self.serialized

    return listing


def _encode(
    result: dict[str, Any], fields: tuple[str, ...], nested: tuple[tuple[str, str], ...]
) -> None:
    result["EncodingType"] = "url"
    for name in fields:
        if result.get(name):
            result[name] = urllib.parse.quote(result[name])  # as moto encodes keys
    for list_name, item_name in nested:
        for item in result.get(list_name) or []:
            if item.get(item_name):
                item[item_name] = urllib.parse.quote(item[item_name])
