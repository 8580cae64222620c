"""Helpers shared by the reminders e2e tests (no tests here).

Tests that inject the clock stop the bot's own 30 s tick first: it runs with the real
clock, and a tick at a real "now" would treat a reminder created at a fixed past time as
missed (or a future one as not due) and race the test's own ticks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.local_api import Chat, LocalBotApi
from handlers import reminders
from handlers.context import ResidentApplication
from handlers.reminders.service import reminder_service
from knowledge.notices.schedules import parse_schedule
from tests.e2e.conftest import ADMIN, rows

TZ = ZoneInfo("Asia/Shanghai")
OTHER_GROUP = Chat(id=-1007770000001, type="supergroup", title="幸福里闲聊群")
SECOND_GROUP = Chat(id=-1007770000002, type="supergroup", title="幸福里2号楼群")


def stop_ticks(app: Any) -> None:
    """Remove the real-clock tick job; the test calls `reminders.tick(app, now)` itself."""
    assert app.job_queue is not None
    for job in app.job_queue.get_jobs_by_name(reminders.JOB_NAME):
        job.schedule_removal()


async def join(api: LocalBotApi, chat: Chat, *, bind_as: str | None = None) -> None:
    """The bot is added to `chat` (it greets); staff bind it with /bindgroup if asked."""
    api.bot_added(chat, ADMIN)
    await api.next_message(chat.id)  # the greeting
    if bind_as is not None:
        api.send_text(chat, ADMIN, f"/bindgroup {bind_as}")
        assert "已登记" in (await api.next_message(chat.id))["text"]


async def add_reminder(
    app: ResidentApplication,
    kind: str,
    spec: str,
    *,
    created: datetime,
    text: str = "【垃圾分类提醒】今天 7:30 开始定时投放",
    target: str = "all",
    topic: str = "垃圾分类",
    urgent: bool = False,
) -> int:
    return await reminder_service(app.services).add(
        schedule=parse_schedule(kind, spec, TZ),
        target=target,
        topic=topic,
        text=text,
        created_by=ADMIN.id,
        urgent=urgent,
        now=created,
    )


async def reminder_notices(db: aiosqlite.Connection) -> int:
    ((count,),) = await rows(db, "SELECT COUNT(*) FROM notices WHERE kind = 'reminder'")
    return int(count)
