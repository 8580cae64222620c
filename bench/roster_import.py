"""Importing a 20,000-household roster (.xlsx): seconds and peak memory, beside a baseline.

    python bench/roster_import.py [--households 20000]

Phases, each into a fresh temporary database:
  baseline   openpyxl read_only reading every row of the file (no validation, no database)
  plan       plan_import: read, validate, compare with the (empty) register
  apply      apply_import: write in transactions of BATCH_ROWS rooms
  re-plan    plan_import of the same file again (everything unchanged)
  codes      issue_codes for every room (knowledge/households/linking.py)
Each phase runs twice: once for its time (tracemalloc off, it slows Python down), once
under tracemalloc for its peak of Python allocations. ru_maxrss is the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.households import roster_service  # noqa: E402
from storage.db import open_database  # noqa: E402

HEADERS = ["小区", "楼栋", "单元", "房号", "建筑面积", "业主姓名", "联系电话", "业主编号"]


def build_xlsx(households: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("名册")
    sheet.append(HEADERS)
    n = 0
    building = 0
    while n < households:
        building += 1
        for unit in range(1, 5):
            for floor in range(1, 26):
                for door in range(1, 3):
                    if n >= households:
                        break
                    n += 1
                    sheet.append(
                        [
                            "幸福小区",
                            f"{building}号楼",
                            f"{unit}单元",
                            f"{floor}{door:02d}室",
                            round(60 + (n % 90) + (n % 7) / 10, 2),
                            f"业主{n}、家属{n}" if n % 5 == 0 else f"业主{n}",
                            f"138{n:08d}",
                            f"K{n // 2}" if n % 10 == 0 else None,
                        ]
                    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def baseline(data: bytes) -> int:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


async def measure(
    label: str, action: Callable[[], Awaitable[Any]], traced: bool
) -> tuple[float, Any]:
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    result = await action()
    seconds = time.perf_counter() - start
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak / 2**20, result
    return seconds, result


async def run_phases(data: bytes, folder: Path, traced: bool) -> dict[str, float]:
    figures: dict[str, float] = {}

    async def base() -> int:
        return baseline(data)

    figures["baseline"], _ = await measure("baseline", base, traced)
    conn = await open_database(folder / f"bench-{traced}.db")
    try:

        async def plan() -> roster_service.ImportPlan:
            return await roster_service.plan_import(conn, data, "名册.xlsx", None, False)

        figures["plan"], the_plan = await measure("plan", plan, traced)
        assert the_plan.ok, the_plan.errors[:5]

        async def apply() -> roster_service.ImportCounts:
            return await roster_service.apply_import(conn, the_plan, 0)

        figures["apply"], counts = await measure("apply", apply, traced)
        figures["re-plan"], again = await measure("re-plan", plan, traced)
        assert again.counts.unchanged == counts.added, again.counts
        try:
            from knowledge.households.linking import issue_codes
        except ImportError:
            figures["codes"] = float("nan")
        else:

            async def codes() -> int:
                return len(await issue_codes(conn, "幸福小区"))

            figures["codes"], issued = await measure("codes", codes, traced)
            assert issued == counts.added
    finally:
        await conn.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    args = parser.parse_args()
    start = time.perf_counter()
    data = build_xlsx(args.households)
    print(
        f"generated {args.households} households: {len(data) / 2**20:.1f} MiB .xlsx"
        f" in {time.perf_counter() - start:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        times = asyncio.run(run_phases(data, Path(tmp), traced=False))
        peaks = asyncio.run(run_phases(data, Path(tmp), traced=True))
    print(f"{'phase':<10} {'seconds':>8} {'peak MiB (tracemalloc)':>24}")
    for phase, seconds in times.items():
        print(f"{phase:<10} {seconds:>8.2f} {peaks[phase]:>24.1f}")
    total = times["plan"] + times["apply"]
    print(f"plan+apply {total:>8.2f}  ({total / times['baseline']:.1f}× the baseline read)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (ru_maxrss, whole run): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
