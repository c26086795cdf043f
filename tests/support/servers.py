"""Run an ASGI app on a real 127.0.0.1 port inside the test's own event loop.

Tests talk to fakes over real HTTP, so the code under test uses its normal client stack. The
serving itself is ``devtools.serving.serve_in_loop``, shared with the stand-ins and the demo.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.types import ASGIApp

from devtools.serving import serve_in_loop


@asynccontextmanager
async def serve_app(app: ASGIApp, *, shutdown_timeout: float = 2.0) -> AsyncIterator[str]:
    """Serve `app` until the block ends; yields its base URL, e.g. ``http://127.0.0.1:41234``.

    On exit, running requests get `shutdown_timeout` seconds to finish, then are cancelled.
    """
    async with serve_in_loop(app, shutdown_timeout=shutdown_timeout) as port:
        yield f"http://127.0.0.1:{port}"


def closed_port() -> int:
    """A 127.0.0.1 port that nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
