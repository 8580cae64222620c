"""`resident-bot reminders ...` in-process, on a real database."""

from __future__ import annotations

import io
import threading
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from bot.cli import main


def run(db: Path, *args: str) -> tuple[int, str, str]:
    """Like tests/unit/test_cli_kb.py's run_cli, for the `reminders` group: in a thread of
    its own so `asyncio.run` never meets the test's loop."""
    out, err = io.StringIO(), io.StringIO()
    status: list[int] = []

    def call() -> None:
        with redirect_stdout(out), redirect_stderr(err):
            status.append(main(["reminders", *args], env={"RESIDENT_BOT_DB": str(db)}))

    worker = threading.Thread(target=call)
    worker.start()
    worker.join()
    return status[0], out.getvalue(), err.getvalue()


def test_add_list_pause_resume_delete(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    code, out, err = run(
        db, "add", "--text", "投放提醒", "--daily", "07:30", "--topic", "垃圾分类"
    )
    assert code == 0, err
    assert out.startswith("1\tnext ")
    assert out.strip().endswith("07:30")
    code, out, _ = run(
        db,
        "add",
        "--text",
        "灭火器",
        "--weekly",
        "MON,THU@19:00",
        "--target",
        "community:幸福小区",
    )
    assert code == 0
    code, out, _ = run(db, "list")
    assert "#1\tenabled\tdaily 07:30" in out
    assert "#2\tenabled\tweekly MON,THU@19:00" in out
    assert "community:幸福小区" in out
    assert run(db, "pause", "1")[0] == 0
    assert "#1\tpaused" in run(db, "list")[1]
    assert run(db, "resume", "1")[0] == 0
    assert run(db, "delete", "2")[0] == 0
    assert "#2" not in run(db, "list")[1]
    assert run(db, "pause", "9")[0] == 1


def test_bad_input_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    assert run(db, "add", "--text", "x", "--daily", "25:00")[0] == 2
    assert run(db, "add", "--text", "x", "--once", "2000-01-01 08:00")[0] == 2
    assert run(db, "add", "--text", "x", "--cron", "0 8 * *")[0] == 2
    assert run(db, "add", "--text", "x", "--daily", "07:00", "--target", "nowhere")[0] == 2
    assert run(db, "add", "--text", "x")[0] != 0  # one schedule option is required
    code, _, _ = run(db, "add", "--text", "x", "--cron", "0 8 * * 0", "--once", "2030-01-01 08:00")
    assert code != 0
