"""Identities and builders for Telegram Bot API JSON objects.

Every builder returns plain ``dict`` objects shaped exactly like the real Bot API answers, with
all the fields python-telegram-bot 22.x requires in its ``de_json`` (e.g. ``Poll.allows_revoting``
and ``members_only``, ``PollOption.persistent_id``, ``ChatFullInfo.accepted_gift_types``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

JSONDict = dict[str, Any]

CHAT_TYPES = frozenset({"private", "group", "supergroup", "channel"})
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})

_RESTRICTED_FLAGS = (
    "can_change_info", "can_invite_users", "can_pin_messages", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_manage_topics",
    "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
    "can_send_video_notes", "can_send_voice_notes", "can_edit_tag", "can_react_to_messages",
)  # fmt: skip
_COMMAND_RE = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}")


def now() -> int:
    """Current unix time as Telegram sends it (integer seconds)."""
    return int(time.time())


def _drop_none(values: JSONDict) -> JSONDict:
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class User:
    """A Telegram user (a resident in tests)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_dict(self) -> JSONDict:
        return _drop_none(
            {
                "id": self.id,
                "is_bot": self.is_bot,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )


@dataclass(frozen=True)
class Chat:
    """A Telegram chat: ``private`` (id == user id), ``group`` or ``supergroup`` (negative id)."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def __post_init__(self) -> None:
        if self.type not in CHAT_TYPES:
            raise ValueError(f"unknown chat type {self.type!r}")

    def to_dict(self) -> JSONDict:
        return _drop_none(
            {
                "id": self.id,
                "type": self.type,
                "title": self.title,
                "username": self.username,
                "first_name": self.first_name,
                "last_name": self.last_name,
            }
        )


def chat_from_dict(data: JSONDict) -> Chat:
    return Chat(
        id=int(data["id"]),
        type=str(data["type"]),
        title=data.get("title"),
        username=data.get("username"),
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
    )


def private_chat(user: User) -> Chat:
    return Chat(
        id=user.id,
        type="private",
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
    )


def bot_user_dict(token: str, username: str, first_name: str) -> JSONDict:
    """The ``User`` answered by getMe; the id is the numeric token prefix like real Telegram."""
    prefix = token.split(":", 1)[0]
    if not prefix.isdigit():
        raise ValueError(f"token must look like '123456:ABC', got {token!r}")
    return {
        "id": int(prefix),
        "is_bot": True,
        "first_name": first_name,
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def auto_entities(text: str) -> list[JSONDict]:
    """``bot_command`` and ``mention`` entities the Telegram client would attach to ``text``."""
    found: list[tuple[int, int, str]] = []
    for match in _COMMAND_RE.finditer(text):
        found.append((match.start(), match.end(), "bot_command"))
    for match in _MENTION_RE.finditer(text):
        if not any(start <= match.start() < end for start, end, _ in found):
            found.append((match.start(), match.end(), "mention"))
    found.sort()
    return [
        {
            "type": kind,
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
        }
        for start, end, kind in found
    ]


def chat_full_info(chat: JSONDict) -> JSONDict:
    """``ChatFullInfo`` as answered by getChat (22.x requires the last three fields)."""
    info = dict(chat)
    info.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
    )
    return info


def chat_member(user: JSONDict, status: str) -> JSONDict:
    """A ``ChatMember`` of the given status with every field its subclass requires."""
    if status not in MEMBER_STATUSES:
        raise ValueError(f"unknown member status {status!r}")
    member: JSONDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        )
    elif status == "restricted":
        member.update(dict.fromkeys(_RESTRICTED_FLAGS, False))
        member.update({"is_member": True, "can_send_messages": True, "until_date": 0})
    elif status == "kicked":
        member["until_date"] = 0
    return member


def document_object(
    file_id: str, unique_id: str, filename: str, mime_type: str, size: int
) -> JSONDict:
    return {
        "file_id": file_id,
        "file_unique_id": unique_id,
        "file_name": filename,
        "mime_type": mime_type,
        "file_size": size,
    }


def photo_sizes(file_id: str, unique_id: str, size: int) -> list[JSONDict]:
    """A photo as Telegram sends it: a thumbnail plus the full size (the last one is largest)."""
    return [
        {
            "file_id": f"{file_id}-thumb",
            "file_unique_id": f"{unique_id}-t",
            "width": 90,
            "height": 90,
            "file_size": min(size, 1024),
        },
        {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "width": 800,
            "height": 800,
            "file_size": size,
        },
    ]


def sticker_object(file_id: str, unique_id: str, emoji: str) -> JSONDict:
    return {
        "file_id": file_id,
        "file_unique_id": unique_id,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
        "file_size": 1024,
    }


def poll_object(poll_id: str, params: JSONDict) -> JSONDict:
    """A ``Poll`` built from sendPoll parameters (options may be strings or InputPollOption)."""
    options: list[JSONDict] = []
    for index, option in enumerate(params.get("options") or []):
        text = option.get("text", "") if isinstance(option, dict) else str(option)
        options.append({"text": text, "voter_count": 0, "persistent_id": f"{poll_id}-{index}"})
    poll: JSONDict = {
        "id": poll_id,
        "question": str(params.get("question", "")),
        "options": options,
        "total_voter_count": 0,
        "is_closed": bool(params.get("is_closed", False)),
        "is_anonymous": bool(params.get("is_anonymous", True)),
        "type": str(params.get("type") or "regular"),
        "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
        "allows_revoting": bool(params.get("allows_revoting", False)),
        "members_only": bool(params.get("members_only", False)),
    }
    # Bot API 9.6 replaced correct_option_id by correct_option_ids; answering the old field
    # would make PTB 22.8 emit a PTBDeprecationWarning while deserialising.
    correct = params.get("correct_option_ids")
    if correct is None and params.get("correct_option_id") is not None:
        correct = [params["correct_option_id"]]
    if correct is not None:
        poll["correct_option_ids"] = list(correct)
    for key in ("explanation", "open_period", "close_date", "description"):
        if params.get(key) is not None:
            poll[key] = params[key]
    return poll
