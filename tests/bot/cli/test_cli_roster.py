"""`resident-bot roster import|export`, called in-process (helpers from test_cli_kb)."""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from pathlib import Path

from openpyxl import load_workbook

from bot.cli import main
from tests.bot.cli.test_cli_kb import CliResult, _logging_restored, ok

GOOD = (
    "小区,楼栋,单元,房号,面积,业主,电话\n"
    "幸福小区,3号楼,1单元,101室,85.5,张三,13800000001\n"
    "幸福小区,3号楼,1单元,102室,90,李四,\n"
)


def run_roster(db: Path, *args: str) -> CliResult:
    """`resident-bot roster *args`, as test_cli_kb.run_cli runs `kb`."""
    out, err = io.StringIO(), io.StringIO()
    status: list[int] = []
    failure: list[BaseException] = []

    def call() -> None:
        try:
            status.append(main(["roster", *args], env={"RESIDENT_BOT_DB": str(db)}))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    with _logging_restored(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        worker = threading.Thread(target=call, name="resident-bot-cli")
        worker.start()
        worker.join(timeout=120)
    assert not worker.is_alive(), "the CLI did not finish within 120 s"
    if failure:
        raise failure[0]
    return CliResult(status[0], out.getvalue(), err.getvalue())


def test_bad_area_exits_non_zero_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        (GOOD + "幸福小区,3,1,103,abc,王五,\n幸福小区,3,1,104,-1,赵六,\n").encode("gbk")
    )
    result = run_roster(db, "import", str(bad))
    assert result.returncode == 1
    assert '第4行 面积: "abc" 不是数字' in result.stderr
    assert '第5行 面积: "-1" 必须大于 0' in result.stderr
    assert "未写入" in result.stderr
    exported = ok(run_roster(db, "export"))
    assert exported.lstrip("\ufeff").splitlines() == [
        "小区,楼栋,单元,房号,面积,业主,电话,业主编号,未售,已绑定账号数"
    ]
    assert "张三" not in exported


def test_import_dry_run_export_and_reimport(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode("utf-8-sig"))
    assert "新增 2" in ok(run_roster(db, "import", str(good), "--dry-run"))
    assert ok(run_roster(db, "export")).count("\n") == 1
    assert ok(run_roster(db, "import", str(good))).strip() == "导入完成：新增 2，修改 0，未变 0"
    exported = ok(run_roster(db, "export"))
    assert "幸福小区,3,1,101,85.50,张三,138****0001,,,0" in exported
    assert "13800000001" in ok(run_roster(db, "export", "--with-contact"))
    again = tmp_path / "again.csv"
    again.write_text(exported, encoding="utf-8")
    out = ok(run_roster(db, "import", str(again), "--replace"))
    assert out.strip() == "导入完成：新增 0，修改 0，未变 2，删除 0"


def test_community_option_and_xlsx_export(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    src = tmp_path / "rooms.csv"
    src.write_text("楼栋,房号,面积\n1,101,50\n", encoding="utf-8")
    assert run_roster(db, "import", str(src)).returncode == 1
    ok(run_roster(db, "import", str(src), "--community", "阳光小区"))
    target = tmp_path / "名册.xlsx"
    result = run_roster(db, "export", "-o", str(target))
    assert result.returncode == 0, result.stderr
    book = load_workbook(target, read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()  # read-only workbooks keep their file open until closed
    assert rows[1][:5] == ["阳光小区", "1", None, "101", "50.00"]
    assert run_roster(db, "export", "-o", str(tmp_path / "x.txt")).returncode == 2


def test_missing_file(tmp_path: Path) -> None:
    result = run_roster(tmp_path / "t.db", "import", str(tmp_path / "none.csv"))
    assert result.returncode == 1
    assert "无法读取文件" in result.stderr
    assert sys.stdin is not None
