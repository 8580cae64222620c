"""/help is assembled from what every feature contributes: residents see the resident lines,
staff also the staff lines, each line once and in the same bullet form."""

from __future__ import annotations

from bot.application import features
from bot.local_api import LocalBotApi
from handlers import texts
from handlers.context import ResidentApplication
from tests.e2e.conftest import ADMIN, RESIDENT


async def _help(api: LocalBotApi, user: object) -> str:
    chat = api.private_chat(user)  # type: ignore[arg-type]
    api.send_text(chat, user, "/help")  # type: ignore[arg-type]
    return str((await api.next_message(chat.id))["text"])


async def test_residents_get_every_features_resident_lines(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    text = await _help(api, RESIDENT)
    resident_lines = [line for f in features() for line in f.help]
    assert len(resident_lines) >= 6
    for line in resident_lines:
        assert text.count(line) == 1, line
        assert line.startswith("\n• /")
    for command in ("/complain", "/renovate", "/my", "/bind", "/me", "/subscribe"):
        assert command in text
    assert texts.HELP_STAFF not in text
    assert "/broadcast" not in text


async def test_staff_also_get_every_features_staff_lines(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    text = await _help(api, ADMIN)
    staff_lines = [line for f in features() for line in f.staff_help]
    for line in staff_lines:
        assert text.count(line) == 1, line
        assert line.startswith("\n• ")
    for command in ("/broadcast", "/reminders", "/consult", "/tickets", "/household", "/kb"):
        assert command in text
