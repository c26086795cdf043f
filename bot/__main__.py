"""Command line: ``python -m bot run``.

The demo and the Midtrans sandbox are developer tools: ``python -m devtools demo | sandbox``.

A bad setting ends the program with exit status 2 and one line on stderr naming the setting;
nothing else is printed, so the fix is obvious on a fresh machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, load_settings, read_environment


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.app import run_forever

    settings = load_settings(read_environment(Path(args.env_file)))
    _configure_logging(settings.log_level)
    asyncio.run(run_forever(settings))
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from bot.backup import run_backup
    from storage.backup import BackupError

    settings = load_settings(read_environment(Path(args.env_file)), require_telegram=False)
    dest = Path(args.dest) if args.dest else None
    try:
        path = run_backup(settings, dest, keep=args.keep)
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Warung bot")
    parser.add_argument("--env-file", default=".env", help="settings file (default .env)")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="run the bot (Telegram + Midtrans listener)")
    backup = commands.add_parser(
        "backup", help="copy the database now, safe while the bot runs (prints the copy's path)"
    )
    backup.add_argument(
        "dest", nargs="?", help="folder for the copies (default BACKUP_DIR, else data/backups)"
    )
    backup.add_argument("--keep", type=int, help="copies to keep (default BACKUP_KEEP, 7)")

    args = parser.parse_args(argv)
    handlers = {"run": _cmd_run, "backup": _cmd_backup}
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
