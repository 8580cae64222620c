"""The local Bot API server in a child process, for benches that measure the bot alone.

`python -m bot.local_api` prints its base URL on its first line; the benches drive it over
its test-control endpoints (bot/local_api/control.py) with the client yielded here.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def local_server(token: str) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """(base URL such as http://127.0.0.1:PORT/bot, an HTTP client) while it runs."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot.local_api", "--port", "0", "--token", token),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        base_url = (await process.stdout.readline()).decode().strip()
        if not base_url.startswith("http"):
            raise RuntimeError(f"local Bot API server did not start: {base_url!r}")
        async with httpx.AsyncClient(timeout=30) as client:
            yield base_url, client
    finally:
        process.terminate()
        await process.wait()
