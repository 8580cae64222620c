"""`resident-bot kb ...`: import, list, ask and remove, called in-process.

No Telegram token is set: the knowledge-base commands must work offline. `main` runs in
this process (the subprocess start and jieba's dictionary load are paid once, not per
call); two smoke tests still run the real `python -m bot`: `--help`, and `kb ask` into a
pipe its reader closes.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from knowledge.qa.service import FAQ_SOURCE
from tests.subprocess_env import bot_env

REPO = Path(__file__).resolve().parents[3]
# Our own example policy document, shipped with the repository: nothing outside it needed.
CORPUS_FILES = [REPO / "examples" / "社区政策示例.txt"]


def cli_env(db: Path) -> dict[str, str]:
    return bot_env(db, PYTHONIOENCODING="utf-8")


@dataclass(frozen=True)
class CliResult:
    """What a run of the CLI left: as `subprocess.CompletedProcess` names it."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """`main` configures logging for the process: put the test run's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {
        name: lg.level
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, lg in logging.root.manager.loggerDict.items():
            if isinstance(lg, logging.Logger) and name in levels:
                lg.setLevel(levels[name])


def run_cli(db: Path, *args: str, stdin: str | None = None) -> CliResult:
    """`resident-bot kb *args` with the database at `db` and no Telegram settings.

    In-process, with the environment passed explicitly (so no `.env` is read and the
    process's own is untouched) and stdin/stdout/stderr swapped for strings. `main` runs
    in a thread of its own: its `asyncio.run` then never meets an event loop, whether the
    caller is a plain test or an async one.
    """
    out, err = io.StringIO(), io.StringIO()
    status: list[int] = []
    failure: list[BaseException] = []

    def call() -> None:
        try:
            status.append(main(["kb", *args], env={"RESIDENT_BOT_DB": str(db)}))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with _logging_restored(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            worker = threading.Thread(target=call, name="resident-bot-cli")
            worker.start()
            worker.join(timeout=120)
    finally:
        sys.stdin = saved_stdin
    assert not worker.is_alive(), "the CLI did not finish within 120 s"
    if failure:
        raise failure[0]
    return CliResult(status[0], out.getvalue(), err.getvalue())


def run_cli_process(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `python -m bot *args`, for the smoke tests."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=db.parent,
        env=cli_env(db),
        timeout=120,
        check=False,
    )


def ok(result: CliResult | subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def assert_answer_shape(payload: dict[str, Any], k: int) -> None:
    assert set(payload) == {"answered", "results"}
    assert isinstance(payload["answered"], bool)
    results = payload["results"]
    assert len(results) <= k
    for r in results:
        assert set(r) == {"text", "source", "score"}
        assert isinstance(r["text"], str)
        assert 0 < len(r["text"]) <= 400
        assert isinstance(r["source"], str)
        assert r["source"]
        assert isinstance(r["score"], int | float)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True), scores
    if payload["answered"]:
        assert results


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A database with the example document imported once; (path, import output)."""
    db = tmp_path_factory.mktemp("cli") / "kb.db"
    result = run_cli(db, "import", *map(str, CORPUS_FILES))
    return db, ok(result)


def test_import_prints_one_summary_per_document(corpus_db: tuple[Path, str]) -> None:
    _, output = corpus_db
    lines = output.splitlines()
    assert len(lines) == len(CORPUS_FILES)
    for i, line in enumerate(lines, 1):
        assert line.startswith(f"#{i} 《")
        assert "章节" in line
        assert "段" in line


def test_list_shows_the_imported_documents(corpus_db: tuple[Path, str]) -> None:
    db, _ = corpus_db
    lines = ok(run_cli(db, "list")).splitlines()

    assert len(lines) == len(CORPUS_FILES)
    rows = [line.split("\t") for line in lines]
    assert [r[0] for r in rows] == [f"#{i}" for i in range(1, len(CORPUS_FILES) + 1)]
    for _, title, sections, passages, imported_at in rows:
        assert title
        assert int(sections) > 0
        assert int(passages) >= int(sections)
        assert imported_at[:4].isdigit()


@pytest.mark.parametrize(
    ("question", "k"),
    [
        ("电瓶车能在楼道充电吗", 3),
        ("老旧小区改造要多少户同意", 3),
        ("灭火器壓力表指針在紅色區域怎麼辦", 1),
        ("驾照到期了怎么换证", 7),
    ],
)
def test_ask_json_prints_one_object(corpus_db: tuple[Path, str], question: str, k: int) -> None:
    db, _ = corpus_db
    stdout = ok(run_cli(db, "ask", question, "--json", "-k", str(k)))

    (payload,) = json_lines(stdout)
    assert_answer_shape(payload, k)


def test_ask_k_is_clamped_to_at_least_one(corpus_db: tuple[Path, str]) -> None:
    db, _ = corpus_db
    (payload,) = json_lines(ok(run_cli(db, "ask", "电瓶车能在楼道充电吗", "--json", "-k", "0")))
    assert_answer_shape(payload, 1)
    assert len(payload["results"]) == 1


def test_ask_stdin_docs_only_answers_each_line_in_order(corpus_db: tuple[Path, str]) -> None:
    db, _ = corpus_db
    questions = ["集中充电棚怎么收费", "asdfghjkl qwerty", "垃圾几点可以扔"]

    stdout = ok(
        run_cli(db, "ask", "-", "--json", "--docs-only", stdin="\n".join(questions) + "\n")
    )

    payloads = json_lines(stdout)
    assert len(payloads) == 3
    for question, payload in zip(questions, payloads, strict=True):
        assert_answer_shape(payload, 3)
        assert all(not r["source"].startswith(FAQ_SOURCE) for r in payload["results"])
        # Line i is the answer to question i: the same as asking it on its own.
        single = ok(run_cli(db, "ask", question, "--json", "--docs-only"))
        assert json_lines(single) == [payload]


@pytest.mark.parametrize(
    "question", ["电瓶车能在楼道充电吗", "垃圾分几类", "租房的能投票吗", "加装电梯要多少户同意"]
)
def test_docs_only_never_returns_faq(corpus_db: tuple[Path, str], question: str) -> None:
    db, _ = corpus_db
    (with_faq,) = json_lines(ok(run_cli(db, "ask", question, "--json", "-k", "10")))
    (docs_only,) = json_lines(
        ok(run_cli(db, "ask", question, "--json", "-k", "10", "--docs-only"))
    )

    # These are FAQ topics, so without the flag the FAQ does take part.
    assert any(r["source"].startswith(FAQ_SOURCE) for r in with_faq["results"])
    assert_answer_shape(docs_only, 10)
    assert all(not r["source"].startswith(FAQ_SOURCE) for r in docs_only["results"])
    assert all(r["source"].startswith("《") for r in docs_only["results"])


def test_ask_works_on_a_fresh_database_from_the_bundled_faq(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    (payload,) = json_lines(ok(run_cli(db, "ask", "电瓶车能在楼道充电吗", "--json")))

    assert_answer_shape(payload, 3)
    assert payload["answered"] is True
    assert ok(run_cli(db, "list")) == ""
    (docs_only,) = json_lines(
        ok(run_cli(db, "ask", "电瓶车能在楼道充电吗", "--json", "--docs-only"))
    )
    assert docs_only == {"answered": False, "results": []}


def test_ask_human_output_without_json(tmp_path: Path) -> None:
    stdout = ok(run_cli(tmp_path / "kb.db", "ask", "电瓶车能在楼道充电吗"))
    assert stdout.startswith("问：电瓶车能在楼道充电吗\n答：")
    assert "来源：" in stdout


def test_remove_then_list_shows_three(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    notices = []
    for i, topic in enumerate(["停水", "停电", "消防检查"], 1):
        notice = tmp_path / f"通知{i}.txt"
        notice.write_text(f"关于{topic}的通知\n本周六上午九点起{topic}，请居民提前做好准备。\n")
        notices.append(str(notice))
    ok(run_cli(db, "import", *map(str, CORPUS_FILES), *notices))
    ids = [line.split("\t")[0] for line in ok(run_cli(db, "list")).splitlines()]
    assert ids == ["#1", "#2", "#3", "#4"]

    removed = ok(run_cli(db, "remove", "2"))

    assert "#2" in removed
    ids = [line.split("\t")[0] for line in ok(run_cli(db, "list")).splitlines()]
    assert ids == ["#1", "#3", "#4"]
    again = run_cli(db, "remove", "2")
    assert again.returncode == 1
    assert "#2" in again.stderr


def test_removed_document_is_no_longer_searched(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    ok(run_cli(db, "import", str(CORPUS_FILES[0])))
    ((_, title, *_),) = [line.split("\t") for line in ok(run_cli(db, "list")).splitlines()]
    question = "集中充电棚怎么收费"
    (before,) = json_lines(ok(run_cli(db, "ask", question, "--json", "--docs-only")))
    assert any(f"《{title}》" in r["source"] for r in before["results"])

    ok(run_cli(db, "remove", "1"))

    (after,) = json_lines(ok(run_cli(db, "ask", question, "--json", "--docs-only")))
    assert after == {"answered": False, "results": []}


def test_import_of_bad_files_fails_with_status_1(tmp_path: Path) -> None:
    good = tmp_path / "通知.txt"
    good.write_text(
        "关于小区停水的通知\n本周六上午九点至十二点停水，请提前储水。\n", encoding="utf-8"
    )
    bad = tmp_path / "x.docx"
    bad.write_bytes(os.urandom(2048))
    missing = tmp_path / "missing.txt"
    db = tmp_path / "kb.db"

    result = run_cli(db, "import", str(bad), str(good), str(missing), str(tmp_path / "a.exe"))

    assert result.returncode == 1
    assert result.stderr.count("导入失败") == 3
    assert "x.docx" in result.stderr
    assert "missing.txt" in result.stderr
    # The good file in between was still imported.
    (line,) = ok(run_cli(db, "list")).splitlines()
    assert line.startswith("#1\t")
    assert "Traceback" not in result.stderr


def test_ask_stops_quietly_when_the_reader_goes_away(tmp_path: Path) -> None:
    # `resident-bot kb ask - --json < questions.txt | head -1`: the reader closes the pipe
    # after one line; the CLI must stop without a traceback.
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "kb", "ask", "-", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=cli_env(tmp_path / "kb.db"),
    ) as proc:
        assert proc.stdin
        assert proc.stdout
        assert proc.stderr
        proc.stdin.write("电瓶车能在楼道充电吗\n".encode() * 1000)
        proc.stdin.close()
        first = json.loads(proc.stdout.readline())
        proc.stdout.close()
        stderr = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    assert first["answered"] is True
    assert "Traceback" not in stderr
    assert code == 1


# --- the real command, as a user runs it --------------------------------------------------


def test_smoke_help_runs_as_a_real_process(tmp_path: Path) -> None:
    result = run_cli_process(tmp_path / "kb.db", "--help")

    stdout = ok(result)
    assert stdout.startswith("usage: resident-bot")
    for command in ("run", "start", "console", "db", "kb"):
        assert command in stdout
    assert not (tmp_path / "kb.db").exists()


def test_the_resident_bot_script_is_the_cli_main() -> None:
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert scripts["resident-bot"] == "bot.cli:main"
    assert main(["--help"]) == 0
