"""Foundation, end to end: state in the middle of a flow survives a restart.

These tests do not use the `bot` fixture (it would keep running beside the restarted app);
each builds its applications with `restart()`, one after the other, on the same database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.application import build_application
from bot.config import Settings
from bot.local_api import LocalBotApi
from bot.runtime import running
from handlers.admin import texts as admin_texts
from handlers.qa import texts as kt
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, STAFF, button_data, rows
from tests.e2e.test_foundation_helpers import eventually

UNANSWERABLE = "zzqx qqvv"  # the knowledge base declines this
ANSWER = "可以，带上身份证到社区服务中心办理。"
ANSWER_CORE = "带上身份证到社区服务中心办理"  # the FAQ may normalise punctuation
QUIET = 0.3


async def pending_faq_for_admin(api: LocalBotApi, app: Any) -> int:
    """A resident's question the bot declined, and the admin pressing 写答案 under it."""
    resident = api.private_chat(RESIDENT)
    admin = api.private_chat(ADMIN)
    api.send_text(resident, RESIDENT, UNANSWERABLE)
    decline = await api.next_message(resident.id)
    assert decline["text"] == kt.DECLINE

    api.send_text(admin, ADMIN, "/unanswered")
    listing = await api.next_message(admin.id)
    assert UNANSWERABLE in listing["text"]
    data = button_data(listing, "写答案")
    qid = int(data.rsplit(":", 1)[1])
    api.press_button(admin, ADMIN, listing, data)
    prompt = await api.next_message(admin.id)
    assert prompt["text"].startswith(f"请发送问题 #{qid}")

    async def saved() -> bool:
        stored = await rows(app.services.db, "SELECT data FROM ptb_user_data WHERE user_id = 900")
        return [json.loads(r[0]).get("kb_pending_faq") for r in stored] == [qid]

    # Written by the persist-after-every-update handler, right after the button's handler.
    await eventually(saved, timeout=2, what="user_data with kb_pending_faq in ptb_user_data")
    return qid


async def test_pending_faq_answer_survives_restart(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    resident = api.private_chat(RESIDENT)
    admin = api.private_chat(ADMIN)
    async with restart() as app:
        qid = await pending_faq_for_admin(api, app)
    # The process is gone; a new one starts on the same database.
    async with restart() as app:
        await api.expect_no_message(admin.id, within=QUIET)  # nothing replayed
        api.send_text(admin, ADMIN, ANSWER)
        assert (await api.next_message(admin.id))["text"] == kt.FAQ_SAVED
        notice = await api.next_message(resident.id)
        assert notice["text"] == kt.ASKER_NOTICE.format(question=UNANSWERABLE, answer=ANSWER)
        db = app.services.db
        assert await rows(
            db, "SELECT status, resolved_by FROM kb_questions WHERE id = ?", qid
        ) == [("resolved", 900)]

        async def cleared() -> bool:
            stored = await rows(db, "SELECT data FROM ptb_user_data WHERE user_id = 900")
            return "kb_pending_faq" not in json.loads(stored[0][0])

        await eventually(cleared, timeout=2, what="kb_pending_faq removed from ptb_user_data")

        # The answer became an FAQ: the same question is now answered.
        api.send_text(resident, RESIDENT, UNANSWERABLE)
        answered = await api.next_message(resident.id)
        assert ANSWER_CORE in answered["text"]

        # And the pending state was consumed: the admin's next text is a question again.
        api.send_text(admin, ADMIN, UNANSWERABLE)
        assert ANSWER_CORE in (await api.next_message(admin.id))["text"]
        assert await rows(
            db, "SELECT count(*) FROM audit_log WHERE action = 'kb.faq_from_question'"
        ) == [(1,)]


async def test_pending_faq_can_be_cancelled_after_restart(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    admin = api.private_chat(ADMIN)
    async with restart() as app:
        qid = await pending_faq_for_admin(api, app)
    async with restart() as app:
        api.send_text(admin, ADMIN, "/cancel")
        assert (await api.next_message(admin.id))["text"] == kt.FAQ_CANCELLED
        assert await rows(
            app.services.db, "SELECT status FROM kb_questions WHERE id = ?", qid
        ) == [("unanswered",)]


async def test_staff_chats_and_bindings_survive_restart(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    admin = api.private_chat(ADMIN)
    async with restart():
        api.send_text(admin, ADMIN, f"/staff add {STAFF.id}")
        assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_ADDED.format(
            user_id=901
        )
        api.send_text(GROUP, STAFF, "/bindgroup 幸福里3号楼")
        assert (await api.next_message(GROUP.id))["text"] == admin_texts.BIND_DONE.format(
            name="幸福里3号楼"
        ) + admin_texts.BIND_NOT_IN_REGISTER
    async with restart() as app:
        await api.expect_no_message(GROUP.id, within=QUIET)
        staff = api.private_chat(STAFF)
        api.send_text(staff, STAFF, "/chats")
        listing = (await api.next_message(staff.id))["text"]
        assert f"幸福里业主群（{GROUP.id}）" in listing
        assert "「幸福里3号楼」" in listing
        assert await rows(app.services.db, "SELECT user_id FROM staff") == [(901,)]


async def test_restart_does_not_replay_handled_updates(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    resident = api.private_chat(RESIDENT)
    async with restart():
        for _ in range(3):
            api.send_text(resident, RESIDENT, "/start")
            await api.next_message(resident.id)
    async with restart():
        await api.expect_no_message(resident.id, within=0.5)
    assert len([c for c in api.calls_to("sendMessage") if c.ok]) == 3


async def test_a_change_is_written_at_once_and_an_update_that_changes_nothing_is_not(
    api: LocalBotApi, settings: Settings
) -> None:
    # The timer that would also persist is pushed out of the test's reach: what is written
    # here is written by the after-every-update check alone.
    async with running(build_application(settings, persistence_interval=600)) as app:
        # The admin's pending answer (user_data) is written within 2 s, by the check alone.
        await pending_faq_for_admin(api, app)
        db = app.services.db
        calls = 0
        real = app.update_persistence

        async def counted() -> None:
            nonlocal calls
            calls += 1
            await real()

        app.update_persistence = counted  # type: ignore[method-assign]
        newcomer = api.private_chat(NEIGHBOUR)
        for _ in range(3):
            api.send_text(newcomer, NEIGHBOUR, "/help")
            await api.next_message(newcomer.id)
        await api.expect_no_message(newcomer.id, within=QUIET)
        # /help changes nothing: no persistence run (the newcomer's empty data is stored
        # once, straight through the persistence).
        assert calls == 0
        assert await rows(
            db, "SELECT data FROM ptb_user_data WHERE user_id = ?", NEIGHBOUR.id
        ) == [("{}",)]
