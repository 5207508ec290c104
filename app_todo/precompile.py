"""Byte-compile the installed modules the app imports, and only those (the image's builder,
with ``--build-arg PRECOMPILE=true``).

pip compiles every module it installs: about 27 MB of .pyc files, 40% of them for modules the
app never imports. With none, each start compiles what it imports, about a second of CPU at
every task start (the image's user cannot write them). This imports what
``uvicorn app.main:app`` imports when it starts, migrates and serves on MySQL or SQLite, and
writes .pyc files for those modules, with source hashes rather than timestamps so they stay
valid whatever the files' times and are identical from build to build. A module missed here is
still compiled at start, in memory: this only costs time, never correctness.
"""

from __future__ import annotations

import importlib
import py_compile
import sys
import sysconfig

MODULES = [
    # the app, its routes and its settings
    "fastapi",
    "fastapi.openapi.docs",
    "fastapi.openapi.utils",
    "fastapi.security",
    "fastapi_offline",
    "pydantic_settings",
    "sqlmodel",
    "anyio.to_thread",
    # start-up: migrations (alembic loads every dialect's DDL implementation)
    "alembic.command",
    "alembic.config",
    "alembic.op",
    "alembic.runtime.environment",
    "alembic.runtime.migration",
    "alembic.script",
    # databases: MySQL through PyMySQL (cryptography for caching_sha2_password), SQLite
    "sqlalchemy.dialects.mysql.pymysql",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "pymysql",
    "cryptography.hazmat.backends",
    "cryptography.hazmat.primitives.asymmetric.padding",
    "cryptography.hazmat.primitives.hashes",
    "cryptography.hazmat.primitives.serialization",
    # the server's command line
    "uvicorn.main",
]


def import_what_the_app_runs() -> None:
    for name in MODULES:
        importlib.import_module(name)
    import uvicorn

    # uvicorn picks its HTTP parser, event loop and middleware by what is installed: let it.
    config = uvicorn.Config(
        "fastapi:FastAPI", factory=True, proxy_headers=True, forwarded_allow_ips="*"
    )
    config.load()
    config.get_loop_factory()


def main() -> int:
    import_what_the_app_runs()
    site_packages = sysconfig.get_paths()["purelib"]
    sources = sorted(
        path
        for module in list(sys.modules.values())
        if isinstance(path := getattr(module, "__file__", None), str)
        and path.startswith(site_packages)
        and path.endswith(".py")
    )
    for source in sources:
        py_compile.compile(
            source, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
        )
    print(f"precompile: {len(sources)} modules byte-compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
