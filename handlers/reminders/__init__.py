"""Reminders: scheduled pushes through the outbox, subscriptions, quiet hours, /today.

The job queue holds one job, a tick every 30 s, added at every start from nothing pickled:
SQLite is the schedule. The tick asks the reminder service for the occurrences due by now;
the service records each before queueing it, so a restart or a slow tick never sends one
twice, and it decides from the stored `checked_until` what was missed while down.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import BotCommand
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import callbacks
from handlers.access import NEW_MESSAGES
from handlers.context import BotApp, BotContext, ResidentApplication
from handlers.feature import Feature
from handlers.reminders import add_flow, residents, staff, texts
from handlers.reminders.service import reminder_service
from knowledge.notices.reminders import TickResult

logger = logging.getLogger(__name__)

TICK_SECONDS = 30
JOB_NAME = "reminders-tick"


async def tick(app: ResidentApplication, now: datetime | None = None) -> TickResult:
    """One tick; tests call it with a fixed `now` instead of waiting."""
    return await reminder_service(app.services).tick(now)


async def _tick_job(context: BotContext) -> None:
    app = context.application
    assert isinstance(app, ResidentApplication)
    if app.services.notices is None:
        return
    result = await tick(app)
    if result.queued or result.skipped:
        logger.info(
            "reminders: %d queued (%d late, %d held for quiet hours), %d skipped",
            len(result.queued),
            len(result.late),
            len(result.held),
            len(result.skipped),
        )


def _jobs(app: BotApp) -> None:
    if app.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        logger.warning("no job queue: reminders will not be sent")
        return
    for job in app.job_queue.get_jobs_by_name(JOB_NAME):
        job.schedule_removal()
    app.job_queue.run_repeating(_tick_job, interval=TICK_SECONDS, first=1, name=JOB_NAME)


def feature() -> Feature:
    return Feature(
        name="reminders",
        conversations=lambda: [add_flow.conversation(), residents.conversation()],
        handlers=lambda: [
            CommandHandler("reminders", staff.reminders_command, filters=NEW_MESSAGES),
            CallbackQueryHandler(staff.reminder_button, pattern=callbacks.pattern(staff.PREFIX)),
            # A stale or forged flow button outside the conversation: refused the same way.
            CallbackQueryHandler(add_flow.pressed, pattern=callbacks.pattern(add_flow.PREFIX)),
            *residents.handlers(),
        ],
        help=texts.RESIDENT_HELP_LINES,
        commands=(
            BotCommand("subscribe", texts.COMMAND_SUBSCRIBE),
            BotCommand("today", texts.COMMAND_TODAY),
            BotCommand("reminders", texts.COMMAND_REMINDERS),
        ),
        staff_help=texts.HELP_LINES,
        jobs=_jobs,
    )
