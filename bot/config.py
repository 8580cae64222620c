"""Configuration from environment variables (and an optional `.env`), validated at start."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from knowledge.notices.schedules import DEFAULT_QUIET_HOURS, ScheduleError, parse_quiet_hours
from knowledge.qa.semantic import ENV as SEMANTIC_ENV
from knowledge.qa.semantic import switch
from knowledge.tickets.categories import ENV_VAR as CATEGORIES_ENV
from knowledge.tickets.categories import CatalogError, load_catalog

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_DB = "data/resident-bot.db"
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")


class Secret:
    """A string that never shows itself in repr(), str() or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class ConfigError(Exception):
    """Every bad or missing setting, in one bilingual message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"配置错误 / Configuration error:\n{lines}")


@dataclass(frozen=True)
class Settings:
    token: Secret | None
    api_url: str
    file_url: str
    db_path: str
    admin_ids: frozenset[int]
    staff_chat_id: int | None
    timezone: ZoneInfo
    community: str
    extra: Mapping[str, str] = field(default_factory=dict)
    # Messages per second overall (RESIDENT_BOT_SEND_RATE); above Telegram's 30 only for a
    # bot that pays for broadcasts (RESIDENT_BOT_ALLOW_PAID_BROADCAST=1), up to 1000.
    send_rate: int = 30
    allow_paid_broadcast: bool = False
    # Non-urgent reminders falling in this local window wait for its end
    # (RESIDENT_BOT_QUIET_HOURS, "HH:MM-HH:MM"; "" for none).
    quiet_hours: str = DEFAULT_QUIET_HOURS
    # Staff's own complaint categories merged over the bundled ones (RESIDENT_BOT_CATEGORIES_FILE).
    categories_file: str | None = None
    # The knowledge base's semantic second stage (RESIDENT_BOT_SEMANTIC=off: keyword only).
    semantic: bool = True

    @property
    def tz_name(self) -> str:
        return self.timezone.key


def derive_file_url(api_url: str) -> str:
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def load_settings(
    env: Mapping[str, str] | None = None, *, dotenv: Path | None = Path(".env")
) -> Settings:
    """Read and validate settings; raise ConfigError naming every problem at once."""
    if env is None:
        if dotenv is not None and dotenv.is_file():
            from dotenv import load_dotenv

            load_dotenv(dotenv, override=False)
        env = os.environ
    problems: list[str] = []

    raw_token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    token: Secret | None = None
    if raw_token:
        if _TOKEN.match(raw_token):
            token = Secret(raw_token)
        else:
            problems.append(
                "TELEGRAM_BOT_TOKEN: 格式不对，应形如 123456:ABC-def"
                " / malformed, expected something like 123456:ABC-def"
            )

    api_url = env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
    if not re.match(r"^https?://[^/\s]+", api_url):
        problems.append(
            f"TELEGRAM_API_URL: 必须以 http:// 或 https:// 开头 / must be an http(s) URL"
            f" (got {api_url!r})"
        )
    explicit_file_url = env.get("TELEGRAM_FILE_URL", "").strip()
    file_url = explicit_file_url or derive_file_url(api_url)
    # A derived file URL is only as good as the API URL, which is reported already.
    if explicit_file_url and not re.match(r"^https?://[^/\s]+", file_url):
        problems.append(
            f"TELEGRAM_FILE_URL: 必须以 http:// 或 https:// 开头 / must be an http(s) URL"
            f" (got {file_url!r})"
        )

    db_path = env.get("RESIDENT_BOT_DB", "").strip() or DEFAULT_DB

    admin_ids: set[int] = set()
    for part in env.get("RESIDENT_BOT_STAFF", "").split(","):
        part = part.strip()
        if not part:
            continue
        if re.fullmatch(r"\d{1,20}", part):
            admin_ids.add(int(part))
        else:
            problems.append(
                f"RESIDENT_BOT_STAFF: {part!r} 不是 Telegram 用户数字 ID"
                " / is not a numeric Telegram user id"
            )

    staff_chat_id: int | None = None
    raw_chat = env.get("RESIDENT_BOT_STAFF_CHAT", "").strip()
    if raw_chat:
        if re.fullmatch(r"-?\d{1,20}", raw_chat):
            staff_chat_id = int(raw_chat)
        else:
            problems.append(
                f"RESIDENT_BOT_STAFF_CHAT: {raw_chat!r} 不是群聊数字 ID / is not a numeric chat id"
            )

    tz_name = env.get("RESIDENT_BOT_TZ", "").strip() or "Asia/Shanghai"
    timezone = ZoneInfo("Asia/Shanghai")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"RESIDENT_BOT_TZ: 未知时区 / unknown time zone {tz_name!r}")

    community = env.get("RESIDENT_BOT_COMMUNITY", "").strip() or "本社区"
    if len(community) > 60:
        problems.append(
            "RESIDENT_BOT_COMMUNITY: 名称过长（最多 60 字）/ longer than 60 characters"
        )

    paid = env.get("RESIDENT_BOT_ALLOW_PAID_BROADCAST", "").strip().lower() in {"1", "true", "yes"}
    send_rate = 30
    raw_rate = env.get("RESIDENT_BOT_SEND_RATE", "").strip()
    if raw_rate:
        ceiling = 1000 if paid else 30
        if re.fullmatch(r"\d{1,4}", raw_rate) and 1 <= int(raw_rate) <= ceiling:
            send_rate = int(raw_rate)
        else:
            problems.append(
                f"RESIDENT_BOT_SEND_RATE: 应为 1–{ceiling} 的整数（超过 30 需设置"
                f" RESIDENT_BOT_ALLOW_PAID_BROADCAST=1）/ must be an integer 1–{ceiling}"
                f" (above 30 needs paid broadcasts) (got {raw_rate!r})"
            )

    quiet_hours = env.get("RESIDENT_BOT_QUIET_HOURS", DEFAULT_QUIET_HOURS).strip()
    try:
        parse_quiet_hours(quiet_hours)
    except ScheduleError:
        problems.append(
            "RESIDENT_BOT_QUIET_HOURS: 应为 HH:MM-HH:MM（如 22:00-07:00），留空表示不设"
            f" / expected HH:MM-HH:MM, empty for none (got {quiet_hours!r})"
        )

    categories_file = env.get(CATEGORIES_ENV, "").strip() or None
    if categories_file is not None:
        try:
            load_catalog(categories_file)
        except (CatalogError, OSError, ValueError) as exc:
            problems.append(f"{CATEGORIES_ENV}: {exc}")

    semantic_raw = env.get(SEMANTIC_ENV, "")
    semantic = switch(semantic_raw)
    if semantic is None:
        problems.append(
            f"{SEMANTIC_ENV}: 应为 on 或 off / expected on or off (got {semantic_raw.strip()!r})"
        )

    if problems:
        raise ConfigError(problems)
    return Settings(
        token=token,
        api_url=api_url,
        file_url=file_url,
        db_path=db_path,
        admin_ids=frozenset(admin_ids),
        staff_chat_id=staff_chat_id,
        timezone=timezone,
        community=community,
        send_rate=send_rate,
        allow_paid_broadcast=paid,
        quiet_hours=quiet_hours,
        categories_file=categories_file,
        semantic=semantic is not False,
    )
