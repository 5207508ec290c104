"""Function zips extracted once per content hash, as a code directory the workers run in."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path


def code_hash(code_bytes: bytes, moto_sha256_b64: str | None = None) -> str:
    """Hex SHA-256 of the zip; moto already holds it (base64), so reuse that when it can."""
    if moto_sha256_b64:
        try:
            digest = base64.b64decode(moto_sha256_b64, validate=True)
            if len(digest) == 32:
                return digest.hex()
        except (binascii.Error, ValueError):
            pass
    return hashlib.sha256(code_bytes).hexdigest()


class CodeCache:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()

    def directory_for(self, code_bytes: bytes, sha_hex: str) -> Path:
        target = self._root / sha_hex
        if target.is_dir():
            return target
        with self._lock:
            if target.is_dir():
                return target
            self._root.mkdir(parents=True, exist_ok=True)
            # Extract beside the target and rename, so no worker ever sees a half-written tree.
            staging = Path(tempfile.mkdtemp(prefix=f".{sha_hex[:12]}-", dir=self._root))
            try:
                with zipfile.ZipFile(io.BytesIO(code_bytes)) as archive:
                    archive.extractall(staging)
                staging.rename(target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        return target
