"""The one delivery worker: drains the outbox within Telegram's limits, records every answer.

It lives in `bot/` because it is a long-lived object of the running process, like the rate
limiter: the composition root builds it, starts it in `post_init`, stops it in
`post_shutdown`; it sends through `app.bot` (so through the shared ChatRateLimiter as well)
and handles no updates.

Pacing (overall, per group, per chat, after 429s) is in `bot/delivery_pacing.py`, checked
before a row is claimed; the requests themselves in `bot/delivery_requests.py`.

Crash semantics: a row is marked `sending` before its request and `sent` (with Telegram's
message id) after it. At start, rows still `sending` were in flight when the process died;
they are queued again and flagged possibly duplicated (Telegram has no idempotency key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot import delivery_requests
from bot.delivery_pacing import DeliveryLimits as DeliveryLimits  # callers build it from here
from bot.delivery_pacing import DeliveryPacing
from handlers.notices import reports
from knowledge.notices.delivery import Action, ErrorKind, Refusal, decide
from knowledge.notices.service import NoticeService
from storage import notices_repo, outbox_repo
from storage.clock import utc_now
from storage.db import DatabaseHandle
from storage.outbox_repo import OutboxRow

if TYPE_CHECKING:
    from bot.config import Settings
    from handlers.context import ResidentApplication

logger = logging.getLogger(__name__)

ReportHook = Callable[[int], Awaitable[None]]


class DeliveryWorker:
    def __init__(
        self,
        bot: ExtBot[Any],
        database: DatabaseHandle,
        notices: NoticeService,
        limits: DeliveryLimits | None = None,
        *,
        on_finished: ReportHook | None = None,
    ) -> None:
        self.bot = bot
        self.database = database
        self.notices = notices
        self.limits = limits or DeliveryLimits()
        self.on_finished = on_finished
        self._pacing = DeliveryPacing(self.limits)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._started_notices: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(self.limits.max_in_flight)
        self.recovered: list[OutboxRow] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        conn = await self.database.get()
        self.recovered = await outbox_repo.recover_in_flight(conn)
        if self.recovered:
            logger.warning(
                "%d outbox rows were in flight at the last stop: sending again (可能重复)",
                len(self.recovered),
            )
        self._task = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        """Stop claiming rows; let requests already on their way finish (briefly)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()), timeout=5)

    def wake(self) -> None:
        """Rows were queued in this process: look now rather than at the next poll."""
        self._wake.set()

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_settle = 0.0
        while True:
            try:
                waited = await self._drain_once(loop)
                now = loop.time()
                if now >= next_settle or not self._in_flight:
                    await self._settle()
                    next_settle = now + 0.5
                if waited is not None:
                    await self._sleep(waited)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database or a bug: log, breathe, go on — the rows are safe in SQLite.
                logger.exception("delivery worker: unexpected error")
                await asyncio.sleep(1.0)

    async def _drain_once(self, loop: asyncio.AbstractEventLoop) -> float | None:
        """Claim what may go now; return how long to sleep (None: look again at once)."""
        conn = await self.database.get()
        pacing = self._pacing
        blocked = pacing.blocked_chats(loop.time())
        rows = await outbox_repo.due_rows(
            conn, limit=self.limits.batch, exclude=list(self._in_flight), exclude_chats=blocked
        )
        if not rows:
            return self._idle_wait(await outbox_repo.next_due_at(conn))
        dispatched = 0
        for row in rows:
            now = loop.time()
            if pacing.chat_wait(row.chat_id, now) > 0:
                continue
            overall = pacing.overall_wait(now)
            if overall > 0:
                await asyncio.sleep(overall)
                now = loop.time()
                if pacing.chat_wait(row.chat_id, now) > 0 or pacing.all_paused(now):
                    continue
            await self._slots.acquire()
            pacing.record(row.chat_id, loop.time())
            self._in_flight[row.id] = asyncio.create_task(self._deliver(row))
            dispatched += 1
        return None if dispatched else 0.05

    def _idle_wait(self, next_due: str | None) -> float:
        if next_due is None:
            return self.limits.poll
        delay = (datetime.fromisoformat(next_due) - utc_now()).total_seconds()
        return min(self.limits.poll, max(delay, 0.02))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    # ------------------------------------------------------------------ one row
    async def _deliver(self, row: OutboxRow) -> None:
        try:
            await self._deliver_row(row)
        except Exception:
            logger.exception("outbox row %d: unexpected error", row.id)
        finally:
            self._in_flight.pop(row.id, None)
            self._slots.release()
            self._wake.set()

    async def _deliver_row(self, row: OutboxRow) -> None:
        conn = await self.database.get()
        if not await outbox_repo.mark_sending(conn, row.id):
            return  # cancelled while it waited for its turn
        if row.notice_id is not None and row.notice_id not in self._started_notices:
            self._started_notices.add(row.notice_id)
            await notices_repo.mark_started(conn, row.notice_id)
        attempts = row.attempts + 1
        try:
            message = await delivery_requests.send_payload(
                self.bot, row.chat_id, row.payload, paid=self.limits.paid
            )
        except RetryAfter as exc:
            refusal = Refusal(ErrorKind.FLOOD, str(exc), exc._retry_after.total_seconds())
        except ChatMigrated as exc:
            refusal = Refusal(ErrorKind.MIGRATED, str(exc), migrate_to=exc.new_chat_id)
        except Forbidden as exc:
            refusal = Refusal(ErrorKind.FORBIDDEN, exc.message)
        except BadRequest as exc:
            refusal = Refusal(ErrorKind.BAD_REQUEST, exc.message)
        except TimedOut as exc:
            refusal = Refusal(ErrorKind.TIMEOUT, exc.message)
        except NetworkError as exc:
            refusal = Refusal(ErrorKind.NETWORK, exc.message)
        else:
            await outbox_repo.mark_sent(conn, row.id, message.message_id)
            if row.payload.get("pin"):
                await delivery_requests.pin(self.bot, row.chat_id, message.message_id)
            return
        await self._refused(row, refusal, attempts)

    async def _refused(self, row: OutboxRow, refusal: Refusal, attempts: int) -> None:
        conn = await self.database.get()
        decision = decide(
            refusal, attempts=attempts, migrations=int(row.migrated_from is not None)
        )
        when = utc_now() + timedelta(seconds=decision.delay)
        match decision.action:
            case Action.RETRY_AFTER:
                self._pacing.flood(row.chat_id, decision.delay, asyncio.get_running_loop().time())
                await outbox_repo.requeue(
                    conn, row.id, not_before=when, error=refusal.description, count_attempt=False
                )
            case Action.RETRY:
                logger.info(
                    "outbox row %d: %s; retry in %.0f s",
                    row.id,
                    refusal.kind.value,
                    decision.delay,
                )
                await outbox_repo.requeue(
                    conn,
                    row.id,
                    not_before=when,
                    error=refusal.description,
                    possibly_duplicate=decision.possibly_duplicate,
                )
            case Action.FOLLOW_MIGRATION:
                assert decision.new_chat_id is not None
                logger.info("chat %d migrated to %d", row.chat_id, decision.new_chat_id)
                await outbox_repo.requeue(
                    conn,
                    row.id,
                    not_before=utc_now(),
                    error=refusal.description,
                    chat_id=decision.new_chat_id,
                    moved_from=row.chat_id,
                    count_attempt=False,
                )
                await self.notices.chat_migrated(row.chat_id, decision.new_chat_id)
            case Action.FAIL:
                reason = decision.reason or "failed"
                await outbox_repo.mark_failed(conn, row.id, reason, refusal.description)
                if decision.chat_status:
                    await self.notices.chat_left(row.chat_id, decision.chat_status)

    # ------------------------------------------------------------------ reports
    async def _settle(self) -> None:
        await self.notices.settle()
        if self.on_finished is None:
            return
        for notice in await self.notices.unreported():
            try:
                await self.on_finished(notice.id)
            except Exception:
                logger.exception("report of notice %d", notice.id)
            await self.notices.mark_reported(notice.id)


# --- wiring: the composition root calls these three ---------------------------------------

_WORKERS: WeakKeyDictionary[Any, DeliveryWorker] = WeakKeyDictionary()


def install(app: ResidentApplication, settings: Settings) -> DeliveryWorker:
    """Build the notice service (handlers reach it as `services.notices`) and the worker
    that drains the outbox; the worker starts in `post_init` (`start`)."""
    services = app.services
    notices = NoticeService(
        services.database,
        exclude_chat_ids=frozenset(
            {settings.staff_chat_id} if settings.staff_chat_id is not None else ()
        ),
    )
    limits = DeliveryLimits(send_rate=settings.send_rate, paid=settings.allow_paid_broadcast)

    async def report(notice_id: int) -> None:
        await reports.send_report(app.bot, notices, notice_id)

    worker = DeliveryWorker(app.bot, services.database, notices, limits, on_finished=report)
    notices.on_queued = worker.wake
    services.notices = notices
    _WORKERS[app] = worker
    return worker


async def start(app: Any) -> None:
    worker = _WORKERS.get(app)
    if worker is not None:
        await worker.start()


async def stop(app: Any) -> None:
    worker = _WORKERS.get(app)
    if worker is not None:
        await worker.stop()
