"""Notices: resolve a target to chats, queue one outbox row per chat, cancel, report.

The delivery worker (bot/delivery_worker.py) drains the outbox; this service only writes
what must be sent and reads back what happened, so a CLI process and the bot can share it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from knowledge.households.addressing import canonical_building
from knowledge.notices.targets import Target, TargetKind
from storage import chats_repo, notices_repo, outbox_repo, subscriptions_repo
from storage.db import DatabaseHandle, transaction
from storage.notices_repo import NoticeRecord

logger = logging.getLogger(__name__)

NoticeKind = Literal["broadcast", "reminder"]
URGENT_PRIORITY = 10
CANCELLED_REASON = "cancelled"


@dataclass(frozen=True)
class FailedChat:
    chat_id: int
    reason: str  # blocked | kicked | deactivated | not_found | forbidden | bad_request | network
    title: str = ""


@dataclass(frozen=True)
class NoticeReport:
    notice: NoticeRecord
    total: int
    sent: int
    failed: int
    skipped: int
    pending: int  # still queued or sending
    failures: tuple[FailedChat, ...]
    # Chats whose request was in flight when the bot died and was sent again (可能重复).
    possibly_duplicate: tuple[int, ...]
    migrated: tuple[tuple[int, int], ...]  # (old id, new id)
    seconds: float | None  # from the first send to the last answer

    @property
    def done(self) -> bool:
        return self.pending == 0

    @property
    def reasons(self) -> dict[str, int]:
        return dict(Counter(f.reason for f in self.failures))


@dataclass
class NoticeService:
    database: DatabaseHandle
    # Chats never addressed by "all"/community targets (the staff group).
    exclude_chat_ids: frozenset[int] = frozenset()
    # Called after rows are queued, so a worker in this process starts at once.
    on_queued: Callable[[], None] | None = None

    async def resolve(self, target: Target, *, topic: str | None = None) -> list[int]:
        """The chat ids a target stands for, each once, in a stable order. Groups that opted
        out of `topic` are left out."""
        conn = await self.database.get()
        found: list[int] = []
        for part in target.parts:
            match part.kind:
                case TargetKind.ALL:
                    ids = await notices_repo.group_chats(conn)
                case TargetKind.COMMUNITY:
                    ids = await notices_repo.group_chats(conn, community=part.community)
                case TargetKind.BUILDING:
                    assert part.building is not None
                    ids = await notices_repo.group_chats(
                        conn,
                        community=part.community,
                        building=canonical_building(part.building),
                    )
                case TargetKind.CHATS:
                    ids = list(part.chat_ids)
                case TargetKind.SUBSCRIBERS:
                    assert part.topic is not None
                    ids = await subscriptions_repo.subscribers(conn, part.topic)
            if part.kind in (TargetKind.ALL, TargetKind.COMMUNITY, TargetKind.BUILDING):
                ids = [c for c in ids if c not in self.exclude_chat_ids]
            found.extend(ids)
        unique = list(dict.fromkeys(found))
        if topic:
            excluded = await subscriptions_repo.excluded_chats(conn, topic)
            unique = subscriptions_repo.without_excluded(unique, excluded)
        return unique

    async def create_notice(
        self,
        *,
        text: str,
        kind: NoticeKind,
        target: Target,
        topic: str | None,
        urgent: bool,
        pin: bool,
        created_by: int,
        ref: str | None,
        photo_file_id: str | None = None,
        document_file_id: str | None = None,
        not_before: datetime | None = None,
        private_footer: str | None = None,
        private_buttons: Sequence[tuple[str, str]] = (),
    ) -> int:
        """Record a notice and queue one outbox row per recipient chat; return its id.

        Private chats (positive ids) get `private_footer` appended and `private_buttons`
        ((label, callback_data) rows of one button) — e.g. a reminder's one-tap unsubscribe.
        A notice with no recipients is recorded as already done. `not_before` holds the
        rows (quiet hours); urgent rows go ahead of everything else queued.
        """
        chat_ids = await self.resolve(target, topic=topic)
        conn = await self.database.get()
        base: dict[str, Any] = {"text": text, "pin": pin}
        if photo_file_id:
            base["photo"] = photo_file_id
        if document_file_id:
            base["document"] = document_file_id
        private = dict(base)
        if private_footer:
            private["text"] = f"{text}\n\n{private_footer}"
        if private_buttons:
            private["buttons"] = [[label, data] for label, data in private_buttons]
        # One transaction: a crash leaves either the notice with all its rows or nothing.
        async with transaction(conn):
            notice_id = await notices_repo.insert_notice(
                conn,
                kind=kind,
                text=text,
                photo_file_id=photo_file_id,
                document_file_id=document_file_id,
                target=target.spec(),
                topic=topic,
                urgent=urgent,
                pin=pin,
                created_by=created_by,
                ref=ref,
                total=len(chat_ids),
            )
            await outbox_repo.enqueue(
                conn,
                [(c, private if c > 0 else base) for c in chat_ids],
                kind=kind,
                notice_id=notice_id,
                priority=URGENT_PRIORITY if urgent else 0,
                not_before=not_before,
                ref=ref or f"{kind}:{notice_id}",
            )
        logger.info("notice %d (%s) queued for %d chats", notice_id, kind, len(chat_ids))
        if self.on_queued is not None:
            self.on_queued()
        return notice_id

    async def cancel_notice(self, notice_id: int, *, by: int) -> int | None:
        """Stop a notice: what is still queued is skipped (a request already on its way
        finishes). Return how many rows were skipped, None when there is no open notice."""
        conn = await self.database.get()
        if not await notices_repo.cancel(conn, notice_id, by):
            return None
        skipped = await outbox_repo.skip_queued(conn, notice_id, CANCELLED_REASON)
        await notices_repo.finish_settled(conn)
        logger.info("notice %d cancelled by %d: %d rows skipped", notice_id, by, skipped)
        return skipped

    async def get_notice(self, notice_id: int) -> NoticeRecord | None:
        return await notices_repo.get_notice(await self.database.get(), notice_id)

    async def list_notices(
        self, *, limit: int = 20, kind: str | None = None
    ) -> list[NoticeRecord]:
        return await notices_repo.list_notices(await self.database.get(), limit=limit, kind=kind)

    async def notice_report(self, notice_id: int) -> NoticeReport | None:
        conn = await self.database.get()
        notice = await notices_repo.get_notice(conn, notice_id)
        if notice is None:
            return None
        rows = await outbox_repo.rows_of_notice(conn, notice_id)
        by_status = Counter(r.status for r in rows)
        failed = [r for r in rows if r.status == outbox_repo.FAILED]
        titles = await notices_repo.chat_titles(conn, [r.chat_id for r in failed])
        sent_times = [r.sent_at for r in rows if r.sent_at]
        seconds = None
        if notice.started_at and sent_times:
            end = notice.finished_at or max(sent_times)
            seconds = max(
                0.0,
                (
                    datetime.fromisoformat(end) - datetime.fromisoformat(notice.started_at)
                ).total_seconds(),
            )
        return NoticeReport(
            notice=notice,
            total=len(rows),
            sent=by_status[outbox_repo.SENT],
            failed=by_status[outbox_repo.FAILED],
            skipped=by_status[outbox_repo.SKIPPED],
            pending=by_status[outbox_repo.QUEUED] + by_status[outbox_repo.SENDING],
            failures=tuple(
                FailedChat(r.chat_id, r.reason or "unknown", titles.get(r.chat_id, ""))
                for r in failed
            ),
            possibly_duplicate=tuple(r.chat_id for r in rows if r.possibly_duplicate),
            migrated=tuple((r.migrated_from, r.chat_id) for r in rows if r.migrated_from),
            seconds=seconds,
        )

    # --- used by the delivery worker ---------------------------------------------------

    async def settle(self) -> list[int]:
        """Finish notices with nothing left to send; return the ids just finished."""
        return await notices_repo.finish_settled(await self.database.get())

    async def unreported(self) -> list[NoticeRecord]:
        return await notices_repo.unreported(await self.database.get())

    async def mark_reported(self, notice_id: int) -> None:
        await notices_repo.mark_reported(await self.database.get(), notice_id)

    async def chat_left(self, chat_id: int, status: str) -> None:
        """Telegram refused the chat for good (blocked, kicked, deleted): stop addressing it."""
        await chats_repo.set_status(await self.database.get(), chat_id, status)

    async def chat_migrated(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its record, exclusions and queued rows follow it."""
        conn = await self.database.get()
        await chats_repo.migrate_chat(conn, old_id, new_id)
        await subscriptions_repo.follow_migration(conn, old_id, new_id)
