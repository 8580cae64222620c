"""Environment for running the bot as a real subprocess in tests."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bot_env(db: Path, **extra: str) -> dict[str, str]:
    """This process's environment without the bot's own settings (TELEGRAM_*,
    RESIDENT_BOT_*), with the database at `db`, the repository importable, and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RESIDENT_BOT_"))}
    env["RESIDENT_BOT_DB"] = str(db)
    # Keyword only, as in the rest of the suite: the encoder's load is not what these test.
    env["RESIDENT_BOT_SEMANTIC"] = "off"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env
