"""Ports for the servers tests start: each test package has its own loopback range.

The suite may run in several processes at once (pytest-xdist), and a port found free can be
taken by another process before the server that wants it binds. So each port handed out is
also claimed with an exclusive lock on a file named after it, held until this process ends:
two processes never get the same port, whatever the timing.
"""

from __future__ import annotations

import fcntl
import os
import socket
import tempfile
from collections.abc import Container
from pathlib import Path

_CLAIMS_DIR = Path(tempfile.gettempdir()) / "cloud-reference-stacks-ports"
# Open lock files of the ports this process claimed (closing one would release its claim).
_claimed: dict[int, int] = {}


def _claim(port: int) -> bool:
    """Lock ``port``'s claim file for this process; False when another process holds it."""
    if port in _claimed:
        return True
    _CLAIMS_DIR.mkdir(parents=True, exist_ok=True)
    handle = os.open(_CLAIMS_DIR / f"{port}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        return False
    _claimed[port] = handle
    return True


def free_port(ports: range, exclude: Container[int] = ()) -> int:
    """A port of ``ports`` on 127.0.0.1 that nothing listens on, no other process of the suite
    has claimed, and not in ``exclude``."""
    for port in ports:
        if port in exclude:
            continue
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        if _claim(port):
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")
