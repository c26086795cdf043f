"""The yardstick: a bare Starlette endpoint that reads the body and answers 200, nothing else.

Run: ``python -m bench.bare_server --port P``. Served by uvicorn exactly as the bot's listener
is (one process, asyncio loop, the same HTTP implementation, no access log), on the same path.
"""

from __future__ import annotations

import argparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.serving import serve


async def notification(request: Request) -> Response:
    await request.body()
    return JSONResponse({"ok": True, "detail": "applied"})


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True, "database": True, "bot": True})


def create_app(path: str = "/midtrans/notification") -> Starlette:
    return Starlette(
        routes=[
            Route(path, notification, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(create_app(), args.port)


if __name__ == "__main__":
    main()
