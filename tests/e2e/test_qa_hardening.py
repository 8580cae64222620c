"""Noise and floods stay out of staff's queue; lists of groups and people stay out of groups;
personal details stay out of FAQ entries made from residents' questions."""

from __future__ import annotations

import aiosqlite

from bot.local_api import LocalBotApi
from handlers import texts
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from knowledge.throttle import UserThrottle
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, STAFF_CHAT, rows
from tests.e2e.test_kb_support import ask, assert_decline, press, question_rows

QUIET = 0.3


async def test_emoji_and_punctuation_are_not_questions(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    for noise in ["😀😀😀", "？？？", "👍", "。。。!!!", "🙏🏻🌹"]:
        assert (await ask(api, chat, RESIDENT, noise))["text"] == t.NOISE
    assert await question_rows(db) == []
    assert (await ask(api, api.private_chat(ADMIN), ADMIN, "/unanswered"))[
        "text"
    ] == t.UNANSWERED_EMPTY


async def test_fifty_emoji_messages_leave_staff_queue_empty_and_get_one_rate_notice(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    for _ in range(50):
        api.send_text(chat, RESIDENT, "😀")
    replies = [await api.next_message(chat.id) for _ in range(bot.services.throttle.limit + 1)]
    await api.expect_no_message(chat.id, within=QUIET)
    texts_sent = [r["text"] for r in replies]
    assert texts_sent.count(texts.RATE_LIMITED) == 1
    assert texts_sent[-1] == texts.RATE_LIMITED
    assert set(texts_sent[:-1]) == {t.NOISE}
    assert await question_rows(db) == []
    assert (await ask(api, api.private_chat(ADMIN), ADMIN, "/unanswered"))[
        "text"
    ] == t.UNANSWERED_EMPTY


async def test_per_user_limit_answers_politely_once_and_spares_others(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    bot.services.throttle = UserThrottle(limit=3, window=60)
    chat = api.private_chat(RESIDENT)
    for i in range(6):
        api.send_text(chat, RESIDENT, f"驾照到期了怎么换证{i}")
    replies = [await api.next_message(chat.id) for _ in range(4)]
    await api.expect_no_message(chat.id, within=QUIET)
    for reply in replies[:3]:
        assert_decline(reply)
    assert replies[3]["text"] == texts.RATE_LIMITED
    assert len(await question_rows(db)) == 3
    # Staff are never limited, and another resident is not affected.
    admin = api.private_chat(ADMIN)
    for _ in range(5):
        assert (await ask(api, admin, ADMIN, "/unanswered"))["text"] != texts.RATE_LIMITED


async def test_the_same_open_question_again_is_one_item_for_staff(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    first = await ask(api, chat, RESIDENT, "驾照到期了怎么换证")
    again = await ask(api, chat, RESIDENT, "驾照到期了怎么换证")
    assert_decline(first)
    assert_decline(again)
    assert len(await question_rows(db)) == 1
    # 转人工 under the repeat hands over the one stored question.
    alert = await press(api, chat, RESIDENT, again, t.BTN_HUMAN)
    assert alert.get("text") == t.HUMAN_DONE
    assert await rows(db, "SELECT status FROM kb_questions") == [("handoff",)]


async def test_chats_and_staff_list_are_refused_in_a_residents_group(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    api.send_text(STAFF_CHAT, ADMIN, "/bindgroup 社区工作群")
    await api.next_message(STAFF_CHAT.id)
    for command in ["/chats", "/staff list", "/staff"]:
        reply = await ask(api, GROUP, ADMIN, command)
        assert reply["text"] == texts.NOT_IN_GROUP
        assert str(STAFF_CHAT.id) not in reply["text"]
    # In the staff chat and in private they work.
    listing = await ask(api, STAFF_CHAT, ADMIN, "/chats")
    assert str(STAFF_CHAT.id) in listing["text"]
    assert str(ADMIN.id) in (await ask(api, api.private_chat(ADMIN), ADMIN, "/staff list"))["text"]


async def test_faq_made_from_a_question_drops_the_residents_name_and_phone(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    question = "我是张秀英，电话13912345678，3号楼2单元301，驾照到期了怎么换证"
    assert_decline(await ask(api, api.private_chat(RESIDENT), RESIDENT, question))
    ((qid,),) = await rows(db, "SELECT MAX(id) FROM kb_questions")
    admin = api.private_chat(ADMIN)
    listing = await ask(api, admin, ADMIN, "/unanswered")
    await press(api, admin, ADMIN, listing, t.BTN_WRITE_FAQ.format(qid=qid))
    await api.next_message(ADMIN.id)
    saved = await ask(api, admin, ADMIN, "带身份证到车管所办理。")
    assert saved["text"] == t.FAQ_SAVED
    (stored,) = await rows(
        db,
        "SELECT text, full_text, source, head_tokens, bigram_text, COALESCE(faq_key, '')"
        " FROM kb_passages WHERE origin = 'staff'",
    )
    everything = " ".join(str(v) for v in stored)
    for personal in ["张秀英", "秀英", "13912345678", "301", "3号楼"]:
        assert personal not in everything
    assert "驾照" in stored[4]  # the question itself is kept, for matching
    # The resident is still told, with their own words.
    notice = await api.next_message(RESIDENT.id)
    assert "带身份证到车管所办理" in notice["text"]
