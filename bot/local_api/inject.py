"""Injecting what users do (messages, button presses, membership changes) as updates."""

from __future__ import annotations

import copy
import time
from typing import Any

from bot.local_api.chats import forbidden_description, my_chat_member_update
from bot.local_api.objects import (
    MEMBER_STATUSES,
    Chat,
    JSONDict,
    User,
    auto_entities,
    document_object,
    photo_sizes,
    private_chat,
    sticker_object,
)
from bot.local_api.records import FailRule
from bot.local_api.state import ApiState, Hold

# A 1x1 transparent PNG, the default payload of send_photo.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63fcffff3f0300050001ff5c2b8e0b0000000049454e44ae426082"
)
GROUP_ANONYMOUS_BOT = User(id=1087968824, first_name="Group", username="GroupAnonymousBot",
                           is_bot=True)  # fmt: skip
BLOCKED = "Forbidden: bot was blocked by the user"


class InjectMixin:
    """Methods of :class:`LocalBotApi` that simulate users; each queues real updates."""

    _state: ApiState
    privacy_mode: bool

    # ------------------------------------------------------------------ identities
    def private_chat(self, user: User) -> Chat:
        chat = private_chat(user)
        self._state.remember(chat, user)
        return chat

    def inject(self, update: JSONDict) -> int:
        """Queue a raw update (its ``update_id``, if any, is replaced); return the update_id."""
        payload = {key: value for key, value in update.items() if key != "update_id"}
        if len(payload) != 1:
            raise ValueError("an update carries exactly one field besides update_id")
        return int(self._state.push_update(copy.deepcopy(payload))["update_id"])

    # ------------------------------------------------------------------ messages
    def _user_message(self, chat: Chat, user: User, **content: Any) -> JSONDict:
        state = self._state
        if chat.id in state.migrated:
            raise ValueError(f"chat {chat.id} was migrated to {state.migrated[chat.id]}")
        state.remember(chat, user)
        message = state.new_message(chat, user.to_dict(), **content)
        state.store_message(message, by_bot=False)
        if self._delivered(chat, message):
            state.push_update({"message": copy.deepcopy(message)})
        return copy.deepcopy(message)

    def _delivered(self, chat: Chat, message: JSONDict) -> bool:
        """Whether Telegram would deliver a user's message in ``chat`` to the bot."""
        if chat.type == "private":
            return True
        status = self._state.member_status.get((chat.id, self._state.bot_id), "member")
        if status in ("left", "kicked"):
            return False
        if not self.privacy_mode or status in ("administrator", "creator"):
            return True
        replied = message.get("reply_to_message", {}).get("from", {}).get("id")
        entities = message.get("entities", [])
        username = f"@{self._state.bot_username}".lower()
        text = str(message.get("text", "")).lower()
        return (
            replied == self._state.bot_id
            or any(e["type"] == "bot_command" for e in entities)
            or username in text
        )

    def send_text(
        self,
        chat: Chat,
        user: User,
        text: str,
        *,
        reply_to: JSONDict | None = None,
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """The user writes ``text``; command and mention entities are added automatically."""
        found = auto_entities(text) if entities is None else entities
        reply = self._state.as_reply_target(reply_to) if reply_to is not None else None
        return self._user_message(
            chat, user, text=text, entities=found or None, reply_to_message=reply
        )

    def send_sticker(self, chat: Chat, user: User, emoji: str = "👍") -> JSONDict:
        stored = self._state.register_file(b"RIFF-webp", "sticker.webp", "image/webp", "stickers")
        sticker = sticker_object(stored.file_id, stored.file_unique_id, emoji)
        return self._user_message(chat, user, sticker=sticker)

    def send_photo(
        self, chat: Chat, user: User, data: bytes = TINY_PNG, caption: str | None = None
    ) -> JSONDict:
        stored = self._state.register_file(data, "photo.jpg", "image/jpeg", "photos")
        photo = photo_sizes(stored.file_id, stored.file_unique_id, len(data))
        return self._user_message(chat, user, photo=photo, caption=caption)

    def send_document(
        self,
        chat: Chat,
        user: User,
        filename: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> JSONDict:
        """The user uploads a file; the bot can getFile and download it."""
        stored = self._state.register_file(data, filename, mime_type)
        document = document_object(
            stored.file_id, stored.file_unique_id, filename, mime_type, len(data)
        )
        return self._user_message(chat, user, document=document, caption=caption)

    def edit_text(self, chat: Chat, user: User, message: JSONDict, new_text: str) -> JSONDict:
        """The user edits one of their messages; returns the ``edited_message`` update."""
        stored = self._state.get_message(chat.id, int(message["message_id"]))
        if stored is None or stored.get("from", {}).get("id") != user.id:
            raise ValueError("only an existing message of this user can be edited")
        stored["text"] = new_text
        entities = auto_entities(new_text)
        if entities:
            stored["entities"] = entities
        else:
            stored.pop("entities", None)
        stored["edit_date"] = int(time.time())
        return self._state.push_update({"edited_message": copy.deepcopy(stored)})

    def press_button(
        self, chat: Chat, user: User, message: JSONDict, data: str, *, forged: bool = False
    ) -> str:
        """The user presses the inline button carrying ``data``; returns the callback query id.

        The button must exist on the message's *current* inline keyboard (after edits),
        unless ``forged``: a modified client can send any callback data on any message.
        """
        state = self._state
        current = state.get_message(chat.id, int(message["message_id"]))
        if current is None:
            raise ValueError(f"message {message['message_id']} does not exist in chat {chat.id}")
        rows = current.get("reply_markup", {}).get("inline_keyboard", [])
        offered = [b.get("callback_data") for row in rows for b in row]
        if data not in offered and not forged:
            raise ValueError(f"no button with callback_data {data!r}; buttons: {offered}")
        state.remember(user=user)
        query_id = str(4_000_000_000_000_000_000 + state.seq())
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(current),
            "chat_instance": str(abs(chat.id) * 7 + 1),
            "data": data,
        }
        state.callback_queries[query_id] = query
        state.push_update({"callback_query": copy.deepcopy(query)})
        return query_id

    def vote(self, user: User, message: JSONDict, option_ids: list[int]) -> JSONDict:
        """The user votes in a poll the bot sent; returns the ``poll_answer``/``poll`` update."""
        state = self._state
        stored = state.get_message(int(message["chat"]["id"]), int(message["message_id"]))
        if stored is None or "poll" not in stored:
            raise ValueError("not a poll message")
        poll = stored["poll"]
        if poll["is_closed"]:
            raise ValueError("the poll is closed")
        for option in option_ids:
            poll["options"][option]["voter_count"] += 1
        poll["total_voter_count"] += 1
        state.remember(user=user)
        update = state.push_update({"poll": copy.deepcopy(poll)})
        if poll["is_anonymous"]:
            return update
        answer = {
            "poll_id": poll["id"],
            "user": user.to_dict(),
            "option_ids": list(option_ids),
            "option_persistent_ids": [poll["options"][i]["persistent_id"] for i in option_ids],
        }
        return state.push_update({"poll_answer": answer})

    # ------------------------------------------------------------------ membership
    def bot_added(
        self, chat: Chat, by_user: User, *, status: str = "member", service_message: bool = True
    ) -> JSONDict:
        """The bot joins ``chat`` (or a private user restarts it): a ``my_chat_member`` update.

        In groups Telegram also posts a ``new_chat_members`` service message; it is injected
        too unless ``service_message`` is false.
        """
        state = self._state
        state.remember(chat, by_user)
        old = state.member_status.get((chat.id, state.bot_id))
        old = old or ("kicked" if chat.type == "private" else "left")
        state.forbidden.pop(chat.id, None)
        update = my_chat_member_update(state, chat, by_user.to_dict(), old, status)
        if chat.type != "private" and service_message:
            self._user_message(chat, by_user, new_chat_members=[dict(state.bot_user)])
        return update

    def bot_removed(self, chat: Chat, by_user: User) -> JSONDict:
        """The user blocks the bot / an admin removes it; later sends to ``chat`` answer 403."""
        state = self._state
        state.remember(chat, by_user)
        old = state.member_status.get((chat.id, state.bot_id), "member")
        new = "left" if chat.type == "group" else "kicked"
        update = my_chat_member_update(state, chat, by_user.to_dict(), old, new)
        state.forbidden[chat.id] = forbidden_description(chat, "kicked")
        return update

    def migrate_group(
        self, old_chat: Chat, new_supergroup_id: int, by_user: User | None = None
    ) -> Chat:
        """Upgrade a group to a supergroup, injecting both migration service messages."""
        if old_chat.type != "group":
            raise ValueError("only a basic group can be migrated")
        state = self._state
        actor = by_user or GROUP_ANONYMOUS_BOT
        new_chat = Chat(id=new_supergroup_id, type="supergroup", title=old_chat.title)
        self._user_message(old_chat, actor, migrate_to_chat_id=new_supergroup_id)
        state.migrated[old_chat.id] = new_supergroup_id
        for (chat_id, user_id), status in list(state.member_status.items()):
            if chat_id == old_chat.id:
                state.member_status[(new_supergroup_id, user_id)] = status
        self._user_message(new_chat, actor, migrate_from_chat_id=old_chat.id)
        return new_chat

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Status answered by getChatMember (default "member"); the bot's own id works too."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown status {status!r}; use one of {sorted(MEMBER_STATUSES)}")
        self._state.member_status[(chat_id, user_id)] = status

    # ------------------------------------------------------------------ failures
    def block_chat(self, chat_id: int) -> None:
        """Every send to ``chat_id`` answers 403 "Forbidden: bot was blocked by the user"."""
        self._state.forbidden[chat_id] = BLOCKED

    def unblock_chat(self, chat_id: int) -> None:
        self._state.forbidden.pop(chat_id, None)

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str = "Too Many Requests: retry after 1",
        parameters: JSONDict | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (optionally only for ``chat_id``)
        with an error. For 429 ``parameters`` default to ``{"retry_after": 1}``."""
        if parameters is None and error_code == 429:
            parameters = {"retry_after": 1}
        self._state.failures.append(
            FailRule(method, error_code, description, parameters, chat_id, times)
        )

    def hold(self, method: str, *, chat_id: int | str | None = None) -> Hold:
        """Carry out calls of ``method`` (only for ``chat_id`` if given) but answer them only
        after ``release()`` of the returned hold; ``hold.held``: calls waiting now. Stopping
        the server releases every hold."""
        return self._state.hold(method, chat_id)
