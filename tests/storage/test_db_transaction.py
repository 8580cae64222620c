"""storage.db.transaction on the application's one shared connection, on a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from storage.db import open_database, transaction


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    await connection.execute("CREATE TABLE t (writer INTEGER, step INTEGER)")
    try:
        yield connection
    finally:
        await connection.close()


async def _all(conn: aiosqlite.Connection) -> list[tuple[int, int]]:
    async with conn.execute("SELECT writer, step FROM t ORDER BY writer, step") as cur:
        return [(int(r[0]), int(r[1])) for r in await cur.fetchall()]


async def _write_twice(conn: aiosqlite.Connection, writer: int, fail: bool = False) -> None:
    async with transaction(conn):
        await conn.execute("INSERT INTO t VALUES (?, 1)", (writer,))
        await asyncio.sleep(0)  # another coroutine's turn, as between two statements
        await conn.execute("INSERT INTO t VALUES (?, 2)", (writer,))
        if fail:
            raise ValueError("the second step failed")


async def test_concurrent_transactions_take_turns_and_all_commit(
    conn: aiosqlite.Connection,
) -> None:
    # Before: every BEGIN after the first failed with "cannot start a transaction within a
    # transaction" while the first was open.
    results = await asyncio.gather(
        *(_write_twice(conn, w) for w in range(8)), return_exceptions=True
    )
    assert results == [None] * 8
    assert await _all(conn) == [(w, s) for w in range(8) for s in (1, 2)]
    assert not conn.in_transaction


async def test_a_failing_transaction_rolls_back_only_itself(conn: aiosqlite.Connection) -> None:
    results = await asyncio.gather(
        _write_twice(conn, 1),
        _write_twice(conn, 2, fail=True),
        _write_twice(conn, 3),
        return_exceptions=True,
    )
    assert results[0] is None
    assert results[2] is None
    assert isinstance(results[1], ValueError)
    assert await _all(conn) == [(1, 1), (1, 2), (3, 1), (3, 2)]


async def test_a_cancelled_transaction_frees_the_connection(conn: aiosqlite.Connection) -> None:
    started = asyncio.Event()

    async def stuck() -> None:
        async with transaction(conn):
            await conn.execute("INSERT INTO t VALUES (9, 1)")
            started.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(stuck())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(_write_twice(conn, 1), timeout=5)
    assert await _all(conn) == [(1, 1), (1, 2)]


async def _nested(conn: aiosqlite.Connection) -> None:
    async with transaction(conn):
        await conn.execute("INSERT INTO t VALUES (1, 1)")
        async with transaction(conn):
            pass  # pragma: no cover


async def test_a_nested_transaction_raises_at_once(conn: aiosqlite.Connection) -> None:
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(_nested(conn), timeout=5)
    assert await _all(conn) == []  # the outer one rolled back
    await _write_twice(conn, 2)
    assert await _all(conn) == [(2, 1), (2, 2)]
