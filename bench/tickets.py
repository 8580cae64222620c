"""Filing 10,000 tickets through the service layer, and exporting them with 50,000 events.

    python bench/tickets.py [--tickets 10000] [--events-per-ticket 5]

Phases:
  file       TicketService.submit for every ticket (validation, number, deadlines, event)
  baseline   the same ticket rows as raw executemany INSERTs (no service, one transaction)
  export     knowledge/tickets/export/ to XLSX and to CSV (+ -events.csv)
  baseline   a plain csv.writer of the same ticket and event rows (no formatting)
Exports run twice: once for their time (tracemalloc off, it slows Python down), once under
tracemalloc for the peak of Python allocations. ru_maxrss is the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.spreadsheet import SpreadsheetFormat  # noqa: E402
from knowledge.tickets.categories import load_catalog  # noqa: E402
from knowledge.tickets.export import ComplaintSelection, export_complaints  # noqa: E402
from knowledge.tickets.service import ComplaintDraft, Location, TicketService  # noqa: E402
from storage.db import open_database  # noqa: E402
from storage.tickets_repo import iso  # noqa: E402

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TEXTS = [
    "楼道里停了很多电动车还在充电",
    "楼上半夜装修很吵",
    "东门路灯坏了好几天",
    "楼下饭店油烟太大",
    "垃圾桶满了没人清理",
    "消防通道被私家车堵了",
    '=HYPERLINK("http://x")',
]


def _drafts(n: int, catalog_keys: list[str]) -> list[ComplaintDraft]:
    rng = random.Random(7)
    return [
        ComplaintDraft(
            rng.choice(catalog_keys),
            f"{rng.choice(TEXTS)}（第{i}件）",
            Location(text=f"{rng.randint(1, 30)}号楼"),
            photos=tuple(f"photo-{i}-{k}" for k in range(rng.randint(0, 3))),
            phone=f"138{i:08d}",
        )
        for i in range(n)
    ]


async def file_tickets(db: Path, n: int) -> float:
    catalog = load_catalog()
    drafts = _drafts(n, [c.key for c in catalog.categories])
    conn = await open_database(db)
    try:
        svc = TicketService(conn, catalog, daily_limit=n)
        start = time.perf_counter()
        for i, draft in enumerate(drafts):
            moment = T0 + timedelta(seconds=30 * i)
            await svc.submit(draft, reporter_id=1000 + i % 500, reporter_name="居民", now=moment)
        return time.perf_counter() - start
    finally:
        await conn.close()


async def raw_inserts(db: Path, n: int) -> float:
    conn = await open_database(db)
    try:
        due = iso(T0 + timedelta(days=5))
        rows = [
            (
                f"TS-X-{i:05d}",
                "noise",
                TEXTS[i % len(TEXTS)],
                "3",
                "3号楼",
                1000 + i % 500,
                iso(T0),
                due,
            )
            for i in range(n)
        ]
        start = time.perf_counter()
        await conn.execute("BEGIN")
        await conn.executemany(
            "INSERT INTO tickets (number, category, description, building, location_text,"
            " reporter_id, status, created_at, first_response_due, resolve_due)"
            " VALUES (?, ?, ?, ?, ?, ?, 'received', ?, ?, ?)",
            [(*r[:7], due, due) for r in rows],
        )
        await conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        await conn.close()


async def add_events(db: Path, per_ticket: int) -> int:
    """Top up to `per_ticket` events per ticket with raw rows (setup, not measured)."""
    conn = await open_database(db)
    try:
        async with conn.execute("SELECT id FROM tickets") as cur:
            ids = [r[0] for r in await cur.fetchall()]
        actions = [
            ("accept", "received", "in_progress"),
            ("reply", "in_progress", "in_progress"),
            ("resolve", "in_progress", "resolved"),
            ("rate", "resolved", "rated"),
        ]
        rows = []
        for tid in ids:
            for k in range(per_ticket - 1):
                action, a, b = actions[k % len(actions)]
                rows.append(
                    (
                        tid,
                        iso(T0 + timedelta(hours=k + 1)),
                        action,
                        100,
                        "staff",
                        a,
                        b,
                        "已处理，请查看" if action != "reply" else "=cmd|' /C calc'!A0",
                    )
                )
        await conn.execute("BEGIN")
        await conn.executemany(
            "INSERT INTO ticket_events (ticket_id, at, action, actor_id, actor_role,"
            " from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        await conn.execute("COMMIT")
        async with conn.execute("SELECT COUNT(*) FROM ticket_events") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
    finally:
        await conn.close()


async def export(db: Path, out: Path, fmt: SpreadsheetFormat) -> None:
    conn = await open_database(db)
    try:
        await export_complaints(
            conn,
            out,
            fmt,
            catalog=load_catalog(),
            tz=ZoneInfo("Asia/Shanghai"),
            selection=ComplaintSelection(),
            now=T0 + timedelta(days=30),
        )
    finally:
        await conn.close()


async def plain_csv(db: Path, out: Path) -> None:
    conn = await open_database(db)
    try:
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            async with conn.execute("SELECT * FROM tickets ORDER BY id") as cur:
                writer.writerows(await cur.fetchall())
            async with conn.execute("SELECT * FROM ticket_events ORDER BY ticket_id, id") as cur:
                writer.writerows(await cur.fetchall())
    finally:
        await conn.close()


def measure(label: str, make: Callable[[], Awaitable[object]]) -> None:
    start = time.perf_counter()
    asyncio.run(make())  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    tracemalloc.start()
    asyncio.run(make())  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label:<34} {seconds:7.2f} s   peak Python allocations {peak / 2**20:7.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--events-per-ticket", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "bench.db"
        seconds = asyncio.run(file_tickets(db, args.tickets))
        print(f"file {args.tickets} tickets through TicketService.submit:")
        print(f"  {seconds:7.2f} s   {args.tickets / seconds:8.0f} tickets/s")
        base = asyncio.run(raw_inserts(folder / "raw.db", args.tickets))
        print("baseline: the same number of raw INSERTs in one transaction:")
        print(f"  {base:7.3f} s   {args.tickets / base:8.0f} rows/s")
        events = asyncio.run(add_events(db, args.events_per_ticket))
        print(f"export {args.tickets} tickets with {events} events:")
        measure(
            "XLSX (two sheets)", lambda: export(db, folder / "out.xlsx", SpreadsheetFormat.XLSX)
        )
        measure(
            "CSV (+ -events.csv)", lambda: export(db, folder / "out.csv", SpreadsheetFormat.CSV)
        )
        measure(
            "baseline: plain csv.writer, raw rows", lambda: plain_csv(db, folder / "plain.csv")
        )
        sizes = {
            p.name: p.stat().st_size for p in folder.iterdir() if p.suffix in {".csv", ".xlsx"}
        }
        print(
            "  sizes: " + ", ".join(f"{k} {v / 2**20:.1f} MiB" for k, v in sorted(sizes.items()))
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS of the process: {rss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
