"""Deterministic Lambda zips: the same sources give the same bytes.

Entries are sorted and carry a fixed timestamp and fixed permissions, so a redeploy with
unchanged code leaves ``source_code_hash`` unchanged and Terraform plans no change.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}

# The Lambda runtime the modules deploy; vendored wheels are chosen for it.
LAMBDA_PYTHON_VERSION = "3.12"
LAMBDA_PLATFORM = "manylinux2014_x86_64"


class PackagingError(Exception):
    """A Lambda package could not be built."""


@dataclass(frozen=True)
class LambdaPackage:
    path: Path
    sha256: str


def _files_under(root: Path, skip_dirs: Iterable[str] = ()) -> list[Path]:
    skipped = set(skip_dirs)
    files = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if not path.is_file() or EXCLUDED_PARTS.intersection(relative.parts):
            continue
        if relative.parts[0] in skipped or path.suffix in EXCLUDED_SUFFIXES:
            continue
        files.append(path)
    return files


def write_deterministic_zip(entries: dict[str, Path], out: Path) -> LambdaPackage:
    """Write ``{archive name: file}`` to ``out`` in sorted order with fixed metadata."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.external_attr = (0o100000 | FILE_MODE) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode bits are read the same everywhere
            archive.writestr(info, entries[name].read_bytes(), compresslevel=9)
    tmp.replace(out)
    return LambdaPackage(out, hashlib.sha256(out.read_bytes()).hexdigest())


def vendor_requirements(requirements: Path, cache_dir: Path) -> Path:
    """Install pinned requirements for the Lambda runtime into a cached directory.

    The cache key is the requirements file's content, so pins that do not change are
    installed once; wheels only (no builds), for the Lambda platform and Python version.
    """
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    target = cache_dir / f"deps-{digest}"
    marker = target / ".complete"
    if marker.exists():
        return target
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--only-binary=:all:",
        f"--platform={LAMBDA_PLATFORM}",
        f"--python-version={LAMBDA_PYTHON_VERSION}",
        "--implementation=cp",
        f"--target={target}",
        "-r",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackagingError(
            f"pip could not install the Lambda dependencies from {requirements}:\n"
            f"{result.stderr.strip()}\nCheck your network or a proxy (PIP_CERT, PIP_INDEX_URL)."
        )
    marker.write_text(digest + "\n")
    return target


def build_lambda_package(
    package_dir: Path, out: Path, *, requirements: Path | None, cache_dir: Path
) -> LambdaPackage:
    """Zip a Python package (plus its vendored requirements) for Lambda.

    Non-code folders such as the website and samples stay out of the zip.
    """
    if not (package_dir / "__init__.py").exists():
        raise PackagingError(f"{package_dir} is not a Python package (no __init__.py)")
    entries: dict[str, Path] = {}
    if requirements is not None:
        deps = vendor_requirements(requirements, cache_dir)
        for path in _files_under(deps, skip_dirs={"bin"}):
            if path.name == ".complete":
                continue
            entries[path.relative_to(deps).as_posix()] = path
    for path in _files_under(package_dir, skip_dirs={"web", "samples"}):
        if path.suffix != ".py":
            continue
        entries[(Path(package_dir.name) / path.relative_to(package_dir)).as_posix()] = path
    return write_deterministic_zip(entries, out)
