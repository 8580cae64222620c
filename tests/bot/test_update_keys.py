"""The lanes an update joins (bot/update_processor.py): chat and user, or its poll's."""

from __future__ import annotations

import datetime as dt

from telegram import Chat, Message, Poll, PollAnswer, PollOption, Update, User

from bot.update_processor import update_keys

RESIDENT = User(id=1001, first_name="居民", is_bot=False)
GROUP = Chat(id=-100200, type=Chat.SUPERGROUP)


def _poll(poll_id: str, counts: list[int]) -> Update:
    options = [PollOption(f"选项{i}", c, persistent_id=str(i)) for i, c in enumerate(counts)]
    poll = Poll(
        poll_id,
        "问题",
        options,
        sum(counts),
        False,
        True,
        Poll.REGULAR,
        False,
        allows_revoting=True,
        members_only=False,
    )
    return Update(1, poll=poll)


def test_a_message_joins_its_chat_and_its_user() -> None:
    message = Message(1, dt.datetime.now(dt.UTC), GROUP, from_user=RESIDENT, text="你好")
    assert update_keys(Update(1, message=message)) == {GROUP.id, RESIDENT.id}


def test_a_poll_state_joins_its_poll_lane_only() -> None:
    first, again, other = _poll("77", [1, 0]), _poll("77", [1, 1]), _poll("78", [0, 1])
    assert update_keys(first) == update_keys(again) == {"poll:77"}
    assert update_keys(other) == {"poll:78"}


def test_a_poll_answer_joins_its_user() -> None:
    answer = PollAnswer("77", [0], user=RESIDENT, option_persistent_ids=["0"])
    assert update_keys(Update(1, poll_answer=answer)) == {RESIDENT.id}


def test_not_an_update_joins_nothing() -> None:
    assert update_keys("not an update") == frozenset()
