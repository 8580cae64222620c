"""Reminders across a real restart (a new Application on the same database, its tick job
rebuilt at start from SQLite): an occurrence already sent is not sent again; one missed
while the bot was down is sent late within its grace period and skipped beyond it.

Times are relative to the real clock here, because the restarted bot's own tick job (real
clock, first run 1 s after start) is what must catch up. Quiet hours are off so that the
result does not depend on the hour the test runs at (they have their own test).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.local_api import LocalBotApi
from handlers import reminders
from storage.clock import utc_now
from tests.e2e.conftest import GROUP, rows
from tests.e2e.test_foundation_helpers import eventually
from tests.e2e.test_reminders_support import TZ, add_reminder, join, stop_ticks


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "RESIDENT_BOT_QUIET_HOURS": ""}


def once(moment: Any) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


async def test_restart_sends_nothing_twice_and_catches_up_within_grace(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    real = utc_now().replace(microsecond=0)
    async with restart() as app:
        stop_ticks(app)
        await join(api, GROUP, bind_as="幸福小区")
        sent = await add_reminder(
            app, "once", once(real - timedelta(seconds=10)), created=real - timedelta(hours=3),
            text="已经发过的",
        )  # fmt: skip
        await reminders.tick(app, real)
        assert (await api.next_message(GROUP.id))["text"] == "已经发过的"
        # Added while this process runs, then it goes down before any tick sees them.
        late = await add_reminder(
            app, "once", once(real - timedelta(minutes=20)), created=real - timedelta(hours=3),
            text="停机期间到点，宽限期内",
        )  # fmt: skip
        missed = await add_reminder(
            app, "once", once(real - timedelta(hours=2)), created=real - timedelta(hours=3),
            text="停机期间到点，超过宽限期",
        )  # fmt: skip

    async with restart() as app:
        db = app.services.db
        # the rebuilt tick job runs about 1 s after start, with the real clock
        assert (await api.next_message(GROUP.id, timeout=4))["text"] == "停机期间到点，宽限期内"

        async def settled() -> bool:
            return await rows(db, "SELECT COUNT(*) FROM reminder_occurrences") == [(3,)]

        await eventually(settled, what="every occurrence recorded")
        await api.expect_no_message(GROUP.id, within=0.3)
        occurrences = await rows(
            db, "SELECT reminder_id, status, late FROM reminder_occurrences ORDER BY reminder_id"
        )
        assert occurrences == [(sent, "queued", 0), (late, "queued", 1), (missed, "skipped", 0)]
        assert await rows(
            db, "SELECT status, COUNT(*) FROM outbox WHERE kind = 'reminder' GROUP BY status"
        ) == [("sent", 2)]
        # A tick again, now or later, in this process: nothing more.
        assert (await reminders.tick(app, utc_now())).queued == []
        assert (await reminders.tick(app, utc_now() + timedelta(hours=2))).queued == []
    # the group heard each reminder once, across both processes
    assert [m["text"] for m in api.sent_messages(GROUP.id)][2:] == [
        "已经发过的",
        "停机期间到点，宽限期内",
    ]
