"""/poll end to end: a native poll posted, answers injected through the local server
(`LocalBotApi.vote` queues the `poll` and, for a public poll, the `poll_answer` update),
stored, and summarised by headcount and by linked household."""

from __future__ import annotations

import asyncio
import json

import aiosqlite
import pytest

from bot.local_api import LocalBotApi, User
from handlers.consult import texts as t
from handlers.context import ResidentApplication
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, rows
from tests.e2e.test_consult_helpers import link, register_and_group
from tests.e2e.test_foundation_helpers import eventually

pytestmark = pytest.mark.usefixtures("fast_consult_sync")

PASSER_BY = User(id=1500, first_name="路人", language_code="zh-hans")  # linked to no household


async def _answers(db: aiosqlite.Connection, poll_id: str) -> list[tuple[int, list[int]]]:
    found = await rows(
        db, "SELECT user_id, options FROM consult_poll_answers WHERE poll_id = ? ORDER BY user_id",
        poll_id,
    )  # fmt: skip
    return [(r[0], json.loads(r[1])) for r in found]


async def test_public_and_anonymous_polls_stored_and_summarised(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    ids = await register_and_group(api, db)
    await link(db, ids["3-1-101"], RESIDENT)
    await link(db, ids["3-1-101"], NEIGHBOUR, "family")  # same household, another person

    api.send_text(GROUP, ADMIN, "/poll 周末义诊是否延长|延长|不延长")
    poll_message = await api.next_message(GROUP.id)
    poll = poll_message["poll"]
    assert poll["question"] == f"周末义诊是否延长（{t.POLL_HEAD}）"
    assert [o["text"] for o in poll["options"]] == ["延长", "不延长"]
    assert poll["is_anonymous"] is False

    async def poll_saved() -> bool:  # stored right after sendPoll returns
        return await rows(
            db, "SELECT chat_id, message_id, question, anonymous, created_by FROM consult_polls"
        ) == [(GROUP.id, poll_message["message_id"], "周末义诊是否延长", 0, ADMIN.id)]

    await eventually(poll_saved, timeout=2, what="the poll stored")

    api.vote(RESIDENT, poll_message, [0])
    api.vote(NEIGHBOUR, poll_message, [0])
    api.vote(PASSER_BY, poll_message, [1])
    expected = sorted([(RESIDENT.id, [0]), (NEIGHBOUR.id, [0]), (PASSER_BY.id, [1])])

    async def stored() -> bool:
        return await _answers(db, poll["id"]) == expected

    await eventually(stored, timeout=3, what="three poll answers stored")
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/poll")
    households = t.POLL_HOUSEHOLDS.format(households=1)
    none = t.POLL_HOUSEHOLDS.format(households=0)
    assert (await api.next_message(admin.id))["text"] == (
        f"「周末义诊是否延长」\n· 延长：2人{households}\n· 不延长：1人{none}"
    )

    # a retracted vote (no options) counts no more
    api.vote(NEIGHBOUR, poll_message, [])
    expected = sorted([(RESIDENT.id, [0]), (NEIGHBOUR.id, []), (PASSER_BY.id, [1])])
    await eventually(stored, timeout=3, what="the retraction stored")

    # an anonymous poll: only Telegram's counts arrive (no poll_answer), no households
    api.send_text(GROUP, ADMIN, "/poll 匿名 楼下是否增设快递柜|是|否|无所谓")
    anonymous = await api.next_message(GROUP.id)
    assert anonymous["poll"]["is_anonymous"] is True

    async def two_polls() -> bool:
        return await rows(db, "SELECT count(*) FROM consult_polls") == [(2,)]

    await eventually(two_polls, timeout=2, what="the anonymous poll stored")
    api.vote(RESIDENT, anonymous, [1])
    api.vote(PASSER_BY, anonymous, [1])

    async def counted() -> bool:
        found = await rows(
            db, "SELECT counts FROM consult_polls WHERE poll_id = ?", anonymous["poll"]["id"]
        )
        return bool(json.loads(found[0][0]) == [0, 2, 0])

    await eventually(counted, timeout=3, what="the anonymous poll's counts stored")
    assert await _answers(db, anonymous["poll"]["id"]) == []
    api.send_text(admin, ADMIN, "/poll")
    assert (await api.next_message(admin.id))["text"] == (
        "「楼下是否增设快递柜」（匿名）\n· 是：0人\n· 否：2人\n· 无所谓：0人\n\n"
        "「周末义诊是否延长」\n"
        f"· 延长：1人{households}\n"
        f"· 不延长：1人{none}"
    )


async def test_poll_usage(api: LocalBotApi, bot: ResidentApplication) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/poll")
    assert (await api.next_message(admin.id))["text"] == t.POLL_EMPTY
    api.send_text(admin, ADMIN, "/poll 只有问题|一个选项")
    assert (await api.next_message(admin.id))["text"] == t.POLL_USAGE
    assert not api.calls_to("sendPoll")


async def _fetched(api: LocalBotApi, update_id: int) -> None:
    """Wait until the bot's getUpdates has handed it the update."""
    await api.wait_for_call(
        "getUpdates", lambda c: any(u["update_id"] == update_id for u in c.result or [])
    )


async def test_answer_before_the_poll_is_stored_is_kept(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    """A vote handled while the staff's handler still awaits sendPoll waits for the poll's
    row instead of being dropped (the server carries sendPoll out but holds its answer)."""
    hold = api.hold("sendPoll")
    api.send_text(GROUP, ADMIN, "/poll 周末义诊是否延长|延长|不延长")
    poll_message = await api.next_message(GROUP.id)  # sent, but the bot has no answer yet
    assert hold.held == 1
    answer = api.vote(RESIDENT, poll_message, [1])
    await _fetched(api, int(answer["update_id"]))
    await asyncio.sleep(0.3)  # the bot handles the answer before the poll is stored
    assert await rows(db, "SELECT count(*) FROM consult_polls") == [(0,)]

    # meanwhile other chats are served
    neighbour = api.private_chat(NEIGHBOUR)
    api.send_text(neighbour, NEIGHBOUR, "/consultnotify")
    assert (await api.next_message(neighbour.id, timeout=2))["text"] == t.NOTIFY_USAGE

    hold.release()
    poll_id = poll_message["poll"]["id"]

    async def stored() -> bool:
        return await _answers(db, poll_id) == [(RESIDENT.id, [1])]

    await eventually(stored, timeout=3, what="the early answer stored")

    async def counted() -> bool:  # the poll update (Telegram's counts) is kept too
        found = await rows(db, "SELECT counts FROM consult_polls WHERE poll_id = ?", poll_id)
        return bool(found) and json.loads(found[0][0]) == [0, 1]

    await eventually(counted, timeout=3, what="the early counts stored")
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/poll")
    none = t.POLL_HOUSEHOLDS.format(households=0)
    assert (await api.next_message(admin.id))["text"] == (
        f"「周末义诊是否延长」\n· 延长：0人{none}\n· 不延长：1人{none}"
    )


async def test_unknown_poll_answer_dropped_at_once(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    """With no /poll being sent (the last one failed) an answer to an unknown poll (here:
    from before a database reset) is dropped at once: the voter is not held up."""
    api.send_text(GROUP, ADMIN, "/poll 周末义诊是否延长|延长|不延长")
    poll_message = await api.next_message(GROUP.id)

    async def poll_saved() -> bool:
        return await rows(db, "SELECT count(*) FROM consult_polls") == [(1,)]

    await eventually(poll_saved, timeout=2, what="the poll stored")
    await db.execute("DELETE FROM consult_polls")  # the database reset
    await db.commit()
    api.fail_next("sendPoll", error_code=400, description="Bad Request: not enough rights")
    api.send_text(GROUP, ADMIN, "/poll 楼下是否增设快递柜|是|否")  # ends in an exception
    await api.wait_for_call("sendPoll", lambda c: not c.ok)
    await asyncio.sleep(0.2)  # the failed /poll handler finishes

    resident = api.private_chat(RESIDENT)
    api.vote(RESIDENT, poll_message, [0])
    started = asyncio.get_running_loop().time()
    api.send_text(resident, RESIDENT, "/consultnotify")  # queued behind the answer (same user)
    assert (await api.next_message(resident.id, timeout=5))["text"] == t.NOTIFY_USAGE
    assert asyncio.get_running_loop().time() - started < 2
    assert await rows(db, "SELECT count(*) FROM consult_poll_answers") == [(0,)]
    assert await rows(db, "SELECT count(*) FROM consult_polls") == [(0,)]


async def test_a_burst_of_counts_while_the_poll_is_sent_keeps_the_last(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    """Telegram's count updates carry no chat or user: they wait in their poll's lane, so
    six of them queued behind a held sendPoll are stored in order and the last one stays."""
    hold = api.hold("sendPoll")
    api.send_text(GROUP, ADMIN, "/poll 匿名 楼下是否增设快递柜|是|否")
    poll_message = await api.next_message(GROUP.id)
    voters = [User(id=1600 + i, first_name=f"居民{i}", language_code="zh-hans") for i in range(6)]
    last = {}
    for i, voter in enumerate(voters):
        last = api.vote(voter, poll_message, [i % 2])
    await _fetched(api, int(last["update_id"]))
    await asyncio.sleep(0.2)
    hold.release()
    poll_id = poll_message["poll"]["id"]

    async def counted() -> bool:
        found = await rows(db, "SELECT counts FROM consult_polls WHERE poll_id = ?", poll_id)
        return bool(found) and json.loads(found[0][0]) == [3, 3]

    await eventually(counted, timeout=3, what="the last counts stored")
    await asyncio.sleep(0.3)  # nothing older lands after it
    found = await rows(db, "SELECT counts FROM consult_polls WHERE poll_id = ?", poll_id)
    assert json.loads(found[0][0]) == [3, 3]
