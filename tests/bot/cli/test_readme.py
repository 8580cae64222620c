"""Every CLI command is documented in the README, and the README's commands exist."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: str = "resident-bot") -> list[str]:
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(_commands(sub, f"{prefix} {name}"))
    return found


def test_every_cli_command_is_in_the_readme() -> None:
    commands = _commands(build_parser())
    assert "resident-bot kb ask" in commands
    missing = [c for c in commands if c not in README]
    assert not missing, f"undocumented commands: {missing}"


def test_quick_start_scripts_exist_and_are_executable() -> None:
    for script in ("scripts/start", "scripts/test", "scripts/setup", ".ci/run"):
        path = ROOT / script
        assert path.is_file(), script
        assert path.stat().st_mode & 0o111, f"{script} is not executable"
        assert script in README or script in {"scripts/setup", ".ci/run"}


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./scripts/test" in ci
    assert "./scripts/test" in README
