"""In-memory state of the fake Bot API server: updates, messages, files, members, calls."""

from __future__ import annotations

import copy
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from bot.local_api.objects import Chat, JSONDict, User, bot_user_dict, chat_member
from bot.local_api.records import (
    ApiError,
    Call,
    FailRule,
    Notifier,
    StoredFile,
    bad_request,
)

# Update types Telegram delivers when allowed_updates was never set (or set to []).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Hold:
    """Holds back the answers to calls of ``method`` (optionally only for ``chat_id``): each
    call is carried out (a message stored, visible to inspection) but answered only after
    :meth:`release`. For races between a handler awaiting a method and other updates."""

    def __init__(self, method: str, chat_id: int | str | None, notify: Notifier) -> None:
        self.method = method
        self.chat_id = chat_id
        self.released = False
        self.held = 0  # calls carried out and waiting for their answer now
        self.total = 0  # calls held so far
        self._calls_changed = notify
        self._released = Notifier()

    def matches(self, method: str, params: JSONDict) -> bool:
        if self.released or self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def release(self) -> None:
        """Answer the held calls now; later calls are no longer held."""
        self.released = True
        self._released.notify()

    async def wait(self) -> None:
        """Called by the server with the call carried out; returns once released."""
        self.held += 1
        self.total += 1
        self._calls_changed.notify()  # wakes inspection waiters: the message now exists
        try:
            while not self.released:
                await self._released.wait(3600)
        finally:
            self.held -= 1


