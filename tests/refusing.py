"""A loopback address where every connection is refused, for as long as it is held.

The port is bound but not listening: Linux answers a SYN with a reset, and no other test's
server can take the port meanwhile. (A port bound, then closed before use, is free again:
another fixture's server starting in between could be listening there.)
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["refusing_url"]


@contextmanager
def refusing_url() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` where connections are refused until the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
