"""Serve an app on 127.0.0.1 the way the bot's listener is served, for the bench's own servers.

uvicorn with its asyncio loop and h11, no access log, no lifespan, until the process is killed.
Kept apart from ``bench.common`` so the bare yardstick imports nothing else.
"""

from __future__ import annotations

import asyncio

import uvicorn
from starlette.types import ASGIApp


def serve(app: ASGIApp, port: int) -> None:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )
    asyncio.run(uvicorn.Server(config).serve())
