"""`resident-bot db migrate`: apply the schema migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.config import Settings


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    db = sub.add_parser("db", help="数据库 / database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    migrate_parser = db_sub.add_parser("migrate", help="应用数据库迁移 / apply schema migrations")
    migrate_parser.set_defaults(handler=migrate_command)


def migrate_command(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(migrate(settings))


async def migrate(settings: Settings) -> int:
    from storage.db import open_database
    from storage.migrations import MigrationError, apply_migrations

    try:
        conn = await open_database(settings.db_path, migrate=False)
    except OSError as exc:
        print(f"无法打开数据库 / cannot open database: {exc}", file=sys.stderr)
        return 1
    try:
        applied = await apply_migrations(conn)
    except MigrationError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print("已是最新 / up to date" if not applied else "已应用 / applied: " + ", ".join(applied))
    return 0
