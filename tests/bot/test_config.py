"""Configuration: validation names every problem at once, defaults, the secret token, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import (
    DEFAULT_API_URL,
    DEFAULT_DB,
    ConfigError,
    Secret,
    derive_file_url,
    load_settings,
)
from tests.subprocess_env import bot_env

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:AAH-secret_token-value"


def test_every_bad_value_is_named_at_once() -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "not-a-token",
        "TELEGRAM_API_URL": "ftp://api.example.org/bot",
        "RESIDENT_BOT_STAFF": "900, alice ,901",
        "RESIDENT_BOT_STAFF_CHAT": "staff-chat",
        "RESIDENT_BOT_TZ": "Mars/Olympus_Mons",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(env, dotenv=None)
    message = str(caught.value)
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "RESIDENT_BOT_STAFF:",
        "RESIDENT_BOT_STAFF_CHAT",
        "RESIDENT_BOT_TZ",
    ):
        assert name in message, name
    # The offending values are quoted so the operator can find them...
    for value in ("ftp://api.example.org/bot", "'alice'", "'staff-chat'", "Mars/Olympus_Mons"):
        assert value in message, value
    # ...but a (malformed) token is never echoed back.
    assert "not-a-token" not in message
    assert message.startswith("配置错误 / Configuration error:")
    problems = caught.value.problems
    assert len(problems) >= 5
    assert all(p.strip() for p in problems)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "123456"),
        ("TELEGRAM_BOT_TOKEN", "abc:DEF"),
        ("TELEGRAM_BOT_TOKEN", "123456:has space"),
        ("TELEGRAM_FILE_URL", "file:///tmp/bot"),
        ("RESIDENT_BOT_STAFF", "-900"),
        ("RESIDENT_BOT_STAFF", "9oo"),
        ("RESIDENT_BOT_STAFF_CHAT", "-100abc"),
        ("RESIDENT_BOT_STAFF_CHAT", "1.5"),
        ("RESIDENT_BOT_TZ", "Asia/Beijing"),
        ("RESIDENT_BOT_TZ", "../../etc/passwd"),
        ("RESIDENT_BOT_TZ", "Asia"),
        ("RESIDENT_BOT_COMMUNITY", "社" * 61),
        ("RESIDENT_BOT_SEMANTIC", "maybe"),
    ],
)
def test_one_bad_value_is_a_config_error(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({key: value}, dotenv=None)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(key)


@pytest.mark.parametrize("api_url", ["api.telegram.org/bot", "http://"])
def test_bad_api_url_is_reported_once(api_url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"TELEGRAM_API_URL": api_url}, dotenv=None)
    assert [p.split(":")[0] for p in caught.value.problems] == ["TELEGRAM_API_URL"]


def test_defaults() -> None:
    settings = load_settings({}, dotenv=None)
    assert settings.token is None
    assert settings.api_url == DEFAULT_API_URL == "https://api.telegram.org/bot"
    assert settings.file_url == "https://api.telegram.org/file/bot"
    assert settings.db_path == DEFAULT_DB == "data/resident-bot.db"
    assert settings.tz_name == "Asia/Shanghai"
    assert settings.admin_ids == frozenset()
    assert settings.staff_chat_id is None
    assert settings.community == "本社区"
    assert settings.semantic is True


@pytest.mark.parametrize(
    ("value", "on"), [("off", False), (" OFF ", False), ("0", False), ("on", True), ("", True)]
)
def test_the_semantic_stage_is_switched_by_setting(value: str, on: bool) -> None:
    assert load_settings({"RESIDENT_BOT_SEMANTIC": value}, dotenv=None).semantic is on


def test_values_are_parsed_and_trimmed() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": f"  {TOKEN}\n",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
            "RESIDENT_BOT_DB": "/var/lib/bot/bot.db",
            "RESIDENT_BOT_STAFF": " 900 ,901,, ",
            "RESIDENT_BOT_STAFF_CHAT": "-1009999999999",
            "RESIDENT_BOT_TZ": "Asia/Urumqi",
            "RESIDENT_BOT_COMMUNITY": " 幸福里社区 ",
        },
        dotenv=None,
    )
    assert settings.token == Secret(TOKEN)
    assert settings.token is not None
    assert settings.token.get() == TOKEN
    assert settings.file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.db_path == "/var/lib/bot/bot.db"
    assert settings.admin_ids == frozenset({900, 901})
    assert settings.staff_chat_id == -1009999999999
    assert settings.tz_name == "Asia/Urumqi"
    assert settings.community == "幸福里社区"


def test_explicit_file_url_wins() -> None:
    settings = load_settings(
        {"TELEGRAM_API_URL": "http://a:1/bot", "TELEGRAM_FILE_URL": "http://b:2/files/bot"},
        dotenv=None,
    )
    assert settings.file_url == "http://b:2/files/bot"


@pytest.mark.parametrize(
    ("api_url", "file_url"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("https://api.telegram.org/bot/", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://proxy.local/tg/bot", "http://proxy.local/tg/file/bot"),
    ],
)
def test_file_url_is_derived_from_the_api_url(api_url: str, file_url: str) -> None:
    assert derive_file_url(api_url) == file_url


def test_token_never_shows_in_repr_or_str() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, dotenv=None)
    secret_part = TOKEN.split(":")[1]
    for text in (repr(settings), str(settings), f"{settings}", repr(settings.token),
                 str(settings.token), f"{settings.token!s}"):  # fmt: skip
        assert TOKEN not in text
        assert secret_part not in text
    assert "********" in repr(settings)


def test_dotenv_is_read_when_no_env_mapping_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "RESIDENT_BOT_")):
            monkeypatch.delenv(key)
    dotenv = tmp_path / ".env"
    dotenv.write_text("RESIDENT_BOT_COMMUNITY=阳光花园\nRESIDENT_BOT_STAFF=42\n", encoding="utf-8")
    monkeypatch.setenv("RESIDENT_BOT_STAFF", "7")  # the real environment wins over .env
    try:
        settings = load_settings(dotenv=dotenv)
    finally:
        # load_dotenv writes into os.environ; monkeypatch only undoes what it set itself.
        os.environ.pop("RESIDENT_BOT_COMMUNITY", None)
    assert settings.community == "阳光花园"
    assert settings.admin_ids == frozenset({7})


def _clean_env(tmp_path: Path) -> dict[str, str]:
    return bot_env(tmp_path / "bot.db")


def test_run_without_token_exits_2_and_points_to_the_console(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "console" in done.stderr
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
    assert done.stdout == ""


def test_run_with_bad_config_exits_2_listing_the_problems(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    env["TELEGRAM_BOT_TOKEN"] = "oops"
    env["RESIDENT_BOT_TZ"] = "Nowhere/Land"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
    assert "RESIDENT_BOT_TZ" in done.stderr
    assert "Traceback" not in done.stderr


def test_log_filter_redacts_the_token_from_messages_and_tracebacks() -> None:
    import logging

    from bot.logsetup import RedactToken

    try:
        raise RuntimeError(f"POST http://127.0.0.1/bot{TOKEN}/sendMessage failed")
    except RuntimeError as exc:
        error = exc
    record = logging.LogRecord(
        "telegram.ext.Updater", logging.ERROR, __file__, 1,
        "request to %s failed", (f"/bot{TOKEN}/getUpdates",), (type(error), error, None),
    )  # fmt: skip
    assert RedactToken(TOKEN).filter(record) is True
    text = logging.Formatter().format(record)
    assert TOKEN not in text
    assert "/bot<token>/getUpdates" in text
    assert "/bot<token>/sendMessage" in text


def test_staff_categories_file_is_checked_at_start_and_used(tmp_path: Path) -> None:
    from knowledge.tickets.categories import load_catalog

    extra = tmp_path / "categories.json"
    extra.write_text(
        '{"categories": [{"key": "pets", "label": "宠物扰民", "keywords": ["狗叫", "猫"]}]}',
        encoding="utf-8",
    )
    base = {"TELEGRAM_BOT_TOKEN": "123:abc", "RESIDENT_BOT_DB": str(tmp_path / "b.db")}
    settings = load_settings({**base, "RESIDENT_BOT_CATEGORIES_FILE": str(extra)}, dotenv=None)
    assert settings.categories_file == str(extra)
    labels = [c.label for c in load_catalog(settings.categories_file).categories]
    assert "宠物扰民" in labels
    assert "油烟" in labels  # merged over the bundled ones

    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    for bad in (str(broken), str(tmp_path / "missing.json")):
        with pytest.raises(ConfigError, match="RESIDENT_BOT_CATEGORIES_FILE"):
            load_settings({**base, "RESIDENT_BOT_CATEGORIES_FILE": bad}, dotenv=None)
