"""Foundation, end to end: /start, /help, the main menu, and staying quiet in groups."""

from __future__ import annotations

from typing import Any

import pytest

from bot.local_api import LocalBotApi
from handlers import texts
from handlers.qa import texts as qa_texts
from handlers.tickets import texts as ticket_texts
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, button_data, buttons
from tests.e2e.test_foundation_helpers import answer_of, forge_press

BOT = "resident_test_bot"
LABELS = ["政策问答", "我要投诉", "改造需求", "我的工单", "订阅提醒", "参与投票", "我的房屋"]
QUIET = 0.3


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for b in buttons(message)]


# ---------------------------------------------------------------- private chat


async def test_start_in_private_shows_welcome_and_the_menu_buttons(
    api: LocalBotApi, bot: object
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/start")
    reply = await api.next_message(chat.id)
    assert "幸福里社区" in reply["text"]
    assert texts.MENU_TITLE in reply["text"]
    assert labels(reply) == LABELS
    # In private every entry is a callback button (no links out of the chat).
    assert all(b.get("callback_data", "").startswith("menu:") for b in buttons(reply))
    await api.expect_no_message(chat.id, within=QUIET)


@pytest.mark.parametrize(
    ("payload", "label", "first"),
    [
        ("complain", "我要投诉", ticket_texts.ASK_DESCRIPTION),
        ("renovate", "改造需求", ticket_texts.RENOVATE_INTRO),
        ("vote", "参与投票", "正在建设中"),
    ],
)
async def test_start_deep_link_opens_that_entry(
    api: LocalBotApi, bot: object, payload: str, label: str, first: str
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, f"/start {payload}")
    reply = await api.next_message(chat.id)
    assert label in reply["text"]
    assert first in reply["text"]
    assert "请选择您要办的事" not in reply["text"]  # straight in, no menu first
    await api.expect_no_message(chat.id, within=QUIET)


async def test_start_deep_link_ask_prompts_for_a_question(api: LocalBotApi, bot: object) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/start ask")
    assert (await api.next_message(chat.id))["text"] == qa_texts.ASK_PROMPT


async def test_start_with_unknown_payload_shows_the_menu(api: LocalBotApi, bot: object) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/start nonsense_payload")
    reply = await api.next_message(chat.id)
    assert labels(reply) == LABELS


async def test_menu_buttons_in_private(api: LocalBotApi, bot: object) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/menu")
    menu = await api.next_message(chat.id)
    assert menu["text"] == texts.MENU_TITLE
    assert labels(menu) == LABELS

    query = api.press_button(chat, RESIDENT, menu, button_data(menu, "政策问答"))
    assert (await api.next_message(chat.id))["text"] == qa_texts.ASK_PROMPT
    assert (await answer_of(api, query)).ok

    query = api.press_button(chat, RESIDENT, menu, button_data(menu, "我的工单"))
    pending = await api.next_message(chat.id)
    assert pending["text"] == ticket_texts.MY_EMPTY  # 我的工单: none yet
    answer = await answer_of(api, query)
    assert answer.ok
    assert not answer.params.get("show_alert")


async def test_typed_menu_label_in_private_opens_the_entry(api: LocalBotApi, bot: object) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, " 我要投诉 ")
    reply = await api.next_message(chat.id)
    assert "我要投诉" in reply["text"]
    assert reply["text"] == ticket_texts.ASK_DESCRIPTION
    await api.expect_no_message(chat.id, within=QUIET)


async def test_help_shows_staff_commands_only_to_staff(api: LocalBotApi, bot: object) -> None:
    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/help")
    text = (await api.next_message(resident.id))["text"]
    assert "使用帮助" in text
    assert "工作人员命令" not in text
    assert "/staff" not in text
    assert "/unanswered" not in text

    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/help")
    text = (await api.next_message(admin.id))["text"]
    assert "使用帮助" in text
    for command in ("工作人员命令", "/staff", "/bindgroup", "/chats", "/kb", "/unanswered"):
        assert command in text


async def test_help_for_a_staff_member_added_in_chat(api: LocalBotApi, bot: object) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, f"/staff add {NEIGHBOUR.id}")
    await api.next_message(admin.id)
    chat = api.private_chat(NEIGHBOUR)
    api.send_text(chat, NEIGHBOUR, "/help")
    assert "工作人员命令" in (await api.next_message(chat.id))["text"]


# ---------------------------------------------------------------- group chat


async def test_start_in_group_links_private_entries_to_the_bot(
    api: LocalBotApi, bot: object
) -> None:
    api.send_text(GROUP, RESIDENT, "/start")
    reply = await api.next_message(GROUP.id)
    assert labels(reply) == LABELS
    by_label = {b["text"]: b for b in buttons(reply)}
    # Policy Q&A stays in the group; the rest collect personal details and go private.
    assert by_label["政策问答"].get("callback_data") == "menu:ask"
    for key, label in texts.MENU_ITEMS:
        if key in texts.PRIVATE_ONLY:
            assert by_label[label].get("url") == f"https://t.me/{BOT}?start={key}"
            assert "callback_data" not in by_label[label]


