"""Callback data, written and read in one place.

Every button's data is `prefix:action[:id...]`, with ids as plain ASCII digits. A press is
parsed against what its handler declared (each action and how many ids it carries);
anything else — old buttons, a modified client — is forged and gets `None`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_ID = re.compile(r"[0-9]{1,15}")
MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback_data


@dataclass(frozen=True)
class Callback:
    prefix: str
    action: str
    ids: tuple[int, ...]

    @property
    def id(self) -> int:
        return self.ids[0]


def encode(prefix: str, action: str, *ids: int) -> str:
    data = ":".join([prefix, action, *(str(i) for i in ids)])
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def pattern(prefix: str) -> str:
    """The CallbackQueryHandler pattern for every button of a prefix."""
    return f"^{re.escape(prefix)}:"


def parse(data: str | None, prefix: str, actions: Mapping[str, int]) -> Callback | None:
    """`actions` maps each known action to the number of ids it carries."""
    if not data:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != prefix or parts[1] not in actions:
        return None
    raw_ids = parts[2:]
    if len(raw_ids) != actions[parts[1]] or not all(_ID.fullmatch(r) for r in raw_ids):
        return None
    return Callback(prefix, parts[1], tuple(int(r) for r in raw_ids))


def parse_id(raw: str) -> int | None:
    """A Telegram user id or a row id typed by a user; None if not one.

    ASCII digits only (``"²".isdigit()`` is true) and at most 15 of them, so the value
    always fits an SQLite INTEGER; Telegram ids fit in 52 bits.
    """
    return int(raw) if _ID.fullmatch(raw) else None
