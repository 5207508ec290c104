"""Deterministic Lambda zips."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from orchestrator.packaging import FIXED_DATE_TIME, PackagingError, build_lambda_package


def _make_package(root: Path) -> Path:
    package = root / "mypkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "web").mkdir()
    (package / "web" / "index.html").write_text("<html></html>")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"junk")
    return package


def test_same_sources_give_same_bytes_whatever_the_mtimes(tmp_path: Path) -> None:
    package = _make_package(tmp_path / "src")
    first = build_lambda_package(package, tmp_path / "a.zip", requirements=None, cache_dir=tmp_path)
    for path in package.rglob("*.py"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
        path.chmod(0o755)
    second = build_lambda_package(
        package, tmp_path / "b.zip", requirements=None, cache_dir=tmp_path
    )
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_entries_are_sorted_code_only_with_fixed_metadata(tmp_path: Path) -> None:
    package = _make_package(tmp_path / "src")
    built = build_lambda_package(package, tmp_path / "a.zip", requirements=None, cache_dir=tmp_path)
    with zipfile.ZipFile(built.path) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == ["mypkg/__init__.py", "mypkg/handler.py", "mypkg/sub/__init__.py"]
    assert all(info.date_time == FIXED_DATE_TIME for info in infos)
    assert all((info.external_attr >> 16) & 0o777 == 0o644 for info in infos)


def test_a_code_change_changes_the_hash(tmp_path: Path) -> None:
    package = _make_package(tmp_path / "src")
    before = build_lambda_package(
        package, tmp_path / "a.zip", requirements=None, cache_dir=tmp_path
    )
    (package / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    after = build_lambda_package(package, tmp_path / "b.zip", requirements=None, cache_dir=tmp_path)
    assert before.sha256 != after.sha256


def test_not_a_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="not a Python package"):
        build_lambda_package(tmp_path, tmp_path / "x.zip", requirements=None, cache_dir=tmp_path)
