"""One zip per function, holding only the modules its handler imports, and the third-party
packages as one deterministic layer.

GIVEN a package's sources (a small made-up one, or app_inventory itself)
WHEN each function is packaged
THEN its zip holds what its handler imports and nothing else, the handler imports from its zip and
the layer alone, and the layer is the same bytes each time it is built.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from devtools.inventory_sources import change_one_line, copy_inventory_sources
from orchestrator.packaging import (
    FunctionPackages,
    PackagingError,
    build_function_package,
    build_function_packages,
    build_layer,
    handler_modules,
    local_imports,
)
from tests.conftest import REPO_ROOT

INVENTORY_SOURCES = REPO_ROOT / "app_inventory"
INVENTORY_FUNCTIONS = {
    "load_inventory",
    "load_inventory_range",
    "load_range_failed",
    "notify_low_stock",
    "get_inventory_api",
}
# What the Lambda Python runtime itself provides: boto3 and what it needs (not the layer's).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

FILES = {
    "__init__.py": "",
    "api.py": (
        "from typing import TYPE_CHECKING\n"
        "from shop import helper\n"
        "from .sub.deep import VALUE\n"
        "if TYPE_CHECKING:\n"
        "    from shop import typed_only\n"
        "def handler(event, context):\n"
        "    from shop import lazy\n"
        "    return helper.NAME, VALUE, lazy.LAZY\n"
    ),
    "worker.py": "import json\n\ndef handler(event, context):\n    return json.dumps(event)\n",
    "helper.py": "NAME = 'helper'\n",
    "lazy.py": "LAZY = 1\n",
    "typed_only.py": "class Typed: ...\n",
    "unused.py": "UNUSED = 1\n",
    "sub/__init__.py": "",
    "sub/deep.py": "VALUE = 2\n",
}


def make_shop(root: Path) -> Path:
    package = root / "shop"
    for name, text in FILES.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return package


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


# ----------------------------------------------------------------------- made-up package
def test_a_function_per_module_with_a_handler(tmp_path: Path) -> None:
    assert handler_modules(make_shop(tmp_path)) == {"api": "shop.api", "worker": "shop.worker"}


def test_a_zip_holds_the_handler_and_what_it_imports_at_run_time_only(tmp_path: Path) -> None:
    # GIVEN a handler importing a module, a relative submodule, one lazily in its body and one
    # under TYPE_CHECKING
    package = make_shop(tmp_path)

    # WHEN it is packaged
    built = build_function_package(package, "shop.api", tmp_path / "api.zip")

    # THEN the zip has those it runs (and their packages' __init__), not the type-only or unused
    assert zip_names(built.path) == [
        "shop/__init__.py",
        "shop/api.py",
        "shop/helper.py",
        "shop/lazy.py",
        "shop/sub/__init__.py",
        "shop/sub/deep.py",
    ]
    assert zip_names(build_function_package(package, "shop.worker", tmp_path / "w.zip").path) == [
        "shop/__init__.py",
        "shop/worker.py",
    ]


def test_a_change_to_a_module_changes_only_the_zips_that_import_it(tmp_path: Path) -> None:
    package = make_shop(tmp_path)
    api_before = build_function_package(package, "shop.api", tmp_path / "a1.zip")
    worker_before = build_function_package(package, "shop.worker", tmp_path / "w1.zip")

    (package / "helper.py").write_text("NAME = 'changed'\n")

    api_after = build_function_package(package, "shop.api", tmp_path / "a2.zip")
    worker_after = build_function_package(package, "shop.worker", tmp_path / "w2.zip")
    assert api_after.sha256 != api_before.sha256
    assert worker_after.path.read_bytes() == worker_before.path.read_bytes()


# ------------------------------------------------------------------------- app_inventory
@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> FunctionPackages:
    out = tmp_path_factory.mktemp("inventory-packages")
    return build_function_packages(
        INVENTORY_SOURCES,
        out,
        requirements=INVENTORY_SOURCES / "requirements.txt",
        cache_dir=out / "cache",
    )


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """boto3 and its dependencies alone, linked from this interpreter: Lambda's runtime."""
    runtime = tmp_path_factory.mktemp("runtime")
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, f"{name} is not installed"
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    return runtime


