"""Fixtures for every test: our own sample policy document and prepared databases.

The sample document (`examples/社区政策示例.txt`) ships with the repository, so no test
depends on anything beside it. A prepared database is migrated and, as asked, holds the
bundled FAQ and/or the sample document, already tokenised. Each is built once per run (on
first use) and every test gets its own copy: that spares each test the migrations, jieba
over ~90 FAQ entries and, for a document, the import worker's start (~1 s).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path

import pytest

# Keyword only unless a test turns the semantic stage on (tests/knowledge/qa/test_vectors.py,
# test_semantic_stage.py): the encoder's load (~1 s, +120 MB) stays out of every other test.
os.environ.setdefault("RESIDENT_BOT_SEMANTIC", "off")

from knowledge.qa.service import KnowledgeBase
from storage.db import open_database

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_DOC = REPO / "examples" / "社区政策示例.txt"
EXAMPLE_TITLE = "幸福里社区居民生活安全与环境管理办法(示例)"
EXAMPLE_IMPORTED = "example_imported"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{EXAMPLE_IMPORTED}: the test's database (seeded_db) already holds the sample"
        " document, imported as document #1",
    )


async def _build(path: Path, *, faq: bool, example: bool) -> None:
    conn = await open_database(path)
    try:
        kb = await KnowledgeBase.open(conn, load_faq=faq)
        try:
            if example:
                await kb.import_path(EXAMPLE_DOC)
        finally:
            await kb.close()
    finally:
        await conn.close()


def _build_in_own_thread(path: Path, *, faq: bool, example: bool) -> None:
    # A thread of its own keeps `asyncio.run` away from whatever loop pytest-asyncio set
    # for the main thread (it would unset it on exit).
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(_build(path, faq=faq, example=example))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=target, name="prepare-db")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


class PreparedDatabases:
    """Database files built on first use, once per run; copy them, never open them."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._built: dict[tuple[bool, bool], Path] = {}

    def path(self, *, faq: bool = True, example: bool = False) -> Path:
        key = (faq, example)
        if key not in self._built:
            path = self._folder / f"faq{int(faq)}-example{int(example)}.db"
            _build_in_own_thread(path, faq=faq, example=example)
            # Closing the last connection checkpoints the WAL into the main file.
            assert not path.with_name(path.name + "-wal").exists()
            self._built[key] = path
        return self._built[key]

    def copy_to(self, target: Path, *, faq: bool = True, example: bool = False) -> Path:
        shutil.copyfile(self.path(faq=faq, example=example), target)
        return target


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> PreparedDatabases:
    return PreparedDatabases(tmp_path_factory.mktemp("prepared"))


@pytest.fixture
def seeded_db(prepared: PreparedDatabases, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """This test's own database file: migrated, the bundled FAQ seeded (as a bot has it after
    its first start), and the sample document imported if the test is marked so."""
    example = request.node.get_closest_marker(EXAMPLE_IMPORTED) is not None
    return prepared.copy_to(tmp_path / "bot.db", example=example)