@dataclass
class ApiState:
    token: str
    bot_username: str
    bot_first_name: str
    strict_chats: bool = False
    bot_user: JSONDict = field(init=False)
    users: dict[int, User] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    pending_updates: list[JSONDict] = field(default_factory=list)
    allowed_updates: list[str] | None = None
    messages: dict[tuple[int, int], JSONDict] = field(default_factory=dict)
    bot_sent: list[tuple[int, int]] = field(default_factory=list)
    deleted: set[tuple[int, int]] = field(default_factory=set)
    files: dict[str, StoredFile] = field(default_factory=dict)
    polls: dict[str, tuple[int, int]] = field(default_factory=dict)
    callback_queries: dict[str, JSONDict] = field(default_factory=dict)
    member_status: dict[tuple[int, int], str] = field(default_factory=dict)
    forbidden: dict[int, str] = field(default_factory=dict)
    migrated: dict[int, int] = field(default_factory=dict)
    pinned: dict[int, list[int]] = field(default_factory=dict)
    failures: list[FailRule] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    commands: dict[str, list[JSONDict]] = field(default_factory=dict)
    menu_buttons: dict[str, JSONDict] = field(default_factory=dict)
    webhook_url: str = ""
    closing: bool = False
    updates_changed: Notifier = field(default_factory=Notifier)
    calls_changed: Notifier = field(default_factory=Notifier)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bot_user = bot_user_dict(self.token, self.bot_username, self.bot_first_name)

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def seq(self) -> int:
        """A process-wide increasing number for ids (files, polls, callback queries)."""
        return next(self._seq)

    # ----------------------------------------------------------------- updates
    def push_update(self, payload: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), **payload}
        self.pending_updates.append(update)
        self.updates_changed.notify()
        return update

    def confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self.pending_updates = self.pending_updates[offset:]
        else:
            self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]

    def deliverable(self, limit: int) -> list[JSONDict]:
        """Pending updates of allowed types (others are dropped like Telegram never sent them)."""
        kept = [u for u in self.pending_updates if self._allowed(u)]
        self.pending_updates = kept
        return copy.deepcopy(kept[:limit])

    def _allowed(self, update: JSONDict) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    # ----------------------------------------------------------------- chats & users
    def remember(self, chat: Chat | None = None, user: User | None = None) -> None:
        if chat is not None:
            self.chats[chat.id] = chat
        if user is not None:
            self.users[user.id] = user

    def user_dict(self, user_id: int) -> JSONDict:
        if user_id == self.bot_id:
            return dict(self.bot_user)
        user = self.users.get(user_id)
        return user.to_dict() if user else User(id=user_id, first_name=f"User {user_id}").to_dict()

    def resolve_chat(self, chat_id: Any) -> Chat:
        """The chat a method addresses; unknown ids are synthesised unless ``strict_chats``."""
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if isinstance(chat_id, str):
            for chat in self.chats.values():
                if chat.username and f"@{chat.username}".lower() == chat_id.lower():
                    return chat
            raise bad_request("chat not found")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise bad_request("chat_id is empty")
        known = self.chats.get(chat_id)
        if known is not None:
            return known
        if self.strict_chats or chat_id == 0:
            raise bad_request("chat not found")
        if chat_id > 0:
            user = self.users.get(chat_id, User(id=chat_id, first_name=f"User {chat_id}"))
            return Chat(id=chat_id, type="private", first_name=user.first_name)
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return Chat(id=chat_id, type=kind, title=f"Chat {chat_id}")

    def writable_chat(self, chat_id: Any) -> Chat:
        """Like :meth:`resolve_chat` but answers 400 for migrated and 403 for blocked chats."""
        chat = self.resolve_chat(chat_id)
        if chat.id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat.id]},
            )
        if chat.id in self.forbidden:
            raise ApiError(403, self.forbidden[chat.id])
        return chat

    def member(self, chat_id: int, user_id: int) -> JSONDict:
        chat = self.chats.get(chat_id)
        default = "member"
        if chat is not None and chat.type == "private" and user_id not in (chat_id, self.bot_id):
            default = "left"
        status = self.member_status.get((chat_id, user_id), default)
        return chat_member(self.user_dict(user_id), status)

    # ----------------------------------------------------------------- messages
    def next_message_id(self, chat_id: int) -> int:
        value = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = value
        return value

    def store_message(self, message: JSONDict, *, by_bot: bool) -> JSONDict:
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        self.messages[key] = message
        if by_bot:
            self.bot_sent.append(key)
        return message

    def get_message(self, chat_id: int, message_id: int) -> JSONDict | None:
        key = (chat_id, message_id)
        if key in self.deleted:
            return None
        return self.messages.get(key)

    def snapshot(self, key: tuple[int, int]) -> JSONDict:
        return copy.deepcopy(self.messages[key])

    def as_reply_target(self, message: JSONDict) -> JSONDict:
        """The ``reply_to_message`` copy of a message (Telegram does not nest replies)."""
        stored = self.get_message(int(message["chat"]["id"]), int(message["message_id"]))
        target = copy.deepcopy(stored if stored is not None else message)
        target.pop("reply_to_message", None)
        return target

    def new_message(self, chat: Chat, sender: JSONDict, **content: Any) -> JSONDict:
        message: JSONDict = {
            "message_id": self.next_message_id(chat.id),
            "from": sender,
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        message.update({key: value for key, value in content.items() if value is not None})
        return message

    # ----------------------------------------------------------------- files
    def register_file(
        self, data: bytes, filename: str, mime_type: str, folder: str = "documents"
    ) -> StoredFile:
        number = self.seq()
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        stored = StoredFile(
            file_id=f"BQACAgUAAxkBAAI{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}.{suffix}",
            data=data,
            filename=filename,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == path), None)

    # ----------------------------------------------------------------- calls & failures
    def record(self, method: str, params: JSONDict, result: Any, error: JSONDict | None) -> Call:
        call = Call(
            method=method,
            params=params,
            result=copy.deepcopy(result),
            error=error,
            at=time.time(),
            index=len(self.calls),
        )
        self.calls.append(call)
        self.calls_changed.notify()
        return call

    def take_failure(self, method: str, params: JSONDict) -> ApiError | None:
        for rule in self.failures:
            if rule.method.lower() != method.lower():
                continue
            if rule.chat_id is not None and str(params.get("chat_id")) != str(rule.chat_id):
                continue
            rule.times -= 1
            if rule.times <= 0:
                self.failures.remove(rule)
            return ApiError(rule.error_code, rule.description, rule.parameters)
        return None

    def hold(self, method: str, chat_id: int | str | None = None) -> Hold:
        hold = Hold(method, chat_id, self.calls_changed)
        self.holds.append(hold)
        return hold

    def take_hold(self, method: str, params: JSONDict) -> Hold | None:
        """The active hold on this call, if any (released holds are forgotten)."""
        self.holds = [hold for hold in self.holds if not hold.released]
        return next((hold for hold in self.holds if hold.matches(method, params)), None)

    def release_holds(self) -> None:
        for hold in self.holds:
            hold.release()
        self.holds.clear()
