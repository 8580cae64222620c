"""Bot API methods that send, edit and delete messages, files, polls and callback answers."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from bot.local_api.markup import ParseEntitiesError, render
from bot.local_api.objects import (
    Chat,
    JSONDict,
    document_object,
    photo_sizes,
    poll_object,
    sticker_object,
)
from bot.local_api.params import Params, Upload
from bot.local_api.records import StoredFile, bad_request
from bot.local_api.state import ApiState

Handler = Callable[[ApiState, Params], Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
_BUTTON_ACTIONS = frozenset(
    {
        "callback_data", "url", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
        "callback_game", "pay",
    }
)  # fmt: skip
_CONTENT_KEYS = ("text", "entities", "caption", "document", "photo", "sticker", "poll")


def rendered(text: str, parse_mode: str | None, *, caption: bool = False) -> str:
    try:
        result = render(text, parse_mode)
    except ParseEntitiesError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    if caption and len(result) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if not caption and len(result) > MAX_TEXT:
        raise bad_request("message is too long")
    if not caption and not result.strip():
        raise bad_request("message text is empty")
    return result


def inline_markup(markup: Any) -> JSONDict | None:
    """Validate ``reply_markup``; return it if it belongs on the message (inline keyboards)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards are shown by the client, never echoed in Message
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            actions = _BUTTON_ACTIONS.intersection(button)
            if len(actions) != 1:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
    return copy.deepcopy(markup)


def _reply_target(state: ApiState, p: Params, chat: Chat) -> JSONDict | None:
    reply = p.get("reply_parameters")
    allow = bool(p.get("allow_sending_without_reply", False))
    target_chat, message_id = chat.id, p.opt_int("reply_to_message_id")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow = bool(reply.get("allow_sending_without_reply", allow))
        if reply.get("chat_id") is not None:
            target_chat = state.resolve_chat(reply["chat_id"]).id
    if message_id is None:
        return None
    message = state.get_message(target_chat, int(message_id))
    if message is None:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return state.as_reply_target(message)


def send(state: ApiState, p: Params, chat: Chat, **content: Any) -> JSONDict:
    """Create, store and return a message the bot sent to ``chat``."""
    reply_to = _reply_target(state, p, chat)
    markup = inline_markup(p.get("reply_markup"))
    message = state.new_message(
        chat, dict(state.bot_user), reply_to_message=reply_to, reply_markup=markup, **content
    )
    state.store_message(message, by_bot=True)
    return copy.deepcopy(message)


def _caption(p: Params) -> str | None:
    caption = p.opt_str("caption")
    return None if caption is None else rendered(caption, p.opt_str("parse_mode"), caption=True)


def _store_input_file(
    state: ApiState, p: Params, key: str, folder: str, default_mime: str
) -> StoredFile:
    given = p.file(key)
    if isinstance(given, Upload):
        mime = given.content_type or default_mime
        return state.register_file(given.data, given.filename, mime, folder)
    if given is None or not given:
        raise bad_request(f"there is no {key} in the request")
    if given in state.files:
        return state.files[given]
    if given.startswith(("http://", "https://")):
        name = given.rstrip("/").rsplit("/", 1)[-1] or key
        return state.register_file(b"", name, default_mime, folder)
    raise bad_request("wrong file identifier/HTTP URL specified")


def send_message(state: ApiState, p: Params) -> JSONDict:
    chat = state.writable_chat(p.require("chat_id"))
    text = rendered(str(p.get("text", "")), p.opt_str("parse_mode"))
    return send(state, p, chat, text=text, entities=p.get("entities"))


def send_document(state: ApiState, p: Params) -> JSONDict:
    chat = state.writable_chat(p.require("chat_id"))
    stored = _store_input_file(state, p, "document", "documents", "application/octet-stream")
    document = document_object(
        stored.file_id, stored.file_unique_id, stored.filename, stored.mime_type, len(stored.data)
    )
    return send(state, p, chat, document=document, caption=_caption(p))


def send_photo(state: ApiState, p: Params) -> JSONDict:
    chat = state.writable_chat(p.require("chat_id"))
    stored = _store_input_file(state, p, "photo", "photos", "image/jpeg")
    photo = photo_sizes(stored.file_id, stored.file_unique_id, len(stored.data))
    return send(state, p, chat, photo=photo, caption=_caption(p))


def send_sticker(state: ApiState, p: Params) -> JSONDict:
    chat = state.writable_chat(p.require("chat_id"))
    stored = _store_input_file(state, p, "sticker", "stickers", "image/webp")
    sticker = sticker_object(stored.file_id, stored.file_unique_id, p.opt_str("emoji") or "👍")
    return send(state, p, chat, sticker=sticker)


