"""Ports for the servers tests start: each test package has its own loopback range."""

from __future__ import annotations

import socket
from collections.abc import Container


def free_port(ports: range, exclude: Container[int] = ()) -> int:
    """A port of ``ports`` on 127.0.0.1 that nothing listens on (and not in ``exclude``)."""
    for port in ports:
        if port in exclude:
            continue
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")
