"""Deterministic Lambda zips: the same sources give the same bytes.

Entries are sorted and carry a fixed timestamp and fixed permissions, so a redeploy with
unchanged code leaves ``source_code_hash`` unchanged and Terraform plans no change. Each
function gets its own zip, holding only the modules its handler imports, and the third-party
dependencies go into one layer: a change to one handler changes one function.
"""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import OrchestrateError

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}

# The Lambda runtime the modules deploy; vendored wheels are chosen for it.
LAMBDA_PYTHON_VERSION = "3.12"
LAMBDA_PLATFORM = "manylinux2014_x86_64"


class PackagingError(OrchestrateError):
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


@dataclass(frozen=True)
class FunctionPackages:
    """One zip per function (keyed by its handler module's name) and the shared layer."""

    functions: dict[str, LambdaPackage]
    layer: LambdaPackage


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    """Absolute names that ``module`` imports at run time, wherever the import sits.

    Imports under ``if TYPE_CHECKING:`` never run, so they add nothing to a zip.
    """
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                anchor = parts if is_package else parts[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            # ``from pkg import name``: name may be a submodule; unknown names are dropped later.
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        stack.extend(ast.iter_child_nodes(node))


def _module_file(source_dir: Path, module: str) -> Path | None:
    """The file of ``module`` when it belongs to the package in ``source_dir``."""
    package, *rest = module.split(".")
    if package != source_dir.name:
        return None
    base = source_dir.joinpath(*rest)
    candidates = (
        (base / "__init__.py", base.with_suffix(".py")) if rest else (base / "__init__.py",)
    )
    return next((path for path in candidates if path.is_file()), None)


def local_imports(source_dir: Path, module: str) -> dict[str, Path]:
    """``module`` and every module of the package in ``source_dir`` it imports, directly or
    through another, read statically (``ast``): ``{module name: file}``, parents included."""
    found: dict[str, Path] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        parts = name.split(".")
        # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            if prefix in found:
                continue
            path = _module_file(source_dir, prefix)
            if path is None:
                continue
            found[prefix] = path
            tree = ast.parse(path.read_bytes(), filename=str(path))
            pending.extend(_imported_names(tree, prefix, path.name == "__init__.py"))
    if module not in found:
        raise PackagingError(f"module {module} is not in {source_dir}")
    return found


def handler_modules(source_dir: Path) -> dict[str, str]:
    """``{function key: module}`` for each top-level module of the package that defines a
    top-level ``handler``: one Lambda function per handler module, named after it."""
    if not (source_dir / "__init__.py").exists():
        raise PackagingError(f"{source_dir} is not a Python package (no __init__.py)")
    handlers: dict[str, str] = {}
    for path in sorted(source_dir.glob("*.py")):
        tree = ast.parse(path.read_bytes(), filename=str(path))
        for node in tree.body:
            defined = (
                [node.name]
                if isinstance(node, ast.FunctionDef)
                else [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            )
            if "handler" in defined:
                handlers[path.stem] = f"{source_dir.name}.{path.stem}"
    return handlers


def build_function_package(source_dir: Path, module: str, out: Path) -> LambdaPackage:
    """Zip ``module`` with only the modules of its package that it imports (no dependencies:
    those are the layer's), so a change elsewhere in the package leaves this zip's bytes alone."""
    modules = local_imports(source_dir, module)
    root = source_dir.parent
    entries = {path.relative_to(root).as_posix(): path for path in modules.values()}
    return write_deterministic_zip(entries, out)


def build_layer(requirements: Path, out_dir: Path, *, cache_dir: Path) -> LambdaPackage:
    """The vendored requirements as a Lambda layer zip: under ``python/``, which Lambda puts
    on the import path (``/opt/python``).

    Named after the requirements' digest: the same pins give the same file, built once, and
    its path stays the same between deploys (a new path would replace the layer version).
    """
    deps = vendor_requirements(requirements, cache_dir)
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    out = out_dir / f"layer-{digest}.zip"
    if out.exists():
        return LambdaPackage(out, hashlib.sha256(out.read_bytes()).hexdigest())
    entries = {
        f"python/{path.relative_to(deps).as_posix()}": path
        for path in _files_under(deps, skip_dirs={"bin"})
        if path.name != ".complete"
    }
    return write_deterministic_zip(entries, out)


def build_function_packages(
    source_dir: Path, out_dir: Path, *, requirements: Path, cache_dir: Path
) -> FunctionPackages:
    """A zip per handler module of ``source_dir`` (``out_dir/functions/<key>.zip``, the same
    paths whatever the source dir) and the dependencies' layer."""
    functions = {
        key: build_function_package(source_dir, module, out_dir / "functions" / f"{key}.zip")
        for key, module in handler_modules(source_dir).items()
    }
    if not functions:
        raise PackagingError(f"no module of {source_dir} defines a handler")
    layer = build_layer(requirements, out_dir, cache_dir=cache_dir)
    return FunctionPackages(functions, layer)