def send_poll(state: ApiState, p: Params) -> JSONDict:
    chat = state.writable_chat(p.require("chat_id"))
    if not str(p.get("question", "")).strip():
        raise bad_request("poll question must be non-empty")
    options = p.get("options")
    if not isinstance(options, list) or not 2 <= len(options) <= 12:
        raise bad_request("poll must have at least 2 option")
    poll_id = str(5_000_000_000_000_000_000 + state.seq())
    message = send(state, p, chat, poll=poll_object(poll_id, p.values))
    state.polls[poll_id] = (chat.id, int(message["message_id"]))
    return message


def stop_poll(state: ApiState, p: Params) -> JSONDict:
    chat = state.writable_chat(p.require("chat_id"))
    message = state.get_message(chat.id, p.require_int("message_id"))
    if message is None or "poll" not in message:
        raise bad_request("message with poll to stop not found")
    if message["poll"]["is_closed"]:
        raise bad_request("poll has already been closed")
    message["poll"]["is_closed"] = True
    markup = inline_markup(p.get("reply_markup"))
    if markup is not None:
        message["reply_markup"] = markup
    return copy.deepcopy(message["poll"])


def _editable(state: ApiState, p: Params) -> JSONDict:
    if p.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the local Bot API")
    chat = state.writable_chat(p.require("chat_id"))
    message = state.get_message(chat.id, p.require_int("message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    if message.get("from", {}).get("id") != state.bot_id:
        raise bad_request("message can't be edited")
    return message


def _apply_edit(message: JSONDict, changes: JSONDict) -> JSONDict:
    """Apply an edit; ``None`` values remove the field (e.g. an omitted reply_markup)."""
    if all(message.get(key) == value for key, value in changes.items()):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    for key, value in changes.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    message["edit_date"] = int(time.time())
    return copy.deepcopy(message)


def edit_message_text(state: ApiState, p: Params) -> JSONDict:
    message = _editable(state, p)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text = rendered(str(p.get("text", "")), p.opt_str("parse_mode"))
    markup = inline_markup(p.get("reply_markup"))
    return _apply_edit(
        message, {"text": text, "entities": p.get("entities"), "reply_markup": markup}
    )


def edit_message_caption(state: ApiState, p: Params) -> JSONDict:
    message = _editable(state, p)
    markup = inline_markup(p.get("reply_markup"))
    return _apply_edit(message, {"caption": _caption(p), "reply_markup": markup})


def edit_message_reply_markup(state: ApiState, p: Params) -> JSONDict:
    message = _editable(state, p)
    return _apply_edit(message, {"reply_markup": inline_markup(p.get("reply_markup"))})


def delete_message(state: ApiState, p: Params) -> bool:
    chat = state.resolve_chat(p.require("chat_id"))
    key = (chat.id, p.require_int("message_id"))
    if state.get_message(*key) is None:
        raise bad_request("message to delete not found")
    state.deleted.add(key)
    return True


def answer_callback_query(state: ApiState, p: Params) -> bool:
    query_id = str(p.require("callback_query_id"))
    if state.callback_queries.pop(query_id, None) is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(str(p.get("text", ""))) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    return True


def get_file(state: ApiState, p: Params) -> JSONDict:
    stored = state.files.get(str(p.require("file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.to_file()


def _source_message(state: ApiState, p: Params) -> JSONDict:
    source_chat = state.resolve_chat(p.require("from_chat_id"))
    source = state.get_message(source_chat.id, p.require_int("message_id"))
    if source is None:
        raise bad_request("message to copy not found")
    return source


def copy_message(state: ApiState, p: Params) -> JSONDict:
    source = _source_message(state, p)
    chat = state.writable_chat(p.require("chat_id"))
    content = {key: copy.deepcopy(source[key]) for key in _CONTENT_KEYS if key in source}
    if p.has("caption"):
        content["caption"] = _caption(p)
    message = send(state, p, chat, **content)
    return {"message_id": message["message_id"]}


def forward_message(state: ApiState, p: Params) -> JSONDict:
    source = _source_message(state, p)
    chat = state.writable_chat(p.require("chat_id"))
    content = {key: copy.deepcopy(source[key]) for key in _CONTENT_KEYS if key in source}
    origin = {"type": "user", "sender_user": source.get("from"), "date": source["date"]}
    return send(state, Params(), chat, forward_origin=origin, **content)


def send_chat_action(state: ApiState, p: Params) -> bool:
    state.writable_chat(p.require("chat_id"))
    p.require("action")
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "sendSticker": send_sticker,
    "sendPoll": send_poll,
    "stopPoll": stop_poll,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "getFile": get_file,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
    "sendChatAction": send_chat_action,
}
