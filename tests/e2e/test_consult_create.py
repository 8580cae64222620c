"""The guided /consult flow end to end: every step (named and custom rules, typed and
default options, non-voters), /cancel, a restart in the middle, and refusals to non-staff."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers import texts as common
from handlers.consult import texts as t
from handlers.context import ResidentApplication
from knowledge.consult.rules import parse_rule
from knowledge.consult.tally import NonVoters
from knowledge.consult.wording import NON_VOTER_NAMES, RULE_NAMES, rule_name
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, buttons, rows
from tests.e2e.test_consult_helpers import forged, press, register_and_group
from tests.e2e.test_foundation_helpers import eventually

pytestmark = pytest.mark.usefixtures("fast_consult_sync")


async def _say(api: LocalBotApi, text: str) -> dict[str, Any]:
    """The admin writes `text` in private; the bot's next message there."""
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, text)
    return await api.next_message(chat.id)


async def _next(api: LocalBotApi) -> dict[str, Any]:
    return await api.next_message(api.private_chat(ADMIN).id)


async def test_custom_rule_typed_options_and_majority(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await register_and_group(api, db)
    admin = api.private_chat(ADMIN)
    assert (await _say(api, "/consult"))["text"] == t.ASK_TITLE
    assert (await _say(api, "3号楼外墙维修"))["text"] == t.ASK_SCOPE
    assert (await _say(api, "幸福小区/3号楼"))["text"] == t.ASK_RULE
    rule_menu = api.sent_messages(admin.id)[-1]
    labels = [b["text"] for b in buttons(rule_menu)]
    assert labels == [*RULE_NAMES.values(), t.BTN_CUSTOM_RULE]

    assert await press(api, admin, ADMIN, rule_menu, t.BTN_CUSTOM_RULE) == ""
    assert (await _next(api))["text"] == t.ASK_CUSTOM_RULE
    bad = await _say(api, "a-count>>1/2")
    assert bad["text"].startswith("规则看不懂：")
    # typed without the prefix, as in the CLI after "custom:"
    options_prompt = await _say(api, "a-count>1/2, p-area>=50%")
    assert options_prompt["text"] == t.ASK_OPTIONS
    assert [b["text"] for b in buttons(options_prompt)] == [t.BTN_DEFAULT_OPTIONS]
    assert (await _say(api, "赞成"))["text"].startswith("选项需要 2–8 个")
    assert (await _say(api, "赞成,赞成"))["text"].startswith("选项需要")
    non_voters = await _say(api, "赞成，反对、再议")
    assert non_voters["text"] == t.ASK_NON_VOTERS
    await press(api, admin, ADMIN, non_voters, "多数意见")
    assert (await _next(api))["text"] == t.ASK_CLOSES
    assert (await _say(api, "2020-01-01 10:00"))["text"] == t.BAD_CLOSES  # in the past
    confirm = await _say(api, "3天")
    assert "选项：赞成 / 反对 / 再议" in confirm["text"]
    assert NON_VOTER_NAMES[NonVoters.MAJORITY] in confirm["text"]
    assert rule_name(parse_rule("custom:a-count>1/2,p-area>=1/2")) in confirm["text"]
    await press(api, admin, ADMIN, confirm, t.BTN_PUBLISH)
    created = await _next(api)
    cid = (await rows(db, "SELECT max(id) FROM consultations"))[0][0]
    assert created["text"] == t.CREATED.format(cid=cid)

    stored = await rows(
        db,
        "SELECT title, rule, options, non_voters, show_tally, status, scope, created_by"
        " FROM consultations WHERE id = ?",
        cid,
    )
    assert stored == [
        (
            "3号楼外墙维修",
            "custom:a-count>1/2,p-area>=1/2",
            json.dumps(["赞成", "反对", "再议"], ensure_ascii=False),
            "majority",
            0,
            "published",
            "building:幸福小区/3",
            ADMIN.id,
        )
    ]
    # the ballot in the group carries the typed options
    ballot = await api.next_message(GROUP.id, timeout=5)
    assert f"#{cid}" in ballot["text"]
    assert [b["text"] for b in buttons(ballot)] == ["赞成", "反对", "再议"]


async def _conversation_state(db: aiosqlite.Connection) -> list[Any]:
    found = await rows(db, "SELECT state FROM ptb_conversations WHERE name = 'consult_create'")
    return [json.loads(r[0]) for r in found]


async def test_restart_in_the_middle_then_cancel(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    admin = api.private_chat(ADMIN)
    async with restart() as app:
        db = app.services.db
        await register_and_group(api, db)
        await _say(api, "/consult")
        await _say(api, "楼道照明改造")
        await _say(api, "幸福小区")
        rule_menu = api.sent_messages(admin.id)[-1]

        async def saved() -> bool:
            return await _conversation_state(db) == [2]  # RULE

        await eventually(saved, timeout=2, what="the flow's state persisted")
    # a new process on the same database resumes the flow where it was
    async with restart() as app:
        db = app.services.db
        await press(api, admin, ADMIN, rule_menu, RULE_NAMES["civil-code-general"])
        options_prompt = await _next(api)
        assert options_prompt["text"] == t.ASK_OPTIONS
        await press(api, admin, ADMIN, options_prompt, t.BTN_DEFAULT_OPTIONS)
        non_voters = await _next(api)
        await press(api, admin, ADMIN, non_voters, "不计入")
        assert (await _next(api))["text"] == t.ASK_CLOSES
        confirm = await _say(api, "2099-06-30 20:00")
        assert "选项：同意 / 不同意 / 弃权" in confirm["text"]
        assert "截止：2099-06-30 20:00" in confirm["text"]
        await press(api, admin, ADMIN, confirm, t.BTN_PUBLISH_TALLY)
        assert (await _next(api))["text"].startswith("已创建并发布征询 #")
        assert await rows(
            db, "SELECT title, rule, options, non_voters, show_tally, scope FROM consultations"
        ) == [
            (
                "楼道照明改造",
                "civil-code-general",
                json.dumps(["同意", "不同意", "弃权"], ensure_ascii=False),
                "ignore",
                1,
                "community:幸福小区",
            )
        ]

        # /cancel in the middle: nothing created, the next text is not taken as a step
        await _say(api, "/consult")
        assert (await _say(api, "不会创建的征询"))["text"] == t.ASK_SCOPE
        assert (await _say(api, "/cancel"))["text"] == t.CANCELLED
        api.send_text(admin, ADMIN, "幸福小区")
        reply = await _next(api)
        assert reply["text"] != t.ASK_RULE
        assert await rows(db, "SELECT count(*) FROM consultations") == [(1,)]
        stored = await rows(db, "SELECT data FROM ptb_user_data WHERE user_id = ?", ADMIN.id)
        assert all("consult_draft" not in json.loads(r[0]) for r in stored)
        # an old button of the cancelled flow is stale, not a step
        assert await press(api, admin, ADMIN, confirm, t.BTN_PUBLISH) == t.STALE
        assert await rows(db, "SELECT count(*) FROM consultations") == [(1,)]


async def test_non_staff_refused_and_forged_staff_buttons(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    private = api.private_chat(RESIDENT)
    for command in ("/consult", "/consult close 1", "/record 1", "/poll 要不要装充电桩|要|不要"):
        api.send_text(private, RESIDENT, command)
        assert (await api.next_message(private.id))["text"] == common.NOT_STAFF, command
    api.send_text(GROUP, RESIDENT, "/poll 要不要装充电桩|要|不要")
    assert (await api.next_message(GROUP.id))["text"] == common.NOT_STAFF
    assert not api.calls_to("sendPoll")

    # a modified client sends the flow's buttons without ever being in it
    anchor = api.sent_messages(private.id)[-1]
    for data in ("cs:go:1", "cs:rule:0", "cs:opt", "cs:nv:1", "cs:no"):
        assert await forged(api, private, RESIDENT, anchor, data) == common.NOT_STAFF, data
    # staff in the middle of the flow: a forged choice out of range is stale
    admin = api.private_chat(ADMIN)
    await _say(api, "/consult")
    await _say(api, "题目")
    rule_menu = await _say(api, "幸福小区")
    assert await forged(api, admin, ADMIN, rule_menu, "cs:rule:9") == t.STALE
    assert await forged(api, admin, ADMIN, rule_menu, "cs:go:1") == t.STALE
    assert await rows(db, "SELECT count(*) FROM consultations") == [(0,)]
