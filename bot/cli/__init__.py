"""`resident-bot`: run the live bot, the offline console, migrations and the knowledge base.

One module per command group (`run`, `db`, `kb`), each adding its parsers and setting the
function that runs it; this module holds the root parser and `main`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence

from bot.cli import broadcast, consult, db, export, kb, reminders, roster, run
from bot.config import ConfigError, load_settings
from bot.logsetup import configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resident-bot", description="社区居民服务 Telegram 机器人 / resident engagement bot"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="调试日志 / debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    run.add_parsers(sub)
    broadcast.add_parsers(sub)
    db.add_parsers(sub)
    kb.add_parsers(sub)
    roster.add_parsers(sub)
    consult.add_parsers(sub)
    export.add_parsers(sub)
    reminders.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run one command; returns the exit status.

    ``argv`` defaults to the command line and ``env`` to the process environment (with an
    optional `.env`); tests pass both, and call this in-process.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has already printed
        return exc.code if isinstance(exc.code, int) else 1 if exc.code else 0
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    token = settings.token.get() if settings.token else None
    console = args.command == "console" or (args.command == "start" and token is None)
    # The console's screen is the conversation: only warnings and errors interrupt it.
    quiet = console or args.command in {"kb", "db"}
    configure_logging(
        token, logging.DEBUG if args.verbose else (logging.WARNING if quiet else logging.INFO)
    )
    status: int = args.handler(settings, args)
    return status