async def test_menu_in_group_notes_private_handling(api: LocalBotApi, bot: object) -> None:
    api.send_text(GROUP, RESIDENT, "/menu")
    reply = await api.next_message(GROUP.id)
    assert texts.GROUP_MENU_NOTE in reply["text"]
    query = api.press_button(GROUP, NEIGHBOUR, reply, "menu:ask")
    assert (await api.next_message(GROUP.id))["text"] == qa_texts.ASK_PROMPT
    assert (await answer_of(api, query)).ok


async def test_private_entry_pressed_in_group_answers_with_go_private_button(
    api: LocalBotApi, bot: object
) -> None:
    api.send_text(GROUP, RESIDENT, "/menu")
    menu = await api.next_message(GROUP.id)
    # An old keyboard (or a modified client) can still carry the callback variant.
    query = forge_press(api, GROUP, RESIDENT, menu, "menu:complain")
    reply = await api.next_message(GROUP.id)
    assert reply["text"] == ticket_texts.GO_PRIVATE  # the complaint flow's own deep link
    assert [(b["text"], b.get("url")) for b in buttons(reply)] == [
        (ticket_texts.GO_PRIVATE_BUTTON, f"https://t.me/{BOT}?start=complain")
    ]
    assert (await answer_of(api, query)).ok
    await api.expect_no_message(GROUP.id, within=QUIET)


async def test_deep_link_payload_in_group_sends_go_private(api: LocalBotApi, bot: object) -> None:
    api.send_text(GROUP, RESIDENT, f"/start@{BOT} tickets")
    reply = await api.next_message(GROUP.id)
    assert reply["text"] == texts.GO_PRIVATE
    assert buttons(reply)[0]["url"] == f"https://t.me/{BOT}?start=tickets"


async def test_typed_menu_label_in_group_is_ignored(api: LocalBotApi, bot: object) -> None:
    api.send_text(GROUP, RESIDENT, "我要投诉")
    await api.expect_no_message(GROUP.id, within=QUIET)


# ---------------------------------------------------------------- quiet unless addressed


async def test_group_chatter_gets_no_reply(api: LocalBotApi, bot: object) -> None:
    api.send_text(GROUP, RESIDENT, "今天楼下的快递柜又满了")
    api.send_text(GROUP, NEIGHBOUR, "电动车能在楼道充电吗")
    api.send_sticker(GROUP, NEIGHBOUR)
    api.send_photo(GROUP, RESIDENT)
    api.send_text(GROUP, RESIDENT, "/start@otherbot")
    api.send_text(GROUP, RESIDENT, "/nosuchcommand")
    await api.expect_no_message(GROUP.id, within=0.5)
    # It was not deaf: the same group still gets an answer when addressed.
    api.send_text(GROUP, RESIDENT, "/start")
    assert labels(await api.next_message(GROUP.id)) == LABELS


@pytest.mark.parametrize("command", ["/start", f"/start@{BOT}", "/help", f"/menu@{BOT}"])
async def test_group_command_gets_a_reply(api: LocalBotApi, bot: object, command: str) -> None:
    sent = api.send_text(GROUP, RESIDENT, command)
    reply = await api.next_message(GROUP.id)
    assert reply["reply_to_message"]["message_id"] == sent["message_id"]


async def test_group_mention_gets_a_reply(api: LocalBotApi, bot: object) -> None:
    sent = api.send_text(GROUP, RESIDENT, f"@{BOT} 电动车能在楼道充电吗")
    reply = await api.next_message(GROUP.id)
    assert reply["reply_to_message"]["message_id"] == sent["message_id"]
    assert "楼道" in reply["text"]
    await api.expect_no_message(GROUP.id, within=QUIET)


async def test_group_reply_to_the_bot_gets_a_reply(api: LocalBotApi, bot: object) -> None:
    api.send_text(GROUP, RESIDENT, "/menu")
    bot_message = await api.next_message(GROUP.id)
    sent = api.send_text(GROUP, NEIGHBOUR, "电动车能在楼道充电吗", reply_to=bot_message)
    reply = await api.next_message(GROUP.id)
    assert reply["reply_to_message"]["message_id"] == sent["message_id"]
    # A reply to a *person* is chatter again.
    api.send_text(GROUP, RESIDENT, "我也想知道", reply_to=sent)
    await api.expect_no_message(GROUP.id, within=QUIET)


async def test_unknown_command_addressed_to_the_bot_in_group(
    api: LocalBotApi, bot: object
) -> None:
    api.send_text(GROUP, RESIDENT, f"/nosuchcommand@{BOT}")
    assert (await api.next_message(GROUP.id))["text"] == texts.UNKNOWN_COMMAND
