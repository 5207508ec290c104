"""Deterministic Lambda zips, one per function."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from orchestrator.packaging import (
    FIXED_DATE_TIME,
    LambdaPackage,
    PackagingError,
    build_function_package,
    handler_modules,
)

HANDLER = "from mypkg import sub\n\n\ndef handler(event, context):\n    return {result}\n"


def _build(package: Path, out: Path) -> LambdaPackage:
    return build_function_package(package, "mypkg.handler", out)


def _make_package(root: Path) -> Path:
    package = root / "mypkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(HANDLER.format(result=1))
    (package / "sub" / "__init__.py").write_text("")
    (package / "web").mkdir()
    (package / "web" / "index.html").write_text("<html></html>")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"junk")
    return package


def test_same_sources_give_same_bytes_whatever_the_mtimes(tmp_path: Path) -> None:
    package = _make_package(tmp_path / "src")
    first = _build(package, tmp_path / "a.zip")
    for path in package.rglob("*.py"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
        path.chmod(0o755)
    second = _build(package, tmp_path / "b.zip")
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_entries_are_sorted_code_only_with_fixed_metadata(tmp_path: Path) -> None:
    package = _make_package(tmp_path / "src")
    built = _build(package, tmp_path / "a.zip")
    with zipfile.ZipFile(built.path) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == ["mypkg/__init__.py", "mypkg/handler.py", "mypkg/sub/__init__.py"]
    assert all(info.date_time == FIXED_DATE_TIME for info in infos)
    assert all((info.external_attr >> 16) & 0o777 == 0o644 for info in infos)


def test_a_code_change_changes_the_hash(tmp_path: Path) -> None:
    package = _make_package(tmp_path / "src")
    before = _build(package, tmp_path / "a.zip")
    (package / "handler.py").write_text(HANDLER.format(result=2))
    after = _build(package, tmp_path / "b.zip")
    assert before.sha256 != after.sha256


def test_not_a_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="not a Python package"):
        handler_modules(tmp_path)
