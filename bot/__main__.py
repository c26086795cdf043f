"""Command line: ``python -m bot run | backup | platform``.

The demo and the Midtrans sandbox are developer tools: ``python -m devtools demo | sandbox``.

A start that cannot work ends the program with one line on stderr naming what to fix and a
non-zero exit status, nothing else: 2 when only the operator can fix it (a setting, the token,
the database file), 1 when a later start may work (no network, port or database busy). A
systemd unit with ``Restart=on-failure`` then tries again; no traceback, no secret.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings, read_environment
from bot.logging_filter import SecretMask, install
from bot.startup import EXIT_FIX_SETTING, StartupError

logger = logging.getLogger("bot")


def _configure_logging(settings: Settings) -> SecretMask:
    level = getattr(logging, settings.log_level, logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO: noise below DEBUG. Its URLs carry the bot token, which
    # the mask hides at every level.
    quiet = logging.DEBUG if level <= logging.DEBUG else logging.WARNING
    logging.getLogger("httpx").setLevel(quiet)
    logging.getLogger("httpcore").setLevel(quiet)
    logging.getLogger("apscheduler").setLevel(quiet)  # "Added job ..." on every start
    return install(
        [
            settings.telegram_token.get(),
            settings.midtrans_server_key.get(),
            settings.telegram_webhook_secret.get(),
        ]
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.app import run_forever, with_webhook_secret

    # The webhook secret is chosen before logging starts, so the mask knows it too.
    settings = with_webhook_secret(load_settings(read_environment(Path(args.env_file))))
    mask = _configure_logging(settings)
    try:
        asyncio.run(run_forever(settings))
    except StartupError as exc:
        print(mask.mask(str(exc)), file=sys.stderr)
        return exc.exit_status
    except ConfigError as exc:
        print(mask.mask(str(exc)), file=sys.stderr)
        return EXIT_FIX_SETTING
    except Exception:
        logger.exception("the bot stopped on an unexpected error")
        return 1
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


def _cmd_platform(args: argparse.Namespace) -> int:
    from bot.platform.config import load_platform_settings
    from bot.platform.serve import run_platform

    settings = load_platform_settings(read_environment(Path(args.env_file)))
    mask = _configure_logging(settings.base)
    mask.add(settings.database_url.get(), settings.platform_bot_token.get())
    try:
        asyncio.run(run_platform(settings, args.role, mask))
    except StartupError as exc:
        print(mask.mask(str(exc)), file=sys.stderr)
        return exc.exit_status
    except Exception:
        logger.exception("the platform stopped on an unexpected error")
        return 1
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

    platform = commands.add_parser(
        "platform", help="platform mode: host many shops on PostgreSQL (edge and worker)"
    )
    platform.add_argument(
        "--role",
        choices=("edge", "worker", "all"),
        default="all",
        help="edge (HTTP), worker (serves shops) or all (both; default)",
    )

    args = parser.parse_args(argv)
    handlers = {"run": _cmd_run, "backup": _cmd_backup, "platform": _cmd_platform}
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FIX_SETTING
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
