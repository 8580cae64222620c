"""How exports name a staff member: "网格员小张（901）".

Staff are identified by Telegram user id; a cell names them by the display name the bot
stored when they last used a staff right (storage/staff_repo.py), with the id beside it so
two staff called 小张 are told apart, and by the id alone when no name is known. The name
is text the person typed into Telegram, so it is only ever a cell value, which the
spreadsheet writer keeps from running as a formula (knowledge/spreadsheet.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import aiosqlite

from storage import staff_repo

StaffNamer = Callable[[int], str]


def staff_label(user_id: int, name: str | None) -> str:
    """名字（id）, as 网格员小张（901）; the id alone when no name is known."""
    return f"{name}（{user_id}）" if name else str(user_id)


def staff_namer(names: Mapping[int, str]) -> StaffNamer:
    """A `staff_name` for export rows, from display names by user id."""
    return lambda user_id: staff_label(user_id, names.get(user_id))


async def stored_staff_names(conn: aiosqlite.Connection) -> StaffNamer:
    """Staff named by the display names the bot has seen (former staff included), read
    once per export: a handful of rows, however many records."""
    return staff_namer({n.user_id: n.display_name for n in await staff_repo.staff_names(conn)})
