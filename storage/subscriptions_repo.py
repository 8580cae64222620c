"""Residents' topic subscriptions and the topics a group chat opted out of."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from storage.clock import now_iso


async def subscribers(conn: aiosqlite.Connection, topic: str) -> list[int]:
    """The user ids subscribed to `topic` (their private chats), in a stable order."""
    async with conn.execute(
        "SELECT user_id FROM subscriptions WHERE topic = ? ORDER BY user_id", (topic,)
    ) as cur:
        return [int(row[0]) async for row in cur]


async def subscribe(conn: aiosqlite.Connection, user_id: int, topic: str) -> bool:
    """Subscribe; False when the user already was subscribed to the topic."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?)",
        (user_id, topic, now_iso()),
    )
    return cur.rowcount > 0


async def unsubscribe(conn: aiosqlite.Connection, user_id: int, topic: str) -> bool:
    """Unsubscribe; False when the user was not subscribed."""
    cur = await conn.execute(
        "DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic)
    )
    return cur.rowcount > 0


async def unsubscribe_all(conn: aiosqlite.Connection, user_id: int) -> int:
    """Drop every subscription of a user (also used when a resident leaves)."""
    cur = await conn.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
    return cur.rowcount


async def topics_of(conn: aiosqlite.Connection, user_id: int) -> list[str]:
    """The topics a user is subscribed to."""
    async with conn.execute(
        "SELECT topic FROM subscriptions WHERE user_id = ? ORDER BY topic", (user_id,)
    ) as cur:
        return [str(row[0]) async for row in cur]


async def subscriber_counts(conn: aiosqlite.Connection) -> dict[str, int]:
    """How many residents follow each topic (for staff)."""
    async with conn.execute(
        "SELECT topic, COUNT(*) FROM subscriptions GROUP BY topic ORDER BY topic"
    ) as cur:
        return {str(row[0]): int(row[1]) async for row in cur}


# --- group exclusions -------------------------------------------------------------------


async def exclude_topic(
    conn: aiosqlite.Connection, chat_id: int, topic: str, excluded_by: int | None
) -> bool:
    """Opt a group out of one topic; False when it already was."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO chat_topic_exclusions (chat_id, topic, excluded_by, created_at)"
        " VALUES (?, ?, ?, ?)",
        (chat_id, topic, excluded_by, now_iso()),
    )
    return cur.rowcount > 0


async def include_topic(conn: aiosqlite.Connection, chat_id: int, topic: str) -> bool:
    """Undo an exclusion; False when the group was not excluded."""
    cur = await conn.execute(
        "DELETE FROM chat_topic_exclusions WHERE chat_id = ? AND topic = ?", (chat_id, topic)
    )
    return cur.rowcount > 0


async def excluded_topics(conn: aiosqlite.Connection, chat_id: int) -> list[str]:
    async with conn.execute(
        "SELECT topic FROM chat_topic_exclusions WHERE chat_id = ? ORDER BY topic", (chat_id,)
    ) as cur:
        return [str(row[0]) async for row in cur]


async def excluded_chats(conn: aiosqlite.Connection, topic: str) -> set[int]:
    """The group chats that opted out of `topic`."""
    async with conn.execute(
        "SELECT chat_id FROM chat_topic_exclusions WHERE topic = ?", (topic,)
    ) as cur:
        return {int(row[0]) async for row in cur}


def without_excluded(chat_ids: Iterable[int], excluded: set[int]) -> list[int]:
    """`chat_ids` in order, minus the groups that opted out."""
    return [c for c in chat_ids if c not in excluded]


async def follow_migration(conn: aiosqlite.Connection, old_id: int, new_id: int) -> None:
    """A group became a supergroup: its exclusions follow it to the new id."""
    await conn.execute(
        "UPDATE OR IGNORE chat_topic_exclusions SET chat_id = ? WHERE chat_id = ?",
        (new_id, old_id),
    )
    await conn.execute("DELETE FROM chat_topic_exclusions WHERE chat_id = ?", (old_id,))
