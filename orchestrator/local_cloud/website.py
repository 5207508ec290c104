"""S3 static website hosting: /_website/<bucket>/<key> served from moto's S3 backend."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class WebsiteConfig:
    index_suffix: str
    error_key: str | None

    @classmethod
    def parse(cls, document: bytes | str) -> WebsiteConfig:
        root = ElementTree.fromstring(document)

        def text(path: str) -> str | None:
            # moto keeps the XML as sent; match tags whatever their namespace.
            node = root
            for name in path.split("/"):
                found = next((c for c in node if c.tag.rsplit("}", 1)[-1] == name), None)
                if found is None:
                    return None
                node = found
            return (node.text or "").strip() or None

        return cls(
            index_suffix=text("IndexDocument/Suffix") or "index.html",
            error_key=text("ErrorDocument/Key"),
        )


def _find_bucket(name: str) -> Any | None:
    from moto.s3.models import s3_backends

    located = s3_backends.bucket_accounts.get(name)
    if located is not None:
        partition, account_id = located
        return s3_backends[account_id][partition].buckets.get(name)
    return None


def _error_page(status: int, code: str, message: str, bucket: str) -> Response:
    body = (
        f"<html><head><title>{status} {html.escape(code)}</title></head><body>"
        f"<h1>{status} {html.escape(code)}</h1><ul><li>Code: {html.escape(code)}</li>"
        f"<li>Message: {html.escape(message)}</li><li>BucketName: {html.escape(bucket)}</li>"
        "</ul></body></html>"
    )
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def _object_response(key: Any, status: int, head: bool) -> Response:
    response = Response(b"" if head else key.value, status=status)
    response.headers["Content-Type"] = key.metadata.get("content-type", "binary/octet-stream")
    response.headers["ETag"] = key.etag
    response.headers["Last-Modified"] = key.last_modified_RFC1123
    if head:
        response.headers["Content-Length"] = str(key.size)
    return response


def serve(request: Request, bucket_name: str, key_name: str, base_path: str) -> Response:
    """Answer like an S3 website endpoint; ``base_path`` prefixes redirects (/_website/b/)."""
    if request.method not in ("GET", "HEAD"):
        return _error_page(405, "MethodNotAllowed", "Only GET and HEAD are allowed", bucket_name)
    bucket = _find_bucket(bucket_name)
    if bucket is None:
        return _error_page(404, "NoSuchBucket", "The specified bucket does not exist", bucket_name)
    if not bucket.website_configuration:
        return _error_page(
            404,
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
            bucket_name,
        )
    config = WebsiteConfig.parse(bucket.website_configuration)
    head = request.method == "HEAD"
    lookup = (
        key_name + config.index_suffix if key_name == "" or key_name.endswith("/") else key_name
    )
    key = bucket.keys.get(lookup)
    if key is not None and not _is_delete_marker(key):
        return _object_response(key, 200, head)
    folder_index = bucket.keys.get(f"{key_name}/{config.index_suffix}")
    if key_name and folder_index is not None:
        # S3 redirects "folder" to "folder/" when folder/index.html exists.
        return Response(b"", status=302, headers={"Location": f"{base_path}{key_name}/"})
    if config.error_key:
        error_doc = bucket.keys.get(config.error_key)
        if error_doc is not None and not _is_delete_marker(error_doc):
            return _object_response(error_doc, 404, head)
    return _error_page(404, "NoSuchKey", "The specified key does not exist.", bucket_name)


def _is_delete_marker(key: Any) -> bool:
    return not hasattr(key, "value")
