"""Opening the application's single aiosqlite connection."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)


async def open_database(path: str | Path, *, migrate: bool = True) -> aiosqlite.Connection:
    """Open the SQLite store in WAL mode with foreign keys on, migrated to the latest schema.

    `:memory:` is accepted for tests. The parent folder of a file path is created.
    """
    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we manage transactions explicitly (BEGIN/COMMIT), which is
    # what lets a failing migration roll back as a whole.
    conn = await aiosqlite.connect(target, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute("PRAGMA busy_timeout=5000")
    if migrate:
        applied = await apply_migrations(conn)
        if applied:
            logger.info("Applied migrations: %s", ", ".join(applied))
    return conn


def is_closed(conn: aiosqlite.Connection) -> bool:
    """Whether an aiosqlite connection was closed (aiosqlite has no public flag for it)."""
    return not getattr(conn, "_running", True) or getattr(conn, "_connection", 1) is None


class DatabaseHandle:
    """The application's one aiosqlite connection.

    It opens on first use: python-telegram-bot loads persistence in `initialize()`, which
    runs just before `post_init`, so whichever asks first opens it; `post_shutdown`
    closes it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> aiosqlite.Connection:
        async with self._lock:
            if self._conn is None:
                self._conn = await open_database(self.path)
            return self._conn

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database used before post_init opened it")
        return self._conn

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None


# One transaction at a time per connection. The application shares one connection, and
# updates of different chats run concurrently: a second BEGIN while another coroutine's
# transaction was open failed ("cannot start a transaction within a transaction"), so two
# residents voting at the same moment lost one vote to an error.
_GATES: weakref.WeakKeyDictionary[aiosqlite.Connection, _Gate] = weakref.WeakKeyDictionary()


class _Gate:
    __slots__ = ("lock", "owner")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None


def _gate(conn: aiosqlite.Connection) -> _Gate:
    gate = _GATES.get(conn)
    if gate is None:
        gate = _GATES[conn] = _Gate()
    return gate


async def execute_alone(
    conn: aiosqlite.Connection, sql: str, parameters: Sequence[object] = ()
) -> aiosqlite.Cursor:
    """One write statement that must not become part of another coroutine's transaction:
    it waits for that transaction to end, so a rollback there cannot undo it (an outbox
    row marked sent, undone, would be sent twice). Inside the caller's own transaction it
    is simply part of it."""
    gate = _gate(conn)
    task = asyncio.current_task()
    if task is not None and gate.owner is task:
        return await conn.execute(sql, parameters)
    async with gate.lock:
        return await conn.execute(sql, parameters)


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (cancellation included).

    Transactions on one connection take turns (a nested one in the same task is a bug and
    raises at once instead of waiting for itself). A single statement outside any
    transaction still runs at once; while another coroutine's transaction is open it
    becomes part of it, as SQLite has one transaction per connection (`execute_alone`
    waits instead, for writes a rollback must not undo).
    """
    gate = _gate(conn)
    task = asyncio.current_task()
    if task is not None and gate.owner is task:
        raise RuntimeError("a transaction is already open in this task")
    async with gate.lock:
        gate.owner = task
        try:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
        finally:
            gate.owner = None
