"""Run an ASGI app on a real 127.0.0.1 port inside the test's own event loop.

Tests talk to fakes over real HTTP, so the code under test uses its normal client stack. The
socket is bound before uvicorn starts, which gives a free port without a race. uvicorn's
`serve()` polls every 0.1 s and pauses 0.1 s on shutdown; a test suite starts hundreds of
servers, so this drives uvicorn's startup and shutdown steps directly instead.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def serve_app(app: ASGIApp, *, shutdown_timeout: float = 2.0) -> AsyncIterator[str]:
    """Serve `app` until the block ends; yields its base URL, e.g. ``http://127.0.0.1:41234``.

    On exit, running requests get `shutdown_timeout` seconds to finish, then are cancelled.
    """
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets that say so, and
    # without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup(sockets=[sock])
        await server.on_tick(0)  # sets the Date and Server headers
        yield f"http://127.0.0.1:{port}"
    finally:
        await _stop(server, shutdown_timeout)
        sock.close()


async def _stop(server: uvicorn.Server, grace: float) -> None:
    for listener in getattr(server, "servers", []):
        listener.close()
    state = server.server_state
    for connection in list(state.connections):
        connection.shutdown()  # closes idle keep-alive connections, others after their answer
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    # uvicorn has no event to wait on; it polls too.
    while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    for task in list(state.tasks):
        task.cancel()


def closed_port() -> int:
    """A 127.0.0.1 port that nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
