"""/broadcast end to end: compose, preview, target, confirm; refusals; the worker's answers
to 429, 403 and a migrated group; cancel mid-notice; /notices and the report."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite

from bot.local_api import Chat, LocalBotApi
from handlers.context import ResidentApplication
from handlers.notices import texts as t
from knowledge.notices.targets import Target
from storage import chats_repo
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, button_data, forge_press, rows

GROUPS = [Chat(id=-1000000000100 - i, type="supergroup", title=f"{i}号楼群") for i in range(5)]


async def _seed(db: aiosqlite.Connection, groups: list[Chat] = GROUPS) -> None:
    for i, g in enumerate(groups):
        await chats_repo.upsert_chat(db, g.id, g.type, g.title, "member")
        await chats_repo.bind_chat(db, g.id, f"幸福小区{i}号楼", "幸福小区", str(i))


async def _edited(
    api: LocalBotApi, chat: Chat, message: dict[str, Any], after: int
) -> dict[str, Any]:
    await api.wait_for_call("editMessageText", after=after)
    current = api.message(chat.id, int(message["message_id"]))
    assert current is not None
    return current


async def _notice_done(bot: ResidentApplication, notice_id: int, within: float = 10) -> None:
    service = bot.services.notices
    assert service is not None
    for _ in range(int(within * 20)):
        report = await service.notice_report(notice_id)
        if report is not None and report.done and report.notice.finished_at:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"notice {notice_id} not done: {report}")


async def _create(bot: ResidentApplication, target: str, **kw: Any) -> int:
    service = bot.services.notices
    assert service is not None
    return await service.create_notice(
        text=kw.pop("text", "明天上午停水"),
        kind="broadcast",
        target=Target.parse(target),
        topic=None,
        urgent=kw.pop("urgent", False),
        pin=kw.pop("pin", False),
        created_by=ADMIN.id,
        ref=None,
    )


async def test_broadcast_preview_confirm_and_report(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await _seed(db)
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, "/broadcast")
    assert (await api.next_message(chat.id))["text"] == t.COMPOSE
    api.send_text(chat, ADMIN, "【停水通知】明天 9:00–12:00 停水，请提前储水。")
    assert (await api.next_message(chat.id))["text"] == t.PREVIEW_HEAD
    preview = await api.next_message(chat.id)
    assert preview["text"] == "【停水通知】明天 9:00–12:00 停水，请提前储水。"
    menu = await api.next_message(chat.id)
    mark = api.mark()
    api.press_button(chat, ADMIN, menu, button_data(menu, t.TARGET_COMMUNITY))
    picker = await _edited(api, chat, menu, mark)
    mark = api.mark()
    api.press_button(chat, ADMIN, picker, button_data(picker, "幸福小区 1号楼"))
    summary = await _edited(api, chat, picker, mark)
    assert "将发送到 1 个聊天" in summary["text"]
    mark = api.mark()
    api.press_button(chat, ADMIN, summary, button_data(summary, "置顶"))
    summary = await _edited(api, chat, summary, mark)
    assert "置顶：是" in summary["text"]
    mark = api.mark()
    api.press_button(chat, ADMIN, summary, button_data(summary, t.CONFIRM))
    queued = await _edited(api, chat, summary, mark)
    assert "已开始发送（1 个聊天）" in queued["text"]
    delivered = await api.next_message(GROUPS[1].id)
    assert delivered["text"] == preview["text"]  # exactly what the preview showed
    await api.wait_for_call("pinChatMessage")
    report = await api.next_message(chat.id, timeout=10)
    assert "已送达 1" in report["text"]
    for other in (GROUPS[0], GROUPS[2]):
        assert not api.sent_messages(other.id)
    api.send_text(chat, ADMIN, "/notices")
    listing = await api.next_message(chat.id)
    assert "已完成" in listing["text"]


async def test_broadcast_cancelled_by_cancel(api: LocalBotApi, bot: ResidentApplication) -> None:
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, "/broadcast")
    await api.next_message(chat.id)
    api.send_text(chat, ADMIN, "/cancel")
    assert (await api.next_message(chat.id))["text"] == t.CANCELLED
    rows_ = await rows(bot.services.db, "SELECT COUNT(*) FROM notices")
    assert rows_ == [(0,)]


async def test_non_staff_refused_command_and_forged_button(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await _seed(db)
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/broadcast")
    refusal = await api.next_message(chat.id)
    assert "工作人员" in refusal["text"]
    api.send_text(chat, RESIDENT, "/notices")
    assert "工作人员" in (await api.next_message(chat.id))["text"]
    notice_id = await _create(bot, "all")
    await _notice_done(bot, notice_id)
    # A forged 停止/确认 press from a resident: refused, nothing changes.
    for data in (f"ntf:stop:{notice_id}", "ntc:ok", "ntc:all", f"ntf:show:{notice_id}"):
        forge_press(api, chat, RESIDENT, refusal, data)
        call = await api.wait_for_call(
            "answerCallbackQuery", predicate=lambda c: "工作人员" in c.params.get("text", "")
        )
        assert call.params.get("show_alert") in (True, "true", "True")
    notice = await bot.services.notices.get_notice(notice_id)  # type: ignore[union-attr]
    assert notice is not None
    assert notice.cancelled_by is None


async def test_429_retried_blocked_and_migrated(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await _seed(db)
    old_group = Chat(id=-555, type="group", title="老楼群")
    await chats_repo.upsert_chat(db, old_group.id, "group", old_group.title, "member")
    api.migrate_group(old_group, -1000000000555)
    api.block_chat(GROUPS[0].id)  # every send answers 403
    for g in GROUPS[1:]:
        api.fail_next("sendMessage", chat_id=g.id)  # 429 retry_after 1, once each
    notice_id = await _create(bot, "all")
    await _notice_done(bot, notice_id, within=15)
    report = await bot.services.notices.notice_report(notice_id)  # type: ignore[union-attr]
    assert report is not None
    assert (report.sent, report.failed) == (5, 1)
    assert report.reasons == {"blocked": 1}
    assert report.migrated == ((-555, -1000000000555),)
    for g in GROUPS[1:]:
        assert len(api.sent_messages(g.id)) == 1  # retried once, nothing lost or doubled
    assert len(api.sent_messages(-1000000000555)) == 1
    status = await rows(db, "SELECT status FROM chats WHERE chat_id = ?", GROUPS[0].id)
    assert status == [("blocked",)]
    migrated = await rows(db, "SELECT migrated_from FROM chats WHERE chat_id = ?", -1000000000555)
    assert migrated == [(-555,)]
    text = (await api.next_message(api.private_chat(ADMIN).id, timeout=5))["text"]
    assert "已屏蔽机器人" in text
    assert "失败 1" in text


async def test_cancel_mid_notice(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    # One group with many rows: the per-group window lets 18 through a minute, the rest wait.
    await _seed(db, [GROUP])
    service = bot.services.notices
    assert service is not None
    ids = [await _create(bot, f"chat:{GROUP.id}", text=f"通知{i}") for i in range(25)]
    await api.wait_for_call("sendMessage", predicate=lambda c: c.params.get("text") == "通知3")
    skipped = [await service.cancel_notice(i, by=ADMIN.id) for i in ids]
    for notice_id in ids:
        await _notice_done(bot, notice_id)
    sent = len(api.sent_messages(GROUP.id))
    assert 4 <= sent < 25
    # What was queued is not sent; a request already on its way finished.
    assert sum(s or 0 for s in skipped) == 25 - sent
    # Every notice is either delivered or cancelled with its row skipped: which ones were
    # already on their way depends on timing, so count them rather than naming the last.
    reports = [await service.notice_report(i) for i in ids]
    assert all(r is not None for r in reports)
    cancelled = [r for r in reports if r is not None and r.skipped == 1]
    delivered = [r for r in reports if r is not None and r.sent == 1]
    assert len(cancelled) == 25 - sent
    assert len(delivered) == sent
    assert all(r.notice.state == "cancelled" for r in cancelled)
