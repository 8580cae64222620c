"""`LocalBotApi.hold`: a call is carried out at once but answered only on `release()`."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot.local_api import Chat, LocalBotApi
from bot.local_api.state import Hold

GROUP = Chat(id=-100123, type="supergroup", title="幸福小区业主群")
OTHER = Chat(id=-100456, type="supergroup", title="隔壁小区业主群")


async def _held(hold: Hold, n: int) -> None:
    for _ in range(200):
        if hold.held == n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not {n} held calls")


async def test_hold_carries_out_then_answers_on_release(api: LocalBotApi, bot: Bot) -> None:
    hold = api.hold("sendPoll")
    sending = asyncio.create_task(bot.send_poll(GROUP.id, "问题", ["是", "否"]))
    # the message exists (and wakes inspection waiters) while the answer is held back
    stored = await api.next_message(GROUP.id, timeout=2)
    assert stored["poll"]["question"] == "问题"
    assert hold.held == 1
    assert not api.calls_to("sendPoll")  # recorded only when answered
    await asyncio.sleep(0.1)
    assert not sending.done()

    await bot.send_message(GROUP.id, "其他方法不受影响")  # other methods answer at once
    hold.release()
    sent = await asyncio.wait_for(sending, 2)
    assert sent.message_id == stored["message_id"]
    assert sent.poll is not None
    assert sent.poll.id == stored["poll"]["id"]
    assert (hold.held, hold.total) == (0, 1)
    assert [c.ok for c in api.calls_to("sendPoll")] == [True]

    await asyncio.wait_for(bot.send_poll(GROUP.id, "又一个", ["是", "否"]), 2)  # no longer held
    assert hold.total == 1


async def test_hold_by_chat_holds_several_and_errors(api: LocalBotApi, bot: Bot) -> None:
    hold = api.hold("sendMessage", chat_id=GROUP.id)
    await asyncio.wait_for(bot.send_message(OTHER.id, "别的群"), 2)  # other chats not held
    first = asyncio.create_task(bot.send_message(GROUP.id, "一"))
    second = asyncio.create_task(bot.send_message(GROUP.id, "二"))
    await _held(hold, 2)
    api.fail_next("sendMessage", error_code=400, description="Bad Request: x", chat_id=GROUP.id)
    failing = asyncio.create_task(bot.send_message(GROUP.id, "三"))
    await _held(hold, 3)
    assert sorted(m["text"] for m in api.sent_messages(GROUP.id)) == ["一", "二"]
    hold.release()
    assert {(await first).text, (await second).text} == {"一", "二"}
    with pytest.raises(BadRequest):
        await failing
    assert hold.total == 3


async def test_stop_releases_holds() -> None:
    server = await LocalBotApi().start()
    async with Bot(server.token, base_url=server.base_url) as client:
        hold = server.hold("sendMessage")
        sending = asyncio.create_task(client.send_message(GROUP.id, "hi"))
        await _held(hold, 1)
        await server.stop()
        assert hold.released
        await asyncio.gather(sending, return_exceptions=True)  # answered or cut, never hung
