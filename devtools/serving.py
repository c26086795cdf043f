"""Serve an ASGI app with uvicorn inside the caller's own event loop, on a socket bound first.

The stand-ins, the offline demo and the tests all run servers next to the code they talk to.
uvicorn's own ``serve()`` polls every 0.1 s, pauses on shutdown and takes over Ctrl-C; the test
suite starts hundreds of servers and the demo owns its signals, so uvicorn's startup and
shutdown steps are driven directly here. Binding the socket before uvicorn starts gives a free
port (``port=0``) without a race.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn
from starlette.types import ASGIApp


@contextlib.asynccontextmanager
async def serve_in_loop(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *, shutdown_timeout: float = 2.0
) -> AsyncIterator[int]:
    """Serve ``app`` until the block ends; yields the bound port.

    On exit, running requests get ``shutdown_timeout`` seconds to finish, then are cancelled.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP makes asyncio set TCP_NODELAY; without it small answers wait ~40 ms for a
    # delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup(sockets=[sock])
        await server.on_tick(0)  # fills the Date and Server headers
        yield bound
    finally:
        await _stop(server, shutdown_timeout)
        sock.close()


async def _stop(server: uvicorn.Server, grace: float) -> None:
    for listener in getattr(server, "servers", []):
        listener.close()
    state = server.server_state
    for connection in list(state.connections):
        connection.shutdown()  # idle keep-alive connections close now, busy ones after
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    # uvicorn has no event to wait on; it polls too.
    while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    for task in list(state.tasks):
        task.cancel()
