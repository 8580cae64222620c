"""The reminder service as handlers and the tick job use it, built from the services.

It holds nothing between calls (the database is the schedule), so it is built on demand
rather than kept in `Services`.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers import callbacks
from handlers.context import Services
from handlers.reminders import texts as t
from knowledge.notices.reminders import TOPICS, ReminderService
from knowledge.notices.schedules import QuietHours, parse_quiet_hours

SUBSCRIBE_PREFIX = "rsub"
# on/off toggle a topic in the /subscribe panel; stop is the footer's one-tap unsubscribe.
SUBSCRIBE_ACTIONS = {"on": 1, "off": 1, "stop": 1, "done": 0}


def quiet_hours(services: Services) -> QuietHours | None:
    """RESIDENT_BOT_QUIET_HOURS as the root passed it (HandlerSettings.quiet_hours)."""
    spec = services.settings.quiet_hours
    if isinstance(spec, QuietHours) or spec is None:
        return spec
    return parse_quiet_hours(str(spec))


def footer(topic: str) -> tuple[str | None, Sequence[tuple[str, str]]]:
    """What every private reminder ends with: how to stop it, and the one-tap button."""
    if topic not in TOPICS:
        return None, ()
    data = callbacks.encode(SUBSCRIBE_PREFIX, "stop", TOPICS.index(topic))
    return t.FOOTER.format(topic=topic), ((t.FOOTER_BUTTON.format(topic=topic), data),)


def reminder_service(services: Services) -> ReminderService:
    if services.notices is None:
        raise RuntimeError("notice service used before the application installed it")
    return ReminderService(
        services.database,
        services.notices,
        services.settings.timezone,
        quiet_hours(services),
        footer,
    )
