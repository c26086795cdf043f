"""Developer commands: ``python -m devtools demo | sandbox ...``.

These are not the product: they run from a checkout (``make demo``, ``make sandbox``) beside an
installed ``bot``, editable or not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, read_environment


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from devtools.midtrans import SandboxError, send_control, serve_sandbox

    env = read_environment(Path(args.env_file))
    if args.action == "serve":
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        key = env.get("MIDTRANS_SERVER_KEY") or "SB-Mid-server-local-sandbox"
        notify = args.notify or _local_notification_url(env)
        asyncio.run(serve_sandbox(args.host, args.port, key, notify))
        return 0
    if not args.order_id:
        print(f"usage: python -m devtools sandbox {args.action} ORDER_ID", file=sys.stderr)
        return 2
    base = args.url or env.get("MIDTRANS_API_BASE_URL") or f"http://{args.host}:{args.port}"
    try:
        answer = asyncio.run(send_control(base, args.order_id, args.action))
    except SandboxError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2))
    return 0


def _local_notification_url(env: dict[str, str]) -> str:
    host = env.get("LISTEN_HOST") or "127.0.0.1"
    port = env.get("LISTEN_PORT") or "8080"
    path = env.get("NOTIFICATION_PATH") or "/midtrans/notification"
    return f"http://{host}:{port}{path}"


def _cmd_demo(args: argparse.Namespace) -> int:
    from devtools.demo import main as demo_main

    return demo_main(args.rest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools", description="Warung bot dev tools")
    parser.add_argument("--env-file", default=".env", help="settings file (default .env)")
    commands = parser.add_subparsers(dest="command", required=True)

    sandbox = commands.add_parser("sandbox", help="local Midtrans stand-in")
    sandbox.add_argument(
        "action", choices=["serve", "settle", "expire", "deny", "cancel", "pending"]
    )
    sandbox.add_argument("order_id", nargs="?")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.add_argument("--url", help="a running sandbox's base URL")
    sandbox.add_argument("--notify", help="notification URL (default: the bot's listener)")

    # prefix_chars="+": every "--flag" after "demo" is the demo's own, handed on untouched.
    demo = commands.add_parser(
        "demo", help="play the whole order-to-push loop offline", prefix_chars="+", add_help=False
    )
    demo.add_argument("rest", nargs=argparse.REMAINDER)

    args = parser.parse_args(argv)
    handlers = {"sandbox": _cmd_sandbox, "demo": _cmd_demo}
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
