"""Consultation of 5,000 households through the service: votes/s, tally and verify time.

Baseline in the same run: a naive float tally (one dict pass, no owners, no chain).
Run: .venv/bin/python bench/consult.py [households]
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.consult.service import ConsultService, Draft
from storage import household_links_repo as links
from storage.clock import utc_now
from storage.db import DatabaseHandle
from storage.households_repo import (
    HouseholdValues,
    all_households,
    ensure_community,
    write_households,
)


async def main(n: int) -> None:
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as folder:
        database = DatabaseHandle(str(Path(folder) / "bench.db"))
        conn = await database.get()
        community = await ensure_community(conn, "幸福小区")
        values = [
            HouseholdValues(str(1 + i // 100), str(1 + (i // 20) % 5), str(101 + i % 20),
                            Decimal(rng.randint(4000, 14000)) / 100, (), (),
                            f"K{i // 2}" if i % 10 == 0 else None, i % 97 == 0)
            for i in range(n)
        ]  # fmt: skip
        await write_households(conn, community, inserts=values)
        homes = await all_households(conn, "幸福小区")
        await conn.execute("BEGIN")
        for h in homes:
            await links.save_link(conn, h.id, 10_000 + h.id, "owner", "active", "code", "x")
        await conn.execute("COMMIT")
        svc = ConsultService(database)
        now = utc_now()
        cid = await svc.create(
            Draft("电梯", "是否同意", "community:幸福小区", "civil-code-major",
                  now - timedelta(minutes=1), now + timedelta(days=1)),
            0,
        )  # fmt: skip
        await svc.publish(cid)
        voters = [h for h in homes if rng.random() < 0.8]
        start = time.perf_counter()
        for h in voters:
            await svc.vote(cid, 10_000 + h.id, rng.choice((0, 0, 0, 1, 2)))
        vote_s = time.perf_counter() - start
        start = time.perf_counter()
        result = await svc.tally(cid)
        tally_s = time.perf_counter() - start
        assert result is not None
        start = time.perf_counter()
        check = await svc.verify(cid)
        verify_s = time.perf_counter() - start
        # baseline: naive float tally over the same rows (no owners, no exactness)
        async with conn.execute(
            "SELECT v.household_id, v.option, r.area_centi FROM consult_votes v JOIN"
            " consult_roster r ON r.consultation_id = v.consultation_id"
            " AND r.household_id = v.household_id WHERE v.consultation_id = ?",
            (cid,),
        ) as cur:
            raw = await cur.fetchall()
        start = time.perf_counter()
        latest: dict[int, tuple[str, float]] = {}
        for hid, option, centi in raw:
            latest[hid] = (option, centi / 100.0)
        sums: dict[str, float] = {}
        for option, area in latest.values():
            sums[option] = sums.get(option, 0.0) + area
        naive_s = time.perf_counter() - start
        await database.close()
    print(f"households: {n}, votes: {len(voters)}")
    print(f"votes/s (service, one transaction each): {len(voters) / vote_s:,.0f}")
    print(f"tally (exact, owners, from the DB): {tally_s * 1000:.1f} ms")
    print(f"baseline naive float tally (in memory): {naive_s * 1000:.2f} ms")
    print(f"verify (chain + tally): {verify_s * 1000:.1f} ms, ok={check.ok}")
    print(f"passed: {result.decision.passed}; " + ", ".join(
        f"{o.threshold.key}={o.measured.text()}" for o in result.decision.outcomes))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