def extracted(zip_path: Path, into: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    return into


IMPORT_CHECK = """
import importlib, sys
sys.path[0:0] = sys.argv[2:]
module = importlib.import_module(sys.argv[1])
assert callable(module.handler)
import aws_lambda_powertools
print(aws_lambda_powertools.__file__)
"""


def import_handler(module: str, *path: Path) -> subprocess.CompletedProcess[str]:
    """Import ``module`` in a fresh interpreter whose only import path (besides the standard
    library) is ``path``: no site-packages (-S), no repository (-I)."""
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMPORT_CHECK, module, *map(str, path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"},
    )


def test_every_inventory_function_has_its_own_zip(packages: FunctionPackages) -> None:
    assert set(packages.functions) == INVENTORY_FUNCTIONS
    for key, package in packages.functions.items():
        names = zip_names(package.path)
        assert f"app_inventory/{key}.py" in names
        assert all(name.startswith("app_inventory/") for name in names)
    # The API does not load files: none of the loader's modules ride along.
    assert "app_inventory/bulk_load.py" not in zip_names(
        packages.functions["get_inventory_api"].path
    )


@pytest.mark.parametrize("function", sorted(INVENTORY_FUNCTIONS))
def test_each_handler_imports_from_its_zip_and_the_layer_alone(
    function: str, packages: FunctionPackages, runtime_dir: Path, tmp_path: Path
) -> None:
    # GIVEN the function's zip and the layer unpacked as Lambda does (/var/task, /opt)
    code = extracted(packages.functions[function].path, tmp_path / "task")
    layer = extracted(packages.layer.path, tmp_path / "opt") / "python"

    # WHEN its handler module is imported with only those and the runtime's boto3
    result = import_handler(f"app_inventory.{function}", code, layer, runtime_dir)

    # THEN it imports, and Powertools comes from the layer
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(layer)


def test_the_import_check_fails_for_a_zip_missing_an_imported_module(
    packages: FunctionPackages, runtime_dir: Path, tmp_path: Path
) -> None:
    # GIVEN the API's zip without one module its handler imports
    code = extracted(packages.functions["get_inventory_api"].path, tmp_path / "task")
    (code / "app_inventory" / "items_pagination.py").unlink()
    layer = extracted(packages.layer.path, tmp_path / "opt") / "python"

    result = import_handler("app_inventory.get_inventory_api", code, layer, runtime_dir)

    assert result.returncode != 0
    assert "No module named 'app_inventory.items_pagination'" in result.stderr


def test_the_layer_holds_the_dependencies_under_python(packages: FunctionPackages) -> None:
    names = zip_names(packages.layer.path)
    assert all(name.startswith("python/") for name in names)
    assert "python/aws_lambda_powertools/__init__.py" in names
    assert not any(name.startswith("python/app_inventory/") for name in names)
    for package in packages.functions.values():
        assert not any(
            name.startswith("aws_lambda_powertools/") for name in zip_names(package.path)
        )


def test_the_layer_is_the_same_bytes_when_built_again_from_scratch(
    packages: FunctionPackages, tmp_path: Path
) -> None:
    # GIVEN the same pins, installed again by pip into a fresh cache, zipped into a fresh dir
    again = build_layer(
        INVENTORY_SOURCES / "requirements.txt", tmp_path / "out", cache_dir=tmp_path / "cache"
    )

    assert again.path.name == packages.layer.path.name
    assert again.path.read_bytes() == packages.layer.path.read_bytes()


def test_a_one_line_change_to_one_handler_changes_one_zip(
    packages: FunctionPackages, tmp_path: Path
) -> None:
    # GIVEN a copy of the sources with one line added to one handler
    sources = copy_inventory_sources(tmp_path / "src")
    change_one_line(sources, "notify_low_stock")

    # WHEN every function is packaged from the copy (the layer is reused from the same cache)
    changed = {
        key: build_function_package(sources, module, tmp_path / f"{key}.zip")
        for key, module in handler_modules(sources).items()
    }

    # THEN only that function's zip differs from the repository's
    differing = {
        key for key, package in changed.items() if package.sha256 != packages.functions[key].sha256
    }
    assert differing == {"notify_low_stock"}


def test_a_module_outside_the_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="not in"):
        local_imports(make_shop(tmp_path), "elsewhere.module")
