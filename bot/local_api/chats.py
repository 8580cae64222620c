"""Bot API methods about the bot itself, its commands, webhooks, chats and members."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from bot.local_api.messaging import Handler
from bot.local_api.objects import Chat, JSONDict, chat_full_info, chat_member
from bot.local_api.params import Params
from bot.local_api.records import ApiError, bad_request
from bot.local_api.state import ApiState

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
ADMIN_STATUSES = frozenset({"creator", "administrator"})


def forbidden_description(chat: Chat, reason: str) -> str:
    """Telegram's 403 text: ``reason`` is "blocked", "kicked" or "left"."""
    if chat.type == "private":
        return "Forbidden: bot was blocked by the user"
    kind = "supergroup" if chat.type == "supergroup" else "group"
    if chat.type == "channel":
        kind = "channel"
    if reason == "kicked":
        return f"Forbidden: bot was kicked from the {kind} chat"
    return f"Forbidden: bot is not a member of the {kind} chat"


def my_chat_member_update(
    state: ApiState, chat: Chat, actor: JSONDict, old_status: str, new_status: str
) -> JSONDict:
    """Queue a ``my_chat_member`` update describing the bot's status change in ``chat``."""
    state.member_status[(chat.id, state.bot_id)] = new_status
    return state.push_update(
        {
            "my_chat_member": {
                "chat": chat.to_dict(),
                "from": actor,
                "date": int(time.time()),
                "old_chat_member": chat_member(dict(state.bot_user), old_status),
                "new_chat_member": chat_member(dict(state.bot_user), new_status),
            }
        }
    )


def _readable_chat(state: ApiState, chat_id: Any) -> Chat:
    chat = state.resolve_chat(chat_id)
    if chat.type != "private":
        return state.writable_chat(chat.id)
    return chat


def _commands_key(p: Params) -> str:
    return json.dumps([p.get("scope") or {"type": "default"}, p.get("language_code") or ""])


def get_me(state: ApiState, p: Params) -> JSONDict:
    return dict(state.bot_user)


def ok(state: ApiState, p: Params) -> bool:
    return True


def set_webhook(state: ApiState, p: Params) -> bool:
    state.webhook_url = str(p.require("url"))
    return True


def delete_webhook(state: ApiState, p: Params) -> bool:
    state.webhook_url = ""
    if p.get("drop_pending_updates"):
        state.pending_updates.clear()
    return True


def get_webhook_info(state: ApiState, p: Params) -> JSONDict:
    return {
        "url": state.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.pending_updates),
    }


def set_my_commands(state: ApiState, p: Params) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an array of at most 100 BotCommand")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    state.commands[_commands_key(p)] = commands
    return True


def get_my_commands(state: ApiState, p: Params) -> list[JSONDict]:
    return list(state.commands.get(_commands_key(p), []))


def delete_my_commands(state: ApiState, p: Params) -> bool:
    state.commands.pop(_commands_key(p), None)
    return True


def set_chat_menu_button(state: ApiState, p: Params) -> bool:
    state.menu_buttons[str(p.get("chat_id", ""))] = p.get("menu_button") or {"type": "default"}
    return True


def get_chat_menu_button(state: ApiState, p: Params) -> JSONDict:
    key = str(p.get("chat_id", ""))
    return state.menu_buttons.get(key) or state.menu_buttons.get("") or {"type": "commands"}


def get_chat(state: ApiState, p: Params) -> JSONDict:
    return chat_full_info(_readable_chat(state, p.require("chat_id")).to_dict())


def get_chat_member(state: ApiState, p: Params) -> JSONDict:
    chat = _readable_chat(state, p.require("chat_id"))
    return state.member(chat.id, p.require_int("user_id"))


def get_chat_administrators(state: ApiState, p: Params) -> list[JSONDict]:
    chat = _readable_chat(state, p.require("chat_id"))
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        state.member(chat_id, user_id)
        for (chat_id, user_id), status in state.member_status.items()
        if chat_id == chat.id and status in ADMIN_STATUSES
    ]


def get_chat_member_count(state: ApiState, p: Params) -> int:
    chat = _readable_chat(state, p.require("chat_id"))
    members = {user for (chat_id, user) in state.member_status if chat_id == chat.id}
    return max(len(members), 2)


def _pin_rights(state: ApiState, chat: Chat) -> None:
    status = state.member_status.get((chat.id, state.bot_id), "member")
    if chat.type in ("supergroup", "channel") and status not in ADMIN_STATUSES:
        raise bad_request("not enough rights to manage pinned messages in the chat")


def pin_chat_message(state: ApiState, p: Params) -> bool:
    chat = state.writable_chat(p.require("chat_id"))
    message_id = p.require_int("message_id")
    _pin_rights(state, chat)
    if state.get_message(chat.id, message_id) is None:
        raise bad_request("message to pin not found")
    state.pinned.setdefault(chat.id, []).append(message_id)
    return True


def unpin_chat_message(state: ApiState, p: Params) -> bool:
    chat = state.writable_chat(p.require("chat_id"))
    _pin_rights(state, chat)
    pinned = state.pinned.get(chat.id, [])
    message_id = p.opt_int("message_id")
    if message_id is None and pinned:
        pinned.pop()
    elif message_id in pinned:
        pinned.remove(message_id)
    return True


def unpin_all_chat_messages(state: ApiState, p: Params) -> bool:
    chat = state.writable_chat(p.require("chat_id"))
    _pin_rights(state, chat)
    state.pinned.pop(chat.id, None)
    return True


def leave_chat(state: ApiState, p: Params) -> bool:
    chat = state.resolve_chat(p.require("chat_id"))
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if chat.id in state.forbidden:
        raise ApiError(403, state.forbidden[chat.id])
    old = state.member_status.get((chat.id, state.bot_id), "member")
    my_chat_member_update(state, chat, dict(state.bot_user), old, "left")
    state.forbidden[chat.id] = forbidden_description(chat, "left")
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "logOut": ok,
    "close": ok,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyDescription": ok,
    "setMyShortDescription": ok,
    "setMyName": ok,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "getChatMemberCount": get_chat_member_count,
    "pinChatMessage": pin_chat_message,
    "unpinChatMessage": unpin_chat_message,
    "unpinAllChatMessages": unpin_all_chat_messages,
    "leaveChat": leave_chat,
}
